"""Every resident-facing sentence, in one package, so officers can review the bot's voice.

Style: polite ("Dạ", "ạ"), short, one question at a time, buttons where a choice is expected.
Residents are addressed as "bác" (respectful to elders; the ward's usage). Button titles are
also their payloads: a tapped button comes back as the same text a resident could type.

One module per conversation area; this file only re-exports them, so callers write
`texts.welcome(...)` whichever area a sentence lives in.
"""
from __future__ import annotations

from handlers.texts.words import (
    BTN_ASK, BTN_CANCEL, BTN_EDIT, BTN_ERASE, BTN_ERASE_NO, BTN_ERASE_YES, BTN_FORWARDED,
    BTN_LOOKUP, BTN_MY_DATA, BTN_NO_PHOTO, BTN_NO_THANKS, BTN_REPORT, BTN_SKIP_LOCATION,
    BTN_SUBMIT_QUESTION, BTN_SUBMIT_REPORT, BTN_SUBMIT_SUGGESTION, BTN_SUGGEST, BTN_TO_OFFICER,
    MENU, RATING_BUTTONS, YOU, You,
)
from handlers.texts.menu import (
    fallback, goodbye_thanks, info_received,
    menu_prompt, officer_dead_letters, out_of_scope, PRIVACY_NOTICE_VERSION, referral,
    sticker_reply, system_error, thanks_reply, welcome,
)
from handlers.texts.intake import (
    ask_content, ask_edit, ask_location, ask_photo, cancelled, clarify_kind, clarify_reask,
    clarify_to_officer, confirm, confirm_reask, content_missing, content_reask, draft_kept,
    KIND_WORDS, location_reask, LOCATION_UNKNOWN, nothing_to_cancel, photo_reask,
    SUBMIT_BUTTON,
)
from handlers.texts.faq import (
    faq_answer, faq_declined_officer, faq_not_ready, faq_unsure, question_reask, stopped,
)
from handlers.texts.tickets import (
    answer_update, ask_rating, lookup_list, lookup_none, lookup_not_found,
    lookup_result, officer_reopened, rating_already, rating_reask, rating_thanks, reopen_too_late,
    reopened, status_update, SUPPLEMENT_NONE, supplement_none, supplement_reask,
    supplement_received, ticket_created, photo_added,
)
from handlers.texts.urgent import (
    EMERGENCY_NUMBERS, officer_urgent_alert, officer_urgent_code, officer_urgent_prealert,
    urgent_created, urgent_failed_alerted, urgent_failed_no_officer, urgent_location_reask,
    urgent_location_saved, urgent_location_saved_only, urgent_location_unknown,
    urgent_recorded_no_officer,
)
from handlers.texts.privacy import (
    erase_cancelled, erase_confirm, erase_confirm_again, erased, privacy_summary,
)
from handlers.texts.announcements import (
    announcement, announcement_for_leader, forwarded_nothing, forwarded_thanks, group_saved,
    group_unknown, reminder,
)

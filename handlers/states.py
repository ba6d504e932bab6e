"""The conversation states, by name. Their values are what the conversations table stores:
never change one, or the conversations already in that state are stranded after an upgrade.

Which handler reads the next message in each state, and what a timeout does to it, is the
table in handlers/registry.py.
"""
from __future__ import annotations

from storage.models import IDLE

# A report or suggestion being put together (handlers/intake.py): what happened, where, the
# photo, the confirmation.
INTAKE_CONTENT = "intake_content"
INTAKE_LOCATION = "intake_location"
INTAKE_PHOTO = "intake_photo"
INTAKE_CONFIRM = "intake_confirm"
INTAKE_STATES = (INTAKE_CONTENT, INTAKE_LOCATION, INTAKE_PHOTO, INTAKE_CONFIRM)
# An urgent ticket was made at once; its place is still missing.
URGENT_LOCATION = "urgent_location"
# The bot could not tell a report from a suggestion or a question, and asked.
CLARIFY_KIND = "clarify_kind"
# After the "Hỏi đáp" button: the next text is the question.
FAQ_WAIT = "faq_wait"
# After an answer (or none): pass the question to an officer?
FAQ_OFFER = "faq_offer"
# A finished ticket's 1–5 rating was asked for.
RATING = "rating"
# An officer asked the resident for more information.
SUPPLEMENT = "supplement"
# "Xóa dữ liệu của tôi" waits for the button confirmation.
PRIVACY_ERASE = "privacy_erase"

ALL = (IDLE, *INTAKE_STATES, URGENT_LOCATION, CLARIFY_KIND, FAQ_WAIT, FAQ_OFFER, RATING, SUPPLEMENT,
       PRIVACY_ERASE)

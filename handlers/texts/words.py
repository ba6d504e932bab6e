"""The words every area shares: how residents are addressed, and the button titles.

Button titles are also their payloads: a tapped button comes back as the same text a resident
could type, so intents/commands.py (and handlers/privacy.py for the erase buttons) recognise
these same words, folded: the titles they read are defined there, once (BUTTON_TITLES).
"""
from __future__ import annotations

from intents.commands import BUTTON_TITLES

YOU = "bác"
You = "Bác"

# Button titles (≤ 5 per message), defined once with the command a tap on each means.
(BTN_REPORT,) = BUTTON_TITLES["menu_report"]
(BTN_SUGGEST,) = BUTTON_TITLES["menu_suggest"]
(BTN_ASK,) = BUTTON_TITLES["menu_ask"]
(BTN_LOOKUP,) = BUTTON_TITLES["menu_lookup"]
(BTN_NO_PHOTO,) = BUTTON_TITLES["no_photo"]
(BTN_SKIP_LOCATION,) = BUTTON_TITLES["skip_location"]
BTN_SUBMIT_REPORT, BTN_SUBMIT_SUGGESTION, BTN_SUBMIT_QUESTION = BUTTON_TITLES["submit"]
(BTN_EDIT,) = BUTTON_TITLES["edit"]
(BTN_CANCEL,) = BUTTON_TITLES["cancel"]
(BTN_TO_OFFICER,) = BUTTON_TITLES["to_officer"]
(BTN_NO_THANKS,) = BUTTON_TITLES["no_thanks"]
MENU = (BTN_REPORT, BTN_SUGGEST, BTN_ASK, BTN_LOOKUP)

RATING_BUTTONS = ("1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐")

# A tổ leader's button after forwarding an announcement into the tổ's own Zalo group.
BTN_FORWARDED = "Đã chuyển vào nhóm tổ"

BTN_MY_DATA = "Dữ liệu của tôi"
BTN_ERASE = "Xóa dữ liệu của tôi"
BTN_ERASE_YES = "Đồng ý xóa"
BTN_ERASE_NO = "Không xóa"

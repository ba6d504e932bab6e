"""The words every area shares: how residents are addressed, and the button titles.

Button titles are also their payloads: a tapped button comes back as the same text a resident
could type, so intents/commands.py (and handlers/privacy.py for the erase buttons) recognise
these same words, folded.
"""
from __future__ import annotations

YOU = "bác"
You = "Bác"

# Button titles (≤ 5 per message).
BTN_REPORT = "Phản ánh"
BTN_SUGGEST = "Kiến nghị"
BTN_ASK = "Hỏi đáp"
BTN_LOOKUP = "Tra cứu"
BTN_NO_PHOTO = "Không có ảnh"
BTN_SKIP_LOCATION = "Bỏ qua"
BTN_SUBMIT_REPORT = "Gửi phản ánh"
BTN_SUBMIT_SUGGESTION = "Gửi kiến nghị"
BTN_SUBMIT_QUESTION = "Gửi câu hỏi"
BTN_EDIT = "Sửa lại"
BTN_CANCEL = "Hủy"
BTN_TO_OFFICER = "Chuyển cán bộ"
BTN_NO_THANKS = "Không cần"
MENU = (BTN_REPORT, BTN_SUGGEST, BTN_ASK, BTN_LOOKUP)

RATING_BUTTONS = ("1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐")

# A tổ leader's button after forwarding an announcement into the tổ's own Zalo group.
BTN_FORWARDED = "Đã chuyển vào nhóm tổ"

BTN_MY_DATA = "Dữ liệu của tôi"
BTN_ERASE = "Xóa dữ liệu của tôi"
BTN_ERASE_YES = "Đồng ý xóa"
BTN_ERASE_NO = "Không xóa"

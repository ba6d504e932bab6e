"""The desk's fixed vocabulary: ticket statuses, kinds and channels, with Vietnamese labels.

Ids are stable (stored in the database); labels are what officers see in the sheet and
residents see in replies.
"""
from __future__ import annotations

from intents.taxonomy import KIND_LABELS, TICKET_KINDS

# Honest statuses: forwarded is not rejected, closed is not fixed.
STATUSES: dict[str, str] = {
    "draft": "Nháp (người dân chưa xác nhận)",
    "new": "Mới tiếp nhận",
    "assigned": "Đã phân công",
    "in_progress": "Đang xử lý",
    "forwarded": "Đã chuyển cơ quan có thẩm quyền",
    "waiting_resident": "Chờ người dân bổ sung",
    "resolved": "Đã giải quyết",
    "answered": "Đã trả lời",
    "rejected": "Từ chối (ngoài phạm vi)",
    "closed": "Đóng",
}
STATUS_BY_LABEL: dict[str, str] = {label: sid for sid, label in STATUSES.items()}
OPEN_STATUSES = ("new", "assigned", "in_progress", "forwarded", "waiting_resident")
DONE_STATUSES = ("resolved", "answered", "rejected", "closed")

# Ticket kinds that make tickets, and the two-letter prefix of their codes.
KIND_PREFIX: dict[str, str] = {"complaint": "PA", "suggestion": "KN", "question": "HD"}
PREFIX_KIND: dict[str, str] = {p: k for k, p in KIND_PREFIX.items()}
# The desk shows the same kind labels the language layer names (one definition).
TICKET_KIND_LABELS: dict[str, str] = {k: KIND_LABELS[k] for k in TICKET_KINDS}

CHANNELS: dict[str, str] = {"zalo": "Zalo", "form": "Google Form"}

"""The fixed vocabulary the desk routes by: message kinds and topics.

Ids are stable (stored on tickets, used in the officers' sheet and in corrections); labels are
the Vietnamese the officers and residents see. Topics follow how a ward actually routes work:
each maps to the office or agency that handles it, not to a linguistic category.
"""
from __future__ import annotations

KINDS: tuple[str, ...] = ("complaint", "suggestion", "question", "denunciation", "greeting", "other")

KIND_LABELS: dict[str, str] = {
    "complaint": "Phản ánh",
    "suggestion": "Kiến nghị",
    "question": "Hỏi đáp",
    "denunciation": "Khiếu nại, tố cáo",
    "greeting": "Chào hỏi",
    "other": "Khác",
}

# Kinds that become tickets on the desk; denunciations are redirected, greetings answered.
TICKET_KINDS: tuple[str, ...] = ("complaint", "suggestion", "question")

TOPICS: dict[str, str] = {
    "environment": "Môi trường, rác thải, vệ sinh",
    "security": "An ninh trật tự, lừa đảo",
    "infrastructure": "Giao thông, đường, chiếu sáng, thoát nước, cây xanh",
    "land_construction": "Đất đai, xây dựng, lấn chiếm, trật tự đô thị",
    "utilities": "Điện, nước sinh hoạt",
    "social_welfare": "An sinh xã hội, chính sách, bảo hiểm",
    "health": "Y tế, dịch bệnh",
    "education": "Giáo dục",
    "admin_procedures": "Thủ tục hành chính, VNeID, dịch vụ công, cư trú, căn cước",
    "culture_other": "Văn hóa, tiếng ồn, khác",
}

TOPIC_IDS: tuple[str, ...] = tuple(TOPICS)

KIND_BY_LABEL: dict[str, str] = {label: kid for kid, label in KIND_LABELS.items()}
TOPIC_BY_LABEL: dict[str, str] = {label: tid for tid, label in TOPICS.items()}


def check_kind(kind: str | None) -> str | None:
    """Validate a kind id (None passes); raises ValueError naming the valid ids."""
    if kind is not None and kind not in KIND_LABELS:
        raise ValueError(f"unknown kind {kind!r}; valid: {', '.join(KINDS)}")
    return kind


def check_topic(topic: str | None) -> str | None:
    if topic is not None and topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}; valid: {', '.join(TOPIC_IDS)}")
    return topic

"""Urgent reports, to the resident and to the duty officers.

"đã báo cán bộ trực" only when an alert was queued to an officer (handlers/urgent.py);
otherwise the emergency numbers and when officers will see it.
"""
from __future__ import annotations

from handlers.texts.words import YOU, You
from storage.messages import Reply

EMERGENCY_NUMBERS = "114 (cháy nổ, cứu nạn), 113 (công an) hoặc 115 (cấp cứu)"


def urgent_created(code: str, location_known: bool) -> Reply:
    text = (
        f"Dạ, phường đã báo ngay cán bộ trực, mã {code}. Nếu có người gặp nguy hiểm, {YOU} gọi "
        "ngay 114 (cháy nổ, cứu nạn), 113 (công an) hoặc 115 (cấp cứu) ạ."
    )
    if not location_known:
        text += f"\n{You} nhắn giúp địa điểm cụ thể (số nhà, ngõ, tổ) hoặc gửi vị trí ạ."
    return Reply(text)


def urgent_recorded_no_officer(code: str, location_known: bool, when: str) -> Reply:
    text = (
        f"Dạ, phường đã ghi nhận tin báo khẩn của {YOU}, mã {code}. Nếu có người gặp nguy hiểm "
        f"hoặc cần xử lý ngay, {YOU} gọi ngay {EMERGENCY_NUMBERS} ạ. Cán bộ phường sẽ xem phiếu "
        f"này trong giờ làm việc {when}."
    )
    if not location_known:
        text += f"\n{You} nhắn giúp địa điểm cụ thể (số nhà, ngõ, tổ) hoặc gửi vị trí ạ."
    return Reply(text)


def urgent_location_saved(code: str) -> Reply:
    return Reply(f"Dạ, phường đã bổ sung địa điểm vào phiếu {code} và báo cán bộ trực ạ.")


def urgent_location_saved_only(code: str) -> Reply:
    return Reply(f"Dạ, phường đã bổ sung địa điểm vào phiếu {code} ạ.")


def urgent_location_reask() -> Reply:
    return Reply(
        f"Dạ, {YOU} nhắn giúp địa điểm (số nhà, ngõ, tổ hoặc một chỗ dễ nhận ra), hoặc bấm dấu + "
        f"rồi chọn \"Vị trí\"; nếu không rõ, {YOU} nhắn \"không biết\" ạ.")


def urgent_location_unknown() -> Reply:
    return Reply(
        f"Dạ vâng, phường đã ghi là chưa rõ địa điểm ạ. Nếu có người gặp nguy hiểm, {YOU} gọi ngay "
        "114 (cháy nổ, cứu nạn), 113 (công an) hoặc 115 (cấp cứu).")


def urgent_failed_alerted() -> Reply:
    return Reply(
        f"Dạ, phường đã báo ngay cán bộ trực về tin báo khẩn của {YOU}. Nếu có người gặp nguy "
        f"hiểm, {YOU} gọi ngay {EMERGENCY_NUMBERS} ạ. Hệ thống đang trục trặc nên chưa gửi được "
        f"mã phiếu cho {YOU}."
    )


def urgent_failed_no_officer() -> Reply:
    return Reply(
        f"Dạ, hệ thống đang trục trặc nên chưa ghi nhận được tin báo khẩn của {YOU}. Nếu có người "
        f"gặp nguy hiểm hoặc cần xử lý ngay, {YOU} gọi ngay {EMERGENCY_NUMBERS} ạ."
    )


def officer_urgent_alert(code: str, topic_label: str, text: str, location: str | None) -> str:
    where = f" — {location}" if location else ""
    return f"[KHẨN] {code} ({topic_label}){where}: {text[:500]}"


def officer_urgent_prealert(topic_label: str, text: str, location: str | None) -> str:
    where = f" — {location}" if location else ""
    return f"[KHẨN] Tin báo khẩn của người dân ({topic_label}){where}: {text[:500]}"


def officer_urgent_code(code: str, topic_label: str) -> str:
    return f"[KHẨN] Tin báo khẩn vừa gửi ({topic_label}) đã có mã phiếu {code}."

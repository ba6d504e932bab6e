"""Checking the ward profile (handlers/ward_profile.py) against the FAQ in use.

The sandbox uses bot/data/ward_profile_sample.env, whose values all say "(mẫu)".
`python -m bot faq check` lists the answers that still have a gap.
"""
from __future__ import annotations

from pathlib import Path

from handlers.ward_profile import load
from intents import slots

SAMPLE = Path(__file__).resolve().parent / "data" / "ward_profile_sample.env"


def faq_gaps(settings, entries=None):
    """(entry number, entry, missing) for the FAQ in use and the ward profile in use."""
    if entries is None:
        from intents.faq import read_csv

        entries = read_csv(settings.faq_path)
    return slots.entry_gaps(entries, load(settings.ward_profile_file))


def check_report(settings) -> tuple[str, int]:
    """`faq check`: the text for the officer and the number of entries with gaps."""
    from intents.faq import read_csv

    path = settings.faq_path
    entries = read_csv(path)
    gaps = faq_gaps(settings, entries)
    profile = settings.ward_profile_file or "(chưa đặt WARD_PROFILE_FILE)"
    lines = [f"Tệp hỏi đáp: {path}", f"Hồ sơ phường: {profile}", ""]
    for n, entry, missing in gaps:
        # Row n+1 in a spreadsheet opened on the CSV (row 1 is the header).
        lines.append(f"Mục {n} (hàng {n + 1} trong bảng tính): {entry.question}")
        lines.append("   còn thiếu: " + ", ".join(missing))
    if gaps:
        lines += ["", f"{len(gaps)}/{len(entries)} câu trả lời còn chỗ trống: bot KHÔNG gửi các câu "
                      "này cho người dân mà đề nghị chuyển câu hỏi cho cán bộ.",
                  "Điền các mục {tên_mục} vào tệp hồ sơ phường (WARD_PROFILE_FILE, mẫu: "
                  f"{SAMPLE.relative_to(SAMPLE.parents[2])}); chỗ ghi [điền …] thì sửa thẳng "
                  "trong tệp hỏi đáp. Rồi chạy lại lệnh này."]
    else:
        lines.append(f"Cả {len(entries)} câu trả lời đều đủ thông tin, không còn chỗ trống.")
    return "\n".join(lines), len(gaps)

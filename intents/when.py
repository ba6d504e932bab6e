"""Dates and times as a ward officer types them, read as Vietnam local time.

"12/12/2026 19h", "19:00 12/12", "19h30 12/12/2026", "thứ 6 15h30", "t7 8h sáng", "mai 7h30",
"2026-12-12 19:00", "2026-12-12T19:00+07:00" ... -> a naive datetime in Asia/Ho_Chi_Minh.

Pure (no clock of its own: the caller passes `now`, local and naive). Anything it cannot read
whole raises WhenError with a Vietnamese message naming the accepted forms: a word it does not
know is never skipped, so "thứ 6 15h30 tuần sau nữa" is refused rather than misread.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

FORMS = ("12/12/2026 19h", "19:00 12/12", "19h30 12/12/2026", "thứ 6 15h30", "chủ nhật 8h sáng",
         "mai 7h30", "2026-12-12 19:00")
ACCEPTED = ", ".join(f"«{f}»" for f in FORMS)


class WhenError(ValueError):
    """Not a date and time this parser reads; str() is the Vietnamese message for the officer."""


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", text).strip()


_WEEKDAY_WORDS = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5}
# "19:00", "19h", "19h30", "19g30", "19 giờ 30 phút" (minutes after "h" only when glued to it:
# "19h 20h" is two times, not 19:20).
_TIME = re.compile(
    r"(?<![\d/.:-])(\d{1,2})\s*(?::(\d{2})|gio(?:\s*(\d{1,2})\s*(?:phut|p)?)?|[hg](\d{2})?(?:p|ph|phut)?)"
    r"(?![\d/:])(?:\s*(sang|trua|chieu|toi|dem))?")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DATE = re.compile(r"(?<![\d:])(\d{1,2})\s*(?:/|\.|-|thang)\s*(\d{1,2})(?:\s*(?:/|\.|-|nam)\s*(\d{4}|\d{2}))?(?![\d:h])")
_WEEKDAY = re.compile(r"\b(?:thu\s*([2-7])|thu\s+(hai|ba|tu|nam|sau|bay)|t([2-7])|(cn|chu nhat))\b")
_NEXT_WEEK = re.compile(r"\btuan (?:sau|toi)\b")
_RELATIVE = re.compile(r"\b(hom nay|ngay mai|mai|ngay kia|ngay mot|mot)\b")
_FILLER = re.compile(r"\b(?:luc|vao|ngay|gio|nhe|a|khoang)\b|[,;]")


def _err(raw: str, why: str = "") -> WhenError:
    why = f" ({why})" if why else ""
    return WhenError(f"Không hiểu thời điểm «{raw}»{why}. Gõ theo một trong các cách: {ACCEPTED} "
                     "— giờ Việt Nam.")


def _iso(raw: str) -> datetime | None:
    """Full ISO 8601 with a T or an offset; an offset is converted to Vietnam time."""
    text = raw.strip()
    if "t" not in text.lower() and not re.search(r"(z|[+-]\d{2}:?\d{2})$", text, re.I):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
    return value


def parse_when(raw: str, now: datetime) -> datetime:
    """The local datetime `raw` names, relative to `now` (local, naive) where it is partial:
    no year -> the next such date; a weekday -> the next such day (today if still ahead);
    only a time -> today if still ahead, else tomorrow. A date needs a time."""
    if not raw or not raw.strip():
        raise _err(raw or "", "trống")
    iso = _iso(raw)
    if iso is not None:
        return iso.replace(second=0, microsecond=0)
    text = _fold(raw)
    spans: list[tuple[int, int]] = []  # what has been read, blanked out before the next search
    # Dates first, so "12/12/2026" is not read as times, then a time anywhere in what is left.
    day = _read_date(raw, text, spans, now)
    weekday, next_week = _read_weekday(text, spans)
    m = _RELATIVE.search(_mask(text, spans))
    relative = None
    if m:
        spans.append(m.span())
        relative = {"hom nay": 0, "ngay mai": 1, "mai": 1}.get(m[1], 2)
    at = _read_time(raw, text, spans)
    leftover = _FILLER.sub(" ", _mask(text, spans)).strip()
    if leftover:
        raise _err(raw, f"không rõ «{leftover}»")
    if sum(x is not None for x in (day, weekday, relative)) > 1:
        raise _err(raw, "vừa có ngày vừa có thứ")
    if day is not None:
        return datetime.combine(day, at)
    if relative is not None:
        return datetime.combine(now.date() + timedelta(days=relative), at)
    if weekday is not None:
        if next_week:  # that day of next calendar week (Monday to Sunday)
            monday = now.date() - timedelta(days=now.weekday()) + timedelta(days=7)
            return datetime.combine(monday + timedelta(days=weekday), at)
        ahead = (weekday - now.weekday()) % 7
        when = datetime.combine(now.date() + timedelta(days=ahead), at)
        return when if when > now else when + timedelta(days=7)
    when = datetime.combine(now.date(), at)
    return when if when > now else when + timedelta(days=1)


def _read_date(raw: str, text: str, spans: list[tuple[int, int]], now: datetime) -> date | None:
    """An ISO date, else a day/month[/year]; no year -> the next such date."""
    m = _ISO_DATE.search(text)
    if m:
        spans.append(m.span())
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise _err(raw, "ngày không có thật") from None
    m = _DATE.search(_mask(text, spans))
    if not m:
        return None
    spans.append(m.span())
    d, mo, y = int(m[1]), int(m[2]), m[3]
    year = (2000 + int(y) if len(y) == 2 else int(y)) if y else now.year
    try:
        day = date(year, mo, d)
    except ValueError:
        raise _err(raw, "ngày không có thật") from None
    if not y and day < now.date():
        try:
            day = date(year + 1, mo, d)
        except ValueError:  # 29/02 of a year that has none next
            raise _err(raw, "ngày không có thật") from None
    return day


def _read_weekday(text: str, spans: list[tuple[int, int]]) -> tuple[int | None, bool]:
    """(weekday, Monday = 0, or None; whether "tuần sau" moves it to next week)."""
    m = _WEEKDAY.search(_mask(text, spans))
    if not m:
        return None, False
    spans.append(m.span())
    if m[4]:
        weekday = 6
    elif m[2]:
        weekday = _WEEKDAY_WORDS[m[2]]
    else:
        weekday = int(m[1] or m[3]) - 2
    m = _NEXT_WEEK.search(_mask(text, spans))
    if m:  # "tuần sau" alone names no day: left over, refused by parse_when
        spans.append(m.span())
    return weekday, bool(m)


def _read_time(raw: str, text: str, spans: list[tuple[int, int]]) -> time:
    """The one time in what is left ("19h30", "8h sáng", "7 giờ tối")."""
    masked = _mask(text, spans)
    times = list(_TIME.finditer(masked))
    if len(times) > 1:
        raise _err(raw, "có hai giờ")
    if not times:
        unknown = re.sub(r"\b(?:sang|trua|chieu|toi|dem)\b", " ", _FILLER.sub(" ", masked)).strip()
        raise _err(raw, f"không rõ «{unknown}»" if unknown else "thiếu giờ")
    m = times[0]
    spans.append(m.span())
    hour, minute = int(m[1]), int(m[2] or m[3] or m[4] or 0)
    part = m[5]
    if part in ("chieu", "toi", "dem") and hour < 12:
        hour += 12
    elif part == "trua" and hour < 6:
        hour += 12
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise _err(raw, "giờ không có thật")
    return time(hour, minute)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the spans already read blanked out (same length, so offsets stay valid)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


DAY_FORMS = ("11/12/2026", "11/12", "2026-12-11", "hôm nay", "hôm qua")


def parse_day(raw: str, today: date) -> date:
    """A day as typed ("11/12/2026", "11/12", "2026-12-11", "hôm qua"); no year -> this year."""
    text = _fold(raw or "")
    relative = {"hom nay": 0, "nay": 0, "hom qua": -1, "qua": -1}.get(text)
    if relative is not None:
        return today + timedelta(days=relative)
    m = _ISO_DATE.fullmatch(text) or _DATE.fullmatch(text)
    if m is not None:
        if len(m[1]) == 4:
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
        else:
            d, mo = int(m[1]), int(m[2])
            y = (2000 + int(m[3]) if len(m[3]) == 2 else int(m[3])) if m[3] else today.year
        try:
            return date(y, mo, d)
        except ValueError:
            pass
    raise WhenError(f"Không hiểu ngày «{raw}». Gõ theo một trong các cách: "
                    + ", ".join(f"«{f}»" for f in DAY_FORMS) + ".")

"""Buddhist-Era dates and the Thai fiscal year (1 October – 30 September), docs/DOMAIN.md §6."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543

MONTHS_TH = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
MONTHS_TH_SHORT = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def be_year(ce_year: int) -> int:
    return ce_year + BE_OFFSET


def ce_year(be: int) -> int:
    return be - BE_OFFSET


def fiscal_year(d: date) -> int:
    """The Buddhist-Era fiscal year ``d`` falls in, named by the year it ends in."""
    return d.year + BE_OFFSET + (1 if d.month >= 10 else 0)


def fiscal_year_bounds(fy_be: int) -> tuple[date, date]:
    """First and last day of Buddhist-Era fiscal year ``fy_be``."""
    end_ce = ce_year(fy_be)
    return date(end_ce - 1, 10, 1), date(end_ce, 9, 30)


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BANGKOK)


def format_date(value: date | datetime | None, locale: str = "th", short: bool = False) -> str:
    """``26 พฤศจิกายน 2569`` in Thai, ``26 November 2026`` in English."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    if locale == "th":
        months = MONTHS_TH_SHORT if short else MONTHS_TH
        return f"{value.day} {months[value.month - 1]} {be_year(value.year)}"
    return (
        f"{value.day} {MONTHS_EN[value.month - 1][:3] if short else MONTHS_EN[value.month - 1]} {value.year}"
    )


def format_datetime(value: datetime | None, locale: str = "th") -> str:
    """Date as above plus Bangkok time: ``26 พฤศจิกายน 2569 13:05 น.``."""
    if value is None:
        return ""
    local = to_local(value)
    suffix = " น." if locale == "th" else ""
    return f"{format_date(local.date(), locale)} {local:%H:%M}{suffix}"


def today_local() -> date:
    return datetime.now(BANGKOK).date()

"""Thai government working days: Monday to Friday minus public holidays (rule data, versioned).

Version 1 listed each Buddhist-Era year's holidays by hand (2569–2570 only) and missed days the
cabinet added (2 January 2569) and government holidays (พืชมงคล, 13 May 2569); other years counted
Monday to Friday only. Version 2 takes every year from the ``holidays`` package (Thailand, categories
PUBLIC and GOVERNMENT: the days government offices close), drops Labour Day (observed only by the
private and financial sectors) and merges a small local list for cabinet announcements newer than the
package release.

Holidays are facts, not rules: a deadline computed with a missing holiday was wrong, not made under
an older rule, so every computation uses the current calendar (``CALENDAR``) and version 1 stays
only as a record of what was entered by hand. Update the package (or add to ``LOCAL_HOLIDAYS``) when
the cabinet announces a day; never change code.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import holidays as holidays_package

HOLIDAYS_V1 = {
    "version": 1,
    # Buddhist-Era year → (ISO date, Thai name). Dates marked "lunar" follow the Thai lunar calendar
    # and must be checked against the cabinet's announcement for that year.
    "years": {
        2569: [
            ("2026-01-01", "วันขึ้นปีใหม่"),
            ("2026-03-03", "วันมาฆบูชา"),  # lunar
            ("2026-04-06", "วันจักรี"),
            ("2026-04-13", "วันสงกรานต์"),
            ("2026-04-14", "วันสงกรานต์"),
            ("2026-04-15", "วันสงกรานต์"),
            ("2026-05-04", "วันฉัตรมงคล"),
            ("2026-06-01", "ชดเชยวันวิสาขบูชา"),  # lunar: 31 May is a Sunday
            ("2026-06-03", "วันเฉลิมพระชนมพรรษาสมเด็จพระราชินี"),
            ("2026-07-28", "วันเฉลิมพระชนมพรรษาพระบาทสมเด็จพระเจ้าอยู่หัว"),
            ("2026-07-29", "วันอาสาฬหบูชา"),  # lunar
            ("2026-07-30", "วันเข้าพรรษา"),  # lunar
            ("2026-08-12", "วันแม่แห่งชาติ"),
            ("2026-10-13", "วันนวมินทรมหาราช"),
            ("2026-10-23", "วันปิยมหาราช"),
            ("2026-12-07", "ชดเชยวันพ่อแห่งชาติ"),  # 5 December is a Saturday
            ("2026-12-10", "วันรัฐธรรมนูญ"),
            ("2026-12-31", "วันสิ้นปี"),
        ],
        2570: [
            ("2027-01-01", "วันขึ้นปีใหม่"),
            ("2027-02-22", "ชดเชยวันมาฆบูชา"),  # lunar: 21 February is a Sunday
            ("2027-04-06", "วันจักรี"),
            ("2027-04-13", "วันสงกรานต์"),
            ("2027-04-14", "วันสงกรานต์"),
            ("2027-04-15", "วันสงกรานต์"),
            ("2027-05-04", "วันฉัตรมงคล"),
            ("2027-05-20", "วันวิสาขบูชา"),  # lunar
            ("2027-06-03", "วันเฉลิมพระชนมพรรษาสมเด็จพระราชินี"),
            ("2027-07-19", "วันเข้าพรรษา"),  # lunar
            ("2027-07-20", "ชดเชยวันอาสาฬหบูชา"),  # lunar: 18 July is a Sunday
            ("2027-07-28", "วันเฉลิมพระชนมพรรษาพระบาทสมเด็จพระเจ้าอยู่หัว"),
            ("2027-08-12", "วันแม่แห่งชาติ"),
            ("2027-10-13", "วันนวมินทรมหาราช"),
            ("2027-10-25", "ชดเชยวันปิยมหาราช"),  # 23 October is a Saturday
            ("2027-12-06", "ชดเชยวันพ่อแห่งชาติ"),  # 5 December is a Sunday
            ("2027-12-10", "วันรัฐธรรมนูญ"),
            ("2027-12-31", "วันสิ้นปี"),
        ],
    },
}

# Cabinet special holidays announced after the ``holidays`` release pinned in pyproject (ISO date →
# Thai name). Empty while the package carries every announced day; add a line when the cabinet
# announces one at short notice, and drop it once the package has it.
LOCAL_HOLIDAYS: dict[str, str] = {}

# Plain data, so its values are of mixed types.
HOLIDAYS_V2: dict[str, Any] = {
    "version": 2,
    "source": {
        "package": "holidays",
        "country": "TH",
        # The days government offices close (PUBLIC and GOVERNMENT; not BANK, ARMED_FORCES, …).
        "categories": ("public", "government"),
        "language": "th",
    },
    # A day the package names only with these words is dropped: Labour Day and its substitute day
    # (วันแรงงานแห่งชาติ, ชดเชยวันแรงงานแห่งชาติ) are private- and financial-sector holidays.
    "exclude_names_containing": ("วันแรงงาน",),
    "local": LOCAL_HOLIDAYS,
}

CALENDAR = HOLIDAYS_V2

_YEAR_CACHE: dict[tuple[int, int], dict[date, str]] = {}


def _package_year(calendar: dict, ce_year: int) -> dict[date, str]:
    """One CE year's holidays under ``calendar`` (the current calendar's years are cached)."""
    cached = calendar is CALENDAR
    key = (calendar["version"], ce_year)
    if cached and key in _YEAR_CACHE:
        return _YEAR_CACHE[key]
    source = calendar["source"]
    found = holidays_package.country_holidays(
        source["country"], years=ce_year, categories=tuple(source["categories"]), language=source["language"]
    )
    days: dict[date, str] = {}
    for day, names in found.items():
        kept = [
            name
            for name in names.split("; ")
            if not any(word in name for word in calendar["exclude_names_containing"])
        ]
        if kept:
            days[day] = "; ".join(kept)
    for iso, name in calendar.get("local", {}).items():
        if (day := date.fromisoformat(iso)).year == ce_year:
            days[day] = name
    if cached:
        _YEAR_CACHE[key] = days
    return days


def _holidays_of(calendar: dict, years) -> dict[date, str]:
    if "years" in calendar:  # version 1: listed by hand
        return {date.fromisoformat(day): name for days in calendar["years"].values() for day, name in days}
    merged: dict[date, str] = {}
    for year in years:
        merged.update(_package_year(calendar, year))
    return merged


def _holiday_map(calendar: dict, start: date, end: date | None = None) -> dict[date, str]:
    return _holidays_of(calendar, range(start.year, (end or start).year + 1))


def holiday_name(day: date, calendar: dict = CALENDAR) -> str | None:
    """The public holiday's Thai name if ``day`` is one, else None."""
    return _holiday_map(calendar, day).get(day)


def is_working_day(day: date, calendar: dict = CALENDAR) -> bool:
    """Monday to Friday and not a public holiday of ``calendar``."""
    return day.weekday() < 5 and day not in _holiday_map(calendar, day)


def working_days_between(start: date, end: date, calendar: dict = CALENDAR) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` is not later).

    A request made on a Monday has waited 3 working days on the Thursday of an ordinary week.
    """
    if end <= start:
        return 0
    holidays = _holiday_map(calendar, start, end)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if day.weekday() < 5 and day not in holidays:
            count += 1
        day += timedelta(days=1)
    return count


def next_working_day(day: date, calendar: dict = CALENDAR) -> date:
    """``day`` if it is a working day, else the first working day after it.

    A period whose last day is a holiday ends on the next working day (ประมวลกฎหมายแพ่งและพาณิชย์
    มาตรา 193/8): a 15-day deadline landing on a holiday moves past it.
    """
    while not is_working_day(day, calendar):
        day += timedelta(days=1)
    return day


def covered_years(calendar: dict = CALENDAR) -> tuple[int, ...] | None:
    """Buddhist-Era years whose holidays the calendar lists; None when it covers every year."""
    if "years" in calendar:
        return tuple(sorted(calendar["years"]))
    return None

"""Thai government working days: Monday to Friday minus public holidays (rule data, versioned).

The holiday list is the cabinet's announcement for each Buddhist-Era year, with the substitute
weekday it gives when a holiday falls on a weekend. Lunar holidays (Makha, Visakha, Asanha Bucha,
Buddhist Lent) and special days move every year and the cabinet may add days at short notice, so
the list is data to keep up to date, not a rule to compute: add a year or a new version of the
calendar rather than changing code. Years not listed count Monday to Friday only.
"""

from __future__ import annotations

from datetime import date, timedelta

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

CALENDAR = HOLIDAYS_V1


def _holiday_map(calendar: dict) -> dict[date, str]:
    return {date.fromisoformat(day): name for days in calendar["years"].values() for day, name in days}


def holiday_name(day: date, calendar: dict = CALENDAR) -> str | None:
    """The public holiday's Thai name if ``day`` is one, else None."""
    return _holiday_map(calendar).get(day)


def is_working_day(day: date, calendar: dict = CALENDAR) -> bool:
    """Monday to Friday and not a public holiday of ``calendar``."""
    return day.weekday() < 5 and day not in _holiday_map(calendar)


def working_days_between(start: date, end: date, calendar: dict = CALENDAR) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` is not later).

    A request made on a Monday has waited 3 working days on the Thursday of an ordinary week.
    """
    holidays = _holiday_map(calendar)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if day.weekday() < 5 and day not in holidays:
            count += 1
        day += timedelta(days=1)
    return count


def covered_years(calendar: dict = CALENDAR) -> tuple[int, ...]:
    """Buddhist-Era years whose holidays the calendar lists."""
    return tuple(sorted(calendar["years"]))

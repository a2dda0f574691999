"""When a budget ordinance may be announced: the one rule the ordinance import and the action plan share.

The ordinance of fiscal year B.E. Y is the budget of 1 October Y-1 – 30 September Y. It is passed
before the year starts (draft to the council by 15 August, in force 1 October) or, when late, within
the year; an ordinance dated after the year ended is not that year's, and one dated more than
``EARLIEST_YEARS_BEFORE`` year before the year began is a typing slip (or another year's ordinance).
"""

from __future__ import annotations

from datetime import date

from eplan_flow.errors import InvalidInput
from eplan_flow.thaidate import fiscal_year_bounds, format_date

# How many years before its fiscal year begins an ordinance may be announced at the earliest.
EARLIEST_YEARS_BEFORE = 1


class OrdinanceDateOutsideYear(InvalidInput):
    """An ordinance's announcement date that cannot be the one of the fiscal year named."""

    code = "ordinance_date_outside_fiscal_year"


def ordinance_window(fiscal_year_be: int) -> tuple[date, date]:
    """The first and last day the budget ordinance of ``fiscal_year_be`` may be announced on."""
    start, end = fiscal_year_bounds(fiscal_year_be)
    return start.replace(year=start.year - EARLIEST_YEARS_BEFORE), end


def check_ordinance_announced_on(
    fiscal_year_be: int, announced_on: date, field: str = "ordinance_announced_on"
) -> date:
    """``announced_on`` if it fits the fiscal year's ordinance, else OrdinanceDateOutsideYear naming
    the fiscal year and the dates (Buddhist Era, as people read them)."""
    earliest, latest = ordinance_window(fiscal_year_be)
    if not earliest <= announced_on <= latest:
        raise OrdinanceDateOutsideYear(
            f"the budget ordinance of fiscal year {fiscal_year_be} is announced between "
            f"{earliest.isoformat()} and {latest.isoformat()}, not on {announced_on.isoformat()}",
            field=field,
            fiscal_year=fiscal_year_be,
            announced=format_date(announced_on),
            earliest=format_date(earliest),
            latest=format_date(latest),
        )
    return announced_on

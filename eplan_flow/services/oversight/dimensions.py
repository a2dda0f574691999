"""Oversight along every strategy dimension: the breakdowns of the LAOs a district office,
provincial office or DLA oversees, their drill-down and their downloads.

Read-only. The figures come from ``services/delivery/breakdowns.py``, the query the evaluation
report reads too: over the fiscal year (the October round's period, so a LAO's row here equals its
October report), the plan version in force at its end, planned / budgeted / completed projects,
ordinance budget and disbursements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eplan_flow import exports
from eplan_flow.errors import InvalidInput, NotFound
from eplan_flow.services.delivery import breakdowns, evaluation
from eplan_flow.services.delivery.breakdowns import DIMENSIONS, Metrics, Period, Row
from eplan_flow.services.oversight import status
from eplan_flow.services.oversight.status import Filters
from workflows.deadlines import evaluation_round_period

DIMENSION_TH = {
    "national_strategy": "ยุทธศาสตร์ชาติ 20 ปี",
    "master_plan": "แผนแม่บทภายใต้ยุทธศาสตร์ชาติ",
    "sub_plan": "แผนย่อยของแผนแม่บทภายใต้ยุทธศาสตร์ชาติ",
    "nesdp_milestone": "หมุดหมายแผนพัฒนาเศรษฐกิจและสังคมแห่งชาติ ฉบับที่ 13",
    "sdg": "เป้าหมายการพัฒนาที่ยั่งยืน (SDG)",
    "provincial_strategy": "ยุทธศาสตร์การพัฒนาจังหวัด",
    "province_lao_strategy": "ยุทธศาสตร์การพัฒนาของ อปท. ในเขตจังหวัด",
    "lao_strategy": "ยุทธศาสตร์การพัฒนาของ อปท.",
    "tactic": "กลยุทธ์ของ อปท.",
}
UNLINKED_TH = {"lao_strategy": "ไม่ระบุยุทธศาสตร์", "tactic": "ไม่ระบุกลยุทธ์"}
EXPORT_HEADERS = (
    "มิติ",
    "รหัส",
    "รายการ",
    "อปท.",
    "โครงการตามแผน",
    "งบประมาณตามแผน (บาท)",
    "โครงการที่ตั้งงบประมาณ",
    "งบประมาณตามข้อบัญญัติ (บาท)",
    "เบิกจ่ายแล้ว (บาท)",
    "โครงการที่ดำเนินการแล้วเสร็จ",
)


def year_period(fiscal_year_be: int) -> Period:
    """The whole fiscal year, as the October round of the evaluation report covers it."""
    start, end = evaluation_round_period(fiscal_year_be, "october")
    return Period(fiscal_year_be, start, end)


@dataclass
class Breakdowns:
    """The breakdowns of the LAOs in scope along ``dimensions``; ``rows[dimension]`` in order."""

    filters: Filters
    period: Period
    provinces: list[tuple[str, str, int]]
    districts: list[tuple[str, str]]
    rows: dict[str, list[Row]] = field(default_factory=dict)
    needs_province: bool = False

    def totals(self, dimension: str) -> Metrics:
        """The dimension's rows summed (a project linked to several items counts under each)."""
        total = Metrics()
        for row in self.rows.get(dimension, []):
            total.add(row.metrics)
        return total


def _scope(user, filters: Filters) -> tuple[Filters, list[tuple[str, str, int]], bool]:
    status._require_overseer(user)
    provinces = status.provinces_for(user)
    filters = status._province_filter(user, filters, provinces)
    needs_province = filters.province is None and status.is_national(user)
    return filters, provinces, needs_province


def shown() -> tuple[str, ...]:
    """The dimensions the pages offer: every one, the sub-plans only where the catalogue has them."""
    return breakdowns.with_items(DIMENSIONS)


def breakdowns_for(user, filters: Filters, dimensions: tuple[str, ...] | None = None) -> Breakdowns:
    """The breakdowns along ``dimensions`` (default: those ``shown``) over the LAOs ``user`` oversees
    that pass ``filters`` (one statement for all of them); a national reader picks a province first."""
    dimensions = shown() if dimensions is None else dimensions
    for dimension in dimensions:
        _check(dimension)
    filters, provinces, needs_province = _scope(user, filters)
    period = year_period(filters.fiscal_year_be)
    if needs_province:
        return Breakdowns(filters, period, provinces, [], needs_province=True)
    org_ids = status.scoped_lao_ids(user, filters)
    lines = breakdowns.lines(org_ids, period, dimensions)
    result = Breakdowns(filters, period, provinces, status._districts(user, filters))
    for dimension in dimensions:
        result.rows[dimension] = breakdowns.rows(dimension, lines[dimension], name_lao=True)
    return result


def drill_down(user, filters: Filters, dimension: str, key: int | None):
    """The heading and projects of one row of a breakdown over the LAOs ``user`` oversees, with why
    each is not counted; an item or another LAO's strategy outside that scope is not found."""
    _check(dimension)
    filters, _provinces, needs_province = _scope(user, filters)
    if needs_province:
        raise InvalidInput("choose a province", field="province")
    org_ids = status.scoped_lao_ids(user, filters)
    name = _row_name(dimension, key, org_ids)
    projects = breakdowns.drill_down(org_ids, year_period(filters.fiscal_year_be), dimension, key)
    return filters, name, projects


def lao_drill_down(user, org_id: int, fiscal_year_be: int, round: str, dimension: str, key: int | None):
    """The heading and projects of one LAO under one row of its evaluation report's breakdown (the
    round's period), for whoever may read the LAO."""
    _check(dimension)
    org = evaluation.get_lao(user, org_id)
    try:
        start, end = evaluation_round_period(fiscal_year_be, round)
    except ValueError as exc:  # an unknown round is a page that does not exist
        raise NotFound(f"no round {round!r}", round=round) from exc
    period = Period(fiscal_year_be, start, end)
    name = _row_name(dimension, key, [org.id])
    return org, period, name, breakdowns.drill_down([org.id], period, dimension, key)


def _row_name(dimension: str, key: int | None, org_ids) -> str | None:
    try:
        return breakdowns.label(dimension, key, org_ids)
    except KeyError as exc:
        raise NotFound(f"no row {key} of {dimension}", key=key) from exc


def _check(dimension: str) -> None:
    if dimension not in DIMENSIONS:
        raise NotFound(f"no dimension {dimension!r}", dimension=dimension)


def row_label(row: Row) -> str:
    """The row's name in Thai, as the downloads write it."""
    if row.unlinked:
        return UNLINKED_TH.get(row.dimension, "ไม่เชื่อมโยง")
    return row.name


# -- downloads ---------------------------------------------------------------------------------------
def export_rows(result: Breakdowns) -> list[list]:
    out = []
    for dimension, rows in result.rows.items():
        for row in rows:
            m = row.metrics
            out.append(
                [
                    DIMENSION_TH[dimension],
                    row.code,
                    row_label(row),
                    row.lao,
                    m.planned,
                    m.planned_budget,
                    m.budgeted,
                    m.budget,
                    m.disbursed,
                    m.completed,
                ]
            )
    return out


def to_csv(result: Breakdowns) -> bytes:
    return exports.csv_bytes(EXPORT_HEADERS, export_rows(result))


def to_xlsx(result: Breakdowns) -> bytes:
    return exports.xlsx_bytes(
        f"มิติ ปีงบประมาณ {result.filters.fiscal_year_be}", EXPORT_HEADERS, export_rows(result)
    )


__all__ = [
    "DIMENSIONS",
    "DIMENSION_TH",
    "EXPORT_HEADERS",
    "Breakdowns",
    "breakdowns_for",
    "drill_down",
    "export_rows",
    "lao_drill_down",
    "row_label",
    "shown",
    "to_csv",
    "to_xlsx",
    "year_period",
]

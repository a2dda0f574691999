"""Oversight rollups: each LAO's figures per fiscal year, kept up to date from the change log, and
the national table DLA reads (one row per province) built from them.

Every committed write that can move an LAO's figures (an execution, payment, transfer, plan, project
record, strategy or their links; migration 0027's triggers) notes the LAO in ``oversight_change``
in the writer's own transaction. ``refresh`` takes the LAOs noted, recomputes their figures with
the very functions the pages used to compute them per request (``status.money_figures`` and
``status.planned_counts``), replaces their rows of ``oversight_figures`` and deletes exactly the
change rows it read, in one transaction: a change committed while it ran keeps its row and is taken
by the next run.

How fresh: the scheduler runs ``refresh_oversight_figures`` every ``REFRESH_SECONDS`` seconds
(``eplan scheduler``), and without Redis the web process runs it on its job thread as often; a
change is in the rollups within that interval plus one refresh (``bench/national.py`` measures
it). The pages do not wait for it: ``status.rolled_up_figures`` computes an LAO with a change not
yet taken in live, so every page is exact at every read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, delete, func, insert, select

from eplan_flow import exports
from eplan_flow.config import OVERSIGHT_REFRESH_SECONDS
from eplan_flow.errors import InvalidInput
from eplan_flow.extensions import db
from eplan_flow.models import (
    Organisation,
    OversightChange,
    OversightFigures,
    Plan,
    ProjectExecution,
    Province,
)
from eplan_flow.models._types import utcnow
from eplan_flow.models.oversight import NO_ITEM, TOTAL
from eplan_flow.permissions import visible_org_clause
from eplan_flow.services.oversight import status
from eplan_flow.services.planning import deadlines
from workflows.deadlines import DEADLINES_V1

REFRESH_SECONDS = OVERSIGHT_REFRESH_SECONDS  # config's, which the in-process runner reads too
BATCH_LAOS = 200  # LAOs recomputed per transaction
# pg_advisory_xact_lock key: one refresh at a time (two would replace the same rows at once).
_LOCK_KEY = 0x0E9A1_F16


def pending() -> tuple[int, datetime | None]:
    """How many LAOs have changes the rollups have not taken in, and since when."""
    count, oldest = db.session.execute(
        select(
            func.count(func.distinct(OversightChange.organisation_id)), func.min(OversightChange.changed_at)
        )
    ).one()
    return int(count), oldest


def refresh(batch: int = BATCH_LAOS) -> int:
    """Recompute the figures of up to ``batch`` LAOs with changes, in one transaction; return how many."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
    laos = (
        select(OversightChange.organisation_id)
        .group_by(OversightChange.organisation_id)
        .order_by(func.min(OversightChange.id))
        .limit(batch)
        .subquery()
    )
    read = session.execute(
        select(OversightChange.id, OversightChange.organisation_id).where(
            OversightChange.organisation_id.in_(select(laos.c.organisation_id))
        )
    ).all()
    if not read:
        session.rollback()
        return 0
    org_ids = sorted({org_id for _, org_id in read})
    rows = compute(org_ids)
    session.execute(delete(OversightFigures).where(OversightFigures.organisation_id.in_(org_ids)))
    for start in range(0, len(rows), 5000):
        session.execute(insert(OversightFigures), rows[start : start + 5000])
    ids = [change_id for change_id, _ in read]
    for start in range(0, len(ids), 5000):
        session.execute(delete(OversightChange).where(OversightChange.id.in_(ids[start : start + 5000])))
    session.commit()
    return len(org_ids)


def refresh_all(batch: int = BATCH_LAOS) -> int:
    """Refresh batch after batch until no change is left; return how many LAOs were refreshed."""
    total = 0
    while n := refresh(batch):
        total += n
    return total


def mark_all() -> int:
    """Note every LAO as changed (``eplan rollups rebuild``, after loading data with triggers off);
    return how many."""
    laos = select(Organisation.id).where(Organisation.kind == "lao")
    count = db.session.scalar(select(func.count()).select_from(laos.subquery()))
    db.session.execute(
        insert(OversightChange).from_select(["organisation_id", "changed_at"], laos.add_columns(func.now()))
    )
    db.session.commit()
    return int(count or 0)


def _years(org_ids: list[int]) -> list[int]:
    """The fiscal years these LAOs have figures in: their executions' and their plans' in force."""
    years = set(
        db.session.scalars(
            select(ProjectExecution.fiscal_year_be)
            .where(ProjectExecution.organisation_id.in_(org_ids))
            .distinct()
        )
    )
    span = DEADLINES_V1["period"]["years"]
    for start in db.session.scalars(
        select(Plan.period_start_be)
        .where(Plan.organisation_id.in_(org_ids), Plan.current_version > 0)
        .distinct()
    ):
        years.update(range(start, start + span))
    return sorted(years)


def compute(org_ids: list[int]) -> list[dict]:
    """The ``oversight_figures`` rows of these LAOs, from the base tables (the pages' own queries)."""
    now = utcnow()
    rows: list[dict] = []
    for year in _years(org_ids):
        planned = status.planned_counts(org_ids, status.period_start_for(year), year)
        by_lao: dict[int, status.Money] = {}
        with_executions = org_ids
        for dimension in status.DIMENSIONS:
            # Every call also sums per LAO (a GROUP BY over the executions it has read anyway); the
            # first one tells which LAOs have executions that year, and only those are read again.
            figures, by_item = status.money_figures(with_executions, year, dimension)
            by_lao = by_lao or figures
            rows.extend(
                _row(org_id, year, dimension, item_id or NO_ITEM, 0, money, now)
                for (org_id, item_id), money in by_item.items()
            )
            with_executions = sorted(by_lao)
            if not with_executions:
                break  # no executions that year: no dimension has figures either
        for org_id in sorted(set(by_lao) | set(planned)):
            rows.append(_row(org_id, year, TOTAL, NO_ITEM, planned.get(org_id, 0), by_lao.get(org_id), now))
    return rows


def _row(org_id, year, dimension, item_id, planned, money, now) -> dict:
    money = money or status.Money()
    return {
        "organisation_id": org_id,
        "fiscal_year_be": year,
        "dimension": dimension,
        "item_id": item_id,
        "planned": planned,
        "executions": money.executions,
        "counted": money.counted,
        "budget": money.budget,
        "disbursed": money.disbursed,
        "refreshed_at": now,
    }


# -- the national table ------------------------------------------------------------------------------
@dataclass
class ProvinceRow:
    """One province on DLA's national table: its LAOs, plans in force and the year's figures."""

    code: str
    name: str
    laos: int = 0
    with_plan: int = 0  # LAOs whose plan of the period is in force (announced at least once)
    planned: int = 0
    executions: int = 0
    counted: int = 0
    budget: Decimal = status.ZERO
    disbursed: Decimal = status.ZERO
    overdue: int = 0  # what is overdue in its LAOs, as its own page counts it (live)

    @property
    def execution_rate(self) -> Decimal | None:
        return status.percent(Decimal(self.counted), Decimal(self.executions))

    @property
    def disbursement_rate(self) -> Decimal | None:
        return status.percent(self.disbursed, self.budget)


@dataclass
class National:
    fiscal_year_be: int
    period_start_be: int
    provinces: list[ProvinceRow]
    pending_laos: int = 0  # LAOs computed live because the rollups had not taken their change in
    refreshed_at: datetime | None = None
    totals: ProvinceRow = field(default_factory=lambda: ProvinceRow("", ""))
    bars: list[status.DimensionBar] = field(default_factory=list)  # the year's money by a dimension


def national(user, fiscal_year_be: int, dimension: str | None = None, today: date | None = None) -> National:
    """Every province ``user`` oversees with its LAOs' figures summed: the rollups for the LAOs
    nothing has touched since their refresh, the live figures for the others (few, normally); and
    what is overdue in each, live (deadlines move with the date and with steps the rollups do not
    follow). With a strategy ``dimension``, also the year's money by its items over the whole table,
    as a province's page charts it for its LAOs."""
    if dimension is not None and dimension not in status.DIMENSIONS:
        raise InvalidInput(f"unknown dimension {dimension!r}", field="dimension")
    start = status.period_start_for(fiscal_year_be)
    in_scope = and_(
        Organisation.kind == "lao", Organisation.is_active.is_(True), visible_org_clause(user, Organisation)
    )
    provinces: dict[str, ProvinceRow] = {}
    laos = (
        select(
            Organisation.province_code,
            func.count(Organisation.id),
            func.count(Plan.id),
        )
        .outerjoin(
            Plan,
            and_(
                Plan.organisation_id == Organisation.id,
                Plan.period_start_be == start,
                Plan.current_version > 0,
            ),
        )
        .where(in_scope)
        .group_by(Organisation.province_code)
    )
    names = dict(db.session.execute(select(Province.code, Province.name_th)).all())
    for code, n, with_plan in db.session.execute(laos):
        provinces[code or ""] = ProvinceRow(code or "", names.get(code or "", code or "—"), n, with_plan)

    changed = select(OversightChange.organisation_id).distinct()
    F = OversightFigures
    sums = _rolled_up_sums(
        in_scope,
        changed,
        fiscal_year_be,
        TOTAL,
        Organisation.province_code,
        func.sum(F.planned),
        func.sum(F.executions),
        func.sum(F.counted),
        func.sum(F.budget),
        func.sum(F.disbursed),
        func.max(F.refreshed_at),
    )
    refreshed_at = None
    for code, planned, n, counted, budget, paid, refreshed in sums:
        row = provinces[code or ""]
        row.planned += int(planned or 0)
        row.executions += int(n or 0)
        row.counted += int(counted or 0)
        row.budget += Decimal(budget or 0)
        row.disbursed += Decimal(paid or 0)
        refreshed_at = max(filter(None, (refreshed_at, refreshed)), default=None)

    province_of = dict(
        db.session.execute(
            select(Organisation.id, Organisation.province_code).where(in_scope, Organisation.id.in_(changed))
        ).all()
    )
    live_ids = list(province_of)
    bars: dict[int | None, status.Money] = {}
    if dimension is not None:
        bars = _money_by_item(in_scope, changed, fiscal_year_be, dimension)
    if live_ids:
        by_lao, by_item = status.money_figures(live_ids, fiscal_year_be, dimension)
        for (_org_id, item_id), money in by_item.items():
            status.add_money(bars.setdefault(item_id, status.Money()), money)
        for org_id, money in by_lao.items():
            row = provinces[province_of[org_id] or ""]
            row.executions += money.executions
            row.counted += money.counted
            row.budget += money.budget
            row.disbursed += money.disbursed
        for org_id, n in status.planned_counts(live_ids, start, fiscal_year_be).items():
            provinces[province_of[org_id] or ""].planned += n

    _add_overdue(provinces, user, today)

    rows = sorted(provinces.values(), key=lambda r: r.code)
    totals = ProvinceRow("", "")
    for row in rows:
        for name in (
            "laos",
            "with_plan",
            "planned",
            "executions",
            "counted",
            "budget",
            "disbursed",
            "overdue",
        ):
            setattr(totals, name, getattr(totals, name) + getattr(row, name))
    chart = status.bars_of(dimension, bars) if dimension is not None else []
    return National(fiscal_year_be, start, rows, len(live_ids), refreshed_at, totals, chart)


def _money_by_item(in_scope, changed, fiscal_year_be: int, dimension: str) -> dict[int | None, status.Money]:
    """The rollups' money per item of ``dimension``, summed over the LAOs in scope they hold."""
    F = OversightFigures
    sums = _rolled_up_sums(
        in_scope,
        changed,
        fiscal_year_be,
        dimension,
        F.item_id,
        func.sum(F.executions),
        func.sum(F.budget),
        func.sum(F.disbursed),
    )
    return {
        (item_id if item_id != NO_ITEM else None): status.Money(
            int(n or 0), 0, Decimal(budget or 0), Decimal(paid or 0)
        )
        for item_id, n, budget, paid in sums
    }


def _rolled_up_sums(in_scope, changed, fiscal_year_be: int, dimension: str, key, *sums):
    """The rollups' rows of ``dimension`` for the year, of the LAOs in scope with no change waiting,
    summed by ``key``."""
    F = OversightFigures
    return db.session.execute(
        select(key, *sums)
        .join(Organisation, Organisation.id == F.organisation_id)
        .where(
            in_scope,
            F.fiscal_year_be == fiscal_year_be,
            F.dimension == dimension,
            F.organisation_id.not_in(changed),
        )
        .group_by(key)
    ).all()


def _add_overdue(provinces: dict[str, ProvinceRow], user, today: date | None) -> None:
    """Each province's overdue items: those its own page lists, LAO by LAO (``status._add_overdue``)."""
    for code, n in deadlines.overdue_by_province(user, today).items():
        if code in provinces:
            provinces[code].overdue += n


def to_csv(board: National) -> bytes:
    """The national table as CSV (UTF-8 with a byte-order mark, so Excel opens the Thai as Thai)."""
    return exports.csv_bytes(NATIONAL_HEADERS, national_rows(board))


def to_xlsx(board: National) -> bytes:
    """The national table as an Excel workbook."""
    return exports.xlsx_bytes(f"ปีงบประมาณ {board.fiscal_year_be}", NATIONAL_HEADERS, national_rows(board))


def national_rows(board: National) -> list[list]:
    """The national table as spreadsheet rows (the CSV and xlsx downloads)."""
    return [
        [
            row.code,
            row.name,
            row.laos,
            row.with_plan,
            row.planned,
            row.executions,
            row.counted,
            row.execution_rate,
            row.budget,
            row.disbursed,
            row.disbursement_rate,
            row.overdue,
        ]
        for row in board.provinces
    ]


NATIONAL_HEADERS = (
    "รหัสจังหวัด",
    "จังหวัด",
    "จำนวน อปท.",
    "อปท. ที่มีแผนใช้บังคับ",
    "โครงการตามแผนของปี",
    "โครงการที่ตั้งงบประมาณ",
    "โครงการที่ดำเนินการแล้วเสร็จ",
    "ร้อยละการดำเนินการ",
    "งบประมาณหลังโอน (บาท)",
    "เบิกจ่ายแล้ว (บาท)",
    "ร้อยละการเบิกจ่าย",
    "รายการที่เลยกำหนด",
)

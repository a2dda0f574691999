"""The oversight table: for every LAO a district office, provincial office or DLA oversees, its plan,
latest revision, submission, execution and disbursement rates, evaluation report and what is overdue.

Read-only. The table costs a fixed handful of set-based queries (LAOs with their plan, latest
revisions, execution money, evaluation reports, and the two overdue queries of
``services/planning/deadlines.py``), however many LAOs are in scope: a province has up to 334. The money
follows ``services/delivery/execution.py``: a project counts as completed only in the state
``completed`` (which it enters only with a contract, disbursed in full against it and 100 % done);
the available budget is the ordinance amount plus transfers in, minus transfers out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import True_

from eplan_flow import exports, thaidate
from eplan_flow.collation import thai_key
from eplan_flow.errors import InvalidInput, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import (
    LAO_TYPES,
    PLAN_YEARS,
    BudgetTransfer,
    CatalogueItem,
    Disbursement,
    District,
    EvaluationReport,
    Organisation,
    OversightChange,
    OversightFigures,
    Plan,
    ProjectExecution,
    ProjectRecord,
    Province,
    Revision,
    lao_strategy_link,
    project_link,
)
from eplan_flow.models.oversight import TOTAL
from eplan_flow.permissions import OVERSIGHT_ROLES, can_oversee, visible_org_clause
from eplan_flow.services.planning import deadlines
from workflows import REGISTRY, UnknownWorkflow, counting
from workflows import deadlines as deadline_rules
from workflows.deadlines import DEADLINES_V1
from workflows.plan import PLAN_V1

ZERO = Decimal("0.00")
# The one state that counts as completed (execution.completion_status reads it the same way).
COUNTED_STATE = "completed"
# The strategy dimensions a budget chart may be drawn by (catalogue names).
DIMENSIONS = ("national_strategy", "nesdp_milestone", "sdg")
NO_PLAN = "none"
SORT_KEYS = (
    "code",
    "name",
    "type",
    "district",
    "plan_status",
    "plan_version",
    "revision",
    "submission",
    "execution_rate",
    "disbursement_rate",
    "evaluation",
    "overdue",
)
# Submission of the plan to the district and province, in the order a sort shows them.
SUBMISSION_ORDER = ("overdue", "due", "submitted", "acknowledged", "not_announced")


# -- who ---------------------------------------------------------------------------------------------
def may_oversee(user) -> bool:
    """Whether ``user`` holds a district, provincial or national oversight grant."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return False
    return can_oversee(user)


def is_national(user) -> bool:
    return isinstance(visible_org_clause(user, Organisation), True_)


def _require_overseer(user) -> None:
    if not may_oversee(user):
        raise PermissionDenied(
            "only district and provincial offices and DLA see the oversight table",
            roles=sorted(OVERSIGHT_ROLES),
        )


# -- what ----------------------------------------------------------------------------------------------
def period_start_for(fiscal_year_be: int, rules: dict = DEADLINES_V1) -> int:
    """The first fiscal year of the five-year plan period ``fiscal_year_be`` falls in."""
    anchor, years = rules["period"]["anchor_start_be"], rules["period"]["years"]
    return anchor + ((fiscal_year_be - anchor) // years) * years


@dataclass(frozen=True)
class Filters:
    fiscal_year_be: int
    province: str | None = None
    district: str | None = None
    lao_type: str | None = None
    plan_status: str | None = None  # a plan state, or NO_PLAN
    overdue_only: bool = False
    sort: str = "code"
    descending: bool = False

    @classmethod
    def parse(cls, args, default_year: int | None = None) -> Filters:
        """Filters from query parameters; anything unknown is ignored rather than refused."""
        year = default_year or thaidate.fiscal_year(thaidate.today_local())
        raw_year = (args.get("year") or "").strip()
        if raw_year.isdigit() and 2500 <= int(raw_year) <= 2700:
            year = int(raw_year)
        province = (args.get("province") or "").strip()
        district = (args.get("district") or "").strip()
        lao_type = args.get("type") or None
        status = args.get("status") or None
        sort = args.get("sort") or "code"
        return cls(
            fiscal_year_be=year,
            province=province if len(province) == 2 and province.isdigit() else None,
            district=district if len(district) == 4 and district.isdigit() else None,
            lao_type=lao_type if lao_type in LAO_TYPES else None,
            plan_status=status if status == NO_PLAN or status in PLAN_V1["states"] else None,
            overdue_only=args.get("overdue") in ("1", "on", "true", "y"),
            sort=sort if sort in SORT_KEYS else "code",
            descending=args.get("dir") == "desc",
        )

    def query_args(self, **changes) -> dict:
        """These filters as query parameters (for links that keep them), with ``changes`` applied."""
        f = replace(self, **changes) if changes else self
        args = {
            "year": f.fiscal_year_be,
            "province": f.province,
            "district": f.district,
            "type": f.lao_type,
            "status": f.plan_status,
            "overdue": "1" if f.overdue_only else None,
            "sort": f.sort if f.sort != "code" else None,
            "dir": "desc" if f.descending else None,
        }
        return {k: v for k, v in args.items() if v is not None}


@dataclass
class LaoRow:
    organisation_id: int
    code: str
    name: str
    lao_type: str | None  # as the organisation row has it
    district_code: str | None
    district_name: str
    plan_id: int | None = None
    plan_title: str | None = None
    plan_status: str | None = None
    plan_status_label: str = ""
    plan_version: int | None = None
    revision_id: int | None = None
    revision_title: str | None = None
    revision_status_label: str = ""
    submission: str = "not_announced"
    submission_due: date | None = None
    planned: int = 0  # projects of the plan in force with a budget line this year (workflows/counting.py)
    executions: int = 0
    counted: int = 0
    budget: Decimal = ZERO
    disbursed: Decimal = ZERO
    evaluation_id: int | None = None
    evaluation_round: str | None = None
    evaluation_status_label: str = ""
    overdue: list = field(default_factory=list)

    @property
    def type_label(self) -> str | None:
        return LAO_TYPES.get(self.lao_type or "", self.lao_type)

    @property
    def execution_rate(self) -> Decimal | None:
        """Projects counted as completed per 100 budgeted in the fiscal year."""
        return percent(Decimal(self.counted), Decimal(self.executions))

    @property
    def disbursement_rate(self) -> Decimal | None:
        """Baht disbursed per 100 of the available budget (ordinance plus transfers)."""
        return percent(self.disbursed, self.budget)

    @property
    def overdue_count(self) -> int:
        return len(self.overdue)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"))


@dataclass
class Dashboard:
    filters: Filters
    period_start_be: int
    rows: list[LaoRow]
    in_scope: int  # LAOs in scope before the plan-status and overdue filters
    provinces: list[tuple[str, str, int]]  # (code, name, LAOs) the viewer may pick from
    districts: list[tuple[str, str]]
    needs_province: bool = False
    bars: list = field(default_factory=list)  # DimensionBar, when a dimension was asked for

    @property
    def totals(self) -> LaoRow:
        total = LaoRow(0, "", "", "", None, "")
        for row in self.rows:
            total.planned += row.planned
            total.executions += row.executions
            total.counted += row.counted
            total.budget += row.budget
            total.disbursed += row.disbursed
        return total

    def by_district(self) -> list[LaoRow]:
        """Progress per district of the rows shown (one LaoRow-shaped total per district)."""
        groups: dict[str, LaoRow] = {}
        for row in self.rows:
            key = row.district_code or ""
            group = groups.setdefault(
                key, LaoRow(0, key, row.district_name or "—", "", key, row.district_name)
            )
            group.executions += row.executions
            group.counted += row.counted
            group.budget += row.budget
            group.disbursed += row.disbursed
        return sorted(groups.values(), key=lambda g: g.code)

    def district_groups(self) -> list[DistrictGroup]:
        """The rows shown, grouped by district (districts by code, rows in the order asked for)."""
        totals = {group.code: group for group in self.by_district()}
        groups: dict[str, DistrictGroup] = {}
        for row in self.rows:
            key = row.district_code or ""
            groups.setdefault(key, DistrictGroup(totals[key], [])).rows.append(row)
        return [groups[key] for key in sorted(groups)]


@dataclass
class DistrictGroup:
    """One district's LAOs on the board and their sums (a LaoRow-shaped total)."""

    total: LaoRow
    rows: list[LaoRow]

    @property
    def overdue_count(self) -> int:
        return sum(row.overdue_count for row in self.rows)

    @property
    def without_plan(self) -> int:
        return sum(1 for row in self.rows if row.plan_id is None)


# -- the table -----------------------------------------------------------------------------------------
def _lao_conditions(user, filters: Filters) -> list:
    conditions = [
        Organisation.kind == "lao",
        Organisation.is_active.is_(True),
        visible_org_clause(user, Organisation),
    ]
    if filters.province:
        conditions.append(Organisation.province_code == filters.province)
    if filters.district:
        conditions.append(Organisation.district_code == filters.district)
    if filters.lao_type:
        conditions.append(Organisation.lao_type == filters.lao_type)
    return conditions


def scoped_lao_ids(user, filters: Filters):
    """A subquery of the ids of the LAOs in ``user``'s scope that pass the SQL-level filters."""
    return select(Organisation.id).where(*_lao_conditions(user, filters))


def _label(workflow: str, version: int | None, state: str | None, locale: str) -> str:
    if not state:
        return ""
    try:
        return REGISTRY.get(workflow, version).label(state, locale)
    except UnknownWorkflow:
        try:
            return REGISTRY.get(workflow).label(state, locale)
        except UnknownWorkflow:
            return state


def execution_money(org_ids, fiscal_year_be: int):
    """Per execution of the year: its LAO, plan, project, status, available budget and paid total.

    One pass over the year's executions joined to their disbursements, grouped by execution, and
    to their transfers summed per execution beforehand (at most one row each, so nothing is counted
    twice). A correlated sum of transfers reads the same but its cost estimate sets PostgreSQL's JIT
    compiler off, which costs more than the query (measured in bench/oversight.py).
    """
    E = ProjectExecution
    executions = select(E.id).where(E.fiscal_year_be == fiscal_year_be, E.organisation_id.in_(org_ids))
    moved = (
        select(
            BudgetTransfer.execution_id,
            func.sum(
                case(
                    (BudgetTransfer.kind == "transfer_in", BudgetTransfer.amount),
                    else_=-BudgetTransfer.amount,
                )
            ).label("moved"),
        )
        .where(BudgetTransfer.execution_id.in_(executions))
        .group_by(BudgetTransfer.execution_id)
        .subquery()
    )
    return (
        select(
            E.id,
            E.organisation_id,
            E.plan_id,
            E.project_no,
            E.status,
            E.contract_amount,
            E.progress_percent,
            (E.budgeted_amount + func.coalesce(func.max(moved.c.moved), 0)).label("available"),
            func.coalesce(func.sum(Disbursement.amount), 0).label("paid"),
        )
        .outerjoin(Disbursement, Disbursement.execution_id == E.id)
        .outerjoin(moved, moved.c.execution_id == E.id)
        .where(E.fiscal_year_be == fiscal_year_be, E.organisation_id.in_(org_ids))
        .group_by(E.id)
    )


@dataclass
class Money:
    """Projects budgeted, counted as completed, available budget and disbursed (of one LAO or item)."""

    executions: int = 0
    counted: int = 0
    budget: Decimal = ZERO
    disbursed: Decimal = ZERO


def _dimension_links(org_ids, dimension: str):
    """(record_id, item_id) of the current project records of these LAOs' plans and the items of
    ``dimension`` they link to: the project's own links, else its LAO strategy's (ยท.01)."""
    plans_in_scope = select(Plan.id).where(Plan.organisation_id.in_(org_ids))
    current = and_(ProjectRecord.valid_to.is_(None), ProjectRecord.plan_id.in_(plans_in_scope))
    own_item = (
        select(project_link.c.record_id, project_link.c.item_id)
        .join(CatalogueItem, CatalogueItem.id == project_link.c.item_id)
        .where(CatalogueItem.catalogue == dimension)
    )
    has_own = exists(own_item.where(project_link.c.record_id == ProjectRecord.id))
    strategy_item = (
        select(ProjectRecord.id.label("record_id"), lao_strategy_link.c.item_id)
        .join(lao_strategy_link, lao_strategy_link.c.strategy_id == ProjectRecord.strategy_id)
        .join(CatalogueItem, CatalogueItem.id == lao_strategy_link.c.item_id)
        .where(CatalogueItem.catalogue == dimension, current, ~has_own)
    )
    return union_all(
        own_item.where(project_link.c.record_id.in_(select(ProjectRecord.id).where(current))),
        strategy_item,
    ).subquery()


def money_figures(org_ids, fiscal_year_be: int, dimension: str | None = None):
    """The year's money per LAO and, with a ``dimension``, per LAO and linked item, in ONE statement.

    The executions are read once (a CTE both branches share). Returns ``{org_id: Money}`` and
    ``{(org_id, item_id or None): Money}`` (None: linked to no item of the dimension); a project
    linked to several items counts under each.
    """
    if dimension is not None and dimension not in DIMENSIONS:
        raise InvalidInput(f"unknown dimension {dimension!r}", field="dimension")
    money = execution_money(org_ids, fiscal_year_be).cte("money")
    counted = money.c.status == COUNTED_STATE
    per_lao = select(
        literal("lao").label("kind"),
        money.c.organisation_id,
        cast(null(), Integer).label("item_id"),
        func.count().label("n"),
        func.sum(case((counted, 1), else_=0)).label("counted"),
        func.sum(money.c.available).label("budget"),
        func.sum(money.c.paid).label("paid"),
    ).group_by(money.c.organisation_id)
    statement: Select | CompoundSelect = per_lao
    if dimension is not None:
        links = _dimension_links(org_ids, dimension)
        per_item = (
            select(
                literal("item"),
                money.c.organisation_id,
                links.c.item_id,
                func.count(),
                literal(0),
                func.sum(money.c.available),
                func.sum(money.c.paid),
            )
            .select_from(money)
            .join(
                ProjectRecord,
                and_(
                    ProjectRecord.plan_id == money.c.plan_id,
                    ProjectRecord.project_no == money.c.project_no,
                    ProjectRecord.valid_to.is_(None),
                ),
            )
            .outerjoin(links, links.c.record_id == ProjectRecord.id)
            .group_by(money.c.organisation_id, links.c.item_id)
        )
        statement = union_all(per_lao, per_item)
    by_lao: dict[int, Money] = {}
    by_item: dict[tuple[int, int | None], Money] = {}
    for kind, org_id, item_id, n, c, budget, paid in db.session.execute(statement):
        figures = Money(int(n), int(c or 0), Decimal(budget or 0), Decimal(paid or 0))
        if kind == "lao":
            by_lao[org_id] = figures
        else:
            by_item[(org_id, item_id)] = figures
    return by_lao, by_item


def planned_count(period_start_be: int, fiscal_year_be: int):
    """SQL, correlated to Plan: how many projects the plan, in the version in force, plans for
    ``fiscal_year_be`` (a budget line that year), counting only the kinds the counting rule names."""
    year = fiscal_year_be - period_start_be + 1
    if not 1 <= year <= PLAN_YEARS:
        return literal(0)
    budget = getattr(ProjectRecord, f"budget_{year}")
    return (
        select(func.count(ProjectRecord.id))
        .where(
            ProjectRecord.plan_id == Plan.id,
            Plan.current_version > 0,
            ProjectRecord.valid_from <= Plan.current_version,
            or_(ProjectRecord.valid_to.is_(None), ProjectRecord.valid_to > Plan.current_version),
            ProjectRecord.source.in_(counting.planned_kinds()),
            budget > 0,
        )
        .correlate(Plan)
        .scalar_subquery()
    )


def planned_counts(org_ids, period_start_be: int, fiscal_year_be: int) -> dict[int, int]:
    """Per LAO with a plan of the period: its planned projects of the year (``planned_count``)."""
    query = select(Plan.organisation_id, planned_count(period_start_be, fiscal_year_be)).where(
        Plan.organisation_id.in_(org_ids), Plan.period_start_be == period_start_be
    )
    return {org_id: int(n) for org_id, n in db.session.execute(query) if n}


def rolled_up_figures(
    org_ids, fiscal_year_be: int, dimension: str | None = None
) -> tuple[dict[int, Money], dict[tuple[int, int | None], Money], dict[int, int]]:
    """``money_figures`` and ``planned_counts`` of these LAOs for the year, read from the rollups
    (``oversight_figures``, kept by ``services/oversight/rollups.py``).

    An LAO with a committed change the rollups have not taken in yet (a row in ``oversight_change``)
    is computed live instead, so what a page shows is exact at every read; the rollup only saves
    recomputing the LAOs nothing has touched. The changes are read before the rollups: a refresh
    that commits in between is then either already in the rollups read or computed live.
    """
    if dimension is not None and dimension not in DIMENSIONS:
        raise InvalidInput(f"unknown dimension {dimension!r}", field="dimension")
    changed = sorted(
        db.session.scalars(
            select(OversightChange.organisation_id)
            .where(OversightChange.organisation_id.in_(org_ids))
            .distinct()
        )
    )
    F = OversightFigures
    kept = select(
        F.organisation_id, F.dimension, F.item_id, F.planned, F.executions, F.counted, F.budget, F.disbursed
    ).where(
        F.organisation_id.in_(org_ids),
        F.fiscal_year_be == fiscal_year_be,
        F.dimension.in_([TOTAL, dimension] if dimension else [TOTAL]),
    )
    if changed:
        kept = kept.where(F.organisation_id.not_in(changed))
    by_lao: dict[int, Money] = {}
    by_item: dict[tuple[int, int | None], Money] = {}
    planned: dict[int, int] = {}
    for org_id, dim, item_id, n_planned, n, counted, budget, paid in db.session.execute(kept):
        if dim == TOTAL:
            if n_planned:
                planned[org_id] = n_planned
            if n:
                by_lao[org_id] = Money(n, counted, budget, paid)
        else:
            by_item[(org_id, item_id or None)] = Money(n, counted, budget, paid)
    if changed:
        live_lao, live_item = money_figures(changed, fiscal_year_be, dimension)
        by_lao.update(live_lao)
        by_item.update(live_item)
        planned.update(planned_counts(changed, period_start_for(fiscal_year_be), fiscal_year_be))
    return by_lao, by_item, planned


def _overdue_viewer(user, filters: Filters):
    """Whom to ask ``deadlines.overdue_items`` for: a national reader narrowed to the chosen province,
    so DLA's page does not compute the whole country's overdue list for one province."""
    if filters.province and is_national(user):
        office = SimpleNamespace(id=None, province_code=filters.province, district_code=None)
        return SimpleNamespace(
            is_authenticated=True,
            is_active=True,
            grants=[SimpleNamespace(role="provincial_officer", organisation=office)],
        )
    return user


def provinces_for(user) -> list[tuple[str, str, int]]:
    """The provinces with LAOs ``user`` oversees, with how many, by code (one grouped query)."""
    rows = db.session.execute(
        select(Province.code, Province.name_th, func.count(Organisation.id))
        .join(Organisation, Organisation.province_code == Province.code)
        .where(
            Organisation.kind == "lao",
            Organisation.is_active.is_(True),
            visible_org_clause(user, Organisation),
        )
        .group_by(Province.code, Province.name_th)
        .order_by(Province.code)
    ).all()
    return [(code, name, n) for code, name, n in rows]


def dashboard(
    user, filters: Filters, *, dimension: str | None = None, today: date | None = None, locale: str = "th"
) -> Dashboard:
    """Build the oversight table for ``user`` with ``filters`` (read-only); with a strategy
    ``dimension``, also the budget chart by that dimension over the rows shown."""
    _require_overseer(user)
    start = period_start_for(filters.fiscal_year_be)
    provinces = provinces_for(user)
    filters = _province_filter(user, filters, provinces)
    # A national reader picks a province first: the whole country is 7,849 rows.
    if filters.province is None and is_national(user):
        return Dashboard(filters, start, [], sum(p[2] for p in provinces), provinces, [], needs_province=True)

    org_ids = scoped_lao_ids(user, filters)
    rows = _lao_rows(user, filters, start, locale)
    _add_latest_revisions(rows, org_ids, start, locale)
    by_lao, by_item, planned = rolled_up_figures(org_ids, filters.fiscal_year_be, dimension)
    _add_money(rows, by_lao, planned)
    _add_evaluations(rows, org_ids, filters.fiscal_year_be, locale)
    _add_overdue(rows, _overdue_viewer(user, filters), today or thaidate.today_local(), locale)

    shown = _shown_rows(rows, filters)
    board = Dashboard(filters, start, shown, len(rows), provinces, _districts(user, filters))
    if dimension is not None:
        board.bars = _bars(dimension, by_item, {r.organisation_id for r in shown})
    return board


def _province_filter(user, filters: Filters, provinces: list[tuple[str, str, int]]) -> Filters:
    """Refuse a province outside ``user``'s oversight; choose the only one when there is one."""
    if filters.province and filters.province not in {p[0] for p in provinces}:
        raise InvalidInput("that province is not in your oversight", field="province")
    # One province to oversee: its board at once. DLA reads the national table first, however many.
    if filters.province is None and len(provinces) == 1 and not is_national(user):
        return replace(filters, province=provinces[0][0])
    return filters


def _lao_rows(user, filters: Filters, start: int, locale: str) -> dict[int, LaoRow]:
    """One row per LAO in scope with its plan of the period (one query), by organisation id."""
    laos = db.session.execute(
        select(
            Organisation.id,
            Organisation.code,
            Organisation.name_th,
            Organisation.lao_type,
            Organisation.district_code,
            func.coalesce(District.name_th, Organisation.district_name_th),
            Plan.id,
            Plan.title,
            Plan.status,
            Plan.workflow_version,
            Plan.current_version,
            Plan.announced_at,
        )
        .outerjoin(District, District.code == Organisation.district_code)
        .outerjoin(Plan, and_(Plan.organisation_id == Organisation.id, Plan.period_start_be == start))
        .where(*_lao_conditions(user, filters))
    ).all()
    rows: dict[int, LaoRow] = {}
    for (
        org_id,
        code,
        name,
        lao_type,
        district_code,
        district_name,
        plan_id,
        title,
        status,
        wf_version,
        version,
        announced_at,
    ) in laos:
        prefix = LAO_TYPES.get(lao_type or "", "")
        rows[org_id] = LaoRow(
            organisation_id=org_id,
            code=code,
            name=f"{prefix}{name}" if prefix and prefix != name else name,
            lao_type=lao_type,
            district_code=district_code,
            district_name=district_name or "",
            plan_id=plan_id,
            plan_title=title,
            plan_status=status,
            plan_status_label=_label("plan", wf_version, status, locale),
            plan_version=version if plan_id else None,
            submission=_submission(status),
            submission_due=(
                deadline_rules.submission_deadline(thaidate.to_local(announced_at).date())
                if status == "announced" and announced_at
                else None
            ),
        )
    return rows


def _add_latest_revisions(rows: dict[int, LaoRow], org_ids, start: int, locale: str) -> None:
    """The latest revision of each plan of the period (the newest first drafted), one query."""
    latest = (
        select(
            Revision.organisation_id,
            Revision.id,
            Revision.label,
            Revision.sequence,
            Revision.year_be,
            Revision.status,
            Revision.workflow_version,
            func.row_number().over(partition_by=Revision.plan_id, order_by=Revision.id.desc()).label("n"),
        )
        .join(Plan, Plan.id == Revision.plan_id)
        .where(Plan.period_start_be == start, Revision.organisation_id.in_(org_ids))
        .subquery()
    )
    for org_id, rev_id, label, sequence, year_be, status, wf_version, _n in db.session.execute(
        select(latest).where(latest.c.n == 1)
    ):
        row = rows[org_id]
        row.revision_id = rev_id
        row.revision_title = f"{label} ครั้งที่ {sequence}/{year_be}" if sequence is not None else f"#{rev_id}"
        row.revision_status_label = _label("revision", wf_version, status, locale)


def _add_money(rows: dict[int, LaoRow], by_lao: dict[int, Money], planned: dict[int, int]) -> None:
    for org_id, figures in by_lao.items():
        row = rows[org_id]
        row.executions, row.counted = figures.executions, figures.counted
        row.budget, row.disbursed = figures.budget, figures.disbursed
    for org_id, n in planned.items():
        rows[org_id].planned = n


def _add_evaluations(rows: dict[int, LaoRow], org_ids, fiscal_year_be: int, locale: str) -> None:
    """Each LAO's latest evaluation report of the year, one query. The October round covers the
    whole year, so it is the latest of a fiscal year."""
    evaluations = (
        select(
            EvaluationReport.organisation_id,
            EvaluationReport.id,
            EvaluationReport.round,
            EvaluationReport.status,
            EvaluationReport.workflow_version,
            func.row_number()
            .over(
                partition_by=EvaluationReport.organisation_id,
                order_by=(
                    case((EvaluationReport.round == "october", 0), else_=1),
                    EvaluationReport.id.desc(),
                ),
            )
            .label("n"),
        )
        .where(
            EvaluationReport.fiscal_year_be == fiscal_year_be, EvaluationReport.organisation_id.in_(org_ids)
        )
        .subquery()
    )
    for org_id, report_id, round_, status, wf_version, _n in db.session.execute(
        select(evaluations).where(evaluations.c.n == 1)
    ):
        row = rows[org_id]
        row.evaluation_id, row.evaluation_round = report_id, round_
        row.evaluation_status_label = _label("evaluation", wf_version, status, locale)


def _add_overdue(rows: dict[int, LaoRow], viewer, today: date, locale: str) -> None:
    """What is overdue per LAO; an overdue plan submission marks the submission column too."""
    for item in deadlines.overdue_items(viewer, today, locale):
        row = rows.get(item.organisation_id)
        if row is None:
            continue
        row.overdue.append(item)
        if item.kind == "plan_not_submitted" and item.plan_id == row.plan_id:
            row.submission = "overdue"


def _shown_rows(rows: dict[int, LaoRow], filters: Filters) -> list[LaoRow]:
    """The rows passing the plan-status and overdue filters, in the order asked for."""
    shown = [r for r in rows.values() if _passes(r, filters)]
    shown.sort(key=_sort_key(filters.sort), reverse=filters.descending)
    if filters.descending:
        # Empty values stay last whichever way the column is sorted.
        shown.sort(key=lambda r: _sort_value(r, filters.sort) is None)
    return shown


def _submission(status: str | None) -> str:
    if status in ("submitted", "acknowledged"):
        return status
    if status == "announced":
        return "due"
    return "not_announced"


def _passes(row: LaoRow, filters: Filters) -> bool:
    if filters.plan_status == NO_PLAN and row.plan_id is not None:
        return False
    if filters.plan_status not in (None, NO_PLAN) and row.plan_status != filters.plan_status:
        return False
    return not (filters.overdue_only and not row.overdue)


def _sort_value(row: LaoRow, key: str):
    return {
        "code": row.code,
        "name": thai_key(row.name),
        "type": thai_key(row.type_label),
        "district": thai_key(row.district_name) if row.district_name else None,
        "plan_status": (PLAN_ORDER.get(row.plan_status, 99) if row.plan_status else None),
        "plan_version": row.plan_version,
        "revision": row.revision_id,
        "submission": SUBMISSION_ORDER.index(row.submission),
        "execution_rate": row.execution_rate,
        "disbursement_rate": row.disbursement_rate,
        "evaluation": thai_key(row.evaluation_status_label) if row.evaluation_status_label else None,
        "overdue": row.overdue_count,
    }[key]


PLAN_ORDER = {state: i for i, state in enumerate(PLAN_V1["states"])}


def _sort_key(key: str):
    def sort_key(row: LaoRow):
        value = _sort_value(row, key)
        # Empty values last; the code breaks ties so the order is stable across requests.
        return (value is None, value if value is not None else 0, row.code)

    return sort_key


def _districts(user, filters: Filters) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(District.code, District.name_th)
        .where(
            District.code.in_(
                select(Organisation.district_code).where(
                    *_lao_conditions(user, replace(filters, district=None))
                )
            )
        )
        .order_by(District.code)
    ).all()
    return [(code, name) for code, name in rows]


# -- charts ------------------------------------------------------------------------------------------
@dataclass
class DimensionBar:
    item_id: int | None
    code: str
    name: str
    projects: int
    budget: Decimal
    disbursed: Decimal


def _bars(dimension: str, by_item: dict, shown: set[int]) -> list[DimensionBar]:
    """Sum the per-LAO, per-item money over the LAOs shown, one bar per item (unlinked last)."""
    sums: dict[int | None, Money] = {}
    for (org_id, item_id), figures in by_item.items():
        if org_id not in shown:
            continue
        add_money(sums.setdefault(item_id, Money()), figures)
    return bars_of(dimension, sums)


def add_money(total: Money, figures: Money) -> None:
    total.executions += figures.executions
    total.budget += figures.budget
    total.disbursed += figures.disbursed


def bars_of(dimension: str, sums: dict[int | None, Money]) -> list[DimensionBar]:
    """One bar per item of ``dimension`` from its summed money (None: not linked, last)."""
    items = (
        {
            item.id: item
            for item in db.session.scalars(
                select(CatalogueItem).where(
                    CatalogueItem.catalogue == dimension,
                    CatalogueItem.id.in_([i for i in sums if i is not None]),
                )
            )
        }
        if any(i is not None for i in sums)
        else {}
    )
    bars = [
        DimensionBar(
            item_id,
            items[item_id].code if item_id else "",
            items[item_id].name_th if item_id else "",
            m.executions,
            m.budget,
            m.disbursed,
        )
        for item_id, m in sums.items()
    ]
    bars.sort(key=lambda b: (b.item_id is None, items[b.item_id].position if b.item_id else 0, b.code))
    return bars


def budget_by_dimension(org_ids, fiscal_year_be: int, dimension: str) -> list[DimensionBar]:
    """The year's available budget and disbursements of these LAOs by the items of ``dimension``."""
    _, by_item = money_figures(org_ids, fiscal_year_be, dimension)
    return _bars(dimension, by_item, {org_id for org_id, _ in by_item})


# -- downloads ---------------------------------------------------------------------------------------
SUBMISSION_TH = {
    "overdue": "เกินกำหนดส่ง",
    "due": "ยังไม่ส่ง (ยังไม่เกินกำหนด)",
    "submitted": "ส่งแล้ว รอรับทราบ",
    "acknowledged": "รับทราบแล้ว",
    "not_announced": "ยังไม่ประกาศใช้แผน",
}
ROUNDS_TH = {"april": "รอบเดือนเมษายน", "october": "รอบเดือนตุลาคม"}
EXPORT_HEADERS = (
    "รหัส อปท.",
    "ชื่อ อปท.",
    "ประเภท",
    "อำเภอ",
    "สถานะแผน",
    "ฉบับที่ใช้บังคับ",
    "การแก้ไข/เพิ่มเติม/เปลี่ยนแปลงล่าสุด",
    "สถานะการแก้ไขล่าสุด",
    "การส่งอำเภอ/จังหวัด",
    "โครงการที่ตั้งงบประมาณ",
    "โครงการที่ดำเนินการแล้วเสร็จ",
    "ร้อยละการดำเนินการ",
    "งบประมาณหลังโอน (บาท)",
    "เบิกจ่ายแล้ว (บาท)",
    "ร้อยละการเบิกจ่าย",
    "รายงานผลการติดตามและประเมินผล",
    "สถานะรายงาน",
    "จำนวนเรื่องที่เกินกำหนด",
    "เรื่องที่เกินกำหนด",
)


def export_rows(board: Dashboard) -> list[list]:
    """The table's rows as plain values under ``EXPORT_HEADERS`` (Thai labels, exact money)."""
    out = []
    for r in board.rows:
        out.append(
            [
                r.code,
                r.name,
                r.type_label,
                r.district_name,
                r.plan_status_label or "ยังไม่มีแผน",
                r.plan_version,
                r.revision_title or "",
                r.revision_status_label,
                SUBMISSION_TH[r.submission],
                r.executions,
                r.counted,
                r.execution_rate,
                r.budget,
                r.disbursed,
                r.disbursement_rate,
                ROUNDS_TH.get(r.evaluation_round or "", ""),
                r.evaluation_status_label,
                r.overdue_count,
                "; ".join(item.reason for item in r.overdue),
            ]
        )
    return out


def to_csv(board: Dashboard) -> bytes:
    """The table as CSV in UTF-8 with a byte-order mark, so Excel opens the Thai as Thai."""
    return exports.csv_bytes(EXPORT_HEADERS, export_rows(board))


def to_xlsx(board: Dashboard) -> bytes:
    """The table as an Excel workbook: numbers as numbers, money with satang, text never a formula."""
    return exports.xlsx_bytes(f"ปีงบประมาณ {board.filters.fiscal_year_be}", EXPORT_HEADERS, export_rows(board))


__all__ = [
    "DIMENSIONS",
    "EXPORT_HEADERS",
    "NO_PLAN",
    "SORT_KEYS",
    "Dashboard",
    "DimensionBar",
    "Filters",
    "LaoRow",
    "budget_by_dimension",
    "dashboard",
    "export_rows",
    "may_oversee",
    "money_figures",
    "period_start_for",
    "provinces_for",
    "to_csv",
    "to_xlsx",
]

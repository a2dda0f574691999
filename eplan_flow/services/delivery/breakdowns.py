"""Project results along every strategy dimension: one query pattern, read by the evaluation report,
the oversight breakdown pages and their downloads, so every page shows the same figures.

A breakdown counts, for a set of LAOs and a fiscal year, the projects of each LAO's plan version in
force at the end of a period (planned: a budget line that year of a kind ``workflows/counting.py``
counts; budgeted: an execution of that year), the ordinance budget, the baht disbursed within the
period and the projects counted as completed by its end (the state ``completed``, fully paid
against the contract by then). The dimension only chooses the key a project is grouped by:

- a link catalogue (National Strategy, master plan, NESDP milestone, SDG, provincial strategy, LAO
  strategy in the province): the project's own links in that catalogue, else its LAO strategy's
  (ยท.01); a project linked to several items counts under each, one linked to none under ``None``;
- ``lao_strategy`` and ``tactic``: the LAO's own strategy and tactic of the project.

The sub-plans (แผนย่อย) of the master plans are a dimension only where the catalogue has them:
``with_items`` leaves ``sub_plan`` out while DLA has entered none, so no page shows a table of
projects all "linked to none".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, case, cast, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import selectinload

from eplan_flow.extensions import db
from eplan_flow.models import (
    CatalogueItem,
    Disbursement,
    LaoStrategy,
    Organisation,
    Plan,
    PlanVersion,
    ProjectExecution,
    ProjectRecord,
    Tactic,
    lao_strategy_link,
    project_link,
)
from eplan_flow.services.delivery.execution import completion_status
from eplan_flow.thaidate import BANGKOK, format_date
from workflows import counting

ZERO = Decimal("0.00")
CATALOGUE_DIMENSIONS = (
    "national_strategy",
    "master_plan",
    "sub_plan",
    "nesdp_milestone",
    "sdg",
    "provincial_strategy",
    "province_lao_strategy",
)
# Dimensions shown only while their catalogue has an active item.
WHERE_ITEMS = ("sub_plan",)
OWN_DIMENSIONS = ("lao_strategy", "tactic")
DIMENSIONS = (*CATALOGUE_DIMENSIONS, *OWN_DIMENSIONS)
COUNTED_STATE = "completed"


@dataclass
class Metrics:
    """One line of figures: projects planned and budgeted, baht planned, budgeted and disbursed in
    the period, and projects counted as completed."""

    planned: int = 0
    planned_budget: Decimal = ZERO
    budgeted: int = 0
    budget: Decimal = ZERO
    disbursed: Decimal = ZERO
    completed: int = 0

    def add(self, other: Metrics) -> None:
        for name in (f.name for f in dataclass_fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_json(self) -> dict:
        """As frozen on a report: money as strings, so no baht is lost to a float."""
        return {
            name: str(value) if isinstance(value, Decimal) else value for name, value in asdict(self).items()
        }

    @classmethod
    def from_json(cls, data: dict) -> Metrics:
        return cls(
            planned=data["planned"],
            planned_budget=Decimal(data["planned_budget"]),
            budgeted=data["budgeted"],
            budget=Decimal(data["budget"]),
            disbursed=Decimal(data["disbursed"]),
            completed=data["completed"],
        )


@dataclass(frozen=True)
class Period:
    """What a breakdown counts: a fiscal year, and the days whose disbursements count (the plan
    version in force and completion are read at the end of the last day)."""

    fiscal_year_be: int
    start: date
    end: date


def check_dimension(dimension: str) -> str:
    if dimension not in DIMENSIONS:
        raise KeyError(dimension)
    return dimension


def with_items(dimensions: tuple[str, ...] = DIMENSIONS) -> tuple[str, ...]:
    """``dimensions`` without those of ``WHERE_ITEMS`` whose catalogue has no active item (one query)."""
    wanted = [d for d in dimensions if d in WHERE_ITEMS]
    if not wanted:
        return dimensions
    present = set(
        db.session.scalars(
            select(CatalogueItem.catalogue)
            .where(CatalogueItem.catalogue.in_(wanted), CatalogueItem.is_active.is_(True))
            .distinct()
        )
    )
    return tuple(d for d in dimensions if d not in WHERE_ITEMS or d in present)


# -- the one query pattern ---------------------------------------------------------------------------
def _version_in_force(end: date):
    """A subquery: per plan, the highest version announced by the end of ``end`` (Bangkok time).
    Grouped once, not correlated per project: the province's 100k records would each run it."""
    cutoff = datetime.combine(end + timedelta(days=1), time(0), tzinfo=BANGKOK)
    return (
        select(PlanVersion.plan_id, func.max(PlanVersion.number).label("number"))
        .where(PlanVersion.announced_at < cutoff)
        .group_by(PlanVersion.plan_id)
        .subquery("announced")
    )


def projects(org_ids, period: Period, *, every_record: bool = False):
    """A query of the projects counted: one row per project record of each LAO's plan version in
    force, with its year's figures (0/1 flags, money). Only those planned or budgeted in the year,
    unless ``every_record`` (the drill-down shows the others too, with why they are not counted)."""
    year = period.fiscal_year_be
    announced = _version_in_force(period.end)
    # The version in force: the last announced by the period's end, else the first (as
    # ``evaluation.version_in_force``: a plan announced late still governs its own years).
    # least(coalesce(announced, 1), greatest(current, 1)), spelled with CASE: SQLite has neither.
    in_force = case((Plan.current_version > 1, Plan.current_version), else_=1)
    last_announced = func.coalesce(announced.c.number, 1)
    version = case((last_announced < in_force, last_announced), else_=in_force)
    plans = (
        select(
            Plan.id.label("plan_id"),
            Plan.organisation_id,
            (year - Plan.period_start_be + 1).label("year_no"),
            version.label("version"),
        )
        .outerjoin(announced, announced.c.plan_id == Plan.id)
        .where(
            Plan.organisation_id.in_(org_ids),
            Plan.period_start_be <= year,
            Plan.period_end_be >= year,
            Plan.current_version >= 1,
        )
        .subquery("plans")
    )
    E = ProjectExecution
    money = (
        select(
            E.id.label("execution_id"),
            E.plan_id,
            E.project_no,
            E.status,
            E.progress_percent,
            E.contract_amount,
            E.budgeted_amount,
            func.coalesce(
                func.sum(case((Disbursement.paid_on.between(period.start, period.end), Disbursement.amount))),
                0,
            ).label("disbursed"),
            func.coalesce(func.sum(case((Disbursement.paid_on <= period.end, Disbursement.amount))), 0).label(
                "paid_by_end"
            ),
        )
        .outerjoin(Disbursement, Disbursement.execution_id == E.id)
        .where(E.fiscal_year_be == year, E.organisation_id.in_(org_ids))
        .group_by(E.id)
        .subquery("money")
    )
    R = ProjectRecord
    planned_budget = case(*((plans.c.year_no == i, getattr(R, f"budget_{i}")) for i in range(1, 6)), else_=0)
    is_planned = and_(planned_budget > 0, R.source.in_(counting.planned_kinds()))
    is_completed = and_(
        money.c.status == COUNTED_STATE,
        or_(money.c.contract_amount.is_(None), money.c.paid_by_end >= money.c.contract_amount),
    )
    query = (
        select(
            plans.c.organisation_id,
            R.plan_id,
            R.id.label("record_id"),
            R.project_no,
            R.name,
            R.source,
            R.elaas_budget_code,
            R.strategy_id,
            R.tactic_id,
            money.c.execution_id,
            money.c.status,
            money.c.progress_percent,
            planned_budget.label("year_budget"),
            case((is_planned, 1), else_=0).label("planned"),
            case((is_planned, planned_budget), else_=0).label("planned_budget"),
            case((money.c.execution_id.is_not(None), 1), else_=0).label("budgeted"),
            func.coalesce(money.c.budgeted_amount, 0).label("budget"),
            func.coalesce(money.c.disbursed, 0).label("disbursed"),
            case((is_completed, 1), else_=0).label("completed"),
        )
        .join(plans, plans.c.plan_id == R.plan_id)
        .outerjoin(money, and_(money.c.plan_id == R.plan_id, money.c.project_no == R.project_no))
        .where(R.valid_from <= plans.c.version, or_(R.valid_to.is_(None), R.valid_to > plans.c.version))
    )
    if not every_record:
        query = query.where(or_(is_planned, money.c.execution_id.is_not(None)))
    return query


def _keys(counted, dimension: str):
    """(record_id, key) of the projects of ``counted`` along ``dimension`` (key NULL: linked to none)."""
    if dimension == "lao_strategy":
        return counted.c.strategy_id
    if dimension == "tactic":
        return counted.c.tactic_id
    own = (
        select(project_link.c.record_id, project_link.c.item_id)
        .join(CatalogueItem, CatalogueItem.id == project_link.c.item_id)
        .where(
            CatalogueItem.catalogue == dimension, project_link.c.record_id.in_(select(counted.c.record_id))
        )
    )
    own_any = (
        select(project_link.c.record_id)
        .join(CatalogueItem, CatalogueItem.id == project_link.c.item_id)
        .where(CatalogueItem.catalogue == dimension, project_link.c.record_id == counted.c.record_id)
    )
    inherited = (
        select(counted.c.record_id, lao_strategy_link.c.item_id)
        .join(lao_strategy_link, lao_strategy_link.c.strategy_id == counted.c.strategy_id)
        .join(CatalogueItem, CatalogueItem.id == lao_strategy_link.c.item_id)
        .where(CatalogueItem.catalogue == dimension, ~exists(own_any))
    )
    return union_all(own, inherited).subquery(f"links_{dimension}")


def links(counted, dimensions: tuple[str, ...] = CATALOGUE_DIMENSIONS) -> dict[int, dict[str, list[int]]]:
    """``{record id: {catalogue: [item ids]}}`` of the projects of ``counted`` (a CTE of ``projects``),
    by the same rule as the breakdowns (own links, else the strategy's); one statement."""
    statement = union_all(
        *(
            select(keys.c.record_id, literal(d).label("dimension"), keys.c.item_id)
            for d in dimensions
            for keys in (_keys(counted, d),)
        )
    )
    found: dict[int, dict[str, list[int]]] = {}
    for record_id, dimension, item_id in db.session.execute(statement):
        found.setdefault(record_id, {}).setdefault(dimension, []).append(item_id)
    return found


def _grouped(counted, dimension: str):
    """The aggregate of ``counted`` per LAO and key along ``dimension``: the one query pattern."""
    keys = _keys(counted, dimension)
    key = keys if dimension in OWN_DIMENSIONS else keys.c.item_id
    query = select(
        literal(dimension).label("dimension"),
        counted.c.organisation_id,
        cast(key, Integer).label("key"),
        func.count().label("rows"),
        func.sum(counted.c.planned),
        func.sum(counted.c.planned_budget),
        func.sum(counted.c.budgeted),
        func.sum(counted.c.budget),
        func.sum(counted.c.disbursed),
        func.sum(counted.c.completed),
    ).select_from(counted)
    if dimension not in OWN_DIMENSIONS:
        query = query.outerjoin(keys, keys.c.record_id == counted.c.record_id)
    return query.group_by(counted.c.organisation_id, key)


Lines = dict[str, dict[tuple[int, int | None], Metrics]]


def lines(org_ids, period: Period, dimensions: tuple[str, ...] = DIMENSIONS) -> Lines:
    """``{dimension: {(org_id, key): Metrics}}`` for these LAOs in one statement (the projects
    subquery shared by every dimension's branch)."""
    for dimension in dimensions:
        check_dimension(dimension)
    counted = projects(org_ids, period).cte("counted")
    # Named so the branches read the CTE, not a copy of the subquery.
    statement = union_all(*(_grouped(counted, d) for d in dimensions))
    result: Lines = {d: {} for d in dimensions}
    for (
        dimension,
        org_id,
        key,
        _rows,
        planned,
        planned_budget,
        budgeted,
        budget,
        disbursed,
        completed,
    ) in db.session.execute(statement):
        result[dimension][(org_id, key)] = Metrics(
            int(planned or 0),
            Decimal(planned_budget or 0),
            int(budgeted or 0),
            Decimal(budget or 0),
            Decimal(disbursed or 0),
            int(completed or 0),
        )
    return result


# -- rows a person reads -------------------------------------------------------------------------------
@dataclass
class Row:
    """A row of a breakdown: a catalogue item, an LAO strategy or tactic, or the projects linked to none."""

    dimension: str
    key: int | None
    code: str
    name: str
    name_en: str | None
    metrics: Metrics = field(default_factory=Metrics)
    lao: str = ""  # the LAO's name, for its own strategies and tactics when several LAOs are shown

    @property
    def unlinked(self) -> bool:
        return self.key is None

    @property
    def key_arg(self) -> str:
        return "none" if self.key is None else str(self.key)


def parse_key(raw: str) -> int | None:
    """A row key from a URL: an id, or ``none`` for the projects linked to none."""
    if raw == "none":
        return None
    if not raw.isdigit():
        raise KeyError(raw)
    return int(raw)


def rows(
    dimension: str, by_key: dict[tuple[int, int | None], Metrics], *, name_lao: bool = False
) -> list[Row]:
    """One dimension's lines summed over the LAOs, labelled and in the catalogue's (or the plan's)
    order; the projects linked to none last."""
    sums: dict[int | None, Metrics] = {}
    for (_org, key), metrics in by_key.items():
        sums.setdefault(key, Metrics()).add(metrics)
    labels = _labels(dimension, [k for k in sums if k is not None], name_lao=name_lao)
    out = []
    for key in sorted(labels, key=lambda k: labels[k][0]):
        _sort, code, name, name_en, lao = labels[key]
        out.append(Row(dimension, key, code, name, name_en, sums[key], lao))
    if None in sums:
        out.append(Row(dimension, None, "", "", None, metrics=sums[None]))
    return out


def _labels(dimension: str, keys: list[int], *, name_lao: bool, org_ids=None) -> dict:
    """``{key: (sort key, code, name, name_en, lao)}`` for the keys of ``dimension`` (one query)."""
    if not keys:
        return {}
    if dimension == "lao_strategy":
        strategies = db.session.execute(
            select(
                LaoStrategy.id, LaoStrategy.number, LaoStrategy.name, Organisation.code, Organisation.name_th
            )
            .join(Plan, Plan.id == LaoStrategy.plan_id)
            .join(Organisation, Organisation.id == Plan.organisation_id)
            .where(LaoStrategy.id.in_(keys), *_of(org_ids))
        ).all()
        return {
            i: ((org_code, number), str(number), name, None, org_name if name_lao else "")
            for i, number, name, org_code, org_name in strategies
        }
    if dimension == "tactic":
        tactics = db.session.execute(
            select(
                Tactic.id,
                LaoStrategy.number,
                Tactic.number,
                Tactic.name,
                Organisation.code,
                Organisation.name_th,
            )
            .join(LaoStrategy, LaoStrategy.id == Tactic.strategy_id)
            .join(Plan, Plan.id == LaoStrategy.plan_id)
            .join(Organisation, Organisation.id == Plan.organisation_id)
            .where(Tactic.id.in_(keys), *_of(org_ids))
        ).all()
        return {
            i: ((org_code, s_no, t_no), f"{s_no}.{t_no}", name, None, org_name if name_lao else "")
            for i, s_no, t_no, name, org_code, org_name in tactics
        }
    items = db.session.scalars(select(CatalogueItem).where(CatalogueItem.id.in_(keys)))
    return {i.id: ((i.scope, i.position, i.code), i.code, i.name_th, i.name_en, "") for i in items}


def _of(org_ids) -> list:
    return [] if org_ids is None else [Plan.organisation_id.in_(org_ids)]


def label(dimension: str, key: int | None, org_ids=None) -> str | None:
    """A row's code and name (None for the projects linked to none); an LAO's own strategy or tactic
    only if it belongs to one of ``org_ids``. Raises KeyError for a key not found."""
    if key is None:
        return None
    found = _labels(check_dimension(dimension), [key], name_lao=True, org_ids=org_ids)
    if key not in found:
        raise KeyError(key)
    _sort, code, name, _name_en, lao = found[key]
    return f"{lao}: {code} {name}" if lao else f"{code} {name}"


def strategy_rows(plan_id: int, by_key: dict[tuple[int, int | None], Metrics]) -> list[Row]:
    """Every LAO strategy of a plan by number, with its figures or none (the report lists them all)."""
    sums: dict[int | None, Metrics] = {}
    for (_org, key), metrics in by_key.items():
        sums.setdefault(key, Metrics()).add(metrics)
    found = db.session.execute(
        select(LaoStrategy.id, LaoStrategy.number, LaoStrategy.name)
        .where(LaoStrategy.plan_id == plan_id)
        .order_by(LaoStrategy.number)
    ).all()
    return [
        Row("lao_strategy", s.id, str(s.number), s.name, None, sums.get(s.id) or Metrics()) for s in found
    ]


# -- drill-down --------------------------------------------------------------------------------------
@dataclass
class Project:
    """A project of a breakdown row, its figures, and why it is not counted where it is not."""

    organisation: str
    plan_id: int
    project_no: int
    name: str
    source: str
    metrics: Metrics
    reasons: list[str]


def drill_down(org_ids, period: Period, dimension: str, key: int | None) -> list[Project]:
    """The projects of the plan versions in force under one row of a breakdown, by LAO and number,
    each with the reasons it is not counted as planned, budgeted or completed."""
    check_dimension(dimension)
    every = projects(org_ids, period, every_record=True).cte("every_record")
    keys = _keys(every, dimension)
    query = select(every, Organisation.name_th.label("lao")).join(
        Organisation, Organisation.id == every.c.organisation_id
    )
    if dimension in OWN_DIMENSIONS:
        column = keys
    else:
        query = query.outerjoin(keys, keys.c.record_id == every.c.record_id)
        column = keys.c.item_id
    query = query.where(column.is_(None) if key is None else column == key).order_by(
        Organisation.code, every.c.project_no
    )
    found = db.session.execute(query).all()
    executions = {
        e.id: e
        for e in db.session.scalars(
            select(ProjectExecution)
            .where(
                ProjectExecution.id.in_([r.execution_id for r in found if r.execution_id and not r.completed])
            )
            .options(selectinload(ProjectExecution.disbursements))
        )
    }
    out = []
    for r in found:
        metrics = Metrics(
            r.planned,
            Decimal(r.planned_budget),
            r.budgeted,
            Decimal(r.budget),
            Decimal(r.disbursed),
            r.completed,
        )
        out.append(
            Project(
                r.lao, r.plan_id, r.project_no, r.name, r.source, metrics, _reasons(r, executions, period)
            )
        )
    return out


def _reasons(r, executions: dict[int, ProjectExecution], period: Period) -> list[str]:
    reasons = []
    if not r.planned:
        if not counting.counts_as_planned(r.source):
            form = counting.COUNTING["kinds"].get(r.source, r.source)
            reasons.append(
                _("Not counted as planned: a %(form)s project is asked of another agency", form=form)
            )
        else:
            reasons.append(
                _(
                    "Not counted as planned: no budget line for fiscal year %(year)s",
                    year=period.fiscal_year_be,
                )
            )
    if not r.budgeted:
        reasons.append(_("Not budgeted: no budget for fiscal year %(year)s", year=period.fiscal_year_be))
    elif not r.completed:
        execution = executions[r.execution_id]
        counted, why = completion_status(execution)
        if counted:  # completed, but paid in full only after the period
            why = _("Fully disbursed only after the round ended (%(date)s)", date=format_date(period.end))
        reasons.append(_("Not completed: %(why)s", why=why))
    return reasons


__all__ = [
    "CATALOGUE_DIMENSIONS",
    "DIMENSIONS",
    "OWN_DIMENSIONS",
    "WHERE_ITEMS",
    "Metrics",
    "Period",
    "Project",
    "Row",
    "check_dimension",
    "drill_down",
    "label",
    "lines",
    "links",
    "parse_key",
    "projects",
    "rows",
    "strategy_rows",
    "with_items",
]

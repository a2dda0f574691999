"""The action plan (แผนการดำเนินงาน, ข้อ 26–27): opened from the year's ordinance-funded projects, drafted
by the support committee's secretaries, announced by the executive within 30 days of the budget
ordinance's announcement, then posted for at least 30 days (workflow ``action_plan``, rules in
``workflows/action_plan.py``).

Items are the plan's projects the ordinance funds that year (their ``ProjectExecution``, named as the
plan now holds them) and projects of other agencies in the LAO's area, each with its months of
implementation. Item edits are audited on ``action-plan-content:<id>`` so the workflow chain
``action_plan:<id>`` stays a walk of its definition. ผด.01 and ผด.02 are computed from the items.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from eplan_flow import text
from eplan_flow.errors import DomainError, GuardFailed, InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import (
    FISCAL_MONTHS,
    ActionPlan,
    ActionPlanItem,
    Organisation,
    ProjectExecution,
    ProjectRecord,
)
from eplan_flow.permissions import PLAN_CONTENT_ROLES, can_edit_plan_content
from eplan_flow.services.delivery.evaluation import get_lao, parse_fiscal_year, plan_for_year
from eplan_flow.services.delivery.ordinance_date import check_ordinance_announced_on
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.thaidate import format_date, today_local
from workflows.action_plan import ACTION_PLAN_DEADLINES, announce_deadline, posted_until

ZERO = Decimal("0.00")
# The LAO's own projects: executions of the year the ordinance funds (not cancelled).
UNFUNDED_STATES = ("cancelled",)
# Before announcement the plan is still the LAO's to finish: the deadline is chased in these states.
OPEN_STATES = tuple(ACTION_PLAN_DEADLINES["chased_states"])
NAME_LIMIT = 500
AGENCY_LIMIT = 300


class ActionPlanExists(InvalidInput):
    """The LAO already has an action plan for that fiscal year."""

    code = "action_plan_exists"


class ActionPlanNotDrafting(DomainError):
    """Items change only while the support committee drafts the plan."""

    code = "action_plan_not_drafting"
    status = 409


class ActionPlanEmpty(GuardFailed):
    """Sending an action plan with no projects to the executive."""

    code = "action_plan_empty"


class MonthsMissing(GuardFailed):
    """Sending an action plan with a project that has no month of implementation."""

    code = "action_plan_months_missing"


class AnnouncementLate(GuardFailed):
    """Announcing the action plan more than 30 days after the ordinance's announcement."""

    code = "action_plan_announcement_late"


class AnnouncedBeforeOrdinance(GuardFailed):
    """An announcement dated before the budget ordinance's."""

    code = "action_plan_announced_before_ordinance"


class ExecutionNotFunded(InvalidInput):
    """A project the ordinance does not fund that year, or one already in the plan."""

    code = "action_plan_execution_not_funded"


# -- reading ---------------------------------------------------------------------------------------
def content_chain(action_plan_id: int) -> str:
    return f"action-plan-content:{action_plan_id}"


def may_draft(actor, org) -> bool:
    """Whether ``actor`` is one of the support committee's secretaries for ``org``."""
    return can_edit_plan_content(actor, org)


def _require_drafter(actor, org) -> None:
    if not may_draft(actor, org):
        raise PermissionDenied(
            "only the LAO's planners and support-committee secretaries draft the action plan",
            roles=sorted(PLAN_CONTENT_ROLES),
        )


def get_action_plan(actor, action_plan_id: int, *, lock: bool = False) -> ActionPlan:
    """An action plan the actor may read, or NotFound."""
    return engine.get_instance("action_plan", action_plan_id, actor, lock=lock)


def action_plans_of(actor, org_id: int) -> tuple[Organisation, list[ActionPlan]]:
    """A LAO's action plans, newest fiscal year first."""
    org = get_lao(actor, org_id)
    rows = db.session.scalars(
        select(ActionPlan)
        .where(ActionPlan.organisation_id == org.id)
        .order_by(ActionPlan.fiscal_year_be.desc())
    ).all()
    return org, list(rows)


def action_plan_for(org_id: int, fiscal_year_be: int) -> ActionPlan | None:
    return db.session.scalar(
        select(ActionPlan).where(
            ActionPlan.organisation_id == org_id, ActionPlan.fiscal_year_be == fiscal_year_be
        )
    )


def funded_executions(org_id: int, fiscal_year_be: int) -> list[ProjectExecution]:
    """The LAO's projects the ordinance funds in ``fiscal_year_be``, by plan and project number."""
    return list(
        db.session.scalars(
            select(ProjectExecution)
            .where(
                ProjectExecution.organisation_id == org_id,
                ProjectExecution.fiscal_year_be == fiscal_year_be,
                ProjectExecution.status.not_in(UNFUNDED_STATES),
                ProjectExecution.budgeted_amount > 0,
            )
            .options(
                selectinload(ProjectExecution.project).selectinload(ProjectRecord.strategy),
                selectinload(ProjectExecution.project).selectinload(ProjectRecord.programme),
            )
            .order_by(ProjectExecution.plan_id, ProjectExecution.project_no)
        )
    )


def addable_executions(action_plan: ActionPlan) -> list[ProjectExecution]:
    """Funded projects of the plan's year not (or no longer) in it."""
    present = {item.execution_id for item in action_plan.projects if item.execution_id is not None}
    return [
        e
        for e in funded_executions(action_plan.organisation_id, action_plan.fiscal_year_be)
        if e.id not in present
    ]


# -- the deadline ----------------------------------------------------------------------------------
@dataclass
class DeadlineStatus:
    """Where an action plan stands against its 30 days: ``days_overdue`` > 0 once late and still
    unannounced; ``posted_until`` once posted."""

    deadline: date
    announced_on: date | None
    days_overdue: int
    posted_until: date | None

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def deadline_status(action_plan: ActionPlan, today: date | None = None) -> DeadlineStatus:
    today = today or today_local()
    deadline = announce_deadline(action_plan.ordinance_announced_on, ACTION_PLAN_DEADLINES)
    late = action_plan.status in OPEN_STATES and today > deadline
    return DeadlineStatus(
        deadline=deadline,
        announced_on=action_plan.announced_on,
        days_overdue=(today - deadline).days if late else 0,
        posted_until=posted_until(action_plan.posted_on, ACTION_PLAN_DEADLINES)
        if action_plan.posted_on
        else None,
    )


# -- ผด.01 and ผด.02 --------------------------------------------------------------------------------
@dataclass
class SummaryRow:
    """A line of ผด.01: a strategy and programme (แผนงาน), or another agency."""

    strategy: str | None
    programme: str | None
    agency: str | None
    count: int = 0
    budget: Decimal = ZERO
    percent_count: Decimal = ZERO
    percent_budget: Decimal = ZERO


@dataclass
class Summary:
    rows: list[SummaryRow] = field(default_factory=list)
    count: int = 0
    budget: Decimal = ZERO


def _percent(part, whole) -> Decimal:
    if not whole:
        return ZERO
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))


def summary(action_plan: ActionPlan) -> Summary:
    """ผด.01: the projects and their budget by strategy and programme, then other agencies', with the
    share of the whole (each percentage of the plan's total count and budget)."""
    rows: dict[tuple, SummaryRow] = {}
    for item in action_plan.projects:
        key = (item.agency is not None, item.agency or "", item.strategy or "", item.programme or "")
        row = rows.setdefault(key, SummaryRow(item.strategy, item.programme, item.agency))
        row.count += 1
        row.budget += item.budget
    result = Summary(rows=[rows[k] for k in sorted(rows)])
    result.count = sum(r.count for r in result.rows)
    result.budget = sum((r.budget for r in result.rows), ZERO)
    for row in result.rows:
        row.percent_count = _percent(row.count, result.count)
        row.percent_budget = _percent(row.budget, result.budget)
    return result


def month_labels() -> list[int]:
    """The ผด.02 grid's columns: calendar months in fiscal order."""
    return list(FISCAL_MONTHS)


# -- drafting --------------------------------------------------------------------------------------
def _exists(exc) -> ActionPlanExists:
    return ActionPlanExists("there is already an action plan for that fiscal year", field="fiscal_year_be")


def _item_from(
    execution: ProjectExecution, position: int, action_plan_id: int | None = None
) -> ActionPlanItem:
    record = execution.project
    return ActionPlanItem(
        action_plan_id=action_plan_id,
        execution_id=execution.id,
        project_no=execution.project_no,
        position=position,
        name=record.name if record else f"โครงการลำดับที่ {execution.project_no}",
        strategy=record.strategy.name if record else None,
        programme=record.programme.name_th if record else None,
        responsible_unit=record.responsible_unit if record else None,
        budget=execution.budgeted_amount,
        months=0,
    )


def open_action_plan(actor, org_id: int, fiscal_year_be, ordinance_announced_on) -> ActionPlan:
    """Open the LAO's action plan for a fiscal year with every project the ordinance funds."""
    with transaction(conflict=_exists):
        org = get_lao(actor, org_id)
        _require_drafter(actor, org)
        year = parse_fiscal_year(fiscal_year_be)
        announced = text.parse_date(ordinance_announced_on, field="ordinance_announced_on")
        if announced is None:
            raise InvalidInput(
                "the ordinance's announcement date is required", field="ordinance_announced_on"
            )
        check_ordinance_announced_on(year, announced)
        if action_plan_for(org.id, year) is not None:
            raise _exists(None)
        plan = plan_for_year(org.id, year)
        action_plan = ActionPlan(
            organisation_id=org.id,
            plan_id=plan.id if plan else None,
            fiscal_year_be=year,
            ordinance_announced_on=announced,
            created_by_id=actor.id,
        )
        engine.start(
            action_plan,
            actor,
            data={"fiscal_year_be": year, "ordinance_announced_on": announced.isoformat()},
        )
        executions = funded_executions(org.id, year)
        for position, execution in enumerate(executions, start=1):
            db.session.add(_item_from(execution, position, action_plan.id))
    db.session.expire(action_plan)
    return action_plan


def _drafting(actor, action_plan_id: int) -> ActionPlan:
    action_plan = get_action_plan(actor, action_plan_id, lock=True)
    _require_drafter(actor, action_plan.organisation)
    if action_plan.status != "drafting":
        raise ActionPlanNotDrafting(
            "the action plan can be changed only while it is drafted", status=action_plan.status
        )
    return action_plan


def _audit(actor, action_plan: ActionPlan, action: str, data: dict) -> None:
    audit.append(
        content_chain(action_plan.id),
        action,
        actor=actor,
        organisation_id=action_plan.organisation_id,
        workflow="action_plan",
        workflow_version=action_plan.workflow_version,
        data=data,
        chain_locked=True,
    )


def _next_position(action_plan: ActionPlan) -> int:
    top = db.session.scalar(
        select(func.max(ActionPlanItem.position)).where(ActionPlanItem.action_plan_id == action_plan.id)
    )
    return (top or 0) + 1


def _item(action_plan: ActionPlan, item_id) -> ActionPlanItem:
    item_no = text.parse_int(item_id, field="item_id")
    item = db.session.get(ActionPlanItem, item_no) if item_no is not None else None
    if item is None or item.action_plan_id != action_plan.id:
        raise NotFound(f"action plan item #{item_id} not found", id=item_id)
    return item


def add_execution_item(actor, action_plan_id: int, execution_id) -> ActionPlanItem:
    """Put back a funded project of the year (one removed earlier, or budgeted since)."""
    with transaction():
        action_plan = _drafting(actor, action_plan_id)
        wanted = text.parse_int(execution_id, field="execution_id")
        execution = next((e for e in addable_executions(action_plan) if e.id == wanted), None)
        if execution is None:
            raise ExecutionNotFunded(
                "that project is not funded by the ordinance this year, or is already in the plan",
                field="execution_id",
            )
        item = _item_from(execution, _next_position(action_plan), action_plan.id)
        db.session.add(item)
        db.session.flush()
        _audit(actor, action_plan, "add_item", {"item": item.id, "execution": execution.id})
    return item


def add_agency_item(actor, action_plan_id: int, name, agency, budget) -> ActionPlanItem:
    """Add another agency's project carried out in the LAO's area."""
    with transaction():
        action_plan = _drafting(actor, action_plan_id)
        clean_name = text.clean_text(name, field="name", max_length=NAME_LIMIT, required=True)
        clean_agency = text.clean_text(agency, field="agency", max_length=AGENCY_LIMIT, required=True)
        amount = text.parse_decimal(budget, field="budget")
        if amount is None or amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount >= 10**12:
            raise InvalidInput(
                "the budget must be an amount of baht and satang, not negative", field="budget"
            )
        item = ActionPlanItem(
            action_plan_id=action_plan.id,
            position=_next_position(action_plan),
            name=clean_name,
            agency=clean_agency,
            budget=amount,
            months=0,
        )
        db.session.add(item)
        db.session.flush()
        _audit(actor, action_plan, "add_item", {"item": item.id, "agency": clean_agency})
    return item


def remove_item(actor, action_plan_id: int, item_id) -> None:
    with transaction():
        action_plan = _drafting(actor, action_plan_id)
        item = _item(action_plan, item_id)
        data = {"item": item.id, "execution": item.execution_id, "name": item.name}
        db.session.delete(item)
        db.session.flush()
        _audit(actor, action_plan, "remove_item", data)


def months_mask(months: Iterable) -> int:
    """The 12-bit set of calendar ``months`` (1–12, as typed or ticked), October as bit 0."""
    mask = 0
    for raw in months:
        month = text.parse_int(raw, field="months", minimum=1, maximum=12)
        if month is None:
            continue
        mask |= 1 << FISCAL_MONTHS.index(month)
    return mask


def set_months(actor, action_plan_id: int, item_id, months: Iterable) -> ActionPlanItem:
    """Set a project's months of implementation (calendar months 1–12)."""
    with transaction():
        action_plan = _drafting(actor, action_plan_id)
        item = _item(action_plan, item_id)
        mask = months_mask(months)
        if mask != item.months:
            _audit(actor, action_plan, "set_months", {"item": item.id, "from": item.months, "to": mask})
            item.months = mask
    return item


# -- entry actions -----------------------------------------------------------------------------------
@engine.entry_action
def require_items(instance, actor, from_state, to_state, data) -> None:
    """The executive receives a plan with projects, each with at least one month."""
    items = db.session.scalars(
        select(ActionPlanItem).where(ActionPlanItem.action_plan_id == instance.id)
    ).all()
    if not items:
        raise ActionPlanEmpty("the action plan has no project")
    missing = [item.name for item in items if not item.months]
    if missing:
        raise MonthsMissing("every project needs its months of implementation", projects=missing[:10])


@engine.entry_action
def require_timely_announcement(instance, actor, from_state, to_state, data) -> None:
    """Announce within the rules' days of the ordinance's announcement, never before it."""
    announced_on = date.fromisoformat(data["announced_on"])
    ordinance = instance.ordinance_announced_on
    if announced_on < ordinance:
        raise AnnouncedBeforeOrdinance(
            f"the announcement ({announced_on.isoformat()}) cannot be dated before the ordinance's "
            f"({ordinance.isoformat()})",
            field="announced_on",
            ordinance=format_date(ordinance),
        )
    deadline = announce_deadline(ordinance, ACTION_PLAN_DEADLINES)
    if announced_on > deadline:
        days = ACTION_PLAN_DEADLINES["announce_within_days"]
        raise AnnouncementLate(
            f"the action plan had to be announced within {days} days of the ordinance's announcement "
            f"on {ordinance.isoformat()}, that is by {deadline.isoformat()}; "
            f"{announced_on.isoformat()} is too late",
            field="announced_on",
            deadline=format_date(deadline),
        )
    instance.announced_on = announced_on


@engine.entry_action
def record_posting(instance, actor, from_state, to_state, data) -> None:
    """The posting starts the day it is recorded; it stays up at least the rules' 30 days."""
    instance.posted_on = today_local()


@engine.entry_action
def reopen(instance, actor, from_state, to_state, data) -> None:
    """A returned plan is drafted again, to be announced anew."""
    instance.announced_on = None
    instance.posted_on = None


__all__ = [
    "ActionPlanEmpty",
    "ActionPlanExists",
    "ActionPlanNotDrafting",
    "AnnouncedBeforeOrdinance",
    "AnnouncementLate",
    "DeadlineStatus",
    "ExecutionNotFunded",
    "MonthsMissing",
    "Summary",
    "SummaryRow",
    "action_plan_for",
    "action_plans_of",
    "add_agency_item",
    "add_execution_item",
    "deadline_status",
    "funded_executions",
    "get_action_plan",
    "get_lao",
    "month_labels",
    "months_mask",
    "open_action_plan",
    "remove_item",
    "set_months",
    "summary",
]

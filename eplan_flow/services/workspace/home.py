"""A person's home: what they work on, chosen by their roles and where those roles reach.

LAO staff see their LAO's plan in force and drafts, its open revisions, this fiscal year's
execution and its results; district and provincial officers what is overdue and the plans waiting
for their acknowledgement; approvers how many accounts and access requests wait for them; everyone
the items whose next step they may take and their unread notifications. Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from eplan_flow.collation import sorted_thai
from eplan_flow.extensions import db
from eplan_flow.models import EvaluationReport, Notification, Organisation, Plan, ProjectExecution, Revision
from eplan_flow.permissions import (
    SIGN_IN_HELPER_ROLES,
    can_edit_plan_content,
    can_oversee,
    can_read,
    can_use_back_office,
    visible_org_clause,
)
from eplan_flow.services.delivery.execution import completion_status
from eplan_flow.services.identity import approvals
from eplan_flow.services.oversight import status as oversight_status
from eplan_flow.services.planning import deadlines, duties, plans
from eplan_flow.services.platform import engine, inbox
from eplan_flow.thaidate import fiscal_year, today_local

# The roles that work on an LAO's plan; an LAO's SSO admin manages its people, not its plan.
LAO_STAFF_ROLES = frozenset(
    {"planner", "support_secretary", "devcom_secretary", "council_secretary", "executive"}
)
# Revisions no longer open: applied, or dropped.
CLOSED_REVISION_STATES = ("announced", "withdrawn")
# Plans whose district and province are asked to acknowledge them, and the step that does it.
ACKNOWLEDGE = "acknowledge"
# How many rows a section lists before it sends the reader to the full page.
SHOWN = 10


@dataclass(frozen=True)
class ExecutionYear:
    """A plan's projects budgeted in one fiscal year, and how many count as completed."""

    plan: Plan
    fiscal_year_be: int
    budgeted: int
    completed: int


@dataclass
class LaoDesk:
    """One LAO a person works for, and what of it they work on."""

    organisation: Organisation
    plan_in_force: Plan | None
    drafts: list[Plan]
    may_create_plan: bool
    may_edit: bool
    open_revisions: list[Revision]
    execution: ExecutionYear | None
    reports: list[EvaluationReport]
    # The yearly evaluation report the LAO owes (the 2561 rules): by when, and whether it is met.
    yearly_evaluation: duties.YearlyEvaluation | None = None


@dataclass
class OversightDesk:
    """A district, provincial or national office's view of the LAOs it oversees."""

    # None for a national reader: counting the whole country's overdue plans is the overdue page's job.
    overdue: int | None
    awaiting_acknowledgement: list[Plan]
    may_acknowledge: bool


@dataclass
class Home:
    fiscal_year_be: int
    laos: list[LaoDesk] = field(default_factory=list)
    waiting: list[inbox.WaitingItem] = field(default_factory=list)
    unread_notices: list[Notification] = field(default_factory=list)
    oversight: OversightDesk | None = None
    # Accounts and access requests waiting for the person's decision (None: they approve nobody).
    approvals_waiting: int | None = None
    back_office: bool = False


def home(actor, locale: str = "th", today: date | None = None) -> Home:
    """What ``actor`` works on now, section by section."""
    year = fiscal_year(today or today_local())
    page = Home(fiscal_year_be=year)
    if not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", True):
        return page
    page.laos = [_lao_desk(actor, org, year) for org in staff_laos(actor)]
    for desk in page.laos:
        desk.yearly_evaluation = duties.yearly_evaluation(
            desk.organisation.id, year - 1, locale, today=today or today_local()
        )
    page.waiting = inbox.waiting_for(actor, locale)
    page.unread_notices = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(SHOWN)
        )
    )
    if can_oversee(actor):
        page.oversight = _oversight_desk(actor, locale, today)
    if any(g.role in SIGN_IN_HELPER_ROLES for g in actor.grants):
        accounts, accesses = approvals.waiting_for(actor)
        page.approvals_waiting = len(accounts) + len(accesses)
    page.back_office = can_use_back_office(actor)
    return page


def staff_laos(actor) -> list[Organisation]:
    """The LAOs where ``actor`` holds a role that works on the plan, by name."""
    orgs = {
        g.organisation.id: g.organisation
        for g in actor.grants
        if g.role in LAO_STAFF_ROLES and g.organisation.kind == "lao" and can_read(actor, g.organisation)
    }
    return sorted_thai(orgs.values(), key=lambda org: org.name_th)


def _lao_desk(actor, org: Organisation, year: int) -> LaoDesk:
    org_plans = list(
        db.session.scalars(
            select(Plan).where(Plan.organisation_id == org.id).order_by(Plan.period_start_be.desc())
        )
    )
    in_force = next(
        (p for p in org_plans if p.current_version >= 1 and p.period_start_be <= year <= p.period_end_be),
        None,
    ) or next((p for p in org_plans if p.current_version >= 1), None)
    revisions = list(
        db.session.scalars(
            select(Revision)
            .where(Revision.organisation_id == org.id, Revision.status.not_in(CLOSED_REVISION_STATES))
            .order_by(Revision.id.desc())
            .limit(SHOWN)
        )
    )
    reports = list(
        db.session.scalars(
            select(EvaluationReport)
            .where(EvaluationReport.organisation_id == org.id, EvaluationReport.fiscal_year_be >= year - 1)
            .order_by(EvaluationReport.fiscal_year_be.desc(), EvaluationReport.round.desc())
        )
    )
    return LaoDesk(
        organisation=org,
        plan_in_force=in_force,
        drafts=[p for p in org_plans if p.current_version == 0],
        may_create_plan=org in plans.laos_for_new_plan(actor),
        may_edit=can_edit_plan_content(actor, org),
        open_revisions=revisions,
        execution=_execution_year(in_force, year) if in_force is not None else None,
        reports=reports,
    )


def _execution_year(plan: Plan, year: int) -> ExecutionYear:
    executions = db.session.scalars(
        select(ProjectExecution).where(
            ProjectExecution.plan_id == plan.id, ProjectExecution.fiscal_year_be == year
        )
    ).all()
    completed = sum(1 for e in executions if completion_status(e)[0])
    return ExecutionYear(plan=plan, fiscal_year_be=year, budgeted=len(executions), completed=completed)


def _oversight_desk(actor, locale: str, today: date | None) -> OversightDesk:
    submitted = db.session.scalars(
        select(Plan)
        .join(Organisation, Organisation.id == Plan.organisation_id)
        .where(Plan.status == "submitted", visible_org_clause(actor, Organisation))
        .order_by(Plan.submitted_at, Plan.id)
    ).all()
    waiting = [plan for plan in submitted if _may_acknowledge(actor, plan)]
    return OversightDesk(
        overdue=None
        if oversight_status.is_national(actor)
        else len(deadlines.overdue_items(actor, today=today, locale=locale)),
        awaiting_acknowledgement=waiting[:SHOWN],
        may_acknowledge=bool({g.role for g in actor.grants} & _acknowledging_roles()),
    )


def _acknowledging_roles() -> set[str]:
    return {
        role
        for definition in engine.REGISTRY.versions("plan")
        for spec in definition.transitions
        if spec.trigger == ACKNOWLEDGE
        for role in spec.roles
    }


def _may_acknowledge(actor, plan: Plan) -> bool:
    definition = engine.definition_of(plan)
    roles = engine.actor_roles(actor, plan)
    return any(
        roles.intersection(spec.roles) and definition.guards_hold(spec, plan)
        for spec in definition.candidates(plan, ACKNOWLEDGE)
    )

"""What a person may open and do from one plan's page: its forms, its execution in a fiscal year, its
results and evaluation, its revisions and its workflow, each offered only to whom it is open.

Reading the execution, results and revisions is open to everyone who may read the plan (the same
LAO, and the offices above it); recording execution, opening a revision or a report is for the LAO's
planners and support secretaries, and a workflow step for the roles its definition names. Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from eplan_flow.extensions import db
from eplan_flow.models import EvaluationReport, Plan
from eplan_flow.permissions import can_edit_plan_content
from eplan_flow.services.delivery import execution
from eplan_flow.services.platform import engine


@dataclass(frozen=True)
class PlanWork:
    """The pages and steps of one plan open to one person."""

    # Whether the plan was ever announced: only then is it executed, evaluated and revised.
    announced: bool
    # The fiscal year whose execution the page links to (this one, kept within the plan's period).
    execution_year: int
    # Whether the person records execution, opens revisions and drafts evaluation reports for the LAO.
    may_edit: bool
    # The evaluation reports that read this plan, newest first, each with its state's name.
    reports: tuple[tuple[EvaluationReport, str], ...]
    # The names of the workflow steps the person may take on the plan now.
    my_steps: tuple[str, ...]


def plan_work(actor, plan: Plan, locale: str = "th", today: date | None = None) -> PlanWork:
    """What ``actor``, who may read ``plan``, may open and do from its page."""
    announced = plan.current_version >= 1
    reports = (
        tuple(
            db.session.scalars(
                select(EvaluationReport)
                .where(EvaluationReport.plan_id == plan.id)
                .order_by(EvaluationReport.fiscal_year_be.desc(), EvaluationReport.round.desc())
            )
        )
        if announced
        else ()
    )
    definition = engine.definition_of(plan)
    roles = engine.actor_roles(actor, plan)
    steps = (
        definition.trigger_label(spec.trigger, locale)
        for spec in definition.transitions_from(plan.status)
        if roles.intersection(spec.roles) and definition.guards_hold(spec, plan)
    )
    return PlanWork(
        announced=announced,
        execution_year=execution.year_shown(plan, today),
        may_edit=can_edit_plan_content(actor, plan.organisation),
        reports=tuple((r, engine.definition_of(r).label(r.status, locale)) for r in reports),
        my_steps=tuple(dict.fromkeys(steps)),
    )

"""Builders for execution tests: budgeted projects of announced plans. Each commits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from eplan_flow.extensions import db
from eplan_flow.models import Disbursement, Organisation, Plan, ProjectExecution, User
from eplan_flow.services.delivery import execution as service
from eplan_flow.services.platform import engine
from tests.factories import revisions


def budgeted(
    org: Organisation,
    actor: User | None = None,
    *,
    project_no: int = 1,
    amount: str = "500000.00",
    plan: Plan | None = None,
) -> ProjectExecution:
    """Project ``project_no`` of a fresh announced plan of ``org``, budgeted for the plan's first year."""
    actor = actor or revisions.lao_planner(org)
    plan = plan or revisions.announced_plan(org, actor)
    return service.budget_project(actor, plan.id, project_no, plan.period_start_be, amount)


# What the steps of EXECUTION_V2 record: the procurement method, and the signed contract.
PROCUREMENT_METHOD = "วิธีเฉพาะเจาะจง"


def procuring(execution: ProjectExecution, actor: User) -> ProjectExecution:
    """Take ``execution`` from budgeted into procurement, recording its method."""
    service.start_procurement(actor, execution.id, PROCUREMENT_METHOD)
    db.session.expire(execution)
    return execution


def contracted(
    execution: ProjectExecution,
    actor: User,
    amount: str = "450000.00",
    *,
    signed_on: date = date(2026, 1, 10),
    contract_no: str = "จ.5/2569",
    contractor: str = "หจก. ทางดี",
    disbursing: bool = True,
) -> ProjectExecution:
    """Procure and sign ``execution``'s contract in the workflow's order (payments follow the
    contract), then, unless told otherwise, start disbursing."""
    procuring(execution, actor)
    service.sign_contract(actor, execution.id, contract_no, signed_on, contractor, amount)
    if disbursing:
        engine.fire("execution", execution.id, "start_disbursing", actor)
    db.session.expire(execution)
    return execution


def step_facts(trigger: str) -> dict[str, str] | None:
    """The facts EXECUTION_V2 records with ``trigger`` (matching ``fully_done``'s money), else None."""
    return {
        "start_procurement": {"procurement_method": PROCUREMENT_METHOD},
        "sign_contract": {
            "contract_no": "12/2567",
            "contract_date": "2024-01-15",
            "contractor": "หจก. ก่อสร้างดี",
            "contract_amount": "95000.00",
        },
    }.get(trigger)


def fully_done(org: Organisation, actor: User | None = None) -> ProjectExecution:
    """A budgeted execution that already holds a signed contract, paid in full, 100 % done.

    Written straight to the models (status still ``budgeted``), so every step's entry checks pass:
    the workflow property tests explore who may act, not the money.
    """
    actor = actor or revisions.lao_planner(org)
    plan = revisions.announced_plan(org, actor, projects=1)
    execution = ProjectExecution(
        plan_id=plan.id,
        organisation_id=org.id,
        project_no=1,
        fiscal_year_be=plan.period_start_be,
        budgeted_amount=Decimal("100000.00"),
        contract_no="12/2567",
        contract_date=date(2024, 1, 15),
        contractor="หจก. ก่อสร้างดี",
        contract_amount=Decimal("95000.00"),
        progress_percent=100,
    )
    engine.start(execution, actor)
    db.session.add(
        Disbursement(execution_id=execution.id, paid_on=date(2024, 3, 1), amount=Decimal("95000.00"))
    )
    db.session.commit()
    return execution

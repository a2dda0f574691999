"""Builders for results tests: evaluation reports and a small executed plan. Each commits."""

from __future__ import annotations

from datetime import date
from itertools import count

from sqlalchemy import insert, update

from eplan_flow.extensions import db
from eplan_flow.models import EvaluationReport, Organisation, Plan, User, lao_strategy_link
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.planning.projects import current_records
from eplan_flow.services.platform import engine
from tests.factories import execution as execution_factories
from tests.factories import revisions

TEXT = {
    "method": "แบบสอบถามความพึงพอใจและข้อมูลการเบิกจ่ายจากระบบ",
    "findings": "ดำเนินการแล้วเสร็จตามแผนร้อยละ 25",
    "recommendations": "ควรเร่งรัดการเบิกจ่ายในไตรมาสแรก",
}
_years = count(2400)


def drafted_report(
    org: Organisation,
    actor: User,
    *,
    fiscal_year_be: int | None = None,
    round: str = "october",
    text: bool = True,
    workflow_version: int | None = None,
) -> EvaluationReport:
    """A drafting report of ``org`` with its text written (so it can be submitted), built directly.

    Without ``fiscal_year_be`` each call takes a new (long past) year, so builders never collide.
    ``workflow_version=1`` builds a report started before the 2561 rules (15 days from the council).
    """
    report = EvaluationReport(
        organisation_id=org.id,
        fiscal_year_be=fiscal_year_be or next(_years),
        round=round,
        created_by_id=actor.id,
        **(TEXT if text else {}),
    )
    engine.start(report, actor)
    if workflow_version is not None:  # as it was started (the row's version counter stays as it is)
        table = EvaluationReport.__table__
        db.session.execute(
            update(table).where(table.c.id == report.id).values(workflow_version=workflow_version)
        )
    db.session.commit()
    return report


def executed_plan(world) -> Plan:
    """sao_a's plan 2566–2570 with four projects, three executed in fiscal year 2569 (see test_figures)."""
    planner = world.planner
    plan = revisions.announced_plan(world.sao_a, planner, projects=4, period_start_be=2566)
    records = _records(plan)
    strategies = sorted({r.strategy for r in records}, key=lambda s: s.number)
    ns1 = revisions.catalogue_item("national_strategy", "NS1", "ความมั่นคง")
    ns2 = revisions.catalogue_item("national_strategy", "NS2", "การสร้างความสามารถในการแข่งขัน")
    db.session.execute(insert(lao_strategy_link).values(strategy_id=strategies[0].id, item_id=ns1.id))
    next(r for r in records if r.project_no == 4).links.append(ns2)
    db.session.commit()

    def contracted(no: int, budget: str, contract: str):
        execution = execution_service.budget_project(planner, plan.id, no, 2569, budget)
        # Payments follow the signed contract (the execution workflow's order of steps).
        return execution_factories.contracted(
            execution, planner, contract, signed_on=date(2025, 11, 1), contract_no=f"จ.{no}/2569"
        )

    p1 = contracted(1, "1000.00", "900.00")
    execution_service.add_disbursement(planner, p1.id, date(2025, 12, 15), "400.00", 50)
    execution_service.add_disbursement(planner, p1.id, date(2026, 5, 10), "500.00", 100)
    engine.fire("execution", p1.id, "complete", planner)  # counted as completed only once completed
    p2 = contracted(2, "2000.00", "2000.00")
    execution_service.add_disbursement(planner, p2.id, date(2026, 1, 20), "1500.00", 60)
    p3 = execution_service.budget_project(planner, plan.id, 3, 2569, "3000.00")
    execution_service.cancel(planner, p3.id, "ไม่ได้รับอนุญาตใช้พื้นที่")
    return plan


def _records(plan: Plan):
    return current_records(plan.id)

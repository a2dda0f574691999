"""Project execution per fiscal year on real PostgreSQL: budgeting only plan projects, the money
limits, what counts as completed (and why not), and the side routes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from eplan_flow.errors import CommentRequired, InvalidInput, NotFound, PermissionDenied
from eplan_flow.models import (
    AuditEvent,
    BudgetTransfer,
    Disbursement,
    ProjectExecution,
    ProjectRecord,
)
from eplan_flow.services.delivery import execution as service
from eplan_flow.services.platform import audit, engine
from tests.factories import execution as execution_factories
from tests.factories import revisions as revision_factories

PAID_ON = date(2026, 2, 1)


def _contracted(world, amount="450000.00"):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    return execution_factories.contracted(execution, world.planner, amount)


def _money_rows(db, execution_id):
    return (
        db.session.scalar(
            select(func.count()).select_from(Disbursement).where(Disbursement.execution_id == execution_id)
        ),
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.chain == service.content_chain(execution_id))
        ),
        db.session.scalar(
            select(ProjectExecution.progress_percent).where(ProjectExecution.id == execution_id)
        ),
    )


def test_a_project_budgeted_contracted_and_paid_in_three_parts_shows_the_right_totals_and_a_fourth_overpayment_is_refused(
    world, db
):
    execution = _contracted(world)
    for amount, progress in (("150000.00", 30), ("200000.50", 70), ("99999.00", 95)):
        service.add_disbursement(world.planner, execution.id, PAID_ON, amount, progress)
    execution = db.session.get(ProjectExecution, execution.id)
    assert execution.disbursed_total == Decimal("449999.50")
    assert isinstance(execution.disbursed_total, Decimal)
    assert execution.contract_amount == Decimal("450000.00")
    assert execution.progress_percent == 95
    before = _money_rows(db, execution.id)

    with pytest.raises(service.OverBudget, match="at most 0.50 can still be paid"):
        service.add_disbursement(world.planner, execution.id, PAID_ON, "1000.00", 100)

    assert _money_rows(db, execution.id) == before
    db.session.expire_all()
    assert db.session.get(ProjectExecution, execution.id).disbursed_total == Decimal("449999.50")
    assert audit.verify_chains()[1] == []


def test_budgeting_a_project_not_in_the_plan_is_refused_telling_to_change_the_plan_first(world, db):
    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=3)
    with pytest.raises(service.NotInPlan, match="add it to the plan or change the plan first"):
        service.budget_project(world.planner, plan.id, 99, plan.period_start_be, "1000.00")
    with pytest.raises(service.NotInPlan, match="outside the plan's period"):
        service.budget_project(world.planner, plan.id, 1, plan.period_end_be + 1, "1000.00")
    assert db.session.scalar(select(func.count()).select_from(ProjectExecution)) == 0


def test_a_project_without_a_budget_line_for_the_year_or_closed_by_a_revision_cannot_be_budgeted(world, db):
    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=2)
    record = db.session.scalar(
        select(ProjectRecord).where(ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 1)
    )
    record.budget_2 = Decimal("0.00")
    record2 = db.session.scalar(
        select(ProjectRecord).where(ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 2)
    )
    record2.valid_to = 2  # replaced by a later version: not the record in force
    record2.valid_from = 1
    db.session.commit()
    with pytest.raises(service.NotInPlan):
        service.budget_project(world.planner, plan.id, 1, plan.period_start_be + 1, "10.00")
    execution = service.budget_project(world.planner, plan.id, 1, plan.period_start_be, "10.00")
    assert execution.status == "budgeted" and execution.budgeted_amount == Decimal("10.00")
    with pytest.raises(service.AlreadyBudgeted):
        service.budget_project(world.planner, plan.id, 1, plan.period_start_be, "10.00")


def test_a_project_counts_as_completed_only_when_fully_paid_against_the_contract_and_100_percent_done(
    world, db
):
    budgeted = execution_factories.budgeted(world.sao_a, world.planner)
    assert service.completion_status(budgeted) == (False, "ตั้งงบประมาณในข้อบัญญัติแล้ว: ยังไม่ลงนามสัญญา")

    execution = _contracted(world, amount="100000.00")
    service.add_disbursement(world.planner, execution.id, PAID_ON, "80000.00", 90)
    execution = db.session.get(ProjectExecution, execution.id)
    assert service.completion_status(execution) == (
        False,
        "อยู่ระหว่างเบิกจ่าย: เบิกจ่ายแล้ว 80% ของสัญญา, ความคืบหน้า 90%",
    )
    with pytest.raises(service.NotCounted, match="เบิกจ่ายแล้ว 80% ของสัญญา"):
        engine.fire("execution", execution.id, "complete", world.planner)

    service.add_disbursement(world.planner, execution.id, PAID_ON, "20000.00", 90)
    execution = db.session.get(ProjectExecution, execution.id)
    assert service.completion_status(execution) == (False, "อยู่ระหว่างเบิกจ่าย: ความคืบหน้า 90%")
    with pytest.raises(service.NotCounted):
        engine.fire("execution", execution.id, "complete", world.planner)
    assert db.session.get(ProjectExecution, execution.id).status == "disbursing"

    with pytest.raises(InvalidInput):
        service.add_disbursement(world.planner, execution.id, PAID_ON, "0.00", 100)
    with pytest.raises(InvalidInput):
        service.record_progress(world.planner, execution.id, 101)
    execution = service.record_progress(world.planner, execution.id, 100)
    # Paid in full and done, but counted only once the step "completed" is taken: the state decides.
    counted, reason = service.completion_status(execution)
    assert not counted and reason.startswith("อยู่ระหว่างเบิกจ่าย: ")
    assert engine.fire("execution", execution.id, "complete", world.planner).to_state == "completed"
    execution = db.session.get(ProjectExecution, execution.id)
    assert service.completion_status(execution) == (True, "")


def test_the_contract_must_fit_the_budget_with_its_transfers_and_is_needed_before_signing(world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner, amount="100000.00")
    execution_factories.procuring(execution, world.planner)
    with pytest.raises(InvalidInput, match="needs contract_no"):
        engine.fire("execution", execution.id, "sign_contract", world.planner)
    with pytest.raises(service.OverBudget):
        service.sign_contract(world.planner, execution.id, "1/2569", date(2026, 1, 5), "ร้าน ก", "120000.00")
    assert db.session.get(ProjectExecution, execution.id).status == "procurement"
    service.add_transfer(world.planner, execution.id, "transfer_in", "30000.00", date(2026, 1, 3), "โอนเพิ่ม")
    service.add_transfer(world.planner, execution.id, "transfer_out", "10000.00", date(2026, 1, 4))
    result = service.sign_contract(
        world.planner, execution.id, "1/2569", date(2026, 1, 5), "ร้าน ก", "120000.00"
    )
    assert result.to_state == "contracted"
    with pytest.raises(service.OverBudget):
        service.add_transfer(world.planner, execution.id, "transfer_out", "0.01", date(2026, 1, 6))
    execution = db.session.get(ProjectExecution, execution.id)
    assert execution.available_budget == Decimal("120000.00")
    assert (
        execution.contract_no,
        execution.contract_date,
        execution.contractor,
        execution.contract_amount,
    ) == (
        "1/2569",
        date(2026, 1, 5),
        "ร้าน ก",
        Decimal("120000.00"),
    )
    assert [t.kind for t in execution.transfers] == ["transfer_in", "transfer_out"]
    # The steps record what they are about: the procurement method and the contract, no meeting.
    facts = [e.data for e in engine.history(execution)[1:]]
    assert facts[0] == {"procurement_method": execution_factories.PROCUREMENT_METHOD}
    assert facts[1]["contract_no"] == "1/2569" and facts[1]["contract_date"] == "2026-01-05"
    assert audit.verify_chains()[1] == []


def test_a_payment_before_the_contract_is_refused_in_budgeted_and_in_procurement_and_changes_nothing(
    world, db
):
    execution = execution_factories.budgeted(world.sao_a, world.planner, amount="5000.00")
    for step in (None, "procurement"):
        if step:
            execution_factories.procuring(execution, world.planner)
        before = _money_rows(db, execution.id)
        with pytest.raises(service.PaymentBeforeContract) as refused:
            service.add_disbursement(world.planner, execution.id, PAID_ON, "100.00", 10)
        assert refused.value.code == "payment_before_contract"
        assert refused.value.details["reason"] == "not_contracted"
        assert _money_rows(db, execution.id) == before
    execution = db.session.get(ProjectExecution, execution.id)
    assert execution.status == "procurement" and execution.disbursed_total == Decimal("0.00")
    counted, reason = service.completion_status(execution)
    assert (counted, reason) == (False, "อยู่ระหว่างจัดซื้อจัดจ้าง: ยังไม่ลงนามสัญญา")


def test_a_payment_is_not_dated_before_its_contract(world, db):
    execution = _contracted(world, amount="1000.00")  # signed on 10 January 2026
    with pytest.raises(service.PaymentBeforeContract) as refused:
        service.add_disbursement(world.planner, execution.id, date(2026, 1, 9), "100.00", 10)
    assert refused.value.details["reason"] == "before_contract_date"
    service.add_disbursement(world.planner, execution.id, date(2026, 1, 10), "100.00", 10)
    assert db.session.get(ProjectExecution, execution.id).disbursed_total == Decimal("100.00")


def test_on_the_no_procurement_route_payments_need_no_contract_and_are_capped_by_the_budget(world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner, amount="5000.00")
    engine.fire("execution", execution.id, "close_without_procurement", world.planner)
    service.add_disbursement(world.planner, execution.id, PAID_ON, "5000.00", 100)
    with pytest.raises(service.OverBudget, match="available budget"):
        service.add_disbursement(world.planner, execution.id, PAID_ON, "0.01", 100)
    execution = db.session.get(ProjectExecution, execution.id)
    assert execution.status == "closed_without_procurement"
    assert execution.disbursed_total == Decimal("5000.00")
    # Paid in full and "done", yet not counted: the state says why.
    assert service.completion_status(execution) == (False, "สิ้นสุดเมื่ออนุมัติงบประมาณ ไม่มีการจัดซื้อจัดจ้าง")


def test_an_item_started_on_version_1_keeps_its_rule_of_paying_without_a_contract(world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner, amount="5000.00")
    execution.workflow_version = 1  # as every item budgeted before version 2 was
    db.session.commit()
    engine.fire("execution", execution.id, "start_procurement", world.planner)  # records nothing in v1
    service.add_disbursement(world.planner, execution.id, PAID_ON, "5000.00", 100)
    with pytest.raises(service.OverBudget, match="available budget"):
        service.add_disbursement(world.planner, execution.id, PAID_ON, "0.01", 100)
    execution = db.session.get(ProjectExecution, execution.id)
    # Paid in full, but still in procurement: not counted, and the reason says so.
    assert service.completion_status(execution) == (False, "อยู่ระหว่างจัดซื้อจัดจ้าง: ยังไม่ลงนามสัญญา")


def test_a_project_is_carried_over_to_the_next_year_and_completes_when_paid_out(world, db):
    execution = _contracted(world, amount="100000.00")
    service.add_disbursement(world.planner, execution.id, PAID_ON, "40000.00", 60)
    engine.fire("execution", execution.id, "carry_over", world.planner)
    execution = db.session.get(ProjectExecution, execution.id)
    assert execution.status == "carried_over"
    assert execution.carried_over_to_be == execution.fiscal_year_be + 1
    counted, reason = service.completion_status(execution)
    assert not counted and f"กันเงินไปปีงบประมาณ {execution.fiscal_year_be + 1}" in reason
    service.add_disbursement(world.planner, execution.id, PAID_ON, "60000.00", 100)
    assert engine.fire("execution", execution.id, "complete", world.planner).to_state == "completed"
    with pytest.raises(InvalidInput, match="closed"):
        service.add_disbursement(world.planner, execution.id, PAID_ON, "1.00", 100)
    execution = db.session.get(ProjectExecution, execution.id)
    assert service.completion_status(execution) == (True, "")


def test_a_cancelled_project_keeps_its_reason_and_takes_no_more_money(world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    with pytest.raises(CommentRequired):
        engine.fire("execution", execution.id, "cancel", world.planner)
    with pytest.raises(InvalidInput):
        service.cancel(world.planner, execution.id, "  ")
    service.cancel(world.planner, execution.id, "ชุมชนขอเปลี่ยนที่ตั้ง")
    execution = db.session.get(ProjectExecution, execution.id)
    assert execution.status == "cancelled" and execution.cancel_reason == "ชุมชนขอเปลี่ยนที่ตั้ง"
    assert service.completion_status(execution) == (False, "ยกเลิกโครงการ: ชุมชนขอเปลี่ยนที่ตั้ง")
    assert engine.history(execution)[-1].comment == "ชุมชนขอเปลี่ยนที่ตั้ง"
    with pytest.raises(InvalidInput):
        service.add_transfer(world.planner, execution.id, "transfer_in", "1.00", PAID_ON)


def test_a_subsidy_ends_at_budget_approval_and_is_not_counted_as_completed(world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    engine.fire("execution", execution.id, "close_without_procurement", world.support_secretary)
    execution = db.session.get(ProjectExecution, execution.id)
    assert service.completion_status(execution)[1] == "สิ้นสุดเมื่ออนุมัติงบประมาณ ไม่มีการจัดซื้อจัดจ้าง"


def test_only_the_laos_planners_and_support_secretaries_record_and_outsiders_see_nothing(world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    for reader in (world.executive, world.district_officer, world.provincial_officer):
        assert service.get_execution(reader, execution.id).id == execution.id
        with pytest.raises(PermissionDenied):
            service.add_disbursement(reader, execution.id, PAID_ON, "1.00", 1)
    for outsider in (world.planner_x, world.district_officer_2, world.provincial_officer_30):
        with pytest.raises(NotFound):
            service.add_disbursement(outsider, execution.id, PAID_ON, "1.00", 1)
        with pytest.raises(NotFound):
            service.plan_year(outsider, execution.plan_id, execution.fiscal_year_be)
    with pytest.raises(PermissionDenied):
        service.budget_project(world.executive, execution.plan_id, 2, execution.fiscal_year_be, "1.00")
    service.add_transfer(world.support_secretary, execution.id, "transfer_in", "1.00", PAID_ON)
    assert db.session.scalar(select(func.count()).select_from(BudgetTransfer)) == 1
    assert db.session.scalar(select(func.count()).select_from(Disbursement)) == 0

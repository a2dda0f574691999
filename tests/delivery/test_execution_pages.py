"""The execution pages: a plan's year with totals and the "counted as completed?" reason, one
project's money with its forms; scoped to the LAO, written only by its planners, CSRF-protected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, Disbursement, ProjectExecution
from eplan_flow.services.delivery import execution as service
from eplan_flow.services.platform import engine
from tests import factories
from tests.factories import execution as execution_factories
from tests.factories.revisions import announced_plan
from tests.pages import csrf_token_in


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_planner_budgets_contracts_and_pays_in_three_parts_through_the_pages(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner, projects=3)
    client = login_as(world.planner)
    year = plan.period_start_be
    page = client.get(f"/execution/plans/{plan.id}?year={year}")
    assert page.status_code == 200 and f'action="/execution/plans/{plan.id}/budget"' in text(page)
    response = client.post(
        f"/execution/plans/{plan.id}/budget",
        data={"project_no": "2", "fiscal_year_be": str(year), "amount": "300,000.00"},
    )
    assert response.status_code == 303
    execution = db.session.scalar(select(ProjectExecution).where(ProjectExecution.plan_id == plan.id))
    assert execution.budgeted_amount == Decimal("300000.00")
    # Budgeted: no payment form yet, and the page says why; procurement starts with its method.
    detail = text(client.get(f"/execution/{execution.id}"))
    assert f'action="/execution/{execution.id}/disbursements"' not in detail
    assert 'id="no-payment"' in detail and "ลงนามในสัญญา" in detail
    assert f'action="/execution/{execution.id}/contract"' not in detail
    assert "ครั้งที่ประชุม" not in detail
    response = client.post(
        f"/execution/{execution.id}/procurement",
        data={"procurement_method": "วิธีคัดเลือก", "expected_version": "1"},
    )
    assert response.status_code == 303
    # In procurement: still no payment form; the contract is signed with its own fields.
    detail = text(client.get(f"/execution/{execution.id}"))
    assert f'action="/execution/{execution.id}/disbursements"' not in detail
    assert f'action="/execution/{execution.id}/sign"' in detail and "ครั้งที่ประชุม" not in detail
    response = client.post(
        f"/execution/{execution.id}/disbursements",
        data={"paid_on": "2026-02-01", "amount": "1000.00", "progress_percent": "5"},
        follow_redirects=True,
    )
    assert "ไม่ได้บันทึก" in text(response) and "ลงนามในสัญญา" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Disbursement)) == 0
    response = client.post(
        f"/execution/{execution.id}/sign",
        data={
            "contract_no": "จ.1/2569",
            "contract_date": "2026-01-10",
            "contractor": "หจก. ทางดี",
            "amount": "250000.00",
            "expected_version": "2",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(ProjectExecution, execution.id).status == "contracted"
    assert f'action="/execution/{execution.id}/disbursements"' in text(
        client.get(f"/execution/{execution.id}")
    )
    engine.fire("execution", execution.id, "start_disbursing", world.planner)
    for amount, progress in (("100000.00", 40), ("100000.00", 80), ("49000.00", 100)):
        response = client.post(
            f"/execution/{execution.id}/disbursements",
            data={"paid_on": "2026-02-01", "amount": amount, "progress_percent": str(progress)},
        )
        assert response.status_code == 303
    response = client.post(
        f"/execution/{execution.id}/disbursements",
        data={"paid_on": "2026-02-02", "amount": "2000.00", "progress_percent": "100"},
        follow_redirects=True,
    )
    assert "249,000.00" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Disbursement)) == 3

    html = text(client.get(f"/execution/plans/{plan.id}?year={year}"))
    assert "250,000.00" in html and "249,000.00" in html and "เบิกจ่ายแล้ว 99% ของสัญญา" in html
    detail = text(client.get(f"/execution/{execution.id}"))
    assert f'href="/instances/execution/{execution.id}"' in detail
    for action in ("contract", "transfers", "disbursements", "progress", "cancel"):
        assert f'action="/execution/{execution.id}/{action}"' in detail


def test_budgeting_a_project_outside_the_plan_flashes_the_reason_and_writes_nothing(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner, projects=2)
    client = login_as(world.planner)
    response = client.post(
        f"/execution/plans/{plan.id}/budget",
        follow_redirects=True,
        data={"project_no": "7", "fiscal_year_be": str(plan.period_start_be), "amount": "10"},
    )
    assert "เพิ่มเติม/เปลี่ยนแปลงแผน" in text(response)
    assert db.session.scalar(select(func.count()).select_from(ProjectExecution)) == 0


def test_readers_see_the_pages_without_forms_and_outsiders_get_not_found(world, db, login_as):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    client = login_as(world.district_officer)
    page = text(client.get(f"/execution/{execution.id}"))
    assert "ยังไม่ลงนามสัญญา" in page and '/disbursements"' not in page
    assert 'name="amount"' not in text(client.get(f"/execution/plans/{execution.plan_id}"))
    assert (
        client.post(f"/execution/{execution.id}/progress", data={"progress_percent": "5"}).status_code == 403
    )
    client = login_as(world.planner_x)
    assert client.get(f"/execution/{execution.id}").status_code == 404
    assert client.get(f"/execution/plans/{execution.plan_id}").status_code == 404


def test_a_form_without_its_csrf_token_is_refused_and_one_with_it_is_accepted(csrf_app):
    with csrf_app.app_context():
        world = factories.build_world()
        execution_id = execution_factories.budgeted(world.sao_a, world.planner).id
        _db.session.remove()
    client = csrf_app.test_client()
    login = client.get("/auth/login")
    client.post(
        "/auth/login",
        data={"username": "a_planner", "password": "pw", "csrf_token": csrf_token_in(text(login))},
    )
    url = f"/execution/{execution_id}/progress"
    client.post(url, data={"progress_percent": "10"})
    token = csrf_token_in(text(client.get(f"/execution/{execution_id}")))
    client.post(url, data={"progress_percent": "20", "csrf_token": token})
    with csrf_app.app_context():
        try:
            assert _db.session.get(ProjectExecution, execution_id).progress_percent == 20
            # Only the post with the token wrote anything.
            events = _db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.chain == service.content_chain(execution_id))
            )
            assert events == 1
        finally:
            _db.session.remove()


def test_the_payment_form_waits_for_the_contract_and_opens_on_the_no_procurement_route(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner, projects=2)
    contracted = execution_factories.budgeted(world.sao_a, world.planner, plan=plan)
    subsidy = execution_factories.budgeted(world.sao_a, world.planner, project_no=2, plan=plan)
    client = login_as(world.planner)
    payment_form = 'action="/execution/{}/disbursements"'

    page = text(client.get(f"/execution/{contracted.id}"))
    assert payment_form.format(contracted.id) not in page and 'id="no-payment"' in page
    execution_factories.contracted(contracted, world.planner, "1000.00", disbursing=False)
    page = text(client.get(f"/execution/{contracted.id}"))
    assert payment_form.format(contracted.id) in page and 'id="no-payment"' not in page

    engine.fire("execution", subsidy.id, "close_without_procurement", world.planner)
    page = text(client.get(f"/execution/{subsidy.id}"))
    assert payment_form.format(subsidy.id) in page
    # The year is closed to everything else: no contract, transfer or cancel forms.
    assert f'action="/execution/{subsidy.id}/contract"' not in page
    assert f'action="/execution/{subsidy.id}/cancel"' not in page


def test_a_payment_date_is_typed_in_the_buddhist_era_and_a_gregorian_year_is_refused(world, db, login_as):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    execution_factories.contracted(execution, world.planner, "1000.00")  # signed 10/01/2569
    client = login_as(world.planner)
    page = text(client.get(f"/execution/{execution.id}"))
    assert 'type="date"' not in page
    assert 'id="paid_on" name="paid_on"' in page and 'aria-describedby="paid_on-hint"' in page
    assert 'id="paid_on-hint">วว/ดด/ปปปป (พ.ศ.) เช่น 15/01/2569</p>' in page
    url = f"/execution/{execution.id}/disbursements"

    refused = client.post(
        url,
        data={"paid_on": "01/02/2026", "amount": "100.00", "progress_percent": "10"},
        follow_redirects=True,
    )
    assert "ไม่ได้บันทึก: โปรดระบุปีเป็นพุทธศักราช (พ.ศ.) คือ 2569 ไม่ใช่ 2026" in text(refused)
    assert db.session.scalar(select(func.count()).select_from(Disbursement)) == 0

    response = client.post(url, data={"paid_on": "1/2/2569", "amount": "100.00", "progress_percent": "10"})
    assert response.status_code == 303
    paid = db.session.scalar(select(Disbursement).where(Disbursement.execution_id == execution.id))
    assert paid is not None and paid.paid_on == date(2026, 2, 1)
    assert "1 กุมภาพันธ์ 2569" in text(client.get(f"/execution/{execution.id}"))

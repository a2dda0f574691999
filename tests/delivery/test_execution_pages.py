"""The execution pages: a plan's year with totals and the "counted as completed?" reason, one
project's money with its forms; scoped to the LAO, written only by its planners, CSRF-protected."""

from __future__ import annotations

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
    engine.fire("execution", execution.id, "start_procurement", world.planner)
    client.post(
        f"/execution/{execution.id}/contract",
        data={
            "contract_no": "จ.1/2569",
            "contract_date": "2026-01-10",
            "contractor": "หจก. ทางดี",
            "amount": "250000.00",
        },
    )
    engine.fire("execution", execution.id, "sign_contract", world.planner)
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

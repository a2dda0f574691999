"""Payments through the JSON API keep the execution workflow's order of steps: refused with the code
``payment_before_contract`` before the contract, accepted after it, scoped to the LAO.

Requests go through a second app on the same database (as in tests/web/test_api.py), so each
request has its own app context and session while the test's session checks what was written.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import Disbursement, ProjectExecution
from tests import factories
from tests.conftest import make_app
from tests.factories import execution as execution_factories

API = "/api/v1"
PAYMENT = {"paid_on": "2026-02-01", "amount": "1000.00", "progress_percent": 10}


@pytest.fixture
def api(app):
    served = make_app()
    yield served.test_client()
    with served.app_context():
        _db.engine.dispose()


def bearer(user) -> dict:
    return factories.bearer(user, "execution api tests")


def payments(execution_id: int) -> int:
    _db.session.expire_all()
    return _db.session.scalar(
        select(func.count()).select_from(Disbursement).where(Disbursement.execution_id == execution_id)
    )


def test_a_payment_before_the_contract_is_refused_with_its_code_and_a_thai_message(api, world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    execution_factories.procuring(execution, world.planner)
    url = f"{API}/executions/{execution.id}/disbursements"

    response = api.post(url, json=PAYMENT, headers=bearer(world.planner))

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "payment_before_contract"
    assert body["details"]["reason"] == "not_contracted"
    assert body["message"].startswith("ยังไม่ได้บันทึก") and "ลงนามในสัญญา" in body["message"]
    assert payments(execution.id) == 0


def test_after_the_contract_the_api_records_the_payment(api, world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    execution_factories.contracted(execution, world.planner, "5000.00")

    response = api.post(
        f"{API}/executions/{execution.id}/disbursements", json=PAYMENT, headers=bearer(world.planner)
    )

    assert response.status_code == 201
    body = response.get_json()
    assert (body["amount"], body["disbursed_total"], body["progress_percent"]) == ("1000.00", "1000.00", 10)
    assert body["status"] == "disbursing"
    assert _db.session.get(ProjectExecution, execution.id).disbursed_total == Decimal("1000.00")


def test_on_the_no_procurement_route_the_api_records_a_payment_without_a_contract(api, world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    response = api.post(
        f"{API}/instances/execution/{execution.id}/fire",
        json={"trigger": "close_without_procurement"},
        headers=bearer(world.planner),
    )
    assert response.status_code == 200

    response = api.post(
        f"{API}/executions/{execution.id}/disbursements", json=PAYMENT, headers=bearer(world.planner)
    )

    assert response.status_code == 201 and response.get_json()["status"] == "closed_without_procurement"
    assert payments(execution.id) == 1


def test_the_api_procurement_step_asks_for_its_method_not_a_meeting(api, world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    url = f"{API}/instances/execution/{execution.id}/fire"

    meeting = {"meeting_date": "2026-01-05", "resolution": "ครั้งที่ 1/2569"}
    refused = api.post(
        url, json={"trigger": "start_procurement", "data": meeting}, headers=bearer(world.planner)
    )
    assert refused.status_code == 422 and refused.get_json()["details"]["expected"] == ["procurement_method"]

    done = api.post(
        url,
        json={"trigger": "start_procurement", "data": {"procurement_method": "วิธีคัดเลือก"}},
        headers=bearer(world.planner),
    )
    assert done.status_code == 200 and done.get_json()["state"] == "procurement"


@pytest.mark.parametrize(
    "body, field",
    [
        ({**PAYMENT, "amount": 1000}, "amount"),
        ({**PAYMENT, "progress_percent": "10"}, "progress_percent"),
        ({**PAYMENT, "extra": 1}, "extra"),
    ],
)
def test_a_malformed_payment_is_refused_naming_its_field(api, world, db, body, field):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    execution_factories.contracted(execution, world.planner, "5000.00")
    response = api.post(
        f"{API}/executions/{execution.id}/disbursements", json=body, headers=bearer(world.planner)
    )
    assert response.status_code == 422 and response.get_json()["details"]["field"] == field
    assert payments(execution.id) == 0


def test_readers_are_refused_and_outsiders_do_not_find_the_project(api, world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    execution_factories.contracted(execution, world.planner, "5000.00")
    url = f"{API}/executions/{execution.id}/disbursements"

    assert api.post(url, json=PAYMENT, headers=bearer(world.district_officer)).status_code == 403
    assert api.post(url, json=PAYMENT, headers=bearer(world.planner_x)).status_code == 404
    assert api.post(url, json=PAYMENT).status_code == 401
    assert payments(execution.id) == 0

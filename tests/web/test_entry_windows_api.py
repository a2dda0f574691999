"""The JSON API during a read-only window (issue 12, item 12): writes answer 503 ``read_only_window``
with Retry-After and change nothing; reads answer as ever; once DLA ends the window, writes go through.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, Plan
from eplan_flow.services.identity import accounts
from eplan_flow.services.platform import entry_windows
from eplan_flow.thaidate import BANGKOK
from tests import factories
from tests.conftest import make_app

API = "/api/v1"
CLOSES = datetime(2023, 9, 30, 0, 0, tzinfo=BANGKOK)
REOPENS = datetime(2023, 10, 2, 8, 30, tzinfo=BANGKOK)
REASON = "เปิดปีงบประมาณใหม่ พ.ศ. 2567"


@pytest.fixture
def api(app):
    served = make_app()
    yield served.test_client()
    with served.app_context():
        _db.engine.dispose()


@pytest.fixture
def clock(monkeypatch):
    def _set(moment: datetime) -> datetime:
        monkeypatch.setattr(entry_windows, "now", lambda: moment.astimezone(UTC))
        return moment

    return _set


def state(plan_id: int) -> tuple:
    _db.session.expire_all()
    plan = _db.session.get(Plan, plan_id)
    return plan.status, plan.version, _db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_during_the_window_the_api_refuses_writes_with_its_code_and_reads_go_on(api, world, clock):
    plan = factories.plan(world.sao_a, world.planner)
    headers = {"Authorization": f"Bearer {accounts.create_token(world.planner.username, 'window tests')}"}
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    window = entry_windows.schedule_window(world.dla_admin, starts_at=CLOSES, ends_at=REOPENS, reason=REASON)
    allowed = api.get(f"{API}/instances/plan/{plan.id}", headers=headers).get_json()["allowed_triggers"]
    trigger = next(t["trigger"] for t in allowed if t["allowed"])
    call = {"trigger": trigger, "comment": "พร้อมเสนอ", "expected_version": plan.version}

    clock(datetime(2023, 10, 1, 20, 0, tzinfo=BANGKOK))
    before = state(plan.id)
    fired = api.post(f"{API}/instances/plan/{plan.id}/fire", json=call, headers=headers)
    assert fired.status_code == 503
    body = fired.get_json()
    assert body["code"] == "read_only_window"
    assert body["message"].startswith("ไม่ได้บันทึก: e-Plan ปิดรับการบันทึกข้อมูลถึง 2 ตุลาคม 2566 08:30 น.")
    assert body["details"] == {
        "starts_at": "2023-09-29T17:00:00+00:00",
        "ends_at": "2023-10-02T01:30:00+00:00",
        "window_reason": REASON,
        "retry_after": 12 * 3600 + 30 * 60,
    }
    assert fired.headers["Retry-After"] == str(12 * 3600 + 30 * 60)
    paid = api.post(f"{API}/executions/1/disbursements", json={"amount": "1.00"}, headers=headers)
    assert (paid.status_code, paid.get_json()["code"]) == (503, "read_only_window")
    assert state(plan.id) == before
    # Reading goes on.
    read = api.get(f"{API}/instances/plan/{plan.id}", headers=headers)
    assert read.status_code == 200 and read.get_json()["state"] == before[0]
    assert api.get(f"{API}/workflows", headers=headers).status_code == 200

    # DLA ends the window early; the same call goes through.
    entry_windows.end_window(world.dla_admin, window.id)
    done = api.post(f"{API}/instances/plan/{plan.id}/fire", json=call, headers=headers)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["trigger"] == trigger and state(plan.id)[1] == call["expected_version"] + 1


def test_an_api_write_outside_any_window_is_not_asked_about_one_that_is_over_or_not_begun(api, world, clock):
    plan = factories.plan(world.sao_a, world.planner)
    headers = {"Authorization": f"Bearer {accounts.create_token(world.planner.username, 'window tests')}"}
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    entry_windows.schedule_window(world.dla_admin, starts_at=CLOSES, ends_at=REOPENS, reason=REASON)
    for moment in (datetime(2023, 9, 29, 23, 59, tzinfo=BANGKOK), REOPENS):
        clock(moment)
        # An unknown trigger: refused by the engine (422), not by the window.
        response = api.post(
            f"{API}/instances/plan/{plan.id}/fire", json={"trigger": "no_such_step"}, headers=headers
        )
        assert response.status_code != 503, moment

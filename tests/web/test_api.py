"""The JSON API v1: definitions, diagrams, instances and firing triggers, and its JSON errors.

Requests go through a second app built on the same database, so each request gets its own app
context (a fresh ``g`` and database session) as in production, while the test's own session
arranges data and checks what was written.
"""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, OutboxMessage, Plan
from eplan_flow.services.identity import accounts
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.unit_of_work import transaction
from tests import factories
from tests.conftest import make_app
from tests.factories.fire import MEETING
from workflows import REGISTRY, Registry
from workflows.plan import PLAN_V1, PLAN_V2

API = "/api/v1"
# What a committee or council step records, as the API describes it.
MEETING_FIELDS = [{"name": "meeting_date", "type": "date"}, {"name": "resolution", "type": "text"}]


@pytest.fixture
def api_app(app):
    served = make_app()
    yield served
    with served.app_context():
        _db.engine.dispose()


@pytest.fixture
def api(api_app):
    return api_app.test_client()


@pytest.fixture
def bearer(world):
    """Headers that authenticate as ``user`` with a freshly issued token."""
    tokens = {}

    def _headers(user, **extra) -> dict:
        if user.username not in tokens:
            tokens[user.username] = accounts.create_token(user.username, "api tests")
        return {"Authorization": f"Bearer {tokens[user.username]}", **extra}

    return _headers


def snapshot(plan_id: int) -> tuple:
    """Everything a refused call must leave untouched."""
    _db.session.expire_all()
    plan = _db.session.get(Plan, plan_id)
    return (
        plan.status,
        plan.version,
        _db.session.scalar(select(func.count()).select_from(AuditEvent)),
        _db.session.scalar(select(func.count()).select_from(OutboxMessage)),
    )


# -- definitions and diagrams ---------------------------------------------------------------------
def test_workflows_lists_every_definition_with_its_states_triggers_and_current_version(api, bearer, world):
    response = api.get(f"{API}/workflows", headers=bearer(world.planner))

    assert response.status_code == 200
    body = response.get_json()
    assert body["current_versions"] == {name: REGISTRY.get(name).version for name in REGISTRY.names()}
    assert body["current_versions"]["plan"] == 2
    listed = {(d["name"], d["version"]) for d in body["workflows"]}
    assert listed == {(d.name, d.version) for d in REGISTRY}
    # Version 1 stays listed for the plans started on it, no longer current.
    assert next(d for d in body["workflows"] if (d["name"], d["version"]) == ("plan", 1))["current"] is False
    plan = next(d for d in body["workflows"] if (d["name"], d["version"]) == ("plan", 2))
    assert plan["current"] is True
    assert plan["title"]["en"].startswith("Make or review")
    assert plan["initial"] == "drafting"
    assert [s["name"] for s in plan["states"]] == list(PLAN_V2["states"])
    assert plan["states"][0]["labels"] == PLAN_V2["states"]["drafting"]
    endorse = next(t for t in plan["triggers"] if t["name"] == "endorse")
    assert endorse["labels"]["en"] == "Endorse (development committee)"
    assert endorse["transitions"] == [
        {
            "source": "committee_review",
            "dest": "council_review",
            "roles": ["devcom_secretary"],
            "guards": ["council_required"],
            "unless": [],
            "comment_required": False,
            "data_fields": MEETING_FIELDS,
        },
        {
            "source": "committee_review",
            "dest": "executive_review",
            "roles": ["devcom_secretary"],
            "guards": [],
            "unless": ["council_required"],
            "comment_required": False,
            "data_fields": MEETING_FIELDS,
        },
    ]
    returns = next(t for t in plan["triggers"] if t["name"] == "return_for_revision")
    assert all(t["comment_required"] for t in returns["transitions"])
    assert len(returns["transitions"]) == 3


def test_the_diagram_is_mermaid_text_with_the_asked_state_highlighted(api, bearer, world):
    response = api.get(
        f"{API}/workflows/plan/diagram?state=council_review&lang=en", headers=bearer(world.planner)
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = response.get_data(as_text=True)
    assert "stateDiagram" in text
    assert 'state "At the council" as council_review' in text
    assert "class council_review s_active" in text
    assert "Accept" in response.headers["Vary"]


def test_the_diagram_comes_as_json_when_the_client_accepts_json(api, bearer, world):
    response = api.get(
        f"{API}/workflows/plan/diagram?version=1",
        headers=bearer(world.planner, Accept="application/json"),
    )

    assert response.status_code == 200
    body = response.get_json()
    assert (body["workflow"], body["version"], body["state"]) == ("plan", 1, None)
    assert "stateDiagram" in body["mermaid"]
    assert "class drafting s_active" not in body["mermaid"]


@pytest.mark.parametrize("url", ["/workflows/budget/diagram", "/workflows/plan/diagram?version=99"])
def test_the_diagram_of_an_unknown_workflow_or_version_is_404(api, bearer, world, url):
    response = api.get(API + url, headers=bearer(world.planner))

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=flying", "state"),
        ("version=abc", "version"),
        ("version=0", "version"),
        ("version=-1", "version"),
    ],
)
def test_the_diagram_refuses_an_unknown_state_or_a_bad_version_naming_the_field(
    api, bearer, world, query, field
):
    response = api.get(f"{API}/workflows/plan/diagram?{query}", headers=bearer(world.planner))

    assert response.status_code == 422
    assert response.get_json()["code"] == "invalid_input"
    assert response.get_json()["details"]["field"] == field


# -- instances ------------------------------------------------------------------------------------
def test_an_instance_shows_its_state_what_can_happen_next_and_who_can_do_it_and_its_history(
    api, bearer, world
):
    plan = factories.plan(world.sao_a, world.planner)
    engine.fire("plan", plan.id, "submit_to_committee", world.planner, comment="ร่างเสร็จแล้ว")

    response = api.get(f"{API}/instances/plan/{plan.id}?lang=en", headers=bearer(world.planner))

    assert response.status_code == 200
    body = response.get_json()
    assert (body["workflow"], body["workflow_version"], body["id"]) == ("plan", 2, plan.id)
    assert body["organisation"] == {"id": world.sao_a.id, "code": world.sao_a.code, "name": "อบต.หนองเลิง"}
    assert (body["state"], body["state_label"], body["version"]) == (
        "committee_review",
        "At the development committee",
        2,
    )
    steps = {s["trigger"]: s for s in body["allowed_triggers"]}
    assert set(steps) == {"endorse", "return_for_revision"}
    # A plan of an อบต. goes to the council after the committee.
    assert steps["endorse"]["dest"] == "council_review"
    assert steps["endorse"]["label"] == "Endorse (development committee)"
    assert steps["endorse"]["allowed"] is False
    assert steps["endorse"]["holders"] == [world.devcom_secretary.full_name]
    assert steps["endorse"]["roles"] == ["devcom_secretary"]
    assert steps["endorse"]["data_fields"] == MEETING_FIELDS
    assert steps["return_for_revision"]["comment_required"] is True
    assert steps["return_for_revision"]["data_fields"] == []
    assert [e["action"] for e in body["history"]] == ["create", "submit_to_committee"]
    submitted = body["history"][1]
    assert submitted["seq"] == 2
    assert submitted["actor"] == {"id": world.planner.id, "name": world.planner.full_name}
    assert (submitted["from_state"], submitted["to_state"]) == ("drafting", "committee_review")
    assert submitted["comment"] == "ร่างเสร็จแล้ว"
    assert submitted["data"] == {}  # a step that records no facts
    assert submitted["occurred_at"].endswith("Z")
    assert len(submitted["hash"]) == 64


def test_an_event_without_a_person_reads_as_the_system_and_reading_loads_no_people(api, bearer, world):
    """An event the system wrote (no actor) reads with ``actor: null``; the history is read as rows,
    so reading an instance puts no event, and no other person, in the session."""
    plan = factories.plan(world.sao_a, world.planner)
    with transaction():
        audit.append(engine.chain_for(plan), "reminder_sent", organisation_id=world.sao_a.id)
    planner = {"id": world.planner.id, "name": world.planner.full_name}
    plan_id, headers = plan.id, bearer(world.planner)

    body = api.get(f"{API}/instances/plan/{plan_id}", headers=headers).get_json()

    assert [(e["action"], e["actor"]) for e in body["history"]] == [
        ("create", planner),
        ("reminder_sent", None),
    ]
    _db.session.expunge_all()
    events, total = engine.history_page(_db.session.get(Plan, plan_id), None, 20)
    assert total == 2 and [(e.seq, e.actor_name) for e in events] == [(1, planner["name"]), (2, None)]
    assert not [o for o in _db.session.identity_map.values() if isinstance(o, AuditEvent)]


def test_an_instance_carries_its_latest_events_and_pages_its_whole_history(api, bearer, world):
    """A long-lived instance's answer stays small: its latest 20 events, with the count and the
    address of the whole history, which is paged oldest first and scoped like the instance."""
    plan = factories.plan(world.sao_a, world.planner)
    for _ in range(12):
        engine.fire("plan", plan.id, "submit_to_committee", world.planner)
        engine.fire("plan", plan.id, "return_for_revision", world.devcom_secretary, comment="แก้ไข")
    # create + 24 steps
    body = api.get(f"{API}/instances/plan/{plan.id}", headers=bearer(world.planner)).get_json()
    assert body["history_total"] == 25
    assert [e["seq"] for e in body["history"]] == list(range(6, 26))
    assert body["history_url"] == f"{API}/instances/plan/{plan.id}/history"

    first = api.get(f"{body['history_url']}?per_page=10", headers=bearer(world.planner)).get_json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 10, 25)
    assert [e["seq"] for e in first["items"]] == list(range(1, 11))
    assert first["items"][0]["action"] == "create"
    seqs = [e["seq"] for e in first["items"]]
    following = first["next"]
    while following:
        page = api.get(following, headers=bearer(world.planner)).get_json()
        seqs += [e["seq"] for e in page["items"]]
        following = page["next"]
    assert seqs == list(range(1, 26))
    # Past the end: an empty page, no next.
    beyond = api.get(f"{body['history_url']}?page=9", headers=bearer(world.planner)).get_json()
    assert (beyond["items"], beyond["next"], beyond["total"]) == ([], None, 25)
    # Scoped like the instance: another LAO's planner does not see it exists.
    other = api.get(body["history_url"], headers=bearer(world.planner_x))
    assert other.status_code == 404
    too_many = api.get(f"{body['history_url']}?per_page=1000", headers=bearer(world.planner))
    assert too_many.status_code == 422 and too_many.get_json()["code"] == "invalid_input"


def test_the_holder_of_a_step_sees_it_allowed_with_no_holders_listed(api, bearer, world):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")

    body = api.get(f"{API}/instances/plan/{plan.id}", headers=bearer(world.devcom_secretary)).get_json()

    assert {s["trigger"]: (s["allowed"], s["holders"]) for s in body["allowed_triggers"]} == {
        "endorse": (True, []),
        "return_for_revision": (True, []),
    }


@pytest.mark.parametrize(
    "path",
    [
        "/instances/plan/999999",
        "/instances/budget/1",
        "/instances/plan/abc",
        "/instances/plan/-1",
        "/nothing-here",
        "/instances/plan/1/extra",
    ],
)
def test_unknown_urls_and_ids_under_the_api_are_json_404(api, bearer, world, path):
    response = api.get(API + path, headers=bearer(world.planner))

    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["code"] == "not_found"
    assert response.get_json()["message"]


def test_a_wrong_method_is_a_json_405_naming_the_allowed_methods(api, bearer, world):
    plan = factories.plan(world.sao_a, world.planner)

    response = api.get(f"{API}/instances/plan/{plan.id}/fire", headers=bearer(world.planner))
    deleted = api.delete(f"{API}/workflows", headers=bearer(world.planner))

    assert response.status_code == 405
    assert response.get_json()["code"] == "method_not_allowed"
    assert "POST" in response.get_json()["details"]["allowed_methods"]
    assert "POST" in response.headers["Allow"]
    assert deleted.status_code == 405
    assert deleted.get_json()["code"] == "method_not_allowed"


# -- scope ----------------------------------------------------------------------------------------
def test_a_planner_gets_404_for_another_laos_plan_reading_or_firing(api, bearer, world):
    plan_x = factories.plan(world.sao_x, world.planner_x)
    headers = bearer(world.planner)
    before = snapshot(plan_x.id)

    read = api.get(f"{API}/instances/plan/{plan_x.id}", headers=headers)
    fired = api.post(
        f"{API}/instances/plan/{plan_x.id}/fire",
        json={"trigger": "submit_to_committee"},
        headers=headers,
    )

    assert (read.status_code, read.get_json()["code"]) == (404, "not_found")
    assert (fired.status_code, fired.get_json()["code"]) == (404, "not_found")
    assert world.sao_x.name_th not in read.get_data(as_text=True) + fired.get_data(as_text=True)
    assert snapshot(plan_x.id) == before


def test_a_provincial_officer_reads_a_plan_of_the_province_but_cannot_fire_a_planner_only_trigger(
    api, bearer, world
):
    plan = factories.plan(world.sao_a, world.planner, status="announced")
    officer, officer_30 = bearer(world.provincial_officer), bearer(world.provincial_officer_30)
    before = snapshot(plan.id)

    read = api.get(f"{API}/instances/plan/{plan.id}", headers=officer)
    fired = api.post(
        f"{API}/instances/plan/{plan.id}/fire",
        json={"trigger": "submit_to_oversight"},
        headers=officer,
    )
    other_province = api.get(f"{API}/instances/plan/{plan.id}", headers=officer_30)

    assert read.status_code == 200
    assert read.get_json()["allowed_triggers"][0]["trigger"] == "submit_to_oversight"
    assert read.get_json()["allowed_triggers"][0]["allowed"] is False
    assert (fired.status_code, fired.get_json()["code"]) == (403, "permission_denied")
    assert fired.get_json()["details"]["roles"] == ["planner"]
    assert other_province.status_code == 404
    assert snapshot(plan.id) == before


# -- firing ---------------------------------------------------------------------------------------
def test_firing_moves_the_plan_and_stores_the_request_id_in_the_audit(api, bearer, world):
    plan = factories.plan(world.sao_a, world.planner)
    plan_id, version = plan.id, plan.version

    response = api.post(
        f"{API}/instances/plan/{plan_id}/fire",
        json={"trigger": "submit_to_committee", "comment": "พร้อมเสนอ", "expected_version": version},
        headers=bearer(world.planner, **{"X-Request-ID": "req-api-0001"}),
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == {
        "workflow": "plan",
        "id": plan_id,
        "trigger": "submit_to_committee",
        "from_state": "drafting",
        "state": "committee_review",
        "version": version + 1,
        "audit_event_id": body["audit_event_id"],
    }
    assert response.headers["X-Request-ID"] == "req-api-0001"
    event = _db.session.get(AuditEvent, body["audit_event_id"])
    assert (event.action, event.request_id, event.comment, event.actor_id) == (
        "submit_to_committee",
        "req-api-0001",
        "พร้อมเสนอ",
        world.planner.id,
    )
    history = api.get(f"{API}/instances/plan/{plan_id}", headers=bearer(world.planner)).get_json()["history"]
    assert history[-1]["request_id"] == "req-api-0001"


def test_a_comment_of_exactly_2000_characters_is_accepted(api, bearer, world):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")

    response = api.post(
        f"{API}/instances/plan/{plan.id}/fire",
        json={"trigger": "return_for_revision", "comment": "ก" * 2000, "expected_version": None},
        headers=bearer(world.devcom_secretary),
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "drafting"


# Each case: who fires, the plan's state, the request (JSON, or raw body and content type), and the
# answer expected. Every refusal must leave state, version, audit and outbox exactly as they were.
REFUSALS = [
    pytest.param(
        "provincial_officer",
        "announced",
        {"trigger": "submit_to_oversight"},
        403,
        "permission_denied",
        None,
        id="wrong-role",
    ),
    pytest.param(
        "nobody",
        "drafting",
        {"trigger": "submit_to_committee"},
        404,
        "not_found",
        None,
        id="no-role-at-this-lao",
    ),
    pytest.param(
        "planner_x", "drafting", {"trigger": "submit_to_committee"}, 404, "not_found", None, id="another-lao"
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "endorse"},
        422,
        "transition_not_allowed",
        None,
        id="not-from-this-state",
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "fly_away"},
        422,
        "transition_not_allowed",
        None,
        id="unknown-trigger",
    ),
    pytest.param(
        "devcom_secretary",
        "committee_review",
        {"trigger": "return_for_revision"},
        422,
        "comment_required",
        "comment",
        id="comment-missing",
    ),
    pytest.param(
        "devcom_secretary",
        "committee_review",
        {"trigger": "return_for_revision", "comment": "   "},
        422,
        "comment_required",
        "comment",
        id="comment-blank",
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "submit_to_committee", "expected_version": "1"},
        422,
        "invalid_input",
        "expected_version",
        id="version-as-string",
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "submit_to_committee", "expected_version": 0},
        422,
        "invalid_input",
        "expected_version",
        id="version-zero",
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "submit_to_committee", "expected_version": -2},
        422,
        "invalid_input",
        "expected_version",
        id="version-negative",
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "submit_to_committee", "expected_version": True},
        422,
        "invalid_input",
        "expected_version",
        id="version-boolean",
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "submit_to_committee", "expected_version": 1.0},
        422,
        "invalid_input",
        "expected_version",
        id="version-float",
    ),
    pytest.param("planner", "drafting", {}, 422, "invalid_input", "trigger", id="trigger-missing"),
    pytest.param("planner", "drafting", {"trigger": ""}, 422, "invalid_input", "trigger", id="trigger-empty"),
    pytest.param("planner", "drafting", {"trigger": 5}, 422, "invalid_input", "trigger", id="trigger-number"),
    pytest.param(
        "planner", "drafting", {"trigger": None}, 422, "invalid_input", "trigger", id="trigger-null"
    ),
    pytest.param(
        "planner", "drafting", {"trigger": "x" * 61}, 422, "invalid_input", "trigger", id="trigger-too-long"
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "submit_to_committee", "comment": 5},
        422,
        "invalid_input",
        "comment",
        id="comment-number",
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "submit_to_committee", "comment": "ก" * 2001},
        422,
        "invalid_input",
        "comment",
        id="comment-too-long",
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "submit_to_committee", "comment": "a\x00b"},
        422,
        "invalid_input",
        "comment",
        id="comment-with-nul",
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "submit_to_committee", "force": True},
        422,
        "invalid_input",
        "force",
        id="unknown-key",
    ),
    pytest.param(
        "devcom_secretary",
        "committee_review",
        {"trigger": "endorse"},
        422,
        "invalid_input",
        "meeting_date",
        id="meeting-not-recorded",
    ),
    pytest.param(
        "devcom_secretary",
        "committee_review",
        {"trigger": "endorse", "data": {"resolution": "ครั้งที่ 4/2569"}},
        422,
        "invalid_input",
        "meeting_date",
        id="meeting-date-missing",
    ),
    pytest.param(
        "devcom_secretary",
        "committee_review",
        {"trigger": "endorse", "data": {**MEETING, "meeting_date": "2999-01-01"}},
        422,
        "invalid_input",
        "meeting_date",
        id="meeting-date-in-the-future",
    ),
    pytest.param(
        "devcom_secretary",
        "committee_review",
        {"trigger": "endorse", "data": {**MEETING, "meeting_date": "20/11/2569"}},
        422,
        "invalid_input",
        "meeting_date",
        id="meeting-date-not-iso",
    ),
    pytest.param(
        "devcom_secretary",
        "committee_review",
        {"trigger": "endorse", "data": {**MEETING, "meeting_date": 20261120}},
        422,
        "invalid_input",
        "meeting_date",
        id="meeting-date-number",
    ),
    pytest.param(
        "council_secretary",
        "council_review",
        {"trigger": "approve_by_council", "data": {**MEETING, "resolution": " "}},
        422,
        "invalid_input",
        "resolution",
        id="resolution-blank",
    ),
    pytest.param(
        "council_secretary",
        "council_review",
        {"trigger": "approve_by_council", "data": {**MEETING, "resolution": "ก" * 201}},
        422,
        "invalid_input",
        "resolution",
        id="resolution-too-long",
    ),
    pytest.param(
        "council_secretary",
        "council_review",
        {"trigger": "approve_by_council", "data": {**MEETING, "resolution": "4\x00"}},
        422,
        "invalid_input",
        "resolution",
        id="resolution-with-nul",
    ),
    pytest.param(
        "devcom_secretary",
        "committee_review",
        {"trigger": "endorse", "data": {**MEETING, "venue": "ห้องประชุม อบต."}},
        422,
        "invalid_input",
        "venue",
        id="data-unknown-key",
    ),
    pytest.param(
        "planner",
        "drafting",
        {"trigger": "submit_to_committee", "data": {"resolution": "x"}},
        422,
        "invalid_input",
        "resolution",
        id="data-for-a-step-that-records-none",
    ),
    pytest.param(
        "devcom_secretary",
        "committee_review",
        {"trigger": "endorse", "data": ["2026-11-20"]},
        422,
        "invalid_input",
        "data",
        id="data-not-an-object",
    ),
    pytest.param(
        "planner",
        "drafting",
        ('{"trigger": ', "application/json"),
        400,
        "invalid_json",
        None,
        id="malformed-json",
    ),
    pytest.param(
        "planner",
        "drafting",
        ('["submit_to_committee"]', "application/json"),
        422,
        "invalid_json",
        None,
        id="json-array",
    ),
    pytest.param("planner", "drafting", ("", "application/json"), 400, "invalid_json", None, id="empty-body"),
    pytest.param(
        "planner",
        "drafting",
        ("trigger=submit_to_committee", "application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
        None,
        id="form-body",
    ),
]


@pytest.mark.parametrize(("who", "state", "request_body", "status", "code", "field"), REFUSALS)
def test_a_refused_fire_answers_with_a_stable_code_and_changes_nothing(
    api, bearer, world, who, state, request_body, status, code, field
):
    plan = factories.plan(world.sao_a, world.planner, status=state)
    url = f"{API}/instances/plan/{plan.id}/fire"
    headers = bearer(getattr(world, who))  # issuing a token is audited: do it before the snapshot
    before = snapshot(plan.id)

    if isinstance(request_body, dict):
        response = api.post(url, json=request_body, headers=headers)
    else:
        data, content_type = request_body
        response = api.post(url, data=data, content_type=content_type, headers=headers)

    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    if field:
        assert body["details"]["field"] == field
    assert snapshot(plan.id) == before


def test_an_unknown_data_key_is_named_with_the_facts_the_step_records(api, bearer, world):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")

    response = api.post(
        f"{API}/instances/plan/{plan.id}/fire",
        json={"trigger": "endorse", "data": {**MEETING, "venue": "x", "attendees": "9"}},
        headers=bearer(world.devcom_secretary),
    )

    assert response.status_code == 422
    details = response.get_json()["details"]
    assert details["unknown"] == ["attendees", "venue"]
    assert details["expected"] == ["meeting_date", "resolution"]


def test_the_recorded_meeting_is_stored_and_listed_in_the_instances_history(api, bearer, world):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")

    fired = api.post(
        f"{API}/instances/plan/{plan.id}/fire",
        json={"trigger": "endorse", "data": {"meeting_date": " 2026-11-20 ", "resolution": "ครั้งที่ 4/2569"}},
        headers=bearer(world.devcom_secretary),
    )

    assert fired.status_code == 200, fired.get_json()
    assert fired.get_json()["state"] == "council_review"
    body = api.get(f"{API}/instances/plan/{plan.id}", headers=bearer(world.planner)).get_json()
    endorsed = body["history"][-1]
    assert endorsed["action"] == "endorse"
    assert endorsed["data"] == MEETING
    steps = {s["trigger"]: s for s in body["allowed_triggers"]}
    assert steps["approve_by_council"]["data_fields"] == MEETING_FIELDS


def test_a_stale_expected_version_is_409_and_changes_nothing(api, bearer, world):
    plan = factories.plan(world.sao_a, world.planner)
    seen_version = plan.version
    engine.fire("plan", plan.id, "submit_to_committee", world.support_secretary)
    headers = bearer(world.devcom_secretary)
    before = snapshot(plan.id)

    response = api.post(
        f"{API}/instances/plan/{plan.id}/fire",
        json={"trigger": "return_for_revision", "comment": "ขอแก้", "expected_version": seen_version},
        headers=headers,
    )

    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "stale_state"
    assert body["details"]["current_version"] == seen_version + 1
    assert snapshot(plan.id) == before


@pytest.mark.parametrize(
    "path",
    ["/instances/plan/999999/fire", "/instances/budget/1/fire"],
)
def test_firing_on_an_unknown_instance_or_workflow_is_404(api, bearer, world, path):
    response = api.post(API + path, json={"trigger": "submit_to_committee"}, headers=bearer(world.planner))

    assert (response.status_code, response.get_json()["code"]) == (404, "not_found")


def test_a_guard_that_does_not_hold_is_422_guard_failed_and_changes_nothing(api, bearer, world, monkeypatch):
    # PLAN_V1's two "endorse" transitions have complementary guards, so one always holds. A later
    # definition version that only knows the council route shows how a failing guard is answered.
    council_only = copy.deepcopy(PLAN_V1)
    council_only["version"] = 2
    council_only["transitions"] = [
        t for t in council_only["transitions"] if not (t["trigger"] == "endorse" and t.get("unless"))
    ]
    monkeypatch.setattr(engine, "REGISTRY", Registry(PLAN_V1, council_only))
    plan = factories.plan(world.town_b, world.town_planner, status="committee_review")
    assert plan.workflow_version == 2
    headers = bearer(world.town_devcom_secretary)
    before = snapshot(plan.id)

    response = api.post(f"{API}/instances/plan/{plan.id}/fire", json={"trigger": "endorse"}, headers=headers)

    assert response.status_code == 422
    assert response.get_json()["code"] == "guard_failed"
    assert snapshot(plan.id) == before


def test_an_unexpected_failure_is_a_json_500_that_leaks_nothing(api_app, bearer, world, monkeypatch):
    api_app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does, not re-raise
    plan = factories.plan(world.sao_a, world.planner)

    def broken_fire(*args, **kwargs):
        raise RuntimeError("connection string postgresql://secret@db")

    monkeypatch.setattr(engine, "fire", broken_fire)
    response = api_app.test_client().post(
        f"{API}/instances/plan/{plan.id}/fire",
        json={"trigger": "submit_to_committee"},
        headers=bearer(world.planner),
    )

    assert response.status_code == 500
    assert response.get_json()["code"] == "internal_error"
    text = response.get_data(as_text=True)
    assert "secret" not in text and "Traceback" not in text and "RuntimeError" not in text

"""Every refusal, and every failure half-way through a fire, leaves the instance exactly as it was."""

from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa

from eplan_flow.errors import (
    CommentRequired,
    GuardFailed,
    NotFound,
    PermissionDenied,
    StaleState,
    TransitionNotAllowed,
)
from eplan_flow.models import AuditEvent, OutboxMessage, Plan
from eplan_flow.services.platform import audit, engine, outbox
from tests import factories
from workflows import Registry
from workflows.plan import PLAN_V1


def snapshot(db, plan_id: int) -> dict:
    """What the database says, read on a separate connection (no session cache involved)."""
    with db.engine.connect() as conn:
        status, version = conn.execute(sa.select(Plan.status, Plan.version).where(Plan.id == plan_id)).one()
        events = (
            conn.execute(
                sa.select(AuditEvent.action)
                .where(AuditEvent.chain == f"plan:{plan_id}")
                .order_by(AuditEvent.seq)
            )
            .scalars()
            .all()
        )
        messages = conn.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar()
    return {"status": status, "version": version, "events": events, "outbox": messages}


REFUSALS = [
    # (state the plan is in, trigger, actor attribute of the world, comment, error, code, status)
    ("drafting", "teleport", "planner", None, TransitionNotAllowed, "transition_not_allowed", 422),
    ("drafting", "endorse", "devcom_secretary", None, TransitionNotAllowed, "transition_not_allowed", 422),
    (
        "announced",
        "approve_and_announce",
        "executive",
        None,
        TransitionNotAllowed,
        "transition_not_allowed",
        422,
    ),
    ("drafting", "submit_to_committee", "executive", None, PermissionDenied, "permission_denied", 403),
    ("committee_review", "endorse", "planner", None, PermissionDenied, "permission_denied", 403),
    ("submitted", "acknowledge", "planner", None, PermissionDenied, "permission_denied", 403),
    ("drafting", "submit_to_committee", "nobody", None, NotFound, "not_found", 404),
    ("drafting", "submit_to_committee", "town_planner", None, NotFound, "not_found", 404),
    ("drafting", "submit_to_committee", "planner_x", None, NotFound, "not_found", 404),
    ("submitted", "acknowledge", "district_officer_2", None, NotFound, "not_found", 404),
    ("submitted", "acknowledge", "provincial_officer_30", None, NotFound, "not_found", 404),
    (
        "committee_review",
        "return_for_revision",
        "devcom_secretary",
        None,
        CommentRequired,
        "comment_required",
        422,
    ),
    (
        "committee_review",
        "return_for_revision",
        "devcom_secretary",
        "   \n",
        CommentRequired,
        "comment_required",
        422,
    ),
    ("submitted", "return_with_remarks", "provincial_officer", "", CommentRequired, "comment_required", 422),
]


@pytest.mark.parametrize("state, trigger, who, comment, error, code, status", REFUSALS)
@pytest.mark.real_commits
def test_a_refused_fire_changes_nothing(world, db, state, trigger, who, comment, error, code, status):
    plan = factories.plan(world.sao_a, world.planner, status=state)
    before = snapshot(db, plan.id)
    with pytest.raises(error) as refused:
        engine.fire("plan", plan.id, trigger, getattr(world, who), comment=comment)
    assert (refused.value.code, refused.value.status) == (code, status)
    assert snapshot(db, plan.id) == before
    assert plan.status == state  # the session's copy was not left moved either


@pytest.mark.real_commits
def test_a_disabled_account_cannot_fire_even_with_the_right_role(world, db):
    plan = factories.plan(world.sao_a, world.planner)
    world.planner.is_enabled = False
    db.session.commit()
    before = snapshot(db, plan.id)
    with pytest.raises(NotFound):
        engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    assert snapshot(db, plan.id) == before


def test_an_unknown_workflow_or_instance_is_not_found(world, db):
    with pytest.raises(NotFound):
        engine.fire("budget", 1, "approve", world.planner)
    with pytest.raises(NotFound):
        engine.fire("plan", 424242, "submit_to_committee", world.planner)


def guarded_registry() -> Registry:
    """PLAN_V1 plus a v2 where the development committee may only endorse towards a council."""
    v2 = copy.deepcopy(PLAN_V1)
    v2["version"] = 2
    v2["transitions"] = [t for t in v2["transitions"] if not (t["trigger"] == "endorse" and t.get("unless"))]
    return Registry(PLAN_V1, v2)


@pytest.mark.real_commits
def test_a_failing_guard_is_refused_and_changes_nothing(world, db, monkeypatch):
    monkeypatch.setattr(engine, "REGISTRY", guarded_registry())
    plan = factories.plan(world.town_b, world.town_planner, status="committee_review")
    assert plan.workflow_version == 2
    before = snapshot(db, plan.id)
    with pytest.raises(GuardFailed) as refused:
        engine.fire("plan", plan.id, "endorse", world.town_devcom_secretary)
    assert (refused.value.code, refused.value.status) == ("guard_failed", 422)
    assert snapshot(db, plan.id) == before
    # The same step passes the guard for an อบต.
    sao_plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    meeting = {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"}
    assert (
        engine.fire("plan", sao_plan.id, "endorse", world.devcom_secretary, data=meeting).to_state
        == "council_review"
    )


@pytest.mark.real_commits
def test_a_stale_expected_version_changes_nothing(world, db):
    plan = factories.plan(world.sao_a, world.planner)
    engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    before = snapshot(db, plan.id)
    with pytest.raises(StaleState):
        engine.fire(
            "plan", plan.id, "return_for_revision", world.devcom_secretary, comment="x", expected_version=1
        )
    assert snapshot(db, plan.id) == before


def _explode(*args, **kwargs):
    raise RuntimeError("the disk is on fire")


# The outbox rows are written in the audit event's statement, then noted on the session.
@pytest.mark.parametrize("target, name", [(audit, "append"), (outbox, "note_added")])
@pytest.mark.real_commits
def test_an_error_after_the_machine_moved_the_status_leaves_the_row_as_it_was(
    world, db, monkeypatch, target, name
):
    plan = factories.plan(world.sao_a, world.planner)
    before = snapshot(db, plan.id)
    monkeypatch.setattr(target, name, _explode)
    with pytest.raises(RuntimeError, match="on fire"):
        engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    assert plan.status == "drafting"  # the session's copy, reloaded after the rollback
    assert snapshot(db, plan.id) == before  # a fresh read on another connection
    assert before["outbox"] == 0
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).status == "drafting"
    monkeypatch.undo()
    result = engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    assert (result.to_state, result.version) == ("committee_review", 2)


@pytest.mark.real_commits
def test_a_transition_into_the_same_state_still_bumps_the_version(world, db, monkeypatch):
    looping = copy.deepcopy(PLAN_V1)
    looping["version"] = 2
    looping["triggers"]["note"] = {"th": "บันทึก", "en": "Note"}
    looping["transitions"].append(
        {
            "trigger": "note",
            "source": "drafting",
            "dest": "drafting",
            "roles": ["planner"],
            "comment_required": True,
        }
    )
    monkeypatch.setattr(engine, "REGISTRY", Registry(PLAN_V1, looping))
    plan = factories.plan(world.sao_a, world.planner)
    result = engine.fire("plan", plan.id, "note", world.planner, comment="ประชุมแล้ว", expected_version=1)
    assert (result.from_state, result.to_state, result.version) == ("drafting", "drafting", 2)
    assert snapshot(db, plan.id)["version"] == 2
    with pytest.raises(StaleState):
        engine.fire("plan", plan.id, "note", world.planner, comment="อีกครั้ง", expected_version=1)

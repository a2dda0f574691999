"""The audit trail is append-only and tamper-evident, in the ORM and in the database itself."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from eplan_flow.models import AuditCheckpoint, AuditEvent, Plan
from eplan_flow.models._types import utcnow
from eplan_flow.models.audit import AppendOnlyViolation
from eplan_flow.services.platform import audit, engine
from tests import factories
from tests.factories.fire import MEETING, RECORDS_MEETING, give_a_project, meeting_for

JOURNEY = [
    ("submit_to_committee", "planner", None),
    ("return_for_revision", "devcom_secretary", "ขาดโครงการจากประชาคม"),
    ("submit_to_committee", "support_secretary", None),
    ("endorse", "devcom_secretary", "เห็นชอบตามที่ฝ่ายเลขานุการเสนอ"),
    ("approve_by_council", "council_secretary", None),
    ("approve_and_announce", "executive", None),
    ("submit_to_oversight", "planner", None),
    ("return_with_remarks", "provincial_officer", "แก้ไขบัญชี ผ.01"),
    ("submit_to_oversight", "planner", None),
    ("acknowledge", "district_officer", None),
]
# The plan's own events plus the one its drafted project writes on the plan's content chain.
JOURNEY_EVENTS = len(JOURNEY) + 1 + 1


def journey(world) -> Plan:
    plan = factories.plan(world.sao_a, world.planner)
    give_a_project(plan, world.planner)
    for trigger, who, comment in JOURNEY:
        engine.fire("plan", plan.id, trigger, getattr(world, who), comment=comment, data=meeting_for(trigger))
    return plan


def run_sql(db, *statements, **params) -> None:
    """Run statements in the session's own transaction (an outside ALTER TABLE would wait on it)."""
    for statement in statements:
        db.session.execute(sa.text(statement), params)
    db.session.commit()


def tamper(db, statement: str, **params) -> None:
    run_sql(
        db,
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        statement,
        "ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only",
        **params,
    )


def test_the_chain_of_a_full_journey_verifies_and_records_who_did_what(world, db):
    plan = journey(world)
    checked, breaks = audit.verify_chains()
    assert (checked, breaks) == (JOURNEY_EVENTS, [])
    events = engine.history(plan)
    assert [e.seq for e in events] == list(range(1, len(JOURNEY) + 2))
    assert [e.action for e in events] == ["create"] + [t for t, _, _ in JOURNEY]
    assert [e.actor_id for e in events[1:]] == [getattr(world, who).id for _, who, _ in JOURNEY]
    assert events[2].comment == "ขาดโครงการจากประชาคม"
    assert [e.data for e in events if e.action in RECORDS_MEETING] == [MEETING, MEETING]
    assert all(e.prev_hash == before.hash for before, e in zip(events, events[1:]))
    assert events[-1].to_state == "acknowledged"


def test_verify_chains_leaves_the_callers_objects_attached_to_the_session(world, db):
    plan = journey(world)
    audit.verify_chains()
    assert plan in db.session and world.planner in db.session


def test_editing_one_event_in_the_database_is_detected_at_exactly_that_event(world, db):
    plan = journey(world)
    other = factories.plan(world.town_b, world.town_planner)
    engine.fire("plan", other.id, "submit_to_committee", world.town_planner)
    victim = engine.history(plan)[4]
    tamper(db, "UPDATE audit_event SET comment = 'ไม่มีมติ' WHERE id = :id", id=victim.id)

    checked, breaks = audit.verify_chains()
    assert checked == JOURNEY_EVENTS + 2
    assert [(b.chain, b.event_id, b.seq) for b in breaks] == [(f"plan:{plan.id}", victim.id, victim.seq)]
    assert "altered" in breaks[0].reason
    assert f"#{victim.id}" in str(breaks[0])


def test_rehashing_an_edited_event_is_caught_at_the_event_after_it(world, db):
    plan = journey(world)
    victim, successor = engine.history(plan)[3:5]
    db.session.expire_all()
    forged = db.session.get(AuditEvent, victim.id)
    forged.actor_id = world.executive.id
    forged_hash = audit.compute_hash(forged)
    db.session.rollback()
    tamper(
        db,
        "UPDATE audit_event SET actor_id = :actor, hash = :hash WHERE id = :id",
        actor=world.executive.id,
        hash=forged_hash,
        id=victim.id,
    )
    _, breaks = audit.verify_chains()
    assert [(b.event_id, b.seq) for b in breaks] == [(successor.id, successor.seq)]
    assert "hash of the event before it" in breaks[0].reason


def test_deleting_a_middle_event_is_detected_as_a_gap(world, db):
    plan = journey(world)
    removed, after = engine.history(plan)[5:7]
    tamper(db, "DELETE FROM audit_event WHERE id = :id", id=removed.id)
    _, breaks = audit.verify_chains()
    assert [(b.event_id, b.seq) for b in breaks] == [(after.id, after.seq)]
    assert "missing" in breaks[0].reason


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET comment = 'แก้' WHERE id = :id", "DELETE FROM audit_event WHERE id = :id"],
)
def test_the_database_refuses_a_plain_update_or_delete_of_an_audit_event(world, db, statement):
    plan = journey(world)
    target = engine.history(plan)[2]
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        run_sql(db, statement, id=target.id)
    db.session.rollback()
    assert audit.verify_chains() == (JOURNEY_EVENTS, [])


def test_the_orm_refuses_to_update_or_delete_an_audit_event(world, db):
    plan = journey(world)
    event = engine.history(plan)[1]
    event.comment = "แก้ไขย้อนหลัง"
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    event = engine.history(plan)[1]
    db.session.delete(event)
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    assert audit.verify_chains() == (JOURNEY_EVENTS, [])


def test_events_appended_outside_the_engine_chain_and_verify_too(world, db):
    for n in range(3):
        audit.append("user:1", "login", actor=world.planner, data={"n": n, "ids": (1, 2), 3: "สาม"})
        db.session.commit()
    events = audit.history("user:1")
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].data == {"n": 0, "ids": [1, 2], "3": "สาม"}
    assert audit.verify_chains() == (3, [])


def test_every_append_signs_the_chains_head_and_the_registry_counts_the_chains(world, db):
    plan = journey(world)
    events = engine.history(plan)
    head = db.session.get(AuditCheckpoint, f"plan:{plan.id}")
    assert (head.seq, head.head_hash) == (events[-1].seq, events[-1].hash)
    assert head.mac == audit.checkpoint_mac(head.chain, head.seq, head.head_hash)
    assert all(e.hash_version == audit.HMAC_SHA256 for e in events)
    chains = db.session.scalar(sa.select(sa.func.count(sa.distinct(AuditEvent.chain))))
    assert db.session.get(AuditCheckpoint, audit.REGISTRY).seq == chains


def test_a_chain_started_in_a_rolled_back_savepoint_is_not_counted(world, db):
    audit.append("user:1", "login")
    with pytest.raises(RuntimeError), db.session.begin_nested():
        audit.append("user:2", "login")
        raise RuntimeError("the caller's own failure")
    db.session.commit()
    assert db.session.get(AuditCheckpoint, audit.REGISTRY).seq == 1
    assert audit.verify_chains() == (1, [])


def test_chains_written_before_keyed_chains_verify_and_are_anchored_once(world, db):
    prev = audit.GENESIS
    for seq in (1, 2):
        row = dict(
            chain="user:9",
            seq=seq,
            occurred_at=utcnow(),
            actor_id=None,
            organisation_id=None,
            action="login",
            workflow=None,
            workflow_version=None,
            from_state=None,
            to_state=None,
            comment=None,
            request_id=None,
            data={},
            prev_hash=prev,
            hash_version=audit.LEGACY_SHA256,
        )
        row["hash"] = prev = audit.compute_hash(SimpleNamespace(**row))
        db.session.execute(sa.insert(AuditEvent), row)
    db.session.commit()

    _, breaks = audit.verify_chains()
    assert [(b.chain, b.event_id) for b in breaks] == [("user:9", None)]
    assert "anchor-audit" in breaks[0].reason
    assert audit.anchor_legacy_chains() == 1
    assert audit.anchor_legacy_chains() == 0
    assert audit.verify_chains() == (2, [])

    audit.append("user:9", "logout")
    db.session.commit()
    assert [e.hash_version for e in audit.history("user:9")] == [1, 1, 2]
    assert audit.verify_chains() == (3, [])


def test_a_keyed_chain_that_lost_its_checkpoint_takes_no_more_events(world, db):
    audit.append("user:1", "login")
    db.session.commit()
    run_sql(
        db,
        "ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_forward_only",
        "DELETE FROM audit_checkpoint WHERE chain = 'user:1'",
        "ALTER TABLE audit_checkpoint ENABLE TRIGGER audit_checkpoint_forward_only",
    )
    with pytest.raises(audit.AuditIntegrityError, match="user:1"):
        audit.append("user:1", "logout")
    db.session.rollback()
    assert [e.seq for e in audit.history("user:1")] == [1]
    assert audit.anchor_legacy_chains() == 0  # signing it now would hide what was taken
    assert [b.chain for b in audit.verify_chains()[1]] == ["user:1", "(registry)"]


@pytest.mark.real_commits
def test_concurrent_appends_to_new_and_old_chains_keep_every_chain_and_head_whole(app, world, db):
    audit.append("user:1", "login")
    db.session.commit()
    chains = ["user:1", "user:2", "user:3"]
    errors = []

    def worker(n):
        try:
            with app.app_context():
                for i in range(8):
                    audit.append(chains[(n + i) % 3], "tick", data={"n": n, "i": i})
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert audit.verify_chains() == (1 + 6 * 8, [])
    assert db.session.get(AuditCheckpoint, audit.REGISTRY).seq == 3

"""An append from a head its caller read (the engine reads it with the locked row) takes one
statement, and a head that has moved since is read again: the chain never forks or breaks."""

from __future__ import annotations

from eplan_flow.models import AuditCheckpoint
from eplan_flow.services.platform import audit


def test_an_append_from_the_current_head_extends_the_chain_and_signs_its_new_head(world, db):
    audit.append("user:1", "login", actor=world.planner)
    db.session.commit()
    head = db.session.get(AuditCheckpoint, "user:1")
    event = audit.append("user:1", "login", actor=world.planner, head=(head.seq, head.head_hash))
    db.session.commit()
    db.session.refresh(head)
    assert (event.seq, event.prev_hash) == (2, audit.history("user:1")[0].hash)
    assert (head.seq, head.head_hash) == (2, event.hash)
    assert head.mac == audit.checkpoint_mac("user:1", 2, event.hash)
    assert audit.verify_chains() == (2, [])


def test_an_append_from_a_head_that_has_moved_reads_the_head_again(world, db):
    audit.append("user:1", "login", actor=world.planner)
    db.session.commit()
    stale = db.session.get(AuditCheckpoint, "user:1")
    stale_head = (stale.seq, stale.head_hash)
    audit.append("user:1", "logout", actor=world.planner)  # the head moves on
    db.session.commit()
    event = audit.append("user:1", "login", actor=world.planner, head=stale_head)
    db.session.commit()
    assert [e.seq for e in audit.history("user:1")] == [1, 2, 3]
    assert event.seq == 3
    assert audit.verify_chains() == (3, [])


def test_a_head_with_the_right_count_but_another_hash_is_not_taken_for_the_head(world, db):
    audit.append("user:1", "login", actor=world.planner)
    db.session.commit()
    event = audit.append("user:1", "login", actor=world.planner, head=(1, audit.GENESIS))
    db.session.commit()
    assert event.prev_hash == audit.history("user:1")[0].hash
    assert audit.verify_chains() == (2, [])

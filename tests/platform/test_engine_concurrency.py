"""Races on one instance: exactly one actor wins, the others are told someone acted first."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from eplan_flow.errors import StaleState
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, OutboxMessage, Plan, User
from eplan_flow.services.platform import engine
from tests import factories
from tests.conftest import make_app

THREADS = 20


def events_of(plan_id: int, action: str) -> int:
    return _db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.chain == f"plan:{plan_id}", AuditEvent.action == action)
    )


@pytest.fixture
def racing_app(app):
    """An app on the same database whose pool lets every thread hold a connection at the barrier,
    so all of them really reach the row lock together. Built before any app context is pushed."""
    racing = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 1, "max_overflow": 0})
    yield racing
    with racing.app_context():
        _db.engine.dispose()


@pytest.mark.real_commits
def test_twenty_simultaneous_fires_of_the_same_trigger_give_one_winner_and_nineteen_stale_errors(
    racing_app, world, db
):
    plan = factories.plan(world.sao_a, world.planner)
    plan_id, actor_id = plan.id, world.planner.id
    assert plan.version == 1
    barrier = threading.Barrier(THREADS, timeout=30)
    outcomes: list = [None] * THREADS

    def race(slot: int) -> None:
        with racing_app.app_context():
            try:
                actor = _db.session.get(User, actor_id)  # also opens this thread's connection
                barrier.wait()
                outcomes[slot] = engine.fire(
                    "plan", plan_id, "submit_to_committee", actor, expected_version=1
                )
            except Exception as exc:  # collected and asserted below
                outcomes[slot] = exc
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=race, args=(i,)) for i in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    elapsed = time.perf_counter() - started

    winners = [o for o in outcomes if isinstance(o, engine.FireResult)]
    losers = [o for o in outcomes if isinstance(o, StaleState)]
    assert len(winners) == 1, outcomes
    assert len(losers) == THREADS - 1, outcomes
    assert {(e.code, e.status) for e in losers} == {("stale_state", 409)}
    assert winners[0].version == 2 and winners[0].to_state == "committee_review"
    db.session.expire_all()
    fresh = db.session.get(Plan, plan_id)
    assert (fresh.status, fresh.version) == ("committee_review", 2)
    assert events_of(plan_id, "submit_to_committee") == 1
    assert [e.action for e in engine.history(fresh)] == ["create", "submit_to_committee"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == len(
        engine.definition_of(fresh).effects
    )
    assert elapsed < 60, "a thread hung on the row lock"


def _wait_for_a_lock_waiter(timeout: float = 10.0) -> None:
    """Block until some session of this database waits on a row lock."""
    deadline = time.monotonic() + timeout
    with _db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("the fire never reached the row lock")


@pytest.mark.real_commits
def test_a_slow_reader_who_loses_the_row_lock_gets_stale_state_not_a_refusal_of_the_new_state(app, world, db):
    plan = factories.plan(world.sao_a, world.planner)
    plan_id, actor_id = plan.id, world.planner.id
    outcome: list = []

    def slow_reader() -> None:
        with app.app_context():
            try:
                actor = _db.session.get(User, actor_id)
                outcome.append(engine.fire("plan", plan_id, "submit_to_committee", actor))
            except Exception as exc:  # asserted below
                outcome.append(exc)
            finally:
                _db.session.remove()

    # Someone else holds the row, as a competing fire does between its lock and its commit.
    with _db.engine.connect() as holder:
        holder.execute(sa.text("SELECT id FROM plan WHERE id = :id FOR UPDATE"), {"id": plan_id})
        reader = threading.Thread(target=slow_reader)
        reader.start()
        _wait_for_a_lock_waiter()  # the reader has read version 1 and now waits for the lock
        holder.execute(
            sa.text("UPDATE plan SET status = 'committee_review', version = version + 1 WHERE id = :id"),
            {"id": plan_id},
        )
        holder.commit()
    reader.join(30)

    assert len(outcome) == 1
    error = outcome[0]
    assert isinstance(error, StaleState), error
    assert (error.code, error.status) == ("stale_state", 409)
    assert error.details["expected_version"] == 1 and error.details["current_version"] == 2
    db.session.expire_all()
    assert events_of(plan_id, "submit_to_committee") == 0
    assert db.session.get(Plan, plan_id).version == 2


@pytest.mark.parametrize("expected_version", [0, 2, 99])
def test_a_fire_with_a_stale_or_future_expected_version_is_refused(world, db, expected_version):
    plan = factories.plan(world.sao_a, world.planner)
    with pytest.raises(StaleState):
        engine.fire("plan", plan.id, "submit_to_committee", world.planner, expected_version=expected_version)
    db.session.expire_all()
    assert (db.session.get(Plan, plan.id).status, db.session.get(Plan, plan.id).version) == ("drafting", 1)

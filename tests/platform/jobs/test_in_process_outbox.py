"""Without Redis the jobs run in the web process from the outbox: a restart between a commit and its
job resumes the job, which runs exactly once (its row's ``attempts`` counts the runs)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from eplan_flow import create_app
from eplan_flow.extensions import db as _db
from eplan_flow.models import Notification, OutboxMessage, User
from eplan_flow.services.platform import engine, outbox, queues
from tests import factories


def rows() -> list[tuple[str, int]]:
    _db.session.remove()
    return [
        (m.state, m.attempts)
        for m in _db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
    ]


def notified(audit_event_id: int) -> list[int]:
    return list(
        _db.session.execute(
            select(Notification.user_id).where(Notification.audit_event_id == audit_event_id)
        ).scalars()
    )


def commit_a_transition_whose_job_never_ran(app) -> tuple[int, int]:
    """Fire a transition and commit it, but hand nothing to the job thread: as if the process had
    been killed between the commit and the job. Return (audit event id, who is to be told)."""
    app.config["OUTBOX_RELAY_ON_COMMIT"] = False
    with app.app_context():
        world = factories.build_world()
        plan_id = factories.plan(world.sao_a, world.planner).id
        devcom_id = world.devcom_secretary.id
        result = engine.fire("plan", plan_id, "submit_to_committee", _db.session.get(User, world.planner.id))
        assert rows() == [("pending", 0)]
        assert notified(result.audit_event_id) == []
        _db.session.remove()
    return result.audit_event_id, devcom_id


def restart(config: dict):
    """A new process's app on the same database, its job runner started by its first request."""
    app = create_app({**config, "OUTBOX_SWEEP_SECONDS": 3600})
    app.test_client().get("/auth/login")
    queues.drain_in_process(app)
    return app


def close(app) -> None:
    outbox.stop_in_process_runner(app)
    queues.drain_in_process(app)
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def test_on_sqlite_a_job_killed_before_it_ran_runs_once_when_the_app_starts_again(sqlite_app):
    audit_event_id, devcom_id = commit_a_transition_whose_job_never_ran(sqlite_app)
    config = {key: sqlite_app.config[key] for key in ("ENV_NAME", "SECRET_KEY", "LOAD_DEMO_DATA")}
    config |= {"DATABASE_URL": sqlite_app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": None}

    first = restart(config)
    second = restart(config)  # and once more: nothing is left to run
    try:
        with second.app_context():
            assert rows() == [("relayed", 1)]
            assert notified(audit_event_id) == [devcom_id]
    finally:
        close(first)
        close(second)


@pytest.mark.real_commits
def test_on_postgresql_two_processes_resuming_at_once_run_each_leftover_job_once(make_jobs_app, db):
    config = {"REDIS_URL": None, "OUTBOX_RELAY_ON_COMMIT": False}
    app_a, app_b = make_jobs_app(**config), make_jobs_app(**config)
    audit_event_id, devcom_id = commit_a_transition_whose_job_never_ran(app_a)
    with app_a.app_context():
        for _ in range(29):  # the same notice 29 more times: 30 rows for two runners to race over
            outbox.add("notify_next_actors", queue="notifications", audit_event_id=audit_event_id)
        _db.session.commit()
    start = threading.Barrier(2)

    def resume(app) -> None:
        with app.app_context():
            start.wait()
            outbox.relay_all()
        queues.drain_in_process(app)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(resume, app_a), pool.submit(resume, app_b)]:
            done.result()

    assert rows() == [("relayed", 1)] * 30
    assert notified(audit_event_id) == [devcom_id]


@pytest.mark.real_commits
def test_an_in_process_job_that_fails_stays_pending_then_is_kept_as_failed(make_jobs_app, db):
    app = make_jobs_app(REDIS_URL=None, JOB_RETRY_MAX=1)
    with app.app_context():
        outbox.add("notify_next_actors", queue="notifications", audit_event_id="x")  # not an id
        _db.session.commit()
        outbox.relay_committed()  # as transaction() does after its commit: to the job thread
        queues.drain_in_process(app)
        assert rows() == [("pending", 1)]
        outbox.relay_all()  # the next sweep: its one retry
        queues.drain_in_process(app)
        assert rows() == [("failed", 2)]
        (error,) = _db.session.execute(select(OutboxMessage.last_error)).scalars()
        assert "invalid input syntax for type integer" in error
        outbox.relay_all()
        queues.drain_in_process(app)
        assert rows() == [("failed", 2)]
        assert _db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0

"""Transitions reach their people through the outbox, RQ and a real worker, Redis up or down."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.jobs import schedule, tasks
from eplan_flow.jobs.worker import make_worker, run_worker
from eplan_flow.models import AuditEvent, Notification, OutboxMessage, Plan, User
from eplan_flow.services.platform import engine, outbox, queues
from tests import factories
from tests.conftest import DATABASE_URL, REDIS_URL

ROOT = Path(__file__).resolve().parents[3]
NOTIFY = "eplan_flow.jobs.tasks.notify_next_actors"


def work(app):
    """Run every queued job with a real RQ worker, in this process, until the queues are empty."""
    worker = make_worker(app, fork=False)
    worker.work(burst=True)
    return worker


def eplan_worker(*args: str) -> subprocess.CompletedProcess:
    """``eplan worker *args`` as its own process on the test database and Redis, to its end."""
    env = {
        **os.environ,
        "EPLAN_ENV": "test",
        "EPLAN_DATABASE_URL": DATABASE_URL,
        "EPLAN_REDIS_URL": REDIS_URL,
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "eplan", "worker", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def recipients(audit_event_id: int) -> list[int]:
    return sorted(
        _db.session.execute(
            select(Notification.user_id).where(Notification.audit_event_id == audit_event_id)
        ).scalars()
    )


def only_message() -> OutboxMessage:
    return _db.session.execute(select(OutboxMessage).execution_options(populate_existing=True)).scalar_one()


def test_a_transition_queues_a_job_that_notifies_exactly_the_next_actors(app):
    with app.app_context():
        world = factories.build_world()
        plan = factories.plan(world.sao_a, world.planner)
        result = engine.fire("plan", plan.id, "submit_to_committee", world.planner)
        message = only_message()
        job_id = f"outbox-{message.id}"
        assert (message.state, message.attempts, message.job_id) == ("relayed", 1, job_id)
        notifications = queues.queue("notifications")
        assert notifications.job_ids == [job_id]
        job = notifications.fetch_job(job_id)
        assert (job.func_name, job.kwargs) == (NOTIFY, {"audit_event_id": result.audit_event_id})
        expected = [world.devcom_secretary.id]
        _db.session.remove()

    # The worker brings its own app context: none is pushed here.
    work(app)

    with app.app_context():
        # Only the development-committee secretary of this อบต.: not the planner who acted, not
        # the secretary of the town in the same district.
        assert recipients(result.audit_event_id) == expected
        assert queues.queue("notifications").fetch_job(job_id).return_value() == 1


def test_running_the_same_notification_job_again_creates_no_duplicates(world, db, app):
    plan = factories.plan(world.sao_a, world.planner)
    result = engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    work(app)
    queues.enqueue("notifications", "notify_next_actors", {"audit_event_id": result.audit_event_id}, "again")
    work(app)
    assert queues.queue("notifications").fetch_job("again").return_value() == 0
    assert recipients(result.audit_event_id) == [world.devcom_secretary.id]


def test_a_late_job_notifies_nobody_once_the_plan_has_moved_on(world, db, app):
    plan = factories.plan(world.sao_a, world.planner)
    app.config["OUTBOX_RELAY_ON_COMMIT"] = False
    first = engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    second = engine.fire(
        "plan",
        plan.id,
        "endorse",
        world.devcom_secretary,
        data={"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"},
    )
    assert outbox.relay() == (2, 0)
    work(app)
    assert recipients(first.audit_event_id) == []
    assert recipients(second.audit_event_id) == [world.council_secretary.id]


@pytest.fixture
def outage_app(make_jobs_app, private_redis):
    return make_jobs_app(REDIS_URL=private_redis.url)


@pytest.fixture
def local_app(make_jobs_app):
    return make_jobs_app(REDIS_URL=None)


# The extra apps are listed before ``world``: they are built before its app context is pushed.
def test_a_transition_commits_while_redis_is_down_and_its_job_runs_once_redis_is_back(
    outage_app, private_redis, world, db
):
    plan_id = factories.plan(world.sao_a, world.planner).id
    planner_id, devcom_id = world.planner.id, world.devcom_secretary.id
    private_redis.stop()

    with outage_app.app_context():
        planner = db.session.get(User, planner_id)
        result = engine.fire("plan", plan_id, "submit_to_committee", planner)  # raises nothing

        assert db.session.get(Plan, plan_id, populate_existing=True).status == "committee_review"
        event = db.session.get(AuditEvent, result.audit_event_id)
        assert (event.action, event.from_state, event.to_state) == (
            "submit_to_committee",
            "drafting",
            "committee_review",
        )
        message = only_message()
        assert message.state == "pending" and message.attempts >= 1
        assert "Redis unavailable" in message.last_error
        assert outbox.relay() == (0, 1)  # still down: the relay keeps it

        private_redis.start()
        assert outbox.relay() == (1, 0)
        message = only_message()
        assert (message.state, message.last_error, message.job_id) == (
            "relayed",
            None,
            f"outbox-{message.id}",
        )
        db.session.remove()

    work(outage_app)

    with outage_app.app_context():
        assert recipients(result.audit_event_id) == [devcom_id]


@pytest.mark.real_commits
def test_two_relays_racing_over_fifty_messages_enqueue_each_exactly_once(app, db):
    app.config["OUTBOX_BATCH_SIZE"] = 5
    message_ids = [
        outbox.add("notify_next_actors", queue="notifications", audit_event_id=n) for n in range(50)
    ]
    db.session.commit()
    expected = sorted(f"outbox-{message_id}" for message_id in message_ids)
    db.session.remove()
    start = threading.Barrier(2)

    def relay_in_thread() -> int:
        with app.app_context():
            start.wait()
            return outbox.relay_all()[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        relayed = [f.result() for f in [pool.submit(relay_in_thread) for _ in range(2)]]

    assert sum(relayed) == 50
    notifications = queues.queue("notifications")
    assert notifications.count == 50
    assert sorted(notifications.job_ids) == expected
    states = db.session.execute(
        select(OutboxMessage.state, OutboxMessage.attempts, func.count()).group_by(
            OutboxMessage.state, OutboxMessage.attempts
        )
    ).all()
    assert states == [("relayed", 1, 50)]


@pytest.mark.real_commits
def test_without_redis_a_transition_runs_its_job_inside_the_process(local_app, world, db):
    plan_id = factories.plan(world.sao_a, world.planner).id
    planner_id, devcom_id = world.planner.id, world.devcom_secretary.id
    with local_app.app_context():
        result = engine.fire("plan", plan_id, "submit_to_committee", db.session.get(User, planner_id))
        queues.drain_in_process(local_app)
        assert only_message().state == "relayed"
        assert recipients(result.audit_event_id) == [devcom_id]


def test_jobs_retry_with_the_configured_backoff_by_default(app, db):
    queues.enqueue("notifications", "notify_next_actors", {"audit_event_id": 1}, "defaults")
    job = queues.queue("notifications").fetch_job("defaults")
    assert (job.retries_left, job.retry_intervals) == (3, [10, 60, 300])


def test_a_job_that_keeps_failing_is_retried_then_kept_in_the_failed_registry(app, db):
    app.config.update(JOB_RETRY_MAX=2, JOB_RETRY_INTERVALS=[0])
    # Not an id: the database refuses it, on every try.
    queues.enqueue("notifications", "notify_next_actors", {"audit_event_id": "x"}, "broken")
    worker = work(app)

    worker.refresh()
    assert worker.failed_job_count == 3  # the first run and two retries
    notifications = queues.queue("notifications")
    assert notifications.count == 0
    assert notifications.failed_job_registry.get_job_ids() == ["broken"]
    job = notifications.fetch_job("broken")
    assert job.retries_left == 0
    assert "invalid input syntax for type integer" in job.latest_result().exc_string


@pytest.mark.real_commits
def test_the_forking_worker_relays_pending_messages_and_runs_their_jobs(app, world, db):
    app.config["OUTBOX_RELAY_ON_COMMIT"] = False
    plan = factories.plan(world.sao_a, world.planner)
    result = engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    devcom_id = world.devcom_secretary.id
    assert only_message().state == "pending"
    db.session.remove()

    run_worker(app, burst=True, fork=True)  # `eplan worker --fork`, in burst mode

    assert only_message().state == "relayed"
    assert recipients(result.audit_event_id) == [devcom_id]


@pytest.mark.real_commits
def test_the_flask_worker_command_in_burst_mode_delivers_what_the_outbox_holds(app, world, db):
    app.config["OUTBOX_RELAY_ON_COMMIT"] = False
    plan = factories.plan(world.sao_a, world.planner)
    result = engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    devcom_id = world.devcom_secretary.id
    db.session.remove()

    done = eplan_worker("--burst")

    assert done.returncode == 0, done.stderr[-2000:]
    assert only_message().state == "relayed"
    assert recipients(result.audit_event_id) == [devcom_id]


def test_the_platform_knows_every_job_by_name_and_the_jobs_module_defines_each():
    assert set(tasks.JOBS) == queues.JOB_NAMES
    for name, function in tasks.JOBS.items():
        assert queues.job_function(name) is function is getattr(tasks, name)
    with pytest.raises(ValueError, match="unknown job 'no_such_job'"):
        queues.check_job("no_such_job")


def test_a_job_queued_under_a_module_the_jobs_have_left_is_pointed_at_jobs_tasks_and_runs(app, db):
    default = queues.queue("default", app)
    old = default.enqueue(
        "eplan_flow.jobs.deadline_tasks.run_deadline_checks", kwargs={"today_iso": "2026-11-01"}
    )
    other = default.enqueue(NOTIFY, kwargs={"audit_event_id": 424242})

    assert schedule.repoint_moved_jobs(app) == [old.id]

    moved = default.fetch_job(old.id)
    assert (moved.func_name, moved.kwargs) == (
        "eplan_flow.jobs.tasks.run_deadline_checks",
        {"today_iso": "2026-11-01"},
    )
    assert default.fetch_job(other.id).func_name == NOTIFY
    work(app)
    assert default.fetch_job(old.id).get_status() == "finished"
    assert schedule.repoint_moved_jobs(app) == []


def test_the_default_worker_runs_jobs_itself_and_heartbeats_while_they_run(app):
    """No horse is forked, yet a long job's heartbeat is kept short and renewed while it runs (as a
    forking worker's is), so a job whose worker is killed is found abandoned within about a minute,
    not after its timeout (half an hour for a document) + 60 s."""
    import time

    from rq.registry import StartedJobRegistry

    app.config["WORKER_HEARTBEAT_SECONDS"] = 1
    with app.app_context():
        worker = make_worker(app)
        assert type(worker).__name__ == "AppWorker"
        queue = queues.queue("default")
        job = queue.enqueue("time.sleep", 3.5, job_timeout=1800)
        registry = StartedJobRegistry(queue=queue)
        expiries: list[float] = []
        running = threading.Event()
        worked = threading.Event()

        def sample() -> None:  # the registry's expiry of the running job, five times a second
            while not worked.is_set():
                scores = registry.connection.zrange(registry.key, 0, -1, withscores=True)
                if scores:
                    running.set()
                    expiries.extend(score for _, score in scores)
                time.sleep(0.2)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            worker.work(burst=True)  # in the main thread: RQ's timeouts are signals
        finally:
            worked.set()
            sampler.join(10)
        assert job.get_status(refresh=True).value == "finished"
        assert running.is_set() and worker.pid == os.getpid()  # it ran here, in this process
        # Every heartbeat gave the job about interval + 60 s to live, not 1800 + 60 s; and it was
        # renewed while the job ran.
        assert expiries and max(expiries) - time.time() < 1 + 60 + 5
        assert max(expiries) - min(expiries) >= 2


def test_a_worker_told_max_jobs_stops_after_that_many_for_its_supervisor_to_start_it_afresh(app):
    """``eplan worker --max-jobs N`` (not in burst mode) runs N jobs, then exits cleanly; the rest wait
    in the queue for the next worker."""
    with app.app_context():
        default = queues.queue("default")
        jobs = [default.enqueue("time.sleep", 0.01) for _ in range(3)]
    done = eplan_worker("--max-jobs", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    statuses = [job.get_status(refresh=True).value for job in jobs]
    assert sorted(statuses) == ["finished", "finished", "queued"]

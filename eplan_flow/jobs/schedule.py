"""Recurring jobs on RQ's own cron scheduler (``rq.cron``), run by ``eplan scheduler`` (exactly one
in production; ``make worker`` runs it beside the worker for development).

Only the holder of a Redis lease (``SchedulerLease``) enqueues: a second scheduler started by mistake
waits, and takes over within the lease time when the holder dies, so N processes never enqueue a tick
N times.

Two things RQ's ``CronJob`` does not do for us, done here: it enqueues with the pickle serializer and
no retries (ours use the JSON serializer and ``Retry`` with backoff, like every other job), and it
reads cron fields in the machine's local time (ours are Bangkok time whatever the server's zone).
A scheduler that was down when a job was due runs it when it starts: the last enqueue is kept in
Redis (RQ's cron history), and the jobs themselves are idempotent, so running late or twice is safe.
When it starts it also points jobs Redis still holds under a module the jobs have left at
``eplan_flow.jobs.tasks``, so a job queued, waiting for a retry or failed before the move still runs.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
import zlib
from datetime import UTC, datetime
from typing import cast
from zoneinfo import ZoneInfo

import redis
from croniter import croniter
from rq import cron as rq_cron
from rq import cron_job_registry
from rq.cron import CronJob, CronScheduler
from rq.defaults import DEFAULT_CRON_JOB_HISTORY_LIMIT, DEFAULT_CRON_JOB_HISTORY_TTL
from rq.exceptions import DeserializationError
from rq.job import Job

from eplan_flow import thaidate
from eplan_flow.jobs import tasks
from eplan_flow.services.oversight import rollups
from eplan_flow.services.platform import queues

log = logging.getLogger(__name__)

# What runs when, in Bangkok time. A job named here but not (yet) in ``tasks.JOBS`` is skipped.
SCHEDULE = (
    # Reminders before deadlines, overdue notices and escalation: every morning before office hours.
    {"job": "run_deadline_checks", "queue": "default", "cron": "0 7 * * *"},
    # Approval requests waiting too long go up to the provincial office (the approvals' own job).
    {"job": "escalate_waiting_approvals", "queue": "default", "cron": "0 * * * *"},
    # Spent OIDC codes and tokens, old relayed outbox rows and sent email: at night.
    {"job": "purge_expired", "queue": "default", "cron": "30 2 * * *"},
    # The oversight rollups take in what changed (services/oversight/rollups.py): every
    # REFRESH_SECONDS (croniter's sixth field is the second).
    {
        "job": "refresh_oversight_figures",
        "queue": "default",
        "cron": f"* * * * * */{rollups.REFRESH_SECONDS}",
    },
)
RETRY_AFTER_REDIS_ERROR = 5.0  # seconds
# Modules jobs lived in before every job moved to ``eplan_flow.jobs.tasks`` (the scheduler's own
# deadline and escalation jobs were enqueued under the first and last of them).
FORMER_JOB_MODULES = frozenset(
    {
        "eplan_flow.jobs.deadline_tasks",
        "eplan_flow.jobs.mail_tasks",
        "eplan_flow.jobs.session_tasks",
        "eplan_flow.jobs.sso_tasks",
    }
)


LEASE_KEY = "eplan:scheduler:lease"


class SchedulerLease:
    """A Redis lease only one scheduler holds: SET NX PX to take it, renewed while held, given back
    (or renewed) only by the token that took it, so a holder that stalled past its time can't take
    the lease back from, or end it for, its successor."""

    _IF_OURS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call"
    _RENEW = _IF_OURS + "('pexpire', KEYS[1], ARGV[2]) end return 0"
    _RELEASE = _IF_OURS + "('del', KEYS[1]) end return 0"

    def __init__(
        self, connection: redis.Redis, seconds: float, key: str = LEASE_KEY, holder: str = ""
    ) -> None:
        self.connection = connection
        self.ttl_ms = max(int(seconds * 1000), 1000)
        self.key = key
        # Who holds it, for the operator reading the key; the random part makes it this run's own.
        self.token = f"{holder or 'scheduler'}:{uuid.uuid4().hex}"
        self.held = False

    def acquire(self) -> bool:
        """Take the lease if nobody holds it; renew it if this scheduler does. Return whether held."""
        if self.held:
            return self.renew()
        self.held = bool(self.connection.set(self.key, self.token, nx=True, px=self.ttl_ms))
        return self.held

    def renew(self) -> bool:
        self.held = bool(self.connection.eval(self._RENEW, 1, self.key, self.token, self.ttl_ms))
        return self.held

    def release(self) -> None:
        if self.held:
            self.connection.eval(self._RELEASE, 1, self.key, self.token)
            self.held = False

    @property
    def renew_every(self) -> float:
        """Seconds between renewals: a third of the lease, so one missed renewal does not lose it."""
        return self.ttl_ms / 3000


class AppCronJob(CronJob):
    """A cron job enqueued as every eplan job is (JSON, retries with backoff), on ``tz``'s clock."""

    def __init__(
        self,
        app,
        job: str,
        queue: str,
        cron: str,
        kwargs: dict | None = None,
        tz: ZoneInfo = thaidate.BANGKOK,
    ) -> None:
        self.app = app
        self.tz = tz  # read by get_next_enqueue_time, which the base __init__ calls
        super().__init__(queue_name=queue, func=tasks.JOBS[job], kwargs=kwargs or {}, cron=cron, name=job)

    def get_next_enqueue_time(self) -> datetime:
        base = self.latest_enqueue_time or rq_cron.now()
        # Bangkok keeps no daylight saving time: every local time exists exactly once.
        local = croniter(self.cron, base.astimezone(self.tz)).get_next(datetime)
        return local.astimezone(UTC)

    def previous_slot(self) -> datetime:
        """When the job was last due, by its cron expression."""
        local = croniter(self.cron, rq_cron.now().astimezone(self.tz)).get_prev(datetime)
        return local.astimezone(UTC)

    def last_enqueued(self, connection) -> datetime | None:
        newest = connection.zrange(self.job_history_key, -1, -1, withscores=True)
        return datetime.fromtimestamp(newest[0][1], UTC) if newest else None

    def catch_up(self, connection) -> bool:
        """Make the job due now if its last slot passed without it (the scheduler was down)."""
        last = self.last_enqueued(connection)
        if last is None or last < self.previous_slot():
            self.next_enqueue_time = rq_cron.now()
            return True
        self.latest_enqueue_time = last
        self.next_enqueue_time = self.get_next_enqueue_time()
        return False

    def enqueue(self, connection):
        queue = queues.queue(self.queue_name, self.app)
        with connection.pipeline() as pipeline:
            job = queue.enqueue(
                self.func_name,
                kwargs=self.kwargs,
                retry=queues.retry_policy(self.app),
                description=f"{self.name}({self.kwargs}) [cron {self.cron}]",
                pipeline=pipeline,
                **self.job_options,
            )
            if job.enqueued_at is None:  # set by Queue.enqueue before it returns
                raise RuntimeError(f"RQ returned job {job.id} without its enqueue time")
            # The same bookkeeping as RQ's own cron jobs, so `rq cron` tooling sees ours.
            stamp = job.enqueued_at.timestamp()
            pipeline.zadd(self.job_history_key, {job.id: stamp})
            pipeline.zremrangebyrank(self.job_history_key, 0, -(DEFAULT_CRON_JOB_HISTORY_LIMIT + 1))
            pipeline.expire(self.job_history_key, DEFAULT_CRON_JOB_HISTORY_TTL)
            cron_job_registry.add(self.name, pipeline, enqueue_timestamp=stamp)
            pipeline.execute()
        log.info("cron: enqueued %s on %s as %s", self.name, self.queue_name, job.id)
        return job


class AppCronScheduler(CronScheduler):
    """RQ's cron scheduler holding ``AppCronJob``s."""

    def add(self, cron_job: CronJob) -> CronJob:
        self._cron_jobs.append(cron_job)
        return cron_job

    def catch_up(self) -> list[str]:
        """Make due every job whose last slot passed while no scheduler ran; return their names."""
        # make_scheduler adds only AppCronJobs, through add(); RQ's type says CronJob.
        jobs = cast(list[AppCronJob], self.get_jobs())
        return [job.name for job in jobs if job.catch_up(self.connection)]


def make_scheduler(app, schedule=SCHEDULE) -> AppCronScheduler:
    """A cron scheduler on the app's Redis with the jobs of ``schedule`` that exist."""
    scheduler = AppCronScheduler(connection=queues.redis_connection(app))
    for entry in schedule:
        if entry["job"] not in tasks.JOBS:
            log.info("cron: %s is not a known job yet; not scheduled", entry["job"])
            continue
        scheduler.add(AppCronJob(app, **entry))
    return scheduler


def repoint_moved_jobs(app) -> list[str]:
    """Point the jobs RQ holds under a former module (``FORMER_JOB_MODULES``) at the same job in
    ``eplan_flow.jobs.tasks``: queued, waiting for a retry, or failed (a DLA admin may retry it).
    Return their ids."""
    moved = []
    for name in app.config["JOB_QUEUES"]:
        queue = queues.queue(name, app)
        ids = dict.fromkeys(
            [
                *queue.get_job_ids(),
                *queue.scheduled_job_registry.get_job_ids(),
                *queue.failed_job_registry.get_job_ids(),
            ]
        )
        for job in Job.fetch_many(list(ids), connection=queue.connection, serializer=queue.serializer):
            if job is None:
                continue
            try:
                module, _, function = (job.func_name or "").rpartition(".")
            except DeserializationError:  # not ours to mend; the back office can discard it
                continue
            if module in FORMER_JOB_MODULES and function in tasks.JOBS:
                job.func_name = f"{queues.TASKS_MODULE}.{function}"
                # Only the job's data (function and arguments) changes; its state is left alone.
                queue.connection.hset(job.key, mapping={"data": zlib.compress(job.data)})
                moved.append(job.id)
    return moved


def run_scheduler(app, stop: threading.Event, schedule=SCHEDULE) -> None:
    """Enqueue the recurring jobs when due until ``stop`` is set, while holding the scheduler lease;
    wait for it while another scheduler holds it. Survives Redis outages.

    RQ's ``CronScheduler.start`` installs signal handlers, which only the main thread may do, and
    knows no lease; this is the same loop, usable in a thread beside a worker too.
    """
    lease = SchedulerLease(
        queues.redis_connection(app), app.config["SCHEDULER_LEASE_SECONDS"], holder=_holder_name()
    )
    scheduler: AppCronScheduler | None = None
    waiting_said = False
    while not stop.is_set():
        pause = lease.renew_every
        try:
            if not lease.acquire():
                if scheduler is not None:
                    log.warning("cron: lost the scheduler lease; another scheduler enqueues now")
                    _unregister(scheduler)
                    scheduler = None
                if not waiting_said:
                    log.info("cron: another scheduler holds the lease (%s); waiting", _holder(lease))
                    waiting_said = True
                stop.wait(min(pause, 1.0))  # take over soon after the holder's lease runs out
                continue
            if scheduler is None:
                log.info("cron: holding the scheduler lease as %s", lease.token)
                waiting_said = False
                # A new scheduler each time the lease is taken: it reads when each job last ran from
                # Redis, so a tick the former holder enqueued is not enqueued again.
                scheduler = _start(app, schedule)
            if scheduler.enqueue_jobs():
                scheduler.save()
            scheduler.heartbeat()
            pause = min(scheduler.calculate_sleep_interval(), lease.renew_every)
        except redis.exceptions.RedisError:
            log.exception("cron: Redis unavailable; retrying in %ss", RETRY_AFTER_REDIS_ERROR)
            pause = min(RETRY_AFTER_REDIS_ERROR, lease.renew_every)
        stop.wait(pause)
    if scheduler is not None:
        _unregister(scheduler)
    try:
        lease.release()
    except redis.exceptions.RedisError:
        log.warning("cron: could not give the scheduler lease back; it runs out by itself")


def serve(app) -> None:
    """Run the scheduler in this process until SIGTERM or SIGINT (``eplan scheduler``), with the
    schedule ``CRON_SCHEDULE`` sets, or ``SCHEDULE``."""
    if not app.config.get("REDIS_URL"):
        raise SystemExit("EPLAN_REDIS_URL is not set: without Redis, nothing is scheduled")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_scheduler(app, stop, app.config.get("CRON_SCHEDULE") or SCHEDULE)


def _start(app, schedule) -> AppCronScheduler:
    scheduler = make_scheduler(app, schedule)
    moved = repoint_moved_jobs(app)
    if moved:
        log.info("cron: %d job(s) moved to %s: %s", len(moved), queues.TASKS_MODULE, ", ".join(moved))
    late = scheduler.catch_up()
    if late:
        log.info("cron: due on start (missed or never run): %s", ", ".join(late))
    scheduler.register_birth()
    return scheduler


def _unregister(scheduler: AppCronScheduler) -> None:
    try:
        scheduler.register_death()
    except redis.exceptions.RedisError:
        log.warning("cron: could not unregister %s from Redis", scheduler.name)


def _holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder(lease: SchedulerLease) -> str:
    value = lease.connection.get(lease.key)
    return value.decode() if isinstance(value, bytes) else str(value)

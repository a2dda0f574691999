"""The RQ worker process: builds the app once and relays the outbox beside the worker."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer
from rq.worker import BaseWorker, WorkerStatus

from eplan_flow.extensions import db
from eplan_flow.jobs.schedule import SCHEDULE, run_scheduler
from eplan_flow.log_redaction import redact
from eplan_flow.services.platform import outbox, queues

log = logging.getLogger(__name__)


class AppContextMixin(BaseWorker):
    """Run every job inside the Flask app's context, with a fresh database session."""

    app: Flask | None = None  # set by ``make_worker``

    def perform_job(self, job, queue, execution) -> bool:
        if self.app is None:
            raise RuntimeError("a worker runs jobs only for an app: make it with make_worker")
        with self.app.app_context():
            if getattr(self, "_is_horse", False):
                # A forked horse must not reuse the parent's pooled connections.
                db.engine.dispose(close=False)
            # The app context's teardown removes the session, so no job sees another's objects.
            return super().perform_job(job, queue, execution)

    def handle_job_failure(self, job, queue, started_job_registry=None, exc_string="", execution=None):
        # The traceback is kept in Redis and shown in the back office: no credentials in it (issue 9).
        return super().handle_job_failure(
            job,
            queue,
            started_job_registry,
            exc_string=redact(exc_string or ""),
            execution=execution,
        )


class AppWorker(AppContextMixin, SimpleWorker):
    """Runs each job in this process (the default): no process forked and no database connection
    opened per job, which cost more than most jobs themselves (bench/http.py: 12.3 ms of job CPU
    per request of the mix when forking, 2.3 ms without).

    A thread heartbeats while the job runs, as a forking worker's main loop does for its horse, so a
    job whose worker is killed is found abandoned after ``job_monitoring_interval`` + 60 s and
    retried, whatever its timeout (RQ's SimpleWorker heartbeats only before the job, for the job's
    whole timeout + 60 s: half an hour for a document)."""

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        return BaseWorker.get_heartbeat_ttl(self, job, working_time)

    def execute_job(self, job, queue) -> None:
        execution = self.prepare_execution(job)
        done = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat_while_running,
            args=(job, execution, done),
            name="rq-heartbeat",
            daemon=True,
        )
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            done.set()
            beat.join()
        self.set_state(WorkerStatus.IDLE)

    def _heartbeat_while_running(self, job, execution, done: threading.Event) -> None:
        while not done.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception:  # Redis away for a moment: the next beat tries again
                log.warning("job %s: heartbeat failed", job.id, exc_info=True)


class AppForkingWorker(AppContextMixin, Worker):
    """Forks a work horse per job (``eplan worker --fork``): a job's memory goes with its process."""


def make_worker(app, *, fork: bool = False, queue_names=None):
    """A worker on the app's Redis for ``queue_names`` (default: ``JOB_QUEUES``)."""
    cls = AppForkingWorker if fork else AppWorker
    worker = cls(
        [queues.queue(name, app) for name in (queue_names or app.config["JOB_QUEUES"])],
        connection=queues.redis_connection(app),
        serializer=JSONSerializer,
        job_monitoring_interval=app.config["WORKER_HEARTBEAT_SECONDS"],
        maintenance_interval=app.config["WORKER_MAINTENANCE_SECONDS"],
    )
    worker.app = app
    return worker


def relay_once(app) -> tuple[int, int]:
    """One outbox relay pass in its own app context; return (relayed, still pending)."""
    with app.app_context():
        return outbox.relay_all()


def relay_forever(app, interval: float, stop: threading.Event) -> None:
    """Relay pending outbox messages every ``interval`` seconds, surviving Redis outages."""
    while not stop.is_set():
        try:
            relay_once(app)
        except Exception:
            log.exception("outbox relay failed; retrying in %ss", interval)
        stop.wait(interval)


def run_worker(
    app,
    burst: bool = False,
    relay_interval: float = 2.0,
    fork: bool = False,
    cron: bool = False,
    max_jobs: int | None = None,
) -> None:
    """Work the configured queues (with RQ's scheduler for retries) until stopped, or until it has
    run ``max_jobs`` jobs: a worker that runs jobs itself keeps the memory its largest job needed,
    so it may end after so many and be started afresh by its supervisor (compose restarts it).

    With ``burst`` the outbox is relayed once first, then the worker stops when the queues are empty.
    With ``cron`` (not in burst mode) the recurring jobs of ``eplan_flow.jobs.schedule`` are enqueued
    beside it, for a one-process development set-up; production runs ``eplan scheduler`` once
    instead. Either way only the holder of the scheduler lease enqueues.
    """
    if not app.config.get("REDIS_URL"):
        raise SystemExit("EPLAN_REDIS_URL is not set: without Redis, jobs run inside the web process")
    worker = make_worker(app, fork=fork)
    if burst:
        relay_once(app)
        worker.work(with_scheduler=True, burst=True, max_jobs=max_jobs)
        return
    stop = threading.Event()
    relay = threading.Thread(
        target=relay_forever, args=(app, relay_interval, stop), name="eplan-outbox-relay", daemon=True
    )
    relay.start()
    threads = [relay]
    if cron:
        schedule = app.config.get("CRON_SCHEDULE") or SCHEDULE
        scheduler = threading.Thread(
            target=run_scheduler, args=(app, stop, schedule), name="eplan-cron", daemon=True
        )
        scheduler.start()
        threads.append(scheduler)
    try:
        worker.work(with_scheduler=True, max_jobs=max_jobs)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=relay_interval + 5)

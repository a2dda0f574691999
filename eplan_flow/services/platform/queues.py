"""Where jobs go: RQ on Redis when ``REDIS_URL`` is set, otherwise a thread in this process."""

from __future__ import annotations

import importlib
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import redis
from flask import current_app
from rq import Queue, Retry
from rq.serializers import JSONSerializer

log = logging.getLogger(__name__)

# Where the job functions live; RQ and the in-process runner find each there by name. The platform
# names jobs without importing them: the jobs call the services, which sit above the platform.
TASKS_MODULE = "eplan_flow.jobs.tasks"
# Every job ``TASKS_MODULE`` defines (its ``JOBS``); a test keeps the two lists equal.
JOB_NAMES = frozenset(
    {
        "notify_next_actors",
        "notify_applicant",
        "escalate_waiting_approvals",
        "send_backchannel_logout",
        "run_deadline_checks",
        "send_email",
        "purge_expired",
        "render_document",
        "refresh_oversight_figures",
    }
)


# Jobs that may run longer than RQ's default three minutes: a 2,000-project ผ.02 PDF takes minutes.
JOB_TIMEOUTS = {"render_document": 1800, "refresh_oversight_figures": 1800}


class QueueUnavailable(RuntimeError):
    """Redis could not take the job; the outbox keeps it pending."""


def check_job(name: str) -> None:
    """Refuse a job no function stands behind, before it is stored or queued."""
    if name not in JOB_NAMES:
        raise ValueError(f"unknown job {name!r}; add it to {TASKS_MODULE} and to queues.JOB_NAMES")


def job_function(name: str):
    """The function of job ``name``, looked up by name in ``TASKS_MODULE`` when it runs."""
    check_job(name)
    return getattr(importlib.import_module(TASKS_MODULE), name)


def redis_connection(app=None) -> redis.Redis:
    app = app or current_app
    conn = app.extensions.get("eplan_redis")
    if conn is None:
        conn = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=5)
        app.extensions["eplan_redis"] = conn
    return conn


def queue(name: str, app=None) -> Queue:
    return Queue(name, connection=redis_connection(app), serializer=JSONSerializer)


def retry_policy(app=None) -> Retry:
    """Retry a failing job with backoff (``JOB_RETRY_*``) before it lands in the failed registry."""
    config = (app or current_app).config
    return Retry(max=config["JOB_RETRY_MAX"], interval=list(config["JOB_RETRY_INTERVALS"]))


def enqueue(queue_name: str, job: str, kwargs: dict, job_id: str) -> str:
    """Send ``job(**kwargs)`` to its queue; return the job id."""
    check_job(job)
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app
    if not app.config.get("REDIS_URL"):
        _executor(app).submit(_run_in_process, app, job, kwargs)
        return job_id
    try:
        queue(queue_name, app).enqueue(
            f"{TASKS_MODULE}.{job}",
            kwargs=kwargs,
            job_id=job_id,
            retry=retry_policy(app),
            job_timeout=JOB_TIMEOUTS.get(job),
            description=f"{job}({kwargs})",
        )
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        raise QueueUnavailable(f"Redis unavailable: {exc}") from exc
    return job_id


def _executor(app) -> ThreadPoolExecutor:
    executor = app.extensions.get("eplan_inprocess_jobs")
    if executor is None:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eplan-job")
        app.extensions["eplan_inprocess_jobs"] = executor
    return executor


def _run_in_process(app, job: str, kwargs: dict) -> None:
    with app.app_context():
        try:
            job_function(job)(**kwargs)
        except Exception:
            log.exception("in-process job %s(%s) failed", job, kwargs)


def submit_in_process(app, key, function, *args) -> bool:
    """Run ``function(*args)`` in an app context on this process's job thread, unless ``key`` is
    already waiting there; return whether it was submitted. (The outbox runs its rows this way
    without Redis: a row handed over twice, at commit and by the sweep, waits once.)"""
    waiting = app.extensions.setdefault("eplan_inprocess_waiting", set())
    lock = app.extensions.setdefault("eplan_inprocess_lock", threading.Lock())
    with lock:
        if key in waiting:
            return False
        waiting.add(key)

    def run() -> None:
        with lock:
            waiting.discard(key)
        with app.app_context():
            try:
                function(*args)
            except Exception:
                log.exception("in-process %s failed", key)

    _executor(app).submit(run)
    return True


def drain_in_process(app, timeout: float | None = 10) -> None:
    """Wait for in-process jobs submitted so far (tests and CLI use this)."""
    executor = app.extensions.get("eplan_inprocess_jobs")
    if executor is not None:
        executor.submit(lambda: None).result(timeout=timeout)


def new_job_id() -> str:
    return uuid.uuid4().hex

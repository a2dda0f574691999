"""Jobs that kept failing after their retries: list them for DLA admins, retry or discard them, audited.

They live in each RQ queue's failed registry, in Redis. A retry or discard is recorded in the audit
chain ``jobs:<queue>`` in the same database transaction that is committed only once Redis has done
it, so the trail never claims what did not happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from eplan_flow.errors import NotFound, PermissionDenied
from eplan_flow.log_redaction import redact
from eplan_flow.permissions import can_manage_jobs
from eplan_flow.services.platform import audit, queues
from eplan_flow.services.platform.unit_of_work import transaction


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    function: str | None  # as RQ has it: None for a job stored without one
    arguments: str
    error: str  # the last line of the last failure's traceback, credentials redacted
    failed_at: datetime | None
    retries_left: int | None


def available() -> bool:
    """Whether jobs run on RQ here (without Redis they run in-process and failures are only logged)."""
    return bool(current_app.config.get("REDIS_URL"))


def queue_names() -> tuple[str, ...]:
    return tuple(current_app.config["JOB_QUEUES"])


def _check(actor) -> None:
    if not can_manage_jobs(actor):
        raise PermissionDenied("only DLA admins manage background jobs")


def list_failed(actor) -> list[FailedJob]:
    """Every queue's failed jobs, most recent failure first."""
    _check(actor)
    if not available():
        return []
    found = []
    for name in queue_names():
        queue = queues.queue(name)
        ids = queue.failed_job_registry.get_job_ids()
        for job in Job.fetch_many(ids, connection=queue.connection, serializer=queue.serializer):
            if job is not None:
                found.append(_describe(name, job))
    epoch = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda j: j.failed_at or epoch, reverse=True)
    return found


def _describe(queue_name: str, job: Job) -> FailedJob:
    try:
        function = job.func_name
        arguments = ", ".join(
            [repr(a) for a in job.args] + [f"{k}={v!r}" for k, v in sorted(job.kwargs.items())]
        )
    except Exception:  # a job whose data cannot be read is still listed, so it can be discarded
        function, arguments = "?", "?"
    result = job.latest_result()
    traceback = (result.exc_string if result is not None else None) or job.exc_info or ""
    # Our worker stores failures redacted; jobs failed by another worker (or before) are redacted here.
    arguments = redact(arguments)
    lines = [line for line in redact(traceback).strip().splitlines() if line.strip()]
    failed_at = job.ended_at
    if failed_at is not None and failed_at.tzinfo is None:
        failed_at = failed_at.replace(tzinfo=UTC)  # RQ stores naive UTC
    return FailedJob(
        id=job.id,
        queue=queue_name,
        function=function,
        arguments=arguments,
        error=lines[-1] if lines else "",
        failed_at=failed_at,
        retries_left=job.retries_left,
    )


def _failed_job(queue_name: str, job_id: str) -> tuple[FailedJobRegistry, Job]:
    if queue_name not in queue_names() or not available():
        raise NotFound(f"no queue {queue_name!r}", queue=queue_name)
    queue = queues.queue(queue_name)
    registry = queue.failed_job_registry
    if job_id not in registry.get_job_ids():
        raise NotFound(f"job {job_id} is not in the failed jobs of {queue_name}", job_id=job_id)
    try:
        job = Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
    except NoSuchJobError:
        raise NotFound(f"job {job_id} no longer exists", job_id=job_id) from None
    return registry, job


def _audit(actor, action: str, queue_name: str, job: Job) -> None:
    described = _describe(queue_name, job)
    # Ids and the error only: arguments stay out of the trail (jobs take ids, but never log more).
    audit.append(
        f"jobs:{queue_name}",
        action,
        actor=actor,
        data={"job_id": job.id, "function": described.function, "error": described.error[:500]},
    )


def retry(actor, queue_name: str, job_id: str) -> None:
    """Put a failed job back on its queue."""
    _check(actor)
    with transaction():
        registry, job = _failed_job(queue_name, job_id)
        _audit(actor, "retry_job", queue_name, job)
        try:
            registry.requeue(job)
        except InvalidJobOperation:  # someone else retried or discarded it first
            raise NotFound(f"job {job_id} is not in the failed jobs of {queue_name}", job_id=job_id) from None


def discard(actor, queue_name: str, job_id: str) -> None:
    """Delete a failed job for good."""
    _check(actor)
    with transaction():
        registry, job = _failed_job(queue_name, job_id)
        _audit(actor, "discard_job", queue_name, job)
        if not registry.remove(job):  # someone else retried or discarded it first
            raise NotFound(f"job {job_id} is not in the failed jobs of {queue_name}", job_id=job_id)
        job.delete()

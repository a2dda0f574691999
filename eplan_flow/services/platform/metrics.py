"""Prometheus metrics: what the app counts as it works, and what a scrape reads from the database
and Redis at that moment. Served at ``/metrics`` (``eplan_flow.monitoring``) to whoever holds
``METRICS_TOKEN``.

Counted in each process: HTTP requests and their latency (by endpoint), workflow transitions (by
workflow and trigger, once their transaction has committed) and refusals (by error code, once per
refusal a person or client was told about). Read at scrape time, one cheap query each: the outbox
backlog, each job queue's depth and failed jobs (with Redis), and the overdue counts other
contexts register with ``scrape_gauge``.

Under gunicorn with several workers set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, before
the app is imported): every process then writes its counters there, any worker's ``/metrics``
answers for all of them (prometheus_client's multiprocess mode), and gunicorn's config calls
``child_exit`` so a dead worker's live gauges go with it. Empty the directory when the server
starts (``clear_multiprocess_dir``).
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from eplan_flow import messages
from eplan_flow.extensions import db
from eplan_flow.models import OutboxMessage
from eplan_flow.services.platform import queues

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Methods are the client's to choose: anything else is one label value, not one each.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "eplan_http_requests_total",
    "HTTP requests answered, by method, endpoint and status.",
    ["method", "endpoint", "status"],
)
HTTP_LATENCY = Histogram(
    "eplan_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint.",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
TRANSITIONS = Counter(
    "eplan_workflow_transitions_total",
    "Workflow transitions committed, by workflow and trigger.",
    ["workflow", "trigger"],
)
REFUSALS = Counter(
    "eplan_refusals_total",
    "Domain refusals shown to a person or an API client, by error code.",
    ["code"],
)

# Transitions fired in this session's transaction, counted when it commits.
_PENDING_TRANSITIONS = "eplan_metrics_transitions"


# -- transitions: counted after commit ------------------------------------------------------------
def transition_fired(workflow: str, trigger: str) -> None:
    """Note a transition of the current transaction; it is counted if and when that commits."""
    db.session.info.setdefault(_PENDING_TRANSITIONS, []).append((workflow, trigger))


@event.listens_for(Session, "after_commit")
def _count_committed_transitions(session: Session) -> None:
    for workflow, trigger in session.info.pop(_PENDING_TRANSITIONS, ()):
        TRANSITIONS.labels(workflow=workflow, trigger=trigger).inc()


@event.listens_for(Session, "after_transaction_end")
def _forget_rolled_back_transitions(session: Session, transaction: SessionTransaction) -> None:
    # After a commit they have been counted already; whatever is left was rolled back.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING_TRANSITIONS, None)


# -- requests and refusals ------------------------------------------------------------------------
def init_app(app: Flask) -> None:
    """Count every request, its latency and the refusals it showed."""

    def start_clock() -> None:
        g.metrics_started = time.perf_counter()

    # First of all the hooks, so a request another hook answers early is timed as well.
    app.before_request_funcs.setdefault(None, []).insert(0, start_clock)

    @app.after_request
    def count_request(response: Response) -> Response:
        endpoint = request.endpoint or "unmatched"
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUESTS.labels(method=method, endpoint=endpoint, status=str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            HTTP_LATENCY.labels(endpoint=endpoint).observe(time.perf_counter() - started)
        for error in messages.pop_refusals_shown():
            REFUSALS.labels(code=error.code).inc()
        return response


# -- read at scrape time --------------------------------------------------------------------------
@dataclass(frozen=True)
class _ScrapeGauge:
    name: str
    documentation: str
    label: str | None
    # A number (no label), {label value: number}, or None when it does not apply here.
    read: Callable[[], float | Mapping[str, float] | None]


_SCRAPE_GAUGES: dict[str, _ScrapeGauge] = {}


def scrape_gauge(name: str, documentation: str, label: str | None = None):
    """Register a function read at each scrape as gauge ``name``: it returns a number, or (with
    ``label``) a mapping of label values to numbers, or None when it does not apply. Keep it to
    one cheap query: Prometheus asks every few seconds."""

    def register(read):
        _SCRAPE_GAUGES[name] = _ScrapeGauge(name, documentation, label, read)
        return read

    return register


@scrape_gauge("eplan_outbox_backlog", "Outbox messages committed and not yet handed to the job queue.")
def outbox_backlog() -> int | None:
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "pending")
    )


@scrape_gauge("eplan_job_queue_depth", "Jobs waiting in each RQ queue.", label="queue")
def queue_depths() -> dict[str, int] | None:
    if not current_app.config.get("REDIS_URL"):
        return None  # jobs run in-process: no queue to measure
    return {name: queues.queue(name).count for name in current_app.config["JOB_QUEUES"]}


@scrape_gauge("eplan_jobs_failed", "Jobs in each RQ queue's failed registry.", label="queue")
def failed_jobs() -> dict[str, int] | None:
    if not current_app.config.get("REDIS_URL"):
        return None
    return {name: queues.queue(name).failed_job_registry.count for name in current_app.config["JOB_QUEUES"]}


class _ScrapeTimeCollector:
    """The registered gauges, read now; one that fails (database or Redis down) is left out."""

    def collect(self) -> Iterator[Metric]:
        for gauge in list(_SCRAPE_GAUGES.values()):
            try:
                value = gauge.read()
            except Exception:  # the database or Redis is down: the other gauges still answer
                db.session.rollback()
                log.warning("metrics: %s could not be read", gauge.name, exc_info=True)
                continue
            if value is None:
                continue
            if not isinstance(value, Mapping):
                yield GaugeMetricFamily(gauge.name, gauge.documentation, value=float(value))
                continue
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=[gauge.label or "label"])
            for label_value, number in sorted(value.items()):
                family.add_metric([label_value], float(number))
            yield family


class _Scrape:
    """What one scrape answers: the counters (this process's, or every process's in multiprocess
    mode) and the gauges read now."""

    def __init__(self, sources: Iterable) -> None:
        self.sources = list(sources)

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type (call inside an app context)."""
    path = multiprocess_dir()
    counters = multiprocess.MultiProcessCollector(None, path=path) if path else REGISTRY
    return generate_latest(_Scrape([counters, _ScrapeTimeCollector()])), CONTENT_TYPE_LATEST


def bearer_matches(authorization: str, token: str) -> bool:
    """Whether an Authorization header is ``Bearer <token>``, compared in constant time."""
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


# -- gunicorn's multiprocess mode ----------------------------------------------------------------
def child_exit(server, worker) -> None:
    """gunicorn's ``child_exit`` hook: drop a dead worker's live gauges from the shared directory."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(worker.pid)


def clear_multiprocess_dir() -> None:
    """Empty the shared directory of a previous run's files (gunicorn's ``on_starting``): counters
    of processes that are gone would otherwise be added to this run's."""
    path = multiprocess_dir()
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        for stale in Path(path).glob("*.db"):
            stale.unlink(missing_ok=True)

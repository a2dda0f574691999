"""The outbox: side effects stored with their transaction, handed to RQ after commit.

Delivery is at least once: a message whose enqueue succeeded but whose "relayed" mark was lost is
sent again, so every job is idempotent.

Without Redis (the embedded default) the jobs run on a thread of the web process, from the outbox
itself: a row is marked relayed only after its job has run, and the rows still pending are run
again when the process starts serving and every ``OUTBOX_SWEEP_SECONDS``, so a restart between a
commit and its job loses nothing. A job that keeps failing is retried ``JOB_RETRY_MAX`` times, then
its row is kept as ``failed`` with its error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from functools import cache

from flask import current_app
from sqlalchemy import (
    CTE,
    JSON,
    Integer,
    String,
    bindparam,
    cast,
    event,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, SessionTransaction

from eplan_flow.extensions import db
from eplan_flow.log_redaction import redact
from eplan_flow.models import OutboxMessage
from eplan_flow.models._types import utcnow
from eplan_flow.services.platform import queues

log = logging.getLogger(__name__)
_OUTBOX = OutboxMessage.__table__
_INSERT = insert(_OUTBOX).returning(_OUTBOX.c.id)
_MARK_RELAYED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("sent_id"))
    .values(
        state="relayed",
        attempts=_OUTBOX.c.attempts + 1,
        relayed_at=bindparam("sent_at"),
        job_id=bindparam("sent_job_id"),
        last_error=None,
    )
)
# Ids of rows this session's transaction wrote, and of rows committed but not yet relayed.
_PENDING = "eplan_outbox_pending"
_COMMITTED = "eplan_outbox_committed"


def add(job: str, queue: str = "default", **kwargs) -> int:
    """Record a job to run once the current transaction commits; return its id.

    The id is noted on the session: the commit makes it ready to relay (``relay_committed``, which
    ``transaction()`` calls after committing), a rollback forgets it.
    """
    queues.check_job(job)
    message_id = db.session.execute(
        _INSERT,
        {
            "queue": queue,
            "job": job,
            "kwargs": kwargs,
            "state": "pending",
            "attempts": 0,
            "created_at": utcnow(),
        },
    ).scalar_one()
    note_added([message_id])
    return message_id


def note_added(ids: Iterable[int]) -> None:
    """Note rows another module's statement wrote (``insert_following``) as ``add`` notes its own."""
    db.session.info.setdefault(_PENDING, []).extend(ids)


@cache
def insert_following(event_ids: CTE, jobs: tuple[str, ...], queue: str) -> CTE:
    """The INSERT, as a CTE returning the new ids, of one pending row per job in ``jobs`` (in that
    order, so their ids ascend in it), each with ``audit_event_id`` set to the id the CTE
    ``event_ids`` returns: a caller writes the rows together with that row, in its statement.

    The rows are those ``add(job, queue, audit_event_id=id)`` writes (the creation time is the
    parameter ``o_created_at``); the caller notes the ids (``note_added``). The jobs are checked
    when the statement is built (once: it is cached).
    """
    for job in jobs:
        queues.check_job(job)
    # Job names are constants of the workflow definitions, so they are part of the statement (as
    # a UNION, not VALUES: a statement holding VALUES is compiled again at each execution).
    job_rows = union_all(
        *(
            select(literal(n, Integer).label("n"), literal(job, String).label("job"))
            for n, job in enumerate(jobs)
        )
    ).subquery("jobs")
    rows = (
        select(
            bindparam("o_created_at", type_=_OUTBOX.c.created_at.type).label("created_at"),
            literal(queue, _OUTBOX.c.queue.type).label("queue"),
            job_rows.c.job,
            cast(func.jsonb_build_object("audit_event_id", event_ids.c.id), JSON).label("kwargs"),
            literal("pending", _OUTBOX.c.state.type).label("state"),
            literal(0, _OUTBOX.c.attempts.type).label("attempts"),
        )
        .select_from(event_ids)
        .join(job_rows, literal(True))
        .order_by(job_rows.c.n)
    )
    return (
        insert(_OUTBOX)
        .from_select(["created_at", "queue", "job", "kwargs", "state", "attempts"], rows)
        .returning(_OUTBOX.c.id)
        .cte("messages")
    )


def relay_committed(session: Session | None = None) -> None:
    """Hand the rows this session committed to the job queue now (a failure leaves them pending
    for the relay loop). ``transaction()`` calls it after its commit; a request or job that
    committed by itself gets it when its app context ends."""
    ids = (session or db.session()).info.pop(_COMMITTED, [])
    if ids:
        relay_after_commit(ids)


def init_app(app) -> None:
    """Relay what a request or job committed outside ``transaction()`` when its app context ends
    (registered after Flask-SQLAlchemy's teardown, so it runs before the session is removed)."""

    @app.teardown_appcontext
    def _relay_at_teardown(exc: BaseException | None) -> None:
        if _COMMITTED in db.session().info:
            relay_committed()

    if not app.config.get("REDIS_URL") and app.config.get("OUTBOX_SWEEP_SECONDS"):
        # Not in the factory (no I/O there): the first request starts the runner.
        @app.before_request
        def _start_in_process_runner() -> None:
            start_in_process_runner(app)


@event.listens_for(Session, "after_commit")
def _ready_to_relay(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_transaction_end")
def _forget_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    # After a commit the ids have moved on already; whatever is left was rolled back.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING, None)


def relay(ids: list[int] | None = None, limit: int | None = None) -> tuple[int, int]:
    """Hand pending messages to the job queue; return (relayed, still pending after an error).

    Rows are locked with SKIP LOCKED so several relays never send the same message at once. The
    first connection error stops the batch: the rest stay pending for the next run.
    """
    if _in_process():
        return _hand_to_this_process(ids, limit), 0
    limit = limit or current_app.config["OUTBOX_BATCH_SIZE"]
    # Rows, not entities: a fire relays its notice in the request that made it.
    query = (
        select(_OUTBOX.c.id, _OUTBOX.c.queue, _OUTBOX.c.job, _OUTBOX.c.kwargs)
        .where(_OUTBOX.c.state == "pending")
        .order_by(_OUTBOX.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        query = query.where(_OUTBOX.c.id.in_(ids))
    sent: list[dict] = []
    failed = 0
    try:
        messages = db.session.execute(query).all()
        for message in messages:
            try:
                job_id = queues.enqueue(message.queue, message.job, message.kwargs, f"outbox-{message.id}")
            except queues.QueueUnavailable as exc:
                db.session.execute(
                    update(_OUTBOX)
                    .where(_OUTBOX.c.id == message.id)
                    .values(attempts=_OUTBOX.c.attempts + 1, last_error=redact(str(exc))[:1000])
                )
                failed = len(messages) - len(sent)
                log.warning("outbox relay paused: %s (%d pending)", exc, failed)
                break
            sent.append({"sent_id": message.id, "sent_job_id": job_id})
        if sent:
            now = utcnow()
            db.session.execute(_MARK_RELAYED, [{**row, "sent_at": now} for row in sent])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(sent), failed


def relay_all() -> tuple[int, int]:
    """Relay batch after batch until none is left or Redis fails; return (relayed, still pending)."""
    if _in_process():  # the rows stay pending until their jobs ran: hand them all over once
        return _hand_to_this_process(), 0
    batch = current_app.config["OUTBOX_BATCH_SIZE"]
    total = 0
    while True:
        relayed, pending = relay(limit=batch)
        total += relayed
        # A short batch means nothing is left, or another relay holds the rest.
        if pending or relayed < batch:
            return total, pending


def relay_after_commit(ids: list[int]) -> None:
    """Try to relay just-committed messages at once; a failure leaves them for the relay loop."""
    if not ids or not current_app.config.get("OUTBOX_RELAY_ON_COMMIT", True):
        return
    try:
        relay(ids)
    except Exception:  # never fail a committed state change for its side effect
        log.exception("outbox relay after commit failed; messages stay pending")


def pending_count() -> int:
    return db.session.query(OutboxMessage).filter_by(state="pending").count()


# -- without Redis: the jobs run here, from the outbox ------------------------------------------------
def _in_process() -> bool:
    return not current_app.config.get("REDIS_URL")


def _hand_to_this_process(ids: list[int] | None = None, limit: int | None = None) -> int:
    """Give this process's job thread the pending rows (``ids`` only, when given); return how many
    were not waiting there already."""
    query = select(OutboxMessage.id).where(OutboxMessage.state == "pending").order_by(OutboxMessage.id)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    if limit:
        query = query.limit(limit)
    try:
        pending = db.session.execute(query).scalars().all()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app
    return sum(queues.submit_in_process(app, f"outbox-{i}", run_message, i) for i in pending)


def run_message(message_id: int) -> bool:
    """Run one pending message's job in this process, then mark it relayed; return whether it ran.

    The row is locked (FOR UPDATE SKIP LOCKED, on a connection of its own) while its job runs, so
    two processes on one PostgreSQL database never run it both; SQLite has no row locks, and one
    process serves it, its jobs one at a time on one thread. The mark comes after the job committed
    its effects: a process killed in between leaves the row pending, and the job (idempotent, like
    every job) runs again when the next one starts.
    """
    with db.engine.connect() as claim:
        row = claim.execute(
            select(_OUTBOX.c.job, _OUTBOX.c.kwargs, _OUTBOX.c.attempts)
            .where(_OUTBOX.c.id == message_id, _OUTBOX.c.state == "pending")
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:  # run already, or running in another process
            return False
        error = None
        try:
            queues.job_function(row.job)(**row.kwargs)
        except Exception as exc:
            db.session.rollback()
            error = redact(f"{type(exc).__name__}: {exc}")[:1000]
            log.exception("in-process job %s of outbox message %d failed", row.job, message_id)
        finally:
            # Give back its connection (SQLite's write lock) before the mark; the session keeps the
            # ids of the rows the job committed, relayed when this app context ends.
            db.session.close()
        attempts = row.attempts + 1
        values: dict = {"attempts": attempts, "last_error": error}
        if error is None:
            values.update(state="relayed", relayed_at=utcnow(), job_id=f"outbox-{message_id}")
        elif attempts > current_app.config["JOB_RETRY_MAX"]:
            values["state"] = "failed"
        claim.execute(update(_OUTBOX).where(_OUTBOX.c.id == message_id).values(values))
        claim.commit()
    return error is None


def start_in_process_runner(app) -> bool:
    """Without Redis: hand this process's job thread the rows still pending (a restart's leftovers)
    now, then every ``OUTBOX_SWEEP_SECONDS`` from a thread of its own; once per app. Return whether
    this call started it."""
    if app.config.get("REDIS_URL") or "eplan_outbox_sweeper" in app.extensions:
        return False
    with _SWEEPER_LOCK:
        if "eplan_outbox_sweeper" in app.extensions:
            return False
        stop = threading.Event()
        app.extensions["eplan_outbox_sweeper"] = stop
    interval = float(app.config.get("OUTBOX_SWEEP_SECONDS") or 30)

    def sweep() -> None:
        try:
            with app.app_context():
                _hand_to_this_process()
        except Exception:  # the database is away: the next sweep tries again
            log.exception("outbox: handing pending rows over failed; retrying in %ss", interval)

    sweep()  # before the thread starts, so the first request finds the leftovers queued

    def sweep_forever() -> None:
        while not stop.wait(interval):
            sweep()

    threading.Thread(target=sweep_forever, name="eplan-outbox-sweep", daemon=True).start()
    for job, seconds in (app.config.get("IN_PROCESS_PERIODIC_JOBS") or {}).items():
        _start_periodic(app, stop, job, float(seconds))
    return True


def _start_periodic(app, stop: threading.Event, job: str, seconds: float) -> None:
    """Without a scheduler: hand ``job`` to this process's job thread every ``seconds`` (once at a
    time: a run still waiting there is not queued again)."""
    function = queues.job_function(job)

    def tick_forever() -> None:
        while not stop.wait(seconds):
            queues.submit_in_process(app, f"periodic-{job}", function)

    threading.Thread(target=tick_forever, name=f"eplan-periodic-{job}", daemon=True).start()


def stop_in_process_runner(app) -> None:
    """Stop the sweeping thread ``start_in_process_runner`` started (tests; a process ending)."""
    stop = app.extensions.pop("eplan_outbox_sweeper", None)
    if stop is not None:
        stop.set()


_SWEEPER_LOCK = threading.Lock()

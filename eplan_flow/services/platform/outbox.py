"""The outbox: side effects stored with their transaction, handed to RQ after commit.

Delivery is at least once: a message whose enqueue succeeded but whose "relayed" mark was lost is
sent again, so every job is idempotent.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from eplan_flow.extensions import db
from eplan_flow.log_redaction import redact
from eplan_flow.models import OutboxMessage
from eplan_flow.models._types import utcnow
from eplan_flow.services.platform import queues

log = logging.getLogger(__name__)
_INSERT = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id)
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
    db.session.info.setdefault(_PENDING, []).append(message_id)
    return message_id


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
    limit = limit or current_app.config["OUTBOX_BATCH_SIZE"]
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.state == "pending")
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    relayed = failed = 0
    try:
        messages = db.session.execute(query).scalars().all()
        for message in messages:
            message.attempts += 1
            try:
                job_id = queues.enqueue(message.queue, message.job, message.kwargs, f"outbox-{message.id}")
            except queues.QueueUnavailable as exc:
                message.last_error = redact(str(exc))[:1000]
                failed = sum(1 for m in messages if m.state == "pending")
                log.warning("outbox relay paused: %s (%d pending)", exc, failed)
                break
            message.state = "relayed"
            message.relayed_at = utcnow()
            message.job_id = job_id
            message.last_error = None
            relayed += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return relayed, failed


def relay_all() -> tuple[int, int]:
    """Relay batch after batch until none is left or Redis fails; return (relayed, still pending)."""
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

"""The tamper-evident audit trail: append events to hash chains and verify them."""
from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import g, has_request_context
from sqlalchemy import bindparam, insert, select, text

from eplan_flow.extensions import db
from eplan_flow.models import AuditEvent
from eplan_flow.models._types import utcnow

GENESIS = "0" * 64
_TABLE = AuditEvent.__table__
# Built once: statement construction is a large share of a transition's CPU cost.
_LAST_IN_CHAIN = (
    select(_TABLE.c.seq, _TABLE.c.hash)
    .where(_TABLE.c.chain == bindparam("chain"))
    .order_by(_TABLE.c.seq.desc())
    .limit(1)
)
_INSERT = insert(_TABLE).returning(_TABLE.c.id)


def _canonical(event: AuditEvent) -> bytes:
    occurred = event.occurred_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {
        "chain": event.chain,
        "seq": event.seq,
        "occurred_at": occurred,
        "actor_id": event.actor_id,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "workflow": event.workflow,
        "workflow_version": event.workflow_version,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "comment": event.comment,
        "request_id": event.request_id,
        "data": event.data or {},
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def current_request_id() -> str | None:
    return getattr(g, "request_id", None) if has_request_context() else None


def _lock_chain(chain: str) -> None:
    """Serialise appends to one chain (PostgreSQL advisory lock; SQLite writes are serial)."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(chain.encode()) - 2**31
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def append(
    chain: str,
    action: str,
    *,
    actor=None,
    organisation_id: int | None = None,
    comment: str | None = None,
    data: dict | None = None,
    workflow: str | None = None,
    workflow_version: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    chain_locked: bool = False,
) -> AppendedEvent:
    """Add an event to ``chain`` in the current transaction; the caller commits.

    ``chain_locked`` says the caller already holds a lock that serialises this chain (the engine
    holds the subject row's lock), so no advisory lock is needed.
    """
    if not chain_locked:
        _lock_chain(chain)
    # Hash what the database will give back: JSON turns tuples into lists and keys into strings.
    data = json.loads(json.dumps(data or {}, ensure_ascii=False))
    last = db.session.execute(_LAST_IN_CHAIN, {"chain": chain}).first()
    event = AppendedEvent(
        chain=chain,
        seq=(last.seq + 1) if last else 1,
        occurred_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        organisation_id=organisation_id,
        action=action,
        workflow=workflow,
        workflow_version=workflow_version,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        request_id=current_request_id(),
        data=data,
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = compute_hash(event)
    # A plain INSERT … RETURNING: the trail is append-only, so the unit of work has nothing to track.
    row = {key: value for key, value in vars(event).items() if key != "id"}
    event.id = db.session.execute(_INSERT, row).scalar_one()
    return event


@dataclass
class AppendedEvent:
    """What ``append`` wrote: the row's values, its id and its hash."""

    chain: str
    seq: int
    occurred_at: datetime
    actor_id: int | None
    organisation_id: int | None
    action: str
    workflow: str | None
    workflow_version: int | None
    from_state: str | None
    to_state: str | None
    comment: str | None
    request_id: str | None
    data: dict
    prev_hash: str
    hash: str = ""
    id: int | None = None


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    event_id: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"chain {self.chain}: event #{self.event_id} (seq {self.seq}) {self.reason}"


def verify_chains(batch_size: int = 5000) -> tuple[int, list[ChainBreak]]:
    """Check every chain; return the number of events read and the first break of each chain."""
    breaks: dict[str, ChainBreak] = {}
    last: dict[str, tuple[int, str]] = {}
    checked = 0
    # Plain rows, not ORM objects: a long read must neither fill the session's identity map nor
    # detach the caller's objects to empty it.
    table = AuditEvent.__table__
    query = select(*table.c).order_by(table.c.chain, table.c.seq)
    for event in db.session.execute(query.execution_options(yield_per=batch_size)):
        checked += 1
        if event.chain in breaks:
            continue
        prev_seq, prev_hash = last.get(event.chain, (0, GENESIS))
        reason = None
        if event.seq != prev_seq + 1:
            reason = f"follows seq {prev_seq}: an event is missing"
        elif event.prev_hash != prev_hash:
            reason = "does not carry the hash of the event before it"
        elif compute_hash(event) != event.hash:
            reason = "was altered after it was written (hash mismatch)"
        if reason:
            breaks[event.chain] = ChainBreak(event.chain, event.id, event.seq, reason)
        last[event.chain] = (event.seq, event.hash)
    return checked, list(breaks.values())


def history(chain: str) -> list[AuditEvent]:
    return list(
        db.session.execute(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        ).scalars()
    )

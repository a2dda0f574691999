"""The tamper-evident audit trail: append events to keyed hash chains, sign their heads, verify.

Each event carries the HMAC-SHA256 (with ``AUDIT_KEY``, which the database never holds) of its
content and of the event before it, so an edit, or a chain recomputed without the key, shows.
Each chain's head (count and last hash) is signed in ``audit_checkpoint`` in the same
transaction, so a deleted tail or an emptied table shows; a registry row counts the chains, so a
chain deleted together with its checkpoint shows too. What this cannot prove is written in
``verify_chains``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Protocol, cast

from flask import current_app, g, has_request_context
from sqlalchemy import CursorResult, Integer, bindparam, event, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

from eplan_flow.extensions import db
from eplan_flow.models import AuditCheckpoint, AuditEvent, User
from eplan_flow.models._types import utcnow
from eplan_flow.services.platform import outbox
from eplan_flow.services.platform.locks import advisory_lock
from eplan_flow.services.platform.unit_of_work import transaction

GENESIS = "0" * 64
# Events written before keyed chains: plain SHA-256, which anyone can recompute. Verified still,
# but only as a chain's prefix, and only up to a signed checkpoint (``anchor_legacy_chains``).
LEGACY_SHA256 = 1
HMAC_SHA256 = 2
# The checkpoint row that counts the chains; no chain is named "*".
REGISTRY = "*"
_NEW_CHAINS = "eplan_audit_new_chains"

_TABLE = AuditEvent.__table__
_CHECKPOINT = AuditCheckpoint.__table__
# Built once: statement construction is a large share of a transition's CPU cost.
_HEAD = select(_CHECKPOINT.c.seq, _CHECKPOINT.c.head_hash).where(_CHECKPOINT.c.chain == bindparam("chain"))
_LAST_IN_CHAIN = (
    select(_TABLE.c.seq, _TABLE.c.hash, _TABLE.c.hash_version)
    .where(_TABLE.c.chain == bindparam("chain"))
    .order_by(_TABLE.c.seq.desc())
    .limit(1)
)
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
_NEW_CHECKPOINT = insert(_CHECKPOINT)
# Moves the head only from where this append found it: a concurrent writer that slipped past the
# chain lock would match no row, and the append fails instead of forking the chain.
_ADVANCE = (
    update(_CHECKPOINT)
    .where(_CHECKPOINT.c.chain == bindparam("at_chain"), _CHECKPOINT.c.seq == bindparam("at_seq"))
    .values(seq=bindparam("seq"), head_hash=bindparam("head_hash"), mac=bindparam("mac"))
)
# An append from a head its caller already read (``append(head=...)``) in one statement: advance
# the signed head only if it is still exactly that one, and insert the event only if it moved;
# no id back means the head had moved, and the append reads it and starts over.
_EVENT_COLUMNS = [c for c in _TABLE.columns if c.key != "id"]
_ADVANCED = (
    update(_CHECKPOINT)
    .where(
        _CHECKPOINT.c.chain == bindparam("e_chain", type_=_CHECKPOINT.c.chain.type),
        _CHECKPOINT.c.seq == bindparam("at_seq", type_=_CHECKPOINT.c.seq.type),
        _CHECKPOINT.c.head_hash == bindparam("e_prev_hash", type_=_CHECKPOINT.c.head_hash.type),
    )
    .values(seq=bindparam("e_seq"), head_hash=bindparam("e_hash"), mac=bindparam("new_mac"))
    .returning(_CHECKPOINT.c.seq)
    .cte("advanced")
)
_ADVANCE_AND_INSERT = (
    insert(_TABLE)
    .from_select(
        [c.key for c in _EVENT_COLUMNS],
        # Parameters named after no column: a statement sets any column its parameters name.
        select(*(bindparam(f"e_{c.key}", type_=c.type) for c in _EVENT_COLUMNS)).select_from(_ADVANCED),
    )
    .returning(_TABLE.c.id)
)
# What ``vars(AppendedEvent)`` holds besides the event's columns.
_NOT_COLUMNS = frozenset({"id", "message_ids", "along_rows"})


@cache
def _advance_and_insert(jobs: tuple[str, ...], queue: str, along: UpdateBase | None):
    """``_ADVANCE_AND_INSERT``, and with it the caller's write ``along`` (a statement RETURNING a
    row per row it wrote) and the outbox rows of ``jobs`` that carry the new event's id: one
    statement, one round trip.

    Its rows: how many rows ``along`` wrote (0 without it), the event's id and a message's id,
    one row per message, in the jobs' order; the ids are NULL if the head had moved.
    """
    event_ids = _ADVANCE_AND_INSERT.cte("appended")
    if along is None:
        written = select(literal(0, Integer).label("n")).subquery("along")
    else:
        along_rows = along.cte("along_rows")
        written = select(func.count().label("n")).select_from(along_rows).subquery("along")
    columns = [written.c.n, event_ids.c.id]
    joined = written.outerjoin(event_ids, literal(True))
    if jobs:
        messages = outbox.insert_following(event_ids, jobs, queue)
        columns.append(messages.c.id.label("message_id"))
        joined = joined.outerjoin(messages, literal(True))
    statement = select(*columns).select_from(joined)
    return statement.order_by(messages.c.id) if jobs else statement


def in_one_statement(head: tuple[int, str] | None) -> bool:
    """Whether ``append(head=head)`` writes with one statement, which can carry a write ``along``."""
    # SQLite (development) has no UPDATE inside WITH.
    return head is not None and db.session.get_bind().dialect.name == "postgresql"


class AuditIntegrityError(RuntimeError):
    """The audit trail is damaged where an append needs it; run ``flask eplan verify-audit``."""


def audit_key(app=None) -> bytes:
    """The chains' HMAC key: ``AUDIT_KEY``, else (development, tests) derived from SECRET_KEY."""
    app = app or current_app
    key = app.extensions.get("eplan_audit_key")
    if key is None:
        configured = app.config.get("AUDIT_KEY")
        if configured:
            key = configured.encode()
        else:
            secret = app.config["SECRET_KEY"]
            key = hmac.new(
                secret.encode() if isinstance(secret, str) else secret,
                b"eplan-flow audit chain key v1",
                hashlib.sha256,
            ).digest()
        app.extensions["eplan_audit_key"] = key
    return key


def shard_chain(base: str, identifier: str) -> str:
    """The chain of ``base`` that events about ``identifier`` go to: ``<base>:<n>`` of
    AUDIT_UNKNOWN_SHARDS chains (the plain ``base`` when that is 1).

    Failed sign-ins with unknown addresses come from anywhere in the country at once; on one chain
    they would all queue on its lock. Each shard is an ordinary keyed chain, verified like any
    other. The shard comes from a keyed hash of the identifier, so one address always lands on the
    same chain while nobody can aim many at one shard, and the chain's name says nothing of it.
    """
    shards = int(current_app.config.get("AUDIT_UNKNOWN_SHARDS", 1))
    if shards <= 1:
        return base
    digest = hmac.new(
        audit_key(), f"shard:{base}:{identifier.strip().lower()}".encode(), hashlib.sha256
    ).digest()
    return f"{base}:{int.from_bytes(digest[:8], 'big') % shards}"


def canonical(body: dict) -> bytes:
    """The bytes an event's hash covers (``body`` as ``_canonical`` builds it)."""
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


class HashedContent(Protocol):
    """What an event's hash covers: an ``AuditEvent``, an ``AppendedEvent`` or a row read back."""

    @property
    def chain(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def organisation_id(self) -> int | None: ...
    @property
    def action(self) -> str: ...
    @property
    def workflow(self) -> str | None: ...
    @property
    def workflow_version(self) -> int | None: ...
    @property
    def from_state(self) -> str | None: ...
    @property
    def to_state(self) -> str | None: ...
    @property
    def comment(self) -> str | None: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def data(self) -> dict | None: ...
    @property
    def prev_hash(self) -> str: ...


def _canonical(event: HashedContent) -> bytes:
    occurred = event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return canonical(
        {
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
    )


def compute_hash(event: HashedContent, key: bytes | None = None) -> str:
    """The hash ``event`` must carry, by its ``hash_version`` (keyed unless it says legacy)."""
    if getattr(event, "hash_version", HMAC_SHA256) == LEGACY_SHA256:
        return hashlib.sha256(_canonical(event)).hexdigest()
    return hmac.new(key or audit_key(), _canonical(event), hashlib.sha256).hexdigest()


def checkpoint_mac(chain: str, seq: int, head_hash: str, key: bytes | None = None) -> str:
    """The signature of a chain's head (domain-separated from event hashes, which are JSON)."""
    message = f"checkpoint\x00{chain}\x00{seq}\x00{head_hash}".encode()
    return hmac.new(key or audit_key(), message, hashlib.sha256).hexdigest()


def current_request_id() -> str | None:
    return getattr(g, "request_id", None) if has_request_context() else None


def _lock_chain(chain: str) -> None:
    """Serialise appends to one chain until the transaction ends."""
    advisory_lock(chain)


def _head(chain: str) -> tuple[int, str, bool]:
    """Where the chain ends: (seq, hash, whether a checkpoint already signs it).

    The head comes from the checkpoint, not from the last event: were the tail deleted, the
    next event must still follow the signed head, so the gap stays visible.
    """
    signed = db.session.execute(_HEAD, {"chain": chain}).first()
    if signed is not None:
        return signed.seq, signed.head_hash, True
    last = db.session.execute(_LAST_IN_CHAIN, {"chain": chain}).first()
    if last is None:
        return 0, GENESIS, False
    if last.hash_version != LEGACY_SHA256:
        # A keyed chain always has a checkpoint: someone deleted it. Writing on would re-sign
        # whatever is left, hiding what was taken.
        raise AuditIntegrityError(f"audit chain {chain} has lost its signed checkpoint")
    return last.seq, last.hash, False  # written before keyed chains: this append anchors it


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
    head: tuple[int, str] | None = None,
    outbox_jobs: Sequence[str] = (),
    outbox_queue: str = "default",
    along: tuple[UpdateBase, dict] | None = None,
) -> AppendedEvent:
    """Add an event to ``chain`` and sign the chain's new head, in the current transaction.

    ``chain_locked`` says the caller already holds a lock that serialises this chain (the engine
    holds the subject row's lock), so no advisory lock is needed. ``head`` is the chain's signed
    head (seq, hash) as the caller read it under that lock (the engine reads it with the row): the
    append then takes one statement, and reads the head itself only if it has moved since.
    ``outbox_jobs`` are jobs to record with the event, each as ``outbox.add(job, outbox_queue,
    audit_event_id=<the event's id>)`` does (on that fast path, in the same statement); their ids
    are the event's ``message_ids``, in that order. ``along`` is a write of the caller's (a
    statement RETURNING a row per row it wrote, and its parameters) to run in that statement, for
    one round trip less: only where ``in_one_statement(head)``; how many rows it wrote is the
    event's ``along_rows``. The caller commits.
    """
    if along is not None and not in_one_statement(head):
        raise ValueError("a write along with the append needs in_one_statement(head)")
    if not chain_locked:
        _lock_chain(chain)
    # Hash what the database will give back: JSON turns tuples into lists and keys into strings.
    data = json.loads(json.dumps(data, ensure_ascii=False)) if data else {}
    key = audit_key()

    def following(prev_seq: int, prev_hash: str) -> AppendedEvent:
        event = AppendedEvent(
            chain=chain,
            seq=prev_seq + 1,
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
            prev_hash=prev_hash,
        )
        event.hash = compute_hash(event, key)
        return event

    jobs = tuple(outbox_jobs)
    along_rows = 0
    if head is not None and in_one_statement(head):
        event = following(*head)
        # A plain INSERT … RETURNING (with the head's move): the trail is append-only, so the unit
        # of work has nothing to track.
        row = {f"e_{name}": value for name, value in vars(event).items() if name not in _NOT_COLUMNS}
        row.update(at_seq=head[0], new_mac=checkpoint_mac(chain, event.seq, event.hash, key))
        if jobs:
            row["o_created_at"] = utcnow()
        statement = _advance_and_insert(jobs, outbox_queue, None if along is None else along[0])
        if along is not None:
            row.update(along[1])
        written = db.session.execute(statement, row).all()
        along_rows = written[0][0]
        if written[0][1] is not None:
            event.id = written[0][1]
            event.message_ids = [message_id for _, _, message_id in written] if jobs else []
            event.along_rows = along_rows
            outbox.note_added(event.message_ids)
            return event
    prev_seq, prev_hash, signed = _head(chain)
    event = following(prev_seq, prev_hash)
    row = {name: value for name, value in vars(event).items() if name not in _NOT_COLUMNS}
    event.id = db.session.execute(_INSERT, row).scalar_one()
    signed_head = {
        "seq": event.seq,
        "head_hash": event.hash,
        "mac": checkpoint_mac(chain, event.seq, event.hash, key),
    }
    if signed:
        # An UPDATE's result is a CursorResult (rowcount); Session.execute is typed for any statement.
        at_head = {"at_chain": chain, "at_seq": prev_seq, **signed_head}
        moved = cast(CursorResult, db.session.execute(_ADVANCE, at_head)).rowcount
        if moved != 1:
            raise AuditIntegrityError(f"audit chain {chain} moved during an append")
    else:
        db.session.execute(_NEW_CHECKPOINT, {"chain": chain, **signed_head})
        db.session.info.setdefault(_NEW_CHAINS, set()).add(chain)
    event.message_ids = [outbox.add(job, outbox_queue, audit_event_id=event.id) for job in jobs]
    event.along_rows = along_rows
    return event


@event.listens_for(Session, "before_commit")
def _register_new_chains(session: Session) -> None:
    """Count this transaction's new chains in the signed registry, as its last write.

    Last, so the registry row's lock is held only for the commit: taken in ``append``, it would
    serialise every transaction that starts a chain, and could deadlock against chain locks.
    """
    chains = session.info.pop(_NEW_CHAINS, None)
    if not chains:
        return
    # Only those whose checkpoint survived (a savepoint may have rolled one back).
    count = session.execute(
        select(func.count()).select_from(_CHECKPOINT).where(_CHECKPOINT.c.chain.in_(sorted(chains)))
    ).scalar_one()
    if count:
        register_chains(count, session=session)


@event.listens_for(Session, "after_transaction_end")
def _forget_new_chains(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (committed or rolled back)
        session.info.pop(_NEW_CHAINS, None)


def register_chains(count: int, *, session: Session | None = None, key: bytes | None = None) -> int:
    """Add ``count`` chains to the registry and re-sign it; return the new total."""
    executor = session if session is not None else db.session
    dialect = executor.get_bind().dialect.name
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_CHECKPOINT)
    upsert = upsert.values(chain=REGISTRY, seq=count, head_hash=GENESIS, mac="")
    add = upsert.on_conflict_do_update(
        index_elements=[_CHECKPOINT.c.chain], set_={"seq": _CHECKPOINT.c.seq + upsert.excluded.seq}
    ).returning(_CHECKPOINT.c.seq)
    total = executor.execute(add).scalar_one()
    executor.execute(
        update(_CHECKPOINT)
        .where(_CHECKPOINT.c.chain == REGISTRY)
        .values(mac=checkpoint_mac(REGISTRY, total, GENESIS, key))
    )
    return total


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
    hash_version: int = HMAC_SHA256
    id: int = 0  # the row's, set by ``append`` once inserted (ids start at 1)
    # The outbox rows written with it (``append(outbox_jobs=...)``), in the jobs' order.
    message_ids: list[int] = field(default_factory=list)
    # How many rows the caller's write ``append(along=...)`` wrote.
    along_rows: int = 0


@dataclass(frozen=True)
class ChainBreak:
    """The first thing wrong with one chain: at an event, or with the chain as a whole."""

    chain: str
    event_id: int | None
    seq: int | None
    reason: str
    # "unanchored": written before keyed chains and not signed yet; anything else is damage.
    kind: str = "damaged"

    def __str__(self) -> str:
        if self.event_id is None:
            return f"chain {self.chain}: {self.reason}"
        return f"chain {self.chain}: event #{self.event_id} (seq {self.seq}) {self.reason}"


@dataclass
class _Seen:
    seq: int = 0
    hash: str = GENESIS
    version: int = LEGACY_SHA256
    # The hash of the event at the checkpoint's seq, once read.
    at_checkpoint: str | None = None


def verify_chains(batch_size: int = 5000) -> tuple[int, list[ChainBreak]]:
    """Check every chain and its signed head; return the events read and each chain's first break.

    Proves, to whoever holds the audit key: no event was edited, inserted or removed, no chain
    lost its tail or all its events, and no chain vanished with its checkpoint. It cannot prove
    anything against someone who holds the key, nor notice the trail and its checkpoints rolled
    back together to an earlier state (old signed rows put back), nor tell a wiped database from
    a new one: compare the printed counts with ones kept elsewhere for that.
    """
    key = audit_key()
    # One statement, so the registry and the checkpoints are one consistent snapshot. They are
    # read before the events: an append committed meanwhile only adds events beyond a checkpoint.
    checkpoints = {row.chain: row for row in db.session.execute(select(*_CHECKPOINT.c))}
    registry = checkpoints.pop(REGISTRY, None)
    registered = len(checkpoints)
    breaks: dict[str, ChainBreak] = {}
    seen: dict[str, _Seen] = {}
    checked = 0

    def broken(chain: str, reason: str, event=None, kind: str = "damaged") -> None:
        breaks[chain] = ChainBreak(
            chain, getattr(event, "id", None), getattr(event, "seq", None), reason, kind
        )

    # Plain rows, not ORM objects: a long read must neither fill the session's identity map nor
    # detach the caller's objects to empty it.
    query = select(*_TABLE.c).order_by(_TABLE.c.chain, _TABLE.c.seq)
    for row in db.session.execute(query.execution_options(yield_per=batch_size)):
        checked += 1
        if row.chain in breaks:
            continue
        state = seen.setdefault(row.chain, _Seen())
        signed = checkpoints.get(row.chain)
        if row.seq != state.seq + 1:
            broken(row.chain, f"follows seq {state.seq}: an event is missing", row)
        elif row.prev_hash != state.hash:
            broken(row.chain, "does not carry the hash of the event before it", row)
        elif row.hash_version not in (LEGACY_SHA256, HMAC_SHA256):
            broken(row.chain, f"has an unknown hash version {row.hash_version}", row)
        elif row.hash_version < state.version or (
            row.hash_version == LEGACY_SHA256 and signed is not None and row.seq > signed.seq
        ):
            broken(row.chain, "carries an unkeyed hash where only keyed ones may follow: forged", row)
        elif compute_hash(row, key) != row.hash:
            broken(row.chain, "was altered after it was written (hash mismatch)", row)
        state.seq, state.hash, state.version = row.seq, row.hash, row.hash_version
        if signed is not None and row.seq == signed.seq:
            state.at_checkpoint = row.hash

    late = [chain for chain in seen if chain not in checkpoints and chain not in breaks]
    if late:
        # Chains started while the events were read have checkpoints now.
        query = select(*_CHECKPOINT.c).where(_CHECKPOINT.c.chain.in_(late))
        checkpoints.update({row.chain: row for row in db.session.execute(query)})
    for chain, state in seen.items():
        if chain not in breaks:
            reason = _head_problem(checkpoints.get(chain), state, key, started_meanwhile=chain in late)
            if reason:
                unanchored = chain not in checkpoints and state.version == LEGACY_SHA256
                broken(chain, reason, kind="unanchored" if unanchored else "damaged")
    for chain, signed in checkpoints.items():
        if chain not in seen:
            broken(
                chain,
                f"has a signed checkpoint at seq {signed.seq} but no events: all of them "
                "were deleted (or the table emptied)",
            )
    problem = _registry_problem(registry, registered, key)
    if problem:
        broken("(registry)", problem)
    return checked, list(breaks.values())


def _head_problem(signed, state: _Seen, key: bytes, *, started_meanwhile: bool) -> str | None:
    if signed is None:
        if state.version == LEGACY_SHA256:
            return (
                "was written before keyed chains and has no signed checkpoint yet "
                "(run `flask eplan anchor-audit` once after upgrading)"
            )
        return "has no signed checkpoint: it was deleted"
    if not hmac.compare_digest(signed.mac, checkpoint_mac(signed.chain, signed.seq, signed.head_hash, key)):
        return "its checkpoint's signature is wrong: the checkpoint was altered"
    if signed.seq > state.seq:
        if started_meanwhile:
            return None
        missing = signed.seq - state.seq
        return (
            f"ends at seq {state.seq} but its signed checkpoint is at seq {signed.seq}: "
            f"the last {missing} event(s) were deleted"
        )
    if state.at_checkpoint != signed.head_hash:
        return f"its event at seq {signed.seq} does not match the signed checkpoint: the chain was rewritten"
    return None


def _registry_problem(registry, chains: int, key: bytes) -> str | None:
    if registry is None:
        return f"{chains} chains have checkpoints but the chain registry is missing" if chains else None
    if not hmac.compare_digest(registry.mac, checkpoint_mac(REGISTRY, registry.seq, registry.head_hash, key)):
        return "the chain registry's signature is wrong: it was altered"
    if registry.seq > chains:
        return (
            f"{registry.seq} chains were registered but only {chains} have checkpoints: "
            f"{registry.seq - chains} chain(s) were deleted with their checkpoints"
        )
    if registry.seq < chains:
        return (
            f"{chains} chains have checkpoints but only {registry.seq} were registered: "
            "checkpoints were forged"
        )
    return None


def anchor_legacy_chains() -> int:
    """Sign the head of every chain written before keyed chains that has no checkpoint yet.

    Run once after upgrading (``flask eplan anchor-audit``); from then on those chains are
    protected like new ones. Only chains made wholly of legacy events that verify are signed: a
    keyed chain without a checkpoint lost it, and signing it would hide that. Returns the number
    of chains anchored; commits.
    """
    key = audit_key()
    _, breaks = verify_chains()
    damaged = {b.chain for b in breaks if b.kind != "unanchored"}
    signed = set(db.session.execute(select(_CHECKPOINT.c.chain)).scalars())
    keyed = set(
        db.session.execute(
            select(_TABLE.c.chain).where(_TABLE.c.hash_version != LEGACY_SHA256).distinct()
        ).scalars()
    )
    heads = db.session.execute(select(_TABLE.c.chain, func.max(_TABLE.c.seq)).group_by(_TABLE.c.chain)).all()
    anchored = 0
    with transaction():
        for chain, seq in heads:
            if chain in signed or chain in keyed or chain in damaged:
                continue
            _lock_chain(chain)
            head_hash = db.session.execute(
                select(_TABLE.c.hash).where(_TABLE.c.chain == chain, _TABLE.c.seq == seq)
            ).scalar_one()
            db.session.execute(
                _NEW_CHECKPOINT,
                {
                    "chain": chain,
                    "seq": seq,
                    "head_hash": head_hash,
                    "mac": checkpoint_mac(chain, seq, head_hash, key),
                },
            )
            anchored += 1
        if anchored:
            register_chains(anchored, key=key)
    return anchored


def history(chain: str) -> list[AuditEvent]:
    return list(
        db.session.execute(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        ).scalars()
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One event of a chain as its readers show it: what happened, who did it, and its hash."""

    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    from_state: str | None
    to_state: str | None
    comment: str | None
    data: dict
    request_id: str | None
    hash: str


def history_page(chain: str, offset: int | None, limit: int) -> tuple[list[HistoryEntry], int]:
    """Events ``offset + 1`` to ``offset + limit`` of the chain in order (the last ``limit`` when
    ``offset`` is None), and how many it has. A chain's seq counts from 1 without gaps (its head's
    seq is its length), so the page is a range of the (chain, seq) index. Rows, not entities: the
    API reads one before every step, and an event entity joins its actor's and organisation's."""
    total = int(
        db.session.scalar(select(func.coalesce(func.max(AuditEvent.seq), 0)).where(AuditEvent.chain == chain))
        or 0
    )
    start = max(0, total - limit) if offset is None else offset
    rows = db.session.execute(
        select(
            AuditEvent.seq,
            AuditEvent.occurred_at,
            AuditEvent.actor_id,
            User.full_name,
            AuditEvent.action,
            AuditEvent.from_state,
            AuditEvent.to_state,
            AuditEvent.comment,
            AuditEvent.data,
            AuditEvent.request_id,
            AuditEvent.hash,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.chain == chain, AuditEvent.seq > start, AuditEvent.seq <= start + limit)
        .order_by(AuditEvent.seq)
    )
    return [HistoryEntry(*row) for row in rows], total

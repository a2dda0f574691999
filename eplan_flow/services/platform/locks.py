"""Named locks held until the current transaction ends, on whatever database the app runs on.

``advisory_lock(name)`` serialises one kind of check-then-write (numbering a plan's revisions,
appending to an audit chain) across every process and thread:

- on PostgreSQL it takes a transaction-scoped advisory lock (``pg_advisory_xact_lock``), released
  by the database at commit or rollback;
- on SQLite (the embedded default ``make run`` uses: one process, several threads) it takes an
  in-process lock of that name, released when the session's transaction ends. SQLite serialises
  writes anyway; the lock keeps two threads from both reading "the next number is 3".
"""

from __future__ import annotations

import threading
import zlib

from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction

from eplan_flow.extensions import db

_HELD = "eplan_held_locks"
# A lock that is never released (a request that died mid-transaction) must not hang the app.
LOCAL_LOCK_TIMEOUT_SECONDS = 30

_registry_guard = threading.Lock()
_local_locks: dict[str, threading.RLock] = {}


class LockTimeout(RuntimeError):
    """Another transaction held the named lock for too long."""


def lock_key(name: str) -> int:
    """The signed 32-bit key PostgreSQL's advisory locks take for ``name``."""
    return zlib.crc32(name.encode()) - 2**31


def advisory_lock(name: str, session: Session | None = None) -> None:
    """Hold the lock ``name`` until the current transaction commits or rolls back."""
    session = session or db.session()
    connection = session.connection()  # begins the transaction the lock belongs to
    if connection.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(name)})
        return
    with _registry_guard:
        lock = _local_locks.setdefault(name, threading.RLock())
    if not lock.acquire(timeout=LOCAL_LOCK_TIMEOUT_SECONDS):
        raise LockTimeout(f"the lock {name!r} was held for more than {LOCAL_LOCK_TIMEOUT_SECONDS} s")
    session.info.setdefault(_HELD, []).append(lock)


@event.listens_for(Session, "after_transaction_end")
def _release_local_locks(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    for lock in reversed(session.info.pop(_HELD, [])):
        lock.release()

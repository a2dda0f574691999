"""One way to run a transaction: ``with transaction():`` commits once, or rolls everything back.

Every service function that writes opens one::

    with transaction():
        ...change rows, fire transitions, queue mail...

Blocks nest: an inner ``with transaction():`` (a service called by another, or ``engine.fire``)
joins the outer one, and only the outermost commits. Side effects wait for the commit. Each
``outbox.add`` notes its row's id on the session; when the session commits (its after-commit
hook), the ids are ready to hand to the job queue, and the outermost block relays them just after
the commit. A rollback drops them, their rows having gone with it ("collect, then publish after
commit"). Nobody calls the relay by hand; a commit made outside a block (a job, a back-office
view) is relayed when its request or job ends (``outbox.relay_committed``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eplan_flow.errors import DomainError
from eplan_flow.extensions import db
from eplan_flow.services.platform import outbox

_DEPTH = "eplan_transaction_depth"


@contextmanager
def transaction(*, conflict: Callable[[IntegrityError], DomainError] | None = None) -> Iterator[Session]:
    """Run the block as one transaction (or as part of the enclosing one); see the module doc.

    ``conflict`` turns a database constraint violation (two people taking the same code at once)
    into the DomainError that names the field.
    """
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    if depth:
        session.info[_DEPTH] = depth + 1
        try:
            yield session
        finally:
            session.info[_DEPTH] = depth
        return
    session.info[_DEPTH] = 1
    try:
        yield session
        session.flush()
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        if conflict is None:
            raise
        raise conflict(exc) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_DEPTH, None)
    outbox.relay_committed(session)


def jsonable(values: dict) -> dict:
    """Values as an audit event's data holds them: plain JSON types, anything else as text."""

    def plain(value: Any):
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)

    return {key: plain(value) for key, value in values.items()}


def assign(row, values: dict) -> dict:
    """Set ``values`` on ``row``; return ``{field: [old, new]}`` for what actually changed, as JSON."""
    changed = {}
    for name, value in values.items():
        old = getattr(row, name)
        if old != value:
            setattr(row, name, value)
            changed[name] = [old, value]
    return jsonable(changed)

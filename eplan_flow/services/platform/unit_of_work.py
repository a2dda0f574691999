"""One transaction per use case: it commits once, or rolls everything back."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from eplan_flow.errors import DomainError
from eplan_flow.extensions import db

T = TypeVar("T")


def run(write: Callable[[], T], *, conflict: Callable[[IntegrityError], DomainError] | None = None) -> T:
    """Run ``write()`` and commit; on any exception roll back and re-raise.

    ``conflict`` turns a database constraint violation (two people taking the same code at once)
    into the DomainError that names the field.
    """
    try:
        result = write()
        db.session.flush()
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        if conflict is None:
            raise
        raise conflict(exc) from None
    except BaseException:
        db.session.rollback()
        raise
    return result


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

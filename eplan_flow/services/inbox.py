"""A person's inbox: marking their own notifications read."""
from __future__ import annotations

from sqlalchemy import update

from eplan_flow.extensions import db
from eplan_flow.models import Notification
from eplan_flow.models._types import utcnow


def mark_read(user, ids: list[int] | None = None) -> int:
    """Mark ``user``'s notifications ``ids`` (all unread ones when None) read; return how many."""
    statement = (
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    try:
        changed = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return changed

"""Read-only listings for the web pages, scoped to what the reader may see."""

from __future__ import annotations

from sqlalchemy import func, select

from eplan_flow.extensions import db
from eplan_flow.models import Notification, Organisation, Plan
from eplan_flow.permissions import visible_org_clause

PER_PAGE = 50


def visible_plans(user, page: int = 1, per_page: int = PER_PAGE):
    """The plans ``user`` may read, by organisation, newest period first (one page of them)."""
    query = (
        select(Plan)
        .join(Organisation, Organisation.id == Plan.organisation_id)
        .where(visible_org_clause(user, Organisation))
        .order_by(
            Organisation.province_code,
            Organisation.district_code,
            Organisation.name_th,
            Plan.period_start_be.desc(),
            Plan.id,
        )
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def unread_count(user) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


def notifications_for(user, page: int = 1, per_page: int = PER_PAGE):
    """``user``'s notifications, newest first (one page of them)."""
    query = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)

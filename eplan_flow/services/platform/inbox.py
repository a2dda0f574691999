"""A person's inbox: their notifications, the items waiting for their step, and marking notices read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import contains_eager, selectinload

from eplan_flow.extensions import db
from eplan_flow.models import Notification, Organisation
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import visible_org_clause
from eplan_flow.services.platform import engine
from eplan_flow.services.platform.notifications import item_path
from eplan_flow.services.platform.unit_of_work import transaction
from workflows import REGISTRY

PER_PAGE = 50
# How many rows, most recently changed first, are checked for steps the person may take.
WAITING_LIMIT = 200
# Steps open at any time on a settled row (suspend an active account, cancel a project): that someone
# may take them does not mean the row waits for them.
OPTIONAL_TRIGGERS = frozenset(
    {
        "suspend",
        "reinstate",
        "transfer",
        "revoke",
        "end_by_transfer",
        "withdraw",
        "carry_over",
        "cancel",
    }
)


def notifications(user, page: int = 1, per_page: int = PER_PAGE, unread_only: bool = True):
    """``user``'s notifications (only the unread ones unless asked), newest first, one page of them."""
    query = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


@dataclass(frozen=True)
class WaitingItem:
    """A workflow row on which ``user`` may take a step now."""

    workflow: str
    workflow_title: str
    instance_id: int
    name: str
    organisation: str
    state: str
    steps: tuple[str, ...]
    changed_at: datetime | None
    link: str


def waiting_for(user, locale: str = "th", limit: int = WAITING_LIMIT) -> list[WaitingItem]:
    """The rows whose next step ``user`` may take now (roles, reach, guards), most recently changed first."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return []
    items = []
    for workflow, model in engine.WORKFLOW_MODELS.items():
        clause = _may_act_clause(user, workflow, model)
        if clause is None:
            continue
        changed = getattr(model, "updated_at", None)
        options = [contains_eager(model.organisation)]
        if hasattr(model, "project"):
            # A project's year is named by its project (``str(instance)``): read with the rows,
            # not one query a row (a planner may act on hundreds of them).
            options.append(selectinload(model.project))
        rows = (
            db.session.execute(
                select(model)
                .join(Organisation, Organisation.id == model.organisation_id)
                .options(*options)
                .where(clause)
                .order_by(*([changed.desc()] if changed is not None else []), model.id.desc())
                .limit(limit)
            )
            .unique()
            .scalars()
        )
        for instance in rows:
            steps = _my_steps(instance, user, locale)
            if steps:
                definition = engine.definition_of(instance)
                items.append(
                    WaitingItem(
                        workflow=workflow,
                        workflow_title=definition.title(locale),
                        instance_id=instance.id,
                        name=str(instance),
                        organisation=instance.organisation.display_name,
                        state=definition.label(instance.status, locale),
                        steps=steps,
                        changed_at=getattr(instance, "updated_at", None),
                        link=item_path(workflow, instance.id),
                    )
                )
    items.sort(key=lambda i: (i.changed_at is None, -(i.changed_at.timestamp() if i.changed_at else 0)))
    return items[:limit]


def _may_act_clause(user, workflow: str, model):
    """SQL narrowing ``model``'s rows to states where one of the user's grants (or the user as the
    applicant) names a step, in organisations that grant reaches; guards are checked on the rows."""
    clauses = []
    for definition in REGISTRY.versions(workflow):
        on_version = model.workflow_version == definition.version
        states_by_role: dict[str, set[str]] = {}
        for spec in definition.transitions:
            if spec.trigger in OPTIONAL_TRIGGERS:
                continue
            for role in spec.roles:
                states_by_role.setdefault(role, set()).add(spec.source)
        for grant in user.grants:
            states = states_by_role.get(grant.role)
            if states:
                # One grant's reach, by the same rule as reading (``permissions.visible_org_clause``).
                reach = visible_org_clause(
                    SimpleNamespace(is_authenticated=True, grants=[grant]), Organisation
                )
                clauses.append(and_(on_version, model.status.in_(states), reach))
        if "applicant" in states_by_role and hasattr(model, "user_id"):
            clauses.append(
                and_(on_version, model.status.in_(states_by_role["applicant"]), model.user_id == user.id)
            )
    return or_(*clauses) if clauses else None


def _my_steps(instance, user, locale: str) -> tuple[str, ...]:
    definition = engine.definition_of(instance)
    roles = engine.actor_roles(user, instance)
    own = engine.is_applicant(user, instance)
    labels = []
    for spec in definition.transitions_from(instance.status):
        if spec.trigger in OPTIONAL_TRIGGERS or not roles.intersection(spec.roles):
            continue
        if spec.not_by_applicant and own:
            continue
        if definition.guards_hold(spec, instance):
            labels.append(definition.trigger_label(spec.trigger, locale))
    return tuple(dict.fromkeys(labels))


def mark_read(user, ids: list[int] | None = None) -> int:
    """Mark ``user``'s notifications ``ids`` (all unread ones when None) read; return how many."""
    statement = (
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    with transaction():
        # An UPDATE's result is a CursorResult (rowcount); Session.execute is typed for any statement.
        result = db.session.execute(statement.execution_options(synchronize_session=False))
        changed = cast(CursorResult, result).rowcount
    return changed

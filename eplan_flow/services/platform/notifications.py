"""In-app notifications for the people a workflow now waits for."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eplan_flow.extensions import db
from eplan_flow.glossary import ACTION_LABELS
from eplan_flow.models import AuditEvent, Notification
from eplan_flow.services.platform import engine
from eplan_flow.services.platform.unit_of_work import transaction

# Where people act on an item, as an app-relative path (jobs run outside a request). SSO
# decisions need re-authentication, so they are taken on the approval pages, not the generic one.
_ITEM_PATHS = {
    "account": "/sso/approvals/accounts/{id}",
    "system_access": "/sso/approvals/access/{id}",
}


def item_path(workflow: str, instance_id: int) -> str:
    """The page where a workflow item is acted on."""
    return _ITEM_PATHS.get(workflow, "/instances/{workflow}/{id}").format(workflow=workflow, id=instance_id)


def _action_label(definition, action: str) -> str:
    """The step's name, or an action's that is no step ("create"), in the default language (a job)."""
    if action in definition.trigger_labels:
        return definition.trigger_label(action)
    return str(ACTION_LABELS.get(action, action))


def notify_next_actors(audit_event_id: int) -> int:
    """Create one notification per person who may take a next step; return how many were new."""
    event = db.session.get(AuditEvent, audit_event_id)
    if event is None or not event.workflow:
        return 0
    workflow, _, raw_id = event.chain.partition(":")
    instance = db.session.get(engine.model_for(workflow), int(raw_id))
    if instance is None:
        return 0
    state = event.to_state
    if state is None or instance.status != state:
        # The row has moved on (a late or replayed job): its newer event notifies instead.
        return 0
    definition = engine.definition_of(instance)
    # Only the steps open from the state this event reached.
    roles = {
        r
        for spec in definition.transitions_from(state)
        if definition.guards_hold(spec, instance)
        for r in spec.roles
    }
    if not roles:
        return 0
    already = set(
        db.session.execute(
            select(Notification.user_id).where(Notification.audit_event_id == event.id)
        ).scalars()
    )
    subject = f"{instance}: {definition.label(state)}"
    # Jobs run outside a request, so the link is the app-relative path of the instance page.
    link = item_path(workflow, instance.id)
    created = 0
    try:
        with transaction():
            for user in engine.users_who_may(instance.organisation, roles):
                if user.id in already or user.id == event.actor_id:
                    continue
                db.session.add(
                    Notification(
                        user_id=user.id,
                        audit_event_id=event.id,
                        subject=subject[:300],
                        body=_action_label(definition, event.action),
                        link=link,
                    )
                )
                created += 1
    except IntegrityError:  # a concurrent run of the same job got there first
        return 0
    return created

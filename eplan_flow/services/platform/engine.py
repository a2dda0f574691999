"""The one path that changes workflow state: ``fire``.

It locks the row, checks the actor's roles and scope, the guards and the comment, runs the
transition on the definition's shared machine, appends the audit event and the outbox rows, and
commits, or changes nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, String, bindparam, inspect, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import UpdateBase

from eplan_flow import text
from eplan_flow.collation import thai_collated
from eplan_flow.errors import (
    CommentRequired,
    GuardFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleState,
    TransitionNotAllowed,
    UseDedicatedEndpoint,
)
from eplan_flow.extensions import db
from eplan_flow.models import (
    Account,
    ActionPlan,
    AuditCheckpoint,
    EvaluationReport,
    Organisation,
    Plan,
    PlanReview,
    ProjectExecution,
    Revision,
    RoleGrant,
    SystemAccess,
    User,
    WorkflowMixin,
)
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import can_read, covering_grants_clause, roles_over
from eplan_flow.services.platform import audit, metrics
from eplan_flow.services.platform.unit_of_work import transaction
from workflows import REGISTRY, DefinitionError, Registry, UnknownWorkflow, WorkflowDefinition

# ``REGISTRY`` (imported above) is looked up at call time, so tests can run the engine on another
# ``workflows.Registry`` with ``monkeypatch.setattr(engine, "REGISTRY", registry)``.

# Which model carries each workflow. Later workflows (accounts, revisions...) register here.
WORKFLOW_MODELS: dict[str, type[WorkflowMixin]] = {
    model.WORKFLOW: model
    for model in (
        Plan,
        Revision,
        PlanReview,
        ProjectExecution,
        Account,
        SystemAccess,
        EvaluationReport,
        ActionPlan,
    )
}

# Work that entering a state does inside the transition's own transaction (announcing a revision
# applies it; announcing a plan makes its first version). The definition names it per state
# (``on_enter``, "package.module:function"); the function, marked ``@entry_action`` where it lives,
# is found by that name, so it runs whether or not anyone imported its module.
EntryAction = Callable[..., None]
# Every function marked ``@entry_action`` in an imported module, by its reference.
_MARKED: dict[str, EntryAction] = {}
# References already resolved (the fast path of ``fire`` looks here first).
_RESOLVED: dict[str, EntryAction] = {}


def entry_action(fn: EntryAction) -> EntryAction:
    """Mark ``fn(instance, actor, from_state, to_state, data)`` as an entry action a workflow
    definition may name in its ``on_enter``.

    It runs after the checks and before the state is written, in the same transaction: it may
    change the row (the changes are written with the new state) and other rows, or raise a
    DomainError to refuse the step, which then changes nothing.

    To change the row's own columns use ``write_columns``: a dirty row would be autoflushed by
    a later action's query, bumping its version under the guarded state write, which then reads
    as "someone acted first".
    """
    _MARKED[reference_of(fn)] = fn
    return fn


def reference_of(fn: EntryAction) -> str:
    """How a definition names ``fn``: "package.module:function"."""
    return f"{fn.__module__}:{fn.__qualname__}"


def entry_actions(definition: WorkflowDefinition, state: str) -> tuple[EntryAction, ...]:
    """The functions ``definition`` runs on entering ``state``, in its order.

    Raises DefinitionError naming the workflow, the state and the action if one cannot be found.
    """
    return tuple(
        _RESOLVED.get(reference) or _resolve(definition, state, reference)
        for reference in definition.entry_actions(state)
    )


def _resolve(definition: WorkflowDefinition, state: str, reference: str) -> EntryAction:
    where = f"workflow {definition.key}, state {state!r}: the entry action {reference!r}"
    module_name, _, name = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not (module_name + ".").startswith(exc.name + "."):
            raise  # the module exists but one of its own imports is missing
        raise DefinitionError(f"{where} names a module that does not exist") from None
    action = _MARKED.get(reference)
    if action is None:
        if not callable(getattr(module, name, None)):
            raise DefinitionError(f"{where} does not exist")
        raise DefinitionError(f"{where} is not marked @engine.entry_action")
    _RESOLVED[reference] = action
    return action


def resolve_entry_actions(registry: Registry | None = None) -> None:
    """Resolve every entry action the definitions name, and refuse a marked one none names.

    The app factory calls it once every service is imported, so a misspelt or forgotten action
    stops the app at start-up instead of silently skipping work at the first announcement.
    """
    named = set()
    for definition in REGISTRY if registry is None else registry:
        for state in definition.on_enter:
            entry_actions(definition, state)
            named.update(definition.entry_actions(state))
    unnamed = sorted(set(_MARKED) - named)
    if unnamed:
        raise DefinitionError(
            f"entry actions no workflow definition names in its on_enter: {', '.join(unnamed)}"
        )


def write_columns(instance, **values) -> None:
    """Write columns of a row an entry action is moving, without leaving it dirty in the session.

    A plain UPDATE in the transition's transaction, and the in-memory row marked as committed with
    the new values, so no later query autoflushes it and bumps its version.
    """
    table = type(instance).__table__
    db.session.execute(update(table).where(table.c.id == instance.id).values(**values))
    for key, value in values.items():
        set_committed_value(instance, key, value)


def is_applicant(actor, instance) -> bool:
    """Whether ``instance`` belongs to ``actor`` (their own account or access request)."""
    owner = getattr(instance, "user_id", None)
    return owner is not None and getattr(actor, "id", None) == owner


def actor_roles(actor, instance) -> set[str]:
    """The actor's roles over the row's organisation, plus ``applicant`` on their own rows."""
    roles = roles_over(actor, instance.organisation)
    return roles | {"applicant"} if is_applicant(actor, instance) else roles


def model_for(workflow: str) -> type[Any]:
    # Any: callers know which model a workflow name gives them, and read its own columns.
    try:
        return WORKFLOW_MODELS[workflow]
    except KeyError:
        raise NotFound(f"no workflow named {workflow!r}", workflow=workflow) from None


def chain_for(instance) -> str:
    return f"{instance.workflow_name}:{instance.id}"


def definition_of(instance) -> WorkflowDefinition:
    """The definition version the instance started on, whatever is newest now."""
    return REGISTRY.get(instance.workflow_name, instance.workflow_version)


@cache
def _load_statement(workflow: str, lock: bool):
    # Built once per model: statement construction is a large part of a transition's CPU cost.
    model = model_for(workflow)
    query = select(model).where(model.id == bindparam("id"))
    if lock:
        # Firing reads only what scope checks and guards need of the organisation.
        query = (
            query.options(
                joinedload(model.organisation).load_only(
                    Organisation.kind,
                    Organisation.lao_type,
                    Organisation.province_code,
                    Organisation.district_code,
                )
            )
            .with_for_update(of=model)
            .execution_options(populate_existing=True)
        )
    return query


@cache
def _version_statement(workflow: str):
    model = model_for(workflow)
    return select(model.version).where(model.id == bindparam("id"))


@cache
def _fire_statement(workflow: str):
    # The locked read of ``fire``, carrying the signed head of the row's audit chain, so the
    # append needs no read of its own (``audit.append(head=...)`` checks it is still the head).
    model = model_for(workflow)
    checkpoint = AuditCheckpoint.__table__
    chain = model.workflow_name.concat(":").concat(cast_(model.id, String))
    return (
        _load_statement(workflow, True)
        .add_columns(checkpoint.c.seq, checkpoint.c.head_hash)
        .outerjoin(checkpoint, checkpoint.c.chain == chain)
    )


@cache
def _state_update_statement(table, returning: bool = False):
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.version == bindparam("expected"))
        .values(status=bindparam("status"), version=bindparam("version"), updated_at=bindparam("now"))
    )
    # RETURNING, to run inside the audit append's statement and count the rows it wrote there.
    return statement.returning(table.c.id) if returning else statement


def get_instance(workflow: str, instance_id: int, actor, *, lock: bool = False):
    """Load an instance the actor may read, or raise NotFound (never reveal another LAO's rows)."""
    instance = db.session.execute(_load_statement(workflow, lock), {"id": instance_id}).scalar_one_or_none()
    return _readable(workflow, instance_id, instance, actor)


def _readable(workflow: str, instance_id: int, instance, actor):
    if instance is None or not (is_applicant(actor, instance) or can_read(actor, instance.organisation)):
        raise NotFound(f"{workflow} #{instance_id} not found", workflow=workflow, id=instance_id)
    return instance


def start(instance, actor, *, comment: str | None = None, data: dict | None = None):
    """Put a new row on the latest definition of its workflow and audit its creation.

    The caller has checked the actor may create it, adds the row to the session and commits.
    """
    definition = REGISTRY.get(instance.WORKFLOW)
    instance.workflow_name = definition.name
    instance.workflow_version = definition.version
    instance.status = definition.initial
    db.session.add(instance)
    db.session.flush()
    audit.append(
        chain_for(instance),
        "create",
        actor=actor,
        organisation_id=instance.organisation_id,
        workflow=definition.name,
        workflow_version=definition.version,
        to_state=definition.initial,
        comment=comment,
        data=data,
        chain_locked=True,
    )
    return instance


@dataclass
class FireResult:
    workflow: str
    id: int
    trigger: str
    from_state: str
    to_state: str
    version: int
    audit_event_id: int
    message_ids: list[int] = field(default_factory=list)


def fire(
    workflow: str,
    instance_id: int,
    trigger: str,
    actor,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
    data: dict | None = None,
) -> FireResult:
    """Move one workflow instance by ``trigger`` on behalf of ``actor``, atomically.

    Inside a caller's ``with transaction():`` the step joins that transaction (a transfer revokes
    accesses and moves the account together) and commits with it; otherwise it is its own.
    Any error rolls everything back.
    """
    comment = text.clean_text(comment, field="comment", multiline=True)
    try:
        with transaction():
            result = _fire(workflow, instance_id, trigger, actor, comment, expected_version, data)
    except StaleDataError:
        raise StaleState("someone else acted on this item first; reload it and try again") from None
    return result


def refuse_composite(workflow: str, trigger: str) -> None:
    """Refuse, on a generic fire endpoint, a step its workflow marks composite (in any version).

    Such a step's use case changes other rows with it (a transfer ends the person's access at the
    old organisation), so only its own service takes it whole; the refusal names that endpoint and
    depends on the names alone, so it says nothing of the instance.
    """
    for definition in REGISTRY.versions(workflow):
        endpoint = definition.dedicated_endpoint(trigger)
        if endpoint is not None:
            raise UseDedicatedEndpoint(
                f"{trigger} changes more than this item; take it at {endpoint}",
                workflow=workflow,
                trigger=trigger,
                endpoint=endpoint,
            )


def _fire(workflow, instance_id, trigger, actor, comment, expected_version, data) -> FireResult:
    if expected_version is None:
        # The version the actor acts on: whoever commits between this read and the lock below
        # has "acted first". A bare column read; the locked read checks scope.
        expected_version = db.session.scalar(_version_statement(workflow), {"id": instance_id})
    locked = db.session.execute(_fire_statement(workflow), {"id": instance_id}).first()
    instance, head_seq, head_hash = locked if locked is not None else (None, None, None)
    instance = _readable(workflow, instance_id, instance, actor)
    # None for a chain begun before keyed chains (no checkpoint yet): the append reads it then.
    head = None if head_seq is None or head_hash is None else (head_seq, head_hash)
    if instance.version != expected_version:
        raise StaleState(
            "someone else acted on this item first; reload it and try again",
            expected_version=expected_version,
            current_version=instance.version,
            current_state=instance.status,
        )
    definition = definition_of(instance)
    spec = _choose_transition(definition, instance, trigger, actor)
    if spec.comment_required and not comment:
        raise CommentRequired(f"{trigger} needs a comment giving the reason", field="comment")
    data = _checked_data(spec, data)
    from_state = instance.status
    moving = _MachineView(instance)
    if not definition.machine.events[trigger].trigger(moving) or moving.status != spec.dest:
        raise GuardFailed(f"{trigger} is not possible for this item now", trigger=trigger)
    for action in entry_actions(definition, moving.status):
        action(instance, actor, from_state, moving.status, data)
    values = _state_values(instance, moving.status, expected_version)
    # The state write goes in the audit append's statement where it can (one round trip less).
    along = _plain_state_write(instance, values, expected_version) if audit.in_one_statement(head) else None
    if along is None:
        _write_state(instance, values, expected_version)
    event = audit.append(
        chain_for(instance),
        trigger,
        actor=actor,
        organisation_id=instance.organisation_id,
        workflow=definition.name,
        workflow_version=definition.version,
        from_state=from_state,
        to_state=moving.status,
        comment=comment,
        data=data,
        chain_locked=True,
        head=head,
        # The definition's effects, each an outbox row carrying the event's id: written with the
        # event, in one statement.
        outbox_jobs=definition.effects,
        outbox_queue="notifications",
        along=along,
    )
    if along is not None:
        _written(instance, values, event.along_rows)
    metrics.transition_fired(definition.name, trigger)  # counted once the transaction commits
    return FireResult(
        workflow,
        instance.id,
        trigger,
        from_state,
        instance.status,
        instance.version,
        event.id,
        event.message_ids,
    )


class _MachineView:
    """What the shared machine moves: the row's status on its own, every other attribute read
    through to the row (guards are pure predicates on it). The row stays clean until
    ``_write_state`` stores the outcome."""

    def __init__(self, instance) -> None:
        self.status = instance.status
        self._instance = instance

    def __getattr__(self, name):
        return getattr(self._instance, name)


def _state_values(instance, status: str, expected_version: int) -> dict:
    """The columns a step writes: the new status, the bumped version, and any change an entry
    action made to the row."""
    values = _pending_changes(instance)
    values.update(status=status, version=expected_version + 1, updated_at=utcnow())
    return values


def _plain_state_write(instance, values: dict, expected_version: int) -> tuple[UpdateBase, dict] | None:
    """The guarded UPDATE ... RETURNING of a step that writes only status, version and time (the
    hot path: one statement built once per table), and its parameters; None for any other."""
    if set(values) != {"status", "version", "updated_at"}:
        return None
    return _state_update_statement(type(instance).__table__, returning=True), {
        "row_id": instance.id,
        "expected": expected_version,
        "status": values["status"],
        "version": values["version"],
        "now": values["updated_at"],
    }


def _write_state(instance, values: dict, expected_version: int) -> None:
    """Write the step's ``values`` to the row with one guarded UPDATE.

    The hot path skips the unit of work: the row is locked, so the version guard only matters if
    someone bypassed the lock; the in-memory row then takes the written values as committed.
    """
    table = type(instance).__table__
    with db.session.no_autoflush:
        if set(values) == {"status", "version", "updated_at"}:
            statement, params = (
                _state_update_statement(table),
                {
                    "row_id": instance.id,
                    "expected": expected_version,
                    "status": values["status"],
                    "version": values["version"],
                    "now": values["updated_at"],
                },
            )
        else:
            statement = (
                update(table)
                .where(table.c.id == instance.id, table.c.version == expected_version)
                .values(**values)
            )
            params = {}
        # An UPDATE's result is a CursorResult (rowcount); Session.execute is typed for any statement.
        written = cast(CursorResult, db.session.execute(statement, params)).rowcount
    _written(instance, values, written)


def _written(instance, values: dict, rows: int) -> None:
    """Take the written ``values`` as the in-memory row's committed state, once the guarded UPDATE
    wrote its one row."""
    if rows != 1:
        raise StaleDataError("the row changed under its lock")
    for key, value in values.items():
        set_committed_value(instance, key, value)


def _pending_changes(instance) -> dict:
    """Column values an entry action set on the row and the session has not written yet."""
    state = inspect(instance)
    if not state.modified:
        return {}
    changes = {}
    for column_attr in state.mapper.column_attrs:
        history = state.attrs[column_attr.key].history
        if history.added:
            changes[column_attr.columns[0].name] = history.added[0]
    return changes


def _checked_data(spec, data: dict | None) -> dict | None:
    """Check the facts a step must record (meeting date, resolution) and normalise them."""
    if not spec.data_fields:
        return data
    data = dict(data or {})
    for name, kind in spec.data_fields:
        value = data.get(name)
        checked: str | None
        if kind == "date":
            # A recorded meeting or announcement: a real day since B.E. 2500, not in the future.
            day = text.parse_date(value, field=name)
            checked = day.isoformat() if day is not None else None
        else:
            checked = text.clean_text(value, field=name, max_length=200)
        if checked is None:
            raise InvalidInput(f"{spec.trigger} needs {name}", field=name)
        data[name] = checked
    return data


def _choose_transition(definition: WorkflowDefinition, instance, trigger: str, actor):
    if trigger not in definition.trigger_names:
        raise TransitionNotAllowed(
            f"{definition.key} has no trigger {trigger!r}",
            trigger=trigger,
            allowed=list(definition.trigger_names),
        )
    candidates = definition.candidates(instance, trigger)
    if not candidates:
        raise TransitionNotAllowed(
            f"{trigger} is not possible from state {instance.status}",
            trigger=trigger,
            state=instance.status,
        )
    roles = actor_roles(actor, instance)
    permitted = [
        c
        for c in candidates
        if roles.intersection(c.roles) and not (c.not_by_applicant and is_applicant(actor, instance))
    ]
    if not permitted:
        needed = sorted({r for c in candidates for r in c.roles})
        raise PermissionDenied(f"{trigger} needs one of the roles {', '.join(needed)}", roles=needed)
    passing = [c for c in permitted if definition.guards_hold(c, instance)]
    if not passing:
        raise GuardFailed(f"{trigger} is not possible for this item now", trigger=trigger)
    return passing[0]


@dataclass
class NextStep:
    """One thing that can happen next, and who can make it happen."""

    trigger: str
    label: str
    dest: str
    dest_label: str
    roles: tuple[str, ...]
    comment_required: bool
    allowed: bool
    data_fields: tuple[tuple[str, str], ...] = ()
    holders: list[str] = field(default_factory=list)


def next_steps(instance, actor, locale: str = "th", holders_limit: int = 10) -> list[NextStep]:
    """What can happen next: steps the actor may take, and for the rest who may take them."""
    definition = definition_of(instance)
    mine = actor_roles(actor, instance)
    own = is_applicant(actor, instance)
    steps = []
    for spec in definition.transitions_from(instance.status):
        if not definition.guards_hold(spec, instance):
            continue
        allowed = bool(mine.intersection(spec.roles)) and not (spec.not_by_applicant and own)
        steps.append(
            NextStep(
                trigger=spec.trigger,
                label=definition.trigger_label(spec.trigger, locale),
                dest=spec.dest,
                dest_label=definition.label(spec.dest, locale),
                roles=spec.roles,
                comment_required=spec.comment_required,
                data_fields=spec.data_fields,
                allowed=allowed,
                holders=[] if allowed else role_holders(instance.organisation, spec.roles, holders_limit),
            )
        )
    return steps


def role_holders(org: Organisation, roles, limit: int = 10) -> list[str]:
    """Names of enabled people holding any of ``roles`` with a reach over ``org``."""
    rows = db.session.execute(
        select(User.full_name, RoleGrant.role)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .join(Organisation, Organisation.id == RoleGrant.organisation_id)
        .where(RoleGrant.role.in_(roles), User.is_enabled.is_(True))
        .where(covering_grants_clause(org, RoleGrant, Organisation))
        .order_by(thai_collated(User.full_name))
        .limit(limit)
    ).all()
    return list(dict.fromkeys(name for name, _ in rows))


def users_who_may(org: Organisation, roles) -> list[User]:
    return list(
        db.session.execute(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .join(Organisation, Organisation.id == RoleGrant.organisation_id)
            .where(RoleGrant.role.in_(roles), User.is_enabled.is_(True))
            .where(covering_grants_clause(org, RoleGrant, Organisation))
        )
        .unique()
        .scalars()
    )


def history(instance):
    return audit.history(chain_for(instance))


def history_page(instance, offset: int | None, limit: int):
    """Events ``offset + 1`` to ``offset + limit`` of ``instance``'s history (its last ``limit``
    when ``offset`` is None), and how many it has."""
    return audit.history_page(chain_for(instance), offset, limit)


__all__ = [
    "WORKFLOW_MODELS",
    "FireResult",
    "NextStep",
    "UnknownWorkflow",
    "actor_roles",
    "chain_for",
    "definition_of",
    "entry_action",
    "entry_actions",
    "fire",
    "get_instance",
    "history",
    "history_page",
    "is_applicant",
    "model_for",
    "next_steps",
    "refuse_composite",
    "resolve_entry_actions",
    "role_holders",
    "start",
    "users_who_may",
    "write_columns",
]

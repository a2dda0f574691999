"""Use cases of a plan before and at its first announcement: create it, draft its projects.

While a plan is drafting (never announced yet) its planners and support-committee secretaries edit
projects directly: the records are version 1 in the making (valid_from=1, valid_to NULL). Once
announced, projects change only through revisions (``services/planning/revisions.py``). Every write is
audited on the chain ``plan-content:<plan id>``; each use case commits once or changes nothing.

Announcing a revision or a review writes the plan's next version through one function here,
``apply_as_next_version``: the stale-version check, the closed and new project records, the
``PlanVersion`` row and the plan's version counter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from eplan_flow import text
from eplan_flow.errors import (
    DomainError,
    GuardFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
)
from eplan_flow.extensions import db
from eplan_flow.models import Organisation, Plan, PlanVersion, ProjectRecord, project_link
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import can_edit_plan_content, can_read, has_role
from eplan_flow.services.planning.projects import (
    BUDGET_FIELDS,
    VALUE_FIELDS,
    apply_values,
    next_project_no,
    record_values,
    validate_project_values,
)
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.unit_of_work import transaction

# The Buddhist-Era years a plan's five-year period may start in.
PERIOD_RANGE = (2500, 2700)


class StaleBaseVersion(DomainError):
    """The plan was revised or reviewed after a change set was drafted against it."""

    code = "stale_base_version"
    status = 409


class PlanHasNoProjects(GuardFailed):
    """Announcing a plan that holds no project."""

    code = "plan_has_no_projects"


def content_chain(plan_id: int) -> str:
    """The audit chain of a plan's content edits while it is drafted: projects, strategies, tactics."""
    return f"plan-content:{plan_id}"


def get_plan(actor, plan_id: int, *, lock: bool = False) -> Plan:
    """A plan the actor may read, or NotFound (another LAO's plan does not exist for them).

    The one way every context reads a plan by id. ``lock`` takes the plan's row lock until the
    transaction ends, so the workflow cannot move the plan while a use case writes under it.
    """
    # The printed forms' heading names the province: load it with the organisation.
    query = (
        select(Plan)
        .where(Plan.id == plan_id)
        .options(joinedload(Plan.organisation).joinedload(Organisation.province))
    )
    if lock:
        query = query.with_for_update(of=Plan).execution_options(populate_existing=True)
    plan = db.session.scalars(query).one_or_none()
    if plan is None or not can_read(actor, plan.organisation):
        raise NotFound(f"plan #{plan_id} not found", id=plan_id)
    return plan


def versions_of(plan_id: int) -> list[PlanVersion]:
    """A plan's announced versions, oldest first."""
    return list(
        db.session.scalars(
            select(PlanVersion).where(PlanVersion.plan_id == plan_id).order_by(PlanVersion.number)
        )
    )


def laos_for_new_plan(actor) -> list[Organisation]:
    """The LAOs whose plans ``actor`` may create: those where they hold the planner role."""
    return [g.organisation for g in actor.grants if g.role == "planner" and g.organisation.kind == "lao"]


def can_draft(actor, plan: Plan) -> bool:
    """Whether ``actor`` may edit ``plan``'s projects directly now (templates use it to show links)."""
    return is_drafting(plan) and holds_drafting_role(actor, plan)


def is_drafting(plan: Plan) -> bool:
    """Whether the plan is being drafted for the first time (never announced)."""
    return plan.status == "drafting" and plan.current_version == 0


def create_plan(actor, organisation_id: int, period_start_be, title: str | None = None) -> Plan:
    """Create an LAO's plan for a five-year period and start its workflow (planners of that LAO)."""
    with transaction():
        org = db.session.get(Organisation, organisation_id)
        if org is None or not can_read(actor, org):
            raise NotFound(f"organisation #{organisation_id} not found", id=organisation_id)
        if org.kind != "lao" or not has_role(actor, "planner", org):
            raise PermissionDenied("only the LAO's planners create its plan")
        try:
            start = text.parse_int(period_start_be, field="period_start_be")
        except InvalidInput:
            start = None
        if start is None or not PERIOD_RANGE[0] <= start <= PERIOD_RANGE[1]:
            raise InvalidInput("the period must start with a Buddhist-Era year", field="period_start_be")
        # Lock the LAO row so two planners cannot create the same period's plan at once.
        db.session.execute(select(Organisation.id).where(Organisation.id == org.id).with_for_update())
        taken = db.session.scalar(
            select(exists().where(Plan.organisation_id == org.id, Plan.period_start_be == start))
        )
        if taken:
            raise InvalidInput(f"the LAO already has a plan for {start}–{start + 4}", field="period_start_be")
        clean_title = (
            text.clean_text(title, field="title", max_length=300)
            or f"แผนพัฒนาท้องถิ่น (พ.ศ. {start}–{start + 4}) {org.display_name}"
        )
        plan = Plan(organisation_id=org.id, title=clean_title, period_start_be=start, period_end_be=start + 4)
        engine.start(plan, actor)
    return plan


def holds_drafting_role(actor, plan: Plan) -> bool:
    """Whether ``actor`` drafts this plan's content (its LAO's planners and support secretaries)."""
    return can_edit_plan_content(actor, plan.organisation)


def _draftable(actor, plan_id: int) -> Plan:
    plan = get_plan(actor, plan_id, lock=True)
    if not holds_drafting_role(actor, plan):
        raise PermissionDenied("only the LAO's planners and support-committee secretaries draft its plan")
    if not is_drafting(plan):
        raise TransitionNotAllowed(
            "projects of a plan that has left drafting change only through a revision",
            status=plan.status,
        )
    return plan


def _draft_record(plan_id: int, project_no: int) -> ProjectRecord:
    record = db.session.scalars(
        select(ProjectRecord).where(
            ProjectRecord.plan_id == plan_id,
            ProjectRecord.project_no == project_no,
            ProjectRecord.valid_to.is_(None),
        )
    ).one_or_none()
    if record is None:
        raise NotFound(f"project {project_no} not found", project_no=project_no)
    return record


def add_project(actor, plan_id: int, values: dict) -> ProjectRecord:
    """Add a project to a drafting plan."""
    with transaction():
        plan = _draftable(actor, plan_id)
        cleaned = validate_project_values(plan, values)
        record = ProjectRecord(
            plan_id=plan.id, project_no=next_project_no(plan.id), valid_from=1, valid_to=None
        )
        apply_values(record, cleaned)
        db.session.add(record)
        db.session.flush()
        audit.append(
            content_chain(plan.id),
            "add_project",
            actor=actor,
            organisation_id=plan.organisation_id,
            data={"project_no": record.project_no, "values": record_values(record)},
        )
    return record


def update_project(actor, plan_id: int, project_no: int, values: dict) -> ProjectRecord:
    """Replace the values of a drafting plan's project."""
    with transaction():
        plan = _draftable(actor, plan_id)
        record = _draft_record(plan.id, project_no)
        before = record_values(record)
        cleaned = validate_project_values(plan, values)
        apply_values(record, cleaned)
        db.session.flush()
        after = record_values(record)
        changed = {k: {"old": before[k], "new": after[k]} for k in after if before.get(k) != after[k]}
        audit.append(
            content_chain(plan.id),
            "change_project",
            actor=actor,
            organisation_id=plan.organisation_id,
            data={"project_no": project_no, "changes": changed},
        )
    return record


def delete_project(actor, plan_id: int, project_no: int) -> None:
    """Remove a project from a drafting plan."""
    with transaction():
        plan = _draftable(actor, plan_id)
        record = _draft_record(plan.id, project_no)
        before = record_values(record)
        db.session.delete(record)
        db.session.flush()
        audit.append(
            content_chain(plan.id),
            "delete_project",
            actor=actor,
            organisation_id=plan.organisation_id,
            data={"project_no": project_no, "values": before},
        )


@engine.entry_action
def make_first_version(plan: Plan, actor, from_state, to_state, data) -> None:
    """Announcing a plan for the first time makes its draft version 1; a plan without projects is refused."""
    if plan.current_version:
        # Back from the district or province with remarks: the plan is already in force.
        return
    projects = db.session.scalar(
        select(func.count())
        .select_from(ProjectRecord)
        .where(ProjectRecord.plan_id == plan.id, ProjectRecord.valid_to.is_(None))
    )
    if not projects:
        raise PlanHasNoProjects("a plan without projects cannot be announced", field="projects")
    now = utcnow()
    plan.current_version = 1
    plan.announced_at = now
    db.session.add(PlanVersion(plan_id=plan.id, number=1, revision_id=None, announced_at=now))


@engine.entry_action
def record_submission(plan: Plan, actor, from_state, to_state, data) -> None:
    """Remember when the announced plan was sent to the district and province."""
    plan.submitted_at = utcnow()


# -- the plan's next version (announcing a revision or a review) -------------------------------------
# Values a new record takes from the item or, when the item does not give them, from the old record.
RECORD_FIELDS = tuple(f for f in VALUE_FIELDS if f != "links")


def apply_as_next_version(
    instance,
    project_items: Iterable,
    *,
    written_by: dict[str, int],
    record_columns: dict[str, int | None] | None = None,
    before_records: Callable[[int], None] | None = None,
) -> tuple[int, datetime]:
    """Write a change set drafted against ``instance.base_version`` (a revision or a review) as the
    plan's next version, or refuse if the plan moved on meanwhile; return the version and its time.

    Locks the plan's row, runs ``before_records(version)`` (the caller's own steps: a review's
    strategies, a revision's check of other open revisions), closes the records the items change,
    inserts their new versions and the added projects (``record_columns`` set on each new record),
    and adds the ``PlanVersion`` (``written_by``: ``{"revision_id": id}`` or ``{"review_id": id}``).
    Items are project items: ``kind`` "addition" adds a project; any other kind changes ``project_no``.
    Runs inside the caller's transaction (an entry action's), so all of it happens or none.
    """
    with db.session.no_autoflush:
        current = db.session.execute(
            select(Plan.current_version).where(Plan.id == instance.plan_id).with_for_update()
        ).scalar_one()
        if current != instance.base_version:
            raise StaleBaseVersion(
                f"the plan changed since this {instance.WORKFLOW} was drafted: it was drafted against "
                f"version {instance.base_version}, and version {current} is now in force; withdraw it "
                "and draft it again against the current plan",
                base_version=instance.base_version,
                current_version=current,
            )
        version = instance.base_version + 1
        if before_records is not None:
            before_records(version)
        now = utcnow()
        rows, links = _next_records(instance.plan_id, list(project_items), version, record_columns or {}, now)
        if rows:
            ids = db.session.scalars(
                insert(ProjectRecord.__table__).returning(
                    ProjectRecord.__table__.c.id, sort_by_parameter_order=True
                ),
                rows,
            ).all()
            link_rows = [
                {"record_id": record_id, "item_id": item_id}
                for record_id, item_ids in zip(ids, links, strict=True)
                for item_id in item_ids
            ]
            if link_rows:
                db.session.execute(insert(project_link), link_rows)
        db.session.execute(
            insert(PlanVersion.__table__),
            [{"plan_id": instance.plan_id, "number": version, "announced_at": now, **written_by}],
        )
        # The plan's own workflow counter is not touched: revising or reviewing is not a step of
        # the plan's workflow.
        db.session.execute(
            update(Plan.__table__)
            .where(Plan.__table__.c.id == instance.plan_id)
            .values(current_version=version, updated_at=now)
        )
        loaded = db.session.identity_map.get(identity_key(Plan, instance.plan_id))
        if loaded is not None:
            set_committed_value(loaded, "current_version", version)
            set_committed_value(loaded, "updated_at", now)
    return version, now


def _next_records(
    plan_id: int, items: list, version: int, columns: dict, now: datetime
) -> tuple[list[dict], list[list[int]]]:
    """Rows to insert for version ``version`` (closing the records they replace), with their links."""
    table = ProjectRecord.__table__
    rows: list[dict] = []
    links: list[list[int]] = []
    touched = [item for item in items if item.kind != "addition"]
    if touched:
        numbers = [item.project_no for item in touched]
        old = {
            r.project_no: r
            for r in db.session.scalars(
                select(ProjectRecord).where(
                    ProjectRecord.plan_id == plan_id,
                    ProjectRecord.project_no.in_(numbers),
                    ProjectRecord.valid_to.is_(None),
                )
            )
        }
        missing = sorted(set(numbers) - set(old))
        if missing:
            raise InvalidInput(f"the plan no longer has projects {missing}", field="project_no")
        old_links: dict[int, list[int]] = {}
        for record_id, item_id in db.session.execute(
            select(project_link.c.record_id, project_link.c.item_id).where(
                project_link.c.record_id.in_([r.id for r in old.values()])
            )
        ):
            old_links.setdefault(record_id, []).append(item_id)
        db.session.execute(
            update(table).where(table.c.id.in_([r.id for r in old.values()])).values(valid_to=version)
        )
        for item in touched:
            record = old[item.project_no]
            values = {name: getattr(record, name) for name in RECORD_FIELDS}
            values.update(_record_values(item.values))
            rows.append(_row(plan_id, item.project_no, version, values, columns, now))
            links.append(
                item.values["links"] if "links" in item.values else sorted(old_links.get(record.id, []))
            )
    additions = [item for item in items if item.kind == "addition"]
    first_no = next_project_no(plan_id) if additions else 0
    for offset, item in enumerate(additions):
        rows.append(_row(plan_id, first_no + offset, version, _record_values(item.values), columns, now))
        links.append(item.values.get("links", []))
    return rows, links


def _record_values(values: dict) -> dict:
    out = {name: values[name] for name in RECORD_FIELDS if name in values}
    for name in BUDGET_FIELDS:
        if name in out:
            out[name] = Decimal(out[name] or "0")
    return out


def _row(plan_id: int, project_no: int, version: int, values: dict, columns: dict, now) -> dict:
    row = {name: values.get(name) for name in RECORD_FIELDS}
    for name in BUDGET_FIELDS:
        row[name] = row[name] if row[name] is not None else Decimal("0.00")
    row["source"] = row["source"] or "own"
    row.update(
        plan_id=plan_id,
        project_no=project_no,
        valid_from=version,
        valid_to=None,
        revision_id=None,
        created_at=now,
    )
    row.update(columns)
    return row

"""Revising an announced plan: open a change set, add its items, announce it as a new plan version.

A revision is drafted against the plan version in force (``base_version``). Its items are
additions (เพิ่มเติม), changes (เปลี่ยนแปลง) and corrections (แก้ไข); the workflow (``workflows/revision.py``)
decides which gates it passes. Announcing it (the engine's entry action below) closes the records
it changes, inserts their new versions and the added projects, and makes plan version
``base_version + 1``, all in the transition's own transaction: either all of it happens or none.

Item edits are audited on their own chain, ``revision-content:<id>``, so the revision's workflow
chain stays a walk of its definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from eplan_flow import text as cleaning
from eplan_flow.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import (
    ROUTES,
    CatalogueItem,
    LaoStrategy,
    Plan,
    PlanReview,
    PlanVersion,
    ProjectRecord,
    Revision,
    RevisionItem,
    Tactic,
)
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import (
    PLAN_CONTENT_ROLES,
    can_edit_plan_content,
)
from eplan_flow.services.planning import plans, revision_numbering
from eplan_flow.services.planning.projects import (
    BUDGET_FIELDS,
    current_records,
    record_values,
    valid_at_clause,
    validate_project_values,
)
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.locks import advisory_lock
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.thaidate import be_year, fiscal_year, today_local
from workflows import REGISTRY

EDITOR_ROLES = PLAN_CONTENT_ROLES
OPEN_STATES = ("drafting", "committee_review", "council_review", "executive_review")
# Announcing a revision that the plan's newer version has overtaken (kept here for callers).
StaleBaseVersion = plans.StaleBaseVersion


class ProjectInOpenRevision(DomainError):
    """Another revision that is still open already touches the project."""

    code = "project_in_open_revision"
    status = 409


class RevisionNotDrafting(DomainError):
    """Items can only be edited while the revision is a draft."""

    code = "revision_not_drafting"
    status = 409


class PlanNotAnnounced(DomainError):
    code = "plan_not_announced"
    status = 422


class RevisionYearClosed(InvalidInput):
    """An item touches a plan year before the earliest one revisions may touch (rule data)."""

    code = "revision_year_closed"


class RevisionIncomplete(InvalidInput):
    """The draft lacks what its kinds or route need before it can leave drafting."""

    code = "revision_incomplete"


# -- reading ---------------------------------------------------------------------------------------
def get_revision(actor, revision_id: int) -> Revision:
    """A revision the actor may read, or NotFound (another LAO's revision does not exist for them)."""
    return engine.get_instance("revision", revision_id, actor)


def plan_revisions(actor, plan_id: int) -> tuple[Plan, list[Revision]]:
    """A plan and its revisions, newest first."""
    plan = plans.get_plan(actor, plan_id)
    rows = db.session.scalars(
        select(Revision).where(Revision.plan_id == plan.id).order_by(Revision.id.desc())
    ).all()
    return plan, list(rows)


def may_edit(actor, org) -> bool:
    """Whether ``actor`` drafts revisions of ``org``'s plans (its planners and support secretaries)."""
    return can_edit_plan_content(actor, org)


def rules_of(revision: Revision) -> dict:
    """The rule data of the definition version the revision runs on."""
    return engine.definition_of(revision).rules


def new_revision_rules() -> dict:
    """The rule data a revision opened now runs on (the latest definition version)."""
    return REGISTRY.get(Revision.WORKFLOW).rules


# -- opening and editing -----------------------------------------------------------------------------
def _require_editor(actor, org) -> None:
    if not may_edit(actor, org):
        raise PermissionDenied(
            "only the LAO's planners and support-committee secretaries edit revisions",
            roles=sorted(EDITOR_ROLES),
        )


def _clean_text(name: str, value, limit: int = 5000) -> str | None:
    return cleaning.clean_text(value, field=name, max_length=limit, multiline=True)


def open_revision(
    actor,
    plan_id: int,
    route: str = "regular",
    reasons=None,
    necessity=None,
    policy_basis=None,
    policy_letter_no=None,
    policy_letter_date=None,
) -> Revision:
    """Open a draft revision of an announced plan, against the version in force."""
    with transaction():
        plan = plans.get_plan(actor, plan_id, lock=True)
        _require_editor(actor, plan.organisation)
        if plan.current_version < 1:
            raise PlanNotAnnounced("only an announced plan can be revised", id=plan.id)
        if route not in ROUTES:
            raise InvalidInput(f"{route!r} is not a revision route", field="route")
        revision = Revision(
            plan_id=plan.id,
            organisation_id=plan.organisation_id,
            route=route,
            base_version=plan.current_version,
            year_be=be_year(today_local().year),
            reasons=_clean_text("reasons", reasons),
            necessity=_clean_text("necessity", necessity),
        )
        engine.start(
            revision, actor, data={"plan_id": plan.id, "base_version": plan.current_version, "route": route}
        )
        if route == "policy" and (policy_basis or policy_letter_no or policy_letter_date):
            _write_policy_basis(actor, revision, policy_basis, policy_letter_no, policy_letter_date)
    return revision


def _write_policy_basis(actor, revision: Revision, basis, letter_no, letter_date) -> None:
    bases = rules_of(revision).get("policy_bases") or {}
    if revision.route != "policy" or not bases:
        raise InvalidInput("only a policy-route revision (clause 22/2) records a basis", field="policy_basis")
    if basis and basis not in bases:
        raise InvalidInput(f"{basis!r} is not a basis of the policy route", field="policy_basis")
    letter_no = cleaning.clean_text(letter_no, field="policy_letter_no", max_length=100)
    if letter_date is not None and not isinstance(letter_date, date):
        raise InvalidInput("the letter's date is not a date", field="policy_letter_date")
    values = {"policy_basis": basis or None, "policy_letter_no": letter_no, "policy_letter_date": letter_date}
    # A content edit, not a workflow step: the workflow version counter stays as it is.
    db.session.execute(
        update(Revision.__table__)
        .where(Revision.__table__.c.id == revision.id)
        .values(**values, updated_at=utcnow())
    )
    _content_event(
        revision,
        "set_policy_basis",
        actor,
        {**values, "policy_letter_date": letter_date.isoformat() if letter_date else None},
    )


def set_policy_basis(actor, revision_id: int, basis=None, letter_no=None, letter_date=None) -> Revision:
    """Record the draft's clause 22/2 basis: royal project or ceremony, state ceremony, government
    or MOI policy, with the letter's number and date."""
    with transaction():
        revision = _draft_for_edit(actor, revision_id)
        _write_policy_basis(actor, revision, basis, letter_no, letter_date)
    db.session.expire(revision)
    return revision


def policy_basis_label(revision: Revision) -> str | None:
    """The Thai name of the revision's clause 22/2 basis, if it records one."""
    if not revision.policy_basis:
        return None
    return (rules_of(revision).get("policy_bases") or {}).get(revision.policy_basis, revision.policy_basis)


def _check_years(plan: Plan, rules: dict, values: dict, record: ProjectRecord | None = None) -> None:
    """Refuse an item touching a plan year before the earliest the rules allow (the current fiscal
    year, by version 2's rule data), naming the year."""
    offset = rules.get("earliest_year_offset")
    if offset is None:
        return
    earliest = fiscal_year(today_local()) + offset
    if earliest > plan.period_end_be:
        raise RevisionYearClosed(
            f"every year of the plan has passed: revisions may touch fiscal year {earliest} on",
            field="project_no",
            year=plan.period_end_be,
            earliest=earliest,
        )
    for offset_in_plan, name in enumerate(BUDGET_FIELDS):
        year = plan.period_start_be + offset_in_plan
        if year >= earliest or name not in values:
            continue
        new = Decimal(values[name] or 0)
        old = Decimal(getattr(record, name) or 0) if record is not None else Decimal(0)
        if new != old:
            raise RevisionYearClosed(
                f"fiscal year {year} has passed: revisions may touch fiscal year {earliest} on",
                field=name,
                year=year,
                earliest=earliest,
            )


def _draft_for_edit(actor, revision_id: int) -> Revision:
    """Lock a draft the actor may edit; the lock serialises edits with the workflow's steps."""
    revision = engine.get_instance("revision", revision_id, actor, lock=True)
    _require_editor(actor, revision.organisation)
    if revision.status != "drafting":
        raise RevisionNotDrafting(
            "this revision is no longer a draft; its items cannot change", id=revision.id
        )
    return revision


def _content_event(revision: Revision, action: str, actor, data: dict) -> None:
    # The revision row is locked by the caller, which serialises this chain too.
    audit.append(
        f"revision-content:{revision.id}",
        action,
        actor=actor,
        organisation_id=revision.organisation_id,
        workflow="revision",
        workflow_version=revision.workflow_version,
        data=data,
        chain_locked=True,
    )


def set_reasons(actor, revision_id: int, reasons=None, necessity=None) -> Revision:
    """Record the draft's reasons and necessity (required for additions and changes)."""
    with transaction():
        revision = _draft_for_edit(actor, revision_id)
        reasons, necessity = _clean_text("reasons", reasons), _clean_text("necessity", necessity)
        # A content edit, not a workflow step: the workflow version counter stays as it is.
        db.session.execute(
            update(Revision.__table__)
            .where(Revision.__table__.c.id == revision.id)
            .values(reasons=reasons, necessity=necessity, updated_at=utcnow())
        )
        _content_event(revision, "set_reasons", actor, {"reasons": reasons, "necessity": necessity})
    db.session.expire(revision)
    return revision


def _jsonable(cleaned: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in cleaned.items()}


def _open_revision_touching(plan_id: int, project_no: int, other_than: int) -> Revision | None:
    return db.session.scalar(
        select(Revision)
        .join(RevisionItem, RevisionItem.revision_id == Revision.id)
        .where(
            Revision.plan_id == plan_id,
            Revision.id != other_than,
            Revision.status.in_(OPEN_STATES),
            RevisionItem.project_no == project_no,
        )
        .order_by(Revision.id)
        .limit(1)
    )


def _refuse_if_touched_elsewhere(revision: Revision, project_no: int) -> None:
    other = _open_revision_touching(revision.plan_id, project_no, revision.id)
    if other is not None:
        raise ProjectInOpenRevision(
            f"project {project_no} is already in the open revision {other.title}; "
            "finish or withdraw that revision first",
            project_no=project_no,
            revision_id=other.id,
            revision=other.title,
        )


def _lock_plan_projects(plan_id: int) -> None:
    # Serialises "is this project in another open revision?" checks of one plan with their inserts.
    advisory_lock(f"revision-projects:{plan_id}")


def _current_record(plan_id: int, project_no: int) -> ProjectRecord:
    record = db.session.scalar(
        select(ProjectRecord).where(
            ProjectRecord.plan_id == plan_id,
            ProjectRecord.project_no == project_no,
            ProjectRecord.valid_to.is_(None),
        )
    )
    if record is None:
        raise InvalidInput(f"the plan has no project number {project_no}", field="project_no")
    return record


def check_merged_linkage(record: ProjectRecord, cleaned: dict) -> None:
    """A partial edit must leave the tactic under the project's strategy."""
    strategy_id = cleaned.get("strategy_id", record.strategy_id)
    tactic_id = cleaned.get("tactic_id", record.tactic_id)
    if tactic_id is None:
        return
    owner = db.session.scalar(select(Tactic.strategy_id).where(Tactic.id == tactic_id))
    if owner != strategy_id:
        raise InvalidInput("the tactic is not under the project's strategy", field="tactic_id")


def _add_item(
    actor, revision_id: int, kind: str, project_no, values: dict, reason, fact=None
) -> RevisionItem:
    with transaction():
        revision = _draft_for_edit(actor, revision_id)
        rules = rules_of(revision)
        if revision.route == "policy" and kind not in rules["policy_kinds"]:
            raise InvalidInput(
                f"the policy route (clause 22/2) cannot carry a {kind}", field="kind", kind=kind
            )
        reason = _clean_text("reason", reason)
        fact = _clean_text("fact", fact) if kind == "correction" else None
        given = {"reason": reason, "fact": fact}
        for name in rules["item_requires"].get(kind, ()):
            if not given[name]:
                needed = "a reason" if name == "reason" else "the fact it corrects"
                raise InvalidInput(f"{kind} needs {needed}", field=name, kind=kind)
        if not isinstance(values, dict):
            raise InvalidInput("values must be an object", field="values")
        plan = db.session.get(Plan, revision.plan_id)
        if plan is None:  # the revision's foreign key holds its plan
            raise NotFound(f"plan #{revision.plan_id} not found", id=revision.plan_id)
        if kind == "addition":
            cleaned = validate_project_values(plan, values)
            _check_years(plan, rules, cleaned)
            project_no = None
        else:
            if isinstance(project_no, bool) or not isinstance(project_no, int | str):
                raise InvalidInput("choose a project", field="project_no")
            try:
                project_no = int(project_no)
            except ValueError:
                raise InvalidInput("choose a project", field="project_no") from None
            if not values:
                raise InvalidInput(f"a {kind} must give at least one new value", field="values")
            allowed = rules["correction_fields"] if kind == "correction" else None
            for name in values:
                # Named here, so the refusal says which field a correction may not touch.
                if allowed is not None and name not in allowed:
                    raise InvalidInput(
                        f"a correction may not change {name}: it would change the project's "
                        "objective or substance; use a change (เปลี่ยนแปลง) instead",
                        field=name,
                    )
            cleaned = validate_project_values(plan, values, allowed_fields=allowed, partial=True)
            _lock_plan_projects(plan.id)
            record = _current_record(plan.id, project_no)
            check_merged_linkage(record, cleaned)
            _check_years(plan, rules, cleaned, record)
            if any(item.project_no == project_no for item in revision.items):
                raise InvalidInput(
                    f"project {project_no} is already in this revision; remove that item first",
                    field="project_no",
                )
            _refuse_if_touched_elsewhere(revision, project_no)
        item = RevisionItem(
            kind=kind, project_no=project_no, values=_jsonable(cleaned), reason=reason, fact=fact
        )
        revision.items.append(item)
        db.session.flush()
        _content_event(
            revision,
            "add_item",
            actor,
            {
                "item_id": item.id,
                "kind": kind,
                "project_no": project_no,
                "values": item.values,
                "reason": reason,
                "fact": fact,
            },
        )
    return item


def add_addition(actor, revision_id: int, values: dict, reason) -> RevisionItem:
    """Add a new project (เพิ่มเติม) to the draft, with all its values and the reason."""
    return _add_item(actor, revision_id, "addition", None, values, reason)


def add_change(actor, revision_id: int, project_no, values: dict, reason) -> RevisionItem:
    """Change an existing project (เปลี่ยนแปลง): budget, target, place...; with the reason."""
    return _add_item(actor, revision_id, "change", project_no, values, reason)


def add_correction(actor, revision_id: int, project_no, values: dict, reason=None, fact=None) -> RevisionItem:
    """Correct an existing project (แก้ไข) in the fields a correction may touch only, stating the fact
    it corrects ("ข้อเท็จจริงคือ ...", required by version 2)."""
    return _add_item(actor, revision_id, "correction", project_no, values, reason, fact)


def remove_item(actor, revision_id: int, item_id: int) -> None:
    """Take one item out of the draft."""
    with transaction():
        revision = _draft_for_edit(actor, revision_id)
        item = next((i for i in revision.items if i.id == item_id), None)
        if item is None:
            raise NotFound(f"item #{item_id} is not in this revision", id=item_id)
        data = {"item_id": item.id, "kind": item.kind, "project_no": item.project_no}
        revision.items.remove(item)
        db.session.flush()
        _content_event(revision, "remove_item", actor, data)


UNSET: Any = object()


def replace_item(
    actor, revision_id: int, item_id: int, values: dict | None = None, reason=UNSET, fact=UNSET
) -> RevisionItem:
    """Edit one item of the draft: its values (merged over the old ones), reason or fact.

    The item is taken out and added again in one transaction, through the same checks as adding
    it, so an edit can never pass what an addition would not; either both happen or neither.
    """
    with transaction():
        revision = _draft_for_edit(actor, revision_id)
        item = next((i for i in revision.items if i.id == item_id), None)
        if item is None:
            raise NotFound(f"item #{item_id} is not in this revision", id=item_id)
        if values is not None and not isinstance(values, dict):
            raise InvalidInput("values must be an object", field="values")
        kind, project_no = item.kind, item.project_no
        merged = {**item.values, **(values or {})}
        reason = item.reason if reason is UNSET else reason
        fact = item.fact if fact is UNSET else fact
        remove_item(actor, revision_id, item_id)
        return _add_item(actor, revision_id, kind, project_no, merged, reason, fact)


# -- entry actions -----------------------------------------------------------------------------------
@engine.entry_action
def _check_complete(instance, actor, from_state, to_state, data) -> None:
    """Leaving drafting: the reasons and necessity are there, and the route may carry the items."""
    if from_state != "drafting":
        return
    kinds = instance.kinds
    rules = rules_of(instance)
    if instance.route == "policy":
        refused = sorted(kinds - set(rules["policy_kinds"]))
        if refused:
            raise RevisionIncomplete(
                f"the policy route (clause 22/2) cannot carry {', '.join(refused)}", field="route"
            )
    if instance.route == "policy" and rules.get("policy_bases"):
        for name in ("policy_basis", "policy_letter_no", "policy_letter_date"):
            if not getattr(instance, name):
                raise RevisionIncomplete(
                    "a policy-route revision (clause 22/2) needs its basis and the letter's number "
                    "and date before it is submitted",
                    field=name,
                )
    if kinds & {"addition", "change"}:
        for name in ("reasons", "necessity"):
            if not (getattr(instance, name) or "").strip():
                raise RevisionIncomplete(
                    f"a revision adding or changing projects needs its {name} before it is submitted",
                    field=name,
                )


@engine.entry_action
def apply_revision(instance, actor, from_state, to_state, data) -> None:
    """Apply the revision as the plan's next version, or refuse if the plan moved on meanwhile."""
    items = list(instance.items)

    def refuse_projects_in_other_revisions(version: int) -> None:
        _lock_plan_projects(instance.plan_id)
        for item in items:
            if item.kind != "addition":
                _refuse_if_touched_elsewhere(instance, item.project_no)

    version, now = plans.apply_as_next_version(
        instance,
        items,
        written_by={"revision_id": instance.id},
        record_columns={"revision_id": instance.id},
        before_records=refuse_projects_in_other_revisions,
    )
    with db.session.no_autoflush:
        # Numbered by the definition's rules (version 2: with the LAO's own numbering settings).
        year, label, sequence, title = revision_numbering.number_revision(
            instance, rules_of(instance), today_local()
        )
    # Set last: the engine writes these with the new state in its one UPDATE of the row.
    instance.result_version = version
    instance.announced_at = now
    instance.year_be = year
    instance.label = label
    instance.sequence = sequence
    instance.numbered_title = title


@engine.entry_action
def check_years(instance, actor, from_state, to_state, data) -> None:
    """Leaving drafting and at announcement: no item touches a plan year the rules have closed."""
    rules = rules_of(instance)
    if rules.get("earliest_year_offset") is None:
        return
    plan = db.session.get(Plan, instance.plan_id)
    if plan is None:  # the revision's foreign key holds its plan
        raise NotFound(f"plan #{instance.plan_id} not found", id=instance.plan_id)
    records = {r.project_no: r for r in current_records(plan.id)}
    for item in instance.items:
        _check_years(plan, rules, item.values, records.get(item.project_no) if item.project_no else None)


# -- comparison and history --------------------------------------------------------------------------
COMPARED_FIELDS = (
    "name",
    "objective",
    "target",
    *BUDGET_FIELDS,
    "kpi",
    "expected_result",
    "responsible_unit",
    "strategy_id",
    "tactic_id",
    "programme_id",
    "source",
    "equipment_category",
    "equipment_type",
    "unit",
    "links",
)


@dataclass
class ComparedProject:
    """One project of the บัญชีเปรียบเทียบ: its values before and after the revision."""

    project_no: int | None
    kind: str
    reason: str | None
    old: dict | None
    new: dict
    changed: list[str] = field(default_factory=list)
    # A correction's stated fact ("ข้อเท็จจริงคือ ...").
    fact: str | None = None

    @property
    def rows(self) -> list[tuple[str, object, object]]:
        return [(name, (self.old or {}).get(name), self.new.get(name)) for name in self.changed]


def comparison(actor, revision_id: int) -> tuple[Revision, list[ComparedProject]]:
    """The old/new comparison (บัญชีเปรียบเทียบ เดิม/ใหม่) of a revision, one entry per project."""
    revision = get_revision(actor, revision_id)
    compared: list[ComparedProject] = []
    if revision.status == "announced":
        new_records = {
            r.project_no: r
            for r in db.session.scalars(select(ProjectRecord).where(ProjectRecord.revision_id == revision.id))
        }
        old_records = {
            r.project_no: r
            for r in db.session.scalars(
                select(ProjectRecord).where(
                    ProjectRecord.plan_id == revision.plan_id,
                    valid_at_clause(revision.base_version),
                    ProjectRecord.project_no.in_(list(new_records)),
                )
            )
        }
        added_numbers = iter(sorted(set(new_records) - set(old_records)))
        for item in revision.items:
            number = item.project_no if item.kind != "addition" else next(added_numbers)
            if number is None:  # only an addition comes without its project's number
                raise ValueError(f"revision item #{item.id} ({item.kind}) names no project")
            old_record = old_records.get(number)
            compared.append(
                compare_project(
                    number,
                    item,
                    record_values(old_record) if old_record else None,
                    record_values(new_records[number]),
                )
            )
    else:
        current = {
            r.project_no: r
            for r in current_records(revision.plan_id)
            if r.project_no in {i.project_no for i in revision.items}
        }
        for item in revision.items:
            old = record_values(current[item.project_no]) if item.project_no in current else None
            compared.append(compare_project(item.project_no, item, old, {**(old or {}), **item.values}))
    compared.sort(key=lambda c: (c.project_no is None, c.project_no or 0))
    _describe(compared)
    return revision, compared


def compare_project(number, item, old: dict | None, new: dict) -> ComparedProject:
    """One project's entry of an old/new comparison: the fields ``item`` (of a revision or a
    review) changes, or every filled field of a new project."""
    if old is None:
        changed = [name for name in COMPARED_FIELDS if new.get(name) not in (None, "", [], "0.00")]
    else:
        changed = [name for name in COMPARED_FIELDS if _norm(old.get(name)) != _norm(new.get(name))]
    return ComparedProject(
        number, item.kind, item.reason, old, dict(new), changed, getattr(item, "fact", None)
    )


def _norm(value):
    if isinstance(value, list):
        return sorted(value)
    if isinstance(value, str) and value.replace(".", "", 1).isdigit():
        return Decimal(value)
    return value


def _describe(compared: list[ComparedProject]) -> None:
    """Replace ids by what people read: strategy, tactic, programme and linked catalogue names."""
    describe_values([values for c in compared for values in (c.old, c.new) if values])


def describe_values(value_sets: list[dict]) -> None:
    """Replace, in place, the ids each set of project values holds by their names (strategy, tactic,
    programme, linked catalogue items; the links joined in one line)."""
    ids: dict[str, set[Any]] = {"strategy_id": set(), "tactic_id": set(), "catalogue": set()}
    for values in value_sets:
        ids["strategy_id"].add(values.get("strategy_id"))
        ids["tactic_id"].add(values.get("tactic_id"))
        ids["catalogue"].add(values.get("programme_id"))
        ids["catalogue"].update(values.get("links") or [])
    # Keyed for lookups by a value that may be None (a project without a strategy, say).
    strategies: dict[int | None, str] = {
        s.id: str(s)
        for s in db.session.scalars(
            select(LaoStrategy).where(LaoStrategy.id.in_(ids["strategy_id"] - {None}))
        )
    }
    tactics: dict[int | None, str] = {
        t.id: f"{t.number} {t.name}"
        for t in db.session.scalars(select(Tactic).where(Tactic.id.in_(ids["tactic_id"] - {None})))
    }
    items: dict[int | None, str] = {
        i.id: str(i)
        for i in db.session.scalars(
            select(CatalogueItem).where(CatalogueItem.id.in_(ids["catalogue"] - {None}))
        )
    }
    for values in value_sets:
        for name, names in (("strategy_id", strategies), ("tactic_id", tactics), ("programme_id", items)):
            if name in values:
                values[name] = names.get(values[name], values[name])
        if "links" in values:
            values["links"] = ", ".join(items.get(i, str(i)) for i in values["links"] or [])


def described_items(revision: Revision) -> dict[int, dict]:
    """Each item's new values as people read them (names, not ids), by item id."""
    described = {item.id: dict(item.values) for item in revision.items}
    describe_values(list(described.values()))
    return described


@dataclass
class HistoryEntry:
    record: ProjectRecord
    revision: Revision | None


def project_history(actor, plan_id: int, project_no: int) -> tuple[Plan, list[HistoryEntry]]:
    """Every version of one project, oldest first, with the revision that wrote it."""
    plan = plans.get_plan(actor, plan_id)
    records = db.session.scalars(
        select(ProjectRecord)
        .where(
            ProjectRecord.plan_id == plan.id,
            ProjectRecord.project_no == project_no,
            ProjectRecord.valid_from >= 1,
        )
        .order_by(ProjectRecord.valid_from)
    ).all()
    if not records:
        raise NotFound(f"project {project_no} not found", project_no=project_no)
    revisions: dict[int | None, Revision] = {
        r.id: r
        for r in db.session.scalars(
            select(Revision).where(Revision.id.in_({r.revision_id for r in records} - {None}))
        )
    }
    return plan, [HistoryEntry(r, revisions.get(r.revision_id)) for r in records]


def version_titles(plan_id: int, versions: Sequence[PlanVersion] | None = None) -> dict[int, str]:
    """The title of each plan version an announced revision made, by version number ("เพิ่มเติม
    ครั้งที่ 1/2569"): print headings and version pickers name a version by it.

    ``versions``: the plan's versions when the caller has read them already; none made by a revision
    or a review (a plan announced once, the usual case) then needs no query at all."""
    if versions is not None and not any(v.revision_id or v.review_id for v in versions):
        return {}
    rows = db.session.execute(
        select(PlanVersion.number, Revision)
        .join(Revision, Revision.id == PlanVersion.revision_id)
        .where(PlanVersion.plan_id == plan_id)
    ).all()
    titles = {number: revision.title for number, revision in rows}
    # A version a review (ทบทวน) made is named by the review's title ("ทบทวน ครั้งที่ 1/2569").
    reviewed = db.session.execute(
        select(PlanVersion.number, PlanReview)
        .join(PlanReview, PlanReview.id == PlanVersion.review_id)
        .where(PlanVersion.plan_id == plan_id)
    ).all()
    titles.update((number, review.title) for number, review in reviewed)
    return titles


def plan_totals(plan_id: int, version: int) -> tuple[int, list[Decimal]]:
    """Number of projects and budget per plan year at a version (one SQL aggregate)."""
    row = db.session.execute(
        select(
            func.count(), *[func.coalesce(func.sum(getattr(ProjectRecord, b)), 0) for b in BUDGET_FIELDS]
        ).where(ProjectRecord.plan_id == plan_id, valid_at_clause(version))
    ).one()
    return row[0], [Decimal(v) for v in row[1:]]

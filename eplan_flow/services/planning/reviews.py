"""Reviewing a plan in force (ทบทวน, ข้อ 17): open a review, draft its changes, announce it as the
plan's next version.

A review is drafted against the plan version in force (``base_version``). Its items change or add
strategies (name, tactics, links: the ยท.01) and change or add projects. Announcing it (the entry
action ``apply_review``) keeps the strategies as they stood in the base version's row
(``PlanVersion.strategy_snapshot``), writes the new strategy values, closes the project records it
changes, inserts their new versions and the added projects, makes plan version ``base_version + 1``
and numbers the review ("ทบทวน ครั้งที่ 2/2565"), all in the step's own transaction.

Item edits are audited on their own chain, ``review-content:<id>``.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from eplan_flow import text as cleaning
from eplan_flow.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import (
    CatalogueItem,
    LaoStrategy,
    Plan,
    PlanReview,
    PlanVersion,
    ProjectRecord,
    ReviewItem,
    Tactic,
)
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import can_edit_plan_content
from eplan_flow.services.planning import plans
from eplan_flow.services.planning.projects import (
    BUDGET_FIELDS,
    VALUE_FIELDS,
    apply_values,
    next_project_no,
    record_values,
    validate_project_values,
)
from eplan_flow.services.planning.revisions import StaleBaseVersion
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.locks import advisory_lock
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.thaidate import be_year, today_local

OPEN_STATES = ("drafting", "committee_review", "council_review", "executive_review")
NAME_MAX = 500


class ReviewNotDrafting(DomainError):
    """Items can only be edited while the review is a draft."""

    code = "review_not_drafting"
    status = 409


class ReviewAlreadyOpen(DomainError):
    """A plan has one review under way at a time."""

    code = "review_already_open"
    status = 409


class PlanNotInForce(DomainError):
    """Only an announced plan is reviewed; a plan being made is still drafted directly."""

    code = "plan_not_in_force"
    status = 422


# -- reading -----------------------------------------------------------------------------------------
def get_review(actor, review_id: int) -> PlanReview:
    """A review the actor may read, or NotFound (another LAO's review does not exist for them)."""
    return engine.get_instance("review", review_id, actor)


def plan_reviews(actor, plan_id: int) -> tuple[Plan, list[PlanReview]]:
    """A plan and its reviews, newest first."""
    plan = plans.get_plan(actor, plan_id)
    rows = db.session.scalars(
        select(PlanReview).where(PlanReview.plan_id == plan.id).order_by(PlanReview.id.desc())
    ).all()
    return plan, list(rows)


def may_edit(actor, org) -> bool:
    """Whether ``actor`` drafts reviews of ``org``'s plans (its planners and support secretaries)."""
    return can_edit_plan_content(actor, org)


def may_open(actor, plan: Plan) -> bool:
    """Whether ``actor`` may open a review of ``plan`` now (templates use it to show the link)."""
    return plan.current_version >= 1 and may_edit(actor, plan.organisation)


def review_number(organisation_id: int, year_be: int) -> int:
    """The next review number of an LAO in a Buddhist-Era year ("ทบทวน ครั้งที่ N/ปี").

    One place, so that the LAO's numbering settings (year basis, its next number) can rule it later.
    The caller holds the numbering lock.
    """
    last = db.session.scalar(
        select(func.max(PlanReview.sequence)).where(
            PlanReview.organisation_id == organisation_id,
            PlanReview.year_be == year_be,
            PlanReview.status == "announced",
        )
    )
    return (last or 0) + 1


def snapshot_strategies(plan_id: int) -> list[dict]:
    """The plan's strategies as they stand: number, name, tactics and links (by catalogue item)."""
    rows = db.session.scalars(
        select(LaoStrategy)
        .where(LaoStrategy.plan_id == plan_id)
        .options(selectinload(LaoStrategy.tactics), selectinload(LaoStrategy.links))
        .order_by(LaoStrategy.number)
    )
    return [
        {
            "id": s.id,
            "number": s.number,
            "name": s.name,
            "tactics": [{"id": t.id, "number": t.number, "name": t.name} for t in s.tactics],
            "links": sorted(i.id for i in s.links),
        }
        for s in rows
    ]


def strategies_at(plan_id: int, version: int) -> list[dict]:
    """The plan's strategies as they stood at ``version``: the snapshot a later review kept, else now."""
    snapshot = db.session.scalar(
        select(PlanVersion.strategy_snapshot).where(
            PlanVersion.plan_id == plan_id, PlanVersion.number == version
        )
    )
    return snapshot if snapshot is not None else snapshot_strategies(plan_id)


# -- opening and editing -----------------------------------------------------------------------------
def _require_editor(actor, org) -> None:
    if not may_edit(actor, org):
        raise PermissionDenied("only the LAO's planners and support-committee secretaries draft reviews")


def open_review(actor, plan_id: int, reasons=None) -> PlanReview:
    """Open a draft review of an announced plan, against the version in force."""
    with transaction():
        plan = plans.get_plan(actor, plan_id, lock=True)
        _require_editor(actor, plan.organisation)
        if plan.current_version < 1:
            raise PlanNotInForce("only a plan in force is reviewed", id=plan.id)
        open_one = db.session.scalar(
            select(PlanReview.id).where(PlanReview.plan_id == plan.id, PlanReview.status.in_(OPEN_STATES))
        )
        if open_one is not None:
            raise ReviewAlreadyOpen("the plan already has a review under way", id=open_one)
        review = PlanReview(
            plan_id=plan.id,
            organisation_id=plan.organisation_id,
            base_version=plan.current_version,
            reasons=cleaning.clean_text(reasons, field="reasons", max_length=5000, multiline=True),
        )
        engine.start(review, actor, data={"plan_id": plan.id, "base_version": plan.current_version})
    return review


def _draft_for_edit(actor, review_id: int) -> tuple[PlanReview, Plan]:
    """Lock a draft the actor may edit; the lock serialises edits with the workflow's steps."""
    review = engine.get_instance("review", review_id, actor, lock=True)
    _require_editor(actor, review.organisation)
    if review.status != "drafting":
        raise ReviewNotDrafting("this review is no longer a draft; its items cannot change", id=review.id)
    plan = db.session.get(Plan, review.plan_id)
    if plan is None:  # the review's foreign key holds its plan
        raise NotFound(f"plan #{review.plan_id} not found", id=review.plan_id)
    return review, plan


def _content_event(review: PlanReview, action: str, actor, data: dict) -> None:
    audit.append(
        f"review-content:{review.id}",
        action,
        actor=actor,
        organisation_id=review.organisation_id,
        workflow="review",
        workflow_version=review.workflow_version,
        data=data,
    )


def _jsonable(cleaned: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in cleaned.items()}


def _number(value, field: str) -> int:
    number = cleaning.parse_int(value, field=field, minimum=1, maximum=999)
    if number is None:
        raise InvalidInput(f"{field} is needed", field=field)
    return number


def _strategy_links(plan: Plan, raw) -> list[int]:
    ids = sorted({_number_id(i) for i in raw or ()})
    if not ids:
        return []
    province = plan.organisation.province_code or ""
    found = db.session.scalars(
        select(CatalogueItem.id).where(
            CatalogueItem.id.in_(ids), CatalogueItem.is_active, CatalogueItem.scope.in_(("", province))
        )
    ).all()
    if len(set(found)) != len(ids):
        raise InvalidInput("a link must be an active catalogue item available to this plan", field="links")
    return ids


def _number_id(value) -> int:
    number = cleaning.parse_int(value, field="links", minimum=1)
    if number is None:
        raise InvalidInput("links must be catalogue item ids", field="links")
    return number


def set_strategy(
    actor, review_id: int, *, strategy_id=None, number, name, tactics=(), links=None, reason=None
) -> ReviewItem:
    """Change a strategy of the plan (or add one, without ``strategy_id``): its number, name, tactics
    (``[(number, name)]``: renamed by number, or added) and links (None keeps them)."""
    with transaction():
        review, plan = _draft_for_edit(actor, review_id)
        values: dict = {
            "number": _number(number, "number"),
            "name": cleaning.clean_text(name, field="name", max_length=NAME_MAX, required=True),
            "tactics": [
                {
                    "number": _number(t_number, "tactics"),
                    "name": cleaning.clean_text(t_name, field="tactics", max_length=NAME_MAX, required=True),
                }
                for t_number, t_name in tactics
            ],
        }
        if links is not None:
            values["links"] = _strategy_links(plan, links)
        target = None
        if strategy_id not in (None, ""):
            target = db.session.get(LaoStrategy, int(strategy_id))
            if target is None or target.plan_id != plan.id:
                raise NotFound(f"strategy #{strategy_id} not found", id=strategy_id)
        taken = db.session.scalar(
            select(LaoStrategy.id).where(
                LaoStrategy.plan_id == plan.id, LaoStrategy.number == values["number"]
            )
        )
        if taken is not None and (target is None or taken != target.id):
            raise InvalidInput(
                f"number {values['number']} is already used by another strategy", field="number"
            )
        for item in review.items:
            if item.kind == "strategy" and target is not None and item.strategy_id == target.id:
                raise InvalidInput(
                    "this strategy is already in the review; remove that item first", field="strategy_id"
                )
        item = ReviewItem(
            kind="strategy",
            strategy_id=target.id if target else None,
            values=values,
            reason=cleaning.clean_text(reason, field="reason", max_length=5000, multiline=True),
        )
        review.items.append(item)
        db.session.flush()
        _content_event(
            review, "set_strategy", actor, {"item_id": item.id, "strategy_id": item.strategy_id, **values}
        )
    return item


def change_project(actor, review_id: int, project_no, values: dict, reason=None) -> ReviewItem:
    """Change a project in force: the fields given replace its values in the review's version."""
    with transaction():
        review, plan = _draft_for_edit(actor, review_id)
        number = cleaning.parse_int(project_no, field="project_no", minimum=1)
        if number is None:
            raise InvalidInput("choose a project", field="project_no")
        if not isinstance(values, dict) or not values:
            raise InvalidInput("a change must give at least one new value", field="values")
        cleaned = validate_project_values(plan, values, partial=True)
        record = _current_record(plan.id, number)
        if cleaned.get("tactic_id") is not None and "strategy_id" not in cleaned:
            owner = db.session.scalar(select(Tactic.strategy_id).where(Tactic.id == cleaned["tactic_id"]))
            if owner != record.strategy_id:
                raise InvalidInput("the tactic is not under the project's strategy", field="tactic_id")
        if any(i.kind == "change" and i.project_no == number for i in review.items):
            raise InvalidInput(f"project {number} is already in the review", field="project_no")
        item = ReviewItem(
            kind="change",
            project_no=number,
            values=_jsonable(cleaned),
            reason=cleaning.clean_text(reason, field="reason", max_length=5000, multiline=True),
        )
        review.items.append(item)
        db.session.flush()
        _content_event(
            review, "change_project", actor, {"item_id": item.id, "project_no": number, **item.values}
        )
    return item


def add_project(actor, review_id: int, values: dict, reason=None) -> ReviewItem:
    """Add a project in the review's version."""
    with transaction():
        review, plan = _draft_for_edit(actor, review_id)
        if not isinstance(values, dict):
            raise InvalidInput("values must be an object", field="values")
        cleaned = validate_project_values(plan, values)
        item = ReviewItem(
            kind="addition",
            values=_jsonable(cleaned),
            reason=cleaning.clean_text(reason, field="reason", max_length=5000, multiline=True),
        )
        review.items.append(item)
        db.session.flush()
        _content_event(review, "add_project", actor, {"item_id": item.id, **item.values})
    return item


def remove_item(actor, review_id: int, item_id: int) -> None:
    """Take one item out of the draft."""
    with transaction():
        review, _plan = _draft_for_edit(actor, review_id)
        item = next((i for i in review.items if i.id == item_id), None)
        if item is None:
            raise NotFound(f"item #{item_id} is not in this review", id=item_id)
        data = {"item_id": item.id, "kind": item.kind, "project_no": item.project_no}
        review.items.remove(item)
        db.session.flush()
        _content_event(review, "remove_item", actor, data)


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


# -- announcing --------------------------------------------------------------------------------------
@engine.entry_action
def apply_review(instance, actor, from_state, to_state, data) -> None:
    """Apply the review as the plan's next version and number it, or refuse if the plan moved on."""
    with db.session.no_autoflush:
        plan = db.session.scalars(
            select(Plan)
            .where(Plan.id == instance.plan_id)
            .with_for_update(of=Plan)
            .execution_options(populate_existing=True)
        ).one()
        if plan.current_version != instance.base_version:
            raise StaleBaseVersion(
                f"the plan changed since this review was drafted: it was drafted against version "
                f"{instance.base_version}, and version {plan.current_version} is now in force",
                base_version=instance.base_version,
                current_version=plan.current_version,
            )
        version = instance.base_version + 1
        items = list(instance.items)
        if any(item.kind == "strategy" for item in items):
            # The base version keeps its strategies as they stood, for reading it later.
            base = db.session.scalars(
                select(PlanVersion).where(
                    PlanVersion.plan_id == plan.id, PlanVersion.number == instance.base_version
                )
            ).one()
            if base.strategy_snapshot is None:
                base.strategy_snapshot = snapshot_strategies(plan.id)
    for item in items:
        if item.kind == "strategy":
            _apply_strategy(plan, item)
    db.session.flush()
    first_no = next_project_no(plan.id)
    for item in items:
        if item.kind == "change":
            old = _current_record(plan.id, item.project_no or 0)
            old.valid_to = version
            values = record_values(old)
            values.update(item.values)
            _insert_record(plan, old.project_no, version, values)
        elif item.kind == "addition":
            _insert_record(plan, first_no, version, dict(item.values))
            first_no += 1
    now = utcnow()
    db.session.add(PlanVersion(plan_id=plan.id, number=version, review_id=instance.id, announced_at=now))
    db.session.flush()
    # The plan's own workflow counter is not touched: reviewing is not a step of the plan's workflow.
    db.session.execute(
        update(Plan.__table__)
        .where(Plan.__table__.c.id == plan.id)
        .values(current_version=version, updated_at=now)
    )
    set_committed_value(plan, "current_version", version)
    year = be_year(today_local().year)
    advisory_lock(f"review-numbering:{plan.organisation_id}")
    sequence = review_number(plan.organisation_id, year)
    # Set last: the engine writes these with the new state in its one UPDATE of the row.
    instance.result_version = version
    instance.announced_at = now
    instance.year_be = year
    instance.sequence = sequence


def _apply_strategy(plan: Plan, item: ReviewItem) -> None:
    values = item.values
    if item.strategy_id is None:
        strategy = LaoStrategy(plan_id=plan.id, number=values["number"], name=values["name"])
        db.session.add(strategy)
        db.session.flush()
    else:
        existing = db.session.get(LaoStrategy, item.strategy_id)
        if existing is None:  # the item's foreign key holds it
            raise NotFound(f"strategy #{item.strategy_id} not found", id=item.strategy_id)
        strategy = existing
        strategy.number, strategy.name = values["number"], values["name"]
    by_number = {t.number: t for t in strategy.tactics}
    for tactic in values.get("tactics", []):
        if tactic["number"] in by_number:
            by_number[tactic["number"]].name = tactic["name"]
        else:
            strategy.tactics.append(Tactic(number=tactic["number"], name=tactic["name"]))
    if "links" in values:
        ids = values["links"]
        strategy.links = (
            list(db.session.scalars(select(CatalogueItem).where(CatalogueItem.id.in_(ids)))) if ids else []
        )


def _insert_record(plan: Plan, project_no: int, version: int, values: dict) -> None:
    record = ProjectRecord(plan_id=plan.id, project_no=project_no, valid_from=version, valid_to=None)
    cleaned = {name: values[name] for name in VALUE_FIELDS if name in values}
    for name in BUDGET_FIELDS:
        if name in cleaned:
            cleaned[name] = Decimal(cleaned[name] or "0")
    apply_values(record, cleaned)
    db.session.add(record)

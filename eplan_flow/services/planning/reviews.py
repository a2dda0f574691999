"""Reviewing a plan in force (ทบทวน, ข้อ 17): open a review, draft its changes, announce it as the
plan's next version.

A review is drafted against the plan version in force (``base_version``). Its items change or add
strategies (name, tactics, links: the ยท.01) and change or add projects. Announcing it (the entry
action ``apply_review``) keeps the strategies as they stood in the base version's row
(``PlanVersion.strategy_snapshot``), writes the new strategy values, closes the project records it
changes, inserts their new versions and the added projects, makes plan version ``base_version + 1``
(``plans.apply_as_next_version``, shared with revisions) and numbers the review ("ทบทวน ครั้งที่
2/2565"), all in the step's own transaction.

Strategy numbers may be swapped (1 becomes 2 and 2 becomes 1): a draft may hold a number another
strategy holds now, the page warns until the review renumbers that one too
(``strategy_number_clashes``), announcing refuses a clash, and the strategies that move go through
temporary numbers first, since the unique rule (plan, number) is checked row by row.

Item edits are audited on their own chain, ``review-content:<id>``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

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
from eplan_flow.permissions import can_edit_plan_content
from eplan_flow.services.directory.catalogues import LINK_CATALOGUES, serves_period_clause
from eplan_flow.services.planning import civic_forum, plans, revisions, strategies
from eplan_flow.services.planning.projects import (
    current_records,
    record_values,
    valid_at_clause,
    validate_project_values,
)
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


class StrategyNumbersClash(DomainError):
    """After the review two strategies of the plan would hold the same number."""

    code = "review_strategy_numbers_clash"
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
    """The plan's strategies as they stood at ``version``: the snapshot a later review kept (the
    next later one when that version has none: nothing changed between), else the plan's rows."""
    snapshot = strategies.kept_snapshot(db.session.get_one(Plan, plan_id), version)
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
    # As on the strategies page: active national and provincial link catalogues of the plan's period.
    found = db.session.scalars(
        select(CatalogueItem.id).where(
            CatalogueItem.id.in_(ids),
            CatalogueItem.is_active,
            CatalogueItem.scope.in_(("", province)),
            CatalogueItem.catalogue.in_(LINK_CATALOGUES),
            serves_period_clause(plan.period_start_be),
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
            target = db.session.get(LaoStrategy, cleaning.parse_int(strategy_id, field="strategy_id"))
            if target is None or target.plan_id != plan.id:
                raise NotFound(f"strategy #{strategy_id} not found", id=strategy_id)
        earlier = next(
            (
                i
                for i in review.items
                if i.kind == "strategy" and target is not None and i.strategy_id == target.id
            ),
            None,
        )
        # Another strategy of the plan may hold the number now (a swap: 1 becomes 2, 2 becomes 1):
        # the review page says so until that strategy is renumbered too, and announcing refuses a
        # clash. Two items of this review claiming one number is refused at once.
        for other in review.items:
            if (
                other.kind == "strategy"
                and other is not earlier
                and other.values["number"] == values["number"]
            ):
                raise InvalidInput(
                    f"number {values['number']} is already given to another strategy in this review",
                    field="number",
                    reason="taken_in_review",
                )
        reason_text = cleaning.clean_text(reason, field="reason", max_length=5000, multiline=True)
        if earlier is not None:
            # Editing the strategy again in this review replaces its earlier values.
            if "links" not in values and "links" in earlier.values:
                values["links"] = earlier.values["links"]
            earlier.values = values
            earlier.reason = reason_text or earlier.reason
            item = earlier
        else:
            item = ReviewItem(
                kind="strategy", strategy_id=target.id if target else None, values=values, reason=reason_text
            )
            review.items.append(item)
        db.session.flush()
        _content_event(
            review,
            "set_strategy",
            actor,
            {"item_id": item.id, "strategy_id": item.strategy_id, "replaced": earlier is not None, **values},
        )
    return item


def strategy_number_clashes(review: PlanReview) -> list[int]:
    """The numbers two strategies of the plan would hold once the review applies (none: it may be
    announced)."""
    return _clashes(review.plan_id, [i for i in review.items if i.kind == "strategy"])


def _clashes(plan_id: int, strategy_items: list[ReviewItem]) -> list[int]:
    numbers = dict(
        db.session.execute(
            select(LaoStrategy.id, LaoStrategy.number).where(LaoStrategy.plan_id == plan_id)
        ).all()
    )
    added = []
    for item in strategy_items:
        if item.strategy_id is None:
            added.append(item.values["number"])
        else:
            numbers[item.strategy_id] = item.values["number"]
    counts = Counter([*numbers.values(), *added])
    return sorted(number for number, count in counts.items() if count > 1)


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
        earlier = next((i for i in review.items if i.kind == "change" and i.project_no == number), None)
        merged = {**(earlier.values if earlier else {}), **_jsonable(cleaned)}
        revisions.check_merged_linkage(
            record, {k: merged[k] for k in ("strategy_id", "tactic_id") if k in merged}
        )
        reason_text = cleaning.clean_text(reason, field="reason", max_length=5000, multiline=True)
        if earlier is not None:
            # A second change of the project in this review (its linkage after its budget, say)
            # adds to the first.
            earlier.values = merged
            earlier.reason = reason_text or earlier.reason
            item = earlier
        else:
            item = ReviewItem(kind="change", project_no=number, values=merged, reason=reason_text)
            review.items.append(item)
        db.session.flush()
        _content_event(
            review,
            "change_project",
            actor,
            {"item_id": item.id, "project_no": number, "merged": earlier is not None, **_jsonable(cleaned)},
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
    items = list(instance.items)
    strategy_items = [item for item in items if item.kind == "strategy"]

    def apply_strategies(version: int) -> None:
        if not strategy_items:
            return
        clashes = _clashes(instance.plan_id, strategy_items)
        if clashes:
            raise StrategyNumbersClash(
                f"after this review two strategies would be numbered {', '.join(map(str, clashes))}",
                numbers=", ".join(map(str, clashes)),
            )
        # The base version keeps its strategies as they stood, for reading it later.
        base = db.session.scalars(
            select(PlanVersion).where(
                PlanVersion.plan_id == instance.plan_id, PlanVersion.number == instance.base_version
            )
        ).one()
        if base.strategy_snapshot is None:
            base.strategy_snapshot = snapshot_strategies(instance.plan_id)
        _apply_strategies(instance.plan_id, strategy_items)

    version, now = plans.apply_as_next_version(
        instance,
        [item for item in items if item.kind != "strategy"],
        written_by={"review_id": instance.id},
        before_records=apply_strategies,
    )
    with db.session.no_autoflush:
        year = be_year(today_local().year)
        advisory_lock(f"review-numbering:{instance.organisation_id}")
        sequence = review_number(instance.organisation_id, year)
    # Set last: the engine writes these with the new state in its one UPDATE of the row.
    instance.result_version = version
    instance.announced_at = now
    instance.year_be = year
    instance.sequence = sequence


def _apply_strategies(plan_id: int, items: list[ReviewItem]) -> None:
    """Write the strategies' new values. The unique rule (plan, number) holds after every row, so
    the strategies that change number first move to a free temporary number (minus their id):
    a swap (1 becomes 2 and 2 becomes 1) would otherwise clash halfway, on PostgreSQL and SQLite."""
    existing = {
        s.id: s
        for s in db.session.scalars(
            select(LaoStrategy)
            .where(LaoStrategy.plan_id == plan_id)
            .options(selectinload(LaoStrategy.tactics))
        )
    }
    moving = [
        existing[item.strategy_id]
        for item in items
        if item.strategy_id is not None and existing[item.strategy_id].number != item.values["number"]
    ]
    for strategy in moving:
        strategy.number = -strategy.id
    db.session.flush()
    for item in items:
        _apply_strategy(plan_id, existing.get(item.strategy_id) if item.strategy_id else None, item)
    db.session.flush()


def _apply_strategy(plan_id: int, strategy: LaoStrategy | None, item: ReviewItem) -> None:
    values = item.values
    if strategy is None:
        strategy = LaoStrategy(plan_id=plan_id, number=values["number"], name=values["name"])
        db.session.add(strategy)
    else:
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


# -- the review's document (print view) ------------------------------------------------------------
STRATEGY_FIELDS = ("number", "name", "tactics", "links")


@dataclass
class ComparedStrategy:
    """One strategy the review changes or adds: its values before and after, field by field."""

    kind: str
    reason: str | None
    old: dict | None
    new: dict
    changed: list[str]

    @property
    def rows(self) -> list[tuple[str, object, object]]:
        return [(name, (self.old or {}).get(name), self.new.get(name)) for name in self.changed]


@dataclass
class ReviewDocument:
    """What the printed review says: the review, its plan, the civic forum's meeting, and each
    change with its old and new values (projects as in a revision's บัญชีเปรียบเทียบ)."""

    review: PlanReview
    plan: Plan
    forum: object
    strategies: list[ComparedStrategy]
    projects: list[revisions.ComparedProject]


def review_document(actor, review_id: int) -> ReviewDocument:
    """The review as a document: heading facts, reasons, the civic forum and every old/new change."""
    review = get_review(actor, review_id)
    plan = plans.get_plan(actor, review.plan_id)
    return ReviewDocument(
        review=review,
        plan=plan,
        forum=civic_forum.meeting_of(review),
        strategies=_compared_strategies(review),
        projects=_compared_projects(review),
    )


def _compared_strategies(review: PlanReview) -> list[ComparedStrategy]:
    before = {s["id"]: s for s in strategies_at(review.plan_id, review.base_version)}
    names = {
        i.id: str(i)
        for i in db.session.scalars(
            select(CatalogueItem).where(
                CatalogueItem.id.in_(
                    {i for s in before.values() for i in s["links"]}
                    | {
                        i
                        for item in review.items
                        if item.kind == "strategy"
                        for i in item.values.get("links", [])
                    }
                )
            )
        )
    }

    def shown(values: dict) -> dict:
        return {
            "number": values["number"],
            "name": values["name"],
            "tactics": "; ".join(f"{t['number']} {t['name']}" for t in values["tactics"]),
            "links": ", ".join(names.get(i, str(i)) for i in values["links"]),
        }

    compared = []
    for item in review.items:
        if item.kind != "strategy":
            continue
        old = before.get(item.strategy_id) if item.strategy_id else None
        tactics = {t["number"]: t for t in (old or {}).get("tactics", [])}
        tactics.update({t["number"]: t for t in item.values.get("tactics", [])})
        new = {
            "number": item.values["number"],
            "name": item.values["name"],
            "tactics": [tactics[n] for n in sorted(tactics)],
            "links": item.values.get("links", (old or {}).get("links", [])),
        }
        old_shown, new_shown = (shown(old) if old else None), shown(new)
        changed = [n for n in STRATEGY_FIELDS if old_shown is None or old_shown[n] != new_shown[n]]
        if old_shown is None:
            changed = [n for n in changed if new_shown[n] not in ("", None)]
        compared.append(ComparedStrategy(item.kind, item.reason, old_shown, new_shown, changed))
    compared.sort(key=lambda c: c.new["number"])
    return compared


def _compared_projects(review: PlanReview) -> list[revisions.ComparedProject]:
    items = [item for item in review.items if item.kind != "strategy"]
    compared = []
    if review.status == "announced" and review.result_version:
        new_records = {
            r.project_no: r
            for r in db.session.scalars(
                select(ProjectRecord).where(
                    ProjectRecord.plan_id == review.plan_id, ProjectRecord.valid_from == review.result_version
                )
            )
        }
        old_records = {
            r.project_no: r
            for r in db.session.scalars(
                select(ProjectRecord).where(
                    ProjectRecord.plan_id == review.plan_id,
                    valid_at_clause(review.base_version),
                    ProjectRecord.project_no.in_(list(new_records)),
                )
            )
        }
        added = iter(sorted(set(new_records) - set(old_records)))
        for item in items:
            number = item.project_no if item.kind != "addition" else next(added)
            if number is None:  # only an addition comes without its project's number
                raise ValueError(f"review item #{item.id} ({item.kind}) names no project")
            old = record_values(old_records[number]) if number in old_records else None
            compared.append(revisions.compare_project(number, item, old, record_values(new_records[number])))
    else:
        current = {r.project_no: r for r in current_records(review.plan_id)}
        for item in items:
            old = record_values(current[item.project_no]) if item.project_no in current else None
            compared.append(
                revisions.compare_project(item.project_no, item, old, {**(old or {}), **item.values})
            )
    compared.sort(key=lambda c: (c.project_no is None, c.project_no or 0))
    revisions.describe_values([values for c in compared for values in (c.old, c.new) if values])
    return compared

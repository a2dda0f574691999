"""A plan's own strategies and tactics, and their links to the catalogues (ยท.01).

The LAO's planners and support-committee secretaries write them while the plan is being drafted
(the support committee drafts, ข้อ 17); afterwards they change only through a revision. Each use
case locks the plan row (so the workflow cannot move it out of drafting meanwhile), writes one
audit event on the plan's content chain ``plan-content:<plan id>`` and commits once, or changes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from eplan_flow import text
from eplan_flow.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import CATALOGUES, CatalogueItem, LaoStrategy, Plan, PlanVersion, Tactic
from eplan_flow.permissions import PLAN_CONTENT_ROLES, can_edit_plan_content
from eplan_flow.services.directory.catalogues import LINK_CATALOGUES
from eplan_flow.services.planning import plans
from eplan_flow.services.platform import audit
from eplan_flow.services.platform.unit_of_work import assign, transaction

EDITOR_ROLES = PLAN_CONTENT_ROLES
EDITABLE_STATES = ("drafting",)
NAME_MAX = 500


class PlanNotEditable(DomainError):
    """The plan has left drafting: its strategies change only through a revision."""

    code = "plan_not_editable"
    status = 409


# Strategy edits share the audit chain of the plan's other content (its projects).
content_chain = plans.content_chain


def may_edit(user, plan: Plan) -> bool:
    """Whether ``user`` is one of the plan's LAO's planners or support secretaries."""
    return can_edit_plan_content(user, plan.organisation)


def is_editable(plan: Plan) -> bool:
    """Whether the plan's strategies may still be edited directly (it is being drafted)."""
    return plan.status in EDITABLE_STATES


# -- reading -------------------------------------------------------------------------------------
def strategies_of(plan: Plan) -> list[LaoStrategy]:
    """The plan's strategies by number, with their tactics and links."""
    return list(
        db.session.scalars(
            select(LaoStrategy)
            .where(LaoStrategy.plan_id == plan.id)
            .options(selectinload(LaoStrategy.tactics), selectinload(LaoStrategy.links))
            .order_by(LaoStrategy.number)
        )
    )


def strategy_of(plan: Plan, strategy_id: int) -> LaoStrategy:
    """One of ``plan``'s strategies, or NotFound (another plan's strategy is not this plan's)."""
    strategy = db.session.get(LaoStrategy, strategy_id)
    if strategy is None or strategy.plan_id != plan.id:
        raise NotFound(f"strategy #{strategy_id} not found", id=strategy_id)
    return strategy


@dataclass(frozen=True)
class TacticAt:
    """A tactic as it stood at a plan version."""

    id: int
    number: int
    name: str


@dataclass(frozen=True)
class StrategyAt:
    """A strategy as it stood at a plan version: its number, name, tactics and links.

    Older versions read it from the snapshot a later review kept (``PlanVersion.strategy_snapshot``),
    the version in force from the plan's rows; the forms read both alike.
    """

    id: int
    number: int
    name: str
    tactics: tuple[TacticAt, ...] = ()
    links: tuple[CatalogueItem, ...] = ()

    def tactic(self, tactic_id: int | None) -> TacticAt | None:
        return next((t for t in self.tactics if t.id == tactic_id), None)


def kept_snapshot(plan: Plan, version: int) -> list[dict] | None:
    """The strategies a review kept for an older ``version`` of ``plan``; None when the plan's rows
    still read as they stood then (the version in force, or no review has changed them since).

    A review keeps them in its base version's row only when it changes strategies, so a version
    without a snapshot of its own reads the next later one that has one: nothing changed between.
    """
    if version >= plan.current_version:
        return None
    kept = db.session.execute(
        select(PlanVersion.number, PlanVersion.strategy_snapshot)
        .where(PlanVersion.plan_id == plan.id, PlanVersion.number >= version)
        .order_by(PlanVersion.number)
    ).all()
    # A JSON null reads as None too.
    return next((snapshot for _, snapshot in kept if snapshot is not None), None)


def _from_row(strategy: LaoStrategy) -> StrategyAt:
    return StrategyAt(
        strategy.id,
        strategy.number,
        strategy.name,
        tuple(TacticAt(t.id, t.number, t.name) for t in strategy.tactics),
        tuple(strategy.links),
    )


def _from_snapshot(snapshot: list[dict]) -> list[StrategyAt]:
    ids = {int(i) for s in snapshot for i in s.get("links", ())}
    items = (
        {i.id: i for i in db.session.scalars(select(CatalogueItem).where(CatalogueItem.id.in_(ids)))}
        if ids
        else {}
    )
    strategies = [
        StrategyAt(
            s["id"],
            s["number"],
            s["name"],
            tuple(
                TacticAt(t["id"], t["number"], t["name"])
                for t in sorted(s.get("tactics", ()), key=lambda t: t["number"])
            ),
            tuple(items[int(i)] for i in s.get("links", ()) if int(i) in items),
        )
        for s in snapshot
    ]
    return sorted(strategies, key=lambda s: s.number)


def kept_strategies(plan: Plan, version: int) -> list[StrategyAt] | None:
    """The strategies of an older ``version`` as a review kept them; None when the plan's rows
    still read as they stood (no query for the version in force)."""
    snapshot = kept_snapshot(plan, version)
    return None if snapshot is None else _from_snapshot(snapshot)


def strategies_as_of(plan: Plan, version: int | None = None) -> list[StrategyAt]:
    """The plan's strategies, tactics and links as they stood at ``version`` (default: in force)."""
    kept = None if version is None else kept_strategies(plan, version)
    return kept if kept is not None else [_from_row(s) for s in strategies_of(plan)]


@dataclass
class LinkageRow:
    """One line of the ยท.01: a LAO strategy and what it links to, per catalogue."""

    strategy: StrategyAt
    links: dict[str, list[CatalogueItem]]


def linkage_table(plan: Plan, version: int | None = None) -> list[LinkageRow]:
    """The ยท.01 rows of ``plan`` at ``version`` (default: in force): each strategy with its links
    grouped by catalogue, in order, as they stood then."""
    rows = []
    for strategy in strategies_as_of(plan, version):
        grouped: dict[str, list[CatalogueItem]] = {c: [] for c in LINK_CATALOGUES}
        for item in sorted(strategy.links, key=lambda i: (i.position, i.code)):
            grouped.setdefault(item.catalogue, []).append(item)
        rows.append(LinkageRow(strategy, grouped))
    return rows


# -- writing -------------------------------------------------------------------------------------
def create_strategy(actor, plan_id: int, *, number: int, name: str) -> LaoStrategy:
    """Add a strategy to a drafting plan of the actor's LAO."""
    number, name = _checked_number(number), _checked_name(name)
    with transaction(conflict=_number_taken):
        plan = _editable_plan(actor, plan_id)
        _number_free(LaoStrategy, LaoStrategy.plan_id == plan.id, number)
        strategy = LaoStrategy(plan_id=plan.id, number=number, name=name)
        db.session.add(strategy)
        db.session.flush()
        _audit(plan, actor, "strategy_created", {"strategy_id": strategy.id, "number": number, "name": name})
    return strategy


def update_strategy(actor, plan_id: int, strategy_id: int, *, number: int, name: str) -> LaoStrategy:
    """Rename or renumber a strategy of a drafting plan."""
    number, name = _checked_number(number), _checked_name(name)
    with transaction(conflict=_number_taken):
        plan = _editable_plan(actor, plan_id)
        strategy = strategy_of(plan, strategy_id)
        if number != strategy.number:
            _number_free(LaoStrategy, LaoStrategy.plan_id == plan.id, number)
        changed = _assign(strategy, number=number, name=name)
        if changed:
            _audit(plan, actor, "strategy_updated", {"strategy_id": strategy.id, **changed})
    return strategy


def set_strategy_links(actor, plan_id: int, strategy_id: int, item_ids: Iterable[int]) -> LaoStrategy:
    """Link a strategy to exactly ``item_ids``: national catalogue items and its province's own."""
    wanted = {int(i) for i in item_ids}
    with transaction(conflict=_number_taken):
        plan = _editable_plan(actor, plan_id)
        strategy = strategy_of(plan, strategy_id)
        items = list(db.session.scalars(select(CatalogueItem).where(CatalogueItem.id.in_(wanted))))
        province = plan.organisation.province_code
        allowed = [
            i
            for i in items
            if i.catalogue in LINK_CATALOGUES
            and i.is_active
            and i.serves_period(plan.period_start_be)
            and (
                i.scope == "" if CATALOGUES[i.catalogue] == "national" else (province and i.scope == province)
            )
        ]
        if len(allowed) != len(wanted):
            raise InvalidInput(
                "a link must be an active national catalogue item or one of your province's own",
                field="links",
            )
        before = {i.id: i for i in strategy.links}
        added = [i for i in allowed if i.id not in before]
        removed = [i for i_id, i in before.items() if i_id not in wanted]
        if added or removed:
            strategy.links = sorted(allowed, key=lambda i: (i.catalogue, i.position))
            _audit(
                plan,
                actor,
                "strategy_links_set",
                {
                    "strategy_id": strategy.id,
                    "added": [_ref(i) for i in added],
                    "removed": [_ref(i) for i in removed],
                },
            )
    return strategy


def create_tactic(actor, plan_id: int, strategy_id: int, *, number: int, name: str) -> Tactic:
    """Add a tactic (กลยุทธ์) under a strategy of a drafting plan."""
    number, name = _checked_number(number), _checked_name(name)
    with transaction(conflict=_number_taken):
        plan = _editable_plan(actor, plan_id)
        strategy = strategy_of(plan, strategy_id)
        _number_free(Tactic, Tactic.strategy_id == strategy.id, number)
        tactic = Tactic(strategy_id=strategy.id, number=number, name=name)
        db.session.add(tactic)
        db.session.flush()
        _audit(
            plan,
            actor,
            "tactic_created",
            {
                "strategy_id": strategy.id,
                "tactic_id": tactic.id,
                "number": number,
                "name": name,
            },
        )
    return tactic


def update_tactic(actor, plan_id: int, tactic_id: int, *, number: int, name: str) -> Tactic:
    """Rename or renumber a tactic of a drafting plan."""
    number, name = _checked_number(number), _checked_name(name)
    with transaction(conflict=_number_taken):
        plan = _editable_plan(actor, plan_id)
        tactic = db.session.get(Tactic, tactic_id)
        if tactic is None or tactic.strategy.plan_id != plan.id:
            raise NotFound(f"tactic #{tactic_id} not found", id=tactic_id)
        if number != tactic.number:
            _number_free(Tactic, Tactic.strategy_id == tactic.strategy_id, number)
        changed = _assign(tactic, number=number, name=name)
        if changed:
            _audit(plan, actor, "tactic_updated", {"tactic_id": tactic.id, **changed})
    return tactic


# -- helpers -------------------------------------------------------------------------------------
def _editable_plan(actor, plan_id: int) -> Plan:
    # The row lock serialises these edits with the workflow: nobody submits the plan halfway.
    plan = plans.get_plan(actor, plan_id, lock=True)
    if not may_edit(actor, plan):
        raise PermissionDenied(
            "Only the LAO's planners and support-committee secretaries edit its strategies."
        )
    if not is_editable(plan):
        raise PlanNotEditable(
            "The plan's strategies can be changed only while the plan is being drafted; "
            "after that, through a revision.",
            status=plan.status,
        )
    return plan


def _checked_number(number: Any) -> int:
    if isinstance(number, bool) or not isinstance(number, int) or number < 1 or number > 999:
        raise InvalidInput("the number must be a whole number from 1 to 999", field="number")
    return number


def _checked_name(name: Any) -> str:
    return text.clean_text(name, field="name", max_length=NAME_MAX, required=True)


def _number_free(model, within, number: int) -> None:
    taken = db.session.scalar(select(model).where(within, model.number == number))
    if taken is not None:
        raise InvalidInput(f"number {number} is already used by “{taken.name}”", field="number")


def _assign(row, **values) -> dict:
    return assign(row, values)


def _ref(item: CatalogueItem) -> dict:
    return {"id": item.id, "catalogue": item.catalogue, "scope": item.scope, "code": item.code}


def _audit(plan: Plan, actor, action: str, data: dict) -> None:
    audit.append(content_chain(plan.id), action, actor=actor, organisation_id=plan.organisation_id, data=data)


def _number_taken(exc: IntegrityError) -> InvalidInput:
    # Two people taking the same number at once: the unique constraint catches the second.
    return InvalidInput("this number was just taken; reload and choose another", field="number")


__all__ = [
    "EDITOR_ROLES",
    "LinkageRow",
    "PlanNotEditable",
    "StrategyAt",
    "TacticAt",
    "content_chain",
    "create_strategy",
    "create_tactic",
    "is_editable",
    "kept_snapshot",
    "kept_strategies",
    "linkage_table",
    "may_edit",
    "set_strategy_links",
    "strategies_as_of",
    "strategies_of",
    "strategy_of",
    "update_strategy",
    "update_tactic",
]

"""The plan's printed forms as data: ผ.01 / ผ.01/1 summaries and the ผ.02 / ผ.02/1 / ผ.02/2 / ผ.03 lists.

The ผ.01 figures come from one aggregate query (``p01_summary``); Python only arranges its rows.
An older version's forms name its strategies and tactics as they stood in that version
(``p01_of``, ``p02_of``: the snapshot a later review kept), the version in force its live rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from eplan_flow.extensions import db
from eplan_flow.models import (
    PLAN_YEARS,
    CatalogueItem,
    LaoStrategy,
    Plan,
    ProjectRecord,
    Revision,
    Tactic,
)
from eplan_flow.services.planning.projects import valid_at_clause
from eplan_flow.services.planning.strategies import StrategyAt, TacticAt, kept_strategies
from workflows import counting
from workflows.counting import COUNTING

ZERO = Decimal("0.00")
# Which project sources each summary form counts, and in which parts (rule data: workflows/counting.py).
P01_FORMS = {form: counting.summary_parts(form) for form in COUNTING["summaries"]}
# ผ.02 list forms by project source.
P02_FORMS = dict(COUNTING["kinds"])


@dataclass
class Figures:
    """Per plan year: how many projects have a budget that year and how much; plus the 5-year totals.

    As on the printed form, the 5-year project count adds up the yearly counts.
    """

    counts: list[int] = field(default_factory=lambda: [0] * PLAN_YEARS)
    budgets: list[Decimal] = field(default_factory=lambda: [ZERO] * PLAN_YEARS)
    projects: int = 0  # distinct projects

    @property
    def total_count(self) -> int:
        return sum(self.counts)

    @property
    def total_budget(self) -> Decimal:
        return sum(self.budgets, ZERO)

    def add(self, other: Figures) -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts)]
        self.budgets = [a + b for a, b in zip(self.budgets, other.budgets)]
        self.projects += other.projects


@dataclass
class P01Row:
    programme_id: int
    programme_code: str
    programme_name: str
    figures: Figures


@dataclass
class P01Section:
    strategy_id: int
    strategy_number: int
    strategy_name: str
    rows: list[P01Row] = field(default_factory=list)
    subtotal: Figures = field(default_factory=Figures)


@dataclass
class P01Part:
    """One sub-table of a summary form (the LAO's own projects, ผ.02/2, ผ.03), with its totals."""

    part: str
    kinds: tuple[str, ...]
    sections: list[P01Section] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)


@dataclass
class P01Report:
    form: str
    parts: list[P01Part] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)  # every part together

    def part(self, name: str) -> P01Part:
        return next(p for p in self.parts if p.part == name)


def _p01_query():
    pr = ProjectRecord
    per_year = []
    for i in range(1, PLAN_YEARS + 1):
        column = getattr(pr, f"budget_{i}")
        per_year.append(func.count(case((column > 0, 1))).label(f"count_{i}"))
        per_year.append(func.coalesce(func.sum(column), 0).label(f"sum_{i}"))
    return (
        select(
            pr.source,
            LaoStrategy.id.label("strategy_id"),
            LaoStrategy.number.label("strategy_number"),
            LaoStrategy.name.label("strategy_name"),
            CatalogueItem.id.label("programme_id"),
            CatalogueItem.code.label("programme_code"),
            CatalogueItem.name_th.label("programme_name"),
            CatalogueItem.position.label("programme_position"),
            func.count().label("projects"),
            *per_year,
        )
        .join(LaoStrategy, LaoStrategy.id == pr.strategy_id)
        .join(CatalogueItem, CatalogueItem.id == pr.programme_id)
        .group_by(
            pr.source,
            LaoStrategy.id,
            LaoStrategy.number,
            LaoStrategy.name,
            CatalogueItem.id,
            CatalogueItem.code,
            CatalogueItem.name_th,
            CatalogueItem.position,
        )
        .order_by(LaoStrategy.number, CatalogueItem.position, CatalogueItem.code, pr.source)
    )


def p01_rows(plan_id: int, version: int) -> list:
    """The aggregate rows (one per source, strategy and แผนงาน) of plan version ``version``: ONE query."""
    query = _p01_query().where(ProjectRecord.plan_id == plan_id, valid_at_clause(version))
    return list(db.session.execute(query))


def p01_summary(
    plan_id: int, version: int, strategies: Sequence[StrategyAt] | None = None
) -> dict[str, P01Report]:
    """The ผ.01 and ผ.01/1 summaries of plan version ``version``, keyed "p01" and "p01_1", each in its
    parts (the LAO's own projects, those asked of others, equipment) with their totals.

    ``strategies``: the strategies as they stood at ``version`` when they no longer read so from the
    plan's rows (``strategies.kept_strategies``); sections take their numbers and names from them.
    """
    then = {s.id: s for s in strategies or ()}
    reports = {
        form: P01Report(form, [P01Part(p["part"], tuple(p["kinds"])) for p in parts])
        for form, parts in P01_FORMS.items()
    }
    part_of = {kind: (form, part) for form, r in reports.items() for part in r.parts for kind in part.kinds}
    sections: dict[tuple[str, str, int], P01Section] = {}
    rows: dict[tuple[str, str, int, int], P01Row] = {}
    for row in p01_rows(plan_id, version):
        if row.source not in part_of:
            continue
        form, part = part_of[row.source]
        figures = Figures(
            counts=[getattr(row, f"count_{i}") for i in range(1, PLAN_YEARS + 1)],
            budgets=[Decimal(getattr(row, f"sum_{i}")) for i in range(1, PLAN_YEARS + 1)],
            projects=row.projects,
        )
        section = sections.get((form, part.part, row.strategy_id))
        if section is None:
            stood = then.get(row.strategy_id)
            section = sections[(form, part.part, row.strategy_id)] = P01Section(
                row.strategy_id,
                stood.number if stood else row.strategy_number,
                stood.name if stood else row.strategy_name,
            )
            part.sections.append(section)
        line = rows.get((form, part.part, row.strategy_id, row.programme_id))
        if line is None:
            # Several sources of one part share a แผนงาน line.
            line = rows[(form, part.part, row.strategy_id, row.programme_id)] = P01Row(
                row.programme_id, row.programme_code, row.programme_name, Figures()
            )
            section.rows.append(line)
        line.figures.add(figures)
        section.subtotal.add(figures)
        part.total.add(figures)
        reports[form].total.add(figures)
    if then:
        # The query orders sections by the strategies' numbers now; the version's own may differ.
        for report in reports.values():
            for part in report.parts:
                part.sections.sort(key=lambda s: s.strategy_number)
    return reports


def p01_of(plan: Plan, version: int) -> dict[str, P01Report]:
    """The ผ.01 and ผ.01/1 of ``plan`` at ``version``, naming the strategies as they stood then."""
    return p01_summary(plan.id, version, kept_strategies(plan, version))


@dataclass
class P02Group:
    strategy: LaoStrategy | StrategyAt
    tactic: object  # Tactic | TacticAt | None
    programme: CatalogueItem
    records: list[ProjectRecord] = field(default_factory=list)
    total: list[Decimal] = field(default_factory=lambda: [ZERO] * PLAN_YEARS)


def p02_list(
    plan_id: int, version: int, source: str, strategies: Sequence[StrategyAt] | None = None
) -> list[P02Group]:
    """The projects of one source at plan version ``version``, grouped by strategy, tactic and แผนงาน.

    ``strategies``: the strategies as they stood at ``version`` when they no longer read so from the
    plan's rows (``strategies.kept_strategies``); groups are headed and ordered by them.
    """
    then = {s.id: s for s in strategies or ()}
    records = db.session.scalars(
        select(ProjectRecord)
        .where(ProjectRecord.plan_id == plan_id, ProjectRecord.source == source, valid_at_clause(version))
        .options(
            joinedload(ProjectRecord.strategy),
            joinedload(ProjectRecord.tactic),
            joinedload(ProjectRecord.programme),
            selectinload(ProjectRecord.links),
        )
    ).all()

    def heads(record: ProjectRecord) -> tuple[LaoStrategy | StrategyAt, Tactic | TacticAt | None]:
        stood = then.get(record.strategy_id)
        if stood is None:
            return record.strategy, record.tactic
        return stood, stood.tactic(record.tactic_id) or record.tactic

    def order(record: ProjectRecord):
        strategy, tactic = heads(record)
        return (
            strategy.number,
            tactic.number if tactic else 0,
            record.programme.position,
            record.programme.code,
            record.project_no,
        )

    groups: dict[tuple, P02Group] = {}
    for record in sorted(records, key=order):
        key = (record.strategy_id, record.tactic_id, record.programme_id)
        group = groups.get(key)
        if group is None:
            group = groups[key] = P02Group(*heads(record), record.programme)
        group.records.append(record)
        group.total = [a + b for a, b in zip(group.total, record.budgets)]
    return list(groups.values())


def p02_of(plan: Plan, version: int, source: str) -> list[P02Group]:
    """One ผ.02 list of ``plan`` at ``version``, naming the strategies and tactics as they stood then."""
    return p02_list(plan.id, version, source, kept_strategies(plan, version))


@dataclass
class HistoryEntry:
    record: ProjectRecord
    valid_from: int
    valid_to: int | None  # exclusive; None while current
    revision: Revision | None


def project_history(plan: Plan, project_no: int) -> list[HistoryEntry]:
    """Every record of one project across the plan's versions, oldest first, with the revision that
    wrote it."""
    records = db.session.scalars(
        select(ProjectRecord)
        .where(ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == project_no)
        .options(
            joinedload(ProjectRecord.strategy),
            joinedload(ProjectRecord.tactic),
            joinedload(ProjectRecord.programme),
            selectinload(ProjectRecord.links),
        )
        .order_by(ProjectRecord.valid_from, ProjectRecord.id)
    ).all()
    revision_ids = {r.revision_id for r in records if r.revision_id}
    revisions: dict[int | None, Revision] = (
        {r.id: r for r in db.session.scalars(select(Revision).where(Revision.id.in_(revision_ids)))}
        if revision_ids
        else {}
    )
    return [HistoryEntry(r, r.valid_from, r.valid_to, revisions.get(r.revision_id)) for r in records]

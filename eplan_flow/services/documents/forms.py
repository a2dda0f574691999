"""Each official form as a document: which template, with which data, on which paper.

The data come from the builders the HTML print views use (``reports.p01_summary``/``p02_list``,
``strategies.linkage_table``, ``revisions.comparison``, ``evaluation.report_figures``); this module
only adds what the paper form carries besides (the ผ.02's linkage preamble, the ยท.01's แผนงาน and
units, the heading's district) and checks that the actor may read the plan, revision or report
(another LAO's is NotFound, as on the pages).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from eplan_flow.errors import NotFound
from eplan_flow.extensions import db
from eplan_flow.glossary import P01_PART_LABELS, REVISION_KIND_NAMES
from eplan_flow.models import (
    PLAN_YEARS,
    ActionPlanItem,
    CatalogueItem,
    LaoStrategy,
    Organisation,
    Plan,
    PlanVersion,
    ProjectRecord,
    Tactic,
)
from eplan_flow.services.delivery import action_plans, evaluation
from eplan_flow.services.delivery import emenscr as emenscr_rows
from eplan_flow.services.directory.catalogues import LINK_CATALOGUES
from eplan_flow.services.documents import labels
from eplan_flow.services.oversight import emenscr as emenscr_scope
from eplan_flow.services.oversight.status import Filters
from eplan_flow.services.planning import plans, reports, revisions, strategies
from eplan_flow.services.planning.projects import current_records, record_values, valid_at_clause
from eplan_flow.thaidate import MONTHS_EN, MONTHS_TH_SHORT
from workflows.deadlines import evaluation_round_label

# The forms a plan prints, by the name its address uses, with their code on the paper.
PLAN_FORMS = {"yt01": "ยท.01", "p01": "ผ.01", "p01_1": "ผ.01/1", "p02": "ผ.02"}
# The forms an action plan prints (แผนการดำเนินงาน, ข้อ 26–27), by the name its address uses.
ACTION_PLAN_FORMS = {"pd01": "ผด.01", "pd02": "ผด.02"}
# Workbooks made by a job (their rows are too many to wait for): the eMENSCR export of an office's
# area, by the oversight filters (``year``, ``province``, ``district``, ``type``).
WORKBOOKS = ("emenscr",)
# Rows a document may hold and still be rendered while the person waits; longer ones are jobs.
# WeasyPrint lays out one to two A4 pages of a ผ.02 a second, 10 to 15 rows each (bench/bench_pdf.py).
STREAM_LIMIT = 120
# Rows of a ผ.02 table that fit an A4 landscape page, roughly (for the progress bar only).
ROWS_PER_PAGE = 12
# The ผ.02 preamble's lines (ก.–ง.; จ. is the LAO's own strategy), from the strategy's links.
PREAMBLE = (
    ("national_strategy", labels.PREAMBLE_LABELS["national_strategy"]),
    ("nesdp_milestone", labels.PREAMBLE_LABELS["nesdp_milestone"]),
    ("provincial_strategy", labels.PREAMBLE_LABELS["provincial_strategy"]),
    ("province_lao_strategy", labels.PREAMBLE_LABELS["province_lao_strategy"]),
)


@dataclass
class Document:
    """A form ready to render: its template and data, the file's name, the paper's orientation."""

    name: str
    template: str
    context: dict[str, Any]
    title: str
    landscape: bool = True
    rows: int = 0  # table rows: how long it is

    @property
    def expected_pages(self) -> int:
        return max(1, self.rows // ROWS_PER_PAGE)

    def html(self) -> str:
        """The page WeasyPrint lays out. Rendered by the template alone, without the context
        processors of the web pages: a job has no request and no signed-in person."""
        template = current_app.jinja_env.get_template(self.template)
        return template.render(landscape=self.landscape, **self.context)


@dataclass
class Heading:
    """What heads every page: the LAO, its district and its province, the plan's period."""

    form_code: str
    form_title: str
    lao: str
    lao_code: str
    district: str | None
    province: str | None
    period: str | None = None
    version_title: str | None = None


def heading(org: Organisation, form_code: str, form_title: str, plan: Plan | None = None, **extra) -> Heading:
    district = org.district.name_th if org.district else org.district_name_th
    return Heading(
        form_code=form_code,
        form_title=str(form_title),
        lao=org.display_name,
        lao_code=org.code,
        district=district,
        province=org.province.name_th if org.province else None,
        period=f"{plan.period_start_be}–{plan.period_end_be}" if plan else None,
        **extra,
    )


def plan_version(plan: Plan, asked: int | None) -> int:
    """The version asked for (default: the one in force; a plan never announced prints its draft)."""
    if plan.current_version == 0:
        if asked not in (None, 1):
            raise NotFound(f"plan #{plan.id} has no version {asked}", id=plan.id)
        return 1
    if asked is None:
        return plan.current_version
    if not 1 <= asked <= plan.current_version:
        raise NotFound(f"plan #{plan.id} has no version {asked}", id=plan.id)
    return asked


def _version_title(plan: Plan, version: int) -> str:
    if not plan.current_version:
        return str(labels.DRAFT)
    titles = revisions.version_titles(plan.id)
    if version in titles:
        return titles[version]
    return str(labels.AS_ANNOUNCED) if version == 1 else str(labels.VERSION) % {"n": version}


def _years(plan: Plan) -> list[int]:
    return list(range(plan.period_start_be, plan.period_start_be + PLAN_YEARS))


def _file_title(code: str, org: Organisation, suffix: str) -> str:
    return f"{code} {org.display_name} {suffix}".replace("/", "-")


# -- the plan's forms --------------------------------------------------------------------------------
@dataclass
class Yt01Row:
    """One line of the ยท.01: a LAO strategy, its links, and per แผนงาน the units that carry it."""

    strategy: Any
    links: dict[str, list[CatalogueItem]]
    programmes: list[tuple[str, str, list[str]]] = field(default_factory=list)  # name, lead, support


def _units(plan_id: int, version: int) -> dict[int, dict[int, Counter]]:
    """Per strategy and แผนงาน, how many projects each responsible unit carries (one query)."""
    rows = db.session.execute(
        select(
            ProjectRecord.strategy_id,
            ProjectRecord.programme_id,
            ProjectRecord.responsible_unit,
            func.count(),
        )
        .where(ProjectRecord.plan_id == plan_id, valid_at_clause(version))
        .group_by(ProjectRecord.strategy_id, ProjectRecord.programme_id, ProjectRecord.responsible_unit)
    )
    units: dict[int, dict[int, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for strategy_id, programme_id, unit, count in rows:
        units[strategy_id][programme_id][unit] += count
    return units


def yt01(actor, plan_id: int, version: int | None = None) -> Document:
    """The ยท.01: each strategy's links, its แผนงาน, and for each the lead unit (the one carrying
    most of its projects) and the supporting units (the others)."""
    plan = plans.get_plan(actor, plan_id)
    version = plan_version(plan, version)
    units = _units(plan.id, version)
    summary = reports.p01_of(plan, version)
    programmes: dict[int, dict[int, str]] = defaultdict(dict)  # strategy -> programme id -> name
    for report in summary.values():
        for part in report.parts:
            for section in part.sections:
                for line in section.rows:
                    programmes[section.strategy_id][line.programme_id] = line.programme_name
    rows = []
    for linkage in strategies.linkage_table(plan, version):
        row = Yt01Row(linkage.strategy, linkage.links)
        for programme_id, name in programmes[linkage.strategy.id].items():
            ranked = [unit for unit, _n in units[linkage.strategy.id][programme_id].most_common()]
            row.programmes.append((name, ranked[0] if ranked else "", sorted(ranked[1:])))
        rows.append(row)
    return Document(
        "yt01",
        "documents/yt01.html",
        {
            "heading": heading(
                plan.organisation,
                "ยท.01",
                labels.FORM_TITLES["yt01"],
                plan,
                version_title=_version_title(plan, version),
            ),
            "rows": rows,
            "columns": [c for c in LINK_CATALOGUES if c != "budget_programme"],
            "catalogue_labels": labels.CATALOGUE_LABELS,
        },
        _file_title("ยท.01", plan.organisation, f"{plan.period_start_be}-{plan.period_end_be}"),
        rows=len(rows),
    )


def p01(actor, plan_id: int, version: int | None = None, form: str = "p01") -> Document:
    """The ผ.01 (its parts: own projects, ผ.02/2, ผ.03, and their grand total) or the ผ.01/1."""
    plan = plans.get_plan(actor, plan_id)
    version = plan_version(plan, version)
    summary = reports.p01_of(plan, version)
    code = PLAN_FORMS[form]
    report = summary[form]
    return Document(
        form,
        "documents/p01.html",
        {
            "heading": heading(
                plan.organisation,
                code,
                labels.FORM_TITLES[form],
                plan,
                version_title=_version_title(plan, version),
            ),
            "report": report,
            "years": _years(plan),
            "part_labels": P01_PART_LABELS,
            "show_parts": form == "p01",
        },
        _file_title(code, plan.organisation, f"{plan.period_start_be}-{plan.period_end_be}"),
        rows=sum(len(s.rows) + 2 for p in report.parts for s in p.sections),
    )


def _preambles(plan: Plan, version: int | None = None) -> dict[int, list[tuple[str, list[CatalogueItem]]]]:
    """Per strategy, the ผ.02's linkage lines ก.–ง. as they stood at ``version`` (จ. is the strategy
    itself)."""
    return {
        row.strategy.id: [(str(label), row.links.get(catalogue, [])) for catalogue, label in PREAMBLE]
        for row in strategies.linkage_table(plan, version)
    }


def p02(actor, plan_id: int, version: int | None = None, source: str = "own") -> Document:
    """A ผ.02-family list (ผ.02, ผ.02/1, ผ.02/2) or the ผ.03, grouped as the page groups it, each
    strategy headed by its linkage preamble."""
    if source not in reports.P02_FORMS:
        raise NotFound(f"no list of {source!r} projects", source=source)
    plan = plans.get_plan(actor, plan_id)
    version = plan_version(plan, version)
    groups = reports.p02_of(plan, version, source)
    code = reports.P02_FORMS[source]
    title = labels.FORM_TITLES["p03" if source == "equipment" else "p02"]
    return Document(
        "p02",
        "documents/p02.html",
        {
            "heading": heading(
                plan.organisation, code, title, plan, version_title=_version_title(plan, version)
            ),
            "groups": groups,
            "years": _years(plan),
            "source": source,
            "preambles": _preambles(plan, version) if source != "equipment" else {},
        },
        _file_title(code, plan.organisation, f"{plan.period_start_be}-{plan.period_end_be}"),
        rows=sum(len(g.records) + 2 for g in groups),
    )


# -- a revision's own document -----------------------------------------------------------------------
def _summary_of(records: list[Any]) -> reports.P01Report:
    """A ผ.01 of just ``records`` (the projects a revision wrote), arranged as ``p01_summary`` does."""
    report = reports.P01Report(
        "p01", [reports.P01Part(p["part"], tuple(p["kinds"])) for p in reports.P01_FORMS["p01"]]
    )
    part_of = {kind: part for part in report.parts for kind in part.kinds}
    sections: dict[tuple[str, int], reports.P01Section] = {}
    lines: dict[tuple[str, int, int], reports.P01Row] = {}
    ordered = sorted(records, key=lambda r: (r.strategy.number, r.programme.position, r.programme.code))
    for record in ordered:
        part = part_of.get(record.source)
        if part is None:
            continue  # community projects go on the ผ.01/1
        budgets = list(record.budgets)
        figures = reports.Figures(
            counts=[1 if b > 0 else 0 for b in budgets], budgets=[Decimal(b) for b in budgets], projects=1
        )
        section = sections.get((part.part, record.strategy_id))
        if section is None:
            section = sections[(part.part, record.strategy_id)] = reports.P01Section(
                record.strategy_id, record.strategy.number, record.strategy.name
            )
            part.sections.append(section)
        line = lines.get((part.part, record.strategy_id, record.programme_id))
        if line is None:
            line = lines[(part.part, record.strategy_id, record.programme_id)] = reports.P01Row(
                record.programme_id, record.programme.code, record.programme.name_th, reports.Figures()
            )
            section.rows.append(line)
        line.figures.add(figures)
        section.subtotal.add(figures)
        part.total.add(figures)
        report.total.add(figures)
    return report


def _groups_of(records: list[Any], source: str) -> list[reports.P02Group]:
    """The records of one source grouped by strategy, tactic and แผนงาน, as ``p02_list`` groups them."""
    chosen = sorted(
        (r for r in records if r.source == source),
        key=lambda r: (
            r.strategy.number,
            r.tactic.number if r.tactic else 0,
            r.programme.position,
            r.programme.code,
            r.project_no,
        ),
    )
    groups: dict[tuple, reports.P02Group] = {}
    for record in chosen:
        key = (record.strategy_id, record.tactic_id, record.programme_id)
        group = groups.get(key)
        if group is None:
            group = groups[key] = reports.P02Group(record.strategy, record.tactic, record.programme)
        group.records.append(record)
        group.total = [a + b for a, b in zip(group.total, record.budgets)]
    return list(groups.values())


@dataclass
class ProposedProject:
    """A project as a draft revision would make it: the record in force with the item's values
    over it (or the item's values alone, for an addition), read like a ProjectRecord by the forms."""

    project_no: int
    source: str
    strategy_id: int
    tactic_id: int | None
    programme_id: int
    strategy: Any
    tactic: Any
    programme: CatalogueItem
    budgets: list[Decimal]
    name: str = ""
    objective: str = ""
    target: str = ""
    kpi: str | None = None
    expected_result: str | None = None
    responsible_unit: str = ""
    equipment_category: str | None = None
    equipment_type: str | None = None
    unit: str | None = None


def _proposed(revision_row) -> list[Any]:
    """The projects a draft revision adds, changes or corrects, as they would read once announced."""
    numbers = {item.project_no for item in revision_row.items if item.project_no}
    current = {r.project_no: r for r in current_records(revision_row.plan_id) if r.project_no in numbers}
    proposed: list[Any] = []
    for item in revision_row.items:
        old = current.get(item.project_no) if item.project_no else None
        values = {**(record_values(old) if old else {}), **item.values}
        strategy = db.session.get(LaoStrategy, values.get("strategy_id"))
        programme = db.session.get(CatalogueItem, values.get("programme_id"))
        if strategy is None or programme is None:
            continue  # an incomplete draft item: the comparison still shows it
        tactic = db.session.get(Tactic, values["tactic_id"]) if values.get("tactic_id") else None
        texts: dict[str, Any] = {name: values.get(name) for name in _TEXTS}
        proposed.append(
            ProposedProject(
                project_no=item.project_no or 0,
                source=values.get("source") or "own",
                strategy_id=strategy.id,
                tactic_id=tactic.id if tactic else None,
                programme_id=programme.id,
                strategy=strategy,
                tactic=tactic,
                programme=programme,
                budgets=[Decimal(values.get(f"budget_{i}") or 0) for i in range(1, PLAN_YEARS + 1)],
                **texts,
            )
        )
    return proposed


_TEXTS = (
    "name",
    "objective",
    "target",
    "kpi",
    "expected_result",
    "responsible_unit",
    "equipment_category",
    "equipment_type",
    "unit",
)


def revision(actor, revision_id: int) -> Document:
    """A revision's own document: the ผ.01 and ผ.02-family pages of the projects it adds, changes or
    corrects (once announced: the records it wrote; before: the values it proposes) and its old/new
    comparison table."""
    row, compared = revisions.comparison(actor, revision_id)
    plan = plans.get_plan(actor, row.plan_id)
    records: list[Any]
    if row.status == "announced":
        records = list(db.session.scalars(select(ProjectRecord).where(ProjectRecord.revision_id == row.id)))
    else:
        records = _proposed(row)
    lists = [(source, reports.P02_FORMS[source], _groups_of(records, source)) for source in reports.P02_FORMS]
    version = db.session.scalar(select(PlanVersion.number).where(PlanVersion.revision_id == row.id))
    return Document(
        "revision",
        "documents/revision.html",
        {
            "heading": heading(plan.organisation, "", row.title, plan, version_title=row.title),
            "revision": row,
            "plan": plan,
            "version": version,
            "summary": _summary_of(records) if records else None,
            "lists": [entry for entry in lists if entry[2]],
            "years": _years(plan),
            "part_labels": P01_PART_LABELS,
            "compared": compared,
            "kind_names": REVISION_KIND_NAMES,
            "field_labels": labels.FIELD_LABELS,
            "source_labels": labels.SOURCE_LABELS,
            "policy_basis_label": revisions.policy_basis_label(row),
            "preambles": _preambles(plan, version),
        },
        _file_title(row.title, plan.organisation, ""),
        rows=len(records) * 2 + sum(len(c.rows) for c in compared),
    )


# -- the evaluation report ---------------------------------------------------------------------------
def evaluation_report(actor, report_id: int, locale: str = "th") -> Document:
    """The monitoring and evaluation report with its figures (frozen once it went to the executive)."""
    report = evaluation.get_report(actor, report_id)
    figures = evaluation.report_figures(report)
    tables = [(key, labels.DIMENSION_TITLES[key], figures.table(key)) for key in figures.shown_tables()]
    return Document(
        "evaluation",
        "documents/evaluation.html",
        {
            "heading": heading(report.organisation, "", labels.FORM_TITLES["evaluation"]),
            "report": report,
            "figures": figures,
            "tables": tables,
            "round_label": evaluation_round_label(report.round, locale),
            "text_labels": labels.TEXT_LABELS,
            "locale": locale,
        },
        _file_title(
            labels.FILE_PREFIX_EVALUATION, report.organisation, f"{report.fiscal_year_be} {report.round}"
        ),
        landscape=False,
        rows=sum(len(t[2]) for t in tables) + len(figures.not_counted),
    )


# -- the action plan's forms (ผด.01, ผด.02) ---------------------------------------------------------
def _month_names(locale: str) -> list[str]:
    names = MONTHS_TH_SHORT if locale == "th" else tuple(m[:3] for m in MONTHS_EN)
    return [names[month - 1] for month in action_plans.month_labels()]


def _action_plan_file_title(code: str, row) -> str:
    return _file_title(code, row.organisation, str(row.fiscal_year_be))


def action_plan_form(actor, action_plan_id: int, form: str = "pd01", locale: str = "th") -> Document:
    """The action plan's ผด.01 (its projects and budget by strategy and แผนงาน, other agencies' apart)
    or ผด.02 (each project with its months of implementation), from the items as the pages show them."""
    if form not in ACTION_PLAN_FORMS:
        raise NotFound(f"no action plan form {form!r}", form=form)
    row = action_plans.get_action_plan(actor, action_plan_id)
    code = ACTION_PLAN_FORMS[form]
    summary = action_plans.summary(row)
    return Document(
        form,
        f"documents/{form}.html",
        {
            "heading": heading(
                row.organisation, code, labels.ACTION_PLAN_TITLES[form] % {"year": row.fiscal_year_be}
            ),
            "action_plan": row,
            "summary": summary,
            "months": _month_names(locale),
            "other_agency": labels.OTHER_AGENCY,
        },
        _action_plan_file_title(code, row),
        rows=len(summary.rows) if form == "pd01" else len(row.projects),
    )


def action_plan_size(actor, action_plan_id: int) -> int:
    """How many projects an action plan holds (one count, no rows loaded): whether its ผด.02 is
    rendered while the person waits or by a job. NotFound for a plan the actor may not read."""
    row = action_plans.get_action_plan(actor, action_plan_id)
    return (
        db.session.scalar(
            select(func.count()).select_from(ActionPlanItem).where(ActionPlanItem.action_plan_id == row.id)
        )
        or 0
    )


def build(actor, name: str, params: dict) -> Document:
    """The document ``name`` with ``params`` (as a job stores them), for ``actor``."""
    if name == "yt01":
        return yt01(actor, params["plan_id"], params.get("version"))
    if name in ("p01", "p01_1"):
        return p01(actor, params["plan_id"], params.get("version"), form=name)
    if name == "p02":
        return p02(actor, params["plan_id"], params.get("version"), params.get("source", "own"))
    if name == "revision":
        return revision(actor, params["revision_id"])
    if name == "evaluation":
        return evaluation_report(actor, params["report_id"])
    if name in ACTION_PLAN_FORMS:
        return action_plan_form(actor, params["action_plan_id"], name)
    raise NotFound(f"no document {name!r}", document=name)


def list_size(actor, plan_id: int, version: int | None, source: str) -> int:
    """How many projects a ผ.02-family list holds (one count, no rows loaded): whether it is
    rendered while the person waits or by a job. NotFound like ``p02``."""
    if source not in reports.P02_FORMS:
        raise NotFound(f"no list of {source!r} projects", source=source)
    plan = plans.get_plan(actor, plan_id)
    version = plan_version(plan, version)
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ProjectRecord)
            .where(ProjectRecord.plan_id == plan.id, ProjectRecord.source == source, valid_at_clause(version))
        )
        or 0
    )


def _emenscr_scope(actor, params: dict) -> emenscr_scope.Scope:
    """The area of an eMENSCR workbook: an office's own, or a province for DLA (a workbook holds at
    most about a million rows, so never the whole country: NotFound)."""
    scope = emenscr_scope.scope_for(actor, Filters.parse({key: str(value) for key, value in params.items()}))
    if scope.national:
        raise NotFound("the whole country comes as CSV, not as a workbook", document="emenscr")
    return scope


def build_workbook(actor, name: str, params: dict) -> bytes:
    """The workbook ``name`` (one of ``WORKBOOKS``) with ``params``, for ``actor``."""
    if name != "emenscr":
        raise NotFound(f"no workbook {name!r}", document=name)
    scope = _emenscr_scope(actor, params)
    year = scope.filters.fiscal_year_be
    return emenscr_rows.to_xlsx(emenscr_scope.each_project(actor, scope), year)


def describe(actor, name: str, params: dict) -> str:
    """The file name of document ``name`` with ``params``, once the actor is known to be able to
    read it (NotFound otherwise), without loading its rows: what a job is queued under."""
    if name == "emenscr":
        scope = _emenscr_scope(actor, params)
        return f"eMENSCR {scope.label} {scope.filters.fiscal_year_be}"
    if name in PLAN_FORMS:
        plan = plans.get_plan(actor, params["plan_id"])
        plan_version(plan, params.get("version"))
        code = PLAN_FORMS[name]
        if name == "p02":
            source = params.get("source", "own")
            if source not in reports.P02_FORMS:
                raise NotFound(f"no list of {source!r} projects", source=source)
            code = reports.P02_FORMS[source]
        return _file_title(code, plan.organisation, f"{plan.period_start_be}-{plan.period_end_be}")
    if name == "revision":
        row = revisions.get_revision(actor, params["revision_id"])
        return _file_title(row.title, row.organisation, "")
    if name == "evaluation":
        report = evaluation.get_report(actor, params["report_id"])
        return _file_title(
            labels.FILE_PREFIX_EVALUATION, report.organisation, f"{report.fiscal_year_be} {report.round}"
        )
    if name in ACTION_PLAN_FORMS:
        action_plan = action_plans.get_action_plan(actor, params["action_plan_id"])
        return _action_plan_file_title(ACTION_PLAN_FORMS[name], action_plan)
    raise NotFound(f"no document {name!r}", document=name)

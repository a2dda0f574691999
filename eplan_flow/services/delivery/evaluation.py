"""The monitoring and evaluation report (ข้อ 28–30): its figures, computed from the data, and its drafting.

The figures compare the plan version in force for the fiscal year with that year's project
executions: projects planned (a budget line that year), budgeted, completed (by
``execution.completion_status``, the one rule for "counted as completed", with the reason for every
project not counted), the ordinance budget and the disbursements dated within the round, per LAO
strategy and tactic, and per item of every link catalogue of the ยท.01 (National Strategy, master
plan, NESDP milestone, SDG, provincial strategy, LAO strategy in the province). They are recomputed
live while the report is drafted and frozen, as JSON (money as strings), when it goes to the
executive.

The tables come from ``services/delivery/breakdowns.py``, the query the oversight breakdowns and
their downloads read too: a project's link in a catalogue is its own (ผ.02 links), else its LAO
strategy's (ยท.01); a project linked to several items counts under each, so those tables may add
up to more than the totals. Text edits are audited on ``evaluation-content:<id>`` so the workflow
chain ``evaluation:<id>`` stays a walk of its definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from eplan_flow import text
from eplan_flow.errors import DomainError, GuardFailed, InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import (
    EVALUATION_ROUNDS,
    EvaluationReport,
    Organisation,
    Plan,
    PlanVersion,
    ProjectExecution,
    ProjectRecord,
)
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import PLAN_CONTENT_ROLES, can_edit_plan_content, can_read
from eplan_flow.services.delivery import breakdowns
from eplan_flow.services.delivery.breakdowns import Metrics
from eplan_flow.services.delivery.execution import completion_status
from eplan_flow.services.planning import duties
from eplan_flow.services.planning.projects import valid_at_clause
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.thaidate import BANGKOK, format_date, today_local
from workflows import counting
from workflows.deadlines import (
    evaluation_announce_deadline,
    evaluation_counts_from,
    evaluation_meets_yearly,
    evaluation_post_deadline,
    evaluation_posting_until,
    evaluation_round_period,
    evaluation_yearly_deadline,
)

ZERO = Decimal("0.00")
# What the report breaks the figures down by, besides the LAO's own strategies: every link
# catalogue of the ยท.01 and the LAO's tactics (services/delivery/breakdowns.py counts them all).
DIMENSIONS = (*breakdowns.CATALOGUE_DIMENSIONS, "tactic")
TEXT_FIELDS = ("method", "findings", "recommendations")
TEXT_LIMIT = 20000
YEAR_RANGE = (2500, 2700)
FIGURES_FORMAT = 2


class ReportExists(InvalidInput):
    """The LAO already has a report for that fiscal year and round."""

    code = "evaluation_report_exists"


class ReportNotDrafting(DomainError):
    """The report's text changes only while the committee drafts it."""

    code = "evaluation_report_not_drafting"
    status = 409


class ReportIncomplete(GuardFailed):
    """Submitting a report without its method, findings or recommendations."""

    code = "evaluation_report_incomplete"


class AnnouncementLate(GuardFailed):
    """Announcing later than the rules allow after the presentation to the council."""

    code = "evaluation_announcement_late"


class AnnouncementBeforePresentation(GuardFailed):
    """An announcement dated before the report was presented to the council."""

    code = "evaluation_announced_before_presentation"


# -- reading ---------------------------------------------------------------------------------------
def content_chain(report_id: int) -> str:
    return f"evaluation-content:{report_id}"


def may_draft(actor, org) -> bool:
    """Whether ``actor`` is one of the committee's secretaries for ``org`` (its planners and
    support-committee secretaries)."""
    return can_edit_plan_content(actor, org)


def _require_drafter(actor, org) -> None:
    if not may_draft(actor, org):
        raise PermissionDenied(
            "only the LAO's planners and support-committee secretaries draft the evaluation report",
            roles=sorted(PLAN_CONTENT_ROLES),
        )


def get_lao(actor, org_id: int) -> Organisation:
    """A LAO the actor may read, or NotFound (offices and other LAOs do not exist for them)."""
    org = db.session.get(Organisation, org_id)
    if org is None or org.kind != "lao" or not can_read(actor, org):
        raise NotFound(f"organisation #{org_id} not found", id=org_id)
    return org


def get_report(actor, report_id: int, *, lock: bool = False) -> EvaluationReport:
    """A report the actor may read, or NotFound."""
    return engine.get_instance("evaluation", report_id, actor, lock=lock)


def reports_of(actor, org_id: int) -> tuple[Organisation, list[EvaluationReport]]:
    """A LAO's reports, newest fiscal year first (October before April)."""
    org = get_lao(actor, org_id)
    reports = db.session.scalars(
        select(EvaluationReport)
        .where(EvaluationReport.organisation_id == org.id)
        .order_by(EvaluationReport.fiscal_year_be.desc(), EvaluationReport.round.desc())
    ).all()
    return org, list(reports)


def plan_for_year(org_id: int, fiscal_year_be: int) -> Plan | None:
    """The announced plan whose period holds ``fiscal_year_be``."""
    return db.session.scalar(
        select(Plan).where(
            Plan.organisation_id == org_id,
            Plan.period_start_be <= fiscal_year_be,
            Plan.period_end_be >= fiscal_year_be,
            Plan.current_version >= 1,
        )
    )


def version_in_force(plan: Plan, on: date) -> int:
    """The plan version in force at the end of ``on`` (Bangkok time); the first version if none was
    announced by then (a plan announced late still governs its own years)."""
    end = datetime.combine(on + timedelta(days=1), time(0), tzinfo=BANGKOK)
    number = db.session.scalar(
        select(func.max(PlanVersion.number)).where(
            PlanVersion.plan_id == plan.id, PlanVersion.announced_at < end
        )
    )
    return min(number or 1, max(plan.current_version, 1))


# -- figures ---------------------------------------------------------------------------------------
@dataclass
class ItemRow:
    """A row of a breakdown table: a LAO strategy, tactic or catalogue item, or the projects linked
    to none; ``key`` is its id for the drill-down (``breakdowns.drill_down``)."""

    code: str
    name: str
    name_en: str | None
    metrics: Metrics
    unlinked: bool = False
    key: int | None = None

    def to_json(self) -> dict:
        data: dict[str, object] = {"code": self.code, "name": self.name, "name_en": self.name_en}
        if self.unlinked:
            data["unlinked"] = True
        if self.key is not None:
            data["key"] = self.key
        return {**data, **self.metrics.to_json()}

    @classmethod
    def from_json(cls, data: dict) -> ItemRow:
        return cls(
            data["code"],
            data["name"],
            data.get("name_en"),
            Metrics.from_json(data),
            unlinked=bool(data.get("unlinked")),
            key=data.get("key"),
        )


@dataclass
class NotCountedProject:
    """A budgeted project not counted as completed, and why (in Thai once frozen)."""

    project_no: int
    name: str
    reason: str


@dataclass
class PlanInForce:
    id: int
    title: str
    version: int


@dataclass
class Figures:
    """The report's figures for a LAO, fiscal year and round; ``to_json`` is what is frozen."""

    organisation_id: int
    fiscal_year_be: int
    round: str
    period_from: date
    period_to: date
    computed_on: date
    plan: PlanInForce | None = None
    totals: Metrics = field(default_factory=Metrics)
    by_strategy: list[ItemRow] = field(default_factory=list)
    by_national_strategy: list[ItemRow] = field(default_factory=list)
    by_master_plan: list[ItemRow] = field(default_factory=list)
    by_sub_plan: list[ItemRow] = field(default_factory=list)  # empty while the catalogue has none
    by_nesdp_milestone: list[ItemRow] = field(default_factory=list)
    by_sdg: list[ItemRow] = field(default_factory=list)
    by_provincial_strategy: list[ItemRow] = field(default_factory=list)
    by_province_lao_strategy: list[ItemRow] = field(default_factory=list)
    by_tactic: list[ItemRow] = field(default_factory=list)
    not_counted: list[NotCountedProject] = field(default_factory=list)
    # Budgeted project numbers the plan version in force does not hold (counted in the totals only).
    outside_plan_version: list[int] = field(default_factory=list)
    format: int = FIGURES_FORMAT

    def table(self, key: str) -> list[ItemRow]:
        """The breakdown by ``"strategy"`` or by one of ``DIMENSIONS``."""
        if key != "strategy" and key not in DIMENSIONS:
            raise KeyError(key)
        return getattr(self, f"by_{key}")

    def shown_tables(self) -> tuple[str, ...]:
        """The tables a report shows: every breakdown, the sub-plans only where the catalogue had
        them when the figures were computed (frozen with the report)."""
        return tuple(
            key for key in ("strategy", *DIMENSIONS) if key not in breakdowns.WHERE_ITEMS or self.table(key)
        )

    def to_json(self) -> dict:
        """JSON-safe data (money as strings), as the report keeps it once submitted."""
        return {
            "format": self.format,
            "organisation_id": self.organisation_id,
            "fiscal_year_be": self.fiscal_year_be,
            "round": self.round,
            "period": {"from": self.period_from.isoformat(), "to": self.period_to.isoformat()},
            "computed_on": self.computed_on.isoformat(),
            "plan": None
            if self.plan is None
            else {
                "id": self.plan.id,
                "title": self.plan.title,
                "version": self.plan.version,
            },
            "totals": self.totals.to_json(),
            **{f"by_{key}": [row.to_json() for row in self.table(key)] for key in ("strategy", *DIMENSIONS)},
            "not_counted": [
                {"project_no": p.project_no, "name": p.name, "reason": p.reason} for p in self.not_counted
            ],
            "outside_plan_version": list(self.outside_plan_version),
        }

    @classmethod
    def from_json(cls, data: dict) -> Figures:
        """Figures as frozen on a report (``to_json``'s output)."""
        plan = data.get("plan")
        return cls(
            organisation_id=data["organisation_id"],
            fiscal_year_be=data["fiscal_year_be"],
            round=data["round"],
            period_from=date.fromisoformat(data["period"]["from"]),
            period_to=date.fromisoformat(data["period"]["to"]),
            computed_on=date.fromisoformat(data["computed_on"]),
            plan=PlanInForce(plan["id"], plan["title"], plan["version"]) if plan else None,
            totals=Metrics.from_json(data["totals"]),
            **{
                f"by_{key}": [ItemRow.from_json(row) for row in data.get(f"by_{key}", [])]
                for key in ("strategy", *DIMENSIONS)
            },
            not_counted=[NotCountedProject(**row) for row in data.get("not_counted", [])],
            outside_plan_version=list(data.get("outside_plan_version", [])),
            format=data.get("format", FIGURES_FORMAT),
        )


@dataclass
class _Tally:
    """The totals while the projects are counted, and the projects not counted as completed (the
    breakdown tables come from ``breakdowns.lines``, the query every breakdown page shares)."""

    totals: Metrics = field(default_factory=Metrics)
    not_counted: list[NotCountedProject] = field(default_factory=list)

    def add(self, record, project: Metrics) -> None:
        self.totals.add(project)


def _execution_facts(execution: ProjectExecution, start: date, end: date) -> tuple[Decimal, bool, str]:
    """Disbursed within the round, whether the project counts as completed by its end, and why not."""
    disbursed = sum((d.amount for d in execution.disbursements if start <= d.paid_on <= end), ZERO)
    counted, reason = completion_status(execution)
    contract_amount = execution.contract_amount
    if counted and contract_amount is not None:  # counted only with a contract, fully paid
        paid_by_end = sum((d.amount for d in execution.disbursements if d.paid_on <= end), ZERO)
        if paid_by_end < contract_amount:
            counted = False
            reason = _("Fully disbursed only after the round ended (%(date)s)", date=format_date(end))
    return disbursed, counted, reason


def _budgeted(execution: ProjectExecution, start: date, end: date) -> tuple[Metrics, str | None]:
    """A budgeted project's metrics in the round, and why it does not count as completed (None if it does)."""
    disbursed, counted, reason = _execution_facts(execution, start, end)
    metrics = Metrics(
        budgeted=1,
        budget=execution.budgeted_amount,
        disbursed=disbursed,
        completed=int(counted),
    )
    return metrics, None if counted else reason


def figures(org_id: int, fiscal_year_be: int, round: str) -> Figures:
    """The report's figures for a LAO, fiscal year and round, computed now from the data."""
    if round not in EVALUATION_ROUNDS:
        raise InvalidInput(f"{round!r} is not an evaluation round", field="round")
    start, end = evaluation_round_period(fiscal_year_be, round)
    result = Figures(org_id, fiscal_year_be, round, start, end, today_local())
    plan = plan_for_year(org_id, fiscal_year_be)
    if plan is None:
        return result
    version = version_in_force(plan, end)
    result.plan = PlanInForce(plan.id, plan.title, version)
    executions = _executions_of_year(plan.id, fiscal_year_be)
    tally = _Tally()
    for record in _records_in_force(plan, version, fiscal_year_be):
        _count_record(tally, record, executions.pop(record.project_no, None), start, end)
    result.outside_plan_version = _count_outside_version(tally, plan.id, executions, start, end)
    result.totals = tally.totals
    # The same query as the oversight breakdowns, for this LAO and the round, so the figures agree.
    shown = breakdowns.with_items(DIMENSIONS)
    lines = breakdowns.lines(
        [org_id], breakdowns.Period(fiscal_year_be, start, end), ("lao_strategy", *shown)
    )
    result.by_strategy = [_item_row(row) for row in breakdowns.strategy_rows(plan.id, lines["lao_strategy"])]
    for dimension in shown:
        setattr(
            result,
            f"by_{dimension}",
            [_item_row(row) for row in breakdowns.rows(dimension, lines[dimension])],
        )
    result.not_counted = sorted(tally.not_counted, key=lambda project: project.project_no)
    return result


def _records_in_force(plan: Plan, version: int, fiscal_year_be: int) -> list:
    """The plan version's project records, by number, each with its planned budget for the year."""
    budget_column = getattr(ProjectRecord, f"budget_{fiscal_year_be - plan.period_start_be + 1}")
    return list(
        db.session.execute(
            select(
                ProjectRecord.id,
                ProjectRecord.project_no,
                ProjectRecord.name,
                ProjectRecord.strategy_id,
                ProjectRecord.source,
                budget_column.label("planned_budget"),
            )
            .where(ProjectRecord.plan_id == plan.id, valid_at_clause(version))
            .order_by(ProjectRecord.project_no)
        ).all()
    )


def _executions_of_year(plan_id: int, fiscal_year_be: int) -> dict[int, ProjectExecution]:
    """The plan's executions of the fiscal year with their disbursements, by project number."""
    return {
        e.project_no: e
        for e in db.session.scalars(
            select(ProjectExecution)
            .where(ProjectExecution.plan_id == plan_id, ProjectExecution.fiscal_year_be == fiscal_year_be)
            .options(selectinload(ProjectExecution.disbursements))
        )
    }


def _count_record(tally: _Tally, record, execution: ProjectExecution | None, start: date, end: date) -> None:
    """Count a project of the version in force, if it is planned or budgeted for the year."""
    project, why_not = (Metrics(), None) if execution is None else _budgeted(execution, start, end)
    planned_budget = record.planned_budget or ZERO
    # A ผ.02/2 line is asked of another agency: not one the LAO planned (workflows/counting.py).
    if planned_budget > 0 and counting.counts_as_planned(record.source):
        project.planned, project.planned_budget = 1, planned_budget
    if why_not is not None:
        tally.not_counted.append(NotCountedProject(record.project_no, record.name, why_not))
    if project.planned or project.budgeted:  # else in the plan, but neither planned nor budgeted this year
        tally.add(record, project)


def _count_outside_version(
    tally: _Tally, plan_id: int, executions: dict[int, ProjectExecution], start: date, end: date
) -> list[int]:
    """Budgeted under a project number the version in force does not hold: in the totals, and named."""
    names = (
        dict(
            db.session.execute(
                select(ProjectRecord.project_no, ProjectRecord.name).where(
                    ProjectRecord.plan_id == plan_id,
                    ProjectRecord.project_no.in_(list(executions)),
                    ProjectRecord.valid_to.is_(None),
                )
            ).all()
        )
        if executions
        else {}
    )
    numbers = []
    for project_no, execution in sorted(executions.items()):
        project, why_not = _budgeted(execution, start, end)
        tally.totals.add(project)
        numbers.append(project_no)
        if why_not is not None:
            tally.not_counted.append(NotCountedProject(project_no, names.get(project_no, ""), why_not))
    return numbers


def _item_row(row: breakdowns.Row) -> ItemRow:
    return ItemRow(row.code, row.name, row.name_en, row.metrics, unlinked=row.unlinked, key=row.key)


def report_figures(report: EvaluationReport) -> Figures:
    """The figures as frozen on submission, or computed now while the report is drafted."""
    if report.figures is not None and report.status != "drafting":
        return Figures.from_json(report.figures)
    return figures(report.organisation_id, report.fiscal_year_be, report.round)


def rules_of(report: EvaluationReport) -> dict:
    """The deadline rules the report follows: those its workflow version names (version 1: the
    15 days from the presentation to the council; version 2: the 2561 amendment's)."""
    return duties.evaluation_rules(report.workflow_version)


def deadlines(report: EvaluationReport) -> dict:
    """The report's dates to respect: announcement (from the presentation to the council, or under
    the 2561 rules from the report to the executive), posting, and the yearly one."""
    rules = rules_of(report)
    spec = rules["evaluation"]
    from_executive = evaluation_counts_from(rules) == "executive"
    start = report.reported_on if from_executive else report.presented_on
    return {
        "announce_from": evaluation_counts_from(rules),
        "announce_by": evaluation_announce_deadline(start, rules) if start else None,
        "post_by": evaluation_post_deadline(start, rules) if from_executive and start else None,
        "posted_until": evaluation_posting_until(report.posted_on, rules) if report.posted_on else None,
        "posting_days": spec["posting_days"],
        "yearly_by": evaluation_yearly_deadline(report.fiscal_year_be, rules),
        "meets_yearly": evaluation_meets_yearly(report.round, rules),
        "announce_within_days": spec["announce_within_days"],
        "rules_version": rules["version"],
    }


def yearly_duty(actor, org_id: int, locale: str = "th") -> duties.YearlyEvaluation:
    """The LAO's yearly report duty for the last fiscal year ended: by when, and whether it is met."""
    org = get_lao(actor, org_id)
    today = today_local()
    return duties.yearly_evaluation(org.id, duties.yearly_fiscal_year(today), locale, today=today)


# -- use cases -------------------------------------------------------------------------------------
def parse_fiscal_year(raw) -> int:
    try:
        year = text.parse_int(raw, field="fiscal_year_be")
    except InvalidInput:
        year = None
    if year is None:
        raise InvalidInput("fiscal_year_be must be a Buddhist-Era year", field="fiscal_year_be")
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise InvalidInput(
            f"fiscal_year_be must be between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}", field="fiscal_year_be"
        )
    return year


def _report_exists(exc) -> ReportExists:
    return ReportExists("there is already a report for that fiscal year and round", field="round")


def create_report(actor, org_id: int, fiscal_year_be, round) -> EvaluationReport:
    """Open the committee's report for a LAO, fiscal year and round (one per round)."""
    with transaction(conflict=_report_exists):
        org = get_lao(actor, org_id)
        _require_drafter(actor, org)
        year = parse_fiscal_year(fiscal_year_be)
        if round not in EVALUATION_ROUNDS:
            raise InvalidInput(f"{round!r} is not an evaluation round", field="round")
        start, _ = evaluation_round_period(year, round)
        if start > today_local():
            raise InvalidInput(f"fiscal year {year} has not begun", field="fiscal_year_be")
        if (
            db.session.scalar(
                select(EvaluationReport.id).where(
                    EvaluationReport.organisation_id == org.id,
                    EvaluationReport.fiscal_year_be == year,
                    EvaluationReport.round == round,
                )
            )
            is not None
        ):
            raise ReportExists(f"there is already a {round} report for fiscal year {year}", field="round")
        plan = plan_for_year(org.id, year)
        report = EvaluationReport(
            organisation_id=org.id,
            plan_id=plan.id if plan else None,
            fiscal_year_be=year,
            round=round,
            created_by_id=actor.id,
        )
        engine.start(report, actor, data={"fiscal_year_be": year, "round": round})
    return report


def _clean_text(field: str, raw) -> str | None:
    return text.clean_text(raw, field=field, max_length=TEXT_LIMIT, multiline=True)


def update_text(actor, report_id: int, method=None, findings=None, recommendations=None) -> EvaluationReport:
    """Set the report's method, findings and recommendations while the committee drafts it."""
    with transaction():
        report = get_report(actor, report_id, lock=True)
        _require_drafter(actor, report.organisation)
        if report.status != "drafting":
            raise ReportNotDrafting("the report can be edited only while it is drafted", status=report.status)
        given = {"method": method, "findings": findings, "recommendations": recommendations}
        values = {name: _clean_text(name, raw) for name, raw in given.items()}
        changed = {
            name: [getattr(report, name), value]
            for name, value in values.items()
            if getattr(report, name) != value
        }
        if changed:
            # A content edit, not a workflow step: the workflow's version counter stays as it is.
            db.session.execute(
                update(EvaluationReport.__table__)
                .where(EvaluationReport.__table__.c.id == report.id)
                .values(**values, updated_at=utcnow())
            )
            audit.append(
                content_chain(report.id),
                "update_text",
                actor=actor,
                organisation_id=report.organisation_id,
                workflow="evaluation",
                workflow_version=report.workflow_version,
                data={"changed": sorted(changed)},
                chain_locked=True,
            )
    db.session.expire(report)
    return report


# -- entry actions -----------------------------------------------------------------------------------
@engine.entry_action
def freeze_figures(instance, actor, from_state, to_state, data) -> None:
    """The executive receives the report whole: its text written and its figures as they stand."""
    missing = [name for name in TEXT_FIELDS if not (getattr(instance, name) or "").strip()]
    if missing:
        raise ReportIncomplete(
            f"write the report's {', '.join(missing)} before submitting it",
            missing=missing,
        )
    # Frozen in Thai, the report's language, whichever language the person submitting it reads.
    with force_locale("th"):
        frozen = figures(instance.organisation_id, instance.fiscal_year_be, instance.round)
    instance.figures = frozen.to_json()


@engine.entry_action
def record_presentation(instance, actor, from_state, to_state, data) -> None:
    """The meeting's date is the day the report was presented: the 15 days count from it."""
    instance.presented_on = date.fromisoformat(data["meeting_date"])


@engine.entry_action
def record_report_to_executive(instance, actor, from_state, to_state, data) -> None:
    """The 2561 rules count the 15 days from the day the committee reports to the executive: the
    day the report is submitted to the executive here."""
    instance.reported_on = today_local()


@engine.entry_action
def require_timely_announcement(instance, actor, from_state, to_state, data) -> None:
    """Announce within the rules' days of the presentation to the council (version 1) or of the
    report to the executive (the 2561 rules), never before it."""
    rules = rules_of(instance)
    announced_on = date.fromisoformat(data["announced_on"])
    from_executive = evaluation_counts_from(rules) == "executive"
    start = (instance.reported_on if from_executive else None) or instance.presented_on
    if announced_on < start:
        raise AnnouncementBeforePresentation(
            f"the announcement ({announced_on.isoformat()}) cannot be dated before the "
            f"{'report to the executive' if from_executive else 'presentation'} ({start.isoformat()})",
            field="announced_on",
            presented_on=start.isoformat(),
        )
    deadline = evaluation_announce_deadline(start, rules)
    if announced_on > deadline:
        days = rules["evaluation"]["announce_within_days"]
        step = "report to the executive" if from_executive else "presentation"
        raise AnnouncementLate(
            f"the report had to be announced within {days} days of its {step} on "
            f"{start.isoformat()}, that is by {deadline.isoformat()} ({format_date(deadline)}); "
            f"{announced_on.isoformat()} is too late",
            field="announced_on",
            deadline=deadline.isoformat(),
            presented_on=start.isoformat(),
        )
    instance.announced_on = announced_on


@engine.entry_action
def record_posting(instance, actor, from_state, to_state, data) -> None:
    """The posting starts the day it is recorded here; it stays up at least the rules' 30 days."""
    instance.posted_on = today_local()


@engine.entry_action
def reopen(instance, actor, from_state, to_state, data) -> None:
    """A returned report is drafted again: figures recomputed live, to be presented anew."""
    instance.figures = None
    instance.presented_on = None
    instance.announced_on = None
    instance.reported_on = None
    instance.posted_on = None


__all__ = [
    "DIMENSIONS",
    "AnnouncementBeforePresentation",
    "AnnouncementLate",
    "Figures",
    "ItemRow",
    "Metrics",
    "NotCountedProject",
    "PlanInForce",
    "ReportExists",
    "ReportIncomplete",
    "ReportNotDrafting",
    "content_chain",
    "create_report",
    "deadlines",
    "figures",
    "get_lao",
    "get_report",
    "may_draft",
    "plan_for_year",
    "report_figures",
    "reports_of",
    "rules_of",
    "update_text",
    "version_in_force",
    "yearly_duty",
]

"""After announcing a plan or a revision: copies to the council, district and province, and posting.

What each announcement owes and by when is rule data (``workflows.deadlines.DEADLINES_V2``,
"announcement_duties"): nothing here is stored until a duty is done. An announced plan or revision
owes its duties from the moment it is announced (``Plan.announced_at``, ``Revision.announced_at``),
so no step of either workflow has to create them and the revision workflow keeps its own entry
actions. Announcements before the rules' ``effective_from`` day were tracked by version 1 (a plan's
submission only) and are not chased here. The LAO's planner or support-committee secretary records
the day a duty was done ("ส่งสำเนาแล้ว", "ปิดประกาศแล้ว"), once, with its audit event.

The action plan (แผนการดำเนินงาน, ข้อ 26–27, ``workflows.action_plan``) owes its announcement within 30 days
of the budget ordinance's and then its posting; they are read from the action plan's own row (the
ordinance's day is recorded when it is opened; ``announced_on``, ``posted_on`` by its workflow steps).
An LAO that has not opened its action plan has told the app no ordinance date, so it is not chased.

The monitoring and evaluation report owes its own (``DEADLINES_V3``, the 2561 amendment): a report of
the whole fiscal year reported to the executive by 31 December, its announcement within 15 days of
that and its posting; they are read from the report's own workflow steps (``reported_on``,
``announced_on``, ``posted_on``), and a report follows the rules of its workflow version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, or_, select

from eplan_flow import thaidate
from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import ActionPlan, AnnouncementDuty, EvaluationReport, Organisation, Plan, Revision
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import can_edit_plan_content, can_read
from eplan_flow.services.platform import audit
from eplan_flow.services.platform.unit_of_work import transaction
from workflows import REGISTRY, deadlines
from workflows import action_plan as action_plan_rules
from workflows.deadlines import DEADLINES_V2, EVALUATION_DEADLINES


@dataclass(frozen=True)
class Duty:
    """One thing an announcement owes, and whether (and when) it was done."""

    subject: str  # "plan" or "revision"
    subject_id: int
    plan_id: int
    organisation: Organisation
    title: str
    duty: str  # "copies" or "posting"
    label: str
    announced_on: date
    deadline: date
    done_on: date | None
    posted_until: date | None  # for a posting: the earliest day it may come down

    @property
    def done(self) -> bool:
        return self.done_on is not None

    @property
    def on_time(self) -> bool | None:
        return None if self.done_on is None else self.done_on <= self.deadline


def _effective_from(rules: dict) -> datetime:
    day = date.fromisoformat(rules["announcement_duties"]["effective_from"])
    return datetime.combine(day, time.min, tzinfo=thaidate.BANGKOK)


def _subject_title(subject: str, row) -> str:
    if subject == "plan":
        return row.title
    return f"{row.title} — {row.plan.title}" if getattr(row, "plan", None) else row.title


def _duties_of(subject: str, row, plan_id: int, done: dict, locale: str, rules: dict) -> list[Duty]:
    if row.announced_at is None or row.announced_at < _effective_from(rules):
        return []
    announced_on = thaidate.to_local(row.announced_at).date()
    out = []
    for duty in rules["announcement_duties"]["duties"][subject]:
        done_on = done.get((subject, row.id, duty))
        out.append(
            Duty(
                subject=subject,
                subject_id=row.id,
                plan_id=plan_id,
                organisation=row.organisation,
                title=_subject_title(subject, row),
                duty=duty,
                label=deadlines.duty_label(duty, locale, rules),
                announced_on=announced_on,
                deadline=deadlines.duty_deadline(duty, announced_on, rules),
                done_on=done_on,
                posted_until=deadlines.posted_until(done_on, rules)
                if duty == "posting" and done_on
                else None,
            )
        )
    return out


def _done(subject: str, ids: list[int]) -> dict[tuple[str, int, str], date]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(AnnouncementDuty).where(
            AnnouncementDuty.subject == subject, AnnouncementDuty.subject_id.in_(ids)
        )
    ).scalars()
    return {(r.subject, r.subject_id, r.duty): r.done_on for r in rows}


def _subject_row(actor, subject: str, subject_id: int) -> Plan | Revision:
    row: Plan | Revision | None = None
    if subject == "plan":
        row = db.session.get(Plan, subject_id)
    elif subject == "revision":
        row = db.session.get(Revision, subject_id)
    if row is None or not can_read(actor, row.organisation):
        raise NotFound(f"{subject} {subject_id} not found")
    return row


def _plan_id(row: Plan | Revision) -> int:
    return row.plan_id if isinstance(row, Revision) else row.id


def duties_for(
    actor, subject: str, subject_id: int, locale: str = "th", rules: dict = DEADLINES_V2
) -> list[Duty]:
    """The duties an announced plan or revision owes (none before it is announced)."""
    row = _subject_row(actor, subject, subject_id)
    plan_id = _plan_id(row)
    return _duties_of(subject, row, plan_id, _done(subject, [row.id]), locale, rules)


def record_duty(
    actor, subject: str, subject_id: int, duty: str, done_on: date, rules: dict = DEADLINES_V2
) -> AnnouncementDuty:
    """Record the day a duty of an announced plan or revision was done (once)."""
    with transaction():
        row = _subject_row(actor, subject, subject_id)
        if not can_edit_plan_content(actor, row.organisation):
            raise PermissionDenied("only the LAO's planning staff record what was done after announcing")
        owed = {d.duty: d for d in _duties_of(subject, row, 0, {}, "th", rules)}
        if duty not in owed:
            raise InvalidInput(f"{subject} {subject_id} owes no {duty}", field="duty", reason="not_owed")
        if done_on < owed[duty].announced_on:
            raise InvalidInput("done before the announcement", field="done_on", reason="before_announcement")
        if done_on > thaidate.today_local():
            raise InvalidInput("a day to come", field="done_on", reason="date_in_future")
        exists = db.session.scalar(
            select(AnnouncementDuty.id).where(
                AnnouncementDuty.subject == subject,
                AnnouncementDuty.subject_id == subject_id,
                AnnouncementDuty.duty == duty,
            )
        )
        if exists:
            raise InvalidInput(f"{duty} already recorded", field="duty", reason="already_recorded")
        plan_id = _plan_id(row)
        record = AnnouncementDuty(
            organisation_id=row.organisation_id,
            plan_id=plan_id,
            subject=subject,
            subject_id=subject_id,
            duty=duty,
            done_on=done_on,
            recorded_by_id=getattr(actor, "id", None),
            recorded_at=utcnow(),
        )
        db.session.add(record)
        db.session.flush()
        audit.append(
            f"{subject}:{subject_id}:announcement",
            "record_announcement_duty",
            actor=actor,
            organisation_id=row.organisation_id,
            data={"duty": duty, "done_on": done_on.isoformat(), "rules_version": rules["version"]},
        )
    return record


def pending_duties(scope, locale: str = "th", rules: dict = DEADLINES_V2) -> list[Duty]:
    """Duties not done yet of every announcement since the rules took effect, in LAOs ``scope`` selects."""
    since = _effective_from(rules)
    plans = (
        db.session.execute(
            select(Plan)
            .join(Plan.organisation)
            .where(
                Plan.announced_at.is_not(None),
                Plan.announced_at >= since,
                Organisation.is_active.is_(True),
                scope,
            )
        )
        .scalars()
        .all()
    )
    revisions = (
        db.session.execute(
            select(Revision)
            .join(Organisation, and_(Organisation.id == Revision.organisation_id))
            .where(
                Revision.announced_at.is_not(None),
                Revision.announced_at >= since,
                Organisation.is_active.is_(True),
                scope,
            )
        )
        .scalars()
        .all()
    )
    done = {**_done("plan", [p.id for p in plans]), **_done("revision", [r.id for r in revisions])}
    duties = [d for p in plans for d in _duties_of("plan", p, p.id, done, locale, rules)]
    duties += [d for r in revisions for d in _duties_of("revision", r, r.plan_id, done, locale, rules)]
    return [d for d in duties if not d.done]


# -- the monitoring and evaluation report (the 2561 amendment, ``DEADLINES_V3``) -------------------
# A report past drafting has reached the executive; one announced (or posted) is announced.
REPORTED_STATES = ("executive_review", "presented", "announced", "posted")
ANNOUNCED_REPORT_STATES = ("announced", "posted")


def evaluation_rules(workflow_version: int) -> dict:
    """The deadline rules a report on ``workflow_version`` of the evaluation workflow follows."""
    definition = REGISTRY.get("evaluation", workflow_version)
    return deadlines.rules_version(definition.rules.get("deadlines_version", 1))


def _meets_yearly_clause():
    """SQL: the report meets the yearly duty under the rules of its own workflow version. Version 1:
    any round, announced; version 2 (2561): a full-year round, reported to the executive."""
    clauses = []
    for definition in REGISTRY.versions("evaluation"):
        rules = evaluation_rules(definition.version)
        spec = rules["evaluation"]
        rounds = [r for r in spec["rounds"] if deadlines.evaluation_meets_yearly(r, rules)]
        states = REPORTED_STATES if spec.get("yearly_step") == "executive" else ANNOUNCED_REPORT_STATES
        clauses.append(
            and_(
                EvaluationReport.workflow_version == definition.version,
                EvaluationReport.round.in_(rounds),
                EvaluationReport.status.in_(states),
            )
        )
    return or_(*clauses)


@dataclass(frozen=True)
class YearlyEvaluation:
    """The yearly duty of a fiscal year's report: by when, and the report that met it (if any)."""

    fiscal_year_be: int
    deadline: date
    text: str
    met_by: EvaluationReport | None
    overdue: bool = False  # not met, and 31 December has passed

    @property
    def met(self) -> bool:
        return self.met_by is not None


def yearly_fiscal_year(today: date) -> int:
    """The fiscal year whose yearly report is due next or last: the last one ended."""
    return thaidate.fiscal_year(today) - 1


def yearly_evaluation(
    org_id: int,
    fiscal_year_be: int,
    locale: str = "th",
    rules: dict = EVALUATION_DEADLINES,
    today: date | None = None,
) -> YearlyEvaluation:
    """The yearly duty of ``org_id``'s report for ``fiscal_year_be`` and whether a report met it."""
    deadline = deadlines.evaluation_yearly_deadline(fiscal_year_be, rules)
    met_by = db.session.scalars(
        select(EvaluationReport)
        .where(
            EvaluationReport.organisation_id == org_id,
            EvaluationReport.fiscal_year_be == fiscal_year_be,
            _meets_yearly_clause(),
        )
        .order_by(EvaluationReport.id)
    ).first()
    text = deadlines.text(
        "evaluation_yearly_duty",
        locale,
        rules,
        year=fiscal_year_be,
        deadline=thaidate.format_date(deadline, locale),
    )
    late = met_by is None and deadline < (today or thaidate.today_local())
    return YearlyEvaluation(fiscal_year_be, deadline, text, met_by, late)


def laos_without_yearly_report(scope, fiscal_year_be: int) -> list[Organisation]:
    """Active LAOs in ``scope`` whose reports of ``fiscal_year_be`` meet no yearly duty (one query)."""
    met = (
        select(EvaluationReport.id)
        .where(
            EvaluationReport.organisation_id == Organisation.id,
            EvaluationReport.fiscal_year_be == fiscal_year_be,
            _meets_yearly_clause(),
        )
        .exists()
    )
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == "lao", Organisation.is_active.is_(True), scope, ~met)
            .order_by(Organisation.code)
        )
    )


@dataclass(frozen=True)
class ReportDuty:
    """An announcement or posting a report on the 2561 rules still owes, and by when."""

    duty: str  # "announcement" or "posting"
    report: EvaluationReport
    since: date  # reported to the executive (announcement) or announced (posting)
    deadline: date


def pending_report_duties(scope) -> list[ReportDuty]:
    """Announcements and postings owed by reports whose 15 days count from the report to the
    executive (workflow versions on the 2561 rules), in LAOs ``scope`` selects."""
    versions = [
        d.version
        for d in REGISTRY.versions("evaluation")
        if deadlines.evaluation_counts_from(evaluation_rules(d.version)) == "executive"
    ]
    if not versions:
        return []
    reports = db.session.scalars(
        select(EvaluationReport)
        .join(Organisation, Organisation.id == EvaluationReport.organisation_id)
        .where(
            EvaluationReport.workflow_version.in_(versions),
            EvaluationReport.status.in_(("executive_review", "presented", "announced")),
            EvaluationReport.reported_on.is_not(None),
            Organisation.is_active.is_(True),
            scope,
        )
    ).all()
    out = []
    for report in reports:
        rules = evaluation_rules(report.workflow_version)
        reported_on = report.reported_on
        if reported_on is None:  # the query keeps only reports with the day they were reported
            continue
        if report.status == "announced":
            deadline = deadlines.evaluation_post_deadline(reported_on, rules)
            out.append(ReportDuty("posting", report, report.announced_on or reported_on, deadline))
        else:
            deadline = deadlines.evaluation_announce_deadline(reported_on, rules)
            out.append(ReportDuty("announcement", report, reported_on, deadline))
    return out


def chased_from_fiscal_year(rules: dict = EVALUATION_DEADLINES) -> int:
    """The first fiscal year whose yearly report is chased (earlier years were reported on paper)."""
    return int(rules["evaluation"].get("chased_from_fiscal_year_be", 0))


# -- the action plan (ข้อ 26–27, ``workflows.action_plan``) -----------------------------------------
@dataclass(frozen=True)
class ActionPlanDuty:
    """The announcement or the posting an action plan still owes, and by when."""

    duty: str  # "announcement" or "posting"
    action_plan: ActionPlan
    since: date  # the budget ordinance's announcement (announcement) or the plan's (posting)
    deadline: date


def pending_action_plan_duties(
    scope, rules: dict = action_plan_rules.ACTION_PLAN_DEADLINES
) -> list[ActionPlanDuty]:
    """Action plans not yet announced, and announced ones not yet posted, in LAOs ``scope`` selects
    (one query): the overdue page and the reminders read them, so each duty is chased one way."""
    rows = db.session.scalars(
        select(ActionPlan)
        .join(Organisation, Organisation.id == ActionPlan.organisation_id)
        .where(
            Organisation.is_active.is_(True),
            scope,
            or_(
                ActionPlan.status.in_(rules["chased_states"]),
                and_(
                    ActionPlan.status == "announced",
                    ActionPlan.posted_on.is_(None),
                    ActionPlan.announced_on.is_not(None),
                ),
            ),
        )
        .order_by(ActionPlan.id)
    ).all()
    out = []
    for row in rows:
        if row.status in rules["chased_states"]:
            since = row.ordinance_announced_on
            out.append(
                ActionPlanDuty("announcement", row, since, action_plan_rules.announce_deadline(since, rules))
            )
        elif row.announced_on is not None:  # the query keeps only announced plans with their day
            since = row.announced_on
            out.append(ActionPlanDuty("posting", row, since, action_plan_rules.post_deadline(since, rules)))
    return out

"""What is overdue in the plan lifecycle, for the LAOs a person may read (docs/DOMAIN.md §4).

Read-only: five queries whatever the number of LAOs in scope (a province has up to 334), two more
when an announcement owes copies or posting (``duties``); the deadline arithmetic in
``workflows.deadlines`` and, for the action plan, ``workflows.action_plan``. A plan not announced is
late for the latest period past its deadline and also for the period in force: a plan started for
2566–2570 and never announced stays overdue after the 2571–2575 deadline has passed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Boolean, Integer, String, and_, func, literal, or_, select, true, union_all
from sqlalchemy.orm import contains_eager

from eplan_flow import thaidate
from eplan_flow.extensions import db
from eplan_flow.models import Organisation, Plan
from eplan_flow.permissions import visible_org_clause
from eplan_flow.services.planning import duties
from eplan_flow.services.platform import metrics
from workflows import action_plan as action_plan_rules
from workflows import deadlines
from workflows.deadlines import DEADLINES_V1, DEADLINES_V2, EVALUATION_DEADLINES

# A plan in any of these states has been announced: it counts as made for its period.
ANNOUNCED_PLAN_STATES = ("announced", "submitted", "acknowledged")


@dataclass(frozen=True)
class OverdueItem:
    kind: str  # "plan_not_announced", "plan_not_submitted" or "duty_not_done"
    organisation_id: int
    lao_code: str
    lao_name: str
    lao_type: str
    period_start_be: int
    deadline: date
    days_overdue: int
    reason: str
    plan_id: int | None = None
    plan_title: str | None = None
    # A revision's announcement duty links to the revision, not to the plan's page.
    revision_id: int | None = None
    # An announcement duty's own key ("revision:5:copies"): several may share a deadline.
    duty_key: str | None = None
    # The monitoring and evaluation report's duties (kinds "evaluation_..."): the report, if any.
    report_id: int | None = None
    # The action plan's duties (kinds "action_plan_..."): the action plan, whose page they link to.
    action_plan_id: int | None = None


def overdue_items(
    user, today: date | None = None, locale: str = "th", rules: dict = DEADLINES_V1
) -> list[OverdueItem]:
    """List what is overdue in the LAOs ``user`` may read, longest overdue first."""
    return _overdue(visible_org_clause(user, Organisation), today, locale, rules)


def all_overdue_items(
    today: date | None = None, locale: str = "th", rules: dict = DEADLINES_V1
) -> list[OverdueItem]:
    """List what is overdue in every active LAO (the scheduler's view, nobody's scope)."""
    return _overdue(true(), today, locale, rules)


def overdue_by_province(user, today: date | None = None, rules: dict = DEADLINES_V1) -> dict[str, int]:
    """How many items ``overdue_items(user, today)`` lists for the active LAOs of each province.

    For DLA's national table: the whole country's list is thousands of items, nearly all of them the
    two plan kinds, which are counted here in SQL from the very queries that list them (one item
    per row); the other kinds, few, are listed and counted."""
    today = today or thaidate.today_local()
    scope = visible_org_clause(user, Organisation)
    province = Organisation.province_code
    counts: Counter[str] = Counter()
    plan_kinds = (
        _not_announced(scope, _late_periods(today, rules), province, func.count()),
        _not_submitted(scope, today, rules, province, func.count()).where(
            Organisation.kind == "lao", Organisation.is_active.is_(True)
        ),
    )
    for query in plan_kinds:
        for code, n in db.session.execute(query.group_by(province)):
            counts[code or ""] += n
    others = [
        *_duties_not_done(scope, today, "th"),
        *_evaluation_overdue(scope, today, "th"),
        *_action_plans_overdue(scope, today, "th"),
    ]
    if others:
        province_of = dict(
            db.session.execute(
                select(Organisation.id, province).where(
                    Organisation.id.in_({item.organisation_id for item in others}),
                    Organisation.kind == "lao",
                    Organisation.is_active.is_(True),
                )
            ).all()
        )
        counts.update(
            province_of[item.organisation_id] or "" for item in others if item.organisation_id in province_of
        )
    return dict(counts)


def _overdue(scope, today: date | None, locale: str, rules: dict) -> list[OverdueItem]:
    today = today or thaidate.today_local()
    items = [
        *_plans_not_announced(scope, today, locale, rules),
        *_plans_not_submitted(scope, today, locale, rules),
        *_duties_not_done(scope, today, locale),
        *_evaluation_overdue(scope, today, locale),
        *_action_plans_overdue(scope, today, locale),
    ]
    items.sort(key=lambda i: (-i.days_overdue, i.lao_code, i.kind))
    return items


def _late_periods(today: date, rules: dict):
    """(lao_type, period_start_be, plan_required) of every period each LAO type is late for, as a
    small table of literals the query joins on.

    The latest period past its deadline (``due_period``) must have an announced plan: no plan at all
    is late too. The period in force, when it is an earlier one, is late only for a plan that was
    started and never announced: an LAO that keeps its plan in force outside e-Plan is not flagged.
    """
    rows = []
    for lao_type in rules["review"]:
        due = deadlines.due_period(lao_type, today, rules)
        for start in deadlines.overdue_periods(lao_type, today, rules):
            rows.append(
                select(
                    literal(lao_type, String).label("lao_type"),
                    literal(start, Integer).label("start_be"),
                    literal(start == due, Boolean).label("plan_required"),
                )
            )
    return union_all(*rows).subquery("late_period")


def _plans_not_announced(scope, today: date, locale: str, rules: dict) -> list[OverdueItem]:
    # The periods each LAO type is late for depend only on the type (and today): a handful of rows
    # the query joins on, so one query covers every LAO in scope.
    late = _late_periods(today, rules)
    rows = db.session.execute(
        _not_announced(scope, late, Organisation, late.c.start_be, Plan.id, Plan.title)
    ).all()
    items = []
    for org, start, plan_id, plan_title in rows:
        lao_type = org.lao_type
        if lao_type is None:  # the query keeps only LAOs of a type that has a deadline
            raise ValueError(f"organisation {org.id} has no LAO type")
        deadline = deadlines.review_deadline(lao_type, start, rules)
        items.append(
            OverdueItem(
                kind="plan_not_announced",
                organisation_id=org.id,
                lao_code=org.code,
                lao_name=org.display_name,
                lao_type=lao_type,
                period_start_be=start,
                deadline=deadline,
                days_overdue=deadlines.days_overdue(deadline, today),
                reason=deadlines.reason(
                    "plan_not_announced",
                    locale,
                    rules,
                    start=start,
                    end=start + rules["period"]["years"] - 1,
                    deadline=thaidate.format_date(deadline, locale),
                ),
                plan_id=plan_id,
                plan_title=plan_title,
            )
        )
    return items


def _not_announced(scope, late, *columns):
    """The LAOs in ``scope`` late for a period of ``late``, with no plan or one not announced."""
    return (
        select(*columns)
        .select_from(Organisation)
        .join(late, late.c.lao_type == Organisation.lao_type)
        .outerjoin(
            Plan,
            and_(Plan.organisation_id == Organisation.id, Plan.period_start_be == late.c.start_be),
        )
        .where(
            Organisation.kind == "lao",
            Organisation.is_active.is_(True),
            scope,
            or_(
                and_(Plan.id.is_(None), late.c.plan_required.is_(True)),
                Plan.status.not_in(ANNOUNCED_PLAN_STATES),
            ),
        )
    )


def _not_submitted(scope, today: date, rules: dict, *columns):
    """The plans in ``scope`` announced and not submitted within their days."""
    # Overdue when announced_on + N days < today, i.e. announced before the Bangkok midnight
    # that starts day today - N.
    last_day = today - timedelta(days=rules["submission_days"])
    before = datetime.combine(last_day, time.min, tzinfo=thaidate.BANGKOK)
    return (
        select(*columns)
        .select_from(Plan)
        .join(Plan.organisation)
        .where(
            Plan.status == "announced",
            Plan.submitted_at.is_(None),
            Plan.announced_at < before,
            scope,
        )
    )


@metrics.scrape_gauge(
    "eplan_overdue_items",
    "Plans past a deadline in every active LAO, by kind (not announced, not submitted).",
    label="kind",
)
def overdue_counts(today: date | None = None, rules: dict = DEADLINES_V1) -> dict[str, int]:
    """Count the plans overdue in every active LAO by kind, in one query (read at each scrape).

    The same rules as ``all_overdue_items``' plan kinds; the duties and reports are left to the
    overdue page, which words each one.
    """
    today = today or thaidate.today_local()
    late = _late_periods(today, rules)
    not_announced = _not_announced(true(), late, func.count()).scalar_subquery()
    not_submitted = _not_submitted(true(), today, rules, func.count()).scalar_subquery()
    announced_late, submitted_late = db.session.execute(select(not_announced, not_submitted)).one()
    return {"plan_not_announced": announced_late, "plan_not_submitted": submitted_late}


def _plans_not_submitted(scope, today: date, locale: str, rules: dict) -> list[OverdueItem]:
    rows = (
        db.session.execute(
            _not_submitted(scope, today, rules, Plan).options(contains_eager(Plan.organisation))
        )
        .scalars()
        .all()
    )
    items = []
    for plan in rows:
        org = plan.organisation
        if plan.announced_at is None:  # the query keeps only plans announced before a day
            raise ValueError(f"plan {plan.id} is announced without a time")
        announced_on = thaidate.to_local(plan.announced_at).date()
        deadline = deadlines.submission_deadline(announced_on, rules)
        items.append(
            OverdueItem(
                kind="plan_not_submitted",
                organisation_id=org.id,
                lao_code=org.code,
                lao_name=org.display_name,
                lao_type=org.lao_type or "",
                period_start_be=plan.period_start_be,
                deadline=deadline,
                days_overdue=deadlines.days_overdue(deadline, today),
                reason=deadlines.reason(
                    "plan_not_submitted",
                    locale,
                    rules,
                    announced=thaidate.format_date(announced_on, locale),
                    days=rules["submission_days"],
                    deadline=thaidate.format_date(deadline, locale),
                ),
                plan_id=plan.id,
                plan_title=plan.title,
            )
        )
    return items


def _duties_not_done(scope, today: date, locale: str, rules: dict = DEADLINES_V2) -> list[OverdueItem]:
    """Copies not sent and announcements not posted after announcing a plan or a revision, past due."""
    items = []
    for duty in duties.pending_duties(scope, locale, rules):
        if duty.deadline >= today:
            continue
        org = duty.organisation
        items.append(
            OverdueItem(
                kind="duty_not_done",
                organisation_id=org.id,
                lao_code=org.code,
                lao_name=org.display_name,
                lao_type=org.lao_type or "",
                period_start_be=0,
                deadline=duty.deadline,
                days_overdue=deadlines.days_overdue(duty.deadline, today),
                reason=deadlines.reason(
                    "duty_not_done",
                    locale,
                    rules,
                    subject=duty.title,
                    announced=thaidate.format_date(duty.announced_on, locale),
                    what=duty.label,
                    days=rules["announcement_duties"]["within_days"][duty.duty],
                    deadline=thaidate.format_date(duty.deadline, locale),
                ),
                plan_id=duty.plan_id,
                plan_title=duty.title,
                revision_id=duty.subject_id if duty.subject == "revision" else None,
                duty_key=f"{duty.subject}:{duty.subject_id}:{duty.duty}",
            )
        )
    return items


def _evaluation_item(org: Organisation, kind: str, deadline: date, today: date, reason: str, **more):
    return OverdueItem(
        kind=kind,
        organisation_id=org.id,
        lao_code=org.code,
        lao_name=org.display_name,
        lao_type=org.lao_type or "",
        deadline=deadline,
        days_overdue=deadlines.days_overdue(deadline, today),
        reason=reason,
        **more,
    )


def _evaluation_overdue(
    scope, today: date, locale: str, rules: dict = EVALUATION_DEADLINES
) -> list[OverdueItem]:
    """The monitoring and evaluation report (the 2561 rules): no full-year report reported to the
    executive by 31 December, and reports not announced or not posted within their 15 days."""
    items = []
    year = duties.yearly_fiscal_year(today)
    if deadlines.evaluation_yearly_deadline(year, rules) >= today:
        year -= 1  # this year's December has not passed: the one before is the latest overdue
    if year >= duties.chased_from_fiscal_year(rules):
        deadline = deadlines.evaluation_yearly_deadline(year, rules)
        reason = deadlines.reason(
            "evaluation_not_announced",
            locale,
            rules,
            year=year,
            deadline=thaidate.format_date(deadline, locale),
        )
        for org in duties.laos_without_yearly_report(scope, year):
            items.append(
                _evaluation_item(
                    org, "evaluation_not_announced", deadline, today, reason, period_start_be=year
                )
            )
    for owed in duties.pending_report_duties(scope):
        if owed.deadline >= today:
            continue
        report = owed.report
        report_rules = duties.evaluation_rules(report.workflow_version)
        kind = "evaluation_announcement_late" if owed.duty == "announcement" else "evaluation_not_posted"
        reason = deadlines.reason(
            kind,
            locale,
            report_rules,
            presented=thaidate.format_date(owed.since, locale),
            announced=thaidate.format_date(owed.since, locale),
            days=report_rules["evaluation"]["announce_within_days"],
            deadline=thaidate.format_date(owed.deadline, locale),
        )
        items.append(
            _evaluation_item(
                report.organisation,
                kind,
                owed.deadline,
                today,
                reason,
                period_start_be=report.fiscal_year_be,
                report_id=report.id,
                duty_key=f"evaluation:{report.id}:{owed.duty}",
            )
        )
    return items


def _action_plans_overdue(
    scope, today: date, locale: str, rules: dict = action_plan_rules.ACTION_PLAN_DEADLINES
) -> list[OverdueItem]:
    """The action plan (ข้อ 26–27): not announced within 30 days of the budget ordinance's
    announcement, or announced and not posted for the public within its days."""
    items = []
    for owed in duties.pending_action_plan_duties(scope, rules):
        if owed.deadline >= today:
            continue
        row = owed.action_plan
        deadline = thaidate.format_date(owed.deadline, locale)
        since = thaidate.format_date(owed.since, locale)
        if owed.duty == "announcement":
            kind = "action_plan_not_announced"
            reason = action_plan_rules.reason(
                kind,
                locale,
                rules,
                year=row.fiscal_year_be,
                days=rules["announce_within_days"],
                ordinance=since,
                deadline=deadline,
            )
        else:
            kind = "action_plan_not_posted"
            reason = action_plan_rules.reason(
                kind,
                locale,
                rules,
                year=row.fiscal_year_be,
                days=rules["post_within_days"],
                announced=since,
                deadline=deadline,
            )
        org = row.organisation
        items.append(
            OverdueItem(
                kind=kind,
                organisation_id=org.id,
                lao_code=org.code,
                lao_name=org.display_name,
                lao_type=org.lao_type or "",
                period_start_be=row.fiscal_year_be,
                deadline=owed.deadline,
                days_overdue=deadlines.days_overdue(owed.deadline, today),
                reason=reason,
                plan_title=row.title,
                action_plan_id=row.id,
            )
        )
    return items

"""Deadline notices, each sent once: reminders before a deadline, overdue notices and escalation after.

The scheduler runs ``run_deadline_checks`` every morning (``eplan_flow.jobs.schedule``). "Once" is the
database's promise, not the job's: every notice carries a key naming the deadline, its period and
what kind of notice it is, the key is unique per person, and the rows are inserted with ON CONFLICT
DO NOTHING. Reruns, RQ retries, restarts and two schedulers racing therefore add nothing; a new
period has a new key and is told again. Email goes out only for rows this run really inserted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Table, and_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from eplan_flow import thaidate
from eplan_flow.extensions import db
from eplan_flow.models import (
    EvaluationReport,
    Notification,
    Organisation,
    Plan,
    RoleGrant,
    User,
)
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import grant_covers
from eplan_flow.services.planning import deadlines as overdue
from eplan_flow.services.planning import duties
from eplan_flow.services.platform import mail
from eplan_flow.services.platform.unit_of_work import transaction
from workflows import REGISTRY, deadlines, routing
from workflows import action_plan as action_plan_rules
from workflows.deadlines import DEADLINES_V1, DEADLINES_V2, EVALUATION_DEADLINES
from workflows.roles import ROLES

log = logging.getLogger(__name__)

# Who hears of a deadline, and how (rule data: a new ministry letter is a new version of this dict).
NOTICE_RULES_V2 = {
    # Version 2: escalation follows workflows.routing (version 1 kept its own table of roles).
    "version": 2,
    # The LAO's people who must act: reminded before, told when it is overdue.
    "act_roles": ("planner", "support_secretary", "executive"),
    # The office told when an LAO is overdue follows the province's routing (workflows.routing): the
    # district office for อบต. and เทศบาลตำบล, the province for the อบจ., เทศบาลเมือง, เทศบาลนคร and
    # เมืองพัทยา. Version 1 listed roles here and sent เทศบาลตำบล to the province.
    # Days overdue before the oversight office is told (1: the day after the deadline).
    "escalate_after_days": 1,
    # The first fiscal year whose evaluation report the app chases: years before it were reported
    # on paper, and telling every LAO of them on the first run would be noise. (Read from
    # ``DEADLINES_V3["evaluation"]["chased_from_fiscal_year_be"]`` since the 2561 rules.)
    "evaluation_from_fiscal_year_be": 2569,
    "texts": {
        "plan_review": {
            "th": "จัดทำหรือทบทวนแผนพัฒนาท้องถิ่น (พ.ศ. {start}–{end}) ให้แล้วเสร็จและประกาศใช้",
            "en": "Make or review and announce the local development plan ({start}–{end})",
        },
        "evaluation_yearly": {
            "th": "เสนอรายงานผลการติดตามและประเมินผลประจำปีงบประมาณ {year} (ทั้งปีงบประมาณ) ต่อผู้บริหารท้องถิ่น",
            "en": "Report the monitoring and evaluation of fiscal year {year} (the full year) "
            "to the executive",
        },
        # The 2561 rules (DEADLINES_V3): 15 days from the report to the executive.
        "evaluation_announcement_v3": {
            "th": "ประกาศรายงานผลการติดตามและประเมินผลที่เสนอผู้บริหารท้องถิ่นเมื่อ {on}",
            "en": "Announce the evaluation report reported to the executive on {on}",
        },
        "evaluation_posting": {
            "th": "ปิดประกาศรายงานผลการติดตามและประเมินผล (ประกาศเมื่อ {on}) ไม่น้อยกว่า 30 วัน",
            "en": "Post the evaluation report announced on {on} for at least 30 days",
        },
        "evaluation_announcement": {
            "th": "ประกาศรายงานผลการติดตามและประเมินผลที่เสนอสภาท้องถิ่นเมื่อ {presented}",
            "en": "Announce the evaluation report presented to the council on {presented}",
        },
        "plan_submission": {
            "th": "ส่งแผนพัฒนาท้องถิ่นที่ประกาศใช้เมื่อ {announced} ให้อำเภอและจังหวัด",
            "en": "Submit the plan announced on {announced} to the district and the province",
        },
        "announcement_duty": {
            "th": "{what} ({subject} ประกาศใช้เมื่อ {announced})",
            "en": "{what} ({subject}, announced on {announced})",
        },
        "reminder_subject": {
            "th": "{lao}: อีก {days} วันครบกำหนด — {what} ภายใน {deadline}",
            "en": "{lao}: {days} days left — {what} by {deadline}",
        },
        "reminder_today_subject": {
            "th": "{lao}: ครบกำหนดวันนี้ — {what} ภายใน {deadline}",
            "en": "{lao}: due today — {what} by {deadline}",
        },
        "overdue_subject": {
            "th": "{lao}: เกินกำหนด {days} วัน — {reason}",
            "en": "{lao}: {days} days overdue — {reason}",
        },
        "escalation_subject": {
            "th": "แจ้งเพื่อติดตาม: {lao} ({code}) เกินกำหนด {days} วัน — {reason}",
            "en": "For follow-up: {lao} ({code}) is {days} days overdue — {reason}",
        },
        "body": {
            "th": "{subject}\n\nหน่วยงาน: {lao} ({code})\nครบกำหนด: {deadline}\nดูรายละเอียด: {url}\n\n"
            "ข้อความนี้ส่งโดยระบบ e-Plan โดยอัตโนมัติ",
            "en": "{subject}\n\nOrganisation: {lao} ({code})\nDue: {deadline}\nDetails: {url}\n\n"
            "This message was sent automatically by e-Plan.",
        },
    },
}


@dataclass(frozen=True)
class Notice:
    """One notice about one organisation's deadline, for everyone holding ``roles`` over it."""

    kind: str  # "reminder", "overdue" or "escalation" (Notification.kind)
    dedupe_key: str
    organisation: Organisation
    roles: tuple[str, ...]
    subject: str
    deadline: date
    link: str


@dataclass
class Summary:
    """What one run found and how many notices were new (0 on a rerun)."""

    today: date
    items: dict[str, int] = field(default_factory=dict)  # notices considered, by kind
    created: dict[str, int] = field(default_factory=dict)  # notifications inserted, by kind
    emails: int = 0

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "items": dict(self.items),
            "created": dict(self.created),
            "emails": self.emails,
        }


def run_deadline_checks(
    today: date | None = None,
    *,
    locale: str = "th",
    rules: dict = NOTICE_RULES_V2,
    deadline_rules: dict = DEADLINES_V1,
) -> Summary:
    """Remind, notify and escalate every deadline due ``today`` (Bangkok); each notice only once."""
    today = today or thaidate.today_local()
    summary = Summary(today)
    with transaction():
        notices = [
            *_overdue_notices(today, locale, rules, deadline_rules),
            *_review_reminders(today, locale, rules, deadline_rules),
            *_submission_reminders(today, locale, rules, deadline_rules),
            *_duty_reminders(today, locale, rules),
            *_evaluation_notices(today, locale, rules, deadline_rules),
            *_action_plan_reminders(today, locale, rules),
        ]
        for notice in notices:
            summary.items[notice.kind] = summary.items.get(notice.kind, 0) + 1
        rows, by_key = _rows(notices, locale, rules)
        inserted = _insert_once(rows)
        for _user_id, key in inserted:
            kind = by_key[key][0].kind
            summary.created[kind] = summary.created.get(kind, 0) + 1
        summary.emails = _queue_emails(inserted, by_key, locale, rules)
    log.info("deadline checks for %s: %s", today.isoformat(), summary.as_dict())
    return summary


# -- what is due ---------------------------------------------------------------------------------
def _text(rules: dict, name: str, locale: str, **values) -> str:
    texts = rules["texts"][name]
    return texts.get(locale, texts["th"]).format(**values)


def _plan_link(plan_id: int | None) -> str:
    # Jobs run outside a request: app-relative paths, as the workflow notices store them.
    return _path("main.instance", workflow="plan", instance_id=plan_id) if plan_id else _path("main.overdue")


def _path(endpoint: str, **values) -> str:
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    adapter = current_app.url_map.bind("localhost", script_name=root)
    return adapter.build(endpoint, values)


def _duty_link(subject: str, subject_id) -> str:
    return _path("main.announcement_duties", subject=subject, subject_id=int(subject_id))


def _action_plan_link(action_plan_id: int) -> str:
    return _path("execution.action_plan", action_plan_id=action_plan_id)


def _report_link(report_id: int | None, org_id: int) -> str:
    if report_id:
        return _path("results.report", report_id=report_id)
    return _path("results.lao", org_id=org_id)


def _late(
    org: Organisation,
    ident: str,
    reason: str,
    deadline: date,
    days_overdue: int,
    link: str,
    locale: str,
    rules: dict,
) -> list[Notice]:
    """The LAO's notice of something overdue and, once late enough, its oversight office's."""
    values = {"lao": org.display_name, "code": org.code, "days": days_overdue, "reason": reason}
    notices = [
        Notice(
            "overdue",
            f"overdue:{ident}",
            org,
            tuple(rules["act_roles"]),
            _text(rules, "overdue_subject", locale, **values),
            deadline,
            link,
        )
    ]
    if days_overdue >= rules["escalate_after_days"]:
        office_role = routing.escalation_role(org.lao_type)
        notices.append(
            Notice(
                "escalation",
                f"escalation:{ident}",
                org,
                (office_role,),
                _text(rules, "escalation_subject", locale, **values),
                deadline,
                link,
            )
        )
    return notices


def _overdue_notices(today: date, locale: str, rules: dict, deadline_rules: dict) -> list[Notice]:
    items = overdue.all_overdue_items(today, locale, deadline_rules)
    if not items:
        return []
    orgs = _organisations({i.organisation_id for i in items})
    notices = []
    for item in items:
        org = orgs[item.organisation_id]
        # The period (or the plan's announcement) is in the deadline: a later one is told again.
        # An action plan's duty is keyed by the action plan (one a fiscal year).
        subject = item.duty_key or item.action_plan_id or item.period_start_be
        ident = f"{item.kind}:{org.id}:{subject}:{item.deadline.isoformat()}"
        if item.action_plan_id:
            link = _action_plan_link(item.action_plan_id)
        elif item.kind.startswith("evaluation_"):
            link = _report_link(item.report_id, org.id)
        elif item.duty_key:
            link = _duty_link(*item.duty_key.split(":")[:2])
        else:
            link = _plan_link(item.plan_id)
        notices += _late(org, ident, item.reason, item.deadline, item.days_overdue, link, locale, rules)
    return notices


def _evaluation_notices(today: date, locale: str, rules: dict, deadline_rules: dict) -> list[Notice]:
    """The evaluation report: reminders before its deadlines. What is overdue under the 2561 rules
    (the yearly report, the announcement and the posting) comes with ``all_overdue_items``; a report
    started on the rules of version 1 is told here, late too (15 days from the council)."""
    if "evaluation" not in deadline_rules:
        return []
    days_before = _days_before()
    return [
        *_presented_report_notices(today, locale, rules, days_before),
        *_reported_report_reminders(today, locale, rules, days_before),
        *_yearly_report_reminders(today, locale, rules, days_before),
    ]


def _council_versions() -> list[int]:
    """Evaluation workflow versions whose 15 days count from the presentation to the council."""
    return [
        d.version
        for d in REGISTRY.versions("evaluation")
        if deadlines.evaluation_counts_from(duties.evaluation_rules(d.version)) == "council"
    ]


def _presented_report_notices(
    today: date, locale: str, rules: dict, days_before: tuple[int, ...]
) -> list[Notice]:
    """A presented report (version 1 rules): reminders before its 15-day deadline, notices after."""
    notices: list[Notice] = []
    presented = (
        db.session.execute(
            select(EvaluationReport)
            .options(joinedload(EvaluationReport.organisation))
            .where(
                EvaluationReport.status == "presented",
                EvaluationReport.presented_on.is_not(None),
                EvaluationReport.workflow_version.in_(_council_versions()),
            )
        )
        .scalars()
        .all()
    )
    for report in presented:
        org = report.organisation
        if report.presented_on is None:  # the query keeps only reports with the day they were presented
            raise ValueError(f"evaluation report {report.id} is presented without a day")
        deadline_rules = duties.evaluation_rules(report.workflow_version)
        deadline = deadlines.evaluation_announce_deadline(report.presented_on, deadline_rules)
        days_left = (deadline - today).days
        link = _report_link(report.id, org.id)
        on = thaidate.format_date(report.presented_on, locale)
        if days_left < 0:
            reason = deadlines.reason(
                "evaluation_announcement_late",
                locale,
                deadline_rules,
                presented=on,
                days=deadline_rules["evaluation"]["announce_within_days"],
                deadline=thaidate.format_date(deadline, locale),
            )
            notices += _late(
                org,
                f"evaluation_announcement_late:{org.id}:{report.id}:{deadline.isoformat()}",
                reason,
                deadline,
                -days_left,
                link,
                locale,
                rules,
            )
        elif (point := _threshold(days_left, days_before)) is not None:
            what = _text(rules, "evaluation_announcement", locale, presented=on)
            notices.append(
                _reminder(
                    org,
                    f"evaluation_announcement:{report.id}",
                    what,
                    deadline,
                    days_left,
                    point,
                    link,
                    locale,
                    rules,
                    report.fiscal_year_be,
                )
            )
    return notices


def _reported_report_reminders(
    today: date, locale: str, rules: dict, days_before: tuple[int, ...]
) -> list[Notice]:
    """A report on the 2561 rules: its announcement and posting, as the 15 days from the report to
    the executive run out (overdue ones are ``all_overdue_items``')."""
    notices: list[Notice] = []
    for owed in duties.pending_report_duties(true()):
        days_left = (owed.deadline - today).days
        point = _threshold(days_left, days_before)
        if point is None:
            continue
        report = owed.report
        name = "evaluation_announcement_v3" if owed.duty == "announcement" else "evaluation_posting"
        what = _text(rules, name, locale, on=thaidate.format_date(owed.since, locale))
        notices.append(
            _reminder(
                report.organisation,
                f"{name}:{report.id}",
                what,
                owed.deadline,
                days_left,
                point,
                _report_link(report.id, report.organisation_id),
                locale,
                rules,
                report.fiscal_year_be,
            )
        )
    return notices


def _yearly_report_reminders(
    today: date, locale: str, rules: dict, days_before: tuple[int, ...]
) -> list[Notice]:
    """At least once a year: the last ended fiscal year's full-year report, by 31 December after it."""
    year = duties.yearly_fiscal_year(today)
    deadline = deadlines.evaluation_yearly_deadline(year, EVALUATION_DEADLINES)
    days_left = (deadline - today).days
    point = _threshold(days_left, days_before)
    if point is None or year < duties.chased_from_fiscal_year(EVALUATION_DEADLINES):
        return []
    what = _text(rules, "evaluation_yearly", locale, year=year)
    return [
        _reminder(
            org,
            "evaluation_yearly",
            what,
            deadline,
            days_left,
            point,
            _report_link(None, org.id),
            locale,
            rules,
            year,
        )
        for org in duties.laos_without_yearly_report(true(), year)
    ]


def _action_plan_reminders(today: date, locale: str, rules: dict) -> list[Notice]:
    """The action plan (ข้อ 26–27, rules in ``workflows/action_plan.py``): reminders as the 30 days
    from the budget ordinance's announcement, then the days to post it, run out. What is overdue comes
    with ``all_overdue_items`` (the shared overdue page's list), so each duty is told one way."""
    plan_rules = action_plan_rules.ACTION_PLAN_DEADLINES
    days_before = _days_before()
    notices: list[Notice] = []
    for owed in duties.pending_action_plan_duties(true(), plan_rules):
        days_left = (owed.deadline - today).days
        point = _threshold(days_left, days_before)
        if point is None:
            continue
        row = owed.action_plan
        since = thaidate.format_date(owed.since, locale)
        if owed.duty == "announcement":
            # Keyed by the LAO and the fiscal year: one action plan a year.
            what_key = "action_plan"
            what = action_plan_rules.text(
                "announce", locale, plan_rules, year=row.fiscal_year_be, ordinance=since
            )
        else:
            what_key = f"action_plan_posting:{row.id}"
            what = action_plan_rules.text(
                "post", locale, plan_rules, year=row.fiscal_year_be, announced=since
            )
        notices.append(
            _reminder(
                row.organisation,
                what_key,
                what,
                owed.deadline,
                days_left,
                point,
                _action_plan_link(row.id),
                locale,
                rules,
                row.fiscal_year_be,
            )
        )
    return notices


def _threshold(days_left: int, days_before) -> int | None:
    """The tightest reminder point reached (3 when 2 days are left, of 14 and 3), else None.

    Reaching a point rather than landing on it means a day the scheduler missed still reminds.
    """
    reached = [n for n in days_before if 0 <= days_left <= n]
    return min(reached) if reached else None


def _reminder(
    org: Organisation,
    what_key: str,
    what: str,
    deadline: date,
    days_left: int,
    point: int,
    link: str,
    locale: str,
    rules: dict,
    period: int,
) -> Notice:
    values = {
        "lao": org.display_name,
        "days": days_left,
        "what": what,
        "deadline": thaidate.format_date(deadline, locale),
    }
    name = "reminder_today_subject" if days_left == 0 else "reminder_subject"
    subject = _text(rules, name, locale, **values)
    key = f"reminder:{what_key}:{org.id}:{period}:{deadline.isoformat()}:{point}d"
    return Notice("reminder", key, org, tuple(rules["act_roles"]), subject, deadline, link)


def _days_before() -> tuple[int, ...]:
    return tuple(int(n) for n in current_app.config.get("REMINDER_DAYS_BEFORE", ()))


def _review_reminders(today: date, locale: str, rules: dict, deadline_rules: dict) -> list[Notice]:
    """LAOs whose next plan is not announced yet, as its review deadline comes near."""
    days_before = _days_before()
    years = deadline_rules["period"]["years"]
    notices = []
    for lao_type in deadline_rules["review"]:
        start = deadlines.due_period(lao_type, today, deadline_rules) + years
        deadline = deadlines.review_deadline(lao_type, start, deadline_rules)
        days_left = (deadline - today).days
        point = _threshold(days_left, days_before)
        if point is None:
            continue
        rows = db.session.execute(
            select(Organisation, Plan.id)
            .outerjoin(Plan, and_(Plan.organisation_id == Organisation.id, Plan.period_start_be == start))
            .where(
                Organisation.kind == "lao",
                Organisation.is_active.is_(True),
                Organisation.lao_type == lao_type,
                (Plan.id.is_(None)) | Plan.status.not_in(overdue.ANNOUNCED_PLAN_STATES),
            )
        ).all()
        what = _text(rules, "plan_review", locale, start=start, end=start + years - 1)
        for org, plan_id in rows:
            notices.append(
                _reminder(
                    org,
                    "plan_review",
                    what,
                    deadline,
                    days_left,
                    point,
                    _plan_link(plan_id),
                    locale,
                    rules,
                    start,
                )
            )
    return notices


def _submission_reminders(today: date, locale: str, rules: dict, deadline_rules: dict) -> list[Notice]:
    """Announced plans not yet submitted to the district and province, as the 15 days run out."""
    days_before = _days_before()
    # Announced on or after this Bangkok midnight: their submission deadline is today or later.
    since = datetime.combine(
        today - timedelta(days=deadline_rules["submission_days"]), time.min, tzinfo=thaidate.BANGKOK
    )
    plans = (
        db.session.execute(
            select(Plan)
            .options(joinedload(Plan.organisation))
            .where(Plan.status == "announced", Plan.submitted_at.is_(None), Plan.announced_at >= since)
        )
        .scalars()
        .all()
    )
    notices = []
    for plan in plans:
        if plan.announced_at is None:  # the query keeps only plans announced since a day
            raise ValueError(f"plan {plan.id} is announced without a time")
        announced_on = thaidate.to_local(plan.announced_at).date()
        deadline = deadlines.submission_deadline(announced_on, deadline_rules)
        days_left = (deadline - today).days
        point = _threshold(days_left, days_before)
        if point is None:
            continue
        what = _text(rules, "plan_submission", locale, announced=thaidate.format_date(announced_on, locale))
        notices.append(
            _reminder(
                plan.organisation,
                f"plan_submission:{plan.id}",
                what,
                deadline,
                days_left,
                point,
                _plan_link(plan.id),
                locale,
                rules,
                plan.period_start_be,
            )
        )
    return notices


def _duty_reminders(today: date, locale: str, rules: dict, duty_rules: dict = DEADLINES_V2) -> list[Notice]:
    """Copies and posting owed after announcing a plan or a revision, as their 15 days run out."""
    days_before = _days_before()
    notices = []
    for duty in duties.pending_duties(true(), locale, duty_rules):
        days_left = (duty.deadline - today).days
        point = _threshold(days_left, days_before)
        if point is None:
            continue
        what = _text(
            rules,
            "announcement_duty",
            locale,
            what=duty.label,
            subject=duty.title,
            announced=thaidate.format_date(duty.announced_on, locale),
        )
        notices.append(
            _reminder(
                duty.organisation,
                f"announcement_duty:{duty.subject}:{duty.subject_id}:{duty.duty}",
                what,
                duty.deadline,
                days_left,
                point,
                _duty_link(duty.subject, duty.subject_id),
                locale,
                rules,
                0,
            )
        )
    return notices


# -- who is told ---------------------------------------------------------------------------------
def _organisations(ids: set[int]) -> dict[int, Organisation]:
    rows = db.session.execute(select(Organisation).where(Organisation.id.in_(ids))).scalars()
    return {org.id: org for org in rows}


def _rows(notices: list[Notice], locale: str, rules: dict):
    """One notification row per notice and person, and each key's notice and recipients."""
    holders = _Holders({r for n in notices for r in n.roles})
    now = utcnow()
    rows, by_key = [], {}
    for notice in notices:
        users = holders.over(notice.organisation, notice.roles)
        by_key[notice.dedupe_key] = (notice, users)
        for user in users.values():
            rows.append(
                {
                    "user_id": user.id,
                    "kind": notice.kind,
                    "dedupe_key": notice.dedupe_key,
                    "organisation_id": notice.organisation.id,
                    "subject": notice.subject[:300],
                    "body": None,
                    "link": notice.link,
                    "created_at": now,
                    "audit_event_id": None,
                }
            )
    return rows, by_key


class _Holders:
    """The enabled people holding some roles, indexed by where their grants reach (one query)."""

    def __init__(self, roles: set[str]) -> None:
        self.index: dict[tuple, list[RoleGrant]] = defaultdict(list)
        if not roles:
            return
        grants = (
            db.session.execute(
                select(RoleGrant)
                .join(User, User.id == RoleGrant.user_id)
                .options(joinedload(RoleGrant.organisation), joinedload(RoleGrant.user))
                .where(RoleGrant.role.in_(roles), User.is_enabled.is_(True))
            )
            .scalars()
            .all()
        )
        for grant in grants:
            reach = ROLES[grant.role]["reach"]
            held_at = grant.organisation
            self.index[(grant.role, "org", held_at.id)].append(grant)
            if reach == "district" and held_at.district_code:
                self.index[(grant.role, "district", held_at.district_code)].append(grant)
            elif reach == "province" and held_at.province_code:
                self.index[(grant.role, "province", held_at.province_code)].append(grant)
            elif reach == "national":
                self.index[(grant.role, "national", None)].append(grant)

    def over(self, org: Organisation, roles) -> dict[int, User]:
        users: dict[int, User] = {}
        for role in roles:
            for where in (
                ("org", org.id),
                ("district", org.district_code),
                ("province", org.province_code),
                ("national", None),
            ):
                for grant in self.index.get((role, *where), ()):
                    # The index only narrows the search; reach itself is permissions' rule.
                    if grant_covers(grant, org):
                        users.setdefault(grant.user_id, grant.user)
        return users


# -- once ----------------------------------------------------------------------------------------
def _insert_once(rows: list[dict]) -> list[tuple[int, str]]:
    """Insert the rows no one has yet; return (user_id, dedupe_key) of those this call inserted."""
    if not rows:
        return []
    table = Notification.__table__
    dialect = db.session.get_bind().dialect.name
    inserts: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
        "postgresql": postgresql.insert,
        "sqlite": sqlite.insert,
    }
    insert = inserts[dialect]
    # A concurrent run's uncommitted row makes this one wait, then skip it: never two.
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
        .returning(table.c.user_id, table.c.dedupe_key)
    )
    return [tuple(r) for r in db.session.execute(statement, rows).all()]


def _queue_emails(inserted, by_key, locale: str, rules: dict) -> int:
    if not inserted:
        return 0
    base = (current_app.config.get("OIDC_ISSUER") or "").rstrip("/")
    sent = 0
    for user_id, key in inserted:
        notice, users = by_key[key]
        user = users[user_id]
        if not user.email:
            continue
        body = _text(
            rules,
            "body",
            locale,
            subject=notice.subject,
            lao=notice.organisation.display_name,
            code=notice.organisation.code,
            deadline=thaidate.format_date(notice.deadline, locale),
            url=f"{base}{notice.link}",
        )
        mail.queue_mail(
            user.email,
            notice.subject[:300],
            body,
            user_id=user.id,
            dedupe_key=f"{key}:user:{user.id}"[:200],
        )
        sent += 1
    return sent

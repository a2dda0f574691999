"""Escalation after 3 Thai working days (once, holidays respected) and the applicant's notices."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.jobs import tasks
from eplan_flow.jobs.worker import make_worker
from eplan_flow.models import Account, EmailMessage, Notification, SystemAccess
from eplan_flow.services.identity import approvals
from eplan_flow.services.platform import queues
from eplan_flow.thaidate import BANGKOK
from tests.identity.approvals.helpers import applicant, eplan_client, member_with_access_request
from workflows.calendar import is_working_day, working_days_between


def bangkok(y, m, d, hour=10):
    return datetime(y, m, d, hour, tzinfo=BANGKOK)


def test_working_days_skip_weekends_and_thai_public_holidays():
    # Monday 2 November 2569 to Thursday: Tuesday, Wednesday, Thursday.
    assert working_days_between(date(2026, 11, 2), date(2026, 11, 5)) == 3
    # Wednesday 9 December: Constitution Day (Thu 10) and the weekend are not counted.
    assert working_days_between(date(2026, 12, 9), date(2026, 12, 15)) == 3
    # Father's Day (Sat 5 December 2569) is observed on Monday 7 December.
    assert not is_working_day(date(2026, 12, 7)) and is_working_day(date(2026, 12, 8))
    # From Friday 9 April 2570: Monday 12, then Songkran (Tuesday 13 to Thursday 15), Friday 16, Monday 19.
    assert working_days_between(date(2027, 4, 9), date(2027, 4, 19)) == 3
    assert working_days_between(date(2026, 11, 5), date(2026, 11, 2)) == 0


def escalations(key_part: str):
    return _db.session.execute(
        select(Notification.user_id, Notification.dedupe_key).where(
            Notification.kind == "escalation", Notification.dedupe_key.contains(key_part)
        )
    ).all()


def waiting_since(row, when):
    table = type(row).__table__
    column = "submitted_at" if isinstance(row, Account) else "requested_at"
    _db.session.execute(table.update().where(table.c.id == row.id).values({column: when}))
    _db.session.commit()


def test_a_request_waiting_more_than_three_working_days_is_escalated_once_to_the_province(world, db, app):
    eplan_client()
    _, account = applicant(world.sao_a)
    _, _, access = member_with_access_request(world.sao_a, world.sso_admin)
    waiting_since(account, bangkok(2026, 12, 9))
    waiting_since(access, bangkok(2026, 12, 9))
    # Tuesday 15 December: 3 working days have passed (Thursday 10 was a holiday). Not yet.
    assert approvals.escalate_waiting(bangkok(2026, 12, 15, 23)) == 0
    assert escalations(":") == []
    # Wednesday 16 December: more than 3. The job runs three times, as a scheduler might.
    runs = [tasks.escalate_waiting_approvals(bangkok(2026, 12, 16, h).isoformat()) for h in (8, 9, 10)]
    assert runs == [2, 0, 0]
    assert sorted(escalations(":")) == sorted(
        [
            (
                world.provincial_officer.id,
                f"escalation:account:{account.id}:{bangkok(2026, 12, 9).astimezone(UTC).isoformat()}",
            ),
            (
                world.provincial_officer.id,
                f"escalation:system_access:{access.id}:{bangkok(2026, 12, 9).astimezone(UTC).isoformat()}",
            ),
        ]
    )
    db.session.expire_all()
    assert db.session.get(Account, account.id).escalated_at is not None
    assert db.session.get(SystemAccess, access.id).escalated_at is not None
    # Escalation is not a workflow step: the admin's open page is not made stale.
    assert db.session.get(Account, account.id).version == 4
    approvals.approve_account(world.sso_admin, account.id, auth_time=time.time(), expected_version=4)


def test_the_escalation_job_runs_on_a_real_worker_and_reruns_add_nothing(world, db, app):
    _, account = applicant(world.sao_a)
    waiting_since(account, bangkok(2026, 11, 2))
    account_id, officer_id = account.id, world.provincial_officer.id
    for n in range(3):
        queues.enqueue(
            "default",
            "escalate_waiting_approvals",
            {"now_iso": bangkok(2026, 11, 6).isoformat()},
            f"escalate-{n}",
        )
    db.session.remove()
    make_worker(app, fork=False).work(burst=True)
    results = [queues.queue("default", app).fetch_job(f"escalate-{n}").return_value() for n in range(3)]
    assert results == [1, 0, 0]
    assert [u for u, _ in escalations(f"account:{account_id}:")] == [officer_id]


def test_a_new_round_of_waiting_can_be_escalated_again(world, db):
    person, account = applicant(world.sao_a)
    waiting_since(account, bangkok(2026, 11, 2))
    assert approvals.escalate_waiting(bangkok(2026, 11, 6)) == 1
    approvals.reject_account(world.sso_admin, account.id, auth_time=time.time(), comment="แนบเอกสารไม่ครบ")
    from eplan_flow.services.identity import identity

    identity.change_details(
        person,
        identity.Details(
            title="นาง",
            first_name="สมหญิง",
            last_name="ใจงาม",
            organisation_id=world.sao_a.id,
        ),
    )
    db.session.expire_all()
    assert db.session.get(Account, account.id).escalated_at is None
    waiting_since(account, bangkok(2026, 11, 9))
    assert approvals.escalate_waiting(bangkok(2026, 11, 12)) == 0
    assert approvals.escalate_waiting(bangkok(2026, 11, 13)) == 1
    assert len(escalations(f"account:{account.id}:")) == 2


def notices(user_id):
    return _db.session.execute(
        select(Notification.kind, Notification.body, Notification.link)
        .where(Notification.user_id == user_id)
        .order_by(Notification.id)
    ).all()


def test_the_applicant_is_notified_in_the_app_and_by_email_on_each_decision_once(world, db, app):
    eplan_client()
    person, account = applicant(world.sao_a)
    rejected = approvals.reject_account(
        world.sso_admin, account.id, auth_time=time.time(), comment="ชื่อไม่ตรงบัตร"
    )
    person_id, email = person.id, person.email
    db.session.remove()
    make_worker(app, fork=False).work(burst=True)
    assert notices(person_id) == [("decision", "ชื่อไม่ตรงบัตร", "/sso/")]
    mails = _db.session.execute(
        select(EmailMessage.to, EmailMessage.body).where(EmailMessage.user_id == person_id)
    ).all()
    assert len(mails) == 1 and mails[0].to == email and "ชื่อไม่ตรงบัตร" in mails[0].body
    # The job again (at-least-once delivery): nothing new.
    assert tasks.notify_applicant(rejected.audit_event_id) == 0
    assert len(notices(person_id)) == 1
    # The applicant's own steps tell nobody but the admins.
    assert (
        tasks.notify_applicant(_db.session.execute(select(Notification.audit_event_id)).scalars().first())
        == 0
    )


def test_the_admins_hear_of_a_new_access_request_and_the_applicant_of_each_decision(world, db, app):
    eplan_client()
    person, account, access = member_with_access_request(world.sao_a, world.sso_admin)
    person_id, admin_id, access_id = person.id, world.sso_admin.id, access.id
    db.session.remove()
    make_worker(app, fork=False).work(burst=True)
    # The account was approved before its notice ran (a late notice tells nobody); the new access
    # request waits for the LAO's admin, who hears of it.
    assert [link for _, _, link in notices(admin_id)] == [f"/sso/approvals/access/{access_id}"]
    approvals.approve_access(
        _db.session.get(type(world.sso_admin), admin_id), access_id, auth_time=time.time()
    )
    _db.session.remove()
    make_worker(app, fork=False).work(burst=True)
    assert notices(person_id) == [("decision", None, "/sso/"), ("decision", None, "/sso/access")]

"""Deadline reminders, overdue notices and escalation: scheduled on RQ's cron, run by a real worker,
each sent once however often the scheduler runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import redis
from rq import cron as rq_cron
from rq import cron_scheduler_registry
from sqlalchemy import func, select

from eplan_flow import thaidate
from eplan_flow.extensions import db as _db
from eplan_flow.jobs import schedule
from eplan_flow.jobs.schedule import SCHEDULE, make_scheduler
from eplan_flow.jobs.worker import make_worker
from eplan_flow.models import EmailMessage, EvaluationReport, Notification, User
from eplan_flow.services.planning import reminders
from eplan_flow.services.platform import engine, queues
from tests.conftest import DATABASE_URL, REDIS_URL
from tests.factories import deadlines as deadline_factories

ROOT = Path(__file__).resolve().parents[3]
NOV_1 = date(2026, 11, 1)  # 2569 BE: the day after the 31 October deadline of the 2571–2575 plan
ONLY_DEADLINES = tuple(entry for entry in SCHEDULE if entry["job"] == "run_deadline_checks")


@pytest.fixture
def clock(monkeypatch):
    """Set the Bangkok date every service reads (``thaidate.today_local``)."""

    def _set(day: date) -> None:
        monkeypatch.setattr(thaidate, "today_local", lambda: day)

    return _set


def work(app):
    worker = make_worker(app, fork=False)
    worker.work(burst=True)
    return worker


def received(user, kind: str | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(_db.session.execute(query).scalars())


def kinds(user) -> list[str]:
    return [n.kind for n in received(user)]


def test_on_1_november_the_scheduled_job_notifies_the_lao_once_and_escalates_once_however_often_it_runs(
    world, db, app, clock, monkeypatch
):
    clock(NOV_1)
    # Run 1: a scheduler starting for the first time runs what it never ran.
    scheduler = make_scheduler(app, ONLY_DEADLINES)
    assert scheduler.catch_up() == ["run_deadline_checks"]
    assert [job.name for job in scheduler.enqueue_jobs()] == ["run_deadline_checks"]
    work(app)  # in its own app context and database session
    # Run 2: its next slot (07:00 Bangkok) arrives.
    (cron_job,) = scheduler.get_jobs()
    assert cron_job.next_enqueue_time.astimezone(thaidate.BANGKOK).time().isoformat() == "07:00:00"
    later = cron_job.next_enqueue_time + timedelta(seconds=1)
    monkeypatch.setattr(rq_cron, "now", lambda: later)
    assert [job.name for job in scheduler.enqueue_jobs()] == ["run_deadline_checks"]
    work(app)
    # Run 3: the worker restarts after the next slot passed with nobody scheduling.
    monkeypatch.setattr(rq_cron, "now", lambda: later + timedelta(days=1, hours=1))
    restarted = make_scheduler(app, ONLY_DEADLINES)
    assert restarted.catch_up() == ["run_deadline_checks"]
    assert len(restarted.enqueue_jobs()) == 1
    work(app)

    ran = cron_job.get_job_ids(queues.redis_connection(app))
    assert len(ran) == 3
    results = [queues.queue("default").fetch_job(job_id).return_value() for job_id in ran]
    assert sorted(r["created"].get("overdue", 0) for r in results) == [0, 0, 8]
    assert all(r["today"] == "2026-11-01" for r in results)

    # The อบต.'s people who must act: told once each, in Thai with the Buddhist-Era deadline.
    for person in (world.planner, world.support_secretary, world.executive):
        (notice,) = received(person)
        assert notice.kind == "overdue"
        assert notice.organisation_id == world.sao_a.id
        assert "31 ตุลาคม 2569" in notice.subject and "2571–2575" in notice.subject
        assert notice.link == "/overdue"  # no plan yet: the page that lists what is overdue
    for person in (world.devcom_secretary, world.council_secretary, world.sso_admin, world.nobody):
        assert received(person) == []
    # Its district office hears of the อบต. only: the เทศบาล of the same district goes to the province.
    escalations = received(world.district_officer)
    assert [(n.kind, n.organisation_id) for n in escalations] == [("escalation", world.sao_a.id)]
    assert world.sao_a.code in escalations[0].subject
    assert [(n.kind, n.organisation_id) for n in received(world.district_officer_2)] == [
        ("escalation", world.sao_c.id)
    ]
    assert [(n.kind, n.organisation_id) for n in received(world.provincial_officer)] == [
        ("escalation", world.town_b.id)
    ]
    # Another province's officer hears nothing of an อบต. (its district office has nobody here).
    assert received(world.provincial_officer_30) == []
    assert kinds(world.planner_x) == ["overdue"]
    assert kinds(world.dla_admin) == []


def test_each_notice_is_also_emailed_once(world, db, app, clock):
    clock(NOV_1)
    for _ in range(2):
        reminders.run_deadline_checks()
    mails = (
        db.session.execute(
            select(EmailMessage)
            .where(EmailMessage.user_id.in_([world.planner.id, world.district_officer.id]))
            .order_by(EmailMessage.user_id)
        )
        .scalars()
        .all()
    )
    assert [(m.to, m.user_id) for m in mails] == [
        (world.planner.email, world.planner.id),
        (world.district_officer.email, world.district_officer.id),
    ] or [(m.to, m.user_id) for m in mails] == [
        (world.district_officer.email, world.district_officer.id),
        (world.planner.email, world.planner.id),
    ]
    planner_mail = next(m for m in mails if m.user_id == world.planner.id)
    assert "31 ตุลาคม 2569" in planner_mail.body and "/overdue" in planner_mail.body


def test_an_announced_plan_for_the_period_ends_the_notices_and_a_new_period_notifies_again(
    world, db, app, clock
):
    deadline_factories.plan_in(
        world.sao_a,
        period_start_be=2571,
        status="announced",
        announced_on=date(2026, 10, 20),
        submitted_on=date(2026, 10, 25),
    )
    clock(NOV_1)
    reminders.run_deadline_checks()
    assert received(world.planner) == []
    assert [n.organisation_id for n in received(world.district_officer)] == []
    # Five years on, the 2576–2580 plan is due and missing: a new deadline, told again.
    clock(date(2031, 11, 1))
    summary = reminders.run_deadline_checks()
    (notice,) = about(world.planner, "plan_not_announced")
    assert "2576–2580" in notice.subject and "31 ตุลาคม 2574" in notice.subject
    assert summary.created["escalation"] >= 1


def test_reminders_go_14_and_3_days_before_the_review_deadline_each_once(world, db, app, clock):
    plan = deadline_factories.plan_in(
        world.town_b,
        period_start_be=2571,
        status="announced",
        announced_on=date(2026, 9, 1),
        submitted_on=date(2026, 9, 5),
    )
    for day, expected in (
        (date(2026, 10, 16), []),  # 15 days left: too early
        (date(2026, 10, 17), ["14"]),  # 14 days left
        (date(2026, 10, 18), ["14"]),  # the same reminder is not sent again
        (date(2026, 10, 28), ["14", "3"]),  # 3 days left
        (date(2026, 10, 30), ["14", "3"]),
        (date(2026, 10, 31), ["14", "3"]),  # the deadline itself: nothing new, not yet overdue
    ):
        clock(day)
        reminders.run_deadline_checks()
        reminded = received(world.planner, "reminder")
        assert [n.dedupe_key.rsplit(":", 1)[1].removesuffix("d") for n in reminded] == expected, day
    first, second = received(world.planner, "reminder")
    assert first.subject.startswith("อบต.หนองเลิง: อีก 14 วันครบกำหนด")
    assert "31 ตุลาคม 2569" in first.subject and "2571–2575" in first.subject
    assert "อีก 3 วัน" in second.subject
    # The town has its plan announced: no reminder; offices are not reminded, only told when late.
    # (Both LAOs are overdue for the 2566–2570 plan, which no one made here: that is another notice.)
    assert received(world.town_planner, "reminder") == []
    assert (
        received(world.district_officer, "reminder") == received(world.provincial_officer, "reminder") == []
    )
    assert {n.dedupe_key.split(":")[3] for n in received(world.planner, "overdue")} == {"2566"}
    assert plan.status == "announced"


def test_a_missed_day_still_reminds_at_the_tightest_point_reached(world, db, app, clock):
    clock(date(2026, 10, 30))  # the scheduler was down from the 14th to the 3rd day before
    reminders.run_deadline_checks()
    assert [n.dedupe_key.rsplit(":", 1)[1] for n in received(world.planner, "reminder")] == ["3d"]


def test_an_announced_plan_not_yet_submitted_is_reminded_before_its_15_days_run_out(world, db, app, clock):
    plan = deadline_factories.plan_in(
        world.sao_a, period_start_be=2571, status="announced", announced_on=date(2026, 11, 2)
    )
    clock(date(2026, 11, 3))  # deadline 17 November: 14 days left
    reminders.run_deadline_checks()
    reminders.run_deadline_checks()
    (notice,) = received(world.planner, "reminder")
    assert "2 พฤศจิกายน 2569" in notice.subject and "17 พฤศจิกายน 2569" in notice.subject
    assert notice.link == f"/instances/plan/{plan.id}"
    clock(date(2026, 11, 18))  # one day late: overdue, and the district hears of it
    reminders.run_deadline_checks()
    assert [n.kind for n in received(world.planner)] == ["reminder", "overdue"]
    (escalation,) = received(world.district_officer)
    assert escalation.link == f"/instances/plan/{plan.id}"


@pytest.mark.real_commits
def test_two_runs_racing_insert_each_notice_once(world, db, app, clock):
    clock(NOV_1)
    db.session.remove()

    def run() -> int:
        with app.app_context():
            return sum(reminders.run_deadline_checks().created.values())

    with ThreadPoolExecutor(max_workers=3) as pool:
        created = [f.result() for f in [pool.submit(run) for _ in range(3)]]
    total = db.session.execute(select(func.count()).select_from(Notification)).scalar_one()
    assert sum(created) == total == 8 + 3  # 8 LAO people told, 3 offices escalated


@pytest.mark.real_commits
def test_the_cli_runs_the_checks_for_a_given_day(world, db, app):
    db.session.remove()
    env = {
        **os.environ,
        "EPLAN_ENV": "test",
        "EPLAN_DATABASE_URL": DATABASE_URL,
        "EPLAN_REDIS_URL": REDIS_URL,
    }
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "eplan",
        "run-deadline-checks",
        "--today",
        "2026-11-01",
    ]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "new notifications: escalation 3, overdue 8" in first.stdout
    assert "new notifications: none" in again.stdout
    bad = subprocess.run(
        [*command[:-1], "1/11/2026"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 1 and "YYYY-MM-DD" in bad.stderr


def test_the_schedule_is_bangkok_time_json_and_retried_like_every_job(app, db):
    scheduler = make_scheduler(app)
    names = [job.name for job in scheduler.get_jobs()]
    assert "run_deadline_checks" in names
    (daily,) = [job for job in scheduler.get_jobs() if job.name == "run_deadline_checks"]
    at = daily.next_enqueue_time.astimezone(thaidate.BANGKOK)
    assert (at.hour, at.minute) == (7, 0)
    job = daily.enqueue(queues.redis_connection(app))
    stored = queues.queue("default").fetch_job(job.id)  # the JSON serializer reads it back
    assert stored.func_name == "eplan_flow.jobs.tasks.run_deadline_checks"
    assert (stored.retries_left, stored.retry_intervals) == (3, [10, 60, 300])
    assert daily.last_enqueued(queues.redis_connection(app)) is not None
    # Just enqueued: a restart now has nothing to catch up.
    assert make_scheduler(app).catch_up() == [name for name in names if name != "run_deadline_checks"]


def test_an_unknown_scheduled_job_is_skipped_not_fatal(app, db):
    scheduler = make_scheduler(app, ({"job": "no_such_job", "queue": "default", "cron": "0 * * * *"},))
    assert scheduler.get_jobs() == []


def _users(db, *names) -> list[User]:
    return [db.session.execute(select(User).where(User.username == n)).scalar_one() for n in names]


def test_the_worker_runs_the_scheduler_beside_it(app, db, world, clock, monkeypatch):
    clock(NOV_1)
    stop = threading.Event()
    db.session.remove()
    thread = threading.Thread(target=schedule.run_scheduler, args=(app, stop, ONLY_DEADLINES))
    thread.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while not queues.queue("default").job_ids and datetime.now(UTC) < deadline:
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    work(app)
    (planner,) = _users(db, "a_planner")
    assert kinds(planner) == ["overdue"]


def evaluation_report(org, fiscal_year_be: int, status: str, presented_on: date | None = None):
    row = EvaluationReport(organisation_id=org.id, fiscal_year_be=fiscal_year_be, round="october")
    engine.start(row, None)
    # Started under the rules before the 2561 ones (15 days from the council): it finishes under them.
    row.workflow_version = 1
    row.status, row.presented_on = status, presented_on
    _db.session.commit()
    return row


def about(user, prefix: str) -> list[Notification]:
    return [n for n in received(user) if n.dedupe_key.split(":")[1] == prefix]


def test_a_presented_evaluation_report_is_reminded_then_escalated_when_not_announced_in_15_days(
    world, db, app, clock
):
    report = evaluation_report(world.town_b, 2569, "presented", presented_on=date(2026, 11, 2))
    for day in (date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 18), date(2026, 11, 19)):
        clock(day)
        reminders.run_deadline_checks()
    (reminder,) = about(world.town_executive, "evaluation_announcement")
    assert "2 พฤศจิกายน 2569" in reminder.subject and "17 พฤศจิกายน 2569" in reminder.subject
    assert reminder.link == f"/results/reports/{report.id}"
    (late,) = about(world.town_executive, "evaluation_announcement_late")
    assert late.kind == "overdue"
    # A เทศบาล: the province follows it up, not the district.
    (escalation,) = about(world.provincial_officer, "evaluation_announcement_late")
    assert escalation.kind == "escalation" and escalation.link == f"/results/reports/{report.id}"
    assert about(world.district_officer, "evaluation_announcement_late") == []


def test_the_yearly_evaluation_report_is_reminded_before_31_december_and_escalated_after(
    world, db, app, clock
):
    evaluation_report(world.sao_c, 2569, "announced")
    clock(date(2026, 12, 17))  # 14 days before 31 December 2569
    reminders.run_deadline_checks()
    (reminder,) = about(world.planner, "evaluation_yearly")
    assert "ปีงบประมาณ 2569" in reminder.subject and "31 ธันวาคม 2569" in reminder.subject
    assert reminder.link == f"/results/laos/{world.sao_a.id}"
    assert about(world.planner_c, "evaluation_yearly") == []  # its report is announced
    clock(date(2027, 1, 1))
    reminders.run_deadline_checks()
    reminders.run_deadline_checks()
    assert [n.kind for n in about(world.planner, "evaluation_not_announced")] == ["overdue"]
    assert [n.organisation_id for n in about(world.district_officer, "evaluation_not_announced")] == [
        world.sao_a.id
    ]
    assert about(world.district_officer_2, "evaluation_not_announced") == []
    # Fiscal year 2568 was reported on paper, before the app chased it: nobody is told of it.
    clock(date(2026, 11, 1))
    reminders.run_deadline_checks()
    assert not [n for n in received(world.planner) if ":2568:" in n.dedupe_key]


@pytest.mark.real_commits
def test_the_flask_worker_command_with_its_scheduler_schedules_and_runs_the_deadline_checks(world, db):
    """`make worker` runs `eplan worker --with-scheduler`: its scheduler runs the never-run daily job
    at start."""
    planner_id = world.planner.id
    db.session.remove()
    env = {
        **os.environ,
        "EPLAN_ENV": "test",
        "EPLAN_DATABASE_URL": DATABASE_URL,
        "EPLAN_REDIS_URL": REDIS_URL,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "eplan", "worker", "--with-scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        told = []
        while not told and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
            told = (
                db.session.execute(select(Notification.kind).where(Notification.user_id == planner_id))
                .scalars()
                .all()
            )
            db.session.rollback()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            _, errors = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            _, errors = worker.communicate()
    # No plan at all: whatever today is, the LAO is late for its current period.
    assert "overdue" in told, errors[-3000:]
    assert worker.returncode == 0, errors[-3000:]
    connection = redis.Redis.from_url(REDIS_URL)
    assert connection.zcard("rq:cron_job:run_deadline_checks:jobs") == 1  # enqueued by its scheduler
    assert cron_scheduler_registry.get_keys(connection) == []  # which said goodbye on SIGTERM

"""The notifications centre: the items waiting for my step, and my unread notices by kind, newest
first, paged, marked read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from eplan_flow.models import Account, Notification
from eplan_flow.services.platform import engine
from tests import factories


def text(response) -> str:
    return response.get_data(as_text=True)


def notice(db, user, subject, minutes_ago, kind="workflow", read=False, link="/overdue"):
    now = datetime.now(UTC)
    row = Notification(
        user_id=user.id,
        subject=subject,
        link=link,
        kind=kind,
        created_at=now - timedelta(minutes=minutes_ago),
        read_at=now if read else None,
    )
    db.session.add(row)
    db.session.commit()
    return row


def waiting_part(page: str) -> str:
    return page.split('id="waiting-heading"', 1)[1].split('id="notices-heading"', 1)[0]


def notices_part(page: str) -> str:
    return page.split('id="notices-heading"', 1)[1]


def test_a_plan_at_the_committee_waits_for_its_secretary_only(world, db, login_as, client):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    factories.plan(world.sao_x, world.planner_x, status="committee_review")

    page = text(login_as(world.devcom_secretary).get("/notifications?lang=en"))

    waiting = waiting_part(page)
    assert f'href="/instances/plan/{plan.id}"' in waiting and plan.title in waiting
    assert "Endorse (development committee), Return for revision" in waiting
    assert "Return for revision" in waiting
    assert world.sao_x.name_th not in waiting  # another province's plan at its committee
    for other in ("planner", "district_officer", "executive"):
        other_page = text(login_as(getattr(world, other)).get("/notifications?lang=en"))
        assert f"/instances/plan/{plan.id}" not in waiting_part(other_page), other
        assert "No item waits for your step right now." in other_page


def test_a_drafting_plan_waits_for_its_planners(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    for person in (world.planner, world.support_secretary):
        assert f"/instances/plan/{plan.id}" in waiting_part(text(login_as(person).get("/notifications")))
    assert f"/instances/plan/{plan.id}" not in waiting_part(
        text(login_as(world.planner_x).get("/notifications"))
    )


def account_awaiting_approval(user):
    account = Account(user_id=user.id, organisation_id=user.organisation_id, requested_role="member")
    engine.start(account, user)
    account.status = "awaiting_approval"
    from eplan_flow.extensions import db

    db.session.commit()
    return account


def test_an_account_awaiting_approval_waits_for_the_lao_admin_but_not_for_its_owner(world, db, login_as):
    theirs = account_awaiting_approval(world.nobody)
    own = account_awaiting_approval(world.sso_admin)

    waiting = waiting_part(text(login_as(world.sso_admin).get("/notifications?lang=en")))

    assert f"/sso/approvals/accounts/{theirs.id}" in waiting and "Approve the account" in waiting
    # Separation of duties: nobody approves their own account, so it does not wait for them.
    assert f"/sso/approvals/accounts/{own.id}" not in waiting
    # Settled rows are not "waiting" because someone could suspend them.
    theirs.status = "active"
    db.session.commit()
    assert f"/sso/approvals/accounts/{theirs.id}" not in waiting_part(
        text(login_as(world.sso_admin).get("/notifications"))
    )


def test_unread_notices_are_listed_newest_first_with_their_kind(world, db, login_as):
    notice(db, world.planner, "old reminder", 90, kind="reminder")
    notice(db, world.planner, "overdue now", 10, kind="overdue")
    notice(db, world.planner, "seen already", 5, kind="escalation", read=True)
    notice(db, world.district_officer, "someone else's", 1, kind="escalation")

    page = notices_part(text(login_as(world.planner).get("/notifications?lang=en")))

    assert page.index("overdue now") < page.index("old reminder")
    assert "Deadline reminder" in page and "Overdue" in page
    assert "seen already" not in page and "someone else&#39;s" not in page
    everything = notices_part(text(login_as(world.planner).get("/notifications?show=all&lang=en")))
    assert (
        everything.index("seen already") < everything.index("overdue now") < everything.index("old reminder")
    )


def test_marking_a_notice_read_takes_it_off_the_unread_list(world, db, login_as):
    first = notice(db, world.planner, "first notice", 2, kind="reminder")
    notice(db, world.planner, "second notice", 1, kind="overdue")
    client = login_as(world.planner)

    assert client.post("/notifications/read", data={"notification_id": first.id}).status_code == 303

    page = notices_part(text(client.get("/notifications")))
    assert "second notice" in page and "first notice" not in page
    db.session.expire_all()
    assert db.session.get(Notification, first.id).read_at is not None
    assert "first notice" in text(client.get("/notifications?show=all"))


LINKED = '<a href="/overdue">notice number'


def test_notices_are_paged_and_the_pages_keep_the_filter(world, db, login_as):
    for n in range(55):
        notice(db, world.planner, f"notice number {n:02d}", 100 - n, kind="reminder", read=n % 2 == 0)
    client = login_as(world.planner)

    unread = notices_part(text(client.get("/notifications?lang=en")))
    assert unread.count(LINKED) == 27 and "Page" not in unread
    first = notices_part(text(client.get("/notifications?show=all&lang=en")))
    assert first.count(LINKED) == 50 and "notice number 54" in first and "notice number 04" not in first
    assert "/notifications?page=2&amp;show=all" in first
    second = notices_part(text(client.get("/notifications?show=all&page=2&lang=en")))
    assert second.count(LINKED) == 5 and "notice number 00" in second


def test_the_centre_shows_notices_the_deadline_job_wrote(world, db, login_as, app, monkeypatch):
    from datetime import date

    from eplan_flow import thaidate
    from eplan_flow.services.planning import reminders

    monkeypatch.setattr(thaidate, "today_local", lambda: date(2026, 11, 1))
    reminders.run_deadline_checks()

    page = text(login_as(world.district_officer).get("/notifications"))
    (escalation,) = db.session.execute(
        select(Notification).where(Notification.user_id == world.district_officer.id)
    ).scalars()
    assert escalation.subject in notices_part(page)
    assert 'href="/overdue"' in notices_part(page)

"""The inbox: what waits for me, newest first, and marking it read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from eplan_flow.models import Notification
from tests import factories


def text(response) -> str:
    return response.get_data(as_text=True)


def notice(db, user, subject, minutes_ago, link="/instances/plan/1"):
    row = Notification(
        user_id=user.id,
        subject=subject,
        body="เสนอคณะกรรมการพัฒนาท้องถิ่น",
        link=link,
        created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
    )
    db.session.add(row)
    db.session.commit()
    return row


def read_state(db) -> dict[str, bool]:
    db.session.expire_all()
    return {n.subject: n.read_at is not None for n in db.session.execute(select(Notification)).scalars()}


def test_the_inbox_lists_my_notifications_newest_first_with_links(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    notice(db, world.devcom_secretary, "เรื่องเก่า", 60, link=f"/instances/plan/{plan.id}")
    notice(db, world.devcom_secretary, "เรื่องใหม่", 1, link=f"/instances/plan/{plan.id}")
    notice(db, world.planner_x, "เรื่องของคนอื่น", 5)

    page = text(login_as(world.devcom_secretary).get("/notifications"))

    assert page.index("เรื่องใหม่") < page.index("เรื่องเก่า")
    assert "เรื่องของคนอื่น" not in page
    assert f'href="/instances/plan/{plan.id}"' in page


def test_the_home_page_and_the_menu_count_unread_notifications(world, db, login_as):
    notice(db, world.planner, "หนึ่ง", 2)
    notice(db, world.planner, "สอง", 1)
    page = text(login_as(world.planner).get("/"))
    assert "มีการแจ้งเตือนรอท่าน 2 รายการ" in page
    assert '<span class="count">2' in page


def test_marking_one_notification_read_leaves_the_others(world, db, login_as):
    first = notice(db, world.planner, "หนึ่ง", 2)
    notice(db, world.planner, "สอง", 1)
    client = login_as(world.planner)

    response = client.post("/notifications/read", data={"notification_id": first.id})

    assert response.status_code == 303
    assert read_state(db) == {"หนึ่ง": True, "สอง": False}


def test_mark_all_read_touches_only_my_own_notifications(world, db, login_as):
    notice(db, world.planner, "ของฉัน", 2)
    theirs = notice(db, world.planner_x, "ของคนอื่น", 1)
    client = login_as(world.planner)

    # Someone else's id is ignored, not marked.
    client.post("/notifications/read", data={"notification_id": theirs.id})
    assert read_state(db) == {"ของฉัน": False, "ของคนอื่น": False}

    response = client.post("/notifications/read", data={})
    assert response.status_code == 303
    assert read_state(db) == {"ของฉัน": True, "ของคนอื่น": False}
    assert "ทำเครื่องหมายว่าอ่านแล้ว 1 รายการ" in text(client.get("/notifications"))


def test_a_malformed_mark_read_request_changes_nothing(world, db, login_as):
    notice(db, world.planner, "หนึ่ง", 2)
    client = login_as(world.planner)
    response = client.post("/notifications/read", data={"notification_id": "abc"})
    assert response.status_code == 303
    assert read_state(db) == {"หนึ่ง": False}
    assert "คำขอไม่ถูกต้อง" in text(client.get("/notifications"))

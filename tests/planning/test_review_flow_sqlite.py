"""The review journey (ทบทวน) on SQLite, the embedded database ``make run`` serves, through the pages.

A planner of an อบต. opens a review from the plan, records the civic forum, renames a strategy and
changes a project; the review is refused at the committee step until the forum is recorded, then
goes through the committee, the council and the executive, and the plan's version 2 is in force
while version 1 still reads as it was.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from eplan_flow.extensions import db
from eplan_flow.models import LaoStrategy, PlanReview, PlanVersion, ProjectRecord
from eplan_flow.thaidate import be_year, today_local
from tests import factories
from tests.factories.revisions import announced_plan


def _signed_in(app, username: str):
    client = app.test_client()
    response = client.post("/auth/login", data={"username": username, "password": "pw"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def _fire(app, username: str, review_id: int, trigger: str, **facts):
    with app.app_context():
        version = db.session.get(PlanReview, review_id).version
        db.session.remove()
    return _signed_in(app, username).post(
        f"/instances/review/{review_id}/fire",
        data={"trigger": trigger, "expected_version": str(version), **facts},
        follow_redirects=True,
    )


def test_a_planner_reviews_an_announced_plan_on_sqlite_through_the_pages(sqlite_app):
    app = sqlite_app
    with app.app_context():
        world = factories.build_world()
        plan = announced_plan(world.sao_a, world.planner)
        plan_id = plan.id
        strategy_id = db.session.scalar(
            select(LaoStrategy.id).where(LaoStrategy.plan_id == plan_id, LaoStrategy.number == 1)
        )
        people = {
            role: getattr(world, role).username
            for role in ("planner", "devcom_secretary", "council_secretary", "executive")
        }
        db.session.remove()

    planner = _signed_in(app, people["planner"])
    overview = planner.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert f"/plans/{plan_id}/reviews" in overview and "ทบทวนแผน" in overview
    response = planner.post(f"/plans/{plan_id}/reviews/open", data={"reasons": "ครบรอบการทบทวน"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    review_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = planner.get(f"/plans/reviews/{review_id}").get_data(as_text=True)
    assert "การประชุมประชาคมท้องถิ่น" in page and "ร่างการทบทวนแผนพัฒนาท้องถิ่น" in page

    response = planner.post(
        f"/plans/reviews/{review_id}/strategy",
        data={
            "strategy_id": str(strategy_id),
            "number": "1",
            "name": "ยุทธศาสตร์การพัฒนาเมืองน่าอยู่",
            "tactics": "1 ปรับปรุงถนนและทางเท้า",
            "reason": "สอดคล้องกับยุทธศาสตร์จังหวัด",
        },
    )
    assert response.status_code == 303
    response = planner.post(
        f"/plans/reviews/{review_id}/change",
        data={"project_no": "2", "budget_3": "1,500.00", "reason": "ราคาวัสดุสูงขึ้น"},
    )
    assert response.status_code == 303

    # Without the civic forum the committee step is refused, and the page says why in Thai.
    refused = _fire(app, people["planner"], review_id, "submit_to_committee").get_data(as_text=True)
    assert "ต้องบันทึกการประชุมประชาคมท้องถิ่น" in refused
    response = planner.post(
        f"/plans/civic-forum/review/{review_id}",
        data={
            "meeting_date": "12/11/2569",
            "place": "ศาลาประชาคมหมู่ 3",
            "attendees": "87",
            "resolution": "เห็นชอบ",
        },
    )
    assert response.status_code == 303
    page = planner.get(f"/plans/reviews/{review_id}").get_data(as_text=True)
    assert "ศาลาประชาคมหมู่ 3" in page and "87" in page

    meeting = {"meeting_date": (today_local() - timedelta(days=1)).isoformat(), "resolution": "ครั้งที่ 4/2569"}
    _fire(app, people["planner"], review_id, "submit_to_committee")
    _fire(app, people["devcom_secretary"], review_id, "endorse", **meeting)
    _fire(app, people["council_secretary"], review_id, "approve_by_council", **meeting)
    _fire(app, people["executive"], review_id, "approve_and_announce")

    with app.app_context():
        review = db.session.get(PlanReview, review_id)
        assert (review.status, review.result_version) == ("announced", 2)
        assert review.title == f"ทบทวน ครั้งที่ 1/{be_year(today_local().year)}"
        assert (
            db.session.scalar(
                select(PlanVersion.review_id).where(PlanVersion.plan_id == plan_id, PlanVersion.number == 2)
            )
            == review_id
        )
        budgets = {
            (r.valid_from, r.valid_to): r.budget_3
            for r in db.session.scalars(
                select(ProjectRecord).where(ProjectRecord.plan_id == plan_id, ProjectRecord.project_no == 2)
            )
        }
        assert budgets[(2, None)] == Decimal("1500.00") and budgets[(1, 2)] != Decimal("1500.00")
        assert db.session.get(LaoStrategy, strategy_id).name == "ยุทธศาสตร์การพัฒนาเมืองน่าอยู่"
        db.session.remove()
    reviews_page = planner.get(f"/plans/{plan_id}/reviews").get_data(as_text=True)
    assert "ทบทวน ครั้งที่ 1/" in reviews_page
    # The printed ผ.02 of version 2 is headed by the review; version 1 by the plan as announced.
    heading = '<p class="muted">ทบทวน ครั้งที่ 1/'
    assert heading in planner.get(f"/plans/{plan_id}/p02?version=2").get_data(as_text=True)
    assert heading not in planner.get(f"/plans/{plan_id}/p02?version=1").get_data(as_text=True)

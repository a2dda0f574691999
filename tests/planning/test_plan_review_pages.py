"""A review (ทบทวน) through its pages and services: everything a review may change (a new project
with every ผ.02 column, a project's linkage, a strategy with its tactics and links), swapping two
strategies' numbers, who may post, and the printed review with its old and new values."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from eplan_flow.errors import InvalidInput
from eplan_flow.extensions import db as _db
from eplan_flow.models import LaoStrategy, PlanReview, PlanVersion, ProjectRecord, ReviewItem
from eplan_flow.services.planning import civic_forum, reviews
from eplan_flow.services.planning.projects import valid_at_clause
from eplan_flow.services.platform import engine
from eplan_flow.thaidate import be_year, today_local
from tests import factories
from tests.factories.revisions import announced_plan, programmes, sdg

MEETING = {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"}
FORUM = {"meeting_date": "12/11/2569", "place": "ศาลาประชาคมหมู่ 3", "attendees": "87", "resolution": "เห็นชอบ"}


def strategies_by_number(plan_id: int) -> dict[int, LaoStrategy]:
    rows = _db.session.scalars(select(LaoStrategy).where(LaoStrategy.plan_id == plan_id))
    return {s.number: s for s in rows}


def announce(world, review_id: int) -> None:
    """Through the ข้อ 17 cycle of a เทศบาล: civic forum, committee, executive."""
    civic_forum.record_meeting(world.town_planner, "review", review_id, **FORUM)
    engine.fire("review", review_id, "submit_to_committee", world.town_planner)
    engine.fire("review", review_id, "endorse", world.town_devcom_secretary, data=MEETING)
    engine.fire("review", review_id, "approve_and_announce", world.town_executive)


def swap(actor, review_id: int, first: LaoStrategy, second: LaoStrategy) -> None:
    reviews.set_strategy(actor, review_id, strategy_id=first.id, number=2, name=first.name, reason="สลับลำดับ")
    reviews.set_strategy(
        actor, review_id, strategy_id=second.id, number=1, name=second.name, reason="สลับลำดับ"
    )


# -- swapping strategies' numbers ------------------------------------------------------------------
def test_a_review_swapping_two_strategies_numbers_is_announced_and_version_1_keeps_the_old_order(world, db):
    plan = announced_plan(world.town_b, world.town_planner)
    before = strategies_by_number(plan.id)
    review = reviews.open_review(world.town_planner, plan.id, reasons="จัดลำดับยุทธศาสตร์ใหม่")
    swap(world.town_planner, review.id, before[1], before[2])
    assert reviews.strategy_number_clashes(review) == []

    announce(world, review.id)

    db.session.expire_all()
    after = strategies_by_number(plan.id)
    assert (after[1].id, after[2].id) == (before[2].id, before[1].id)
    assert db.session.get(PlanReview, review.id).status == "announced"
    # Version 1 reads the strategies as they were numbered.
    then = {s["number"]: s["id"] for s in reviews.strategies_at(plan.id, 1)}
    assert then == {1: before[1].id, 2: before[2].id}


def test_half_a_swap_is_shown_as_a_clash_and_announcing_it_changes_nothing(world, db):
    plan = announced_plan(world.town_b, world.town_planner)
    before = strategies_by_number(plan.id)
    review = reviews.open_review(world.town_planner, plan.id)
    reviews.set_strategy(
        world.town_planner, review.id, strategy_id=before[1].id, number=2, name="ยุทธศาสตร์ใหม่"
    )
    assert reviews.strategy_number_clashes(review) == [2]
    civic_forum.record_meeting(world.town_planner, "review", review.id, **FORUM)
    engine.fire("review", review.id, "submit_to_committee", world.town_planner)
    engine.fire("review", review.id, "endorse", world.town_devcom_secretary, data=MEETING)

    with pytest.raises(reviews.StrategyNumbersClash):
        engine.fire("review", review.id, "approve_and_announce", world.town_executive)

    db.session.expire_all()
    assert {n: s.id for n, s in strategies_by_number(plan.id).items()} == {1: before[1].id, 2: before[2].id}
    assert db.session.get(PlanReview, review.id).status == "executive_review"
    assert db.session.get(type(plan), plan.id).current_version == 1


def test_two_strategies_of_one_review_cannot_claim_the_same_number(world, db):
    plan = announced_plan(world.town_b, world.town_planner)
    before = strategies_by_number(plan.id)
    review = reviews.open_review(world.town_planner, plan.id)
    reviews.set_strategy(world.town_planner, review.id, strategy_id=before[1].id, number=3, name="ก")
    with pytest.raises(InvalidInput) as refused:
        reviews.set_strategy(world.town_planner, review.id, number=3, name="ยุทธศาสตร์ที่เพิ่มใหม่")
    assert refused.value.details["field"] == "number"
    # Editing the same strategy again replaces its item instead of adding a second one.
    reviews.set_strategy(world.town_planner, review.id, strategy_id=before[1].id, number=3, name="ข")
    db.session.refresh(review)
    assert [(i.kind, i.values["name"]) for i in review.items] == [("strategy", "ข")]


# -- the forms on the review page --------------------------------------------------------------------
@pytest.fixture
def draft(world, db):
    plan = announced_plan(world.sao_a, world.planner)
    review = reviews.open_review(world.planner, plan.id, reasons="ครบรอบการทบทวน")
    return plan, review


def addition_form(plan, **overrides) -> dict:
    strategy = strategies_by_number(plan.id)[1]
    data = {
        "add-source": "own",
        "add-strategy_id": str(strategy.id),
        "add-tactic_id": str(strategy.tactics[0].id),
        "add-programme_id": str(programmes()[1].id),
        "add-links": [str(sdg(9).id), str(sdg(11).id)],
        "add-name": "โครงการขุดลอกคลองสาธารณะ",
        "add-objective": "เพื่อระบายน้ำ",
        "add-target": "คลองยาว 2 กิโลเมตร",
        "add-kpi": "ร้อยละ 90",
        "add-expected_result": "น้ำไม่ท่วมขัง",
        "add-responsible_unit": "กองช่าง",
        f"add-budget_{plan.period_start_be + 1}": "1,250,000.50",
        "add-reason": "ปัญหาน้ำท่วมซ้ำซาก",
    }
    data.update(overrides)
    return data


def test_a_planner_adds_a_new_project_with_every_column_through_the_review_page(
    draft, client, login_as, world
):
    plan, review = draft
    login_as(world.planner)
    page = client.get(f"/plans/reviews/{review.id}").get_data(as_text=True)
    assert "เพิ่มโครงการใหม่" in page and 'name="add-objective"' in page and 'name="add-links"' in page
    response = client.post(f"/plans/reviews/{review.id}/projects", data=addition_form(plan))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]

    item = _db.session.scalars(select(ReviewItem).where(ReviewItem.review_id == review.id)).one()
    assert item.kind == "addition" and item.reason == "ปัญหาน้ำท่วมซ้ำซาก"
    assert item.values["budget_2"] == "1250000.50" and item.values["links"] == sorted([sdg(9).id, sdg(11).id])
    assert item.values["objective"] == "เพื่อระบายน้ำ" and item.values["programme_id"] == programmes()[1].id


def test_a_new_project_missing_its_name_is_shown_again_with_what_was_typed(draft, client, login_as, world):
    plan, review = draft
    login_as(world.planner)
    response = client.post(
        f"/plans/reviews/{review.id}/projects", data=addition_form(plan, **{"add-name": ""})
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "คลองยาว 2 กิโลเมตร" in page and 'aria-invalid="true"' in page
    assert "ไม่ได้บันทึก" in page
    assert _db.session.scalar(select(func.count()).select_from(ReviewItem)) == 0


def test_a_projects_linkage_changes_in_the_review_and_version_1_keeps_the_old_one(
    world, db, client, login_as
):
    plan = announced_plan(world.town_b, world.town_planner)
    review = reviews.open_review(world.town_planner, plan.id)
    other = strategies_by_number(plan.id)[1]  # project 1 sits under strategy 2
    login_as(world.town_planner)
    page = client.get(f"/plans/reviews/{review.id}?project=1").get_data(as_text=True)
    assert 'name="linkage-strategy_id"' in page
    response = client.post(
        f"/plans/reviews/{review.id}/linkage",
        data={
            "linkage-project_no": "1",
            "linkage-strategy_id": str(other.id),
            "linkage-tactic_id": str(other.tactics[0].id),
            "linkage-programme_id": str(programmes()[0].id),
            "linkage-links": [str(sdg(13).id)],
            "linkage-reason": "ย้ายไปยุทธศาสตร์ที่ตรงกว่า",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    # A budget change of the same project joins the linkage in one item.
    response = client.post(
        f"/plans/reviews/{review.id}/change",
        data={"project_no": "1", "budget_3": "5,000.00", "reason": "ปรับงบ"},
    )
    assert response.status_code == 303
    db.session.refresh(review)
    assert len(review.items) == 1 and review.items[0].values["budget_3"] == "5000.00"

    announce(world, review.id)
    records = {
        version: db.session.scalars(
            select(ProjectRecord).where(
                ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 1, valid_at_clause(version)
            )
        ).one()
        for version in (1, 2)
    }
    assert records[2].strategy_id == other.id and [i.id for i in records[2].links] == [sdg(13).id]
    assert records[2].budget_3 == Decimal("5000.00") and records[2].programme_id == programmes()[0].id
    assert records[1].strategy_id != other.id and [i.id for i in records[1].links] == [sdg(2).id]


def test_a_tactic_from_another_strategy_is_refused_with_the_form_kept(draft, client, login_as, world):
    plan, review = draft
    first, second = strategies_by_number(plan.id)[1], strategies_by_number(plan.id)[2]
    login_as(world.planner)
    response = client.post(
        f"/plans/reviews/{review.id}/linkage",
        data={
            "linkage-project_no": "2",
            "linkage-strategy_id": str(first.id),
            "linkage-tactic_id": str(second.tactics[0].id),
            "linkage-programme_id": str(programmes()[0].id),
        },
    )
    assert response.status_code == 422
    assert "ไม่ได้บันทึก: กรุณาตรวจสอบช่อง “กลยุทธ์”" in response.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(ReviewItem)) == 0


def test_the_strategy_form_fills_in_a_strategy_and_saves_its_tactics_and_links(
    draft, client, login_as, world
):
    plan, review = draft
    first = strategies_by_number(plan.id)[1]
    login_as(world.planner)
    page = client.get(f"/plans/reviews/{review.id}?strategy={first.id}").get_data(as_text=True)
    assert f'value="{first.name}"' in page and "1 กลยุทธ์ที่ 1 ของยุทธศาสตร์ที่ 1" in page
    response = client.post(
        f"/plans/reviews/{review.id}/strategy",
        data={
            "strategy_id": str(first.id),
            "number": "1",
            "name": first.name,
            "tactics": "1 กลยุทธ์ที่ 1 ปรับปรุงถนน\n2 กลยุทธ์ที่ 2 ระบบระบายน้ำ",
            "links": [str(sdg(9).id)],
            "links_shown": "1",
            "reason": "เพิ่มกลยุทธ์",
        },
    )
    assert response.status_code == 303
    item = _db.session.scalars(select(ReviewItem).where(ReviewItem.review_id == review.id)).one()
    assert item.values["links"] == [sdg(9).id]
    assert [t["name"] for t in item.values["tactics"]] == ["กลยุทธ์ที่ 1 ปรับปรุงถนน", "กลยุทธ์ที่ 2 ระบบระบายน้ำ"]


NEW_ROUTES = ("projects", "linkage", "strategy", "change")


@pytest.mark.parametrize("role", ["executive", "district_officer", "council_secretary"])
def test_readers_posting_to_the_review_forms_are_refused_before_their_form_is_read(
    role, draft, client, login_as, world
):
    plan, review = draft
    login_as(getattr(world, role))
    for path in NEW_ROUTES:
        # An empty post: refused for who they are, not for the form.
        assert client.post(f"/plans/reviews/{review.id}/{path}", data={}).status_code == 403, path
        assert client.post(f"/plans/reviews/{review.id}/{path}", data=addition_form(plan)).status_code == 403
    assert _db.session.scalar(select(func.count()).select_from(ReviewItem)) == 0


def test_posts_to_a_review_past_drafting_are_refused_and_outsiders_get_not_found(world, db, client, login_as):
    plan = announced_plan(world.town_b, world.town_planner)
    review = reviews.open_review(world.town_planner, plan.id)
    reviews.change_project(world.town_planner, review.id, 1, {"target": "ถนนยาว 300 เมตร"})
    announce(world, review.id)
    login_as(world.town_planner)
    for path in NEW_ROUTES:
        assert client.post(f"/plans/reviews/{review.id}/{path}", data={}).status_code == 409, path
    login_as(world.planner_x)
    for path in NEW_ROUTES:
        assert client.post(f"/plans/reviews/{review.id}/{path}", data={}).status_code == 404, path
    assert client.get(f"/plans/reviews/{review.id}/print").status_code == 404


# -- the printed review ------------------------------------------------------------------------------
def test_the_printed_review_names_the_lao_and_its_number_and_shows_each_change_old_and_new(
    world, db, client, login_as
):
    plan = announced_plan(world.town_b, world.town_planner)
    before = strategies_by_number(plan.id)
    review = reviews.open_review(world.town_planner, plan.id, reasons="ครบรอบทบทวนตามหนังสือสั่งการ")
    swap(world.town_planner, review.id, before[1], before[2])
    reviews.change_project(world.town_planner, review.id, 2, {"budget_2": "654321.00"}, reason="ราคาวัสดุสูงขึ้น")
    login_as(world.town_planner)
    draft_page = client.get(f"/plans/reviews/{review.id}/print").get_data(as_text=True)
    assert "ร่างการทบทวนแผนพัฒนาท้องถิ่น" in draft_page
    review_page = client.get(f"/plans/reviews/{review.id}").get_data(as_text=True)
    assert f"/plans/reviews/{review.id}/print" in review_page

    announce(world, review.id)
    response = client.get(f"/plans/reviews/{review.id}/print")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    year = be_year(today_local().year)
    assert f"ทบทวน ครั้งที่ 1/{year}" in page
    assert world.town_b.name_th in page and "อำเภอ เมืองบึงกาฬ" in page and "จังหวัด บึงกาฬ" in page
    assert "ครบรอบทบทวนตามหนังสือสั่งการ" in page and "ศาลาประชาคมหมู่ 3" in page
    old_budget = _db.session.scalar(
        select(ProjectRecord.budget_2).where(
            ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 2, valid_at_clause(1)
        )
    )
    assert f"{old_budget:,.2f}" in page and "654,321.00" in page and "ราคาวัสดุสูงขึ้น" in page
    # The strategies' numbers, old and new.
    assert f"1. {before[1].name}" in page and "สลับลำดับ" in page
    assert "print.css" in page


# -- on SQLite, through the pages ---------------------------------------------------------------------
def _signed_in(app, username: str):
    client = app.test_client()
    assert client.post("/auth/login", data={"username": username, "password": "pw"}).status_code == 302
    return client


def test_swapping_two_strategies_through_the_pages_works_on_sqlite(sqlite_app):
    app = sqlite_app
    with app.app_context():
        world = factories.build_world()
        plan = announced_plan(world.town_b, world.town_planner)
        plan_id = plan.id
        first, second = (strategies_by_number(plan_id)[n] for n in (1, 2))
        ids = {"first": first.id, "second": second.id}
        names = {"first": first.name, "second": second.name}
        people = {
            r: getattr(world, f"town_{r}").username for r in ("planner", "devcom_secretary", "executive")
        }
        _db.session.remove()

    planner = _signed_in(app, people["planner"])
    review_id = int(
        planner.post(f"/plans/{plan_id}/reviews/open", data={"reasons": "จัดลำดับใหม่"})
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    for key, number, clash_shown in (("first", "2", True), ("second", "1", False)):
        response = planner.post(
            f"/plans/reviews/{review_id}/strategy",
            data={"strategy_id": str(ids[key]), "number": number, "name": names[key], "reason": "สลับ"},
        )
        assert response.status_code == 303
        page = planner.get(f"/plans/reviews/{review_id}").get_data(as_text=True)
        # Halfway, the page says strategy number 2 would be held twice.
        assert ("จะมีหมายเลข 2 ซ้ำกัน" in page) is clash_shown
    planner.post(f"/plans/civic-forum/review/{review_id}", data=FORUM)
    meeting = {"meeting_date": (today_local() - timedelta(days=1)).isoformat(), "resolution": "ครั้งที่ 4/2569"}
    for who, trigger, facts in (
        ("planner", "submit_to_committee", {}),
        ("devcom_secretary", "endorse", meeting),
        ("executive", "approve_and_announce", {}),
    ):
        with app.app_context():
            version = _db.session.get(PlanReview, review_id).version
            _db.session.remove()
        _signed_in(app, people[who]).post(
            f"/instances/review/{review_id}/fire",
            data={"trigger": trigger, "expected_version": str(version), **facts},
        )

    with app.app_context():
        assert _db.session.get(PlanReview, review_id).status == "announced"
        numbers = {
            s.id: s.number
            for s in _db.session.scalars(select(LaoStrategy).where(LaoStrategy.plan_id == plan_id))
        }
        assert numbers == {ids["first"]: 2, ids["second"]: 1}
        assert (
            _db.session.scalar(
                select(PlanVersion.review_id).where(PlanVersion.plan_id == plan_id, PlanVersion.number == 2)
            )
            == review_id
        )
        _db.session.remove()

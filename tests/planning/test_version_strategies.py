"""An older plan version stays readable (issue 12, item 1): after a review (ทบทวน) renames, renumbers
and relinks a strategy, the ยท.01, ผ.01 and ผ.02 of the earlier version name its strategies, tactics
and links as they stood in it, and the version in force names them as they stand."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.models import LaoStrategy, Plan, PlanReview, User
from eplan_flow.services.planning import civic_forum, reviews, strategies
from eplan_flow.services.platform import engine
from tests.factories.reviews import FORUM
from tests.factories.revisions import announced_plan, sdg

MEETING = {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"}
OLD_NAME = "ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐาน"  # strategy 1 as announced_plan makes it
OLD_TACTIC = "กลยุทธ์ที่ 1 ของยุทธศาสตร์ที่ 1"
OTHER_NAME = "ยุทธศาสตร์การพัฒนาคุณภาพชีวิต"  # strategy 2, untouched
NEW_NAME = "ยุทธศาสตร์การพัฒนาเมืองน่าอยู่และการคมนาคม"
NEW_TACTIC = "กลยุทธ์ปรับปรุงถนนและสะพานให้ได้มาตรฐาน"
PICKER_NOTICE = "รุ่นก่อนหน้า: ยุทธศาสตร์ กลยุทธ์ และความเชื่อมโยงแสดงตามที่เป็นในรุ่นนั้น"


def first_strategy(plan: Plan) -> LaoStrategy:
    return _db.session.scalar(
        select(LaoStrategy).where(LaoStrategy.plan_id == plan.id, LaoStrategy.number == 1)
    )


def announce(world, review: PlanReview) -> None:
    """Walk an อบต.'s review from drafting to announced, as its people do."""
    civic_forum.record_meeting(world.planner, "review", review.id, **FORUM)
    engine.fire("review", review.id, "submit_to_committee", world.planner)
    engine.fire("review", review.id, "endorse", world.devcom_secretary, data=MEETING)
    engine.fire("review", review.id, "approve_by_council", world.council_secretary, data=MEETING)
    assert engine.fire("review", review.id, "approve_and_announce", world.executive).to_state == "announced"


def review_renaming_strategy_1(world, plan: Plan) -> None:
    """Announce a review that renames strategy 1, renumbers it 3, renames its tactic and relinks it
    from SDG 5 to SDG 9."""
    planner: User = world.planner
    review = reviews.open_review(planner, plan.id, reasons="ครบรอบทบทวนตามหนังสือสั่งการ")
    reviews.set_strategy(
        planner,
        review.id,
        strategy_id=first_strategy(plan).id,
        number=3,
        name=NEW_NAME,
        tactics=[(1, NEW_TACTIC)],
        links=[sdg(9).id],
        reason="ปรับให้สอดคล้องกับยุทธศาสตร์จังหวัด",
    )
    announce(world, review)


def review_changing_a_project(world, plan: Plan) -> None:
    """Announce a review that changes project 1 only: the strategies stay as they stood."""
    review = reviews.open_review(world.planner, plan.id, reasons="ปรับเป้าหมายโครงการ")
    reviews.change_project(world.planner, review.id, 1, {"target": "ถนนยาว 300 เมตร"}, reason="ขยาย")
    announce(world, review)


@pytest.fixture
def reviewed(world, db):
    """sao_a's plan announced as version 1 (strategy 1 linked to SDG 5), then reviewed into version 2."""
    plan = announced_plan(world.sao_a, world.planner)
    first_strategy(plan).links = [sdg(5)]
    db.session.commit()
    review_renaming_strategy_1(world, plan)
    db.session.refresh(plan)
    assert plan.current_version == 2
    return plan


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def before(html: str, first: str, second: str) -> bool:
    return first in html and second in html and html.index(first) < html.index(second)


def test_the_linkage_table_of_each_version_shows_that_versions_strategies_and_links(
    world, reviewed, client, login_as
):
    login_as(world.planner)
    url = f"/catalogues/plans/{reviewed.id}/yt01"

    v1 = page(client, f"{url}?version=1")
    assert f"1. {OLD_NAME}" in v1 and NEW_NAME not in v1
    assert "SDG5 เป้าหมายที่ 5" in v1 and "SDG9" not in v1
    assert before(v1, OLD_NAME, OTHER_NAME)
    assert "แผนตามที่ประกาศใช้" in v1 and PICKER_NOTICE in v1

    for v2 in (page(client, f"{url}?version=2"), page(client, url)):
        assert f"3. {NEW_NAME}" in v2 and OLD_NAME not in v2
        assert "SDG9 เป้าหมายที่ 9" in v2 and "SDG5" not in v2
        assert before(v2, OTHER_NAME, NEW_NAME)
        assert "ทบทวน ครั้งที่" in v2 and PICKER_NOTICE not in v2
    assert client.get(f"{url}?version=3").status_code == 404


def test_the_p01_summary_of_each_version_heads_its_sections_by_that_versions_strategies(
    world, reviewed, client, login_as
):
    login_as(world.planner)
    v1 = page(client, f"/plans/{reviewed.id}/p01?version=1")
    assert f"1) {OLD_NAME}" in v1 and NEW_NAME not in v1
    assert before(v1, f"1) {OLD_NAME}", f"2) {OTHER_NAME}")
    assert PICKER_NOTICE in v1

    v2 = page(client, f"/plans/{reviewed.id}/p01?version=2")
    assert f"3) {NEW_NAME}" in v2 and OLD_NAME not in v2
    assert before(v2, f"2) {OTHER_NAME}", f"3) {NEW_NAME}")
    assert PICKER_NOTICE not in v2


def test_the_p02_list_of_each_version_names_that_versions_strategies_and_tactics(
    world, reviewed, client, login_as
):
    login_as(world.executive)  # a reader of the plan sees the same forms
    v1 = page(client, f"/plans/{reviewed.id}/p02?source=own&version=1")
    assert f"1: {OLD_NAME}" in v1 and f"1.1: {OLD_TACTIC}" in v1
    assert NEW_NAME not in v1 and NEW_TACTIC not in v1
    assert before(v1, OLD_NAME, OTHER_NAME)
    # The same projects of strategy 1, under its name of then.
    assert "โครงการที่ 2" in v1 and "โครงการที่ 4" in v1

    v2 = page(client, f"/plans/{reviewed.id}/p02?source=own&version=2")
    assert f"3: {NEW_NAME}" in v2 and f"3.1: {NEW_TACTIC}" in v2
    assert OLD_NAME not in v2 and OLD_TACTIC not in v2
    assert before(v2, OTHER_NAME, NEW_NAME)
    assert "โครงการที่ 2" in v2 and "โครงการที่ 4" in v2


def test_a_version_without_a_snapshot_of_its_own_reads_the_next_kept_one(world, db, client, login_as):
    """Review 1 changes only a project (version 2 keeps no strategies); review 2 renames strategy 1
    (version 2 keeps them). Version 1 still names strategy 1 as it stood: nothing changed between."""
    plan = announced_plan(world.sao_a, world.planner)
    first_strategy(plan).links = [sdg(5)]
    db.session.commit()
    review_changing_a_project(world, plan)
    review_renaming_strategy_1(world, plan)
    db.session.refresh(plan)
    assert plan.current_version == 3

    for version in (1, 2):
        then = strategies.strategies_as_of(plan, version)
        assert [(s.number, s.name) for s in then] == [(1, OLD_NAME), (2, OTHER_NAME)]
        assert [t.name for t in then[0].tactics] == [OLD_TACTIC]
        assert [i.code for i in then[0].links] == ["SDG5"]
    now = strategies.strategies_as_of(plan, 3)
    assert [(s.number, s.name) for s in now] == [(2, OTHER_NAME), (3, NEW_NAME)]
    assert [i.code for i in now[1].links] == ["SDG9"]

    login_as(world.planner)
    for version in (1, 2):
        html = page(client, f"/catalogues/plans/{plan.id}/yt01?version={version}")
        assert f"1. {OLD_NAME}" in html and NEW_NAME not in html
        html = page(client, f"/plans/{plan.id}/p02?source=own&version={version}")
        assert f"1.1: {OLD_TACTIC}" in html and NEW_TACTIC not in html
    assert f"3) {NEW_NAME}" in page(client, f"/plans/{plan.id}/p01?version=3")


def test_the_version_in_force_reads_the_plans_own_strategy_rows(world, db):
    plan = announced_plan(world.sao_a, world.planner)
    # The version in force reads the plan's rows, and no snapshot is looked up for it.
    assert strategies.kept_strategies(plan, 1) is None
    assert [s.name for s in strategies.strategies_as_of(plan, 1)] == [OLD_NAME, OTHER_NAME]

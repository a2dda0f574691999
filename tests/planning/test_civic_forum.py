"""The civic forum (ประชาคมท้องถิ่น), from the regulation's point of view: its meeting is recorded for
making or reviewing a plan (ข้อ 17) and for an addition (ข้อ 22(2)), never for a change (ข้อ 22/1) or the
policy route (ข้อ 22/2); a draft that needs it cannot leave drafting without it."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from eplan_flow import messages
from eplan_flow.errors import InvalidInput, NotFound
from eplan_flow.services.planning import civic_forum, reviews, revisions
from eplan_flow.services.platform import engine
from tests import factories
from tests.factories.revisions import POLICY_BASIS, announced_plan, new_project_values, record_civic_forum
from workflows import REGISTRY

REASONS = {"reasons": "ประชาชนเสนอโครงการ", "necessity": "เร่งด่วน"}
FORUM = {"meeting_date": "12/11/2569", "place": "ศาลาประชาคมหมู่ 3", "attendees": "87", "resolution": "เห็นชอบ"}


def test_the_rules_name_which_procedures_take_the_civic_forum():
    kinds = REGISTRY.get("revision").rules["kinds"]
    assert kinds["addition"]["civic_forum"] is True
    assert kinds["change"]["civic_forum"] is False
    assert kinds["correction"]["civic_forum"] is False
    assert REGISTRY.get("review").rules["civic_forum"] is True
    # A state label names the forum only where it takes part: no change passes "…และประชาคม".
    for definition in REGISTRY.versions("revision"):
        assert all("ประชาคม" not in definition.label(state, "th") for state in definition.states)


@pytest.mark.parametrize("org_name, planner_name", [("sao_a", "planner"), ("town_b", "town_planner")])
def test_an_addition_cannot_be_submitted_before_the_forum_meets(world, db, app, org_name, planner_name):
    org, planner = getattr(world, org_name), getattr(world, planner_name)
    plan = announced_plan(org, planner)
    revision = revisions.open_revision(planner, plan.id, **REASONS)
    revisions.add_addition(planner, revision.id, new_project_values(plan), reason="ประชาชนร้องขอ")
    with pytest.raises(civic_forum.CivicForumMissing) as refused:
        engine.fire("revision", revision.id, "submit", planner)
    with app.test_request_context(), force_locale("th"):
        assert messages.message_for(refused.value) == (
            "ต้องบันทึกการประชุมประชาคมท้องถิ่น (วันที่ สถานที่ จำนวนผู้เข้าร่วม และมติ) ก่อนเสนอร่าง"
        )
    db.session.refresh(revision)
    assert revision.status == "drafting"
    record_civic_forum(planner, revision.id)
    meeting = civic_forum.meeting_of(revision)
    assert (meeting.place, meeting.attendees, meeting.meeting_date.year) == ("ศาลาประชาคมหมู่ 1", 64, 2026)
    assert engine.fire("revision", revision.id, "submit", planner).to_state == "committee_review"


def test_a_change_goes_to_the_committee_without_the_forum(world, db):
    plan = announced_plan(world.sao_a, world.planner)
    revision = revisions.open_revision(world.planner, plan.id, **REASONS)
    revisions.add_change(world.planner, revision.id, 2, {"budget_2": "10.00"}, reason="ปรับงบประมาณ")
    assert not civic_forum.needs_civic_forum(revision)
    with pytest.raises(civic_forum.CivicForumNotNeeded):
        civic_forum.record_meeting(world.planner, "revision", revision.id, **FORUM)
    assert engine.fire("revision", revision.id, "submit", world.planner).to_state == "committee_review"


def test_a_policy_route_addition_needs_no_forum(world, db):
    plan = announced_plan(world.town_b, world.town_planner)
    revision = revisions.open_revision(world.town_planner, plan.id, route="policy", **REASONS, **POLICY_BASIS)
    revisions.add_addition(world.town_planner, revision.id, new_project_values(plan), reason="นโยบายรัฐบาล")
    assert not civic_forum.needs_civic_forum(revision)
    assert engine.fire("revision", revision.id, "submit", world.town_planner).to_state == "executive_review"


def test_the_meeting_is_checked_and_recorded_only_while_drafting(world, db):
    plan = announced_plan(world.town_b, world.town_planner)
    review = reviews.open_review(world.town_planner, plan.id)
    with pytest.raises(InvalidInput) as refused:
        civic_forum.record_meeting(world.town_planner, "review", review.id, **{**FORUM, "attendees": "0"})
    assert refused.value.details["field"] == "attendees"
    with pytest.raises(InvalidInput) as refused:
        civic_forum.record_meeting(world.town_planner, "review", review.id, **{**FORUM, "place": "  "})
    assert refused.value.details["field"] == "place"
    civic_forum.record_meeting(world.town_planner, "review", review.id, **FORUM)
    # Recording again corrects the one meeting of the draft.
    civic_forum.record_meeting(world.town_planner, "review", review.id, **{**FORUM, "attendees": "90"})
    assert civic_forum.meeting_of(review).attendees == 90
    reviews.change_project(world.town_planner, review.id, 1, {"target": "ถนนยาว 250 เมตร"}, reason="ขยาย")
    engine.fire("review", review.id, "submit_to_committee", world.town_planner)
    with pytest.raises(civic_forum.NotDrafting):
        civic_forum.record_meeting(world.town_planner, "review", review.id, **FORUM)
    # Someone of another LAO cannot record it.
    other = reviews.open_review(world.town_planner, announced_plan(world.town_b, world.town_planner).id)
    with pytest.raises(NotFound):
        civic_forum.record_meeting(world.planner_x, "review", other.id, **FORUM)


@pytest.mark.parametrize("org_name, planner_name", [("sao_a", "planner"), ("town_b", "town_planner")])
def test_making_a_plan_takes_the_forum_before_the_development_committee(world, db, org_name, planner_name):
    """ข้อ 17(1): the support committee drafts the plan with the civic forum, for every LAO type."""
    org, planner = getattr(world, org_name), getattr(world, planner_name)
    plan = factories.plan(org, planner, civic_forum=False)
    assert engine.definition_of(plan).rules["civic_forum"] is True
    with pytest.raises(civic_forum.CivicForumMissing):
        engine.fire("plan", plan.id, "submit_to_committee", planner)
    db.session.refresh(plan)
    assert plan.status == "drafting" and [e.action for e in engine.history(plan)] == ["create"]
    civic_forum.record_meeting(planner, "plan", plan.id, **FORUM)
    assert engine.fire("plan", plan.id, "submit_to_committee", planner).to_state == "committee_review"
    # Once the draft has left the support committee, its meeting stands as recorded.
    with pytest.raises(civic_forum.NotDrafting):
        civic_forum.record_meeting(planner, "plan", plan.id, **{**FORUM, "attendees": "5"})
    assert civic_forum.meeting_of(plan).attendees == 87


def test_a_plan_started_under_the_first_rules_finishes_under_them(world, db):
    """Items started under an older rule version finish under it: plan rules v1 had no forum step."""
    plan = factories.plan(world.sao_a, world.planner, civic_forum=False)
    plan.workflow_version = 1
    db.session.commit()
    assert not civic_forum.needs_civic_forum(plan)
    assert engine.fire("plan", plan.id, "submit_to_committee", world.planner).to_state == "committee_review"


def test_the_planner_records_the_forum_on_the_plan_page_then_submits(world, db, client, login_as):
    plan = factories.plan(world.sao_a, world.planner, civic_forum=False)
    login_as(world.planner)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "การประชุมประชาคมท้องถิ่น" in page and "ยังไม่ได้บันทึก" in page
    # A Gregorian year is refused in Thai next to the field, and what was typed is kept.
    typed = {**FORUM, "meeting_date": "12/11/2026", "place": "ศาลาประชาคมบ้านหนองเลิง"}
    refused = client.post(f"/plans/civic-forum/plan/{plan.id}", data=typed, follow_redirects=True)
    body = refused.get_data(as_text=True)
    assert refused.request.path == f"/plans/{plan.id}"
    assert 'id="forum-meeting_date-error"' in body and "พุทธศักราช" in body
    assert 'value="ศาลาประชาคมบ้านหนองเลิง"' in body and 'value="12/11/2026"' in body
    assert civic_forum.meeting_of(plan) is None
    # The service's own refusals come back the same way, on the field they concern.
    refused = client.post(
        f"/plans/civic-forum/plan/{plan.id}", data={**FORUM, "attendees": "0"}, follow_redirects=True
    )
    assert 'id="forum-attendees-error"' in refused.get_data(as_text=True)
    assert civic_forum.meeting_of(plan) is None
    # Shown once: the next visit offers the form as it was.
    assert "forum-attendees-error" not in client.get(f"/plans/{plan.id}").get_data(as_text=True)
    saved = client.post(f"/plans/civic-forum/plan/{plan.id}", data=FORUM, follow_redirects=True)
    body = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "ศาลาประชาคมหมู่ 3" in body and "12 พฤศจิกายน 2569" in body
    assert engine.fire("plan", plan.id, "submit_to_committee", world.planner).to_state == "committee_review"

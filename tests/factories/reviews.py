"""Builders for review (ทบทวน) tests. Each commits."""

from __future__ import annotations

from eplan_flow.extensions import db
from eplan_flow.models import Organisation, PlanReview, User
from eplan_flow.services.planning import civic_forum, reviews
from tests.factories.revisions import announced_plan, lao_planner

FORUM = {
    "meeting_date": "12/11/2569",
    "place": "ศาลาประชาคมหมู่ 3",
    "attendees": "87",
    "resolution": "เห็นชอบร่าง",
}


def drafted_review(org: Organisation, actor: User | None = None) -> PlanReview:
    """A draft review of a fresh announced plan of ``org``: one project changed and the civic forum
    recorded, so it may leave drafting."""
    planner = lao_planner(org)
    plan = announced_plan(org, planner)
    review = reviews.open_review(planner, plan.id, reasons="ทบทวนตามรอบ")
    reviews.change_project(planner, review.id, 1, {"target": "ถนนยาว 300 เมตร"}, reason="ขยายเป้าหมาย")
    civic_forum.record_meeting(planner, "review", review.id, **FORUM)
    db.session.refresh(review)
    return review

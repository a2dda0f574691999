"""Reviews (ทบทวน) of a plan in force, and the civic forum's (ประชาคมท้องถิ่น) meetings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.org import Organisation
from eplan_flow.models.plan import Plan
from eplan_flow.models.workflow import WorkflowMixin

# What a review item changes: a strategy (its name, tactics, links), a project, or a new project.
REVIEW_ITEM_KINDS = ("strategy", "change", "addition")


class PlanReview(WorkflowMixin, Model):
    """A review of an announced plan, drafted against the version in force (ข้อ 17)."""

    __tablename__ = "plan_review"
    __table_args__ = (
        # Numbered per LAO and Buddhist-Era year once announced ("ทบทวน ครั้งที่ 2/2565").
        UniqueConstraint("organisation_id", "year_be", "sequence"),
    )
    WORKFLOW = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    # The plan version this review was drafted against, and the one it produced when announced.
    base_version: Mapped[int] = mapped_column(Integer)
    result_version: Mapped[int | None] = mapped_column(Integer)
    year_be: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[str | None] = mapped_column(Text)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    plan: Mapped[Plan] = relationship()
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    # Loaded with the row: the workflow's guard reads whether it holds any item.
    items: Mapped[list[ReviewItem]] = relationship(
        back_populates="review", order_by="ReviewItem.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def title(self) -> str:
        if self.sequence is None:
            return "ร่างการทบทวนแผนพัฒนาท้องถิ่น"
        return f"ทบทวน ครั้งที่ {self.sequence}/{self.year_be}"

    def __str__(self) -> str:
        return self.title


class ReviewItem(Model):
    """One strategy or project a review changes or adds, with its new values."""

    __tablename__ = "review_item"
    __table_args__ = (CheckConstraint(f"kind IN {REVIEW_ITEM_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("plan_review.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    # The strategy changed (NULL for a new strategy, or for a project item).
    strategy_id: Mapped[int | None] = mapped_column(ForeignKey("lao_strategy.id"))
    # The project changed (NULL for a strategy or an added project).
    project_no: Mapped[int | None] = mapped_column(Integer)
    # The new values, as validated by the review service (money as strings: exact decimals).
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)

    review: Mapped[PlanReview] = relationship(back_populates="items")


class CivicForumMeeting(Model):
    """The civic forum's meeting (ประชาคมท้องถิ่น) for making or reviewing a plan, or an addition.

    Exactly one of plan, review and revision is set: what the forum met about.
    """

    __tablename__ = "civic_forum_meeting"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN plan_id IS NULL THEN 0 ELSE 1 END + CASE WHEN review_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN revision_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_subject",
        ),
        CheckConstraint("attendees > 0", name="attendees_positive"),
        UniqueConstraint("plan_id"),
        UniqueConstraint("review_id"),
        UniqueConstraint("revision_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("plan_review.id"))
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revision.id"))
    meeting_date: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(300))
    attendees: Mapped[int] = mapped_column(Integer)
    resolution: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

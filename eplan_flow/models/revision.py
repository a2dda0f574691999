"""Revisions of an announced plan: corrections (แก้ไข), additions (เพิ่มเติม), changes (เปลี่ยนแปลง)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.glossary import REVISION_KINDS, revision_label
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.org import Organisation
from eplan_flow.models.plan import Plan
from eplan_flow.models.workflow import WorkflowMixin

# The kinds of item, named once in the glossary with their Thai names.
ITEM_KINDS = REVISION_KINDS
# regular: the steps the item kinds need (ข้อ 21, 22, 22/1); policy: executive alone (ข้อ 22/2).
ROUTES = ("regular", "policy")


class Revision(WorkflowMixin, Model):
    """A change set drafted against one announced version of a plan."""

    __tablename__ = "revision"
    __table_args__ = (
        CheckConstraint(f"route IN {ROUTES!r}", name="route"),
        # Numbered per LAO, per Buddhist-Era year and per label once announced ("เพิ่มเติม ครั้งที่ 2/2568").
        UniqueConstraint("organisation_id", "year_be", "label", "sequence"),
    )
    WORKFLOW = "revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    route: Mapped[str] = mapped_column(String(10), default="regular")
    # The plan version this revision was drafted against.
    base_version: Mapped[int] = mapped_column(Integer)
    year_be: Mapped[int] = mapped_column(Integer)
    # Thai label of the kinds it holds, e.g. "เพิ่มเติม" or "เพิ่มเติมและเปลี่ยนแปลง"; set at announcement.
    label: Mapped[str | None] = mapped_column(String(100))
    sequence: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[str | None] = mapped_column(Text)
    necessity: Mapped[str | None] = mapped_column(Text)
    # The plan version this revision produced when announced.
    result_version: Mapped[int | None] = mapped_column(Integer)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    plan: Mapped[Plan] = relationship()
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    # Loaded with the row: the workflow's guards read which kinds of item it holds.
    items: Mapped[list[RevisionItem]] = relationship(
        back_populates="revision",
        order_by="RevisionItem.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def kinds(self) -> set[str]:
        return {item.kind for item in self.items}

    @property
    def title(self) -> str:
        if self.sequence is None:
            # A draft is named by what it holds; its number comes at announcement.
            return f"ร่างการ{revision_label(self.kinds) or 'แก้ไข เพิ่มเติม หรือเปลี่ยนแปลง'}แผน"
        return f"{self.label} ครั้งที่ {self.sequence}/{self.year_be}"

    def __str__(self) -> str:
        return self.title


class RevisionItem(Model):
    """One project added, changed or corrected by a revision, with the new values and the reason."""

    __tablename__ = "revision_item"
    __table_args__ = (CheckConstraint(f"kind IN {ITEM_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    # The project changed or corrected; for an addition, the number it gets at announcement.
    project_no: Mapped[int | None] = mapped_column(Integer, index=True)
    # The new values, as validated by the revision service (money as strings: exact decimals).
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)

    revision: Mapped[Revision] = relationship(back_populates="items")

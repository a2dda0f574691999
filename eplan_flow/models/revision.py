"""Revisions of an announced plan: corrections (แก้ไข), additions (เพิ่มเติม), changes (เปลี่ยนแปลง)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
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
        # Numbered once announced; the numbers themselves are unique in ``revision_number``.
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
    # Version 2: the title it was announced under ("เพิ่มเติม ฉบับที่ 3 ประจำปีงบประมาณ 2567"),
    # composed by the LAO's numbering settings; version 1 revisions compose it from label and sequence.
    numbered_title: Mapped[str | None] = mapped_column(String(300))
    # The policy route (ข้อ 22/2): which basis (workflow rules' ``policy_bases``) and the letter.
    policy_basis: Mapped[str | None] = mapped_column(String(30))
    policy_letter_no: Mapped[str | None] = mapped_column(String(100))
    policy_letter_date: Mapped[date | None] = mapped_column(Date)
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
        if self.numbered_title:
            return self.numbered_title
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
    # A correction (version 2): the fact it corrects ("ข้อเท็จจริงคือ ...").
    fact: Mapped[str | None] = mapped_column(Text)

    revision: Mapped[Revision] = relationship(back_populates="items")


class RevisionNumber(Model):
    """One number an announced revision took: a bundle takes one, or one per kind it holds."""

    __tablename__ = "revision_number"
    __table_args__ = (
        CheckConstraint("year_basis IN ('fiscal', 'calendar')", name="year_basis"),
        # One LAO never announces the same number twice in one counter of one year.
        UniqueConstraint("organisation_id", "year_basis", "year_be", "counter", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"), index=True)
    year_basis: Mapped[str] = mapped_column(String(10))
    year_be: Mapped[int] = mapped_column(Integer)
    # The counter: a kind's Thai name ("เพิ่มเติม") or a bundle label ("เพิ่มเติมและเปลี่ยนแปลง").
    counter: Mapped[str] = mapped_column(String(100))
    number: Mapped[int] = mapped_column(Integer)


class RevisionNumbering(Model):
    """An LAO's own way of numbering revisions; an empty setting follows the national default (rule
    data of the revision workflow)."""

    __tablename__ = "revision_numbering"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    year_basis: Mapped[str | None] = mapped_column(String(10))
    counter_scope: Mapped[str | None] = mapped_column(String(10))
    number_word: Mapped[str | None] = mapped_column(String(20))
    # An LAO joining mid-period: the next number of a counter, keyed "basis:year:counter"
    # ("fiscal:2567:เพิ่มเติม" -> 4); numbers already announced in e-Plan count too.
    next_numbers: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()

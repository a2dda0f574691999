"""A plan's strategies, tactics and projects (ผ.02, ผ.02/1, ผ.02/2, ผ.03), kept per plan version.

A project record is valid from the plan version that introduced it until the version that replaced
it (``valid_to``, exclusive; NULL while current). Reading version *v* means
``valid_from <= v AND (valid_to IS NULL OR valid_to > v)``; announcing a revision closes the records
it changes and adds new ones, so older versions stay readable and only changed rows are written.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model, db
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.catalogue import CatalogueItem

PROJECT_SOURCES = {
    "own": "ผ.02",  # the LAO's own project
    "community": "ผ.02/1",  # from village and community plans
    "beyond_capacity": "ผ.02/2",  # beyond capacity, coordinated with the province or อบจ.
    "equipment": "ผ.03",  # equipment (ครุภัณฑ์)
}
PLAN_YEARS = 5
Money = Numeric(14, 2)


class LaoStrategy(Model):
    """One of the LAO's development strategies in a plan, with its links (ยท.01)."""

    __tablename__ = "lao_strategy"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))

    tactics: Mapped[list[Tactic]] = relationship(
        back_populates="strategy", order_by="Tactic.number", cascade="all, delete-orphan"
    )
    links: Mapped[list[CatalogueItem]] = relationship(secondary="lao_strategy_link")

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


lao_strategy_link = Table(
    "lao_strategy_link",
    db.metadata,
    Column("strategy_id", ForeignKey("lao_strategy.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("catalogue_item.id"), primary_key=True),
)


class Tactic(Model):
    """A tactic (กลยุทธ์) under a LAO strategy."""

    __tablename__ = "tactic"
    __table_args__ = (UniqueConstraint("strategy_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("lao_strategy.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))

    strategy: Mapped[LaoStrategy] = relationship(back_populates="tactics")

    def __str__(self) -> str:
        return f"{self.strategy.number}.{self.number} {self.name}"


project_link = Table(
    "project_link",
    db.metadata,
    Column("record_id", ForeignKey("project_record.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("catalogue_item.id"), primary_key=True),
)


class ProjectRecord(Model):
    """One version of one project of a plan (the ผ.02 / ผ.03 columns)."""

    __tablename__ = "project_record"
    __table_args__ = (
        CheckConstraint(f"source IN {tuple(PROJECT_SOURCES)!r}", name="source"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
        *(
            CheckConstraint(f"budget_{i} >= 0", name=f"budget_{i}_not_negative")
            for i in range(1, PLAN_YEARS + 1)
        ),
        Index("ix_project_record_current", "plan_id", "valid_to", "valid_from"),
        Index("ix_project_record_number", "plan_id", "project_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    # Stable across versions: the same project keeps its number in every version.
    project_no: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[int] = mapped_column(Integer)
    valid_to: Mapped[int | None] = mapped_column(Integer)
    # The revision that wrote this record (NULL for the plan as first announced).
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revision.id"), index=True)

    strategy_id: Mapped[int] = mapped_column(ForeignKey("lao_strategy.id"), index=True)
    tactic_id: Mapped[int | None] = mapped_column(ForeignKey("tactic.id"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("catalogue_item.id"))
    source: Mapped[str] = mapped_column(String(20), default="own")

    name: Mapped[str] = mapped_column(String(500))
    objective: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    kpi: Mapped[str | None] = mapped_column(Text)
    expected_result: Mapped[str | None] = mapped_column(Text)
    responsible_unit: Mapped[str] = mapped_column(String(200))
    # Equipment (ผ.03) only: หมวด, ประเภท and the unit counted.
    equipment_category: Mapped[str | None] = mapped_column(String(200))
    equipment_type: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(50))
    # The e-LAAS budget code (รหัสงบประมาณ) the ordinance's line for this project carries, if known:
    # the budget ordinance import matches lines to projects by it first.
    elaas_budget_code: Mapped[str | None] = mapped_column(String(50))
    # Budget for each year of the plan's period, in baht with satang (year 1 = period_start_be).
    budget_1: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    budget_2: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    budget_3: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    budget_4: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    budget_5: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    strategy: Mapped[LaoStrategy] = relationship()
    tactic: Mapped[Tactic | None] = relationship()
    programme: Mapped[CatalogueItem] = relationship()
    links: Mapped[list[CatalogueItem]] = relationship(secondary=project_link)

    @property
    def budgets(self) -> list[Decimal]:
        return [getattr(self, f"budget_{i}") for i in range(1, PLAN_YEARS + 1)]

    @property
    def total_budget(self) -> Decimal:
        return sum(self.budgets, Decimal("0.00"))

    def __str__(self) -> str:
        return self.name


class PlanVersion(Model):
    """An announced version of a plan: 1 for the plan itself, then one per announced revision."""

    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revision.id"))
    # The review (ทบทวน) that made this version, if one did.
    review_id: Mapped[int | None] = mapped_column(ForeignKey("plan_review.id"))
    # The strategies, tactics and links as they stood at this version, kept when a later review
    # changed them (NULL: the plan's strategy rows still read as they stood).
    strategy_snapshot: Mapped[list | None] = mapped_column(JSON)
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

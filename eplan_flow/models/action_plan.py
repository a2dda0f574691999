"""The action plan (แผนการดำเนินงาน, ข้อ 26–27) of a fiscal year and its projects (workflow ``action_plan``).

Its items are the plan's projects the budget ordinance funds that year (an ``execution``), or projects
of other agencies carried out in the LAO's area (no execution, an ``agency``), each with its months of
implementation: a 12-bit set in fiscal order, bit 0 October … bit 11 September.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.execution import Money
from eplan_flow.models.org import Organisation
from eplan_flow.models.workflow import WorkflowMixin

# Calendar months in fiscal order (October first), as the ผด.02 grid shows them.
FISCAL_MONTHS = (10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9)
ALL_MONTHS = (1 << len(FISCAL_MONTHS)) - 1


class ActionPlan(WorkflowMixin, Model):
    """A LAO's action plan for a fiscal year (one per year)."""

    __tablename__ = "action_plan"
    __table_args__ = (UniqueConstraint("organisation_id", "fiscal_year_be"),)
    WORKFLOW = "action_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), index=True)
    fiscal_year_be: Mapped[int] = mapped_column(Integer)
    # The day the year's budget ordinance was announced: the 30 days to announce count from it.
    ordinance_announced_on: Mapped[date] = mapped_column(Date)
    announced_on: Mapped[date | None] = mapped_column(Date)
    # The day the announcement was posted; it stays up at least the rules' 30 days.
    posted_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    projects: Mapped[list[ActionPlanItem]] = relationship(
        back_populates="action_plan", order_by="ActionPlanItem.position", cascade="all, delete-orphan"
    )

    @property
    def title(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"แผนการดำเนินงาน ประจำปีงบประมาณ {self.fiscal_year_be}"


class ActionPlanItem(Model):
    """One project of an action plan: the LAO's own (an execution of the year) or another agency's."""

    __tablename__ = "action_plan_item"
    __table_args__ = (
        UniqueConstraint("action_plan_id", "execution_id"),
        CheckConstraint("budget >= 0", name="budget_not_negative"),
        CheckConstraint(f"months BETWEEN 0 AND {ALL_MONTHS}", name="months_range"),
        CheckConstraint("(execution_id IS NULL) = (agency IS NOT NULL)", name="own_or_agency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id", ondelete="CASCADE"), index=True)
    execution_id: Mapped[int | None] = mapped_column(ForeignKey("project_execution.id"))
    project_no: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(500))
    # Another agency's project: the agency carrying it out (NULL for the LAO's own projects).
    agency: Mapped[str | None] = mapped_column(String(300))
    # ผด.01 groups the LAO's own projects by these, as they stood when the item was added.
    strategy: Mapped[str | None] = mapped_column(String(500))
    programme: Mapped[str | None] = mapped_column(String(500))
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    budget: Mapped[Decimal] = mapped_column(Money)
    months: Mapped[int] = mapped_column(Integer, default=0)

    action_plan: Mapped[ActionPlan] = relationship(back_populates="projects")

    @property
    def month_flags(self) -> list[bool]:
        """Ticks in fiscal order (October first)."""
        return [bool(self.months >> i & 1) for i in range(len(FISCAL_MONTHS))]

"""A project's execution in one fiscal year: the ordinance amount, contract, transfers, disbursements.

One row per plan, project number and Buddhist-Era fiscal year. Budget transfers (โอนเพิ่ม/โอนลด) and
disbursements are records of their own, never edits of the row, so the money's history stays whole.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.org import Organisation
from eplan_flow.models.workflow import WorkflowMixin

if TYPE_CHECKING:
    from eplan_flow.models.project import ProjectRecord

Money = Numeric(14, 2)
Day = date  # a column below is named ``date``
TRANSFER_KINDS = {"transfer_in": "โอนเพิ่ม", "transfer_out": "โอนลด"}


class ProjectExecution(WorkflowMixin, Model):
    """One plan project's year: budgeted, procured, contracted, disbursed, completed."""

    __tablename__ = "project_execution"
    __table_args__ = (
        UniqueConstraint("plan_id", "project_no", "fiscal_year_be"),
        CheckConstraint("budgeted_amount >= 0", name="budget_not_negative"),
        CheckConstraint("contract_amount IS NULL OR contract_amount > 0", name="contract_positive"),
        CheckConstraint("progress_percent BETWEEN 0 AND 100", name="progress_range"),
        CheckConstraint("village_no IS NULL OR village_no BETWEEN 1 AND 999", name="village_no_range"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="coordinates_paired"),
    )
    WORKFLOW = "execution"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    project_no: Mapped[int] = mapped_column(Integer)
    fiscal_year_be: Mapped[int] = mapped_column(Integer)
    # The amount in the budget ordinance (ข้อบัญญัติงบประมาณ).
    budgeted_amount: Mapped[Decimal] = mapped_column(Money)
    contract_no: Mapped[str | None] = mapped_column(String(100))
    contract_date: Mapped[date | None] = mapped_column(Date)
    contractor: Mapped[str | None] = mapped_column(String(300))
    contract_amount: Mapped[Decimal | None] = mapped_column(Money)
    progress_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    carried_over_to_be: Mapped[int | None] = mapped_column(Integer)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Where the money comes from and how it is spent (issue 14), as codes of the workflow version's
    # rule data (``budget_sources``, ``procurement_methods``); checked by the execution service.
    budget_source: Mapped[str | None] = mapped_column(String(40))
    elaas_budget_code: Mapped[str | None] = mapped_column(String(50))
    procurement_method: Mapped[str | None] = mapped_column(String(40))
    egp_project_no: Mapped[str | None] = mapped_column(String(20))
    # Where the project is: หมู่ที่ and/or the community's name; coordinates optional (WGS 84).
    village_no: Mapped[int | None] = mapped_column(Integer)
    community: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    transfers: Mapped[list[BudgetTransfer]] = relationship(
        back_populates="execution", order_by="BudgetTransfer.id"
    )
    disbursements: Mapped[list[Disbursement]] = relationship(
        back_populates="execution", order_by="Disbursement.id"
    )
    # The project as the plan now holds it (its current record), for its name; read only.
    project: Mapped[ProjectRecord | None] = relationship(
        primaryjoin="and_(remote(ProjectRecord.plan_id) == foreign(ProjectExecution.plan_id), "
        "remote(ProjectRecord.project_no) == foreign(ProjectExecution.project_no), "
        "remote(ProjectRecord.valid_to).is_(None))",
        viewonly=True,
        uselist=False,
    )

    @property
    def has_contract(self) -> bool:
        return self.contract_amount is not None

    @property
    def available_budget(self) -> Decimal:
        """The ordinance amount plus transfers in, minus transfers out."""
        moved = sum(
            (t.amount if t.kind == "transfer_in" else -t.amount for t in self.transfers), Decimal("0.00")
        )
        return self.budgeted_amount + moved

    @property
    def disbursed_total(self) -> Decimal:
        return sum((d.amount for d in self.disbursements), Decimal("0.00"))

    @property
    def disbursement_cap(self) -> Decimal:
        """What may be disbursed in all: the contract amount, or without a contract the budget."""
        return self.contract_amount if self.contract_amount is not None else self.available_budget

    @property
    def title(self) -> str:
        """The project's name and the fiscal year, as pages, tasks and notifications name the row."""
        name = self.project.name if self.project is not None else f"โครงการที่ {self.project_no}"
        return f"{name} ปีงบประมาณ {self.fiscal_year_be}"

    def __str__(self) -> str:
        return self.title


class BudgetTransfer(Model):
    """A budget transfer in (โอนเพิ่ม) or out (โอนลด) of one project's year."""

    __tablename__ = "budget_transfer"
    __table_args__ = (
        CheckConstraint(f"kind IN {tuple(TRANSFER_KINDS)!r}", name="kind"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("project_execution.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    date: Mapped[Day] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    execution: Mapped[ProjectExecution] = relationship(back_populates="transfers")


class Disbursement(Model):
    """One payment (เบิกจ่าย) made for a project's year."""

    __tablename__ = "disbursement"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("project_execution.id"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    execution: Mapped[ProjectExecution] = relationship(back_populates="disbursements")

"""Results of a fiscal year: the LAO's year-end actuals and the monitoring and evaluation report.

Actuals are what was really received and spent, entered after the year closes (docs/DOMAIN.md §5), and
never the estimates of the budget ordinance: the table and every page that shows it say so.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
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

ACTUAL_KINDS = ("income", "expenditure")
EVALUATION_ROUNDS = ("april", "october")


class YearEndActual(Model):
    """One line of a fiscal year's actual income or expenditure (รายรับ/รายจ่ายจริง)."""

    __tablename__ = "year_end_actual"
    __table_args__ = (
        UniqueConstraint("organisation_id", "fiscal_year_be", "kind", "category"),
        CheckConstraint(f"kind IN {ACTUAL_KINDS!r}", name="kind"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    fiscal_year_be: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    # A category code of the income or expenditure classification (rule data of the service).
    category: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    note: Mapped[str | None] = mapped_column(Text)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()


class EvaluationReport(WorkflowMixin, Model):
    """The monitoring and evaluation committee's report for a round (workflow ``evaluation``)."""

    __tablename__ = "evaluation_report"
    __table_args__ = (
        UniqueConstraint("organisation_id", "fiscal_year_be", "round"),
        CheckConstraint(f"round IN {EVALUATION_ROUNDS!r}", name="round"),
    )
    WORKFLOW = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), index=True)
    fiscal_year_be: Mapped[int] = mapped_column(Integer)
    # "april" covers October–March; "october" the full fiscal year.
    round: Mapped[str] = mapped_column(String(10))
    method: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text)
    recommendations: Mapped[str | None] = mapped_column(Text)
    # The figures as they stood when the report went to the executive (recomputed while drafting).
    figures: Mapped[dict | None] = mapped_column(JSON)
    presented_on: Mapped[date | None] = mapped_column(Date)
    announced_on: Mapped[date | None] = mapped_column(Date)
    # Workflow version 2 (the 2561 amendment): the day the committee reported to the executive (the
    # 15 days to announce count from it) and the day the announcement was posted (30 days from it).
    reported_on: Mapped[date | None] = mapped_column(Date)
    posted_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def title(self) -> str:
        return str(self)

    def __str__(self) -> str:
        round_th = {"april": "รอบเดือนเมษายน", "october": "รอบเดือนตุลาคม"}.get(self.round, self.round)
        return f"รายงานผลการติดตามและประเมินผลแผนพัฒนาท้องถิ่น ปีงบประมาณ {self.fiscal_year_be} {round_th}"

"""A local development plan (แผนพัฒนาท้องถิ่น) of one LAO for one five-year period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.org import Organisation
from eplan_flow.models.workflow import WorkflowMixin


class Plan(WorkflowMixin, Model):
    __tablename__ = "plan"
    __table_args__ = (
        UniqueConstraint("organisation_id", "period_start_be"),
        CheckConstraint("period_end_be = period_start_be + 4", name="five_years"),
    )
    WORKFLOW = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    # Buddhist-Era years, e.g. 2566–2570.
    period_start_be: Mapped[int] = mapped_column(Integer)
    period_end_be: Mapped[int] = mapped_column(Integer)
    # The plan version in force: 0 until the plan is first announced, then 1, 2, ... per revision.
    current_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def __str__(self) -> str:
        return self.title

"""A plan brought in from an LAO's Excel workbook: who imported which file, and how it arrived."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow

# "draft": the plan starts drafting; "announced": version 1 in force since ``announced_on``.
IMPORT_MODES = ("draft", "announced")


class PlanImport(Model):
    """One imported workbook (by its SHA-256): the same file for the same LAO and period is one import."""

    __tablename__ = "plan_import"
    __table_args__ = (
        UniqueConstraint("organisation_id", "period_start_be", "file_sha256"),
        UniqueConstraint("plan_id"),
        CheckConstraint(f"mode IN {IMPORT_MODES!r}", name="mode"),
        CheckConstraint("mode = 'draft' OR announced_on IS NOT NULL", name="announced_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    period_start_be: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    mode: Mapped[str] = mapped_column(String(10))
    announced_on: Mapped[date | None] = mapped_column(Date)
    projects: Mapped[int] = mapped_column(Integer)
    strategies: Mapped[int] = mapped_column(Integer)
    # NULL: imported from the command line by the server's operator.
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

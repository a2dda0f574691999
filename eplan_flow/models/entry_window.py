"""Read-only windows of e-Plan's data entry, scheduled by DLA admins (workflows/entry_windows.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.people import User


class EntryWindow(Model):
    """From ``starts_at`` until ``ends_at`` e-Plan takes no data entry (times stored in UTC, shown
    in Bangkok time). Ending a running window early moves ``ends_at`` to the moment it was ended;
    withdrawing one that has not started sets ``cancelled_at``. Rows are never deleted."""

    __tablename__ = "entry_window"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # "Is e-Plan read-only now, or soon?" reads the windows not yet over: most rows are past.
        Index("ix_entry_window_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    # The version of workflows/entry_windows.py the window was scheduled under; it runs under it.
    rule_version: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    ended_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

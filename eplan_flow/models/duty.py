"""What an LAO did after announcing a plan or a revision: copies sent, the announcement posted."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.org import Organisation

# What was announced (a plan's first announcement or a revision) and what was done after it.
DUTY_SUBJECTS = ("plan", "revision")
DUTY_KINDS = ("copies", "posting")


class AnnouncementDuty(Model):
    """One duty done: the day copies went to the council, district and province, or posting began."""

    __tablename__ = "announcement_duty"
    __table_args__ = (
        UniqueConstraint("subject", "subject_id", "duty"),
        CheckConstraint(f"subject IN {DUTY_SUBJECTS!r}", name="subject"),
        CheckConstraint(f"duty IN {DUTY_KINDS!r}", name="duty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    subject: Mapped[str] = mapped_column(String(10))
    # The plan's or the revision's id (``subject`` says which).
    subject_id: Mapped[int] = mapped_column(Integer)
    duty: Mapped[str] = mapped_column(String(10))
    done_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()

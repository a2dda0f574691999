"""In-app notifications: what waits for each person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow


class Notification(Model):
    __tablename__ = "notification"
    # One notice per person per event: a re-run job cannot duplicate it.
    __table_args__ = (
        UniqueConstraint("user_id", "audit_event_id"),
        # One notice per person per reminder or escalation: reruns of a scheduled job add nothing.
        UniqueConstraint("user_id", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    audit_event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_event.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "workflow" (someone's next step), "reminder", "overdue", "escalation", "decision".
    kind: Mapped[str] = mapped_column(String(20), default="workflow", server_default="workflow")
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)

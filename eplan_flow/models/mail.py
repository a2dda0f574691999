"""The email outbox: every message the app sends, kept with its delivery state.

Messages are written in the transaction of what caused them and delivered by a job after commit
(``eplan_flow.jobs.tasks.send_email``). Without a mail server they are kept here only, which is how
development and the back office read confirmation links.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow

# queued: waiting for its job; sent: handed to the SMTP server; kept: no server configured.
EMAIL_STATES = ("queued", "sent", "kept")


class EmailMessage(Model):
    __tablename__ = "email_message"
    __table_args__ = (CheckConstraint(f"status IN {EMAIL_STATES!r}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "to" is an SQL keyword: the column is named for what it holds.
    to: Mapped[str] = mapped_column("to_address", String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued", server_default="queued", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set by callers that must send a message at most once (e.g. "deadline:plan:42:14d:user:7").
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"

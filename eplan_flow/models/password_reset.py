"""Password-reset links: single use, short-lived, kept only as the SHA-256 of their token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow


class PasswordReset(Model):
    """One link sent to a person's confirmed address; the token itself is never stored."""

    __tablename__ = "password_reset"
    __table_args__ = (
        # A new link retires the person's open ones: found by this index.
        Index("ix_password_reset_user_id_used_at", "user_id", "used_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the link went to: a link stops working when the person's address changes.
    sent_to: Mapped[str] = mapped_column(String(254))
    # The admin who had it sent, or None when the person asked themself.
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a newer link replaced this one before it was used.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __str__(self) -> str:
        return f"password reset {self.id}"

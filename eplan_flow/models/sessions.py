"""Sign-in sessions held on the server, so that ending one ends every copy of its cookie.

The browser's cookie (signed, not encrypted) carries only a random session id; this table holds
its SHA-256, whose row says whether the sign-in still counts. Ending a row (sign-out, password
change, lock, revoked access, the SSO's back-channel logout) refuses every copy of the cookie at
its next request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow

# ``sso``: the identity provider's own sign-in; ``eplan``: e-Plan's (Flask-Login) sign-in.
SESSION_KINDS = ("sso", "eplan")


class SignInSession(Model):
    __tablename__ = "sign_in_session"
    __table_args__ = (
        CheckConstraint(f"kind IN {SESSION_KINDS!r}", name="kind"),
        # End-all (password change, lock) finds a person's live sessions by this index.
        Index("ix_sign_in_session_user_id_ended_at", "user_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 (hex) of the id in the cookie; for the SSO it is also the ``sid`` its tokens carry.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    # For an e-Plan session: the ``sid`` of the SSO session that signed it in (from the ID
    # token), so a back-channel logout of that SSO session finds it.
    sso_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))

    def __str__(self) -> str:
        return f"{self.kind} session {self.id}"

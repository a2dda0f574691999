"""People, the roles granted to them per organisation, and their API tokens."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.org import Organisation
from workflows.roles import ROLE_NAMES


class User(UserMixin, Model):
    __tablename__ = "user_account"
    __table_args__ = (
        UniqueConstraint("sso_issuer", "sso_subject"),
        # One person, one account, once ThaiD has proven who holds the citizen ID: an unverified
        # registration reserves nothing, so nobody can squat someone else's number.
        Index(
            "uq_user_account_verified_citizen_id",
            "citizen_id_digest",
            unique=True,
            postgresql_where=text("identity_verified_at IS NOT NULL"),
            sqlite_where=text("identity_verified_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    phone: Mapped[str | None] = mapped_column(String(20))
    # The citizen ID (PDPA): encrypted for display to approvers (masked), and a keyed digest
    # (HMAC-SHA256) for matching ThaiD's ``pid`` (unique among verified people only). Never stored
    # or logged in clear.
    citizen_id_encrypted: Mapped[str | None] = mapped_column(Text)
    citizen_id_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # As typed at registration, compared with the birth date ThaiD sends.
    birth_date: Mapped[date | None] = mapped_column(Date)
    identity_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Temporary, growing lockout after failed sign-ins in a row (LOGIN_LOCKOUT_*): password sign-in
    # is paused until ``locked_until``; ``locked_at`` is when the latest pause began. An admin may
    # unlock early.
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A registration dropped before ThaiD verified it (expired, or its citizen ID proven by its
    # owner): disabled, its address, username and citizen ID released; kept for the audit trail.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The relying-party side: who this person is at the SSO that signed them in (iss, sub).
    sso_issuer: Mapped[str | None] = mapped_column(String(255))
    sso_subject: Mapped[str | None] = mapped_column(String(255))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user",
        foreign_keys="RoleGrant.user_id",
        lazy="selectin",
        cascade="all, delete-orphan",
    )

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.is_enabled

    def __str__(self) -> str:
        return self.full_name


# Where a grant comes from: given here (seed, back office), by the SSO's approval of an account
# (its admin roles), or copied from the roles claim of a token by the e-Plan relying party (which
# adds and removes only these at each sign-in and token refresh).
GRANT_SOURCES = ("local", "sso", "claims")


class RoleGrant(Model):
    __tablename__ = "role_grant"
    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id", "role"),
        CheckConstraint(f"role IN {ROLE_NAMES!r}", name="role"),
        CheckConstraint(f"source IN {GRANT_SOURCES!r}", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    source: Mapped[str] = mapped_column(String(10), default="local", server_default="local")

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def __str__(self) -> str:
        return f"{self.role} @ {self.organisation.code if self.organisation else '?'}"


class ApiToken(Model):
    """A personal bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

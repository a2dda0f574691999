"""Single Sign-On: a person's account workflow row and their access to each system.

The person themself is ``User`` (one row per human, keyed by their citizen ID's keyed digest);
``Account`` carries the approval workflow of that person at one organisation, and ``SystemAccess``
one role in one system (an OIDC client) at that organisation.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.glossary import ROLE_LABELS
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.org import Organisation
from eplan_flow.models.people import User
from eplan_flow.models.workflow import WorkflowMixin

REQUESTED_ROLES = ("member", "sso_admin")


class Account(WorkflowMixin, Model):
    """A person's SSO account: registered → confirmed → verified → approved (workflow ``account``)."""

    __tablename__ = "sso_account"
    __table_args__ = (CheckConstraint(f"requested_role IN {REQUESTED_ROLES!r}", name="requested_role"),)
    WORKFLOW = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    # The organisation whose approver decides (after a transfer: the new one).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    # "member", or "sso_admin" to administer the organisation's SSO (the chain of trust approves it).
    requested_role: Mapped[str] = mapped_column(String(20), default="member", server_default="member")
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # Why the last ThaiD verification failed, shown to the person (never the citizen ID itself).
    verification_error: Mapped[str | None] = mapped_column(Text)
    # Who ThaiD said signed in at the last verification attempt (Thai name with its title, birth
    # date, when): shown to the approver beside the typed name, and kept when a mismatch is refused.
    thaid_name: Mapped[str | None] = mapped_column(String(200))
    thaid_birthdate: Mapped[date | None] = mapped_column(Date)
    thaid_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the account last entered ``awaiting_approval`` (escalation counts working days from it).
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def title(self) -> str:
        """How the workflow page names the row: whose account, at which organisation."""
        who = self.user.full_name if self.user else "?"
        where = self.organisation.display_name if self.organisation else "?"
        return f"บัญชีผู้ใช้ของ {who} ({where})"

    def __str__(self) -> str:
        who = self.user.full_name if self.user else "?"
        return f"{who} ({self.organisation.code if self.organisation else '?'})"


class SystemAccess(WorkflowMixin, Model):
    """One role in one system for one person at one organisation (workflow ``system_access``)."""

    __tablename__ = "system_access"
    __table_args__ = (
        # At most one open or granted request per person, system, organisation and role.
        Index(
            "uq_system_access_open",
            "user_id",
            "client_id",
            "organisation_id",
            "role",
            unique=True,
            postgresql_where=text("status IN ('requested', 'approved')"),
            sqlite_where=text("status IN ('requested', 'approved')"),
        ),
    )
    WORKFLOW = "system_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The OIDC client's ``client_id`` (e.g. "eplan").
    client_id: Mapped[str] = mapped_column(String(48), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def __str__(self) -> str:
        # People read the role by its name; e-Plan, the usual system, goes without saying.
        role = str(ROLE_LABELS.get(self.role, self.role))
        system = "" if self.client_id == "eplan" else f" ({self.client_id})"
        return f"{self.user.full_name if self.user else '?'} — {role}{system}"

    @property
    def title(self) -> str:
        """How the workflow page names the row: the request, whose and for which role."""
        return f"คำขอสิทธิ์ใช้ระบบ: {self}"

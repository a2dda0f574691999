"""Signed files kept with a workflow step, a plan version or a revision (issue 13).

The file itself lives in the attachment store (``services/platform/storage``), named by its
SHA-256; this row says what it is, whose it is and what it was attached to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.org import Organisation
from eplan_flow.models.people import User

# What the file is: the signed announcement (posted publicly), the minutes of a meeting, the
# council's resolution, or anything else the LAO keeps with the item.
ATTACHMENT_KINDS = ("signed_announcement", "meeting_minutes", "council_resolution", "other")
# What the file's bytes are (read from its content, never from its name).
ATTACHMENT_MEDIA_TYPES = ("application/pdf", "image/png", "image/jpeg")


class Attachment(Model):
    """One file attached to exactly one of: a workflow step (its audit event), a plan version, a revision."""

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN audit_event_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN plan_version_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN revision_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_subject",
        ),
        CheckConstraint(f"kind IN {ATTACHMENT_KINDS!r}", name="kind"),
        CheckConstraint(f"media_type IN {ATTACHMENT_MEDIA_TYPES!r}", name="media_type"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The LAO whose item it is (scope), and the plan the item belongs to.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    audit_event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_event.id"), index=True)
    plan_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_version.id"), index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revision.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    # As the uploader's computer named it: shown, never used to find or type the file.
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

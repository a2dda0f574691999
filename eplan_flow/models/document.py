"""Official documents rendered in the background: who asked for which form, how far it has got, and
where the file waits (issue 13)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.people import User

DOCUMENT_JOB_STATES = ("queued", "running", "done", "failed")
DOCUMENT_FORMATS = ("pdf", "xlsx")


class DocumentJob(Model):
    """One long document (a ผ.02 of thousands of projects) rendered by a job: ``progress`` runs from
    0 to 100 while ``status`` goes queued → running → done (or failed, with ``error``). The file
    sits under the instance folder at ``file_path`` (relative to it); only the person who asked
    may read the job and its file."""

    __tablename__ = "document_job"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_percent"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="known_status"),
        # "Is the same document already on its way for this person?" before queueing another.
        Index("ix_document_job_requested_by_id_document", "requested_by_id", "document"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    # What to render: the form's name (e.g. "p02") and its arguments (plan id, version, source).
    document: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    format: Mapped[str] = mapped_column(String(10), default="pdf")
    # The file's name offered to the browser ("ผ.02 อบต.นาสวรรค์ 2566-2570.pdf").
    title: Mapped[str] = mapped_column(String(300))
    # Written by its one job only (progress in short updates of their own), so no version column.
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    file_path: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

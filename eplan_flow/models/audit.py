"""The audit trail: append-only events, hash-chained per subject, and each chain's signed head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.org import Organisation
from eplan_flow.models.people import User


class AuditEvent(Model):
    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One chain per subject, e.g. "plan:42" or "user:7".
    chain: Mapped[str] = mapped_column(String(80))
    seq: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    workflow: Mapped[str | None] = mapped_column(String(40))
    workflow_version: Mapped[int | None] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # How ``hash`` was made: 1 plain SHA-256 (events written before keyed chains), 2 HMAC-SHA256
    # with the audit key. No default: every writer says which.
    hash_version: Mapped[int] = mapped_column(SmallInteger)

    actor: Mapped[User | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class AuditCheckpoint(Model):
    """The signed head of one chain (its event count and last hash), so a deleted tail shows.

    The row whose chain is ``"*"`` is the registry: ``seq`` counts the chains that have a
    checkpoint, so deleting a whole chain with its checkpoint shows too. Rows only move forward
    (the database refuses DELETE, TRUNCATE and a lower ``seq``).
    """

    __tablename__ = "audit_checkpoint"

    chain: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 of chain, seq and head with the audit key.
    mac: Mapped[str] = mapped_column(String(64))


class AppendOnlyViolation(RuntimeError):
    """Someone tried to change or delete an audit event through the ORM."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_changes(mapper, connection, target):
    raise AppendOnlyViolation("audit events are append-only")


@event.listens_for(AuditCheckpoint, "before_delete")
def _refuse_checkpoint_deletion(mapper, connection, target):
    raise AppendOnlyViolation("audit checkpoints are never deleted")

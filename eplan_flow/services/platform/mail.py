"""Email: queue a message with the transaction that causes it, deliver it from a job after commit.

``queue_mail`` writes an ``EmailMessage`` and an outbox row in the caller's transaction, so a
message exists if and only if what caused it was committed. The ``send_email`` job then hands it to
the SMTP server named by ``MAIL_SERVER``, or, without one (development, tests), marks it ``kept``:
it stays readable in the table. Delivery is at least once, like every outbox job.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage as MimeMessage
from email.utils import formataddr, parseaddr

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eplan_flow.extensions import db
from eplan_flow.log_redaction import redact
from eplan_flow.models import EmailMessage
from eplan_flow.models._types import utcnow
from eplan_flow.services.platform import outbox

log = logging.getLogger(__name__)

MAIL_QUEUE = "default"
# Outbox ids queued in this session and not yet relayed (``relay_queued`` sends them after commit).
_SESSION_KEY = "eplan_mail_outbox_ids"


def queue_mail(
    to: str, subject: str, body: str, *, user_id: int | None = None, dedupe_key: str | None = None
) -> EmailMessage | None:
    """Add an email and its delivery job to the current transaction; the caller commits.

    Returns None, adding nothing, when a message with ``dedupe_key`` already exists (also when a
    concurrent transaction wrote it first). After committing, call ``relay_queued()`` to hand the
    job over at once; otherwise the outbox relay picks it up.
    """
    if dedupe_key is not None and db.session.scalar(
        select(EmailMessage.id).where(EmailMessage.dedupe_key == dedupe_key)
    ):
        return None
    message = EmailMessage(
        to=to.strip(), subject=subject.strip()[:300], body=body, user_id=user_id,
        dedupe_key=dedupe_key, status="queued", attempts=0, created_at=utcnow(),
    )
    # A savepoint, so losing a dedupe race rolls back only this message, not the caller's work.
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    outbox_id = outbox.add("send_email", queue=MAIL_QUEUE, message_id=message.id)
    db.session.info.setdefault(_SESSION_KEY, []).append(outbox_id)
    return message


def relay_queued() -> None:
    """After the caller's commit: hand this session's queued emails to the job queue now."""
    ids = db.session.info.pop(_SESSION_KEY, [])
    outbox.relay_after_commit(ids)


def forget_queued() -> None:
    """After a rollback: drop the outbox ids this session queued (their rows are gone)."""
    db.session.info.pop(_SESSION_KEY, None)


def deliver(message_id: int) -> str:
    """Send one queued email over SMTP, or keep it when no server is set; return its status.

    Idempotent: a message already sent or kept is left alone. An SMTP failure is recorded on the
    row and raised again, so the job queue retries it.
    """
    try:
        message = db.session.execute(
            select(EmailMessage).where(EmailMessage.id == message_id).with_for_update()
        ).scalar_one_or_none()
        if message is None or message.status != "queued":
            db.session.rollback()
            return message.status if message else "missing"
        message.attempts += 1
        config = current_app.config
        if not config.get("MAIL_SERVER"):
            message.status = "kept"
        else:
            try:
                _send_smtp(config, message)
            except (smtplib.SMTPException, OSError) as exc:
                message.last_error = redact(f"{type(exc).__name__}: {exc}")[:1000]
                db.session.commit()
                raise
            message.status = "sent"
            message.sent_at = utcnow()
            message.last_error = None
        status = message.status
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return status


def _send_smtp(config, message: EmailMessage) -> None:
    sender = config.get("MAIL_FROM") or "eplan-flow <no-reply@eplan.local>"
    mime = MimeMessage()
    mime["From"] = sender
    mime["To"] = formataddr(parseaddr(message.to))
    mime["Subject"] = message.subject
    domain = parseaddr(sender)[1].partition("@")[2] or "eplan.local"
    # A stable id: a retried delivery is recognisably the same message.
    mime["Message-ID"] = f"<eplan-mail-{message.id}@{domain}>"
    mime.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=15) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(mime)

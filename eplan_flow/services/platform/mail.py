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
from eplan_flow.services.platform.unit_of_work import transaction

log = logging.getLogger(__name__)

MAIL_QUEUE = "default"


def queue_mail(
    to: str, subject: str, body: str, *, user_id: int | None = None, dedupe_key: str | None = None
) -> EmailMessage | None:
    """Add an email and its delivery job to the current transaction; the caller commits.

    Returns None, adding nothing, when a message with ``dedupe_key`` already exists (also when a
    concurrent transaction wrote it first). The outbox relays its delivery job after the commit.
    """
    if dedupe_key is not None and db.session.scalar(
        select(EmailMessage.id).where(EmailMessage.dedupe_key == dedupe_key)
    ):
        return None
    message = EmailMessage(
        to=to.strip(),
        subject=subject.strip()[:300],
        body=body,
        user_id=user_id,
        dedupe_key=dedupe_key,
        status="queued",
        attempts=0,
        created_at=utcnow(),
    )
    # A savepoint, so losing a dedupe race rolls back only this message, not the caller's work.
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    outbox.add("send_email", queue=MAIL_QUEUE, message_id=message.id)
    return message


def deliver(message_id: int) -> str:
    """Send one queued email over SMTP, or keep it when no server is set; return its status.

    Idempotent: a message already sent or kept is left alone. An SMTP failure is recorded on the
    row (committed) and raised again, so the job queue retries it.
    """
    failure = None
    with transaction():
        message = db.session.execute(
            select(EmailMessage).where(EmailMessage.id == message_id).with_for_update()
        ).scalar_one_or_none()
        if message is None or message.status != "queued":
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
                failure = exc
            else:
                message.status = "sent"
                message.sent_at = utcnow()
                message.last_error = None
        status = message.status
    if failure is not None:
        raise failure
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

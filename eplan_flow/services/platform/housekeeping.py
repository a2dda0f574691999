"""Housekeeping: delete what has served its purpose, keep what someone may still ask about.

Spent or expired OIDC authorization codes, OIDC tokens past every expiry (refresh included, so a
replayed refresh token is still recognised while it could be), outbox rows relayed long ago, and
email that was sent or kept long ago. (The nightly job also voids registrations ThaiD never
verified in time, which identity owns: ``identity.expire_unverified_registrations``.) Nothing in
the audit trail is changed or deleted. Idempotent: a rerun on the same day deletes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, Delete, delete, func, or_

from eplan_flow.extensions import db
from eplan_flow.models import EmailMessage, OutboxMessage
from eplan_flow.models._types import utcnow
from eplan_flow.models.oidc import OAuth2AuthorizationCode, OAuth2Token
from eplan_flow.services.platform.unit_of_work import transaction

# How long each kind of row is kept after it stopped mattering (rule data).
RETENTION = {
    "oidc_codes": timedelta(days=1),
    "oidc_tokens": timedelta(days=1),
    "outbox_relayed": timedelta(days=30),
    "email_done": timedelta(days=90),
}


@dataclass
class Purged:
    oidc_codes: int = 0
    oidc_tokens: int = 0
    outbox_relayed: int = 0
    email_done: int = 0
    unverified_registrations: int = 0  # counted by the nightly job, which voids them after the purge


def _delete(statement: Delete) -> int:
    """Run a DELETE; return how many rows it removed (its result is a CursorResult, which
    Session.execute's type does not say)."""
    return cast(CursorResult, db.session.execute(statement)).rowcount


def purge(now: datetime | None = None, retention: dict = RETENTION) -> Purged:
    """Delete expired OIDC codes and tokens, old relayed outbox rows and old sent email; one commit."""
    now = now or utcnow()
    epoch = now.timestamp()
    code_cutoff = epoch - retention["oidc_codes"].total_seconds()
    token_cutoff = epoch - retention["oidc_tokens"].total_seconds()
    with transaction():
        codes = _delete(
            delete(OAuth2AuthorizationCode).where(OAuth2AuthorizationCode.expires_at < code_cutoff)
        )
        access_expired = (OAuth2Token.issued_at + OAuth2Token.expires_in) < token_cutoff
        refresh_over = or_(
            OAuth2Token.refresh_token.is_(None),
            func.coalesce(OAuth2Token.refresh_token_expires_at, 0) < token_cutoff,
        )
        tokens = _delete(delete(OAuth2Token).where(access_expired, refresh_over))
        outbox = _delete(
            delete(OutboxMessage).where(
                OutboxMessage.state == "relayed",
                OutboxMessage.relayed_at < now - retention["outbox_relayed"],
            )
        )
        email = _delete(
            delete(EmailMessage).where(
                EmailMessage.status.in_(("sent", "kept")),
                EmailMessage.created_at < now - retention["email_done"],
            )
        )
    return Purged(codes, tokens, outbox, email)

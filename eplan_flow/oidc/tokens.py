"""Token digests and revocation: by SSO session (logout), by family (replay), one token (RFC 7009)."""
from __future__ import annotations

import hashlib
import time

from sqlalchemy import or_, update

from eplan_flow.extensions import db
from eplan_flow.models import OAuth2Token


def digest(value: str) -> str:
    """What is stored for a code, access token or refresh token: its SHA-256, hex."""
    return hashlib.sha256(value.encode()).hexdigest()


def session_digest(sso_sid: str | None) -> str | None:
    """The SSO session id as tokens carry it (and as the ID token's ``sid``): never the raw id."""
    return hashlib.sha256(f"sso-session:{sso_sid}".encode()).hexdigest() if sso_sid else None


def _revoke_where(*criteria) -> int:
    now = int(time.time())
    return db.session.execute(
        update(OAuth2Token)
        .where(*criteria, or_(OAuth2Token.access_token_revoked_at == 0, OAuth2Token.refresh_token_revoked_at == 0))
        .values(access_token_revoked_at=now, refresh_token_revoked_at=now)
    ).rowcount


def revoke_session_tokens(sid_digest: str | None) -> int:
    """Revoke every token issued in one SSO session (the caller commits); return how many."""
    if not sid_digest:
        return 0
    return _revoke_where(OAuth2Token.sso_sid == sid_digest)


def revoke_family(family: str) -> int:
    """Revoke every token descended from one authorization code (the caller commits)."""
    return _revoke_where(OAuth2Token.family == family)


def revoke_on_sso_logout(user, sso_sid: str | None) -> None:
    """Revoke the tokens of the SSO session that is signing out, and commit (an SSO logout hook)."""
    try:
        revoke_session_tokens(session_digest(sso_sid))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise

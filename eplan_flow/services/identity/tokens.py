"""Token digests and revocation: by SSO session (logout), by family (replay), one token (RFC 7009);
and the logout tokens of OIDC Back-Channel Logout 1.0, made and posted to the relying parties."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from typing import cast

import requests
from joserfc import jwt
from sqlalchemy import CursorResult, or_, select, update

from eplan_flow.extensions import db
from eplan_flow.models import OAuth2Client, OAuth2Token
from eplan_flow.services.identity import keys, sessions
from eplan_flow.services.platform.unit_of_work import transaction

log = logging.getLogger(__name__)

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"
# A logout token is sent at once (retries re-sign it): it needs to live only for the trip.
LOGOUT_TOKEN_LIFETIME = 120


def digest(value: str) -> str:
    """What is stored for a code, access token or refresh token: its SHA-256, hex."""
    return hashlib.sha256(value.encode()).hexdigest()


def session_digest(sso_sid: str | None) -> str | None:
    """The SSO session id as tokens carry it (and as the ID token's ``sid``): never the raw id."""
    return sessions.digest(sessions.SSO, sso_sid) if sso_sid else None


def _revoke_where(*criteria) -> int:
    now = int(time.time())
    # An UPDATE's result is a CursorResult (rowcount); Session.execute is typed for any statement.
    return cast(
        CursorResult,
        db.session.execute(
            update(OAuth2Token)
            .where(
                *criteria,
                or_(OAuth2Token.access_token_revoked_at == 0, OAuth2Token.refresh_token_revoked_at == 0),
            )
            .values(access_token_revoked_at=now, refresh_token_revoked_at=now)
        ),
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
    with transaction():
        revoke_session_tokens(session_digest(sso_sid))


def logout_token(*, client_id: str, issuer: str, sub: str | None, sid: str | None) -> str:
    """A signed logout token for ``client_id`` (Back-Channel Logout 1.0 §2.4): never a nonce, an
    events claim that no ID token carries, and an explicit type, so it cannot pass for an ID token
    nor an ID token for it. A first signing key, if one is made, is committed with its own audit."""
    if not sub and not sid:
        raise ValueError("a logout token names a subject, a session, or both")
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_LIFETIME,
        "jti": secrets.token_urlsafe(24),
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    if sub:
        claims["sub"] = str(sub)
    if sid:
        claims["sid"] = sid
    key = keys.signing_key()
    return jwt.encode({"alg": keys.ALGORITHM, "kid": key.kid, "typ": LOGOUT_TOKEN_TYPE}, claims, key)


def send_backchannel_logout(client_id: str, issuer: str, sub: str, sid: str | None) -> bool:
    """Post a signed logout token to the client's back-channel logout URI; True when accepted.

    Raises on a network error or a refusal other than 400 so that RQ retries; a 400 (the relying
    party rejects the token) is logged and not retried.
    """
    # Committed before the network call: no transaction stays open while the relying party answers
    # (and a first signing key, if one was made, is kept).
    with transaction():
        client = db.session.execute(
            select(OAuth2Client).where(OAuth2Client.client_id == client_id)
        ).scalar_one_or_none()
        if client is None or not client.is_active or not client.backchannel_logout_uri:
            return False
        uri = client.backchannel_logout_uri
        token = logout_token(client_id=client_id, issuer=issuer, sub=sub, sid=sid)
    response = requests.post(
        uri,
        data={"logout_token": token},
        timeout=10,
        allow_redirects=False,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if response.status_code == 400:
        log.warning("client %s refused a back-channel logout token: %s", client_id, response.text[:200])
        return False
    response.raise_for_status()
    return True

"""Checking a logout token from the SSO (OIDC Back-Channel Logout 1.0 §2.6).

Only the pinned SSO (the one e-Plan's OIDC client is configured for) may end e-Plan sessions:
the token must be signed with a key from that SSO's JWKS with the algorithm it announces, name
that SSO as ``iss`` and e-Plan as ``aud``, be fresh, carry the back-channel logout event, name a
``sub`` or a ``sid``, carry no ``nonce`` (an ID token cannot pass for it), and not be replayed.
"""

from __future__ import annotations

import threading
import time

import redis
import requests
from flask import current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from eplan_flow.auth import oidc_client
from eplan_flow.services.platform.queues import redis_connection

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# Where e-Plan is told (register ``<base URL>`` + this at the SSO as ``backchannel_logout_uri``).
BACKCHANNEL_LOGOUT_PATH = "/auth/oidc/backchannel-logout"
# How old (``iat``) a logout token may be, and the clock skew allowed, in seconds.
MAX_AGE = 300
LEEWAY = 60
_SEEN_PREFIX = "eplan:backchannel:jti:"
_local_seen: dict[str, float] = {}
_local_lock = threading.Lock()


class InvalidLogoutToken(Exception):
    """The logout token is missing, forged, for someone else, stale or replayed: nothing ends."""


class SsoUnreachable(Exception):
    """The SSO's keys could not be read just now: the SSO should send the token again."""


def verified_logout_token(token: str | None) -> dict:
    """The claims of a valid logout token from the pinned SSO; raises InvalidLogoutToken."""
    if not token or not isinstance(token, str) or len(token) > 8192:
        raise InvalidLogoutToken("no logout_token")
    client = oidc_client.sso_client()
    try:
        # Refuses a discovery document naming any issuer but the configured one (SSO_ISSUER).
        metadata = client.load_server_metadata()
        issuer = client.pinned_issuer
        algorithms = [
            a
            for a in metadata.get("id_token_signing_alg_values_supported", ["RS256"])
            if a and a.lower() != "none" and not a.upper().startswith("HS")
        ]
        decoded = _decode(client, token, algorithms)
    except InvalidLogoutToken:
        raise
    except requests.RequestException as exc:
        raise SsoUnreachable(type(exc).__name__) from None
    except (JoseError, *oidc_client.CLIENT_ERRORS, RuntimeError) as exc:
        raise InvalidLogoutToken(f"not verifiable: {type(exc).__name__}") from None
    claims = dict(decoded.claims)
    try:
        jwt.JWTClaimsRegistry(
            now=int(time.time()),
            leeway=LEEWAY,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client.client_id},
            iat={"essential": True},
            jti={"essential": True},
        ).validate(claims)
    except JoseError as exc:
        raise InvalidLogoutToken(f"claims not valid: {exc.error}") from None
    if not isinstance(claims["iat"], int) or claims["iat"] < time.time() - MAX_AGE:
        raise InvalidLogoutToken("too old")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise InvalidLogoutToken("no back-channel logout event")
    if "nonce" in claims:
        raise InvalidLogoutToken("a logout token carries no nonce")
    sub, sid = claims.get("sub"), claims.get("sid")
    if not (isinstance(sub, str) and sub) and not (isinstance(sid, str) and sid):
        raise InvalidLogoutToken("neither sub nor sid")
    if (sub is not None and not isinstance(sub, str)) or (sid is not None and not isinstance(sid, str)):
        raise InvalidLogoutToken("sub and sid are strings")
    if not isinstance(claims["jti"], str) or not _first_use(claims["jti"], claims.get("exp")):
        raise InvalidLogoutToken("replayed")
    return claims


def _decode(client, token: str, algorithms: list[str]):
    try:
        return jwt.decode(token, KeySet.import_key_set(client.fetch_jwk_set()), algorithms=algorithms)
    except InvalidKeyIdError:
        # A key the cached JWKS does not hold: the SSO may have rotated. Ask it once more.
        return jwt.decode(
            token, KeySet.import_key_set(client.fetch_jwk_set(force=True)), algorithms=algorithms
        )


def _first_use(jti: str, exp) -> bool:
    """Remember ``jti`` until the token could no longer be accepted; False if seen before."""
    ttl = MAX_AGE + LEEWAY
    if isinstance(exp, int):
        ttl = max(ttl, int(exp - time.time()) + LEEWAY)
    key = _SEEN_PREFIX + jti[:200]
    if current_app.config.get("REDIS_URL"):
        try:
            return bool(redis_connection().set(key, "1", nx=True, ex=ttl))
        except redis.RedisError:
            current_app.logger.warning("Redis unavailable: logout token replay checked in this process only")
    with _local_lock:
        now = time.time()
        for stale in [k for k, until in _local_seen.items() if until < now]:
            del _local_seen[stale]
        if key in _local_seen:
            return False
        _local_seen[key] = now + ttl
        return True

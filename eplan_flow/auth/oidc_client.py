"""e-Plan's OpenID Connect client of the SSO (Authlib's Flask client), one per app.

The SSO is found by discovery (``SSO_DISCOVERY_URL``, by default this app's own provider: the
one-process demo), so DLA's SSO or a Keycloak replaces it by configuration alone. Whom e-Plan
trusts is configuration too, never a request: the discovery document and every ID token must name
exactly ``SSO_ISSUER``. What the session keeps between requests (refresh token, ID token) is
sealed: Flask's session cookie is signed, not encrypted, and those tokens are credentials the
browser has no use for.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from typing import cast

import redis
import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, session
from joserfc.errors import JoseError

from eplan_flow import sealing
from eplan_flow.services.platform.queues import redis_connection

CLIENT_NAME = "eplan_rp"
SCOPE = "openid profile email eplan"
CALLBACK_PATH = "/auth/oidc/callback"
POST_LOGOUT_PATH = "/"
# Session keys: ``oidc`` is e-Plan's record of the SSO sign-in; ``oidc_auth_time`` is read by
# eplan_flow.sso.session.recent_auth_time (approvals need a recent proof of identity).
SESSION_KEY = "oidc"
AUTH_TIME_KEY = "oidc_auth_time"
_EXTENSION = "eplan_oidc_client"
_register_lock = threading.Lock()

# Everything that means "the SSO did not give us a valid answer": protocol errors, bad or
# unverifiable tokens, the SSO unreachable or answering with an HTTP error.
CLIENT_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError)


class SignInEnded(Exception):
    """The SSO no longer vouches for this session (refresh refused, token invalid, SSO down)."""


class IssuerMismatch(ValueError):
    """An answer names an issuer other than the one e-Plan trusts (``SSO_ISSUER``)."""


class PinnedIssuerClient(FlaskOAuth2App):
    """Authlib's client held to one issuer. Authlib alone checks an ID token's ``iss`` against
    whatever issuer the discovery document names; here the document itself must name
    ``pinned_issuer`` exactly, and so must every ID token."""

    pinned_issuer: str = ""

    def load_server_metadata(self):
        metadata = super().load_server_metadata()
        if not self.pinned_issuer or metadata.get("issuer") != self.pinned_issuer:
            named = metadata.get("issuer")
            # Forget the document (its endpoints included): the next attempt reads it afresh.
            self.server_metadata.clear()
            raise IssuerMismatch(
                f"the SSO's discovery document names issuer {named!r}; e-Plan trusts only "
                f"{self.pinned_issuer!r} (EPLAN_SSO_ISSUER)"
            )
        return metadata

    def parse_id_token(self, token, nonce, claims_options=None, claims_cls=None, leeway=120):
        options = {**(claims_options or {}), "iss": {"essential": True, "value": self.pinned_issuer}}
        return super().parse_id_token(
            token, nonce, claims_options=options, claims_cls=claims_cls, leeway=leeway
        )


def init_app(app) -> None:
    # One registry per app: tests run many apps (each on its own port, with its own SSO URL).
    OAuth(app)
    app.extensions[_EXTENSION] = None


def client_registration(base_url: str) -> dict:
    """The redirect URIs to register for e-Plan at the SSO when e-Plan is served at ``base_url``."""
    base = base_url.rstrip("/")
    return {
        "redirect_uris": [base + CALLBACK_PATH],
        "post_logout_redirect_uris": [base + POST_LOGOUT_PATH],
    }


def sso_client() -> PinnedIssuerClient:
    """The Authlib client of this app, registered on first use from configuration alone."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app
    client = app.extensions.get(_EXTENSION)
    if client is not None:
        return client
    with _register_lock:
        if app.extensions.get(_EXTENSION) is None:
            app.extensions[_EXTENSION] = _register(app)
    return app.extensions[_EXTENSION]


def _register(app):
    config = app.config
    secret = config.get("SSO_CLIENT_SECRET")
    # Both resolved at start-up (eplan_flow.addresses) from BASE_URL or explicit settings.
    discovery, issuer = config.get("SSO_DISCOVERY_URL"), config.get("SSO_ISSUER")
    if not discovery or not issuer:
        raise IssuerMismatch("EPLAN_SSO_DISCOVERY_URL and EPLAN_SSO_ISSUER are not configured")
    oauth: OAuth = app.extensions["authlib.integrations.flask_client"]
    client = oauth.register(
        CLIENT_NAME,
        client_cls=PinnedIssuerClient,
        client_id=config["SSO_CLIENT_ID"],
        client_secret=secret or None,
        server_metadata_url=discovery,
        client_kwargs={
            "scope": SCOPE,
            # PKCE always; a confidential client also authenticates with HTTP Basic.
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
            "default_timeout": 10,
        },
    )
    client.pinned_issuer = issuer
    return client


def verified_sign_in() -> tuple[str, dict, dict]:
    """Finish the authorization-code flow of this callback request: exchange the code (PKCE),
    verify the ID token (signature via JWKS, iss, aud, exp, nonce); return (issuer, claims, token).
    The issuer is the pinned one: the discovery document and the ID token both had to name it."""
    client = sso_client()
    token = client.authorize_access_token()
    claims = token.get("userinfo")
    if not claims:
        # Authlib verifies an ID token only when there is one; without it there is no sign-in.
        raise ValueError("the SSO returned no ID token")
    if claims.get("iss") != client.pinned_issuer:
        raise IssuerMismatch("the ID token names another issuer")
    return client.pinned_issuer, _with_userinfo(client, token, dict(claims)), dict(token)


def start_session(issuer: str, claims: dict, token: dict) -> None:
    """Keep what revalidation and logout need in the (already fresh) session."""
    session[SESSION_KEY] = {
        "iss": issuer,
        "sub": str(claims["sub"]),
        "checked": int(time.time()),
        "tokens": _seal(_token_bundle(token, {})),
    }
    if claims.get("auth_time"):
        session[AUTH_TIME_KEY] = int(claims["auth_time"])


def revalidation_due() -> bool:
    record = session.get(SESSION_KEY)
    if not record:
        return False
    age = time.time() - record.get("checked", 0)
    return age >= current_app.config["SSO_REVALIDATE_SECONDS"]


def refreshed_claims() -> tuple[str, dict]:
    """Ask the SSO again who this session's person is now: refresh the token and read the
    claims from the new ID token, or from userinfo; return (issuer, claims). Raises SignInEnded."""
    record = session.get(SESSION_KEY) or {}
    client = sso_client()
    if record.get("iss") != client.pinned_issuer:
        # Signed in through an SSO e-Plan no longer trusts (the configuration changed).
        raise SignInEnded("issuer_changed")
    try:
        tokens = _unseal(record["tokens"])
        if tokens.get("refresh_token"):
            new = _refresh_once(
                tokens["refresh_token"],
                lambda: dict(
                    client.fetch_access_token(
                        grant_type="refresh_token", refresh_token=tokens["refresh_token"]
                    )
                ),
            )
        else:
            # No refresh token issued: the access token answers until it expires.
            new = {"access_token": tokens["access_token"], "token_type": "Bearer"}
        claims = {"iss": record["iss"], "sub": record["sub"]}
        if new.get("id_token"):
            # A refreshed ID token carries no new nonce; its signature, iss, aud and exp still count.
            claims = dict(client.parse_id_token(new, nonce=None))
        claims = _with_userinfo(client, new, claims)
    except CLIENT_ERRORS as exc:
        # The OAuth error code (invalid_grant: revoked, expired, account not active) or the kind
        # of failure; never the token itself.
        raise SignInEnded(str(getattr(exc, "error", "") or type(exc).__name__)) from exc
    if str(claims.get("sub")) != record.get("sub") or claims.get("iss") != record.get("iss"):
        raise SignInEnded("subject_changed")
    record = {**record, "checked": int(time.time()), "tokens": _seal(_token_bundle(new, tokens))}
    session[SESSION_KEY] = record
    return record["iss"], claims


# Without Redis (one development process): a lock and a small memory of the last answers.
_local_lock = threading.Lock()
_local_answers: dict[str, tuple[float, str]] = {}
_SHARED_FOR = 60  # seconds a refresh answer is shared with requests carrying the same token


def _refresh_once(refresh_token: str, refresh: Callable[[], dict]) -> dict:
    """Spend ``refresh_token`` once even when several requests of one browser revalidate at once.

    The SSO rotates refresh tokens and treats a second use as theft (it revokes the whole
    lineage), while parallel requests carry the same cookie: the first one refreshes, the others
    wait for it and share its (sealed) answer instead of replaying the token.
    """
    key = "eplan:oidc:refresh:" + hashlib.sha256(refresh_token.encode()).hexdigest()
    if current_app.config.get("REDIS_URL"):
        conn = redis_connection()
        answer = None
        try:
            with conn.lock(key + ":lock", timeout=30, blocking_timeout=30):
                # redis-py types its replies for both its sync and async clients; this one is sync.
                shared = cast(bytes | None, conn.get(key))
                if shared:
                    return _unseal(shared.decode())
                answer = refresh()
                conn.set(key, _seal(answer), ex=_SHARED_FOR)
                return answer
        except redis.RedisError:
            # Never refresh twice: a second use of the token would look like theft to the SSO.
            current_app.logger.warning("Redis unavailable: the refresh answer is not shared")
            return answer if answer is not None else refresh()
    with _local_lock:
        now = time.time()
        for stale in [k for k, (until, _) in _local_answers.items() if until < now]:
            del _local_answers[stale]
        if key in _local_answers:
            return _unseal(_local_answers[key][1])
        answer = refresh()
        _local_answers[key] = (now + _SHARED_FOR, _seal(answer))
        return answer


def _with_userinfo(client, token: dict, claims: dict) -> dict:
    """Complete ``claims`` from userinfo when the ID token leaves out e-Plan's own claims (an SSO
    may put only the standard ones in the ID token); userinfo must be about the same subject."""
    if "roles" in claims and "org_code" in claims:
        return claims
    info = dict(client.userinfo(token=token))
    if str(info.get("sub")) != str(claims.get("sub")):
        raise ValueError("userinfo is about another subject")
    return {**info, **{k: v for k, v in claims.items() if k not in info or k in ("iss", "sub")}}


def logout_url(post_logout_redirect_uri: str, id_token: str | None) -> str | None:
    """The SSO's end-session URL (RP-initiated logout), or None when it has none."""
    client = sso_client()
    try:
        result = client.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri,
            id_token_hint=id_token,
            client_id=client.client_id,
        )
    except (RuntimeError, *CLIENT_ERRORS):
        return None
    return result["url"]


def session_id_token() -> str | None:
    record = session.get(SESSION_KEY)
    if not record:
        return None
    try:
        return _unseal(record["tokens"]).get("id_token")
    except (KeyError, ValueError):
        return None


def _token_bundle(token: dict, previous: dict) -> dict:
    # A refresh response may omit the refresh token (not rotated) or the ID token: keep the last.
    keep = ("refresh_token", "id_token", "access_token")
    return {k: token.get(k) or previous.get(k) for k in keep if token.get(k) or previous.get(k)}


def _fernet() -> Fernet:
    key = sealing.current_key(sealing.SESSION_TOKENS)
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(data: dict) -> str:
    return _fernet().encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()


def _unseal(sealed: str) -> dict:
    try:
        return json.loads(_fernet().decrypt(sealed.encode()))
    except InvalidToken as exc:
        raise ValueError("sealed tokens unreadable") from exc

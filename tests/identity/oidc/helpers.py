"""Builders and a plain-HTTP relying party for the OIDC provider's tests.

The relying party uses only ``requests`` and PyJWT (no Authlib), so the provider is checked
against the standard, not against the library that implements it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import jwt
import requests

from eplan_flow.extensions import db
from eplan_flow.models import Account, SystemAccess
from eplan_flow.services.platform import engine


def active_account(user, org, status: str = "active") -> Account:
    """An SSO account for ``user`` at ``org`` put straight into ``status``."""
    account = Account(user_id=user.id, organisation_id=org.id)
    engine.start(account, None)
    account.status = status
    db.session.commit()
    return account


def approved_access(user, org, client_id: str, role: str, status: str = "approved") -> SystemAccess:
    access = SystemAccess(user_id=user.id, organisation_id=org.id, client_id=client_id, role=role)
    engine.start(access, None)
    access.status = status
    db.session.commit()
    return access


def sso_session(user_id: int, *, auth_time: int | None = None, sid: str = "sid-of-the-test") -> dict:
    """The SSO's session keys (eplan_flow.sso.session) as its sign-in page writes them, and the
    server-side session they point to (needs an app context)."""
    live_sso_session(user_id, sid)
    return {"sso_uid": user_id, "sso_auth_time": auth_time or int(time.time()), "sso_sid": sid}


def live_sso_session(user_id: int, sid: str) -> None:
    """The server-side record of SSO session ``sid`` for ``user_id``, live (services.sessions)."""
    from datetime import timedelta

    from sqlalchemy import select

    from eplan_flow.models import SignInSession
    from eplan_flow.models._types import utcnow
    from eplan_flow.services.identity import sessions

    digest = sessions.digest(sessions.SSO, sid)
    row = db.session.execute(select(SignInSession).where(SignInSession.digest == digest)).scalar_one_or_none()
    if row is None:
        row = SignInSession(digest=digest, kind=sessions.SSO, sso_sid=digest, user_id=user_id)
        db.session.add(row)
    now = utcnow()
    row.user_id, row.created_at, row.last_seen_at = user_id, now, now
    row.expires_at, row.ended_at, row.end_reason = now + timedelta(hours=8), None, None
    db.session.commit()


def browser_signed_in(app, user_id: int, host: str = "127.0.0.1", **kwargs) -> requests.Session:
    """A browser holding the SSO session cookie the app would have set at sign-in on ``host``."""
    browser = requests.Session()
    with app.app_context():
        keys = sso_session(user_id, **kwargs)
    cookie = app.session_interface.get_signing_serializer(app).dumps(keys)
    # Host-only, like the app's own Set-Cookie, so the app's later updates replace it.
    browser.cookies.set(app.config["SESSION_COOKIE_NAME"], cookie, domain=host)
    return browser


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class Pending:
    """What a relying party remembers between the redirect and the callback."""

    state: str
    nonce: str
    verifier: str


class PlainRelyingParty:
    """A relying party in a few lines of plain HTTP: discovery, PKCE, code exchange, JWKS check."""

    def __init__(self, base_url: str, client_id: str, redirect_uri: str, secret: str | None = None):
        self.client_id, self.redirect_uri, self.secret = client_id, redirect_uri, secret
        response = requests.get(f"{base_url}/.well-known/openid-configuration", timeout=10)
        response.raise_for_status()
        self.config = response.json()
        # No caching, so a rotated key is fetched from the provider as a real RP would after a miss.
        self.jwks = jwt.PyJWKClient(self.config["jwks_uri"], cache_keys=False, cache_jwk_set=False)

    def authorize(self, browser: requests.Session, **params) -> tuple[requests.Response, Pending]:
        pending = Pending(secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(48))
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid profile email eplan",
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": s256(pending.verifier),
            "code_challenge_method": "S256",
            **params,
        }
        query = {k: v for k, v in query.items() if v is not None}
        response = browser.get(
            self.config["authorization_endpoint"], params=query, allow_redirects=False, timeout=10
        )
        return response, pending

    def callback_params(self, response: requests.Response) -> dict:
        assert response.status_code == 302, response.text[:500]
        location = response.headers["Location"]
        assert location.startswith(self.redirect_uri + "?"), location
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def code_from(self, response: requests.Response, pending: Pending) -> str:
        params = self.callback_params(response)
        assert params.get("state") == pending.state
        assert "error" not in params, params
        return params["code"]

    def _auth(self):
        return (self.client_id, self.secret) if self.secret else None

    def _form(self, **data) -> dict:
        if not self.secret:
            data["client_id"] = self.client_id
        return data

    def exchange(self, code: str, verifier: str | None, redirect_uri: str | None = None) -> requests.Response:
        data = self._form(
            grant_type="authorization_code",
            code=code,
            redirect_uri=redirect_uri or self.redirect_uri,
            code_verifier=verifier,
        )
        return requests.post(
            self.config["token_endpoint"],
            data={k: v for k, v in data.items() if v},
            auth=self._auth(),
            timeout=10,
        )

    def refresh(self, refresh_token: str) -> requests.Response:
        return requests.post(
            self.config["token_endpoint"],
            auth=self._auth(),
            timeout=10,
            data=self._form(grant_type="refresh_token", refresh_token=refresh_token),
        )

    def revoke(self, token: str, hint: str | None = None) -> requests.Response:
        data = self._form(token=token, **({"token_type_hint": hint} if hint else {}))
        return requests.post(self.config["revocation_endpoint"], data=data, auth=self._auth(), timeout=10)

    def userinfo(self, access_token: str) -> requests.Response:
        return requests.get(
            self.config["userinfo_endpoint"], timeout=10, headers={"Authorization": f"Bearer {access_token}"}
        )

    def verify_id_token(self, id_token: str, nonce: str | None) -> dict:
        key = self.jwks.get_signing_key_from_jwt(id_token)
        claims = jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256"],
            audience=self.client_id,
            issuer=self.config["issuer"],
            options={"require": ["iss", "sub", "aud", "exp", "iat", "auth_time"]},
        )
        if nonce is not None:
            assert claims["nonce"] == nonce
        else:
            assert "nonce" not in claims
        return claims

    def sign_in(self, browser: requests.Session) -> tuple[dict, dict]:
        """The whole code flow; returns the token response and the verified ID token's claims."""
        response, pending = self.authorize(browser)
        tokens = self.exchange(self.code_from(response, pending), pending.verifier)
        assert tokens.status_code == 200, tokens.text
        body = tokens.json()
        return body, self.verify_id_token(body["id_token"], pending.nonce)

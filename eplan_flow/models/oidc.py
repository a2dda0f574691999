"""The OpenID Connect provider's records: client registrations, authorization codes, tokens and
the keys that sign ID tokens.

Codes, access tokens and refresh tokens are stored only as their SHA-256 (hex), as is a client's
secret: a copy of the database lets nobody act as a person or a relying party. The columns
Authlib's mixins name ``code``, ``access_token`` and ``refresh_token`` therefore hold digests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime

from authlib.integrations.sqla_oauth2 import (
    OAuth2AuthorizationCodeMixin,
    OAuth2ClientMixin,
    OAuth2TokenMixin,
)
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eplan_flow.extensions import Model, db
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.models.people import User

PUBLIC_AUTH_METHOD = "none"
CONFIDENTIAL_AUTH_METHOD = "client_secret_basic"


def hash_secret(secret: str) -> str:
    """What is stored for a client's secret: its SHA-256 (256 random bits need no slow hash)."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(stored: str, given: str) -> bool:
    """Whether ``given`` is the secret whose digest is ``stored`` (compared in constant time)."""
    return hmac.compare_digest(stored, hash_secret(given or ""))


class OAuth2Client(OAuth2ClientMixin, Model):
    """A relying party registered with the SSO (e-Plan is ``eplan``)."""

    __tablename__ = "oidc_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(48), unique=True)
    # "sha256:<hex>" of the secret (shown once at registration); None for a public client.
    client_secret: Mapped[str | None] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # First-party systems skip the consent page.
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The roles this system may receive in its ``roles`` claim.
    allowed_roles: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def client_metadata(self) -> dict:
        # Parsed each time: Authlib's version caches beside the mapped column and goes stale
        # when the row is refreshed or expired.
        return json.loads(self._client_metadata) if self._client_metadata else {}

    def set_client_metadata(self, value: dict) -> None:
        self._client_metadata = json.dumps(value)

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == PUBLIC_AUTH_METHOD

    @property
    def post_logout_redirect_uris(self) -> list[str]:
        return self.client_metadata.get("post_logout_redirect_uris", [])

    @property
    def backchannel_logout_uri(self) -> str | None:
        """Where the SSO posts a logout token when a session this client signed in to ends."""
        return self.client_metadata.get("backchannel_logout_uri") or None

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client_secret is not None and secret_matches(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # The revocation endpoint authenticates a client the same way as the token endpoint.
        return self.is_active and method == self.token_endpoint_auth_method

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class OAuth2AuthorizationCode(OAuth2AuthorizationCodeMixin, Model):
    """A one-time code; kept after use (``used_at``) so a replay can revoke what it gave."""

    __tablename__ = "oidc_authorization_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # Digest of the SSO session that approved it (see ``eplan_flow.services.identity.tokens.session_digest``).
    sso_sid: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[int | None] = mapped_column(Integer)

    user: Mapped[User] = relationship()

    def is_expired(self) -> bool:
        return self.expires_at < time.time()


class OAuth2Token(OAuth2TokenMixin, Model):
    """An access token and its refresh token, as digests; one row per issue (refresh rotates)."""

    __tablename__ = "oidc_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    sso_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    # Every token descended from one authorization code shares its family: a replayed code or
    # refresh token revokes the whole family.
    family: Mapped[str] = mapped_column(String(64), index=True)
    # When the person last proved who they are (carried to refreshed ID tokens).
    auth_time: Mapped[int | None] = mapped_column(Integer)
    refresh_token_expires_at: Mapped[int | None] = mapped_column(Integer)

    user: Mapped[User] = relationship()

    def get_client(self):
        return db.session.query(OAuth2Client).filter_by(client_id=self.client_id).one_or_none()

    def get_user(self):
        return self.user

    def is_refresh_token_usable(self) -> bool:
        return bool(
            self.refresh_token
            and not self.refresh_token_revoked_at
            and (self.refresh_token_expires_at is None or self.refresh_token_expires_at >= time.time())
        )


class SigningKey(Model):
    """An RSA key that signs ID tokens. It is published in the JWKS from ``created_at``, signs
    from ``sign_after`` (later than its publication, so relying parties hold it before they meet
    it) until ``retire_after``, and stays published until ``delete_after`` (when the tokens it
    signed have expired)."""

    __tablename__ = "oidc_signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    # The private key as PKCS#8 PEM, sealed with AES-GCM under a key derived from SECRET_KEY.
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sign_after: Mapped[datetime] = mapped_column(UTCDateTime)
    retire_after: Mapped[datetime] = mapped_column(UTCDateTime)
    delete_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    def __str__(self) -> str:
        return self.kid

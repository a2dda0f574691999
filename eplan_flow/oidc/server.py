"""The authorization server: Authlib's grants and endpoints bound to our models.

One server per app (``app.extensions["oidc_server"]``), built by ``create_server``. These classes
are the provider's service layer: each step that changes a record commits it (its own
``transaction()``) before Authlib goes on (a code is spent atomically before tokens are issued; a
refresh token is spent before its successor is issued), so a replay finds the record already
spent and revokes what it gave.
"""

from __future__ import annotations

import logging
import time
from typing import cast

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc6750 import BearerTokenValidator as _BearerTokenValidator
from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode as _OpenIDCode
from authlib.oidc.core.grants.code import OpenIDToken as _OpenIDToken
from authlib.oidc.core.util import create_half_hash
from authlib.oidc.rpinitiated import EndSessionEndpoint as _EndSessionEndpoint
from flask import current_app, request
from joserfc import jwt
from sqlalchemy import CursorResult, or_, select, update

from eplan_flow.addresses import oidc_issuer
from eplan_flow.extensions import db
from eplan_flow.models import OAuth2AuthorizationCode, OAuth2Client, OAuth2Token, User
from eplan_flow.services.identity import keys
from eplan_flow.services.identity.claims import active_account, claims_for
from eplan_flow.services.identity.oidc_clients import SUPPORTED_SCOPES
from eplan_flow.services.identity.tokens import digest, revoke_family, revoke_session_tokens, session_digest
from eplan_flow.services.platform import audit
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.sso.session import end_sso_session, sso_auth_time, sso_session_id

log = logging.getLogger(__name__)

CLIENT_AUTH_METHODS = ["client_secret_basic", "none"]
# A refresh token outlives the access tokens it renews by this much (a working day).
DEFAULT_REFRESH_TOKEN_LIFETIME = 12 * 3600


issuer = oidc_issuer


def _account_must_be_active(user: User | None) -> User:
    if user is None or active_account(user) is None:
        raise InvalidGrantError(description="The account is not active.")
    return user


# -- ID tokens --------------------------------------------------------------------------------
def encode_id_token(token: dict, oauth_request) -> str:
    """Sign the ID token for ``token`` with the newest key; claims are computed afresh."""
    client, user = oauth_request.client, oauth_request.user
    source = oauth_request.authorization_code or oauth_request.refresh_token
    now = int(time.time())
    claims = {
        "iss": issuer(),
        "aud": client.client_id,
        "iat": now,
        "exp": now + current_app.config["OIDC_ID_TOKEN_LIFETIME"],
        "auth_time": source.auth_time or now,
    }
    if oauth_request.authorization_code is not None and source.nonce:
        claims["nonce"] = source.nonce
    if source.sso_sid:
        claims["sid"] = source.sso_sid
    if token.get("access_token"):
        claims["at_hash"] = create_half_hash(token["access_token"], keys.ALGORITHM).decode()
    claims.update(claims_for(user, client, token.get("scope", "")))
    key = keys.signing_key()
    return jwt.encode({"alg": keys.ALGORITHM, "kid": key.kid, "typ": "JWT"}, claims, key)


class OpenIDCode(_OpenIDCode):
    """ID tokens for the code grant."""

    def exists_nonce(self, nonce, oauth_request) -> bool:
        return (
            db.session.execute(
                select(OAuth2AuthorizationCode.id)
                .where(
                    OAuth2AuthorizationCode.client_id == oauth_request.payload.client_id,
                    OAuth2AuthorizationCode.nonce == nonce,
                )
                .limit(1)
            ).first()
            is not None
        )

    def encode_id_token(self, token, oauth_request):
        return encode_id_token(token, oauth_request)


class OpenIDRefresh(_OpenIDToken):
    """A refreshed ID token, so the relying party reads the roles as they are now."""

    def encode_id_token(self, token, oauth_request):
        return encode_id_token(token, oauth_request)


# -- grants -----------------------------------------------------------------------------------
class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only; a public client without a challenge is refused at the authorize step."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        challenge = data.get("code_challenge")
        if not challenge and grant.request.client.is_public:
            raise InvalidRequestError("Missing 'code_challenge': a public client must use PKCE with S256.")
        if challenge and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Unsupported 'code_challenge_method': only S256 is accepted.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def save_authorization_code(self, code, oauth_request):
        now = int(time.time())
        data = oauth_request.payload.data
        with transaction():
            db.session.add(
                OAuth2AuthorizationCode(
                    code=digest(code),
                    client_id=oauth_request.client.client_id,
                    redirect_uri=oauth_request.payload.redirect_uri or "",
                    response_type=oauth_request.payload.response_type,
                    scope=oauth_request.scope,
                    nonce=data.get("nonce"),
                    auth_time=sso_auth_time() or now,
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                    user_id=oauth_request.user.id,
                    sso_sid=session_digest(sso_session_id()),
                    expires_at=now + current_app.config["OIDC_CODE_LIFETIME"],
                )
            )
            # The sign-in to another system is an authentication decision: it joins the person's trail.
            user = oauth_request.user
            audit.append(
                f"auth:{user.id}",
                "oidc_authorize",
                actor=user,
                organisation_id=user.organisation_id,
                data={
                    "client_id": oauth_request.client.client_id,
                    "scope": oauth_request.scope,
                    "ip": request.remote_addr,
                },
            )

    def query_authorization_code(self, code, client):
        with transaction():
            row = db.session.execute(
                select(OAuth2AuthorizationCode).where(
                    OAuth2AuthorizationCode.code == digest(code),
                    OAuth2AuthorizationCode.client_id == client.client_id,
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            # Spend the code now, atomically: of two concurrent exchanges only one wins.
            # An UPDATE's result is a CursorResult (rowcount); Session.execute is typed for any statement.
            spent = cast(
                CursorResult,
                db.session.execute(
                    update(OAuth2AuthorizationCode)
                    .where(OAuth2AuthorizationCode.id == row.id, OAuth2AuthorizationCode.used_at.is_(None))
                    .values(used_at=int(time.time()))
                ),
            ).rowcount
            # RFC 6749 §4.1.2: a replayed code revokes what it was exchanged for.
            revoked = 0 if spent else revoke_family(row.code)
        if not spent:
            log.warning(
                "authorization code replayed for client %s: %s tokens revoked", client.client_id, revoked
            )
            return None
        if row.is_expired():
            return None
        return row

    def delete_authorization_code(self, authorization_code):
        """Spent already in ``query_authorization_code``; kept to recognise a replay."""

    def authenticate_user(self, authorization_code):
        return _account_must_be_active(db.session.get(User, authorization_code.user_id))


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh token is good once

    def authenticate_refresh_token(self, refresh_token):
        with transaction():
            row = db.session.execute(
                select(OAuth2Token).where(OAuth2Token.refresh_token == digest(refresh_token))
            ).scalar_one_or_none()
            if row is None:
                return None
            usable = row.is_refresh_token_usable()
            spent = (
                usable
                and cast(
                    CursorResult,
                    db.session.execute(
                        update(OAuth2Token)
                        .where(OAuth2Token.id == row.id, OAuth2Token.refresh_token_revoked_at == 0)
                        .values(refresh_token_revoked_at=int(time.time()))
                    ),
                ).rowcount
            )
            if not spent and row.refresh_token_revoked_at:
                # A rotated refresh token used again: someone holds a copy. Revoke the lineage.
                revoke_family(row.family)
        return row if spent else None

    def authenticate_user(self, refresh_token):
        return _account_must_be_active(refresh_token.user)

    def revoke_old_credential(self, refresh_token):
        with transaction():
            refresh_token.access_token_revoked_at = int(time.time())


# -- endpoints --------------------------------------------------------------------------------
def _token_by(token_string: str, hint: str | None) -> OAuth2Token | None:
    hashed = digest(token_string)
    columns = {
        "access_token": [OAuth2Token.access_token],
        "refresh_token": [OAuth2Token.refresh_token],
    }.get(hint or "", [OAuth2Token.access_token, OAuth2Token.refresh_token])
    return db.session.execute(
        select(OAuth2Token).where(or_(*(c == hashed for c in columns))).limit(1)
    ).scalar_one_or_none()


class RevocationEndpoint(_RevocationEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        return _token_by(token_string, token_type_hint)

    def revoke_token(self, token, oauth_request):
        with transaction():
            if oauth_request.form.get("token_type_hint") == "access_token":
                token.access_token_revoked_at = int(time.time())
            else:
                # RFC 7009 §2.1: revoking a refresh token also revokes the access tokens of its grant.
                revoke_family(token.family)


class EndSessionEndpoint(_EndSessionEndpoint):
    def get_server_jwks(self):
        return keys.jwks()

    def get_algorithms(self):
        return [keys.ALGORITHM]

    def end_session(self, end_session_request):
        sessions = {session_digest(sso_session_id())}
        if end_session_request.id_token_claims:
            sessions.add(end_session_request.id_token_claims.get("sid"))
        with transaction():
            for sid in sessions - {None}:
                revoke_session_tokens(sid)
        end_sso_session()


class BearerTokenValidator(_BearerTokenValidator):
    def authenticate_token(self, token_string):
        return _token_by(token_string, "access_token")

    def validate_token(self, token, scopes, oauth_request):
        super().validate_token(token, scopes, oauth_request)
        client = token.get_client()
        if client is None or not client.is_active or active_account(token.user) is None:
            raise InvalidTokenError(realm=self.realm, extra_attributes=self.extra_attributes)


# -- the server -------------------------------------------------------------------------------
def _query_client(client_id):
    return db.session.execute(
        select(OAuth2Client).where(OAuth2Client.client_id == client_id, OAuth2Client.is_active.is_(True))
    ).scalar_one_or_none()


def _save_token(token, oauth_request):
    source = oauth_request.authorization_code or oauth_request.refresh_token
    now = int(time.time())
    refresh = token.get("refresh_token")
    refresh_lifetime = current_app.config.get("OIDC_REFRESH_TOKEN_LIFETIME", DEFAULT_REFRESH_TOKEN_LIFETIME)
    with transaction():
        db.session.add(
            OAuth2Token(
                client_id=oauth_request.client.client_id,
                user_id=oauth_request.user.id,
                token_type=token["token_type"],
                access_token=digest(token["access_token"]),
                refresh_token=digest(refresh) if refresh else None,
                refresh_token_expires_at=now + refresh_lifetime if refresh else None,
                scope=token.get("scope", ""),
                issued_at=now,
                expires_in=token.get("expires_in", 0),
                # A code's digest names the family its tokens descend from.
                family=source.code if oauth_request.authorization_code is not None else source.family,
                sso_sid=source.sso_sid,
                auth_time=source.auth_time,
            )
        )


def _expires_in(client, grant_type) -> int:
    return current_app.config["OIDC_ACCESS_TOKEN_LIFETIME"]


def create_server(app) -> AuthorizationServer:
    """Build the authorization server of ``app`` with its grants and endpoints."""
    server = AuthorizationServer()
    server.init_app(app, query_client=_query_client, save_token=_save_token)
    server.scopes_supported = list(SUPPORTED_SCOPES)
    server.register_token_generator(
        "default",
        BearerTokenGenerator(
            access_token_generator=lambda **_: generate_token(48),
            refresh_token_generator=lambda **_: generate_token(48),
            expires_generator=_expires_in,
        ),
    )
    server.register_grant(
        AuthorizationCodeGrant, [S256CodeChallenge(required=True), OpenIDCode(require_nonce=False)]
    )
    server.register_grant(RefreshTokenGrant, [OpenIDRefresh()])
    server.register_endpoint(RevocationEndpoint)
    server.register_endpoint(EndSessionEndpoint)
    return server


def create_resource_protector() -> ResourceProtector:
    protector = ResourceProtector()
    protector.register_token_validator(BearerTokenValidator())
    return protector

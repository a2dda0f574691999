"""Relying parties registered with the SSO: set up by deployment (``ensure_client``) or by DLA
admins in the back office (register, change, deactivate, new secret).

A client's secret is generated here, shown once, and stored only as its SHA-256: it is 256 random
bits, so a fast digest is as safe as a password hash and keeps every token call cheap.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable
from typing import cast
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import CursorResult, select, update

from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import OAuth2Client, OAuth2Token
from eplan_flow.models.oidc import CONFIDENTIAL_AUTH_METHOD, PUBLIC_AUTH_METHOD, hash_secret, secret_matches
from eplan_flow.permissions import can_manage_organisations
from eplan_flow.services.platform import audit
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.text import clean_text
from workflows.roles import ROLE_NAMES

DEFAULT_SCOPE = "openid profile email eplan"
SUPPORTED_SCOPES = ("openid", "profile", "email", "eplan")
GRANT_TYPES = ["authorization_code", "refresh_token"]
CLIENT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,47}$")
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
NAME_LENGTH = 200  # the column's length


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# -- validation -------------------------------------------------------------------------------
def _check_uri(uri: str, field: str) -> str:
    uri = (uri or "").strip()
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise InvalidInput(f"{uri!r} is not an absolute http(s) address without a fragment", field=field)
    # Plain http only where nobody can listen in: this machine, or a non-production deployment.
    if (
        parts.scheme == "http"
        and parts.hostname not in LOOPBACK_HOSTS
        and current_app.config.get("ENV_NAME") == "production"
    ):
        raise InvalidInput(f"{uri!r} must use https", field=field)
    return uri


def _uris(values: Iterable[str] | str | None, field: str) -> list[str]:
    if isinstance(values, str):
        values = values.split()
    return list(dict.fromkeys(_check_uri(v, field) for v in (values or ()) if v and v.strip()))


def _roles(values: Iterable[str] | str | None) -> list[str]:
    if isinstance(values, str):
        values = values.split()
    roles = sorted(set(values or ()))
    unknown = [r for r in roles if r not in ROLE_NAMES]
    if unknown:
        raise InvalidInput(f"unknown roles: {', '.join(unknown)}", field="allowed_roles")
    return roles


def _scope(value: str | None) -> str:
    scopes = list(dict.fromkeys((value or DEFAULT_SCOPE).split()))
    if "openid" not in scopes or any(s not in SUPPORTED_SCOPES for s in scopes):
        raise InvalidInput(
            f"the scope must include openid and only {' '.join(SUPPORTED_SCOPES)}", field="scope"
        )
    return " ".join(scopes)


def _metadata(
    client: OAuth2Client | None,
    *,
    name,
    redirect_uris,
    post_logout_redirect_uris,
    scope,
    public: bool,
    backchannel_logout_uri=None,
) -> dict:
    metadata = dict(client.client_metadata) if client is not None else {}
    redirect_uris = _uris(redirect_uris, "redirect_uris")
    if not redirect_uris:
        raise InvalidInput("at least one redirect URI is needed", field="redirect_uris")
    metadata.update(
        client_name=name,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=_uris(post_logout_redirect_uris, "post_logout_redirect_uris"),
        scope=_scope(scope),
        grant_types=GRANT_TYPES,
        response_types=["code"],
        token_endpoint_auth_method=PUBLIC_AUTH_METHOD if public else CONFIDENTIAL_AUTH_METHOD,
        id_token_signed_response_alg="RS256",
    )
    # OIDC Back-Channel Logout 1.0: one address, told when a session of this client ends.
    backchannel = (backchannel_logout_uri or "").strip()
    if backchannel:
        metadata["backchannel_logout_uri"] = _check_uri(backchannel, "backchannel_logout_uri")
        metadata["backchannel_logout_session_required"] = True
    else:
        metadata.pop("backchannel_logout_uri", None)
        metadata.pop("backchannel_logout_session_required", None)
    return metadata


def _by_client_id(client_id: str) -> OAuth2Client | None:
    return db.session.execute(
        select(OAuth2Client).where(OAuth2Client.client_id == client_id)
    ).scalar_one_or_none()


def _get(client_pk: int) -> OAuth2Client:
    client = db.session.get(OAuth2Client, client_pk)
    if client is None:
        raise NotFound("no such client registration")
    return client


def _require_manager(actor) -> None:
    # Client registrations decide who may receive people's identities: DLA admins only.
    if not can_manage_organisations(actor):
        raise PermissionDenied("only DLA admins manage client registrations")


def _audit(client: OAuth2Client, action: str, actor, **data) -> None:
    audit.append(f"oidc_client:{client.client_id}", action, actor=actor, data=data)


def _summary(client: OAuth2Client) -> dict:
    return {
        "name": client.name,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "scope": client.scope,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "allowed_roles": client.allowed_roles,
        "trusted": client.trusted,
        "is_active": client.is_active,
        "public": client.is_public,
    }


# -- use cases --------------------------------------------------------------------------------
def ensure_client(
    client_id: str,
    *,
    name: str,
    redirect_uris: Iterable[str],
    post_logout_redirect_uris: Iterable[str] = (),
    backchannel_logout_uri: str | None = None,
    secret: str | None = None,
    allowed_roles: Iterable[str] = (),
    trusted: bool = True,
    scope: str = DEFAULT_SCOPE,
) -> OAuth2Client:
    """Create or update the client ``client_id`` to exactly these settings (deployment, demo, tests)."""
    with transaction():
        client = _by_client_id(client_id)
        created = client is None
        if client is None:
            client = OAuth2Client(client_id=client_id, client_id_issued_at=int(time.time()))
            db.session.add(client)
        client.name = name
        client.set_client_metadata(
            _metadata(
                client,
                name=name,
                redirect_uris=redirect_uris,
                post_logout_redirect_uris=post_logout_redirect_uris,
                scope=scope,
                public=secret is None,
                backchannel_logout_uri=backchannel_logout_uri,
            )
        )
        if secret is None:
            client.client_secret = None
        elif client.client_secret is None or not secret_matches(client.client_secret, secret):
            client.client_secret = hash_secret(secret)
        client.allowed_roles = _roles(allowed_roles)
        client.trusted = trusted
        client.is_active = True
        if created or db.session.is_modified(client):
            _audit(client, "ensure_client", None, **_summary(client))
        return client


def register_client(
    actor,
    *,
    client_id: str,
    name: str,
    redirect_uris,
    post_logout_redirect_uris=(),
    backchannel_logout_uri: str | None = None,
    confidential: bool = True,
    allowed_roles=(),
    trusted: bool = False,
    scope: str = DEFAULT_SCOPE,
) -> tuple[OAuth2Client, str | None]:
    """Register a new relying party; return it and its secret (shown once; None if public)."""
    with transaction():
        _require_manager(actor)
        client_id = (client_id or "").strip()
        if not CLIENT_ID_PATTERN.match(client_id):
            raise InvalidInput(
                "the client ID is 2–48 lower-case letters, digits, dots, dashes or underscores",
                field="client_id",
            )
        if _by_client_id(client_id) is not None:
            raise InvalidInput("this client ID is already registered", field="client_id")
        name = clean_text(name, field="name", max_length=NAME_LENGTH, required=True)
        secret = new_secret() if confidential else None
        client = OAuth2Client(
            client_id=client_id,
            client_id_issued_at=int(time.time()),
            name=name,
            client_secret=hash_secret(secret) if secret else None,
            allowed_roles=_roles(allowed_roles),
            trusted=bool(trusted),
            is_active=True,
        )
        client.set_client_metadata(
            _metadata(
                None,
                name=client.name,
                redirect_uris=redirect_uris,
                post_logout_redirect_uris=post_logout_redirect_uris,
                scope=scope,
                public=not confidential,
                backchannel_logout_uri=backchannel_logout_uri,
            )
        )
        db.session.add(client)
        db.session.flush()
        _audit(client, "register_client", actor, **_summary(client))
        return client, secret


def update_client(
    actor,
    client_pk: int,
    *,
    name: str,
    redirect_uris,
    post_logout_redirect_uris=(),
    allowed_roles=(),
    trusted: bool = False,
    scope: str = DEFAULT_SCOPE,
    backchannel_logout_uri: str | None = None,
) -> OAuth2Client:
    """Change a registration's name, addresses, roles, scope or consent setting."""
    with transaction():
        _require_manager(actor)
        client = _get(client_pk)
        client.name = clean_text(name, field="name", max_length=NAME_LENGTH, required=True)
        client.set_client_metadata(
            _metadata(
                client,
                name=client.name,
                redirect_uris=redirect_uris,
                post_logout_redirect_uris=post_logout_redirect_uris,
                scope=scope,
                public=client.is_public,
                backchannel_logout_uri=backchannel_logout_uri,
            )
        )
        client.allowed_roles = _roles(allowed_roles)
        client.trusted = bool(trusted)
        _audit(client, "update_client", actor, **_summary(client))
        return client


def list_clients() -> list[dict]:
    """Every registration with its addresses, for the operator's ``flask eplan clients list``."""
    clients = db.session.execute(select(OAuth2Client).order_by(OAuth2Client.client_id)).scalars()
    return [{"client_id": c.client_id, **_summary(c)} for c in clients]


def clients_for(actor) -> list[dict]:
    """Every registration with its addresses, for a DLA admin (anyone else: PermissionDenied)."""
    _require_manager(actor)
    return list_clients()


def client_for(actor, client_id: str) -> OAuth2Client:
    """One registration by its client ID, for a DLA admin (anyone else: PermissionDenied)."""
    if not CLIENT_ID_PATTERN.match(client_id or ""):
        # No such ID can be registered (and a NUL would never reach the database).
        _require_manager(actor)
        raise NotFound("no such client registration")
    return _client_to_change(actor, client_id)


def summary(client: OAuth2Client) -> dict:
    """A registration as the back office and the API show it (never its secret)."""
    return {"client_id": client.client_id, **_summary(client)}


def _client_to_change(actor, client_id: str) -> OAuth2Client:
    # ``None`` is the server's operator at its command line (as in ``ensure_client``), who can run
    # anything there anyway; a person signed in must be a DLA admin.
    if actor is not None:
        _require_manager(actor)
    client = _by_client_id((client_id or "").strip())
    if client is None:
        raise NotFound("no such client registration")
    return client


def _address_field(after_logout: bool) -> str:
    return "post_logout_redirect_uris" if after_logout else "redirect_uris"


def add_redirect_uri(actor, client_id: str, uri: str, *, after_logout: bool = False) -> OAuth2Client:
    """Let the client ``client_id`` be sent back to ``uri`` after sign-in (or after sign-out)."""
    field = _address_field(after_logout)
    with transaction():
        client = _client_to_change(actor, client_id)
        uri = _check_uri(uri, field)
        current = list(getattr(client, field))
        if uri not in current:
            client.set_client_metadata({**client.client_metadata, field: [*current, uri]})
            _audit(client, "add_redirect_uri", actor, field=field, uri=uri)
        return client


def remove_redirect_uri(actor, client_id: str, uri: str, *, after_logout: bool = False) -> OAuth2Client:
    """Stop sending the client ``client_id`` back to ``uri``; a client keeps at least one address."""
    field = _address_field(after_logout)
    with transaction():
        client = _client_to_change(actor, client_id)
        uri = (uri or "").strip()
        current = list(getattr(client, field))
        if uri not in current:
            raise InvalidInput(f"{uri!r} is not one of this client's addresses", field=field)
        remaining = [u for u in current if u != uri]
        if field == "redirect_uris" and not remaining:
            raise InvalidInput("at least one redirect URI is needed", field=field)
        client.set_client_metadata({**client.client_metadata, field: remaining})
        _audit(client, "remove_redirect_uri", actor, field=field, uri=uri)
        return client


def set_client_active(actor, client_pk: int, active: bool) -> OAuth2Client:
    """Deactivate a client (its tokens are revoked at once) or activate it again."""
    with transaction():
        _require_manager(actor)
        client = _get(client_pk)
        client.is_active = bool(active)
        revoked = 0
        if not active:
            now = int(time.time())
            # An UPDATE's result is a CursorResult (rowcount); Session.execute is typed for any statement.
            revoked = cast(
                CursorResult,
                db.session.execute(
                    update(OAuth2Token)
                    .where(
                        OAuth2Token.client_id == client.client_id,
                        OAuth2Token.access_token_revoked_at == 0,
                    )
                    .values(access_token_revoked_at=now, refresh_token_revoked_at=now)
                ),
            ).rowcount
        _audit(client, "activate_client" if active else "deactivate_client", actor, tokens_revoked=revoked)
        return client


def reset_client_secret(actor, client_pk: int) -> str:
    """Give a confidential client a new secret (the old one stops working); return it once."""
    with transaction():
        _require_manager(actor)
        client = _get(client_pk)
        if client.is_public:
            raise InvalidInput("a public client has no secret", field="client_secret")
        secret = new_secret()
        client.client_secret = hash_secret(secret)
        _audit(client, "reset_client_secret", actor)
        return secret

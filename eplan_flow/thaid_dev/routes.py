"""The stand-in ThaiD's endpoints: discovery, authorize (pick a sample citizen), token, userinfo, JWKS.

OpenID Connect Core, authorization-code flow only, as DOPA's ThaiD offers it: confidential clients
authenticate with ``client_secret_basic`` or ``client_secret_post``; a code lives a minute and is
exchanged once (a replay also revokes the access token the code gave); PKCE S256 is honoured when
the client sends a challenge. The client it serves is this app's own ThaiD client
(``THAID_CLIENT_ID``/``THAID_CLIENT_SECRET``), redirecting to this app's verification callback
unless ``THAID_DEV_REDIRECT_URIS`` lists others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from typing import Any
from urllib.parse import unquote_plus, urlencode

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from joserfc import jwt

from eplan_flow.extensions import csrf
from eplan_flow.thaid_dev import bp, store
from eplan_flow.thaid_dev.citizens import BY_KEY, SAMPLE_CITIZENS

CODE_LIFETIME = 60
TOKEN_LIFETIME = 300
# Each scope releases the claim of the same name; "profile" the standard profile claims.
SCOPE_CLAIMS = {
    "pid": ("pid",),
    "title": ("title",),
    "title_en": ("title_en",),
    "name": ("name",),
    "name_en": ("name_en",),
    "given_name": ("given_name",),
    "family_name": ("family_name",),
    "given_name_en": ("given_name_en",),
    "family_name_en": ("family_name_en",),
    "birthdate": ("birthdate",),
    "profile": ("name", "given_name", "family_name", "birthdate"),
}
CLAIMS = (
    "pid",
    "title",
    "title_en",
    "name",
    "name_en",
    "given_name",
    "family_name",
    "given_name_en",
    "family_name_en",
    "birthdate",
)
# RFC 7636 §4.1: 43 to 128 unreserved characters.
_PKCE_VALUE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def _store():
    return current_app.extensions["eplan_flow.thaid_dev"]


def issuer() -> str:
    """``<root>/dev/thaid``: the discovery document's address without its well-known suffix."""
    return url_for("thaid_dev.discovery", _external=True).removesuffix("/.well-known/openid-configuration")


def _clients() -> dict[str, str]:
    client_id = current_app.config.get("THAID_CLIENT_ID")
    secret = current_app.config.get("THAID_CLIENT_SECRET")
    return {client_id: secret} if client_id and secret else {}


def _redirect_uris() -> tuple[str, ...]:
    configured = current_app.config.get("THAID_DEV_REDIRECT_URIS")
    if configured:
        return tuple(configured)
    if "sso.thaid_callback" in current_app.view_functions:
        return (url_for("sso.thaid_callback", _external=True),)
    return ()


def _released_names(scopes: list[str]) -> list[str]:
    names = {name for scope in scopes for name in SCOPE_CLAIMS.get(scope, ())}
    return [name for name in CLAIMS if name in names]


def _released(citizen_claims: dict, scopes: list[str]) -> dict:
    names = _released_names(scopes)
    return {name: value for name, value in citizen_claims.items() if name in names}


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


# -- discovery and keys ----------------------------------------------------------------------------
@bp.get("/.well-known/openid-configuration")
def discovery():
    base = issuer()
    return jsonify(
        {
            "issuer": base,
            "authorization_endpoint": url_for("thaid_dev.authorize", _external=True),
            "token_endpoint": url_for("thaid_dev.token", _external=True),
            "userinfo_endpoint": url_for("thaid_dev.userinfo", _external=True),
            "jwks_uri": url_for("thaid_dev.jwks", _external=True),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", *SCOPE_CLAIMS],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", *CLAIMS],
        }
    )


@bp.get("/jwks")
def jwks():
    key = store.signing_key(_store())
    return jsonify({"keys": [key.as_dict(private=False)]})


# -- authorization endpoint ------------------------------------------------------------------------
class _AuthorizeRefused(Exception):
    """A request the stand-in must not redirect back (unknown client or redirect URI): RFC 6749 §4.1.2.1."""


def _checked_request() -> dict:
    """The authorization request's parameters, or raise; errors that may go back are returned as
    ``{"error": ...}`` with the redirect URI and state."""
    args = request.args
    client_id = args.get("client_id", "")
    if client_id not in _clients():
        raise _AuthorizeRefused(_("The application asking for ThaiD verification is not registered."))
    redirect_uri = args.get("redirect_uri", "")
    if redirect_uri not in _redirect_uris():
        raise _AuthorizeRefused(_("The address to return to is not registered for this application."))
    params: dict[str, Any] = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": args.get("state"),
        "nonce": args.get("nonce"),
        "scope": (args.get("scope") or "").split(),
        "code_challenge": args.get("code_challenge"),
    }
    method = args.get("code_challenge_method", "plain")
    if args.get("response_type") != "code":
        params["error"] = "unsupported_response_type"
    elif "openid" not in params["scope"]:
        params["error"] = "invalid_scope"
    elif params["code_challenge"] and (method != "S256" or not _PKCE_VALUE.match(params["code_challenge"])):
        params["error"] = "invalid_request"
    elif "none" in (args.get("prompt") or "").split():
        # The stand-in keeps no sign-in of its own: every request asks the person.
        params["error"] = "login_required"
    return params


def _back_to_client(params: dict, **values):
    if params.get("state"):
        values["state"] = params["state"]
    separator = "&" if "?" in params["redirect_uri"] else "?"
    return redirect(
        f"{params['redirect_uri']}{separator}{urlencode(values)}",
        code=303 if request.method == "POST" else 302,
    )


@bp.route("/authorize", methods=["GET", "POST"])
def authorize():
    try:
        params = _checked_request()
    except _AuthorizeRefused as refusal:
        return render_template("thaid_dev/error.html", message=str(refusal)), 400
    if "error" in params:
        return _back_to_client(params, error=params["error"])
    if request.method == "GET":
        return render_template(
            "thaid_dev/authorize.html",
            citizens=SAMPLE_CITIZENS,
            released=_released_names(params["scope"]),
            client_id=params["client_id"],
        )
    if "deny" in request.form:
        return _back_to_client(params, error="access_denied", error_description="the person declined")
    citizen = BY_KEY.get(request.form.get("citizen", ""))
    if citizen is None:
        abort(400)
    code = secrets.token_urlsafe(32)
    _store().put(
        f"code:{code}",
        {
            "client_id": params["client_id"],
            "redirect_uri": params["redirect_uri"],
            "citizen": citizen.key,
            "scope": params["scope"],
            "nonce": params["nonce"],
            "code_challenge": params["code_challenge"],
            "auth_time": int(time.time()),
        },
        current_app.config.get("THAID_DEV_CODE_LIFETIME", CODE_LIFETIME),
    )
    return _back_to_client(params, code=code)


# -- token endpoint --------------------------------------------------------------------------------
def _token_error(error: str, description: str, status: int = 400, **headers):
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers.update(headers)
    return _no_store(response)


def _authenticated_client() -> str | None:
    """The client id proven by ``client_secret_basic`` or ``client_secret_post``, or None."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        client_id, _sep, secret = decoded.partition(":")
        client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    else:
        client_id, secret = request.form.get("client_id", ""), request.form.get("client_secret", "")
    expected = _clients().get(client_id)
    if expected is None or not hmac.compare_digest(secret.encode(), expected.encode()):
        return None
    return client_id


@bp.post("/token")
@csrf.exempt
def token():
    client_id = _authenticated_client()
    if client_id is None:
        return _token_error(
            "invalid_client",
            "client authentication failed",
            401,
            **{"WWW-Authenticate": 'Basic realm="thaid-dev"'},
        )
    if request.form.get("grant_type") != "authorization_code":
        return _token_error("unsupported_grant_type", "only authorization_code is supported")
    code = request.form.get("code", "")
    grant = _store().take(f"code:{code}") if code else None
    if grant is None:
        used = _store().take(f"used:{code}") if code else None
        if used:
            # RFC 6749 §4.1.2: a code used twice revokes what it gave the first time.
            _store().delete(f"access:{used['access_token']}")
        return _token_error("invalid_grant", "the code is unknown, expired or already used")
    if grant["client_id"] != client_id:
        return _token_error("invalid_grant", "the code was issued to another client")
    if request.form.get("redirect_uri") != grant["redirect_uri"]:
        return _token_error("invalid_grant", "redirect_uri does not match the authorization request")
    verifier = request.form.get("code_verifier")
    if grant["code_challenge"]:
        if (
            not verifier
            or not _PKCE_VALUE.match(verifier)
            or not hmac.compare_digest(_s256(verifier), grant["code_challenge"])
        ):
            return _token_error("invalid_grant", "the PKCE code_verifier does not match")
    elif verifier:
        return _token_error("invalid_grant", "no PKCE challenge was sent with the authorization request")

    citizen = BY_KEY[grant["citizen"]]
    released = _released(citizen.claims(), grant["scope"])
    access_token = secrets.token_urlsafe(32)
    _store().put(f"access:{access_token}", {"sub": citizen.sub, **released}, TOKEN_LIFETIME)
    _store().put(f"used:{code}", {"access_token": access_token}, TOKEN_LIFETIME)
    now = int(time.time())
    claims = {
        "iss": issuer(),
        "sub": citizen.sub,
        "aud": client_id,
        "iat": now,
        "exp": now + TOKEN_LIFETIME,
        "auth_time": grant["auth_time"],
        "at_hash": _at_hash(access_token),
        **released,
    }
    if grant["nonce"]:
        claims["nonce"] = grant["nonce"]
    key = store.signing_key(_store())
    id_token = jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)
    return _no_store(
        jsonify(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "scope": " ".join(grant["scope"]),
                "id_token": id_token,
            }
        )
    )


# -- userinfo --------------------------------------------------------------------------------------
@bp.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo():
    header = request.headers.get("Authorization", "")
    claims = (
        _store().get(f"access:{header[7:]}") if header.startswith("Bearer ") and len(header) > 7 else None
    )
    if claims is None:
        response = jsonify({"error": "invalid_token"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return _no_store(response)
    return _no_store(jsonify(claims))

"""The provider's endpoints. Browser-facing ones answer with pages in the reader's language and
never redirect to an address the client did not register; machine-facing ones answer in JSON
(RFC 6749 §5.2 errors for token and revocation)."""

from __future__ import annotations

import time
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import LoginRequiredError
from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from eplan_flow.extensions import db
from eplan_flow.i18n import state_label
from eplan_flow.models import Account, OAuth2Client
from eplan_flow.oidc import bp
from eplan_flow.oidc.forms import ConfirmLogoutForm, ConsentForm
from eplan_flow.oidc.server import issuer
from eplan_flow.services.identity import keys
from eplan_flow.services.identity.claims import CLAIMS_SUPPORTED, SCOPE_CLAIMS, active_account, claims_for
from eplan_flow.services.identity.oidc_clients import SUPPORTED_SCOPES
from eplan_flow.services.identity.tokens import session_digest
from eplan_flow.sso.session import sso_auth_time, sso_session_id, sso_user
from workflows import REGISTRY


def _server():
    return current_app.extensions["oidc_server"]


def _protector():
    return current_app.extensions["oidc_resource_protector"]


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _page(title: str, message: str, status: int, code: str, client: OAuth2Client | None = None):
    html = render_template("oidc/error.html", title=title, message=message, code=code, client=client)
    return _no_store(current_app.make_response((html, status)))


@bp.route("/.well-known/openid-configuration")
def discovery():
    base = issuer()
    methods = ["client_secret_basic", "none"]
    return jsonify(
        {
            "issuer": base,
            "authorization_endpoint": base + url_for("oidc.authorize"),
            "token_endpoint": base + url_for("oidc.token"),
            "userinfo_endpoint": base + url_for("oidc.userinfo"),
            "jwks_uri": base + url_for("oidc.jwks"),
            "revocation_endpoint": base + url_for("oidc.revoke"),
            "end_session_endpoint": base + url_for("oidc.logout"),
            # OIDC Back-Channel Logout 1.0: logout tokens carry ``sid`` as well as ``sub``.
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            "scopes_supported": list(SUPPORTED_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [keys.ALGORITHM],
            "token_endpoint_auth_methods_supported": methods,
            "revocation_endpoint_auth_methods_supported": methods,
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": list(CLAIMS_SUPPORTED),
            "prompt_values_supported": ["none", "login", "consent"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
        }
    )


@bp.route("/oidc/jwks")
def jwks():
    response = jsonify(keys.jwks())
    # Short, so a relying party sees a rotation within a minute even without a kid miss.
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


# -- authorize --------------------------------------------------------------------------------
def _client_by_id(client_id: str | None) -> OAuth2Client | None:
    if not client_id:
        return None
    return db.session.execute(
        select(OAuth2Client).where(OAuth2Client.client_id == client_id)
    ).scalar_one_or_none()


def _refusal_before_authlib():
    """Pages for the refusals that must not go back to the client: unknown, inactive, wrong address."""
    client = _client_by_id(request.values.get("client_id"))
    if client is None:
        return _page(
            _("Unknown application"),
            _("This application is not registered with the Single Sign-On."),
            400,
            "invalid_client",
        )
    if not client.is_active:
        return _page(
            _("Application switched off"),
            _(
                "%(name)s has been switched off by the Single Sign-On administrators; it cannot sign you in.",
                name=client.name,
            ),
            403,
            "inactive_client",
            client,
        )
    redirect_uri = request.values.get("redirect_uri")
    if redirect_uri and not client.check_redirect_uri(redirect_uri):
        return _page(
            _("Address not registered"),
            _(
                "%(name)s asked to send you back to an address that is not registered for it. "
                "For your safety you were not sent there.",
                name=client.name,
            ),
            400,
            "redirect_uri_mismatch",
            client,
        )
    return None


def _authorize_error(error: OAuth2Error):
    if error.redirect_uri:
        # Authlib sets it only once the address is checked against the registration.
        return _server().handle_error_response(None, error)
    return _page(
        _("The sign-in request is not valid"),
        _(
            "The application sent a sign-in request the Single Sign-On cannot accept: %(reason)s",
            reason=error.description or error.error,
        ),
        400,
        error.error,
    )


def _resume_url() -> str:
    """This authorize request again, minus what asked for a fresh sign-in (answered by then)."""
    params: dict[str, Any] = request.args.to_dict(flat=True)
    params.pop("max_age", None)
    prompts = [p for p in params.pop("prompt", "").split() if p != "login"]
    if prompts:
        params["prompt"] = " ".join(prompts)
    return url_for("oidc.authorize", **params)


def _to_sso(endpoint: str):
    """Send the person to the SSO's sign-in (or password-again) page, to come back here after."""
    return redirect(url_for(endpoint, next=_resume_url()))


def _too_old(max_age: str | None) -> bool:
    if max_age is None or max_age == "":
        return False
    try:
        limit = int(max_age)
    except ValueError:
        return False
    auth_time = sso_auth_time()
    return auth_time is None or time.time() - auth_time > limit


@bp.route("/oidc/authorize", methods=["GET", "POST"])
def authorize():
    refusal = _refusal_before_authlib()
    if refusal is not None:
        return refusal
    server = _server()
    user = sso_user()
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return _authorize_error(error)
    client = grant.request.client
    prompts = set(request.values.get("prompt", "").split())
    fresh_sign_in = "login" in prompts or _too_old(request.values.get("max_age"))
    if "none" in prompts and (user is None or fresh_sign_in):
        return _authorize_error(
            LoginRequiredError(redirect_uri=grant.redirect_uri, state=request.values.get("state"))
        )
    if user is None:
        return _to_sso("sso.login")
    if fresh_sign_in:
        return _to_sso("sso.reauth")
    account = active_account(user)
    if account is None:
        return _account_not_active(user, client)
    if client.trusted:
        return server.create_authorization_response(grant=grant, grant_user=user)
    form = ConsentForm()
    if request.method == "POST" and form.validate_on_submit():
        return server.create_authorization_response(grant=grant, grant_user=user if form.allow.data else None)
    scopes = [s for s in grant.request.scope.split() if s in SCOPE_CLAIMS]
    return _no_store(
        current_app.make_response(
            render_template(
                "oidc/consent.html",
                form=form,
                client=client,
                user=user,
                account=account,
                scopes=scopes,
                action=request.full_path,
            )
        )
    )


def _account_not_active(user, client):
    account = db.session.execute(select(Account).where(Account.user_id == user.id)).scalar_one_or_none()
    if account is None:
        state = _("no Single Sign-On account")
    else:
        state = state_label(account.status, REGISTRY.get("account"))
    return _page(
        _("Your account cannot sign in yet"),
        _(
            "%(name)s needs an active Single Sign-On account. Yours is: %(state)s.",
            name=client.name,
            state=state,
        ),
        403,
        "account_not_active",
        client,
    )


# -- token, userinfo, revocation ---------------------------------------------------------------
@bp.route("/oidc/token", methods=["POST"])
def token():
    return _server().create_token_response()


@bp.route("/oidc/userinfo", methods=["GET", "POST"])
def userinfo():
    with _protector().acquire("openid") as access:
        claims = claims_for(access.user, access.get_client(), access.scope)
    return _no_store(jsonify(claims))


@bp.route("/oidc/revoke", methods=["POST"])
def revoke():
    return _server().create_endpoint_response("revocation")


# -- logout -----------------------------------------------------------------------------------
@bp.route("/oidc/logout", methods=["GET", "POST"])
def logout():
    server = _server()
    try:
        end_request = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return _page(
            _("Sign-out request not valid"),
            _(
                "The application's sign-out request could not be checked (%(reason)s). You were "
                "not signed out and not sent anywhere.",
                reason=error.description or error.error,
            ),
            400,
            error.error,
        )
    if _logout_needs_confirmation(end_request):
        # Anyone can link here, with no ID token or with one of their own: ask the person (a
        # CSRF-checked form) before ending their session.
        form = ConfirmLogoutForm()
        # The person pressed the button on this page: its CSRF token, and the button itself.
        if not (request.method == "POST" and form.validate_on_submit() and form.confirm.data):
            return _no_store(
                current_app.make_response(
                    render_template(
                        "oidc/confirm_logout.html",
                        form=form,
                        client=end_request.client,
                        action=request.full_path,
                    )
                )
            )
    response = server.create_endpoint_response("end_session", end_request)
    if response is not None:
        return response
    return _no_store(
        current_app.make_response(render_template("oidc/logged_out.html", client=end_request.client))
    )


def _logout_needs_confirmation(end_request) -> bool:
    """Sign out without asking only when the ``id_token_hint`` was issued in this browser's own
    SSO session (its ``sid``): any other valid ID token, an attacker's own included, proves
    nothing about who sent the person here. With no SSO session there is nothing to end."""
    if sso_user() is None:
        return False
    claims = end_request.id_token_claims
    if not claims or not claims.get("sid"):
        return True
    return claims["sid"] != session_digest(sso_session_id())

"""Identity verification with ThaiD: the SSO as an OpenID Connect client of ThaiD (docs/DOMAIN.md §2).

Authlib's Flask client, one per app (tests serve many apps at once), found through
``THAID_DISCOVERY_URL`` (a path means this app's own stand-in ThaiD, in development), with state,
nonce and PKCE S256. The callback lets Authlib check the state and the ID token (signature through
the JWKS, issuer, audience, expiry, nonce), then hands ``pid`` to
``services.thaid_verification.complete_verification``. Views never commit.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlencode

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from joserfc.errors import JoseError

from eplan_flow import messages
from eplan_flow.addresses import external_url
from eplan_flow.errors import DomainError
from eplan_flow.i18n import locale_code
from eplan_flow.services.identity import thaid_verification as service
from eplan_flow.services.platform import engine
from eplan_flow.sso import bp
from eplan_flow.sso.session import sso_user

log = logging.getLogger(__name__)
EXTENSION = "eplan_flow.thaid"
_clients_lock = threading.Lock()


class _AppOAuth(OAuth):
    """Authlib's client registry bound to one app, leaving ``app.extensions``' shared Authlib key
    to e-Plan's own OIDC login."""

    def init_app(self, app, cache=None, fetch_token=None, update_token=None):
        self.app = app


def thaid_client():
    """Return this app's ThaiD client, made on first use for the configured discovery URL."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app
    url = app.config["THAID_DISCOVERY_URL"]
    if url.startswith("/"):
        url = request.url_root.rstrip("/") + url
    clients = app.extensions.setdefault(EXTENSION, {})
    with _clients_lock:
        if url not in clients:
            clients[url] = _AppOAuth(app).register(
                "thaid",
                server_metadata_url=url,
                client_id=app.config["THAID_CLIENT_ID"],
                client_secret=app.config["THAID_CLIENT_SECRET"],
                client_kwargs={
                    "scope": app.config["THAID_SCOPE"],
                    "code_challenge_method": "S256",
                    "token_endpoint_auth_method": "client_secret_basic",
                    "default_timeout": 10,
                },
            )
        return clients[url]


# What a failed round trip tells the person. Nothing changed in any of these cases.
FAILURES = {
    "access_denied": _l("You cancelled at ThaiD, so your identity was not verified. Nothing was changed."),
    "mismatching_state": _l(
        "This answer from ThaiD does not belong to a verification started in this browser, or it "
        "was already used. Nothing was changed; start the verification again."
    ),
    "unreachable": _l("ThaiD cannot be reached right now. Nothing was changed; try again later."),
    "invalid": _l(
        "The answer from ThaiD could not be checked, so your identity was not verified. Nothing "
        "was changed; start the verification again."
    ),
    "not_configured": _l("Verification with ThaiD is not set up on this server yet. Please contact DLA."),
}


def _login_redirect():
    target = url_for("sso.thaid_start")
    if "sso.login" in current_app.view_functions:
        return redirect(url_for("sso.login", next=target))
    return redirect("/sso/login?" + urlencode({"next": target}))


def _failure_page(kind: str, status: int = 400):
    return render_template("sso/thaid_error.html", message=FAILURES[kind]), status


def _configured() -> bool:
    config = current_app.config
    return bool(
        config.get("THAID_DISCOVERY_URL")
        and config.get("THAID_CLIENT_ID")
        and config.get("THAID_CLIENT_SECRET")
    )


@bp.route("/verify/thaid", methods=["GET", "POST"])
def thaid_start():
    user = sso_user()
    if user is None:
        return _login_redirect()
    account = service.account_of(user.id)
    if request.method == "GET":
        definition = engine.definition_of(account) if account is not None else None
        return render_template(
            "sso/thaid_start.html",
            user=user,
            account=account,
            definition=definition,
            locale=locale_code(),
            configured=_configured(),
        )
    # The POST is CSRF-checked by CSRFProtect like every form.
    if account is None or account.status != "email_confirmed":
        refusal = "not_awaiting_verification" if account else "not_found"
        flash(messages.message_for_code(refusal, "thaid"), "error")
        return redirect(url_for("sso.thaid_start"), code=303)
    if not _configured():
        return _failure_page("not_configured", 503)
    try:
        return thaid_client().authorize_redirect(external_url("sso.thaid_callback"))
    except (requests.RequestException, ValueError) as exc:
        log.warning("ThaiD discovery failed: %s", exc.__class__.__name__)
        return _failure_page("unreachable", 502)


@bp.get("/verify/thaid/callback")
def thaid_callback():
    user = sso_user()
    if user is None:
        return _login_redirect()
    if not _configured():
        return _failure_page("not_configured", 503)
    client = thaid_client()
    if request.args.get("error"):
        # Authlib raises before forgetting the attempt; forget it here so it cannot be resumed.
        client.framework.clear_state_data(session, request.args.get("state"))
        return _failure_page("access_denied" if request.args["error"] == "access_denied" else "invalid")
    try:
        token = client.authorize_access_token()
    except OAuthError as exc:
        log.info("ThaiD callback refused: %s", exc.error)
        return _failure_page("mismatching_state" if exc.error == "mismatching_state" else "invalid")
    except JoseError as exc:
        log.info("ThaiD ID token refused: %s", exc.__class__.__name__)
        return _failure_page("invalid")
    except (requests.RequestException, ValueError) as exc:
        log.warning("ThaiD token call failed: %s", exc.__class__.__name__)
        return _failure_page("unreachable", 502)
    claims = token.get("userinfo")
    if not claims:
        # No ID token, or no nonce kept for it: nothing Authlib could verify.
        return _failure_page("invalid")
    try:
        result = service.complete_verification(user.id, claims.get("pid"), claims)
    except DomainError as exc:
        flash(messages.message_for(exc, "thaid"), "error")
        return redirect(url_for("sso.thaid_start"), code=303)
    if result.verified:
        flash(_("Your identity is verified with ThaiD. Your account now waits for approval."), "success")
    else:
        flash(_(result.message), "error")
    return redirect(url_for("sso.thaid_start"), code=303)

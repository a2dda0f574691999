from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from eplan_flow import messages
from eplan_flow.addresses import external_url
from eplan_flow.auth import SESSION_ID_KEY, backchannel, bp, oidc_client
from eplan_flow.auth.forms import LoginForm
from eplan_flow.errors import DomainError
from eplan_flow.services.identity import accounts, sessions
from eplan_flow.web import safe_next

# Kept across the session reset at sign-in and sign-out: the language, and in the one-process
# demo the SSO's own sign-in (eplan_flow.sso.session), which has its own lifetime and logout.
_KEPT_KEYS = ("lang", "sso_uid", "sso_auth_time", "sso_sid")
_NEXT_KEY = "oidc_next"
_RETRIED_KEY = "oidc_retried"


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("main.index"))


def _fresh_session(reason: str = "replaced") -> None:
    """Start from an empty session (no fixation), keeping only what is not e-Plan's sign-in; the
    sign-in this cookie held ends on the server, so no copy of the cookie outlives it."""
    sessions.end(sessions.EPLAN, session.get(SESSION_ID_KEY), reason)
    kept = {key: session[key] for key in _KEPT_KEYS if key in session}
    session.clear()
    session.update(kept)


def forget_ended_sign_in() -> None:
    """This cookie's e-Plan sign-in has ended on the server (signed out elsewhere, password
    changed, locked, access withdrawn, too old or idle): drop it from the cookie and say so."""
    if session.pop(SESSION_ID_KEY, None) is None and "_user_id" not in session:
        return
    for key in ("_user_id", "_fresh", "_id", oidc_client.SESSION_KEY, oidc_client.AUTH_TIME_KEY):
        session.pop(key, None)
    flash(
        _(
            "Your sign-in has ended: you signed out elsewhere, your password or access changed, or "
            "it was unused for too long. Please sign in again."
        ),
        "warning",
    )


def _sign_in(user, sso_sid: str | None = None) -> None:
    """Sign ``user`` in to e-Plan in a fresh session held on the server."""
    _fresh_session()
    login_user(user)
    session[SESSION_ID_KEY] = sessions.start(user.id, sessions.EPLAN, sso_sid=sso_sid)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    dev_login = current_app.config["DEV_LOGIN_ENABLED"]
    if request.method == "POST" and not dev_login:
        abort(404)
    form = LoginForm() if dev_login else None
    if form is not None and form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("Wrong username or password."), "error")
        else:
            _sign_in(user)
            flash(_("Signed in as %(name)s.", name=user.full_name), "success")
            return redirect(_safe_next(request.args.get("next")))
    # The registration link, when this app serves the SSO's pages too (the demo, one process).
    register_url = url_for("sso.register") if "sso.register" in current_app.view_functions else None
    return render_template(
        "auth/login.html", form=form, next=request.args.get("next"), register_url=register_url
    )


@bp.route("/oidc/login")
def sso_login():
    """Send the browser to the SSO's authorize endpoint (state, nonce, PKCE S256)."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    session[_NEXT_KEY] = _safe_next(request.args.get("next"))
    try:
        return oidc_client.sso_client().authorize_redirect(external_url("auth.oidc_callback"))
    except oidc_client.CLIENT_ERRORS:
        current_app.logger.exception("the SSO's discovery document could not be read")
        flash(_("The Single Sign-On service cannot be reached. Please try again in a moment."), "error")
        return redirect(url_for("auth.login"))


@bp.route("/oidc/callback")
def oidc_callback():
    try:
        issuer, claims, token = oidc_client.verified_sign_in()
    except oidc_client.CLIENT_ERRORS as exc:
        if getattr(exc, "error", None) == "mismatching_state" and not session.pop(_RETRIED_KEY, False):
            # The pending sign-in is gone from the session: in the one-process demo the SSO's own
            # sign-in page starts a fresh session. Start over once (the code that came back is
            # never redeemed); the SSO now has a session and answers at once.
            session[_RETRIED_KEY] = True
            return redirect(url_for("auth.sso_login", next=session.get(_NEXT_KEY)))
        session.pop(_RETRIED_KEY, None)
        # The error code is the SSO's (e.g. access_denied); never log the code or the tokens.
        current_app.logger.warning(
            "SSO sign-in refused: %s", getattr(exc, "error", None) or type(exc).__name__
        )
        if getattr(exc, "error", None) == "access_denied":
            flash(_("Sign-in was cancelled or refused at the Single Sign-On."), "error")
        else:
            flash(_("Signing in through the Single Sign-On did not complete. Please try again."), "error")
        return redirect(url_for("auth.login"))
    session.pop(_RETRIED_KEY, None)
    try:
        user = accounts.sign_in_from_claims(issuer, claims)
    except DomainError as exc:
        flash(_refusal_message(exc), "error")
        return redirect(url_for("auth.login"))
    target = session.get(_NEXT_KEY)
    # The SSO session's ``sid``: its back-channel logout names it.
    _sign_in(user, sso_sid=str(claims["sid"]) if claims.get("sid") else None)
    oidc_client.start_session(issuer, claims, token)
    flash(_("Signed in as %(name)s.", name=user.full_name), "success")
    return redirect(_safe_next(target))


@bp.route("/logout", methods=["POST"])
def logout():
    id_token = oidc_client.session_id_token()
    had_sso = oidc_client.SESSION_KEY in session
    if current_user.is_authenticated:
        accounts.record_logout(current_user)
    logout_user()
    _fresh_session("logout")
    flash(_("You have signed out."), "success")
    if had_sso:
        # End the SSO's session too (RP-initiated logout); it sends the browser back home.
        url = oidc_client.logout_url(external_url("main.index"), id_token)
        if url:
            return redirect(url)
    return redirect(url_for("auth.login"))


@bp.route("/oidc/backchannel-logout", methods=["POST"])
def backchannel_logout():
    """OIDC Back-Channel Logout 1.0: the SSO's server says a sign-in there ended; end the e-Plan
    sessions it names. Only a logout token signed by the pinned SSO, for e-Plan, counts."""
    try:
        claims = backchannel.verified_logout_token(request.form.get("logout_token"))
    except backchannel.InvalidLogoutToken as exc:
        current_app.logger.warning("back-channel logout refused: %s", exc)
        return _no_store(jsonify(error="invalid_request", error_description=str(exc)), 400)
    except backchannel.SsoUnreachable as exc:
        # Not the token's fault: a 5xx makes the SSO's job try again later.
        current_app.logger.warning("back-channel logout deferred, the SSO's keys unreadable: %s", exc)
        return _no_store(jsonify(error="temporarily_unavailable"), 503)
    ended = sessions.end_for_backchannel(claims["iss"], claims.get("sub"), claims.get("sid"))
    current_app.logger.info("back-channel logout: %d e-Plan sessions ended", ended)
    return _no_store(current_app.make_response(("", 200)))


def _no_store(response, status: int | None = None):
    if status is not None:
        response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def revalidate():
    """Before each e-Plan request: every SSO_REVALIDATE_SECONDS, ask the SSO again who the
    person is and which roles they hold, so a revoked access ends within minutes."""
    endpoint = request.endpoint or "static"
    if request.blueprint in _NOT_REVALIDATED or endpoint == "static" or endpoint.endswith(".static"):
        # Static files (the back office's too) load in parallel; the page itself revalidates.
        return None
    if not oidc_client.revalidation_due() or not current_user.is_authenticated:
        return None
    user_id = current_user.id
    try:
        issuer, claims = oidc_client.refreshed_claims()
        accounts.revalidate_from_claims(user_id, issuer, claims)
    except oidc_client.SignInEnded as exc:
        return _end_sign_in(
            user_id,
            str(exc),
            _("Your Single Sign-On session has ended or your access was withdrawn. Please sign in again."),
        )
    except DomainError as exc:
        # A refusal for the person (no role, disabled) is recorded, roles dropped, by the service;
        # an answer e-Plan cannot use (unknown organisation, another subject) is recorded here.
        recorded = exc.details.get("reason") in ("no_role", "disabled")
        return _end_sign_in(None if recorded else user_id, exc.code, _refusal_message(exc))
    return None


# The SSO's own pages and endpoints (and the sign-in itself) are not e-Plan pages; the provider's
# token endpoint in particular is what a revalidation calls. The load balancer's probes stay cheap.
_NOT_REVALIDATED = frozenset({"auth", "sso", "oidc", "thaid_dev", "health"})


def _end_sign_in(user_id: int | None, reason: str, message: str):
    if user_id is not None:
        accounts.end_sso_sign_in(user_id, reason)
    logout_user()
    _fresh_session(reason[:40] or "sso_ended")
    flash(message, "warning")
    if request.blueprint == "api" or request.accept_mimetypes.best == "application/json":
        return jsonify(code="unauthenticated", message="the sign-in has ended; sign in again"), 401
    # The sign-in page, not the SSO: it shows why, and cannot loop back through an SSO that still
    # has a session but no longer grants e-Plan.
    return redirect(url_for("auth.login"))


def _refusal_message(exc: DomainError) -> str:
    """Why a sign-in through the SSO was refused (no e-Plan role, disabled, unknown organisation)."""
    return messages.message_for(exc, "sign_in")

"""People's own SSO pages: register, confirm the email address, sign in and out, re-authenticate,
see the account and what happens next, correct a rejected application.

Views parse input, call one service (``services/identity``) and map its refusals to a message;
they never commit. Sign-in and registration are rate-limited per client address (Flask-Limiter on
Redis); the limits are read from the app's config at each request. Registration counts the
registrations that went through, not the forms sent back for a typo (an office behind one NAT
registers many people), with a looser guard on every attempt and a count per email address.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests
from werkzeug.routing import BuildError

from eplan_flow import messages, thaidate, web
from eplan_flow.errors import DomainError
from eplan_flow.extensions import db, limiter
from eplan_flow.i18n import locale_code
from eplan_flow.models import EmailMessage, Organisation, User
from eplan_flow.services.identity import citizen_id, identity
from eplan_flow.services.platform import engine
from eplan_flow.sso import bp
from eplan_flow.sso.forms import (
    TITLES,
    CorrectDetailsForm,
    LoginForm,
    OrganisationSearchForm,
    PostForm,
    ReapplyForm,
    ReauthForm,
    RegisterForm,
)
from eplan_flow.sso.session import (
    end_sso_session,
    record_reauthentication,
    sso_session_id,
    sso_user,
    start_sso_session,
)

log = logging.getLogger(__name__)

# Called as ``hook(user, sso_session_id)`` when a person signs out of the SSO, before the session
# ends (the OIDC provider appends one that revokes the tokens issued in that session). A failing
# hook is logged and does not keep the person signed in.
logout_hooks: list[Callable[[User, str | None], None]] = []


def _login_limit() -> str:
    return current_app.config["SSO_LOGIN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["SSO_REGISTER_RATE_LIMIT"]


def _register_attempt_limit() -> str:
    return current_app.config["SSO_REGISTER_ATTEMPT_LIMIT"]


def _register_email_limit() -> str:
    return current_app.config["SSO_REGISTER_EMAIL_LIMIT"]


def _resend_limit() -> str:
    return current_app.config["SSO_RESEND_RATE_LIMIT"]


def _registered(response) -> bool:
    """Only a registration that went through (its redirect) counts toward the per-address limit."""
    return response.status_code == 303


def _typed_email() -> str:
    return (request.form.get("email") or "").strip().lower()[:254]


def _email_key() -> str:
    # Keyed by a digest: the counter's name in Redis does not spell the address out.
    return "email:" + hashlib.sha256(_typed_email().encode()).hexdigest()[:32]


def _client_ip() -> str | None:
    return request.remote_addr


def safe_next(target: str | None, default: str | None = None) -> str:
    """``target`` if it is a path on this site, else ``default`` (the account page)."""
    return web.safe_next(target, default or url_for("sso.account"))


def endpoint_url(endpoint: str, **values) -> str | None:
    """The URL of an endpoint another part of the SSO may not have registered yet, or None."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _to_login():
    return redirect(url_for("sso.login", next=request.full_path.rstrip("?")))


def _message(exc: DomainError) -> str:
    """What a refusal tells the person (the services' messages are for logs). A refused sign-in has
    one answer whatever the reason (unknown address, wrong password, paused, disabled)."""
    return messages.message_for(exc, "sso")


def password_problems(exc: DomainError) -> list[str]:
    """The password field's errors: one sentence per strength rule the password breaks."""
    return messages.password_problems(
        exc, min_length=identity.MIN_PASSWORD_LENGTH, max_length=identity.MAX_PASSWORD_LENGTH
    )


def _put_on_form(form, exc: DomainError) -> None:
    """Show a service's refusal beside the field it names, else as a flash."""
    field_name = exc.details.get("field")
    field = getattr(form, field_name, None) if field_name else None
    if field is None:
        flash(_message(exc), "error")
    elif exc.code == "weak_password":
        field.errors = password_problems(exc)
    else:
        field.errors = [
            messages.message_for(exc, "sso", default=_("Check this field; it is missing or not valid."))
        ]


def _refused_status(form) -> int:
    """400 for a missing or stale CSRF token, 422 for a form that does not validate."""
    token = getattr(form, "csrf_token", None)
    return 400 if token is not None and token.errors else 422


def _chosen_organisation() -> Organisation | None:
    raw = request.values.get("org") or request.form.get("organisation_id")
    if not raw or not str(raw).isdigit():
        return None
    org = db.session.get(Organisation, int(raw))
    return org if org is not None and org.is_active else None


def _search():
    search = OrganisationSearchForm(request.args)
    results = identity.search_organisations(search.q.data) if search.q.data else []
    return search, results


# -- registration --------------------------------------------------------------------------------
@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"], deduct_when=_registered, scope="registered")
@limiter.limit(_register_attempt_limit, methods=["POST"], scope="attempts")
@limiter.limit(
    _register_email_limit,
    methods=["POST"],
    key_func=_email_key,
    exempt_when=lambda: not _typed_email(),
    scope="email",
)
def register():
    org = _chosen_organisation()
    search, results = _search()
    form = RegisterForm()
    if org is not None and request.method == "GET":
        form.organisation_id.data = str(org.id)
    if request.method == "POST" and org is None:
        flash(messages.message_for_code("invalid_input", "sso", field="organisation_id"), "error")
    elif org is not None and form.validate_on_submit():
        try:
            identity.register(
                identity.Registration(
                    citizen_id=form.citizen_id.data,
                    title=form.title.data,
                    first_name=form.first_name.data,
                    last_name=form.last_name.data,
                    email=form.email.data,
                    organisation_id=org.id,
                    password=form.password.data,
                    phone=form.phone.data,
                    position=form.position.data,
                    requested_role=form.requested_role.data,
                    birth_date=form.birth_date.data,
                )
            )
        except DomainError as exc:
            _put_on_form(form, exc)
        else:
            # The same answer whether or not the address or the citizen ID was registered before.
            return redirect(url_for(".registered"), code=303)
    status = _refused_status(form) if request.method == "POST" else 200
    return render_template(
        "sso/register.html",
        form=form,
        org=org,
        search=search,
        results=results,
    ), status


@bp.get("/register/sent")
def registered():
    return render_template("sso/registered.html")


# -- email confirmation --------------------------------------------------------------------------
@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    # A GET only shows a button: mail scanners that open links must not confirm anything.
    form = PostForm()
    if identity.link_purpose(token) == "cancel":
        return _cancel_registration(form, token)
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(messages.request_not_valid(), "error")
            return render_template("sso/confirm.html", form=form, token=token), 400
        try:
            identity.confirm_email(token)
        except DomainError as exc:
            flash(_message(exc), "error")
            return render_template("sso/confirm.html", form=form, token=token, refused=True), exc.status
        # On to the next step: verifying the identity with ThaiD, after signing in if need be.
        if sso_user() is not None:
            flash(_("Your email address is confirmed. Next: verify your identity with ThaiD."), "success")
            return redirect(url_for(".account"), code=303)
        flash(
            _(
                "Your email address is confirmed. Next: sign in, and you will go on to verify your "
                "identity with ThaiD."
            ),
            "success",
        )
        return redirect(url_for(".login", next=_thaid_step()), code=303)
    return render_template("sso/confirm.html", form=form, token=token)


def _thaid_step() -> str:
    return endpoint_url("sso.thaid_start") or url_for(".account")


def _cancel_registration(form, token: str):
    """The link in a confirmation email (or a repeated registration's notice) that says "not me"."""
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(messages.request_not_valid(), "error")
            return render_template("sso/cancel_registration.html", form=form, token=token), 400
        try:
            identity.cancel_registration(token)
        except DomainError as exc:
            flash(
                _(
                    "This link can no longer cancel a registration: it has expired, or the address "
                    "was confirmed. Nothing was changed."
                ),
                "error",
            )
            return render_template(
                "sso/cancel_registration.html", form=form, token=token, refused=True
            ), exc.status
        flash(_("The registration was cancelled. You may register with this address now."), "success")
        return redirect(url_for(".register"), code=303)
    return render_template("sso/cancel_registration.html", form=form, token=token)


@bp.route("/confirm/resend", methods=["POST"])
@limiter.limit(_resend_limit)
def resend_confirmation():
    user = sso_user()
    if user is None:
        return _to_login()
    if PostForm().validate_on_submit() and identity.resend_confirmation(user):
        flash(_("We sent the link again to %(email)s.", email=user.email), "success")
    else:
        flash(_("Nothing was sent: the address is already confirmed."), "info")
    return redirect(url_for(".account"), code=303)


# -- sign-in, sign-out, re-authentication --------------------------------------------------------
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    target = safe_next(request.args.get("next"))
    if request.method == "GET" and sso_user() is not None:
        return redirect(target)
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = identity.authenticate(form.email.data, form.password.data, _client_ip())
        except DomainError as exc:
            flash(_message(exc), "error")
            status = exc.status
        else:
            # A fresh session (new id, nothing carried over but the language): no fixation.
            start_sso_session(user)
            return redirect(target, code=303)
    elif request.method == "POST":
        status = _refused_status(form)
    return render_template(
        "sso/login.html",
        form=form,
        next=request.args.get("next"),
        thaid_next=target == endpoint_url("sso.thaid_start"),
    ), status


def end_session() -> None:
    """Sign the current person out of the SSO: audit it, run the logout hooks, end the session."""
    user = sso_user()
    if user is not None:
        identity.record_logout(user, _client_ip())
        sid = sso_session_id()
        for hook in list(logout_hooks):
            try:
                hook(user, sid)
            except Exception:
                log.exception("an SSO logout hook failed; the session ends anyway")
    end_sso_session()


@bp.route("/logout", methods=["POST"])
def logout():
    if not PostForm().validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(url_for(".account"), code=303)
    end_session()
    flash(_("You have signed out of the Single Sign-On."), "success")
    return redirect(safe_next(request.args.get("next"), url_for(".login")), code=303)


@bp.route("/reauth", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reauth():
    user = sso_user()
    if user is None:
        return _to_login()
    target = safe_next(request.args.get("next"))
    form = ReauthForm()
    status = 200
    if form.validate_on_submit():
        try:
            identity.reauthenticate(user, form.password.data, _client_ip())
        except DomainError as exc:
            paused = identity.sign_in_paused_until(user)
            if isinstance(exc, identity.AccountLocked) and paused is not None:
                # The session stays: anyone can cause a pause by guessing, so it proves nothing
                # against the person signed in here (who may be told: it is their own account).
                flash(
                    _(
                        "Password sign-in to this account is paused until %(time)s after repeated "
                        "failed sign-ins. Your organisation's SSO admin can unlock it sooner.",
                        time=thaidate.format_datetime(paused, locale_code()),
                    ),
                    "error",
                )
            else:
                flash(messages.message_for(exc, "sso.reauth"), "error")
            status = exc.status
        else:
            record_reauthentication()
            return redirect(target, code=303)
    elif request.method == "POST":
        status = _refused_status(form)
    return render_template("sso/reauth.html", form=form, user=user), status


# -- the person's own account ------------------------------------------------------------------------
def _rejection_reason(account, history) -> str | None:
    if account.rejection_reason:
        return account.rejection_reason
    for event in reversed(history):
        if event.action == "reject":
            return event.comment
    return None


def _last_comment(history, action: str) -> str | None:
    for event in reversed(history):
        if event.action == action:
            return event.comment
    return None


URL_PATTERN = re.compile(r"https?://\S+")


def _kept_mail(user: User) -> list[tuple[EmailMessage, list[str]]]:
    """Without a mail server outside production, the person's emails are shown on their page."""
    config = current_app.config
    if config.get("MAIL_SERVER") or config.get("ENV_NAME") == "production":
        return []
    messages = db.session.execute(
        select(EmailMessage).where(EmailMessage.user_id == user.id).order_by(EmailMessage.id.desc()).limit(5)
    ).scalars()
    return [(m, URL_PATTERN.findall(m.body)) for m in messages]


@bp.route("/")
def account():
    user = sso_user()
    if user is None:
        return _to_login()
    row = identity.account_of(user)
    history = engine.history(row) if row is not None else []
    definition = engine.definition_of(row) if row is not None else None
    return render_template(
        "sso/account.html",
        user=user,
        account=row,
        definition=definition,
        locale=locale_code(),
        sign_in_paused_until=identity.sign_in_paused_until(user),
        masked_citizen_id=citizen_id.masked_for(user),
        history=history,
        steps=engine.next_steps(row, user, locale_code()) if row is not None else [],
        rejection_reason=_rejection_reason(row, history) if row is not None else None,
        suspension_reason=_last_comment(history, "suspend"),
        thaid_url=endpoint_url("sso.thaid_start"),
        access_url=endpoint_url("sso.request_access"),
        kept_mail=_kept_mail(user),
        form=PostForm(formdata=None),
    )


def _split_name(user: User) -> tuple[str, str, str]:
    """Best effort: the title, first and last name a full name was built from."""
    name = user.full_name or ""
    title = next((t for t in sorted(TITLES, key=len, reverse=True) if name.startswith(t)), "")
    first, _sep, last = name[len(title) :].partition(" ")
    return title, first, last


@bp.route("/details", methods=["GET", "POST"])
def correct_details():
    """Before ThaiD verification: correct the typed name and birth date (then verify again)."""
    user = sso_user()
    if user is None:
        return _to_login()
    row = identity.account_of(user)
    if row is None or row.status not in ("registered", "email_confirmed") or user.identity_verified_at:
        flash(messages.message_for_code("guard_failed", "details"), "info")
        return redirect(url_for(".account"), code=303)
    form = CorrectDetailsForm()
    if request.method == "GET":
        form.title.data, form.first_name.data, form.last_name.data = _split_name(user)
        form.birth_date.data = user.birth_date
    elif form.validate_on_submit():
        try:
            identity.correct_unverified_details(
                user,
                title=form.title.data,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                birth_date=form.birth_date.data,
            )
        except DomainError as exc:
            _put_on_form(form, exc)
        else:
            flash(_("Your name and birth date are saved. Verify your identity with ThaiD again."), "success")
            return redirect(_thaid_step(), code=303)
    status = _refused_status(form) if request.method == "POST" else 200
    return render_template("sso/correct_details.html", form=form, account=row), status


@bp.route("/reapply", methods=["GET", "POST"])
def reapply():
    user = sso_user()
    if user is None:
        return _to_login()
    row = identity.account_of(user)
    if row is None or row.status != "rejected":
        flash(_("Only a rejected application can be corrected and sent again."), "info")
        return redirect(url_for(".account"), code=303)
    org = _chosen_organisation() or row.organisation
    search, results = _search()
    form = ReapplyForm()
    if request.method == "GET":
        form.title.data, form.first_name.data, form.last_name.data = _split_name(user)
        form.phone.data, form.position.data = user.phone, user.position
        form.requested_role.data = row.requested_role
        form.organisation_id.data = str(org.id)
    elif form.validate_on_submit():
        try:
            identity.change_details(
                user,
                identity.Details(
                    title=form.title.data,
                    first_name=form.first_name.data,
                    last_name=form.last_name.data,
                    organisation_id=org.id,
                    phone=form.phone.data,
                    position=form.position.data,
                    requested_role=form.requested_role.data,
                ),
                comment=form.comment.data,
            )
        except DomainError as exc:
            _put_on_form(form, exc)
        else:
            flash(_("Your corrected application was sent for approval again."), "success")
            return redirect(url_for(".account"), code=303)
    status = _refused_status(form) if request.method == "POST" else 200
    return render_template(
        "sso/reapply.html",
        form=form,
        org=org,
        search=search,
        results=results,
        account=row,
        rejection_reason=_rejection_reason(row, engine.history(row)),
    ), status


# -- rate limits -----------------------------------------------------------------------------------
def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json" or request.blueprint in ("api", "oidc")


# Which explanation the 429 page gives, by the page that was limited.
RATE_LIMITED_PAGES = {
    "sso.register": "registration",
    "sso.login": "sign_in",
    "sso.reauth": "sign_in",
    "sso.forgot_password": "password_reset",
    "sso.reset_password": "password_reset",
    "sso.resend_confirmation": "mail",
}


@bp.app_errorhandler(TooManyRequests)
def rate_limited(error: TooManyRequests):
    """Any rate limit in the app: a clear page for people, ``rate_limited`` for programs."""
    item = getattr(getattr(error, "limit", None), "limit", None)
    retry_after = int(item.get_expiry()) if item is not None else 60
    about = RATE_LIMITED_PAGES.get(request.endpoint or "", "other")
    if about == "registration":
        minutes = max(1, -(-retry_after // 60))
        message = _(
            "Many registrations were sent from your network or for this email address in a short "
            "time. Wait %(minutes)s minutes, then register again.",
            minutes=minutes,
        )
    else:
        message = _(
            "Too many attempts from your network. Wait %(seconds)s seconds, then try again.",
            seconds=retry_after,
        )
    if _wants_json():
        response = jsonify(code="rate_limited", message=message, retry_after=retry_after)
    else:
        response = current_app.make_response(
            render_template("sso/rate_limited.html", message=message, retry_after=retry_after, about=about)
        )
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response

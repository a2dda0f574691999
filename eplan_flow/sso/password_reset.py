"""Forgotten passwords: ask for a link, and set a new password with it (no JavaScript needed).

The answer to "send me a link" is the same whether or not the address is registered. The link's
page shows a form on GET (mail scanners that open links change nothing) and sets the password on
POST, once. Views call ``services.password_reset`` and never commit.
"""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from eplan_flow import messages
from eplan_flow.errors import DomainError
from eplan_flow.extensions import limiter
from eplan_flow.services.identity import password_reset
from eplan_flow.sso import bp
from eplan_flow.sso.routes import password_problems


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    password_again = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


def _reset_limit() -> str:
    config = current_app.config
    return config.get("SSO_PASSWORD_RESET_RATE_LIMIT") or config["SSO_RESEND_RATE_LIMIT"]


def _private(response):
    # The page's address holds the token: no cache keeps it, no Referer carries it elsewhere.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_reset(form.email.data, ip=request.remote_addr)
        # One answer for every address, registered or not.
        flash(
            _(
                "If this address belongs to an account and is confirmed, a link to set a new password "
                "is on its way. It works once, within %(n)s minutes.",
                n=password_reset.RESET_MAX_AGE // 60,
            ),
            "success",
        )
        return redirect(url_for(".login"), code=303)
    status = 200
    if request.method == "POST":
        token = getattr(form, "csrf_token", None)
        status = 400 if token is not None and token.errors else 422
    return render_template("sso/forgot_password.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    form = NewPasswordForm()
    try:
        person = password_reset.check_link(token)
    except DomainError:
        flash(messages.message_for_code("reset_link_invalid"), "error")
        return _private(
            make_response(
                render_template("sso/reset_password.html", form=form, token=token, refused=True), 400
            )
        )
    status = 200
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.password.data, ip=request.remote_addr)
        except DomainError as exc:
            if exc.code == "weak_password":
                form.password.errors = password_problems(exc)
            else:
                flash(messages.message_for_code("reset_link_invalid"), "error")
            status = exc.status
        else:
            flash(
                _("Your new password is set, and every earlier sign-in has ended. Sign in with it."),
                "success",
            )
            return _private(redirect(url_for(".login"), code=303))
    elif request.method == "POST":
        csrf = getattr(form, "csrf_token", None)
        status = 400 if csrf is not None and csrf.errors else 422
    return _private(
        make_response(
            render_template("sso/reset_password.html", form=form, token=token, person=person), status
        )
    )

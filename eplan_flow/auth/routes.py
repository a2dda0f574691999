from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from eplan_flow.auth import bp
from eplan_flow.auth.forms import LoginForm
from eplan_flow.services import accounts


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if not current_app.config["DEV_LOGIN_ENABLED"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("Wrong username or password."), "error")
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session at sign-in (no fixation)
            if lang:
                session["lang"] = lang
            login_user(user)
            flash(_("Signed in as %(name)s.", name=user.full_name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        accounts.record_logout(current_user)
    logout_user()
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))

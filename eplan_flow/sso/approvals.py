"""Approval pages of the SSO: the admins' inbox and decisions, and people's own access and transfer.

The actor is the person signed in to the SSO (``sso_user()``), not e-Plan's login. Views parse the
form, call one service of ``eplan_flow.services.identity.approvals`` and turn its refusals into a flash, a
404 or a 403; an approval without a recent re-authentication sends the admin to ``/sso/reauth``.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy import select

from eplan_flow import messages
from eplan_flow.errors import DomainError, NotFound
from eplan_flow.extensions import db
from eplan_flow.glossary import ROLE_LABELS
from eplan_flow.i18n import locale_code
from eplan_flow.models import Account, SystemAccess
from eplan_flow.services.identity import approvals, citizen_id, thai_names
from eplan_flow.services.platform import engine
from eplan_flow.sso import bp
from eplan_flow.sso.session import authenticated_recently, recent_auth_time, sso_user

KIND_OF = {"accounts": "account", "access": "access"}


class PostForm(FlaskForm):
    """A bare POST carrying the CSRF token; the services check every value."""


def _refusal(exc: DomainError) -> str:
    """What a refusal tells the admin or the applicant, in their language."""
    return messages.message_for(exc, "approval")


def _url_of(endpoint: str, fallback: str, **values) -> str:
    # The sign-in and re-authentication pages belong to the SSO core; their paths are the contract.
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **values)
    return f"{fallback}?{urlencode(values)}" if values else fallback


def reauth_url(next_url: str) -> str:
    return _url_of("sso.reauth", "/sso/reauth", next=next_url)


def _signed_in(view):
    """Only for people signed in to the SSO; the actor is passed to the view."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        person = sso_user()
        if person is None:
            return redirect(_url_of("sso.login", "/sso/login", next=request.full_path.rstrip("?")))
        return view(person, *args, **kwargs)

    return wrapper


def _csrf_ok() -> bool:
    if PostForm().validate_on_submit():
        return True
    flash(messages.request_not_valid(), "error")
    return False


def _labels(row) -> dict:
    definition = engine.definition_of(row)
    return {"state": definition.label(row.status, locale_code()), "definition": definition}


# -- the admins' inbox -----------------------------------------------------------------------------
@bp.route("/approvals")
@_signed_in
def approvals_inbox(actor):
    accounts, accesses = approvals.waiting_for(actor)
    managed_accounts, managed_accesses = approvals.managed_by(actor)
    return render_template(
        "sso/approvals.html",
        accounts=accounts,
        accesses=accesses,
        managed_accounts=managed_accounts,
        managed_accesses=managed_accesses,
        masked=citizen_id.masked_for,
        thaid_check=thai_names.compare_recorded,
        waited=approvals.working_days_waiting,
        limit=current_app.config["APPROVAL_ESCALATION_WORKING_DAYS"],
        recent=authenticated_recently(),
        reauth=reauth_url(request.full_path.rstrip("?")),
        role_labels=ROLE_LABELS,
        label=_labels,
        form=PostForm(formdata=None),
    )


@bp.route("/approvals/<any(accounts, access):kind>/<int:item_id>")
@_signed_in
def approval_item(actor, kind: str, item_id: int):
    try:
        row = approvals.get_item(actor, KIND_OF[kind], item_id)
    except NotFound:
        abort(404)
    definition = engine.definition_of(row)
    return render_template(
        "sso/approvals_item.html",
        row=row,
        kind=kind,
        account=row if isinstance(row, Account) else None,
        decisions=approvals.decisions_for(actor, row),
        definition=definition,
        state=definition.label(row.status, locale_code()),
        events=engine.history(row),
        masked=citizen_id.masked_for(row.user),
        thaid_check=thai_names.compare_recorded(row) if isinstance(row, Account) else None,
        waited=approvals.working_days_waiting(row),
        recent=authenticated_recently(),
        reauth=reauth_url(request.path),
        role_labels=ROLE_LABELS,
        form=PostForm(formdata=None),
    )


@bp.route("/approvals/<any(accounts, access):kind>/<int:item_id>/decide", methods=["POST"])
@_signed_in
def approval_decide(actor, kind: str, item_id: int):
    back = url_for(".approval_item", kind=kind, item_id=item_id)
    if not _csrf_ok():
        return redirect(back, code=303)
    decision = request.form.get("decision", "")
    decide = approvals.DECIDERS.get((approvals.KINDS[KIND_OF[kind]], decision))
    if decide is None:
        abort(400)
    expected = request.form.get("expected_version", type=int)
    try:
        decide(
            actor,
            item_id,
            auth_time=recent_auth_time(),
            comment=request.form.get("comment"),
            expected_version=expected,
        )
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(_refusal(exc), "error")
        return redirect(reauth_url(back) if exc.code == "reauthentication_required" else back, code=303)
    flash(_("Done: the applicant is told of your decision."), "success")
    return redirect(url_for(".approvals_inbox"), code=303)


@bp.route("/approvals/bulk", methods=["POST"])
@_signed_in
def approvals_bulk(actor):
    back = url_for(".approvals_inbox")
    if not _csrf_ok():
        return redirect(back, code=303)
    kind = request.form.get("kind", "")
    decision = request.form.get("decision", "")
    ids = request.form.getlist("ids")
    if kind not in ("account", "access") or decision not in ("approve", "reject"):
        abort(400)
    if not ids:
        flash(_("Select at least one item."), "error")
        return redirect(back, code=303)
    try:
        results = approvals.decide_many(
            actor, kind, ids, decision, recent_auth_time(), request.form.get("comment")
        )
    except DomainError as exc:
        flash(_refusal(exc), "error")
        return redirect(reauth_url(back) if exc.code == "reauthentication_required" else back, code=303)
    done = sum(1 for r in results if r.ok)
    if done:
        flash(ngettext("%(num)d item decided.", "%(num)d items decided.", done), "success")
    for result in results:
        if not result.ok:
            reason = messages.message_for_code(  # a refused item always carries its code
                result.code or "", "approval", default=_("this decision is not possible for the item now")
            )
            flash(_("Item #%(id)s was not changed: %(reason)s", id=result.id, reason=reason), "error")
    return redirect(back, code=303)


# -- people's own pages ----------------------------------------------------------------------------
def _my_account(person) -> Account | None:
    return db.session.execute(select(Account).where(Account.user_id == person.id)).scalar_one_or_none()


@bp.route("/access")
@_signed_in
def my_access(person):
    account = _my_account(person)
    rows = (
        db.session.execute(
            select(SystemAccess)
            .where(SystemAccess.user_id == person.id)
            .order_by(SystemAccess.requested_at.desc(), SystemAccess.id.desc())
        )
        .scalars()
        .all()
    )
    active = account is not None and account.status == "active"
    return render_template(
        "sso/access.html",
        account=account,
        rows=rows,
        active=active,
        systems=approvals.requestable_systems() if active else [],
        role_labels=ROLE_LABELS,
        label=_labels,
        form=PostForm(formdata=None),
    )


@bp.route("/access", methods=["POST"])
@_signed_in
def request_access(person):
    back = url_for(".my_access")
    if not _csrf_ok():
        return redirect(back, code=303)
    # One select carries "client_id:role" so the form needs no script to pair them.
    client_id, _sep, role = request.form.get("system_role", "").partition(":")
    try:
        approvals.request_access(person, person, client_id, role)
    except DomainError as exc:
        flash(_refusal(exc), "error")
        return redirect(back, code=303)
    flash(_("Your request was sent to your organisation's SSO admin."), "success")
    return redirect(back, code=303)


@bp.route("/access/<int:access_id>/withdraw", methods=["POST"])
@_signed_in
def withdraw_access(person, access_id: int):
    back = url_for(".my_access")
    if not _csrf_ok():
        return redirect(back, code=303)
    row = db.session.get(SystemAccess, access_id)
    if row is None or row.user_id != person.id:
        abort(404)
    try:
        approvals.withdraw_access(person, access_id)
    except DomainError as exc:
        flash(_refusal(exc), "error")
        return redirect(back, code=303)
    flash(_("Your request was withdrawn."), "success")
    return redirect(back, code=303)


@bp.route("/transfer", methods=["GET", "POST"])
@_signed_in
def transfer(person):
    account = _my_account(person)
    if request.method == "POST":
        if not _csrf_ok():
            return redirect(url_for(".transfer"), code=303)
        if account is None:
            abort(404)
        try:
            approvals.transfer_account(person, account.id, request.form.get("to_organisation", ""))
        except DomainError as exc:
            flash(_refusal(exc), "error")
            return redirect(url_for(".transfer"), code=303)
        flash(
            _(
                "Your account moved; it now waits for approval at the new organisation. "
                "Your rights at the old one have ended."
            ),
            "success",
        )
        return redirect(url_for(".transfer"), code=303)
    return render_template(
        "sso/transfer.html",
        account=account,
        label=_labels,
        form=PostForm(formdata=None),
    )

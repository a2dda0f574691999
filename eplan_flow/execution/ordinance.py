"""Budget ordinance import pages: upload an e-LAAS export, check the matches, confirm (no JavaScript).

The LAO's planners only: scope and role are checked before the form, so anyone else gets 404/403.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from eplan_flow import messages
from eplan_flow.errors import DomainError
from eplan_flow.execution import bp
from eplan_flow.execution.forms import PostForm
from eplan_flow.execution.routes import FIELD_LABELS
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.delivery import ordinance_import as service
from eplan_flow.web import or_abort

# Why a row of the file was refused (``OrdinanceFileRefused.problems``).
PROBLEMS = {
    "unreadable": _l("The file cannot be read as a CSV (UTF-8 or TIS-620) or xlsx file."),
    "too_large": _l("The file is larger than 5 MB."),
    "no_header": _l("No header row naming the code, the project name and the amount was found."),
    "no_code": _l("The line has no budget code."),
    "bad_code": _l("The budget code is not in the e-LAAS format (digits, Latin letters, . / - and spaces)."),
    "duplicate_code": _l("The budget code appears on an earlier line too."),
    "no_name": _l("The line has no project name."),
    "bad_amount": _l("The amount is not an amount in baht greater than 0."),
    "bad_source": _l("The budget source is not one of the known sources."),
    "too_many_lines": _l("The file has too many lines."),
    "no_lines": _l("The file has no project lines."),
}
STATUSES = {
    "budgeted": _l("Already budgeted with this code"),
    "project_code": _l("The project's own e-LAAS code"),
    "exact": _l("Same e-LAAS code as an earlier item"),
    "similar": _l("Similar name: please confirm"),
    "marked": _l("Marked as not from the plan"),
    "unmatched": _l("No match: link it or mark it"),
}


def _year(plan) -> int:
    asked = request.values.get("year", type=int)
    return asked if asked is not None else execution_service.year_shown(plan)


def _upload_page(plan, year: int, problems=None, status: int = 200):
    rows = [(row, PROBLEMS.get(reason, reason)) for row, reason in (problems or [])]
    return (
        render_template(
            "execution/ordinance_upload.html",
            plan=plan,
            year=year,
            announced_on=request.form.get("ordinance_announced_on", ""),
            problems=rows,
            form=PostForm(formdata=None),
        ),
        status,
    )


def _preview_page(plan, year: int, preview, status: int = 200):
    return (
        render_template(
            "execution/ordinance_preview.html",
            plan=plan,
            year=year,
            preview=preview,
            statuses=STATUSES,
            not_in_plan=service.NOT_IN_PLAN,
            form=PostForm(formdata=None),
        ),
        status,
    )


@bp.route("/plans/<int:plan_id>/ordinance")
@login_required
def ordinance_upload(plan_id: int):
    plan = or_abort(service.require_importer, current_user, plan_id)
    return _upload_page(plan, _year(plan))


@bp.route("/plans/<int:plan_id>/ordinance", methods=["POST"])
@login_required
def ordinance_preview(plan_id: int):
    plan = or_abort(service.require_importer, current_user, plan_id)
    year = _year(plan)
    if not PostForm().validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return _upload_page(plan, year, status=400)
    upload = request.files.get("file")
    data = upload.read(service.MAX_FILE_BYTES + 1) if upload is not None else b""
    try:
        preview = or_abort(
            service.preview, current_user, plan_id, year, data, request.form.get("ordinance_announced_on")
        )
    except service.OrdinanceFileRefused as exc:
        flash(messages.message_for(exc, "ordinance_import"), "error")
        return _upload_page(plan, year, exc.details.get("problems") or [], status=422)
    except DomainError as exc:
        flash(messages.message_for(exc, "ordinance_import", labels=FIELD_LABELS), "error")
        return _upload_page(plan, year, status=422)
    return _preview_page(plan, year, preview)


@bp.route("/plans/<int:plan_id>/ordinance/confirm", methods=["POST"])
@login_required
def ordinance_confirm(plan_id: int):
    plan = or_abort(service.require_importer, current_user, plan_id)
    year = _year(plan)
    back = url_for(".ordinance_upload", plan_id=plan_id, year=year)
    if not PostForm().validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    sha256 = request.form.get("sha256", "")
    announced_on = request.form.get("ordinance_announced_on")
    decisions = {}
    record_codes = set()
    for name, value in request.form.items():
        if name.startswith("row-") and name[4:].isdigit():
            decisions[int(name[4:])] = value
        elif name.startswith("record-") and name[7:].isdigit() and value:
            record_codes.add(int(name[7:]))
    try:
        outcome = or_abort(
            service.confirm,
            current_user,
            plan_id,
            year,
            sha256,
            decisions,
            record_codes=record_codes,
            ordinance_announced_on=announced_on,
        )
    except DomainError as exc:
        flash(messages.message_for(exc, "ordinance_import", labels=FIELD_LABELS), "error")
        try:
            preview = service.load_preview(current_user, plan_id, year, sha256, announced_on)
        except DomainError:
            return redirect(back, code=303)
        return _preview_page(plan, year, preview, status=422)
    flash(
        _(
            "The budget ordinance was imported: %(created)s projects budgeted, %(updated)s completed "
            "with their code, %(marked)s lines marked as not from the plan, %(unchanged)s unchanged.",
            created=len(outcome.created),
            updated=len(outcome.updated),
            marked=outcome.marked,
            unchanged=outcome.unchanged,
        ),
        "success",
    )
    if outcome.coded:
        flash(
            _(
                "The e-LAAS budget code was recorded on projects %(projects)s.",
                projects=", ".join(str(no) for no in outcome.coded),
            ),
            "success",
        )
    if outcome.not_coded:
        flash(
            _(
                "The code was not recorded on projects %(projects)s: the project already has a code, or "
                "another project of the plan carries it.",
                projects=", ".join(str(no) for no in outcome.not_coded),
            ),
            "warning",
        )
    return redirect(url_for(".plan_year", plan_id=plan_id, year=year), code=303)

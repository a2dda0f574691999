"""Import an existing plan from Excel: upload → preview (every row's problems, in Thai) → confirm.

The uploaded workbook is kept on the server between the preview and the confirmation, under the
instance folder, named by the LAO and the file's SHA-256: confirming names the file by its hash, so
nothing is uploaded twice, and a corrected file is simply another hash. Only the LAO's planners
reach these pages for their own LAO (another LAO's does not exist for them: 404; the LAO's other
staff: 403). Views parse input and call the service (``services/planning/plan_import.py``).
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from eplan_flow import messages, text
from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied
from eplan_flow.form_input import ThaiDateField
from eplan_flow.models import PLAN_YEARS, Organisation
from eplan_flow.plans import bp
from eplan_flow.plans.forms import SOURCE_LABELS
from eplan_flow.services.planning import plan_import

_SHA256 = re.compile(r"[0-9a-f]{64}")
MODE_LABELS = {
    "draft": _l("As a draft: the plan then goes through its steps in e-Plan"),
    "announced": _l("As the announced plan (its history before e-Plan), version 1 in force"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _periods() -> list[SelectChoice]:
    """The periods offered: the one in force (2566–2570) and the next ones."""
    return [SelectChoice(str(start), f"{start}–{start + PLAN_YEARS - 1}") for start in (2566, 2571, 2576)]


class ImportForm(FlaskForm):
    organisation_id = SelectField(_l("Local administrative organisation"), validate_choice=False)
    period_start_be = SelectField(_l("Plan period (B.E.)"), validate_choice=False)
    mode = RadioField(
        _l("Bring the plan in"),
        choices=[SelectChoice(k, v) for k, v in MODE_LABELS.items()],
        default="draft",
        validate_choice=False,
    )
    announced_on = ThaiDateField(_l("Announced on"))
    workbook = FileField(_l("Excel workbook (.xlsx)"))


def _folder(org_id: int) -> Path:
    """Where an LAO's uploads wait for their confirmation: ``PLAN_IMPORTS_DIR`` (default
    ``<instance>/plan_imports``), one folder per LAO."""
    root = current_app.config.get("PLAN_IMPORTS_DIR") or Path(current_app.instance_path) / "plan_imports"
    return Path(root) / str(org_id)


def _stored(org_id: int, sha256: str) -> bytes:
    if not _SHA256.fullmatch(sha256):
        abort(404)
    path = _folder(org_id) / f"{sha256}.xlsx"
    if not path.is_file():
        abort(404)
    return path.read_bytes()


def _store(org_id: int, data: bytes) -> str:
    sha256 = plan_import.file_digest(data)
    folder = _folder(org_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sha256}.xlsx"
    if not path.exists():
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)
    return sha256


def _my_laos() -> list[Organisation]:
    laos = plan_import.laos_for_import(current_user)
    if not laos:
        abort(403)
    return laos


def _lao_or_refuse(org_id: int) -> Organisation:
    """The LAO of the URL for one of its planners; 404 for outsiders, 403 for its other staff."""
    try:
        return plan_import.check_lao(current_user, org_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


def _options(args) -> tuple[int, str, str]:
    """The period, mode and announcement day a preview or a confirmation is for."""
    try:
        start = plan_import.parse_period(args.get("period", ""))
    except InvalidInput:
        abort(404)
    mode = args.get("mode", "draft")
    if mode not in MODE_LABELS:
        abort(404)
    return start, mode, args.get("announced_on", "") if mode == "announced" else ""


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_start():
    laos = _my_laos()
    form = ImportForm()
    form.organisation_id.choices = [SelectChoice(str(org.id), org.display_name) for org in laos]
    form.period_start_be.choices = _periods()
    if request.method == "POST":
        # Permission first (a reader's POST is refused before its form is read).
        try:
            org_id = int(request.form.get("organisation_id", "0"))
        except ValueError:
            org_id = 0
        if org_id not in {org.id for org in laos}:
            abort(403)
        if form.validate_on_submit():
            upload = form.workbook.data
            data = upload.read(plan_import.MAX_FILE_BYTES + 1) if upload else b""
            announced = form.announced_on.data
            if not data:
                form.workbook.errors.append(_("Choose the plan's Excel workbook."))
            elif form.mode.data == "announced" and announced is None and not form.announced_on.errors:
                form.announced_on.errors.append(_("Enter the day the plan was announced."))
            elif not form.announced_on.errors:
                sha256 = _store(org_id, data)
                day = text.format_date_input(announced) if form.mode.data == "announced" else None
                return redirect(
                    url_for(
                        ".import_preview",
                        org_id=org_id,
                        sha256=sha256,
                        period=form.period_start_be.data,
                        mode=form.mode.data,
                        announced_on=day,
                        name=(upload.filename or "")[-200:] or None,
                    ),
                    code=303,
                )
    status = 422 if request.method == "POST" else 200
    return render_template(
        "plans/import_start.html", form=form, max_mb=plan_import.MAX_FILE_BYTES // 2**20
    ), status


def _preview_page(org: Organisation, sha256: str, outcome, *, name: str, status: int = 200):
    parsed = outcome.parsed
    form = ImportForm()
    form.organisation_id.choices = [SelectChoice(str(org.id), org.display_name)]
    form.organisation_id.data = str(org.id)
    form.period_start_be.choices = _periods()
    form.period_start_be.data = str(parsed.period_start_be)
    form.mode.data = outcome.mode
    form.announced_on.data = outcome.announced_on
    by_source: dict[str, int] = {}
    for project in parsed.projects:
        by_source[project.source] = by_source.get(project.source, 0) + 1
    return render_template(
        "plans/import_preview.html",
        org=org,
        sha256=sha256,
        outcome=outcome,
        parsed=parsed,
        name=name,
        form=form,
        sources=SOURCE_LABELS,
        by_source=by_source,
        mode_labels=MODE_LABELS,
        problem_sentence=plan_import.sentence,
        announced_on=request.values.get("announced_on", ""),
        max_mb=plan_import.MAX_FILE_BYTES // 2**20,
    ), status


@bp.route("/import/<int:org_id>/<sha256>")
@login_required
def import_preview(org_id: int, sha256: str):
    org = _lao_or_refuse(org_id)
    data = _stored(org.id, sha256)
    start, mode, announced_on = _options(request.args)
    outcome = plan_import.check_import(
        current_user, org.id, data, period_start_be=start, mode=mode, announced_on=announced_on
    )
    return _preview_page(org, sha256, outcome, name=request.args.get("name", ""))


@bp.route("/import/<int:org_id>/<sha256>/confirm", methods=["POST"])
@login_required
def import_confirm(org_id: int, sha256: str):
    org = _lao_or_refuse(org_id)
    data = _stored(org.id, sha256)
    start, mode, announced_on = _options(request.form)
    name = text.tidy(request.form.get("name", ""))[:200] or f"{sha256[:12]}.xlsx"
    try:
        outcome = plan_import.import_plan(
            current_user,
            org.id,
            data,
            period_start_be=start,
            file_name=name,
            mode=mode,
            announced_on=announced_on,
        )
    except plan_import.WorkbookRefused as refused:
        outcome = plan_import.check_import(
            current_user, org.id, data, period_start_be=start, mode=mode, announced_on=announced_on
        )
        outcome.problems = outcome.problems or refused.problems
        flash(_("Nothing was imported: the workbook has problems, listed below."), "error")
        return _preview_page(org, sha256, outcome, name=name, status=422)
    except InvalidInput as error:
        flash(messages.message_for(error), "error")
        return redirect(url_for(".import_start"), code=303)
    if outcome.already_imported:
        flash(_("This workbook was imported before: nothing was changed."), "info")
    else:
        flash(_("The plan was imported from the workbook."), "success")
    return redirect(url_for(".overview", plan_id=outcome.plan_id), code=303)


@bp.route("/import/template.xlsx")
@login_required
def import_template():
    try:
        start = plan_import.parse_period(request.args.get("period", "2566"))
    except InvalidInput:
        abort(404)
    laos = plan_import.laos_for_import(current_user)
    heading = laos[0].display_name if len(laos) == 1 else ""
    data = plan_import.blank_template(start, heading)
    return send_file(
        BytesIO(data),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"plan-template-{start}-{start + PLAN_YEARS - 1}.xlsx",
    )

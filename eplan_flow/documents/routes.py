"""The official forms as files: PDF (rendered now, or by a job when long) and Excel.

Views parse input, call one service and map its refusals to a status; they never commit. A plan,
revision or report the person may not read is a 404, as on its page; a job is its requester's only.
"""

from __future__ import annotations

import io

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from eplan_flow.documents import bp
from eplan_flow.exports import XLSX_MIMETYPE
from eplan_flow.i18n import locale_code
from eplan_flow.services.delivery import action_plans, evaluation
from eplan_flow.services.documents import forms, jobs, pdf, spreadsheets
from eplan_flow.services.planning import plans, reports, revisions
from eplan_flow.web import or_abort

PDF_MIMETYPE = "application/pdf"
PDF_FORMS = ("yt01", "p01", "p01_1", "p02")


def _pdf_response(document: forms.Document):
    data = pdf.render_pdf(document.html(), expected_pages=document.expected_pages)
    return send_file(io.BytesIO(data), mimetype=PDF_MIMETYPE, download_name=f"{document.title}.pdf")


def _plan_params(plan_id: int, form: str) -> dict:
    params: dict = {"plan_id": plan_id, "version": request.args.get("version", type=int)}
    if form == "p02":
        params["source"] = request.args.get("source", "own")
    return params


@bp.route("/plans/<int:plan_id>/<form>.pdf")
@login_required
def plan_pdf(plan_id: int, form: str):
    """A plan's form as PDF; a list too long to wait for is offered as a background job instead."""
    if form not in PDF_FORMS:
        abort(404)
    params = _plan_params(plan_id, form)
    if form == "p02":
        size = or_abort(forms.list_size, current_user, plan_id, params["version"], params["source"])
        if size > forms.STREAM_LIMIT:
            return render_template(
                "documents/long.html",
                plan=plans.get_plan(current_user, plan_id),
                form_code=reports.P02_FORMS[params["source"]],
                rows=size,
                action=url_for(".request_plan_pdf", plan_id=plan_id, form=form, **_query(params)),
            )
    return _pdf_response(or_abort(forms.build, current_user, form, params))


def _query(params: dict) -> dict:
    return {key: value for key, value in params.items() if key not in ("plan_id",) and value is not None}


@bp.route("/plans/<int:plan_id>/<form>.pdf/job", methods=["POST"])
@login_required
def request_plan_pdf(plan_id: int, form: str):
    """Queue a plan's form as a background job and follow it."""
    if form not in PDF_FORMS:
        abort(404)
    job = or_abort(jobs.request, current_user, form, _plan_params(plan_id, form))
    return redirect(url_for(".job", job_id=job.id), code=303)


@bp.route("/revisions/<int:revision_id>.pdf")
@login_required
def revision_pdf(revision_id: int):
    """A revision's own document: its ผ.01/ผ.02 pages and its old/new comparison."""
    return _pdf_response(or_abort(forms.revision, current_user, revision_id))


@bp.route("/reports/<int:report_id>.pdf")
@login_required
def report_pdf(report_id: int):
    """The monitoring and evaluation report (A4 portrait)."""
    return _pdf_response(or_abort(forms.evaluation_report, current_user, report_id, locale_code()))


@bp.route("/action-plans/<int:action_plan_id>/<form>.pdf")
@login_required
def action_plan_pdf(action_plan_id: int, form: str):
    """An action plan's ผด.01 or ผด.02 as PDF (readers of the action plan, as its page); a ผด.02 too
    long to wait for is offered as a background job instead."""
    if form not in forms.ACTION_PLAN_FORMS:
        abort(404)
    if form == "pd02":
        size = or_abort(forms.action_plan_size, current_user, action_plan_id)
        if size > forms.STREAM_LIMIT:
            return render_template(
                "documents/long.html",
                action_plan=or_abort(action_plans.get_action_plan, current_user, action_plan_id),
                form_code=forms.ACTION_PLAN_FORMS[form],
                rows=size,
                action=url_for(".request_action_plan_pdf", action_plan_id=action_plan_id, form=form),
            )
    return _pdf_response(or_abort(forms.action_plan_form, current_user, action_plan_id, form, locale_code()))


@bp.route("/action-plans/<int:action_plan_id>/<form>.pdf/job", methods=["POST"])
@login_required
def request_action_plan_pdf(action_plan_id: int, form: str):
    """Queue an action plan's form as a background job and follow it."""
    if form not in forms.ACTION_PLAN_FORMS:
        abort(404)
    job = or_abort(jobs.request, current_user, form, {"action_plan_id": action_plan_id})
    return redirect(url_for(".job", job_id=job.id), code=303)


@bp.route("/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    """How far a background document has got; the page refreshes itself until the file is ready."""
    row = or_abort(jobs.get, current_user, job_id)
    return render_template("documents/job.html", job=row)


@bp.route("/jobs/<int:job_id>/file")
@login_required
def job_file(job_id: int):
    path, row = or_abort(jobs.file_of, current_user, job_id)
    mimetype = PDF_MIMETYPE if row.format == "pdf" else XLSX_MIMETYPE
    return send_file(path, mimetype=mimetype, download_name=f"{row.title}.{row.format}")


# -- Excel (services/documents/spreadsheets.py) ------------------------------------------------------
def _xlsx_response(data: bytes, title: str):
    return send_file(
        io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=f"{title}.xlsx"
    )


XLSX_FORMS = ("yt01", "p01", "p02", "plan")


@bp.route("/plans/<int:plan_id>/<form>.xlsx")
@login_required
def plan_xlsx(plan_id: int, form: str):
    """A plan's form as an Excel workbook (``plan``: every form, one sheet each)."""
    if form not in XLSX_FORMS:
        abort(404)
    plan = or_abort(plans.get_plan, current_user, plan_id)
    version = or_abort(forms.plan_version, plan, request.args.get("version", type=int))
    period = f"{plan.period_start_be}-{plan.period_end_be}"
    if form == "p02":
        source = request.args.get("source", "own")
        if source not in reports.P02_FORMS:
            abort(404)
        data = spreadsheets.p02_xlsx(plan, version, source)
        code = reports.P02_FORMS[source]
    elif form == "yt01":
        data, code = spreadsheets.yt01_xlsx(plan, version), "ยท.01"
    elif form == "p01":
        data, code = spreadsheets.p01_xlsx(plan, version), "ผ.01"
    else:
        data, code = spreadsheets.plan_xlsx(plan, version), "แผนพัฒนาท้องถิ่น"
    return _xlsx_response(data, f"{code} {plan.organisation.display_name} {period}".replace("/", "-"))


@bp.route("/revisions/<int:revision_id>.xlsx")
@login_required
def revision_xlsx(revision_id: int):
    revision = or_abort(revisions.get_revision, current_user, revision_id)
    data = spreadsheets.revision_xlsx(current_user, revision.id)
    title = f"{revision.title} {revision.organisation.display_name}".replace("/", "-")
    return _xlsx_response(data, title)


@bp.route("/reports/<int:report_id>.xlsx")
@login_required
def report_xlsx(report_id: int):
    report = or_abort(evaluation.get_report, current_user, report_id)
    title = (
        f"รายงานติดตามและประเมินผล {report.organisation.display_name} {report.fiscal_year_be} {report.round}"
    )
    return _xlsx_response(spreadsheets.evaluation_xlsx(report), title)

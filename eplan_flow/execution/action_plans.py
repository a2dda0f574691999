"""Action plan pages (แผนการดำเนินงาน, ข้อ 26–27): a LAO's action plans, one plan's projects and their
months (no JavaScript: one small form per change), and its forms ผด.01 and ผด.02 as print pages.

Views check scope (404) and role (403) before the form, call one service and map its refusals to a
flash; the workflow's steps are taken on the item's workflow page (``main.instance``).
"""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eplan_flow import messages, text
from eplan_flow.errors import DomainError
from eplan_flow.execution import bp
from eplan_flow.execution.forms import PostForm
from eplan_flow.exports import XLSX_MIMETYPE
from eplan_flow.i18n import locale_code
from eplan_flow.models import FISCAL_MONTHS
from eplan_flow.services.delivery import action_plans as service
from eplan_flow.services.documents import action_plan_sheets
from eplan_flow.services.platform import engine
from eplan_flow.thaidate import MONTHS_EN, MONTHS_TH_SHORT, fiscal_year, today_local
from eplan_flow.web import or_abort


def _month_names() -> list[str]:
    names = MONTHS_TH_SHORT if locale_code() == "th" else tuple(m[:3] for m in MONTHS_EN)
    return [names[month - 1] for month in FISCAL_MONTHS]


@bp.route("/laos/<int:org_id>/action-plans")
@login_required
def action_plans(org_id: int):
    org, rows = or_abort(service.action_plans_of, current_user, org_id)
    return render_template(
        "execution/action_plans.html",
        org=org,
        rows=rows,
        status_of=service.deadline_status,
        definition=engine.REGISTRY.get("action_plan"),
        locale=locale_code(),
        may_draft=service.may_draft(current_user, org),
        form=PostForm(),
        year=fiscal_year(today_local()),
    )


@bp.route("/laos/<int:org_id>/action-plans", methods=["POST"])
@login_required
def open_action_plan(org_id: int):
    org = or_abort(service.get_lao, current_user, org_id)
    if not service.may_draft(current_user, org):
        abort(403)
    back = url_for(".action_plans", org_id=org.id)
    if not PostForm().validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    try:
        action_plan = or_abort(
            service.open_action_plan,
            current_user,
            org.id,
            request.form.get("fiscal_year_be"),
            # Typed as pages show dates, dd/mm/yyyy of the Buddhist Era (15/10/2568).
            text.parse_typed_date(request.form.get("ordinance_announced_on"), field="ordinance_announced_on"),
        )
    except DomainError as exc:
        flash(messages.message_for(exc, "form"), "error")
        return redirect(back, code=303)
    flash(_("The action plan was opened with the projects the budget ordinance funds."), "success")
    return redirect(url_for(".action_plan", action_plan_id=action_plan.id), code=303)


@bp.route("/action-plans/<int:action_plan_id>")
@login_required
def action_plan(action_plan_id: int):
    row = or_abort(service.get_action_plan, current_user, action_plan_id)
    may_edit = service.may_draft(current_user, row.organisation) and row.status == "drafting"
    return render_template(
        "execution/action_plan.html",
        action_plan=row,
        status=service.deadline_status(row),
        definition=engine.definition_of(row),
        locale=locale_code(),
        may_edit=may_edit,
        addable=service.addable_executions(row) if may_edit else [],
        form=PostForm(),
        months=list(zip(FISCAL_MONTHS, _month_names(), strict=True)),
    )


def _change(action_plan_id: int, call, *args, done: str):
    """Run one drafting change of the plan: scope and role first, then the form, then the service."""
    row = or_abort(service.get_action_plan, current_user, action_plan_id)
    if not service.may_draft(current_user, row.organisation):
        abort(403)
    back = url_for(".action_plan", action_plan_id=action_plan_id)
    if not PostForm().validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    try:
        or_abort(call, current_user, action_plan_id, *args)
    except DomainError as exc:
        flash(messages.message_for(exc, "form"), "error")
        return redirect(back, code=303)
    flash(done, "success")
    return redirect(back, code=303)


@bp.route("/action-plans/<int:action_plan_id>/items/<int:item_id>/months", methods=["POST"])
@login_required
def action_plan_months(action_plan_id: int, item_id: int):
    return _change(
        action_plan_id,
        service.set_months,
        item_id,
        request.form.getlist("months"),
        done=_("The months of implementation were saved."),
    )


@bp.route("/action-plans/<int:action_plan_id>/items/<int:item_id>/remove", methods=["POST"])
@login_required
def action_plan_remove_item(action_plan_id: int, item_id: int):
    return _change(action_plan_id, service.remove_item, item_id, done=_("The project was removed."))


@bp.route("/action-plans/<int:action_plan_id>/items", methods=["POST"])
@login_required
def action_plan_add_item(action_plan_id: int):
    return _change(
        action_plan_id,
        service.add_execution_item,
        request.form.get("execution_id"),
        done=_("The project was added."),
    )


@bp.route("/action-plans/<int:action_plan_id>/agency-items", methods=["POST"])
@login_required
def action_plan_add_agency_item(action_plan_id: int):
    return _change(
        action_plan_id,
        service.add_agency_item,
        request.form.get("name"),
        request.form.get("agency"),
        request.form.get("budget"),
        done=_("The project was added."),
    )


@bp.route("/action-plans/<int:action_plan_id>/pd01")
@login_required
def action_plan_pd01(action_plan_id: int):
    row = or_abort(service.get_action_plan, current_user, action_plan_id)
    return render_template("execution/action_plan_pd01.html", action_plan=row, summary=service.summary(row))


@bp.route("/action-plans/<int:action_plan_id>/pd02")
@login_required
def action_plan_pd02(action_plan_id: int):
    row = or_abort(service.get_action_plan, current_user, action_plan_id)
    return render_template(
        "execution/action_plan_pd02.html",
        action_plan=row,
        summary=service.summary(row),
        months=_month_names(),
    )


@bp.route("/action-plans/<int:action_plan_id>/pd.xlsx")
@login_required
def action_plan_xlsx(action_plan_id: int):
    row = or_abort(service.get_action_plan, current_user, action_plan_id)
    title = f"แผนการดำเนินงาน {row.organisation.display_name} {row.fiscal_year_be}".replace("/", "-")
    return send_file(
        io.BytesIO(action_plan_sheets.action_plan_xlsx(row)),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"{title}.xlsx",
    )

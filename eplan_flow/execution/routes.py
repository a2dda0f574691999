"""Execution pages. Views parse input, call one service and map domain errors to a status or a
flash; they never commit.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from eplan_flow import exports, messages, text
from eplan_flow.errors import DomainError
from eplan_flow.execution import bp
from eplan_flow.execution.forms import PostForm
from eplan_flow.i18n import locale_code
from eplan_flow.models import TRANSFER_KINDS
from eplan_flow.services.delivery import execution as service
from eplan_flow.services.planning import plans
from eplan_flow.services.planning.projects import current_records
from eplan_flow.services.platform import engine
from eplan_flow.web import or_abort


def _year_for(plan) -> int:
    """The fiscal year asked for, or the current one kept within the plan's period."""
    asked = request.args.get("year", type=int)
    if asked is not None:
        return asked
    return service.year_shown(plan)


# How a refusal names a field (the catalogue, ``eplan_flow.messages``, words the refusal).
FIELD_LABELS = {
    "amount": _l("Amount (baht)"),
    "paid_on": _l("Payment date"),
    "date": _l("Date"),
    "contract_no": _l("Contract number"),
    "contract_date": _l("Contract date"),
    "contract_amount": _l("Contract amount (baht)"),
    "contractor": _l("Contractor"),
    "progress_percent": _l("Progress (%)"),
    "procurement_method": _l("Procurement method"),
    "kind": _l("Kind of transfer"),
    "note": _l("Note"),
    "fiscal_year_be": _l("Fiscal year"),
    "project_no": _l("Project"),
    "comment": _l("Reason"),
    "budget_source": _l("Budget source"),
    "elaas_budget_code": _l("e-LAAS budget code"),
    "egp_project_no": _l("e-GP project number"),
    "village_no": _l("Village no. (หมู่ที่)"),
    "community": _l("Community"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
}


def _refusal(exc: DomainError) -> str:
    """What a refusal tells the person, naming the field it is about when the page has one."""
    return messages.message_for(exc, "execution", labels=FIELD_LABELS)


class _TypedDate(NamedTuple):
    """A date as the page's box sends it, dd/mm/yyyy of the Buddhist Era (the services take a date
    or ISO): read inside ``_write``, so a refusal is flashed like the service's own."""

    raw: str | None
    field: str


def _write(call, back: str, done: str, *args, **kwargs):
    """Run a write use case: 404/403 for scope and role, a flash with the reason for anything refused."""
    if not PostForm().validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    try:
        args = tuple(
            text.parse_typed_date(arg.raw, field=arg.field) if isinstance(arg, _TypedDate) else arg
            for arg in args
        )
        or_abort(call, current_user, *args, **kwargs)
    except DomainError as exc:
        flash(_refusal(exc), "error")
        return redirect(back, code=303)
    flash(done, "success")
    return redirect(back, code=303)


@bp.route("/plans/<int:plan_id>")
@login_required
def plan_year(plan_id: int):
    plan = or_abort(plans.get_plan, current_user, plan_id)
    year = _year_for(plan)
    plan, rows = or_abort(service.plan_year, current_user, plan_id, year)
    may_record = service.may_record(current_user, plan.organisation)
    budgeted = {row.execution.project_no for row in rows}
    candidates = [r for r in current_records(plan.id) if r.project_no not in budgeted] if may_record else []
    # A project whose plan budget for the year is 0 is not offered: the rule names the way instead.
    zero_budget = []
    if plan.period_start_be <= year <= plan.period_end_be:
        zero_budget = [r for r in candidates if r.budgets[year - plan.period_start_be] <= 0]
        candidates = [r for r in candidates if r not in zero_budget]
    zero_rule = service.zero_plan_budget_rule()
    return render_template(
        "execution/plan_year.html",
        plan=plan,
        year=year,
        rows=rows,
        may_record=may_record,
        candidates=candidates,
        years=range(plan.period_start_be, plan.period_end_be + 1),
        definition=engine.REGISTRY.get("execution"),
        locale=locale_code(),
        form=PostForm(formdata=None),
        counted=sum(1 for r in rows if r.counted),
        zero_budget=zero_budget,
        zero_budget_text=(
            messages.message_for_code("zero_plan_budget", "execution.page", year=year)
            if zero_rule is not None and not zero_rule.get("may_budget")
            else None
        ),
    )


@bp.route("/plans/<int:plan_id>/executions.csv")
@login_required
def plan_year_csv(plan_id: int):
    plan = or_abort(plans.get_plan, current_user, plan_id)
    year = _year_for(plan)
    data = or_abort(service.plan_year_csv, current_user, plan_id, year)
    name = f"execution-plan{plan_id}-{year}.csv"
    return Response(
        data,
        mimetype=exports.CSV_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/plans/<int:plan_id>/budget", methods=["POST"])
@login_required
def budget(plan_id: int):
    year = request.form.get("fiscal_year_be", "")
    back = (
        url_for(".plan_year", plan_id=plan_id, year=year)
        if year.isdigit()
        else url_for(".plan_year", plan_id=plan_id)
    )
    return _write(
        service.budget_project,
        back,
        _("The project was budgeted."),
        plan_id,
        request.form.get("project_no"),
        year,
        request.form.get("amount"),
    )


@bp.route("/<int:execution_id>")
@login_required
def detail(execution_id: int):
    execution = or_abort(service.get_execution, current_user, execution_id)
    counted, reason = service.completion_status(execution)
    definition = engine.definition_of(execution)
    # The payment form is offered only when the workflow's order of steps allows a payment now;
    # otherwise the page says why (the same sentence the refusal would give, without "nothing saved").
    no_payment = service.payment_refusal(execution)
    return render_template(
        "execution/execution.html",
        execution=execution,
        plan=or_abort(plans.get_plan, current_user, execution.plan_id),
        name=service.project_name(execution),
        counted=counted,
        reason=reason,
        definition=definition,
        locale=locale_code(),
        may_record=service.may_record(current_user, execution.organisation),
        money_open=execution.status in service.MONEY_STATES,
        no_payment=(
            messages.message_for_code("payment_before_contract", "execution.no_payment", reason=no_payment)
            if no_payment
            else None
        ),
        # From version 2 the procurement step records its method and signing records the contract:
        # the page offers those steps with their own fields (no meeting number).
        procurement_step=service.step_records(execution, "start_procurement"),
        signing_step=service.step_records(execution, "sign_contract"),
        procurement_methods=service.method_choices(execution, locale_code()),
        details_step=service.records_budget_details(execution),
        details=service.budget_details(execution, locale_code()),
        budget_sources=[
            (code, service.choice_label(definition.rules.get("budget_sources", {}), code, locale_code()))
            for code in definition.rules.get("budget_sources", {})
        ],
        location_rule=definition.rules.get("location", {}),
        transfer_kinds=TRANSFER_KINDS,
        form=PostForm(formdata=None),
    )


@bp.route("/<int:execution_id>/budget-details", methods=["POST"])
@login_required
def budget_details(execution_id: int):
    return _write(
        service.record_budget_details,
        url_for(".detail", execution_id=execution_id),
        _("The budget source, codes and location were recorded."),
        execution_id,
        {name: request.form.get(name, "") for name in service.DETAIL_FIELDS},
    )


@bp.route("/<int:execution_id>/contract", methods=["POST"])
@login_required
def contract(execution_id: int):
    form = request.form
    return _write(
        service.record_contract,
        url_for(".detail", execution_id=execution_id),
        _("The contract was recorded."),
        execution_id,
        form.get("contract_no"),
        _TypedDate(form.get("contract_date"), "contract_date"),
        form.get("contractor"),
        form.get("amount"),
    )


@bp.route("/<int:execution_id>/procurement", methods=["POST"])
@login_required
def procurement(execution_id: int):
    return _write(
        service.start_procurement,
        url_for(".detail", execution_id=execution_id),
        _("Procurement has started."),
        execution_id,
        request.form.get("procurement_method"),
        request.form.get("expected_version", type=int),
    )


@bp.route("/<int:execution_id>/sign", methods=["POST"])
@login_required
def sign(execution_id: int):
    form = request.form
    return _write(
        service.sign_contract,
        url_for(".detail", execution_id=execution_id),
        _("The contract was signed and recorded."),
        execution_id,
        form.get("contract_no"),
        _TypedDate(form.get("contract_date"), "contract_date"),
        form.get("contractor"),
        form.get("amount"),
        form.get("expected_version", type=int),
    )


@bp.route("/<int:execution_id>/transfers", methods=["POST"])
@login_required
def transfer(execution_id: int):
    form = request.form
    return _write(
        service.add_transfer,
        url_for(".detail", execution_id=execution_id),
        _("The budget transfer was recorded."),
        execution_id,
        form.get("kind"),
        form.get("amount"),
        _TypedDate(form.get("date"), "date"),
        form.get("note"),
    )


@bp.route("/<int:execution_id>/disbursements", methods=["POST"])
@login_required
def disbursement(execution_id: int):
    form = request.form
    return _write(
        service.add_disbursement,
        url_for(".detail", execution_id=execution_id),
        _("The disbursement was recorded."),
        execution_id,
        _TypedDate(form.get("paid_on"), "paid_on"),
        form.get("amount"),
        form.get("progress_percent"),
        form.get("note"),
    )


@bp.route("/<int:execution_id>/progress", methods=["POST"])
@login_required
def progress(execution_id: int):
    return _write(
        service.record_progress,
        url_for(".detail", execution_id=execution_id),
        _("The progress was recorded."),
        execution_id,
        request.form.get("progress_percent"),
    )


@bp.route("/<int:execution_id>/cancel", methods=["POST"])
@login_required
def cancel(execution_id: int):
    return _write(
        service.cancel,
        url_for(".detail", execution_id=execution_id),
        _("The project was cancelled."),
        execution_id,
        request.form.get("reason"),
    )

"""Results pages: a LAO's year-end actuals and its monitoring and evaluation reports.

Views check scope (404) and role (403), parse input, call one service and map its refusals to a
flash or the form shown again with what was typed; they never commit.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from eplan_flow import messages
from eplan_flow.errors import DomainError, StaleState
from eplan_flow.glossary import DIMENSION_TITLES
from eplan_flow.i18n import locale_code
from eplan_flow.main.forms import FireForm
from eplan_flow.models import EVALUATION_ROUNDS
from eplan_flow.results import bp
from eplan_flow.results.forms import (
    TEXT_LABELS,
    CreateReportForm,
    ReportTextForm,
    actuals_form_class,
)
from eplan_flow.services.delivery import actuals
from eplan_flow.services.delivery import evaluation as service
from eplan_flow.services.platform import engine
from eplan_flow.thaidate import fiscal_year, fiscal_year_bounds, today_local
from eplan_flow.web import or_abort
from workflows.deadlines import EVALUATION_DEADLINES, evaluation_round_label

# The LAO page lists this many ended fiscal years (and any year entered); older ones open by address.
ACTUALS_YEARS_SHOWN = 5


def _lao_or_404(org_id: int):
    return or_abort(service.get_lao, current_user, org_id)


# -- a LAO's results -------------------------------------------------------------------------------
def _actuals_years() -> list[int]:
    last_ended = fiscal_year(today_local()) - 1
    return list(range(last_ended, last_ended - ACTUALS_YEARS_SHOWN, -1))


@bp.route("/laos/<int:org_id>")
@login_required
def lao(org_id: int):
    org, reports = or_abort(service.reports_of, current_user, org_id)
    entered = set(or_abort(actuals.years_entered, current_user, org_id))
    locale = locale_code()
    form = CreateReportForm(formdata=None, fiscal_year_be=fiscal_year(today_local()))
    # New reports follow the rules of the evaluation workflow's latest version (the 2561 amendment).
    form.round.choices = [
        SelectChoice(name, evaluation_round_label(name, locale, EVALUATION_DEADLINES))
        for name in EVALUATION_ROUNDS
    ]
    return render_template(
        "results/lao.html",
        org=org,
        reports=reports,
        round_label=lambda report: evaluation_round_label(report.round, locale, service.rules_of(report)),
        yearly=service.yearly_duty(current_user, org.id, locale),
        definition=engine.REGISTRY.get("evaluation"),
        locale=locale,
        may_draft=service.may_draft(current_user, org),
        form=form,
        actuals_years=sorted(entered | set(_actuals_years()), reverse=True),
        entered=entered,
        year=fiscal_year(today_local()),
        plan=service.plan_for_year(org.id, fiscal_year(today_local())),
    )


@bp.route("/laos/<int:org_id>/reports", methods=["POST"])
@login_required
def create_report(org_id: int):
    org = _lao_or_404(org_id)
    if not service.may_draft(current_user, org):
        abort(403)
    back = url_for(".lao", org_id=org.id)
    form = CreateReportForm()
    if not form.validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    try:
        report = or_abort(
            service.create_report, current_user, org.id, form.fiscal_year_be.data, form.round.data
        )
    except DomainError as exc:
        flash(messages.message_for(exc, "new_report"), "error")
        return redirect(back, code=303)
    flash(_("The report was opened for drafting."), "success")
    return redirect(url_for(".report", report_id=report.id), code=303)


# -- year-end actuals ------------------------------------------------------------------------------
def _year_or_404(year: int) -> int:
    if not service.YEAR_RANGE[0] <= year <= service.YEAR_RANGE[1]:
        abort(404)
    return year


def _actuals_page(org_id: int, year: int, form=None, errors=None, status: int = 200):
    entered = or_abort(actuals.get_actuals, current_user, org_id, year)
    org = entered.organisation
    may_enter = actuals.may_enter(current_user, org)
    ended = actuals.year_ended(year)
    if form is None:
        form = actuals_form_class()(
            formdata=None,
            note=entered.note,
            **{name: f"{amount:.2f}" for name, amount in entered.amounts.items()},
        )
    locale = locale_code()
    rows = {
        kind: [
            (name, actuals.label(kind, category, locale), entered.amounts.get(name))
            for k, category, name in actuals.fields()
            if k == kind
        ]
        for kind in actuals.KINDS
    }
    return render_template(
        "results/actuals.html",
        org=org,
        year=year,
        entered=entered,
        rows=rows,
        form=form,
        errors=errors or {},
        may_enter=may_enter,
        ended=ended,
        ends_on=fiscal_year_bounds(year)[1],
    ), status


@bp.route("/laos/<int:org_id>/actuals/<int:year>")
@login_required
def actuals_page(org_id: int, year: int):
    return _actuals_page(org_id, _year_or_404(year))


@bp.route("/laos/<int:org_id>/actuals/<int:year>", methods=["POST"])
@login_required
def save_actuals(org_id: int, year: int):
    org = _lao_or_404(org_id)
    year = _year_or_404(year)
    if not actuals.may_enter(current_user, org):
        abort(403)
    form = actuals_form_class()()
    if not form.validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return _actuals_page(org.id, year, form=form, status=400)
    values = {name: form[name].data for _kind, _category, name in actuals.fields()}
    try:
        or_abort(actuals.save_actuals, current_user, org.id, year, values, form.note.data)
    except actuals.InvalidActuals as exc:
        errors = {}
        for name, _why in exc.details.get("errors", {}).items():
            if name == "note":
                errors[name] = _("At most %(num)s characters.", num=actuals.NOTE_LIMIT)
            else:
                errors[name] = _(
                    "Enter an amount in baht of zero or more, with at most 2 decimal places "
                    "(for example 1,250,000.50)."
                )
        flash(messages.message_for(exc), "error")
        return _actuals_page(org.id, year, form=form, errors=errors, status=422)
    except actuals.YearNotEnded as exc:
        flash(messages.message_for(exc, year=year), "error")
        return _actuals_page(org.id, year, form=form, status=422)
    except StaleState as exc:
        flash(messages.message_for(exc, "actuals"), "warning")
        return redirect(url_for(".actuals_page", org_id=org.id, year=year), code=303)
    flash(_("The actual income and expenditure were saved."), "success")
    return redirect(url_for(".actuals_page", org_id=org.id, year=year), code=303)


# -- the evaluation report -------------------------------------------------------------------------
def _step_forms(report, steps):
    return {
        step.trigger: FireForm.for_step(step.data_fields)(
            formdata=None, trigger=step.trigger, expected_version=report.version
        )
        for step in steps
        if step.allowed
    }


def _report_page(report_id: int, text_form=None, status: int = 200):
    report = or_abort(service.get_report, current_user, report_id)
    locale = locale_code()
    steps = engine.next_steps(report, current_user, locale)
    drafting = report.status == "drafting"
    may_draft = service.may_draft(current_user, report.organisation)
    if text_form is None and drafting and may_draft:
        text_form = ReportTextForm(
            formdata=None,
            method=report.method,
            findings=report.findings,
            recommendations=report.recommendations,
        )
    figures = service.report_figures(report)
    tables = [(key, DIMENSION_TITLES[key], figures.table(key)) for key in figures.shown_tables()]
    return render_template(
        "results/report.html",
        report=report,
        instance=report,
        definition=engine.definition_of(report),
        locale=locale,
        steps=steps,
        forms=_step_forms(report, steps),
        figures=figures,
        tables=tables,
        frozen=not drafting and report.figures is not None,
        text_form=text_form if drafting and may_draft else None,
        text_labels=TEXT_LABELS,
        deadlines=service.deadlines(report),
        round_label=evaluation_round_label(report.round, locale, service.rules_of(report)),
        period=(figures.period_from, figures.period_to),
        computed_on=figures.computed_on,
    ), status


@bp.route("/reports/<int:report_id>")
@login_required
def report(report_id: int):
    return _report_page(report_id)


@bp.route("/reports/<int:report_id>/text", methods=["POST"])
@login_required
def update_text(report_id: int):
    report = or_abort(service.get_report, current_user, report_id)
    if not service.may_draft(current_user, report.organisation):
        abort(403)
    back = url_for(".report", report_id=report_id)
    form = ReportTextForm()
    if not form.validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    try:
        or_abort(
            service.update_text,
            current_user,
            report_id,
            form.method.data,
            form.findings.data,
            form.recommendations.data,
        )
    except DomainError as exc:
        if messages.specific(exc):
            flash(messages.message_for(exc), "error")
            return redirect(back, code=303)
        field = exc.details.get("field")
        if field in TEXT_LABELS:
            form[field].errors = [
                *form[field].errors,
                _("At most %(num)s characters.", num=service.TEXT_LIMIT),
            ]
        flash(messages.message_for_code("invalid_input", "form"), "error")
        return _report_page(report_id, text_form=form, status=422)
    flash(_("The report's text was saved."), "success")
    return redirect(back, code=303)

"""Plan pages: create a plan, draft its projects, read ผ.01 and the ผ.02 lists of any version.

Views parse input, call one service and map domain errors to a status or a flash; they never commit.
Another LAO's plan is 404 on every page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eplan_flow import messages
from eplan_flow.catalogue_links import link_groups
from eplan_flow.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
)
from eplan_flow.glossary import P01_PART_LABELS
from eplan_flow.i18n import locale_code
from eplan_flow.models import PLAN_YEARS, Plan
from eplan_flow.plans import bp
from eplan_flow.plans.forms import (
    EQUIPMENT_FIELDS,
    SOURCE_LABELS,
    DeleteForm,
    NewPlanForm,
    fill_project_choices,
    project_form_class,
)
from eplan_flow.services.delivery import execution
from eplan_flow.services.planning import plans, projects, reports, revisions
from eplan_flow.services.platform import engine
from eplan_flow.services.workspace import plan_page
from eplan_flow.web import asked_version_or_404


@bp.app_template_filter("baht")
def baht(value) -> str:
    """Baht with satang and thousands separators: 1,234,567.00 (exact: never through float)."""
    return f"{Decimal(value or 0):,.2f}"


def _plan_or_404(plan_id: int) -> Plan:
    try:
        return plans.get_plan(current_user, plan_id)
    except NotFound:
        abort(404)


def _years(plan: Plan) -> list[int]:
    return list(range(plan.period_start_be, plan.period_start_be + PLAN_YEARS))


def _version_picker(plan: Plan) -> dict:
    """The plan's versions and the titles of those a revision or review made (the version picker)."""
    versions = plans.versions_of(plan.id)
    return {"versions": versions, "version_titles": revisions.version_titles(plan.id, versions)}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_plan():
    form = NewPlanForm()
    laos = plans.laos_for_new_plan(current_user)
    if not laos:
        abort(403)
    form.organisation_id.choices = [(str(org.id), org.display_name) for org in laos]
    if form.validate_on_submit():
        try:
            organisation_id = int(form.organisation_id.data or 0)
        except ValueError:
            organisation_id = 0
        try:
            plan = plans.create_plan(
                current_user, organisation_id, form.period_start_be.data, form.title.data
            )
        except InvalidInput as error:
            field = error.details.get("field")
            getattr(form, field if field is not None and field in form else "period_start_be").errors.append(
                messages.message_for(error, "field")
            )
        except (NotFound, PermissionDenied):
            form.organisation_id.errors.append(_("You cannot create a plan for this organisation."))
        else:
            flash(
                _("The plan was created. Add its projects, then submit it to the development committee."),
                "success",
            )
            return redirect(url_for(".overview", plan_id=plan.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("plans/new.html", form=form), status


@bp.route("/<int:plan_id>")
@login_required
def overview(plan_id: int):
    plan = _plan_or_404(plan_id)
    version = asked_version_or_404(plan)
    # The table shows number, name, form and budget: only those are read.
    records = projects.table_at(plan.id, version)
    return render_template(
        "plans/overview.html",
        plan=plan,
        version=version,
        **_version_picker(plan),
        records=records,
        years=_years(plan),
        can_draft=plans.can_draft(current_user, plan),
        # Translated once here: the table names a source on every row.
        sources={source: str(label) for source, label in SOURCE_LABELS.items()},
        definition=engine.definition_of(plan),
        delete_form=DeleteForm(),
        work=plan_page.plan_work(current_user, plan, locale_code()),
    )


def _form_choices(form, plan: Plan) -> None:
    fill_project_choices(form, projects.project_choices(plan))


def _form_field(form, plan: Plan, field: str | None) -> str | None:
    """The form field a service error names (budget_3 → budget_<its B.E. year>)."""
    if field and field.startswith("budget_") and field.removeprefix("budget_").isdigit():
        index = int(field.removeprefix("budget_"))
        if 1 <= index <= PLAN_YEARS:
            field = f"budget_{plan.period_start_be + index - 1}"
    return field if field and field in form else None


def _project_form_page(plan: Plan, form, record=None, errors=(), status: int = 200):
    source = form.source.data or "own"
    return render_template(
        "plans/project_form.html",
        plan=plan,
        form=form,
        record=record,
        errors=errors,
        show_equipment=source == "equipment",
        equipment_fields=EQUIPMENT_FIELDS,
        link_groups=link_groups(getattr(form, "link_items", ()), form.links.data or ()),
    ), status


def _drafting_or_refuse(plan: Plan):
    """None if the actor may draft this plan now; else the response refusing it."""
    if plans.can_draft(current_user, plan):
        return None
    if plans.is_drafting(plan) or not plans.holds_drafting_role(current_user, plan):
        abort(403)
    flash(_("This plan has left drafting: its projects change only through a revision."), "warning")
    return redirect(url_for(".overview", plan_id=plan.id), code=303)


def _save_project(plan: Plan, form, record=None):
    """Validate and write through the service; on refusal show the form again with the field's error."""
    try:
        if record is None:
            saved = plans.add_project(current_user, plan.id, form.project_values())
        else:
            saved = plans.update_project(current_user, plan.id, record.project_no, form.project_values())
    except InvalidInput as error:
        field = _form_field(form, plan, error.details.get("field"))
        if field:
            form[field].errors = [*form[field].errors, messages.message_for(error, "field")]
            return _project_form_page(plan, form, record, status=422)
        labels = {f.name: f.label.text for f in form}
        error_text = messages.message_for(error, "project", labels=labels)
        return _project_form_page(plan, form, record, errors=[error_text], status=422)
    except (TransitionNotAllowed, PermissionDenied):
        return _drafting_or_refuse(plan) or abort(403)
    except NotFound:
        abort(404)
    flash(_("Project %(no)s saved.", no=saved.project_no), "success")
    return redirect(url_for(".project", plan_id=plan.id, project_no=saved.project_no), code=303)


@bp.route("/<int:plan_id>/projects/new", methods=["GET", "POST"])
@login_required
def new_project(plan_id: int):
    plan = _plan_or_404(plan_id)
    refused = _drafting_or_refuse(plan)
    if refused:
        return refused
    form = project_form_class(plan.period_start_be)()
    _form_choices(form, plan)
    if request.method == "GET" and request.args.get("source") in SOURCE_LABELS:
        form.source.data = request.args["source"]
    if form.validate_on_submit():
        return _save_project(plan, form)
    return _project_form_page(plan, form, status=422 if request.method == "POST" else 200)


def _current_record_or_404(plan: Plan, project_no: int):
    record = next((r for r in projects.current_records(plan.id) if r.project_no == project_no), None)
    if record is None:
        abort(404)
    return record


@bp.route("/<int:plan_id>/projects/<int:project_no>/edit", methods=["GET", "POST"])
@login_required
def edit_project(plan_id: int, project_no: int):
    plan = _plan_or_404(plan_id)
    refused = _drafting_or_refuse(plan)
    if refused:
        return refused
    record = _current_record_or_404(plan, project_no)
    form_class = project_form_class(plan.period_start_be)
    if request.method == "GET":
        values = projects.record_values(record)
        data: dict[str, Any] = {
            k: ("" if v is None else str(v))
            for k, v in values.items()
            if k != "links" and not k.startswith("budget_")
        }
        data["links"] = [str(i) for i in values["links"]]
        for index, year in enumerate(_years(plan), start=1):
            data[f"budget_{year}"] = values[f"budget_{index}"]
        form = form_class(data=data)
    else:
        form = form_class()
    _form_choices(form, plan)
    if form.validate_on_submit():
        return _save_project(plan, form, record)
    return _project_form_page(plan, form, record, status=422 if request.method == "POST" else 200)


@bp.route("/<int:plan_id>/projects/<int:project_no>/delete", methods=["POST"])
@login_required
def delete_project(plan_id: int, project_no: int):
    plan = _plan_or_404(plan_id)
    refused = _drafting_or_refuse(plan)
    if refused:
        return refused
    if not DeleteForm().validate_on_submit():
        abort(400)
    try:
        plans.delete_project(current_user, plan.id, project_no)
    except NotFound:
        abort(404)
    flash(_("Project %(no)s deleted.", no=project_no), "success")
    return redirect(url_for(".overview", plan_id=plan.id), code=303)


@bp.route("/<int:plan_id>/projects/<int:project_no>")
@login_required
def project(plan_id: int, project_no: int):
    plan = _plan_or_404(plan_id)
    history = reports.project_history(plan, project_no)
    if not history:
        abort(404)
    return render_template(
        "plans/project.html",
        plan=plan,
        history=history,
        latest=history[-1].record,
        years=_years(plan),
        sources=SOURCE_LABELS,
        can_draft=plans.can_draft(current_user, plan),
        delete_form=DeleteForm(),
        executions=execution.executions_of_project(plan, project_no),
        budget_details=execution.budget_details,
        definition_of=engine.definition_of,
    )


@bp.route("/<int:plan_id>/p01")
@login_required
def p01(plan_id: int):
    plan = _plan_or_404(plan_id)
    version = asked_version_or_404(plan)
    return render_template(
        "plans/p01.html",
        plan=plan,
        version=version,
        **_version_picker(plan),
        years=_years(plan),
        summary=reports.p01_of(plan, version),
        part_labels=P01_PART_LABELS,
    )


@bp.route("/<int:plan_id>/p02")
@login_required
def p02(plan_id: int):
    plan = _plan_or_404(plan_id)
    version = asked_version_or_404(plan)
    source = request.args.get("source", "own")
    if source not in reports.P02_FORMS:
        abort(404)
    return render_template(
        "plans/p02.html",
        plan=plan,
        version=version,
        **_version_picker(plan),
        years=_years(plan),
        source=source,
        form_code=reports.P02_FORMS[source],
        sources=SOURCE_LABELS,
        groups=reports.p02_of(plan, version, source),
    )

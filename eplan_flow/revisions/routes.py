"""Revision pages: a plan's revisions, one draft with its items, and the old/new comparison.

Views parse input, call one service and map domain errors to a form error, a flash or a status;
they never commit.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from eplan_flow import messages
from eplan_flow.catalogue_links import link_groups
from eplan_flow.errors import DomainError, InvalidInput
from eplan_flow.glossary import REVISION_KIND_NAMES, REVISION_KINDS
from eplan_flow.i18n import locale_code
from eplan_flow.models.project import PROJECT_SOURCES
from eplan_flow.revisions import bp
from eplan_flow.revisions.forms import (
    FIELD_LABELS,
    PROJECT_SOURCE_LABELS,
    OpenRevisionForm,
    ReasonsForm,
    RemoveItemForm,
    item_form_class,
    item_values,
)
from eplan_flow.services.planning import revisions
from eplan_flow.services.planning.projects import (
    BUDGET_FIELDS,
    VALUE_FIELDS,
    current_records,
    project_choices,
)
from eplan_flow.services.platform import engine
from eplan_flow.web import or_abort


def _fields_of(kind: str, revision) -> tuple[str, ...]:
    if kind == "correction":
        return tuple(revisions.rules_of(revision)["correction_fields"])
    return VALUE_FIELDS


def _item_forms(revision, plan, failed=None) -> dict:
    """The three item forms with the plan's choices; ``failed`` is a submitted one shown again."""
    offered = project_choices(plan)
    tactics = sorted(
        (t for s in offered.strategies for t in s.tactics), key=lambda t: (t.strategy_id, t.number)
    )
    projects = current_records(plan.id)
    pairs: dict[str, list[tuple[object, str]]] = {
        "strategy_id": [(s.id, str(s)) for s in offered.strategies],
        "tactic_id": [(t.id, str(t)) for t in tactics],
        "programme_id": [(c.id, c.name_th) for c in offered.programmes],
        "source": [(k, PROJECT_SOURCE_LABELS[k]) for k in PROJECT_SOURCES],
        "links": [(c.id, str(c)) for c in offered.links],
        "project_no": [(p.project_no, f"{p.project_no}. {p.name}") for p in projects],
    }
    choices = {
        name: ([] if name in ("source", "links") else [SelectChoice("", "—")])
        + [SelectChoice(str(value), label) for value, label in options]
        for name, options in pairs.items()
    }
    forms = {}
    for kind in REVISION_KINDS:
        if failed is not None and failed.kind == kind:
            form = failed
        else:
            form = item_form_class(kind, _fields_of(kind, revision))(formdata=None, prefix=kind)
        for name, options in choices.items():
            if name in form:
                form[name].choices = options
        if "links" in form:
            # Rendered as checkbox groups; the service checks the ids it receives.
            form.link_groups = link_groups(offered.links, form["links"].data or ())
        for i, name in enumerate(BUDGET_FIELDS):
            if name in form:
                form[name].label.text = _("Budget %(year)s (baht)", year=plan.period_start_be + i)
        forms[kind] = form
    return forms


def _render_revision(revision, failed=None, reasons_form=None, status: int = 200):
    plan = revision.plan
    definition = engine.definition_of(revision)
    editable = revision.status == "drafting" and revisions.may_edit(current_user, revision.organisation)
    return render_template(
        "revisions/revision.html",
        revision=revision,
        plan=plan,
        definition=definition,
        locale=locale_code(),
        editable=editable,
        forms=_item_forms(revision, plan, failed) if editable else {},
        reasons_form=reasons_form
        or ReasonsForm(formdata=None, reasons=revision.reasons, necessity=revision.necessity),
        remove_form=RemoveItemForm(formdata=None),
        kind_names=REVISION_KIND_NAMES,
        field_labels=FIELD_LABELS,
        item_values=revisions.described_items(revision),
        source_labels=PROJECT_SOURCE_LABELS,
    ), status


@bp.route("/plans/<int:plan_id>")
@login_required
def plan_revisions(plan_id: int):
    plan, rows = or_abort(revisions.plan_revisions, current_user, plan_id)
    definition_of = engine.definition_of
    return render_template(
        "revisions/list.html",
        plan=plan,
        revisions=rows,
        definition_of=definition_of,
        locale=locale_code(),
        form=OpenRevisionForm(formdata=None),
        may_open=plan.current_version >= 1 and revisions.may_edit(current_user, plan.organisation),
    )


@bp.route("/plans/<int:plan_id>/open", methods=["POST"])
@login_required
def open_revision(plan_id: int):
    form = OpenRevisionForm()
    back = url_for(".plan_revisions", plan_id=plan_id)
    if not form.validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    try:
        revision = or_abort(
            revisions.open_revision,
            current_user,
            plan_id,
            route=form.route.data,
            reasons=form.reasons.data,
            necessity=form.necessity.data,
        )
    except (revisions.PlanNotAnnounced, InvalidInput) as error:
        flash(messages.message_for(error, "revision"), "error")
        return redirect(back, code=303)
    flash(_("A draft revision was opened."), "success")
    return redirect(url_for(".revision", revision_id=revision.id), code=303)


@bp.route("/<int:revision_id>")
@login_required
def revision(revision_id: int):
    return _render_revision(or_abort(revisions.get_revision, current_user, revision_id))


def _flash_refusal(error: DomainError) -> None:
    flash(messages.message_for(error, "revision"), "error")


@bp.route("/<int:revision_id>/reasons", methods=["POST"])
@login_required
def set_reasons(revision_id: int):
    form = ReasonsForm()
    back = url_for(".revision", revision_id=revision_id)
    if not form.validate_on_submit():
        revision = or_abort(revisions.get_revision, current_user, revision_id)
        return _render_revision(revision, reasons_form=form, status=422)
    try:
        or_abort(revisions.set_reasons, current_user, revision_id, form.reasons.data, form.necessity.data)
    except DomainError as error:
        _flash_refusal(error)
        return redirect(back, code=303)
    flash(_("The reasons were saved."), "success")
    return redirect(back, code=303)


@bp.route("/<int:revision_id>/items/<kind>", methods=["POST"])
@login_required
def add_item(revision_id: int, kind: str):
    if kind not in REVISION_KINDS:
        abort(404)
    revision = or_abort(revisions.get_revision, current_user, revision_id)
    form = item_form_class(kind, _fields_of(kind, revision))(prefix=kind)
    back = url_for(".revision", revision_id=revision_id)
    if not form.validate_on_submit():
        return _render_revision(revision, failed=form, status=422)
    values = item_values(form, kind)
    try:
        if kind == "addition":
            or_abort(revisions.add_addition, current_user, revision_id, values, form.reason.data)
        elif kind == "change":
            or_abort(
                revisions.add_change,
                current_user,
                revision_id,
                form.project_no.data,
                values,
                form.reason.data,
            )
        else:
            or_abort(
                revisions.add_correction,
                current_user,
                revision_id,
                form.project_no.data,
                values,
                form.reason.data,
            )
    except InvalidInput as error:
        revision = or_abort(revisions.get_revision, current_user, revision_id)
        name = error.details.get("field")
        fallback = "project_no" if "project_no" in form else "reason"
        target = form[name if name in form else fallback]
        message = _("Check this field.")
        if name == "reason":
            message = _("Give the reason for this item.")
        elif name in ("values",):
            message = _("Fill in at least one new value.")
        elif name == "project_no":
            message = _("Choose a project of the plan that is not already in this revision.")
        elif name not in form and name in FIELD_LABELS:
            message = _(
                "A correction may not change %(field)s; use a change (เปลี่ยนแปลง) instead.",
                field=FIELD_LABELS[name],
            )
        target.errors = [*target.errors, message]
        return _render_revision(revision, failed=form, status=422)
    except DomainError as error:
        _flash_refusal(error)
        return redirect(back, code=303)
    flash(_("The item was added."), "success")
    return redirect(back, code=303)


@bp.route("/<int:revision_id>/items/<int:item_id>/remove", methods=["POST"])
@login_required
def remove_item(revision_id: int, item_id: int):
    form = RemoveItemForm()
    back = url_for(".revision", revision_id=revision_id)
    if not form.validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    try:
        or_abort(revisions.remove_item, current_user, revision_id, item_id)
    except DomainError as error:
        _flash_refusal(error)
        return redirect(back, code=303)
    flash(_("The item was removed."), "success")
    return redirect(back, code=303)


@bp.route("/<int:revision_id>/compare")
@login_required
def compare(revision_id: int):
    revision, compared = or_abort(revisions.comparison, current_user, revision_id)
    return render_template(
        "revisions/compare.html",
        revision=revision,
        plan=revision.plan,
        compared=compared,
        kind_names=REVISION_KIND_NAMES,
        field_labels=FIELD_LABELS,
        source_labels=PROJECT_SOURCE_LABELS,
    )


@bp.route("/plans/<int:plan_id>/projects/<int:project_no>")
@login_required
def project_history(plan_id: int, project_no: int):
    plan, history = or_abort(revisions.project_history, current_user, plan_id, project_no)
    return render_template("revisions/history.html", plan=plan, project_no=project_no, history=history)

"""Revision pages: a plan's revisions, one draft with its items, and the old/new comparison.

Views parse input, call one service and map domain errors to a form error, a flash or a status;
they never commit.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from eplan_flow import messages, text
from eplan_flow.catalogue_links import link_groups
from eplan_flow.errors import DomainError, InvalidInput
from eplan_flow.glossary import PROJECT_SOURCE_LABELS, REVISION_KIND_NAMES, REVISION_KINDS
from eplan_flow.i18n import locale_code
from eplan_flow.models.project import PROJECT_SOURCES
from eplan_flow.revisions import bp
from eplan_flow.revisions.forms import (
    FIELD_LABELS,
    NextNumberForm,
    NumberingForm,
    OpenRevisionForm,
    PolicyBasisForm,
    ReasonsForm,
    RemoveItemForm,
    item_form_class,
    item_values,
)
from eplan_flow.services.planning import revision_numbering, revisions
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


def _policy_choices(rules: dict) -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [
        SelectChoice(key, label) for key, label in (rules.get("policy_bases") or {}).items()
    ]


def _policy_form(revision, form=None):
    """The clause 22/2 basis form of a policy-route draft whose rules record one, else None."""
    rules = revisions.rules_of(revision)
    if revision.route != "policy" or not rules.get("policy_bases"):
        return None
    form = form or PolicyBasisForm(
        formdata=None,
        policy_basis=revision.policy_basis or "",
        policy_letter_no=revision.policy_letter_no,
        policy_letter_date=revision.policy_letter_date,
    )
    form.policy_basis.choices = _policy_choices(rules)
    return form


def _render_revision(revision, failed=None, reasons_form=None, status: int = 200, policy_form=None):
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
        policy_form=_policy_form(revision, policy_form) if editable else None,
        policy_basis_label=revisions.policy_basis_label(revision),
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
        form=_open_form(OpenRevisionForm(formdata=None)),
        may_set_numbering=revision_numbering.may_set(current_user, plan.organisation),
        may_open=plan.current_version >= 1 and revisions.may_edit(current_user, plan.organisation),
    )


def _open_form(form):
    form.policy_basis.choices = _policy_choices(revisions.new_revision_rules())
    return form


@bp.route("/plans/<int:plan_id>/open", methods=["POST"])
@login_required
def open_revision(plan_id: int):
    form = _open_form(OpenRevisionForm())
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
            policy_basis=form.policy_basis.data or None,
            policy_letter_no=form.policy_letter_no.data,
            policy_letter_date=form.policy_letter_date.data,
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


@bp.route("/<int:revision_id>/policy-basis", methods=["POST"])
@login_required
def set_policy_basis(revision_id: int):
    form = PolicyBasisForm()
    back = url_for(".revision", revision_id=revision_id)
    revision = or_abort(revisions.get_revision, current_user, revision_id)
    if _policy_form(revision, form) is None:
        # Not a policy-route draft: the service says why, or that this person may not edit it.
        try:
            or_abort(revisions.set_policy_basis, current_user, revision_id)
        except DomainError as error:
            _flash_refusal(error)
        return redirect(back, code=303)
    if not form.validate_on_submit():
        return _render_revision(revision, policy_form=form, status=422)
    try:
        or_abort(
            revisions.set_policy_basis,
            current_user,
            revision_id,
            form.policy_basis.data or None,
            form.policy_letter_no.data,
            form.policy_letter_date.data,
        )
    except DomainError as error:
        _flash_refusal(error)
        return redirect(back, code=303)
    flash(_("The basis was saved."), "success")
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
                fact=form.fact.data,
            )
    except InvalidInput as error:
        revision = or_abort(revisions.get_revision, current_user, revision_id)
        name = error.details.get("field")
        fallback = "project_no" if "project_no" in form else "reason"
        target = form[name if name in form else fallback]
        message = _("Check this field.")
        if name == "reason":
            message = _("Give the reason for this item.")
        elif name == "fact":
            message = _("State the fact being corrected (ข้อเท็จจริงคือ …).")
        elif error.code == revisions.RevisionYearClosed.code:
            message = messages.message_for(error, "revision")
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
        policy_basis_label=revisions.policy_basis_label(revision),
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


# -- numbering settings -------------------------------------------------------------------------------
YEAR_BASIS_LABELS = {
    "fiscal": _l("Fiscal year (เพิ่มเติม ฉบับที่ 3 ประจำปีงบประมาณ 2567)"),
    "calendar": _l("Calendar year (เพิ่มเติม ครั้งที่ 2/2568)"),
}
COUNTER_SCOPE_LABELS = {
    "bundle": _l("One counter per bundle (เพิ่มเติมและเปลี่ยนแปลง ครั้งที่ 1/2568)"),
    "kind": _l("One counter per kind inside a bundle (เปลี่ยนแปลง ฉบับที่ 1/2565 และเพิ่มเติม ฉบับที่ 2/2565)"),
}


def _numbering_forms(settings_form=None, next_form=None):
    rules = revisions.new_revision_rules()["numbering"]
    labels = {"year_basis": YEAR_BASIS_LABELS, "counter_scope": COUNTER_SCOPE_LABELS, "number_word": {}}
    options = {"year_basis": "year_bases", "counter_scope": "counter_scopes", "number_word": "number_words"}
    settings_form = settings_form or NumberingForm(formdata=None)
    for name, key in options.items():
        default = labels[name].get(rules[name], rules[name])
        settings_form[name].choices = [SelectChoice("", _("National default: %(value)s", value=default))] + [
            SelectChoice(value, labels[name].get(value, value)) for value in rules[key]
        ]
    next_form = next_form or NextNumberForm(formdata=None)
    next_form.year_basis.choices = [SelectChoice(v, YEAR_BASIS_LABELS[v]) for v in rules["year_bases"]]
    next_form.counter.choices = [SelectChoice(c, c) for c in revision_numbering.counter_names()]
    return settings_form, next_form


def _render_numbering(plan, settings_form=None, next_form=None, status: int = 200):
    numbering, own = revision_numbering.settings_of(plan.organisation_id)
    if settings_form is None and own is not None:
        settings_form = NumberingForm(
            formdata=None,
            year_basis=own.year_basis or "",
            counter_scope=own.counter_scope or "",
            number_word=own.number_word or "",
        )
    settings_form, next_form = _numbering_forms(settings_form, next_form)
    return render_template(
        "revisions/numbering.html",
        plan=plan,
        numbering=numbering,
        example=revision_numbering.example_title(numbering),
        next_numbers=revision_numbering.next_numbers_shown(numbering),
        counters=revision_numbering.counters_in_use(plan.organisation_id),
        year_basis_labels=YEAR_BASIS_LABELS,
        counter_scope_labels=COUNTER_SCOPE_LABELS,
        editable=revision_numbering.may_set(current_user, plan.organisation),
        settings_form=settings_form,
        next_form=next_form,
    ), status


def _numbering_plan(plan_id: int):
    plan, _rows = or_abort(revisions.plan_revisions, current_user, plan_id)
    return plan


@bp.route("/plans/<int:plan_id>/numbering")
@login_required
def numbering(plan_id: int):
    return _render_numbering(_numbering_plan(plan_id))


@bp.route("/plans/<int:plan_id>/numbering", methods=["POST"])
@login_required
def save_numbering(plan_id: int):
    plan = _numbering_plan(plan_id)
    if not revision_numbering.may_set(current_user, plan.organisation):
        abort(403)
    form, _next = _numbering_forms(NumberingForm())
    back = url_for(".numbering", plan_id=plan_id)
    if not form.validate_on_submit():
        return _render_numbering(plan, settings_form=form, status=422)
    try:
        or_abort(
            revision_numbering.save_settings,
            current_user,
            plan.organisation_id,
            form.year_basis.data,
            form.counter_scope.data,
            form.number_word.data,
        )
    except DomainError as error:
        _flash_refusal(error)
        return redirect(back, code=303)
    flash(_("The numbering settings were saved."), "success")
    return redirect(back, code=303)


@bp.route("/plans/<int:plan_id>/numbering/next", methods=["POST"])
@login_required
def set_next_number(plan_id: int):
    plan = _numbering_plan(plan_id)
    if not revision_numbering.may_set(current_user, plan.organisation):
        abort(403)
    _settings, form = _numbering_forms(None, NextNumberForm())
    back = url_for(".numbering", plan_id=plan_id)
    if not form.validate_on_submit():
        return _render_numbering(plan, next_form=form, status=422)
    try:
        or_abort(
            revision_numbering.set_next_number,
            current_user,
            plan.organisation_id,
            form.year_basis.data,
            text.parse_int(form.year_be.data, field="year_be"),
            form.counter.data,
            text.parse_int(form.next_number.data, field="next_number"),
        )
    except InvalidInput as error:
        name = error.details.get("field")
        target = form[name] if name in ("year_basis", "year_be", "counter") else form.next_number
        target.errors = [*target.errors, messages.message_for(error, "revision")]
        return _render_numbering(plan, next_form=form, status=422)
    except DomainError as error:
        _flash_refusal(error)
        return redirect(back, code=303)
    flash(_("The next number was saved."), "success")
    return redirect(back, code=303)

"""Review pages (ทบทวน): a plan's reviews, one review with its changes, and the civic forum's
meeting form shared by plans, reviews and revisions.

Views parse input, call one service and map domain errors to a flash; they never commit.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from eplan_flow import messages
from eplan_flow.catalogue_links import link_groups
from eplan_flow.errors import DomainError, InvalidInput
from eplan_flow.form_input import ThaiDateField, tidy_line, tidy_lines
from eplan_flow.i18n import locale_code
from eplan_flow.models import PLAN_YEARS
from eplan_flow.plans import bp
from eplan_flow.plans.forms import (
    EQUIPMENT_FIELDS,
    SOURCE_LABELS,
    ReviewLinkageForm,
    fill_project_choices,
    review_project_form_class,
)
from eplan_flow.services.planning import civic_forum, reviews, revisions, strategies
from eplan_flow.services.planning.projects import BUDGET_FIELDS, current_records, project_choices
from eplan_flow.services.planning.revisions import COMPARED_FIELDS
from eplan_flow.services.platform import engine
from eplan_flow.web import or_abort

TEXT_MAX = 5000
# The project fields the review page's change form offers (the service takes any project field).
CHANGE_FIELDS = ("name", "target", *BUDGET_FIELDS)


class CivicForumForm(FlaskForm):
    meeting_date = ThaiDateField(_l("Meeting date"))
    place = StringField(_l("Place"), filters=[tidy_line])
    attendees = StringField(_l("Number of attendees"), filters=[tidy_line])
    resolution = TextAreaField(_l("Resolution"), filters=[tidy_lines])


class OpenReviewForm(FlaskForm):
    reasons = TextAreaField(_l("Reasons for the review"), filters=[tidy_lines])


class StrategyItemForm(FlaskForm):
    # The service checks the choice belongs to the plan.
    strategy_id = SelectField(_l("Strategy"), validators=[Optional()], validate_choice=False)
    number = StringField(_l("Number"), filters=[tidy_line])
    name = StringField(_l("Name"), filters=[tidy_line])
    tactics = TextAreaField(_l("Tactics, one a line: number and name"), filters=[tidy_lines])
    links = SelectMultipleField(_l("Links to national and provincial strategies"), validate_choice=False)
    # Present when the page showed the link checkboxes: then no box ticked means no links (a post
    # without it keeps the strategy's links).
    links_shown = HiddenField()
    reason = TextAreaField(_l("Reason"), filters=[tidy_lines])


class ChangeItemForm(FlaskForm):
    project_no = SelectField(_l("Project"), validate_choice=False)
    name = StringField(_l("Project name"), filters=[tidy_line])
    target = TextAreaField(_l("Target (output)"), filters=[tidy_lines])
    budget_1 = StringField(filters=[tidy_line])
    budget_2 = StringField(filters=[tidy_line])
    budget_3 = StringField(filters=[tidy_line])
    budget_4 = StringField(filters=[tidy_line])
    budget_5 = StringField(filters=[tidy_line])
    reason = TextAreaField(_l("Reason"), filters=[tidy_lines])


class RemoveForm(FlaskForm):
    pass


def _forum_form(meeting) -> CivicForumForm:
    if meeting is None:
        return CivicForumForm(formdata=None)
    return CivicForumForm(
        formdata=None,
        meeting_date=meeting.meeting_date,
        place=meeting.place,
        attendees=str(meeting.attendees),
        resolution=meeting.resolution,
    )


# A refused meeting comes back to its item's page with what was typed and why (the form posts to
# one route for plans, reviews and revisions, which redirects to the item's own page).
_FORUM_REFUSED = "civic_forum_refused"
_FORUM_FIELDS = ("meeting_date", "place", "attendees", "resolution")


def _refused_forum_form(instance) -> CivicForumForm | None:
    refused = session.get(_FORUM_REFUSED)
    if not refused or refused.get("subject") != f"{instance.WORKFLOW}:{instance.id}":
        return None
    session.pop(_FORUM_REFUSED)
    form = CivicForumForm(formdata=MultiDict(refused["values"]))
    for name, errors in refused["errors"].items():
        form[name].errors = list(errors)
    return form


@bp.app_template_global()
def civic_forum_of(instance):
    """The civic forum's meeting of a plan, review or revision, whether the rules need one, and the
    form to record it (for templates: ``{% set forum = civic_forum_of(item) %}``)."""
    meeting = civic_forum.meeting_of(instance)
    return {
        "needed": civic_forum.needs_civic_forum(instance),
        "meeting": meeting,
        "form": _refused_forum_form(instance) or _forum_form(meeting),
        "editable": instance.status == "drafting"
        and not getattr(instance, "current_version", 0)
        and reviews.may_edit(current_user, instance.organisation),
        "action": url_for("plans.record_civic_forum", workflow=instance.WORKFLOW, instance_id=instance.id),
    }


@bp.route("/civic-forum/<workflow>/<int:instance_id>", methods=["POST"])
@login_required
def record_civic_forum(workflow: str, instance_id: int):
    if workflow not in civic_forum.SUBJECTS:
        return redirect(url_for("main.home"), code=303)
    back = {
        "plan": url_for(".overview", plan_id=instance_id),
        "review": url_for(".review", review_id=instance_id),
        "revision": url_for("revisions.revision", revision_id=instance_id),
    }[workflow]
    form = CivicForumForm()

    def refused(errors: dict[str, list[str]], message: str):
        session[_FORUM_REFUSED] = {
            "subject": f"{workflow}:{instance_id}",
            "values": {name: request.form.get(name, "")[:5000] for name in _FORUM_FIELDS},
            "errors": errors,
        }
        flash(message, "error")
        return redirect(back + "#civic-forum-heading", code=303)

    if not form.validate_on_submit():
        errors = {name: [str(e) for e in form[name].errors] for name in _FORUM_FIELDS if form[name].errors}
        first = next(iter(errors.values()), [messages.request_not_valid()])[0]
        return refused(errors, first)
    try:
        or_abort(
            civic_forum.record_meeting,
            current_user,
            workflow,
            instance_id,
            meeting_date=form.meeting_date.data,
            place=form.place.data,
            attendees=form.attendees.data,
            resolution=form.resolution.data,
        )
    except DomainError as error:
        message = messages.message_for(error, "review")
        field = (getattr(error, "details", None) or {}).get("field")
        return refused({field: [message]} if field in _FORUM_FIELDS else {}, message)
    flash(_("The civic forum's meeting was recorded."), "success")
    return redirect(back, code=303)


@bp.route("/<int:plan_id>/reviews")
@login_required
def plan_reviews(plan_id: int):
    plan, rows = or_abort(reviews.plan_reviews, current_user, plan_id)
    return render_template(
        "plans/reviews.html",
        plan=plan,
        reviews=rows,
        definition_of=engine.definition_of,
        locale=locale_code(),
        form=OpenReviewForm(formdata=None),
        may_open=reviews.may_open(current_user, plan),
    )


@bp.route("/<int:plan_id>/reviews/open", methods=["POST"])
@login_required
def open_review(plan_id: int):
    form = OpenReviewForm()
    back = url_for(".plan_reviews", plan_id=plan_id)
    if not form.validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    try:
        review = or_abort(reviews.open_review, current_user, plan_id, reasons=form.reasons.data)
    except DomainError as error:
        flash(messages.message_for(error, "review"), "error")
        return redirect(back, code=303)
    flash(_("A draft review was opened."), "success")
    return redirect(url_for(".review", review_id=review.id), code=303)


def _strategy_form(review, plan, choices, strategy_id=None) -> StrategyItemForm:
    """The strategy form, filled in with a strategy's values (as the review has them, else as they
    stand) when the page is asked for one: ``?strategy=<id>`` (no JavaScript)."""
    current = {s.id: s for s in choices.strategies}
    chosen = current.get(strategy_id) if strategy_id else None
    data: dict = {}
    if chosen is not None:
        item = next((i for i in review.items if i.kind == "strategy" and i.strategy_id == chosen.id), None)
        links = [i.id for i in chosen.links]
        values = item.values if item is not None else {"number": chosen.number, "name": chosen.name}
        tactics = {t.number: t.name for t in chosen.tactics}
        if item is not None:
            tactics.update({t["number"]: t["name"] for t in item.values.get("tactics", [])})
            links = item.values.get("links", links)
        data = {
            "strategy_id": str(chosen.id),
            "number": str(values["number"]),
            "name": values["name"],
            "tactics": "\n".join(f"{n} {name}" for n, name in sorted(tactics.items())),
            "links": [str(i) for i in links],
        }
    form = StrategyItemForm(formdata=None, data=data)
    form.strategy_id.choices = [SelectChoice("", _("New strategy"))] + [
        SelectChoice(str(s.id), str(s)) for s in choices.strategies
    ]
    form.link_groups = link_groups(choices.links, form.links.data or ())
    return form


def _change_form(plan) -> ChangeItemForm:
    form = ChangeItemForm(formdata=None)
    form.project_no.choices = _project_choices(plan)
    for i, name in enumerate(BUDGET_FIELDS):
        form[name].label.text = _("Budget %(year)s (baht)", year=plan.period_start_be + i)
    return form


def _project_choices(plan) -> list[SelectChoice]:
    return [SelectChoice(str(r.project_no), f"{r.project_no}. {r.name}") for r in current_records(plan.id)]


def _addition_form(plan, choices, form=None):
    form = form or review_project_form_class(plan.period_start_be)(formdata=None, prefix="add")
    fill_project_choices(form, choices)
    form.link_groups = link_groups(choices.links, form.links.data or ())
    return form


def _linkage_form(review, plan, choices, project_no=None, form=None) -> ReviewLinkageForm:
    """The linkage form, filled in with a project's linkage (as the review has it, else as it
    stands) when the page is asked for one: ``?project=<no>``."""
    if form is None:
        data: dict = {}
        record = next((r for r in current_records(plan.id) if r.project_no == project_no), None)
        if record is not None:
            item = next((i for i in review.items if i.kind == "change" and i.project_no == project_no), None)
            values = {
                "strategy_id": record.strategy_id,
                "tactic_id": record.tactic_id,
                "programme_id": record.programme_id,
                "links": [i.id for i in record.links],
                **{k: v for k, v in (item.values if item else {}).items() if k in ReviewLinkageForm.LINKAGE},
            }
            data = {k: ("" if v is None else str(v)) for k, v in values.items() if k != "links"}
            data["links"] = [str(i) for i in values["links"]]
            data["project_no"] = str(record.project_no)
        form = ReviewLinkageForm(formdata=None, prefix="linkage", data=data)
    form.project_no.choices = _project_choices(plan)
    fill_project_choices(form, choices)
    form.link_groups = link_groups(choices.links, form.links.data or ())
    return form


def _asked(name: str) -> int | None:
    return request.args.get(name, type=int)


def _render_review(review, *, addition=None, linkage=None, errors=(), status: int = 200):
    plan = review.plan
    editable = review.status == "drafting" and reviews.may_edit(current_user, review.organisation)
    choices = project_choices(plan) if editable else None
    return render_template(
        "plans/review.html",
        review=review,
        plan=plan,
        definition=engine.definition_of(review),
        locale=locale_code(),
        editable=editable,
        strategy_form=_strategy_form(review, plan, choices, _asked("strategy")) if editable else None,
        change_form=_change_form(plan) if editable else None,
        addition_form=_addition_form(plan, choices, addition) if editable else None,
        linkage_form=_linkage_form(review, plan, choices, _asked("project"), linkage) if editable else None,
        remove_form=RemoveForm(formdata=None),
        strategy_names={s.id: str(s) for s in strategies.strategies_of(plan)},
        item_values=revisions.described_items(review),
        clashes=reviews.strategy_number_clashes(review),
        equipment_fields=EQUIPMENT_FIELDS,
        source_labels=SOURCE_LABELS,
        errors=errors,
    ), status


@bp.route("/reviews/<int:review_id>")
@login_required
def review(review_id: int):
    return _render_review(or_abort(reviews.get_review, current_user, review_id))


def _draft_or_refuse(review_id: int):
    """The review, if the signed-in person may edit it now: before any form is read, so a reader's
    post is refused (403), and one to a review past drafting too (409); another LAO's is 404."""
    review = or_abort(reviews.get_review, current_user, review_id)
    if not reviews.may_edit(current_user, review.organisation):
        abort(403)
    if review.status != "drafting":
        abort(409)
    return review


def _tactics(raw: str | None) -> list[tuple[str, str]]:
    pairs = []
    for line in (raw or "").splitlines():
        number, _sep, name = line.strip().partition(" ")
        if number:
            pairs.append((number, name))
    return pairs


@bp.route("/reviews/<int:review_id>/strategy", methods=["POST"])
@login_required
def review_strategy(review_id: int):
    _draft_or_refuse(review_id)
    form = StrategyItemForm()
    form.strategy_id.choices = []
    back = url_for(".review", review_id=review_id)
    if not form.validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    try:
        or_abort(
            reviews.set_strategy,
            current_user,
            review_id,
            strategy_id=form.strategy_id.data or None,
            number=form.number.data,
            name=form.name.data,
            tactics=_tactics(form.tactics.data),
            links=list(form.links.data or []) if form.links_shown.data else None,
            reason=form.reason.data,
        )
    except DomainError as error:
        flash(messages.message_for(error, "review"), "error")
        return redirect(back, code=303)
    flash(_("The strategy was added to the review."), "success")
    return redirect(back, code=303)


@bp.route("/reviews/<int:review_id>/change", methods=["POST"])
@login_required
def review_change(review_id: int):
    _draft_or_refuse(review_id)
    form = ChangeItemForm()
    form.project_no.choices = []
    back = url_for(".review", review_id=review_id)
    if not form.validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    values = {name: form[name].data for name in CHANGE_FIELDS if form[name].data}
    try:
        or_abort(
            reviews.change_project,
            current_user,
            review_id,
            form.project_no.data,
            values,
            reason=form.reason.data,
        )
    except DomainError as error:
        flash(messages.message_for(error, "review"), "error")
        return redirect(back, code=303)
    flash(_("The project's change was added to the review."), "success")
    return redirect(back, code=303)


def _field_of(form, plan, name: str | None) -> str | None:
    """The form field a service error names (budget_3 → budget_<its B.E. year> on the project form)."""
    if name and name.startswith("budget_") and name.removeprefix("budget_").isdigit():
        index = int(name.removeprefix("budget_"))
        if 1 <= index <= PLAN_YEARS and hasattr(form, "budget_field_names"):
            name = f"budget_{plan.period_start_be + index - 1}"
    return name if name and name in form else None


def _refused_form(review, form, error: InvalidInput, **which):
    """Show the page again with the submitted form and what is wrong with it (422)."""
    sent = error.details.get("field")
    name = _field_of(form, review.plan, sent)
    if name:
        form[name].errors = [*form[name].errors, messages.message_for(error, "field")]
    # The sentence names the field by its label, as the service calls it (budget_2, not budget_2567).
    labels = {sent: form[name].label.text} if name and isinstance(sent, str) else {}
    errors = [messages.message_for(error, "project", labels=labels)]
    return _render_review(review, errors=errors, status=422, **which)


@bp.route("/reviews/<int:review_id>/projects", methods=["POST"])
@login_required
def review_add_project(review_id: int):
    review = _draft_or_refuse(review_id)
    plan = review.plan
    form = review_project_form_class(plan.period_start_be)(prefix="add")
    fill_project_choices(form, project_choices(plan))
    if not form.validate_on_submit():
        return _render_review(
            review, addition=form, errors=[messages.message_for_code("invalid_input", "project")], status=422
        )
    try:
        or_abort(reviews.add_project, current_user, review_id, form.project_values(), reason=form.reason.data)
    except InvalidInput as error:
        return _refused_form(review, form, error, addition=form)
    except DomainError as error:
        flash(messages.message_for(error, "review"), "error")
        return redirect(url_for(".review", review_id=review_id), code=303)
    flash(_("The new project was added to the review."), "success")
    return redirect(url_for(".review", review_id=review_id), code=303)


@bp.route("/reviews/<int:review_id>/linkage", methods=["POST"])
@login_required
def review_linkage(review_id: int):
    review = _draft_or_refuse(review_id)
    form = ReviewLinkageForm(prefix="linkage")
    if not form.validate_on_submit():
        return _render_review(
            review, linkage=form, errors=[messages.message_for_code("invalid_input", "project")], status=422
        )
    try:
        or_abort(
            reviews.change_project,
            current_user,
            review_id,
            form.project_no.data,
            form.linkage_values(),
            reason=form.reason.data,
        )
    except InvalidInput as error:
        return _refused_form(review, form, error, linkage=form)
    except DomainError as error:
        flash(messages.message_for(error, "review"), "error")
        return redirect(url_for(".review", review_id=review_id), code=303)
    flash(_("The project's linkage was added to the review."), "success")
    return redirect(url_for(".review", review_id=review_id), code=303)


@bp.route("/reviews/<int:review_id>/print")
@login_required
def review_print(review_id: int):
    document = or_abort(reviews.review_document, current_user, review_id)
    return render_template(
        "plans/review_print.html",
        document=document,
        review=document.review,
        plan=document.plan,
        source_labels=SOURCE_LABELS,
        **_print_labels(document.plan),
    )


def _print_labels(plan) -> dict:
    """The names of the fields the printed review compares, as its forms call them."""
    project = {f.name: f.label.text for f in review_project_form_class(plan.period_start_be)(formdata=None)}
    for i, name in enumerate(BUDGET_FIELDS):
        project[name] = project.pop(f"budget_{plan.period_start_be + i}")
    strategy = StrategyItemForm(formdata=None)
    return {
        "project_labels": {name: project.get(name, name) for name in COMPARED_FIELDS},
        "strategy_labels": {
            "number": strategy.number.label.text,
            "name": strategy.name.label.text,
            "tactics": _("Tactics"),
            "links": strategy.links.label.text,
        },
    }


@bp.route("/reviews/<int:review_id>/items/<int:item_id>/remove", methods=["POST"])
@login_required
def review_remove_item(review_id: int, item_id: int):
    _draft_or_refuse(review_id)
    back = url_for(".review", review_id=review_id)
    if not RemoveForm().validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    try:
        or_abort(reviews.remove_item, current_user, review_id, item_id)
    except DomainError as error:
        flash(messages.message_for(error, "review"), "error")
        return redirect(back, code=303)
    flash(_("The item was taken out of the review."), "success")
    return redirect(back, code=303)

"""Review pages (ทบทวน): a plan's reviews, one review with its changes, and the civic forum's
meeting form shared by plans, reviews and revisions.

Views parse input, call one service and map domain errors to a flash; they never commit.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from eplan_flow import messages
from eplan_flow.errors import DomainError
from eplan_flow.form_input import ThaiDateField, tidy_line, tidy_lines
from eplan_flow.i18n import locale_code
from eplan_flow.plans import bp
from eplan_flow.services.planning import civic_forum, reviews, strategies
from eplan_flow.services.planning.projects import BUDGET_FIELDS, current_records
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


@bp.app_template_global()
def civic_forum_of(instance):
    """The civic forum's meeting of a plan, review or revision, whether the rules need one, and the
    form to record it (for templates: ``{% set forum = civic_forum_of(item) %}``)."""
    meeting = civic_forum.meeting_of(instance)
    return {
        "needed": civic_forum.needs_civic_forum(instance),
        "meeting": meeting,
        "form": _forum_form(meeting),
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
    if not form.validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
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
        flash(messages.message_for(error, "review"), "error")
        return redirect(back, code=303)
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


def _strategy_form(plan) -> StrategyItemForm:
    form = StrategyItemForm(formdata=None)
    form.strategy_id.choices = [("", _("New strategy"))] + [
        (str(s.id), str(s)) for s in strategies.strategies_of(plan)
    ]
    return form


def _change_form(plan) -> ChangeItemForm:
    form = ChangeItemForm(formdata=None)
    form.project_no.choices = [
        (str(r.project_no), f"{r.project_no}. {r.name}") for r in current_records(plan.id)
    ]
    for i, name in enumerate(BUDGET_FIELDS):
        form[name].label.text = _("Budget %(year)s (baht)", year=plan.period_start_be + i)
    return form


@bp.route("/reviews/<int:review_id>")
@login_required
def review(review_id: int):
    review = or_abort(reviews.get_review, current_user, review_id)
    plan = review.plan
    editable = review.status == "drafting" and reviews.may_edit(current_user, review.organisation)
    return render_template(
        "plans/review.html",
        review=review,
        plan=plan,
        definition=engine.definition_of(review),
        locale=locale_code(),
        editable=editable,
        strategy_form=_strategy_form(plan) if editable else None,
        change_form=_change_form(plan) if editable else None,
        remove_form=RemoveForm(formdata=None),
        strategy_names={s.id: str(s) for s in strategies.strategies_of(plan)},
    )


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


@bp.route("/reviews/<int:review_id>/items/<int:item_id>/remove", methods=["POST"])
@login_required
def review_remove_item(review_id: int, item_id: int):
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

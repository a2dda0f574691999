"""What an announced plan or revision owes: copies sent and the announcement posted, with a form each."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired

from eplan_flow import messages
from eplan_flow.errors import DomainError
from eplan_flow.form_input import ThaiDateField
from eplan_flow.i18n import locale_code
from eplan_flow.main import bp
from eplan_flow.models import DUTY_KINDS, DUTY_SUBJECTS
from eplan_flow.permissions import can_edit_plan_content
from eplan_flow.services.planning import duties
from eplan_flow.web import or_abort

DONE_LABELS = {"copies": _l("Copies sent on"), "posting": _l("Posted on")}
BUTTON_LABELS = {"copies": _l("Record: copies sent"), "posting": _l("Record: announcement posted")}


class DutyForm(FlaskForm):
    """The day a duty was done (B.E., typed as pages show it; not a day to come)."""

    done_on = ThaiDateField(_l("Date"), validators=[InputRequired()])


def _page(subject: str, subject_id: int, forms: dict | None = None, status: int = 200):
    listed = or_abort(duties.duties_for, current_user, subject, subject_id, locale_code())
    row_org = listed[0].organisation if listed else None
    forms = forms or {}
    for duty in listed:
        forms.setdefault(duty.duty, DutyForm(prefix=duty.duty, formdata=None))
    may_record = row_org is not None and can_edit_plan_content(current_user, row_org)
    return (
        render_template(
            "main/announcement_duties.html",
            subject=subject,
            subject_id=subject_id,
            duties=listed,
            forms=forms,
            may_record=may_record,
            done_labels=DONE_LABELS,
            button_labels=BUTTON_LABELS,
        ),
        status,
    )


@bp.route("/announced/<subject>/<int:subject_id>")
@login_required
def announcement_duties(subject: str, subject_id: int):
    if subject not in DUTY_SUBJECTS:
        abort(404)
    return _page(subject, subject_id)


@bp.route("/announced/<subject>/<int:subject_id>/<duty>", methods=["POST"])
@login_required
def record_announcement_duty(subject: str, subject_id: int, duty: str):
    if subject not in DUTY_SUBJECTS or duty not in DUTY_KINDS:
        abort(404)
    form = DutyForm(prefix=duty)
    back = url_for(".announcement_duties", subject=subject, subject_id=subject_id)
    if not form.validate_on_submit():
        return _page(subject, subject_id, {duty: form}, status=422)
    try:
        or_abort(duties.record_duty, current_user, subject, subject_id, duty, form.done_on.data)
    except DomainError as error:
        flash(messages.message_for(error, "duty"), "error")
        return redirect(back, code=303)
    flash(_("Recorded."), "success")
    return redirect(back, code=303)

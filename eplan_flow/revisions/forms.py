"""Forms of the revision pages. They parse input only; the revision service checks the values."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from eplan_flow import text
from eplan_flow.form_input import CleanText, NumberText, ThaiDateField, thai_digits, tidy_line, tidy_lines
from eplan_flow.glossary import PROJECT_FIELD_LABELS
from eplan_flow.services.planning.projects import BUDGET_FIELDS, TEXT_FIELDS

TEXT_MAX = 5000

FIELD_LABELS = PROJECT_FIELD_LABELS
SELECT_FIELDS = ("strategy_id", "tactic_id", "programme_id", "source")
LONG_TEXT = ("objective", "target", "kpi", "expected_result")


class OpenRevisionForm(FlaskForm):
    route = SelectField(
        _l("Route"),
        choices=[
            SelectChoice("regular", _l("Regular (clauses 21, 22, 22/1)")),
            SelectChoice(
                "policy", _l("Royal project, ceremony or government policy: executive alone (clause 22/2)")
            ),
        ],
        default="regular",
    )
    reasons = TextAreaField(
        _l("Reasons"), filters=[tidy_lines], validators=[CleanText(TEXT_MAX, multiline=True)]
    )
    necessity = TextAreaField(
        _l("Necessity"), filters=[tidy_lines], validators=[CleanText(TEXT_MAX, multiline=True)]
    )
    # The policy route (clause 22/2): its basis and the letter (choices from the workflow's rules).
    policy_basis = SelectField(_l("Basis (clause 22/2)"), choices=[], validate_choice=False)
    policy_letter_no = StringField(_l("Letter number"), filters=[tidy_line], validators=[CleanText(100)])
    policy_letter_date = ThaiDateField(_l("Letter date"))


class PolicyBasisForm(FlaskForm):
    """The basis of a policy-route draft (clause 22/2) and the letter that states it."""

    policy_basis = SelectField(_l("Basis (clause 22/2)"), choices=[], validate_choice=False)
    policy_letter_no = StringField(_l("Letter number"), filters=[tidy_line], validators=[CleanText(100)])
    policy_letter_date = ThaiDateField(_l("Letter date"))


class NumberingForm(FlaskForm):
    """An LAO's numbering settings; an empty choice follows the national default."""

    year_basis = SelectField(_l("Year the numbers run in"), choices=[], validate_choice=False)
    counter_scope = SelectField(_l("Counters"), choices=[], validate_choice=False)
    number_word = SelectField(_l("Word before the number"), choices=[], validate_choice=False)


class NextNumberForm(FlaskForm):
    """The next number of one counter, for an LAO that joins e-Plan mid-period."""

    year_basis = SelectField(_l("Year the numbers run in"), choices=[], validate_choice=False)
    year_be = StringField(
        _l("Year (B.E.)"),
        filters=[thai_digits],
        validators=[DataRequired(), NumberText(whole=True, minimum=2500, maximum=2700)],
    )
    counter = SelectField(_l("Counter"), choices=[], validate_choice=False)
    next_number = StringField(
        _l("Next number"),
        filters=[thai_digits],
        validators=[DataRequired(), NumberText(whole=True, minimum=1, maximum=9999)],
    )


class ReasonsForm(FlaskForm):
    reasons = TextAreaField(
        _l("Reasons"), filters=[tidy_lines], validators=[CleanText(TEXT_MAX, multiline=True)]
    )
    necessity = TextAreaField(
        _l("Necessity"), filters=[tidy_lines], validators=[CleanText(TEXT_MAX, multiline=True)]
    )


class RemoveItemForm(FlaskForm):
    """Only the CSRF token: the item is named in the address."""


def _field(name: str, required: bool):
    label = FIELD_LABELS[name]
    checks = [DataRequired()] if required else [Optional()]
    if name == "links":
        return SelectMultipleField(
            label, choices=[], coerce=str, validate_choice=False, validators=[Optional()]
        )
    if name in SELECT_FIELDS:
        # The service checks ids against the plan; the page sets the choices only to render them.
        return SelectField(label, choices=[], coerce=str, validate_choice=False, validators=[Optional()])
    if name in BUDGET_FIELDS:
        return StringField(label, filters=[thai_digits], validators=[*checks, NumberText()])
    if name in LONG_TEXT:
        return TextAreaField(
            label, filters=[tidy_lines], validators=[CleanText(TEXT_MAX, required=required, multiline=True)]
        )
    return StringField(
        label, filters=[tidy_line], validators=[CleanText(TEXT_FIELDS.get(name) or 500, required=required)]
    )


def item_form_class(kind: str, fields) -> type[FlaskForm]:
    """The form of one item kind: an addition offers every field, a change every field to replace,
    a correction only ``fields`` (the definition's correction fields)."""
    attrs: dict = {"field_names": tuple(fields), "kind": kind}
    if kind != "addition":
        attrs["project_no"] = SelectField(
            _l("Project"), choices=[], coerce=str, validate_choice=False, validators=[DataRequired()]
        )
    for name in fields:
        attrs[name] = _field(name, required=False)
    attrs["reason"] = TextAreaField(
        _l("Reason") if kind != "correction" else _l("Note"),
        filters=[tidy_lines],
        validators=[CleanText(TEXT_MAX, multiline=True)],
    )
    if kind == "correction":
        # The fact corrected ("ข้อเท็จจริงคือ ..."): the service says whether the rules require it.
        attrs["fact"] = TextAreaField(
            _l("The fact being corrected"),
            filters=[tidy_lines],
            validators=[CleanText(TEXT_MAX, multiline=True)],
        )
    return type(f"{kind.title()}ItemForm", (FlaskForm,), attrs)


def item_values(form, kind: str) -> dict:
    """What the form sends to the service: every field for an addition, the filled ones otherwise."""
    values: dict[str, Any] = {}
    for name in form.field_names:
        data = form[name].data
        if name == "links":
            if data or kind == "addition":
                values[name] = list(data or [])
            continue
        # Text fields come tidied by their filters (this leaves them as they are); select fields have
        # no filter, so an id sent with stray spaces still counts as filled in.
        data = text.tidy(data, multiline=True) if isinstance(data, str) else data
        if data or kind == "addition":
            values[name] = data or None
    return values

"""Forms of the results pages. They carry the CSRF token and parse input only: the actuals and
evaluation services judge the values (and name the field they refuse)."""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from eplan_flow.form_input import CleanText, thai_digits, tidy_line, tidy_lines
from eplan_flow.models import EVALUATION_ROUNDS
from eplan_flow.services.delivery import actuals, evaluation

TEXT_LABELS = {
    "method": _l("Method of monitoring and evaluation"),
    "findings": _l("Findings"),
    "recommendations": _l("Opinions and recommendations"),
}


class CreateReportForm(FlaskForm):
    """Open a report for a fiscal year and round."""

    # Thai digits are read as 0-9; the evaluation service refuses any other year.
    fiscal_year_be = StringField(_l("Fiscal year (B.E.)"), filters=[thai_digits])
    # Choices are the rounds of the deadline rules, labelled in the reader's language by the view.
    round = SelectField(
        _l("Round"), choices=[SelectChoice(name, name) for name in EVALUATION_ROUNDS], default="october"
    )


class ReportTextForm(FlaskForm):
    """The committee's own text: method, findings and recommendations."""

    method = TextAreaField(
        TEXT_LABELS["method"],
        filters=[tidy_lines],
        validators=[CleanText(evaluation.TEXT_LIMIT, multiline=True)],
    )
    findings = TextAreaField(
        TEXT_LABELS["findings"],
        filters=[tidy_lines],
        validators=[CleanText(evaluation.TEXT_LIMIT, multiline=True)],
    )
    recommendations = TextAreaField(
        TEXT_LABELS["recommendations"],
        filters=[tidy_lines],
        validators=[CleanText(evaluation.TEXT_LIMIT, multiline=True)],
    )


class ActualsForm(FlaskForm):
    """One amount per category (built per classification by ``actuals_form_class``), and a note."""

    note = StringField(
        _l("Note (e.g. source: the year-end financial statements)"),
        filters=[tidy_line],
        validators=[CleanText(actuals.NOTE_LIMIT)],
    )


@cache
def actuals_form_class() -> type[ActualsForm]:
    """The actuals form of the current classification: one text input per category.

    Plain strings, so whatever was typed is shown again when the service refuses it (with the
    reason per field: the service reads amounts with the one cleaning rule, ``eplan_flow.text``).
    """
    fields = {name: StringField(name, filters=[thai_digits]) for _kind, _category, name in actuals.fields()}
    return type("CategoryActualsForm", (ActualsForm,), fields)

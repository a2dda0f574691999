"""Forms of the results pages. They carry the CSRF token and parse input only: the actuals and
evaluation services judge the values (and name the field they refuse)."""
from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from eplan_flow.models import EVALUATION_ROUNDS
from eplan_flow.services import actuals

TEXT_LABELS = {
    "method": _l("Method of monitoring and evaluation"),
    "findings": _l("Findings"),
    "recommendations": _l("Opinions and recommendations"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CreateReportForm(FlaskForm):
    """Open a report for a fiscal year and round."""

    fiscal_year_be = StringField(_l("Fiscal year (B.E.)"), filters=[_strip])
    # Choices are the rounds of the deadline rules, labelled in the reader's language by the view.
    round = SelectField(_l("Round"), choices=[SelectChoice(name, name) for name in EVALUATION_ROUNDS],
                        default="october")


class ReportTextForm(FlaskForm):
    """The committee's own text: method, findings and recommendations."""

    method = TextAreaField(TEXT_LABELS["method"])
    findings = TextAreaField(TEXT_LABELS["findings"])
    recommendations = TextAreaField(TEXT_LABELS["recommendations"])


class ActualsForm(FlaskForm):
    """One amount per category (built per classification by ``actuals_form_class``), and a note."""

    note = StringField(_l("Note (e.g. source: the year-end financial statements)"), filters=[_strip])


@cache
def actuals_form_class() -> type[ActualsForm]:
    """The actuals form of the current classification: one text input per category.

    Plain strings, so whatever was typed is shown again when the service refuses it.
    """
    fields = {
        name: StringField(name, filters=[_strip]) for _kind, _category, name in actuals.fields()
    }
    return type("CategoryActualsForm", (ActualsForm,), fields)

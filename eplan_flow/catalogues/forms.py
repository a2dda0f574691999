"""Forms of the catalogue pages: a plan's strategies, tactics and their links (ยท.01)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import InputRequired, NumberRange

from eplan_flow.form_input import CleanText, WholeNumberField, tidy_line


class NumberedNameForm(FlaskForm):
    """A strategy or a tactic: its number and its name."""

    number = WholeNumberField(_l("Number"), validators=[InputRequired(), NumberRange(min=1, max=999)])
    name = StringField(_l("Name"), filters=[tidy_line], validators=[CleanText(500, required=True)])


class StrategyForm(NumberedNameForm):
    """Add, rename or renumber one of the LAO's strategies."""


class TacticForm(NumberedNameForm):
    """Add, rename or renumber a tactic (กลยุทธ์) under a strategy."""


class LinksForm(FlaskForm):
    """The catalogue items a strategy links to; the choices are set per plan by the view."""

    items = SelectMultipleField(_l("Links"), coerce=int, choices=[], validate_choice=True)

from datetime import date
from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from eplan_flow.form_input import CleanText, ThaiDateField, WholeNumberField, tidy_line, tidy_lines

COMMENT_MAX = 2000
DATA_TEXT_MAX = 200  # what the engine accepts for a recorded text fact

# Labels of the facts a step records (``"data"`` in the workflow definitions).
DATA_FIELD_LABELS = {
    "meeting_date": _l("Meeting date"),
    "resolution": _l("Resolution (e.g. ครั้งที่ 4/2569)"),
    "announced_on": _l("Announcement date"),
    "to_organisation": _l("Code of the new organisation"),
    # The execution workflow (version 2): procurement and the signed contract, not a meeting.
    "procurement_method": _l("Procurement method"),
    "contract_no": _l("Contract number"),
    "contract_date": _l("Contract date"),
    "contractor": _l("Contractor"),
    "contract_amount": _l("Contract amount (baht)"),
}


class FireForm(FlaskForm):
    """One step of a workflow: the trigger, the version the person saw, and their comment."""

    # (name, type) of the facts this step records; a subclass per step adds one field for each.
    data_fields: tuple[tuple[str, str], ...] = ()

    trigger = HiddenField(_l("Step"), validators=[DataRequired(), Length(max=60), Regexp(r"^[a-z_]+$")])
    # Digits 0-9 or ๐-๙ only, and no version past a PostgreSQL integer: odd input is a 422, not a 500.
    expected_version = WholeNumberField(
        _l("Version"), widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)]
    )
    comment = TextAreaField(
        _l("Comment"), filters=[tidy_lines], validators=[CleanText(COMMENT_MAX, multiline=True)]
    )

    @classmethod
    def for_step(cls, data_fields) -> type["FireForm"]:
        """The form class of a step that records ``data_fields``: one input per fact."""
        return _fire_form_class(tuple(data_fields)) if data_fields else cls

    def recorded(self) -> dict[str, str] | None:
        """The facts typed in, as the engine takes them (it checks what is required)."""
        if not self.data_fields:
            return None
        return {name: _recorded_value(self[name].data) for name, _kind in self.data_fields}


def _recorded_value(value) -> str:
    # A date typed in B.E. goes to the engine (and its history) as the ISO day it names.
    return value.isoformat() if isinstance(value, date) else value or ""


@cache
def _fire_form_class(data_fields: tuple[tuple[str, str], ...]) -> type[FireForm]:
    fields = {}
    for name, kind in data_fields:
        if hasattr(FireForm, name):
            raise ValueError(f"a step's data field may not be called {name!r}")
        # The engine judges what is required; the checks here only say early, in the reader's
        # language, what the engine's cleaning rule (eplan_flow.text) would refuse. A date is typed
        # dd/mm/yyyy B.E. and read by that same rule (a real day from B.E. 2500, not in the future).
        label = DATA_FIELD_LABELS.get(name, name)
        if kind == "date":
            fields[name] = ThaiDateField(label, validators=[Optional()])
        else:
            fields[name] = StringField(label, validators=[CleanText(DATA_TEXT_MAX)], filters=[tidy_line])
    return type("StepFireForm", (FireForm,), {"data_fields": data_fields, **fields})


class MarkReadForm(FlaskForm):
    """Mark one notification read, or all of them when no id is given."""

    notification_id = WholeNumberField(
        _l("Notification"), widget=HiddenInput(), validators=[Optional(), NumberRange(min=1, max=2**63 - 1)]
    )

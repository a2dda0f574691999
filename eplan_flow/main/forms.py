from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

COMMENT_MAX = 2000


class FireForm(FlaskForm):
    """One step of a workflow: the trigger, the version the person saw, and their comment."""

    trigger = HiddenField(
        _l("Step"), validators=[DataRequired(), Length(max=60), Regexp(r"^[a-z_]+$")]
    )
    expected_version = IntegerField(
        _l("Version"), widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1)]
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=COMMENT_MAX)])


class MarkReadForm(FlaskForm):
    """Mark one notification read, or all of them when no id is given."""

    notification_id = IntegerField(
        _l("Notification"), widget=HiddenInput(), validators=[Optional(), NumberRange(min=1)]
    )

"""Forms of the SSO's own pages. Every POST form carries a CSRF token (Flask-WTF)."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from eplan_flow.form_input import CleanText, KnownDigits, ThaiDateField, thai_digits, tidy_line, tidy_lines
from eplan_flow.text import InputRefused

# Thai titles as written before a name (คำนำหน้านาม); joined to the first name in ``full_name``.
TITLES = ("นาย", "นาง", "นางสาว", "ว่าที่ร้อยตรี", "ว่าที่ร้อยตรีหญิง", "ดร.")
REQUESTED_ROLE_CHOICES = [
    SelectChoice("member", _l("Staff member (I will ask for access to systems such as e-Plan)")),
    SelectChoice("sso_admin", _l("SSO admin of my organisation (approves my colleagues' accounts)")),
]


# Nobody registering was born before B.E. 2443 (1900).
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class BuddhistEraDateField(ThaiDateField):
    """A birth date typed as dd/mm/yyyy with a Buddhist-Era year (14/03/2531), Thai digits allowed;
    from 1900 up to today. ``data`` is the date, or None when nothing was typed."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, earliest=EARLIEST_BIRTH_DATE, **kwargs)

    def refusal(self, refused: InputRefused) -> str:
        if refused.reason in ("date_too_early", "date_in_future"):
            return str(_l("This date cannot be a birth date."))
        return super().refusal(refused)


class OrganisationSearchForm(FlaskForm):
    """A GET search: no CSRF token, nothing changes."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Organisation code or name"), filters=[tidy_line], validators=[Optional(), CleanText(100)]
    )


class _NameFields(FlaskForm):
    title = SelectField(
        _l("Name prefix"), choices=[SelectChoice(t, t) for t in TITLES], validators=[DataRequired()]
    )
    first_name = StringField(
        _l("First name (Thai)"), filters=[tidy_line], validators=[CleanText(80, required=True)]
    )
    last_name = StringField(
        _l("Last name (Thai)"), filters=[tidy_line], validators=[CleanText(80, required=True)]
    )


class _PersonFields(_NameFields):
    organisation_id = HiddenField(validators=[DataRequired()])
    phone = TelField(
        _l("Mobile phone"), filters=[thai_digits], validators=[DataRequired(), Length(max=20), KnownDigits()]
    )
    position = StringField(_l("Position"), filters=[tidy_line], validators=[CleanText(200, required=True)])
    requested_role = RadioField(
        _l("I register as"), choices=REQUESTED_ROLE_CHOICES, default="member", validators=[DataRequired()]
    )


class RegisterForm(_PersonFields):
    citizen_id = StringField(
        _l("Citizen ID (13 digits)"),
        filters=[thai_digits],
        validators=[DataRequired(), Length(max=20), KnownDigits()],
    )
    birth_date = BuddhistEraDateField(
        _l("Birth date (day/month/year B.E.)"),
        validators=[InputRequired(message=_l("Enter your birth date."))],
    )
    email = EmailField(_l("Email address"), filters=[tidy_line], validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class CorrectDetailsForm(_NameFields):
    """Before ThaiD has verified the identity: the name and birth date as on the ID card."""

    birth_date = BuddhistEraDateField(
        _l("Birth date (day/month/year B.E.)"),
        validators=[InputRequired(message=_l("Enter your birth date."))],
    )


class ReapplyForm(_PersonFields):
    comment = TextAreaField(
        _l("What you corrected"), filters=[tidy_lines], validators=[CleanText(2000, multiline=True)]
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), filters=[tidy_line], validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ReauthForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PostForm(FlaskForm):
    """A button that changes something: only the CSRF token."""

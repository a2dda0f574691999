from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField


class ConsentForm(FlaskForm):
    allow = SubmitField(_l("Allow"))
    deny = SubmitField(_l("Do not allow"))


class ConfirmLogoutForm(FlaskForm):
    confirm = SubmitField(_l("Sign out"))

"""The upload form: what the document is, the file, and (on a workflow page) the step it belongs to."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from eplan_flow.glossary import ATTACHMENT_KIND_LABELS


class AttachForm(FlaskForm):
    kind = SelectField(
        _l("Document"), choices=[SelectChoice(kind, label) for kind, label in ATTACHMENT_KIND_LABELS.items()]
    )
    # The service checks the file's content and size; the form only carries it.
    file = FileField(_l("File (PDF, PNG or JPEG)"))


class AttachToStepForm(AttachForm):
    # The page offers the item's steps; the service checks the step is the item's.
    step = SelectField(_l("Step"), coerce=int, validate_choice=False)

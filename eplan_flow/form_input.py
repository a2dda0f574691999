"""The forms' side of ``eplan_flow.text``: WTForms filters, validators and a number field that
apply the one cleaning rule and refuse in the reader's language.

Filters tidy what was typed (invisible and bidi characters go, Thai digits become 0-9) without
refusing anything; validators refuse what the rule refuses, with the reason's message from the one
catalogue (``eplan_flow.messages``). The services apply the same rule again, so a form is a
courtesy, never the only check.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField, ValidationError
from wtforms.validators import StopValidation

from eplan_flow import messages, text
from eplan_flow.text import InputRefused


# -- filters: run on every value a field receives; they never refuse -------------------------------
def tidy_line(value):
    """One line of text: invisible characters out, spaces single, edges trimmed."""
    return text.tidy(value) if isinstance(value, str) else value


def tidy_lines(value):
    """Several lines of text: as ``tidy_line`` but keeping line breaks."""
    return text.tidy(value, multiline=True) if isinstance(value, str) else value


def thai_digits(value):
    """A typed number with its Thai digits as 0-9 (other digits are left for a validator to refuse)."""
    return text.thai_to_ascii(text.tidy(value)) if isinstance(value, str) else value


# -- validators -----------------------------------------------------------------------------------
class CleanText:
    """Refuse text the cleaning rule refuses (NUL, nothing visible, mark stacks, too long), and
    ``required`` text that is empty; leave the field holding the cleaned text."""

    def __init__(self, max_length: int | None = None, *, required: bool = False, multiline: bool = False):
        self.max_length = max_length
        self.required = required
        self.multiline = multiline
        self.field_flags = {"required": True} if required else {}

    def __call__(self, form, field) -> None:
        try:
            field.data = text.clean_text(
                field.data,
                field=field.name,
                max_length=self.max_length,
                required=self.required,
                multiline=self.multiline,
            )
        except InputRefused as refused:
            raise StopValidation(messages.message_for(refused)) from None
        if field.data is None:
            field.data = ""


class NumberText:
    """Refuse a typed number that is not one (or uses digits other than 0-9 and ๐-๙).

    ``whole`` asks for an integer, optionally within ``minimum``..``maximum``. Empty passes: the
    service says whether the number is required.
    """

    def __init__(self, *, whole: bool = False, minimum: int | None = None, maximum: int | None = None):
        self.whole = whole
        self.minimum = minimum
        self.maximum = maximum

    def __call__(self, form, field) -> None:
        try:
            if self.whole:
                text.parse_int(field.data, field=field.name, minimum=self.minimum, maximum=self.maximum)
            else:
                text.parse_decimal(field.data, field=field.name)
        except InputRefused as refused:
            raise ValidationError(messages.message_for(refused)) from None


class KnownDigits:
    """Refuse digits other than 0-9 and ๐-๙ in a value that is not itself a number (a phone
    number with dashes, a citizen ID with spaces). Empty passes."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str):
            try:
                text.ascii_digits(field.data, field=field.name)
            except InputRefused as refused:
                raise ValidationError(messages.message_for(refused)) from None


# -- fields ---------------------------------------------------------------------------------------
class WholeNumberField(IntegerField):
    """An IntegerField that reads only 0-9 and ๐-๙ (``int`` alone reads any script's digits)."""

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        try:
            self.data = text.parse_int(valuelist[0], field=self.name)
        except InputRefused as refused:
            self.data = None
            raise ValueError(messages.message_for(refused)) from None


# What a B.E. date box lets through before the server reads it (the browser anchors the pattern):
# day/month/year with /, . or -, Arabic or Thai digits, "พ.ศ." after if typed. No JavaScript needed.
BE_DATE_PATTERN = r"[0-9๐-๙]{1,2} ?[\/.\-] ?[0-9๐-๙]{1,2} ?[\/.\-] ?[0-9๐-๙]{4}( ?พ\.? ?ศ\.?)?"
BE_DATE_HINT = _l("dd/mm/yyyy (B.E.), e.g. 15/01/2569")
# Past any date typed with spaces and "พ.ศ.": a longer value is not read at all.
_BE_DATE_MAX = 24


def be_date_attrs() -> dict[str, str]:
    """The attributes of a B.E. date box, for fields and for the hand-written forms alike."""
    return {
        "type": "text",
        "class": "be-date",
        "inputmode": "numeric",
        "autocomplete": "off",
        "pattern": BE_DATE_PATTERN,
        "maxlength": str(_BE_DATE_MAX),
        "placeholder": str(_l("dd/mm/yyyy")),
        "title": str(BE_DATE_HINT),
    }


class ThaiDateField(StringField):
    """A date typed as pages show it, day/month/year of the Buddhist Era (15/01/2569), read by the
    one date rule (``eplan_flow.text.parse_typed_date``: real days from B.E. 2500, ``not_future`` for
    recorded facts; a Gregorian year is refused, ISO ``YYYY-MM-DD`` is still read). ``data`` is the
    date, or None when nothing was typed; it renders back as dd/mm/yyyy B.E., a refused value as
    typed. A plain text box: no date picker, no JavaScript."""

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        not_future: bool = True,
        earliest: date = text.EARLIEST_DATE,
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.not_future = not_future
        self.earliest = earliest

    def __call__(self, **kwargs):
        return super().__call__(**{**be_date_attrs(), **kwargs})

    def process_formdata(self, valuelist) -> None:
        self.data = None
        typed = valuelist[0] if valuelist else ""
        if not isinstance(typed, str) or not typed.strip():
            return
        try:
            if len(typed) > _BE_DATE_MAX:
                raise InputRefused("not_a_date", f"{self.name} is too long for a date", field=self.name)
            self.data = text.parse_typed_date(
                typed, field=self.name, earliest=self.earliest, not_future=self.not_future
            )
        except InputRefused as refused:
            raise ValueError(self.refusal(refused)) from None

    def refusal(self, refused: InputRefused) -> str:
        """What the field says when the date rule refuses what was typed."""
        return messages.message_for(refused)

    def _value(self) -> str:
        if isinstance(self.data, date):
            return text.format_date_input(self.data)
        if isinstance(self.data, str):
            return self.data
        return self.raw_data[0] if self.raw_data else ""

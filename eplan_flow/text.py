"""The one place typed input is cleaned: text, digits, numbers and dates.

Every form (through ``eplan_flow.form_input``), the JSON API and the services call these, so a rule
is written once. Pure: no Flask, no database. A refusal is an ``InvalidInput`` whose
``details["reason"]`` is a stable code (``REASONS``); ``eplan_flow.messages`` words it for the web
and the API alike.

The rules, and why:
- Text is NFC-normalised, so the same name typed on two keyboards compares equal.
- NUL is refused, not dropped: PostgreSQL cannot store it, and a person never types it.
- Other control characters, and every invisible *format* character (zero-width space and joiners,
  the word joiner, the BOM, soft hyphen, bidi embeddings, overrides and isolates), are dropped.
  Thai uses none of them for meaning (ZWSP is at most a word-break hint); bidi controls only serve
  to make text display differently from what it is (CVE-2021-42574, "Trojan Source").
- Exotic spaces become plain spaces; a one-line value has no line breaks and no runs of spaces.
- At most ``MAX_MARKS`` combining marks follow one base character: Thai stacks at most three
  (consonant, upper or lower vowel, tone mark); a longer stack is "Zalgo" text that overwrites the
  lines around it. Text may not start with a mark that has no base.
- Required text needs at least one visible character (a letter, digit, punctuation or symbol).
- Digits are Arabic (0-9) or Thai (๐-๙, turned into 0-9). Python's ``int`` and ``Decimal`` also
  read Arabic-Indic, Devanagari, full-width and dozens of other digits, which no Thai office types
  and which let look-alike figures through; they are refused.
- Dates are real calendar days from 1 January B.E. 2500 (1957) on, and facts such as a meeting
  date are not in the future. Services and the JSON API take ISO ``YYYY-MM-DD`` (Gregorian).
  People type dates as every page shows them, day/month/year of the Buddhist Era (15/01/2569), and
  the pages read them with ``parse_typed_date``: a year before 2400 there is a Gregorian year typed
  by mistake (2026 for 2569), refused rather than read as B.E. 2026 (1483).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal, overload

from eplan_flow.errors import InvalidInput
from eplan_flow.thaidate import BE_OFFSET, today_local

MAX_MARKS = 3
EARLIEST_YEAR_BE = 2500
EARLIEST_DATE = date(EARLIEST_YEAR_BE - BE_OFFSET, 1, 1)

# Stable codes of the refusals below.
REASONS = (
    "not_text",
    "nul",
    "blank",
    "too_long",
    "marks",
    "not_a_number",
    "foreign_digits",
    "out_of_range",
    "not_a_date",
    "date_too_early",
    "date_in_future",
    "gregorian_year",
)

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_THAI_TO_ASCII = str.maketrans(THAI_DIGITS, "0123456789")
# Letters that render as nothing (Hangul fillers, the braille blank) and the combining grapheme
# joiner: used to make a name look empty or to hide one mark stack behind another.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")
_VISIBLE_CATEGORIES = frozenset("LNPS")
_INT = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# Day/month/year as Thai offices write it: 15/01/2569, 5/1/2569, 15.01.2569, 15-01-2569, "พ.ศ." after.
_DMY_DATE = re.compile(r"([0-9]{1,2}) ?([/.-]) ?([0-9]{1,2}) ?\2 ?([0-9]{4})(?: ?พ\.? ?ศ\.?)?")
# A four-digit year from here on is Buddhist Era: no Gregorian date of this application is near it.
BE_YEARS_FROM = 2400


class InputRefused(InvalidInput):
    """Input that breaks a cleaning rule; ``reason`` (one of ``REASONS``) says which."""

    def __init__(self, reason: str, message: str, *, field: str, **details) -> None:
        super().__init__(message, field=field, reason=reason, **details)
        self.reason = reason


# -- text -------------------------------------------------------------------------------------
def tidy(value: str, *, multiline: bool = False) -> str:
    """``value`` normalised and without invisible characters; never refuses (NUL is kept for
    ``clean_text`` to refuse). Idempotent."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in value:
        category = unicodedata.category(ch)
        if ch == "\x00":
            kept.append(ch)
        elif ch == "\n" or category in ("Zl", "Zp"):
            kept.append("\n" if multiline else " ")
        elif ch == "\t":
            kept.append("\t" if multiline else " ")
        elif category == "Zs" or ch in "\x0b\x0c\x1c\x1d\x1e\x1f\x85":
            # Vertical tab, form feed, file/group/record separators and NEL are whitespace to Python.
            kept.append(" ")
        elif category in ("Cc", "Cf", "Cs") or ch in _BLANK_LOOKING:
            continue
        else:
            kept.append(ch)
    value = unicodedata.normalize("NFC", "".join(kept))
    if multiline:
        value = "\n".join(line.rstrip(" \t") for line in value.split("\n"))
    else:
        value = re.sub(r" {2,}", " ", value)
    return value.strip(" \t\n")


def has_visible(value: str) -> bool:
    """Whether ``value`` shows anything: a letter, digit, punctuation mark or symbol."""
    return any(unicodedata.category(ch)[0] in _VISIBLE_CATEGORIES for ch in value)


def mark_problem(value: str) -> bool:
    """Whether ``value`` starts with a combining mark or stacks more than ``MAX_MARKS`` on a base."""
    run = 0
    for index, ch in enumerate(value):
        if unicodedata.category(ch)[0] == "M":
            if index == 0:
                return True
            run += 1
            if run > MAX_MARKS:
                return True
        else:
            run = 0
    return False


@overload
def clean_text(
    value, *, field: str, max_length: int | None = None, required: Literal[True], multiline: bool = False
) -> str: ...


@overload
def clean_text(
    value, *, field: str, max_length: int | None = None, required: bool = False, multiline: bool = False
) -> str | None: ...


def clean_text(
    value,
    *,
    field: str,
    max_length: int | None = None,
    required: bool = False,
    multiline: bool = False,
) -> str | None:
    """``value`` tidied and checked: a string, or None when nothing was typed and none is required."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputRefused("not_text", f"{field} must be text", field=field)
    if "\x00" in value:
        raise InputRefused("nul", f"{field} must not contain NUL characters", field=field)
    value = tidy(value, multiline=multiline)
    if not value or not has_visible(value):
        if required:
            raise InputRefused("blank", f"{field} needs some visible text", field=field)
        if not value:
            return None
        raise InputRefused("blank", f"{field} holds only invisible characters", field=field)
    if mark_problem(value):
        raise InputRefused(
            "marks",
            f"{field} has a stray or stacked combining mark (at most {MAX_MARKS} per letter)",
            field=field,
            max_marks=MAX_MARKS,
        )
    if max_length is not None and len(value) > max_length:
        raise InputRefused(
            "too_long", f"{field} is longer than {max_length} characters", field=field, max_length=max_length
        )
    return value


# -- digits and numbers -----------------------------------------------------------------------
def thai_to_ascii(value: str) -> str:
    """``value`` with its Thai digits written 0-9."""
    return value.translate(_THAI_TO_ASCII)


def ascii_digits(value: str, *, field: str) -> str:
    """``value`` with Thai digits turned into 0-9; any other non-ASCII digit is refused."""
    value = thai_to_ascii(value)
    for ch in value:
        if not ch.isascii() and unicodedata.category(ch) == "Nd":
            raise InputRefused(
                "foreign_digits", f"{field} must be written with the digits 0-9 or ๐-๙", field=field
            )
    return value


def number_text(value: str, *, field: str) -> str:
    """A typed number ready to read: tidied, Thai digits in ASCII, thousands commas removed."""
    return ascii_digits(tidy(value), field=field).replace(",", "")


def parse_int(value, *, field: str, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """A whole number from an int or a typed string (0-9 or ๐-๙); None when nothing was typed."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputRefused("not_a_number", f"{field} must be a whole number", field=field)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = number_text(value, field=field)
        if not text:
            return None
        # 20 digits is past any id, year or count: no long integer conversions on a form value.
        if len(text) > 20 or not _INT.fullmatch(text):
            raise InputRefused("not_a_number", f"{field} must be a whole number", field=field)
        number = int(text)
    else:
        raise InputRefused("not_a_number", f"{field} must be a whole number", field=field)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise InputRefused(
            "out_of_range",
            f"{field} must be between {minimum} and {maximum}",
            field=field,
            minimum=minimum,
            maximum=maximum,
        )
    return number


def parse_decimal(value, *, field: str) -> Decimal | None:
    """A decimal number from a Decimal, an int or a typed string such as "1,500,000.00" or "๑,๕๐๐";
    None when nothing was typed. Floats are refused: they cannot hold satang exactly."""
    if value is None:
        return None
    if isinstance(value, bool | float):
        raise InputRefused("not_a_number", f"{field} must be a decimal number, not a float", field=field)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        text = number_text(value, field=field)
        if not text:
            return None
        if len(text) > 40 or not _DECIMAL.fullmatch(text):
            raise InputRefused("not_a_number", f"{field} must be a number", field=field)
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
            raise InputRefused("not_a_number", f"{field} must be a number", field=field) from None
    else:
        raise InputRefused("not_a_number", f"{field} must be a number", field=field)
    if not number.is_finite():
        raise InputRefused("not_a_number", f"{field} must be a number", field=field)
    return number


# -- dates ------------------------------------------------------------------------------------
def parse_date(value, *, field: str, earliest: date = EARLIEST_DATE, not_future: bool = True) -> date | None:
    """A calendar date from a date or ``YYYY-MM-DD`` (Gregorian, as the API sends it; Thai digits
    allowed), from ``earliest`` (1 January B.E. 2500) on and, for recorded facts, not after today in
    Bangkok. None when nothing was typed."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        text = ascii_digits(tidy(value), field=field)
        if not text:
            return None
        match = _ISO_DATE.fullmatch(text)
        try:
            parsed = date(*map(int, match.groups())) if match else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise InputRefused("not_a_date", f"{field} must be a date (YYYY-MM-DD)", field=field)
        day = parsed
    else:
        raise InputRefused("not_a_date", f"{field} must be a date (YYYY-MM-DD)", field=field)
    if day < earliest:
        raise InputRefused(
            "date_too_early",
            f"{field} must be on or after {earliest.isoformat()}",
            field=field,
            earliest=earliest.isoformat(),
        )
    if not_future and day > today_local():
        raise InputRefused("date_in_future", f"{field} cannot be in the future", field=field)
    return day


def parse_typed_date(
    value, *, field: str, earliest: date = EARLIEST_DATE, not_future: bool = True
) -> date | None:
    """A date as a person types it in a page's date box: ``dd/mm/yyyy`` with a Buddhist-Era year
    (15/01/2569; 5/1/2569, dots or dashes and a trailing "พ.ศ." too), Thai digits allowed. ISO
    ``YYYY-MM-DD`` is still read (Gregorian, or B.E. when its year is from 2400). A dd/mm/yyyy
    year before 2400 is a Gregorian year typed by mistake and is refused (``gregorian_year``). Then
    the limits of ``parse_date``. None when nothing was typed."""
    if isinstance(value, str):
        typed = ascii_digits(tidy(value), field=field)
        if not typed:
            return None
        value = _typed_day(typed, field=field)
    return parse_date(value, field=field, earliest=earliest, not_future=not_future)


def _typed_day(typed: str, *, field: str) -> date:
    """The day ``typed`` names (ASCII digits): dd/mm/yyyy B.E., or ISO with either era's year."""
    iso = _ISO_DATE.fullmatch(typed)
    dmy = None if iso else _DMY_DATE.fullmatch(typed)
    if iso:
        year, month, day = map(int, iso.groups())
    elif dmy:
        day, month, year = int(dmy[1]), int(dmy[3]), int(dmy[4])
        if year < BE_YEARS_FROM:
            raise InputRefused(
                "gregorian_year",
                f"{field} must have a Buddhist-Era year ({year} + {BE_OFFSET} = {year + BE_OFFSET})",
                field=field,
                year=year,
                be_year=year + BE_OFFSET,
            )
    else:
        raise InputRefused("not_a_date", f"{field} must be a date (dd/mm/yyyy B.E.)", field=field)
    if year >= BE_YEARS_FROM:
        year -= BE_OFFSET
    try:
        return date(year, month, day)
    except ValueError:
        pass
    raise InputRefused("not_a_date", f"{field} must be a real day (dd/mm/yyyy B.E.)", field=field)


def format_date_input(value: date | None) -> str:
    """``value`` as a date box shows it and ``parse_typed_date`` reads it back: ``15/01/2569``."""
    if value is None:
        return ""
    return f"{value.day:02d}/{value.month:02d}/{value.year + BE_OFFSET}"

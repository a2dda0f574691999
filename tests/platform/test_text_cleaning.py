"""The one cleaning rule for typed input (eplan_flow.text), and the redirect-target rule (web.safe_next)."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eplan_flow import text
from eplan_flow.errors import InvalidInput
from eplan_flow.thaidate import today_local
from eplan_flow.web import safe_next

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
THAI_WORDS = ["นางสาวสมศรี ใจดี", "ที่", "ปู่", "น้ำ", "สิทธิ์", "ศักดิ์สิทธิ์", "กิ๊ฟ", "ฤๅษี", "โครงการขุดลอกคลอง"]
# Digits of other scripts that Python's int() and Decimal() read: Arabic-Indic, Extended
# Arabic-Indic, Devanagari, Bengali, full-width, Lao, Myanmar, mathematical bold.
FOREIGN_DIGITS = ["٣", "۳", "३", "৩", "３", "໓", "၃", "𝟑"]


def reason_of(call, *args, **kwargs) -> str:
    with pytest.raises(text.InputRefused) as refused:
        call(*args, **kwargs)
    assert isinstance(refused.value, InvalidInput) and refused.value.code == "invalid_input"
    assert refused.value.details["reason"] == refused.value.reason
    return refused.value.reason


# -- text -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("word", THAI_WORDS)
def test_thai_text_with_its_vowels_and_tone_marks_is_kept_as_typed(word):
    assert text.clean_text(word, field="name", required=True) == word


def test_a_name_of_only_zero_width_characters_is_refused_as_blank():
    assert reason_of(text.clean_text, ZERO_WIDTH, field="name", required=True) == "blank"
    assert reason_of(text.clean_text, "\u200b \u3164\u2800", field="name", required=True) == "blank"


def test_optional_text_of_only_invisible_characters_becomes_nothing():
    assert text.clean_text(ZERO_WIDTH + "  \t", field="note") is None


def test_a_name_of_only_combining_marks_shows_nothing_and_is_refused():
    assert reason_of(text.clean_text, "\u0e48\u0e49", field="name", required=True) == "blank"


def test_bidi_overrides_and_zero_width_characters_are_dropped_from_within_text():
    typed = "\u202eโครง\u200bการ\u2066 ถนน\u202c\u2069"
    assert text.clean_text(typed, field="name") == "โครงการ ถนน"


def test_a_stack_of_combining_marks_is_refused_even_hidden_behind_bidi_overrides():
    zalgo = "\u202eก" + "\u0e48\u0e49\u0e4a\u0e4b\u0301\u0302" * 5 + "\u202c"
    assert reason_of(text.clean_text, zalgo, field="name") == "marks"
    # A joiner between marks does not split the stack: it is dropped before counting.
    assert reason_of(text.clean_text, "ก\u0e34\u200d\u0e48\u034f\u0e49\u0e4c", field="name") == "marks"


def test_text_may_not_start_with_a_mark_that_has_no_letter():
    assert reason_of(text.clean_text, "\u0e48กา", field="name") == "marks"


def test_three_marks_on_one_letter_is_the_most_thai_needs_and_is_kept():
    assert text.clean_text("ก\u0e34\u0e4c\u0e48", field="name") == "ก\u0e34\u0e4c\u0e48"


def test_nul_is_refused_not_silently_dropped():
    assert reason_of(text.clean_text, "a\x00b", field="comment") == "nul"


def test_other_control_characters_are_dropped_and_line_breaks_kept_only_in_multiline_text():
    assert text.clean_text("a\x07b\x1bc\x7f", field="x") == "abc"
    assert text.clean_text("หนึ่ง\r\nสอง\u2028สาม", field="x", multiline=True) == "หนึ่ง\nสอง\nสาม"
    assert text.clean_text("หนึ่ง\r\nสอง\tสาม", field="x") == "หนึ่ง สอง สาม"


def test_text_is_nfc_normalised_so_one_name_has_one_spelling():
    assert text.clean_text("Cafe\u0301", field="x") == "Café"


def test_length_counts_what_remains_after_cleaning():
    assert text.clean_text("ก" * 10 + ZERO_WIDTH * 10, field="x", max_length=10) == "ก" * 10
    assert reason_of(text.clean_text, "ก" * 11, field="x", max_length=10) == "too_long"


def test_a_value_that_is_not_text_is_refused():
    assert reason_of(text.clean_text, 5, field="x") == "not_text"


@given(st.text(max_size=60))
def test_tidy_is_idempotent_and_leaves_nothing_invisible_or_controlling(value):
    once = text.tidy(value)
    assert text.tidy(once) == once
    assert once == once.strip()
    assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp") or ch == "\x00" for ch in once)
    multiline = text.tidy(value, multiline=True)
    assert text.tidy(multiline, multiline=True) == multiline


@given(st.text(max_size=60))
def test_whatever_clean_text_accepts_is_clean(value):
    try:
        cleaned = text.clean_text(value, field="x", required=True, max_length=40)
    except text.InputRefused as refused:
        assert refused.reason in text.REASONS
        return
    assert cleaned == text.tidy(cleaned)
    assert text.has_visible(cleaned) and not text.mark_problem(cleaned)
    assert "\x00" not in cleaned and len(cleaned) <= 40
    assert not set(cleaned) & set(ZERO_WIDTH + BIDI)


@given(
    st.lists(st.sampled_from(THAI_WORDS), min_size=1, max_size=5),
    st.lists(st.sampled_from(ZERO_WIDTH + BIDI), max_size=6),
)
def test_sprinkled_invisible_characters_never_change_what_thai_text_says(words, invisible):
    typed = " ".join(words)
    sprinkled = "".join(invisible) + typed.replace(" ", " " + "".join(invisible)) + "".join(invisible)
    assert text.clean_text(sprinkled, field="x") == text.clean_text(typed, field="x") == typed


# -- digits and numbers -----------------------------------------------------------------------------
def test_thai_digits_are_read_as_arabic_digits():
    assert text.parse_int("๒๕๖๙", field="year") == 2569
    assert text.parse_decimal("๑,๒๕๐,๐๐๐.๕๐", field="amount") == Decimal("1250000.50")


@pytest.mark.parametrize("digit", FOREIGN_DIGITS)
def test_digits_of_any_other_script_are_refused_though_python_would_read_them(digit):
    assert reason_of(text.parse_int, "1" + digit, field="n") == "foreign_digits"
    assert reason_of(text.parse_decimal, digit * 3 + ".00", field="amount") == "foreign_digits"
    assert reason_of(text.parse_date, f"2025-0{digit}-01", field="d") == "foreign_digits"


@pytest.mark.parametrize("raw", ["1e5", "NaN", "Infinity", "1_000", "0x10", "1.2.3", "สิบ", "½", "²"])
def test_only_plain_decimal_notation_is_a_number(raw):
    assert reason_of(text.parse_decimal, raw, field="amount") == "not_a_number"


def test_a_whole_number_refuses_floats_booleans_and_overlong_digit_strings():
    assert reason_of(text.parse_int, True, field="n") == "not_a_number"
    assert reason_of(text.parse_int, 1.0, field="n") == "not_a_number"
    assert reason_of(text.parse_int, "9" * 5000, field="n") == "not_a_number"
    assert reason_of(text.parse_int, "1000", field="n", minimum=1, maximum=999) == "out_of_range"
    assert text.parse_int(" \u200b ", field="n") is None


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_any_integer_written_in_thai_digits_reads_back(number):
    assert (
        text.parse_int(
            text.thai_to_ascii(str(number)).translate(str.maketrans("0123456789", text.THAI_DIGITS)),
            field="n",
        )
        == number
    )


# -- dates ------------------------------------------------------------------------------------------
def test_a_meeting_date_before_buddhist_era_2500_is_refused():
    assert reason_of(text.parse_date, "0001-01-01", field="meeting_date") == "date_too_early"
    assert reason_of(text.parse_date, "1956-12-31", field="meeting_date") == "date_too_early"
    assert text.parse_date("1957-01-01", field="meeting_date") == date(1957, 1, 1)


def test_a_future_date_is_refused_and_today_accepted():
    today = today_local()
    assert text.parse_date(today.isoformat(), field="meeting_date") == today
    assert (
        reason_of(text.parse_date, (today + timedelta(days=1)).isoformat(), field="meeting_date")
        == "date_in_future"
    )
    assert reason_of(text.parse_date, "9999-12-31", field="meeting_date") == "date_in_future"


@pytest.mark.parametrize(
    "raw", ["2025-02-30", "20/11/2569", "2025-1-1", "2025-01-01T00:00", "+2025-01-01", "x"]
)
def test_a_date_must_be_a_real_day_written_yyyy_mm_dd(raw):
    assert reason_of(text.parse_date, raw, field="d") == "not_a_date"


def test_a_date_may_be_written_in_thai_digits():
    assert text.parse_date("๒๐๒๕-๐๑-๑๕", field="d") == date(2025, 1, 15)


# -- redirect targets -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    [
        "/x\r\nSet-Cookie: stolen=1",
        "/x\nLocation: //evil.example",
        "/\t/evil.example",
        "/\\evil.example",
        "//evil.example",
        "http://evil.example/",
        "javascript:alert(1)",
        "/\u202e/evil",
        "/a\x00",
        "",
        None,
        "/" + "a" * 3000,
        " /plans",
    ],
)
def test_an_unsafe_next_falls_back_to_the_default(target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/plans/1", "/plans/1?page=2#top", "/sso/account", "/%0d%0a"])
def test_a_path_on_this_site_is_kept(target):
    assert safe_next(target, "/home") == target


def test_a_non_ascii_path_is_kept_percent_encoded():
    assert safe_next("/แผน", "/home") == "/%E0%B9%81%E0%B8%9C%E0%B8%99"


def test_a_next_whose_host_part_cannot_be_parsed_falls_back_to_the_default():
    # Hypothesis found "//::": the port ":" is no number, and parsing it raised instead of refusing.
    assert safe_next("//::", "/home") == "/home"
    assert safe_next("/::", "/home") == "/::"


@given(st.text(max_size=40))
def test_safe_next_only_ever_answers_a_same_site_path_without_controls(target):
    answer = safe_next("/" + target, "/home")
    assert answer.startswith("/") and not answer.startswith("//")
    assert answer.isascii() and answer.isprintable() and "\\" not in answer and " " not in answer

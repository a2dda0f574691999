"""The Thai citizen ID: the check digit (docs/DOMAIN.md §2), normalising and masking. No app needed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eplan_flow.services.identity import citizen_id


def dopa_check_digit(first12: str) -> int:
    # Written as docs/DOMAIN.md gives it, with 1-based positions: d13 = (11 − Σ dᵢ·(14−i) mod 11) mod 10.
    total = sum(int(first12[i - 1]) * (14 - i) for i in range(1, 13))
    return (11 - total % 11) % 10


twelve_digits = st.text(alphabet="0123456789", min_size=12, max_size=12)


@given(twelve_digits)
def test_the_check_digit_follows_the_dopa_formula_for_any_twelve_digits(first12):
    assert citizen_id.check_digit(first12) == dopa_check_digit(first12)
    assert citizen_id.is_valid(first12 + str(dopa_check_digit(first12)))


@given(twelve_digits, st.integers(min_value=1, max_value=9))
def test_any_other_last_digit_is_refused(first12, shift):
    wrong = (dopa_check_digit(first12) + shift) % 10
    assert not citizen_id.is_valid(first12 + str(wrong))


def test_a_worked_example_gives_the_expected_check_digit():
    # 1·13 + 1·12 + 0·11 + 1·10 + 7·9 + 0·8 + 0·7 + 2·6 + 0·5 + 7·4 + 0·3 + 3·2 = 144; 144 mod 11 = 1;
    # (11 − 1) mod 10 = 0.
    assert citizen_id.check_digit("110170020703") == 0
    assert citizen_id.normalise("1-1017-00207-03-0") == "1101700207030"


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("110170020703", "length"),
        ("11017002070301", "length"),
        ("11017002O7030", "length"),
        ("", "length"),
        (None, "length"),
        ("1101700207031", "check_digit"),
    ],
)
def test_a_malformed_number_is_refused_with_a_reason_that_never_echoes_it(raw, reason):
    with pytest.raises(citizen_id.InvalidCitizenId) as refused:
        citizen_id.normalise(raw)
    assert refused.value.code == "citizen_id_invalid"
    assert refused.value.details == {"field": "citizen_id", "reason": reason}
    if raw:
        assert raw not in str(refused.value)


def test_spaces_and_dashes_are_dropped_and_the_mask_keeps_only_the_first_and_last_digit():
    assert citizen_id.normalise(" 1 1017 00207 03 0 ") == "1101700207030"
    assert citizen_id.mask("1101700207030") == "1-xxxx-xxxxx-xx-0"
    assert citizen_id.mask("123") == "x-xxxx-xxxxx-xx-x"

"""The Thai citizen ID (เลขประจำตัวประชาชน): check digit, encryption at rest, keyed digest, mask.

Under the PDPA the number is kept encrypted (AES-GCM, for an approver to see it masked) and as a
keyed HMAC-SHA256 digest (for uniqueness and for matching ThaiD's ``pid`` without decrypting).
It is never logged: errors name the field, never the value.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from eplan_flow import sealing
from eplan_flow.errors import InvalidInput


class InvalidCitizenId(InvalidInput):
    code = "citizen_id_invalid"


def check_digit(first12: str) -> int:
    """d13 = (11 − Σ dᵢ·(14−i) for i = 1..12, mod 11) mod 10 (DOMAIN.md §2)."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def is_valid(value: str) -> bool:
    return len(value) == 13 and value.isdigit() and check_digit(value[:12]) == int(value[12])


def normalise(raw: str | None) -> str:
    """The 13 digits of ``raw`` (spaces and dashes dropped), or raise InvalidCitizenId."""
    digits = "".join(ch for ch in (raw or "") if ch not in " -")
    if len(digits) != 13 or not digits.isdigit():
        raise InvalidCitizenId("the citizen ID must be 13 digits", field="citizen_id", reason="length")
    if check_digit(digits[:12]) != int(digits[12]):
        raise InvalidCitizenId(
            "the citizen ID's check digit is wrong", field="citizen_id", reason="check_digit"
        )
    return digits


def mask(value: str) -> str:
    """Shown to people: the first and the last digit only, in the card's grouping."""
    if len(value) != 13:
        return "x-xxxx-xxxxx-xx-x"
    return f"{value[0]}-xxxx-xxxxx-xx-{value[12]}"


def _key(purpose: bytes) -> bytes:
    return sealing.derive_key(
        b"eplan-flow citizen id", purpose, current_app.config.get("CITIZEN_ID_KEY") or None
    )


def digest(value: str) -> str:
    """The keyed digest stored for lookups (same number → same digest under the same key)."""
    return hmac.new(_key(b"digest"), value.encode(), hashlib.sha256).hexdigest()


def encrypt(value: str) -> str:
    return sealing.seal(value.encode(), _key(b"encrypt"), b"citizen_id")


def decrypt(token: str) -> str:
    return sealing.unseal(token, _key(b"encrypt"), b"citizen_id").decode()


def masked_for(user) -> str:
    """The person's citizen ID, masked, or an empty string if none is recorded."""
    if not user.citizen_id_encrypted:
        return ""
    return mask(decrypt(user.citizen_id_encrypted))

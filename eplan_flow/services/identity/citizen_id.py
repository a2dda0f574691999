"""The Thai citizen ID (เลขประจำตัวประชาชน): check digit, encryption at rest, keyed digest, mask.

Under the PDPA the number is kept encrypted (AES-GCM under the data keys, see eplan_flow.sealing,
for an approver to see it masked) and as a keyed HMAC-SHA256 digest under CITIZEN_ID_DIGEST_KEY
(for uniqueness and for matching ThaiD's ``pid`` without decrypting).
It is never logged: errors name the field, never the value.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from eplan_flow import sealing
from eplan_flow.errors import InvalidInput

# Bound into every sealed citizen ID: a value sealed for another use does not open as one.
CONTEXT = b"citizen_id"


class InvalidCitizenId(InvalidInput):
    code = "citizen_id_invalid"


def check_digit(first12: str) -> int:
    """d13 = (11 − Σ dᵢ·(14−i) for i = 1..12, mod 11) mod 10 (docs/DOMAIN.md §2)."""
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


def _digest_key() -> bytes:
    # Its own setting, not a data key: a digest cannot be re-sealed, only recomputed from the
    # decrypted ID (``flask eplan reseal``). Outside production the fallback keeps the digests
    # made before the setting existed.
    config = current_app.config
    secret = config.get("CITIZEN_ID_DIGEST_KEY") or config.get("CITIZEN_ID_KEY") or None
    return sealing.derive_key(b"eplan-flow citizen id", b"digest", secret)


def digest(value: str) -> str:
    """The keyed digest stored for lookups (same number → same digest under the same key)."""
    return hmac.new(_digest_key(), value.encode(), hashlib.sha256).hexdigest()


def encrypt(value: str) -> str:
    """Seal the citizen ID under the first data key (the text names the key)."""
    return sealing.seal(value.encode(), sealing.keyring(sealing.CITIZEN_IDS), CONTEXT)


def decrypt(token: str) -> str:
    return sealing.unseal(token, sealing.keyring(sealing.CITIZEN_IDS), CONTEXT).decode()


def masked_for(user) -> str:
    """The person's citizen ID, masked, or an empty string if none is recorded."""
    if not user.citizen_id_encrypted:
        return ""
    return mask(decrypt(user.citizen_id_encrypted))

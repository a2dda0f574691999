"""Data-encryption keys, a key per purpose, and authenticated encryption with them (AES-GCM).

One place for what the citizen ID at rest, the OIDC signing keys at rest and e-Plan's tokens in
the session cookie all need: a key per purpose (HKDF-SHA256 from a data-encryption key, so one
key never serves two uses) and sealed text that cannot be read or altered without it.

The data-encryption keys are a setting of their own, never the session secret:
``DATA_KEYS`` (``EPLAN_DATA_KEYS``) is an ordered list of ``<key id>:<base64 of 32 random bytes>``
separated by commas or whitespace (a key id is 1-16 of ``A-Z a-z 0-9 _ -``). The first key seals;
every listed key unseals. Sealed text names the key that sealed it::

    v2.<key id>.<urlsafe base64 of nonce + ciphertext>

Rotation: put a new key first and keep the old ones (old text still opens), run
``flask eplan reseal`` (every stored value is sealed again under the first key), then drop the old
keys. Production refuses to start without DATA_KEYS; elsewhere, without it, one key with id ``dev``
is derived from SECRET_KEY. A new key::

    python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"

and put ``k2:`` before what it prints.

Text sealed before key ids existed (plain base64, keyed by SECRET_KEY or CITIZEN_ID_KEY) still
opens while ``SEALING_LEGACY_READ`` is on; ``flask eplan reseal`` re-seals it, after which the
setting (and CITIZEN_ID_KEY) can go.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import os
import re
from dataclasses import dataclass
from typing import AnyStr

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

NONCE_BYTES = 12
KEY_BYTES = 32
VERSION = "v2"
DEV_KEY_ID = "dev"
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
# A key (or secret) must score at least this many bits in ``estimate_bits``.
MIN_KEY_BITS = 128


class Unsealable(ValueError):
    """The text was not sealed with this key and context, or was altered."""


class InvalidDataKeys(ValueError):
    """DATA_KEYS is not a list of ``<key id>:<base64 key>``; the message never shows a key."""


@dataclass(frozen=True)
class Purpose:
    """What a key is for: its HKDF salt and label, and the settings that keyed it before DATA_KEYS."""

    name: str
    salt: bytes | None
    info: bytes
    legacy_settings: tuple[str, ...] = ("SECRET_KEY",)


# Every purpose in one list, so no label serves two uses and ``reseal`` knows them all.
OIDC_SIGNING_KEYS = Purpose("oidc signing keys", b"eplan-flow oidc signing key", b"seal")
SESSION_TOKENS = Purpose("session tokens", None, b"eplan-flow oidc session tokens")
CITIZEN_IDS = Purpose("citizen ids", b"eplan-flow citizen id", b"encrypt", ("CITIZEN_ID_KEY", "SECRET_KEY"))
PURPOSES = (OIDC_SIGNING_KEYS, SESSION_TOKENS, CITIZEN_IDS)


@dataclass(frozen=True)
class Keyring:
    """One purpose's keys: the first seals; any of them, found by key id, unseals."""

    keys: tuple[tuple[str, bytes], ...]
    # The pre-key-id key for unlabelled text, or None when reading it is off.
    legacy: bytes | None = None

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def get(self, kid: str) -> bytes | None:
        return dict(self.keys).get(kid)


@functools.lru_cache(maxsize=128)
def _hkdf(material: bytes, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(material)


def derive_key(salt: bytes | None, info: bytes, secret: str | bytes | None = None) -> bytes:
    """A 32-byte key for one purpose, from ``secret`` (default: the app's SECRET_KEY)."""
    secret = secret or current_app.config["SECRET_KEY"]
    return _hkdf(secret.encode() if isinstance(secret, str) else secret, salt, info)


def parse_data_keys(value: str | list | tuple) -> tuple[tuple[str, bytes], ...]:
    """``[(key id, 32-byte key), ...]`` from DATA_KEYS, first (sealing) key first."""
    entries = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    if not entries:
        raise InvalidDataKeys("DATA_KEYS lists no key")
    keys: list[tuple[str, bytes]] = []
    for position, entry in enumerate(entries, 1):
        kid, sep, encoded = str(entry).strip().partition(":")
        if not sep or not KEY_ID.fullmatch(kid):
            raise InvalidDataKeys(
                f"DATA_KEYS entry {position} is not '<key id>:<base64 key>' (key id: 1-16 of A-Z a-z 0-9 _ -)"
            )
        try:
            standard = encoded.replace("-", "+").replace("_", "/")
            key = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise InvalidDataKeys(f"DATA_KEYS key {kid!r} is not the base64 of {KEY_BYTES} bytes")
        if any(kid == seen for seen, _ in keys):
            raise InvalidDataKeys(f"DATA_KEYS names key id {kid!r} twice")
        keys.append((kid, key))
    return tuple(keys)


def data_keys(config=None) -> tuple[tuple[str, bytes], ...]:
    """The configured data-encryption keys; outside production, one derived from SECRET_KEY."""
    config = config if config is not None else current_app.config
    if config.get("DATA_KEYS"):
        return parse_data_keys(config["DATA_KEYS"])
    if config.get("ENV_NAME") == "production":
        # The start-up check refuses this; never fall back to the session secret in production.
        raise InvalidDataKeys("DATA_KEYS must be set in production")
    return ((DEV_KEY_ID, derive_key(b"eplan-flow data key", b"outside production", config["SECRET_KEY"])),)


def keyring(purpose: Purpose) -> Keyring:
    """The keys of ``purpose`` under the app's data-encryption keys."""
    config = current_app.config
    keys = tuple((kid, _hkdf(key, purpose.salt, purpose.info)) for kid, key in data_keys(config))
    legacy = None
    if config.get("SEALING_LEGACY_READ", True):
        secret = next((config[name] for name in purpose.legacy_settings if config.get(name)), None)
        legacy = derive_key(purpose.salt, purpose.info, secret) if secret else None
    return Keyring(keys, legacy)


def current_key(purpose: Purpose) -> bytes:
    """The sealing key of ``purpose``, for formats that carry no key id (the session cookie's).

    Text sealed with it stops opening when the first data key changes: keep such text short-lived.
    """
    return keyring(purpose).keys[0][1]


def _split(sealed: str) -> tuple[str | None, str]:
    # Unlabelled (legacy) text is urlsafe base64, which never contains a dot.
    version, _, rest = sealed.partition(".")
    kid, dot, payload = rest.partition(".")
    if version == VERSION and dot:
        return kid, payload
    return None, sealed


def key_id(sealed: str) -> str | None:
    """The id of the key that sealed ``sealed``; None for text sealed before key ids."""
    return _split(sealed)[0]


def _encrypt(plaintext: bytes, key: bytes, context: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return base64.urlsafe_b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, context)).decode()


def _decrypt(payload: str, key: bytes, context: bytes) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(payload.encode())
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context)
    except (InvalidTag, ValueError) as exc:
        raise Unsealable("the sealed text cannot be read with this key") from exc


def seal(plaintext: bytes, key: Keyring | bytes, context: bytes) -> str:
    """Encrypt and authenticate ``plaintext``; ``context`` must be given again to unseal.

    With a Keyring the text names the key that sealed it; a raw key gives unlabelled text.
    """
    if isinstance(key, Keyring):
        kid, raw = key.keys[0]
        return f"{VERSION}.{kid}.{_encrypt(plaintext, raw, context)}"
    return _encrypt(plaintext, key, context)


def unseal(sealed: str, key: Keyring | bytes, context: bytes) -> bytes:
    """The plaintext of ``seal``'s output, or raise Unsealable."""
    if not isinstance(key, Keyring):
        return _decrypt(sealed, key, context)
    kid, payload = _split(sealed)
    if kid is None:
        if key.legacy is None:
            raise Unsealable("the text was sealed before key ids and SEALING_LEGACY_READ is off")
        return _decrypt(payload, key.legacy, context)
    raw = key.get(kid)
    if raw is None:
        raise Unsealable(f"the text was sealed with key id {kid!r}, which DATA_KEYS does not list")
    return _decrypt(payload, raw, context)


# -- How random is a key? ----------------------------------------------------------------------

# Score only the start of very long secrets (the repeat search is quadratic).
_SCORED_LENGTH = 256
# Same-case pieces of a run of letters ("CorrectHorse" is two); the named group marks a piece that
# is the whole run (between digits, separators or the ends), where short words count too.
_WORD_RUN = re.compile(
    r"(?<![A-Za-z])(?P<whole>[a-z]{2,}|[A-Z]{2,}|[A-Z][a-z]+)(?![A-Za-z])"
    r"|[a-z]{4,}|[A-Z]{4,}|[A-Z][a-z]{3,}"
)


def _alphabet_bits(secret: str) -> float:
    size = (
        10 * any(c.isdigit() and c.isascii() for c in secret)
        + 26 * any("a" <= c <= "z" for c in secret)
        + 26 * any("A" <= c <= "Z" for c in secret)
        + 33 * any(c.isascii() and not c.isalnum() for c in secret)
        + 128 * any(not c.isascii() for c in secret)
    )
    return math.log2(max(size, 2))


def _longest_repeat(secret: AnyStr, i: int) -> int:
    """The longest run at ``i`` that also starts earlier (overlapping allowed: "aaaa")."""
    length = 0
    while i + length < len(secret) and secret.find(secret[i : i + length + 1], 0, i + length) != -1:
        length += 1
    return length


def _word_like(run: str) -> bool:
    # About a third of English letters are vowels; hex digits (a-f) alone spell no words.
    vowels = sum(c in "aeiouy" for c in run.lower())
    return 0.25 <= vowels / len(run) <= 0.7 and not set(run.lower()) <= set("abcdef")


def estimate_bits(secret: str | bytes) -> float:
    """A pessimistic estimate of the randomness in ``secret``, in bits.

    Random keys score near their size; what people make up scores low. A repeat of earlier text
    ("aaaa", "password" * 8) costs one symbol, a run that keeps the same step ("abcdef", "2468")
    one bit a symbol, a word-like run of letters two bits a letter (about what English carries),
    a separator used before two bits, anything else a symbol from the alphabet the secret draws
    on (bytes: 8 bits).
    """
    secret = secret[:_SCORED_LENGTH]
    if isinstance(secret, bytes):
        per_symbol, in_word, symbols = 8.0, set(), list(secret)
        repeat_at = functools.partial(_longest_repeat, secret)  # one call per type: str.find takes only str
    else:
        per_symbol, symbols = _alphabet_bits(secret), [ord(c) for c in secret]
        repeat_at = functools.partial(_longest_repeat, secret)
        in_word = {
            i for run in _WORD_RUN.finditer(secret) if _word_like(run.group()) for i in range(*run.span())
        }
    bits, i = 0.0, 0
    while i < len(symbols):
        repeat = repeat_at(i)
        if repeat >= 3:
            bits, i = bits + per_symbol, i + repeat
            continue
        if i in in_word:
            bits += 2.0
        elif i >= 2 and symbols[i] - symbols[i - 1] == symbols[i - 1] - symbols[i - 2]:
            bits += 1.0
        elif isinstance(secret, str) and not secret[i].isalnum() and secret[i] in secret[:i]:
            bits += 2.0
        else:
            bits += per_symbol
        i += 1
    return bits

"""Keys derived from the app's secret, and authenticated encryption with them (AES-GCM).

One place for what the citizen ID at rest, the OIDC signing keys at rest and e-Plan's tokens in
the session cookie all need: a key per purpose (HKDF-SHA256, so one secret never serves two
uses) and sealed text that cannot be read or altered without it.
"""
from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

NONCE_BYTES = 12


class Unsealable(ValueError):
    """The text was not sealed with this key and context, or was altered."""


def derive_key(salt: bytes, info: bytes, secret: str | bytes | None = None) -> bytes:
    """A 32-byte key for one purpose, from ``secret`` (default: the app's SECRET_KEY)."""
    secret = secret or current_app.config["SECRET_KEY"]
    material = secret.encode() if isinstance(secret, str) else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(material)


def seal(plaintext: bytes, key: bytes, context: bytes) -> str:
    """Encrypt and authenticate ``plaintext``; ``context`` must be given again to unseal."""
    nonce = os.urandom(NONCE_BYTES)
    return base64.urlsafe_b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, context)).decode()


def unseal(sealed: str, key: bytes, context: bytes) -> bytes:
    """The plaintext of ``seal``'s output, or raise Unsealable."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context)
    except (InvalidTag, ValueError) as exc:
        raise Unsealable("the sealed text cannot be read with this key") from exc

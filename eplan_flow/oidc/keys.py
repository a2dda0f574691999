"""The keys that sign ID tokens: created on first use, rotated on schedule or on demand.

The newest key signs. A key that stops signing stays in the JWKS until every token it signed has
expired (``delete_after``), so relying parties verifying a token issued a minute before a rotation
still find its key. Private keys are sealed with AES-GCM under a key derived from SECRET_KEY.
"""
from __future__ import annotations

import secrets
import zlib
from datetime import datetime, timedelta

from flask import current_app
from joserfc.jwk import RSAKey
from sqlalchemy import select, text

from eplan_flow import sealing
from eplan_flow.errors import PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import SigningKey
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import can_manage_organisations
from eplan_flow.services import audit

ALGORITHM = "RS256"
KEY_BITS = 2048
# Clock skew allowed to relying parties after a token's ``exp``.
LEEWAY_SECONDS = 300
AUDIT_CHAIN = "oidc:signing_keys"


def _sealing_key() -> bytes:
    return sealing.derive_key(b"eplan-flow oidc signing key", b"seal")


def _seal(pem: bytes, kid: str) -> str:
    return sealing.seal(pem, _sealing_key(), kid.encode())


def _unseal(token: str, kid: str) -> bytes:
    return sealing.unseal(token, _sealing_key(), kid.encode())


def _grace() -> timedelta:
    """How long a retired key stays published: the longest life of a token it signed."""
    return timedelta(seconds=current_app.config["OIDC_ID_TOKEN_LIFETIME"] + LEEWAY_SECONDS)


def _lock() -> None:
    # Two workers signing their first token at once must not both create "the newest" key.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(AUDIT_CHAIN.encode())})


def _signing_row(now: datetime) -> SigningKey | None:
    return db.session.execute(
        select(SigningKey).where(SigningKey.retire_after > now)
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc()).limit(1)
    ).scalar_one_or_none()


def rotate_signing_key(actor=None, *, only_if_missing: bool = False) -> SigningKey:
    """Create a new signing key, retire the current one, drop keys past their deletion time."""
    # ``actor`` None is the system itself (first use, the CLI); people must be DLA admins.
    if actor is not None and not can_manage_organisations(actor):
        raise PermissionDenied("only DLA admins rotate the signing keys")
    try:
        _lock()
        now = utcnow()
        if only_if_missing and (row := _signing_row(now)) is not None:
            db.session.commit()  # another worker made it while we waited: release the lock
            return row
        kid = secrets.token_urlsafe(12)
        key = RSAKey.generate_key(KEY_BITS, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
        retired = []
        for old in db.session.execute(select(SigningKey).where(SigningKey.retire_after > now)).scalars():
            old.retire_after = now
            old.delete_after = now + _grace()
            retired.append(old.kid)
        expired = db.session.execute(select(SigningKey).where(SigningKey.delete_after <= now)).scalars().all()
        for old in expired:
            db.session.delete(old)
        lifetime = timedelta(days=current_app.config["OIDC_SIGNING_KEY_ROTATION_DAYS"])
        row = SigningKey(
            kid=kid,
            private_key_encrypted=_seal(key.as_pem(private=True), kid),
            public_jwk=dict(key.as_dict(private=False)),
            created_at=now,
            retire_after=now + lifetime,
            delete_after=now + lifetime + _grace(),
        )
        db.session.add(row)
        audit.append(
            AUDIT_CHAIN, "rotate_signing_key", actor=actor, chain_locked=True,
            data={"kid": kid, "retired": retired, "deleted": [old.kid for old in expired]},
        )
        db.session.commit()
        return row
    except Exception:
        db.session.rollback()
        raise


def signing_key() -> RSAKey:
    """The key that signs new tokens (created, or rotated when due, on first use)."""
    row = _signing_row(utcnow()) or rotate_signing_key(only_if_missing=True)
    return RSAKey.import_key(
        _unseal(row.private_key_encrypted, row.kid),
        parameters={"kid": row.kid, "use": "sig", "alg": ALGORITHM},
    )


def published_keys() -> list[SigningKey]:
    return list(db.session.execute(
        select(SigningKey).where(SigningKey.delete_after > utcnow())
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
    ).scalars())


def jwks() -> dict:
    """The JSON Web Key Set: the public half of every key whose tokens may still be around."""
    return {"keys": [dict(row.public_jwk) for row in published_keys()]}

"""The keys that sign ID tokens: published before they sign, rotated on schedule or on demand.

A relying party that reads the JWKS at start-up, or caches it, must already hold the key a token
names. So the JWKS is never empty (``flask eplan setup`` makes the first key, and reading the JWKS
makes one if none exists), and a rotation publishes the next key at once but lets it sign only
``OIDC_SIGNING_KEY_PUBLICATION_SECONDS`` later; the current key signs until then. A key that stops
signing stays in the JWKS until every token it signed has expired (``delete_after``). Private keys
are sealed with AES-GCM (eplan_flow.sealing).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from joserfc.jwk import RSAKey
from sqlalchemy import select

from eplan_flow import sealing
from eplan_flow.errors import PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import SigningKey
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import can_manage_organisations
from eplan_flow.services.platform import audit
from eplan_flow.services.platform.locks import advisory_lock
from eplan_flow.services.platform.unit_of_work import transaction

ALGORITHM = "RS256"
KEY_BITS = 2048
# Clock skew allowed to relying parties after a token's ``exp``.
LEEWAY_SECONDS = 300
AUDIT_CHAIN = "oidc:signing_keys"


def _sealing_key() -> sealing.Keyring:
    return sealing.keyring(sealing.OIDC_SIGNING_KEYS)


def _seal(pem: bytes, kid: str) -> str:
    return sealing.seal(pem, _sealing_key(), kid.encode())


def _unseal(token: str, kid: str) -> bytes:
    return sealing.unseal(token, _sealing_key(), kid.encode())


def _grace() -> timedelta:
    """How long a retired key stays published: the longest life of a token it signed."""
    return timedelta(seconds=current_app.config["OIDC_ID_TOKEN_LIFETIME"] + LEEWAY_SECONDS)


def _lead() -> timedelta:
    """How long a new key is published before it signs."""
    return timedelta(seconds=current_app.config["OIDC_SIGNING_KEY_PUBLICATION_SECONDS"])


def _lock() -> None:
    # Two workers signing their first token at once must not both create "the newest" key.
    advisory_lock(f"signing-keys:{AUDIT_CHAIN}")


def _published_rows(now: datetime) -> list[SigningKey]:
    return list(
        db.session.execute(
            select(SigningKey)
            .where(SigningKey.delete_after > now)
            .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
        ).scalars()
    )


def _signing_row(rows: list[SigningKey], now: datetime) -> SigningKey | None:
    """The key that signs at ``now``: of those in their signing time, the one that began last."""
    live = [r for r in rows if r.sign_after <= now < r.retire_after]
    return max(live, key=lambda r: (r.sign_after, r.id), default=None)


def _next_rows(rows: list[SigningKey], now: datetime) -> list[SigningKey]:
    """Keys published but not signing yet."""
    return [r for r in rows if r.sign_after > now]


def _maintenance_due(rows: list[SigningKey], now: datetime) -> bool:
    """No key signs now, or the signing key retires within the publication lead with no next key
    published yet (so the next one must be published now to be known in time)."""
    current = _signing_row(rows, now)
    if current is None:
        return True
    return current.retire_after - now <= _lead() and not _next_rows(rows, now)


def _new_key(now: datetime, sign_after: datetime) -> SigningKey:
    kid = secrets.token_urlsafe(12)
    key = RSAKey.generate_key(KEY_BITS, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
    retire_after = sign_after + timedelta(days=current_app.config["OIDC_SIGNING_KEY_ROTATION_DAYS"])
    row = SigningKey(
        kid=kid,
        private_key_encrypted=_seal(key.as_pem(private=True), kid),
        public_jwk=dict(key.as_dict(private=False)),
        created_at=now,
        sign_after=sign_after,
        retire_after=retire_after,
        delete_after=retire_after + _grace(),
    )
    db.session.add(row)
    return row


def _drop_expired(now: datetime) -> list[str]:
    expired = db.session.execute(select(SigningKey).where(SigningKey.delete_after <= now)).scalars().all()
    for old in expired:
        db.session.delete(old)
    return [old.kid for old in expired]


def _audit(actor, row: SigningKey, retired: list[str], deleted: list[str], reason: str) -> None:
    audit.append(
        AUDIT_CHAIN,
        "rotate_signing_key",
        actor=actor,
        chain_locked=True,
        data={
            "kid": row.kid,
            "signs_from": row.sign_after.isoformat(),
            "reason": reason,
            "retired": retired,
            "deleted": deleted,
        },
    )


def rotate_signing_key(actor=None, *, immediate: bool = False, only_if_missing: bool = False) -> SigningKey:
    """Publish the next signing key; it signs after the publication lead, when the current key
    retires. ``immediate`` (a suspected compromise) makes it sign at once. Returns the new key, or
    the next key already published (rotating twice does not push the change further away)."""
    # ``actor`` None is the system itself (setup, first use, the CLI); people must be DLA admins.
    if actor is not None and not can_manage_organisations(actor):
        raise PermissionDenied("only DLA admins rotate the signing keys")
    with transaction():
        _lock()
        now = utcnow()
        rows = _published_rows(now)
        current = _signing_row(rows, now)
        if only_if_missing and current is not None:
            return current  # another worker made it while we waited (the commit releases the lock)
        pending = _next_rows(rows, now)
        if pending and not immediate:
            return min(pending, key=lambda r: r.sign_after)
        # With nothing signing there is nobody to wait for: the new key signs at once.
        sign_after = now if immediate or current is None else now + _lead()
        retired = []
        for old in [r for r in rows if r.retire_after > now]:
            # The current key signs until its successor starts (a little longer or shorter than
            # planned); keys published but not yet signing never sign when this one replaces them.
            old.retire_after = sign_after if old.sign_after <= now else now
            old.delete_after = old.retire_after + _grace()
            retired.append(old.kid)
        deleted = _drop_expired(now)
        row = _new_key(now, sign_after)
        _audit(actor, row, retired, deleted, "immediate" if immediate or current is None else "rotation")
        return row


def ensure_keys() -> SigningKey:
    """Make sure a key signs now and, when the current one retires within the publication lead,
    that its successor is published; return the signing key. ``flask eplan setup`` calls this."""
    now = utcnow()
    rows = _published_rows(now)
    signing = _signing_row(rows, now)
    if signing is not None and not _maintenance_due(rows, now):
        return signing
    with transaction():
        _lock()
        now = utcnow()
        rows = _published_rows(now)  # as they are now that we hold the lock
        current = _signing_row(rows, now)
        if current is not None:
            if _maintenance_due(rows, now):
                # Scheduled: the successor signs exactly when the current key retires.
                row = _new_key(now, current.retire_after)
                _audit(None, row, [], _drop_expired(now), "scheduled")
            return current
    # Nothing signs: the lock is released (committed) first; the rotation takes it again.
    return rotate_signing_key(only_if_missing=True)


def signing_key() -> RSAKey:
    """The key that signs new tokens (published ahead of its use; see ``ensure_keys``)."""
    row = ensure_keys()
    return RSAKey.import_key(
        _unseal(row.private_key_encrypted, row.kid),
        parameters={"kid": row.kid, "use": "sig", "alg": ALGORITHM},
    )


def published_keys() -> list[SigningKey]:
    """The keys in the JWKS: the signing key first, then the next one, then retired ones."""
    now = utcnow()
    rows = _published_rows(now)
    current = _signing_row(rows, now)
    upcoming = sorted(_next_rows(rows, now), key=lambda r: r.sign_after)
    # Some relying parties try the first key of a set first: make it the one that signs.
    return [r for r in (current, *upcoming) if r is not None] + [
        r for r in rows if r is not current and r not in upcoming
    ]


def jwks() -> dict:
    """The JSON Web Key Set: the public half of the signing key, the next one and every key whose
    tokens may still be around. Never empty: a key is made if there is none."""
    ensure_keys()
    return {"keys": [dict(row.public_jwk) for row in published_keys()]}

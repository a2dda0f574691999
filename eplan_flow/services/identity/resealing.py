"""Re-seal every stored sealed value under the first data key; recompute citizen ID digests.

After a new key is put first in DATA_KEYS (or DATA_KEYS replaces the keys derived from the
session secret), old text still opens with the keys listed after it; this moves every value to
the first key, so the old keys can then be dropped. It also recomputes each citizen ID's keyed
digest, so a new CITIZEN_ID_DIGEST_KEY takes effect for the people already registered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Column, CursorResult, Row, select, update

from eplan_flow import sealing
from eplan_flow.extensions import db
from eplan_flow.models import SigningKey, User
from eplan_flow.services.identity import citizen_id
from eplan_flow.services.platform import audit
from eplan_flow.services.platform.unit_of_work import transaction

AUDIT_CHAIN = "platform:data_keys"
BATCH_SIZE = 500
LEGACY = "(no key id)"


@dataclass(frozen=True)
class SealedColumn:
    """A column of sealed text: its purpose's keys, the context bound into it, a digest beside it."""

    name: str
    column: Column
    purpose: sealing.Purpose
    context: Callable[[Row], bytes]  # from the row read for resealing
    # Columns the context is made of (the signing key's ``kid``).
    context_columns: tuple[Column, ...] = ()
    digest: tuple[Column, Callable[[bytes], str]] | None = None


SEALED_COLUMNS = (
    SealedColumn(
        "oidc signing keys",
        SigningKey.__table__.c.private_key_encrypted,
        sealing.OIDC_SIGNING_KEYS,
        lambda row: row.kid.encode(),
        context_columns=(SigningKey.__table__.c.kid,),
    ),
    SealedColumn(
        "citizen ids",
        User.__table__.c.citizen_id_encrypted,
        sealing.CITIZEN_IDS,
        lambda row: citizen_id.CONTEXT,
        digest=(User.__table__.c.citizen_id_digest, lambda plain: citizen_id.digest(plain.decode())),
    ),
)


@dataclass
class ColumnReport:
    has_digest: bool = False
    checked: int = 0
    resealed: Counter = field(default_factory=Counter)  # by the key id it was sealed under
    digests_recomputed: int = 0
    unreadable: list[int] = field(default_factory=list)  # row ids no configured key opens


@dataclass
class ResealReport:
    key_id: str
    columns: dict[str, ColumnReport]

    @property
    def unreadable(self) -> int:
        return sum(len(c.unreadable) for c in self.columns.values())


def reseal_all(batch_size: int = BATCH_SIZE) -> ResealReport:
    """Seal every stored value again under the first data key, in batches; audit the counts.

    Each batch commits on its own so a large table is never locked for long. Re-sealing keeps
    every plaintext, so a run cut short leaves everything readable and a second run finishes;
    a value already under the first key (and with its current digest) is left alone.
    """
    report = ResealReport(sealing.data_keys()[0][0], {})
    for sealed in SEALED_COLUMNS:
        report.columns[sealed.name] = _reseal_column(sealed, batch_size)
    with transaction():
        audit.append(
            AUDIT_CHAIN,
            "reseal",
            data={
                "key_id": report.key_id,
                **{
                    name: {
                        "checked": c.checked,
                        "resealed": dict(c.resealed),
                        "digests_recomputed": c.digests_recomputed,
                        "unreadable": len(c.unreadable),
                    }
                    for name, c in report.columns.items()
                },
            },
        )
    return report


def _reseal_column(sealed: SealedColumn, batch_size: int) -> ColumnReport:
    table = sealed.column.table
    ring = sealing.keyring(sealed.purpose)
    extra = [sealed.digest[0]] if sealed.digest else []
    columns = [table.c.id, sealed.column, *extra, *sealed.context_columns]
    result, last_id = ColumnReport(has_digest=sealed.digest is not None), 0
    while True:
        rows = db.session.execute(
            select(*columns)
            .where(sealed.column.is_not(None), table.c.id > last_id)
            .order_by(table.c.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return result
        with transaction():  # one batch at a time: a large table is never locked for long
            _reseal_batch(sealed, ring, rows, result)
        last_id = rows[-1].id


def _reseal_batch(sealed: SealedColumn, ring, rows, result: ColumnReport) -> None:
    table = sealed.column.table
    for row in rows:
        result.checked += 1
        value = row._mapping[sealed.column]
        try:
            plain = sealing.unseal(value, ring, sealed.context(row))
        except sealing.Unsealable:
            result.unreadable.append(row.id)
            continue
        changes = {}
        old_kid = sealing.key_id(value)
        if old_kid != ring.current_id:
            changes[sealed.column.name] = sealing.seal(plain, ring, sealed.context(row))
        if sealed.digest:
            digest_column, compute = sealed.digest
            fresh = compute(plain)
            if fresh != row._mapping[digest_column]:
                changes[digest_column.name] = fresh
        if not changes:
            continue
        # Only if nobody rewrote the value meanwhile (they sealed it under the first key).
        # An UPDATE's result is a CursorResult (rowcount); Session.execute is typed for any statement.
        done = cast(
            CursorResult,
            db.session.execute(
                update(table).where(table.c.id == row.id, sealed.column == value).values(changes)
            ),
        ).rowcount
        if done and sealed.column.name in changes:
            result.resealed[old_kid or LEGACY] += 1
        if done and sealed.digest and sealed.digest[0].name in changes:
            result.digests_recomputed += 1

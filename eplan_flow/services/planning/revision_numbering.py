"""How an LAO numbers its announced revisions: year basis, counter scope and word, and next numbers.

The national default is rule data of the revision workflow (``rules["numbering"]``); an LAO may
override it (``RevisionNumbering``) where the definition version allows (version 2), and an LAO
joining e-Plan mid-period sets the next number of a counter. Each number a revision takes is a
``RevisionNumber`` row, unique per LAO, basis, year and counter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import combinations

from sqlalchemy import func, select

from eplan_flow import text
from eplan_flow.errors import InvalidInput, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.glossary import REVISION_KIND_NAMES, revision_label
from eplan_flow.models import AuditEvent, Organisation, RevisionNumber, RevisionNumbering
from eplan_flow.permissions import can_edit_plan_content, has_role
from eplan_flow.services.platform import audit
from eplan_flow.services.platform.locks import advisory_lock
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.thaidate import be_year, fiscal_year, today_local
from workflows import REGISTRY

SETTINGS = ("year_basis", "counter_scope", "number_word")


class NumberAlreadyUsed(InvalidInput):
    """The next number asked for is not above the numbers this counter already announced."""

    code = "revision_number_used"


@dataclass(frozen=True)
class Numbering:
    """The numbering an LAO follows under one definition version."""

    year_basis: str
    counter_scope: str
    number_word: str
    next_numbers: dict


def _latest_rules() -> dict:
    # The numbering new revisions follow (the latest definition version's rules).
    return REGISTRY.get("revision").rules["numbering"]


def _settings_row(organisation_id: int) -> RevisionNumbering | None:
    return db.session.scalar(
        select(RevisionNumbering).where(RevisionNumbering.organisation_id == organisation_id)
    )


def numbering_for(organisation_id: int, rules: dict) -> Numbering:
    """The numbering of ``rules`` (a definition's ``numbering``), with the LAO's own where allowed."""
    row = _settings_row(organisation_id) if rules.get("lao_settings") else None
    return Numbering(
        **{name: (getattr(row, name, None) or rules[name]) for name in SETTINGS},
        next_numbers=dict(row.next_numbers or {}) if row is not None else {},
    )


def numbering_year(basis: str, day: date) -> int:
    """The Buddhist-Era year a revision announced on ``day`` is numbered in."""
    return fiscal_year(day) if basis == "fiscal" else be_year(day.year)


def counters_of(kinds, scope: str) -> list[str]:
    """The counters a revision holding ``kinds`` takes a number from, in the order titles name them."""
    if scope == "kind":
        return [name for kind, name in REVISION_KIND_NAMES.items() if kind in set(kinds)]
    return [revision_label(kinds)]


def _key(basis: str, year: int, counter: str) -> str:
    return f"{basis}:{year}:{counter}"


def _last_used(organisation_id: int, basis: str, year: int, counter: str) -> int:
    return (
        db.session.scalar(
            select(func.max(RevisionNumber.number)).where(
                RevisionNumber.organisation_id == organisation_id,
                RevisionNumber.year_basis == basis,
                RevisionNumber.year_be == year,
                RevisionNumber.counter == counter,
            )
        )
        or 0
    )


def compose_title(numbering: Numbering, year: int, numbered: list[tuple[str, int]]) -> str:
    """The title an announcement gives: "เพิ่มเติม ครั้งที่ 2/2568", "เพิ่มเติม ฉบับที่ 3 ประจำปี
    งบประมาณ 2567", "เปลี่ยนแปลง ฉบับที่ 1/2565 และเพิ่มเติม ฉบับที่ 2/2565"."""
    word = numbering.number_word
    if numbering.year_basis == "fiscal":
        parts = [f"{counter} {word} {number}" for counter, number in numbered]
        return f"{' และ'.join(parts)} ประจำปีงบประมาณ {year}"
    return " และ".join(f"{counter} {word} {number}/{year}" for counter, number in numbered)


def number_revision(revision, rules: dict, day: date) -> tuple[int, str, int, str]:
    """Give an announced revision its numbers (in the caller's transaction): year, label, first
    number, title."""
    numbering = numbering_for(revision.organisation_id, rules["numbering"])
    year = numbering_year(numbering.year_basis, day)
    advisory_lock(f"revision-numbering:{revision.organisation_id}")
    numbered = []
    for counter in counters_of(revision.kinds, numbering.counter_scope):
        last = _last_used(revision.organisation_id, numbering.year_basis, year, counter)
        start = int(numbering.next_numbers.get(_key(numbering.year_basis, year, counter), 1))
        number = max(last + 1, start)
        db.session.add(
            RevisionNumber(
                organisation_id=revision.organisation_id,
                revision_id=revision.id,
                year_basis=numbering.year_basis,
                year_be=year,
                counter=counter,
                number=number,
            )
        )
        numbered.append((counter, number))
    db.session.flush()
    return year, revision_label(revision.kinds), numbered[0][1], compose_title(numbering, year, numbered)


def counter_names() -> list[str]:
    """Every counter a number may run in: each kind, then each bundle of kinds."""
    kinds = list(REVISION_KIND_NAMES)
    bundles = [
        revision_label(held) for size in range(2, len(kinds) + 1) for held in combinations(kinds, size)
    ]
    return [*REVISION_KIND_NAMES.values(), *bundles]


def example_title(numbering: Numbering) -> str:
    """How a bundle of an addition and a change announced first this year would be titled."""
    year = numbering_year(numbering.year_basis, today_local())
    counters = counters_of(("addition", "change"), numbering.counter_scope)
    return compose_title(numbering, year, [(counter, 1) for counter in counters])


def next_numbers_shown(numbering: Numbering) -> list[tuple[str, int, str, int]]:
    """The next numbers the LAO set: basis, year, counter, number."""
    shown = []
    for key, number in sorted(numbering.next_numbers.items()):
        basis, year, counter = key.split(":", 2)
        shown.append((basis, int(year), counter, int(number)))
    return shown


# -- the LAO's settings -----------------------------------------------------------------------------
def may_set(actor, org) -> bool:
    """Whether ``actor`` sets ``org``'s numbering: its planners and support secretaries, or DLA."""
    return can_edit_plan_content(actor, org) or has_role(actor, "dla_admin", org)


def settings_of(organisation_id: int) -> tuple[Numbering, RevisionNumbering | None]:
    """The numbering new revisions of the LAO follow, and its own settings row if any."""
    return numbering_for(organisation_id, _latest_rules()), _settings_row(organisation_id)


def counters_in_use(organisation_id: int) -> list[tuple[str, int, str, int]]:
    """Each counter the LAO has numbered in: basis, year, counter, last number; newest year first."""
    rows = db.session.execute(
        select(
            RevisionNumber.year_basis,
            RevisionNumber.year_be,
            RevisionNumber.counter,
            func.max(RevisionNumber.number),
        )
        .where(RevisionNumber.organisation_id == organisation_id)
        .group_by(RevisionNumber.year_basis, RevisionNumber.year_be, RevisionNumber.counter)
        .order_by(RevisionNumber.year_be.desc(), RevisionNumber.counter)
    ).all()
    return [(basis, year, counter, last) for basis, year, counter, last in rows]


def _locked_settings(actor, organisation_id: int) -> RevisionNumbering:
    org = db.session.get(Organisation, organisation_id)
    if org is None or not may_set(actor, org):
        raise PermissionDenied("only the LAO's planners, support secretaries or DLA set its numbering")
    advisory_lock(f"revision-numbering:{organisation_id}")
    row = _settings_row(organisation_id)
    if row is None:
        row = RevisionNumbering(organisation_id=organisation_id, next_numbers={})
        db.session.add(row)
    return row


def _audit(actor, organisation_id: int, action: str, data: dict, reason: str | None = None) -> None:
    audit.append(
        f"revision-numbering:{organisation_id}",
        action,
        actor=actor,
        organisation_id=organisation_id,
        comment=reason,
        data=data,
        chain_locked=True,
    )


def save_settings(
    actor, organisation_id: int, year_basis, counter_scope, number_word, *, reason: str | None = None
) -> None:
    """Set the LAO's year basis, counter scope and number word (empty: the national default);
    ``reason`` (the back office's) is the audit event's comment."""
    rules = _latest_rules()
    given = {"year_basis": year_basis, "counter_scope": counter_scope, "number_word": number_word}
    allowed = {"year_basis": "year_bases", "counter_scope": "counter_scopes", "number_word": "number_words"}
    for name, value in given.items():
        if value and value not in rules[allowed[name]]:
            raise InvalidInput(f"{value!r} is not a {name}", field=name)
    with transaction():
        row = _locked_settings(actor, organisation_id)
        for name, value in given.items():
            setattr(row, name, value or None)
        db.session.flush()
        _audit(actor, organisation_id, "set_numbering", {k: v or None for k, v in given.items()}, reason)


def set_next_number(
    actor, organisation_id: int, year_basis, year_be, counter, next_number, *, reason: str | None = None
) -> None:
    """Set the next number of one counter (an LAO joining mid-period), above any already announced;
    ``reason`` (the back office's) is the audit event's comment."""
    rules = _latest_rules()
    if year_basis not in rules["year_bases"]:
        raise InvalidInput(f"{year_basis!r} is not a year basis", field="year_basis")
    if counter not in counter_names():
        raise InvalidInput(f"{counter!r} is not a counter", field="counter")
    for name, value, low in (("year_be", year_be, 2500), ("next_number", next_number, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low or value > 9999:
            raise InvalidInput(f"{name} must be a whole number from {low}", field=name)
    with transaction():
        row = _locked_settings(actor, organisation_id)
        last = _last_used(organisation_id, year_basis, year_be, counter)
        if next_number <= last:
            raise NumberAlreadyUsed(
                f"{counter} number {last}/{year_be} is already announced; the next is above it",
                field="next_number",
                last=last,
                counter=counter,
                year=year_be,
            )
        row.next_numbers = {**(row.next_numbers or {}), _key(year_basis, year_be, counter): next_number}
        db.session.flush()
        _audit(
            actor,
            organisation_id,
            "set_next_number",
            {"year_basis": year_basis, "year_be": year_be, "counter": counter, "next_number": next_number},
            reason,
        )


# -- DLA's back office ------------------------------------------------------------------------------
REASON_MAX_LENGTH = 500


def national_default() -> tuple[int, dict]:
    """The numbering new revisions follow unless an LAO sets its own: definition version, rules."""
    definition = REGISTRY.get("revision")
    return definition.version, definition.rules["numbering"]


def _own_organisation(actor, org) -> bool:
    # Someone placed at the LAO, or holding any grant there, is one of its own people.
    return getattr(actor, "organisation_id", None) == org.id or any(
        grant.organisation_id == org.id for grant in getattr(actor, "grants", ())
    )


def may_set_from_back_office(actor, org) -> bool:
    """Whether ``actor`` sets ``org``'s numbering in DLA's back office: a DLA admin, for an LAO that
    is not their own (separation of duties: an LAO's own people use its numbering page)."""
    return (
        org is not None
        and org.kind == "lao"
        and has_role(actor, "dla_admin", org)
        and not _own_organisation(actor, org)
    )


def change_from_back_office(
    actor,
    organisation_id: int,
    *,
    reason,
    year_basis,
    counter_scope,
    number_word,
    next_number: tuple[str, int, str, int] | None = None,
) -> bool:
    """A DLA admin sets an LAO's numbering and, optionally, the next number of one counter
    (basis, year, counter, number), all or nothing, each change audited with ``reason``.

    Returns whether anything changed (settings equal to the stored ones are not saved again).
    """
    reason = text.clean_text(
        reason, field="reason", max_length=REASON_MAX_LENGTH, required=True, multiline=True
    )
    org = db.session.get(Organisation, organisation_id)
    if not may_set_from_back_office(actor, org):
        raise PermissionDenied(
            "only DLA admins set an LAO's numbering in the back office, never their own LAO's"
        )
    given = {"year_basis": year_basis, "counter_scope": counter_scope, "number_word": number_word}
    with transaction():
        own = _settings_row(organisation_id)
        stored = {name: (getattr(own, name, None) or "") for name in SETTINGS}
        changed = {name: value or "" for name, value in given.items()} != stored
        if changed:
            save_settings(actor, organisation_id, year_basis, counter_scope, number_word, reason=reason)
        if next_number is not None:
            set_next_number(actor, organisation_id, *next_number, reason=reason)
            changed = True
    return changed


def last_changes(organisation_ids) -> dict[int, AuditEvent]:
    """The latest audited change of each LAO's numbering (who, when, why), by organisation id."""
    chains = {f"revision-numbering:{org_id}": org_id for org_id in organisation_ids}
    if not chains:
        return {}
    latest = (
        select(AuditEvent.chain, func.max(AuditEvent.seq).label("seq"))
        .where(AuditEvent.chain.in_(chains))
        .group_by(AuditEvent.chain)
        .subquery()
    )
    events = db.session.scalars(
        select(AuditEvent).join(
            latest, (AuditEvent.chain == latest.c.chain) & (AuditEvent.seq == latest.c.seq)
        )
    )
    return {chains[event.chain]: event for event in events}


def settings_rows(organisation_ids) -> dict[int, RevisionNumbering]:
    """The LAOs' own numbering rows, by organisation id (LAOs following the default have none)."""
    ids = list(organisation_ids)
    if not ids:
        return {}
    rows = db.session.scalars(select(RevisionNumbering).where(RevisionNumbering.organisation_id.in_(ids)))
    return {row.organisation_id: row for row in rows}

"""Identity verification with ThaiD: the citizen ID ThaiD vouches for must be the registered one.

The SSO's ThaiD client (``eplan_flow.sso.thaid``) hands over the verified ID token's ``pid`` and
claims. A match moves the person's account on (verified, then waiting for their approver) in one
transaction; a mismatch changes nothing but the reason shown to the person, and is audited on
their authentication chain ``auth:<user id>`` without the number. (``Account.submitted_at``, from
which escalation counts, is stamped by ``services.approvals`` as the account enters
``awaiting_approval``.)

Proof of the number is what makes it someone's: registering reserves nothing. The first person
ThaiD verifies for a citizen ID owns it (a partial unique index holds it among verified people);
every unverified registration of the same number is then voided and told so by email. A second
account proven for a number already owned is refused.

The number alone is not enough: the Thai name ThaiD holds for it must be the registered one
(``thai_names``: composition, spaces, invisible characters and the title's spelling do not count;
the title itself may differ and is shown to the approver), and so must the birth date when both
sides have one. A mismatch is refused; either way the name and birth date ThaiD sent are kept on
the account (``thaid_name``, ``thaid_birthdate``), so the approver sees them beside the typed ones.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eplan_flow.errors import GuardFailed, NotFound
from eplan_flow.extensions import db
from eplan_flow.models import Account, User
from eplan_flow.models._types import utcnow
from eplan_flow.services.identity import citizen_id, identity, thai_names
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.unit_of_work import transaction


def N_(msgid: str) -> str:
    """Mark a msgid for extraction; the presentation layer translates it."""
    return msgid


# Stored in ``Account.verification_error`` as English msgids; pages show them translated.
REASONS = {
    "pid_mismatch": N_(
        "The citizen ID from ThaiD does not match the one you registered. Your identity was not "
        "verified. Sign in to ThaiD as yourself, or, if you registered a wrong number, ask your "
        "organisation's SSO admin."
    ),
    "pid_missing": N_(
        "ThaiD did not send a valid citizen ID, so your identity was not verified. Try again later."
    ),
    "name_missing": N_(
        "ThaiD did not send your name, so it could not be compared with the name you registered and "
        "your identity was not verified. Try again later."
    ),
    "name_mismatch": N_(
        "The name ThaiD holds for your citizen ID does not match the name you registered, so your "
        "identity was not verified. If you typed your name wrongly, correct it on this page and "
        "verify again; otherwise ask your organisation's SSO admin."
    ),
    "birthdate_mismatch": N_(
        "The birth date ThaiD holds for your citizen ID does not match the one you registered, so "
        "your identity was not verified. If you typed it wrongly, correct it on this page and "
        "verify again; otherwise ask your organisation's SSO admin."
    ),
    # Told only to someone ThaiD has just proven to hold the number.
    "pid_taken": N_(
        "Your citizen ID is already verified on another Single Sign-On account, and each citizen ID "
        "belongs to one account. Sign in with that account; if you cannot, ask your organisation's "
        "SSO admin."
    ),
}


class NotAwaitingVerification(GuardFailed):
    """The account is not at the step where ThaiD verification counts (email confirmed)."""

    code = "not_awaiting_verification"


@dataclass(frozen=True)
class Result:
    """What a verification attempt did: ``reason`` is a code of REASONS when it failed."""

    verified: bool
    account_id: int
    status: str
    reason: str | None = None

    @property
    def message(self) -> str | None:
        return REASONS.get(self.reason) if self.reason else None


def account_of(user_id: int, *, lock: bool = False) -> Account | None:
    """Return the person's SSO account, locked for the transaction with ``lock``."""
    query = select(Account).where(Account.user_id == user_id)
    return db.session.scalar(query.with_for_update(of=Account) if lock else query)


def complete_verification(user_id: int, pid: str | None, claims: Mapping) -> Result:
    """Bind ThaiD's ``pid`` to the person's account if it is their registered citizen ID."""
    verifying = False
    try:
        with transaction():
            user = db.session.get(User, user_id)
            account = account_of(user_id, lock=True) if user is not None else None
            if user is None or account is None:
                raise NotFound("no SSO account to verify", user_id=user_id)
            if account.status != "email_confirmed":
                raise NotAwaitingVerification(
                    "identity is verified only after the email address is confirmed and before approval",
                    state=account.status,
                )
            pid = (pid or "").strip()
            if not citizen_id.is_valid(pid):
                return _refuse(user, account, "pid_missing", claims)
            if not user.citizen_id_digest or not hmac.compare_digest(
                citizen_id.digest(pid), user.citizen_id_digest
            ):
                return _refuse(user, account, "pid_mismatch", claims)
            person = thai_names.from_claims(claims)
            if person is None:
                return _refuse(user, account, "name_missing", claims)
            # ThaiD's word on the holder of the registered number: kept whatever is decided next.
            account.thaid_name = person.full_name[:200]
            account.thaid_birthdate = person.birthdate
            account.thaid_checked_at = utcnow()
            comparison = thai_names.compare(user.full_name, user.birth_date, person)
            if not comparison.name_matches:
                return _refuse(user, account, "name_mismatch", claims, person)
            if comparison.birthdate_matches is False:
                return _refuse(user, account, "birthdate_mismatch", claims, person)
            if _verified_owner(user) is not None:
                return _refuse(user, account, "pid_taken", claims)
            verifying = True
            return _verify(user, account, claims, comparison)
    except IntegrityError:
        if not verifying:
            raise
    # Another account of the same number was verified at the same moment and won (the rollback
    # undid the steps): the refusal is recorded on its own.
    with transaction():
        user = db.session.get(User, user_id)
        account = account_of(user_id, lock=True)
        if user is None or account is None:  # found above; gone only if deleted meanwhile
            raise NotFound("no SSO account to verify", user_id=user_id)
        return _refuse(user, account, "pid_taken", claims)


def _verified_owner(user: User) -> int | None:
    return db.session.scalar(
        select(User.id).where(
            User.citizen_id_digest == user.citizen_id_digest,
            User.id != user.id,
            User.identity_verified_at.is_not(None),
        )
    )


def _verify(user: User, account: Account, claims: Mapping, comparison: thai_names.Comparison) -> Result:
    """Take the two steps, record the proof and void the number's other claims (the caller's
    transaction; the verified-owner index refuses a race with an IntegrityError)."""
    proof = {
        "via": "thaid",
        "issuer": claims.get("iss"),
        "name_matched": True,
        "title_matched": comparison.title_matches,
        "birthdate_matched": comparison.birthdate_matches,
    }
    steps = [
        engine.fire("account", account.id, "verify_identity", user, data=proof),
        engine.fire("account", account.id, "request_approval", user),
    ]
    # After the steps: the engine reloads the account and its person as it locks them.
    user.identity_verified_at = utcnow()
    db.session.flush()  # the verified-owner index decides a race here, before anyone is voided
    voided = identity.drop_unverified_claims(user)
    if voided:
        audit.append(
            f"auth:{user.id}",
            "citizen_id_claims_voided",
            actor=user,
            organisation_id=account.organisation_id,
            data={"voided": len(voided)},
        )
    return Result(True, account.id, steps[-1].to_state)


def _refuse(
    user: User, account: Account, reason: str, claims: Mapping, person: thai_names.ThaidPerson | None = None
) -> Result:
    account.verification_error = REASONS[reason]
    # Never the citizen IDs themselves (PDPA): the reason says enough. A name or birth date that
    # did not match is recorded as ThaiD sent it for the registered number, beside what was typed.
    data = {"reason": reason, "account_id": account.id, "issuer": claims.get("iss")}
    if person is not None:
        data.update(
            thaid_name=person.full_name,
            typed_name=user.full_name,
            thaid_birthdate=person.birthdate.isoformat() if person.birthdate else None,
            typed_birthdate=user.birth_date.isoformat() if user.birth_date else None,
        )
    audit.append(
        f"auth:{user.id}",
        "thaid_verification_failed",
        actor=user,
        organisation_id=account.organisation_id,
        data=data,
    )
    return Result(False, account.id, account.status, reason)


@engine.entry_action
def _clear_verification_error(instance, actor, from_state, to_state, data) -> None:
    if instance.verification_error is None:
        return
    engine.write_columns(instance, verification_error=None)

"""complete_verification on its own: one transaction, the right refusals, nothing half done."""

from __future__ import annotations

import pytest

from eplan_flow.errors import DomainError
from eplan_flow.models import Account, AuditEvent, User
from eplan_flow.services.identity.thaid_verification import NotAwaitingVerification, complete_verification
from eplan_flow.services.platform import engine
from eplan_flow.thaid_dev.citizens import BY_KEY
from tests.identity.thaid.conftest import registered_person

SOMCHAI = BY_KEY["somchai"].pid
# What ThaiD says about Somchai (the stand-in's claims for him), from a real issuer.
SOMCHAI_CLAIMS = {"iss": "https://thaid.example", **BY_KEY["somchai"].claims()}


def _state(db, person):
    db.session.expire_all()
    account = db.session.get(Account, person.account_id)
    user = db.session.get(User, person.user_id)
    return (
        account.status,
        account.version,
        account.verification_error,
        user.identity_verified_at,
        db.session.query(AuditEvent).count(),
    )


def test_a_matching_pid_verifies_and_asks_for_approval_in_one_step(app, db):
    person = registered_person(pid=SOMCHAI)
    result = complete_verification(person.user_id, SOMCHAI, SOMCHAI_CLAIMS)
    assert result.verified and result.status == "awaiting_approval" and result.message is None
    account = db.session.get(Account, person.account_id)
    verified = (
        db.session.query(AuditEvent).filter_by(chain=f"account:{account.id}", action="verify_identity").one()
    )
    assert verified.actor_id == person.user_id and verified.data == {
        "via": "thaid",
        "issuer": "https://thaid.example",
        "name_matched": True,
        "title_matched": True,
        "birthdate_matched": True,
    }
    assert (account.thaid_name, account.thaid_birthdate) == ("นายสมชาย ใจดี", BY_KEY["somchai"].birthdate)
    assert account.thaid_checked_at is not None


@pytest.mark.parametrize("pid", [None, "", "1101700203451", "110170020345"])
def test_no_valid_pid_from_thaid_is_recorded_as_such_and_verifies_nothing(app, db, pid):
    person = registered_person(pid=SOMCHAI)
    result = complete_verification(person.user_id, pid, {})
    assert not result.verified and result.reason == "pid_missing"
    status, _version, error, verified_at, _events = _state(db, person)
    assert status == "email_confirmed" and error == result.message and verified_at is None


def test_an_account_whose_email_address_is_not_confirmed_is_refused_and_nothing_changes(app, db):
    person = registered_person(pid=SOMCHAI, confirmed=False)
    before = _state(db, person)
    with pytest.raises(NotAwaitingVerification):
        complete_verification(person.user_id, SOMCHAI, SOMCHAI_CLAIMS)
    assert _state(db, person) == before


def test_a_failure_in_the_second_step_undoes_the_first(app, db, monkeypatch):
    person = registered_person(pid=SOMCHAI)
    before = _state(db, person)

    def refuse(instance, actor, from_state, to_state, data):
        raise DomainError("the approver cannot be found")

    named = engine.entry_actions

    def with_refusal(definition, state):
        actions = named(definition, state)
        return (*actions, refuse) if (definition.name, state) == ("account", "awaiting_approval") else actions

    monkeypatch.setattr(engine, "entry_actions", with_refusal)
    with pytest.raises(DomainError, match="approver"):
        complete_verification(person.user_id, SOMCHAI, SOMCHAI_CLAIMS)
    assert _state(db, person) == before

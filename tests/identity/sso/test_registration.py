"""Registration: one person, one account on its workflow, one confirmation email, all or nothing."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from eplan_flow.errors import InvalidInput
from eplan_flow.extensions import db as _db
from eplan_flow.models import Account, AuditEvent, EmailMessage, OutboxMessage, User
from eplan_flow.services.identity import citizen_id as cid
from eplan_flow.services.identity import identity
from tests.identity.sso.conftest import citizen_id, register, registration, token_in, wrong_check_digit


def counts():
    return tuple(
        _db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Account, AuditEvent, EmailMessage, OutboxMessage)
    )


def test_registering_creates_the_person_their_account_and_a_queued_confirmation_email(world, db):
    account = register(world.sao_a, 1, email="  Somchai1@LAO.example.test ")
    user = account.user
    assert (user.username, user.email) == ("somchai1@lao.example.test", "somchai1@lao.example.test")
    assert user.full_name == "นายสมชาย ใจดี1"
    assert (user.phone, user.organisation_id, user.email_confirmed_at) == ("0812345678", world.sao_a.id, None)
    assert user.password_hash.startswith("$argon2id$") and user.grants == []
    assert (account.status, account.organisation_id, account.requested_role) == (
        "registered",
        world.sao_a.id,
        "member",
    )
    events = _db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert [(e.chain, e.action) for e in events] == [
        (f"account:{account.id}", "create"),
        (f"auth:{user.id}", "registered"),
    ]
    assert events[0].data == {"organisation": world.sao_a.code, "requested_role": "member"}
    message = _db.session.execute(select(EmailMessage)).scalar_one()
    assert (message.to, message.user_id) == (user.email, user.id)
    assert "http://sso.test/sso/confirm/" in message.body
    job = _db.session.execute(select(OutboxMessage).where(OutboxMessage.job == "send_email")).scalar_one()
    assert job.kwargs == {"message_id": message.id}


@pytest.mark.real_commits
def test_the_citizen_id_is_kept_only_encrypted_and_never_in_clear_in_any_table_or_log(world, db, caplog):
    caplog.set_level(logging.DEBUG)
    number = citizen_id(42)
    account = register(world.sao_a, 42)
    identity.confirm_email(token_in(_db.session.execute(select(EmailMessage.body)).scalar_one()))
    user = _db.session.get(User, account.user_id)
    assert cid.decrypt(user.citizen_id_encrypted) == number
    assert user.citizen_id_digest == cid.digest(number)
    # Not in any column of any table: a dump of the whole database does not hold the number.
    with _db.engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                assert number not in repr(tuple(row)), f"the clear citizen ID is in {table.name}"
    assert number not in caplog.text
    assert cid.masked_for(user) == f"{number[0]}-xxxx-xxxxx-xx-{number[12]}"


def test_a_bad_check_digit_is_refused_and_nothing_is_written(world, db):
    before = counts()
    with pytest.raises(cid.InvalidCitizenId) as refused:
        register(world.sao_a, 3, citizen_id=wrong_check_digit(citizen_id(3)))
    assert refused.value.details["reason"] == "check_digit"
    assert counts() == before


def test_the_same_citizen_id_again_is_accepted_unverified_since_it_reserves_nothing(world, db):
    first = register(world.sao_a, 5)
    # Another address, another LAO, written with dashes: the same number, yet no refusal that
    # would tell a stranger the number is registered (tests/security has the squatting attack).
    pid = citizen_id(5)
    second = register(world.town_b, 6, citizen_id=f"{pid[0]}-{pid[1:5]}-{pid[5:10]}-{pid[10:12]}-{pid[12]}")
    assert second.user.citizen_id_digest == first.user.citizen_id_digest == cid.digest(pid)
    assert (first.status, second.status) == ("registered", "registered")


def test_the_same_email_again_in_another_case_makes_no_account_and_tells_the_address(world, db):
    first = register(world.sao_a, 8, email="dup@lao.example.test")
    before = counts()
    assert register(world.sao_a, 9, email="DUP@lao.example.test") is None
    users, accounts, events, messages, jobs = counts()
    assert (users, accounts) == before[:2]
    assert (events, messages, jobs) == (before[2] + 1, before[3] + 1, before[4] + 1)
    notice = _db.session.execute(select(EmailMessage).order_by(EmailMessage.id.desc()).limit(1)).scalar_one()
    assert notice.to == "dup@lao.example.test" and notice.user_id == first.user_id
    assert "no second account was made" in notice.body
    # The address was never confirmed, so its owner may cancel that registration from the notice.
    assert "/sso/confirm/" in notice.body
    last = _db.session.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (last.chain, last.action) == (f"auth:{first.user_id}", "registration_repeated")
    # A seeded person's address counts too.
    assert register(world.sao_a, 10, email=world.planner.email) is None
    assert counts()[:2] == before[:2]


def test_a_weak_password_is_refused_naming_each_rule_and_nothing_is_written(world, db):
    before = counts()
    with pytest.raises(identity.WeakPassword) as refused:
        register(world.sao_a, 11, password="somchai11")
    assert set(refused.value.details["problems"]) >= {"too_short", "contains_email"}
    assert counts() == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("email", "not-an-address"),
        ("phone", "12345"),
        ("first_name", "   "),
        ("requested_role", "dla_admin"),
        ("organisation_id", 999999),
    ],
)
def test_invalid_details_are_refused_naming_the_field(world, db, field, value):
    before = counts()
    with pytest.raises(InvalidInput) as refused:
        identity.register(registration(world.sao_a, 12, **{field: value}), link=str)
    assert refused.value.details["field"] == field
    assert counts() == before


def test_an_office_can_be_chosen_and_an_sso_admin_role_requested(world, db):
    account = register(world.po_38, 13, requested_role="sso_admin")
    assert (account.organisation.kind, account.requested_role) == ("provincial_office", "sso_admin")


def test_organisations_are_found_by_code_prefix_or_part_of_the_name(world, db):
    assert [o.id for o in identity.search_organisations(world.sao_a.code[:5])][:1] == [world.sao_a.id]
    assert world.sao_a.id in [o.id for o in identity.search_organisations("เลิง")]
    assert identity.search_organisations("%") == [] and identity.search_organisations("  ") == []


@pytest.mark.real_commits
def test_two_registrations_of_the_same_address_at_once_leave_exactly_one_account(world, db, app):
    import threading

    org_id, results, start = world.sao_a.id, [], threading.Barrier(2)

    def attempt(seed: int) -> None:
        with app.app_context():
            form = registration(world.sao_a, seed, email="race@lao.example.test", organisation_id=org_id)
            start.wait()
            try:
                account = identity.register(form, link=str)
                results.append("notice" if account is None else "account")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(seed,)) for seed in (31, 32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # The loser's unique-constraint conflict turns into the notice, never an error page.
    assert sorted(results) == ["account", "notice"]
    assert _db.session.scalar(select(func.count()).select_from(Account)) == 1
    assert _db.session.scalar(select(func.count()).select_from(EmailMessage)) == 2

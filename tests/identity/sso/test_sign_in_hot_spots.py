"""Sign-in at national scale (issue 16, item 7): failed sign-ins with unknown addresses spread over
keyed shard chains that verify like any other; password hashing holds a bounded number of slots per
process; hashes are redone at sign-in when the parameters change; an unknown address costs the same
hash as a known one."""

from __future__ import annotations

import threading

import argon2
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, User
from eplan_flow.services.identity import identity
from eplan_flow.services.platform import audit
from tests.identity.sso.conftest import register
from tests.security.test_audit_tampering import assert_only_broken, behind_the_trigger, verify_audit

UNKNOWN = [f"nobody{n}@nowhere.test" for n in range(40)]


def fail_to_sign_in(email: str, password: str = "a wrong password 1") -> None:
    with pytest.raises(identity.InvalidCredentials):
        identity.authenticate(email, password, "192.0.2.7")


def unknown_chains() -> dict[str, list[int]]:
    rows = _db.session.execute(
        sa.select(AuditEvent.chain, AuditEvent.id)
        .where(AuditEvent.chain.startswith("auth:unknown"))
        .order_by(AuditEvent.chain, AuditEvent.seq)
    ).all()
    chains: dict[str, list[int]] = {}
    for chain, event_id in rows:
        chains.setdefault(chain, []).append(event_id)
    return chains


def test_unknown_addresses_spread_over_shard_chains_one_address_always_on_the_same(app, db):
    for email in UNKNOWN:
        fail_to_sign_in(email)
    fail_to_sign_in(UNKNOWN[0].upper())
    chains = unknown_chains()
    shards = app.config["AUDIT_UNKNOWN_SHARDS"]
    assert shards > 1 and 1 < len(chains) <= shards
    assert all(c.removeprefix("auth:unknown:").isdigit() for c in chains)
    assert sum(len(ids) for ids in chains.values()) == len(UNKNOWN) + 1
    first = audit.shard_chain("auth:unknown", UNKNOWN[0])
    assert len(chains[first]) >= 2  # the same address, in capitals, on the same shard


def test_one_shard_keeps_the_single_chain(make_sso_app):
    single = make_sso_app(AUDIT_UNKNOWN_SHARDS=1)
    with single.app_context():
        fail_to_sign_in("nobody@nowhere.test")
        assert list(unknown_chains()) == ["auth:unknown"]


@pytest.mark.real_commits
def test_the_shard_chains_verify_and_a_tampered_shard_is_named_alone(app, db):
    for email in UNKNOWN:
        fail_to_sign_in(email)
    chains = unknown_chains()
    _db.session.rollback()  # the attacker's ALTER TABLE must not wait on the test's transaction
    result = verify_audit(app)
    assert result.exit_code == 0, result.output
    victim = max(chains, key=lambda c: len(chains[c]))
    behind_the_trigger(
        "UPDATE audit_event SET data = CAST(:data AS json) WHERE id = :id",
        data='{"reason": "unknown_email", "ip": "203.0.113.9"}',
        id=chains[victim][0],
    )
    assert_only_broken(verify_audit(app), victim, f"event id {chains[victim][0]}", "altered")


# Threads with app contexts of their own (their teardown opens a session).
@pytest.mark.real_commits
def test_hashing_waits_for_a_free_slot_of_the_process(make_sso_app):
    bounded = make_sso_app(PASSWORD_HASH_CONCURRENCY=2)
    with bounded.app_context():
        slots = identity.hash_slots()
        stored = identity.hash_password("a password 123")
        # Two checks in flight elsewhere hold both slots.
        slots.acquire()
        slots.acquire()
        done = threading.Event()

        def check():
            with bounded.app_context():
                identity.verify_password(stored, "a password 123")
                identity.verify_password(None, "an unknown address's guess")
            done.set()

        waiting = threading.Thread(target=check)
        waiting.start()
        try:
            assert not done.wait(0.5)  # no third hash while both slots are held
            slots.release()
            assert done.wait(30)
        finally:
            slots.release()
            waiting.join()


# Threads with app contexts of their own (their teardown opens a session).
@pytest.mark.real_commits
def test_many_threads_hash_through_the_slots_and_all_finish(make_sso_app):
    bounded = make_sso_app(PASSWORD_HASH_CONCURRENCY=1)
    results: list[bool] = []

    def sign_in_check(n: int):
        with bounded.app_context():
            stored = identity.hash_password(f"password number {n}")
            results.append(identity.verify_password(stored, f"password number {n}"))

    threads = [threading.Thread(target=sign_in_check, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 8
    with bounded.app_context():
        # Every slot is free again.
        assert identity.hash_slots().acquire(blocking=False)
        identity.hash_slots().release()


def test_a_hash_with_other_parameters_is_redone_at_sign_in_not_at_re_authentication(world, db, app):
    person = register(world.sao_a, 1).user
    older = PasswordHasher(time_cost=1, memory_cost=16, parallelism=1).hash("An old password 77")
    person.password_hash = older
    _db.session.commit()
    assert identity.needs_rehash(older)

    identity.reauthenticate(_db.session.get(User, person.id), "An old password 77")
    _db.session.expire_all()
    assert _db.session.get(User, person.id).password_hash == older

    identity.authenticate(person.email, "An old password 77")
    _db.session.expire_all()
    redone = _db.session.get(User, person.id).password_hash
    assert redone != older and not identity.needs_rehash(redone)
    parameters = argon2.extract_parameters(redone)
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (
        app.config["PASSWORD_HASH_TIME_COST"],
        app.config["PASSWORD_HASH_MEMORY_KIB"],
        app.config["PASSWORD_HASH_PARALLELISM"],
    )
    assert identity.verify_password(redone, "An old password 77")


def test_an_unknown_address_is_checked_against_a_hash_of_todays_parameters(make_sso_app):
    production_like = make_sso_app(
        PASSWORD_HASH_TIME_COST=2, PASSWORD_HASH_MEMORY_KIB=64, PASSWORD_HASH_PARALLELISM=1
    )
    with production_like.app_context():
        known = argon2.extract_parameters(identity.hash_password("a known person's password"))
        unknown = argon2.extract_parameters(identity.dummy_hash())
        assert unknown == known
        assert (known.time_cost, known.memory_cost, known.parallelism) == (2, 64, 1)


def test_the_default_parameters_are_owasps_argon2id_setting():
    from eplan_flow.config import Config

    assert (
        Config.PASSWORD_HASH_MEMORY_KIB,
        Config.PASSWORD_HASH_TIME_COST,
        Config.PASSWORD_HASH_PARALLELISM,
    ) == (19456, 2, 1)
    assert Config.PASSWORD_HASH_CONCURRENCY == 2

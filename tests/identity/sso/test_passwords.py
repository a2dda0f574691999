"""Password strength rules and hashing: argon2id, with the seeded Werkzeug hashes upgraded."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from werkzeug.security import generate_password_hash

from eplan_flow.extensions import db as _db
from eplan_flow.models import User
from eplan_flow.services.identity import identity
from tests.identity.sso.conftest import STRONG_PASSWORD, citizen_id

PID = citizen_id(7)


def test_a_long_mixed_password_breaks_no_rule():
    assert identity.password_problems(STRONG_PASSWORD, email="somchai@lao.example.test", citizen_id=PID) == []
    assert identity.password_problems("แผนพัฒนาท้องถิ่น 2569", email="a@b.th", citizen_id=PID) == []


@pytest.mark.parametrize(
    "password, problem",
    [
        ("Short 1", "too_short"),
        ("x" * 150 + "Y" * 51, "too_long"),
        ("abcdefghijklmnop", "one_class"),
        ("1234567890123", "one_class"),
        ("aaaaaaAAAAAA", "too_simple"),
        ("Somchai-2569-plan", "contains_email"),
        (f"pw {PID} pw", "contains_citizen_id"),
        (f"Id-{PID[-6:]}-Secret", "contains_citizen_id"),
        ("Password1234", "common"),
        ("qwerty123456", "common"),
        ("P@ssw0rd123", "common"),
    ],
)
def test_each_rule_names_the_problem_it_finds(password, problem):
    assert problem in identity.password_problems(password, email="somchai@lao.example.test", citizen_id=PID)


def test_an_empty_password_breaks_several_rules_at_once():
    assert set(identity.password_problems("", email=None, citizen_id=None)) >= {"too_short", "one_class"}


@pytest.mark.production_password_hashing
def test_passwords_are_hashed_with_argon2id_salted_and_verified():
    first, second = identity.hash_password(STRONG_PASSWORD), identity.hash_password(STRONG_PASSWORD)
    assert first.startswith("$argon2id$") and first != second
    # OWASP's argon2id setting of 19 MiB, 2 passes, 1 lane: memory-hard, bounded per check.
    assert PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).check_needs_rehash(first) is False
    assert "m=19456,t=2,p=1" in first
    assert identity.verify_password(first, STRONG_PASSWORD)
    assert not identity.verify_password(first, STRONG_PASSWORD + "!")
    assert not identity.verify_password(None, STRONG_PASSWORD)
    assert not identity.verify_password("not a hash", STRONG_PASSWORD)


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256:1000"])
def test_a_werkzeug_hash_of_a_seeded_user_is_accepted_and_marked_for_upgrade(method):
    legacy = generate_password_hash("pw", method=method)
    assert identity.verify_password(legacy, "pw")
    assert not identity.verify_password(legacy, "wrong")
    assert identity.needs_rehash(legacy)
    assert not identity.needs_rehash(identity.hash_password("pw"))


def test_signing_in_to_the_sso_upgrades_a_seeded_users_hash_to_argon2id(world, db):
    planner = world.planner
    assert planner.password_hash.startswith("pbkdf2:")
    assert identity.authenticate(planner.email.upper(), "pw", "192.0.2.1").id == planner.id
    _db.session.expire_all()
    stored = _db.session.get(User, planner.id).password_hash
    assert stored.startswith("$argon2id$") and identity.verify_password(stored, "pw")


def test_the_development_login_checks_but_does_not_rehash(world, db):
    from eplan_flow.services.identity import accounts

    before = world.planner.password_hash
    assert accounts.authenticate("a_planner", "pw").id == world.planner.id
    _db.session.expire_all()
    assert _db.session.get(User, world.planner.id).password_hash == before

"""Issue 9 item 11 (keys and configuration): a production app refuses guessable keys, SQLite and
a missing Redis; data is sealed under data keys of its own (never the session secret) whose id the
sealed text names, so keys rotate and ``flask eplan reseal`` moves every value to the new key."""

from __future__ import annotations

import base64
import secrets

import pytest
from sqlalchemy import select

from eplan_flow import sealing
from eplan_flow.config import InsecureConfiguration
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, SigningKey, User
from eplan_flow.services.identity import citizen_id, keys
from tests import factories
from tests.conftest import PRODUCTION_CONFIG, make_app

KEY_A = "a1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
KEY_B = "b2:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
PIDS = tuple(
    f + str(citizen_id.check_digit(f))
    for f in ("110170020703", "310060012345", "140990045678", "510020030123")
)


@pytest.fixture
def make_production_app(_schema):
    """Production apps on the test database (each with its own keys); cleaned after the test."""
    from eplan_flow.services.platform.queues import drain_in_process

    built = []

    def _make(**overrides):
        app = make_app(**{**PRODUCTION_CONFIG, **overrides})
        built.append(app)
        return app

    yield _make
    for app in built:
        drain_in_process(app)
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


def stored(app) -> dict:
    """What the database holds: sealed citizen IDs and digests by user, sealed signing keys by kid."""
    with app.app_context():
        try:
            users = _db.session.execute(
                select(User.id, User.citizen_id_encrypted, User.citizen_id_digest)
                .where(User.citizen_id_encrypted.is_not(None))
                .order_by(User.id)
            ).all()
            signing = _db.session.execute(select(SigningKey.kid, SigningKey.private_key_encrypted)).all()
            return {
                "users": {u.id: (u.citizen_id_encrypted, u.citizen_id_digest) for u in users},
                "signing": dict(signing),
            }
        finally:
            _db.session.remove()


def reseal(app, *args):
    return app.test_cli_runner().invoke(args=["eplan", "reseal", *args])


def people_with_citizen_ids(app, pids=PIDS, *, legacy: int = 0) -> dict[int, str]:
    """People whose citizen IDs are sealed by ``app``; the first ``legacy`` in the pre-key-id
    format (keyed by the session secret, as every value was before DATA_KEYS)."""
    with app.app_context():
        org = factories.build_world().sao_a
        made = {}
        for n, pid in enumerate(pids):
            person = factories.user(org, username=f"keyed{n}")
            if n < legacy:
                old_key = sealing.derive_key(b"eplan-flow citizen id", b"encrypt")
                person.citizen_id_encrypted = sealing.seal(pid.encode(), old_key, citizen_id.CONTEXT)
            else:
                person.citizen_id_encrypted = citizen_id.encrypt(pid)
            person.citizen_id_digest = citizen_id.digest(pid)
            made[person.id] = pid
        _db.session.commit()
        _db.session.remove()
    return made


def readable(app, people: dict[int, str]) -> bool:
    """Every sealed value opens in ``app``: each citizen ID (and its digest matches) and each
    signing key's private half. Reads only: nothing is created or rotated."""
    with app.app_context():
        try:
            for user_id, pid in people.items():
                user = _db.session.get(User, user_id)
                if citizen_id.decrypt(user.citizen_id_encrypted) != pid:
                    return False
                if citizen_id.masked_for(user) != citizen_id.mask(pid):
                    return False
                if citizen_id.digest(pid) != user.citizen_id_digest:
                    return False
            for row in keys.published_keys():
                keys._unseal(row.private_key_encrypted, row.kid)
            return True
        except sealing.Unsealable:
            return False
        finally:
            _db.session.remove()


# -- Start-up refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weak",
    [
        "a" * 64,
        "password" * 8,
        "dev-insecure-secret-key-change-me",
        "eplan-flow-production-secret-key-2026-bueng-kan",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
    ],
)
def test_a_production_app_with_a_long_but_guessable_secret_key_refuses_to_start(weak):
    with pytest.raises(
        InsecureConfiguration, match="EPLAN_SECRET_KEY .*(not random enough|development default)"
    ):
        make_app(**{**PRODUCTION_CONFIG, "SECRET_KEY": weak})


def test_a_production_app_with_a_guessable_citizen_id_digest_key_or_the_session_secret_as_one_refuses_to_start():
    with pytest.raises(InsecureConfiguration, match="EPLAN_CITIZEN_ID_DIGEST_KEY is not random enough"):
        make_app(**{**PRODUCTION_CONFIG, "CITIZEN_ID_DIGEST_KEY": "password" * 8})
    with pytest.raises(InsecureConfiguration, match="must differ from EPLAN_SECRET_KEY"):
        make_app(**{**PRODUCTION_CONFIG, "CITIZEN_ID_DIGEST_KEY": PRODUCTION_CONFIG["SECRET_KEY"]})


@pytest.mark.parametrize("weak_key", [bytes(32), bytes(range(32)), b"0123456789abcdef" * 2])
def test_a_production_app_with_a_guessable_data_key_refuses_to_start(weak_key):
    data_keys = f"{KEY_A},weak:{base64.b64encode(weak_key).decode()}"
    with pytest.raises(InsecureConfiguration, match="EPLAN_DATA_KEYS key 'weak' is not random enough"):
        make_app(**{**PRODUCTION_CONFIG, "DATA_KEYS": data_keys})


@pytest.mark.parametrize("database_url", [None, "", "sqlite://", "sqlite:////tmp/eplan.sqlite3"])
def test_a_production_app_on_sqlite_refuses_to_start(database_url):
    with pytest.raises(
        InsecureConfiguration, match="EPLAN_DATABASE_URL must name a PostgreSQL database.*SQLite"
    ):
        make_app(**{**PRODUCTION_CONFIG, "DATABASE_URL": database_url})


@pytest.mark.parametrize("redis_url", [None, ""])
def test_a_production_app_without_redis_refuses_to_start(redis_url):
    with pytest.raises(InsecureConfiguration, match="EPLAN_REDIS_URL must be set in production"):
        make_app(**{**PRODUCTION_CONFIG, "REDIS_URL": redis_url})


@pytest.mark.parametrize("missing", ["DATA_KEYS", "CITIZEN_ID_DIGEST_KEY"])
def test_a_production_app_without_its_own_data_keys_refuses_to_start(missing):
    with pytest.raises(InsecureConfiguration, match=f"EPLAN_{missing}"):
        make_app(**{**PRODUCTION_CONFIG, missing: None})


def test_the_production_test_configuration_itself_starts(make_production_app):
    app = make_production_app()
    assert app.config["ENV_NAME"] == "production"


# -- Sealed data names its key and never depends on the session secret ------------------------


def test_sealed_text_names_the_key_that_sealed_it(make_production_app):
    app = make_production_app(DATA_KEYS=f"{KEY_B},{KEY_A}")
    people = people_with_citizen_ids(app, PIDS[:1])
    with app.app_context():
        keys.rotate_signing_key()
        _db.session.remove()
    held = stored(app)
    [(sealed_id, _)] = held["users"].values()
    [sealed_key] = held["signing"].values()
    assert sealed_id.startswith("v2.b2.") and sealing.key_id(sealed_id) == "b2"
    assert sealed_key.startswith("v2.b2.")
    assert PIDS[0] not in sealed_id
    assert readable(app, people)


def test_the_session_secret_alone_no_longer_opens_sealed_data(make_production_app):
    app = make_production_app(DATA_KEYS=KEY_A)
    people_with_citizen_ids(app, PIDS[:2])
    with app.app_context():
        keys.rotate_signing_key()
        _db.session.remove()
    before = stored(app)
    secret = PRODUCTION_CONFIG["SECRET_KEY"]

    # An attacker with a copy of the database and the session secret derives every key the way
    # the app did before DATA_KEYS, with and without the key id stripped off.
    old_citizen_key = sealing.derive_key(b"eplan-flow citizen id", b"encrypt", secret)
    old_signing_key = sealing.derive_key(b"eplan-flow oidc signing key", b"seal", secret)
    for sealed_id, _ in before["users"].values():
        for text in (sealed_id, sealed_id.split(".", 2)[2]):
            with pytest.raises(sealing.Unsealable):
                sealing.unseal(text, old_citizen_key, citizen_id.CONTEXT)
    for kid, sealed_key in before["signing"].items():
        with pytest.raises(sealing.Unsealable):
            sealing.unseal(sealed_key.split(".", 2)[2], old_signing_key, kid.encode())
    # Nor does an app that shares the session secret but not the data keys, even one that still
    # reads the pre-key-id format: the sealed text names a key it does not hold.
    impostor = make_production_app(DATA_KEYS=KEY_B)
    with impostor.app_context():
        for sealed_id, _ in before["users"].values():
            with pytest.raises(sealing.Unsealable, match="key id 'a1'"):
                citizen_id.decrypt(sealed_id)
        _db.session.remove()
    # And the digests are keyed by their own setting: the session secret recomputes none of them.
    app.config["CITIZEN_ID_DIGEST_KEY"] = secret
    with app.app_context():
        forged = {citizen_id.digest(pid) for pid in PIDS[:2]}
    assert not forged & {d for _, d in before["users"].values()}
    assert stored(app) == before


# -- Rotation --------------------------------------------------------------------------------


@pytest.mark.real_commits
def test_rotating_the_data_key_and_resealing_leaves_everything_readable_under_the_new_key_alone(
    make_production_app,
):
    under_a = make_production_app(DATA_KEYS=KEY_A)
    people = people_with_citizen_ids(under_a, legacy=1)
    with under_a.app_context():
        keys.rotate_signing_key()
        keys.rotate_signing_key()  # a retired key still published: it must move too
        _db.session.remove()
    before = stored(under_a)
    assert sealing.key_id(before["users"][min(people)][0]) is None  # the legacy one
    assert readable(under_a, people)

    # Rotation: B first, A kept. Old text still opens; new text is sealed under B.
    rotated = make_production_app(DATA_KEYS=f"{KEY_B},{KEY_A}")
    assert readable(rotated, people)
    only_b = make_production_app(DATA_KEYS=KEY_B, SEALING_LEGACY_READ=False)
    assert not readable(only_b, people)  # not yet: nothing has moved to B

    result = reseal(rotated, "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "citizen ids: 4 checked, re-sealed under b2: 1 from (no key id), 3 from a1" in result.output
    assert "oidc signing keys: 2 checked, re-sealed under b2: 2 from a1" in result.output

    after = stored(rotated)
    assert all(sealing.key_id(sealed) == "b2" for sealed, _ in after["users"].values())
    assert all(sealing.key_id(sealed) == "b2" for sealed in after["signing"].values())
    assert {u: d for u, (_, d) in after["users"].items()} == {u: d for u, (_, d) in before["users"].items()}
    # A dropped, the pre-key-id format no longer read: everything still opens.
    assert readable(only_b, people)
    with rotated.app_context():
        events = (
            _db.session.execute(select(AuditEvent).where(AuditEvent.chain == "platform:data_keys"))
            .scalars()
            .all()
        )
        assert [e.action for e in events] == ["reseal"]
        assert events[0].data["key_id"] == "b2"
        assert events[0].data["citizen ids"]["resealed"] == {"(no key id)": 1, "a1": 3}
        assert events[0].data["oidc signing keys"]["checked"] == 2
        _db.session.remove()

    # Idempotent: a second run re-seals nothing and changes no value.
    again = reseal(only_b)
    assert again.exit_code == 0, again.output
    assert "citizen ids: 4 checked, re-sealed under b2: none; digests recomputed: 0" in again.output
    assert stored(only_b) == after


def test_resealing_refuses_to_report_success_when_a_key_was_dropped_too_early_and_changes_nothing(
    make_production_app,
):
    under_a = make_production_app(DATA_KEYS=KEY_A)
    people = people_with_citizen_ids(under_a, PIDS[:2])
    before = stored(under_a)
    # The operator forgot to keep A after the new key: nothing can be opened, so nothing moves.
    only_b = make_production_app(DATA_KEYS=KEY_B)
    result = reseal(only_b)
    assert result.exit_code == 1
    assert f"UNREADABLE citizen ids: row ids {', '.join(map(str, sorted(people)))}" in result.output
    assert stored(only_b) == before
    assert readable(under_a, people)


def test_a_new_citizen_id_digest_key_takes_effect_after_reseal_recomputes_the_digests(make_production_app):
    first = make_production_app(DATA_KEYS=KEY_A)
    people = people_with_citizen_ids(first)
    before = stored(first)
    new_digest_key = secrets.token_urlsafe(48)
    second = make_production_app(DATA_KEYS=KEY_A, CITIZEN_ID_DIGEST_KEY=new_digest_key)
    assert not readable(second, people)  # the stored digests are under the old key

    result = reseal(second, "--batch-size", "3")
    assert result.exit_code == 0, result.output
    assert "citizen ids: 4 checked, re-sealed under a1: none; digests recomputed: 4" in result.output
    after = stored(second)
    assert {u: s for u, (s, _) in after["users"].items()} == {u: s for u, (s, _) in before["users"].items()}
    assert readable(second, people)
    assert not readable(first, people)

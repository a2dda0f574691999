import base64
import secrets

import pytest

from eplan_flow import create_app, sealing
from eplan_flow.config import InsecureConfiguration

# A production app's settings without the factory touching them (no I/O at start-up).
PRODUCTION = {
    "ENV_NAME": "production",
    "BASE_URL": "https://eplan.example.go.th",
    "DATABASE_URL": "postgresql://eplan@db.example/eplan",
    "REDIS_URL": "redis://cache.example:6379/0",
    "DATA_KEYS": "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "CITIZEN_ID_DIGEST_KEY": secrets.token_urlsafe(48),
    "AUDIT_KEY": secrets.token_urlsafe(48),
}


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("EPLAN_SECRET_KEY", raising=False)
    with pytest.raises(InsecureConfiguration, match="EPLAN_SECRET_KEY is not set"):
        create_app(PRODUCTION)


@pytest.mark.parametrize(
    "key",
    [
        "dev-insecure-secret-key-change-me",
        "short",
        "a" * 64,
        "password" * 8,
        "k" * 48,
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
        "my_secret_key_for_the_eplan_flow_app_2026",
        "correct horse battery staple forever and ever",
    ],
)
def test_production_refuses_the_development_key_short_keys_and_long_but_guessable_keys(monkeypatch, key):
    monkeypatch.setenv("EPLAN_SECRET_KEY", key)
    with pytest.raises(InsecureConfiguration, match="EPLAN_SECRET_KEY"):
        create_app(PRODUCTION)


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: secrets.token_urlsafe(48),
        lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_hex(32),
    ],
)
def test_random_keys_pass_the_strength_estimate_every_time(make_key):
    assert min(sealing.estimate_bits(make_key()) for _ in range(500)) >= sealing.MIN_KEY_BITS


def test_production_starts_with_real_keys_and_turns_the_development_login_off(monkeypatch):
    key = secrets.token_urlsafe(48)
    monkeypatch.setenv("EPLAN_SECRET_KEY", key)
    monkeypatch.setenv("EPLAN_ENV", "production")
    app = create_app({k: v for k, v in PRODUCTION.items() if k != "ENV_NAME"})
    assert app.config["SECRET_KEY"] == key
    assert app.config["DEV_LOGIN_ENABLED"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "missing, message",
    [
        ("DATA_KEYS", "EPLAN_DATA_KEYS must be set in production"),
        ("CITIZEN_ID_DIGEST_KEY", "EPLAN_CITIZEN_ID_DIGEST_KEY is not set"),
        ("DATABASE_URL", "EPLAN_DATABASE_URL must name a PostgreSQL database"),
        ("REDIS_URL", "EPLAN_REDIS_URL must be set in production"),
    ],
)
def test_production_refuses_to_start_without_each_required_setting(monkeypatch, missing, message):
    monkeypatch.delenv(f"EPLAN_{missing}", raising=False)
    config = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(48), missing: None}
    with pytest.raises(InsecureConfiguration, match=message):
        create_app(config)


@pytest.mark.parametrize(
    "value, message",
    [
        ("k1", "not '<key id>:<base64 key>'"),
        ("k.1:" + base64.b64encode(bytes(32)).decode(), "not '<key id>:<base64 key>'"),
        ("k1:c2hvcnQ=", "not the base64 of 32 bytes"),
        ("k1:{0},k1:{0}".format(base64.b64encode(secrets.token_bytes(32)).decode()), "twice"),
    ],
)
def test_malformed_data_keys_are_refused_in_every_environment(value, message):
    with pytest.raises(InsecureConfiguration, match=message):
        create_app({"ENV_NAME": "development", "DATABASE_URL": "sqlite://", "DATA_KEYS": value})


def test_data_keys_parse_from_the_environment_first_key_first(monkeypatch):
    first, second = secrets.token_bytes(32), secrets.token_bytes(32)
    monkeypatch.setenv(
        "EPLAN_DATA_KEYS",
        "new:{}, old:{}".format(
            base64.urlsafe_b64encode(first).decode().rstrip("="), base64.b64encode(second).decode()
        ),
    )
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert sealing.data_keys(app.config) == (("new", first), ("old", second))


def test_environment_variables_configure_database_and_redis(monkeypatch):
    monkeypatch.setenv("EPLAN_DATABASE_URL", "postgresql://someone@db.example/eplan")
    monkeypatch.setenv("EPLAN_REDIS_URL", "redis://cache.example:6379/2")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.example/eplan"
    assert app.config["REDIS_URL"] == "redis://cache.example:6379/2"


def test_without_a_database_url_the_app_uses_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("EPLAN_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/eplan.sqlite3")
    assert app.config["REDIS_URL"] is None


def test_an_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("EPLAN_ENV", "staging")
    with pytest.raises(InsecureConfiguration, match="staging"):
        create_app()

import pytest

from eplan_flow import create_app
from eplan_flow.config import InsecureConfiguration


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("EPLAN_SECRET_KEY", raising=False)
    with pytest.raises(InsecureConfiguration, match="EPLAN_SECRET_KEY"):
        create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://"})


def test_production_refuses_the_development_key_and_short_keys(monkeypatch):
    monkeypatch.setenv("EPLAN_SECRET_KEY", "dev-insecure-secret-key-change-me")
    with pytest.raises(InsecureConfiguration):
        create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://"})
    monkeypatch.setenv("EPLAN_SECRET_KEY", "short")
    with pytest.raises(InsecureConfiguration):
        create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://"})


def test_production_starts_with_a_real_key_and_turns_the_development_login_off(monkeypatch):
    monkeypatch.setenv("EPLAN_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("EPLAN_ENV", "production")
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert app.config["SECRET_KEY"] == "k" * 48
    assert app.config["DEV_LOGIN_ENABLED"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is True


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

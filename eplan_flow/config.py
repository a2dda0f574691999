"""Configuration: class defaults, then ``EPLAN_*`` environment variables, then overrides."""
from __future__ import annotations

import os

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"


class Config:
    """Defaults for development: embedded SQLite, jobs in-process, demo login on."""

    ENV_NAME = "development"
    SECRET_KEY = DEV_SECRET_KEY
    # Set from EPLAN_DATABASE_URL; None means "SQLite under instance/".
    DATABASE_URL: str | None = None
    # Set from EPLAN_REDIS_URL; None means background jobs run in-process.
    REDIS_URL: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "th"
    BABEL_DEFAULT_TIMEZONE = "Asia/Bangkok"
    LANGUAGES = ("th", "en")
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # The development login (username + password) until SSO replaces it.
    DEV_LOGIN_ENABLED = True
    LOAD_DEMO_DATA = True
    JOB_QUEUES = ("default", "notifications")
    OUTBOX_BATCH_SIZE = 100
    # RQ retries of a failing job (seconds between tries), then its queue's failed registry.
    JOB_RETRY_MAX = 3
    JOB_RETRY_INTERVALS = (10, 60, 300)
    FLASK_ADMIN_SWATCH = "cerulean"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    WTF_CSRF_ENABLED = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    DEV_LOGIN_ENABLED = False
    LOAD_DEMO_DATA = False


CONFIGS = {"development": Config, "test": TestConfig, "production": ProductionConfig}


class InsecureConfiguration(RuntimeError):
    """The configuration is unsafe for the environment it was asked to run in."""


def config_class(name: str | None = None) -> type[Config]:
    """Pick the configuration class named by ``EPLAN_ENV`` (development by default)."""
    name = name or os.environ.get("EPLAN_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise InsecureConfiguration(
            f"EPLAN_ENV={name!r} is not one of {', '.join(CONFIGS)}"
        ) from None


def check_secret_key(config) -> None:
    """Refuse a production start without a real secret key."""
    if config.get("ENV_NAME") != "production":
        return
    key = config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise InsecureConfiguration(
            "EPLAN_SECRET_KEY must be set to a random value of at least 32 characters "
            "in production (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )

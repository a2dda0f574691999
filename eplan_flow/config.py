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
    # The development login (username + password) beside the SSO; e-Plan signs in only through
    # the SSO (OIDC) unless this is on. On in tests only.
    DEV_LOGIN_ENABLED = False
    LOAD_DEMO_DATA = True
    JOB_QUEUES = ("default", "notifications")
    OUTBOX_BATCH_SIZE = 100
    # RQ retries of a failing job (seconds between tries), then its queue's failed registry.
    JOB_RETRY_MAX = 3
    JOB_RETRY_INTERVALS = (10, 60, 300)
    FLASK_ADMIN_SWATCH = "cerulean"

    # -- Single Sign-On, the identity-provider side (eplan_flow.sso, eplan_flow.oidc) ----------
    # The issuer URL the provider names in its tokens; None means this app's own URL.
    OIDC_ISSUER: str | None = None
    OIDC_ACCESS_TOKEN_LIFETIME = 300  # seconds: a revoked role lasts at most this long in a token
    OIDC_ID_TOKEN_LIFETIME = 300
    OIDC_CODE_LIFETIME = 60
    OIDC_REFRESH_TOKEN_LIFETIME = 12 * 3600
    OIDC_SIGNING_KEY_ROTATION_DAYS = 30
    # Re-authentication needed before any approval (seconds since the last proof of identity).
    REAUTH_MAX_AGE = 15 * 60
    # Lock an account after this many failed sign-ins in a row (an admin unlocks it).
    LOGIN_LOCKOUT_THRESHOLD = 5
    SSO_LOGIN_RATE_LIMIT = "10 per minute"
    SSO_REGISTER_RATE_LIMIT = "5 per minute"
    # Key for the citizen ID's encryption and keyed digest; None derives one from SECRET_KEY.
    CITIZEN_ID_KEY: str | None = None
    # Working days an approval request may wait before the provincial office is told.
    APPROVAL_ESCALATION_WORKING_DAYS = 3

    # -- ThaiD (DOPA digital ID), the identity check at registration ---------------------------
    THAID_DISCOVERY_URL = "https://imauth.bora.dopa.go.th/.well-known/openid-configuration"
    THAID_CLIENT_ID: str | None = None
    THAID_CLIENT_SECRET: str | None = None
    THAID_SCOPE = "openid pid name name_en"
    # The stand-in ThaiD at /dev/thaid (sample citizens); on only in development and tests.
    THAID_DEV_PROVIDER_ENABLED = True

    # -- e-Plan as relying party of the SSO (eplan_flow.auth) ----------------------------------
    # The SSO's discovery URL; None means this app's own provider (the demo: one process).
    SSO_DISCOVERY_URL: str | None = None
    SSO_CLIENT_ID = "eplan"
    SSO_CLIENT_SECRET: str | None = None
    # How often a signed-in session re-checks its roles with the SSO (token refresh), seconds.
    SSO_REVALIDATE_SECONDS = 120

    # -- Email (confirmation links, notices) ---------------------------------------------------
    # No MAIL_SERVER: mail is kept in the email outbox table only (visible in the back office).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "eplan-flow <no-reply@eplan.local>"

    # -- Scheduled jobs (reminders before deadlines, escalation after) -------------------------
    # Remind the people who must act this many days before a deadline.
    REMINDER_DAYS_BEFORE = (14, 3)


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    WTF_CSRF_ENABLED = False
    DEV_LOGIN_ENABLED = True


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    DEV_LOGIN_ENABLED = False
    LOAD_DEMO_DATA = False
    THAID_DEV_PROVIDER_ENABLED = False


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

"""Configuration: class defaults, then ``EPLAN_*`` environment variables, then overrides."""

from __future__ import annotations

import importlib.util
import logging
import os

from eplan_flow import sealing

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"
# How often the oversight rollups take in what changed, in seconds: the scheduler's cron entry
# (eplan_flow/jobs/schedule.py) and the Redis-less web process's periodic runner both read it.
# A divisor of 60, so the cron's seconds field "*/N" ticks evenly.
OVERSIGHT_REFRESH_SECONDS = 10


class Config:
    """Defaults for development: embedded SQLite, jobs in-process, demo login on."""

    ENV_NAME = "development"
    SECRET_KEY: str | None = DEV_SECRET_KEY  # None in production: it must come from the environment
    # Data-encryption keys (citizen IDs, OIDC signing keys, sealed session tokens), never the
    # session secret: ``<key id>:<base64 of 32 random bytes>``, comma-separated, first one seals,
    # all unseal (format and rotation: eplan_flow/sealing.py). Required in production; None
    # elsewhere derives one key from SECRET_KEY.
    DATA_KEYS: str | None = None
    # Also open text sealed before key ids (keyed by SECRET_KEY/CITIZEN_ID_KEY); turn off after
    # ``flask eplan reseal``.
    SEALING_LEGACY_READ = True
    # Set from EPLAN_DATABASE_URL; None means "SQLite under instance/".
    DATABASE_URL: str | None = None
    # Set from EPLAN_REDIS_URL; None means background jobs run in-process.
    REDIS_URL: str | None = None
    # Where rate limits count (EPLAN_RATELIMIT_STORAGE_URL, a Flask-Limiter storage URI); None:
    # REDIS_URL when set (every web process shares the counters), else memory:// (one process).
    RATELIMIT_STORAGE_URL: str | None = None
    # Set from EPLAN_MIGRATION_DATABASE_URL: the owner role that runs migrations (db upgrade,
    # eplan setup), while DATABASE_URL names the app's least-privileged role (scripts/db-roles.sql).
    # None: migrations use DATABASE_URL.
    MIGRATION_DATABASE_URL: str | None = None
    # The HMAC key of the audit chains and their checkpoints (EPLAN_AUDIT_KEY), kept out of the
    # database so whoever can write there cannot recompute a chain. Required in production; None
    # elsewhere derives one from SECRET_KEY. Changing it makes the existing chains unverifiable.
    AUDIT_KEY: str | None = None
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
    # Without Redis: how often the web process runs outbox rows still pending (after a restart).
    OUTBOX_SWEEP_SECONDS = 30
    # Without Redis: recurring jobs the web process runs itself, every so many seconds (with Redis,
    # `eplan scheduler` runs them; eplan_flow/jobs/schedule.py).
    IN_PROCESS_PERIODIC_JOBS: dict[str, float] = {"refresh_oversight_figures": OVERSIGHT_REFRESH_SECONDS}
    # The one scheduler holds a Redis lease this long, renewing it; a second one waits to take over.
    SCHEDULER_LEASE_SECONDS = 30
    # The recurring jobs as [{"job", "queue", "cron"}] in Bangkok time (EPLAN_CRON_SCHEDULE, JSON);
    # None: eplan_flow.jobs.schedule.SCHEDULE.
    CRON_SCHEDULE: list[dict] | None = None
    # RQ retries of a failing job (seconds between tries), then its queue's failed registry.
    JOB_RETRY_MAX = 3
    JOB_RETRY_INTERVALS = (10, 60, 300)
    # A worker killed mid-job (OOM, a container killed) leaves its job "started". RQ counts it
    # abandoned WORKER_HEARTBEAT_SECONDS + 60 s after the worker's last heartbeat, and a live worker
    # retries it at its next maintenance, every WORKER_MAINTENANCE_SECONDS (RQ's defaults: 30, 600).
    WORKER_HEARTBEAT_SECONDS = 30
    WORKER_MAINTENANCE_SECONDS = 600
    FLASK_ADMIN_SWATCH = "cerulean"

    # -- Logs and metrics (eplan_flow.logging_setup, services/platform/metrics.py) -------------
    # "json": one JSON object per line (time, level, logger, message, request id, person,
    # organisation, job), for a log collector; "text": plain lines for a terminal (EPLAN_LOG_FORMAT).
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    # The bearer token Prometheus sends to /metrics (EPLAN_METRICS_TOKEN); None: /metrics is 404.
    METRICS_TOKEN: str | None = None

    # -- This app's own address (eplan_flow.addresses) -----------------------------------------
    # The public base URL people and other systems reach this app at (EPLAN_BASE_URL). The SSO's
    # issuer, e-Plan's SSO and the Host names served derive from it, never from a request's Host
    # header. Production refuses to start without it; ``make run`` passes http://$(HOST):$(PORT).
    BASE_URL: str | None = "http://127.0.0.1:5000"
    # Host names served besides BASE_URL's (EPLAN_TRUSTED_HOSTS: a JSON list or comma-separated;
    # ".example.go.th" takes every subdomain). A request naming any other Host gets 400.
    TRUSTED_HOSTS: list[str] | None = None
    # How many proxies (load balancer, reverse proxy) stand in front of this app and write
    # X-Forwarded-For/-Proto/-Host (EPLAN_TRUSTED_PROXIES). 0: none, no such header is believed;
    # set it to exactly the number of hops, or clients could name their own address.
    TRUSTED_PROXIES = 0

    # -- Single Sign-On, the identity-provider side (eplan_flow.sso, eplan_flow.oidc) ----------
    # The issuer URL the provider names in its tokens; None means BASE_URL.
    OIDC_ISSUER: str | None = None
    OIDC_ACCESS_TOKEN_LIFETIME = 300  # seconds: a revoked role lasts at most this long in a token
    OIDC_ID_TOKEN_LIFETIME = 300
    OIDC_CODE_LIFETIME = 60
    OIDC_REFRESH_TOKEN_LIFETIME = 12 * 3600
    OIDC_SIGNING_KEY_ROTATION_DAYS = 30
    # A new signing key is in the JWKS this long (seconds) before it signs: at least as long as
    # any relying party caches the JWKS, so none meets a token signed with a key it has not seen.
    OIDC_SIGNING_KEY_PUBLICATION_SECONDS = 24 * 3600
    # A sign-in (the SSO's and e-Plan's) ends this long after it began, or after this long unused
    # (seconds): a working day, and a screen left alone over a break.
    SSO_SESSION_LIFETIME = 8 * 3600
    SSO_SESSION_IDLE_TIMEOUT = 30 * 60
    # Re-authentication needed before any approval (seconds since the last proof of identity).
    REAUTH_MAX_AGE = 15 * 60
    # Brute-force protection, as Keycloak's: after LOGIN_LOCKOUT_THRESHOLD failed sign-ins in a row
    # the account's password sign-in pauses LOGIN_LOCKOUT_WAIT_SECONDS, doubling with each further
    # failure up to LOGIN_LOCKOUT_MAX_WAIT_SECONDS; the count restarts after a success or after
    # LOGIN_FAILURE_RESET_SECONDS without failures. Temporary, so guessing cannot keep anyone out
    # for good; an admin may unlock early.
    LOGIN_LOCKOUT_THRESHOLD = 5
    LOGIN_LOCKOUT_WAIT_SECONDS = 60
    LOGIN_LOCKOUT_MAX_WAIT_SECONDS = 15 * 60
    LOGIN_FAILURE_RESET_SECONDS = 12 * 3600
    # Password hashing: argon2id at OWASP's second recommended setting (19 MiB, 2 passes, 1 lane),
    # and at most PASSWORD_HASH_CONCURRENCY checks at once per process, so a burst of sign-ins
    # costs workers × 2 × 19 MiB at most. Hashes with other parameters are redone at sign-in.
    PASSWORD_HASH_MEMORY_KIB = 19456
    PASSWORD_HASH_TIME_COST = 2
    PASSWORD_HASH_PARALLELISM = 1
    PASSWORD_HASH_CONCURRENCY = 2
    # Failed sign-ins with unknown addresses spread over this many audit chains (auth:unknown:<n>);
    # 1 keeps the single chain auth:unknown.
    AUDIT_UNKNOWN_SHARDS = 32
    # A registration whose identity ThaiD has not verified within this many days is voided.
    SSO_UNVERIFIED_REGISTRATION_DAYS = 7
    SSO_LOGIN_RATE_LIMIT = "10 per minute"
    # Registration, per client address. Only registrations that went through count toward
    # SSO_REGISTER_RATE_LIMIT (a form sent back to fix a typo does not), so a whole office behind
    # one NAT can register its staff; every POST counts toward the looser flood guard
    # SSO_REGISTER_ATTEMPT_LIMIT, and the attempts with one email address toward
    # SSO_REGISTER_EMAIL_LIMIT, wherever they come from.
    SSO_REGISTER_RATE_LIMIT = "30 per hour"
    SSO_REGISTER_ATTEMPT_LIMIT = "120 per 10 minutes"
    SSO_REGISTER_EMAIL_LIMIT = "10 per hour"
    # Sending the confirmation link again, and asking for or using a password reset link.
    SSO_RESEND_RATE_LIMIT = "5 per minute"
    SSO_PASSWORD_RESET_RATE_LIMIT = "5 per minute"
    # The keyed digest (HMAC) of the citizen ID, for lookups: a random secret like SECRET_KEY and
    # never the same one; required in production. Changing it needs every digest recomputed:
    # ``flask eplan reseal`` does that from the decrypted IDs (run it before serving traffic).
    # None outside production: derived from CITIZEN_ID_KEY or SECRET_KEY, as before.
    CITIZEN_ID_DIGEST_KEY: str | None = None
    # Legacy: keyed citizen IDs sealed before DATA_KEYS (see SEALING_LEGACY_READ); unset once
    # ``flask eplan reseal`` has re-sealed them.
    CITIZEN_ID_KEY: str | None = None
    # Working days an approval request may wait before the provincial office is told.
    APPROVAL_ESCALATION_WORKING_DAYS = 3

    # -- ThaiD (DOPA digital ID), the identity check at registration ---------------------------
    THAID_DISCOVERY_URL = "https://imauth.bora.dopa.go.th/.well-known/openid-configuration"
    THAID_CLIENT_ID: str | None = None
    THAID_CLIENT_SECRET: str | None = None
    # The claims compared with what was typed at registration: the citizen ID, the Thai name
    # (title, given, middle and family name) and the birth date.
    THAID_SCOPE = "openid pid name title given_name middle_name family_name birthdate"
    # The stand-in ThaiD at /dev/thaid (sample citizens); on only in development and tests.
    THAID_DEV_PROVIDER_ENABLED = True

    # -- e-Plan as relying party of the SSO (eplan_flow.auth) ----------------------------------
    # The SSO's discovery URL; None means this app's own provider (OIDC_ISSUER; the demo: one
    # process).
    SSO_DISCOVERY_URL: str | None = None
    # The one issuer e-Plan trusts: the discovery document and every ID token must name exactly
    # this. None: OIDC_ISSUER for this app's own provider, else the discovery URL without its
    # /.well-known/openid-configuration suffix (OpenID Connect Discovery §4).
    SSO_ISSUER: str | None = None
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

    # -- Attachments: signed announcements, minutes, resolutions (services/planning/attachments) --
    # "local" keeps files under ATTACHMENTS_DIR (None: <instance>/attachments); "s3" keeps them in
    # ATTACHMENTS_S3_BUCKET of an S3-compatible store (AWS, MinIO, Ceph; needs the 's3' extra).
    ATTACHMENTS_STORAGE = "local"
    ATTACHMENTS_DIR: str | None = None
    # The S3 store: the bucket (required), the endpoint (None: AWS) and region, the credentials
    # (None: boto3's usual chain, e.g. AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), a prefix put
    # before every object name, and "auto", "path" (MinIO, most Ceph) or "virtual" addressing.
    ATTACHMENTS_S3_BUCKET: str | None = None
    ATTACHMENTS_S3_ENDPOINT_URL: str | None = None
    ATTACHMENTS_S3_REGION: str | None = None
    ATTACHMENTS_S3_ACCESS_KEY_ID: str | None = None
    ATTACHMENTS_S3_SECRET_ACCESS_KEY: str | None = None
    ATTACHMENTS_S3_PREFIX = ""
    ATTACHMENTS_S3_ADDRESSING_STYLE = "auto"
    # The largest file accepted. Upload requests may carry this much beyond MAX_CONTENT_LENGTH,
    # which stays the limit of every other request.
    ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    WTF_CSRF_ENABLED = False
    DEV_LOGIN_ENABLED = True
    # Flask's test client says Host: localhost; live test servers answer at 127.0.0.1:<port>.
    BASE_URL = "http://localhost"
    TRUSTED_HOSTS = ["localhost", "127.0.0.1"]
    OUTBOX_SWEEP_SECONDS = 0  # a test runs the pending rows when it means to
    IN_PROCESS_PERIODIC_JOBS: dict[str, float] = {}


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = None
    BASE_URL = None  # must be set: see check_base_url
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    DEV_LOGIN_ENABLED = False
    LOAD_DEMO_DATA = False
    THAID_DEV_PROVIDER_ENABLED = False
    LOG_FORMAT = "json"


CONFIGS = {"development": Config, "test": TestConfig, "production": ProductionConfig}


class InsecureConfiguration(RuntimeError):
    """The configuration is unsafe for the environment it was asked to run in."""


def config_class(name: str | None = None) -> type[Config]:
    """Pick the configuration class named by ``EPLAN_ENV`` (development by default)."""
    name = name or os.environ.get("EPLAN_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise InsecureConfiguration(f"EPLAN_ENV={name!r} is not one of {', '.join(CONFIGS)}") from None


GENERATE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
GENERATE_DATA_KEY = (
    'python -c "import base64,secrets; '
    "print('k1:' + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())\""
)


def check_configuration(config) -> None:
    """Refuse to start with settings unsafe for the environment (production above all)."""
    check_secret_key(config)
    check_data_keys(config)
    check_services(config)
    check_audit_key(config)
    check_base_url(config)
    check_attachment_storage(config)
    check_observability(config)


def _weak_secret(value) -> str | None:
    """Why ``value`` cannot be a production secret, or None if it can."""
    if not value:
        return "is not set"
    value = str(value)  # from_prefixed_env turns an all-digit value into a number
    if value == DEV_SECRET_KEY:
        return "is the development default"
    if len(value) < 32:
        return "is shorter than 32 characters"
    if sealing.estimate_bits(value) < sealing.MIN_KEY_BITS:
        # Long is not enough: "a" * 64 or "password" * 8 would be guessed first.
        return "is not random enough (repeats, sequences or words)"
    return None


def check_secret_key(config) -> None:
    """Refuse a production start without a random secret key: long and of high entropy."""
    if config.get("ENV_NAME") != "production":
        return
    reason = _weak_secret(config.get("SECRET_KEY"))
    if reason:
        raise InsecureConfiguration(
            f"EPLAN_SECRET_KEY {reason}: in production set it to a random value of at least "
            f"32 characters ({GENERATE_SECRET})"
        )


def check_data_keys(config) -> None:
    """Refuse malformed data keys anywhere; in production, missing or weak data and digest keys."""
    try:
        keys = sealing.parse_data_keys(config["DATA_KEYS"]) if config.get("DATA_KEYS") else ()
    except sealing.InvalidDataKeys as exc:
        raise InsecureConfiguration(f"EPLAN_DATA_KEYS: {exc}") from None
    if config.get("ENV_NAME") != "production":
        return
    if not keys:
        raise InsecureConfiguration(
            "EPLAN_DATA_KEYS must be set in production: the keys that encrypt citizen IDs and "
            "signing keys are never derived from the session secret. Format: "
            f"'<key id>:<base64 of 32 random bytes>[,<older key>...]' ({GENERATE_DATA_KEY})"
        )
    for kid, key in keys:
        if sealing.estimate_bits(key) < sealing.MIN_KEY_BITS:
            raise InsecureConfiguration(
                f"EPLAN_DATA_KEYS key {kid!r} is not random enough ({GENERATE_DATA_KEY})"
            )
    reason = _weak_secret(config.get("CITIZEN_ID_DIGEST_KEY"))
    if reason:
        raise InsecureConfiguration(
            f"EPLAN_CITIZEN_ID_DIGEST_KEY {reason}: in production set it to a random value of at "
            f"least 32 characters ({GENERATE_SECRET}); changing it later needs 'flask eplan reseal'"
        )
    if str(config["CITIZEN_ID_DIGEST_KEY"]) == str(config.get("SECRET_KEY")):
        raise InsecureConfiguration(
            "EPLAN_CITIZEN_ID_DIGEST_KEY must differ from EPLAN_SECRET_KEY: with the session "
            "secret anyone could test every citizen ID against the stored digests"
        )


def check_services(config) -> None:
    """Refuse a production start on SQLite or without Redis."""
    if config.get("ENV_NAME") != "production":
        return
    url = str(config.get("DATABASE_URL") or "")
    if not url.startswith("postgresql"):
        raise InsecureConfiguration(
            "EPLAN_DATABASE_URL must name a PostgreSQL database in production "
            f"({'SQLite' if not url or url.startswith('sqlite') else 'this database'} is for "
            "development only: it ignores row locks and serves one process)"
        )
    if not config.get("REDIS_URL"):
        raise InsecureConfiguration(
            "EPLAN_REDIS_URL must be set in production: background jobs and the rate limits "
            "shared by every web process need Redis"
        )
    if str(config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
        raise InsecureConfiguration(
            "EPLAN_RATELIMIT_STORAGE_URL must not be memory:// in production: each web process "
            "would count on its own, multiplying every limit (leave it unset to count in Redis)"
        )


def check_audit_key(config) -> None:
    """Refuse a production start without its own random audit key."""
    if config.get("ENV_NAME") != "production":
        return
    reason = _weak_secret(config.get("AUDIT_KEY"))
    if reason:
        raise InsecureConfiguration(
            f"EPLAN_AUDIT_KEY {reason}: in production set it to a random value of at least 32 "
            f"characters ({GENERATE_SECRET}), kept outside the database, and never change it"
        )
    if str(config["AUDIT_KEY"]) in (str(config.get("SECRET_KEY")), str(config.get("CITIZEN_ID_DIGEST_KEY"))):
        raise InsecureConfiguration("EPLAN_AUDIT_KEY must differ from every other key")


def check_base_url(config) -> None:
    """Refuse a production start without this app's public HTTPS address (EPLAN_BASE_URL)."""
    if config.get("ENV_NAME") != "production":
        return
    base = config.get("BASE_URL")
    if not base:
        raise InsecureConfiguration(
            "EPLAN_BASE_URL must be set in production: this app's public address, e.g. "
            "https://eplan.example.go.th. The SSO's issuer and the Host names served derive from "
            "it, never from a request's Host header"
        )
    if not base.startswith("https://"):
        raise InsecureConfiguration(f"EPLAN_BASE_URL must be an https:// address in production, not {base!r}")


def check_attachment_storage(config) -> None:
    """Refuse to start with an attachment store that cannot work: unknown, or S3 half set up."""
    kind = config.get("ATTACHMENTS_STORAGE") or "local"
    if kind == "local":
        return
    if kind != "s3":
        raise InsecureConfiguration(f"EPLAN_ATTACHMENTS_STORAGE={kind!r} is not 'local' or 's3'")
    if not str(config.get("ATTACHMENTS_S3_BUCKET") or "").strip():
        raise InsecureConfiguration(
            "EPLAN_ATTACHMENTS_STORAGE=s3 needs EPLAN_ATTACHMENTS_S3_BUCKET, the bucket attached "
            "files are kept in"
        )
    style = config.get("ATTACHMENTS_S3_ADDRESSING_STYLE") or "auto"
    if style not in ("auto", "path", "virtual"):
        raise InsecureConfiguration(
            f"EPLAN_ATTACHMENTS_S3_ADDRESSING_STYLE={style!r} is not 'auto', 'path' or 'virtual'"
        )
    if importlib.util.find_spec("boto3") is None:
        raise InsecureConfiguration(
            "EPLAN_ATTACHMENTS_STORAGE=s3 needs boto3, which is not installed: install the 's3' "
            "extra (pip install 'eplan-flow[s3]')"
        )


LOG_FORMATS = ("json", "text")


def check_observability(config) -> None:
    """Refuse an unknown log format or level, and in production a guessable metrics token."""
    if config.get("LOG_FORMAT") not in LOG_FORMATS:
        raise InsecureConfiguration(
            f"EPLAN_LOG_FORMAT={config.get('LOG_FORMAT')!r} is not one of {', '.join(LOG_FORMATS)}"
        )
    level = config.get("LOG_LEVEL", "INFO")
    if not isinstance(level, int) and str(level).upper() not in logging.getLevelNamesMapping():
        raise InsecureConfiguration(
            f"EPLAN_LOG_LEVEL={level!r} is not a level: DEBUG, INFO, WARNING, ERROR or CRITICAL"
        )
    token = config.get("METRICS_TOKEN")
    if token and config.get("ENV_NAME") == "production":
        reason = _weak_secret(token)
        if reason:
            raise InsecureConfiguration(
                f"EPLAN_METRICS_TOKEN {reason}: set it to a random value of at least 32 characters "
                f"({GENERATE_SECRET}), or leave it unset to serve no metrics"
            )

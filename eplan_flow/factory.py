"""What an app is made of: its settings, extensions, blueprints, back office and workflow actions.

``eplan_flow.create_app`` builds apps with ``build_app``. This module imports every part of the app,
so nothing imports it but the package's ``create_app``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import cast

from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider

from admin import init_admin
from eplan_flow import (
    addresses,
    cli,
    collation,
    i18n,
    log_redaction,
    logging_setup,
    oidc,
    read_only,
    security_headers,
    thaid_dev,
    web,
)
from eplan_flow.api import bp as api_bp
from eplan_flow.attachments import bp as attachments_bp
from eplan_flow.auth import init_app as init_auth
from eplan_flow.catalogues import bp as catalogues_bp
from eplan_flow.config import check_configuration, config_class
from eplan_flow.documents import bp as documents_bp
from eplan_flow.execution import bp as execution_bp
from eplan_flow.extensions import csrf, db, limiter, migrate
from eplan_flow.health import PROBE_PATHS
from eplan_flow.health import bp as health_bp
from eplan_flow.main import bp as main_bp
from eplan_flow.monitoring import METRICS_PATH
from eplan_flow.monitoring import bp as monitoring_bp
from eplan_flow.oversight import bp as oversight_bp
from eplan_flow.plans import bp as plans_bp
from eplan_flow.public import bp as public_bp
from eplan_flow.results import bp as results_bp
from eplan_flow.revisions import bp as revisions_bp
from eplan_flow.services.platform import engine, metrics, outbox
from eplan_flow.sso import bp as sso_bp

PACKAGE_DIR = Path(__file__).resolve().parent
# The app's import name: its instance folder, logger and root path (translations, migrations).
APP_NAME = "eplan_flow"


def _templates_dir() -> str:
    # Installed wheels carry the top-level templates/ inside the package; a checkout has it beside.
    packaged = PACKAGE_DIR / "templates"
    return str(packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates")


def build_app(test_config: dict | None = None) -> Flask:
    """Build an app: config defaults, then EPLAN_* variables, then ``test_config``."""
    app = Flask(
        APP_NAME,
        instance_relative_config=True,
        template_folder=_templates_dir(),
    )
    app.config.from_object(config_class((test_config or {}).get("ENV_NAME")))
    app.config.from_prefixed_env("EPLAN")
    if test_config:
        app.config.update(test_config)
    _derive_config(app)
    check_configuration(app.config)
    # Thai stays readable in JSON (the app keeps Flask's default provider, typed as the base class).
    cast(DefaultJSONProvider, app.json).ensure_ascii = False

    web.init_app(app)
    # One handler for every logger, JSON in production; redacted; an access line per request.
    logging_setup.init_app(app)
    metrics.init_app(app)
    security_headers.init_app(app)
    collation.install()  # SQLite connections learn Thai order before the first one opens
    db.init_app(app)
    outbox.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    # Before the auth hooks, so events they audit (a role re-sync) carry the request id.
    _init_request_id(app)
    init_auth(app)
    # After sign-in is known (the back office stays open to DLA admins), before any view writes.
    read_only.init_app(app)
    cli.init_app(app)

    app.register_blueprint(health_bp)
    app.register_blueprint(monitoring_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(plans_bp, url_prefix="/plans")
    app.register_blueprint(revisions_bp, url_prefix="/revisions")
    app.register_blueprint(execution_bp, url_prefix="/execution")
    app.register_blueprint(catalogues_bp, url_prefix="/catalogues")
    app.register_blueprint(public_bp, url_prefix="/public")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)
    app.register_blueprint(sso_bp, url_prefix="/sso")
    app.register_blueprint(results_bp, url_prefix="/results")
    app.register_blueprint(oversight_bp, url_prefix="/oversight")
    app.register_blueprint(documents_bp, url_prefix="/documents")
    app.register_blueprint(attachments_bp, url_prefix="/attachments")
    oidc.init_app(app)
    thaid_dev.init_app(app)
    init_admin(app)
    # Every entry action a workflow names exists, and none is left unnamed: checked now, not at
    # the first step that needs one.
    engine.resolve_entry_actions()

    # Last, so it wraps everything: a request for an unknown Host is refused before any of the above.
    addresses.init_app(app, any_host_paths=PROBE_PATHS | {METRICS_PATH})
    return app


def _derive_config(app: Flask) -> None:
    # This app's address, its SSO issuer and the SSO e-Plan trusts: from settings, never a request.
    addresses.derive(app.config)
    url = app.config.get("DATABASE_URL")
    if not url:
        # The zero-setup default; the only file-system touch, so a fresh clone just runs.
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "eplan.sqlite3")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    # Rate limits count in Redis when there is one (shared by every web process), else in memory;
    # EPLAN_RATELIMIT_STORAGE_URL names another store (production refuses memory://).
    app.config["RATELIMIT_STORAGE_URI"] = (
        app.config.get("RATELIMIT_STORAGE_URL")
        or app.config.get("RATELIMIT_STORAGE_URI")
        or app.config.get("REDIS_URL")
        or "memory://"
    )


def _new_request_id() -> str:
    """A random id the log redaction leaves whole: about one uuid4 hex in 20 holds a run of 13
    digits, which the log lines would mask as a citizen ID, losing the request's id from them."""
    while True:
        candidate = uuid.uuid4().hex
        if log_redaction.redact(candidate) == candidate:
            return candidate


def _init_request_id(app: Flask) -> None:
    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        # A client's id is kept only if it is one: printable, and nothing the log redaction
        # would mask (a citizen ID, a token), since every log line of the request carries it.
        incoming = incoming[:64]
        valid = incoming.isprintable() and log_redaction.redact(incoming) == incoming
        g.request_id = incoming if incoming and valid else _new_request_id()

    @app.after_request
    def echo_request_id(response):
        if getattr(g, "request_id", None):
            response.headers["X-Request-ID"] = g.request_id
        return response

"""Shared fixtures. The suite runs on the real PostgreSQL and Redis; it never skips for them."""
from __future__ import annotations

import os
import socket
import threading
from types import SimpleNamespace

import pytest
import redis
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from eplan_flow import create_app
from eplan_flow.dbutil import create_database_if_missing
from eplan_flow.extensions import db as _db

DATABASE_URL = os.environ.get(
    "EPLAN_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_test"
)
REDIS_URL = os.environ.get("EPLAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

TEST_CONFIG = {
    "ENV_NAME": "test",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-000000",
    "LOAD_DEMO_DATA": False,
}

# A production app's settings beyond TEST_CONFIG (which gives it PostgreSQL and Redis): random keys
# made for the tests only. ``make_app(**PRODUCTION_CONFIG)``.
PRODUCTION_CONFIG = {
    "ENV_NAME": "production",
    # Production needs its public HTTPS address; the test client's hosts are served besides it.
    "BASE_URL": "https://sso.example",
    "TRUSTED_HOSTS": ["localhost", "127.0.0.1"],
    "SECRET_KEY": "6Tk8FhSgR2UH9yB_UNHnQ1yk1C9ZdEzx-v_2W1LPEWKO99fs_TcMQwxUTl1qyOg7",
    "DATA_KEYS": "t1:o_aiF2L-1oISdn--s8PS3YambHNeoo-XDxeGi_jLbgE=",
    "CITIZEN_ID_DIGEST_KEY": "-Qmof70N91kbr91HAtWgAxCJDPXnbbVgK5QTyGxvfesZhbJfh3sZarD4yckG3q9M",
    "AUDIT_KEY": "ANt_tmUmmXXf_57S0jTJIKXmeyHdZ03i5tFvopKVga91b3kZcI_5ANrEEOtAS9pt",
}


def _ensure_database(url: str) -> None:
    try:
        create_database_if_missing(url)
    except sa.exc.OperationalError as exc:
        pytest.exit(
            f"PostgreSQL is not reachable for {make_url(url).render_as_string(hide_password=True)}: {exc}\n"
            "Start it (make services) or set EPLAN_TEST_DATABASE_URL.",
            returncode=3,
        )


def _check_redis(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        pytest.exit(
            f"Redis is not reachable at {url}: {exc}\nStart it (make services) or set EPLAN_TEST_REDIS_URL.",
            returncode=3,
        )


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, so its own ``g`` and session.

    Flask reuses an app context that is already pushed (the ``db`` fixture holds one for the
    factories), which would share ``g`` (Flask-Login's user, Flask-WTF's token) between requests.
    After each request the test's own session is expired, so the test reads what was committed.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            _db.session.expire_all()
        return response


def make_app(**overrides):
    app = create_app({**TEST_CONFIG, **overrides})
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def _schema():
    """A fresh schema built by the migrations (so every run also exercises them)."""
    _ensure_database(DATABASE_URL)
    _check_redis(REDIS_URL)
    app = make_app()
    with app.app_context():
        with _db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade()
        tables = [t.name for t in _db.metadata.sorted_tables]
        _db.engine.dispose()
    return tables


def _reset(app, tables) -> None:
    with app.app_context():
        _db.session.remove()
        with _db.engine.begin() as conn:
            # Replica mode skips ordinary triggers for this transaction only: the audit tables
            # refuse TRUNCATE (migration 0009), but tests start from empty tables.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        _db.engine.dispose()
    redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def app(_schema):
    app = make_app()
    yield app
    from eplan_flow.services.platform.queues import drain_in_process

    drain_in_process(app)
    _reset(app, _schema)


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db
        _db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(db):
    """A small country: two provinces, LAOs of several types, one person per role."""
    from tests.factories import build_world

    return build_world()


@pytest.fixture
def make_live_server(_schema):
    """Serve an app over real HTTP on 127.0.0.1 (a free port), for OIDC flows between processes'
    points of view: the SSO, the stand-in ThaiD and e-Plan all answer at ``server.url``.

    ``make_live_server(**config)`` returns ``SimpleNamespace(url, app)``; use
    ``with server.app.app_context():`` to set up data. Only one per test.
    """
    from werkzeug.serving import make_server

    started = []

    def _make(**overrides):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        app = make_app(**{
            # The SSO's issuer and e-Plan's SSO discovery URL derive from it (eplan_flow.addresses).
            "BASE_URL": base,
            "THAID_DISCOVERY_URL": f"{base}/dev/thaid/.well-known/openid-configuration",
            "THAID_CLIENT_ID": "eplan-sso-dev",
            "THAID_CLIENT_SECRET": "thaid-dev-secret",
            **overrides,
        })
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name=f"live-{port}", daemon=True)
        thread.start()
        started.append((server, thread, app))
        return SimpleNamespace(url=base, app=app)

    yield _make
    for server, thread, app in started:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        from eplan_flow.services.platform.queues import drain_in_process

        drain_in_process(app)
        _reset(app, _schema)


@pytest.fixture
def live_server(make_live_server):
    """One live app with the default test configuration (see ``make_live_server``)."""
    return make_live_server()


@pytest.fixture
def login_as(client):
    """Sign ``client`` in through the real login form as the given user."""

    def _login(user, password: str = "pw"):
        client.post("/auth/logout")
        response = client.post(
            "/auth/login", data={"username": user.username, "password": password}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login

"""Shared fixtures. The suite runs on the real PostgreSQL and Redis; it never skips for them."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import has_app_context
from flask.testing import FlaskClient
from flask_admin import babel as admin_babel
from flask_migrate import upgrade
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

import eplan_flow
from eplan_flow import create_app
from eplan_flow.dbutil import create_database_if_missing
from eplan_flow.extensions import db as _db
from eplan_flow.services.identity import identity
from eplan_flow.services.platform.queues import drain_in_process
from tests import app_cache, factories, isolation
from tests.browser import chromium  # noqa: F401  (the one browser of the run, for every test)
from tests.factories import build_world

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
    # The cheapest argon2id the library allows (see TEST_PASSWORD_PARAMETERS below).
    "PASSWORD_HASH_TIME_COST": 1,
    "PASSWORD_HASH_MEMORY_KIB": 8,
    "PASSWORD_HASH_PARALLELISM": 1,
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


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_commits: commits for real (threads, other connections); tables truncated after"
    )
    config.addinivalue_line(
        "markers", "production_password_hashing: hash passwords with the production argon2 parameters"
    )


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, so its own ``g`` and session.

    Flask reuses an app context that is already pushed (the ``db`` fixture holds one for the
    factories), which would share ``g`` (Flask-Login's user, Flask-WTF's token) between requests.
    After each request the test's own session is expired, so the test reads what was committed.
    """

    def open(self, *args, **kwargs):
        isolation.before_request()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            _db.session.expire_all()
        return response


def make_app(**overrides):
    """An app on the test database; during a test it shares the test's isolation (tests/isolation.py).

    During a test on the database, an app an earlier test built with the same configuration and
    left unchanged is used again (tests/app_cache.py).
    """
    cache_key = app_cache.key(overrides) if isolation.current() is not None else None
    app = app_cache.take(cache_key)
    if app is None:
        app = create_app({**TEST_CONFIG, **overrides})
        app.test_client_class = IsolatedClient
        app_cache.built(app, cache_key)
    isolation.adopt(app)
    return app


@pytest.fixture(scope="session")
def _schema():
    """A fresh schema built by the migrations (so every run also exercises them); the table names."""
    _ensure_database(DATABASE_URL)
    _check_redis(REDIS_URL)
    app = make_app()
    with app.app_context():
        with _db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        tables = [t.name for t in _db.metadata.sorted_tables]
        _db.engine.dispose()
    return tables


@pytest.fixture(scope="session")
def _cleaner(_schema):
    cleaner = isolation.Cleaner(DATABASE_URL)
    yield cleaner
    cleaner.dispose()


# The cheapest argon2id the library allows, in apps (TEST_CONFIG) and outside them. Production's
# parameters (PASSWORD_HASH_*: 19 MiB, 2 passes) cost a tenth of many tests' time; tests marked
# ``production_password_hashing`` check those (outside an app).
TEST_PASSWORD_PARAMETERS = (1, 8, 1)
PRODUCTION_PASSWORD_PARAMETERS = identity._DEFAULT_PARAMETERS


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    identity._DEFAULT_PARAMETERS = TEST_PASSWORD_PARAMETERS
    yield
    identity._DEFAULT_PARAMETERS = PRODUCTION_PASSWORD_PARAMETERS


@pytest.fixture(autouse=True)
def _production_password_hashing(request, _cheap_password_hashing):
    if request.node.get_closest_marker("production_password_hashing") is None:
        yield
        return
    identity._DEFAULT_PARAMETERS = PRODUCTION_PASSWORD_PARAMETERS
    try:
        yield
    finally:
        identity._DEFAULT_PARAMETERS = TEST_PASSWORD_PARAMETERS


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs():
    """Compile the translation catalogues (the app's and the back office's) when a .mo is missing or
    older than its .po, as ``make translations`` does."""
    package = Path(eplan_flow.__file__).parent
    compiled = False
    for po in [
        *package.glob("translations/*/LC_MESSAGES/messages.po"),
        *package.glob("translations_admin/*/LC_MESSAGES/admin.po"),
    ]:
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        # Write beside and rename, so a concurrent run never reads half a file.
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as target:
            write_mo(target, catalog)
        os.chmod(tmp, 0o644)
        os.replace(tmp, mo)
        compiled = True
    if compiled:
        # Flask-Admin's domain caches each locale's catalogue for the whole process: drop any copy
        # loaded before the .mo existed.
        admin_babel.domain.cache.clear()


@pytest.fixture(autouse=True)
def _isolation(request):
    """Empty tables for every test on the database: savepoints rolled back, or (for tests marked
    ``real_commits`` or using a live server) real commits truncated afterwards. See tests/isolation.py."""
    if "_schema" not in request.fixturenames:
        yield None
        return
    iso = isolation.Isolation(
        real_commits=isolation.wants_real_commits(request),
        tables=request.getfixturevalue("_schema"),
        cleaner=request.getfixturevalue("_cleaner"),
        redis_url=REDIS_URL,
    )
    isolation.start(iso)
    try:
        yield iso
    finally:
        try:
            problems = iso.finish()
        finally:
            isolation.stop()
            app_cache.give_back(iso.apps)
    if problems:
        pytest.fail(
            "savepoint isolation cannot reproduce what this test does (mark it "
            f"@pytest.mark.{isolation.MARKER}):\n- " + "\n- ".join(problems),
            pytrace=False,
        )


@pytest.fixture
def app(_schema):
    app = make_app()
    yield app
    drain_in_process(app)


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
    return build_world()


@pytest.fixture
def make_live_server(_schema):
    """Serve an app over real HTTP on 127.0.0.1 (a free port), for OIDC flows between processes'
    points of view: the SSO, the stand-in ThaiD and e-Plan all answer at ``server.url``.

    ``make_live_server(**config)`` returns ``SimpleNamespace(url, app)``; use
    ``with server.app.app_context():`` to set up data. Only one per test. A test using it commits
    for real (its server answers in other threads).
    """
    started = []

    def _make(**overrides):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        app = make_app(
            **{
                # The SSO's issuer and e-Plan's SSO discovery URL derive from it (eplan_flow.addresses).
                "BASE_URL": base,
                "THAID_DISCOVERY_URL": f"{base}/dev/thaid/.well-known/openid-configuration",
                "THAID_CLIENT_ID": "eplan-sso-dev",
                "THAID_CLIENT_SECRET": "thaid-dev-secret",
                **overrides,
            }
        )
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
        drain_in_process(app)


@pytest.fixture
def live_server(make_live_server):
    """One live app with the default test configuration (see ``make_live_server``)."""
    return make_live_server()


@pytest.fixture
def login_as(client):
    """Sign ``client`` in through the real login form as the given user."""

    def _login(user, password: str = "pw"):
        client.post("/auth/logout")
        response = client.post("/auth/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login


# -- an app with CSRF protection on, as in production (the page tests that post forms)


@pytest.fixture
def csrf_app(_schema):
    app = make_app(WTF_CSRF_ENABLED=True)
    yield app
    drain_in_process(app)


@pytest.fixture
def csrf_plan_id(csrf_app):
    """A world and one drafting plan of sao_a; returns the plan's id.

    The app context is closed before the test's requests: each request must get its own ``g``,
    where Flask-WTF caches the token of the session it signed (sign-in starts a new session).
    """
    with csrf_app.app_context():
        world = factories.build_world()
        plan_id = factories.plan(world.sao_a, world.planner).id
        _db.session.remove()
    return plan_id


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on a fresh SQLite file, the embedded database ``make run`` serves, its schema made by
    the migrations as ``eplan setup`` does; jobs run in-process (no Redis)."""
    app = create_app(
        {
            "ENV_NAME": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'eplan.sqlite3'}",
            "REDIS_URL": None,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-000000",
            "LOAD_DEMO_DATA": False,
        }
    )
    with app.app_context():
        assert _db.engine.dialect.name == "sqlite"
        upgrade()
        _db.session.remove()
    yield app
    # Without Redis the notices run in a thread of this process: let them finish with the file.
    drain_in_process(app)
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()

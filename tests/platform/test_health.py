"""The load balancer's probes (issue 15, item 3): /healthz says the process answers, /readyz that it
may take traffic (database at the migrations' head, Redis answering when configured). Both are open
to anyone, answer any Host a balancer probes by, say nothing but up or not, and leave no trace."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask_migrate import stamp

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent
from eplan_flow.services.platform import health
from tests.conftest import DATABASE_URL, make_app
from tests.platform.migration_databases import empty_postgresql_url

# Nothing listens on these (the ports given to this work): a database and a Redis that are down.
CLOSED_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5343/eplan_down"
CLOSED_REDIS_URL = "redis://127.0.0.1:5345/0"


def _probe(client, path: str, **kwargs):
    response = client.get(path, **kwargs)
    assert "Set-Cookie" not in response.headers, f"{path} set a cookie"
    assert response.headers["Cache-Control"] == "no-store"
    return response


def _ready(response) -> bool:
    assert response.status_code in (200, 503)
    # Up or not, and nothing else: no exception text, no versions, no revisions.
    assert response.json == {"status": "ok" if response.status_code == 200 else "unavailable"}
    return response.status_code == 200


def test_both_probes_answer_200_on_a_migrated_database_with_redis(client):
    healthz = _probe(client, "/healthz")
    assert healthz.status_code == 200 and healthz.get_data(as_text=True) == "ok"
    assert _ready(_probe(client, "/readyz"))
    assert client.head("/healthz").status_code == 200


def test_a_balancer_probing_by_ip_address_is_answered_but_gets_nothing_else(client):
    by_ip = {"Host": "10.0.0.5:8000"}
    assert _probe(client, "/healthz", headers=by_ip).status_code == 200
    assert _ready(_probe(client, "/readyz", headers=by_ip))
    # Any other path under that Host is refused before the app sees it, as before.
    for path in ("/", "/healthz/", "/sso/login", "/api/v1/me"):
        assert client.get(path, headers=by_ip).status_code == 400, path
    assert client.post("/healthz", headers=by_ip).status_code == 400


def test_the_probes_set_no_cookie_and_write_no_audit_even_for_a_signed_in_browser(
    client, login_as, world, db
):
    login_as(world.planner)
    before = db.session.query(AuditEvent).count()
    for _ in range(3):
        assert _probe(client, "/healthz").status_code == 200
        assert _ready(_probe(client, "/readyz"))
    assert db.session.query(AuditEvent).count() == before
    # No sign-in redirect either way: a probe never needs one.
    client.post("/auth/logout")
    assert _probe(client, "/readyz").status_code == 200


def test_healthz_does_not_touch_the_database_and_readyz_says_unavailable_without_details(_schema):
    app = make_app(DATABASE_URL=CLOSED_DATABASE_URL)
    client = app.test_client()
    assert _probe(client, "/healthz").status_code == 200
    unready = _probe(client, "/readyz")
    assert not _ready(unready)
    body = unready.get_data(as_text=True)
    assert "5343" not in body and "Error" not in body and "psycopg" not in body


def test_readyz_is_unavailable_while_the_configured_redis_does_not_answer(_schema):
    app = make_app(REDIS_URL=CLOSED_REDIS_URL)
    client = app.test_client()
    assert _probe(client, "/healthz").status_code == 200
    assert not _ready(_probe(client, "/readyz"))


def test_readyz_is_unavailable_until_the_database_is_migrated_to_the_head(_schema):
    app = make_app(DATABASE_URL=empty_postgresql_url("readyz"))
    client = app.test_client()
    # Never migrated: no alembic_version at all.
    assert not _ready(_probe(client, "/readyz"))
    config = AlembicConfig()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    scripts = ScriptDirectory.from_config(config)
    previous = scripts.get_revision(scripts.get_current_head()).down_revision
    assert isinstance(previous, str)
    with app.app_context():
        # A release's web processes started before its `flask db upgrade` ran.
        stamp(revision=previous)
        _db.session.remove()
    assert not _ready(_probe(client, "/readyz"))
    assert _probe(client, "/healthz").status_code == 200
    with app.app_context():
        stamp(revision="head")
        _db.session.remove()
    assert _ready(_probe(client, "/readyz"))


@pytest.mark.real_commits
def test_readyz_says_unavailable_rather_than_wait_while_a_migration_holds_the_version_table(_schema):
    app = make_app()
    client = app.test_client()
    assert _ready(_probe(client, "/readyz"))
    other = sa.create_engine(DATABASE_URL)
    try:
        with other.connect() as migration:
            # What an ALTER TABLE of a running `flask db upgrade` holds until it commits.
            migration.execute(sa.text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            assert not _ready(_probe(client, "/readyz"))
            assert time.monotonic() - started < 10 * health.STATEMENT_TIMEOUT_MS / 1000
            migration.rollback()
    finally:
        other.dispose()
    assert _ready(_probe(client, "/readyz"))


def test_readyz_on_the_embedded_default_needs_no_redis(sqlite_app):
    client = sqlite_app.test_client()
    assert _ready(_probe(client, "/readyz"))

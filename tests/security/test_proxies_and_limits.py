"""Behind a proxy (issue 15, item 4): with EPLAN_TRUSTED_PROXIES proxies in front, rate limits and
audit records see the client's address the proxies forwarded; with none (the default), the socket's
address, whatever X-Forwarded-For a client writes. Rate limits count in Redis, shared by every web
process, and production refuses to count them in memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from eplan_flow import create_app
from eplan_flow.config import InsecureConfiguration
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent
from tests.conftest import PRODUCTION_CONFIG, REDIS_URL, TEST_CONFIG
from tests.identity.sso.conftest import make_sso_app  # noqa: F401 (fixture)

UNKNOWN = {"email": "nobody@example.test", "password": "a wrong password"}
BALANCER = {"REMOTE_ADDR": "10.0.0.2"}
REPO = Path(__file__).resolve().parents[2]


def _sign_in(client, forwarded_for: str | None = None, **environ):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(
        "/sso/login", data=UNKNOWN, headers=headers, environ_base=environ or BALANCER
    ).status_code


def _failed_sign_in_addresses(app) -> list[str | None]:
    with app.app_context():
        events = _db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "login_failed").order_by(AuditEvent.id)
        )
        addresses = [event.data.get("ip") for event in events]
        _db.session.remove()
    return addresses


def test_behind_one_trusted_proxy_limits_and_audit_records_see_the_forwarded_client(make_sso_app):
    app = make_sso_app(TRUSTED_PROXIES=1, SSO_LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    assert _sign_in(client, "203.0.113.5") == 401
    assert _failed_sign_in_addresses(app) == ["203.0.113.5"]
    assert _sign_in(client, "203.0.113.5") == 429
    # Another client behind the same balancer has its own count, not the balancer's.
    assert _sign_in(client, "203.0.113.6") == 401
    # Only the entry the trusted proxy appended counts: what the client wrote before it is ignored.
    assert _sign_in(client, "198.51.100.99, 203.0.113.5") == 429
    assert _failed_sign_in_addresses(app) == ["203.0.113.5", "203.0.113.6"]


def test_with_no_proxy_trusted_a_spoofed_forwarded_for_is_ignored(make_sso_app):
    app = make_sso_app(SSO_LOGIN_RATE_LIMIT="1 per minute")
    assert app.config["TRUSTED_PROXIES"] == 0
    client = app.test_client()
    socket = {"REMOTE_ADDR": "192.0.2.10"}
    assert _sign_in(client, "203.0.113.7", **socket) == 401
    # A new made-up address per attempt buys no fresh count.
    assert _sign_in(client, "203.0.113.8", **socket) == 429
    assert _failed_sign_in_addresses(app) == ["192.0.2.10"]


def test_over_real_http_the_audit_record_names_the_socket_not_the_header(make_live_server):
    server = make_live_server()
    response = requests.post(
        f"{server.url}/sso/login",
        data=UNKNOWN,
        headers={"X-Forwarded-For": "203.0.113.9", "Accept": "text/html"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 401
    assert _failed_sign_in_addresses(server.app) == ["127.0.0.1"]


def test_the_host_check_stays_on_the_configured_hosts_behind_a_proxy(make_sso_app):
    proxied = make_sso_app(TRUSTED_PROXIES=1).test_client()
    # The Host the trusted proxy forwards is checked like any other: it widens nothing.
    assert proxied.get("/sso/login", headers={"X-Forwarded-Host": "evil.example"}).status_code == 400
    assert proxied.get("/sso/login", headers={"X-Forwarded-Host": "localhost"}).status_code == 200
    assert proxied.get("/readyz", headers={"X-Forwarded-Host": "10.0.0.5:8000"}).status_code == 200


def test_with_no_proxy_trusted_a_forwarded_host_cannot_stand_in_for_the_real_one(make_sso_app):
    direct = make_sso_app().test_client()
    spoofed = {"Host": "evil.example", "X-Forwarded-Host": "localhost"}
    assert direct.get("/sso/login", headers=spoofed).status_code == 400
    assert direct.get("/sso/login", headers={"X-Forwarded-Host": "evil.example"}).status_code == 200


# Another web process: its own interpreter, its own Flask-Limiter and storage connection, the same
# configuration (so the same Redis). It reports the status of one sign-in attempt.
OTHER_PROCESS = """
import json, sys
from eplan_flow import create_app
app = create_app(json.loads(sys.argv[1]))
response = app.test_client().post(
    "/sso/login", data=json.loads(sys.argv[2]), environ_base={"REMOTE_ADDR": "192.0.2.50"}
)
print(response.status_code)
"""


def test_two_web_processes_share_the_rate_limit_counters_through_redis(make_sso_app):
    limit = {"SSO_LOGIN_RATE_LIMIT": "2 per minute"}
    app = make_sso_app(**limit)
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    client = app.test_client()
    assert [_sign_in(client, REMOTE_ADDR="192.0.2.50") for _ in range(2)] == [401, 401]
    other = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, json.dumps({**TEST_CONFIG, **limit}), json.dumps(UNKNOWN)],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("EPLAN_")},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # Its own count would have let a first attempt through; the shared one is used up.
    assert other.stdout.strip().splitlines()[-1] == "429"


def test_production_counts_rate_limits_in_redis_and_refuses_memory(monkeypatch):
    production = {**TEST_CONFIG, **PRODUCTION_CONFIG}
    assert create_app(production).config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    elsewhere = "redis://127.0.0.1:6379/14"
    monkeypatch.setenv("EPLAN_RATELIMIT_STORAGE_URL", elsewhere)
    assert create_app(production).config["RATELIMIT_STORAGE_URI"] == elsewhere
    monkeypatch.setenv("EPLAN_RATELIMIT_STORAGE_URL", "memory://")
    with pytest.raises(InsecureConfiguration, match="EPLAN_RATELIMIT_STORAGE_URL must not be memory"):
        create_app(production)
    # Outside production, one process may count in memory.
    assert create_app({**TEST_CONFIG, "REDIS_URL": None}).config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize("value", ["-1", "two", "true", "1.5"])
def test_a_trusted_proxy_count_that_is_no_count_refuses_to_start(monkeypatch, value):
    monkeypatch.setenv("EPLAN_TRUSTED_PROXIES", value)
    with pytest.raises(InsecureConfiguration, match="EPLAN_TRUSTED_PROXIES"):
        create_app({**TEST_CONFIG})


def test_the_trusted_proxy_count_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("EPLAN_TRUSTED_PROXIES", "2")
    assert create_app({**TEST_CONFIG}).config["TRUSTED_PROXIES"] == 2

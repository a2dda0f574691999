"""Rate limits on sign-in and registration (Flask-Limiter on the real Redis), with the lockout."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import redis
import requests
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, User
from tests import factories
from tests.conftest import REDIS_URL
from tests.identity.sso.conftest import STRONG_PASSWORD, register


def test_a_burst_of_bad_passwords_hits_the_rate_limit_and_the_lockout(make_live_server):
    server = make_live_server(SSO_LOGIN_RATE_LIMIT="10 per minute", LOGIN_LOCKOUT_THRESHOLD=5)
    with server.app.app_context():
        world = factories.build_world()
        person = register(world.sao_a, 1).user
        email, person_id = person.email, person.id
        _db.session.remove()

    def attempt(n: int) -> int:
        return requests.post(
            f"{server.url}/sso/login",
            data={"email": email, "password": f"guess number {n}"},
            headers={"Accept": "text/html"},
            allow_redirects=False,
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(25)))

    # Exactly the limit got through to the password check, whatever the interleaving.
    assert statuses.count(429) == 15
    assert set(statuses) == {401, 429}  # a pause answers like any wrong password
    with server.app.app_context():
        user = _db.session.get(User, person_id)
        assert user.locked_until is not None and user.failed_login_count == 5
        locks = _db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.chain == f"auth:{person_id}", AuditEvent.action == "account_locked")
        )
        assert locks == 1
        _db.session.remove()
    # The counters live in Redis, shared by every web process.
    assert any(
        b"sso.login" in key or b"/sso/login" in key for key in redis.Redis.from_url(REDIS_URL).keys("LIMITS*")
    )

    # Still limited at the page itself, with a clear answer...
    limited = requests.post(
        f"{server.url}/sso/login?lang=en",
        data={"email": email, "password": STRONG_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert limited.status_code == 429 and "Too many attempts" in limited.text
    assert int(limited.headers["Retry-After"]) > 0
    # ...and once the window is over (here: counters cleared), the right password meets the pause.
    redis.Redis.from_url(REDIS_URL).flushdb()
    locked = requests.post(
        f"{server.url}/sso/login?lang=en",
        data={"email": email, "password": STRONG_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert locked.status_code == 401 and "is paused for a few minutes" in locked.text


def test_registration_posts_are_limited_and_programs_get_the_rate_limited_code(make_sso_app):
    app = make_sso_app(SSO_REGISTER_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for _ in range(2):
        assert client.post("/sso/register", data={}).status_code != 429
    page = client.post("/sso/register?lang=en", data={})
    assert page.status_code == 429 and "Too many attempts" in page.get_data(as_text=True)
    answer = client.post("/sso/register", data={}, headers={"Accept": "application/json"})
    assert answer.status_code == 429
    assert answer.json["code"] == "rate_limited" and answer.json["retry_after"] > 0
    # Reading the page is never limited.
    assert client.get("/sso/register").status_code == 200


def test_the_limits_are_counted_per_client_address(make_sso_app):
    app = make_sso_app(SSO_LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    form = {"email": "x@example.test", "password": "whatever pass"}
    assert client.post("/sso/login", data=form, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 401
    assert client.post("/sso/login", data=form, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 429
    assert client.post("/sso/login", data=form, environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 401

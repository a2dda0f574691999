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
from tests.identity.sso.conftest import STRONG_PASSWORD, citizen_id, register


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
    # Every attempt, refused or not, counts toward the looser flood guard.
    app = make_sso_app(SSO_REGISTER_ATTEMPT_LIMIT="2 per minute")
    client = app.test_client()
    for _ in range(2):
        assert client.post("/sso/register", data={}).status_code != 429
    page = client.post("/sso/register?lang=en", data={})
    assert page.status_code == 429 and "Too many attempts" in page.get_data(as_text=True)
    assert "Many registrations were sent" in page.get_data(as_text=True)
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


def _registration_form(org_id: int, n: int, **changes) -> dict:
    return {
        "organisation_id": str(org_id),
        "citizen_id": citizen_id(300 + n),
        "title": "นาย",
        "first_name": "สมชาย",
        "last_name": f"ใจดี{n}",
        "birth_date": "14/03/2531",
        "email": f"office{n}@lao.example.test",
        "phone": "0891234567",
        "position": "นักวิเคราะห์นโยบายและแผน",
        "requested_role": "member",
        "password": STRONG_PASSWORD,
        "password_again": STRONG_PASSWORD,
        **changes,
    }


def test_an_office_behind_one_address_registers_its_staff_typos_and_all(make_sso_app):
    # The shipped limits: a dozen colleagues behind the office's one NAT address, each sending the
    # form back once or twice to fix a typo, in a few minutes.
    app = make_sso_app()
    with app.app_context():
        org_id = factories.build_world().sao_a.id
        _db.session.remove()
    client = app.test_client()
    office = {"REMOTE_ADDR": "198.51.100.7"}
    statuses = []
    for n in range(12):
        url = f"/sso/register?org={org_id}"
        for typo in ({"birth_date": "31/02/2531"}, {"password_again": "not the same"}):
            statuses.append(client.post(url, data=_registration_form(org_id, n, **typo), environ_base=office))
        statuses.append(client.post(url, data=_registration_form(org_id, n), environ_base=office))
    codes = [r.status_code for r in statuses]
    assert 429 not in codes
    assert codes.count(303) == 12 and codes.count(422) == 24
    with app.app_context():
        made = _db.session.scalar(select(func.count()).select_from(User).where(User.email.like("office%")))
        assert made == 12
        _db.session.remove()


def test_registrations_that_went_through_are_counted_per_address_and_the_page_says_so(make_sso_app):
    app = make_sso_app(SSO_REGISTER_RATE_LIMIT="2 per hour")
    with app.app_context():
        org_id = factories.build_world().sao_a.id
        _db.session.remove()
    client = app.test_client()
    url = f"/sso/register?org={org_id}&lang=en"
    for n in range(2):
        assert client.post(url, data=_registration_form(org_id, n, password_again="typo")).status_code == 422
        assert client.post(url, data=_registration_form(org_id, n)).status_code == 303
    third = client.post(url, data=_registration_form(org_id, 2))
    page = third.get_data(as_text=True)
    assert third.status_code == 429 and int(third.headers["Retry-After"]) > 0
    assert "Many registrations were sent from your network" in page
    assert "registered in bulk" in page and "password guessing" not in page
    # Another address is not held up by this one.
    other = client.post(url, data=_registration_form(org_id, 2), environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 303


def test_attempts_for_one_email_address_are_limited_from_any_address(make_sso_app):
    app = make_sso_app(SSO_REGISTER_EMAIL_LIMIT="3 per hour")
    with app.app_context():
        org_id = factories.build_world().sao_a.id
        _db.session.remove()
    client = app.test_client()
    url = f"/sso/register?org={org_id}"
    same = [
        client.post(
            url,
            data=_registration_form(org_id, 5, password_again="typo"),
            environ_base={"REMOTE_ADDR": f"192.0.2.{n}"},
        ).status_code
        for n in range(1, 5)
    ]
    assert same == [422, 422, 422, 429]
    assert client.post(url, data=_registration_form(org_id, 6)).status_code == 303
    # The counter's name in Redis does not spell the address out.
    assert not [k for k in redis.Redis.from_url(REDIS_URL).keys("LIMITS*") if b"office5" in k]


def test_the_sign_in_limit_page_still_speaks_of_password_guessing_and_links_the_reset(make_sso_app):
    app = make_sso_app(SSO_LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    form = {"email": "x@example.test", "password": "whatever pass"}
    client.post("/sso/login", data=form)
    page = client.post("/sso/login?lang=en", data=form).get_data(as_text=True)
    assert "password guessing" in page and 'href="/sso/forgot"' in page

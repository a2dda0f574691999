"""Verifying a registered person with ThaiD, through real redirects between the SSO and the
stand-in ThaiD served over HTTP; the SSO's client is Authlib's, as in production."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import requests

from eplan_flow.extensions import db
from eplan_flow.models import Account, AuditEvent, User
from eplan_flow.services.identity.thaid_verification import REASONS
from eplan_flow.thaid_dev.citizens import BY_KEY, SAMPLE_CITIZENS
from tests.identity.thaid.conftest import registered_person, sign_in


def _start(server, browser) -> str:
    """Press "Verify with ThaiD"; return the stand-in's authorization URL the SSO redirected to."""
    response = browser.post(f"{server.url}/sso/verify/thaid", allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def _pick(browser, authorization_url: str, citizen: str) -> str:
    """On the stand-in's page, sign in as ``citizen``; return the callback URL it sends back to."""
    page = browser.get(authorization_url, timeout=10)
    assert page.status_code == 200 and BY_KEY[citizen].name in page.text
    back = browser.post(page.url, data={"citizen": citizen}, allow_redirects=False, timeout=10)
    assert back.status_code == 303
    return back.headers["Location"]


def _snapshot(server, person) -> tuple:
    with server.app.app_context():
        account = db.session.get(Account, person.account_id)
        user = db.session.get(User, person.user_id)
        events = db.session.query(AuditEvent).count()
        return account.status, account.version, user.identity_verified_at, events


def _account_chain(person) -> list[str]:
    return [
        e.action
        for e in db.session.query(AuditEvent)
        .filter_by(chain=f"account:{person.account_id}")
        .order_by(AuditEvent.seq)
    ]


def test_the_verification_page_sends_people_who_are_not_signed_in_to_the_sso_login(server, browser):
    response = browser.get(f"{server.url}/sso/verify/thaid", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/sso/login" and parse_qs(location.query)["next"] == ["/sso/verify/thaid"]
    callback = browser.get(
        f"{server.url}/sso/verify/thaid/callback?code=x&state=y", allow_redirects=False, timeout=10
    )
    assert callback.status_code == 302 and urlsplit(callback.headers["Location"]).path == "/sso/login"


def test_picking_the_registered_citizen_verifies_the_identity_and_sends_the_account_for_approval(
    server, browser, person
):
    sign_in(server, browser, person.email)
    page = browser.get(f"{server.url}/sso/verify/thaid", timeout=10)
    assert page.status_code == 200 and "Verify with ThaiD" in page.text

    authorization_url = _start(server, browser)
    query = parse_qs(urlsplit(authorization_url).query)
    assert authorization_url.startswith(f"{server.url}/dev/thaid/authorize?")
    assert query["client_id"] == ["eplan-sso-dev"] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["redirect_uri"] == [f"{server.url}/sso/verify/thaid/callback"]

    callback = _pick(browser, authorization_url, "somchai")
    done = browser.get(callback, allow_redirects=False, timeout=10)
    assert done.status_code == 303 and urlsplit(done.headers["Location"]).path == "/sso/verify/thaid"
    shown = browser.get(urljoin(server.url, done.headers["Location"]), timeout=10).text
    assert "Your identity is verified with ThaiD" in shown and "Awaiting approval" in shown

    with server.app.app_context():
        account = db.session.get(Account, person.account_id)
        user = db.session.get(User, person.user_id)
        assert account.status == "awaiting_approval"
        assert user.identity_verified_at is not None
        assert account.submitted_at is not None and account.verification_error is None
        assert _account_chain(person) == ["create", "confirm_email", "verify_identity", "request_approval"]
        trail = json.dumps([e.data for e in db.session.query(AuditEvent)], ensure_ascii=False)
        assert BY_KEY["somchai"].pid not in trail


def test_a_replayed_callback_is_refused_and_changes_nothing(server, browser, person):
    sign_in(server, browser, person.email)
    callback = _pick(browser, _start(server, browser), "somchai")
    assert browser.get(callback, allow_redirects=False, timeout=10).status_code == 303
    before = _snapshot(server, person)
    replay = browser.get(callback, allow_redirects=False, timeout=10)
    assert replay.status_code == 400
    assert "does not belong to a verification started in this browser" in replay.text
    assert _snapshot(server, person) == before


def test_picking_another_citizen_leaves_the_account_unverified_with_the_reason_shown_and_audited(
    server, browser, person
):
    sign_in(server, browser, person.email)
    callback = _pick(browser, _start(server, browser), "malee")
    done = browser.get(callback, allow_redirects=False, timeout=10)
    assert done.status_code == 303
    shown = browser.get(urljoin(server.url, done.headers["Location"]), timeout=10).text
    assert "does not match the one you registered" in shown
    for citizen in SAMPLE_CITIZENS:
        assert citizen.pid not in shown

    with server.app.app_context():
        account = db.session.get(Account, person.account_id)
        assert account.status == "email_confirmed"
        assert account.verification_error == REASONS["pid_mismatch"]
        assert db.session.get(User, person.user_id).identity_verified_at is None
        assert _account_chain(person) == ["create", "confirm_email"]
        failed = (
            db.session.query(AuditEvent)
            .filter_by(chain=f"auth:{person.user_id}", action="thaid_verification_failed")
            .one()
        )
        assert failed.actor_id == person.user_id and failed.data["reason"] == "pid_mismatch"
        trail = json.dumps([e.data for e in db.session.query(AuditEvent)], ensure_ascii=False)
        assert BY_KEY["malee"].pid not in trail and BY_KEY["somchai"].pid not in trail

    # Signing in to ThaiD as themself afterwards verifies them and clears the reason.
    browser.get(_pick(browser, _start(server, browser), "somchai"), timeout=10)
    with server.app.app_context():
        account = db.session.get(Account, person.account_id)
        assert account.status == "awaiting_approval" and account.verification_error is None


def test_cancelling_at_thaid_shows_a_clear_page_and_changes_nothing(server, browser, person):
    sign_in(server, browser, person.email)
    page = browser.get(_start(server, browser), timeout=10)
    back = browser.post(page.url, data={"deny": "1"}, allow_redirects=False, timeout=10)
    before = _snapshot(server, person)
    refused = browser.get(back.headers["Location"], allow_redirects=False, timeout=10)
    assert refused.status_code == 400 and "You cancelled at ThaiD" in refused.text
    assert _snapshot(server, person) == before
    # The cancelled attempt cannot be resumed with a code either.
    state = parse_qs(urlsplit(back.headers["Location"]).query)["state"][0]
    resumed = browser.get(
        f"{server.url}/sso/verify/thaid/callback?" + urlencode({"code": "x", "state": state}),
        allow_redirects=False,
        timeout=10,
    )
    assert resumed.status_code == 400 and _snapshot(server, person) == before


def test_an_id_token_for_another_nonce_is_refused(server, browser, person):
    sign_in(server, browser, person.email)
    parts = urlsplit(_start(server, browser))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["nonce"] = "a-nonce-this-browser-never-sent"
    tampered = urlunsplit(parts._replace(query=urlencode(query)))
    before = _snapshot(server, person)
    refused = browser.get(_pick(browser, tampered, "somchai"), allow_redirects=False, timeout=10)
    assert refused.status_code == 400 and "could not be checked" in refused.text
    assert _snapshot(server, person) == before


def test_a_pkce_challenge_stripped_on_the_way_to_thaid_makes_the_code_useless(server, browser, person):
    sign_in(server, browser, person.email)
    parts = urlsplit(_start(server, browser))
    query = {
        k: v[0]
        for k, v in parse_qs(parts.query).items()
        if k not in ("code_challenge", "code_challenge_method")
    }
    stripped = urlunsplit(parts._replace(query=urlencode(query)))
    before = _snapshot(server, person)
    refused = browser.get(_pick(browser, stripped, "somchai"), allow_redirects=False, timeout=10)
    assert refused.status_code == 400 and "could not be checked" in refused.text
    assert _snapshot(server, person) == before


def test_verification_is_refused_before_the_email_address_is_confirmed(server, browser):
    with server.app.app_context():
        person = registered_person(pid=BY_KEY["somchai"].pid, confirmed=False)
    sign_in(server, browser, person.email)
    page = browser.get(f"{server.url}/sso/verify/thaid", timeout=10).text
    assert "Confirm your email address first" in page and "Verify with ThaiD</button>" not in page
    before = _snapshot(server, person)
    response = browser.post(f"{server.url}/sso/verify/thaid", allow_redirects=False, timeout=10)
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/sso/verify/thaid"
    assert (
        "is needed only after you confirm your email address"
        in browser.get(urljoin(server.url, response.headers["Location"]), timeout=10).text
    )
    assert _snapshot(server, person) == before


def test_an_already_verified_account_is_not_verified_again(server, browser, person):
    sign_in(server, browser, person.email)
    callback = _pick(browser, _start(server, browser), "somchai")
    # A second attempt started in another tab before the first one came back.
    second = _pick(browser, _start(server, browser), "somchai")
    browser.get(callback, timeout=10)
    before = _snapshot(server, person)
    late = browser.get(second, allow_redirects=False, timeout=10)
    assert late.status_code == 303
    assert (
        "is needed only after you confirm your email address"
        in browser.get(urljoin(server.url, late.headers["Location"]), timeout=10).text
    )
    assert _snapshot(server, person) == before
    assert before[0] == "awaiting_approval"


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def test_with_csrf_protection_on_as_in_development_the_whole_round_trip_still_works(make_live_server):
    server = make_live_server(WTF_CSRF_ENABLED=True)
    with server.app.app_context():
        person = registered_person(pid=BY_KEY["wanida"].pid)
    browser = requests.Session()
    login = browser.get(f"{server.url}/sso/login?lang=en", timeout=10)
    refused = browser.post(
        f"{server.url}/sso/login",
        data={"email": person.email, "password": "pw"},
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code != 303
    token = _CSRF.search(login.text).group(1)
    signed_in = browser.post(
        f"{server.url}/sso/login",
        allow_redirects=False,
        timeout=10,
        data={"email": person.email, "password": "pw", "csrf_token": token},
    )
    assert signed_in.status_code == 303
    start_page = browser.get(f"{server.url}/sso/verify/thaid", timeout=10)
    assert (
        browser.post(f"{server.url}/sso/verify/thaid", allow_redirects=False, timeout=10).status_code == 400
    )
    started = browser.post(
        f"{server.url}/sso/verify/thaid",
        allow_redirects=False,
        timeout=10,
        data={"csrf_token": _CSRF.search(start_page.text).group(1)},
    )
    thaid_page = browser.get(started.headers["Location"], timeout=10)
    back = browser.post(
        thaid_page.url,
        allow_redirects=False,
        timeout=10,
        data={"citizen": "wanida", "csrf_token": _CSRF.search(thaid_page.text).group(1)},
    )
    # The token call from the SSO's client carries no CSRF token: the endpoint is exempt.
    assert browser.get(back.headers["Location"], allow_redirects=False, timeout=10).status_code == 303
    assert _snapshot(server, person)[0] == "awaiting_approval"
    browser.close()


def test_a_discovery_path_instead_of_a_url_means_this_apps_own_stand_in(make_live_server):
    server = make_live_server(THAID_DISCOVERY_URL="/dev/thaid/.well-known/openid-configuration")
    with server.app.app_context():
        person = registered_person(pid=BY_KEY["pranee"].pid)
    browser = requests.Session()
    sign_in(server, browser, person.email)
    authorization_url = _start(server, browser)
    assert authorization_url.startswith(f"{server.url}/dev/thaid/authorize?")
    browser.get(_pick(browser, authorization_url, "pranee"), timeout=10)
    assert _snapshot(server, person)[0] == "awaiting_approval"
    browser.close()


def test_another_persons_citizen_id_under_a_made_up_name_is_refused_at_the_stand_in(server, browser):
    # The case: registered as "นายกกกก ใจดี" with Somchai's number, Somchai picked at ThaiD.
    with server.app.app_context():
        person = registered_person(pid=BY_KEY["somchai"].pid, full_name="นายกกกก ใจดี")
    sign_in(server, browser, person.email)
    before = _snapshot(server, person)
    done = browser.get(_pick(browser, _start(server, browser), "somchai"), allow_redirects=False, timeout=10)
    shown = browser.get(urljoin(server.url, done.headers["Location"]), timeout=10).text
    assert "does not match the name you registered" in shown
    # The person sees both names, to correct a typo of their own.
    assert "นายกกกก ใจดี" in shown and "นายสมชาย ใจดี" in shown
    assert BY_KEY["somchai"].pid not in shown
    status, _version, verified_at, _events = _snapshot(server, person)
    assert (status, verified_at) == (before[0], before[2]) == ("email_confirmed", None)
    with server.app.app_context():
        failed = (
            db.session.query(AuditEvent)
            .filter_by(chain=f"auth:{person.user_id}", action="thaid_verification_failed")
            .one()
        )
        assert failed.data["reason"] == "name_mismatch" and failed.data["thaid_name"] == "นายสมชาย ใจดี"

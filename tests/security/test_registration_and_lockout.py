"""Issue 9, items 6 and 7: squatting and probing citizen IDs at registration, and brute-force
protection that could itself lock the real owner (dla_admin included) out.

Each test performs the attack against the real app (the live server with the stand-in ThaiD, or
the test client) on PostgreSQL and re-reads the database.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.jobs.worker import make_worker
from eplan_flow.models import Account, AuditEvent, EmailMessage, User
from eplan_flow.models._types import utcnow
from eplan_flow.services.identity import citizen_id as cid
from eplan_flow.services.identity import identity, thaid_verification
from eplan_flow.services.platform import queues
from eplan_flow.thaid_dev.citizens import BY_KEY
from tests import factories
from tests.identity.sso.conftest import STRONG_PASSWORD, citizen_id, make_sso_app, register  # noqa: F401 (fixture)

VICTIM = BY_KEY["somchai"]


def form(org, pid: str, email: str, **overrides) -> dict:
    return {
        "organisation_id": org if isinstance(org, int) else org.id,
        "citizen_id": pid,
        "title": "นาย",
        "first_name": "สมชาย",
        "last_name": "ใจดี",
        "email": email,
        "phone": "0891234567",
        "position": "นักวิเคราะห์นโยบายและแผน",
        "requested_role": "member",
        "password": STRONG_PASSWORD,
        "password_again": STRONG_PASSWORD,
        "birth_date": "14/03/2531",
        **overrides,
    }


def person(email: str) -> User | None:
    _db.session.expire_all()
    return _db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def mail_to(address: str) -> list[EmailMessage]:
    return list(
        _db.session.execute(
            select(EmailMessage).where(EmailMessage.to == address).order_by(EmailMessage.id)
        ).scalars()
    )


def actions(user_id: int) -> list[str]:
    return list(
        _db.session.execute(
            select(AuditEvent.action).where(AuditEvent.chain == f"auth:{user_id}").order_by(AuditEvent.seq)
        ).scalars()
    )


def link_in(body: str, n: int = 0) -> str:
    """The n-th distinct /sso/confirm/ path in a message (0: confirm, 1: cancel)."""
    paths = list(dict.fromkeys(re.findall(r"(/sso/confirm/\S+)", body)))
    return paths[n]


# -- item 6: squatting ------------------------------------------------------------------------------
def test_a_squatter_of_a_citizen_id_loses_it_when_the_real_owner_verifies_with_thaid(live_server):
    server = live_server
    with server.app.app_context():
        world = factories.build_world()
        org = world.sao_a.id
        _db.session.remove()
    attacker, victim = requests.Session(), requests.Session()

    # The attacker registers the victim's citizen ID first, under the attacker's own address.
    squat = attacker.post(
        f"{server.url}/sso/register?org={org}",
        data=form(org, VICTIM.pid, "squatter@evil.test"),
        allow_redirects=False,
        timeout=30,
    )
    assert squat.status_code == 303
    # The victim registers the same number later: not refused, and the same answer.
    own = victim.post(
        f"{server.url}/sso/register?org={org}",
        data=form(org, VICTIM.pid, "somchai@lao.example.test"),
        allow_redirects=False,
        timeout=30,
    )
    assert (own.status_code, own.headers["Location"]) == (squat.status_code, squat.headers["Location"])

    with server.app.app_context():
        squatter, owner = person("squatter@evil.test"), person("somchai@lao.example.test")
        squatter_id, owner_id = squatter.id, owner.id
        assert squatter.citizen_id_digest == owner.citizen_id_digest == cid.digest(VICTIM.pid)
        confirm = link_in(mail_to(owner.email)[0].body)
        _db.session.remove()

    # The victim confirms the address, signs in and proves the number with (stand-in) ThaiD.
    assert victim.post(urljoin(server.url, confirm), allow_redirects=False, timeout=30).status_code == 303
    signed_in = victim.post(
        f"{server.url}/sso/login",
        data={"email": "somchai@lao.example.test", "password": STRONG_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 303
    start = victim.post(f"{server.url}/sso/verify/thaid", allow_redirects=False, timeout=30)
    page = victim.get(start.headers["Location"], timeout=30)
    back = victim.post(page.url, data={"citizen": "somchai"}, allow_redirects=False, timeout=30)
    done = victim.get(back.headers["Location"], allow_redirects=False, timeout=30)
    assert done.status_code == 303

    with server.app.app_context():
        owner = _db.session.get(User, owner_id)
        assert owner.identity_verified_at is not None
        assert (
            _db.session.execute(select(Account.status).where(Account.user_id == owner_id)).scalar_one()
            == "awaiting_approval"
        )
        # The squatter's claim is void: number and address released, no account, no sign-in.
        squatter = _db.session.get(User, squatter_id)
        assert squatter.voided_at is not None and not squatter.is_enabled
        assert (squatter.email, squatter.citizen_id_digest, squatter.citizen_id_encrypted) == (
            None,
            None,
            None,
        )
        assert (
            _db.session.scalar(
                select(func.count()).select_from(Account).where(Account.user_id == squatter_id)
            )
            == 0
        )
        notice = mail_to("squatter@evil.test")[-1]
        assert "cancelled" in notice.body and notice.user_id == squatter_id
        voided = _db.session.execute(
            select(AuditEvent).where(
                AuditEvent.chain == f"auth:{squatter_id}", AuditEvent.action == "registration_voided"
            )
        ).scalar_one()
        assert voided.data["reason"] == "citizen_id_verified_by_owner"
        assert "citizen_id_claims_voided" in actions(owner_id)
        _db.session.remove()
    refused = attacker.post(
        f"{server.url}/sso/login",
        data={"email": "squatter@evil.test", "password": STRONG_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert refused.status_code == 401


def test_a_second_account_proven_for_an_owned_citizen_id_is_refused_and_changes_nothing(world, db):
    pid = citizen_id(61)
    owner = register(world.sao_a, 61)
    identity.confirm_email(link_in(mail_to(owner.user.email)[0].body).rsplit("/", 1)[1])
    thaid = {"iss": "thaid", "title": "นาย", "given_name": "สมชาย", "family_name": "ใจดี61"}
    assert thaid_verification.complete_verification(owner.user_id, pid, thaid).verified
    # The same person registered again afterwards (allowed: it reserves nothing), confirmed, and
    # "proven" by ThaiD.
    again = register(world.town_b, 62, citizen_id=pid, last_name="ใจดี61")
    identity.confirm_email(link_in(mail_to(again.user.email)[0].body).rsplit("/", 1)[1])
    result = thaid_verification.complete_verification(again.user_id, pid, thaid)
    assert (result.verified, result.reason, result.status) == (False, "pid_taken", "email_confirmed")
    db.session.expire_all()
    assert db.session.get(User, again.user_id).identity_verified_at is None
    assert db.session.get(User, owner.user_id).voided_at is None
    assert db.session.get(Account, owner.id).status == "awaiting_approval"


def test_the_verified_owners_number_is_unique_in_the_database_itself(world, db):
    from sqlalchemy.exc import IntegrityError

    first, second = register(world.sao_a, 63), register(world.sao_a, 64, citizen_id=citizen_id(63))
    now = first.user.created_at
    first.user.identity_verified_at = now
    db.session.commit()
    second.user.identity_verified_at = now
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_an_address_squatted_before_its_owner_registers_is_cancelled_from_the_owners_mailbox(
    world, db, client
):
    # The attacker registers with the victim's address (and any number); nobody can confirm it but her.
    client.post(
        f"/sso/register?org={world.sao_a.id}",
        data=form(world.sao_a, citizen_id(70), "malee@lao.example.test"),
    )
    squatter = person("malee@lao.example.test")
    # The victim tries to register: the same answer as always, and her mailbox gets a notice...
    answer = client.post(
        f"/sso/register?org={world.sao_a.id}",
        data=form(world.sao_a, BY_KEY["malee"].pid, "malee@lao.example.test"),
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/sso/register/sent"
    assert person("malee@lao.example.test").id == squatter.id
    notice = mail_to("malee@lao.example.test")[-1]
    assert "no second account was made" in notice.body
    # ...with a link that cancels the unconfirmed registration (shown first, done only by POST).
    cancel = link_in(notice.body)
    assert "Cancel this registration" in client.get(cancel + "?lang=en").get_data(as_text=True)
    assert person("malee@lao.example.test") is not None
    done = client.post(cancel)
    assert done.status_code == 303 and done.headers["Location"] == "/sso/register"
    assert person("malee@lao.example.test") is None
    voided = db.session.get(User, squatter.id)
    assert voided.voided_at is not None and not voided.is_enabled
    assert actions(squatter.id)[-1] == "registration_voided"
    # Now she registers for real.
    client.post(
        f"/sso/register?org={world.sao_a.id}",
        data=form(world.sao_a, BY_KEY["malee"].pid, "malee@lao.example.test"),
    )
    assert person("malee@lao.example.test").citizen_id_digest == cid.digest(BY_KEY["malee"].pid)


def test_a_cancel_link_confirms_nothing_and_a_confirm_link_cancels_nothing(world, db, client):
    account = register(world.sao_a, 71)
    body = mail_to(account.user.email)[0].body
    confirm, cancel = link_in(body, 0), link_in(body, 1)
    assert confirm != cancel
    token = cancel.rsplit("/", 1)[1]
    with pytest.raises(identity.TokenInvalid):
        identity.confirm_email(token)
    with pytest.raises(identity.TokenInvalid):
        identity.cancel_registration(confirm.rsplit("/", 1)[1])
    # Once the address is confirmed, the cancel link no longer drops anything.
    assert client.post(confirm).status_code == 303
    refused = client.post(cancel + "?lang=en")
    assert refused.status_code == 400 and "can no longer cancel" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, account.user_id).voided_at is None
    assert db.session.get(Account, account.id).status == "email_confirmed"


# -- item 6: probing --------------------------------------------------------------------------------
# What differs between any two responses (a nonce, the signing time of the same cookie content).
VARYING = re.compile(r"nonce-[^'\s;]+|nonce=\"[^\"]+\"|(?<=session=)([^.;]+)\.[^;]+")


def _answer(response) -> tuple:
    """Status, headers and body, with what differs on every response anyway blanked."""
    headers = {
        k: VARYING.sub(r"\1", v)
        for k, v in response.headers.items()
        if k not in ("Date", "Content-Length", "X-Request-ID")
    }
    return response.status_code, headers, VARYING.sub(r"\1", response.get_data(as_text=True))


def test_registration_answers_the_same_for_registered_and_unregistered_ids_and_addresses(world, db, app):
    verified = register(world.sao_a, 80)
    verified.user.identity_verified_at = verified.user.created_at
    db.session.commit()
    unverified = register(world.sao_a, 81)
    org = world.sao_a
    attempts = {
        "nothing registered": form(org, citizen_id(82), "new@lao.example.test"),
        "id of an unverified registration": form(org, citizen_id(81), "probe1@evil.test"),
        "id of a verified person": form(org, citizen_id(80), "probe2@evil.test"),
        "address of a registration": form(org, citizen_id(83), unverified.user.email),
        "address of a seeded person": form(org, citizen_id(84), world.dla_admin.email),
    }
    answers = {}
    for name, data in attempts.items():
        client = app.test_client()  # a fresh browser each time: nothing carried over
        response = client.post(f"/sso/register?org={org.id}&lang=en", data=data)
        page = client.get(response.headers["Location"] + "?lang=en")
        answers[name] = (_answer(response), _answer(page), client.get_cookie("session") is not None)
    first = answers["nothing registered"]
    for name, answer in answers.items():
        assert answer == first, name
    assert answers["nothing registered"][0][0] == 303
    assert "Check your email" in answers["nothing registered"][1][2]
    # Behind the identical answers: two more unverified registrations, no second account for an
    # address, and each address that already had an account got a notice.
    db.session.expire_all()
    assert (
        db.session.scalar(select(func.count()).select_from(User).where(User.email == unverified.user.email))
        == 1
    )
    assert [m.subject for m in mail_to(world.dla_admin.email)][-1].startswith("มีผู้ลงทะเบียน")
    assert person("probe1@evil.test").identity_verified_at is None
    assert person("probe2@evil.test").identity_verified_at is None
    assert db.session.get(User, verified.user_id).voided_at is None


def test_repeating_a_registration_cannot_flood_the_addresss_mailbox(world, db, app):
    client = app.test_client()
    for n in range(3):
        answer = client.post(
            f"/sso/register?org={world.sao_a.id}",
            data=form(world.sao_a, citizen_id(85 + n), world.planner.email),
        )
        assert answer.status_code == 303
    assert len(mail_to(world.planner.email)) == 1  # one notice a day
    assert actions(world.planner.id).count("registration_repeated") == 3  # every attempt audited


# -- item 6: expiry ---------------------------------------------------------------------------------
def test_the_nightly_job_voids_registrations_not_verified_in_time_and_frees_their_ids(world, db, app):
    days = app.config["SSO_UNVERIFIED_REGISTRATION_DAYS"]
    stale_unconfirmed = register(world.sao_a, 90)
    stale_confirmed = register(world.sao_a, 91)
    identity.confirm_email(link_in(mail_to(stale_confirmed.user.email)[0].body).rsplit("/", 1)[1])
    recent = register(world.sao_a, 92)
    verified_long_ago = register(world.sao_a, 93)
    old = verified_long_ago.user.created_at - timedelta(days=days, hours=1)
    for account in (stale_unconfirmed, stale_confirmed, verified_long_ago):
        db.session.get(User, account.user_id).created_at = old
    db.session.get(User, verified_long_ago.user_id).identity_verified_at = old
    db.session.get(User, recent.user_id).created_at = old + timedelta(hours=2)  # 1 hour inside the limit
    db.session.commit()
    addresses = {a.user_id: a.user.email for a in (stale_unconfirmed, stale_confirmed)}
    stale = [(a.id, a.user_id) for a in (stale_unconfirmed, stale_confirmed)]
    kept = [(a.id, a.user_id) for a in (recent, verified_long_ago)]

    for run in range(2):  # a rerun voids nothing more
        queues.enqueue("default", "purge_expired", {}, f"purge-{run}")
        make_worker(app, fork=False).work(burst=True)
        db.session.expire_all()

    for account_id, user_id in stale:
        user = db.session.get(User, user_id)
        assert user.voided_at is not None and user.citizen_id_digest is None and user.email is None
        assert db.session.get(Account, account_id) is None
        assert actions(user_id).count("registration_voided") == 1
    for account_id, user_id in kept:
        assert db.session.get(User, user_id).voided_at is None
        assert db.session.get(Account, account_id) is not None
    # Only the person who had confirmed the address is told (an unconfirmed one may not be theirs).
    told = [
        m.to
        for m in db.session.execute(
            select(EmailMessage).where(EmailMessage.subject.startswith("การลงทะเบียนถูกยกเลิก"))
        ).scalars()
    ]
    assert told == [addresses[stale[1][1]]]
    # The address and the number block nobody now.
    again = register(world.sao_a, 90)
    assert again is not None and again.user.email == addresses[stale[0][1]]


# -- item 7: brute force without denial of service -------------------------------------------------
def _sign_in(client, email: str, password: str):
    return client.post("/sso/login?lang=en", data={"email": email, "password": password})


def _pause(user_id: int) -> float | None:
    _db.session.expire_all()
    user = _db.session.get(User, user_id)
    if user.locked_until is None:
        return None
    return (user.locked_until - user.locked_at).total_seconds()


def _wait_out(user_id: int) -> None:
    _db.session.expire_all()
    until = _db.session.get(User, user_id).locked_until
    time.sleep(max(0.0, (until - utcnow()).total_seconds()) + 0.05)


def test_guessing_dla_admins_password_pauses_sign_in_briefly_and_the_real_admin_gets_back_in(make_sso_app):
    app = make_sso_app(LOGIN_LOCKOUT_WAIT_SECONDS=6, SSO_LOGIN_RATE_LIMIT="1000 per minute")
    with app.app_context():
        world = factories.build_world()
        dla_id, email = world.dla_admin.id, world.dla_admin.email
        attacker, owner = app.test_client(), app.test_client()
        threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
        for _ in range(threshold):
            assert _sign_in(attacker, email, "guess").status_code == 401
        assert _pause(dla_id) == 6
        # While paused even the right password is refused, and hammering does not stretch the pause.
        until = _db.session.get(User, dla_id).locked_until
        for _ in range(3):
            assert _sign_in(attacker, email, "guess").status_code == 401
        assert _sign_in(owner, email, "pw").status_code == 401
        _db.session.expire_all()
        user = _db.session.get(User, dla_id)
        assert (user.locked_until, user.failed_login_count) == (until, threshold)
        assert utcnow() < until, "the attempts above must fall inside the pause"

        # After the wait, the real dla_admin signs in: no admin needed.
        _wait_out(dla_id)
        assert _sign_in(owner, email, "pw").status_code == 303
        _db.session.expire_all()
        user = _db.session.get(User, dla_id)
        assert (user.failed_login_count, user.locked_until, user.is_enabled) == (0, None, True)
        trail = actions(dla_id)
        assert trail.count("account_locked") == 1 and trail.count("login_refused_locked") == 4
        assert trail[-1] == "login"
        _db.session.remove()


def test_each_failure_after_a_pause_doubles_the_next_pause_up_to_the_maximum(make_sso_app):
    app = make_sso_app(
        LOGIN_LOCKOUT_WAIT_SECONDS=0.2,
        LOGIN_LOCKOUT_MAX_WAIT_SECONDS=0.8,
        SSO_LOGIN_RATE_LIMIT="1000 per minute",
    )
    with app.app_context():
        world = factories.build_world()
        dla_id, email = world.dla_admin.id, world.dla_admin.email
        attacker = app.test_client()
        for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):
            _sign_in(attacker, email, "guess")
        seen = [_pause(dla_id)]
        for _ in range(3):
            _wait_out(dla_id)
            assert _sign_in(attacker, email, "guess").status_code == 401
            seen.append(_pause(dla_id))
        assert seen == [0.2, 0.4, 0.8, 0.8]
        _wait_out(dla_id)
        assert _sign_in(attacker, email, "pw").status_code == 303
        _db.session.remove()


def test_failures_spread_over_a_quiet_period_never_add_up_to_a_pause(make_sso_app):
    app = make_sso_app(LOGIN_FAILURE_RESET_SECONDS=1, SSO_LOGIN_RATE_LIMIT="1000 per minute")
    with app.app_context():
        world = factories.build_world()
        client = app.test_client()
        for _ in range(2):
            for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"] - 1):
                _sign_in(client, world.planner.email, "guess")
            time.sleep(1.1)
        _sign_in(client, world.planner.email, "guess")
        _db.session.expire_all()
        user = _db.session.get(User, world.planner.id)
        assert (user.failed_login_count, user.locked_until) == (1, None)
        assert _sign_in(client, world.planner.email, "pw").status_code == 303
        _db.session.remove()


def test_an_admin_still_ends_a_pause_early_from_the_back_office(world, db, client, login_as, app):
    account = register(world.sao_a, 95)
    email, user_id = account.user.email, account.user_id
    account.status = "active"  # only its sign-in matters here
    db.session.commit()
    attacker = app.test_client()
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):
        _sign_in(attacker, email, "guess")
    assert identity.sign_in_paused_until(db.session.get(User, user_id)) is not None
    login_as(world.sso_admin)
    with client.session_transaction() as session:
        session["sso_auth_time"] = int(time.time())
    client.post("/admin/sso_accounts/action/", data={"action": "unlock", "rowid": [account.id]})
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert (user.locked_until, user.failed_login_count) == (None, 0)
    assert actions(user_id)[-1] == "unlocked"
    assert _sign_in(app.test_client(), email, STRONG_PASSWORD).status_code == 303


def test_a_pause_does_not_sign_the_owner_out_of_a_session_they_already_have(world, db, app):
    owner, attacker = app.test_client(), app.test_client()
    assert _sign_in(owner, world.planner.email, "pw").status_code == 303
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):
        _sign_in(attacker, world.planner.email, "guess")
    assert identity.sign_in_paused_until(db.session.get(User, world.planner.id)) is not None
    # A pause anyone can cause is no sign of compromise: the owner's session goes on...
    assert owner.get("/sso/").status_code == 200
    # ...even when they try to re-authenticate during it: refused, told why (it is their own
    # account), still signed in.
    again = owner.post("/sso/reauth?lang=en", data={"password": "pw"})
    assert again.status_code == 401 and "is paused until" in again.get_data(as_text=True)
    assert owner.get("/sso/").status_code == 200


def test_every_failed_sign_in_gets_one_answer_unknown_wrong_paused_disabled_or_voided(world, db, app):
    threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    paused = factories.user(world.sao_a, username="paused")
    disabled = factories.user(world.sao_a, username="disabled")
    disabled.is_enabled = False
    db.session.commit()
    squat = register(world.sao_a, 97)
    squat_email = squat.user.email
    identity.void_registration(db.session.get(User, squat.user_id), "expired")
    db.session.commit()
    guesser = app.test_client()
    for _ in range(threshold):
        _sign_in(guesser, paused.email, "guess")
    cases = {
        "unknown address": ("nobody@nowhere.test", "pw"),
        "wrong password": (world.planner.email, "guess"),
        "paused, right password": (paused.email, "pw"),
        "disabled, right password": (disabled.email, "pw"),
        "voided registration, its password": (squat_email, STRONG_PASSWORD),
    }
    answers = {}
    for name, (email, password) in cases.items():
        response = _sign_in(app.test_client(), email, password)
        answers[name] = (response.status_code, response.get_data(as_text=True).replace(email, "EMAIL"))
    assert len(set(answers.values())) == 1, {k: v[0] for k, v in answers.items()}
    assert answers["unknown address"][0] == 401
    assert "Wrong email address or password" in answers["unknown address"][1]
    # The audit trail still knows which was which.
    assert actions(paused.id)[-1] == "login_refused_locked"
    assert actions(disabled.id)[-1] == "login_refused_disabled"

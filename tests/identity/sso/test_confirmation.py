"""The emailed link confirms the address once, within 2 days, and only the address it was sent to."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.models import Account, AuditEvent, EmailMessage, User
from eplan_flow.services.identity import identity
from tests.identity.sso.conftest import register, token_in


def confirmation_token() -> str:
    return token_in(
        _db.session.execute(select(EmailMessage.body).order_by(EmailMessage.id.desc())).scalars().first()
    )


def account_chain(account_id: int) -> list[str]:
    return list(
        _db.session.execute(
            select(AuditEvent.action)
            .where(AuditEvent.chain == f"account:{account_id}")
            .order_by(AuditEvent.seq)
        ).scalars()
    )


def test_the_link_confirms_the_address_once_and_a_reused_link_changes_nothing(world, db):
    account = register(world.sao_a, 1)
    token = confirmation_token()
    identity.confirm_email(token)
    _db.session.expire_all()
    row = _db.session.get(Account, account.id)
    assert row.status == "email_confirmed" and row.user.email_confirmed_at is not None
    confirmed_at = row.user.email_confirmed_at
    with pytest.raises(identity.TokenUsed) as refused:
        identity.confirm_email(token)
    assert refused.value.code == "token_used"
    _db.session.expire_all()
    assert _db.session.get(User, row.user_id).email_confirmed_at == confirmed_at
    assert account_chain(account.id) == ["create", "confirm_email"]


def test_an_expired_link_is_refused_and_changes_nothing(world, db, monkeypatch):
    account = register(world.sao_a, 2)
    three_days_ago = int(time.time()) - 3 * 24 * 3600
    with monkeypatch.context() as patched:
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: three_days_ago)
        old_token = identity.confirmation_token(account)
    with pytest.raises(identity.TokenExpired) as refused:
        identity.confirm_email(old_token)
    assert refused.value.code == "token_expired"
    assert _db.session.get(Account, account.id).status == "registered"
    assert account_chain(account.id) == ["create"]


def test_a_link_just_inside_two_days_still_works(world, db, monkeypatch):
    account = register(world.sao_a, 3)
    with monkeypatch.context() as patched:
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 47 * 3600)
        token = identity.confirmation_token(account)
    assert identity.confirm_email(token).status == "email_confirmed"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: "x" + t,
        lambda t: "nonsense",
    ],
)
def test_a_tampered_link_is_refused(world, db, mangle):
    account = register(world.sao_a, 4)
    with pytest.raises(identity.TokenInvalid) as refused:
        identity.confirm_email(mangle(confirmation_token()))
    assert refused.value.code == "token_invalid"
    assert _db.session.get(Account, account.id).status == "registered"


def test_a_link_signed_with_another_key_is_refused(world, db, app):
    account = register(world.sao_a, 5)
    key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret-key-that-is-long-enough-00"
    try:
        forged = identity.confirmation_token(account)
    finally:
        app.config["SECRET_KEY"] = key
    with pytest.raises(identity.TokenInvalid):
        identity.confirm_email(forged)
    # The link that was sent still works.
    assert identity.confirm_email(confirmation_token()).status == "email_confirmed"


def test_opening_the_link_shows_a_button_and_only_the_post_confirms(world, db, client):
    account = register(world.sao_a, 6)
    token = confirmation_token()
    page = client.get(f"/sso/confirm/{token}?lang=en")
    assert page.status_code == 200 and "Confirm my email address" in page.get_data(as_text=True)
    assert _db.session.get(Account, account.id).status == "registered"
    done = client.post(f"/sso/confirm/{token}")
    # Not signed in here: on to the sign-in page, which then continues to the ThaiD step.
    assert done.status_code == 303
    assert done.headers["Location"] == "/sso/login?next=/sso/verify/thaid"
    assert _db.session.get(Account, account.id).status == "email_confirmed"
    again = client.post(f"/sso/confirm/{token}?lang=en")
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)


def test_asking_for_the_link_again_sends_a_new_one_that_works(world, db, client):
    account = register(world.sao_a, 7)
    client.post("/sso/login", data={"email": account.user.email, "password": "Bueng Kan plans 2569"})
    assert client.post("/sso/confirm/resend").status_code == 303
    assert _db.session.query(EmailMessage).count() == 2
    assert identity.confirm_email(confirmation_token()).status == "email_confirmed"
    client.post("/sso/confirm/resend")
    assert _db.session.query(EmailMessage).count() == 2  # confirmed: nothing more is sent


def test_confirming_while_signed_out_leads_through_the_sign_in_page_to_the_thaid_step(world, db, client):
    account = register(world.sao_a, 8)
    done = client.post(f"/sso/confirm/{confirmation_token()}?lang=en", follow_redirects=False)
    login_page = client.get(done.headers["Location"]).get_data(as_text=True)
    # The sign-in page says what comes next, in the person's language.
    assert "Your email address is confirmed" in login_page
    assert "Next step: after you sign in, verify your identity with the ThaiD app." in login_page
    signed_in = client.post(
        done.headers["Location"], data={"email": account.user.email, "password": "Bueng Kan plans 2569"}
    )
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/sso/verify/thaid"
    thaid_page = client.get("/sso/verify/thaid").get_data(as_text=True)
    assert "Verify with ThaiD</button>" in thaid_page


def test_confirming_while_signed_in_lands_on_the_account_page_with_the_thaid_button(world, db, client):
    account = register(world.sao_a, 9)
    client.post("/sso/login?lang=th", data={"email": account.user.email, "password": "Bueng Kan plans 2569"})
    done = client.post(f"/sso/confirm/{confirmation_token()}")
    assert done.status_code == 303 and done.headers["Location"] == "/sso/"
    page = client.get("/sso/").get_data(as_text=True)
    assert "ยืนยันอีเมลแล้ว" in page and 'href="/sso/verify/thaid"' in page


def test_a_next_address_off_the_site_is_not_followed_after_signing_in(world, db, client):
    account = register(world.sao_a, 10)
    signed_in = client.post(
        "/sso/login?next=https://evil.example/sso/verify/thaid",
        data={"email": account.user.email, "password": "Bueng Kan plans 2569"},
    )
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/sso/"

"""Self-service password reset, from the sign-in page's link to signing in with the new password."""

from __future__ import annotations

import re

from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.models import EmailMessage
from eplan_flow.services.identity import identity
from tests.identity.sso.conftest import STRONG_PASSWORD, register, token_in

NEW_PASSWORD = "Nong Loeng plans 2570"
RESET_LINK = re.compile(r"https?://[^\s]+(/sso/reset/[A-Za-z0-9_\-.]+)")


def _last_mail_to(address: str) -> str:
    return (
        _db.session.execute(
            select(EmailMessage.body).where(EmailMessage.to == address).order_by(EmailMessage.id.desc())
        )
        .scalars()
        .first()
    )


def test_the_sign_in_page_links_visibly_to_the_reset_in_thai(client):
    page = client.get("/sso/login?lang=th").get_data(as_text=True)
    assert re.search(r'<a id="forgot-password" href="/sso/forgot">\s*ลืมรหัสผ่าน\?\s*</a>', page)
    assert client.get("/sso/forgot").status_code == 200


def test_a_person_who_forgot_the_password_sets_a_new_one_and_signs_in_with_it(world, db, client):
    account = register(world.sao_a, 40)
    email = account.user.email
    identity.confirm_email(token_in(_last_mail_to(email)))

    asked = client.post("/sso/forgot?lang=en", data={"email": email})
    assert asked.status_code == 303 and asked.headers["Location"] == "/sso/login"
    link = RESET_LINK.search(_last_mail_to(email)).group(1)
    assert client.get(link).status_code == 200
    done = client.post(link, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/sso/login"

    old = client.post("/sso/login", data={"email": email, "password": STRONG_PASSWORD})
    assert old.status_code == 401
    new = client.post("/sso/login", data={"email": email, "password": NEW_PASSWORD})
    assert new.status_code == 303
    # The link worked once.
    assert (
        client.post(link, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}).status_code == 400
    )

"""The SSO's own pages, without JavaScript: search the organisation, register, see what happens next,
correct a rejected application."""

from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.models import Account, AuditEvent, User
from eplan_flow.services.identity import identity
from eplan_flow.services.platform import engine
from tests.identity.sso.conftest import STRONG_PASSWORD, citizen_id, register


def text(response) -> str:
    return response.get_data(as_text=True)


def force_status(account_id: int, status: str) -> None:
    """Put an account in a state the other helpers' steps reach (read-only scenarios)."""
    row = _db.session.get(Account, account_id)
    row.status = status
    _db.session.commit()


def sign_in(client, email):
    response = client.post("/sso/login", data={"email": email, "password": STRONG_PASSWORD})
    assert response.status_code == 303


def test_a_person_finds_their_lao_by_code_or_name_and_registers_with_plain_forms(world, db, client):
    found = text(client.get("/sso/register", query_string={"q": "เลิง", "lang": "en"}))
    link = re.search(r'href="(/sso/register\?org=\d+[^"]*)"', found).group(1).replace("&amp;", "&")
    assert f"org={world.sao_a.id}" in link and world.sao_a.code in found
    assert f"org={world.town_b.id}" not in found
    by_code = text(client.get("/sso/register", query_string={"q": world.town_b.code}))
    assert f"org={world.town_b.id}" in by_code
    form_page = text(client.get(link))
    assert 'name="citizen_id"' in form_page and f'value="{world.sao_a.id}"' in form_page
    pid = citizen_id(77)
    response = client.post(
        f"/sso/register?org={world.sao_a.id}&lang=en",
        data={
            "organisation_id": world.sao_a.id,
            "citizen_id": pid,
            "title": "นางสาว",
            "first_name": "สมหญิง",
            "last_name": "รักถิ่น",
            "email": "somying@lao.example.test",
            "phone": "0891234567",
            "position": "นักวิเคราะห์นโยบายและแผน",
            "requested_role": "member",
            "password": STRONG_PASSWORD,
            "password_again": STRONG_PASSWORD,
            "birth_date": "14/03/2531",
        },
    )
    # Not signed in: the same "check your email" answer as for an address that had an account.
    assert response.status_code == 303 and response.headers["Location"] == "/sso/register/sent"
    assert "Check your email" in text(client.get("/sso/register/sent?lang=en"))
    user = _db.session.execute(select(User).where(User.email == "somying@lao.example.test")).scalar_one()
    assert user.full_name == "นางสาวสมหญิง รักถิ่น"
    sign_in(client, user.email)
    page = text(client.get("/sso/?lang=en"))
    assert "Registered, email not confirmed" in page  # the workflow's own label
    assert f"{pid[0]}-xxxx-xxxxx-xx-{pid[12]}" in page and pid not in page
    assert "Send the link again" in page
    # Development: no mail server, so the link is on the page.
    assert "/sso/confirm/" in page


def test_registration_refusals_are_shown_beside_their_fields(world, db, client):
    register(world.sao_a, 5)
    data = {
        "organisation_id": world.sao_a.id,
        "citizen_id": citizen_id(5),
        "title": "นาย",
        "first_name": "ก",
        "last_name": "ข",
        "email": "other@lao.example.test",
        "phone": "0891234567",
        "position": "x",
        "requested_role": "member",
        "password": STRONG_PASSWORD,
        "password_again": STRONG_PASSWORD,
        "birth_date": "14/03/2531",
    }
    bad_digit = client.post(
        f"/sso/register?org={world.sao_a.id}&lang=en",
        data={**data, "citizen_id": citizen_id(6)[:12] + str((int(citizen_id(6)[12]) + 1) % 10)},
    )
    assert "check) digit does not match" in text(bad_digit)
    weak = client.post(
        f"/sso/register?org={world.sao_a.id}&lang=en",
        data={**data, "citizen_id": citizen_id(6), "password": "short", "password_again": "short"},
    )
    assert "Use at least 12 characters." in text(weak)
    differ = client.post(
        f"/sso/register?org={world.sao_a.id}&lang=en",
        data={**data, "citizen_id": citizen_id(6), "password_again": "something else"},
    )
    assert "The two passwords differ." in text(differ)
    assert _db.session.query(User).filter_by(email="other@lao.example.test").count() == 0


def test_the_account_page_says_what_happens_next_and_who_approves(world, db, client):
    account = register(world.sao_a, 1)
    sign_in(client, account.user.email)
    force_status(account.id, "awaiting_approval")
    page = text(client.get("/sso/?lang=en"))
    assert "Awaiting approval" in page and world.sso_admin.full_name in page


def test_the_thaid_link_is_shown_once_the_email_is_confirmed_if_thaid_is_there(world, db, client, app):
    account = register(world.sao_a, 1)
    sign_in(client, account.user.email)
    force_status(account.id, "email_confirmed")
    page = text(client.get("/sso/?lang=en"))
    if "sso.thaid_start" in app.view_functions:
        with app.test_request_context():
            assert f'href="{url_for("sso.thaid_start")}"' in page
    else:
        assert "Verification with ThaiD is not available yet." in page


def test_a_rejected_applicant_sees_the_reason_corrects_details_and_applies_again(world, db, client):
    account = register(world.sao_a, 1)
    force_status(account.id, "rejected")
    row = _db.session.get(Account, account.id)
    row.rejection_reason = "ตำแหน่งไม่ตรงกับทะเบียนบุคลากร"
    _db.session.commit()
    sign_in(client, account.user.email)
    page = text(client.get("/sso/?lang=en"))
    assert "ตำแหน่งไม่ตรงกับทะเบียนบุคลากร" in page and "/sso/reapply" in page
    form = text(client.get("/sso/reapply?lang=en"))
    assert 'value="สมชาย"' in form and 'value="ใจดี1"' in form
    response = client.post(
        f"/sso/reapply?org={world.town_b.id}",
        data={
            "organisation_id": world.town_b.id,
            "title": "นาย",
            "first_name": "สมชาย",
            "last_name": "ใจดีมาก",
            "phone": "0899999999",
            "position": "นักวิเคราะห์นโยบายและแผนชำนาญการ",
            "requested_role": "member",
            "comment": "แก้ไขตำแหน่งและสังกัด",
        },
    )
    assert response.status_code == 303
    _db.session.expire_all()
    row = _db.session.get(Account, account.id)
    assert (row.status, row.organisation_id) == ("awaiting_approval", world.town_b.id)
    user = row.user
    assert (user.full_name, user.organisation_id, user.phone) == (
        "นายสมชาย ใจดีมาก",
        world.town_b.id,
        "0899999999",
    )
    step = engine.history(row)[-1]
    assert (step.action, step.from_state, step.to_state) == ("reapply", "rejected", "awaiting_approval")
    assert step.data == {"organisation": world.town_b.code, "requested_role": "member"}
    changed = _db.session.execute(
        select(AuditEvent).where(
            AuditEvent.chain == f"auth:{row.user_id}", AuditEvent.action == "details_changed"
        )
    ).scalar_one()
    assert changed.data == {"fields": ["full_name", "organisation_id", "phone", "position"]}
    # Once sent again, the form is closed.
    assert client.get("/sso/reapply").status_code == 303


def test_only_a_rejected_application_can_be_corrected(world, db):
    account = register(world.sao_a, 1)
    with pytest.raises(identity.GuardFailed):
        identity.change_details(
            account.user,
            identity.Details(title="นาย", first_name="ก", last_name="ข", organisation_id=world.sao_a.id),
        )
    assert _db.session.get(Account, account.id).status == "registered"


def test_the_sso_pages_ask_for_sign_in_first(client):
    for path in ("/sso/", "/sso/reapply", "/sso/reauth"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/sso/login?next=")

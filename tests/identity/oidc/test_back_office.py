"""The back office of the provider: DLA admins register systems and rotate keys; nobody else may."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from eplan_flow.models import AuditEvent, OAuth2Client, OAuth2Token, SigningKey
from eplan_flow.services.identity import keys, oidc_clients


@pytest.mark.parametrize("role", ["sso_admin", "provincial_officer", "district_officer", "planner"])
def test_only_dla_admins_open_the_provider_pages(role, world, client, login_as):
    login_as(getattr(world, role))
    for url in ("/admin/oidc_clients/", "/admin/oidc_clients/new/", "/admin/oidc_keys/"):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/oidc_keys/rotate").status_code == 403


def test_a_dla_admin_registers_a_confidential_system_and_sees_its_secret_once(world, client, login_as, db):
    login_as(world.dla_admin)
    response = client.post(
        "/admin/oidc_clients/new/?lang=en",
        data={
            "client_id": "emenscr",
            "name": "eMENSCR export",
            "redirect_uris": "https://emenscr.example/cb\nhttps://emenscr.example/cb2",
            "post_logout_redirect_uris": "https://emenscr.example/",
            "allowed_roles": ["planner", "executive"],
            "scope": "openid profile eplan",
            "confidential": "y",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    secret = re.search(r"this once; store it in the system&#39;s configuration now: ([\w-]+)", html).group(1)
    client_row = db.session.execute(select(OAuth2Client).filter_by(client_id="emenscr")).scalar_one()
    assert client_row.redirect_uris == ["https://emenscr.example/cb", "https://emenscr.example/cb2"]
    assert client_row.allowed_roles == ["executive", "planner"]
    assert not client_row.is_public and not client_row.trusted
    assert secret not in client_row.client_secret and client_row.check_client_secret(secret)
    assert secret not in client.get("/admin/oidc_clients/?lang=en").get_data(as_text=True)
    events = db.session.execute(select(AuditEvent).filter_by(chain="oidc_client:emenscr")).scalars().all()
    assert [e.action for e in events] == ["register_client"] and secret not in str(events[0].data)


def test_a_bad_redirect_address_is_refused_and_nothing_is_registered(world, client, login_as, db):
    login_as(world.dla_admin)
    response = client.post(
        "/admin/oidc_clients/new/?lang=en",
        data={
            "client_id": "bad",
            "name": "Bad",
            "redirect_uris": "javascript:alert(1)",
            "scope": "openid",
        },
        follow_redirects=True,
    )
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert db.session.execute(select(OAuth2Client)).first() is None


def test_deactivating_a_system_revokes_its_tokens(world, client, login_as, db):
    row = oidc_clients.ensure_client(
        "eplan", name="e-Plan", redirect_uris=["http://localhost/cb"], allowed_roles=["planner"]
    )
    db.session.add(
        OAuth2Token(
            client_id="eplan",
            user_id=world.planner.id,
            token_type="Bearer",
            access_token="a" * 64,
            refresh_token="b" * 64,
            family="f",
            expires_in=300,
        )
    )
    db.session.commit()
    login_as(world.dla_admin)
    response = client.post(
        "/admin/oidc_clients/action/", data={"action": "deactivate", "rowid": [str(row.id)]}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(OAuth2Client, row.id).is_active is False
    token = db.session.execute(select(OAuth2Token)).scalar_one()
    assert token.access_token_revoked_at and token.refresh_token_revoked_at


def test_a_dla_admin_rotates_the_signing_key_from_the_back_office(world, client, login_as, db):
    first = keys.rotate_signing_key()
    login_as(world.dla_admin)
    page = client.get("/admin/oidc_keys/?lang=en").get_data(as_text=True)
    assert first.kid in page and "Rotate now" in page
    assert client.post("/admin/oidc_keys/rotate").status_code == 303
    kids = [k.kid for k in keys.published_keys()]
    # The next key is published; the first one signs until the next one's time comes.
    assert len(kids) == 2 and kids[0] == first.kid and keys.signing_key().kid == first.kid
    new = db.session.execute(select(SigningKey).filter_by(kid=kids[1])).scalar_one()
    old = db.session.execute(select(SigningKey).filter_by(kid=first.kid)).scalar_one()
    assert new.sign_after == old.retire_after and new.retire_after > old.retire_after
    actions = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id)
        .filter_by(chain=keys.AUDIT_CHAIN)
        .order_by(AuditEvent.seq)
    ).all()
    assert actions == [("rotate_signing_key", None), ("rotate_signing_key", world.dla_admin.id)]


def test_the_edit_page_shows_the_registration_and_saves_changes_through_the_service(
    world, client, login_as, db
):
    row = oidc_clients.ensure_client(
        "eplan",
        name="e-Plan",
        redirect_uris=["http://localhost/cb"],
        post_logout_redirect_uris=["http://localhost/"],
        allowed_roles=["planner"],
    )
    login_as(world.dla_admin)
    assert client.get("/admin/oidc_clients/new/").status_code == 200
    page = client.get(f"/admin/oidc_clients/edit/?id={row.id}")
    assert page.status_code == 200 and "http://localhost/cb" in page.get_data(as_text=True)
    assert 'name="client_id"' not in page.get_data(as_text=True)
    response = client.post(
        f"/admin/oidc_clients/edit/?id={row.id}",
        data={
            "name": "e-Plan (new)",
            "redirect_uris": "http://localhost/cb\nhttp://localhost/cb2",
            "post_logout_redirect_uris": "",
            "allowed_roles": ["planner", "executive"],
            "scope": "openid profile email eplan",
            "trusted": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(OAuth2Client, row.id)
    assert row.name == "e-Plan (new)" and row.redirect_uris[-1] == "http://localhost/cb2"
    assert row.allowed_roles == ["executive", "planner"] and row.is_public and row.trusted
    assert client.get(f"/admin/oidc_clients/details/?id={row.id}").status_code == 200

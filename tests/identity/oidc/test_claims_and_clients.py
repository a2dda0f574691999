"""What the provider says about people (claims) and how relying parties are registered."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eplan_flow.errors import InvalidInput, PermissionDenied
from eplan_flow.models import AuditEvent, OAuth2Client, RoleGrant, SigningKey
from eplan_flow.services.identity import keys, oidc_clients
from eplan_flow.services.identity.claims import claims_for
from tests.identity.oidc.helpers import active_account, approved_access


@pytest.fixture
def rp(db):
    return oidc_clients.ensure_client(
        "eplan",
        name="e-Plan",
        redirect_uris=["http://localhost:5000/auth/oidc/callback"],
        allowed_roles=["planner", "executive", "sso_admin"],
    )


def test_roles_are_the_approved_accesses_to_this_system_and_sso_grants_at_the_account_organisation(
    world, rp, db
):
    user = world.planner
    active_account(user, world.sao_a)
    approved_access(user, world.sao_a, "eplan", "planner")
    approved_access(user, world.sao_a, "eplan", "executive", status="revoked")
    approved_access(user, world.sao_a, "eplan", "council_secretary")  # not allowed for this client
    approved_access(user, world.sao_a, "emenscr", "support_secretary")
    approved_access(user, world.town_b, "eplan", "devcom_secretary")
    db.session.add(RoleGrant(user_id=user.id, organisation_id=world.sao_a.id, role="sso_admin", source="sso"))
    db.session.add(
        RoleGrant(user_id=user.id, organisation_id=world.town_b.id, role="executive", source="sso")
    )
    db.session.commit()
    claims = claims_for(user, rp, "openid profile email eplan")
    assert claims == {
        "sub": str(user.id),
        "name": user.full_name,
        "email": user.email,
        "email_verified": False,
        "org_code": world.sao_a.code,
        "org_name": world.sao_a.name_th,
        "roles": ["planner", "sso_admin"],
    }
    # The local "planner" grant the factory gave is not the SSO's to announce.
    assert claims_for(user, rp, "openid") == {"sub": str(user.id)}


@pytest.mark.parametrize("status", ["awaiting_approval", "suspended", None])
def test_a_person_without_an_active_account_gets_no_roles(status, world, rp):
    if status:
        active_account(world.planner, world.sao_a, status=status)
    approved_access(world.planner, world.sao_a, "eplan", "planner")
    claims = claims_for(world.planner, rp, "openid eplan")
    assert claims["roles"] == [] and claims["org_code"] is None


def test_ensure_client_is_idempotent_and_keeps_only_a_digest_of_the_secret(db):
    first = oidc_clients.ensure_client(
        "eplan",
        name="e-Plan",
        redirect_uris=["http://localhost/cb"],
        secret="s3cret-of-eplan",
        allowed_roles=["planner"],
    )
    again = oidc_clients.ensure_client(
        "eplan",
        name="e-Plan",
        redirect_uris=["http://localhost/cb", "http://localhost/cb2"],
        secret="s3cret-of-eplan",
        allowed_roles=["planner"],
    )
    assert first.id == again.id
    assert db.session.execute(select(func.count()).select_from(OAuth2Client)).scalar_one() == 1
    assert again.redirect_uris[-1] == "http://localhost/cb2" and again.trusted and not again.is_public
    assert again.client_secret.startswith("sha256:") and "s3cret" not in again.client_secret
    assert again.check_client_secret("s3cret-of-eplan") and not again.check_client_secret("s3cret-of-eplan ")
    public = oidc_clients.ensure_client("eplan", name="e-Plan", redirect_uris=["http://localhost/cb"])
    assert public.is_public and public.client_secret is None and not public.check_client_secret("")


def test_only_dla_admins_register_clients_and_a_refusal_writes_nothing(world, db):
    with pytest.raises(PermissionDenied):
        oidc_clients.register_client(
            world.sso_admin, client_id="x-rp", name="X", redirect_uris=["https://x.example/cb"]
        )
    with pytest.raises(InvalidInput) as bad:
        oidc_clients.register_client(
            world.dla_admin, client_id="x-rp", name="X", redirect_uris=["https://x.example/cb#f"]
        )
    assert bad.value.details["field"] == "redirect_uris"
    with pytest.raises(InvalidInput):
        oidc_clients.register_client(
            world.dla_admin,
            client_id="x-rp",
            name="X",
            redirect_uris=["https://x.example/cb"],
            allowed_roles=["emperor"],
        )
    assert db.session.execute(select(func.count()).select_from(OAuth2Client)).scalar_one() == 0
    client, secret = oidc_clients.register_client(
        world.dla_admin, client_id="x-rp", name="X", redirect_uris=["https://x.example/cb"]
    )
    assert client.check_client_secret(secret) and len(secret) >= 43
    with pytest.raises(InvalidInput):
        oidc_clients.register_client(
            world.dla_admin, client_id="x-rp", name="X again", redirect_uris=["https://x.example/cb"]
        )
    new_secret = oidc_clients.reset_client_secret(world.dla_admin, client.id)
    assert client.check_client_secret(new_secret) and not client.check_client_secret(secret)


def test_a_signing_key_is_made_on_first_use_and_the_cli_publishes_the_next_one(app, db):
    first = keys.signing_key()
    assert keys.signing_key().kid == first.kid
    assert [k["kid"] for k in keys.jwks()["keys"]] == [first.kid]
    assert db.session.execute(select(func.count()).select_from(SigningKey)).scalar_one() == 1
    row = db.session.execute(select(SigningKey)).scalar_one()
    assert "PRIVATE KEY" not in row.private_key_encrypted and set(row.public_jwk) >= {"kty", "n", "e", "kid"}
    assert "d" not in row.public_jwk

    result = app.test_cli_runner().invoke(args=["eplan", "rotate-keys"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    second = db.session.execute(select(SigningKey).where(SigningKey.kid != first.kid)).scalar_one()
    assert second.kid in result.output
    # Published at once, signing only after the publication lead; the first key signs until then.
    assert keys.signing_key().kid == first.kid
    assert [k["kid"] for k in keys.jwks()["keys"]] == [first.kid, second.kid]
    assert (
        db.session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.chain == keys.AUDIT_CHAIN)
        ).scalar_one()
        == 2
    )

    result = app.test_cli_runner().invoke(args=["eplan", "rotate-keys", "--now"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    third = keys.signing_key()
    assert third.kid not in (first.kid, second.kid) and third.kid in result.output
    assert [k["kid"] for k in keys.jwks()["keys"]][0] == third.kid


def test_people_other_than_dla_admins_cannot_rotate_keys(world, db):
    with pytest.raises(PermissionDenied):
        keys.rotate_signing_key(world.sso_admin)
    assert db.session.execute(select(func.count()).select_from(SigningKey)).scalar_one() == 0

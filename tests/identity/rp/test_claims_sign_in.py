"""e-Plan's side of an SSO sign-in on the real database: who the claims name, and which e-Plan
roles they leave the person with (``accounts.sign_in_from_claims`` / ``revalidate_from_claims``)."""

from __future__ import annotations

import json

import pytest
from flask import current_app
from sqlalchemy import select

from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied
from eplan_flow.models import AuditEvent, RoleGrant, User
from eplan_flow.services.identity import accounts
from tests import factories

OWN = "http://eplan.test"
DLA_SSO = "https://sso.dla.example"


@pytest.fixture
def own_issuer(app):
    """This app's own provider at OWN, the SSO e-Plan trusts (as eplan_flow.addresses resolves it)."""
    app.config.update(OIDC_ISSUER=OWN, SSO_ISSUER=OWN)
    return OWN


@pytest.fixture
def foreign_sso(app):
    """e-Plan configured against DLA's SSO; this app's own provider is not the one it asks."""
    app.config.update(SSO_DISCOVERY_URL=DLA_SSO + "/.well-known/openid-configuration", SSO_ISSUER=DLA_SSO)
    return DLA_SSO


def _grants(db, user_id):
    rows = db.session.execute(select(RoleGrant).where(RoleGrant.user_id == user_id)).scalars()
    return {(g.organisation.code, g.role, g.source) for g in rows}


def _claims(user_or_sub, org, *roles, **extra):
    sub = str(getattr(user_or_sub, "id", user_or_sub))
    return {"sub": sub, "org_code": org.code, "org_name": org.name_th, "roles": list(roles), **extra}


def _events(db, user_id, action=None):
    query = select(AuditEvent).where(AuditEvent.chain == f"user:{user_id}").order_by(AuditEvent.seq)
    rows = db.session.execute(query).scalars().all()
    return [e for e in rows if action is None or e.action == action]


def test_this_apps_own_sso_names_people_by_their_local_id_and_the_first_sign_in_links_the_row(
    db, world, own_issuer
):
    person = factories.user(world.sao_a, username="linked_person")
    people = db.session.query(User).count()
    signed_in = accounts.sign_in_from_claims(OWN, _claims(person, world.sao_a, "planner"))
    assert signed_in.id == person.id
    row = db.session.get(User, person.id)
    assert (row.sso_issuer, row.sso_subject) == (OWN, str(person.id))
    assert _grants(db, person.id) == {(world.sao_a.code, "planner", "claims")}
    assert db.session.query(User).count() == people  # nobody was created
    # The second sign-in finds the link; nothing new is linked.
    accounts.sign_in_from_claims(OWN, _claims(person, world.sao_a, "planner"))
    assert len(_events(db, person.id, "sso_linked")) == 1


def test_claims_grants_become_exactly_the_roles_claim_and_other_sources_are_never_touched(
    db, world, own_issuer
):
    person = factories.user(world.sao_a, "executive", username="mixed_grants")
    db.session.add(
        RoleGrant(user_id=person.id, organisation_id=world.sao_a.id, role="sso_admin", source="sso")
    )
    db.session.commit()

    accounts.sign_in_from_claims(OWN, _claims(person, world.sao_a, "planner", "executive", "sso_admin"))
    # executive and sso_admin are held already (local, sso): left as they are, no claims copy.
    assert _grants(db, person.id) == {
        (world.sao_a.code, "executive", "local"),
        (world.sao_a.code, "sso_admin", "sso"),
        (world.sao_a.code, "planner", "claims"),
    }
    accounts.revalidate_from_claims(person.id, OWN, _claims(person, world.sao_a, "support_secretary"))
    assert _grants(db, person.id) == {
        (world.sao_a.code, "executive", "local"),
        (world.sao_a.code, "sso_admin", "sso"),
        (world.sao_a.code, "support_secretary", "claims"),
    }
    synced = _events(db, person.id, "roles_synced")[-1].data
    assert synced["added"] == ["support_secretary"] and synced["removed"] == [f"planner@{world.sao_a.code}"]


def test_a_quiet_revalidation_writes_no_audit_event(db, world, own_issuer):
    person = factories.user(world.sao_a, username="quiet")
    accounts.sign_in_from_claims(OWN, _claims(person, world.sao_a, "planner"))
    before = len(_events(db, person.id))
    accounts.revalidate_from_claims(person.id, OWN, _claims(person, world.sao_a, "planner"))
    assert len(_events(db, person.id)) == before


def test_a_transfer_in_the_claims_ends_the_claimed_rights_at_the_old_organisation(db, world, own_issuer):
    person = factories.user(world.sao_a, username="mover")
    accounts.sign_in_from_claims(OWN, _claims(person, world.sao_a, "planner"))
    accounts.revalidate_from_claims(person.id, OWN, _claims(person, world.town_b, "planner"))
    assert _grants(db, person.id) == {(world.town_b.code, "planner", "claims")}


def test_the_sign_in_is_audited_with_person_organisation_and_roles_and_never_a_token(db, world, own_issuer):
    person = factories.user(world.sao_a, username="audited")
    claims = _claims(
        person,
        world.sao_a,
        "planner",
        "not_an_eplan_role",
        name="คุณ ทดสอบ",
        nonce="n-secret",
        at_hash="hash-secret",
        auth_time=1_700_000_000,
    )
    accounts.sign_in_from_claims(OWN, claims)
    login = _events(db, person.id, "login")[-1]
    assert login.actor_id == person.id and login.organisation_id == world.sao_a.id
    assert login.data["roles"] == ["planner"] and login.data["organisation"] == world.sao_a.code
    assert login.data["ignored_roles"] == ["not_an_eplan_role"]
    everything = json.dumps([e.data for e in _events(db, person.id)])
    assert "n-secret" not in everything and "hash-secret" not in everything
    assert db.session.get(User, person.id).last_login_at is not None


def test_a_foreign_sso_creates_the_person_at_the_claimed_organisation_and_finds_them_again(
    db, world, foreign_sso
):
    taken = world.planner.email
    claims = {
        "sub": "abc-123",
        "name": "นางสาวต่างถิ่น มาใหม่",
        "email": taken,
        "org_code": world.sao_c.code,
        "roles": ["planner"],
    }
    created = accounts.sign_in_from_claims(DLA_SSO, claims)
    row = db.session.get(User, created.id)
    assert (row.sso_issuer, row.sso_subject) == (DLA_SSO, "abc-123")
    assert row.organisation_id == world.sao_c.id and row.full_name == "นางสาวต่างถิ่น มาใหม่"
    assert row.email is None  # the address belongs to another account: never linked by email
    assert row.password_hash is None
    assert _grants(db, row.id) == {(world.sao_c.code, "planner", "claims")}

    again = accounts.sign_in_from_claims(DLA_SSO, {**claims, "email": "new@example.test"})
    assert again.id == row.id
    assert db.session.get(User, row.id).email == "new@example.test"
    assert db.session.query(User).filter_by(sso_subject="abc-123").count() == 1


def test_a_foreign_sso_cannot_reach_a_local_person_by_their_id(db, world, foreign_sso):
    claims = _claims(world.planner, world.sao_a, "planner", "dla_admin")
    created = accounts.sign_in_from_claims(DLA_SSO, claims)
    assert created.id != world.planner.id
    assert _grants(db, world.planner.id) == {(world.sao_a.code, "planner", "local")}


def test_in_the_one_process_demo_only_the_configured_address_is_this_apps_own_sso(db, world):
    # No OIDC_ISSUER and no discovery URL: e-Plan trusts this app's provider at BASE_URL alone,
    # not at whatever other name the app was reached by.
    own = current_app.config["BASE_URL"]
    assert current_app.config["SSO_ISSUER"] == own
    assert (
        accounts.sign_in_from_claims(own, _claims(world.planner, world.sao_a, "planner")).id
        == world.planner.id
    )
    for other in ("http://127.0.0.1:5000", own + "/", own.upper()):
        with pytest.raises(PermissionDenied) as refused:
            accounts.sign_in_from_claims(other, _claims(world.executive, world.sao_a, "planner"))
        assert refused.value.details["reason"] == "untrusted_issuer"
    assert db.session.get(User, world.executive.id).sso_issuer is None


def test_an_unknown_organisation_or_subject_is_refused_and_changes_nothing(db, world, own_issuer):
    before = db.session.query(AuditEvent).count(), db.session.query(RoleGrant).count()
    with pytest.raises(NotFound):
        accounts.sign_in_from_claims(
            OWN, {"sub": str(world.planner.id), "org_code": "9999999", "roles": ["planner"]}
        )
    with pytest.raises(NotFound):
        accounts.sign_in_from_claims(OWN, _claims(987654, world.sao_a, "planner"))
    with pytest.raises(InvalidInput):
        accounts.sign_in_from_claims(OWN, {"org_code": world.sao_a.code, "roles": ["planner"]})
    assert (db.session.query(AuditEvent).count(), db.session.query(RoleGrant).count()) == before


def test_a_person_left_without_any_role_is_refused_but_loses_the_claimed_roles_on_record(
    db, world, own_issuer
):
    person = factories.user(world.sao_a, username="revoked_person")
    accounts.sign_in_from_claims(OWN, _claims(person, world.sao_a, "planner"))
    # What the SSO says of an account that is no longer active: no organisation, no roles.
    with pytest.raises(PermissionDenied) as refused:
        accounts.revalidate_from_claims(
            person.id, OWN, {"sub": str(person.id), "org_code": None, "roles": []}
        )
    assert refused.value.details["reason"] == "no_role"
    assert _grants(db, person.id) == set()
    ended = _events(db, person.id)[-1]
    assert ended.action == "sso_session_ended" and ended.data["removed"] == [f"planner@{world.sao_a.code}"]
    with pytest.raises(PermissionDenied):
        accounts.sign_in_from_claims(OWN, _claims(person, world.sao_a))
    assert _events(db, person.id)[-1].action == "login_failed"


def test_a_disabled_person_is_refused_whatever_the_claims_say(db, world, own_issuer):
    world.planner.is_enabled = False
    db.session.commit()
    with pytest.raises(PermissionDenied) as refused:
        accounts.sign_in_from_claims(OWN, _claims(world.planner, world.sao_a, "planner"))
    assert refused.value.details["reason"] == "disabled"
    assert _events(db, world.planner.id)[-1].data["reason"] == "disabled"


def test_a_revalidation_that_names_another_person_is_refused(db, world, own_issuer):
    accounts.sign_in_from_claims(OWN, _claims(world.planner, world.sao_a, "planner"))
    with pytest.raises(PermissionDenied):
        accounts.revalidate_from_claims(
            world.planner.id, OWN, _claims(world.executive, world.sao_a, "planner")
        )


def test_ending_an_sso_sign_in_drops_only_the_claimed_roles(db, world, own_issuer):
    accounts.sign_in_from_claims(OWN, _claims(world.planner, world.sao_a, "support_secretary"))
    accounts.end_sso_sign_in(world.planner.id, "InvalidGrantError")
    assert _grants(db, world.planner.id) == {(world.sao_a.code, "planner", "local")}
    ended = _events(db, world.planner.id)[-1]
    assert ended.action == "sso_session_ended" and ended.data["reason"] == "InvalidGrantError"

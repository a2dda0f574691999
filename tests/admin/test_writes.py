"""Changes made in the back office: one audit event each, all or nothing, within the actor's rights."""

from __future__ import annotations

import pytest

from eplan_flow.errors import InvalidInput, PermissionDenied
from eplan_flow.models import AuditEvent, Organisation, RoleGrant, User
from eplan_flow.services.directory import organisations as directory


def audit_count(db, **filters) -> int:
    return db.session.query(AuditEvent).filter_by(**filters).count()


def new_user_form(org, username="a_newcomer", **extra):
    return {
        "username": username,
        "full_name": "คุณ ผู้มาใหม่",
        "position": "",
        "organisation": str(org.id),
        "is_enabled": "y",
        "locale": "th",
        **extra,
    }


def test_an_sso_admin_creates_a_person_of_their_lao_with_one_audit_event_and_no_password(
    world, db, client, login_as
):
    login_as(world.sso_admin)
    before = audit_count(db)
    # A password or address smuggled into the form is not a field: people set their own.
    response = client.post(
        "/admin/users/new/",
        data=new_user_form(world.sao_a, password="correct horse battery", email="someone@example.test"),
    )
    assert response.status_code == 302
    person = db.session.query(User).filter_by(username="a_newcomer").one()
    assert person.organisation_id == world.sao_a.id and person.email is None
    assert person.password_hash is None
    events = db.session.query(AuditEvent).filter_by(chain=f"user:{person.id}").all()
    assert [(e.action, e.actor_id, e.organisation_id) for e in events] == [
        ("user_created", world.sso_admin.id, world.sao_a.id)
    ]
    assert "correct horse" not in str(events[0].data) and "password_set" not in events[0].data
    assert audit_count(db) == before + 1
    for page in (f"/admin/users/details/?id={person.id}", f"/admin/users/edit/?id={person.id}"):
        body = client.get(page).get_data(as_text=True)
        assert "password_hash" not in body and 'type="password"' not in body


def test_a_duplicate_username_leaves_no_person_and_no_audit_event(world, db, client, login_as):
    login_as(world.sso_admin)
    before = audit_count(db)
    response = client.post("/admin/users/new/", data=new_user_form(world.sao_a, username="a_planner"))
    assert response.status_code == 200  # the form again, the username marked invalid
    assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.query(User).filter_by(username="a_planner").count() == 1
    assert audit_count(db) == before


def test_the_service_rolls_back_the_audit_event_when_the_insert_fails(world, db):
    before = audit_count(db)
    with pytest.raises(InvalidInput) as caught:
        directory.create_user(
            world.dla_admin, username="a_planner", full_name="x", organisation_id=world.sao_a.id
        )
    assert caught.value.details == {"field": "username"}
    assert audit_count(db) == before
    assert not db.session.new and not db.session.dirty


def test_an_sso_admin_is_offered_only_their_own_lao_and_cannot_add_people_elsewhere(
    world, db, client, login_as
):
    login_as(world.sso_admin)
    form = client.get("/admin/users/new/").get_data(as_text=True)
    assert f'value="{world.sao_a.id}"' in form
    assert f'value="{world.town_b.id}"' not in form and world.town_b.code not in form
    before = audit_count(db)
    response = client.post("/admin/users/new/", data=new_user_form(world.town_b, username="b_new"))
    assert response.status_code == 200
    assert db.session.query(User).filter_by(username="b_new").count() == 0
    assert audit_count(db) == before
    with pytest.raises(PermissionDenied):
        directory.create_user(
            world.sso_admin, username="b_new", full_name="x", organisation_id=world.town_b.id
        )


@pytest.mark.parametrize("role", ["district_officer", "provincial_officer"])
def test_an_oversight_officer_reads_people_but_cannot_create_or_edit_them(role, world, db, client, login_as):
    login_as(getattr(world, role))
    assert client.get("/admin/users/new/").status_code == 302
    response = client.post("/admin/users/new/", data=new_user_form(world.sao_a))
    assert (
        response.status_code == 302 and db.session.query(User).filter_by(username="a_newcomer").count() == 0
    )
    response = client.post(
        f"/admin/users/edit/?id={world.planner.id}", data=new_user_form(world.sao_a, username="renamed")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, world.planner.id).username == "a_planner"


def test_editing_a_person_audits_only_the_changed_fields_and_never_touches_the_password(
    world, db, client, login_as
):
    login_as(world.sso_admin)
    planner = world.planner
    hash_before, email_before = planner.password_hash, planner.email
    data = new_user_form(
        world.sao_a,
        username="a_planner",
        full_name="คุณ นักวางแผน",
        email="elsewhere@example.test",
        password="a new long password",
    )
    response = client.post(f"/admin/users/edit/?id={planner.id}", data=data)
    assert response.status_code == 302
    event = db.session.query(AuditEvent).filter_by(chain=f"user:{planner.id}", action="user_updated").one()
    assert set(event.data) == {"full_name", "locale"}
    db.session.expire_all()
    after = db.session.get(User, planner.id)
    assert (after.full_name, after.password_hash, after.email) == ("คุณ นักวางแผน", hash_before, email_before)


def test_the_directory_service_refuses_a_password_or_an_address_from_an_admin(world, db):
    for values in ({"password": "a new long password"}, {"email": "elsewhere@example.test"}):
        with pytest.raises(InvalidInput):
            directory.update_user(world.sso_admin, world.planner.id, **values)
    with pytest.raises(InvalidInput):
        directory.create_user(
            world.sso_admin,
            username="a_new",
            full_name="x",
            organisation_id=world.sao_a.id,
            password="a new long password",
        )
    assert audit_count(db, action="user_updated") == 0


def test_role_grants_are_read_only_in_the_back_office_even_for_dla(world, db, client, login_as):
    # Roles are granted by approving the person's own request in the SSO (tests/approvals).
    login_as(world.dla_admin)
    grant = db.session.query(RoleGrant).filter_by(user_id=world.executive.id).one()
    before = audit_count(db)
    listing = client.get("/admin/role_grants/").get_data(as_text=True)
    assert "/admin/role_grants/new/" not in listing and "/admin/role_grants/delete/" not in listing
    assert client.get("/admin/role_grants/new/").status_code == 302
    client.post(
        "/admin/role_grants/new/",
        data={"user": str(world.nobody.id), "organisation": str(world.sao_a.id), "role": "planner"},
    )
    client.post("/admin/role_grants/delete/", data={"id": str(grant.id), "url": "/admin/role_grants/"})
    db.session.expire_all()
    assert db.session.query(RoleGrant).filter_by(user_id=world.nobody.id).count() == 0
    assert db.session.get(RoleGrant, grant.id) is not None
    assert audit_count(db) == before


def org_form(**values):
    return {
        "code": "6380199",
        "kind": "lao",
        "lao_type": "sao",
        "name_th": "ทดสอบ",
        "name_en": "",
        "province": "38",
        "district": "3801",
        "district_name_th": "",
        "lat": "",
        "lon": "",
        "area_km2": "",
        "is_active": "y",
        **values,
    }


def test_a_dla_admin_adds_and_renames_an_organisation_with_an_audit_event_each(world, db, client, login_as):
    login_as(world.dla_admin)
    assert client.post("/admin/organisations/new/", data=org_form()).status_code == 302
    org = db.session.query(Organisation).filter_by(code="6380199").one()
    assert (org.province_code, org.district_code, org.lao_type) == ("38", "3801", "sao")
    response = client.post(f"/admin/organisations/edit/?id={org.id}", data=org_form(name_th="ทดสอบใหม่"))
    assert response.status_code == 302
    events = (
        db.session.query(AuditEvent).filter_by(chain=f"organisation:{org.id}").order_by(AuditEvent.seq).all()
    )
    assert [e.action for e in events] == ["organisation_created", "organisation_updated"]
    assert events[1].data == {"name_th": ["ทดสอบ", "ทดสอบใหม่"]}


def test_an_organisation_whose_kind_and_lao_type_disagree_is_refused(world, db, client, login_as):
    login_as(world.dla_admin)
    response = client.post("/admin/organisations/new/", data=org_form(kind="district_office"))
    # The refusal names the field by its Thai label (eplan_flow.messages), never the service's English.
    page = response.get_data(as_text=True)
    assert "ไม่ได้บันทึก: กรุณาตรวจสอบช่อง “ประเภท อปท.”" in page
    assert "only an LAO has an LAO type" not in page
    assert db.session.query(Organisation).filter_by(code="6380199").count() == 0


def test_a_provincial_officer_cannot_add_or_change_organisations(world, db, client, login_as):
    login_as(world.provincial_officer)
    assert client.post("/admin/organisations/new/", data=org_form()).status_code == 302
    assert client.post(f"/admin/organisations/edit/?id={world.sao_a.id}", data=org_form()).status_code == 302
    assert db.session.query(Organisation).filter_by(code="6380199").count() == 0
    with pytest.raises(PermissionDenied):
        directory.update_organisation(world.provincial_officer, world.sao_a.id, name_th="x")


def test_the_audit_trail_cannot_be_created_edited_or_deleted_from_the_back_office(
    world, scoped, db, client, login_as
):
    login_as(world.dla_admin)
    event_id = scoped["audit"][0]
    before = audit_count(db)
    assert client.get("/admin/audit/new/").status_code == 302
    assert client.post(f"/admin/audit/edit/?id={event_id}", data={"action": "x"}).status_code == 302
    assert client.post("/admin/audit/delete/", data={"id": str(event_id)}).status_code == 302
    assert (
        client.post("/admin/audit/action/", data={"action": "delete", "rowid": [str(event_id)]}).status_code
        == 302
    )
    assert audit_count(db) == before
    body = client.get("/admin/audit/").get_data(as_text=True)
    assert "/admin/audit/new/" not in body and "/admin/audit/edit/" not in body


def test_forms_never_offer_status_version_or_workflow_columns(world, client, login_as):
    login_as(world.dla_admin)
    for url in ("/admin/organisations/new/", "/admin/users/new/"):
        body = client.get(url).get_data(as_text=True)
        for name in ("status", "version", "workflow_name", "workflow_version", "password_hash", "created_at"):
            assert f'name="{name}"' not in body, (url, name)

"""The catalogues in the back office: provincial officers keep their province's, nobody edits national ones."""

from __future__ import annotations

import pytest

from eplan_flow.models import AuditEvent, CatalogueItem
from tests.factories import catalogues as cf

URL = "/admin/catalogues"


@pytest.fixture
def items(world, db):
    cf.load()
    return {
        "ours": cf.item("provincial_strategy", "2", "38"),
        "theirs": cf.provincial_item("30", code="7", name_th="ยุทธศาสตร์พัฒนาโคราชเมืองน่าอยู่"),
        "national": cf.item("national_strategy", "1"),
    }


def audit_count(db) -> int:
    return db.session.query(AuditEvent).count()


def form(item=None, **changes):
    values = {
        "catalogue": "provincial_strategy",
        "scope": "38",
        "code": "9",
        "name_th": "ยุทธศาสตร์ใหม่",
        "name_en": "",
        "position": "9",
        "is_active": "y",
    }
    if item is not None:
        values.update(
            catalogue=item.catalogue,
            scope=item.scope,
            code=item.code,
            name_th=item.name_th,
            name_en=item.name_en or "",
            position=str(item.position),
        )
    return {**values, **changes}


def test_a_provincial_officer_lists_national_items_and_their_own_provinces_not_anothers(
    world, items, client, login_as
):
    login_as(world.provincial_officer)
    body = client.get(f"{URL}/?page_size=100").get_data(as_text=True)

    assert items["ours"].name_th in body and "การสร้างความสามารถในการแข่งขัน" in body
    assert items["theirs"].name_th not in body
    assert client.get(f"{URL}/details/?id={items['theirs'].id}").status_code == 302


def test_a_provincial_officer_edits_a_bueng_kan_strategy_with_one_audit_event(
    world, items, db, client, login_as
):
    login_as(world.provincial_officer)
    ours = items["ours"]
    assert client.get(f"{URL}/edit/?id={ours.id}").status_code == 200
    before = audit_count(db)

    response = client.post(f"{URL}/edit/?id={ours.id}", data=form(ours, name_th="ท่องเที่ยวลุ่มน้ำโขงและภูทอก"))

    assert response.status_code == 302
    db.session.expire_all()
    assert ours.name_th == "ท่องเที่ยวลุ่มน้ำโขงและภูทอก"
    events = db.session.query(AuditEvent).filter_by(chain=f"catalogue-item:{ours.id}").all()
    assert [(e.action, e.actor_id, e.organisation_id) for e in events] == [
        ("catalogue_item_updated", world.provincial_officer.id, world.po_38.id)
    ]
    assert audit_count(db) == before + 1


def test_a_provincial_officer_adds_an_item_only_to_their_own_province(world, items, db, client, login_as):
    login_as(world.provincial_officer)
    new_page = client.get(f"{URL}/new/").get_data(as_text=True)
    assert 'value="38"' in new_page and 'value="30"' not in new_page
    before = audit_count(db)

    added = client.post(f"{URL}/new/", data=form(code="6", name_th="พัฒนาเมืองชายแดน"))
    refused = client.post(f"{URL}/new/", data=form(scope="30", code="8", name_th="แทรกจังหวัดอื่น"))

    assert added.status_code == 302 and refused.status_code == 200
    assert (
        db.session.query(CatalogueItem)
        .filter_by(catalogue="provincial_strategy", scope="38", code="6")
        .one()
        .name_th
        == "พัฒนาเมืองชายแดน"
    )
    assert db.session.query(CatalogueItem).filter_by(scope="30", code="8").count() == 0
    assert audit_count(db) == before + 1


def test_another_provinces_item_cannot_be_edited_and_national_items_are_read_only(
    world, items, db, client, login_as
):
    login_as(world.provincial_officer)
    theirs, national = items["theirs"], items["national"]
    before = audit_count(db)

    assert (
        client.post(f"{URL}/edit/?id={theirs.id}", data=form(theirs, name_th="แก้ของคนอื่น")).status_code == 302
    )
    assert client.get(f"{URL}/edit/?id={national.id}").status_code == 403
    assert client.post(f"{URL}/edit/?id={national.id}", data=form(national, name_th="x")).status_code == 403

    db.session.expire_all()
    assert theirs.name_th == "ยุทธศาสตร์พัฒนาโคราชเมืองน่าอยู่" and national.name_th == "ความมั่นคง"
    assert audit_count(db) == before


def test_the_officer_of_province_30_cannot_edit_bueng_kan_items(world, items, db, client, login_as):
    login_as(world.provincial_officer_30)
    ours = items["ours"]
    body = client.get(f"{URL}/?page_size=100").get_data(as_text=True)
    assert ours.name_th not in body and items["theirs"].name_th in body

    client.post(f"{URL}/edit/?id={ours.id}", data=form(ours, name_th="แก้ข้ามจังหวัด"))

    db.session.expire_all()
    assert ours.name_th != "แก้ข้ามจังหวัด"


def test_a_dla_admin_sees_and_edits_every_provinces_items(world, items, db, client, login_as):
    login_as(world.dla_admin)
    theirs = items["theirs"]
    body = client.get(f"{URL}/?page_size=100").get_data(as_text=True)
    assert items["ours"].name_th in body and theirs.name_th in body

    response = client.post(f"{URL}/edit/?id={theirs.id}", data=form(theirs, name_th="ยุทธศาสตร์นครราชสีมา"))

    assert response.status_code == 302
    db.session.expire_all()
    assert theirs.name_th == "ยุทธศาสตร์นครราชสีมา"


@pytest.mark.parametrize("role", ["district_officer", "sso_admin"])
def test_other_back_office_users_read_national_items_and_change_nothing(role, world, items, client, login_as):
    login_as(getattr(world, role))
    body = client.get(f"{URL}/?page_size=100").get_data(as_text=True)

    assert "การสร้างความสามารถในการแข่งขัน" in body
    assert items["ours"].name_th not in body and items["theirs"].name_th not in body
    assert client.get(f"{URL}/new/").status_code == 302

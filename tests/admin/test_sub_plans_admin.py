"""DLA keeps the sub-plans (แผนย่อย) of the master plans in the back office (issue 14, item 1): each
under a master plan, audited; a provincial officer may not add one; the other national catalogues
stay read-only; the catalogue loader loads them, and only the demo seed invents any."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from eplan_flow.errors import InvalidInput, PermissionDenied
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, CatalogueItem
from eplan_flow.seed import catalogues as seed
from eplan_flow.services.directory import catalogues
from tests.factories import catalogues as cf


@pytest.fixture
def loaded(world, db):
    cf.load(include_demo=True)
    return world


def _sub_plans() -> list[CatalogueItem]:
    return list(_db.session.scalars(select(CatalogueItem).where(CatalogueItem.catalogue == "sub_plan")))


def _form(**values) -> dict:
    return {
        "catalogue": "sub_plan",
        "scope": "",
        "period_start_be": "",
        "code": "160101",
        "name_th": "แผนย่อยทดสอบ",
        "name_en": "",
        "position": "1",
        "is_active": "y",
        **values,
    }


def test_dla_adds_a_sub_plan_under_a_master_plan_in_the_back_office(loaded, client, login_as):
    grassroots = cf.item("master_plan", "16")
    login_as(loaded.dla_admin)
    form = client.get("/admin/catalogues/new/?lang=th").get_data(as_text=True)
    assert '<option value="sub_plan">แผนย่อยของแผนแม่บทภายใต้ยุทธศาสตร์ชาติ</option>' in form
    assert f'<option value="{grassroots.id}">16 เศรษฐกิจฐานราก</option>' in form
    assert "สังกัดแผนแม่บท" in form

    # Without its master plan: refused in Thai, nothing added.
    refused = client.post("/admin/catalogues/new/?lang=th", data=_form(parent_id=""))
    assert refused.status_code == 200 and "โปรดเลือกแผนแม่บทที่แผนย่อยนี้สังกัด" in refused.get_data(as_text=True)
    assert _sub_plans() == []

    added = client.post("/admin/catalogues/new/", data=_form(parent_id=str(grassroots.id)))
    assert added.status_code == 302
    (item,) = _sub_plans()
    assert (item.scope, item.code, item.parent_id, item.period_start_be) == (
        "",
        "160101",
        grassroots.id,
        None,
    )
    event = _db.session.scalars(select(AuditEvent).filter_by(chain=f"catalogue-item:{item.id}")).one()
    assert event.action == "catalogue_item_created" and event.actor_id == loaded.dla_admin.id

    # DLA may change it (another master plan), and the listing names what it sits under.
    water = cf.item("master_plan", "19")
    changed = client.post(
        f"/admin/catalogues/edit/?id={item.id}", data=_form(parent_id=str(water.id), name_th="แผนย่อยน้ำ")
    )
    assert changed.status_code == 302
    _db.session.expire_all()
    assert (_db.session.get(CatalogueItem, item.id).parent_id, item.name_th) == (water.id, "แผนย่อยน้ำ")
    listing = client.get("/admin/catalogues/?flt0_0=sub_plan&lang=th").get_data(as_text=True)
    assert "แผนย่อยน้ำ" in listing and "19 การบริหารจัดการน้ำทั้งระบบ" in listing


def test_a_sub_plan_must_sit_under_a_master_plan_and_only_dla_keeps_them(loaded):
    strategy = cf.item("national_strategy", "4")
    with pytest.raises(InvalidInput) as under_strategy:
        catalogues.create_item(
            loaded.dla_admin, catalogue="sub_plan", code="X1", name_th="ผิด", parent_id=strategy.id
        )
    assert under_strategy.value.details["reason"] == "sub_plan_needs_master_plan"
    with pytest.raises(InvalidInput):
        catalogues.create_item(
            loaded.dla_admin,
            catalogue="sub_plan",
            scope="38",
            code="X2",
            name_th="ผิด",
            parent_id=cf.item("master_plan", "16").id,
        )
    with pytest.raises(PermissionDenied):
        catalogues.create_item(
            loaded.provincial_officer,
            catalogue="sub_plan",
            code="X3",
            name_th="ผิด",
            parent_id=cf.item("master_plan", "16").id,
        )
    # The other national catalogues stay seed data, for DLA too.
    with pytest.raises(InvalidInput):
        catalogues.create_item(loaded.dla_admin, catalogue="master_plan", code="24", name_th="ผิด")
    with pytest.raises(PermissionDenied):
        catalogues.update_item(loaded.dla_admin, cf.item("master_plan", "16").id, name_th="ผิด")
    assert _sub_plans() == []


def test_a_provincial_officer_is_not_offered_the_sub_plans(loaded, client, login_as):
    login_as(loaded.provincial_officer)
    form = client.get("/admin/catalogues/new/?lang=th").get_data(as_text=True)
    assert 'value="sub_plan"' not in form
    forced = client.post("/admin/catalogues/new/", data=_form(parent_id=str(cf.item("master_plan", "16").id)))
    assert forced.status_code == 200
    assert _sub_plans() == []
    listing = client.get("/admin/catalogues/?lang=th")
    assert listing.status_code == 200


def test_the_loader_ships_no_sub_plan_and_the_demo_seed_adds_named_demo_ones(loaded):
    assert [i for i in seed.national_items() if i.catalogue == "sub_plan"] == []
    assert _sub_plans() == []  # the catalogue loader (with its provincial demo entries) adds none

    report = catalogues.load_catalogues(include_demo=True, demo_sub_plans=True)
    demo = _sub_plans()
    assert report.added == len(seed.DEMO_SUB_PLANS) == len(demo)
    for item in demo:
        assert item.parent.catalogue == "master_plan" and item.scope == ""
        assert "สาธิต" in item.name_th and item.name_en.startswith("Demo")
        assert re.fullmatch(r"DEMO-\d{4}", item.code)
    # Idempotent.
    again = catalogues.load_catalogues(include_demo=True, demo_sub_plans=True)
    assert again.added == 0 and again.updated == 0

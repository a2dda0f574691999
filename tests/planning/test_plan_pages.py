"""The plan pages: create a plan, draft projects through forms, read ผ.01 / ผ.02, never another LAO's plan."""

from __future__ import annotations

from decimal import Decimal

import pytest

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, Plan, ProjectRecord
from tests import factories
from tests.factories import plans as pf
from tests.pages import csrf_token_in


@pytest.fixture
def scene(world, db):
    world.plan = pf.drafting_plan(world.sao_a, world.planner)
    world.s1 = pf.strategy(world.plan, 1, "ยุทธศาสตร์การพัฒนาด้านโครงสร้างพื้นฐาน")
    world.works = pf.programme()
    world.plan_x = pf.drafting_plan(world.sao_x, world.planner_x)
    world.sx = pf.strategy(world.plan_x, 1, "ยุทธศาสตร์ของโพธิ์กลาง")
    pf.add_project(world.plan_x, world.planner_x, world.sx, world.works, name="โครงการลับของโพธิ์กลาง")
    return world


def _form(scene, **overrides) -> dict:
    data = {
        "name": "โครงการขุดลอกคลองสาธารณะ",
        "objective": "เพื่อระบายน้ำ",
        "target": "ยาว 1 กิโลเมตร",
        "kpi": "",
        "expected_result": "",
        "responsible_unit": "กองช่าง",
        "source": "own",
        "strategy_id": str(scene.s1.id),
        "tactic_id": str(scene.s1.tactics[0].id),
        "programme_id": str(scene.works.id),
        "budget_2566": "1,000,000.00",
        "budget_2567": "0.10",
        "budget_2568": "0.20",
        "budget_2569": "",
        "budget_2570": "",
    }
    data.update(overrides)
    return data


def test_a_planner_creates_a_plan_through_the_form(world, client, login_as, db):
    login_as(world.planner)
    page = client.get("/plans/new")
    assert page.status_code == 200 and world.sao_a.name_th in page.get_data(as_text=True)
    response = client.post(
        "/plans/new", data={"organisation_id": str(world.sao_a.id), "period_start_be": "2571"}
    )
    assert response.status_code == 303
    plan = db.session.query(Plan).one()
    assert (plan.period_start_be, plan.period_end_be, plan.status) == (2571, 2575, "drafting")
    again = client.post(
        "/plans/new", data={"organisation_id": str(world.sao_a.id), "period_start_be": "2571"}
    )
    assert again.status_code == 422 and 'id="e-period_start_be"' in again.get_data(as_text=True)


def test_a_planner_adds_a_project_and_the_p01_shows_exact_baht_and_be_years(scene, client, login_as, db):
    login_as(scene.planner)
    form_page = client.get(f"/plans/{scene.plan.id}/projects/new")
    html = form_page.get_data(as_text=True)
    assert form_page.status_code == 200
    assert all(f'name="budget_{year}"' in html for year in range(2566, 2571))
    assert 'name="equipment_category"' not in html

    response = client.post(f"/plans/{scene.plan.id}/projects/new", data=_form(scene))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    record = db.session.query(ProjectRecord).filter_by(plan_id=scene.plan.id).one()
    assert record.budget_1 == Decimal("1000000.00") and record.budget_3 == Decimal("0.20")

    p01 = client.get(f"/plans/{scene.plan.id}/p01")
    html = p01.get_data(as_text=True)
    assert p01.status_code == 200
    assert '<html lang="th">' in html and "ผ.01" in html and "ผ.01/1" in html
    assert "2566" in html and "2570" in html and "ยุทธศาสตร์การพัฒนาด้านโครงสร้างพื้นฐาน" in html
    assert "แผนงานอุตสาหกรรมและการโยธา" in html
    assert "1,000,000.30" in html, "the 5-year total adds satang exactly"
    assert "css/print.css" in html

    p02 = client.get(f"/plans/{scene.plan.id}/p02?source=own")
    assert p02.status_code == 200 and "โครงการขุดลอกคลองสาธารณะ" in p02.get_data(as_text=True)
    assert "1,000,000.00" in p02.get_data(as_text=True)
    detail = client.get(f"/plans/{scene.plan.id}/projects/{record.project_no}")
    assert detail.status_code == 200 and "โครงการขุดลอกคลองสาธารณะ" in detail.get_data(as_text=True)


@pytest.mark.parametrize(
    "field,value",
    [
        ("name", ""),
        ("budget_2568", "-5"),
        ("budget_2569", "12.345"),
        ("budget_2570", "สิบบาท"),
        ("strategy_id", ""),
    ],
)
def test_a_refused_project_shows_the_error_beside_its_field_and_keeps_the_input(
    scene, client, login_as, db, field, value
):
    login_as(scene.planner)
    data = _form(scene, **{field: value})
    if field == "strategy_id":
        data["tactic_id"] = ""
    response = client.post(f"/plans/{scene.plan.id}/projects/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="e-{field}"' in html
    assert "โครงการขุดลอกคลองสาธารณะ" in html or field == "name"
    assert "เพื่อระบายน้ำ" in html, "nothing typed is lost"
    assert db.session.query(ProjectRecord).filter_by(plan_id=scene.plan.id).count() == 0


def test_the_equipment_form_shows_its_own_columns(scene, client, login_as, db):
    login_as(scene.planner)
    page = client.get(f"/plans/{scene.plan.id}/projects/new?source=equipment")
    assert 'name="equipment_category"' in page.get_data(as_text=True)
    refused = client.post(f"/plans/{scene.plan.id}/projects/new", data=_form(scene, source="equipment"))
    assert refused.status_code == 422 and 'id="e-equipment_category"' in refused.get_data(as_text=True)
    saved = client.post(
        f"/plans/{scene.plan.id}/projects/new",
        data=_form(
            scene,
            source="equipment",
            equipment_category="ครุภัณฑ์คอมพิวเตอร์",
            equipment_type="เครื่องพิมพ์",
            unit="เครื่อง",
        ),
    )
    assert saved.status_code == 303
    p03 = client.get(f"/plans/{scene.plan.id}/p02?source=equipment").get_data(as_text=True)
    assert "ผ.03" in p03 and "เครื่องพิมพ์" in p03


def test_a_planner_edits_and_deletes_a_draft_project(scene, client, login_as, db):
    pf.add_project(scene.plan, scene.planner, scene.s1, scene.works)
    login_as(scene.planner)
    edit = client.get(f"/plans/{scene.plan.id}/projects/1/edit")
    assert edit.status_code == 200 and 'value="500000.00"' in edit.get_data(as_text=True)
    saved = client.post(f"/plans/{scene.plan.id}/projects/1/edit", data=_form(scene, name="ชื่อที่แก้แล้ว"))
    assert saved.status_code == 303
    assert db.session.query(ProjectRecord).filter_by(plan_id=scene.plan.id).one().name == "ชื่อที่แก้แล้ว"
    deleted = client.post(f"/plans/{scene.plan.id}/projects/1/delete")
    assert deleted.status_code == 303
    assert db.session.query(ProjectRecord).filter_by(plan_id=scene.plan.id).count() == 0
    assert [
        e.action
        for e in db.session.query(AuditEvent)
        .filter(AuditEvent.chain == f"plan-content:{scene.plan.id}")
        .order_by(AuditEvent.seq)
    ] == ["record_civic_forum", "add_project", "change_project", "delete_project"]


def test_an_announced_plan_shows_each_version_and_refuses_direct_edits(scene, client, login_as, db):
    pf.add_project(scene.plan, scene.planner, scene.s1, scene.works)
    pf.announce(scene.plan, scene)
    login_as(scene.planner)
    assert client.get(f"/plans/{scene.plan.id}/p01?version=1").status_code == 200
    assert client.get(f"/plans/{scene.plan.id}/p01?version=2").status_code == 404
    overview = client.get(f"/plans/{scene.plan.id}").get_data(as_text=True)
    assert (
        f"/instances/plan/{scene.plan.id}" in overview
        and f"/catalogues/plans/{scene.plan.id}/strategies" in overview
    )
    refused = client.get(f"/plans/{scene.plan.id}/projects/new")
    assert refused.status_code == 303
    assert client.post(f"/plans/{scene.plan.id}/projects/new", data=_form(scene)).status_code == 303
    assert db.session.query(ProjectRecord).filter_by(plan_id=scene.plan.id).count() == 1


def test_offices_read_the_plan_but_cannot_draft_it(scene, client, login_as):
    login_as(scene.provincial_officer)
    assert client.get(f"/plans/{scene.plan.id}/p01").status_code == 200
    assert client.get(f"/plans/{scene.plan.id}/projects/new").status_code == 403


@pytest.mark.parametrize("who", ["planner", "provincial_officer", "district_officer"])
def test_another_laos_plan_is_404_on_every_page(scene, client, login_as, who):
    login_as(getattr(scene, who))
    plan_id = scene.plan_x.id
    paths = [
        f"/plans/{plan_id}",
        f"/plans/{plan_id}/p01",
        f"/plans/{plan_id}/p01?version=1",
        f"/plans/{plan_id}/p02?source=own",
        f"/plans/{plan_id}/p02?source=equipment",
        f"/plans/{plan_id}/projects/1",
        f"/plans/{plan_id}/projects/new",
        f"/plans/{plan_id}/projects/1/edit",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "โครงการลับของโพธิ์กลาง" not in response.get_data(as_text=True)
    for path in (
        f"/plans/{plan_id}/projects/new",
        f"/plans/{plan_id}/projects/1/edit",
        f"/plans/{plan_id}/projects/1/delete",
    ):
        assert client.post(path, data=_form(scene)).status_code == 404, path


def test_the_forms_carry_a_csrf_token_and_refuse_a_post_without_it(csrf_app):
    with csrf_app.app_context():
        world = factories.build_world()
        plan = pf.drafting_plan(world.sao_a, world.planner)
        plan_id = plan.id
        _db.session.remove()
    client = csrf_app.test_client()
    login = client.get("/auth/login").get_data(as_text=True)
    client.post(
        "/auth/login", data={"username": "a_planner", "password": "pw", "csrf_token": csrf_token_in(login)}
    )
    page = client.get(f"/plans/{plan_id}/projects/new")
    assert page.status_code == 200
    csrf_token_in(page.get_data(as_text=True))
    assert client.post(f"/plans/{plan_id}/projects/new", data={"name": "x"}).status_code in (400, 422)
    with csrf_app.app_context():
        assert _db.session.query(ProjectRecord).count() == 0
        _db.session.remove()

"""The import pages: upload → preview with every row's problems in Thai → confirm; the template;
only the LAO's planners, for their own LAO."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from eplan_flow.models import AuditEvent, Plan, PlanImport, ProjectRecord
from eplan_flow.services.planning import plan_import
from tests.factories import catalogues as catalogue_factories
from tests.factories import workbooks as wb


@pytest.fixture
def scene(world, db, app, tmp_path, monkeypatch):
    catalogue_factories.load(include_demo=False)
    # Uploads wait here for their confirmation (the app's default: <instance>/plan_imports).
    monkeypatch.setitem(app.config, "PLAN_IMPORTS_DIR", str(tmp_path / "uploads"))
    return world


def _snapshot(db) -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Plan, ProjectRecord, PlanImport, AuditEvent)
    )


def _upload(client, org, data: bytes, **fields):
    form = {
        "organisation_id": str(org.id),
        "period_start_be": "2566",
        "mode": "draft",
        "announced_on": "",
        "workbook": (io.BytesIO(data), "แผนพัฒนา 2566-2570.xlsx"),
        **fields,
    }
    return client.post("/plans/import", data=form, content_type="multipart/form-data")


def test_the_planner_uploads_sees_the_row_errors_in_thai_uploads_the_fix_and_imports(
    scene, client, login_as, db, tmp_path
):
    login_as(scene.planner)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/plans/import"' in home and "นำเข้าแผนจาก Excel" in home
    start = client.get("/plans/import")
    assert start.status_code == 200 and "ดาวน์โหลดแบบฟอร์มเปล่า" in start.get_data(as_text=True)
    own = wb.projects(4, per_programme=2)
    good = wb.workbook(own, style="text")
    row = wb.find_row(good, "ผ.02", own[2].name)
    broken = wb.edit(good, "ผ.02", f"G{row}", "สองแสน")
    before = _snapshot(db)

    uploaded = _upload(client, scene.sao_a, broken)
    assert uploaded.status_code == 303
    preview = client.get(uploaded.headers["Location"])
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "ปัญหาที่ต้องแก้ไข (1 รายการ)" in html
    assert re.search(rf"<td[^>]*>ผ\.02</td>\s*<td[^>]*>{row}</td>", html)
    assert "งบประมาณปี 2568 &#34;สองแสน&#34; ไม่ใช่จำนวนเงินบาท" in html
    assert 'id="import-confirm"' not in html
    assert _snapshot(db) == before

    fixed = _upload(client, scene.sao_a, good)
    preview = client.get(fixed.headers["Location"])
    html = preview.get_data(as_text=True)
    assert 'id="import-confirm"' in html and "4 โครงการ ใน 2 ยุทธศาสตร์" in html
    sha = plan_import.file_digest(good)
    confirmed = client.post(
        f"/plans/import/{scene.sao_a.id}/{sha}/confirm",
        data={"period": "2566", "mode": "draft", "announced_on": "", "name": "แผนพัฒนา.xlsx"},
    )
    assert confirmed.status_code == 303
    plan = db.session.scalars(sa.select(Plan)).one()
    assert confirmed.headers["Location"].endswith(f"/plans/{plan.id}")
    assert (tmp_path / "uploads" / str(scene.sao_a.id) / f"{sha}.xlsx").read_bytes() == good
    assert db.session.scalars(sa.select(PlanImport)).one().file_name == "แผนพัฒนา.xlsx"
    p02 = client.get(f"/plans/{plan.id}/p02").get_data(as_text=True)
    assert own[0].name in p02 and "100,000.00" in p02
    # Confirming again (a double click, the back button) changes nothing.
    after = _snapshot(db)
    again = client.post(
        f"/plans/import/{scene.sao_a.id}/{sha}/confirm",
        data={"period": "2566", "mode": "draft", "announced_on": "", "name": "แผนพัฒนา.xlsx"},
    )
    assert again.status_code == 303 and _snapshot(db) == after


def test_an_announced_import_through_the_pages_records_its_announcement_day(scene, client, login_as, db):
    login_as(scene.planner)
    data = wb.workbook(wb.projects(2))
    missing = _upload(client, scene.sao_a, data, mode="announced")
    assert missing.status_code == 422 and "กรอกวันที่ประกาศใช้แผน" in missing.get_data(as_text=True)
    uploaded = _upload(client, scene.sao_a, data, mode="announced", announced_on="15/10/2565")
    preview = client.get(uploaded.headers["Location"])
    assert "15 ตุลาคม 2565" in preview.get_data(as_text=True)
    confirmed = client.post(
        f"/plans/import/{scene.sao_a.id}/{plan_import.file_digest(data)}/confirm",
        data={"period": "2566", "mode": "announced", "announced_on": "15/10/2565", "name": "x.xlsx"},
    )
    assert confirmed.status_code == 303
    plan = db.session.scalars(sa.select(Plan)).one()
    assert (plan.status, plan.current_version) == ("announced", 1)


def test_the_blank_template_downloads_as_a_workbook(scene, client, login_as):
    login_as(scene.planner)
    response = client.get("/plans/import/template.xlsx?period=2571")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["ผ.02", "ผ.02-1", "ผ.02-2", "คำอธิบาย"]
    assert book["ผ.02"]["E7"].value == "2571\n(บาท)"


@pytest.mark.parametrize("role", ["support_secretary", "executive", "district_officer", "provincial_officer"])
def test_people_who_are_not_the_lao_s_planners_are_refused_and_nothing_changes(
    role, scene, client, login_as, db
):
    login_as(scene.planner)
    data = wb.workbook(wb.projects(2))
    location = _upload(client, scene.sao_a, data).headers["Location"]
    client.post("/auth/logout")
    login_as(getattr(scene, role))
    before = _snapshot(db)
    assert client.get("/plans/import").status_code == 403
    assert _upload(client, scene.sao_a, data).status_code == 403
    sha = plan_import.file_digest(data)
    # The LAO's own staff: forbidden; the offices (readers of the LAO, not its planners): forbidden.
    assert client.get(location).status_code == 403
    confirm = client.post(
        f"/plans/import/{scene.sao_a.id}/{sha}/confirm", data={"period": "2566", "mode": "draft"}
    )
    assert confirm.status_code == 403
    assert _snapshot(db) == before


def test_another_lao_s_planner_finds_nothing_and_cannot_import_for_it(scene, client, login_as, db):
    login_as(scene.planner)
    data = wb.workbook(wb.projects(2))
    location = _upload(client, scene.sao_a, data).headers["Location"]
    client.post("/auth/logout")
    login_as(scene.planner_x)
    before = _snapshot(db)
    assert _upload(client, scene.sao_a, data).status_code == 403
    assert client.get(location).status_code == 404
    sha = plan_import.file_digest(data)
    confirm = client.post(
        f"/plans/import/{scene.sao_a.id}/{sha}/confirm", data={"period": "2566", "mode": "draft"}
    )
    assert confirm.status_code == 404
    # Their own LAO has no such upload: not found either.
    assert client.get(f"/plans/import/{scene.sao_x.id}/{sha}?period=2566").status_code == 404
    assert _snapshot(db) == before


def test_anonymous_visitors_are_sent_to_sign_in(scene, client):
    for path in ("/plans/import", "/plans/import/template.xlsx"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]

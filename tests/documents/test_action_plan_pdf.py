"""The action plan's forms (แผนการดำเนินงาน, ข้อ 26–27) as PDF, read back: ผด.01 and ผด.02 in Thai, in the
embedded Sarabun, on A4 landscape, offered from the action plan's page to those who may read it; a
ผด.02 too long to wait for is a background job, like the plan's lists; outsiders get nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.models import ActionPlan, DocumentJob
from eplan_flow.services.delivery import action_plans, execution
from eplan_flow.services.documents import forms, jobs
from tests.documents.pdfs import assert_sarabun_only, read
from tests.factories import revisions

ORDINANCE = "2026-09-28"


@pytest.fixture
def action_plan(world, db) -> ActionPlan:
    """sao_a's action plan of fiscal year 2570: two of its plan's projects the ordinance funds (the
    first in October, November and March) and a project of another agency (April to June)."""
    plan = revisions.announced_plan(world.sao_a, world.planner, projects=4, period_start_be=2566)
    for no, amount in enumerate(("500000.00", "120000.00"), 1):
        execution.budget_project(world.planner, plan.id, no, 2570, amount)
    row = action_plans.open_action_plan(world.planner, world.sao_a.id, 2570, ORDINANCE)
    _db.session.refresh(row)
    first = row.projects[0]
    action_plans.set_months(world.planner, row.id, first.id, ["10", "11", "3"])
    agency = action_plans.add_agency_item(
        world.planner, row.id, "ขุดลอกหนองน้ำสาธารณะ", "กรมทรัพยากรน้ำ", "380000.00"
    )
    action_plans.set_months(world.planner, row.id, agency.id, ["4", "5", "6"])
    _db.session.refresh(row)
    return row


def _get_pdf(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return read(response.data)


def _links(client, action_plan) -> dict[str, str]:
    page = client.get(f"/execution/action-plans/{action_plan.id}").get_data(as_text=True)
    return dict(re.findall(r'id="(action-plan-pd0[12]-pdf-link)" href="([^"]+)"', page))


def test_the_pd01_pdf_is_the_summary_in_thai_with_its_totals_from_the_action_plan_page(
    world, db, client, login_as, action_plan
):
    login_as(world.support_secretary)
    links = _links(client, action_plan)
    assert links["action-plan-pd01-pdf-link"] == f"/documents/action-plans/{action_plan.id}/pd01.pdf"
    document = _get_pdf(client, links["action-plan-pd01-pdf-link"])
    assert_sarabun_only(document)
    assert document.a4 and document.landscape
    text = document.text
    assert "ผด.01" in text
    assert document.has("บัญชีสรุปจำนวนโครงการและงบประมาณ แผนการดำเนินงาน ประจำปีงบประมาณ 2570")
    assert world.sao_a.display_name in text
    assert "อำเภอเมืองบึงกาฬ" in text and "จังหวัดบึงกาฬ" in text
    assert document.has("โครงการของหน่วยงานอื่น") and document.has("กรมทรัพยากรน้ำ")
    assert "1,000,000.00" in text  # 500,000 + 120,000 + 380,000
    assert "38.00" in text  # the other agency's share of the budget
    assert "หน้า 1 / 1" in text


def test_the_pd02_pdf_lists_each_project_with_its_months_in_thai(world, db, client, login_as, action_plan):
    login_as(world.planner)
    url = _links(client, action_plan)["action-plan-pd02-pdf-link"]
    assert url == f"/documents/action-plans/{action_plan.id}/pd02.pdf"
    document = _get_pdf(client, url)
    assert_sarabun_only(document)
    assert document.a4 and document.landscape
    text = document.text
    assert "ผด.02" in text
    assert document.has("บัญชีโครงการ/กิจกรรม แผนการดำเนินงาน ประจำปีงบประมาณ 2570")
    for item in action_plan.projects:
        assert document.has(item.name), item.name
    assert document.has("ขุดลอกหนองน้ำสาธารณะ")
    # The twelve months in fiscal order, October first; six ticked in all.
    months = ["ต.ค.", "พ.ย.", "ธ.ค.", "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย."]
    positions = [text.index(month) for month in months]
    assert positions == sorted(positions)
    assert text.count("■") == 6
    assert "1,000,000.00" in text
    response = client.get(url)
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "2570.pdf" in response.headers["Content-Disposition"]


def test_offices_over_the_lao_read_the_forms_and_outsiders_are_refused(
    world, db, client, login_as, action_plan
):
    for reader in (world.district_officer, world.provincial_officer, world.executive):
        login_as(reader)
        for form in ("pd01", "pd02"):
            assert client.get(f"/documents/action-plans/{action_plan.id}/{form}.pdf").status_code == 200
    for outsider in (world.planner_x, world.district_officer_2, world.provincial_officer_30, world.nobody):
        login_as(outsider)
        for form in ("pd01", "pd02"):
            response = client.get(f"/documents/action-plans/{action_plan.id}/{form}.pdf")
            assert response.status_code == 404, (outsider.username, form)
            # (nobody is an account of sao_a without a role: its header names its own LAO)
            assert outsider is world.nobody or world.sao_a.name_th not in response.get_data(as_text=True)
        assert client.post(f"/documents/action-plans/{action_plan.id}/pd02.pdf/job").status_code == 404
    assert client.get(f"/documents/action-plans/{action_plan.id}/p02.pdf").status_code == 404
    assert _db.session.scalar(select(DocumentJob.id)) is None


def test_signing_in_is_required(client, action_plan):
    response = client.get(f"/documents/action-plans/{action_plan.id}/pd01.pdf")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_a_long_pd02_is_prepared_by_a_job_for_who_asked(
    app, world, db, client, login_as, action_plan, tmp_path, monkeypatch
):
    monkeypatch.setattr(forms, "STREAM_LIMIT", 2)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    login_as(world.district_officer)
    offer = client.get(f"/documents/action-plans/{action_plan.id}/pd02.pdf")
    assert offer.status_code == 200 and offer.mimetype == "text/html"
    page = offer.get_data(as_text=True)
    assert "ผด.02 PDF" in page and "จัดทำไฟล์ PDF" in page
    action = f"/documents/action-plans/{action_plan.id}/pd02.pdf/job"
    assert f'action="{action}"' in page
    response = client.post(action)
    assert response.status_code == 303
    job = _db.session.scalars(select(DocumentJob)).one()
    assert (job.document, job.params, job.requested_by_id) == (
        "pd02",
        {"action_plan_id": action_plan.id},
        world.district_officer.id,
    )
    assert jobs.run(job.id) == "done"
    login_as(world.planner)  # another reader of the LAO: not their job
    assert client.get(f"/documents/jobs/{job.id}/file").status_code == 404
    login_as(world.district_officer)
    with client.get(f"/documents/jobs/{job.id}/file") as response:
        document = read(response.data)
    assert "ผด.02" in document.text and document.has("ขุดลอกหนองน้ำสาธารณะ")

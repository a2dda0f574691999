"""Budget source and codes on each execution item (issue 14, item 4): where the money comes from
(ข้อบัญญัติ, ข้อบัญญัติเพิ่มเติม, จ่ายขาดเงินสะสม, เงินอุดหนุนเฉพาะกิจ, โอนตั้งจ่ายรายการใหม่) with its e-LAAS
code, the procurement method with its e-GP number, and the location; and the zero-budget rule
(e-Plan's FAQ: a project with a plan budget of 0 for the year is recorded anew through a revision).
All of it is rule data of EXECUTION_V3; items started on version 2 finish under it.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, ProjectExecution, ProjectRecord
from eplan_flow.services.delivery import execution as service
from eplan_flow.services.platform import engine
from tests import factories
from tests.conftest import make_app
from tests.factories import execution as execution_factories
from tests.factories.revisions import announced_plan
from workflows import Registry
from workflows.execution import EXECUTION_V1, EXECUTION_V2

API = "/api/v1"
DETAILS = {
    "budget_source": "specific_subsidy",
    "elaas_budget_code": "00241-5310-0001",
    "procurement_method": "e_bidding",
    "egp_project_no": "67019123456",
    "village_no": "4",
    "community": "ชุมชนบ้านหนองบัว",
    "latitude": "16.432100",
    "longitude": "102.823600",
}


def text(response) -> str:
    return response.get_data(as_text=True)


def _row(execution_id: int) -> tuple:
    _db.session.expire_all()
    row = _db.session.get(ProjectExecution, execution_id)
    events = _db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.chain == service.content_chain(execution_id))
    )
    return tuple(getattr(row, name) for name in service.DETAIL_FIELDS) + (row.version, events)


def test_a_planner_records_each_field_on_the_page_and_sees_it_on_the_execution_and_project_pages(
    world, db, login_as
):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    assert execution.workflow_version == 3
    client = login_as(world.planner)
    page = text(client.get(f"/execution/{execution.id}"))
    assert f'action="/execution/{execution.id}/budget-details"' in page
    assert "จ่ายขาดเงินสะสม" in page and "ข้อบัญญัติงบประมาณรายจ่ายเพิ่มเติม" in page
    assert "วิธีประกาศเชิญชวนทั่วไป แบบประกวดราคาอิเล็กทรอนิกส์ (e-bidding)" in page

    response = client.post(f"/execution/{execution.id}/budget-details", data=DETAILS, follow_redirects=True)
    assert "บันทึกแหล่งงบประมาณ รหัส และสถานที่ดำเนินการแล้ว" in text(response)
    _db.session.expire_all()
    row = _db.session.get(ProjectExecution, execution.id)
    assert (row.budget_source, row.elaas_budget_code, row.procurement_method, row.egp_project_no) == (
        "specific_subsidy",
        "00241-5310-0001",
        "e_bidding",
        "67019123456",
    )
    assert (row.village_no, row.community) == (4, "ชุมชนบ้านหนองบัว")
    assert (row.latitude, row.longitude) == (Decimal("16.432100"), Decimal("102.823600"))
    assert row.version == 1  # a content edit, not a workflow step

    for url in (f"/execution/{execution.id}", f"/plans/{row.plan_id}/projects/{row.project_no}"):
        shown = text(client.get(url))
        assert "เงินอุดหนุนเฉพาะกิจ" in shown, url
        assert "00241-5310-0001" in shown and "67019123456" in shown, url
        assert "หมู่ที่ 4" in shown and "ชุมชนบ้านหนองบัว" in shown, url
        assert "วิธีประกาศเชิญชวนทั่วไป แบบประกวดราคาอิเล็กทรอนิกส์ (e-bidding)" in shown, url

    # A blank field clears its column; the rest are kept as sent.
    client.post(
        f"/execution/{execution.id}/budget-details", data={**DETAILS, "latitude": "", "longitude": ""}
    )
    _db.session.expire_all()
    row = _db.session.get(ProjectExecution, execution.id)
    assert row.latitude is None and row.longitude is None and row.village_no == 4


@pytest.mark.parametrize(
    ("field", "value", "thai"),
    [
        ("budget_source", "lottery", "เลือกแหล่งงบประมาณจากรายการ"),
        ("elaas_budget_code", "รหัส-ไทย", "รหัสงบประมาณ e-LAAS ยาวได้ไม่เกิน 50"),
        ("elaas_budget_code", "1" * 51, "รหัสงบประมาณ e-LAAS ยาวได้ไม่เกิน 50"),
        ("procurement_method", "วิธีพิเศษ", "เลือกวิธีจัดซื้อจัดจ้างจากรายการ"),
        ("egp_project_no", "6701912345", "ต้องเป็นตัวเลข 11 หลัก"),
        ("egp_project_no", "6701912345x", "ต้องเป็นตัวเลข 11 หลัก"),
        ("village_no", "0", "หมู่ที่ต้องเป็นจำนวนเต็มตั้งแต่ 1 ถึง 99"),
        ("village_no", "สี่", "หมู่ที่ต้องเป็นจำนวนเต็มตั้งแต่ 1 ถึง 99"),
        ("community", "ก" * 201, "ชื่อชุมชนยาวได้ไม่เกิน 200 ตัวอักษร"),
        ("latitude", "35.6", "ละติจูดต้องเป็นตัวเลขในเขตประเทศไทย"),
        ("longitude", "139.7", "ลองจิจูดต้องเป็นตัวเลขในเขตประเทศไทย"),
        ("longitude", "", "ลองจิจูดต้องเป็นตัวเลขในเขตประเทศไทย"),  # latitude alone
    ],
)
def test_a_bad_value_is_refused_in_thai_naming_it_and_nothing_changes(
    field, value, thai, world, db, login_as
):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    service.record_budget_details(
        world.planner, execution.id, {"budget_source": "ordinance", "village_no": "2"}
    )
    before = _row(execution.id)
    client = login_as(world.planner)
    response = client.post(
        f"/execution/{execution.id}/budget-details", data={**DETAILS, field: value}, follow_redirects=True
    )
    assert "ไม่ได้บันทึก" in text(response) and thai in text(response)
    assert _row(execution.id) == before
    with pytest.raises(service.BudgetDetailRefused) as refused:
        service.record_budget_details(world.planner, execution.id, {**DETAILS, field: value})
    assert refused.value.details["field"] == field
    assert _row(execution.id) == before


def test_thai_digits_and_spaces_in_the_egp_number_are_read_as_its_eleven_digits(world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    service.record_budget_details(world.planner, execution.id, {"egp_project_no": "๖๗๐๑๙ ๑๒๓๔๕๖"})
    assert _row(execution.id)[3] == "67019123456"


def test_readers_cannot_record_the_details(world, db, login_as):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    before = _row(execution.id)
    response = login_as(world.district_officer).post(
        f"/execution/{execution.id}/budget-details", data=DETAILS
    )
    assert response.status_code == 403
    assert _row(execution.id) == before


@pytest.fixture
def api(app):
    served = make_app()
    yield served.test_client()
    with served.app_context():
        _db.engine.dispose()


def bearer(user) -> dict:
    return factories.bearer(user, "budget source tests")


def test_the_api_round_trips_the_details_as_codes_and_refuses_bad_ones_with_a_thai_message(api, world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    url = f"{API}/executions/{execution.id}"
    headers = bearer(world.planner)
    body = {
        "budget_source": "accumulated_funds",
        "elaas_budget_code": "00311-5411",
        "procurement_method": "specific",
        "egp_project_no": "67029876543",
        "location": {"village_no": 7, "community": "ชุมชนริมน้ำ", "latitude": 13.7563, "longitude": "100.5018"},
    }
    response = api.put(f"{url}/budget-details", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    answer = api.get(url, headers=headers).get_json()
    assert answer["budget_source"] == "accumulated_funds"
    assert answer["budget_source_label"] == "จ่ายขาดเงินสะสม"
    assert (
        answer["procurement_method"] == "specific" and answer["procurement_method_label"] == "วิธีเฉพาะเจาะจง"
    )
    assert (answer["elaas_budget_code"], answer["egp_project_no"]) == ("00311-5411", "67029876543")
    assert answer["location"] == {
        "village_no": 7,
        "community": "ชุมชนริมน้ำ",
        "latitude": "13.756300",
        "longitude": "100.501800",
    }
    # What the API answers, sent back as codes, changes nothing.
    codes = {
        k: answer[k] for k in ("budget_source", "elaas_budget_code", "procurement_method", "egp_project_no")
    }
    again = api.put(f"{url}/budget-details", json={**codes, "location": answer["location"]}, headers=headers)
    assert again.get_json() == answer

    before = _row(execution.id)
    refused = api.put(f"{url}/budget-details", json={**body, "egp_project_no": "123"}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "invalid_budget_detail"
    assert refused.get_json()["details"]["field"] == "egp_project_no"
    assert "ตัวเลข 11 หลัก" in refused.get_json()["message"]
    unknown = api.put(f"{url}/budget-details", json={"budget_source_label": "x"}, headers=headers)
    assert unknown.status_code == 422
    assert _row(execution.id) == before
    # Another LAO's planner sees nothing; a reader of the LAO may read but not write.
    assert api.get(url, headers=bearer(world.planner_x)).status_code == 404
    assert api.get(url, headers=bearer(world.district_officer)).status_code == 200
    assert (
        api.put(f"{url}/budget-details", json=body, headers=bearer(world.district_officer)).status_code == 403
    )
    assert _row(execution.id) == before


def _zero_budget_plan(world):
    plan = announced_plan(world.sao_a, world.planner, projects=2)
    record = _db.session.scalar(
        select(ProjectRecord).where(ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 1)
    )
    record.budget_2 = Decimal("0.00")
    _db.session.commit()
    return plan, plan.period_start_be + 1


def test_a_project_with_a_zero_plan_budget_is_refused_naming_the_revision_and_linking_to_it(
    world, db, login_as
):
    plan, year = _zero_budget_plan(world)
    with pytest.raises(service.ZeroPlanBudget) as refused:
        service.budget_project(world.planner, plan.id, 1, year, "10000.00")
    assert refused.value.details["revision_kinds"] == ["addition", "change"]

    client = login_as(world.planner)
    page = text(client.get(f"/execution/plans/{plan.id}?year={year}"))
    assert 'id="zero-plan-budget"' in page and "เป็น 0" in page and "เพิ่มเติมแผนพัฒนา" in page
    assert f'href="/revisions/plans/{plan.id}"' in page
    # Not offered in the list of projects to budget; project 2 still is.
    form = page.split('id="project_no"')[1].split("</select>")[0]
    assert 'value="1"' not in form and 'value="2"' in form

    response = client.post(
        f"/execution/plans/{plan.id}/budget",
        data={"project_no": "1", "fiscal_year_be": str(year), "amount": "10000.00"},
        follow_redirects=True,
    )
    shown = text(response)
    assert "ไม่ได้บันทึก" in shown and f"ปีงบประมาณ {year} เป็น 0" in shown
    assert "เพิ่มเติมแผนพัฒนา" in shown and "เปลี่ยนแปลงงบประมาณของโครงการ" in shown
    assert _db.session.scalar(select(func.count()).select_from(ProjectExecution)) == 0
    # A year where the plan holds a budget is budgeted as before.
    service.budget_project(world.planner, plan.id, 1, plan.period_start_be, "10000.00")


def test_before_version_3_a_zero_plan_budget_is_simply_not_in_the_plan(world, db, monkeypatch):
    plan, year = _zero_budget_plan(world)
    monkeypatch.setattr(engine, "REGISTRY", Registry(EXECUTION_V1, EXECUTION_V2))
    with pytest.raises(service.NotInPlan) as refused:
        service.budget_project(world.planner, plan.id, 1, year, "10000.00")
    assert type(refused.value) is service.NotInPlan


def test_an_item_started_on_version_2_keeps_its_rules_and_records_no_budget_details(world, db, login_as):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    execution.workflow_version = 2  # as every item budgeted before version 3 was
    _db.session.commit()
    before = _row(execution.id)
    with pytest.raises(service.BudgetDetailsNotInVersion):
        service.record_budget_details(world.planner, execution.id, DETAILS)
    client = login_as(world.planner)
    page = text(client.get(f"/execution/{execution.id}"))
    assert f'action="/execution/{execution.id}/budget-details"' not in page
    assert 'id="details-not-in-version"' in page and "ฉบับที่ 2" in page
    # Its procurement step offers version 2's names and records the name in the step, not a code.
    assert '<option value="วิธีคัดเลือก">วิธีคัดเลือก</option>' in page
    response = client.post(f"/execution/{execution.id}/budget-details", data=DETAILS, follow_redirects=True)
    assert "ไม่ได้บันทึก" in text(response) and "ฉบับที่ 2" in text(response)
    assert _row(execution.id) == before
    execution_factories.procuring(execution, world.planner)
    _db.session.expire_all()
    row = _db.session.get(ProjectExecution, execution.id)
    assert row.status == "procurement" and row.procurement_method is None


def test_on_version_3_starting_procurement_records_the_method_as_its_code(world, db, login_as):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    client = login_as(world.planner)
    page = text(client.get(f"/execution/{execution.id}"))
    assert '<option value="selective">วิธีคัดเลือก</option>' in page
    client.post(
        f"/execution/{execution.id}/procurement",
        data={"procurement_method": "selective", "expected_version": "1"},
    )
    _db.session.expire_all()
    row = _db.session.get(ProjectExecution, execution.id)
    assert row.status == "procurement" and row.procurement_method == "selective"
    # A name of version 2's list finds its code; a method not in the list is refused.
    other = execution_factories.budgeted(world.sao_a, world.planner, project_no=2)
    execution_factories.procuring(other, world.planner)
    assert _db.session.get(ProjectExecution, other.id).procurement_method == "specific"
    fourth = execution_factories.budgeted(world.sao_a, world.planner, project_no=4)
    service.start_procurement(world.planner, fourth.id, "วิธีประกาศเชิญชวนทั่วไป (e-bidding)")
    assert _db.session.get(ProjectExecution, fourth.id).procurement_method == "e_bidding"
    third = execution_factories.budgeted(world.sao_a, world.planner, project_no=3)
    with pytest.raises(service.InvalidInput):
        service.start_procurement(world.planner, third.id, "วิธีพิเศษ")
    _db.session.expire_all()
    assert _db.session.get(ProjectExecution, third.id).status == "budgeted"


def test_the_plan_years_csv_carries_each_detail_as_its_code_and_its_thai_label(world, db, login_as):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    service.record_budget_details(world.planner, execution.id, DETAILS)
    client = login_as(world.planner)
    page = text(client.get(f"/execution/plans/{execution.plan_id}?year={execution.fiscal_year_be}"))
    assert 'id="execution-csv-link"' in page
    response = client.get(
        f"/execution/plans/{execution.plan_id}/executions.csv?year={execution.fiscal_year_be}"
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    header, row = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    line = dict(zip(header, row, strict=True))
    assert line["แหล่งงบประมาณ (รหัส)"] == "specific_subsidy" and line["แหล่งงบประมาณ"] == "เงินอุดหนุนเฉพาะกิจ"
    assert line["วิธีจัดซื้อจัดจ้าง (รหัส)"] == "e_bidding"
    assert line["รหัสงบประมาณ e-LAAS"] == "00241-5310-0001" and line["เลขที่โครงการ e-GP"] == "67019123456"
    assert (line["หมู่ที่"], line["ชุมชน"], line["ละติจูด"], line["ลองจิจูด"]) == (
        "4",
        "ชุมชนบ้านหนองบัว",
        "16.432100",
        "102.823600",
    )
    # Another LAO's planner gets nothing.
    other = login_as(world.planner_x)
    assert other.get(f"/execution/plans/{execution.plan_id}/executions.csv").status_code == 404

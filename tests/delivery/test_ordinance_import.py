"""Budget ordinance import (issue 14, item 5): an e-LAAS-style CSV/xlsx export's lines (code, name,
amount, source) are matched to the plan's projects (exact e-LAAS code, then a similar name for the
planner to confirm) and budget the fiscal year's execution items; unmatched lines are linked or marked
"not from the plan". The files are generated here, as an LAO's export would look.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from eplan_flow.errors import PermissionDenied
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, ProjectExecution, ProjectRecord
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.delivery import ordinance_import as service
from tests import factories
from tests.factories.revisions import announced_plan
from tests.pages import csrf_token_in

NAMES = {
    1: "ก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ที่ 3 บ้านหนองบัว",
    2: "อบรมส่งเสริมอาชีพสตรีตำบลหนองเลิง",
    3: "จัดซื้อรถบรรทุกขยะมูลฝอย",
    4: "ปรับปรุงระบบประปาหมู่บ้าน หมู่ที่ 5",
}
HEADER = ["รหัสงบประมาณ", "ชื่อโครงการ", "จำนวนเงิน", "แหล่งงบประมาณ"]
LINES = [
    # Row 2: the code is already on project 1's item of the year before (an exact match).
    ["00241-5310-0001", "ถนน คสล. สายบ้านนายสม", "๑,๒๐๐,๐๐๐.๐๐", "ข้อบัญญัติงบประมาณรายจ่ายประจำปี"],
    # Row 3: a new code whose name is close to project 2's.
    ["00241-5320-0002", "โครงการอบรมส่งเสริมอาชีพสตรี ตำบลหนองเลิง", "45,000", ""],
    # Row 4: nothing like it in the plan: the planner links it to project 4.
    ["00241-5400-0003", "ค่าวัสดุซ่อมแซมท่อส่งน้ำ", "120,500.50", "เงินอุดหนุนเฉพาะกิจ"],
    # Row 5: not a plan project at all (a running cost): marked "not from the plan".
    ["00241-5100-0004", "ค่าใช้จ่ายในการเลือกตั้ง", "300,000.00", "ข้อบัญญัติ"],
]


def csv_bytes(rows, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    for row in rows:
        out.write(",".join(f'"{cell}"' for cell in row) + "\r\n")
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, title: str | None = "ข้อบัญญัติงบประมาณรายจ่ายประจำปี") -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.append([])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def kept(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ORDINANCE_IMPORTS_DIR", str(tmp_path / "ordinance"))
    return tmp_path / "ordinance"


def make_plan(world):
    """An announced plan of sao_a with four named projects; project 1 budgeted for the first year
    with the e-LAAS code the ordinance of the second year repeats."""
    # Its own period: the factory's counter runs past the years inputs accept in a long session.
    plan = announced_plan(world.sao_a, world.planner, projects=4, period_start_be=2571)
    for record in _db.session.scalars(select(ProjectRecord).where(ProjectRecord.plan_id == plan.id)):
        record.name = NAMES[record.project_no]
    _db.session.commit()
    first = execution_service.budget_project(world.planner, plan.id, 1, plan.period_start_be, "900000")
    execution_service.record_budget_details(
        world.planner,
        first.id,
        {"budget_source": "ordinance", "elaas_budget_code": "00241-5310-0001"},
    )
    return plan


@pytest.fixture
def plan(world, db, kept):
    return make_plan(world)


def _year(plan) -> int:
    return plan.period_start_be + 1


def _items(plan_id: int, year: int) -> dict[int, tuple]:
    _db.session.expire_all()
    rows = _db.session.scalars(
        select(ProjectExecution).where(
            ProjectExecution.plan_id == plan_id, ProjectExecution.fiscal_year_be == year
        )
    )
    return {r.project_no: (r.budgeted_amount, r.elaas_budget_code, r.budget_source) for r in rows}


def _events() -> int:
    """Events of execution items and of ordinance marks (signing in writes events of its own)."""
    return _db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.chain.like("execution%") | AuditEvent.chain.like("ordinance:%"))
    )


def _marks(plan_id: int, year: int) -> list[dict]:
    return list(
        _db.session.scalars(
            select(AuditEvent.data).where(
                AuditEvent.chain == service.chain(plan_id, year), AuditEvent.action == service.NOT_IN_PLAN
            )
        )
    )


def test_the_service_matches_by_code_then_name_and_confirms_in_one_go(world, plan):
    year = _year(plan)
    preview = service.preview(world.planner, plan.id, year, csv_bytes([HEADER, *LINES]))
    found = {m.line.row: (m.status, m.project_no) for m in preview.matches}
    assert found == {2: ("exact", 1), 3: ("similar", 2), 4: ("unmatched", None), 5: ("unmatched", None)}
    assert preview.matches[0].line.amount == Decimal("1200000.00")  # Thai digits and commas
    assert preview.matches[1].score is not None and preview.matches[1].score >= service.NAME_SIMILARITY
    assert _items(plan.id, year) == {}  # a preview writes nothing

    outcome = service.confirm(
        world.planner, plan.id, year, preview.sha256, {2: "1", 3: "2", 4: "4", 5: service.NOT_IN_PLAN}
    )
    assert (len(outcome.created), outcome.marked) == (3, 1)
    assert _items(plan.id, year) == {
        1: (Decimal("1200000.00"), "00241-5310-0001", "ordinance"),
        2: (Decimal("45000.00"), "00241-5320-0002", "ordinance"),
        4: (Decimal("120500.50"), "00241-5400-0003", "specific_subsidy"),
    }
    [mark] = _marks(plan.id, year)
    assert (mark["code"], mark["row"], mark["amount"]) == ("00241-5100-0004", 5, "300000.00")
    # The items went through the execution use cases: each one's workflow and content chains hold it.
    created = _db.session.get(ProjectExecution, outcome.created[0])
    assert created.status == "budgeted"
    assert _db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.chain == execution_service.content_chain(created.id))
    )


def test_importing_the_same_file_again_changes_nothing(world, plan):
    year = _year(plan)
    data = csv_bytes([HEADER, *LINES])
    first = service.preview(world.planner, plan.id, year, data)
    decisions = {2: "1", 3: "2", 4: "4", 5: service.NOT_IN_PLAN}
    service.confirm(world.planner, plan.id, year, first.sha256, decisions)
    before = (_items(plan.id, year), _events())

    again = service.preview(world.planner, plan.id, year, data)
    assert [m.status for m in again.matches] == ["budgeted", "budgeted", "budgeted", "marked"]
    outcome = service.confirm(world.planner, plan.id, year, again.sha256, decisions)
    assert (outcome.created, outcome.updated, outcome.marked, outcome.unchanged) == ([], [], 0, 4)
    assert (_items(plan.id, year), _events()) == before


def test_a_project_budgeted_by_hand_gets_the_lines_code_and_source_without_a_new_item(world, plan):
    year = _year(plan)
    item = execution_service.budget_project(world.planner, plan.id, 3, year, "250000")
    preview = service.preview(
        world.planner,
        plan.id,
        year,
        csv_bytes([HEADER, ["00241-5500-0009", "จัดซื้อรถบรรทุกขยะ", "250,000", ""]]),
    )
    assert [(m.status, m.project_no) for m in preview.matches] == [("similar", 3)]
    outcome = service.confirm(world.planner, plan.id, year, preview.sha256, {2: "3"})
    assert (outcome.created, outcome.updated) == ([], [item.id])
    assert _items(plan.id, year) == {3: (Decimal("250000.00"), "00241-5500-0009", "ordinance")}
    # An ordinance amount that differs later is shown, not written: the amount moves by transfers.
    changed = csv_bytes([HEADER, ["00241-5500-0009", "จัดซื้อรถบรรทุกขยะ", "260,000", ""]])
    [match] = service.preview(world.planner, plan.id, year, changed).matches
    assert (match.status, match.item_amount) == ("budgeted", Decimal("250000.00"))


def test_a_tis620_csv_with_its_own_headers_is_read(world, plan):
    rows = [
        ["รหัส", "รายการ", "งบประมาณ (บาท)", "แหล่งเงิน"],
        ["00241-5320-0002", "อบรมส่งเสริมอาชีพสตรีตำบลหนองเลิง", "๔๕,๐๐๐", "จ่ายขาดเงินสะสม"],
        ["", "รวมทั้งสิ้น", "๔๕,๐๐๐", ""],
    ]
    lines = service.read_lines(csv_bytes(rows, "cp874"))
    assert [(ln.row, ln.code, ln.amount, ln.source) for ln in lines] == [
        (2, "00241-5320-0002", Decimal("45000.00"), "accumulated_funds")
    ]


def test_bad_rows_are_named_by_number_in_thai_and_nothing_is_written(world, plan, kept, client, login_as):
    year = _year(plan)
    rows = [
        HEADER,
        LINES[0],
        ["00241-5320-0002", "อบรมอาชีพ", "สี่หมื่น", ""],
        ["", "โครงการไม่มีรหัส", "1,000", ""],
        ["00241-5400-0003", "ค่าวัสดุ", "1,000", "เงินกู้"],
    ]
    with pytest.raises(service.OrdinanceFileRefused) as refused:
        service.read_lines(csv_bytes(rows))
    assert refused.value.details["problems"] == [(3, "bad_amount"), (4, "no_code"), (5, "bad_source")]

    before = (_items(plan.id, year), _events())
    login_as(world.planner)
    response = client.post(
        f"/execution/plans/{plan.id}/ordinance?year={year}",
        data={"file": (io.BytesIO(csv_bytes(rows)), "ordinance.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "แถวที่ 3: จำนวนเงินไม่ใช่จำนวนเงินบาทที่มากกว่า 0" in page
    assert "แถวที่ 4: รายการนี้ไม่มีรหัสงบประมาณ" in page
    assert "แถวที่ 5: แหล่งงบประมาณไม่ตรงกับแหล่งงบประมาณที่กำหนดไว้" in page
    assert (_items(plan.id, year), _events()) == before
    assert not kept.exists() or not any(kept.iterdir())


def test_the_zero_budget_rule_refuses_the_whole_confirmation(world, plan, db):
    year = _year(plan)
    record = db.session.scalar(
        select(ProjectRecord).where(ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 4)
    )
    record.budget_2 = Decimal("0.00")
    db.session.commit()
    preview = service.preview(world.planner, plan.id, year, csv_bytes([HEADER, *LINES]))
    before = (_items(plan.id, year), _events())
    with pytest.raises(execution_service.ZeroPlanBudget):
        service.confirm(world.planner, plan.id, year, preview.sha256, {2: "1", 3: "2", 4: "4"})
    assert (_items(plan.id, year), _events()) == before


def test_only_the_laos_planners_import(world, plan, client, login_as):
    year = _year(plan)
    data = csv_bytes([HEADER, *LINES])
    with pytest.raises(PermissionDenied):
        service.preview(world.executive, plan.id, year, data)
    sha = service.preview(world.planner, plan.id, year, data).sha256
    with pytest.raises(PermissionDenied):
        service.confirm(world.executive, plan.id, year, sha, {2: "1"})
    before = (_items(plan.id, year), _events())
    for person, status in ((world.executive, 403), (world.district_officer, 403), (world.planner_x, 404)):
        login_as(person)
        assert client.get(f"/execution/plans/{plan.id}/ordinance?year={year}").status_code == status
        response = client.post(
            f"/execution/plans/{plan.id}/ordinance?year={year}",
            data={"file": (io.BytesIO(data), "ordinance.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == status
        response = client.post(
            f"/execution/plans/{plan.id}/ordinance/confirm?year={year}", data={"sha256": sha, "row-2": "1"}
        )
        assert response.status_code == status
    assert (_items(plan.id, year), _events()) == before


def test_a_planner_imports_an_xlsx_through_the_pages(world, plan, client, login_as):
    year = _year(plan)
    login_as(world.planner)
    year_page = client.get(f"/execution/plans/{plan.id}?year={year}").get_data(as_text=True)
    assert "นำเข้าข้อบัญญัติงบประมาณ" in year_page
    upload = client.get(f"/execution/plans/{plan.id}/ordinance?year={year}")
    assert upload.status_code == 200
    assert "นำเข้าข้อบัญญัติงบประมาณ ปีงบประมาณ" in upload.get_data(as_text=True)

    rows = [HEADER] + [[code, name, amount.replace(",", ""), source] for code, name, amount, source in LINES]
    rows[1][2] = 1200000  # a number cell, as e-LAAS writes it
    response = client.post(
        f"/execution/plans/{plan.id}/ordinance?year={year}",
        data={"file": (io.BytesIO(xlsx_bytes(rows)), "ordinance.xlsx")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert "รหัส e-LAAS ตรงกับรายการเดิม" in page and "ชื่อใกล้เคียง: โปรดยืนยัน" in page
    assert "ไม่พบโครงการที่ตรงกัน" in page
    # A workbook saved again differs (its timestamp): take the token the page carries.
    sha = page.split('name="sha256" value="')[1].split('"')[0]
    # Rows 4 and 5 of the sheet's lines sit two rows lower (a title row and a blank row above).
    response = client.post(
        f"/execution/plans/{plan.id}/ordinance/confirm?year={year}",
        data={"sha256": sha, "row-4": "1", "row-5": "2", "row-6": "4", "row-7": service.NOT_IN_PLAN},
    )
    assert response.status_code == 303
    assert _items(plan.id, year) == {
        1: (Decimal("1200000.00"), "00241-5310-0001", "ordinance"),
        2: (Decimal("45000.00"), "00241-5320-0002", "ordinance"),
        4: (Decimal("120500.50"), "00241-5400-0003", "specific_subsidy"),
    }
    assert len(_marks(plan.id, year)) == 1
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "นำเข้าข้อบัญญัติงบประมาณแล้ว: ตั้งงบประมาณโครงการ 3 โครงการ" in done


def test_one_project_chosen_for_two_lines_is_refused_on_the_page(world, plan, client, login_as):
    year = _year(plan)
    data = csv_bytes([HEADER, *LINES])
    sha = service.preview(world.planner, plan.id, year, data).sha256
    login_as(world.planner)
    response = client.post(
        f"/execution/plans/{plan.id}/ordinance/confirm?year={year}",
        data={"sha256": sha, "row-2": "1", "row-3": "1"},
    )
    assert response.status_code == 422
    assert "เลือกโครงการในแผนโครงการเดียวกันให้กับรายการในข้อบัญญัติสองรายการ" in response.get_data(as_text=True)
    assert _items(plan.id, year) == {}


def test_a_damaged_workbook_is_refused_in_thai(world, plan, client, login_as):
    year = _year(plan)
    login_as(world.planner)
    damaged = xlsx_bytes([HEADER, *LINES])[:-200]  # a zip cut short
    response = client.post(
        f"/execution/plans/{plan.id}/ordinance?year={year}",
        data={"file": (io.BytesIO(damaged), "ordinance.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "อ่านไฟล์นี้เป็นไฟล์ CSV (UTF-8 หรือ TIS-620) หรือไฟล์ Excel ไม่ได้" in response.get_data(as_text=True)
    assert _items(plan.id, year) == {}


def test_the_forms_carry_their_csrf_token(csrf_app, tmp_path):
    """With CSRF on, as in production: the upload and confirm forms post their own tokens."""
    csrf_app.config["ORDINANCE_IMPORTS_DIR"] = str(tmp_path / "ordinance")
    with csrf_app.app_context():
        world = factories.build_world()
        plan = make_plan(world)
        plan_id, year = plan.id, _year(plan)
        _db.session.remove()
    client = csrf_app.test_client()

    login = client.get("/auth/login").get_data(as_text=True)
    client.post(
        "/auth/login", data={"username": "a_planner", "password": "pw", "csrf_token": csrf_token_in(login)}
    )
    upload = client.get(f"/execution/plans/{plan_id}/ordinance?year={year}").get_data(as_text=True)
    data = csv_bytes([HEADER, LINES[0]])
    refused = client.post(
        f"/execution/plans/{plan_id}/ordinance?year={year}",
        data={"file": (io.BytesIO(data), "o.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    preview = client.post(
        f"/execution/plans/{plan_id}/ordinance?year={year}",
        data={"csrf_token": csrf_token_in(upload), "file": (io.BytesIO(data), "o.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    sha = preview.split('name="sha256" value="')[1].split('"')[0]
    done = client.post(
        f"/execution/plans/{plan_id}/ordinance/confirm?year={year}",
        data={"csrf_token": csrf_token_in(preview), "sha256": sha, "row-2": "1"},
    )
    assert done.status_code == 303
    with csrf_app.app_context():
        try:
            assert _items(plan_id, year) == {1: (Decimal("1200000.00"), "00241-5310-0001", "ordinance")}
        finally:
            _db.session.remove()

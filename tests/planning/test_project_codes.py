"""A plan project's optional e-LAAS budget code (issue 14, item 4): checked by the execution rules'
format wherever a project's values are written (drafting, revisions, the plan import), shown on the
project page, carried from version to version, and in the API's project JSON. On real PostgreSQL."""

from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from eplan_flow.extensions import db as _db
from eplan_flow.models import ProjectRecord
from eplan_flow.services.delivery import execution
from eplan_flow.services.identity import accounts
from eplan_flow.services.planning import plan_import, projects, revisions
from eplan_flow.services.platform import engine
from tests.conftest import make_app
from tests.factories import catalogues as catalogue_factories
from tests.factories import plans as pf
from tests.factories import workbooks as wb
from tests.factories.revisions import announced_plan

MEETING = {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"}


@pytest.fixture
def drafted(world, db):
    world.plan = pf.drafting_plan(world.sao_a, world.planner)
    world.strategy = pf.strategy(world.plan, 1, tactics=2)
    world.programme = pf.programme()
    return world


def _values(drafted, **overrides) -> dict:
    return pf.project_values(drafted.strategy, drafted.programme, **overrides)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("00241-5310-0001", "00241-5310-0001"),
        ("๐๐๒๔๑-๕๓๑๐-๐๐๐๑", "00241-5310-0001"),  # Thai digits read as 0-9
        ("  5310.1/2   A ", "5310.1/2 A"),  # spaces tidied
        ("", None),
        (None, None),
    ],
)
def test_a_code_is_optional_and_kept_in_the_e_laas_form(drafted, typed, kept):
    cleaned = projects.validate_project_values(drafted.plan, _values(drafted, elaas_budget_code=typed))
    assert cleaned["elaas_budget_code"] == kept


@pytest.mark.parametrize("typed", ["รหัสโครงการ", "-00241", "0" * 51, "00241_5310"])
def test_a_code_out_of_the_e_laas_format_is_refused_by_its_field(drafted, typed):
    with pytest.raises(projects.ElaasCodeRefused) as refused:
        projects.validate_project_values(drafted.plan, _values(drafted, elaas_budget_code=typed))
    assert refused.value.details["field"] == "elaas_budget_code"


def test_the_project_pages_edit_and_show_the_code_with_a_thai_refusal(drafted, client, login_as, db):
    pf.add_project(drafted.plan, drafted.planner, drafted.strategy, drafted.programme)
    login_as(drafted.planner)
    edit = client.get(f"/plans/{drafted.plan.id}/projects/1/edit").get_data(as_text=True)
    assert 'name="elaas_budget_code"' in edit and "รหัสงบประมาณ e-LAAS" in edit
    form = {
        "name": "โครงการขุดลอกคลองสาธารณะ",
        "objective": "เพื่อระบายน้ำ",
        "target": "ยาว 1 กิโลเมตร",
        "responsible_unit": "กองช่าง",
        "source": "own",
        "strategy_id": str(drafted.strategy.id),
        "tactic_id": "",
        "programme_id": str(drafted.programme.id),
        "budget_2566": "1,000.00",
    }
    refused = client.post(
        f"/plans/{drafted.plan.id}/projects/1/edit", data={**form, "elaas_budget_code": "รหัส ๑"}
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="e-elaas_budget_code"' in page
    assert "รหัสงบประมาณ e-LAAS ยาวได้ไม่เกิน 50 ตัวอักษร" in page
    saved = client.post(
        f"/plans/{drafted.plan.id}/projects/1/edit", data={**form, "elaas_budget_code": "๐๐๒๔๑-๕๓๑๐"}
    )
    assert saved.status_code == 303
    record = db.session.scalar(sa.select(ProjectRecord).where(ProjectRecord.plan_id == drafted.plan.id))
    assert record.elaas_budget_code == "00241-5310"
    shown = client.get(f"/plans/{drafted.plan.id}/projects/1").get_data(as_text=True)
    assert "00241-5310" in shown
    again = client.get(f"/plans/{drafted.plan.id}/projects/1/edit").get_data(as_text=True)
    assert 'value="00241-5310"' in again


def test_a_revision_change_records_the_code_and_later_versions_carry_it(world, db):
    plan = announced_plan(world.sao_a, world.planner, projects=3)
    draft = revisions.open_revision(world.planner, plan.id, reasons="รหัสงบประมาณ", necessity="จำเป็น")
    revisions.add_change(world.planner, draft.id, 2, {"elaas_budget_code": "00241-5310-0002"}, reason="รหัส")
    engine.fire("revision", draft.id, "submit", world.planner)
    engine.fire("revision", draft.id, "endorse", world.devcom_secretary, data=MEETING)
    engine.fire("revision", draft.id, "approve_by_council", world.council_secretary, data=MEETING)
    engine.fire("revision", draft.id, "approve_and_announce", world.executive)
    _, history = revisions.project_history(world.planner, plan.id, 2)
    assert [(e.record.valid_from, e.record.elaas_budget_code) for e in history] == [
        (1, None),
        (2, "00241-5310-0002"),
    ]
    # A later change of another column keeps the code.
    later = revisions.open_revision(world.planner, plan.id, reasons="ปรับเป้าหมาย", necessity="จำเป็น")
    revisions.add_change(world.planner, later.id, 2, {"target": "ยาว 2 กิโลเมตร"}, reason="ปรับ")
    engine.fire("revision", later.id, "submit", world.planner)
    engine.fire("revision", later.id, "endorse", world.devcom_secretary, data=MEETING)
    engine.fire("revision", later.id, "approve_by_council", world.council_secretary, data=MEETING)
    engine.fire("revision", later.id, "approve_and_announce", world.executive)
    current = db.session.scalar(
        sa.select(ProjectRecord).where(
            ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 2, ProjectRecord.valid_to.is_(None)
        )
    )
    assert (current.target, current.elaas_budget_code) == ("ยาว 2 กิโลเมตร", "00241-5310-0002")


def test_a_revision_refuses_a_bad_code(world, db):
    plan = announced_plan(world.sao_a, world.planner, projects=2)
    draft = revisions.open_revision(world.planner, plan.id, reasons="รหัส", necessity="จำเป็น")
    with pytest.raises(projects.ElaasCodeRefused):
        revisions.add_change(world.planner, draft.id, 1, {"elaas_budget_code": "ไม่ใช่รหัส"}, reason="รหัส")


def _with_codes(data: bytes, codes: dict[str, object]) -> bytes:
    """The simple-layout workbook with a code column after its last one (project name -> code)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["ผ02"]
    column = sheet.max_column + 1
    sheet.cell(1, column, "รหัสงบประมาณ (e-LAAS)")
    for row in sheet.iter_rows(min_row=2):
        name = row[1].value
        if name in codes:
            sheet.cell(row[0].row, column, codes[name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_plan_import_reads_a_code_column_when_the_workbook_has_one(world, db):
    catalogue_factories.load(include_demo=False)
    own = wb.projects(3, per_programme=2)
    data = _with_codes(
        wb.workbook(own, layout="simple"), {own[0].name: "๐๐๒๔๑-๕๓๑๐-๐๐๐๑", own[2].name: "00241-5400-0003"}
    )
    outcome = plan_import.import_plan(
        world.planner, world.sao_a.id, data, period_start_be=2566, file_name="แผน.xlsx"
    )
    assert outcome.written and not outcome.problems
    codes = dict(
        db.session.execute(
            sa.select(ProjectRecord.name, ProjectRecord.elaas_budget_code).where(
                ProjectRecord.plan_id == outcome.plan_id
            )
        ).all()
    )
    assert codes == {own[0].name: "00241-5310-0001", own[1].name: None, own[2].name: "00241-5400-0003"}


def test_the_plan_import_names_a_bad_or_repeated_code_by_row_and_writes_nothing(world, db):
    catalogue_factories.load(include_demo=False)
    own = wb.projects(3, per_programme=2)
    data = _with_codes(
        wb.workbook(own, layout="simple"),
        {own[0].name: "รหัสผิด", own[1].name: "00241-1", own[2].name: "00241-1"},
    )
    with pytest.raises(plan_import.WorkbookRefused) as refused:
        plan_import.import_plan(
            world.planner, world.sao_a.id, data, period_start_be=2566, file_name="แผน.xlsx"
        )
    problems = refused.value.problems
    rows = [wb.find_row(data, "ผ02", p.name) for p in own]
    assert sorted((p.code, p.row) for p in problems) == [("bad_code", rows[0]), ("duplicate_code", rows[2])]
    messages = " ".join(p.message for p in problems)
    assert "ไม่ตรงตามรูปแบบของ e-LAAS" in messages and "ซ้ำกับโครงการอื่น" in messages
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProjectRecord)) == 0


@pytest.fixture
def api(app):
    served = make_app()
    yield served.test_client()
    with served.app_context():
        _db.engine.dispose()


def test_the_api_project_json_carries_the_code(world, db, api):
    plan = announced_plan(world.sao_a, world.planner, projects=2, period_start_be=2566)
    record = db.session.scalar(
        sa.select(ProjectRecord).where(ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 1)
    )
    record.elaas_budget_code = "00241-5310-0001"
    db.session.commit()
    execution.budget_project(world.planner, plan.id, 1, 2569, "1000.00")
    token = accounts.create_token(world.planner.username, "project code tests")
    response = api.get(
        f"/api/v1/laos/{world.sao_a.id}/emenscr?year=2569", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    found = {p["project_no"]: p for p in response.get_json()["projects"]}
    assert found[1]["elaas_budget_code"] == "00241-5310-0001"
    assert found[2]["elaas_budget_code"] is None


def test_the_revision_page_offers_the_code_to_additions_and_changes_only(world, db, client, login_as):
    plan = announced_plan(world.sao_a, world.planner, projects=2)
    draft = revisions.open_revision(world.planner, plan.id, reasons="รหัส", necessity="จำเป็น")
    login_as(world.planner)
    page = client.get(f"/revisions/{draft.id}").get_data(as_text=True)
    assert 'name="addition-elaas_budget_code"' in page and 'name="change-elaas_budget_code"' in page
    # A correction (แก้ไข) keeps to its rule data's fields.
    assert 'name="correction-elaas_budget_code"' not in page

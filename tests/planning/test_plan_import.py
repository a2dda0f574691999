"""Importing a plan from an LAO's Excel workbook: good, messy and broken workbooks, re-import,
draft or announced, who may, and that a 2,000-project import never blocks another LAO.

Every workbook is made here (tests/factories/workbooks.py): no real LAO's file is read.
"""

from __future__ import annotations

import io
import threading
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from eplan_flow.errors import NotFound, PermissionDenied
from eplan_flow.extensions import db as _db
from eplan_flow.models import (
    AuditEvent,
    LaoStrategy,
    Plan,
    PlanImport,
    PlanVersion,
    ProjectRecord,
    Tactic,
    User,
)
from eplan_flow.services.planning import plan_import, plans
from eplan_flow.services.platform import engine
from eplan_flow.services.platform.unit_of_work import transaction
from tests.conftest import make_app
from tests.factories import catalogues as catalogue_factories
from tests.factories import plans as pf
from tests.factories import workbooks as wb


@pytest.fixture
def scene(world, db):
    catalogue_factories.load(include_demo=False)
    return world


def _counts(db) -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Plan, LaoStrategy, Tactic, ProjectRecord, PlanImport, PlanVersion, AuditEvent)
    )


def _records(db, plan_id: int) -> list[ProjectRecord]:
    return list(
        db.session.scalars(
            sa.select(ProjectRecord)
            .where(ProjectRecord.plan_id == plan_id)
            .order_by(ProjectRecord.project_no)
        )
    )


def _import(actor, org, data, **options):
    options.setdefault("period_start_be", 2566)
    options.setdefault("file_name", "แผนพัฒนา.xlsx")
    return plan_import.import_plan(actor, org.id, data, **options)


def test_a_workbook_in_the_official_layout_becomes_a_draft_plan_with_its_strategies_and_projects(scene, db):
    own = wb.projects(6, per_programme=2)
    own[0].more_objective = ("และเพื่อความปลอดภัยในชีวิตและทรัพย์สิน",)
    community = [wb.Project(name="โครงการขุดลอกลำห้วยตามแผนชุมชน", budgets=[0, 0, Decimal("80000"), 0, 0])]
    data = wb.workbook(own, community)

    outcome = _import(scene.planner, scene.sao_a, data)

    assert outcome.written and not outcome.problems
    plan = db.session.get(Plan, outcome.plan_id)
    assert (plan.status, plan.current_version, plan.period_start_be) == ("drafting", 0, 2566)
    strategies = db.session.scalars(
        sa.select(LaoStrategy).where(LaoStrategy.plan_id == plan.id).order_by(LaoStrategy.number)
    ).all()
    assert [(s.number, s.name) for s in strategies] == [
        (1, "การพัฒนาด้านโครงสร้างพื้นฐาน"),
        (2, "การพัฒนาด้านการศึกษา ศาสนาและวัฒนธรรม"),
        (3, "การพัฒนาด้านสาธารณสุขและคุณภาพชีวิต"),
    ]
    records = _records(db, plan.id)
    assert len(records) == 7
    first = records[0]
    assert first.name == own[0].name and first.source == "own"
    assert first.objective == "เพื่อให้ประชาชนสัญจรได้สะดวก\nและเพื่อความปลอดภัยในชีวิตและทรัพย์สิน"
    assert first.programme.name_th == "อุตสาหกรรมและการโยธา"
    assert first.budgets == [Decimal("100000.00"), 0, 0, 0, Decimal("99.50")]
    assert (first.kpi, first.expected_result, first.responsible_unit) == (
        "ร้อยละ 80 ของประชาชนพึงพอใจ",
        "ประชาชนสัญจรสะดวกและปลอดภัย",
        "กองช่าง",
    )
    assert records[2].programme.name_th == "การศึกษา" and records[2].strategy.number == 2
    assert records[6].source == "community" and records[6].budgets[2] == Decimal("80000.00")
    row = db.session.scalars(sa.select(PlanImport)).one()
    assert (row.plan_id, row.file_sha256, row.mode, row.projects, row.imported_by_id) == (
        plan.id,
        plan_import.file_digest(data),
        "draft",
        7,
        scene.planner.id,
    )
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "import_plan"))
    assert event.chain == f"plan-content:{plan.id}" and event.actor_id == scene.planner.id
    assert event.data["file_sha256"] == row.file_sha256 and event.data["projects"] == 7
    # The imported draft is drafted on like any other: a planner adds a project by hand.
    added = plans.add_project(
        scene.planner, plan.id, pf.project_values(strategies[0], first.programme, tactic_id=None)
    )
    assert added.project_no == 8


def test_a_hand_typed_layout_with_tactics_and_one_header_row_imports_the_same_way(scene, db):
    own = wb.projects(4, per_programme=2)
    own[0].tactic = 1
    outcome = _import(scene.planner, scene.sao_a, wb.workbook(own, own[:1], layout="simple", style="text"))
    records = _records(db, outcome.plan_id)
    assert [r.source for r in records] == ["own"] * 4 + ["community"]
    assert records[0].tactic is not None and records[0].tactic.name == "ปรับปรุงเส้นทางคมนาคม"
    assert records[0].tactic.strategy_id == records[0].strategy_id
    assert [r.budgets[0] for r in records[:4]] == [Decimal(100000 + n) for n in range(4)]


@pytest.mark.parametrize("style", ["text", "thai", "baht"])
def test_amounts_with_commas_thai_digits_and_dashes_spacer_rows_and_merged_cells_are_read(scene, db, style):
    own = wb.projects(3, per_programme=3)
    own[1].budgets = [Decimal("1234567.25"), 0, Decimal("1500000"), 0, Decimal("0.50")]
    data = wb.workbook(own, layout="official", style=style, spacers=True)
    # The responsible unit typed once in a cell merged down over the three projects.
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["ผ.02"]
    first = wb.find_row(data, "ผ.02", own[0].name)
    rows = [first, first + 2, first + 4]  # a spacer row after each project
    for row in rows[1:]:
        sheet.cell(row, 12).value = None
    sheet.merge_cells(start_row=rows[0], start_column=12, end_row=rows[-1], end_column=12)
    out = io.BytesIO()
    book.save(out)

    outcome = _import(scene.planner, scene.sao_a, out.getvalue())

    records = _records(db, outcome.plan_id)
    assert len(records) == 3
    assert records[1].budgets == [Decimal("1234567.25"), 0, Decimal("1500000.00"), 0, Decimal("0.50")]
    assert [r.responsible_unit for r in records] == ["กองช่าง"] * 3


def test_a_project_s_own_text_is_never_taken_for_a_header_or_a_total_line(scene, db):
    own = wb.projects(3, per_programme=3)
    own[0].name = "โครงการ"
    own[0].objective = "วัตถุประสงค์ เพื่อพัฒนาถนนในหมู่บ้านให้ได้มาตรฐาน"
    own[0].more_objective = ("รวมถึงการบำรุงรักษาเส้นทางเดิม",)
    own[1].name = "โครงการรวมพลังชุมชนสะอาด"
    outcome = _import(scene.planner, scene.sao_a, wb.workbook(own, layout="simple"), dry_run=True)
    assert not outcome.problems
    parsed = outcome.parsed.projects
    assert [p.values["name"] for p in parsed] == [p.name for p in own]
    assert parsed[0].values["objective"] == (
        "วัตถุประสงค์ เพื่อพัฒนาถนนในหมู่บ้านให้ได้มาตรฐาน\nรวมถึงการบำรุงรักษาเส้นทางเดิม"
    )


def test_broken_rows_are_each_named_by_sheet_and_row_and_nothing_is_written(scene, db):
    own = wb.projects(4, per_programme=4)
    data = wb.workbook(own, own[:1])
    second = wb.find_row(data, "ผ.02", own[1].name)
    third = wb.find_row(data, "ผ.02", own[2].name)
    data = wb.edit(data, "ผ.02", f"F{second}", "๑๒o,๐๐๐")  # a letter o for a zero
    data = wb.edit(data, "ผ.02", f"C{third}", None)  # no objective
    data = wb.edit(data, "ผ.02", f"I{third}", -5000)
    heading = wb.find_row(data, "ผ.02-1", "1.1 แผนงานอุตสาหกรรมและการโยธา")
    data = wb.edit(data, "ผ.02-1", f"A{heading}", "1.1 แผนงานก่อสร้างถนน")
    before = _counts(db)

    with pytest.raises(plan_import.WorkbookRefused) as refused:
        _import(scene.planner, scene.sao_a, data)

    found = {(p.sheet, p.row, p.code) for p in refused.value.problems}
    assert found == {
        ("ผ.02", second, "bad_amount"),
        ("ผ.02", third, "missing_value"),
        ("ผ.02", third, "negative_amount"),
        ("ผ.02-1", heading, "unknown_programme"),
    }
    lines = [plan_import.describe(p) for p in refused.value.problems]
    assert f'แผ่นงาน ผ.02 แถวที่ {second}: งบประมาณปี 2567 "๑๒o,๐๐๐" ไม่ใช่จำนวนเงินบาท' in lines
    assert f"แผ่นงาน ผ.02 แถวที่ {third}: คอลัมน์ วัตถุประสงค์ ว่าง" in lines
    assert _counts(db) == before
    # A dry run reports the same problems and writes nothing either.
    dry = _import(scene.planner, scene.sao_a, data, dry_run=True)
    assert {(p.sheet, p.row, p.code) for p in dry.problems} == found and not dry.written
    assert _counts(db) == before


def test_rows_outside_any_heading_and_sheets_without_the_columns_are_refused(scene, db):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "ผ.02"
    sheet.append(["ที่", "โครงการ", "วัตถุประสงค์", "เป้าหมาย", "งบประมาณ 2566", "ตัวชี้วัด", "หน่วยงาน"])
    sheet.append([1, "โครงการไร้หัวข้อ", "เพื่อทดสอบ", "1 แห่ง", "1,000", "-", "สำนักปลัด"])
    out = io.BytesIO()
    book.save(out)
    outcome = _import(scene.planner, scene.sao_a, out.getvalue(), dry_run=True)
    codes = {(p.sheet, p.row, p.code) for p in outcome.problems}
    assert codes == {("ผ.02", 1, "missing_columns")}
    sheet["G1"] = "หน่วยงานรับผิดชอบหลัก"
    book.save(out := io.BytesIO())
    outcome = _import(scene.planner, scene.sao_a, out.getvalue(), dry_run=True)
    assert {(p.sheet, p.row, p.code) for p in outcome.problems} == {
        ("ผ.02", 2, "no_strategy"),
        ("ผ.02", 2, "no_programme"),
    }
    assert _import(scene.planner, scene.sao_a, b"not a workbook", dry_run=True).problems[0].code == (
        "not_a_workbook"
    )


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_read(scene, db, monkeypatch):
    data = wb.workbook(wb.projects(2))
    monkeypatch.setattr(plan_import, "MAX_UNPACKED_BYTES", 10_000)
    outcome = _import(scene.planner, scene.sao_a, data, dry_run=True)
    assert [p.code for p in outcome.problems] == ["file_too_large"] and not outcome.parsed.sheets


def test_importing_the_same_file_twice_changes_nothing_and_another_file_cannot_replace_the_plan(scene, db):
    data = wb.workbook(wb.projects(5))
    first = _import(scene.planner, scene.sao_a, data)
    before = _counts(db)

    again = _import(scene.planner, scene.sao_a, data)

    assert again.already_imported and not again.written and again.plan_id == first.plan_id
    assert _counts(db) == before
    other = wb.workbook(wb.projects(6))
    with pytest.raises(plan_import.WorkbookRefused) as refused:
        _import(scene.planner, scene.sao_a, other)
    assert [p.code for p in refused.value.problems] == ["plan_exists"]
    assert _counts(db) == before
    # The same file is another LAO's import all the same.
    assert _import(scene.town_planner, scene.town_b, data).written


def test_an_announced_import_is_version_1_in_force_since_its_announcement_day_with_who_imported_which_file(
    scene, db
):
    data = wb.workbook(wb.projects(3))
    outcome = _import(scene.planner, scene.sao_a, data, mode="announced", announced_on="15/10/2565")

    plan = db.session.get(Plan, outcome.plan_id)
    assert (plan.status, plan.current_version) == ("announced", 1)
    (version,) = plans.versions_of(plan.id)
    assert (
        version.number == 1 and version.announced_at.date().isoformat() == "2022-10-14"
    )  # UTC of Bangkok midnight
    assert plan.announced_at == version.announced_at
    assert db.session.scalars(sa.select(PlanImport)).one().announced_on == date(2022, 10, 15)
    history = engine.history(plan)
    assert [e.action for e in history] == ["create", "import_announced"]
    event = history[-1]
    assert (event.actor_id, event.from_state, event.to_state) == (scene.planner.id, "drafting", "announced")
    assert event.data["file_sha256"] == plan_import.file_digest(data)
    assert event.data["announced_on"] == "2022-10-15"
    # The plan in force is revised like any announced plan, and its draft cannot be edited directly.
    assert not plans.can_draft(scene.planner, plan)


def test_an_announced_import_needs_its_announcement_day(scene, db):
    data = wb.workbook(wb.projects(2))
    before = _counts(db)
    for day, code in (("", "announced_on_missing"), ("31/02/2565", "announced_on_refused")):
        with pytest.raises(plan_import.WorkbookRefused) as refused:
            _import(scene.planner, scene.sao_a, data, mode="announced", announced_on=day)
        assert [p.code for p in refused.value.problems] == [code]
    assert _counts(db) == before


def test_only_the_lao_s_planners_import_its_plan(scene, db):
    data = wb.workbook(wb.projects(2))
    before = _counts(db)
    for person in (scene.support_secretary, scene.executive, scene.district_officer):
        with pytest.raises(PermissionDenied):
            _import(person, scene.sao_a, data)
    for person in (scene.planner_x, scene.planner_c):
        with pytest.raises(NotFound):
            _import(person, scene.sao_a, data)
    assert _counts(db) == before


def test_the_blank_template_reads_back_as_an_empty_plan_and_imports_once_filled(scene, db):
    template = plan_import.blank_template(2566, scene.sao_a.display_name)
    assert [p.code for p in plan_import.read_workbook(template, 2566).problems] == ["no_projects"]
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["ผ.02"]
    assert [c.value for c in sheet[6]][:4] == ["ที่", "โครงการ", "วัตถุประสงค์", "เป้าหมาย\n(ผลผลิตของโครงการ)"]
    assert [c.value for c in sheet[7]][4:9] == [f"{y}\n(บาท)" for y in range(2566, 2571)]
    sheet["A4"] = "ยุทธศาสตร์ที่ 1 การพัฒนาด้านโครงสร้างพื้นฐาน"
    sheet["A5"] = "1.1 แผนงานเคหะและชุมชน"
    for col, value in enumerate(
        [
            1,
            "โครงการติดตั้งไฟฟ้าส่องสว่าง",
            "เพื่อความปลอดภัย",
            "10 จุด",
            "๒๐๐,๐๐๐",
            "-",
            None,
            None,
            None,
            "ร้อยละ 90",
            "ถนนสว่าง",
            "กองช่าง",
        ],
        start=1,
    ):
        sheet.cell(8, col, value)
    book.save(out := io.BytesIO())
    outcome = _import(scene.planner, scene.sao_a, out.getvalue())
    (record,) = _records(db, outcome.plan_id)
    assert record.budgets[0] == Decimal("200000.00") and record.programme.name_th == "เคหะและชุมชน"


def test_the_command_imports_dry_runs_and_names_broken_rows(scene, app, db, tmp_path):
    own = wb.projects(3)
    good = tmp_path / "plan.xlsx"
    good.write_bytes(wb.workbook(own))
    broken = tmp_path / "broken.xlsx"
    row = wb.find_row(good.read_bytes(), "ผ.02", own[1].name)
    broken.write_bytes(wb.edit(good.read_bytes(), "ผ.02", f"E{row}", "หนึ่งแสน"))
    runner = app.test_cli_runner()
    base = ["eplan", "import-plan", "--lao", scene.sao_a.code, "--period", "2566-2570"]

    result = runner.invoke(args=[*base[:2], str(broken), *base[2:]])
    assert result.exit_code == 1
    assert f'แผ่นงาน ผ.02 แถวที่ {row}: งบประมาณปี 2566 "หนึ่งแสน" ไม่ใช่จำนวนเงินบาท' in result.stderr
    assert "nothing was written" in result.stderr
    dry = runner.invoke(args=[*base[:2], str(good), *base[2:], "--dry-run"])
    assert dry.exit_code == 0 and "3 projects" in dry.output and "nothing was written" in dry.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0

    done = runner.invoke(args=[*base[:2], str(good), *base[2:], "--announced-on", "01/11/2565"])
    assert done.exit_code == 0, done.stderr
    plan = db.session.scalars(sa.select(Plan)).one()
    assert (plan.status, len(_records(db, plan.id))) == ("announced", 3)
    assert db.session.scalars(sa.select(PlanImport)).one().imported_by_id is None
    again = runner.invoke(args=[*base[:2], str(good), *base[2:], "--announced-on", "01/11/2565"])
    assert again.exit_code == 0 and "nothing changed" in again.output


@pytest.fixture
def two_connections(app):
    """An app on the same database with room for a second thread's connection."""
    other = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 3, "max_overflow": 0})
    yield other
    with other.app_context():
        _db.engine.dispose()


@pytest.mark.real_commits
def test_a_2000_project_import_holds_no_lock_that_blocks_another_lao(scene, db, two_connections):
    """While one LAO's 2,000-project import is inside its transaction, another LAO creates its plan,
    drafts a project, moves its workflow and imports its own workbook, with a lock timeout of 2 s."""
    big = wb.workbook(wb.projects(2000))
    small = wb.workbook(wb.projects(3))
    pf.programme()
    inside, release = threading.Event(), threading.Event()
    outcome: dict = {}
    planner_id, lao_id = scene.planner.id, scene.sao_a.id

    def long_import() -> None:
        with two_connections.app_context():
            try:
                with transaction():
                    actor = _db.session.get(User, planner_id)
                    outcome["result"] = plan_import.import_plan(
                        actor, lao_id, big, period_start_be=2566, file_name="big.xlsx"
                    )
                    inside.set()
                    release.wait(60)
            except Exception as exc:  # asserted below
                outcome["error"] = exc
                inside.set()
            finally:
                _db.session.remove()

    worker = threading.Thread(target=long_import)
    worker.start()
    try:
        assert inside.wait(120), "the import never reached its commit"
        assert "error" not in outcome, outcome
        db.session.execute(sa.text("SET lock_timeout = '2s'"))
        other = pf.drafting_plan(scene.town_b, scene.town_planner)
        strategy = pf.strategy(other, 1)
        pf.add_project(other, scene.town_planner, strategy, pf.programme())
        engine.fire("plan", other.id, "submit_to_committee", scene.town_planner)
        third = _import(scene.planner_c, scene.sao_c, small)
        assert third.written
        # Nothing of the import shows before it commits.
        assert not db.session.scalar(
            sa.select(sa.func.count()).select_from(Plan).where(Plan.organisation_id == lao_id)
        )
    finally:
        release.set()
        worker.join(120)
    assert "error" not in outcome, outcome
    db.session.expire_all()
    plan_id = outcome["result"].plan_id
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(ProjectRecord).where(ProjectRecord.plan_id == plan_id)
        )
        == 2000
    )

"""The official forms as Excel workbooks, read back with openpyxl: Thai text intact, money as numbers
formatted #,##0.00, frozen column heads, the HTML pages' totals, and no formula from typed text."""

from __future__ import annotations

import gc
import io
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell

from eplan_flow.errors import NotFound
from eplan_flow.extensions import db as _db
from eplan_flow.models import PlanVersion, ProjectRecord
from eplan_flow.services.delivery import evaluation
from eplan_flow.services.documents import spreadsheets
from eplan_flow.services.planning import reports
from eplan_flow.services.platform import engine
from tests.factories import plans as pf
from tests.factories import results as rf
from tests.factories import revisions as rvf

CENT = Decimal("0.01")
FORMULA_LIKE = {
    "name": '=HYPERLINK("http://evil.example","คลิก")',
    "objective": "+cmd|' /C calc'!A0",
    "target": "-2+3 ถนนลาดยาง",
    "kpi": "@SUM(A1:A2)",
}


def _book(data: bytes):
    assert data[:2] == b"PK"  # a zip: an xlsx
    return load_workbook(io.BytesIO(data))


def _values(sheet) -> list[list]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _row_starting(sheet, text: str) -> tuple[Cell, ...]:
    return next(
        row for row in sheet.iter_rows() if isinstance(row[0].value, str) and row[0].value.startswith(text)
    )


def _line(sheet, no: int = 1) -> tuple[Cell, ...]:
    """The first project line numbered ``no``."""
    return next(row for row in sheet.iter_rows() if row[0].value == no)


def _rows_starting(sheet, text: str) -> list[tuple[Cell, ...]]:
    return [
        row for row in sheet.iter_rows() if isinstance(row[0].value, str) and row[0].value.startswith(text)
    ]


def _dec(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _baht(value) -> str:
    return f"{Decimal(value):,.2f}"


def _texts(sheet) -> str:
    return "\n".join(str(v) for row in _values(sheet) for v in row if v is not None)


def _assert_money(cells) -> None:
    for cell in cells:
        assert cell.data_type == "n" and isinstance(cell.value, (int, float)), cell.coordinate
        assert cell.number_format == "#,##0.00", cell.coordinate


def _head_row(sheet) -> int:
    """The last row of column heads: the one right above the frozen pane."""
    assert sheet.freeze_panes, f"{sheet.title} has no frozen heads"
    return sheet[sheet.freeze_panes].row - 1


@pytest.fixture
def scene(world, db):
    """sao_a's drafting plan: two linked strategies, own, community, ผ.02/2 and equipment projects,
    one of them typed to look like formulas."""
    w = world
    w.plan = pf.drafting_plan(w.sao_a, w.planner)
    w.s1 = pf.strategy(w.plan, 1, "ยุทธศาสตร์การพัฒนาด้านโครงสร้างพื้นฐาน")
    w.s2 = pf.strategy(w.plan, 2, "ยุทธศาสตร์การพัฒนาคุณภาพชีวิต", tactics=0)
    w.s1.links = [
        pf.catalogue_item("national_strategy", "2", "การสร้างความสามารถในการแข่งขัน"),
        pf.catalogue_item("nesdp_milestone", "9", "ไทยมีความยากจนข้ามรุ่นลดลง"),
        pf.catalogue_item("provincial_strategy", "1", "ยุทธศาสตร์จังหวัดบึงกาฬที่ 1", scope="38"),
        pf.catalogue_item("province_lao_strategy", "3", "การพัฒนาโครงสร้างพื้นฐาน", scope="38"),
    ]
    _db.session.commit()
    w.works, w.general = pf.programme(), pf.general_programme()
    add = pf.add_project
    add(w.plan, w.planner, w.s1, w.works)  # 500,000.00 / 0 / 250,000.50 / 0 / 100.25
    add(
        w.plan,
        w.planner,
        w.s1,
        w.works,
        budgets={2567: "1234567.89"},
        responsible_unit="กองคลัง",
        **FORMULA_LIKE,
    )
    add(w.plan, w.planner, w.s2, w.general, name="โครงการอบรมอาสาสมัคร", budgets={2566: "0.10", 2567: "0.20"})
    add(
        w.plan,
        w.planner,
        w.s2,
        w.general,
        name="โครงการประปาหมู่บ้าน",
        source="community",
        budgets={2569: "5.00"},
    )
    add(
        w.plan,
        w.planner,
        w.s2,
        w.works,
        name="ถนนเชื่อมตำบล",
        source="beyond_capacity",
        budgets={2570: "999.99"},
    )
    add(
        w.plan,
        w.planner,
        w.s1,
        w.works,
        name="ครุภัณฑ์",
        source="equipment",
        target="รถขุดตีนตะขาบ 1 คัน",
        equipment_category="ครุภัณฑ์ก่อสร้าง",
        equipment_type="รถขุด",
        unit="คัน",
        budgets={2567: "12345.67"},
    )
    return w


def test_the_p02_reads_back_in_thai_with_its_preamble_heads_and_frozen_column_heads(scene):
    sheet = _book(spreadsheets.p02_xlsx(scene.plan, 1, "own"))["ผ.02"]
    text = _texts(sheet)
    assert "แบบ ผ.02" in text and "รายละเอียดโครงการพัฒนา" in text
    assert "แผนพัฒนาท้องถิ่น (พ.ศ. 2566–2570)" in text
    assert "อบต.หนองเลิง อำเภอเมืองบึงกาฬ จังหวัดบึงกาฬ" in text
    # The linkage preamble real sheets carry, ก. to จ., before the strategy's projects.
    # Strategy 2 links to nothing: its preamble says so rather than borrowing strategy 1's.
    assert [row[0].value for row in _rows_starting(sheet, "ก.")] == [
        "ก. ยุทธศาสตร์ชาติ: 2 การสร้างความสามารถในการแข่งขัน",
        "ก. ยุทธศาสตร์ชาติ: –",
    ]
    assert _row_starting(sheet, "ข.")[0].value.endswith("9 ไทยมีความยากจนข้ามรุ่นลดลง")
    assert _row_starting(sheet, "ค.")[0].value == "ค. ยุทธศาสตร์จังหวัด: 1 ยุทธศาสตร์จังหวัดบึงกาฬที่ 1"
    assert _row_starting(sheet, "ง.")[0].value.endswith("3 การพัฒนาโครงสร้างพื้นฐาน")
    assert [r[0].value for r in _rows_starting(sheet, "จ.")] == [
        "จ. ยุทธศาสตร์การพัฒนาของ อปท. ที่ 1 ยุทธศาสตร์การพัฒนาด้านโครงสร้างพื้นฐาน",
        "จ. ยุทธศาสตร์การพัฒนาของ อปท. ที่ 2 ยุทธศาสตร์การพัฒนาคุณภาพชีวิต",
    ]
    head = _head_row(sheet)
    assert sheet.freeze_panes == f"A{head + 1}"
    assert [c.value for c in sheet[head - 1]][:4] == [
        "ที่",
        "โครงการ",
        "วัตถุประสงค์",
        "เป้าหมาย (ผลผลิตของโครงการ)",
    ]
    assert sheet.cell(head - 1, 5).value == "งบประมาณ"
    assert [c.value for c in sheet[head]][4:9] == [f"{y} (บาท)" for y in range(2566, 2571)]
    assert [c.value for c in sheet[head - 1]][9:] == ["ตัวชี้วัด (KPI)", "ผลที่คาดว่าจะได้รับ", "หน่วยงานรับผิดชอบหลัก"]
    assert "E{0}:I{0}".format(head - 1) in {str(r) for r in sheet.merged_cells.ranges}
    road = _line(sheet)  # the first project line of the first แผนงาน
    assert road[1].value == "โครงการก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ 3"
    assert road[9].value == "ร้อยละ 80 ของประชาชนพึงพอใจ" and road[11].value == "กองช่าง"
    _assert_money(road[4:9])
    assert [_dec(c.value) for c in road[4:9]] == [
        _dec(v) for v in ("500000", "0", "250000.50", "0", "100.25")
    ]


def test_text_typed_like_a_formula_stays_text(scene):
    sheet = _book(spreadsheets.p02_xlsx(scene.plan, 1, "own"))["ผ.02"]
    row = next(r for r in sheet.iter_rows() if r[1].value and "HYPERLINK" in str(r[1].value))
    for cell, typed in zip(row[1:4], ("name", "objective", "target")):
        assert cell.data_type == "s" and cell.value == "'" + FORMULA_LIKE[typed]
    assert row[9].value == "'" + FORMULA_LIKE["kpi"] and row[9].data_type == "s"
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


def test_the_p02_totals_are_the_pages(scene, client, login_as):
    login_as(scene.planner)
    for source, code in reports.P02_FORMS.items():
        sheet = _book(spreadsheets.p02_xlsx(scene.plan, 1, source))[code.replace("/", " ")]
        page = client.get(f"/plans/{scene.plan.id}/p02?source={source}").get_data(as_text=True)
        groups = reports.p02_list(scene.plan.id, 1, source)
        first = [c.value for c in sheet[_head_row(sheet)]].index("2566 (บาท)")
        money = slice(first, first + 5)
        subtotals = [r for r in sheet.iter_rows() if str(r[0].value).startswith("รวม ")]
        assert len(subtotals) == len(groups) == page.count('class="subtotal"')
        for row, group in zip(subtotals, groups):
            assert row[0].value == f"รวม {len(group.records)} โครงการ"
            _assert_money(row[money])
            assert [_dec(c.value) for c in row[money]] == group.total
            for amount in group.total:
                assert f'<td class="num">{_baht(amount)}</td>' in page
        grand = _row_starting(sheet, "รวมทั้งสิ้น")
        assert [_dec(c.value) for c in grand[money]] == [sum(g.total[i] for g in groups) for i in range(5)]


def test_the_p03_lists_equipment_with_its_category_type_and_unit(scene):
    sheet = _book(spreadsheets.p02_xlsx(scene.plan, 1, "equipment"))["ผ.03"]
    assert "บัญชีครุภัณฑ์" in _texts(sheet)
    head = _head_row(sheet)
    assert [c.value for c in sheet[head - 1]][:5] == [
        "ที่",
        "แผนงาน",
        "หมวด",
        "ประเภท",
        "เป้าหมาย (ผลผลิตของครุภัณฑ์)",
    ]
    line = _line(sheet)
    assert [c.value for c in line[1:5]] == [
        "แผนงานอุตสาหกรรมและการโยธา",
        "ครุภัณฑ์ก่อสร้าง",
        "รถขุด",
        "รถขุดตีนตะขาบ 1 คัน",
    ]
    assert _dec(line[6].value) == Decimal("12345.67") and line[10].value == "คัน"


def test_the_p01_has_its_parts_and_the_p01_1_its_own_sheet_with_the_pages_totals(scene, client, login_as):
    book = _book(spreadsheets.p01_xlsx(scene.plan, 1))
    assert book.sheetnames == ["ผ.01", "ผ.01 1"]
    sheet, community = book["ผ.01"], book["ผ.01 1"]
    assert sheet.freeze_panes == f"B{_head_row(sheet) + 1}"
    assert [c.value for c in sheet[_head_row(sheet)]][1:3] == ["จำนวนโครงการ", "งบประมาณ (บาท)"]
    summary = reports.p01_summary(scene.plan.id, 1)
    parts = _rows_starting(sheet, "รวมส่วนนี้")
    assert len(parts) == 3
    for row, part in zip(parts, summary["p01"].parts):
        assert [c.value for c in row[1:13:2]] == [*part.total.counts, part.total.total_count]
        assert [_dec(c.value) for c in row[2:13:2]] == [*part.total.budgets, part.total.total_budget]
        _assert_money(row[2:13:2])
        assert all(c.number_format == "#,##0" for c in row[1:13:2])
    grand = _row_starting(sheet, "รวมทั้งสิ้นตาม ผ.01")
    assert _dec(grand[12].value) == summary["p01"].total.total_budget
    assert "    แผนงานอุตสาหกรรมและการโยธา" in _texts(sheet)
    total_1 = _row_starting(community, "รวมทั้งสิ้น")
    assert _dec(total_1[12].value) == Decimal("5.00") and "แบบ ผ.01/1" in _texts(community)
    login_as(scene.planner)
    page = client.get(f"/plans/{scene.plan.id}/p01").get_data(as_text=True)
    for value in (summary["p01"].total.total_budget, *(p.total.total_budget for p in summary["p01"].parts)):
        assert f'<td class="num">{_baht(value)}</td>' in page


def test_the_yt01_names_each_strategys_programmes_with_their_lead_and_support_units(scene):
    sheet = _book(spreadsheets.yt01_xlsx(scene.plan, 1))["ยท.01"]
    head = [c.value for c in sheet[_head_row(sheet)]]
    assert head[-4:] == ["ยุทธศาสตร์การพัฒนาของ อปท.", "แผนงาน", "หน่วยงานรับผิดชอบหลัก", "หน่วยงานสนับสนุน"]
    rows = [r for r in sheet.iter_rows(min_row=_head_row(sheet) + 1) if r[7].value]
    lines = [[c.value for c in r[6:10]] for r in rows]
    # Strategy 1, works: กองช่าง carries two projects (the road and the equipment), กองคลัง one.
    assert lines[0] == [
        "1. ยุทธศาสตร์การพัฒนาด้านโครงสร้างพื้นฐาน",
        "แผนงานอุตสาหกรรมและการโยธา",
        "กองช่าง",
        "กองคลัง",
    ]
    assert rows[0][0].value == "2 การสร้างความสามารถในการแข่งขัน"
    assert rows[0][4].value == "1 ยุทธศาสตร์จังหวัดบึงกาฬที่ 1"
    # Strategy 2's two แผนงาน: its links and name span both lines (merged cells).
    assert lines[1] == ["2. ยุทธศาสตร์การพัฒนาคุณภาพชีวิต", "แผนงานบริหารงานทั่วไป", "กองช่าง", "–"]
    assert lines[2] == [None, "แผนงานอุตสาหกรรมและการโยธา", "กองช่าง", "–"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert f"G{rows[1][0].row}:G{rows[2][0].row}" in merged
    assert len(lines) == 3


def test_a_revision_document_has_its_p01_p02_and_old_new_comparison(world, db, client, login_as):
    revision = rvf.drafted_revision(world.sao_a, additions=1, changes=(1,))
    planner = rvf.lao_planner(world.sao_a)
    book = _book(spreadsheets.revision_xlsx(planner, revision.id))
    assert book.sheetnames == ["ผ.01", "ผ.01 1", "ผ.02", "เปรียบเทียบ"]
    p02 = book["ผ.02"]
    assert revision.title in _texts(p02)
    names = [r[1].value for r in p02.iter_rows(min_row=_head_row(p02) + 1) if isinstance(r[0].value, int)]
    assert sorted(names) == ["โครงการที่ 1", "โครงการเพิ่ม 1"]
    # The added project: 100,000.00 in year 2; project 1 changed to 1,000.00 in year 2.
    grand = _row_starting(p02, "รวมทั้งสิ้น")
    assert _dec(grand[5].value) == Decimal("101000.00")
    p01_total = _row_starting(book["ผ.01"], "รวมส่วนนี้")
    assert p01_total[3].value == 2 and _dec(p01_total[4].value) == Decimal("101000.00")
    compare = book["เปรียบเทียบ"]
    assert [c.value for c in compare[_head_row(compare)]] == [
        "โครงการ",
        "ประเภทรายการ",
        "รายการ",
        "เดิม",
        "ใหม่",
    ]
    changed = next(r for r in compare.iter_rows() if r[2].value and str(r[2].value).startswith("งบประมาณปี"))
    old_budget = rvf.project_budgets(1)["budget_2"]
    assert [_dec(changed[3].value), _dec(changed[4].value)] == [old_budget, Decimal("1000.00")]
    _assert_money(changed[3:5])
    login_as(planner)
    page = client.get(f"/revisions/{revision.id}/compare").get_data(as_text=True)
    assert _baht(old_budget) in page and _baht("1000.00") in page


def test_an_announced_revision_keeps_its_document_and_names_the_plan_version_it_made(world, db):
    revision = rvf.drafted_revision(world.sao_a, additions=1, changes=(1,))
    meeting = {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"}
    engine.fire("revision", revision.id, "submit", world.planner)
    engine.fire("revision", revision.id, "endorse", world.devcom_secretary, data=meeting)
    engine.fire("revision", revision.id, "approve_by_council", world.council_secretary, data=meeting)
    engine.fire("revision", revision.id, "approve_and_announce", world.executive)
    db.session.refresh(revision)
    assert revision.status == "announced" and "ครั้งที่" in revision.title

    book = _book(spreadsheets.revision_xlsx(world.district_officer, revision.id))
    p02 = book["ผ.02"]
    assert revision.title in _texts(p02)
    assert _dec(_row_starting(p02, "รวมทั้งสิ้น 2 โครงการ")[5].value) == Decimal("101000.00")
    # The plan's own ผ.02 at the version the revision made is headed with the revision's title.
    plan_p02 = _book(spreadsheets.p02_xlsx(revision.plan, revision.result_version, "own"))["ผ.02"]
    assert revision.title in _texts(plan_p02)
    assert "โครงการเพิ่ม 1" in _texts(plan_p02)
    with pytest.raises(NotFound):
        spreadsheets.revision_xlsx(world.planner_x, revision.id)


def test_the_evaluation_report_has_the_pages_figures_and_the_committees_text(world, db, client, login_as):
    rf.executed_plan(world)
    report = rf.drafted_report(world.sao_a, world.planner, fiscal_year_be=2569)
    book = _book(spreadsheets.evaluation_xlsx(report))
    assert book.sheetnames == ["รายงาน", "ไม่นับว่าแล้วเสร็จ", "ความเห็นคณะกรรมการ"]
    sheet = book["รายงาน"]
    assert "ปีงบประมาณ 2569" in _texts(sheet) and "จังหวัดบึงกาฬ" in _texts(sheet)
    totals = _row_starting(sheet, "รวมทั้งสิ้น")
    figures = evaluation.report_figures(report).totals
    assert [totals[1].value, totals[3].value, totals[6].value] == [
        figures.planned,
        figures.budgeted,
        figures.completed,
    ]
    assert [_dec(totals[i].value) for i in (2, 4, 5)] == [
        figures.planned_budget,
        figures.budget,
        figures.disbursed,
    ]
    _assert_money([totals[2], totals[4], totals[5]])
    assert sheet.freeze_panes == f"B{_head_row(sheet) + 1}"
    assert "    NS1 ความมั่นคง" in _texts(sheet)
    not_counted = _texts(book["ไม่นับว่าแล้วเสร็จ"])
    assert "โครงการที่ 2" in not_counted
    assert rf.TEXT["findings"] in _texts(book["ความเห็นคณะกรรมการ"])
    login_as(world.planner)
    page = client.get(f"/results/reports/{report.id}").get_data(as_text=True)
    for amount in (figures.planned_budget, figures.budget, figures.disbursed):
        assert f'<td class="num">{_baht(amount)}</td>' in page


def test_an_older_version_names_its_strategies_as_a_later_review_kept_them(world, db):
    plan = rvf.announced_plan(world.sao_a, world.planner, projects=4)
    strategies = sorted(
        {
            r.strategy
            for r in _db.session.scalars(sa.select(ProjectRecord).where(ProjectRecord.plan_id == plan.id))
        },
        key=lambda s: s.number,
    )
    # A review (version 2) renamed strategy 1 and kept version 1's strategies as they stood.
    version_1 = _db.session.scalar(sa.select(PlanVersion).where(PlanVersion.plan_id == plan.id))
    version_1.strategy_snapshot = [
        {
            "id": s.id,
            "number": s.number,
            "name": f"{s.name} (ก่อนทบทวน)",
            "tactics": [{"id": t.id, "number": t.number, "name": t.name} for t in s.tactics],
            "links": [],
        }
        for s in strategies
    ]
    _db.session.add(PlanVersion(plan_id=plan.id, number=2))
    plan.current_version = 2
    _db.session.commit()

    then = _texts(_book(spreadsheets.p02_xlsx(plan, 1, "own"))["ผ.02"])
    now = _texts(_book(spreadsheets.p02_xlsx(plan, 2, "own"))["ผ.02"])
    assert f"ที่ 1 {strategies[0].name} (ก่อนทบทวน)" in then and "(ก่อนทบทวน)" not in now
    sheet = _book(spreadsheets.p02_xlsx(plan, 1, "own"))["ผ.02"]
    subtotals = [r for r in sheet.iter_rows() if str(r[0].value).startswith("รวม ")]
    groups = reports.p02_of(plan, 1, "own")
    assert [[_dec(c.value) for c in r[4:9]] for r in subtotals] == [g.total for g in groups]


def test_the_whole_plan_workbook_has_one_sheet_per_form(scene):
    book = _book(spreadsheets.plan_xlsx(scene.plan, 1))
    assert book.sheetnames == ["ยท.01", "ผ.01", "ผ.01 1", "ผ.02", "ผ.02 1", "ผ.02 2", "ผ.03"]
    assert all(book[name].freeze_panes for name in book.sheetnames)


def _bulk_projects(plan, strategy, programme, n: int) -> None:
    """``n`` own projects written in one INSERT, the plan announced as version 1."""
    rows = [
        {
            "plan_id": plan.id,
            "project_no": no,
            "valid_from": 1,
            "strategy_id": strategy.id,
            "tactic_id": strategy.tactics[no % len(strategy.tactics)].id,
            "programme_id": programme.id,
            "source": "own",
            "name": f"โครงการก่อสร้างถนนคอนกรีตเสริมเหล็กสายที่ {no} หมู่ที่ {no % 12 + 1}",
            "objective": "เพื่อให้ประชาชนสัญจรไปมาได้สะดวกและปลอดภัย",
            "target": f"ถนนกว้าง 5 เมตร ยาว {no} เมตร หนา 0.15 เมตร",
            "kpi": "ร้อยละ 80 ของประชาชนพึงพอใจ",
            "expected_result": "ประชาชนสัญจรสะดวกและปลอดภัย",
            "responsible_unit": "กองช่าง",
            **{f"budget_{i}": Decimal(no * 137 + i * 1000) / 100 for i in range(1, 6)},
            "created_at": datetime.now(UTC),
        }
        for no in range(1, n + 1)
    ]
    _db.session.execute(sa.insert(ProjectRecord.__table__), rows)
    plan.status, plan.current_version = "announced", 1
    _db.session.add(PlanVersion(plan_id=plan.id, number=1))
    _db.session.commit()


def _peak(call) -> tuple[object, int]:
    gc.collect()
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_2000_project_p02_streams_in_well_under_the_memory_of_the_workbook_loaded_whole(world, db):
    plan = pf.drafting_plan(world.sao_a, world.planner)
    strategy = pf.strategy(plan, 1, "ยุทธศาสตร์การพัฒนาด้านโครงสร้างพื้นฐาน", tactics=3)
    _bulk_projects(plan, strategy, pf.programme(), 2000)
    _db.session.expire_all()

    data, streamed = _peak(lambda: spreadsheets.p02_xlsx(plan, 1, "own"))
    _db.session.expire_all()
    book, loaded = _peak(lambda: load_workbook(io.BytesIO(data)))

    sheet = book["ผ.02"]
    lines = [r for r in sheet.iter_rows(min_row=_head_row(sheet) + 1) if isinstance(r[0].value, int)]
    assert len(lines) == 2000
    grand = _row_starting(sheet, "รวมทั้งสิ้น 2,000 โครงการ")
    expected = sum((Decimal(no * 137 + 1000) / 100 for no in range(1, 2001)), Decimal("0.00"))
    assert _dec(grand[4].value) == expected
    # The streamed export (database rows included) peaks well under what the same workbook takes
    # once held in memory whole.
    assert streamed < loaded / 2, (streamed, loaded)


def test_a_plan_without_projects_says_so_on_every_list(world, db):
    plan = pf.drafting_plan(world.sao_a, world.planner)
    for source, code in reports.P02_FORMS.items():
        sheet = _book(spreadsheets.p02_xlsx(plan, 1, source))[code.replace("/", " ")]
        assert "ไม่มีโครงการประเภทนี้" in _texts(sheet) and "ร่าง" in _texts(sheet)
    with pytest.raises(ValueError):
        spreadsheets.p02_xlsx(plan, 1, "other")


def test_a_planner_downloads_the_p02_workbook_and_another_laos_planner_cannot(scene, client, login_as):
    login_as(scene.planner)
    response = client.get(f"/documents/plans/{scene.plan.id}/p02.xlsx?source=own")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = _book(response.data)["ผ.02"]
    assert "อบต.หนองเลิง อำเภอเมืองบึงกาฬ จังหวัดบึงกาฬ" in _texts(sheet)
    login_as(scene.planner_x)
    assert client.get(f"/documents/plans/{scene.plan.id}/p02.xlsx?source=own").status_code == 404

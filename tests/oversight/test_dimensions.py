"""Results along every strategy dimension: each breakdown equals a raw SQL aggregate, the same figures
appear in the evaluation report, the oversight breakdown page and its CSV/xlsx downloads, the
drill-down says why each project is not counted, and a district officer sees only their LAOs."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, text, update

from eplan_flow.extensions import db as _db
from eplan_flow.models import CatalogueItem, ProjectRecord, lao_strategy_link
from eplan_flow.services.delivery import breakdowns
from eplan_flow.services.delivery import evaluation as evaluation_service
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.oversight import dimensions
from eplan_flow.services.oversight.status import Filters
from tests.factories import results as result_factories
from tests.factories import revisions as revision_factories

YEAR = 2569
PERIOD = breakdowns.Period(YEAR, date(2025, 10, 1), date(2026, 9, 30))

# The raw aggregate, written by hand against the tables: the plans 2566–2570 (fiscal year 2569 is
# their year 4) in version 1, own links in a catalogue else the strategy's, ผ.02/2 not planned.
RAW = """
with counted as (
  select pl.organisation_id, r.id as record_id, r.strategy_id, r.tactic_id,
         case when r.budget_4 > 0 and r.source <> 'beyond_capacity' then 1 else 0 end as planned,
         case when r.budget_4 > 0 and r.source <> 'beyond_capacity' then r.budget_4 else 0 end as planned_budget,
         case when e.id is not null then 1 else 0 end as budgeted,
         coalesce(e.budgeted_amount, 0) as budget,
         coalesce((select sum(d.amount) from disbursement d where d.execution_id = e.id
                   and d.paid_on between '2025-10-01' and '2026-09-30'), 0) as disbursed,
         case when e.status = 'completed' and (e.contract_amount is null or
              (select coalesce(sum(d.amount), 0) from disbursement d where d.execution_id = e.id
               and d.paid_on <= '2026-09-30') >= e.contract_amount) then 1 else 0 end as completed
  from project_record r
  join plan pl on pl.id = r.plan_id and pl.period_start_be = 2566 and pl.current_version >= 1
  left join project_execution e on e.plan_id = r.plan_id and e.project_no = r.project_no
       and e.fiscal_year_be = 2569
  where r.valid_from <= 1 and (r.valid_to is null or r.valid_to > 1)
    and pl.organisation_id = any(:orgs)
    and ((r.budget_4 > 0 and r.source <> 'beyond_capacity') or e.id is not null)
), keyed as (
  select c.*, k.item_id as key from counted c
  left join (
    select pl.record_id, pl.item_id from project_link pl
    join catalogue_item ci on ci.id = pl.item_id and ci.catalogue = :dim
    union all
    select c2.record_id, sl.item_id from counted c2
    join lao_strategy_link sl on sl.strategy_id = c2.strategy_id
    join catalogue_item ci on ci.id = sl.item_id and ci.catalogue = :dim
    where not exists (select 1 from project_link pl join catalogue_item ci2 on ci2.id = pl.item_id
                      where pl.record_id = c2.record_id and ci2.catalogue = :dim)
  ) k on k.record_id = c.record_id
)
select {key} as key, sum(planned), sum(planned_budget), sum(budgeted), sum(budget), sum(disbursed),
       sum(completed)
from keyed group by {key}
"""


def raw(org_ids: list[int], dimension: str) -> dict:
    key = {"lao_strategy": "strategy_id", "tactic": "tactic_id"}.get(dimension, "key")
    found = _db.session.execute(text(RAW.format(key=key)), {"orgs": org_ids, "dim": dimension}).all()
    return {
        k: breakdowns.Metrics(int(a), Decimal(b), int(c), Decimal(d), Decimal(e), int(f))
        for k, a, b, c, d, e, f in found
    }


def summed(by_key: dict) -> dict:
    sums: dict = {}
    for (_org, key), metrics in by_key.items():
        sums.setdefault(key, breakdowns.Metrics()).add(metrics)
    return sums


def item(catalogue: str, code: str, name: str, scope: str = "") -> CatalogueItem:
    row = CatalogueItem(catalogue=catalogue, scope=scope, code=code, name_th=name)
    _db.session.add(row)
    _db.session.commit()
    return row


@pytest.fixture
def scene(world, db):
    """sao_a's executed plan (see tests/delivery/results/test_figures.py) linked along every
    catalogue, its project 4 turned into a ผ.02/2 line; and sao_c of another district with one
    completed project."""
    plan = result_factories.executed_plan(world)
    strategies = sorted({r.strategy for r in plan_records(plan.id)}, key=lambda s: s.number)
    master = item("master_plan", "MP2", "แผนแม่บทประเด็นโครงสร้างพื้นฐาน")
    province = item("provincial_strategy", "P1", "ยุทธศาสตร์จังหวัดบึงกาฬที่ 1", scope="38")
    lao_in_province = item("province_lao_strategy", "L2", "ยุทธศาสตร์ อปท. ในจังหวัดที่ 2", scope="38")
    for strategy, found in (
        (strategies[0], master),
        (strategies[1], province),
        (strategies[1], lao_in_province),
    ):
        _db.session.execute(insert(lao_strategy_link).values(strategy_id=strategy.id, item_id=found.id))
    _db.session.execute(
        update(ProjectRecord)
        .where(ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 4)
        .values(source="beyond_capacity")
    )
    _db.session.commit()
    other = revision_factories.announced_plan(world.sao_c, world.planner_c, projects=2, period_start_be=2566)
    done = execution_service.budget_project(world.planner_c, other.id, 1, YEAR, "5000.00")
    _db.session.execute(
        text("update project_execution set status = 'completed' where id = :id"), {"id": done.id}
    )
    _db.session.commit()
    return {"plan": plan, "other": other, "master": master, "province": province}


def plan_records(plan_id: int):
    return _db.session.query(ProjectRecord).filter_by(plan_id=plan_id, valid_to=None).all()


@pytest.mark.parametrize("dimension", breakdowns.DIMENSIONS)
def test_each_dimension_equals_a_raw_sql_aggregate_over_the_laos(dimension, world, scene):
    org_ids = [world.sao_a.id, world.sao_c.id]

    lines = breakdowns.lines(org_ids, PERIOD, (dimension,))[dimension]

    assert summed(lines) == raw(org_ids, dimension)
    assert summed(lines)  # the scene has projects along every dimension


def test_the_report_counts_planned_budgeted_completed_and_money_along_every_dimension(world, scene):
    figures = evaluation_service.figures(world.sao_a.id, YEAR, "october")

    # P1 (strategy 2, completed), P2 (strategy 1, disbursing), P3 (strategy 2, cancelled); P4 is a
    # ผ.02/2 line with no budget this year: neither planned nor budgeted, so in no table.
    assert figures.totals.planned == 3 and figures.totals.budgeted == 3 and figures.totals.completed == 1
    master = {row.code or "none": row.metrics for row in figures.by_master_plan}
    assert master["MP2"] == breakdowns.Metrics(
        1, Decimal("2400.50"), 1, Decimal("2000.00"), Decimal("1500.00"), 0
    )
    assert master["none"].planned == 2 and master["none"].completed == 1
    province = {row.code or "none": row.metrics for row in figures.by_provincial_strategy}
    assert province["P1"] == master["none"] and province["none"] == master["MP2"]
    assert {row.code for row in figures.by_tactic} == {"1.1", "2.1"}
    assert figures.to_json()["by_province_lao_strategy"][0]["code"] == "L2"


def test_the_same_figures_appear_in_the_report_the_breakdown_page_and_its_downloads(
    world, scene, client, login_as
):
    report = result_factories.drafted_report(world.sao_a, world.planner, fiscal_year_be=YEAR)
    figures = evaluation_service.figures(world.sao_a.id, YEAR, "october")
    row = next(r for r in figures.by_master_plan if r.code == "MP2").metrics
    expected = [str(row.planned), f"{row.planned_budget:,.2f}", str(row.budgeted), f"{row.budget:,.2f}"]

    login_as(world.planner)
    page = client.get(f"/results/reports/{report.id}?lang=th").get_data(as_text=True)
    assert "แผนแม่บทประเด็นโครงสร้างพื้นฐาน" in page and all(value in page for value in expected)
    mp2 = next(r for r in figures.by_master_plan if r.code == "MP2")
    # Each row of the report opens its projects (the drill-down of the same row).
    assert f"/oversight/laos/{world.sao_a.id}/dimensions/master_plan/{mp2.key}?" in page
    assert f"/oversight/laos/{world.sao_a.id}/emenscr.csv?year={YEAR}" in page

    login_as(world.provincial_officer)
    board = client.get(f"/oversight/dimensions?year={YEAR}&district=3801&dim=master_plan&lang=th")
    assert board.status_code == 200
    cells = _row_cells(board.get_data(as_text=True), "MP2 แผนแม่บทประเด็นโครงสร้างพื้นฐาน")
    assert cells[:6] == [*expected, f"{row.disbursed:,.2f}", str(row.completed)]

    # DLA's national page, once a province is chosen, shows the same row.
    login_as(world.dla_admin)
    assert "เลือกจังหวัด" in client.get(f"/oversight/dimensions?year={YEAR}&lang=th").get_data(as_text=True)
    national = client.get(
        f"/oversight/dimensions?year={YEAR}&province=38&district=3801&dim=master_plan&lang=th"
    )
    assert _row_cells(national.get_data(as_text=True), "MP2 แผนแม่บทประเด็นโครงสร้างพื้นฐาน") == cells

    login_as(world.provincial_officer)
    response = client.get(f"/oversight/dimensions.csv?year={YEAR}&district=3801")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == list(dimensions.EXPORT_HEADERS)
    mp2 = next(r for r in rows if r[0] == dimensions.DIMENSION_TH["master_plan"] and r[1] == "MP2")
    assert [Decimal(v) for v in mp2[4:]] == [
        row.planned,
        row.planned_budget,
        row.budgeted,
        row.budget,
        row.disbursed,
        row.completed,
    ]
    # Every table of the report is in the download, with the same figures.
    by_dimension = {(r[0], r[1]): r for r in rows[1:]}
    for key in evaluation_service.DIMENSIONS:
        for report_row in figures.table(key):
            line = by_dimension[(dimensions.DIMENSION_TH[key], report_row.code)]
            assert (
                Decimal(line[7]) == report_row.metrics.budget and int(line[9]) == report_row.metrics.completed
            )

    book = client.get(f"/oversight/dimensions.xlsx?year={YEAR}&district=3801")
    sheet = load_workbook(io.BytesIO(book.data), read_only=True).active
    xlsx = [list(r) for r in sheet.iter_rows(values_only=True)]
    mp2_xlsx = next(r for r in xlsx if r[1] == "MP2")
    assert [Decimal(str(v)) for v in mp2_xlsx[4:]] == [Decimal(v) for v in mp2[4:]]


def _row_cells(page: str, label: str) -> list[str]:
    """The numeric cells of the breakdown row whose heading is ``label``."""
    row = re.search(
        r"<tr>\s*<th scope=\"row\"><a [^>]*>" + re.escape(label) + r"</a></th>(.*?)</tr>", page, re.S
    )
    assert row, f"no row {label!r}"
    return [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def test_the_drill_down_lists_each_project_with_why_it_is_not_counted(world, scene, client, login_as):
    login_as(world.planner)
    strategy_1 = min(plan_records(scene["plan"].id), key=lambda r: r.strategy.number).strategy
    page = client.get(
        f"/oversight/laos/{world.sao_a.id}/dimensions/lao_strategy/{strategy_1.id}?year={YEAR}&round=october&lang=th"
    )

    assert page.status_code == 200
    body = page.get_data(as_text=True)
    # Strategy 1 holds P2 (budgeted, not completed) and P4 (ผ.02/2, no budget this year).
    assert "โครงการที่ 2" in body and "โครงการที่ 4" in body
    projects = breakdowns.drill_down([world.sao_a.id], PERIOD, "lao_strategy", strategy_1.id)
    reasons = {p.project_no: p.reasons for p in projects}
    assert len(reasons[4]) == 2 and "ผ.02/2" in reasons[4][0]
    assert reasons[2] and len(reasons[2]) == 1
    for reason in reasons[4] + reasons[2]:
        assert reason in body
    # The unlinked row of a catalogue drills down too.
    none = client.get(f"/oversight/laos/{world.sao_a.id}/dimensions/master_plan/none?year={YEAR}&lang=th")
    assert none.status_code == 200 and "โครงการที่ 1" in none.get_data(as_text=True)


def test_a_district_officer_sees_only_the_laos_of_their_district(world, scene, client, login_as):
    district = dimensions.breakdowns_for(
        world.district_officer, Filters(fiscal_year_be=YEAR), ("lao_strategy",)
    )
    province = dimensions.breakdowns_for(
        world.provincial_officer, Filters(fiscal_year_be=YEAR), ("lao_strategy",)
    )

    assert {row.lao for row in district.rows["lao_strategy"]} == {world.sao_a.name_th}
    assert {row.lao for row in province.rows["lao_strategy"]} == {world.sao_a.name_th, world.sao_c.name_th}
    report = evaluation_service.figures(world.sao_a.id, YEAR, "october")
    expected = breakdowns.Metrics()
    for row in report.by_strategy:
        expected.add(row.metrics)
    assert district.totals("lao_strategy") == expected

    login_as(world.district_officer)
    sao_c_strategy = min(plan_records(scene["other"].id), key=lambda r: r.project_no).strategy_id
    # Another district's LAO strategy does not exist for them; a catalogue row lists only their LAOs.
    assert client.get(f"/oversight/dimensions/lao_strategy/{sao_c_strategy}?year={YEAR}").status_code == 404
    page = client.get(f"/oversight/dimensions/national_strategy/none?year={YEAR}").get_data(as_text=True)
    assert world.sao_a.name_th in page and world.sao_c.name_th not in page
    login_as(world.provincial_officer)
    assert world.sao_c.name_th in client.get(
        f"/oversight/dimensions/national_strategy/none?year={YEAR}"
    ).get_data(as_text=True)
    login_as(world.district_officer)
    assert client.get(f"/oversight/laos/{world.sao_c.id}/dimensions/sdg/none?year={YEAR}").status_code == 404
    login_as(world.planner)
    assert client.get(f"/oversight/dimensions?year={YEAR}").status_code == 403


def test_the_emenscr_export_lists_each_project_with_its_linkage_budget_disbursement_and_progress(
    world, scene, client, login_as
):
    login_as(world.planner)

    response = client.get(f"/oversight/laos/{world.sao_a.id}/emenscr.csv?year={YEAR}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][6:11] == [
        "ยุทธศาสตร์ชาติ",
        "แผนแม่บทภายใต้ยุทธศาสตร์ชาติ",
        "แผนย่อย",
        "หมุดหมายแผนพัฒนาฯ ฉบับที่ 13",
        "เป้าหมายการพัฒนาที่ยั่งยืน (SDG)",
    ]
    # P1–P3 are planned or budgeted; P4 (ผ.02/2, no budget this year) is neither.
    assert [r[3] for r in rows[1:]] == ["1", "2", "3"]
    p2 = rows[2]
    assert p2[4] == "โครงการที่ 2" and p2[5] == "ผ.02"
    assert p2[6] == "NS1 ความมั่นคง" and p2[7] == "MP2 แผนแม่บทประเด็นโครงสร้างพื้นฐาน" and p2[8] == ""
    assert p2[10] == "SDG3 เป้าหมายที่ 3"
    assert [Decimal(v) for v in p2[11:14]] == [Decimal("2400.50"), Decimal("2000.00"), Decimal("1500.00")]
    assert p2[14] == "60" and p2[15]

    book = client.get(f"/oversight/laos/{world.sao_a.id}/emenscr.xlsx?year={YEAR}")
    sheet = load_workbook(io.BytesIO(book.data), read_only=True).active
    assert [r[3] for r in sheet.iter_rows(min_row=2, values_only=True)] == [1, 2, 3]

    answer = client.get(f"/api/v1/laos/{world.sao_a.id}/emenscr?year={YEAR}")
    assert answer.status_code == 200
    projects = {p["project_no"]: p for p in answer.get_json()["projects"]}
    assert set(projects) == {1, 2, 3}
    assert projects[2]["national_strategy"] == [{"code": "NS1", "name": "ความมั่นคง"}]
    assert projects[2]["master_plan"][0]["code"] == "MP2" and projects[2]["sub_plan"] == []
    assert (projects[2]["budget"], projects[2]["disbursed"], projects[2]["progress_percent"]) == (
        "2000.00",
        "1500.00",
        60,
    )
    assert projects[1]["national_strategy"] == [] and projects[1]["status"] == "completed"

    login_as(world.planner_x)
    assert client.get(f"/oversight/laos/{world.sao_a.id}/emenscr.csv?year={YEAR}").status_code == 404
    assert client.get(f"/api/v1/laos/{world.sao_a.id}/emenscr?year={YEAR}").status_code == 404


def test_the_breakdown_and_drill_down_pages_read_in_thai(world, scene, client, login_as):
    login_as(world.provincial_officer)
    for dimension in breakdowns.DIMENSIONS:
        page = client.get(f"/oversight/dimensions?year={YEAR}&dim={dimension}&lang=th")
        assert page.status_code == 200
        assert _english(page.get_data(as_text=True)) == [], dimension
    drill = client.get(f"/oversight/dimensions/national_strategy/none?year={YEAR}&lang=th")
    assert _english(drill.get_data(as_text=True)) == []


def _english(html: str) -> list[str]:
    """Latin words a Thai reader would see (codes and the allowed abbreviations aside)."""
    body = re.sub(
        r"<(script|style)[^>]*>.*?</\1>", " ", html.split("<main", 1)[-1].split(">", 1)[-1], flags=re.S
    )
    visible = re.sub(r"<[^>]+>", " ", body)
    words = re.findall(r"[A-Za-z][A-Za-z'’]{2,}", visible)
    return [w for w in words if w not in {"SDG", "SDGs", "CSV", "Excel", "eplan", "flow"}]

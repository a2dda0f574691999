"""Sub-plans (แผนย่อย) of the National Strategy's master plans (issue 14, items 1 and 6): a project
links a sub-plan only with its master plan; the "แผนย่อย" dimension appears only once the catalogue
has sub-plans, with the same figures (equal to a raw SQL aggregate) in the breakdown page, its
downloads, the evaluation report and the eMENSCR export."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.models import CatalogueItem, ProjectRecord
from eplan_flow.services.delivery import breakdowns, emenscr
from eplan_flow.services.delivery import evaluation as evaluation_service
from eplan_flow.services.directory import catalogues
from eplan_flow.services.oversight import dimensions
from tests.factories import catalogues as cf
from tests.factories import plans as pf
from tests.factories import results as result_factories
from tests.factories import revisions as revision_factories
from tests.oversight.test_dimensions import PERIOD, YEAR, raw, summed

SUB_PLAN_TH = "แผนย่อยทดสอบ ด้านการพัฒนาเศรษฐกิจฐานราก"


def sub_plan(actor, master: CatalogueItem, code: str, name: str = SUB_PLAN_TH) -> CatalogueItem:
    return catalogues.create_item(actor, catalogue="sub_plan", code=code, name_th=name, parent_id=master.id)


# -- linking ------------------------------------------------------------------------------------------
@pytest.fixture
def drafting(world, db):
    cf.load(include_demo=False)
    world.plan = pf.drafting_plan(world.sao_a, world.planner)
    world.s1 = pf.strategy(world.plan, 1, "ยุทธศาสตร์การพัฒนาเศรษฐกิจ")
    world.works = pf.programme()
    return world


def _form(scene, links) -> dict:
    return {
        "name": "โครงการส่งเสริมอาชีพ",
        "objective": "เพื่อเพิ่มรายได้",
        "target": "ประชาชน 100 คน",
        "responsible_unit": "สำนักปลัด",
        "source": "own",
        "strategy_id": str(scene.s1.id),
        "tactic_id": "",
        "programme_id": str(scene.works.id),
        "budget_2566": "50,000.00",
        "links": [str(item.id) for item in links],
    }


def test_a_project_links_a_sub_plan_only_together_with_its_master_plan(drafting, client, login_as, db):
    grassroots, water = cf.item("master_plan", "16"), cf.item("master_plan", "19")
    login_as(drafting.planner)
    form = client.get(f"/plans/{drafting.plan.id}/projects/new?lang=th").get_data(as_text=True)
    assert "แผนย่อยของแผนแม่บท" not in form  # no sub-plans entered yet: no group
    found = sub_plan(drafting.dla_admin, grassroots, "160101")
    form = client.get(f"/plans/{drafting.plan.id}/projects/new?lang=th").get_data(as_text=True)
    assert "แผนย่อยของแผนแม่บท (เลือกแผนแม่บทที่แผนย่อยนั้นสังกัดด้วย)" in form
    assert f'name="links" value="{found.id}"' in form

    # Alone, or with another master plan: refused in Thai, nothing saved.
    for links in ([found], [water, found]):
        refused = client.post(f"/plans/{drafting.plan.id}/projects/new?lang=th", data=_form(drafting, links))
        assert refused.status_code == 422
        assert "เชื่อมโยงแผนย่อยได้ก็ต่อเมื่อเชื่อมโยงแผนแม่บทที่แผนย่อยนั้นสังกัดด้วย" in refused.get_data(as_text=True)
        assert db.session.query(ProjectRecord).filter_by(plan_id=drafting.plan.id).count() == 0

    saved = client.post(f"/plans/{drafting.plan.id}/projects/new", data=_form(drafting, [grassroots, found]))
    assert saved.status_code == 303
    record = db.session.query(ProjectRecord).filter_by(plan_id=drafting.plan.id).one()
    assert sorted(i.id for i in record.links) == sorted([grassroots.id, found.id])


# -- the dimension ------------------------------------------------------------------------------------
@pytest.fixture
def executed(world, db):
    """sao_a's executed plan (tests/delivery/results/test_figures.py): project 2 linked to master
    plan MP2 and to its sub-plan SP1; sao_c of the same province with a plan of its own."""
    plan = result_factories.executed_plan(world)
    master = revision_factories.catalogue_item("master_plan", "MP2", "แผนแม่บทประเด็นเศรษฐกิจฐานราก")
    revision_factories.announced_plan(world.sao_c, world.planner_c, projects=2, period_start_be=2566)
    return {"plan": plan, "master": master}


def _link_project_2(world, plan, *items) -> None:
    record = _db.session.scalar(
        select(ProjectRecord).where(
            ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 2, ProjectRecord.valid_to.is_(None)
        )
    )
    record.links.extend(items)
    _db.session.commit()


def test_the_sub_plan_dimension_appears_only_once_the_catalogue_has_sub_plans(
    world, executed, client, login_as
):
    login_as(world.provincial_officer)
    assert "sub_plan" not in dimensions.shown()
    page = client.get(f"/oversight/dimensions?year={YEAR}&lang=th").get_data(as_text=True)
    assert 'value="sub_plan"' not in page
    # Asked for anyway, the page falls back to the National Strategy.
    asked = client.get(f"/oversight/dimensions?year={YEAR}&dim=sub_plan&lang=th").get_data(as_text=True)
    assert "แผนย่อย" not in asked
    rows = _csv(client.get(f"/oversight/dimensions.csv?year={YEAR}"))
    assert dimensions.DIMENSION_TH["sub_plan"] not in {r[0] for r in rows}
    figures = evaluation_service.figures(world.sao_a.id, YEAR, "october")
    assert "sub_plan" not in figures.shown_tables() and figures.by_sub_plan == []
    login_as(world.planner)
    report = result_factories.drafted_report(world.sao_a, world.planner, fiscal_year_be=YEAR)
    assert "ตามแผนย่อย" not in client.get(f"/results/reports/{report.id}?lang=th").get_data(as_text=True)

    sp1 = sub_plan(world.dla_admin, executed["master"], "SP1")
    _link_project_2(world, executed["plan"], executed["master"], sp1)

    assert "sub_plan" in dimensions.shown()
    login_as(world.provincial_officer)
    page = client.get(f"/oversight/dimensions?year={YEAR}&dim=sub_plan&lang=th").get_data(as_text=True)
    assert re.search(r'<option selected value="sub_plan">แผนย่อยของแผนแม่บทภายใต้ยุทธศาสตร์ชาติ</option>', page)
    cells = _row_cells(page, f"SP1 {SUB_PLAN_TH}")
    figures = evaluation_service.figures(world.sao_a.id, YEAR, "october")
    row = next(r for r in figures.by_sub_plan if r.code == "SP1").metrics
    assert cells[:6] == [
        str(row.planned),
        f"{row.planned_budget:,.2f}",
        str(row.budgeted),
        f"{row.budget:,.2f}",
        f"{row.disbursed:,.2f}",
        str(row.completed),
    ]
    assert (row.planned, row.budgeted, str(row.disbursed)) == (1, 1, "1500.00")
    # The drill-down lists project 2 only.
    drill = client.get(f"/oversight/dimensions/sub_plan/{sp1.id}?year={YEAR}&lang=th").get_data(as_text=True)
    assert "โครงการที่ 2" in drill and "โครงการที่ 1" not in drill

    downloaded = _csv(client.get(f"/oversight/dimensions.csv?year={YEAR}"))
    line = next(r for r in downloaded if r[0] == dimensions.DIMENSION_TH["sub_plan"] and r[1] == "SP1")
    assert line[2] == SUB_PLAN_TH and line[7] == str(row.budget) and line[8] == str(row.disbursed)

    assert "sub_plan" in figures.shown_tables()
    login_as(world.planner)
    report_page = client.get(f"/results/reports/{report.id}?lang=th").get_data(as_text=True)
    assert "ตามแผนย่อยของแผนแม่บทภายใต้ยุทธศาสตร์ชาติ" in report_page and SUB_PLAN_TH in report_page


def test_the_sub_plan_figures_equal_a_raw_sql_aggregate(world, executed):
    sp1 = sub_plan(world.dla_admin, executed["master"], "SP1")
    sp2 = sub_plan(world.dla_admin, executed["master"], "SP2", "แผนย่อยทดสอบที่ 2")
    _link_project_2(world, executed["plan"], executed["master"], sp1, sp2)
    org_ids = [world.sao_a.id, world.sao_c.id]

    lines = breakdowns.lines(org_ids, PERIOD, ("sub_plan",))["sub_plan"]

    assert summed(lines) == raw(org_ids, "sub_plan")
    # Linked to both, project 2 counts under each; the others under "linked to none".
    assert summed(lines)[sp1.id] == summed(lines)[sp2.id] and summed(lines)[sp1.id].planned == 1
    assert summed(lines)[None].planned == raw(org_ids, "sub_plan")[None].planned


def test_the_emenscr_export_names_the_sub_plan(world, executed, client, login_as):
    sp1 = sub_plan(world.dla_admin, executed["master"], "SP1")
    _link_project_2(world, executed["plan"], executed["master"], sp1)
    login_as(world.planner)

    rows = _csv(client.get(f"/oversight/laos/{world.sao_a.id}/emenscr.csv?year={YEAR}"))
    assert rows[0][8] == "แผนย่อย"
    p2 = next(r for r in rows[1:] if r[3] == "2")
    assert p2[7] == "MP2 แผนแม่บทประเด็นเศรษฐกิจฐานราก" and p2[8] == f"SP1 {SUB_PLAN_TH}"
    assert all(r[8] == "" for r in rows[1:] if r[3] != "2")

    answer = client.get(f"/api/v1/laos/{world.sao_a.id}/emenscr?year={YEAR}").get_json()
    projects = {p["project_no"]: p for p in answer["projects"]}
    assert projects[2]["sub_plan"] == [{"code": "SP1", "name": SUB_PLAN_TH}]
    assert projects[1]["sub_plan"] == []
    found = emenscr.projects(world.planner, world.sao_a.id, YEAR)
    assert [p.links.get("sub_plan") for p in found if p.project_no == 2] == [[("SP1", SUB_PLAN_TH)]]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _row_cells(page: str, label: str) -> list[str]:
    row = re.search(
        r"<tr>\s*<th scope=\"row\"><a [^>]*>" + re.escape(label) + r"</a></th>(.*?)</tr>", page, re.S
    )
    assert row, f"no row {label!r}"
    return [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]

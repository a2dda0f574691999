"""Linking a project to the national catalogues: checkbox groups by catalogue, master plans under
their national strategy, ticked items first, no JavaScript (issue 11, item 5)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from eplan_flow.models import ProjectRecord, RevisionItem
from eplan_flow.services.planning import revisions
from tests.factories import catalogues as cf
from tests.factories import plans as pf
from tests.factories.revisions import announced_plan, new_project_values


@pytest.fixture
def scene(world, db):
    cf.load(include_demo=False)
    world.plan = pf.drafting_plan(world.sao_a, world.planner)
    world.s1 = pf.strategy(world.plan, 1, "ยุทธศาสตร์การพัฒนาด้านโครงสร้างพื้นฐาน")
    world.works = pf.programme()
    return world


def _form(scene, links) -> dict:
    return {
        "name": "โครงการขุดลอกคลองสาธารณะ",
        "objective": "เพื่อระบายน้ำ",
        "target": "ยาว 1 กิโลเมตร",
        "responsible_unit": "กองช่าง",
        "source": "own",
        "strategy_id": str(scene.s1.id),
        "tactic_id": "",
        "programme_id": str(scene.works.id),
        "budget_2566": "100,000.00",
        "links": [str(item.id) for item in links],
    }


def checkbox(html: str, item) -> str:
    """The ``<input>`` tag of ``item``'s checkbox."""
    match = re.search(rf'<input type="checkbox" name="links" value="{item.id}"[^>]*>', html)
    assert match, f"no checkbox for {item.catalogue} {item.code}"
    return match.group(0)


def at(html: str, item) -> int:
    return html.index(checkbox(html, item))


def test_the_project_form_groups_the_catalogues_as_checkboxes_with_master_plans_under_their_strategy(
    scene, client, login_as
):
    login_as(scene.planner)
    html = client.get(f"/plans/{scene.plan.id}/projects/new").get_data(as_text=True)

    links = html[html.index('<fieldset class="link-groups"') :]
    links = links[: links.index("</fieldset>")]
    assert "<select" not in links and " multiple" not in html  # no Ctrl-click list
    assert links.count('type="checkbox" name="links"') == 6 + 23 + 13 + 17
    groups = re.findall(r"<summary>([^<]+?) <span", html)
    assert groups == [
        "ยุทธศาสตร์ชาติและแผนแม่บทภายใต้ยุทธศาสตร์ชาติ",
        "หมุดหมายตามแผนพัฒนาเศรษฐกิจและสังคมแห่งชาติ ฉบับที่ 13",
        "เป้าหมายการพัฒนาที่ยั่งยืน (SDGs)",
        "ยุทธศาสตร์การพัฒนาจังหวัด",
        "ยุทธศาสตร์การพัฒนาขององค์กรปกครองส่วนท้องถิ่นในเขตจังหวัด",
    ]
    assert "(เลือกแล้ว 0 จาก 29 รายการ)" in html  # 6 strategies and their 23 master plans
    assert "<details open" not in html  # nothing ticked: every group closed
    assert "จังหวัดของท่านยังไม่ได้บันทึกบัญชีข้อมูลอ้างอิงนี้" in html  # no provincial entries yet
    # Master plans 03-08 belong to national strategy 2: listed under it, before strategy 3.
    strategy_2, strategy_3 = cf.item("national_strategy", "2"), cf.item("national_strategy", "3")
    agriculture = cf.item("master_plan", "03")
    assert at(html, strategy_2) < at(html, agriculture) < at(html, strategy_3)
    for catalogue, code in (("nesdp_milestone", "13"), ("sdg", "17")):
        assert " checked" not in checkbox(html, cf.item(catalogue, code))
    assert f'<label for="link-{agriculture.id}">03 การเกษตร</label>' in html


def test_ticked_boxes_link_the_project_and_the_edit_form_lists_them_first_and_ticked(
    scene, client, login_as, db
):
    agriculture, sdg_6, sdg_1 = cf.item("master_plan", "03"), cf.item("sdg", "6"), cf.item("sdg", "1")
    login_as(scene.planner)

    response = client.post(f"/plans/{scene.plan.id}/projects/new", data=_form(scene, [sdg_6, agriculture]))

    assert response.status_code == 303, re.findall(r"field-error[^<]*", response.get_data(as_text=True))
    record = db.session.query(ProjectRecord).filter_by(plan_id=scene.plan.id).one()
    assert sorted(item.id for item in record.links) == sorted([agriculture.id, sdg_6.id])

    html = client.get(f"/plans/{scene.plan.id}/projects/{record.project_no}/edit").get_data(as_text=True)
    assert " checked" in checkbox(html, agriculture) and " checked" in checkbox(html, sdg_6)
    assert " checked" not in checkbox(html, sdg_1)
    assert "เชื่อมโยงไว้แล้ว (2 รายการ):" in html
    assert html.count("<details open>") == 2  # the strategies' group and the SDGs; the NESDP's closed
    assert at(html, sdg_6) < at(html, sdg_1)  # the ticked goal first
    # Its national strategy leads the group, the ticked master plan first under it.
    strategy_2, strategy_1 = cf.item("national_strategy", "2"), cf.item("national_strategy", "1")
    assert at(html, strategy_2) < at(html, agriculture) < at(html, strategy_1)

    # Unticking a box unlinks it; the other link stays as it was.
    saved = client.post(
        f"/plans/{scene.plan.id}/projects/{record.project_no}/edit", data=_form(scene, [sdg_6])
    )
    assert saved.status_code == 303
    db.session.expire_all()
    record = db.session.query(ProjectRecord).filter_by(plan_id=scene.plan.id).one()
    assert [item.id for item in record.links] == [sdg_6.id]


def test_a_revision_addition_offers_the_same_groups_and_links_what_is_ticked(world, db, login_as):
    cf.load(include_demo=False)
    plan = announced_plan(world.sao_a, world.planner)
    draft = revisions.open_revision(world.planner, plan.id, reasons="เหตุผล", necessity="จำเป็น")
    client = login_as(world.planner)
    html = client.get(f"/revisions/{draft.id}").get_data(as_text=True)
    addition = html.split(f'action="/revisions/{draft.id}/items/addition"')[1].split("</form>")[0]
    goal = cf.item("sdg", "6")
    assert '<fieldset class="link-groups" id="addition-links">' in addition
    assert (
        f'<input type="checkbox" name="addition-links" value="{goal.id}" id="addition-link-{goal.id}">'
        in (addition)
    )
    assert "<select" not in addition.split('class="link-groups"')[1].split("</fieldset>")[0]

    values = {f"addition-{k}": v for k, v in new_project_values(plan).items() if k != "links"}
    response = client.post(
        f"/revisions/{draft.id}/items/addition",
        data={**values, "addition-links": [str(goal.id)], "addition-reason": "จำเป็น"},
    )

    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    item = db.session.scalar(select(RevisionItem).where(RevisionItem.revision_id == draft.id))
    assert item is not None and item.values["links"] == [goal.id]

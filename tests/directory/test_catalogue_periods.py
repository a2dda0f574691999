"""Catalogues belong to a plan period (issue 12, item 11; ../shared/DOMAIN.md §7): the 13th NESDP's
milestones serve the plans of 2566–2570, and a plan of the next period (2571–2575) may neither be
offered nor link them; catalogues that span periods (the 20-year National Strategy, SDGs, budget
programmes) serve both."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from eplan_flow import messages
from eplan_flow.errors import InvalidInput, PermissionDenied
from eplan_flow.extensions import db as _db
from eplan_flow.models import CatalogueItem
from eplan_flow.services.directory import catalogues
from eplan_flow.services.planning import strategies
from tests.factories import catalogues as cf
from tests.factories import plans as pf

MILESTONE_9 = "ไทยมีความยากจนข้ามรุ่นลดลง และมีความคุ้มครองทางสังคมที่เพียงพอ เหมาะสม"


@pytest.fixture
def scene(world, db):
    cf.load(include_demo=True)
    world.plan_2566 = pf.drafting_plan(world.sao_a, world.planner, 2566)
    world.plan_2571 = pf.drafting_plan(world.sao_a, world.planner, 2571)
    world.s_2566 = pf.strategy(world.plan_2566, 1)
    world.s_2571 = pf.strategy(world.plan_2571, 1)
    world.works = cf.item("budget_programme", "00240")
    world.milestone = cf.item("nesdp_milestone", "9")
    world.national = cf.item("national_strategy", "4")
    world.sdg = cf.item("sdg", "1")
    return world


def test_the_shipped_nesdp_13_milestones_serve_2566_to_2570_and_the_spanning_catalogues_every_period(scene):
    milestones = _db.session.scalars(
        select(CatalogueItem).where(CatalogueItem.catalogue == "nesdp_milestone")
    )
    assert {m.period_start_be for m in milestones} == {2566}
    for item in (scene.national, scene.sdg, scene.works, cf.item("master_plan", "17")):
        assert item.period_start_be is None
    assert cf.item("provincial_strategy", "1", scope="38").period_start_be == 2566


def test_milestone_9_reads_as_the_nesdp_publishes_it(scene):
    assert scene.milestone.name_th == MILESTONE_9


def test_a_2571_plan_cannot_link_a_project_to_a_nesdp_13_milestone(scene):
    with pytest.raises(InvalidInput) as refused:
        pf.add_project(
            scene.plan_2571,
            scene.planner,
            scene.s_2571,
            scene.works,
            links=[scene.milestone.id],
            budgets={2571: "1000"},
        )
    assert refused.value.details["reason"] == "other_period"
    text = str(messages.message_for(refused.value, "field"))
    assert "แผนนี้เป็นแผนสำหรับ พ.ศ. 2571–2575" in text

    # The 20-year National Strategy and the SDGs serve the next period too; the 2566 plan takes the milestone.
    pf.add_project(
        scene.plan_2571,
        scene.planner,
        scene.s_2571,
        scene.works,
        links=[scene.national.id, scene.sdg.id],
        budgets={2571: "1000"},
    )
    pf.add_project(scene.plan_2566, scene.planner, scene.s_2566, scene.works, links=[scene.milestone.id])


def test_a_2571_plan_cannot_link_a_strategy_to_a_nesdp_13_milestone_nor_its_province_s_2566_strategies(scene):
    provincial = cf.item("provincial_strategy", "1", scope="38")
    for item in (scene.milestone, provincial):
        with pytest.raises(InvalidInput):
            strategies.set_strategy_links(scene.planner, scene.plan_2571.id, scene.s_2571.id, [item.id])
    strategies.set_strategy_links(
        scene.planner, scene.plan_2566.id, scene.s_2566.id, [scene.milestone.id, provincial.id]
    )
    offered = catalogues.link_choices("38", 2571)
    assert offered["nesdp_milestone"] == [] and offered["provincial_strategy"] == []
    assert scene.national in offered["national_strategy"]
    assert scene.milestone in catalogues.link_choices("38", 2566)["nesdp_milestone"]


def test_the_2571_project_form_does_not_offer_the_nesdp_13_milestones(scene, client, login_as):
    login_as(scene.planner)
    later = client.get(f"/plans/{scene.plan_2571.id}/projects/new").get_data(as_text=True)
    current = client.get(f"/plans/{scene.plan_2566.id}/projects/new").get_data(as_text=True)

    def offered(html: str, item) -> bool:
        return re.search(rf'name="links" value="{item.id}"', html) is not None

    assert offered(current, scene.milestone) and not offered(later, scene.milestone)
    assert offered(later, scene.national) and offered(later, scene.sdg)


def test_the_2571_project_form_refuses_a_posted_milestone_in_thai(scene, client, login_as):
    login_as(scene.planner)
    response = client.post(
        f"/plans/{scene.plan_2571.id}/projects/new",
        data={
            "name": "โครงการส่งเสริมอาชีพผู้สูงอายุ",
            "objective": "เพื่อเพิ่มรายได้",
            "target": "ผู้สูงอายุ 50 คน",
            "responsible_unit": "สำนักปลัด",
            "source": "own",
            "strategy_id": str(scene.s_2571.id),
            "tactic_id": "",
            "programme_id": str(scene.works.id),
            "budget_2571": "10,000.00",
            "links": [str(scene.milestone.id)],
        },
    )
    assert response.status_code == 422
    assert "รอบอื่น" in response.get_data(as_text=True)


def test_a_provincial_officer_files_the_next_period_s_strategies_under_their_period(scene):
    row = catalogues.create_item(
        scene.provincial_officer,
        catalogue="provincial_strategy",
        scope="38",
        code="1",
        name_th="ยกระดับเศรษฐกิจลุ่มน้ำโขงอย่างยั่งยืน",
        period_start_be=2571,
    )
    # The same code as the 2566 strategy 1: each period numbers its own.
    assert row.period_start_be == 2571
    assert row in catalogues.link_choices("38", 2571)["provincial_strategy"]
    assert row not in catalogues.link_choices("38", 2566)["provincial_strategy"]
    with pytest.raises(InvalidInput) as refused:
        catalogues.create_item(
            scene.provincial_officer,
            catalogue="provincial_strategy",
            scope="38",
            code="2",
            name_th="ยุทธศาสตร์",
            period_start_be=2572,
        )
    assert refused.value.details["field"] == "period_start_be"
    with pytest.raises(PermissionDenied):
        catalogues.update_item(scene.provincial_officer, scene.milestone.id, period_start_be=2571)


def test_the_back_office_shows_each_item_s_period_and_files_a_new_one_under_the_period_chosen(
    scene, client, login_as
):
    login_as(scene.provincial_officer)
    listing = client.get("/admin/catalogues/?page_size=200").get_data(as_text=True)
    assert "รอบแผนพัฒนาท้องถิ่น" in listing and "2566–2570" in listing and "ทุกรอบแผน" in listing

    ours = cf.item("provincial_strategy", "2", scope="38")
    edit = client.get(f"/admin/catalogues/edit/?id={ours.id}").get_data(as_text=True)
    assert re.search(r'<option selected value="2566">2566–2570</option>', edit) or re.search(
        r'<option value="2566" selected>2566–2570</option>', edit
    )
    assert '<option value="2571">2571–2575</option>' in edit

    response = client.post(
        "/admin/catalogues/new/",
        data={
            "catalogue": "provincial_strategy",
            "scope": "38",
            "period_start_be": "2571",
            "code": "2",
            "name_th": "พัฒนาการค้าชายแดนและโลจิสติกส์",
            "name_en": "",
            "position": "2",
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    added = _db.session.scalars(
        select(CatalogueItem).where(
            CatalogueItem.catalogue == "provincial_strategy",
            CatalogueItem.scope == "38",
            CatalogueItem.period_start_be == 2571,
        )
    ).one()
    assert added.code == "2" and ours.period_start_be == 2566

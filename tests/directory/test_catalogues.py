"""Catalogues (seed data and provincial master data) and a plan's strategies (ยท.01)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied
from eplan_flow.models import AuditEvent, CatalogueItem, LaoStrategy, Tactic
from eplan_flow.services.directory import catalogues
from eplan_flow.services.planning import plans, strategies
from eplan_flow.services.planning.strategies import PlanNotEditable
from eplan_flow.services.platform import audit, engine
from tests import factories
from tests.factories import catalogues as cf


def audit_count(db, **filters) -> int:
    return db.session.query(AuditEvent).filter_by(**filters).count()


def catalogue_counts(db) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        select(CatalogueItem.catalogue, CatalogueItem.scope, func.count()).group_by(
            CatalogueItem.catalogue, CatalogueItem.scope
        )
    ).all()
    return {(c, s): n for c, s, n in rows}


# -- seed data -------------------------------------------------------------------------------------
def test_the_shipped_national_catalogues_hold_6_strategies_23_master_plans_13_milestones_17_sdgs_12_programmes(
    db,
):
    report = cf.load(include_demo=False)

    assert catalogue_counts(db) == {
        ("national_strategy", ""): 6,
        ("master_plan", ""): 23,
        ("nesdp_milestone", ""): 13,
        ("sdg", ""): 17,
        ("budget_programme", ""): 12,
    }
    assert (report.added, report.updated) == (71, 0)
    assert [i.code for i in catalogues.items("master_plan")] == [f"{n:02d}" for n in range(1, 24)]
    assert cf.item("sdg", "17").name_en == "Partnerships for the goals"
    assert cf.item("nesdp_milestone", "13").name_th.startswith("ไทยมีภาครัฐที่ทันสมัย")
    assert all(i.name_th and i.name_en for i in db.session.scalars(select(CatalogueItem)))


def test_each_master_plan_belongs_to_its_national_strategy(db):
    cf.load(include_demo=False)
    expected = {
        1: (1, 2),
        2: (3, 4, 5, 6, 7, 8, 9, 23),
        3: (10, 11, 12, 13, 14),
        4: (15, 16, 17),
        5: (18, 19),
        6: (20, 21, 22),
    }

    for strategy_code, master_plans in expected.items():
        for number in master_plans:
            master_plan = cf.item("master_plan", f"{number:02d}")
            assert master_plan.parent.catalogue == "national_strategy"
            assert master_plan.parent.code == str(strategy_code), master_plan
    assert cf.item("master_plan", "19").name_th == "การบริหารจัดการน้ำทั้งระบบ"
    assert all(i.parent_id is None for i in catalogues.items("national_strategy"))


def test_loading_again_adds_nothing_writes_no_audit_event_and_restores_altered_national_text(db):
    cf.load()
    counts, events = catalogue_counts(db), audit_count(db)
    assert audit_count(db, chain=catalogues.SEED_CHAIN) == 1

    again = cf.load()

    assert (again.added, again.updated) == (0, 0)
    assert catalogue_counts(db) == counts and audit_count(db) == events

    sdg = cf.item("sdg", "1")
    sdg.name_th = "แก้ไขเอง"
    demo = cf.item("provincial_strategy", "1", scope="38")
    demo.name_th = "ยุทธศาสตร์ที่จังหวัดแก้ไขเอง"
    db.session.commit()

    restored = cf.load()

    assert (restored.added, restored.updated) == (0, 1)
    assert cf.item("sdg", "1").name_th == "ขจัดความยากจน"
    # The province's own edit of a demo entry is its data: a reload keeps it.
    assert cf.item("provincial_strategy", "1", scope="38").name_th == "ยุทธศาสตร์ที่จังหวัดแก้ไขเอง"
    assert audit_count(db, chain=catalogues.SEED_CHAIN) == 2


def test_provincial_catalogues_ship_empty_except_the_bueng_kan_demo_entries(db):
    cf.load(include_demo=False)
    assert not catalogues.items("provincial_strategy", "38")

    cf.load()

    counts = catalogue_counts(db)
    assert counts[("provincial_strategy", "38")] == 5
    assert counts[("province_lao_strategy", "38")] == 6
    assert {scope for (_, scope) in counts} == {"", "38"}
    assert all(i.name_en.startswith("Demo:") for i in catalogues.items("province_lao_strategy", "38"))


# -- provincial master data ------------------------------------------------------------------------
def test_a_provincial_officer_adds_and_edits_their_provinces_strategies_with_one_audit_event_each(world, db):
    cf.load()
    officer = world.provincial_officer

    created = catalogues.create_item(
        officer,
        catalogue="provincial_strategy",
        scope="38",
        code="6",
        name_th="พัฒนาเมืองชายแดนน่าอยู่",
        name_en="",
    )
    assert audit_count(db, chain=f"catalogue-item:{created.id}") == 1

    demo = cf.item("provincial_strategy", "2", scope="38")
    before = audit_count(db)
    catalogues.update_item(officer, demo.id, name_th="ส่งเสริมการท่องเที่ยวลุ่มน้ำโขง", position=9)

    events = audit.history(f"catalogue-item:{demo.id}")
    assert [(e.action, e.actor_id, e.organisation_id) for e in events] == [
        ("catalogue_item_updated", officer.id, world.po_38.id)
    ]
    assert events[0].data["position"] == [2, 9]
    assert audit_count(db) == before + 1
    assert cf.item("provincial_strategy", "2", scope="38").name_th == "ส่งเสริมการท่องเที่ยวลุ่มน้ำโขง"
    assert created.name_en is None


def test_a_provincial_officer_cannot_touch_another_provinces_items_nor_any_national_one(world, db):
    cf.load()
    theirs = cf.provincial_item("30", name_th="ยุทธศาสตร์ของโคราช")
    national = cf.item("national_strategy", "1")
    officer = world.provincial_officer
    before = audit_count(db)

    with pytest.raises(NotFound):
        catalogues.update_item(officer, theirs.id, name_th="แก้ของคนอื่น")
    with pytest.raises(PermissionDenied):
        catalogues.create_item(officer, catalogue="provincial_strategy", scope="30", code="9", name_th="x")
    with pytest.raises(PermissionDenied):
        catalogues.update_item(officer, national.id, name_th="x")
    with pytest.raises(InvalidInput) as caught:
        catalogues.create_item(officer, catalogue="sdg", scope="38", code="18", name_th="x")
    assert caught.value.details == {"field": "catalogue"}
    with pytest.raises(PermissionDenied):
        catalogues.create_item(
            world.planner, catalogue="provincial_strategy", scope="38", code="9", name_th="x"
        )

    assert audit_count(db) == before
    db.session.expire_all()
    assert theirs.name_th == "ยุทธศาสตร์ของโคราช" and national.name_th == "ความมั่นคง"
    assert catalogues.editable_scopes(officer) == {"38"}
    assert catalogues.editable_scopes(world.dla_admin) is None
    catalogues.update_item(world.dla_admin, theirs.id, name_th="ยุทธศาสตร์นครราชสีมา")
    assert audit_count(db) == before + 1


def test_a_duplicate_code_is_refused_on_the_code_and_leaves_nothing(world, db):
    cf.load()
    before = audit_count(db)
    with pytest.raises(InvalidInput) as caught:
        catalogues.create_item(
            world.provincial_officer, catalogue="provincial_strategy", scope="38", code="1", name_th="ซ้ำ"
        )
    assert caught.value.details == {"field": "code"}
    assert audit_count(db) == before
    assert not db.session.new and not db.session.dirty


# -- a plan's strategies ---------------------------------------------------------------------------
def test_a_planner_builds_the_strategies_of_a_drafting_plan_each_write_one_event_on_the_content_chain(
    world, db
):
    cf.load()
    plan = factories.plan(world.sao_a, world.planner)
    chain = strategies.content_chain(plan.id)
    planner = world.planner

    def one_event(action, write, actor=planner):
        before, total = audit_count(db, chain=chain), audit_count(db)
        result = write()
        events = audit.history(chain)
        assert len(events) == before + 1 and audit_count(db) == total + 1
        assert (events[-1].action, events[-1].actor_id, events[-1].organisation_id) == (
            action,
            actor.id,
            world.sao_a.id,
        )
        return result

    first = one_event(
        "strategy_created",
        lambda: strategies.create_strategy(planner, plan.id, number=1, name="ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐาน"),
    )
    second = one_event(
        "strategy_created",
        lambda: strategies.create_strategy(
            world.support_secretary, plan.id, number=2, name="ยุทธศาสตร์เศรษฐกิจ"
        ),
        actor=world.support_secretary,
    )
    one_event(
        "strategy_updated",
        lambda: strategies.update_strategy(
            planner, plan.id, second.id, number=3, name="ยุทธศาสตร์การพัฒนาเศรษฐกิจ"
        ),
    )
    links = [
        cf.item("national_strategy", "2"),
        cf.item("master_plan", "07"),
        cf.item("nesdp_milestone", "8"),
        cf.item("sdg", "9"),
        cf.item("provincial_strategy", "3", "38"),
        cf.item("province_lao_strategy", "1", "38"),
    ]
    one_event(
        "strategy_links_set",
        lambda: strategies.set_strategy_links(planner, plan.id, first.id, [i.id for i in links]),
    )
    tactic = one_event(
        "tactic_created",
        lambda: strategies.create_tactic(planner, plan.id, first.id, number=1, name="ก่อสร้างและปรับปรุงถนน"),
    )
    one_event(
        "tactic_updated",
        lambda: strategies.update_tactic(
            planner, plan.id, tactic.id, number=2, name="ก่อสร้าง ปรับปรุง และบำรุงรักษาถนน"
        ),
    )

    db.session.expire_all()
    assert [(s.number, s.name) for s in strategies.strategies_of(plan)] == [
        (1, "ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐาน"),
        (3, "ยุทธศาสตร์การพัฒนาเศรษฐกิจ"),
    ]
    assert db.session.get(Tactic, tactic.id).number == 2
    table = strategies.linkage_table(plan)
    assert [row.strategy.number for row in table] == [1, 3]
    assert {c: [i.code for i in items] for c, items in table[0].links.items()} == {
        "national_strategy": ["2"],
        "master_plan": ["07"],
        "nesdp_milestone": ["8"],
        "sdg": ["9"],
        "provincial_strategy": ["3"],
        "province_lao_strategy": ["1"],
    }
    assert all(not items for items in table[1].links.values())
    assert audit.verify_chains()[1] == []


def test_unlinking_and_relinking_records_what_was_added_and_removed(world, db):
    cf.load()
    plan = factories.plan(world.sao_a, world.planner)
    sdg_1, sdg_2 = cf.item("sdg", "1"), cf.item("sdg", "2")
    row = cf.strategy(plan, links=[sdg_1])

    strategies.set_strategy_links(world.support_secretary, plan.id, row.id, [sdg_2.id])

    event = audit.history(strategies.content_chain(plan.id))[-1]
    assert [r["code"] for r in event.data["added"]] == ["2"]
    assert [r["code"] for r in event.data["removed"]] == ["1"]
    before = audit_count(db)
    strategies.set_strategy_links(world.planner, plan.id, row.id, [sdg_2.id])  # nothing changes
    assert audit_count(db) == before


def test_links_to_another_provinces_items_or_to_budget_programmes_are_refused(world, db):
    cf.load()
    plan = factories.plan(world.sao_a, world.planner)
    row = cf.strategy(plan)
    korat = cf.provincial_item("30")
    before = audit_count(db)

    for bad in (korat, cf.item("budget_programme", "00210")):
        with pytest.raises(InvalidInput) as caught:
            strategies.set_strategy_links(world.planner, plan.id, row.id, [cf.item("sdg", "4").id, bad.id])
        assert caught.value.details == {"field": "links"}
    with pytest.raises(InvalidInput):
        strategies.set_strategy_links(world.planner, plan.id, row.id, [999999])

    assert audit_count(db) == before
    db.session.expire_all()
    assert db.session.get(LaoStrategy, row.id).links == []


def test_a_number_already_used_is_refused_on_the_number(world, db):
    plan = factories.plan(world.sao_a, world.planner)
    first, second = cf.strategy(plan, 1), cf.strategy(plan, 2)
    with pytest.raises(InvalidInput) as caught:
        strategies.update_strategy(world.planner, plan.id, second.id, number=1, name=second.name)
    assert caught.value.details == {"field": "number"}
    with pytest.raises(InvalidInput) as caught:
        strategies.create_strategy(world.planner, plan.id, number=0, name="x")
    assert caught.value.details == {"field": "number"}
    with pytest.raises(InvalidInput) as caught:
        strategies.create_strategy(world.planner, plan.id, number=4, name="   ")
    assert caught.value.details == {"field": "name", "reason": "blank"}
    assert audit_count(db, chain=strategies.content_chain(plan.id)) == 0
    assert first.number == 1


def test_strategies_are_refused_once_the_plan_has_left_drafting(world, db):
    cf.load()
    plan = factories.plan(world.sao_a, world.planner)
    row = cf.strategy(plan)
    engine.fire("plan", plan.id, "submit_to_committee", world.support_secretary)
    before = audit_count(db)

    writes = [
        lambda: strategies.create_strategy(world.planner, plan.id, number=2, name="ใหม่"),
        lambda: strategies.update_strategy(world.planner, plan.id, row.id, number=1, name="เปลี่ยนชื่อ"),
        lambda: strategies.set_strategy_links(world.planner, plan.id, row.id, [cf.item("sdg", "1").id]),
        lambda: strategies.create_tactic(world.planner, plan.id, row.id, number=1, name="กลยุทธ์"),
    ]
    for write in writes:
        with pytest.raises(PlanNotEditable) as caught:
            write()
        assert caught.value.details == {"status": "committee_review"}

    assert audit_count(db) == before
    db.session.expire_all()
    assert db.session.get(LaoStrategy, row.id).name == row.name and not row.tactics


def test_another_lao_cannot_see_or_change_the_plan_and_offices_only_read_it(world, db):
    cf.load()
    plan = factories.plan(world.sao_a, world.planner)
    row = cf.strategy(plan)
    before = audit_count(db)

    for outsider in (world.planner_x, world.town_planner, world.provincial_officer_30):
        with pytest.raises(NotFound):
            plans.get_plan(outsider, plan.id)
        with pytest.raises(NotFound):
            strategies.create_strategy(outsider, plan.id, number=2, name="แทรก")
        with pytest.raises(NotFound):
            strategies.update_strategy(outsider, plan.id, row.id, number=1, name="แทรก")
    for reader in (world.provincial_officer, world.district_officer, world.executive, world.dla_admin):
        assert plans.get_plan(reader, plan.id).id == plan.id
        with pytest.raises(PermissionDenied):
            strategies.create_strategy(reader, plan.id, number=2, name="แทรก")
    # A strategy of another plan is not found through this plan.
    other = cf.strategy(factories.plan(world.sao_x, world.planner_x))
    with pytest.raises(NotFound):
        strategies.update_strategy(world.planner, plan.id, other.id, number=5, name="x")

    assert audit_count(db) == before + 1  # the other plan's own creation


def test_the_load_catalogues_command_loads_once_and_reports_nothing_new_the_second_time(app, db):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["eplan", "load-catalogues", "--demo"])
    second = runner.invoke(args=["eplan", "load-catalogues"])

    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert "catalogues: 82 added, 0 updated, 0 unchanged" in first.output
    assert "master_plan 23" in first.output and "provincial_strategy 5" in first.output
    assert "catalogues: 0 added, 0 updated, 71 unchanged" in second.output

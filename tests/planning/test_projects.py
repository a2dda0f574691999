"""Drafting a plan's projects: the values a project may hold, and who may write them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from eplan_flow.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
)
from eplan_flow.models import AuditEvent, ProjectRecord
from eplan_flow.services.planning import plans, projects
from eplan_flow.services.platform import audit, engine
from tests.factories import plans as pf


@pytest.fixture
def drafted(world, db):
    world.plan = pf.drafting_plan(world.sao_a, world.planner)
    world.strategy = pf.strategy(world.plan, 1, tactics=2)
    world.other_strategy = pf.strategy(world.plan, 2)
    world.programme = pf.programme()
    return world


def _refused_field(plan, values, **kwargs) -> str:
    with pytest.raises(InvalidInput) as caught:
        projects.validate_project_values(plan, values, **kwargs)
    return caught.value.details["field"]


@pytest.mark.parametrize(
    "field", ["name", "objective", "target", "responsible_unit", "strategy_id", "programme_id"]
)
def test_a_missing_required_field_is_refused_by_name(drafted, field):
    values = pf.project_values(drafted.strategy, drafted.programme, **{field: ""})
    if field == "strategy_id":
        values["tactic_id"] = None
    assert _refused_field(drafted.plan, values) == field


@pytest.mark.parametrize("field", ["equipment_category", "equipment_type", "unit"])
def test_equipment_needs_its_own_columns(drafted, field):
    values = pf.project_values(
        drafted.strategy,
        drafted.programme,
        source="equipment",
        equipment_category="ครุภัณฑ์สำนักงาน",
        equipment_type="เครื่องคอมพิวเตอร์",
        unit="เครื่อง",
    )
    assert projects.validate_project_values(drafted.plan, values)["unit"] == "เครื่อง"
    values[field] = "  "
    assert _refused_field(drafted.plan, values) == field


def test_a_budget_year_outside_the_plan_period_is_refused(drafted):
    values = pf.project_values(drafted.strategy, drafted.programme, budgets={2571: "10.00"})
    assert _refused_field(drafted.plan, values) == "budgets"
    values = pf.project_values(drafted.strategy, drafted.programme, budgets={2565: "10.00"})
    assert _refused_field(drafted.plan, values) == "budgets"


@pytest.mark.parametrize("amount", ["-1.00", "abc", "1.001", "NaN", 0.1])
def test_a_bad_amount_is_refused_naming_its_year_column(drafted, amount):
    values = pf.project_values(drafted.strategy, drafted.programme, budgets={2568: amount})
    assert _refused_field(drafted.plan, values) == "budget_3"


def test_amounts_are_exact_decimals_mapped_to_the_years_of_the_period(drafted):
    values = pf.project_values(
        drafted.strategy, drafted.programme, budgets={"2567": "1,234,567.1", 2570: Decimal("0.10")}
    )
    cleaned = projects.validate_project_values(drafted.plan, values)
    assert cleaned["budget_2"] == Decimal("1234567.10")
    assert cleaned["budget_5"] == Decimal("0.10")
    assert cleaned["budget_1"] == Decimal("0.00")
    assert all(type(cleaned[f"budget_{i}"]) is Decimal for i in range(1, 6))


def test_a_strategy_or_tactic_of_another_plan_is_refused(drafted, world):
    other_plan = pf.drafting_plan(world.town_b, world.town_planner)
    foreign = pf.strategy(other_plan, 1)
    values = pf.project_values(foreign, drafted.programme)
    assert _refused_field(drafted.plan, values) == "strategy_id"
    values = pf.project_values(drafted.strategy, drafted.programme, tactic_id=foreign.tactics[0].id)
    assert _refused_field(drafted.plan, values) == "tactic_id"


def test_a_tactic_must_sit_under_the_chosen_strategy(drafted):
    values = pf.project_values(
        drafted.strategy, drafted.programme, tactic_id=drafted.other_strategy.tactics[0].id
    )
    assert _refused_field(drafted.plan, values) == "tactic_id"


def test_the_programme_must_be_a_budget_programme(drafted):
    sdg = pf.catalogue_item("sdg", "SDG6", "น้ำสะอาดและการสุขาภิบาล")
    values = pf.project_values(drafted.strategy, drafted.programme, programme_id=sdg.id)
    assert _refused_field(drafted.plan, values) == "programme_id"


def test_links_to_another_provinces_catalogue_are_refused(drafted):
    ours = pf.catalogue_item("provincial_strategy", "P1", "ยุทธศาสตร์จังหวัดบึงกาฬ 1", scope="38")
    theirs = pf.catalogue_item("provincial_strategy", "P1", "ยุทธศาสตร์จังหวัดนครราชสีมา 1", scope="30")
    sdg = pf.catalogue_item("sdg", "SDG6", "น้ำสะอาดและการสุขาภิบาล")
    values = pf.project_values(drafted.strategy, drafted.programme, links=[ours.id, str(sdg.id)])
    assert projects.validate_project_values(drafted.plan, values)["links"] == sorted([ours.id, sdg.id])
    values["links"] = [ours.id, theirs.id]
    assert _refused_field(drafted.plan, values) == "links"


def test_fields_outside_the_allowed_set_are_refused_by_name(drafted):
    values = {"name": "ชื่อใหม่", "objective": "วัตถุประสงค์ใหม่"}
    cleaned = projects.validate_project_values(
        drafted.plan, {"name": "ชื่อใหม่"}, allowed_fields={"name"}, partial=True
    )
    assert cleaned == {"name": "ชื่อใหม่"}
    assert _refused_field(drafted.plan, values, allowed_fields={"name"}, partial=True) == "objective"
    assert (
        _refused_field(drafted.plan, {"budgets": {2566: "1.00"}}, allowed_fields={"name"}, partial=True)
        == "budget_1"
    )


def test_a_planner_drafts_edits_and_deletes_projects_with_every_write_audited(drafted, world, db):
    first = pf.add_project(drafted.plan, world.planner, drafted.strategy, drafted.programme)
    second = pf.add_project(
        drafted.plan, world.support_secretary, drafted.strategy, drafted.programme, name="โครงการที่สอง"
    )
    assert (first.project_no, second.project_no) == (1, 2)
    assert (first.valid_from, first.valid_to) == (1, None)
    assert first.budget_3 == Decimal("250000.50")

    plans.update_project(
        world.planner,
        drafted.plan.id,
        1,
        pf.project_values(drafted.strategy, drafted.programme, name="ชื่อใหม่", budgets={2566: "1.00"}),
    )
    plans.delete_project(world.planner, drafted.plan.id, 2)
    third = pf.add_project(drafted.plan, world.planner, drafted.strategy, drafted.programme)

    assert third.project_no == 2, "a draft project's number is free again once deleted"
    current = projects.current_records(drafted.plan.id)
    assert [r.project_no for r in current] == [1, 2]
    assert current[0].name == "ชื่อใหม่" and current[0].budget_1 == Decimal("1.00")
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.chain == f"plan-content:{drafted.plan.id}")
        .order_by(AuditEvent.seq)
    ).all()
    # The civic forum's meeting on the draft (recorded by the factory) opens the content chain.
    assert [e.action for e in events] == [
        "record_civic_forum",
        "add_project",
        "add_project",
        "change_project",
        "delete_project",
        "add_project",
    ]
    assert events[3].data["changes"]["name"] == {"old": "โครงการก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ 3", "new": "ชื่อใหม่"}
    assert audit.verify_chains()[1] == []


def test_a_refused_project_writes_nothing(drafted, world, db):
    with pytest.raises(InvalidInput):
        pf.add_project(drafted.plan, world.planner, drafted.strategy, drafted.programme, budgets={2599: "1"})
    assert db.session.scalars(select(ProjectRecord)).all() == []
    written = db.session.scalars(select(AuditEvent).where(AuditEvent.chain.like("plan-content:%"))).all()
    assert [e.action for e in written] == ["record_civic_forum"]  # the factory's, nothing of the refusal


def test_only_the_lao_drafters_may_write_and_another_lao_sees_nothing(drafted, world):
    values = pf.project_values(drafted.strategy, drafted.programme)
    with pytest.raises(PermissionDenied):
        plans.add_project(world.executive, drafted.plan.id, values)
    with pytest.raises(PermissionDenied):
        plans.add_project(world.provincial_officer, drafted.plan.id, values)
    with pytest.raises(NotFound):
        plans.add_project(world.planner_x, drafted.plan.id, values)
    with pytest.raises(NotFound):
        plans.add_project(world.town_planner, drafted.plan.id, values)


def test_projects_of_a_plan_that_left_drafting_are_not_edited_directly(drafted, world):
    pf.add_project(drafted.plan, world.planner, drafted.strategy, drafted.programme)
    engine.fire("plan", drafted.plan.id, "submit_to_committee", world.planner)
    with pytest.raises(TransitionNotAllowed):
        pf.add_project(drafted.plan, world.planner, drafted.strategy, drafted.programme)
    with pytest.raises(TransitionNotAllowed):
        plans.delete_project(world.planner, drafted.plan.id, 1)


def test_a_planner_creates_one_plan_per_period_for_their_own_lao_only(world, db):
    plan = plans.create_plan(world.planner, world.sao_a.id, "2566")
    assert (plan.status, plan.period_end_be, plan.current_version) == ("drafting", 2570, 0)
    assert "2566–2570" in plan.title
    with pytest.raises(InvalidInput) as caught:
        plans.create_plan(world.planner, world.sao_a.id, 2566)
    assert caught.value.details["field"] == "period_start_be"
    with pytest.raises(NotFound):
        plans.create_plan(world.planner_x, world.sao_a.id, 2571)
    with pytest.raises(PermissionDenied):
        plans.create_plan(world.executive, world.sao_a.id, 2571)
    with pytest.raises(InvalidInput):
        plans.create_plan(world.planner, world.sao_a.id, "2O66")


def test_record_values_give_money_as_strings_and_links_as_ids(drafted, world):
    sdg = pf.catalogue_item("sdg", "SDG6", "น้ำสะอาดและการสุขาภิบาล")
    record = pf.add_project(drafted.plan, world.planner, drafted.strategy, drafted.programme, links=[sdg.id])
    values = projects.record_values(record)
    assert values["budget_1"] == "500000.00" and values["budget_4"] == "0.00"
    assert values["links"] == [sdg.id]
    assert values["strategy_id"] == drafted.strategy.id and values["source"] == "own"

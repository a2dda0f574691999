"""Workflow definitions, their shared machines and the registry: pure, no app, no database."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
from transitions import MachineError

import workflows
from tests.factories import plan_v2
from workflows import (
    REGISTRY,
    DefinitionError,
    Registry,
    UnknownWorkflow,
    WorkflowDefinition,
)
from workflows.plan import PLAN_V1
from workflows.roles import PSEUDO_ROLES, ROLES

DEFINITIONS = list(REGISTRY)


def row(status: str, lao_type: str = "sao") -> SimpleNamespace:
    return SimpleNamespace(status=status, organisation=SimpleNamespace(lao_type=lao_type))


def minimal(**changes) -> dict:
    data = {
        "name": "tiny",
        "version": 1,
        "title": {"th": "ทดสอบ", "en": "Tiny"},
        "initial": "open",
        "states": {"open": {"th": "เปิด"}, "closed": {"th": "ปิด"}},
        "triggers": {"close": {"th": "ปิด"}},
        "transitions": [{"trigger": "close", "source": "open", "dest": "closed", "roles": ["planner"]}],
    }
    data.update(changes)
    return data


def with_transition(**changes) -> dict:
    data = minimal()
    data["transitions"] = [{**data["transitions"][0], **changes}]
    return data


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.key)
def test_every_registered_definition_builds_and_validates(definition):
    rebuilt = WorkflowDefinition(copy.deepcopy(definition.data))
    assert rebuilt.key == definition.key
    assert definition.initial in definition.states
    assert definition.machine is definition.machine  # one shared machine per version


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.key)
def test_every_role_a_definition_names_is_in_the_role_catalogue(definition):
    named = {role for spec in definition.transitions for role in spec.roles}
    assert named
    assert named <= set(ROLES) | set(PSEUDO_ROLES)


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.key)
def test_every_state_of_a_definition_is_reachable_from_its_initial_state(definition):
    reached, frontier = {definition.initial}, [definition.initial]
    while frontier:
        state = frontier.pop()
        for spec in definition.transitions_from(state):
            if spec.dest not in reached:
                reached.add(spec.dest)
                frontier.append(spec.dest)
    assert reached == set(definition.states)


def test_a_minimal_definition_is_accepted():
    assert WorkflowDefinition(minimal()).key == "tiny@1"


def test_a_definition_names_its_entry_actions_by_module_and_function_in_order():
    definition = WorkflowDefinition(minimal(on_enter={"closed": ["pkg.mod:first", "pkg.other:second"]}))
    assert definition.entry_actions("closed") == ("pkg.mod:first", "pkg.other:second")
    assert definition.entry_actions("open") == ()


@pytest.mark.parametrize(
    "data, message",
    [
        (with_transition(dest="nowhere"), "unknown state 'nowhere'"),
        (with_transition(source="nowhere"), "unknown state 'nowhere'"),
        (with_transition(roles=["mayor"]), "unknown role 'mayor'"),
        (with_transition(roles=[]), "has no roles"),
        (with_transition(guards=["full_moon"]), "unknown guard 'full_moon'"),
        (with_transition(unless=["full_moon"]), "unknown guard 'full_moon'"),
        (minimal(triggers={}), "trigger 'close' has no label"),
        (minimal(triggers={"close": {"en": "Close"}}), "trigger 'close' has no label"),
        (minimal(initial="limbo"), "initial state 'limbo' is not a state"),
        (minimal(states={"open": {"th": "เปิด"}, "closed": {}}), "state 'closed' has no Thai label"),
        (minimal(transitions=[]), "has no transitions"),
        (minimal(requires={"limbo": ["close"]}), "requires names unknown state 'limbo'"),
        (minimal(requires={"closed": ["clsoe"]}), "requires names unknown trigger 'clsoe'"),
        (minimal(requires={"closed": [{"trigger": "close", "when": "full_moon"}]}), "unknown guard"),
        (minimal(on_enter={"limbo": ["pkg.mod:act"]}), "on_enter names unknown state 'limbo'"),
        (minimal(on_enter={"closed": "pkg.mod:act"}), "on_enter of state 'closed' is not a list"),
        (minimal(on_enter={"closed": ["apply_revision"]}), "not a 'package.module:function' reference"),
        (minimal(on_enter={"closed": ["pkg.mod.act"]}), "not a 'package.module:function' reference"),
        (minimal(on_enter={"closed": ["pkg.mod:act", "pkg.mod:act"]}), "names an action twice"),
    ],
)
def test_an_inconsistent_definition_is_refused_with_a_definition_error(data, message):
    with pytest.raises(DefinitionError, match=message):
        WorkflowDefinition(data)


@pytest.mark.parametrize("missing", ["name", "version", "title", "initial", "states", "transitions"])
def test_a_definition_missing_a_required_key_is_a_definition_error_not_a_key_error(missing):
    data = minimal()
    del data[missing]
    with pytest.raises(DefinitionError):
        WorkflowDefinition(data)


def test_the_shared_machine_moves_a_plain_object_along_valid_triggers():
    machine = REGISTRY.get("plan", 1).machine
    plan = row("drafting", "town_municipality")
    for trigger, expected in [
        ("submit_to_committee", "committee_review"),
        ("endorse", "executive_review"),
        ("approve_and_announce", "announced"),
        ("submit_to_oversight", "submitted"),
        ("return_with_remarks", "announced"),
        ("submit_to_oversight", "submitted"),
        ("acknowledge", "acknowledged"),
    ]:
        assert machine.events[trigger].trigger(plan) is True
        assert plan.status == expected


@pytest.mark.parametrize(
    "status, trigger",
    [
        ("drafting", "endorse"),
        ("drafting", "approve_and_announce"),
        ("committee_review", "approve_by_council"),
        ("announced", "return_for_revision"),
        ("acknowledged", "submit_to_oversight"),
    ],
)
def test_the_shared_machine_refuses_a_trigger_from_the_wrong_state(status, trigger):
    plan = row(status)
    with pytest.raises(MachineError):
        REGISTRY.get("plan", 1).machine.events[trigger].trigger(plan)
    assert plan.status == status


def test_the_shared_machine_serves_many_objects_without_mixing_their_states():
    machine = REGISTRY.get("plan", 1).machine
    first, second = row("drafting"), row("committee_review")
    machine.events["submit_to_committee"].trigger(first)
    machine.events["endorse"].trigger(second)
    assert (first.status, second.status) == ("committee_review", "council_review")


@pytest.mark.parametrize(
    "lao_type, expected",
    [
        ("sao", "council_review"),
        ("town_municipality", "executive_review"),
        ("subdistrict_municipality", "executive_review"),
        ("city_municipality", "executive_review"),
        ("pao", "executive_review"),
    ],
)
def test_endorse_routes_a_sao_to_its_council_and_a_municipality_to_its_executive(lao_type, expected):
    plan = row("committee_review", lao_type)
    assert REGISTRY.get("plan", 1).machine.events["endorse"].trigger(plan) is True
    assert plan.status == expected


def test_a_sao_plan_needs_the_councils_approval_to_be_announced_and_a_municipality_does_not():
    definition = REGISTRY.get("plan", 1)
    assert definition.required_triggers("announced", row("announced", "sao")) == [
        "endorse",
        "approve_by_council",
        "approve_and_announce",
    ]
    assert definition.required_triggers("announced", row("announced", "town_municipality")) == [
        "endorse",
        "approve_and_announce",
    ]
    assert definition.required_triggers("drafting", row("drafting")) == []


def test_the_mermaid_diagram_marks_the_current_state_active_and_carries_the_thai_labels():
    definition = REGISTRY.get("plan", 1)
    text = definition.mermaid(current="committee_review")
    assert text.lstrip().startswith("---") and "stateDiagram-v2" in text
    assert "class committee_review s_active" in text
    assert text.count("s_active") == 2  # its classDef and the one current state
    assert 'state "เสนอคณะกรรมการพัฒนาท้องถิ่น" as committee_review' in text
    assert "executive_review --> announced: ผู้บริหารอนุมัติและประกาศใช้" in text
    for state in definition.states:
        assert f'state "{definition.label(state)}" as {state}' in text


def test_the_mermaid_diagram_without_an_instance_marks_no_state_active_and_can_speak_english():
    definition = REGISTRY.get("plan", 1)
    text = definition.mermaid()
    assert "class drafting s_default" in text
    assert [
        line for line in text.splitlines() if line.strip().startswith("class ") and "s_active" in line
    ] == []
    english = definition.mermaid(current="announced", locale="en")
    assert 'state "Announced" as announced' in english
    assert "class announced s_active" in english


def test_the_graphviz_diagram_labels_states_and_steps_in_thai_and_makes_only_the_current_state_bold():
    definition = REGISTRY.get("plan", 1)
    text = definition.dot(current="council_review")
    assert text.startswith('digraph "plan@1" {') and text.rstrip().endswith("}")
    assert '"[*]" -> "drafting";' in text
    assert '"council_review" [label=<<B>เสนอสภาท้องถิ่น</B>>, fillcolor="#1f4e8c"' in text
    assert text.count("<B>") == 1
    assert '"executive_review" -> "announced" [label=" ผู้บริหารอนุมัติและประกาศใช้ "];' in text
    for state in definition.states:
        label = definition.label(state)
        assert f'"{state}" [label="{label}"];' in text or f'"{state}" [label=<<B>{label}</B>>' in text
    assert "<B>" not in definition.dot() and "Announced" in definition.dot(locale="en")


def test_the_graphviz_diagram_quotes_labels_so_they_stay_labels():
    data = copy.deepcopy(PLAN_V1)
    data["states"]["drafting"]["th"] = 'ร่าง "ก" \\ <b>'
    definition = WorkflowDefinition(data)
    assert '"drafting" [label="ร่าง \\"ก\\" \\\\ <b>"];' in definition.dot()
    assert "label=<<B>ร่าง &quot;ก&quot; \\ &lt;b&gt;</B>>" in definition.dot(current="drafting")


def test_the_registry_starts_new_instances_on_the_latest_version_and_keeps_old_ones_reachable():
    registry = Registry(PLAN_V1, plan_v2())
    assert registry.get("plan").version == 2
    assert registry.get("plan", 1).version == 1
    assert [d.version for d in registry.versions("plan")] == [1, 2]
    assert registry.names() == ["plan"]
    old, new = registry.get("plan", 1), registry.get("plan", 2)
    assert old.candidates(row("drafting"), "submit_to_committee")
    assert not new.candidates(row("drafting"), "submit_to_committee")
    assert new.candidates(row("drafting"), "hold_civic_forum")


def test_the_registry_refuses_a_duplicate_version_and_names_unknown_workflows():
    registry = Registry(PLAN_V1)
    with pytest.raises(DefinitionError, match="already registered"):
        registry.register(copy.deepcopy(PLAN_V1))
    with pytest.raises(UnknownWorkflow):
        registry.get("budget")
    with pytest.raises(UnknownWorkflow):
        registry.get("plan", 7)


def test_the_global_registry_holds_the_plan_workflow():
    assert "plan" in workflows.REGISTRY.names()
    assert workflows.REGISTRY.get("plan").initial == "drafting"

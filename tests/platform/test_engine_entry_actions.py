"""Entry actions are named in the workflow definitions and found by that name: a misspelt or forgotten
one stops the app at start-up, and none of them depends on who happened to import its module."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from eplan_flow import create_app
from eplan_flow.services.platform import engine
from tests.conftest import TEST_CONFIG
from workflows import REGISTRY, DefinitionError, Registry
from workflows.plan import PLAN_V1

ROOT = Path(__file__).resolve().parents[2]
PLANS = "eplan_flow.services.planning.plans"


def plan_with(**on_enter) -> dict:
    """PLAN_V1 with some states' entry actions replaced (an empty list drops a state's actions)."""
    data = copy.deepcopy(PLAN_V1)
    data["on_enter"] = {**data["on_enter"], **on_enter}
    return data


def registry_with(plan: dict) -> Registry:
    """Every registered definition, with ``plan`` in place of the plan workflow."""
    return Registry(*(d.data for d in REGISTRY if d.name != "plan"), plan)


@pytest.mark.parametrize("definition", list(REGISTRY), ids=lambda d: d.key)
def test_every_entry_action_a_definition_names_resolves_to_the_function_of_that_name(definition):
    assert definition.on_enter  # every workflow does some work on entering a state
    for state, names in definition.on_enter.items():
        assert [engine.reference_of(a) for a in engine.entry_actions(definition, state)] == list(names)


def test_the_definitions_as_shipped_name_every_marked_action_and_nothing_else():
    engine.resolve_entry_actions()  # raises on a missing or an unnamed action


@pytest.mark.parametrize(
    "reference, problem",
    [
        (f"{PLANS}:make_first_versoin", "does not exist"),
        ("eplan_flow.services.planning.plan:make_first_version", "names a module that does not exist"),
        # A real function, but not one written to run inside a transition.
        (f"{PLANS}:create_plan", "is not marked @engine.entry_action"),
    ],
)
def test_a_definition_naming_an_action_that_is_not_there_fails_naming_workflow_state_and_action(
    reference, problem
):
    registry = registry_with(plan_with(announced=[reference]))
    expected = f"workflow plan@1, state 'announced': the entry action '{reference}' {problem}"
    with pytest.raises(DefinitionError, match=expected):
        engine.resolve_entry_actions(registry)
    # The same refusal at the first step that needs it, had nobody resolved the names before.
    with pytest.raises(DefinitionError, match=expected):
        engine.entry_actions(registry.get("plan"), "announced")


def test_the_app_does_not_start_when_a_definition_names_a_missing_action(monkeypatch):
    monkeypatch.setattr(engine, "REGISTRY", registry_with(plan_with(submitted=[f"{PLANS}:record_submision"])))
    with pytest.raises(DefinitionError, match=r"workflow plan@1, state 'submitted'.*record_submision"):
        create_app(TEST_CONFIG)


def test_a_marked_action_that_no_definition_names_stops_the_start_up():
    registry = registry_with(plan_with(submitted=[]))
    with pytest.raises(DefinitionError, match=f"no workflow definition names.*{PLANS}:record_submission"):
        engine.resolve_entry_actions(registry)


def test_announcing_a_revision_applies_it_in_a_process_where_nobody_imported_the_revision_service():
    # Only the engine and the definitions, as a worker or a script firing approve_and_announce has:
    # the definition names the action, so the engine imports the module that holds it.
    script = "\n".join(
        [
            "import sys",
            "from eplan_flow.services.platform import engine",
            "from workflows import REGISTRY",
            "module = 'eplan_flow.services.planning.revisions'",
            "print(module in sys.modules)",
            "actions = engine.entry_actions(REGISTRY.get('revision'), 'announced')",
            "print(module in sys.modules, [engine.reference_of(a) for a in actions])",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "False",
        # Version 2 checks the years it touches before applying (issue 12).
        "True ['eplan_flow.services.planning.revisions:check_years', "
        "'eplan_flow.services.planning.revisions:apply_revision']",
    ]

"""Workflow definitions as data, and the registry that builds them.

This package is pure: no Flask, no database. ``eplan_flow`` builds on it, never the reverse.
"""

from __future__ import annotations

from workflows.access import ACCESS_V1
from workflows.account import ACCOUNT_V1
from workflows.action_plan import ACTION_PLAN_V1
from workflows.definition import DefinitionError, TransitionSpec, WorkflowDefinition
from workflows.evaluation import EVALUATION_V1, EVALUATION_V2
from workflows.execution import EXECUTION_V1, EXECUTION_V2, EXECUTION_V3
from workflows.plan import PLAN_V1, PLAN_V2
from workflows.review import REVIEW_V1
from workflows.revision import REVISION_V1, REVISION_V2


class UnknownWorkflow(LookupError):
    """No definition has that name (and version)."""


class Registry:
    """Every definition version; new instances start on the latest version of their name."""

    def __init__(self, *datas: dict) -> None:
        self._defs: dict[tuple[str, int], WorkflowDefinition] = {}
        for data in datas:
            self.register(data)

    def register(self, data: dict) -> WorkflowDefinition:
        definition = WorkflowDefinition(data)
        key = (definition.name, definition.version)
        if key in self._defs:
            raise DefinitionError(f"workflow {definition.key} is already registered")
        self._defs[key] = definition
        return definition

    def get(self, name: str, version: int | None = None) -> WorkflowDefinition:
        if version is None:
            versions = [v for (n, v) in self._defs if n == name]
            if not versions:
                raise UnknownWorkflow(name)
            version = max(versions)
        try:
            return self._defs[(name, version)]
        except KeyError:
            raise UnknownWorkflow(f"{name} v{version}") from None

    def names(self) -> list[str]:
        return sorted({n for (n, _) in self._defs})

    def versions(self, name: str) -> list[WorkflowDefinition]:
        return sorted((d for (n, _), d in self._defs.items() if n == name), key=lambda d: d.version)

    def __iter__(self):
        return iter(sorted(self._defs.values(), key=lambda d: (d.name, d.version)))


REGISTRY = Registry(
    PLAN_V1,
    PLAN_V2,
    REVISION_V1,
    REVISION_V2,
    REVIEW_V1,
    EXECUTION_V1,
    EXECUTION_V2,
    EXECUTION_V3,
    ACCOUNT_V1,
    ACCESS_V1,
    EVALUATION_V1,
    EVALUATION_V2,
    ACTION_PLAN_V1,
)

__all__ = [
    "REGISTRY",
    "DefinitionError",
    "Registry",
    "TransitionSpec",
    "UnknownWorkflow",
    "WorkflowDefinition",
]

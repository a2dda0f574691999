from eplan_flow.api import bp  # noqa: F401

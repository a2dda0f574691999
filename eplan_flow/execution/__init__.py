"""The execution pages: a plan's projects in a fiscal year, and one project's year with its money."""

from flask import Blueprint

bp = Blueprint("execution", __name__)

from eplan_flow.execution import action_plans, ordinance, routes  # noqa: F401

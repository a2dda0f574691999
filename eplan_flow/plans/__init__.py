"""The plans pages."""

from flask import Blueprint

bp = Blueprint("plans", __name__)

from eplan_flow.plans import imports, reviews, routes  # noqa: F401

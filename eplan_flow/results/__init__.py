"""Year-end actuals and the monitoring and evaluation report."""

from flask import Blueprint

bp = Blueprint("results", __name__)

from eplan_flow.results import routes  # noqa: F401

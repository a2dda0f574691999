"""The web pages people use: their work, each workflow instance, its diagram and history."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from eplan_flow.main import duties, links, overdue, routes  # noqa: F401

"""Oversight dashboards for district and provincial offices and DLA."""

from flask import Blueprint

bp = Blueprint("oversight", __name__)

from eplan_flow.oversight import routes  # noqa: F401

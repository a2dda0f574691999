"""The public pages."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from eplan_flow.public import routes  # noqa: F401

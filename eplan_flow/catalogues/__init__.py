"""The catalogues pages."""

from flask import Blueprint

bp = Blueprint("catalogues", __name__)

from eplan_flow.catalogues import routes  # noqa: F401

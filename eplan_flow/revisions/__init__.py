"""The revisions pages."""

from flask import Blueprint

bp = Blueprint("revisions", __name__)

from eplan_flow.revisions import routes  # noqa: F401

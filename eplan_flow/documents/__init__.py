"""Pages that hand out the official forms as PDF and Excel files, and follow long renders."""

from flask import Blueprint

bp = Blueprint("documents", __name__)

from eplan_flow.documents import routes  # noqa: E402, F401

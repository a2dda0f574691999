"""JSON API v1: session or bearer auth, errors as ``{"code", "message"}``."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from eplan_flow.api import routes  # noqa: E402,F401

"""JSON API v1: session or bearer auth, errors as ``{"code", "message"[, "details"]}``."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from eplan_flow.api import auth, errors, openapi, resources, routes  # noqa: F401  (register hooks and views)

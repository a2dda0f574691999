"""Small helpers the blueprints share."""
from flask import abort

from eplan_flow.errors import NotFound, PermissionDenied


def or_abort(call, *args, **kwargs):
    """Run a service call; its NotFound becomes a 404 and its PermissionDenied a 403."""
    try:
        return call(*args, **kwargs)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)

"""Small helpers the blueprints share."""
from urllib.parse import urlsplit

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


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site (never another host: no open redirect), else ``default``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default

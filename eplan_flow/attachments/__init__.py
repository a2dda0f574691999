"""Signed files (announcements, minutes, resolutions) attached to steps, versions and revisions."""

from flask import Blueprint, current_app, request

bp = Blueprint("attachments", __name__)

# The upload routes, whose requests may carry a file up to ATTACHMENT_MAX_BYTES.
UPLOAD_ENDPOINTS = frozenset({"attachments.attach", "attachments.attach_to_step"})
# Room beyond the file for the form's other fields and the multipart framing.
FORM_MARGIN = 64 * 1024


def _widen_upload_limit():
    """Size an upload's request by its file's limit: MAX_CONTENT_LENGTH stays every other request's.

    Runs first of the app's hooks: CSRF protection and others read the form, and the limit must
    be set before the body is parsed.
    """
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = int(current_app.config["ATTACHMENT_MAX_BYTES"]) + FORM_MARGIN


@bp.record_once
def _install(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _widen_upload_limit)


from eplan_flow.attachments import routes  # noqa: E402,F401

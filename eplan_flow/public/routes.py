"""The public posting page (no sign-in): each LAO's announced plans and revisions.

The regulation asks an LAO to post its announcements for at least 30 days; this page lists every
announced one, newest first, marking those still inside the posting period.
"""

from __future__ import annotations

import io

from flask import abort, make_response, render_template, request, send_file, session
from flask_login import current_user

from eplan_flow import text
from eplan_flow.errors import InvalidInput, NotFound
from eplan_flow.public import bp
from eplan_flow.services.planning import attachments, public
from workflows.deadlines import DEADLINES_V1

# Shared caches may keep an anonymous page this long; announcements change a few times a year.
MAX_AGE = 300
# The longest search kept: a longer one is cut, not refused.
QUERY_MAX = 100


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _query() -> str:
    """The search box's text, cleaned as any typed text is. A search is never refused: one the
    cleaning rule refuses (a NUL, a stack of marks) searches for nothing in particular."""
    try:
        cleaned = text.clean_text(request.args.get("q", "", type=str), field="q")
    except InvalidInput:
        cleaned = None
    return (cleaned or "")[:QUERY_MAX]


def _cacheable(html: str):
    response = make_response(html)
    # A signed-in reader's page carries their name in the header; a language switch sets a cookie.
    shared = not current_user.is_authenticated and not session.modified
    response.cache_control.public = shared
    response.cache_control.private = None if shared else True  # None drops the directive
    response.cache_control.max_age = MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/")
def index():
    q = _query()
    result = public.announcements(q=q, page=_page())
    return _cacheable(
        render_template(
            "public/index.html",
            result=result,
            q=q,
            posting_days=DEADLINES_V1["posting_days"],
        )
    )


@bp.route("/<lao_code>")
def lao(lao_code: str):
    org = public.lao_by_code(lao_code)
    if org is None:
        abort(404)
    result = public.announcements(lao_code=org.code, page=_page())
    return _cacheable(
        render_template(
            "public/lao.html",
            org=org,
            result=result,
            posting_days=DEADLINES_V1["posting_days"],
        )
    )


@bp.route("/files/<int:attachment_id>")
def attachment(attachment_id: int):
    """A signed announcement posted with an announced plan or revision (anyone may download it)."""
    try:
        row, data = attachments.public_file(attachment_id)
    except NotFound:
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype=row.media_type,
        as_attachment=True,
        download_name=attachments.download_name(row),
        etag=row.sha256,
        max_age=MAX_AGE,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = True
    return response.make_conditional(request)

"""Helpers of page tests: what a browser reads off a page, what a row says after a request."""

from __future__ import annotations

import re

from eplan_flow.extensions import db as _db
from eplan_flow.models import Plan


def plan_status(app, plan_id: int) -> str:
    with app.app_context():
        try:
            return _db.session.get(Plan, plan_id).status
        finally:
            _db.session.remove()


TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token_in(html: str) -> str:
    """The CSRF token a rendered page carries, as a browser would send it back."""
    match = TOKEN.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)

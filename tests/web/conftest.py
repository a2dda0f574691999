"""Web fixtures: an app with CSRF protection on, as in production."""
from __future__ import annotations

import re

import pytest

from eplan_flow.extensions import db as _db
from tests.conftest import _reset, make_app


@pytest.fixture
def csrf_app(_schema):
    app = make_app(WTF_CSRF_ENABLED=True)
    yield app
    from eplan_flow.services.platform.queues import drain_in_process

    drain_in_process(app)
    _reset(app, _schema)


@pytest.fixture
def csrf_plan_id(csrf_app):
    """A world and one drafting plan of sao_a; returns the plan's id.

    The app context is closed before the test's requests: each request must get its own ``g``,
    where Flask-WTF caches the token of the session it signed (sign-in starts a new session).
    """
    from tests import factories

    with csrf_app.app_context():
        world = factories.build_world()
        plan_id = factories.plan(world.sao_a, world.planner).id
        _db.session.remove()
    return plan_id


def plan_status(app, plan_id: int) -> str:
    from eplan_flow.models import Plan

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


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs():
    """Compile the translation catalogs when a .mo is missing or older than its .po (as make does)."""
    import os
    import tempfile
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    import eplan_flow

    for po in Path(eplan_flow.__file__).parent.glob("translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        # Write beside and rename, so a concurrent run never reads half a file.
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as target:
            write_mo(target, catalog)
        os.chmod(tmp, 0o644)
        os.replace(tmp, mo)

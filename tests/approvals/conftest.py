"""Fixtures of the approval tests: an app with CSRF protection on, as in production."""
from __future__ import annotations

import pytest

from tests.conftest import _reset, make_app


@pytest.fixture
def csrf_app(_schema):
    app = make_app(WTF_CSRF_ENABLED=True)
    yield app
    from eplan_flow.services.platform.queues import drain_in_process

    drain_in_process(app)
    _reset(app, _schema)

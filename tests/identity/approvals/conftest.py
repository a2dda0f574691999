"""Fixtures of the approval tests: an app with CSRF protection on, as in production."""

from __future__ import annotations

import pytest

from eplan_flow.services.platform.queues import drain_in_process
from tests.conftest import make_app


@pytest.fixture
def csrf_app(_schema):
    app = make_app(WTF_CSRF_ENABLED=True)
    yield app
    drain_in_process(app)

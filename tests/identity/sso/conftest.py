"""SSO fixtures: valid citizen IDs, a registration builder, and apps with their own configuration."""

from __future__ import annotations

import re

import pytest

from eplan_flow.extensions import db as _db
from eplan_flow.services.identity import identity
from eplan_flow.services.identity.citizen_id import check_digit
from eplan_flow.services.platform.queues import drain_in_process
from tests.conftest import make_app

STRONG_PASSWORD = "Bueng Kan plans 2569"
LINK_BASE = "http://sso.test/sso/confirm/"


def citizen_id(seed: int) -> str:
    """A valid 13-digit citizen ID (right check digit), different for each seed."""
    first12 = f"1{seed:011d}"
    return first12 + str(check_digit(first12))


def wrong_check_digit(value: str) -> str:
    return value[:12] + str((int(value[12]) + 1) % 10)


def registration(org, seed: int = 1, **overrides) -> identity.Registration:
    values = dict(
        citizen_id=citizen_id(seed),
        title="นาย",
        first_name="สมชาย",
        last_name=f"ใจดี{seed}",
        email=f"somchai{seed}@lao.example.test",
        organisation_id=org.id,
        password=STRONG_PASSWORD,
        phone="081-234-5678",
        position="นักวิเคราะห์นโยบายและแผน",
        requested_role="member",
    )
    values.update(overrides)
    return identity.Registration(**values)


def register(org, seed: int = 1, **overrides):
    """Register through the service (outside a request, so with an explicit link builder)."""
    return identity.register(registration(org, seed, **overrides), link=lambda token: LINK_BASE + token)


def token_in(body: str) -> str:
    match = re.search(r"/sso/confirm/(\S+)", body)
    assert match, "no confirmation link in the message"
    return match.group(1)


@pytest.fixture
def make_sso_app(_schema):
    """Apps with their own configuration on the test database; cleaned like the ``app`` fixture.

    Build them before pushing any app context, and set data up inside ``with app.app_context()``.
    """
    built = []

    def _make(**overrides):
        other = make_app(**overrides)
        built.append(other)
        return other

    yield _make
    for other in built:
        drain_in_process(other)
        with other.app_context():
            _db.session.remove()

"""A person at the SSO who registered with a sample citizen's ID, and a browser for them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests

from eplan_flow.extensions import db
from eplan_flow.models import Account, User
from eplan_flow.services.identity import citizen_id
from eplan_flow.services.platform import engine
from eplan_flow.thaid_dev.citizens import BY_KEY, BY_PID
from tests import factories


def registered_person(
    *, pid: str, confirmed: bool = True, full_name: str | None = None, birth_date=None
) -> SimpleNamespace:
    """The rows registration makes (built here, not through the registration service), with the
    email address confirmed through the engine unless ``confirmed`` is False. The name and birth
    date are the sample citizen's of ``pid`` unless given."""
    citizen = BY_PID.get(pid)
    factories.province("38", "บึงกาฬ")
    factories.district("3801", "เมืองบึงกาฬ")
    lao = factories.lao("หนองเลิง", "sao", "3801")
    person = User(
        username="somchai@example.test",
        email="somchai@example.test",
        full_name=full_name or (citizen.name if citizen else "นายสมชาย ใจดี"),
        birth_date=birth_date if birth_date is not None else (citizen.birthdate if citizen else None),
        organisation_id=lao.id,
        password_hash=factories.PASSWORD_HASH,
        citizen_id_encrypted=citizen_id.encrypt(pid),
        citizen_id_digest=citizen_id.digest(pid),
    )
    db.session.add(person)
    db.session.flush()
    account = engine.start(
        Account(user_id=person.id, organisation_id=lao.id, requested_role="member"), person
    )
    db.session.commit()
    if confirmed:
        engine.fire("account", account.id, "confirm_email", person)
    return SimpleNamespace(user_id=person.id, account_id=account.id, email=person.email, lao_id=lao.id)


@pytest.fixture
def server(live_server):
    return live_server


@pytest.fixture
def person(server):
    """Registered as Somchai, the first sample citizen, with the email address confirmed."""
    with server.app.app_context():
        return registered_person(pid=BY_KEY["somchai"].pid)


@pytest.fixture
def browser(server):
    """A browser (cookies kept) that reads the pages in English."""
    session = requests.Session()
    session.get(f"{server.url}/sso/login?lang=en", timeout=10)
    yield session
    session.close()


def sign_in(server, browser, email: str, password: str = "pw") -> None:
    response = browser.post(
        f"{server.url}/sso/login",
        data={"email": email, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code in (302, 303), response.text[:500]

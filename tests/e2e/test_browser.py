"""End to end in Debian's Chromium (driven by Playwright) against a real server on loopback.

The browser runs with JavaScript disabled: the core forms must work without it. axe-core checks
the pages it reaches in a second context with JavaScript on (tests/e2e/axe.py).
"""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, Plan
from tests import factories
from tests.e2e.axe import assert_accessible

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    # The address the app puts in the links it emails (never a request's Host): this server's.
    app.config["BASE_URL"] = url
    yield url
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def browser(chromium):
    """The session's Chromium (tests/e2e/conftest.py): one Playwright per process, whichever module
    starts it first."""
    return chromium


def assert_page_accessible(browser, page) -> None:
    """axe-core needs JavaScript: open what the no-JavaScript page shows, with the same cookies, in a
    context that runs scripts, and check it there."""
    context = browser.new_context(locale="th-TH", storage_state=page.context.storage_state())
    try:
        checked = context.new_page()
        checked.goto(page.url)
        assert_accessible(checked)
    finally:
        context.close()


def test_a_planner_signs_in_and_moves_a_plan_to_the_committee_without_javascript(
    app, world, live_server, browser, tmp_path
):
    plan = factories.plan(world.sao_a, world.planner)
    page = browser.new_context(java_script_enabled=False, locale="th-TH").new_page()

    page.goto(f"{live_server}/auth/login")
    assert page.locator("html").get_attribute("lang") == "th"
    page.fill("input[name=username]", world.planner.username)
    page.fill("input[name=password]", "pw")
    page.click("form.stacked button[type=submit]")
    assert world.planner.full_name in page.content()

    page.goto(f"{live_server}/instances/plan/{plan.id}")
    assert "ร่างแผน" in page.content()
    page.fill("#comment-submit_to_committee", "ครั้งที่ 1/2569")
    page.click("#trigger-submit_to_committee ~ button[type=submit]")
    page.screenshot(path=str(tmp_path / "instance.png"), full_page=True)
    assert_page_accessible(browser, page)

    body = page.content()
    assert "เสนอคณะกรรมการพัฒนาท้องถิ่น" in body
    assert "ครั้งที่ 1/2569" in body  # the comment is in the history
    with app.app_context():
        row = _db.session.get(Plan, plan.id)
        assert (row.status, row.version) == ("committee_review", 2)
        assert _db.session.query(AuditEvent).filter_by(action="submit_to_committee").count() == 1


def test_another_lao_planner_gets_a_not_found_page_in_thai(app, world, live_server, browser):
    plan = factories.plan(world.sao_x, world.planner_x)
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(f"{live_server}/auth/login")
    page.fill("input[name=username]", world.planner.username)
    page.fill("input[name=password]", "pw")
    page.click("form.stacked button[type=submit]")
    response = page.goto(f"{live_server}/instances/plan/{plan.id}")
    assert response.status == 404
    assert world.sao_x.name_th not in page.content()
    assert_page_accessible(browser, page)


def test_a_person_registers_and_confirms_their_email_without_javascript(app, world, live_server, browser):
    """The SSO's core forms: find the LAO by code, register (a refusal keeps what was typed), confirm."""
    import re

    from sqlalchemy import select

    from eplan_flow.models import Account, EmailMessage, User

    page = browser.new_context(java_script_enabled=False, locale="th-TH").new_page()
    page.goto(f"{live_server}/sso/register")
    page.fill("#org-q", world.sao_a.code)
    page.click("form[role=search] button[type=submit]")
    page.click(f"ul.org-results a:has-text('{world.sao_a.display_name}')")
    assert world.sao_a.code in page.content()

    fields = {
        "citizen_id": "1409900456781",  # a wrong check digit first (…780 is right)
        "first_name": "กิตติพงษ์",
        "last_name": "บุญมา",
        "email": "kittipong@example.org",
        "phone": "0812345678",
        "position": "นักวิเคราะห์นโยบายและแผน",
        "password": "Bueng-Kan-Planning-2569",
        "password_again": "Bueng-Kan-Planning-2569",
        "birth_date": "30/07/2535",  # as on the ID card, B.E.
    }
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)
    page.click("form.stacked button[type=submit]")
    assert "หลักสุดท้าย (หลักตรวจสอบ) ไม่ตรงกัน" in page.content()
    assert page.input_value("input[name=email]") == "kittipong@example.org"  # nothing typed is lost
    with app.app_context():
        assert _db.session.scalar(select(User.id).where(User.email == "kittipong@example.org")) is None

    page.fill("input[name=citizen_id]", "1409900456780")
    for name in ("password", "password_again"):  # browsers never refill passwords
        page.fill(f"input[name={name}]", fields[name])
    page.click("form.stacked button[type=submit]")
    with app.app_context():
        mail = _db.session.scalars(
            select(EmailMessage).where(EmailMessage.to == "kittipong@example.org")
        ).one()
        link = re.search(r"https?://\S+/sso/confirm/\S+", mail.body).group(0)

    page.goto(link)  # a GET shows a button only: link scanners confirm nothing
    assert_page_accessible(browser, page)
    with app.app_context():
        assert _db.session.scalars(select(Account.status)).all() == ["registered"]
    page.click("main form button[type=submit]")
    with app.app_context():
        assert _db.session.scalars(select(Account.status)).all() == ["email_confirmed"]
    # On to the next step: the sign-in page says it leads to the ThaiD verification.
    assert "/sso/login?next=/sso/verify/thaid" in page.url
    assert "ขั้นต่อไป: เมื่อเข้าสู่ระบบแล้ว ให้ยืนยันตัวตนด้วยแอป ThaiD" in page.content()

"""Every signed-in page of each role fits a 390×844 phone: the page never scrolls sideways, and
lists (home, notifications, workflows, revisions, executions, approvals, oversight) fit without a
sideways scroll of their own, as labelled cards or wrapped text (issue 11, item 9). Only the wide
official forms (ผ.01, ผ.02, ยท.01) keep a table that scrolls inside its own box.

A world of tests/factories with an item of every kind is served by a live app; each person signs
in through the pages (the SSO's sign-in form for the approvals, then e-Plan's own).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from eplan_flow.extensions import db
from eplan_flow.models import Notification, ProjectExecution
from eplan_flow.models._types import utcnow
from eplan_flow.services.planning import revisions as revision_service
from tests import factories
from tests.e2e.axe import assert_accessible
from tests.e2e.journey import SIZES, new_page
from tests.factories import results as result_factories
from tests.factories import revisions as revision_factories
from tests.identity.approvals.helpers import applicant, eplan_client, member_with_access_request

pytestmark = pytest.mark.e2e

PHONE = SIZES["phone"]
# Official forms laid out as on paper (ผ.01, ผ.02, ยท.01, the old/new comparison, the evaluation
# report's forms): only their tables may scroll inside their own .table-wrap.
OFFICIAL_FORMS = "table.print-form, table.yt01, table.compare"


@pytest.fixture
def scene(world):
    """An item of every kind the pages list, with long Thai titles, and notices for everyone."""
    planner = world.planner
    plan = result_factories.executed_plan(world)  # announced, three projects executed in 2569
    revision = revision_service.open_revision(
        planner, plan.id, route="regular", reasons="ประชาคมเสนอโครงการเพิ่มเติม", necessity="เร่งด่วน"
    )
    revision_service.add_addition(
        planner,
        revision.id,
        revision_factories.new_project_values(
            plan, name="โครงการก่อสร้างถนนคอนกรีตเสริมเหล็กสายบ้านหนองเลิงถึงบ้านโนนสมบูรณ์ หมู่ที่ 7", year=5
        ),
        reason="ประชาคมหมู่บ้านเสนอให้ดำเนินการเร่งด่วนเพื่อการสัญจรในฤดูฝน",
    )
    drafting = factories.plan(world.sao_a, planner, period_start_be=2571)
    report = result_factories.drafted_report(world.sao_a, planner, fiscal_year_be=2568)
    execution = db.session.scalar(
        select(ProjectExecution).where(ProjectExecution.plan_id == plan.id).order_by(ProjectExecution.id)
    )
    _, account = applicant(world.sao_a, name="นายสมหมาย ทดสอบระบบการวางแผนพัฒนาท้องถิ่น")
    applicant(world.sao_c, requested_role="sso_admin", name="นางสาวผู้ดูแลระบบ ศรีชมภูพัฒนา")
    eplan_client()
    member_with_access_request(world.sao_a, world.sso_admin)
    for person in (planner, world.sso_admin, world.provincial_officer, world.dla_admin):
        for n in range(3):
            db.session.add(
                Notification(
                    user_id=person.id,
                    subject=f"แผนพัฒนาท้องถิ่น (2566-2570) องค์การบริหารส่วนตำบลหนองเลิง รอการพิจารณา ครั้งที่ {n + 1}",
                    body="เสนอคณะกรรมการพัฒนาท้องถิ่นพิจารณาร่างแผนพัฒนาท้องถิ่นตามระเบียบ",
                    link=f"/instances/plan/{drafting.id}",
                    kind=("workflow", "reminder", "overdue")[n],
                    read_at=utcnow() if n == 2 else None,
                )
            )
    db.session.commit()
    return SimpleNamespace(
        plan=plan.id,
        drafting=drafting.id,
        revision=revision.id,
        execution=execution.id,
        report=report.id,
        account=account.id,
        org=world.sao_a.id,
    )


def _pages(role: str, s: SimpleNamespace) -> tuple[str, ...]:
    common = ("/", "/notifications", "/notifications?show=all", "/overdue", "/workflows", "/workflows/plan")
    return {
        "planner": (
            *common,
            f"/instances/plan/{s.drafting}",
            f"/instances/revision/{s.revision}",
            f"/instances/execution/{s.execution}",
            f"/instances/evaluation/{s.report}",
            f"/plans/{s.plan}",
            f"/plans/{s.drafting}",
            f"/plans/{s.plan}/projects/1",
            f"/plans/{s.plan}/p01",
            f"/plans/{s.plan}/p02",
            f"/catalogues/plans/{s.plan}/strategies",
            f"/catalogues/plans/{s.plan}/yt01",
            f"/revisions/plans/{s.plan}",
            f"/revisions/{s.revision}",
            f"/revisions/{s.revision}/compare",
            f"/execution/plans/{s.plan}",
            f"/execution/{s.execution}",
            f"/results/laos/{s.org}",
            f"/results/reports/{s.report}",
            "/sso/",
            "/public/",
        ),
        "sso_admin": (*common, "/sso/", "/sso/approvals", f"/sso/approvals/accounts/{s.account}"),
        "provincial_officer": (
            *common,
            "/oversight/",
            "/sso/approvals",
            f"/plans/{s.plan}",
            f"/results/laos/{s.org}",
        ),
        "dla_admin": (*common, "/oversight/", "/admin/", "/admin/plans/", "/admin/users/", "/admin/audit/"),
    }[role]


def _sign_in(page: Page, url: str, person) -> None:
    """The SSO's sign-in form (its approvals need it), then e-Plan's own, which keeps the SSO's
    session (the SSO's would start a fresh one)."""
    page.goto(f"{url}/sso/login")
    page.fill("input[name=email]", person.email)
    page.fill("input[name=password]", "pw")
    page.locator("main form").filter(has=page.locator("input[name=password]")).locator(
        "button[type=submit]"
    ).click()
    page.goto(f"{url}/auth/login")
    page.fill("input[name=username]", person.username)
    page.fill("input[name=password]", "pw")
    page.click("form.stacked button[type=submit]")
    expect(page.locator("header .who")).to_contain_text(person.full_name)


def _widths(page: Page) -> dict:
    """How wide the page is, and the lists that scroll sideways inside their own box."""
    return page.evaluate(
        """allowed => ({
            page: document.scrollingElement.scrollWidth,
            window: innerWidth,
            lists: [...document.querySelectorAll('main .table-wrap')]
                .filter(wrap => wrap.scrollWidth > wrap.clientWidth && !wrap.querySelector(allowed))
                .map(wrap => `${wrap.querySelector('table')?.className || 'a table'} ${wrap.scrollWidth} px`),
        })""",
        OFFICIAL_FORMS,
    )


@pytest.mark.parametrize("role", ["planner", "sso_admin", "provincial_officer", "dla_admin"])
def test_every_page_of_the_role_fits_a_390_pixel_phone_without_sideways_scrolling(
    role, world, scene, live_server, chromium
):
    page = new_page(chromium)
    try:
        _sign_in(page, live_server.url, getattr(world, role))
        page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
        too_wide = []
        for path in _pages(role, scene):
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, (path, response and response.status)
            widths = _widths(page)
            if widths["page"] > widths["window"]:
                too_wide.append(
                    f"{path}: the page is {widths['page']} px wide in a {widths['window']} px window"
                )
            if widths["lists"]:
                too_wide.append(f"{path}: a list scrolls sideways in its box ({', '.join(widths['lists'])})")
            assert_accessible(page)  # the cards too: every label readable, every control named
        assert not too_wide, f"{role} at {PHONE[0]}×{PHONE[1]}:\n" + "\n".join(too_wide)
    finally:
        page.context.close()

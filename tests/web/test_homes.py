"""Each role's home lists what it works on, and its links open those pages; every page carries
breadcrumbs; a workflow item's page and its own page link to each other (issue 11, item 3)."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from eplan_flow.models import Notification
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.planning import deadlines
from eplan_flow.services.planning import revisions as revision_service
from eplan_flow.thaidate import fiscal_year, today_local
from tests import factories
from tests.factories import plans as plan_factories
from tests.factories import results as result_factories
from tests.factories import revisions as revision_factories
from tests.identity.approvals.helpers import applicant
from tests.identity.oidc.helpers import live_sso_session

FY = fiscal_year(today_local())


class _Links(HTMLParser):
    """Every link of a page: its id, classes, address and text."""

    def __init__(self):
        super().__init__()
        self.links: list[SimpleNamespace] = []
        self._open: list[SimpleNamespace] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            values = dict(attrs)
            link = SimpleNamespace(
                id=values.get("id"),
                classes=(values.get("class") or "").split(),
                href=values.get("href"),
                text="",
            )
            self.links.append(link)
            self._open.append(link)

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            link = self._open.pop()
            link.text = " ".join(link.text.split())

    def handle_data(self, data):
        for link in self._open:
            link.text += data


def links_of(html: str) -> list[SimpleNamespace]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def by_id(html: str, link_id: str) -> SimpleNamespace:
    found = [link for link in links_of(html) if link.id == link_id]
    assert len(found) == 1, f"no single link #{link_id}"
    return found[0]


def by_class(html: str, name: str) -> list[SimpleNamespace]:
    return [link for link in links_of(html) if name in link.classes]


def section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


def follow(client, link, *expected: str) -> str:
    """Open the link as a browser would; the page answers and shows what the link promised."""
    response = client.get(link.href)
    assert response.status_code == 200, (link.href, response.status_code)
    page = response.get_data(as_text=True)
    for thing in expected:
        assert thing in page, (link.href, thing)
    return page


def home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sso_sign_in(client, user):
    """The SSO session its sign-in page would leave, so the approval pages open."""
    live_sso_session(user.id, f"test-{user.id}")
    with client.session_transaction() as session:
        session["sso_uid"] = user.id
        session["sso_auth_time"] = int(time.time())
        session["sso_sid"] = f"test-{user.id}"
    return client


@pytest.fixture
def lao_work(world, db):
    """sao_a's plan in force this fiscal year (with a budgeted project), a draft of the next period,
    an open revision and this year's evaluation report."""
    in_force = revision_factories.announced_plan(
        world.sao_a, world.planner, projects=3, period_start_be=FY - 2
    )
    draft = plan_factories.drafting_plan(world.sao_a, world.planner, period_start_be=FY + 3)
    revision = revision_service.open_revision(world.planner, in_force.id, reasons="ประชาคมเสนอ")
    execution = execution_service.budget_project(world.planner, in_force.id, 1, FY, "1000.00")
    report = result_factories.drafted_report(world.sao_a, world.planner, fiscal_year_be=FY)
    return SimpleNamespace(
        plan=in_force,
        draft=draft,
        revision=revision,
        execution=execution,
        project=execution_service.project_name(execution),
        report=report,
    )


# -- LAO staff ---------------------------------------------------------------------------------------
def test_a_planners_home_lists_their_laos_plan_work_and_every_link_opens_it(world, lao_work, login_as):
    client = login_as(world.planner)
    page = home(client)
    work = lao_work

    in_force = by_id(page, "home-plan-in-force")
    assert in_force.text == work.plan.title and in_force.href == f"/plans/{work.plan.id}"
    follow(client, in_force, work.plan.title)

    (draft,) = by_class(section(page, "home-drafts"), "home-draft-link")
    assert draft.text == work.draft.title
    follow(client, draft, work.draft.title)
    create = by_id(page, "home-create-plan")
    assert create.text == "สร้างแผนพัฒนาท้องถิ่น"
    follow(client, create, 'name="period_start_be"')

    (revision,) = by_class(page, "home-revision-link")
    assert revision.text == work.revision.title and revision.href == f"/revisions/{work.revision.id}"
    follow(client, revision, work.revision.title)
    (open_revision,) = by_class(page, "home-open-revision")
    follow(client, open_revision, work.plan.title)

    execution = by_id(page, "home-execution-link")
    assert execution.href == f"/execution/plans/{work.plan.id}?year={FY}"
    follow(client, execution, work.project)
    assert f"งบประมาณ {FY}" in section(page, "home-execution")
    assert "ตั้งงบประมาณแล้ว 1 โครงการ" in section(page, "home-execution")

    (report,) = by_class(page, "home-report-link")
    assert report.text == work.report.title
    follow(client, report, work.report.title)
    follow(client, by_id(page, "home-results-link"), f'href="/results/reports/{work.report.id}"')

    # Planners oversee nothing and approve nobody.
    assert 'id="home-oversight-desk"' not in page and 'id="home-approvals-desk"' not in page


def test_an_executive_sees_the_plan_but_is_offered_no_drafting(world, lao_work, login_as):
    page = home(login_as(world.executive))
    assert by_id(page, "home-plan-in-force").text == lao_work.plan.title
    assert [link.text for link in by_class(page, "home-draft-link")] == [lao_work.draft.title]
    assert 'id="home-create-plan"' not in page
    assert not by_class(page, "home-open-revision")


def test_empty_sections_say_in_thai_what_to_do_next(world, login_as):
    page = home(login_as(world.planner_c))
    assert "ยังไม่มีแผนที่ใช้บังคับ" in section(page, "home-plans")
    assert "สร้างแผนสำหรับรอบห้าปีถัดไป" in section(page, "home-drafts")
    assert "ได้เมื่อประกาศใช้แผนแล้ว" in section(page, "home-revisions")
    assert "ยังไม่มีแผนที่ใช้บังคับ" in section(page, "home-execution")
    assert "รอบเดือนเมษายนหรือรอบเดือนตุลาคม" in section(page, "home-results")
    assert "ขณะนี้ไม่มีรายการที่รอท่านดำเนินการ" in section(page, "home-tasks")
    follow(login_as(world.planner_c), by_id(page, "home-create-plan"), 'name="period_start_be"')

    executive = home(login_as(world.executive))
    assert "ผู้จัดทำแผนของ อปท. เป็นผู้สร้างแผนใหม่" in section(executive, "home-drafts")


def test_tasks_waiting_for_me_link_to_the_items_own_page_and_to_its_step(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    client = login_as(world.devcom_secretary)
    page = home(client)
    (task,) = by_class(section(page, "home-tasks"), "home-task-link")
    assert task.text == plan.title and task.href == f"/plans/{plan.id}"
    follow(client, task, plan.title)
    (step,) = by_class(section(page, "home-tasks"), "home-task-step")
    assert step.href == f"/instances/plan/{plan.id}"
    follow(client, step, 'name="trigger" type="hidden" value="endorse"')
    # The planner has nothing to do on it at the committee.
    assert not by_class(home(login_as(world.planner)), "home-task-link")


def test_unread_notifications_link_to_the_own_page_on_the_home_and_the_inbox(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    db.session.add(
        Notification(user_id=world.planner.id, subject="แผนรอท่าน", link=f"/instances/plan/{plan.id}")
    )
    db.session.commit()
    client = login_as(world.planner)
    (notice,) = by_class(home(client), "home-notice-link")
    assert notice.text == "แผนรอท่าน" and notice.href == f"/plans/{plan.id}"
    follow(client, notice, plan.title)

    inbox = client.get("/notifications").get_data(as_text=True)
    (own,) = by_class(inbox, "notice-own-page")
    (steps,) = by_class(inbox, "notice-steps")
    assert own.href == f"/plans/{plan.id}" and steps.href == f"/instances/plan/{plan.id}"
    follow(client, by_id(home(client), "home-notifications"), "แผนรอท่าน")


# -- offices -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("officer", ["district_officer", "provincial_officer"])
def test_an_officers_home_lists_plans_awaiting_acknowledgement_overdue_and_the_dashboard(
    officer, world, db, login_as
):
    submitted = factories.plan(world.sao_a, world.planner, status="submitted")
    elsewhere = factories.plan(world.sao_x, world.planner_x, status="submitted")
    person = getattr(world, officer)
    client = login_as(person)
    page = home(client)

    (waiting,) = by_class(page, "home-acknowledge-link")
    assert waiting.text == submitted.title and elsewhere.title not in section(page, "home-oversight-desk")
    follow(client, waiting, submitted.title, 'value="acknowledge"')

    overdue = by_id(page, "home-overdue")
    count = len(deadlines.overdue_items(person))
    assert re.search(rf"\b{count}\b", overdue.text)
    follow(client, overdue)
    follow(client, by_id(page, "home-oversight"), world.sao_a.name_th)
    assert 'id="home-lao"' not in page  # no LAO plan desk for an office


def test_a_district_officer_with_nothing_to_acknowledge_is_told_when_plans_arrive(world, login_as):
    page = home(login_as(world.district_officer))
    assert "เมื่อ อปท. เสนอแผนต่ออำเภอและจังหวัด" in section(page, "home-oversight-desk")


def test_an_sso_admins_home_counts_the_accounts_waiting_and_links_to_the_approvals(world, db, login_as):
    applicant(world.sao_a, name="นายสมหมาย ทดสอบ")
    applicant(world.sao_x, name="นายนอก เขต")
    client = login_as(world.sso_admin)
    page = home(client)
    approvals = by_id(page, "home-approvals")
    assert approvals.text == "มีบัญชีหรือคำขอใช้ระบบ 1 รายการรอการพิจารณาของท่าน"
    inbox = follow(sso_sign_in(client, world.sso_admin), approvals, "นายสมหมาย ทดสอบ")
    trail, shown = crumbs(inbox)
    assert [link.href for link in trail] == ["/"] and shown == "การอนุมัติ SSO"
    assert 'id="home-lao"' not in page  # the SSO admin works on people, not on the plan

    quiet = home(login_as(world.town_sso_admin))
    assert "ไม่มีบัญชีหรือคำขอใช้ระบบรอการพิจารณาของท่าน" in section(quiet, "home-approvals-desk")


def test_a_provincial_officer_approves_lao_admins_from_the_home(world, db, login_as):
    applicant(world.sao_c, requested_role="sso_admin", name="นางสาวผู้ดูแล ศรีชมภู")
    client = login_as(world.provincial_officer)
    approvals = by_id(home(client), "home-approvals")
    assert "1 รายการ" in approvals.text
    follow(sso_sign_in(client, world.provincial_officer), approvals, "นางสาวผู้ดูแล ศรีชมภู")


def test_a_dla_admins_home_opens_the_back_office_and_the_oversight(world, login_as):
    client = login_as(world.dla_admin)
    page = home(client)
    assert by_id(page, "home-back-office").href == "/admin/"
    assert client.get("/admin/").status_code == 200
    follow(client, by_id(page, "home-oversight"), "นครราชสีมา", "บึงกาฬ")  # the provinces to choose from
    follow(client, by_id(page, "home-overdue"))
    assert 'id="home-back-office"' not in home(login_as(world.planner))


# -- breadcrumbs ---------------------------------------------------------------------------------------
def crumbs(html: str) -> tuple[list[SimpleNamespace], str]:
    """The breadcrumb trail's links, and the text of its current (last) item."""
    start = html.index('<nav class="breadcrumbs')
    nav = html[start : html.index("</nav>", start)]
    assert 'aria-label="เส้นทางนำทาง"' in nav and "<ol>" in nav
    items = re.findall(r"<li>(.*?)</li>", nav, re.S)
    assert 'aria-current="page"' in items[-1] and all('aria-current="page"' not in i for i in items[:-1])
    current = re.sub(r"<[^>]+>", "", items[-1]).strip()
    return links_of(nav), current


def test_every_main_page_carries_breadcrumbs_from_home_to_itself(world, lao_work, login_as):
    work = lao_work
    client = login_as(world.planner)
    plan_link = (work.plan.title, f"/plans/{work.plan.id}")
    revisions = ("การแก้ไข/เพิ่มเติม/เปลี่ยนแปลงแผน", f"/revisions/plans/{work.plan.id}")
    results = ("ผลการดำเนินงานและการติดตามประเมินผล", f"/results/laos/{world.sao_a.id}")
    pages = {
        "/": ([], "หน้าหลัก"),
        f"/plans/{work.plan.id}": ([], work.plan.title),
        f"/plans/{work.plan.id}/p01": ([plan_link], "ผ.01"),
        f"/plans/{work.plan.id}/p02": ([plan_link], "ผ.02"),
        f"/catalogues/plans/{work.plan.id}/yt01": ([plan_link], None),
        f"/catalogues/plans/{work.plan.id}/strategies": ([plan_link], None),
        f"/revisions/plans/{work.plan.id}": ([plan_link], None),
        f"/revisions/{work.revision.id}": ([plan_link, revisions], work.revision.title),
        f"/revisions/{work.revision.id}/compare": ([plan_link, revisions], None),
        f"/execution/plans/{work.plan.id}?year={FY}": ([plan_link], f"ปีงบประมาณ {FY}"),
        f"/execution/{work.execution.id}": ([plan_link], work.project),
        f"/results/laos/{world.sao_a.id}": ([], None),
        f"/results/reports/{work.report.id}": ([results], work.report.title),
        f"/instances/plan/{work.plan.id}": ([plan_link], "ขั้นตอนกระบวนงานและประวัติ"),
        "/notifications": ([], "งานที่รอฉัน"),
        "/workflows": ([], None),
        "/overdue": ([], None),
    }
    for url, (above, current) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        trail, shown = crumbs(response.get_data(as_text=True))
        if url != "/":
            assert (trail[0].text, trail[0].href) == ("หน้าหลัก", "/"), url
            assert [(link.text, link.href) for link in trail[1 : 1 + len(above)]] == above, url
        if current:
            assert current in shown, (url, shown)
    officer = login_as(world.district_officer)
    trail, shown = crumbs(officer.get("/oversight/").get_data(as_text=True))
    assert trail[0].href == "/" and shown == "การกำกับดูแล"


# -- a workflow item and its own page ---------------------------------------------------------------
def test_a_workflow_item_and_its_own_page_link_to_each_other(world, lao_work, login_as):
    work = lao_work
    client = login_as(world.planner)
    pairs = {
        ("plan", work.plan.id): f"/plans/{work.plan.id}",
        ("revision", work.revision.id): f"/revisions/{work.revision.id}",
        ("execution", work.execution.id): f"/execution/{work.execution.id}",
        ("evaluation", work.report.id): f"/results/reports/{work.report.id}",
    }
    for (workflow, item_id), own_url in pairs.items():
        instance_url = f"/instances/{workflow}/{item_id}"
        instance = client.get(instance_url).get_data(as_text=True)
        own = by_id(instance, "instance-own-page")
        assert own.href == own_url, workflow
        own_page = follow(client, own)
        assert f'href="{instance_url}"' in own_page, f"{own_url} has no link back to its workflow page"


def test_the_tasks_waiting_are_read_in_a_fixed_number_of_statements_however_many_projects_wait(world, db):
    """Each project's year waiting for the planner is named by its project: read with the rows, not
    one query a row (an LAO budgets hundreds of projects a year)."""
    from sqlalchemy import event, select

    from eplan_flow.models import ProjectRecord
    from eplan_flow.services.platform import inbox
    from tests.factories import revisions as revision_factories
    from tests.oversight.conftest import execution

    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=6, period_start_be=2566)
    for record in db.session.scalars(select(ProjectRecord).where(ProjectRecord.plan_id == plan.id)):
        record.name = f"ถนนสายที่ {record.project_no}"
    db.session.commit()

    def statements_and_names() -> tuple[int, list[str]]:
        seen: list[str] = []

        def count(*args):
            seen.append(args[2])

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            items = inbox.waiting_for(world.planner)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen), sorted(i.name for i in items if i.workflow == "execution")

    execution(plan, 1, budget="1000.00", actor=world.planner)
    few, names = statements_and_names()
    assert names == ["ถนนสายที่ 1 ปีงบประมาณ 2567"]
    for project_no in range(2, 7):
        execution(plan, project_no, budget="1000.00", actor=world.planner)
    many, names = statements_and_names()
    assert names == [f"ถนนสายที่ {n} ปีงบประมาณ 2567" for n in range(1, 7)]  # each by its project
    assert many == few

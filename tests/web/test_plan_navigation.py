"""A plan's page leads to what can be done with the plan (its forms, its execution this fiscal year,
its results and evaluation, its revisions, its workflow), each page leads back to the plan, and a
project's execution is named by the project (issue 11, item 3)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from eplan_flow.models import AuditEvent, Notification, ProjectRecord
from eplan_flow.services.delivery import evaluation as evaluation_service
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.platform import notifications
from eplan_flow.thaidate import fiscal_year, today_local
from tests.factories import plans as plan_factories
from tests.factories import revisions as revision_factories
from tests.identity.approvals.helpers import applicant, eplan_client, member_with_access_request
from tests.web.test_homes import by_class, by_id, follow, home, links_of

FY = fiscal_year(today_local())
ACTIONS = ("#budget-heading", "#new-report-heading", "#open-heading", "#open-review-heading")
PROJECT = "ก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ที่ 3 บ้านหนองเลิง"


@pytest.fixture
def work(world, db):
    """sao_a's plan in force this fiscal year, project 1 budgeted this year, and the evaluation
    report of this year opened on it."""
    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=2, period_start_be=FY - 1)
    # A name of its own, so a page showing it is not mistaken for one showing the project's number.
    db.session.execute(
        update(ProjectRecord)
        .where(ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 1)
        .values(name=PROJECT)
    )
    db.session.commit()
    execution = execution_service.budget_project(world.planner, plan.id, 1, FY, "250000.00")
    report = evaluation_service.create_report(world.planner, world.sao_a.id, FY, "april")
    return SimpleNamespace(
        plan=plan,
        execution=execution,
        project=execution_service.project_name(execution),
        report=report,
    )


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def heading(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match, "the page has no heading"
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


def test_from_the_plan_page_a_planner_reaches_execution_and_results_and_each_leads_back(
    world, work, login_as
):
    client = login_as(world.planner)
    plan_url = f"/plans/{work.plan.id}"
    overview = page_of(client, plan_url)
    assert "สิ่งที่ท่านทำได้กับแผนนี้" in overview

    execution_link = by_id(overview, "plan-execution-link")
    assert execution_link.text == f"การดำเนินงานโครงการ ปีงบประมาณ {FY}"
    year_page = follow(client, execution_link, work.project)
    back = by_id(year_page, "execution-plan-link")
    assert (back.href, back.text) == (plan_url, work.plan.title)
    follow(client, back, work.plan.title)

    (row,) = [link for link in links_of(year_page) if link.href == f"/execution/{work.execution.id}"]
    detail = follow(client, row, work.project)
    assert by_id(detail, "execution-plan-link").href == plan_url
    project_link = by_id(detail, "execution-project-link")
    assert project_link.href == f"/plans/{work.plan.id}/projects/1"
    project_page = follow(client, project_link, work.project)
    (to_execution,) = by_class(project_page, "project-execution-link")
    assert to_execution.href == f"/execution/{work.execution.id}"
    assert to_execution.text == f"การดำเนินงานโครงการ ปีงบประมาณ {FY}"

    results_link = by_id(overview, "plan-results-link")
    assert results_link.text == "ผลการดำเนินงานและการติดตามประเมินผล"
    results = follow(client, results_link, f'href="/results/reports/{work.report.id}"')
    assert by_id(results, "results-plan-link").href == plan_url
    follow(client, by_id(results, "results-execution-link"), work.project)

    (report_link,) = by_class(overview, "plan-report-link")
    assert report_link.text == work.report.title
    report = follow(client, report_link, work.report.title)
    assert by_id(report, "report-plan-link").href == plan_url
    assert by_id(report, "report-execution-link").href == f"/execution/plans/{work.plan.id}?year={FY}"

    revisions = follow(client, by_id(overview, "plan-revisions-link"), "การแก้ไข")
    assert f'href="{plan_url}"' in revisions
    follow(client, by_id(overview, "plan-workflow-link"), "ขั้นตอนกระบวนงานและประวัติ")
    texts = [link.text for link in links_of(overview)]
    assert all(any(form in text for text in texts) for form in ("ผ.01", "ผ.02", "ยท.01"))


def test_a_planner_is_offered_recording_and_opening_and_each_lands_on_its_form(world, work, login_as):
    client = login_as(world.planner)
    actions = by_class(page_of(client, f"/plans/{work.plan.id}"), "plan-work-action")
    assert sorted(link.href.partition("#")[2] for link in actions) == sorted(a[1:] for a in ACTIONS)
    for link in actions:
        anchor = link.href.partition("#")[2]
        follow(client, SimpleNamespace(href=link.href.partition("#")[0]), f'id="{anchor}"')


@pytest.mark.parametrize("person", ["executive", "district_officer"])
def test_readers_who_record_nothing_see_the_execution_and_results_but_no_action(
    person, world, work, login_as
):
    client = login_as(getattr(world, person))
    overview = page_of(client, f"/plans/{work.plan.id}")
    assert not by_class(overview, "plan-work-action")
    follow(client, by_id(overview, "plan-execution-link"), work.project)
    follow(client, by_id(overview, "plan-results-link"), f'href="/results/reports/{work.report.id}"')
    # The pages they open do not offer those actions either.
    assert 'id="budget-heading"' not in page_of(client, by_id(overview, "plan-execution-link").href)


def test_a_draft_plan_offers_its_forms_and_its_steps_but_no_execution_results_or_revisions(
    world, db, login_as
):
    draft = plan_factories.drafting_plan(world.sao_a, world.planner, period_start_be=FY + 3)
    planner = page_of(login_as(world.planner), f"/plans/{draft.id}")
    for absent in ("plan-execution-link", "plan-results-link", "plan-revisions-link"):
        assert f'id="{absent}"' not in planner
    assert by_id(planner, "plan-workflow-link").href == f"/instances/plan/{draft.id}"
    (step,) = by_class(planner, "plan-work-step")
    assert step.href == f"/instances/plan/{draft.id}" and step.text
    # The executive has no step on a draft.
    assert not by_class(page_of(login_as(world.executive), f"/plans/{draft.id}"), "plan-work-step")


def test_a_project_never_budgeted_says_so_and_links_to_the_execution_page(world, work, login_as):
    client = login_as(world.planner)
    page = page_of(client, f"/plans/{work.plan.id}/projects/2")
    assert not by_class(page, "project-execution-link")
    assert "โครงการนี้ยังไม่ได้ตั้งงบประมาณในปีงบประมาณใด" in page


def test_the_execution_workflow_page_tasks_and_notices_name_the_project_and_fiscal_year(
    world, work, db, login_as
):
    title = f"{PROJECT} ปีงบประมาณ {FY}"
    assert work.project == PROJECT and work.execution.title == title
    client = login_as(world.planner)
    instance = page_of(client, f"/instances/execution/{work.execution.id}")
    assert heading(instance) == title
    assert f"<title>{title}" in instance

    # The planner's next step on it (procurement) is listed by that name on the home.
    tasks = [link.text for link in by_class(home(client), "home-task-link")]
    assert title in tasks

    # The support secretary is notified of it by that name.
    event_id = db.session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.chain == f"execution:{work.execution.id}")
        .order_by(AuditEvent.seq.desc())
    )
    assert notifications.notify_next_actors(event_id) >= 1
    notice = db.session.scalar(select(Notification).where(Notification.user_id == world.support_secretary.id))
    assert notice.subject.startswith(f"{title}: ")


def test_every_workflow_page_has_a_thai_heading(world, work, login_as):
    client = login_as(world.planner)
    expected = {
        f"/instances/plan/{work.plan.id}": work.plan.title,
        f"/instances/evaluation/{work.report.id}": work.report.title,
        f"/instances/execution/{work.execution.id}": f"{work.project} ปีงบประมาณ {FY}",
    }
    for url, title in expected.items():
        assert heading(page_of(client, url)) == title, url


def test_an_account_and_an_access_request_are_named_in_thai_by_whose_they_are(world, db):
    _person, account = applicant(world.sao_a, name="นางสาวสมใจ ทดสอบ")
    assert account.title == f"บัญชีผู้ใช้ของ นางสาวสมใจ ทดสอบ ({world.sao_a.display_name})"
    eplan_client()
    member, _account, access = member_with_access_request(world.sao_a, world.sso_admin)
    assert access.title.startswith(f"คำขอสิทธิ์ใช้ระบบ: {member.full_name} — ")
    assert "planner" not in access.title and "eplan" not in access.title

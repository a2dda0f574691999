"""The planner's home on SQLite, the embedded database ``make run`` serves: its sections list the
LAO's plan work and every link opens its page (the rest of the suite runs on PostgreSQL)."""

from __future__ import annotations

from eplan_flow.extensions import db
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.planning import revisions as revision_service
from tests import factories
from tests.factories import plans as plan_factories
from tests.factories import results as result_factories
from tests.factories.revisions import announced_plan
from tests.web.test_homes import FY, by_class, by_id, crumbs, follow, home


def test_a_planners_home_on_sqlite_lists_the_plan_work_and_its_links_open(sqlite_app):
    app = sqlite_app
    with app.app_context():
        world = factories.build_world()
        plan = announced_plan(world.sao_a, world.planner, projects=2, period_start_be=FY - 1)
        draft = plan_factories.drafting_plan(world.sao_a, world.planner, period_start_be=FY + 4)
        revision = revision_service.open_revision(world.planner, plan.id, reasons="ประชาคมเสนอ")
        execution = execution_service.budget_project(world.planner, plan.id, 2, FY, "2500.00")
        report = result_factories.drafted_report(world.sao_a, world.planner, fiscal_year_be=FY)
        expected = {
            "plan": plan.title,
            "draft": draft.title,
            "revision": revision.title,
            "project": execution_service.project_name(execution),
            "report": report.title,
        }
        ids = {"plan": plan.id, "revision": revision.id, "execution": execution.id}
        planner = world.planner.username
        db.session.remove()

    client = app.test_client()
    response = client.post("/auth/login", data={"username": planner, "password": "pw"})
    assert response.status_code == 302
    page = home(client)

    follow(client, by_id(page, "home-plan-in-force"), expected["plan"])
    (draft_link,) = by_class(page, "home-draft-link")
    follow(client, draft_link, expected["draft"])
    follow(client, by_id(page, "home-create-plan"), 'name="period_start_be"')
    (revision_link,) = by_class(page, "home-revision-link")
    revision_page = follow(client, revision_link, expected["revision"])
    assert f'href="/instances/revision/{ids["revision"]}"' in revision_page
    follow(client, by_id(page, "home-execution-link"), expected["project"])
    (report_link,) = by_class(page, "home-report-link")
    follow(client, report_link, expected["report"])
    follow(client, by_id(page, "home-results-link"))

    instance = client.get(f"/instances/execution/{ids['execution']}").get_data(as_text=True)
    own = by_id(instance, "instance-own-page")
    assert own.href == f"/execution/{ids['execution']}"
    trail, current = crumbs(follow(client, own, expected["project"]))
    assert [link.href for link in trail[:2]] == ["/", f"/plans/{ids['plan']}"]
    assert current == expected["project"]

"""The province's back-office lists of plans, executions and evaluation reports: scoped, read only."""

from __future__ import annotations

import csv
import io

import pytest

from admin.oversight_views import ProvincePlanView
from eplan_flow.extensions import db as _db
from eplan_flow.models import EvaluationReport, Organisation
from eplan_flow.services.platform import engine
from tests import factories
from tests.factories import revisions as revision_factories
from tests.oversight.conftest import FISCAL_YEAR, execution

VIEWS = ("plans", "executions", "evaluations")


@pytest.fixture
def rows(country, town_year, db):
    """The town's rows, and one of each in Nakhon Ratchasima that Bueng Kan must never see."""
    planner_x = factories.user(country.foreign, "planner", username="x_planner")
    plan_x = revision_factories.announced_plan(country.foreign, planner_x, projects=2, period_start_be=2566)
    execution_x = execution(plan_x, 1, budget="7777.00", actor=planner_x)
    reports = {}
    for org, plan in ((country.town, town_year), (country.foreign, plan_x)):
        report = EvaluationReport(
            organisation_id=org.id, plan_id=plan.id, fiscal_year_be=FISCAL_YEAR, round="october"
        )
        # The evaluation workflow is built by another item; the row is written as it would stand.
        report.status, report.workflow_name, report.workflow_version, report.version = (
            "drafting",
            "evaluation",
            1,
            1,
        )
        _db.session.add(report)
        _db.session.commit()
        reports[org.code] = report.id
    town_execution = _db.session.query(engine.model_for("execution")).filter_by(plan_id=town_year.id).first()
    return {
        "plans": (town_year.id, plan_x.id),
        "executions": (town_execution.id, execution_x.id),
        "evaluations": (reports[country.town.code], reports[country.foreign.code]),
    }


def test_a_provincial_officer_lists_only_their_provinces_rows_and_cannot_open_anothers(
    country, rows, client, login_as
):
    login_as(country.provincial_officer)

    for view in VIEWS:
        inside, outside = rows[view]
        listing = client.get(f"/admin/oversight/{view}/")
        body = listing.get_data(as_text=True)
        assert listing.status_code == 200, view
        assert country.town.code in body and country.foreign.code not in body, view
        assert client.get(f"/admin/oversight/{view}/details/?id={inside}").status_code == 200, view
        assert client.get(f"/admin/oversight/{view}/details/?id={outside}").status_code == 302, view
        # Read only: no create, edit or delete pages.
        for page in ("new/", f"edit/?id={inside}"):
            assert client.get(f"/admin/oversight/{view}/{page}").status_code in (302, 403), (view, page)


def test_the_export_is_scoped_like_the_list(country, rows, client, login_as):
    login_as(country.provincial_officer)

    response = client.get("/admin/oversight/executions/export/csv/")

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) == 1 + 4
    assert country.town.code in text and country.foreign.code not in text and "7777" not in text


def test_dla_sees_every_province_in_these_lists(country, rows, client, login_as):
    login_as(country.dla_admin)

    body = client.get("/admin/oversight/plans/").get_data(as_text=True)

    assert country.town.code in body and country.foreign.code in body


@pytest.mark.parametrize("role", ["district_officer", "planner", "sso_admin"])
def test_the_lists_are_for_provincial_offices_and_dla_only(role, country, rows, client, login_as):
    login_as(getattr(country, role))

    for view in VIEWS:
        assert client.get(f"/admin/oversight/{view}/").status_code == 403, view


def test_a_filter_narrows_the_list_to_one_lao_type(country, rows, client, login_as):
    login_as(country.provincial_officer)
    listing = client.get("/admin/oversight/plans/?lang=en").get_data(as_text=True)
    assert "LAO type" in listing

    index = next(
        i for i, f in enumerate(ProvincePlanView.column_filters) if f.column is Organisation.lao_type
    )
    body = client.get(f"/admin/oversight/plans/?flt0_{index}=sao").get_data(as_text=True)
    assert country.town.code not in body
    body = client.get(f"/admin/oversight/plans/?flt0_{index}=town_municipality").get_data(as_text=True)
    assert country.town.code in body

"""The oversight table: who sees which LAOs (the issue's acceptance), filters, sorting, access."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from eplan_flow import thaidate
from eplan_flow.services.oversight import rollups
from eplan_flow.services.oversight import status as oversight
from tests.factories import revisions as revision_factories
from tests.oversight.conftest import FISCAL_YEAR
from workflows import deadlines

ROW_CODE = re.compile(r"<td>(\d{7})</td>")


def page_codes(client, query: str = "") -> list[str]:
    response = client.get(f"/oversight/?lang=en&year={FISCAL_YEAR}{query}")
    assert response.status_code == 200, response.status_code
    return ROW_CODE.findall(response.get_data(as_text=True))


def district_codes(client, query: str = "") -> list[list[str]]:
    """The LAO codes of each district's disclosure, in page order."""
    body = client.get(f"/oversight/?lang=en&year={FISCAL_YEAR}{query}").get_data(as_text=True)
    return [ROW_CODE.findall(part) for part in body.split('<details class="district-group"')[1:]]


def test_a_provincial_officer_of_bueng_kan_sees_all_58_of_its_laos_and_none_of_another_province(
    country, client, login_as
):
    login_as(country.provincial_officer)

    codes = page_codes(client)

    assert len(codes) == 58
    assert set(codes) == country.bueng_kan_codes
    assert country.foreign.code not in codes
    body = client.get("/oversight/?lang=en").get_data(as_text=True)
    assert "58 of 58 LAOs shown" in body and country.foreign.name_th not in body


def test_a_district_officer_sees_only_the_laos_of_their_district(country, client, login_as):
    login_as(country.district_officer)

    codes = page_codes(client)

    assert set(codes) == country.district_3801_routed_codes
    assert len(codes) == len(country.district_3801_routed_codes) < 58
    # ทม. บึงกาฬ and the อบจ. are in the district but deal with the province directly.
    assert country.town.code not in codes and country.foreign.code not in codes
    assert country.district_3801_routed_codes < country.district_3801_codes


def test_a_provincial_officer_asking_for_another_province_gets_not_found(country, client, login_as):
    login_as(country.provincial_officer)

    assert client.get("/oversight/?province=30").status_code == 404
    assert client.get("/oversight/export.csv?province=30").status_code == 404


def test_dla_reads_every_province_then_opens_one_to_see_its_laos(country, client, login_as):
    login_as(country.dla_admin)

    chooser = client.get("/oversight/?lang=en")
    assert chooser.status_code == 200
    body = chooser.get_data(as_text=True)
    # Every province on one table (tests/oversight/test_rollups.py checks its figures), no LAO row.
    assert "Every province" in body and 'id="national-table"' in body and ROW_CODE.findall(body) == []
    assert client.get("/oversight/export.csv").status_code == 200

    assert set(page_codes(client, "&province=38")) == country.bueng_kan_codes
    assert page_codes(client, "&province=30") == [country.foreign.code]


@pytest.mark.parametrize("role", ["planner", "sso_admin"])
def test_lao_staff_are_refused_the_dashboard_and_its_downloads(role, country, client, login_as):
    login_as(getattr(country, role))

    for path in ("/oversight/", "/oversight/export.csv", "/oversight/export.xlsx"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert country.town.code not in response.get_data(as_text=True)


def test_people_not_signed_in_are_sent_to_sign_in(country, client):
    response = client.get("/oversight/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_filters_narrow_the_rows_by_district_type_plan_status_and_overdue(
    country, town_year, client, login_as
):
    login_as(country.provincial_officer)

    assert set(page_codes(client, "&district=3801")) == country.district_3801_codes
    sao = page_codes(client, "&type=sao")
    assert len(sao) == 39
    assert page_codes(client, "&type=town_municipality") == [country.town.code]
    assert page_codes(client, "&status=announced") == [country.town.code]
    no_plan = page_codes(client, "&status=none")
    assert len(no_plan) == 57 and country.town.code not in no_plan
    # Today every LAO is late with the plan of the period whose review deadline has passed, except the
    # town once it announces that plan; announced just now, its submission is not overdue yet.
    assert len(page_codes(client, "&overdue=1")) == 58
    due = deadlines.due_period("town_municipality", thaidate.today_local())
    revision_factories.announced_plan(country.town, country.planner, projects=0, period_start_be=due)
    overdue = page_codes(client, "&overdue=1")
    assert country.town.code not in overdue and len(overdue) == 57


def test_sorting_by_a_column_orders_the_rows_and_keeps_the_filters(country, town_year, client, login_as):
    login_as(country.provincial_officer)

    # The table is grouped by district; the sort orders the LAOs within each district.
    by_code = district_codes(client)
    assert len(by_code) > 1 and sum(map(len, by_code)) == 58
    assert all(codes == sorted(codes) for codes in by_code)
    assert district_codes(client, "&dir=desc") == [sorted(codes, reverse=True) for codes in by_code]
    # The only LAO with a rate comes first when sorting by it either way: empty rates stay last.
    assert page_codes(client, "&sort=execution_rate&dir=desc")[0] == country.town.code
    assert page_codes(client, "&sort=execution_rate")[0] == country.town.code
    body = client.get(f"/oversight/?lang=en&year={FISCAL_YEAR}&type=sao&sort=name").get_data(as_text=True)
    # Header links toggle the direction of the current sort and keep the other filters.
    assert "sort=name" in body and "dir=desc" in body and "type=sao" in body


def test_the_service_builds_the_province_in_a_fixed_number_of_queries(country, town_year, db):
    statements = []

    def count(*args):
        statements.append(args[2])

    filters = oversight.Filters(fiscal_year_be=FISCAL_YEAR)
    assert country.provincial_officer.grants  # the signed-in user arrives with their grants loaded
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        board = oversight.dashboard(country.provincial_officer, filters, dimension="sdg")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(board.rows) == 58 and board.bars
    # provinces, LAOs + plans, revisions, the LAOs with changes the rollups have not taken in, their
    # rollups, the changed LAOs' money (table and chart in one) and planned projects computed live,
    # evaluations, the 2 overdue queries and the 3 of the duties owed after announcing (plans,
    # revisions, what was done), the evaluation reports' duties (2: the yearly report once December
    # has passed, and the announcements and postings owed), districts, the chart's item names:
    # whatever the number of LAOs.
    assert len(statements) <= 17, "\n".join(s[:90] for s in statements)

    # Once the rollups have taken the changes in, nothing is computed live: two statements fewer.
    assert rollups.refresh_all() > 0
    assert country.provincial_officer.grants  # loaded again after the refresh's commit
    statements.clear()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rolled = oversight.dashboard(country.provincial_officer, filters, dimension="sdg")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 15, "\n".join(s[:90] for s in statements)
    assert [(r.code, r.planned, r.executions, r.counted, r.budget, r.disbursed) for r in rolled.rows] == [
        (r.code, r.planned, r.executions, r.counted, r.budget, r.disbursed) for r in board.rows
    ]
    assert rolled.bars == board.bars

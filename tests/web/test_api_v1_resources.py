"""The complete API v1 (issue 16, item 5): instances, plans and projects, revisions and their items,
execution items, evaluation reports, oversight figures and OIDC clients, each scoped like its page,
refusing with today's stable codes.

Requests go through a second app on the same database with bearer tokens (as tests/delivery/
test_execution_api.py does), so each request has its own session; the test's session checks what
was written. The client written from the OpenAPI document alone is tests/web/
test_api_openapi_client.py (plain HTTP to a live server).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, OAuth2Client, Revision, RevisionItem
from eplan_flow.services.oversight import status as oversight_status
from tests import factories
from tests.conftest import make_app
from tests.factories import execution as execution_factories
from tests.factories import revisions as revision_factories
from tests.factories.results import drafted_report

API = "/api/v1"
REASONS = {"reasons": "ประชาชนเสนอปรับโครงการ", "necessity": "ราคาวัสดุสูงขึ้น"}


@pytest.fixture
def api(app):
    served = make_app()
    yield served.test_client()
    with served.app_context():
        _db.engine.dispose()


_tokens: dict[str, str] = {}


def bearer(user) -> dict:
    return factories.bearer(user, "api v1 tests")


def count(model, *where) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["code"] == code, body
    return body


# -- instances ----------------------------------------------------------------------------------------
def test_the_instance_list_shows_each_role_its_own_area_filtered_and_paginated(api, world, db):
    a1 = factories.plan(world.sao_a, world.planner, period_start_be=2561)
    a2 = factories.plan(world.sao_a, world.planner, period_start_be=2566)
    c = factories.plan(world.sao_c, world.planner_c, period_start_be=2566)
    x = factories.plan(world.sao_x, world.planner_x, period_start_be=2566)

    def ids(user, query=""):
        response = api.get(f"{API}/instances?workflow=plan{query}", headers=bearer(user))
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return [item["id"] for item in response.get_json()["items"]]

    assert ids(world.planner) == [a1.id, a2.id]
    assert ids(world.district_officer) == [a1.id, a2.id]
    assert ids(world.provincial_officer) == [a1.id, a2.id, c.id]
    assert ids(world.planner_x) == [x.id]
    assert ids(world.dla_admin) == [a1.id, a2.id, c.id, x.id]
    assert ids(world.nobody) == []
    assert ids(world.provincial_officer, f"&organisation={world.sao_c.id}") == [c.id]
    assert ids(world.provincial_officer, "&fiscal_year=2562") == [a1.id]
    assert ids(world.dla_admin, "&state=drafting&fiscal_year=2568") == [a2.id, c.id, x.id]

    first = api.get(f"{API}/instances?workflow=plan&per_page=2", headers=bearer(world.dla_admin)).get_json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 2, 4)
    assert [i["id"] for i in first["items"]] == [a1.id, a2.id]
    assert first["items"][0]["organisation"]["code"] == world.sao_a.code
    second = api.get(first["next"], headers=bearer(world.dla_admin)).get_json()
    assert [i["id"] for i in second["items"]] == [c.id, x.id] and second["next"] is None

    # An organisation outside the caller's area does not exist for them.
    refused(
        api.get(
            f"{API}/instances?workflow=plan&organisation={world.sao_a.id}", headers=bearer(world.planner_x)
        ),
        404,
        "not_found",
    )
    assert refused(api.get(f"{API}/instances", headers=bearer(world.planner)), 422, "invalid_input")[
        "details"
    ]["field"] == ("workflow")
    for query, field in (
        ("workflow=nope", "workflow"),
        ("workflow=plan&state=nope", "state"),
        ("workflow=plan&page=0", "page"),
        ("workflow=plan&per_page=5000", "per_page"),
        ("workflow=plan&fiscal_year=abc", "fiscal_year"),
    ):
        body = refused(
            api.get(f"{API}/instances?{query}", headers=bearer(world.planner)), 422, "invalid_input"
        )
        assert body["details"]["field"] == field
    refused(api.get(f"{API}/instances?workflow=plan"), 401, "unauthenticated")
    too_big = f"{API}/instances?workflow=plan&organisation=99999999999"
    refused(api.get(too_big, headers=bearer(world.dla_admin)), 404, "not_found")


# -- plans and projects ---------------------------------------------------------------------------
def test_plans_and_their_projects_are_read_within_scope_only(api, world, db):
    plan = revision_factories.announced_plan(world.sao_a, world.planner)
    other = revision_factories.announced_plan(world.sao_x, world.planner_x)

    listed = api.get(f"{API}/plans?state=announced", headers=bearer(world.district_officer)).get_json()
    assert [p["id"] for p in listed["items"]] == [plan.id]
    detail = api.get(f"{API}/plans/{plan.id}", headers=bearer(world.district_officer)).get_json()
    assert (detail["current_version"], detail["state"]) == (1, "announced")
    projects = api.get(detail["projects_url"], headers=bearer(world.district_officer)).get_json()
    assert [p["project_no"] for p in projects["items"]] == [1, 2, 3, 4, 5, 6]
    assert projects["items"][0]["budget_1"] == "1100.50" and projects["items"][0]["name"] == "โครงการที่ 1"

    for path in (f"/plans/{other.id}", f"/plans/{other.id}/projects", f"/plans/{other.id}/revisions"):
        body = refused(api.get(API + path, headers=bearer(world.planner)), 404, "not_found")
        assert world.sao_x.name_th not in str(body)
    body = refused(
        api.get(f"{API}/plans/{plan.id}/projects?version=2", headers=bearer(world.planner)),
        422,
        "invalid_input",
    )
    assert body["details"]["field"] == "version"


# -- revisions ------------------------------------------------------------------------------------------
def test_revision_items_are_added_edited_and_removed_with_the_pages_checks(api, world, db):
    plan = revision_factories.announced_plan(world.sao_a, world.planner)
    planner = bearer(world.planner)

    refused(
        api.post(f"{API}/plans/{plan.id}/revisions", json=REASONS, headers=bearer(world.planner_x)),
        404,
        "not_found",
    )
    refused(
        api.post(f"{API}/plans/{plan.id}/revisions", json=REASONS, headers=bearer(world.district_officer)),
        403,
        "permission_denied",
    )
    body = refused(
        api.post(f"{API}/plans/{plan.id}/revisions", json={"route": "nope"}, headers=planner),
        422,
        "invalid_input",
    )
    assert body["details"]["field"] == "route"
    assert count(Revision, Revision.plan_id == plan.id) == 0

    opened = api.post(f"{API}/plans/{plan.id}/revisions", json=REASONS, headers=planner)
    assert opened.status_code == 201, opened.get_data(as_text=True)[:500]
    revision = opened.get_json()
    assert (revision["state"], revision["route"], revision["items"]) == ("drafting", "regular", [])
    items_url = f"{API}/revisions/{revision['id']}/items"

    for payload, field in (
        ({"kind": "swap", "values": {}}, "kind"),
        ({"kind": "change", "project_no": 99, "values": {"target": "x"}, "reason": "r"}, "project_no"),
        ({"kind": "change", "project_no": 10**12, "values": {"target": "x"}, "reason": "r"}, "project_no"),
        ({"kind": "change", "project_no": True, "values": {"target": "x"}, "reason": "r"}, "project_no"),
        ({"kind": "change", "project_no": 1, "values": {}, "reason": "r"}, "values"),
        ({"kind": "change", "project_no": 1, "values": {"budget_2": "abc"}, "reason": "r"}, "budget_2"),
        ({"kind": "change", "project_no": 1, "values": {"target": "x"}}, "reason"),
        (
            {"kind": "correction", "project_no": 1, "values": {"budget_1": "1.00"}, "fact": "ข้อเท็จจริงคือ"},
            "budget_1",
        ),
        ({"kind": "addition", "values": {"name": "โครงการใหม่"}, "reason": "r"}, "objective"),
        ({"kind": "change", "values": {}, "colour": "red"}, "colour"),
    ):
        body = refused(api.post(items_url, json=payload, headers=planner), 422, "invalid_input")
        assert body["details"]["field"] == field, (payload, body)
    refused(api.post(items_url, data="kind=change", headers=planner), 415, "unsupported_media_type")
    assert count(RevisionItem, RevisionItem.revision_id == revision["id"]) == 0

    change = api.post(
        items_url,
        json={"kind": "change", "project_no": 1, "values": {"budget_2": "1500.00"}, "reason": "ราคาสูงขึ้น"},
        headers=planner,
    )
    assert change.status_code == 201 and change.get_json()["values"] == {"budget_2": "1500.00"}
    item_id = change.get_json()["id"]
    refused(
        api.post(
            items_url,
            json={"kind": "change", "project_no": 1, "values": {"kpi": "x"}, "reason": "r"},
            headers=planner,
        ),
        422,
        "invalid_input",
    )

    # Someone outside, or a reader without a drafting role, changes nothing.
    item_url = f"{items_url}/{item_id}"
    for user, status, code in (
        (world.planner_x, 404, "not_found"),
        (world.executive, 403, "permission_denied"),
    ):
        refused(api.patch(item_url, json={"reason": "x"}, headers=bearer(user)), status, code)
        refused(api.delete(item_url, headers=bearer(user)), status, code)
        refused(
            api.post(
                items_url,
                json={"kind": "change", "project_no": 2, "values": {"kpi": "x"}, "reason": "r"},
                headers=bearer(user),
            ),
            status,
            code,
        )
    refused(api.get(f"{API}/revisions/{revision['id']}", headers=bearer(world.planner_x)), 404, "not_found")

    body = refused(
        api.patch(item_url, json={"values": {"budget_2": "-5"}}, headers=planner), 422, "invalid_input"
    )
    assert body["details"]["field"] == "budget_2"
    assert count(RevisionItem, RevisionItem.id == item_id) == 1  # a refused edit keeps the item
    edited = api.patch(
        item_url, json={"values": {"target": "ถนนยาว 300 เมตร"}, "reason": "ขยายถนน"}, headers=planner
    )
    assert edited.status_code == 200, edited.get_data(as_text=True)[:500]
    edited_item = edited.get_json()
    assert edited_item["values"] == {"budget_2": "1500.00", "target": "ถนนยาว 300 เมตร"}
    assert edited_item["reason"] == "ขยายถนน"

    new_url = f"{items_url}/{edited_item['id']}"
    assert api.delete(new_url, headers=planner).status_code == 204
    refused(api.delete(new_url, headers=planner), 404, "not_found")
    detail = api.get(f"{API}/revisions/{revision['id']}", headers=bearer(world.district_officer)).get_json()
    assert detail["items"] == []
    actions = [
        e.action
        for e in _db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.chain == f"revision-content:{revision['id']}")
            .order_by(AuditEvent.seq)
        )
    ]
    assert actions == ["add_item", "remove_item", "add_item", "remove_item"]


# -- execution items, evaluation reports, oversight --------------------------------------------------
def test_execution_items_and_evaluation_reports_are_listed_within_scope(api, world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    report = drafted_report(world.sao_a, world.planner, fiscal_year_be=2569)
    year = execution.fiscal_year_be

    for user, expected in (
        (world.planner, [execution.id]),
        (world.provincial_officer, [execution.id]),
        (world.planner_x, []),
    ):
        response = api.get(f"{API}/execution-items?fiscal_year={year}", headers=bearer(user))
        assert [i["id"] for i in response.get_json()["items"]] == expected
    item = api.get(
        f"{API}/execution-items?organisation={world.sao_a.id}", headers=bearer(world.planner)
    ).get_json()["items"][0]
    assert (item["project_no"], item["budgeted_amount"]) == (1, "500000.00")
    assert api.get(item["detail_url"], headers=bearer(world.planner)).status_code == 200
    refused(
        api.get(f"{API}/execution-items?organisation={world.sao_a.id}", headers=bearer(world.planner_x)),
        404,
        "not_found",
    )
    empty = api.get(f"{API}/execution-items?fiscal_year={year + 1}", headers=bearer(world.planner)).get_json()
    assert (empty["items"], empty["total"]) == ([], 0)

    listed = api.get(
        f"{API}/evaluation-reports?fiscal_year=2569", headers=bearer(world.district_officer)
    ).get_json()
    assert [r["id"] for r in listed["items"]] == [report.id]
    detail = api.get(
        f"{API}/evaluation-reports/{report.id}", headers=bearer(world.district_officer)
    ).get_json()
    assert (detail["round"], detail["state"], detail["fiscal_year_be"]) == ("october", "drafting", 2569)
    assert "figures" in detail
    refused(
        api.get(f"{API}/evaluation-reports/{report.id}", headers=bearer(world.district_officer_2)),
        404,
        "not_found",
    )
    assert api.get(f"{API}/evaluation-reports", headers=bearer(world.planner_x)).get_json()["items"] == []


def test_oversight_figures_are_the_dashboards_for_offices_and_dla_only(api, world, db):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    year = execution.fiscal_year_be
    figures = api.get(f"{API}/oversight/figures?fiscal_year={year}", headers=bearer(world.provincial_officer))
    assert figures.status_code == 200, figures.get_data(as_text=True)[:500]
    body = figures.get_json()
    assert body["province"] == "38" and body["needs_province"] is False
    by_code = {row["code"]: row for row in body["rows"]}
    assert world.sao_x.code not in by_code
    assert by_code[world.sao_a.code]["executions"] == 1 and by_code[world.sao_a.code]["budget"] == "500000.00"
    assert body["totals"]["budget"] == "500000.00"

    national = api.get(
        f"{API}/oversight/figures?fiscal_year={year}", headers=bearer(world.dla_admin)
    ).get_json()
    assert national["needs_province"] is True and {p["code"] for p in national["provinces"]} >= {"30", "38"}
    # DLA's national figures, one row per province (from the rollups, exact at every read).
    by_province = {p["code"]: p for p in national["national"]["provinces"]}
    assert by_province["38"]["executions"] == 1 and by_province["38"]["budget"] == "500000.00"
    assert national["national"]["totals"]["budget"] == "500000.00"
    assert figures.get_json().get("national") is None
    chosen = api.get(
        f"{API}/oversight/figures?fiscal_year={year}&province=38", headers=bearer(world.dla_admin)
    ).get_json()
    assert chosen["totals"]["budget"] == "500000.00"

    refused(
        api.get(f"{API}/oversight/figures?fiscal_year={year}", headers=bearer(world.planner)),
        403,
        "permission_denied",
    )
    body = refused(
        api.get(
            f"{API}/oversight/figures?fiscal_year={year}&province=38",
            headers=bearer(world.provincial_officer_30),
        ),
        422,
        "invalid_input",
    )
    assert body["details"]["field"] == "province"
    assert (
        refused(api.get(f"{API}/oversight/figures", headers=bearer(world.dla_admin)), 422, "invalid_input")[
            "details"
        ]["field"]
        == "fiscal_year"
    )


def test_oversight_figures_chart_the_years_money_by_a_strategy_dimension(api, world, db):
    """With a ``dimension``, the figures carry the dashboard's chart: the year's money by the
    dimension's items, for the province's rows and, for DLA, for the whole table."""
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    year = execution.fiscal_year_be
    asked = f"{API}/oversight/figures?fiscal_year={year}&dimension=national_strategy"

    province = api.get(asked, headers=bearer(world.provincial_officer)).get_json()
    national = api.get(asked, headers=bearer(world.dla_admin)).get_json()
    plain = api.get(f"{API}/oversight/figures?fiscal_year={year}", headers=bearer(world.provincial_officer))

    board = oversight_status.dashboard(
        world.provincial_officer, oversight_status.Filters(fiscal_year_be=year), dimension="national_strategy"
    )
    expected = [
        [b.item_id, b.code or None, b.projects, f"{b.budget:.2f}", f"{b.disbursed:.2f}"] for b in board.bars
    ]
    assert expected and province["dimension"] == "national_strategy"
    for bars in (province["bars"], national["national"]["bars"]):
        assert [
            [b["item_id"], b["code"], b["projects"], b["budget"], b["disbursed"]] for b in bars
        ] == expected
        assert sum(Decimal(b["budget"]) for b in bars) == Decimal("500000.00")
        assert sum(b["projects"] for b in bars) == 1
    assert plain.get_json()["bars"] == [] and plain.get_json()["dimension"] is None
    body = refused(
        api.get(
            f"{API}/oversight/figures?fiscal_year={year}&dimension=colour", headers=bearer(world.dla_admin)
        ),
        422,
        "invalid_input",
    )
    assert body["details"]["field"] == "dimension"


# -- OIDC clients -------------------------------------------------------------------------------------------
def test_dla_admins_alone_manage_oidc_clients_through_the_api(api, world, db):
    dla = bearer(world.dla_admin)
    new = {
        "client_id": "budget-office",
        "name": "ระบบงบประมาณ",
        "redirect_uris": ["https://budget.example/cb"],
    }
    for user in (world.planner, world.provincial_officer, world.sso_admin):
        headers = bearer(user)
        refused(api.get(f"{API}/oidc-clients", headers=headers), 403, "permission_denied")
        refused(api.post(f"{API}/oidc-clients", json=new, headers=headers), 403, "permission_denied")
    assert count(OAuth2Client, OAuth2Client.client_id == "budget-office") == 0

    body = refused(
        api.post(f"{API}/oidc-clients", json={**new, "redirect_uris": ["ftp://x"]}, headers=dla),
        422,
        "invalid_input",
    )
    assert body["details"]["field"] == "redirect_uris"
    created = api.post(f"{API}/oidc-clients", json=new, headers=dla)
    assert created.status_code == 201, created.get_data(as_text=True)[:500]
    assert created.get_json()["client_secret"] and created.get_json()["is_active"] is True
    assert "budget-office" in [
        c["client_id"] for c in api.get(f"{API}/oidc-clients", headers=dla).get_json()["items"]
    ]
    assert "client_secret" not in api.get(f"{API}/oidc-clients/budget-office", headers=dla).get_json()

    url = f"{API}/oidc-clients/budget-office"
    refused(api.patch(url, json={"redirect_uris": []}, headers=dla), 422, "invalid_input")
    refused(api.patch(url, json={"name": "x"}, headers=bearer(world.planner)), 403, "permission_denied")
    changed = api.patch(
        url, json={"redirect_uris": ["https://budget.example/cb", "https://budget.example/cb2"]}, headers=dla
    )
    assert changed.status_code == 200 and changed.get_json()["name"] == "ระบบงบประมาณ"
    assert changed.get_json()["redirect_uris"] == ["https://budget.example/cb", "https://budget.example/cb2"]
    refused(api.post(f"{url}/disable", headers=bearer(world.planner)), 403, "permission_denied")
    assert api.post(f"{url}/disable", headers=dla).get_json()["is_active"] is False
    assert api.post(f"{url}/enable", headers=dla).get_json()["is_active"] is True
    refused(api.get(f"{API}/oidc-clients/nope", headers=dla), 404, "not_found")
    refused(api.get(f"{API}/oidc-clients/a%00b", headers=dla), 404, "not_found")
    refused(api.get(f"{API}/oidc-clients/a%00b", headers=bearer(world.planner)), 403, "permission_denied")
    actions = [
        e.action
        for e in _db.session.scalars(
            select(AuditEvent).where(AuditEvent.chain == "oidc_client:budget-office")
        )
    ]
    assert actions == ["register_client", "update_client", "deactivate_client", "activate_client"]

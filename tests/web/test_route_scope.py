"""Every route of the web pages and the API, for every role: who gets what, and never another
LAO's data. The table must name every route the app serves (the admin has its own table in
tests/admin/test_scope.py), so a new route cannot ship without saying who may reach it.
"""

from __future__ import annotations

import pytest

from eplan_flow.models import AuditEvent, LaoStrategy, Plan, ProjectRecord, RevisionItem
from tests import factories

ROLES = [
    "anonymous",
    "planner",
    "support_secretary",
    "devcom_secretary",
    "council_secretary",
    "executive",
    "sso_admin",
    "nobody",
    "planner_x",
    "district_officer",
    "district_officer_2",
    "provincial_officer",
    "provincial_officer_30",
    "dla_admin",
]
SAO_A_ROLES = {
    "planner",
    "support_secretary",
    "devcom_secretary",
    "council_secretary",
    "executive",
    "sso_admin",
}
# Who may read each plan (by its LAO): its own staff, its district office, its province, DLA.
READERS = {
    "plan_a": SAO_A_ROLES | {"district_officer", "provincial_officer", "dla_admin"},
    "plan_c": {"district_officer_2", "provincial_officer", "dla_admin"},
    "plan_x": {"planner_x", "provincial_officer_30", "dla_admin"},
}
# Who may submit a drafting plan to the development committee.
SUBMITTERS = {"plan_a": {"planner", "support_secretary"}, "plan_x": {"planner_x"}}

# Every non-admin endpoint the app serves, and the test below that covers it.
COVERED_ENDPOINTS = {
    "main.index",
    "main.workflows",
    "main.workflow",
    "main.instance",
    "main.fire",
    "main.notifications",
    "main.mark_notifications_read",
    "auth.login",
    "auth.logout",
    "api.me",
    "api.list_workflows",
    "api.workflow_diagram",
    "api.instance_detail",
    "api.instance_history",
    "api.fire",
    "api.add_disbursement",
    # Scoped like api.add_disbursement: tests/delivery/test_budget_sources.py.
    "api.execution_detail",
    "api.put_budget_details",
    # Readers of the LAO only (others 404): tests/oversight/test_dimensions.py.
    "api.emenscr_projects",
    # Offices and DLA, each its own LAOs (LAO staff 403, a province outside 404):
    # tests/oversight/test_emenscr_scope.py.
    "api.emenscr_in_scope",
    "static",
}
# API v1 resources (issue 16): the LAO-scoped ones are in API_CONTENT_ROUTES below; lists, the
# oversight figures and OIDC clients are covered per role in tests/web/test_api_v1_resources.py.
COVERED_ENDPOINTS |= {
    "api.list_instances",
    "api.list_plans",
    "api.list_execution_items",
    "api.list_evaluation_reports",
    "api.oversight_figures",
    "api.list_oidc_clients",
    "api.create_oidc_client",
    "api.oidc_client",
    "api.update_oidc_client",
    "api.disable_oidc_client",
    "api.enable_oidc_client",
}


def test_the_table_names_every_route_the_app_serves(app):
    served = {r.endpoint for r in app.url_map.iter_rules() if not r.rule.startswith("/admin")}
    assert served - COVERED_ENDPOINTS == set(), "add the new route to this table"


@pytest.fixture
def scene(world, db):
    world.plan_a = factories.plan(world.sao_a, world.planner)
    world.plan_c = factories.plan(world.sao_c, world.planner_c)
    world.plan_x = factories.plan(world.sao_x, world.planner_x)
    return world


def _sign_in(client, login_as, scene, role):
    if role != "anonymous":
        login_as(getattr(scene, role))


@pytest.mark.parametrize("role", ROLES)
def test_pages_show_each_role_only_what_its_grants_reach(role, scene, client, login_as):
    _sign_in(client, login_as, scene, role)
    home = client.get("/")
    if role == "anonymous":
        assert home.status_code == 302 and "/auth/login" in home.headers["Location"]
        for path in ("/workflows", "/workflows/plan", "/notifications", f"/instances/plan/{scene.plan_a.id}"):
            assert client.get(path).status_code == 302
        assert client.post("/notifications/read").status_code == 302
        return
    html = home.get_data(as_text=True)
    for key, readers in READERS.items():
        plan = getattr(scene, key)
        page = client.get(f"/instances/plan/{plan.id}")
        if role in readers:
            assert page.status_code == 200
            assert plan.organisation.name_th in html, f"{role} should see {key} on the home page"
        else:
            assert page.status_code == 404
            assert plan.title not in page.get_data(as_text=True)
            assert f'/instances/plan/{plan.id}"' not in html, f"{role} must not see {key}"
    for path in ("/workflows", "/workflows/plan", "/notifications"):
        assert client.get(path).status_code == 200
    assert client.get("/workflows/unknown").status_code == 404
    assert client.post("/notifications/read", data={"all": "1"}).status_code in (302, 303)


@pytest.mark.parametrize("role", ROLES)
def test_firing_through_the_page_reaches_only_plans_in_scope_and_only_with_the_role(
    role, scene, client, login_as, db
):
    _sign_in(client, login_as, scene, role)
    for key in ("plan_x", "plan_a"):
        plan = getattr(scene, key)
        response = client.post(
            f"/instances/plan/{plan.id}/fire",
            data={"trigger": "submit_to_committee", "expected_version": "1", "comment": ""},
        )
        row = db.session.get(Plan, plan.id)
        if role == "anonymous":
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
            moved = False
        elif role in SUBMITTERS.get(key, set()):
            assert response.status_code in (302, 303)
            moved = True
        elif role in READERS[key]:
            assert response.status_code == 403
            moved = False
        else:
            assert response.status_code == 404
            moved = False
        assert row.status == ("committee_review" if moved else "drafting"), (role, key)
        actions = [e.action for e in db.session.query(AuditEvent).filter_by(chain=f"plan:{plan.id}")]
        assert actions == (["create", "submit_to_committee"] if moved else ["create"])


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_each_role_only_within_its_scope(role, scene, client, login_as, db):
    _sign_in(client, login_as, scene, role)
    if role == "anonymous":
        for path in (
            "/api/v1/me",
            "/api/v1/workflows",
            "/api/v1/workflows/plan/diagram",
            f"/api/v1/instances/plan/{scene.plan_a.id}",
            f"/api/v1/instances/plan/{scene.plan_a.id}/history",
        ):
            response = client.get(path)
            assert response.status_code == 401 and response.json["code"] == "unauthenticated"
        return
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/workflows").status_code == 200
    assert client.get("/api/v1/workflows/plan/diagram").status_code == 200
    for key, readers in READERS.items():
        plan = getattr(scene, key)
        detail = client.get(f"/api/v1/instances/plan/{plan.id}")
        history = client.get(f"/api/v1/instances/plan/{plan.id}/history")
        fire = client.post(
            f"/api/v1/instances/plan/{plan.id}/fire", json={"trigger": "acknowledge", "expected_version": 1}
        )
        if role in readers:
            assert detail.status_code == 200 and detail.json["organisation"]["code"] == plan.organisation.code
            assert history.status_code == 200 and [e["action"] for e in history.json["items"]] == ["create"]
            # Readers are refused for the state (a drafting plan is not acknowledged), not for scope.
            assert fire.status_code in (403, 422)
        else:
            assert detail.status_code == 404 and detail.json["code"] == "not_found"
            assert history.status_code == 404 and history.json["code"] == "not_found"
            assert fire.status_code == 404
            assert plan.organisation.code not in detail.get_data(as_text=True)
        assert db.session.get(Plan, plan.id).version == 1


def test_sign_in_and_sign_out_routes_and_static_files_answer_everyone(scene, client, login_as):
    assert client.get("/auth/login").status_code == 200
    css = client.get("/static/css/app.css")
    assert css.status_code == 200
    css.close()
    login_as(scene.planner)
    assert client.get("/auth/login").status_code == 302
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/").status_code == 302


# Plan content routes (issue 4): every one is scoped to the plan's LAO. Each URL is built for
# sao_a's announced plan, its first strategy and tactic, project 1, and a draft revision with one item.
CONTENT_ROUTES = {
    "catalogues.strategies_page": ("GET", "/catalogues/plans/{plan}/strategies"),
    "catalogues.create_strategy": ("POST", "/catalogues/plans/{plan}/strategies"),
    "catalogues.update_strategy": ("POST", "/catalogues/plans/{plan}/strategies/{strategy}"),
    "catalogues.strategy_links": ("GET", "/catalogues/plans/{plan}/strategies/{strategy}/links"),
    "catalogues.create_tactic": ("POST", "/catalogues/plans/{plan}/strategies/{strategy}/tactics"),
    "catalogues.update_tactic": ("POST", "/catalogues/plans/{plan}/tactics/{tactic}"),
    "catalogues.yt01": ("GET", "/catalogues/plans/{plan}/yt01"),
    "plans.overview": ("GET", "/plans/{plan}"),
    "plans.p01": ("GET", "/plans/{plan}/p01"),
    "plans.p02": ("GET", "/plans/{plan}/p02"),
    "plans.project": ("GET", "/plans/{plan}/projects/1"),
    "plans.delete_project": ("POST", "/plans/{plan}/projects/1/delete"),
    "plans.edit_project": ("GET", "/plans/{plan}/projects/1/edit"),
    "plans.new_project": ("GET", "/plans/{plan}/projects/new"),
    "revisions.plan_revisions": ("GET", "/revisions/plans/{plan}"),
    "revisions.open_revision": ("POST", "/revisions/plans/{plan}/open"),
    "revisions.project_history": ("GET", "/revisions/plans/{plan}/projects/1"),
    "revisions.revision": ("GET", "/revisions/{revision}"),
    "revisions.compare": ("GET", "/revisions/{revision}/compare"),
    "revisions.remove_item": ("POST", "/revisions/{revision}/items/{item}/remove"),
    "revisions.add_item": ("POST", "/revisions/{revision}/items/addition"),
    "revisions.set_reasons": ("POST", "/revisions/{revision}/reasons"),
    "revisions.set_policy_basis": ("POST", "/revisions/{revision}/policy-basis"),
    "revisions.numbering": ("GET", "/revisions/plans/{plan}/numbering"),
    "revisions.save_numbering": ("POST", "/revisions/plans/{plan}/numbering"),
    "revisions.set_next_number": ("POST", "/revisions/plans/{plan}/numbering/next"),
    "plans.plan_reviews": ("GET", "/plans/{plan}/reviews"),
    "plans.open_review": ("POST", "/plans/{plan}/reviews/open"),
    "plans.review": ("GET", "/plans/reviews/{review}"),
    "plans.review_strategy": ("POST", "/plans/reviews/{review}/strategy"),
    "plans.review_change": ("POST", "/plans/reviews/{review}/change"),
    "plans.review_remove_item": ("POST", "/plans/reviews/{review}/items/{review_item}/remove"),
    "plans.review_add_project": ("POST", "/plans/reviews/{review}/projects"),
    "plans.review_linkage": ("POST", "/plans/reviews/{review}/linkage"),
    "plans.review_print": ("GET", "/plans/reviews/{review}/print"),
    "plans.record_civic_forum": ("POST", "/plans/civic-forum/revision/{revision}"),
    "execution.plan_year": ("GET", "/execution/plans/{plan}"),
    "execution.budget": ("POST", "/execution/plans/{plan}/budget"),
    "execution.detail": ("GET", "/execution/{execution}"),
    "execution.contract": ("POST", "/execution/{execution}/contract"),
    "execution.procurement": ("POST", "/execution/{execution}/procurement"),
    "execution.sign": ("POST", "/execution/{execution}/sign"),
    "execution.transfer": ("POST", "/execution/{execution}/transfers"),
    "execution.disbursement": ("POST", "/execution/{execution}/disbursements"),
    "execution.progress": ("POST", "/execution/{execution}/progress"),
    "execution.cancel": ("POST", "/execution/{execution}/cancel"),
    "execution.budget_details": ("POST", "/execution/{execution}/budget-details"),
    "execution.plan_year_csv": ("GET", "/execution/plans/{plan}/executions.csv"),
    "results.lao": ("GET", "/results/laos/{org}"),
    "results.create_report": ("POST", "/results/laos/{org}/reports"),
    "results.actuals_page": ("GET", "/results/laos/{org}/actuals/{year}"),
    "results.save_actuals": ("POST", "/results/laos/{org}/actuals/{year}"),
    "results.report": ("GET", "/results/reports/{report}"),
    "results.update_text": ("POST", "/results/reports/{report}/text"),
    "oversight.emenscr_download": ("GET", "/oversight/laos/{org}/emenscr.csv?year={year}"),
    "oversight.lao_dimension_projects": (
        "GET",
        "/oversight/laos/{org}/dimensions/national_strategy/none?year={year}",
    ),
    "documents.plan_pdf": ("GET", "/documents/plans/{plan}/p02.pdf"),
    "documents.revision_pdf": ("GET", "/documents/revisions/{revision}.pdf"),
    "documents.report_pdf": ("GET", "/documents/reports/{report}.pdf"),
    "documents.plan_xlsx": ("GET", "/documents/plans/{plan}/p02.xlsx"),
    "documents.revision_xlsx": ("GET", "/documents/revisions/{revision}.xlsx"),
    "documents.report_xlsx": ("GET", "/documents/reports/{report}.xlsx"),
    "attachments.attach": ("POST", "/attachments/revision/{revision}"),
    "attachments.attach_to_step": ("POST", "/attachments/instances/revision/{revision}"),
    "attachments.download": ("GET", "/attachments/{attachment}"),
    "execution.action_plans": ("GET", "/execution/laos/{org}/action-plans"),
    "execution.open_action_plan": ("POST", "/execution/laos/{org}/action-plans"),
    "execution.action_plan": ("GET", "/execution/action-plans/{action_plan}"),
    "execution.action_plan_months": (
        "POST",
        "/execution/action-plans/{action_plan}/items/{action_plan_item}/months",
    ),
    "execution.action_plan_remove_item": (
        "POST",
        "/execution/action-plans/{action_plan}/items/{action_plan_item}/remove",
    ),
    "execution.action_plan_add_item": ("POST", "/execution/action-plans/{action_plan}/items"),
    "execution.action_plan_add_agency_item": ("POST", "/execution/action-plans/{action_plan}/agency-items"),
    "execution.action_plan_pd01": ("GET", "/execution/action-plans/{action_plan}/pd01"),
    "execution.action_plan_pd02": ("GET", "/execution/action-plans/{action_plan}/pd02"),
    "execution.action_plan_xlsx": ("GET", "/execution/action-plans/{action_plan}/pd.xlsx"),
    "documents.action_plan_pdf": ("GET", "/documents/action-plans/{action_plan}/pd02.pdf"),
}
# Routes not tied to one LAO's content, each covered by its own tests.
UNSCOPED_ROUTES = {
    # Public: the API's own description, no one's data.
    "api.openapi_document": "tests/web/test_openapi.py (anyone reads it; the rest of the API still needs a token)",
    "api.docs": "tests/web/test_openapi.py (the same description as a page)",
    "plans.new_plan": "tests/planning/test_plan_pages.py (a planner creates only their own LAO's plan)",
    "plans.import_start": "tests/planning/test_plan_import_pages.py (the LAO's planners only; others 403)",
    "plans.import_preview": "tests/planning/test_plan_import_pages.py (the LAO's planners; its other "
    "readers 403, outsiders 404)",
    "plans.import_confirm": "tests/planning/test_plan_import_pages.py (the LAO's planners; its other "
    "readers 403, outsiders 404, nothing changed)",
    "plans.import_template": "tests/planning/test_plan_import_pages.py (a blank workbook: anyone signed in)",
    "execution.ordinance_upload": "tests/delivery/test_ordinance_import.py (the LAO's planners only; its "
    "other readers 403, outsiders 404)",
    "execution.ordinance_preview": "tests/delivery/test_ordinance_import.py (the LAO's planners; its other "
    "readers 403, outsiders 404, nothing kept)",
    "execution.ordinance_confirm": "tests/delivery/test_ordinance_import.py (the LAO's planners; its other "
    "readers 403, outsiders 404, nothing changed)",
    "main.overdue": "tests/planning/test_overdue_page.py (the list is scoped per role)",
    "main.announcement_duties": "tests/planning/test_announcement_duties.py (readers of the LAO; others 404)",
    "main.record_announcement_duty": "tests/planning/test_announcement_duties.py (the LAO's planning "
    "staff only; other readers 403, outsiders 404)",
    "public.index": "tests/planning/test_public_page.py (public, announced items only)",
    "public.lao": "tests/planning/test_public_page.py (public, announced items only)",
    "public.attachment": "tests/planning/test_attachments.py (public: signed announcements of announced "
    "items only)",
    "oversight.dashboard": "tests/oversight/test_dashboard.py (offices and DLA, each its own LAOs; staff 403)",
    "oversight.download": "tests/oversight/test_downloads.py, test_dashboard.py (same scope as the table)",
    "oversight.dimension_breakdown": "tests/oversight/test_dimensions.py (offices and DLA, each its own "
    "LAOs; LAO staff 403)",
    "oversight.dimension_download": "tests/oversight/test_dimensions.py (same scope as the breakdown)",
    "oversight.emenscr_scope_download": "tests/oversight/test_emenscr_scope.py (offices and DLA, each its "
    "own LAOs; LAO staff 403, a province outside 404)",
    "oversight.dimension_projects": "tests/oversight/test_dimensions.py (the overseer's LAOs only; another "
    "LAO's strategy 404)",
    "oversight.request_emenscr_workbook": "tests/oversight/test_emenscr_scope.py (offices and DLA queue "
    "their own area's workbook; LAO staff 403, a province outside 404, nothing queued)",
    "documents.request_plan_pdf": "tests/documents/test_jobs.py (any reader of the plan queues its long "
    "form; outsiders 404, nothing queued)",
    "documents.request_action_plan_pdf": "tests/documents/test_action_plan_pdf.py (any reader of the "
    "action plan queues its long ผด.02; outsiders 404, nothing queued)",
    "documents.job": "tests/documents/test_jobs.py (the person who asked only; anyone else 404)",
    "documents.job_file": "tests/documents/test_jobs.py (the person who asked only; anyone else 404)",
    "auth.sso_login": "tests/identity/rp/test_oidc_sign_in.py (anyone: starts the SSO sign-in)",
    "auth.oidc_callback": "tests/identity/rp/test_oidc_sign_in.py (anyone: state, nonce and PKCE bind it)",
    "auth.backchannel_logout": "tests/security/test_sessions.py (the SSO's server: a logout token "
    "signed by the pinned SSO, for e-Plan, once)",
}
# The OpenID Connect provider's public endpoints: the protocol guards them (SSO session, client
# authentication, PKCE, bearer tokens, ID token hints), not an organisation's scope.
UNSCOPED_ROUTES |= {
    f"oidc.{name}": "tests/oidc/ (public OIDC endpoint: plain-HTTP RP, refusals, pages)"
    for name in ("discovery", "jwks", "authorize", "token", "userinfo", "revoke", "logout")
}
# ThaiD verification: the SSO's own person only (SSO session); the stand-in ThaiD (test and
# development configuration only) is guarded by the protocol like the provider above.
UNSCOPED_ROUTES |= {
    "sso.thaid_start": "tests/identity/thaid/test_verification.py (the signed-in person's own account only)",
    "sso.thaid_callback": "tests/identity/thaid/test_verification.py (own account; state, nonce and PKCE bind it)",
} | {
    f"thaid_dev.{name}": "tests/identity/thaid/test_provider.py (stand-in ThaiD; absent in production)"
    for name in ("discovery", "jwks", "authorize", "token", "userinfo")
}
# SSO approvals: the approver's reach and the chain of trust (engine roles), or the person's own rows.
UNSCOPED_ROUTES |= {
    f"sso.{name}": "tests/identity/approvals/test_pages.py (approvers within their reach; others 404, nothing changed)"
    for name in ("approvals_inbox", "approval_item", "approval_decide", "approvals_bulk")
} | {
    f"sso.{name}": "tests/identity/approvals/test_pages.py (the signed-in person's own account and access only)"
    for name in ("my_access", "request_access", "withdraw_access", "transfer")
}
# The SSO's own pages: anyone may register, confirm and sign in (rate-limited, CSRF); the rest
# show or change only the signed-in person's own account (SSO session).
UNSCOPED_ROUTES |= (
    {
        f"sso.{name}": "tests/sso/ (anyone: registration, confirmation and sign-in; limits, lockout, CSRF)"
        for name in ("register", "registered", "confirm_email", "login", "logout")
    }
    | {
        f"sso.{name}": "tests/security/test_back_office_takeover.py (anyone: one answer for every address; "
        "the single-use link names the person)"
        for name in ("forgot_password", "reset_password")
    }
    | {
        f"sso.{name}": "tests/identity/sso/test_pages.py, test_sign_in.py (the signed-in person's own account only)"
        for name in ("account", "reapply", "reauth", "resend_confirmation")
    }
    | {
        "sso.correct_details": "tests/identity/thaid/test_names.py (the signed-in person's own account, "
        "before ThaiD has verified it)"
    }
)
# The load balancer's probes: anyone, any Host, no sign-in, no session, nothing but up or not.
UNSCOPED_ROUTES |= {
    f"health.{name}": "tests/platform/test_health.py (anyone: up or not, no details, no cookie)"
    for name in ("healthz", "readyz")
}
# Prometheus' scrape: only with the configured bearer token, 404 while none is configured.
UNSCOPED_ROUTES["monitoring.metrics_view"] = (
    "tests/platform/test_metrics.py (the metrics token only: none configured 404, a wrong one 401)"
)
COVERED_ENDPOINTS |= set(CONTENT_ROUTES) | set(UNSCOPED_ROUTES)
OUTSIDERS = ["planner_x", "district_officer_2", "provincial_officer_30", "nobody"]
READERS_OF_SAO_A = ["planner", "district_officer", "provincial_officer", "dla_admin"]


@pytest.fixture
def content(world, db, app, tmp_path, monkeypatch):
    from tests.factories import execution as execution_factories
    from tests.factories import revisions as revision_factories

    revision = revision_factories.drafted_revision(world.sao_a)
    plan = revision.plan
    execution = execution_factories.budgeted(world.sao_a, world.planner, plan=plan)
    from tests.factories.results import drafted_report

    report = drafted_report(world.sao_a, world.planner, fiscal_year_be=2569)
    strategy = db.session.query(LaoStrategy).filter_by(plan_id=plan.id).order_by(LaoStrategy.number).first()
    from eplan_flow.services.planning import reviews

    review = reviews.open_review(world.planner, plan.id)
    review_item = reviews.change_project(world.planner, review.id, 1, {"target": "ถนนยาว 300 เมตร"})
    from eplan_flow.services.planning import attachments

    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    from eplan_flow.services.delivery import action_plans

    action_plan = action_plans.open_action_plan(world.planner, world.sao_a.id, 2570, "2026-09-28")
    action_plan_item = action_plans.add_agency_item(
        world.planner, action_plan.id, "ขุดลอกหนองน้ำ", "กรมทรัพยากรน้ำ", "350000.00"
    )
    minutes = b"%PDF-1.4\n%%EOF\n"
    attachment = attachments.attach(
        world.planner, "revision", revision.id, kind="meeting_minutes", filename="m.pdf", data=minutes
    )
    return {
        "plan": plan.id,
        "strategy": strategy.id,
        "tactic": strategy.tactics[0].id,
        "revision": revision.id,
        "item": revision.items[0].id,
        "execution": execution.id,
        "org": world.sao_a.id,
        "year": 2569,
        "report": report.id,
        "review": review.id,
        "review_item": review_item.id,
        "attachment": attachment.id,
        "action_plan": action_plan.id,
        "action_plan_item": action_plan_item.id,
    }


def _snapshot(db):
    return (
        db.session.query(AuditEvent).count(),
        db.session.query(ProjectRecord).count(),
        db.session.query(RevisionItem).count(),
        db.session.query(LaoStrategy).count(),
    )


@pytest.mark.parametrize("role", OUTSIDERS)
def test_people_outside_the_lao_get_not_found_from_every_content_route_and_change_nothing(
    role, world, content, client, login_as, db
):
    login_as(getattr(world, role))
    before = _snapshot(db)
    for endpoint, (method, pattern) in CONTENT_ROUTES.items():
        url = pattern.format(**content)
        response = client.open(url, method=method, data={"name": "x", "number": "9", "reasons": "x"})
        assert response.status_code == 404, f"{role} {method} {url} ({endpoint}) gave {response.status_code}"
        assert world.sao_a.name_th not in response.get_data(as_text=True) or role == "nobody"
    assert _snapshot(db) == before


# API v1 routes on one LAO's content (issue 16), built like CONTENT_ROUTES, with a JSON body.
API_CHANGE = {"kind": "change", "project_no": 2, "values": {"kpi": "ร้อยละ 99"}, "reason": "x"}
API_CONTENT_ROUTES = {
    "api.plan_detail": ("GET", "/api/v1/plans/{plan}", None),
    "api.plan_projects": ("GET", "/api/v1/plans/{plan}/projects", None),
    "api.plan_revisions": ("GET", "/api/v1/plans/{plan}/revisions", None),
    "api.open_revision": ("POST", "/api/v1/plans/{plan}/revisions", {"reasons": "x"}),
    "api.revision_detail": ("GET", "/api/v1/revisions/{revision}", None),
    "api.add_revision_item": ("POST", "/api/v1/revisions/{revision}/items", API_CHANGE),
    "api.update_revision_item": ("PATCH", "/api/v1/revisions/{revision}/items/{item}", {"reason": "x"}),
    "api.delete_revision_item": ("DELETE", "/api/v1/revisions/{revision}/items/{item}", None),
    "api.evaluation_report": ("GET", "/api/v1/evaluation-reports/{report}", None),
    # The lists, filtered by the LAO: an organisation outside the caller's scope is not found.
    "api.list_instances": ("GET", "/api/v1/instances?workflow=plan&organisation={org}", None),
    "api.list_plans": ("GET", "/api/v1/plans?organisation={org}", None),
    "api.list_execution_items": ("GET", "/api/v1/execution-items?organisation={org}", None),
    "api.list_evaluation_reports": ("GET", "/api/v1/evaluation-reports?organisation={org}", None),
}
COVERED_ENDPOINTS |= set(API_CONTENT_ROUTES)


@pytest.mark.parametrize("role", OUTSIDERS)
def test_people_outside_the_lao_get_not_found_from_every_api_content_route_and_change_nothing(
    role, world, content, client, login_as, db
):
    login_as(getattr(world, role))
    before = _snapshot(db)
    for endpoint, (method, pattern, body) in API_CONTENT_ROUTES.items():
        url = pattern.format(**content)
        response = client.open(url, method=method, json=body)
        assert response.status_code == 404, f"{role} {method} {url} ({endpoint}) gave {response.status_code}"
        assert response.json["code"] == "not_found"
        assert world.sao_a.name_th not in response.get_data(as_text=True)
    assert _snapshot(db) == before


@pytest.mark.parametrize("role", READERS_OF_SAO_A)
def test_people_who_may_read_the_lao_read_every_api_content_route(role, world, content, client, login_as):
    login_as(getattr(world, role))
    for endpoint, (method, pattern, _body) in API_CONTENT_ROUTES.items():
        if method != "GET":
            continue
        url = pattern.format(**content)
        response = client.get(url)
        assert response.status_code == 200, f"{role} GET {url} ({endpoint}) gave {response.status_code}"


@pytest.mark.parametrize("role", READERS_OF_SAO_A)
def test_people_who_may_read_the_lao_open_every_content_page(role, world, content, client, login_as):
    login_as(getattr(world, role))
    for endpoint, (method, pattern) in CONTENT_ROUTES.items():
        if method != "GET" or endpoint in {"plans.edit_project", "plans.new_project"}:
            continue
        url = pattern.format(**content)
        response = client.get(url)
        assert response.status_code == 200, f"{role} GET {url} ({endpoint}) gave {response.status_code}"


@pytest.mark.parametrize("role", ["district_officer", "provincial_officer", "executive"])
def test_readers_without_a_drafting_role_cannot_change_plan_content(
    role, world, content, client, login_as, db
):
    login_as(getattr(world, role))
    before = _snapshot(db)
    for endpoint, (method, pattern) in CONTENT_ROUTES.items():
        if method != "POST":
            continue
        url = pattern.format(**content)
        response = client.post(url, data={"name": "x", "number": "9", "reasons": "x", "necessity": "x"})
        assert response.status_code in (403, 409), (
            f"{role} POST {url} ({endpoint}) gave {response.status_code}"
        )
    assert _snapshot(db) == before

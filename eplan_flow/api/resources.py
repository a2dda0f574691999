"""JSON API v1 resources: instances, plans and their projects, revisions and their items, execution
items, evaluation reports, the oversight figures and OIDC client registrations.

Each view parses its input, calls the one service the pages call, and shapes the answer: scope,
permissions, audit and atomicity stay in the services. Lists share one envelope,
``{"items", "page", "per_page", "total", "next"}`` (``next`` is the next page's URL, or null).
Workflow steps (a revision's ``submit`` ... ``approve_and_announce``) go through the generic
``POST /api/v1/instances/<workflow>/<id>/fire``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import jsonify, request, url_for
from flask_login import current_user

from eplan_flow import text
from eplan_flow.api import bp, schemas
from eplan_flow.errors import InvalidInput
from eplan_flow.i18n import locale_code
from eplan_flow.services.delivery import evaluation
from eplan_flow.services.identity import oidc_clients
from eplan_flow.services.oversight import rollups
from eplan_flow.services.oversight import status as oversight
from eplan_flow.services.planning import plans, projects, revisions
from eplan_flow.services.platform import engine
from eplan_flow.services.platform.instances import (
    MAX_ID,
    MAX_PER_PAGE,
    PER_PAGE,
    InstancePage,
    find_instances,
)

ITEM_KINDS = ("addition", "change", "correction")
OPEN_FIELDS = ("route", "reasons", "necessity", "policy_basis", "policy_letter_no", "policy_letter_date")
ITEM_FIELDS = ("kind", "project_no", "values", "reason", "fact")
ITEM_PATCH_FIELDS = ("values", "reason", "fact")
CLIENT_FIELDS = (
    "name",
    "redirect_uris",
    "post_logout_redirect_uris",
    "backchannel_logout_uri",
    "allowed_roles",
    "trusted",
    "scope",
)


def _actor():
    return current_user._get_current_object()


# -- parsing ------------------------------------------------------------------------------------
def _refuse_unknown(body: dict, known) -> None:
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise InvalidInput(f"unknown field: {', '.join(unknown)}", field=unknown[0], unknown=unknown)


def _optional_text(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string or null", field=name)
    return value


def _iso_date(body: dict, name: str) -> date | None:
    raw = _optional_text(body, name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a date as YYYY-MM-DD", field=name) from None


def _string_list(body: dict, name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{name} must be a list of strings", field=name)
    return value


def _page_args() -> tuple[int, int]:
    return schemas.positive_int_arg("page") or 1, schemas.positive_int_arg("per_page") or PER_PAGE


def _listing(shape, found: InstancePage):
    """The list envelope; ``next`` keeps the request's filters."""
    following = None
    if found.has_next:
        args: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
        args.update(page=found.page + 1, per_page=found.per_page)
        following = url_for(request.endpoint or "", **args)
    return jsonify(
        items=[shape(row) for row in found.items],
        page=found.page,
        per_page=found.per_page,
        total=found.total,
        next=following,
    )


@bp.get("/instances/<workflow>/<int:instance_id>/history")
def instance_history(workflow: str, instance_id: int):
    """The instance's audit history, oldest first, a page at a time."""
    instance = engine.get_instance(workflow, instance_id, _actor())
    page, per_page = _page_args()
    if per_page > MAX_PER_PAGE:
        raise InvalidInput(f"per_page is at most {MAX_PER_PAGE}", field="per_page", max=MAX_PER_PAGE)
    events, total = engine.history_page(instance, (page - 1) * per_page, per_page)
    return _listing(schemas.event_dict, InstancePage(events, page, per_page, total))


def _find(workflow: str, state: str | None = None):
    page, per_page = _page_args()
    return find_instances(
        _actor(),
        workflow,
        state=state,
        organisation_id=schemas.positive_int_arg("organisation"),
        fiscal_year_be=schemas.positive_int_arg("fiscal_year"),
        page=page,
        per_page=per_page,
    )


# -- shapes ------------------------------------------------------------------------------------------
def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _money(value) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def instance_summary(instance) -> dict:
    locale = locale_code()
    return {
        "workflow": instance.workflow_name,
        "workflow_version": instance.workflow_version,
        "id": instance.id,
        "title": str(instance),
        "organisation": schemas.organisation_dict(instance.organisation),
        "state": instance.status,
        "state_label": engine.definition_of(instance).label(instance.status, locale),
        "version": instance.version,
        "url": url_for("api.instance_detail", workflow=instance.workflow_name, instance_id=instance.id),
    }


def plan_dict(plan) -> dict:
    return {
        **instance_summary(plan),
        "period_start_be": plan.period_start_be,
        "period_end_be": plan.period_end_be,
        "current_version": plan.current_version,
        "announced_at": schemas.iso_utc(plan.announced_at),
        "projects_url": url_for("api.plan_projects", plan_id=plan.id),
        "revisions_url": url_for("api.plan_revisions", plan_id=plan.id),
    }


def project_dict(record) -> dict:
    values = projects.record_values(record)
    return {"project_no": record.project_no, "valid_from": record.valid_from, **values}


def item_dict(item) -> dict:
    return {
        "id": item.id,
        "kind": item.kind,
        "project_no": item.project_no,
        "values": item.values,
        "reason": item.reason,
        "fact": item.fact,
    }


def revision_dict(revision) -> dict:
    locale = locale_code()
    return {
        **instance_summary(revision),
        "plan_id": revision.plan_id,
        "route": revision.route,
        "base_version": revision.base_version,
        "result_version": revision.result_version,
        "reasons": revision.reasons,
        "necessity": revision.necessity,
        "policy_basis": revision.policy_basis,
        "policy_letter_no": revision.policy_letter_no,
        "policy_letter_date": _iso(revision.policy_letter_date),
        "announced_at": schemas.iso_utc(revision.announced_at),
        "items": [item_dict(item) for item in revision.items],
        "allowed_triggers": [schemas.step_dict(s) for s in engine.next_steps(revision, _actor(), locale)],
        "fire_url": url_for("api.fire", workflow="revision", instance_id=revision.id),
    }


def execution_summary(execution) -> dict:
    return {
        **instance_summary(execution),
        "plan_id": execution.plan_id,
        "project_no": execution.project_no,
        "fiscal_year_be": execution.fiscal_year_be,
        "budgeted_amount": _money(execution.budgeted_amount),
        "available_budget": _money(execution.available_budget),
        "disbursed_total": _money(execution.disbursed_total),
        "progress_percent": execution.progress_percent,
        "detail_url": url_for("api.execution_detail", execution_id=execution.id),
    }


def report_summary(report) -> dict:
    return {
        **instance_summary(report),
        "plan_id": report.plan_id,
        "fiscal_year_be": report.fiscal_year_be,
        "round": report.round,
        "presented_on": _iso(report.presented_on),
        "announced_on": _iso(report.announced_on),
        "detail_url": url_for("api.evaluation_report", report_id=report.id),
    }


def progress_dict(row) -> dict:
    """A row's year in figures (an LAO's, a district's, a province's): planned, budgeted, completed,
    budget and disbursed, with the rates."""
    return {
        "planned": row.planned,
        "executions": row.executions,
        "counted": row.counted,
        "execution_rate": None if row.execution_rate is None else str(row.execution_rate),
        "budget": _money(row.budget),
        "disbursed": _money(row.disbursed),
        "disbursement_rate": None if row.disbursement_rate is None else str(row.disbursement_rate),
    }


def lao_row_dict(row) -> dict:
    return {
        "organisation_id": row.organisation_id or None,
        "code": row.code,
        "name": row.name,
        "lao_type": row.lao_type or None,
        "district_code": row.district_code,
        "district_name": row.district_name,
        "plan_id": row.plan_id,
        "plan_status": row.plan_status,
        "plan_status_label": row.plan_status_label or None,
        "plan_version": row.plan_version,
        "revision_id": row.revision_id,
        "revision_title": row.revision_title,
        "submission": row.submission,
        "submission_due": _iso(row.submission_due),
        **progress_dict(row),
        "evaluation_id": row.evaluation_id,
        "evaluation_round": row.evaluation_round,
        "overdue_count": row.overdue_count,
    }


def bar_dict(bar) -> dict:
    """One item of a strategy dimension with the year's money of the projects linked to it (the
    item null: linked to no item of the dimension)."""
    return {
        "item_id": bar.item_id,
        "code": bar.code or None,
        "name": bar.name or None,
        "projects": bar.projects,
        "budget": _money(bar.budget),
        "disbursed": _money(bar.disbursed),
    }


def client_dict(summary: dict) -> dict:
    return {
        "client_id": summary["client_id"],
        "name": summary["name"],
        "redirect_uris": list(summary["redirect_uris"]),
        "post_logout_redirect_uris": list(summary["post_logout_redirect_uris"]),
        "backchannel_logout_uri": summary["backchannel_logout_uri"] or None,
        "scope": summary["scope"],
        "allowed_roles": list(summary["allowed_roles"] or []),
        "trusted": bool(summary["trusted"]),
        "is_active": bool(summary["is_active"]),
        "public": bool(summary["public"]),
    }


# -- instances ---------------------------------------------------------------------------------------
@bp.get("/instances")
def list_instances():
    """One page of the workflow rows the caller may read (``workflow`` required; ``state``,
    ``organisation``, ``fiscal_year`` optional), scoped like the pages."""
    workflow = request.args.get("workflow") or None
    if workflow is None:
        raise InvalidInput("workflow is required", field="workflow")
    found = _find(workflow, request.args.get("state") or None)
    return _listing(instance_summary, found)


# -- plans and projects --------------------------------------------------------------------------
@bp.get("/plans")
def list_plans():
    """One page of the plans the caller may read (``state``, ``organisation``, ``fiscal_year``)."""
    return _listing(plan_dict, _find("plan", request.args.get("state") or None))


@bp.get("/plans/<int:plan_id>")
def plan_detail(plan_id: int):
    return jsonify(plan_dict(plans.get_plan(_actor(), plan_id)))


@bp.get("/plans/<int:plan_id>/projects")
def plan_projects(plan_id: int):
    """The plan's projects in force now (``version``: as they stood in that announced version)."""
    plan = plans.get_plan(_actor(), plan_id)
    version = schemas.positive_int_arg("version")
    if version is not None and version > plan.current_version:
        raise InvalidInput("the plan has no such version", field="version", current=plan.current_version)
    records = projects.records_at(plan.id, version) if version else projects.current_records(plan.id)
    return jsonify(
        plan_id=plan.id, version=version or plan.current_version, items=[project_dict(r) for r in records]
    )


@bp.get("/plans/<int:plan_id>/revisions")
def plan_revisions(plan_id: int):
    plan, rows = revisions.plan_revisions(_actor(), plan_id)
    return jsonify(plan_id=plan.id, items=[instance_summary(r) for r in rows])


# -- revisions ---------------------------------------------------------------------------------------
@bp.post("/plans/<int:plan_id>/revisions")
def open_revision(plan_id: int):
    """Open a draft revision of an announced plan (``route``: regular, policy...; reasons, necessity)."""
    body = schemas.json_object()
    _refuse_unknown(body, OPEN_FIELDS)
    route = _optional_text(body, "route") or "regular"
    revision = revisions.open_revision(
        _actor(),
        plan_id,
        route=route,
        reasons=_optional_text(body, "reasons"),
        necessity=_optional_text(body, "necessity"),
        policy_basis=_optional_text(body, "policy_basis"),
        policy_letter_no=_optional_text(body, "policy_letter_no"),
        policy_letter_date=_iso_date(body, "policy_letter_date"),
    )
    revision = revisions.get_revision(_actor(), revision.id)
    response = jsonify(revision_dict(revision))
    response.status_code = 201
    response.headers["Location"] = url_for("api.revision_detail", revision_id=revision.id)
    return response


@bp.get("/revisions/<int:revision_id>")
def revision_detail(revision_id: int):
    return jsonify(revision_dict(revisions.get_revision(_actor(), revision_id)))


@bp.post("/revisions/<int:revision_id>/items")
def add_revision_item(revision_id: int):
    """Add an item to a draft: ``kind`` addition (all ``values``), change or correction (a
    ``project_no`` and the new ``values``), with its ``reason`` (a correction: its ``fact``)."""
    body = schemas.json_object()
    _refuse_unknown(body, ITEM_FIELDS)
    kind = body.get("kind")
    if kind not in ITEM_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(ITEM_KINDS)}", field="kind")
    values = body.get("values")
    if not isinstance(values, dict):
        raise InvalidInput("values must be an object", field="values")
    reason = _optional_text(body, "reason")
    # Any whole number a project could have; the service says whether the plan has it.
    project_no = text.parse_int(body.get("project_no"), field="project_no", minimum=1, maximum=MAX_ID)
    actor = _actor()
    if kind == "addition":
        item = revisions.add_addition(actor, revision_id, values, reason)
    elif kind == "change":
        item = revisions.add_change(actor, revision_id, project_no, values, reason)
    else:
        item = revisions.add_correction(
            actor, revision_id, project_no, values, reason, fact=_optional_text(body, "fact")
        )
    response = jsonify(item_dict(item))
    response.status_code = 201
    return response


@bp.patch("/revisions/<int:revision_id>/items/<int:item_id>")
def update_revision_item(revision_id: int, item_id: int):
    """Edit an item of a draft: new ``values`` (merged over the old), ``reason`` or ``fact``. The
    item is checked as when it was added; the answer carries its new id."""
    body = schemas.json_object()
    _refuse_unknown(body, ITEM_PATCH_FIELDS)
    values = body.get("values")
    if values is not None and not isinstance(values, dict):
        raise InvalidInput("values must be an object", field="values")
    changes = {name: _optional_text(body, name) for name in ("reason", "fact") if name in body}
    item = revisions.replace_item(_actor(), revision_id, item_id, values, **changes)
    return jsonify(item_dict(item))


@bp.delete("/revisions/<int:revision_id>/items/<int:item_id>")
def delete_revision_item(revision_id: int, item_id: int):
    revisions.remove_item(_actor(), revision_id, item_id)
    return "", 204


# -- execution items and evaluation reports ------------------------------------------------------
@bp.get("/execution-items")
def list_execution_items():
    """One page of the project years (executions) the caller may read (``organisation``,
    ``fiscal_year``, ``state``)."""
    return _listing(execution_summary, _find("execution", request.args.get("state") or None))


@bp.get("/evaluation-reports")
def list_evaluation_reports():
    """One page of the evaluation reports the caller may read (``organisation``, ``fiscal_year``,
    ``state``)."""
    return _listing(report_summary, _find("evaluation", request.args.get("state") or None))


@bp.get("/evaluation-reports/<int:report_id>")
def evaluation_report(report_id: int):
    """A report, its text and its figures (frozen once it went to the executive)."""
    report = evaluation.get_report(_actor(), report_id)
    return jsonify(
        {
            **report_summary(report),
            "method": report.method,
            "findings": report.findings,
            "recommendations": report.recommendations,
            "figures": evaluation.report_figures(report).to_json(),
        }
    )


# -- oversight -----------------------------------------------------------------------------------------
@bp.get("/oversight/figures")
def oversight_figures():
    """The provincial dashboard's figures: one row per LAO in scope, totals and district totals.
    Offices and DLA only (LAO staff 403); DLA names a ``province`` (else the list to choose from).
    With a strategy ``dimension``, also the year's money by its items, as the dashboard charts it."""
    year = schemas.positive_int_arg("fiscal_year")
    if year is None:
        raise InvalidInput("fiscal_year (a Buddhist-Era fiscal year) is required", field="fiscal_year")
    province = request.args.get("province") or None
    if province is not None and not (len(province) == 2 and province.isascii() and province.isdigit()):
        raise InvalidInput("province is a two-digit province code", field="province")
    dimension = request.args.get("dimension") or None
    if dimension is not None and dimension not in oversight.DIMENSIONS:
        raise InvalidInput(f"dimension is one of {', '.join(oversight.DIMENSIONS)}", field="dimension")
    board = oversight.dashboard(
        _actor(),
        oversight.Filters(fiscal_year_be=year, province=province),
        dimension=dimension,
        locale=locale_code(),
    )
    nation = rollups.national(_actor(), year, dimension) if board.needs_province else None
    return jsonify(
        fiscal_year_be=board.filters.fiscal_year_be,
        province=board.filters.province,
        period_start_be=board.period_start_be,
        needs_province=board.needs_province,
        provinces=[{"code": c, "name": n, "laos": k} for c, n, k in board.provinces],
        national=None if nation is None else _national_dict(nation),
        laos_in_scope=board.in_scope,
        totals=lao_row_dict(board.totals),
        districts=[lao_row_dict(d) for d in board.by_district()],
        rows=[lao_row_dict(r) for r in board.rows],
        dimension=dimension,
        bars=[bar_dict(b) for b in board.bars],
    )


def _province_figures(row) -> dict:
    return {
        "code": row.code,
        "name": row.name,
        "laos": row.laos,
        "with_plan": row.with_plan,
        **progress_dict(row),
        "overdue_count": row.overdue,
    }


def _national_dict(nation) -> dict:
    return {
        "pending_laos": nation.pending_laos,
        "refreshed_at": nation.refreshed_at.isoformat() if nation.refreshed_at else None,
        "totals": _province_figures(nation.totals),
        "provinces": [_province_figures(row) for row in nation.provinces],
        "bars": [bar_dict(b) for b in nation.bars],
    }


# -- OIDC client registrations (DLA admins) ------------------------------------------------------------
@bp.get("/oidc-clients")
def list_oidc_clients():
    return jsonify(items=[client_dict(c) for c in oidc_clients.clients_for(_actor())])


@bp.post("/oidc-clients")
def create_oidc_client():
    """Register a relying party; the answer holds its secret once (null for a public client)."""
    body = schemas.json_object()
    _refuse_unknown(body, (*CLIENT_FIELDS, "client_id", "confidential"))
    confidential = body.get("confidential", True)
    if not isinstance(confidential, bool):
        raise InvalidInput("confidential must be true or false", field="confidential")
    trusted = body.get("trusted", False)
    if not isinstance(trusted, bool):
        raise InvalidInput("trusted must be true or false", field="trusted")
    client, secret = oidc_clients.register_client(
        _actor(),
        client_id=_optional_text(body, "client_id") or "",
        name=_optional_text(body, "name") or "",
        redirect_uris=_string_list(body, "redirect_uris") or [],
        post_logout_redirect_uris=_string_list(body, "post_logout_redirect_uris") or [],
        backchannel_logout_uri=_optional_text(body, "backchannel_logout_uri"),
        confidential=confidential,
        allowed_roles=_string_list(body, "allowed_roles") or [],
        trusted=trusted,
        scope=_optional_text(body, "scope") or oidc_clients.DEFAULT_SCOPE,
    )
    response = jsonify({**client_dict(oidc_clients.summary(client)), "client_secret": secret})
    response.status_code = 201
    return response


@bp.get("/oidc-clients/<client_id>")
def oidc_client(client_id: str):
    return jsonify(client_dict(oidc_clients.summary(oidc_clients.client_for(_actor(), client_id))))


@bp.patch("/oidc-clients/<client_id>")
def update_oidc_client(client_id: str):
    """Change a registration's name, redirect URIs, roles, scope or consent setting (fields left out
    keep their values)."""
    body = schemas.json_object()
    _refuse_unknown(body, CLIENT_FIELDS)
    client = oidc_clients.client_for(_actor(), client_id)
    current = client_dict(oidc_clients.summary(client))
    trusted = body.get("trusted", current["trusted"])
    if not isinstance(trusted, bool):
        raise InvalidInput("trusted must be true or false", field="trusted")

    def given(name: str, read):
        return read(body, name) if name in body else current[name]

    client = oidc_clients.update_client(
        _actor(),
        client.id,
        name=given("name", _optional_text) or "",
        redirect_uris=given("redirect_uris", _string_list) or [],
        post_logout_redirect_uris=given("post_logout_redirect_uris", _string_list) or [],
        allowed_roles=given("allowed_roles", _string_list) or [],
        trusted=trusted,
        scope=given("scope", _optional_text) or oidc_clients.DEFAULT_SCOPE,
        backchannel_logout_uri=given("backchannel_logout_uri", _optional_text),
    )
    return jsonify(client_dict(oidc_clients.summary(client)))


@bp.post("/oidc-clients/<client_id>/disable")
def disable_oidc_client(client_id: str):
    """Deactivate a registration: its tokens are revoked at once."""
    client = oidc_clients.client_for(_actor(), client_id)
    client = oidc_clients.set_client_active(_actor(), client.id, False)
    return jsonify(client_dict(oidc_clients.summary(client)))


@bp.post("/oidc-clients/<client_id>/enable")
def enable_oidc_client(client_id: str):
    client = oidc_clients.client_for(_actor(), client_id)
    client = oidc_clients.set_client_active(_actor(), client.id, True)
    return jsonify(client_dict(oidc_clients.summary(client)))

"""JSON API v1 views: parse the request, call one service, shape the answer.

Workflow steps go only through ``engine.fire``; a payment through the execution service, which keeps
the workflow's order of steps; errors become JSON in ``api.errors``.
"""

from __future__ import annotations

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from eplan_flow.api import bp, schemas
from eplan_flow.api.auth import authenticated_by_bearer
from eplan_flow.errors import InvalidInput, NotFound
from eplan_flow.i18n import locale_code
from eplan_flow.services.delivery import emenscr
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.oversight import emenscr as emenscr_scope
from eplan_flow.services.oversight.status import Filters
from eplan_flow.services.platform import engine
from workflows import REGISTRY, UnknownWorkflow


def _actor():
    return current_user._get_current_object()


@bp.get("/me")
def me():
    """Who is calling, their roles, and (for a browser session) the CSRF token for writes."""
    user = _actor()
    body = {
        "id": user.id,
        "username": user.username,
        "name": user.full_name,
        "organisation": schemas.organisation_dict(user.organisation),
        "roles": [
            {"role": grant.role, "organisation": schemas.organisation_dict(grant.organisation)}
            for grant in user.grants
        ],
        "auth": "bearer" if authenticated_by_bearer() else "session",
    }
    if not authenticated_by_bearer():
        body["csrf_token"] = generate_csrf()
    return jsonify(body)


@bp.get("/workflows")
def list_workflows():
    current = {name: REGISTRY.get(name).version for name in REGISTRY.names()}
    return jsonify(
        workflows=[schemas.definition_dict(d, current[d.name]) for d in REGISTRY],
        current_versions=current,
    )


@bp.get("/workflows/<name>/diagram")
def workflow_diagram(name: str):
    version = schemas.positive_int_arg("version")
    try:
        definition = REGISTRY.get(name, version)
    except UnknownWorkflow:
        raise NotFound(
            _("No workflow %(name)s in that version.", name=name), workflow=name, version=version
        ) from None
    state = request.args.get("state") or None
    if state is not None and state not in definition.states:
        raise InvalidInput(_("%(state)s is not a state of this workflow.", state=state), field="state")
    text = definition.mermaid(current=state, locale=locale_code())
    if request.accept_mimetypes.best_match(["text/plain", "application/json"]) == "application/json":
        response = jsonify(workflow=definition.name, version=definition.version, state=state, mermaid=text)
    else:
        response = Response(text, mimetype="text/plain")
    response.vary.add("Accept")
    return response


# The instance carries its latest events; its whole history is paged at .../history.
RECENT_EVENTS = 20


@bp.get("/instances/<workflow>/<int:instance_id>")
def instance_detail(workflow: str, instance_id: int):
    actor = _actor()
    instance = engine.get_instance(workflow, instance_id, actor)
    locale = locale_code()
    events, total = engine.history_page(instance, None, RECENT_EVENTS)
    return jsonify(
        schemas.instance_dict(
            instance,
            engine.definition_of(instance),
            engine.next_steps(instance, actor, locale),
            events,
            locale,
        )
        | {
            "history_total": total,
            "history_url": url_for("api.instance_history", workflow=workflow, instance_id=instance_id),
        }
    )


@bp.post("/instances/<workflow>/<int:instance_id>/fire")
def fire(workflow: str, instance_id: int):
    command = schemas.parse_fire(schemas.json_object())
    # A composite step (a transfer) is taken whole only by its own service: 409 naming where.
    engine.refuse_composite(workflow, command.trigger)
    actor = _actor()
    if command.data:
        instance = engine.get_instance(workflow, instance_id, actor)
        candidates = engine.definition_of(instance).candidates(instance, command.trigger)
        if candidates:
            # A step not open from here is refused by the engine, which says why.
            schemas.check_data_names(command.data, [f for c in candidates for f in c.data_fields])
    result = engine.fire(
        workflow,
        instance_id,
        command.trigger,
        actor,
        comment=command.comment,
        expected_version=command.expected_version,
        data=command.data,
    )
    return jsonify(schemas.fire_result_dict(result))


@bp.post("/executions/<int:execution_id>/disbursements")
def add_disbursement(execution_id: int):
    """Record a payment on a project's year; refused before its contract (``payment_before_contract``)."""
    payment = schemas.parse_disbursement(schemas.json_object())
    created = execution_service.add_disbursement(
        _actor(), execution_id, payment.paid_on, payment.amount, payment.progress_percent, payment.note
    )
    execution = execution_service.get_execution(_actor(), execution_id)
    return jsonify(schemas.disbursement_dict(created, execution)), 201


@bp.get("/executions/<int:execution_id>")
def execution_detail(execution_id: int):
    """A project's year: its state and money, and its budget source, codes and location as codes."""
    execution = execution_service.get_execution(_actor(), execution_id)
    return jsonify(
        schemas.execution_dict(execution, execution_service.budget_details(execution, locale_code()))
    )


@bp.put("/executions/<int:execution_id>/budget-details")
def put_budget_details(execution_id: int):
    """Record the budget source, codes and location (codes of the rule data; a field left out is cleared)."""
    values = schemas.parse_budget_details(schemas.json_object(), execution_service.DETAIL_FIELDS)
    execution = execution_service.record_budget_details(_actor(), execution_id, values)
    execution = execution_service.get_execution(_actor(), execution.id)
    return jsonify(
        schemas.execution_dict(execution, execution_service.budget_details(execution, locale_code()))
    )


@bp.get("/laos/<int:org_id>/emenscr")
def emenscr_projects(org_id: int):
    """The LAO's projects of ``year`` with National Strategy, master plan, sub-plan, NESDP milestone,
    SDG, budget, disbursement and progress (the eMENSCR-style export)."""
    year = schemas.positive_int_arg("year")
    if year is None:
        raise InvalidInput("year (a Buddhist-Era fiscal year) is required", field="year")
    projects = emenscr.projects(_actor(), org_id, year)
    return jsonify(
        {"organisation_id": org_id, "fiscal_year_be": year, "projects": [p.to_json() for p in projects]}
    )


@bp.get("/emenscr")
def emenscr_in_scope():
    """One page of the projects of every LAO the caller oversees (``province``, optional for DLA:
    else the country) in ``fiscal_year``, as ``/laos/<id>/emenscr`` gives them, by LAO code and
    project number, with ``total`` and ``pages``. 403 for a caller who oversees no LAO, 404 for a
    province outside their oversight."""
    year = schemas.positive_int_arg("fiscal_year")
    if year is None:
        raise InvalidInput("fiscal_year (a Buddhist-Era fiscal year) is required", field="fiscal_year")
    province = request.args.get("province") or None
    if province is not None and not (len(province) == 2 and province.isascii() and province.isdigit()):
        raise NotFound(_("No province with that code."), province=province)
    page = schemas.positive_int_arg("page") or 1
    per_page = schemas.positive_int_arg("per_page") or emenscr.PER_PAGE
    found = emenscr_scope.page_of(_actor(), Filters(fiscal_year_be=year, province=province), page, per_page)
    return jsonify(found.to_json())

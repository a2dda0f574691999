"""The API's OpenAPI 3.1 description, kept by hand as data, and the page that reads it to people.

``GET /api/v1/openapi.json`` serves ``document()``; ``GET /api/v1/docs`` renders the same data with
Jinja (no script, no CDN). Both are public: they describe the API, they show no one's data.
tests/web/test_openapi.py checks that every registered route under /api/v1 is described (and only
those), that the document is valid OpenAPI 3.1, and runs schemathesis over it as each role.

To describe a new route, add its operation to ``PATHS`` (path parameters in braces, as OpenAPI
writes them): ``_operation`` gives it the bearer security and the error answers its statuses name.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import jsonify, render_template, url_for

from eplan_flow.api import bp
from eplan_flow.api.errors import HTTP_CODES
from eplan_flow.i18n import locale_code
from eplan_flow.services.oversight.status import DIMENSIONS

# The largest id the database holds (PostgreSQL integer columns).
MAX_ID = 2_147_483_647


# -- building blocks --------------------------------------------------------------------------------
def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str) -> dict:
    return {"type": [kind, "null"]}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
MONEY = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "Exact decimal, e.g. 1234.50"}
LABELS = {"type": "object", "additionalProperties": STRING, "description": "Text by locale (th, en)"}


def _id_param(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    }


def _name_param(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        # Werkzeug's default converter: any text without a slash.
        "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
    }


def _query(name: str, description: str, schema: dict, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


POSITIVE = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
FISCAL_YEAR = {"type": "integer", "minimum": 1, "maximum": 9999, "description": "Buddhist-Era year"}

# What each error status means across the API, and the stable codes it may carry (a client switches
# on ``code``, never on ``message``); an operation names the statuses it can answer.
ERROR_STATUSES: dict[int, tuple[str, str, list[str]]] = {
    400: ("The request could not be read", "อ่านคำขอไม่ได้", ["bad_request", "invalid_json", "csrf_failed"]),
    401: (
        "No valid bearer token or session",
        "ไม่มีโทเคนหรือการเข้าระบบที่ใช้ได้",
        ["unauthenticated", "reauthentication_required"],
    ),
    403: (
        "Signed in, but the role does not allow it",
        "เข้าระบบแล้ว แต่บทบาทไม่มีสิทธิ์",
        ["forbidden", "permission_denied"],
    ),
    404: ("Not found, or outside the caller's scope", "ไม่พบ หรืออยู่นอกขอบเขตของผู้เรียก", ["not_found"]),
    409: (
        "Someone acted first (stale version)",
        "มีผู้ดำเนินการก่อนแล้ว (ข้อมูลไม่ใช่รุ่นล่าสุด)",
        ["stale_state", "conflict", "use_dedicated_endpoint"],
    ),
    415: ("The body is not JSON", "เนื้อหาคำขอไม่ใช่ JSON", ["unsupported_media_type"]),
    422: (
        "The input or the step is refused; details name the field or rule",
        "ข้อมูลหรือขั้นตอนไม่ผ่าน รายละเอียดระบุช่องหรือกฎที่ไม่ผ่าน",
        ["invalid_input", "invalid_json", "transition_not_allowed", "guard_failed", "comment_required"],
    ),
    429: ("Too many requests", "เรียกใช้ถี่เกินไป", ["too_many_requests"]),
}
# Any request may be unreadable (400), unauthenticated (401) or over the rate limit (429).
ALWAYS = (400, 401, 429)
READ_ERRORS = (404,)
WRITE_ERRORS = (403, 404, 409, 415, 422)


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _operation(
    operation_id: str,
    summary: str,
    summary_th: str,
    ok: tuple[int, str, dict | None],
    errors: tuple[int, ...] = READ_ERRORS,
    parameters: list[dict] | None = None,
    body: dict | None = None,
    description: str = "",
    ok_content: dict | None = None,
) -> dict:
    status, ok_description, ok_schema = ok
    answer: dict[str, Any] = {"description": ok_description}
    if ok_content:
        answer["content"] = ok_content
    elif ok_schema is not None:
        answer["content"] = _json(ok_schema)
    responses: dict[str, Any] = {str(status): answer}
    for error in sorted(set(errors) | set(ALWAYS)):
        meaning, meaning_th, codes = ERROR_STATUSES[error]
        responses[str(error)] = {
            "description": meaning,
            "x-description-th": meaning_th,
            "content": _json(_ref("Error")),
            "x-error-codes": codes,
        }
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "x-summary-th": summary_th,
        "security": [{"bearer": []}, {"session": []}],
        "responses": responses,
    }
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(body)}
    return operation


# -- schemas ----------------------------------------------------------------------------------------
SCHEMAS: dict[str, dict] = {
    "Error": {
        **_object(
            {
                "code": {
                    **STRING,
                    "description": "Stable machine-readable code: "
                    + ", ".join(sorted(set(HTTP_CODES.values()))),
                },
                "message": {**STRING, "description": "A sentence for people, in the caller's language"},
                "details": {"type": "object", "description": "What the refusal names: field, reason, ..."},
            },
            required=["code", "message"],
        ),
    },
    "Organisation": _object({"id": INTEGER, "code": _nullable("string"), "name": STRING}),
    "Me": _object(
        {
            "id": INTEGER,
            "username": STRING,
            "name": STRING,
            "organisation": _ref("Organisation"),
            "roles": {
                "type": "array",
                "items": _object({"role": STRING, "organisation": _ref("Organisation")}),
            },
            "auth": {"enum": ["bearer", "session"]},
            "csrf_token": {**STRING, "description": "Only for a browser session: send as X-CSRFToken"},
        },
        required=["id", "username", "name", "organisation", "roles", "auth"],
    ),
    "DataField": _object({"name": STRING, "type": STRING}),
    "Definition": _object(
        {
            "name": STRING,
            "version": INTEGER,
            "current": BOOLEAN,
            "title": LABELS,
            "initial": STRING,
            "states": {"type": "array", "items": _object({"name": STRING, "labels": LABELS})},
            "triggers": {
                "type": "array",
                "items": _object(
                    {
                        "name": STRING,
                        "labels": LABELS,
                        "transitions": {
                            "type": "array",
                            "items": _object(
                                {
                                    "source": {"description": "A state, a list of states, or *"},
                                    "dest": STRING,
                                    "roles": {"type": "array", "items": STRING},
                                    "guards": {"type": "array", "items": STRING},
                                    "unless": {"type": "array", "items": STRING},
                                    "comment_required": BOOLEAN,
                                    "data_fields": {"type": "array", "items": _ref("DataField")},
                                }
                            ),
                        },
                    }
                ),
            },
        }
    ),
    "Workflows": _object(
        {
            "workflows": {"type": "array", "items": _ref("Definition")},
            "current_versions": {"type": "object", "additionalProperties": INTEGER},
        }
    ),
    "Diagram": _object(
        {"workflow": STRING, "version": INTEGER, "state": _nullable("string"), "mermaid": STRING}
    ),
    "Step": _object(
        {
            "trigger": STRING,
            "label": STRING,
            "dest": STRING,
            "dest_label": STRING,
            "comment_required": BOOLEAN,
            "data_fields": {"type": "array", "items": _ref("DataField")},
            "allowed": BOOLEAN,
            "holders": {"type": "array"},
            "roles": {"type": "array", "items": STRING},
        }
    ),
    "Event": _object(
        {
            "seq": INTEGER,
            "occurred_at": _nullable("string"),
            "actor": {"oneOf": [_object({"id": INTEGER, "name": STRING}), {"type": "null"}]},
            "action": STRING,
            "from_state": _nullable("string"),
            "to_state": _nullable("string"),
            "comment": _nullable("string"),
            "data": {"type": ["object", "null"]},
            "request_id": _nullable("string"),
            "hash": _nullable("string"),
        }
    ),
    "Instance": _object(
        {
            "workflow": STRING,
            "workflow_version": INTEGER,
            "id": INTEGER,
            "title": STRING,
            "organisation": _ref("Organisation"),
            "state": STRING,
            "state_label": STRING,
            "version": INTEGER,
            "allowed_triggers": {"type": "array", "items": _ref("Step")},
            "history": {
                "type": "array",
                "items": _ref("Event"),
                "description": "The latest 20 events, oldest first; history_url pages the whole history",
            },
            "history_total": {**INTEGER, "description": "How many events the history has"},
            "history_url": {**STRING, "description": "The whole history, a page at a time"},
        }
    ),
    "FireRequest": {
        **_object(
            {
                "trigger": {"type": "string", "minLength": 1, "maxLength": 60},
                "comment": {"type": ["string", "null"], "maxLength": 2000},
                "expected_version": {"type": ["integer", "null"], "minimum": 1},
                "data": {
                    "type": ["object", "null"],
                    "additionalProperties": STRING,
                    "description": "Facts the step records, e.g. meeting_date and resolution",
                },
            },
            required=["trigger"],
        ),
        "additionalProperties": False,
    },
    "FireResult": _object(
        {
            "workflow": STRING,
            "id": INTEGER,
            "trigger": STRING,
            "from_state": STRING,
            "state": STRING,
            "version": INTEGER,
            "audit_event_id": INTEGER,
        }
    ),
    "DisbursementRequest": {
        **_object(
            {
                "paid_on": {**STRING, "description": "YYYY-MM-DD"},
                "amount": MONEY,
                "progress_percent": {"type": "integer", "minimum": 0, "maximum": 100},
                "note": _nullable("string"),
            },
            required=["paid_on", "amount", "progress_percent"],
        ),
        "additionalProperties": False,
    },
    "Disbursement": _object(
        {
            "id": INTEGER,
            "execution_id": INTEGER,
            "paid_on": STRING,
            "amount": MONEY,
            "disbursed_total": MONEY,
            "progress_percent": _nullable("integer"),
            "status": STRING,
        }
    ),
    "Location": _object(
        {
            "village_no": _nullable("string"),
            "community": _nullable("string"),
            "latitude": _nullable("string"),
            "longitude": _nullable("string"),
        }
    ),
    "Execution": _object(
        {
            "id": INTEGER,
            "workflow_version": INTEGER,
            "plan_id": INTEGER,
            "project_no": {"type": ["integer", "string"]},
            "fiscal_year_be": INTEGER,
            "status": STRING,
            "version": INTEGER,
            "budgeted_amount": MONEY,
            "available_budget": MONEY,
            "disbursed_total": MONEY,
            "progress_percent": _nullable("integer"),
            "budget_source": _nullable("string"),
            "budget_source_label": _nullable("string"),
            "elaas_budget_code": _nullable("string"),
            "procurement_method": _nullable("string"),
            "procurement_method_label": _nullable("string"),
            "egp_project_no": _nullable("string"),
            "location": _ref("Location"),
        }
    ),
    "BudgetDetails": {
        "type": "object",
        "description": "Codes of the rule data; a field left out is cleared. location may hold "
        "village_no, community, latitude and longitude.",
        "properties": {
            name: {"type": ["string", "number", "null"]}
            for name in (
                "budget_source",
                "elaas_budget_code",
                "procurement_method",
                "egp_project_no",
                "village_no",
                "community",
                "latitude",
                "longitude",
            )
        }
        | {"location": {"type": ["object", "null"]}},
    },
    "Link": _object({"code": STRING, "name": STRING}),
    "EmenscrProject": {
        "type": "object",
        "required": ["lao_code", "fiscal_year_be", "project_no", "name", "planned_budget", "disbursed"],
        "properties": {
            "lao_code": STRING,
            "lao_name": STRING,
            "fiscal_year_be": INTEGER,
            "project_no": {"type": ["integer", "string"]},
            "name": STRING,
            "kind": _nullable("string"),
            "elaas_budget_code": _nullable("string"),
            "planned_budget": MONEY,
            "budget": {"oneOf": [MONEY, {"type": "null"}]},
            "disbursed": MONEY,
            "progress_percent": _nullable("integer"),
            "status": _nullable("string"),
        },
        "additionalProperties": {"type": "array", "items": _ref("Link")},
    },
    "LaoEmenscr": _object(
        {
            "organisation_id": INTEGER,
            "fiscal_year_be": INTEGER,
            "projects": {"type": "array", "items": _ref("EmenscrProject")},
        }
    ),
    "EmenscrPage": _object(
        {
            "fiscal_year_be": INTEGER,
            "province": _nullable("string"),
            "page": INTEGER,
            "per_page": INTEGER,
            "total": INTEGER,
            "pages": INTEGER,
            "projects": {"type": "array", "items": _ref("EmenscrProject")},
        }
    ),
}

# The rows of the lists (api/resources.py): every workflow row carries these, then its own fields.
SUMMARY_FIELDS = {
    "workflow": STRING,
    "workflow_version": INTEGER,
    "id": INTEGER,
    "title": STRING,
    "organisation": _ref("Organisation"),
    "state": STRING,
    "state_label": STRING,
    "version": INTEGER,
    "url": STRING,
}
NULLABLE_TEXT = _nullable("string")
NULLABLE_MONEY = {"oneOf": [MONEY, {"type": "null"}]}


def _summary(extra: dict, required: list[str] | None = None) -> dict:
    return _object(SUMMARY_FIELDS | extra, required=list(SUMMARY_FIELDS) + (required or []))


def _page_of(item: dict) -> dict:
    return _object(
        {
            "items": {"type": "array", "items": item},
            "page": INTEGER,
            "per_page": INTEGER,
            "total": INTEGER,
            "next": {**NULLABLE_TEXT, "description": "The next page's URL, or null"},
        }
    )


def _closed(properties: dict, required: list[str]) -> dict:
    """A request body: unknown fields are refused (invalid_input naming the field)."""
    return {**_object(properties, required=required), "additionalProperties": False}


STRING_LIST = {"type": "array", "items": STRING}
CLIENT_FIELDS = {
    "name": NULLABLE_TEXT,
    "redirect_uris": {"type": ["array", "null"], "items": STRING},
    "post_logout_redirect_uris": {"type": ["array", "null"], "items": STRING},
    "backchannel_logout_uri": NULLABLE_TEXT,
    "allowed_roles": {"type": ["array", "null"], "items": STRING},
    "trusted": BOOLEAN,
    "scope": NULLABLE_TEXT,
}
OIDC_CLIENT = _object(
    {
        "client_id": STRING,
        "name": STRING,
        "redirect_uris": STRING_LIST,
        "post_logout_redirect_uris": STRING_LIST,
        "backchannel_logout_uri": NULLABLE_TEXT,
        "scope": STRING,
        "allowed_roles": STRING_LIST,
        "trusted": BOOLEAN,
        "is_active": BOOLEAN,
        "public": BOOLEAN,
    }
)
LAO_ROW = {
    "type": "object",
    "description": "One LAO's (or a total's) figures: plan state, executions, budget and disbursement",
    "properties": {
        "organisation_id": _nullable("integer"),
        "code": NULLABLE_TEXT,
        "name": NULLABLE_TEXT,
        "budget": NULLABLE_MONEY,
        "disbursed": NULLABLE_MONEY,
        "execution_rate": NULLABLE_TEXT,
        "disbursement_rate": NULLABLE_TEXT,
    },
}
REVISION_ITEM = _object(
    {
        "id": INTEGER,
        "kind": {"enum": ["addition", "change", "correction"]},
        "project_no": {"type": ["integer", "string", "null"]},
        "values": {"type": ["object", "null"]},
        "reason": NULLABLE_TEXT,
        "fact": NULLABLE_TEXT,
    }
)
REPORT_FIELDS = {
    "plan_id": _nullable("integer"),
    "fiscal_year_be": INTEGER,
    "round": {},
    "presented_on": NULLABLE_TEXT,
    "announced_on": NULLABLE_TEXT,
    "detail_url": STRING,
}
SCHEMAS |= {
    "InstanceSummary": _summary({}),
    "InstancePage": _page_of(_ref("InstanceSummary")),
    "EventPage": _page_of(_ref("Event")),
    "Plan": _summary(
        {
            "period_start_be": _nullable("integer"),
            "period_end_be": _nullable("integer"),
            "current_version": _nullable("integer"),
            "announced_at": NULLABLE_TEXT,
            "projects_url": STRING,
            "revisions_url": STRING,
        },
        required=["projects_url", "revisions_url"],
    ),
    "PlanPage": _page_of(_ref("Plan")),
    "PlanProjects": _object(
        {
            "plan_id": INTEGER,
            "version": _nullable("integer"),
            "items": {"type": "array", "items": {"type": "object", "required": ["project_no"]}},
        }
    ),
    "PlanRevisions": _object(
        {"plan_id": INTEGER, "items": {"type": "array", "items": _ref("InstanceSummary")}}
    ),
    "OpenRevisionRequest": _closed(
        {
            "route": {**NULLABLE_TEXT, "description": "regular (default), policy, ..."},
            "reasons": NULLABLE_TEXT,
            "necessity": NULLABLE_TEXT,
            "policy_basis": NULLABLE_TEXT,
            "policy_letter_no": NULLABLE_TEXT,
            "policy_letter_date": {**NULLABLE_TEXT, "description": "YYYY-MM-DD"},
        },
        required=[],
    ),
    "RevisionItem": REVISION_ITEM,
    "Revision": _summary(
        {
            "plan_id": INTEGER,
            "route": NULLABLE_TEXT,
            "base_version": _nullable("integer"),
            "result_version": _nullable("integer"),
            "reasons": NULLABLE_TEXT,
            "necessity": NULLABLE_TEXT,
            "policy_basis": NULLABLE_TEXT,
            "policy_letter_no": NULLABLE_TEXT,
            "policy_letter_date": NULLABLE_TEXT,
            "announced_at": NULLABLE_TEXT,
            "items": {"type": "array", "items": _ref("RevisionItem")},
            "allowed_triggers": {"type": "array", "items": _ref("Step")},
            "fire_url": STRING,
        },
        required=["plan_id", "items", "allowed_triggers", "fire_url"],
    ),
    "RevisionItemRequest": _closed(
        {
            "kind": {"enum": ["addition", "change", "correction"]},
            "project_no": {
                "type": ["integer", "null"],
                "description": "The project a change or correction is about",
            },
            "values": {"type": "object", "description": "The project's fields (an addition: all of them)"},
            "reason": NULLABLE_TEXT,
            "fact": {**NULLABLE_TEXT, "description": "A correction: the fact it corrects"},
        },
        required=["kind", "values"],
    ),
    "RevisionItemPatch": _closed(
        {"values": {"type": ["object", "null"]}, "reason": NULLABLE_TEXT, "fact": NULLABLE_TEXT},
        required=[],
    ),
    "ExecutionSummary": _summary(
        {
            "plan_id": INTEGER,
            "project_no": {"type": ["integer", "string"]},
            "fiscal_year_be": INTEGER,
            "budgeted_amount": NULLABLE_MONEY,
            "available_budget": NULLABLE_MONEY,
            "disbursed_total": NULLABLE_MONEY,
            "progress_percent": _nullable("integer"),
            "detail_url": STRING,
        },
        required=["detail_url"],
    ),
    "ExecutionPage": _page_of(_ref("ExecutionSummary")),
    "ReportSummary": _summary(REPORT_FIELDS, required=["detail_url"]),
    "ReportPage": _page_of(_ref("ReportSummary")),
    "EvaluationReport": _summary(
        REPORT_FIELDS
        | {
            "method": NULLABLE_TEXT,
            "findings": NULLABLE_TEXT,
            "recommendations": NULLABLE_TEXT,
            "figures": {"type": "object"},
        },
        required=["detail_url", "figures"],
    ),
    "LaoRow": LAO_ROW,
    "OversightFigures": _object(
        {
            "fiscal_year_be": INTEGER,
            "province": NULLABLE_TEXT,
            "period_start_be": _nullable("integer"),
            "needs_province": BOOLEAN,
            "provinces": {
                "type": "array",
                "items": _object({"code": STRING, "name": STRING, "laos": INTEGER}),
            },
            "national": {
                "oneOf": [{"type": "null"}, _ref("NationalFigures")],
                "description": "DLA without a province: every province's figures, from the rollups",
            },
            "laos_in_scope": INTEGER,
            "totals": _ref("LaoRow"),
            "districts": {"type": "array", "items": _ref("LaoRow")},
            "rows": {"type": "array", "items": _ref("LaoRow")},
            "dimension": {**NULLABLE_TEXT, "description": "The dimension asked for, if any"},
            "bars": {
                "type": "array",
                "items": _ref("DimensionBar"),
                "description": "The rows' money by the dimension's items (empty without a dimension)",
            },
        }
    ),
    "DimensionBar": _object(
        {
            "item_id": {**_nullable("integer"), "description": "null: linked to no item of the dimension"},
            "code": NULLABLE_TEXT,
            "name": NULLABLE_TEXT,
            "projects": {**INTEGER, "description": "Projects budgeted in the fiscal year"},
            "budget": MONEY,
            "disbursed": MONEY,
        }
    ),
    "NationalFigures": _object(
        {
            "pending_laos": {**INTEGER, "description": "LAOs changed since the last refresh, computed live"},
            "refreshed_at": _nullable("string"),
            "totals": _ref("ProvinceFigures"),
            "provinces": {"type": "array", "items": _ref("ProvinceFigures")},
            "bars": {
                "type": "array",
                "items": _ref("DimensionBar"),
                "description": "The whole table's money by the dimension's items (empty without one)",
            },
        }
    ),
    "ProvinceFigures": _object(
        {
            "code": STRING,
            "name": STRING,
            "laos": INTEGER,
            "with_plan": INTEGER,
            "planned": INTEGER,
            "executions": INTEGER,
            "counted": INTEGER,
            "execution_rate": NULLABLE_TEXT,
            "budget": MONEY,
            "disbursed": MONEY,
            "disbursement_rate": NULLABLE_TEXT,
            "overdue_count": {**INTEGER, "description": "Overdue items in its LAOs, counted live"},
        }
    ),
    "OidcClient": OIDC_CLIENT,
    "OidcClientCreated": {
        **OIDC_CLIENT,
        "properties": OIDC_CLIENT["properties"]
        | {"client_secret": {**NULLABLE_TEXT, "description": "Shown once; null for a public client"}},
        "required": [*OIDC_CLIENT["required"], "client_secret"],
    },
    "OidcClients": _object({"items": {"type": "array", "items": _ref("OidcClient")}}),
    "OidcClientRequest": _closed(
        CLIENT_FIELDS | {"client_id": NULLABLE_TEXT, "confidential": BOOLEAN}, required=["client_id", "name"]
    ),
    "OidcClientPatch": _closed(CLIENT_FIELDS, required=[]),
}

# -- paths ------------------------------------------------------------------------------------------
WORKFLOW = _name_param("workflow", "Workflow name, e.g. plan, revision, execution, account")
INSTANCE_ID = _id_param("instance_id", "The instance's id")
EXECUTION_ID = _id_param("execution_id", "The project year's id")

PATHS: dict[str, dict] = {
    "/me": {
        "get": _operation(
            "me",
            "Who is calling, their roles, and (for a session) the CSRF token",
            "ผู้เรียกใช้ บทบาท และโทเคน CSRF (เมื่อเข้าระบบด้วยเบราว์เซอร์)",
            (200, "The caller", _ref("Me")),
            errors=(401, 429),
        )
    },
    "/workflows": {
        "get": _operation(
            "list_workflows",
            "Every workflow definition in every version, and the current versions",
            "นิยามขั้นตอนงานทุกรุ่น และรุ่นที่ใช้อยู่",
            (200, "The definitions", _ref("Workflows")),
            errors=(401, 429),
        )
    },
    "/workflows/{name}/diagram": {
        "get": _operation(
            "workflow_diagram",
            "A workflow's Mermaid diagram (text/plain, or JSON when asked)",
            "แผนภาพขั้นตอนงานแบบ Mermaid",
            (200, "The diagram", _ref("Diagram")),
            errors=(401, 404, 422, 429),
            parameters=[
                _name_param("name", "Workflow name"),
                _query("version", "Definition version (default: current)", POSITIVE),
                _query("state", "A state to highlight", STRING),
            ],
            ok_content={"text/plain": {"schema": STRING}, "application/json": {"schema": _ref("Diagram")}},
        )
    },
    "/instances/{workflow}/{instance_id}": {
        "get": _operation(
            "instance_detail",
            "An instance: its state, the steps open to the caller, and its latest events",
            "รายการในขั้นตอนงาน: สถานะ ขั้นตอนที่ทำได้ และประวัติ",
            (200, "The instance", _ref("Instance")),
            parameters=[WORKFLOW, INSTANCE_ID],
        )
    },
    "/instances/{workflow}/{instance_id}/fire": {
        "post": _operation(
            "fire",
            "Take a workflow step (the engine checks role, guards and version)",
            "ดำเนินขั้นตอนงาน (ตรวจบทบาท เงื่อนไข และรุ่นของข้อมูล)",
            (200, "The step was taken", _ref("FireResult")),
            errors=WRITE_ERRORS,
            parameters=[WORKFLOW, INSTANCE_ID],
            body=_ref("FireRequest"),
        )
    },
    "/executions/{execution_id}": {
        "get": _operation(
            "execution_detail",
            "A project's year: state, money, budget source, codes and location",
            "การดำเนินโครงการรายปี: สถานะ งบประมาณ แหล่งงบ รหัส และที่ตั้ง",
            (200, "The project year", _ref("Execution")),
            errors=(401, 403, 404, 429),
            parameters=[EXECUTION_ID],
        )
    },
    "/executions/{execution_id}/budget-details": {
        "put": _operation(
            "put_budget_details",
            "Record the budget source, codes and location",
            "บันทึกแหล่งงบประมาณ รหัส และที่ตั้งโครงการ",
            (200, "The project year as recorded", _ref("Execution")),
            errors=WRITE_ERRORS,
            parameters=[EXECUTION_ID],
            body=_ref("BudgetDetails"),
        )
    },
    "/executions/{execution_id}/disbursements": {
        "post": _operation(
            "add_disbursement",
            "Record a payment (refused before the contract: payment_before_contract)",
            "บันทึกการเบิกจ่าย",
            (201, "The payment", _ref("Disbursement")),
            errors=WRITE_ERRORS,
            parameters=[EXECUTION_ID],
            body=_ref("DisbursementRequest"),
        )
    },
    "/laos/{org_id}/emenscr": {
        "get": _operation(
            "emenscr_projects",
            "An LAO's projects of a fiscal year, eMENSCR style",
            "โครงการของ อปท. ในปีงบประมาณ ตามรูปแบบ eMENSCR",
            (200, "The projects", _ref("LaoEmenscr")),
            errors=(401, 403, 404, 422, 429),
            parameters=[
                _id_param("org_id", "The LAO's id"),
                _query("year", "Fiscal year (B.E.)", FISCAL_YEAR, required=True),
            ],
        )
    },
    "/emenscr": {
        "get": _operation(
            "emenscr_in_scope",
            "One page of the projects of every LAO the caller oversees",
            "โครงการของทุก อปท. ในความดูแล ทีละหน้า",
            (200, "One page", _ref("EmenscrPage")),
            errors=(401, 403, 404, 422, 429),
            parameters=[
                _query("fiscal_year", "Fiscal year (B.E.)", FISCAL_YEAR, required=True),
                _query("province", "Province code (two digits)", STRING),
                _query("page", "Page number", POSITIVE),
                _query("per_page", "Projects per page", POSITIVE),
            ],
        )
    },
}

# -- the resources (api/resources.py) ---------------------------------------------------------------
SCOPED_READ = (403, 404, 422)
PLAN_ID = _id_param("plan_id", "The plan's id")
REVISION_ID = _id_param("revision_id", "The revision's id")
ITEM_ID = _id_param("item_id", "The revision item's id")
CLIENT_ID = _name_param("client_id", "The relying party's client id")
PAGE_PARAMS = [
    _query("page", "Page number (from 1)", POSITIVE),
    _query("per_page", "Rows per page", POSITIVE),
]
FILTER_PARAMS = [
    _query("state", "Only rows in this state", STRING),
    _query("organisation", "Only this organisation's rows (its id)", POSITIVE),
    _query("fiscal_year", "Only this fiscal year (B.E.)", POSITIVE),
    *PAGE_PARAMS,
]


def _list(operation_id: str, summary: str, summary_th: str, schema: str, params: list[dict]) -> dict:
    return {
        "get": _operation(
            operation_id, summary, summary_th, (200, "One page", _ref(schema)), SCOPED_READ, params
        )
    }


PATHS |= {
    "/instances/{workflow}/{instance_id}/history": {
        "get": _operation(
            "instance_history",
            "An instance's audit history, oldest first, a page at a time",
            "ประวัติของรายการในขั้นตอนงาน เรียงจากเก่าไปใหม่ ทีละหน้า",
            (200, "One page of events", _ref("EventPage")),
            errors=(*READ_ERRORS, 422),
            parameters=[WORKFLOW, INSTANCE_ID, *PAGE_PARAMS],
        )
    },
    "/instances": _list(
        "list_instances",
        "One page of the workflow rows the caller may read, scoped like the pages",
        "รายการในขั้นตอนงานที่ผู้เรียกมีสิทธิ์เห็น ทีละหน้า",
        "InstancePage",
        [
            _query("workflow", "Workflow name", {"type": "string", "minLength": 1}, required=True),
            *FILTER_PARAMS,
        ],
    ),
    "/plans": _list(
        "list_plans",
        "One page of the plans the caller may read",
        "แผนพัฒนาที่ผู้เรียกมีสิทธิ์เห็น ทีละหน้า",
        "PlanPage",
        FILTER_PARAMS,
    ),
    "/plans/{plan_id}": {
        "get": _operation(
            "plan_detail",
            "A plan",
            "แผนพัฒนา",
            (200, "The plan", _ref("Plan")),
            SCOPED_READ,
            [PLAN_ID],
        )
    },
    "/plans/{plan_id}/projects": {
        "get": _operation(
            "plan_projects",
            "The plan's projects in force (or as they stood in an announced version)",
            "โครงการในแผนที่ใช้อยู่ (หรือตามฉบับที่ประกาศ)",
            (200, "The projects", _ref("PlanProjects")),
            SCOPED_READ,
            [PLAN_ID, _query("version", "An announced version", POSITIVE)],
        )
    },
    "/plans/{plan_id}/revisions": {
        "get": _operation(
            "plan_revisions",
            "The plan's revisions",
            "การแก้ไข เปลี่ยนแปลง และเพิ่มเติมแผน",
            (200, "The revisions", _ref("PlanRevisions")),
            SCOPED_READ,
            [PLAN_ID],
        ),
        "post": _operation(
            "open_revision",
            "Open a draft revision of an announced plan",
            "เปิดร่างการแก้ไข/เปลี่ยนแปลง/เพิ่มเติมแผนที่ประกาศแล้ว",
            (201, "The new draft (Location: its URL)", _ref("Revision")),
            WRITE_ERRORS,
            [PLAN_ID],
            body=_ref("OpenRevisionRequest"),
        ),
    },
    "/revisions/{revision_id}": {
        "get": _operation(
            "revision_detail",
            "A revision: its items and the steps open to the caller",
            "การแก้ไขแผน: รายการและขั้นตอนที่ทำได้",
            (200, "The revision", _ref("Revision")),
            SCOPED_READ,
            [REVISION_ID],
        )
    },
    "/revisions/{revision_id}/items": {
        "post": _operation(
            "add_revision_item",
            "Add an item (addition, change or correction) to a draft revision",
            "เพิ่มรายการในร่างการแก้ไขแผน",
            (201, "The item", _ref("RevisionItem")),
            WRITE_ERRORS,
            [REVISION_ID],
            body=_ref("RevisionItemRequest"),
        )
    },
    "/revisions/{revision_id}/items/{item_id}": {
        "patch": _operation(
            "update_revision_item",
            "Edit an item of a draft revision (the answer carries its new id)",
            "แก้ไขรายการในร่างการแก้ไขแผน",
            (200, "The item", _ref("RevisionItem")),
            WRITE_ERRORS,
            [REVISION_ID, ITEM_ID],
            body=_ref("RevisionItemPatch"),
        ),
        "delete": _operation(
            "delete_revision_item",
            "Remove an item from a draft revision",
            "ลบรายการออกจากร่างการแก้ไขแผน",
            (204, "Removed", None),
            (403, 404, 409, 422),
            [REVISION_ID, ITEM_ID],
        ),
    },
    "/execution-items": _list(
        "list_execution_items",
        "One page of the project years (executions) the caller may read",
        "การดำเนินโครงการรายปีที่ผู้เรียกมีสิทธิ์เห็น ทีละหน้า",
        "ExecutionPage",
        FILTER_PARAMS,
    ),
    "/evaluation-reports": _list(
        "list_evaluation_reports",
        "One page of the evaluation reports the caller may read",
        "รายงานผลการติดตามและประเมินผล ทีละหน้า",
        "ReportPage",
        FILTER_PARAMS,
    ),
    "/evaluation-reports/{report_id}": {
        "get": _operation(
            "evaluation_report",
            "An evaluation report, its text and its figures",
            "รายงานผลการติดตามและประเมินผล พร้อมตัวเลข",
            (200, "The report", _ref("EvaluationReport")),
            SCOPED_READ,
            [_id_param("report_id", "The report's id")],
        )
    },
    "/oversight/figures": {
        "get": _operation(
            "oversight_figures",
            "The provincial dashboard's figures (offices and DLA only)",
            "ตัวเลขภาพรวมระดับจังหวัด (สำนักงานท้องถิ่นและกรมฯ)",
            (200, "The figures", _ref("OversightFigures")),
            SCOPED_READ,
            [
                _query("fiscal_year", "Fiscal year (B.E.)", FISCAL_YEAR, required=True),
                _query("province", "Province code (two digits)", STRING),
                _query(
                    "dimension",
                    "A strategy dimension: also the year's money by its items (bars)",
                    {"type": "string", "enum": list(DIMENSIONS)},
                ),
            ],
        )
    },
    "/oidc-clients": {
        "get": _operation(
            "list_oidc_clients",
            "The OpenID Connect relying parties (DLA admins)",
            "ระบบที่เชื่อมต่อการเข้าระบบ (ผู้ดูแลของกรมฯ)",
            (200, "The registrations", _ref("OidcClients")),
            SCOPED_READ,
        ),
        "post": _operation(
            "create_oidc_client",
            "Register a relying party; the answer holds its secret once",
            "ลงทะเบียนระบบที่เชื่อมต่อการเข้าระบบ",
            (201, "The registration and its secret", _ref("OidcClientCreated")),
            WRITE_ERRORS,
            body=_ref("OidcClientRequest"),
        ),
    },
    "/oidc-clients/{client_id}": {
        "get": _operation(
            "oidc_client",
            "A relying party's registration",
            "ข้อมูลการลงทะเบียนของระบบที่เชื่อมต่อ",
            (200, "The registration", _ref("OidcClient")),
            SCOPED_READ,
            [CLIENT_ID],
        ),
        "patch": _operation(
            "update_oidc_client",
            "Change a registration (fields left out keep their values)",
            "แก้ไขการลงทะเบียนของระบบที่เชื่อมต่อ",
            (200, "The registration", _ref("OidcClient")),
            WRITE_ERRORS,
            [CLIENT_ID],
            body=_ref("OidcClientPatch"),
        ),
    },
    "/oidc-clients/{client_id}/disable": {
        "post": _operation(
            "disable_oidc_client",
            "Deactivate a registration; its tokens are revoked at once",
            "ระงับระบบที่เชื่อมต่อ และเพิกถอนโทเคนทันที",
            (200, "The registration", _ref("OidcClient")),
            WRITE_ERRORS,
            [CLIENT_ID],
        )
    },
    "/oidc-clients/{client_id}/enable": {
        "post": _operation(
            "enable_oidc_client",
            "Reactivate a registration",
            "เปิดใช้ระบบที่เชื่อมต่ออีกครั้ง",
            (200, "The registration", _ref("OidcClient")),
            WRITE_ERRORS,
            [CLIENT_ID],
        )
    },
}

PUBLIC_PATHS: dict[str, dict] = {
    "/openapi.json": {
        "get": {
            "operationId": "openapi_document",
            "summary": "This description (OpenAPI 3.1)",
            "x-summary-th": "คำอธิบายนี้ (OpenAPI 3.1)",
            "security": [],
            "responses": {"200": {"description": "The document", "content": _json({"type": "object"})}},
        }
    },
    "/docs": {
        "get": {
            "operationId": "docs",
            "summary": "This description as a page",
            "x-summary-th": "คำอธิบายนี้ในรูปหน้าเว็บ",
            "security": [],
            "responses": {"200": {"description": "The page", "content": {"text/html": {"schema": STRING}}}},
        }
    },
}


def document(server_url: str = "/api/v1") -> dict:
    """The whole description, a fresh copy each time (callers may change theirs)."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "eplan-flow API",
                "version": "1",
                "description": "Thai local development planning (e-Plan): workflows, plans, execution "
                "and oversight. Every error is JSON {code, message[, details]} with a stable code. "
                "Authenticate with a bearer token (`eplan create-token USERNAME NAME`); a browser "
                "session works too, with an X-CSRFToken header (from /me) on writes.",
            },
            "servers": [{"url": server_url}],
            "paths": PATHS | PUBLIC_PATHS,
            "components": {
                "schemas": SCHEMAS,
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "An API token: Authorization: Bearer <token>",
                    },
                    "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                },
            },
        }
    )


# -- views ------------------------------------------------------------------------------------------
@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of API v1."""
    return jsonify(document(url_for("api.openapi_document").rsplit("/", 1)[0]))


@bp.get("/docs")
def docs():
    """The description as a page, rendered on the server."""
    described = document(url_for("api.openapi_document").rsplit("/", 1)[0])
    operations = [
        (path, method.upper(), operation)
        for path, methods in described["paths"].items()
        for method, operation in methods.items()
    ]
    return render_template(
        "api/docs.html",
        doc=described,
        operations=operations,
        error_statuses=ERROR_STATUSES,
        thai=locale_code() == "th",
    )

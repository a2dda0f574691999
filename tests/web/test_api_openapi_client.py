"""Issue 16: a client written only from the OpenAPI document, with plain ``requests`` over real HTTP,
opens a revision of an announced plan, adds, edits and removes items, and takes it through each role's
step to announcement.

The client is given the document's address and one bearer token per role, nothing else: the server
URL, each path and method, how to authenticate and the shape of every body come from
GET /api/v1/openapi.json. Each body it sends is checked against the operation's request schema and
each answer against the schema its status is described with (jsonschema, the document's ``$ref``s
resolved in its components). The server is a live one (``live_server``): it commits for real.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

import requests
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import Plan, ProjectRecord
from eplan_flow.services.identity import accounts
from eplan_flow.thaidate import today_local
from tests.factories import build_world
from tests.factories import revisions as revision_factories

ROLES = ("planner", "devcom_secretary", "council_secretary", "executive")
JSON = "application/json"


class DocumentClient:
    """An API client that knows only where the OpenAPI document is and a token per role."""

    def __init__(self, document_url: str, tokens: dict[str, str]) -> None:
        self.http = requests.Session()
        response = self.http.get(document_url, timeout=30)
        assert response.status_code == 200, response.text[:500]
        assert response.headers["Content-Type"].startswith(JSON)
        self.document: dict[str, Any] = response.json()
        # The document may name its server relatively (it does: "/api/v1"): a client resolves the
        # URL against the address it fetched the document from. Paths are appended to it.
        self.base = urljoin(document_url, self.document["servers"][0]["url"]).rstrip("/")
        schemes = self.document["components"]["securitySchemes"]
        self.bearer = next(
            name
            for name, scheme in schemes.items()
            if scheme["type"] == "http" and scheme["scheme"].lower() == "bearer"
        )
        self.tokens = tokens

    def conforms(self, instance: Any, schema: dict) -> None:
        """Fail unless ``instance`` is valid against ``schema``, a schema of this document."""
        # OpenAPI 3.1 schemas are JSON Schema 2020-12; their "#/components/..." references resolve
        # against a root that carries the document's components.
        rooted = {**schema, "components": self.document["components"]}
        Draft202012Validator(rooted, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(instance)

    def call(self, method: str, template: str, role: str, body: dict | None = None, **params: Any) -> Any:
        """Send one described operation as ``role``; return its JSON answer (None when it has no body)."""
        operation = self.document["paths"].get(template, {}).get(method)
        assert operation is not None, f"{method.upper()} {template} is not described"
        assert {self.bearer: []} in operation["security"], (
            f"{method.upper()} {template} takes no bearer token"
        )
        in_path = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert set(in_path) == set(params), (template, sorted(in_path), sorted(params))
        for name, value in params.items():
            self.conforms(value, in_path[name])
        request_body = operation.get("requestBody")
        if body is None:
            assert request_body is None or not request_body.get("required"), f"{template} needs a body"
        else:
            assert request_body is not None, f"{method.upper()} {template} takes no body"
            self.conforms(body, request_body["content"][JSON]["schema"])

        response = self.http.request(
            method.upper(),
            self.base + template.format(**params),
            json=body,
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
            timeout=30,
        )
        assert response.status_code < 300, (method, template, response.status_code, response.text[:800])
        described = operation["responses"].get(str(response.status_code))
        assert described is not None, (
            f"{method.upper()} {template} answered {response.status_code}, undescribed"
        )
        if "content" not in described:
            assert response.content == b"", response.text[:200]
            return None
        assert response.headers["Content-Type"].startswith(JSON), response.headers["Content-Type"]
        answer = response.json()
        self.conforms(answer, described["content"][JSON]["schema"])
        return answer


def test_a_client_reading_only_the_openapi_document_opens_a_revision_adds_items_and_announces_it(
    live_server,
):
    with live_server.app.app_context():
        world = build_world()
        plan = revision_factories.announced_plan(world.sao_a, world.planner)
        plan_id = plan.id
        addition = revision_factories.new_project_values(plan)
        tokens = {
            role: accounts.create_token(getattr(world, role).username, "openapi client") for role in ROLES
        }
        _db.session.remove()

    api = DocumentClient(f"{live_server.url}/api/v1/openapi.json", tokens)
    assert api.base == f"{live_server.url}/api/v1"

    revision = api.call(
        "post",
        "/plans/{plan_id}/revisions",
        "planner",
        {"reasons": "ประชาชนเสนอปรับโครงการ", "necessity": "ราคาวัสดุสูงขึ้น"},
        plan_id=plan_id,
    )
    rid = revision["id"]
    items = "/revisions/{revision_id}/items"
    api.call(
        "post",
        items,
        "planner",
        {"kind": "change", "project_no": 1, "values": {"budget_2": "1500.00"}, "reason": "ราคาวัสดุสูงขึ้น"},
        revision_id=rid,
    )
    fact = "ข้อเท็จจริงคือ ตัวชี้วัดของโครงการคือร้อยละ 95"
    correction = api.call(
        "post",
        items,
        "planner",
        {"kind": "correction", "project_no": 3, "values": {"kpi": "ร้อยละ 90"}, "fact": fact},
        revision_id=rid,
    )
    api.call(
        "patch",
        items + "/{item_id}",
        "planner",
        {"values": {"kpi": "ร้อยละ 95"}},
        revision_id=rid,
        item_id=correction["id"],
    )
    added = api.call(
        "post",
        items,
        "planner",
        {"kind": "addition", "values": addition, "reason": "จำเป็น"},
        revision_id=rid,
    )
    assert api.call("delete", items + "/{item_id}", "planner", revision_id=rid, item_id=added["id"]) is None

    meeting = {"meeting_date": (today_local() - timedelta(days=1)).isoformat(), "resolution": "ครั้งที่ 4/2569"}
    steps = [
        ("planner", "submit", None),
        ("devcom_secretary", "endorse", meeting),
        ("council_secretary", "approve_by_council", meeting),
        ("executive", "approve_and_announce", None),
    ]
    for role, trigger, data in steps:
        current = api.call("get", "/revisions/{revision_id}", role, revision_id=rid)
        assert trigger in [t["trigger"] for t in current["allowed_triggers"] if t["allowed"]], (
            trigger,
            current["state"],
        )
        fired = api.call(
            "post",
            "/instances/{workflow}/{instance_id}/fire",
            role,
            {"trigger": trigger, "expected_version": current["version"], "data": data},
            workflow="revision",
            instance_id=rid,
        )
        assert fired["trigger"] == trigger

    announced = api.call("get", "/revisions/{revision_id}", "planner", revision_id=rid)
    assert (announced["state"], announced["result_version"]) == ("announced", 2)
    assert [(i["kind"], i["project_no"]) for i in announced["items"]] == [("change", 1), ("correction", 3)]
    projects = api.call("get", "/plans/{plan_id}/projects", "planner", plan_id=plan_id)
    by_no = {p["project_no"]: p for p in projects["items"]}
    assert (by_no[1]["budget_2"], by_no[3]["kpi"], projects["version"]) == ("1500.00", "ร้อยละ 95", 2)

    with live_server.app.app_context():
        assert _db.session.get_one(Plan, plan_id).current_version == 2
        in_force = (
            select(func.count())
            .select_from(ProjectRecord)
            .where(ProjectRecord.plan_id == plan_id, ProjectRecord.valid_to.is_(None))
        )
        assert _db.session.scalar(in_force) == 6
        _db.session.remove()

"""The API's OpenAPI 3.1 description: it names every route under /api/v1 and nothing else, it is a
valid OpenAPI 3.1 document, anyone may read it, and its documentation page is reached by a click."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from eplan_flow.api import openapi

API = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def flask_to_openapi(rule: str) -> str:
    """``/instances/<workflow>/<int:instance_id>`` as OpenAPI writes it: ``/instances/{workflow}/{instance_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_a_flask_rule_converts_to_an_openapi_path():
    assert (
        flask_to_openapi("/instances/<workflow>/<int:instance_id>/fire")
        == "/instances/{workflow}/{instance_id}/fire"
    )


def test_the_description_names_every_api_route_and_only_those(app):
    served = {
        (flask_to_openapi(rule.rule.removeprefix(API)), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API + "/")
        for method in rule.methods - IGNORED_METHODS
    }
    described = {
        (path, method) for path, methods in openapi.document()["paths"].items() for method in methods
    }

    assert served - described == set(), "describe the new route in eplan_flow/api/openapi.py"
    assert described - served == set(), "the description names a route the app does not serve"


def test_the_description_is_a_valid_openapi_3_1_document():
    document = openapi.document()

    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_validator_refuses_a_broken_description():
    document = openapi.document()
    del document["paths"]["/me"]["get"]["responses"]["200"]["description"]
    with pytest.raises(OpenAPIValidationError):
        validate(document)


def test_every_operation_has_a_unique_id_and_thai_and_english_summaries():
    operations = [op for methods in openapi.document()["paths"].values() for op in methods.values()]
    ids = [op["operationId"] for op in operations]

    assert len(ids) == len(set(ids))
    assert all(op["summary"] and op["x-summary-th"] for op in operations)


def test_every_refusal_is_described_with_the_error_shape():
    for methods in openapi.document()["paths"].values():
        for operation in methods.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }
                    assert response["x-error-codes"] and response["x-description-th"]


def test_anyone_may_read_the_description_as_json(client, db):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == openapi.document(API)
    assert body["servers"] == [{"url": API}]
    assert body["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": body["components"]["securitySchemes"]["bearer"]["description"],
    }


def test_the_rest_of_the_api_still_needs_a_token(client, db):
    response = client.get(f"{API}/me")

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthenticated"


def test_the_documentation_page_is_rendered_in_thai_from_the_same_document(client, db):
    response = client.get(f"{API}/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "คู่มือเชื่อมต่อระบบ (เอพีไอ)" in page
    assert "<script" not in page
    for path, methods in openapi.document()["paths"].items():
        for method, operation in methods.items():
            assert f"{method.upper()} {path}" in page
            assert operation["x-summary-th"] in page
    for name in openapi.document()["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "stale_state" in page
    assert "ไม่พบ หรืออยู่นอกขอบเขตของผู้เรียก" in page


def test_the_documentation_page_reads_in_english_too(client, db):
    page = client.get(f"{API}/docs?lang=en").get_data(as_text=True)

    assert "API integration guide" in page
    assert openapi.PATHS["/me"]["get"]["summary"] in page


def test_a_person_reaches_the_documentation_page_from_the_footer(client, db, world, login_as):
    login_as(world.planner)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)

    assert f'href="{API}/docs"' in home

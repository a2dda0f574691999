"""Property-based API test: schemathesis generates requests from the OpenAPI description for every
operation of API v1 and sends them to the WSGI app as each role, with that role's bearer token.
Whatever it sends, the API never answers 5xx, and every answer (its status, content type and body)
is one the description names. Each operation is run twice: with generated path ids (mostly unknown
rows: the refusals) and with the ids of real rows of the caller's LAO (a plan, its draft revision and
item, a budgeted project year, an evaluation report: the answers' bodies). Bounded and
deterministic: a few derandomized examples per operation and pass.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from eplan_flow.extensions import db as _db
from eplan_flow.services.identity import accounts
from tests.conftest import make_app
from tests.factories import execution as execution_factories
from tests.factories import results as result_factories
from tests.factories import revisions as revision_factories

ROLES = ["planner", "executive", "district_officer", "provincial_officer", "dla_admin"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_PASS = 3
PATH_PARAMETER = re.compile(r"{(\w+)}")


@pytest.fixture
def api_app(app):
    # A second app on the same database: each request gets its own app context, as in production.
    served = make_app()
    yield served
    with served.app_context():
        _db.engine.dispose()


@pytest.fixture
def real_ids(world) -> dict:
    """Ids of real rows of sao_a, by the path parameter names of the description."""
    revision = revision_factories.drafted_revision(world.sao_a)
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    report = result_factories.drafted_report(world.sao_a, world.planner)
    return {
        "workflow": "revision",
        "instance_id": revision.id,
        "name": "revision",
        "plan_id": revision.plan_id,
        "revision_id": revision.id,
        "item_id": revision.items[0].id,
        "execution_id": execution.id,
        "report_id": report.id,
        "org_id": world.sao_a.id,
    }


def run_examples(operation, headers: dict, statuses: list[int], **fixed) -> None:
    @settings(
        max_examples=EXAMPLES_PER_PASS,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(**fixed))
    def answers_as_described(case):
        statuses.append(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    answers_as_described()


@pytest.mark.parametrize("role", ROLES)
def test_no_request_makes_the_api_fail_or_answer_outside_its_description(role, world, real_ids, api_app):
    token = accounts.create_token(getattr(world, role).username, "schemathesis")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    generated: list[int] = []
    on_real_rows: list[int] = []
    for operation in operations:
        run_examples(operation, headers, generated)
        names = PATH_PARAMETER.findall(operation.path)
        known = {name: real_ids[name] for name in names if name in real_ids}
        if known:
            run_examples(operation, headers, on_real_rows, path_parameters=known)

    # Both passes reached the views: refusals, and answers with bodies on real rows.
    assert {404, 422} <= set(generated)
    assert any(200 <= status < 300 for status in on_real_rows)

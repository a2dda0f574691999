"""Prometheus metrics at /metrics (issue 15): only with the configured token; requests, committed
transitions and refusals counted; backlog, queues and overdue read at scrape time; several
processes' counters added up in gunicorn's multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import OutboxMessage
from eplan_flow.services.planning import deadlines
from eplan_flow.services.platform import metrics, queues
from tests import factories
from tests.conftest import make_app

API = "/api/v1"
TOKEN = "m3tr1cs-t0ken-for-the-tests-only-0123456789"


def served(**overrides):
    app = make_app(**overrides)
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def metrics_app(app):
    yield from served(METRICS_TOKEN=TOKEN)


@pytest.fixture
def bearer(world):
    from eplan_flow.services.identity import accounts

    tokens: dict[str, str] = {}

    def _headers(user) -> dict:
        if user.username not in tokens:
            tokens[user.username] = accounts.create_token(user.username, "metrics tests")
        return {"Authorization": f"Bearer {tokens[user.username]}"}

    return _headers


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# -- who may read them --------------------------------------------------------------------------
def test_metrics_are_not_served_while_no_token_is_configured(app):
    client = app.test_client()
    assert app.config["METRICS_TOKEN"] is None
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything-at-all"}).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", "Bearer ", TOKEN],
)
def test_a_missing_or_wrong_token_is_refused_and_shows_nothing(metrics_app, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = metrics_app.test_client().get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "eplan_" not in response.get_data(as_text=True)


def test_the_scrape_may_name_any_host_like_the_probes(metrics_app):
    client = metrics_app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}", "Host": "10.0.0.5:8000"}
    assert client.get("/metrics", headers=headers).status_code == 200
    assert client.get("/auth/login", headers={"Host": "10.0.0.5:8000"}).status_code == 400


def test_production_refuses_a_guessable_metrics_token():
    from eplan_flow.config import InsecureConfiguration, check_observability

    with pytest.raises(InsecureConfiguration, match="EPLAN_METRICS_TOKEN is shorter than 32"):
        check_observability({"ENV_NAME": "production", "LOG_FORMAT": "json", "METRICS_TOKEN": "secret"})
    check_observability({"ENV_NAME": "production", "LOG_FORMAT": "json", "METRICS_TOKEN": TOKEN})
    check_observability({"ENV_NAME": "production", "LOG_FORMAT": "json", "METRICS_TOKEN": None})


# -- what they count ----------------------------------------------------------------------------
def test_a_transition_fired_through_the_api_is_counted_once_it_has_committed(metrics_app, world, bearer):
    client = metrics_app.test_client()
    plan = factories.plan(world.sao_a, world.planner)
    before = scrape(client)

    fired = client.post(
        f"{API}/instances/plan/{plan.id}/fire",
        json={"trigger": "submit_to_committee", "expected_version": plan.version},
        headers=bearer(world.planner),
    )
    again = client.post(
        f"{API}/instances/plan/{plan.id}/fire",
        json={"trigger": "submit_to_committee", "expected_version": plan.version},
        headers=bearer(world.planner),
    )
    after = scrape(client)

    refused = again.get_json()["code"]
    assert fired.status_code == 200 and (again.status_code, refused) == (422, "transition_not_allowed")
    transition = {"workflow": "plan", "trigger": "submit_to_committee"}
    assert value(after, "eplan_workflow_transitions_total", **transition) == (
        value(before, "eplan_workflow_transitions_total", **transition) + 1
    )
    assert value(after, "eplan_refusals_total", code=refused) == (
        value(before, "eplan_refusals_total", code=refused) + 1
    )
    fire_requests = {"method": "POST", "endpoint": "api.fire"}
    for status in ("200", "422"):
        assert value(after, "eplan_http_requests_total", status=status, **fire_requests) == (
            value(before, "eplan_http_requests_total", status=status, **fire_requests) + 1
        )
    assert value(after, "eplan_http_request_duration_seconds_count", endpoint="api.fire") == (
        value(before, "eplan_http_request_duration_seconds_count", endpoint="api.fire") + 2
    )


def test_a_transition_rolled_back_with_its_transaction_is_not_counted(metrics_app, world):
    from eplan_flow.services.platform import engine
    from eplan_flow.services.platform.unit_of_work import transaction

    plan = factories.plan(world.sao_a, world.planner)
    client = metrics_app.test_client()
    before = scrape(client)

    with pytest.raises(RuntimeError), transaction():
        engine.fire("plan", plan.id, "submit_to_committee", world.planner)
        raise RuntimeError("the enclosing use case fails after the step")

    transition = {"workflow": "plan", "trigger": "submit_to_committee"}
    assert value(scrape(client), "eplan_workflow_transitions_total", **transition) == value(
        before, "eplan_workflow_transitions_total", **transition
    )


def test_a_refusal_shown_on_a_page_is_counted_by_its_code(metrics_app, world):
    client = metrics_app.test_client()
    plan = factories.plan(world.sao_a, world.planner)
    client.post("/auth/login", data={"username": world.planner.username, "password": "pw"})
    before = scrape(client)

    response = client.post(
        f"/instances/plan/{plan.id}/fire",
        data={"trigger": "submit_to_committee", "expected_version": str(plan.version + 5), "comment": ""},
    )

    assert response.status_code == 303
    assert value(scrape(client), "eplan_refusals_total", code="stale_state") == (
        value(before, "eplan_refusals_total", code="stale_state") + 1
    )


def test_the_backlog_queues_failed_jobs_and_overdue_counts_are_read_at_scrape_time(metrics_app, world):
    queue = queues.queue("default")
    queue.enqueue("tests.platform.test_metrics.never_run")
    samples = scrape(metrics_app.test_client())

    pending = _db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "pending")
    )
    assert value(samples, "eplan_outbox_backlog") == pending
    assert value(samples, "eplan_job_queue_depth", queue="default") == queue.count >= 1
    assert value(samples, "eplan_jobs_failed", queue="default") == queue.failed_job_registry.count
    overdue = deadlines.all_overdue_items()
    for kind in ("plan_not_announced", "plan_not_submitted"):
        assert value(samples, "eplan_overdue_items", kind=kind) == sum(1 for i in overdue if i.kind == kind)
    assert value(samples, "eplan_overdue_items", kind="plan_not_announced") > 0


def never_run() -> None:
    """A job left waiting in its queue."""


def test_without_redis_the_queue_gauges_are_left_out(world):
    app = make_app(METRICS_TOKEN=TOKEN, REDIS_URL=None)
    try:
        samples = scrape(app.test_client())
    finally:
        with app.app_context():
            _db.engine.dispose()
    names = {name for name, _ in samples}
    assert "eplan_outbox_backlog" in names
    assert not {"eplan_job_queue_depth", "eplan_jobs_failed"} & names


# -- gunicorn's multiprocess mode ---------------------------------------------------------------
WORKER_PROCESS = """
from eplan_flow.services.platform import metrics
metrics.TRANSITIONS.labels(workflow="plan", trigger="approve").inc({count})
metrics.HTTP_REQUESTS.labels(method="GET", endpoint="main.index", status="200").inc()
"""


def test_in_multiprocess_mode_a_scrape_adds_up_every_processs_counters(metrics_app, tmp_path, monkeypatch):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    (shared / "counter_99999.db").write_bytes(b"")  # a previous run's file, wiped at start
    env = {**os.environ, metrics.MULTIPROC_ENV: str(shared)}
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(shared))
    metrics.clear_multiprocess_dir()
    assert list(shared.iterdir()) == []

    for count in (3, 4):
        subprocess.run(
            [sys.executable, "-c", WORKER_PROCESS.format(count=count)],
            env=env,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
            timeout=120,
        )
    samples = scrape(metrics_app.test_client())

    assert len(list(shared.glob("counter_*.db"))) == 2  # one file per process
    assert value(samples, "eplan_workflow_transitions_total", workflow="plan", trigger="approve") == 7
    assert value(samples, "eplan_http_requests_total", method="GET", endpoint="main.index", status="200") == 2
    # Still read now, in the scraping process.
    assert ("eplan_outbox_backlog", ()) in samples

    # gunicorn's child_exit hook for a worker that died keeps what it counted.
    for pid in {int(p.stem.rpartition("_")[2]) for p in shared.glob("counter_*.db")}:
        metrics.child_exit(None, SimpleNamespace(pid=pid))
    samples = scrape(metrics_app.test_client())
    assert value(samples, "eplan_workflow_transitions_total", workflow="plan", trigger="approve") == 7


def test_child_exit_does_nothing_outside_multiprocess_mode(monkeypatch):
    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    metrics.child_exit(None, SimpleNamespace(pid=12345))

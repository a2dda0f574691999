"""The production layout, started for real: what the README's "Deployment" section and compose.yaml run.

One run (the module's ``smoke`` fixture) on the real PostgreSQL and Redis, with EPLAN_ENV=production
and the settings production requires:

1. ``eplan setup`` (the migrations; the compose file's one-shot ``migrate`` service);
2. gunicorn with three workers (``eplan_flow/gunicorn_conf.py``), two ``eplan worker`` processes and
   one ``eplan scheduler``;
3. several clients at once: pages, the health checks, and the same plans fired through the JSON API
   by two clients each (one wins, the other is told someone acted first);
4. the outbox drained by the workers; ``/metrics`` read with its token;
5. every process stopped with SIGTERM, as a container runtime stops them; then ``eplan verify-audit``.

The fixture only observes and records (``SmokeRun``); each test asserts one thing about the record,
so a new part of the layout adds what it observes to ``SmokeRun`` and a test beside these.

Not here yet (issue 15, "Done means"): signing a user in through the SSO (the clients use an API
token), killing a worker mid-job (then: every outbox row delivered exactly once), and exactly one
scheduled run per cron tick with two workers and the scheduler running.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families
from rq import Worker
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, Notification, OutboxMessage, Plan
from eplan_flow.services.identity import accounts
from tests import factories
from tests.conftest import DATABASE_URL, PRODUCTION_CONFIG, REDIS_URL, make_app

pytestmark = pytest.mark.real_commits

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
WEB_WORKERS = 3
JOB_WORKERS = 2
PLANS = 6  # each fired by two clients at once
CLIENT_THREADS = 8
METRICS_TOKEN = (
    "O_yP8mHrYrH4RiFncfImB_EuPuxmFHxzG2yP4HfIMasShDcM"  # random: production refuses a guessable one
)
START_TIMEOUT = 120  # seconds for every process to answer (a bound on a busy machine, not a target)
DRAIN_TIMEOUT = 30  # seconds for the workers to empty the outbox
STOP_TIMEOUT = 30  # seconds for every process to exit after SIGTERM


# -- the commands the deployment runs: compose.yaml's services and the Dockerfile's CMD ------------------
# (test_compose_and_the_image_run_the_commands_this_test_runs keeps them the same)

MIGRATE = ["eplan", "setup"]
WEB = ["gunicorn", "-c", "python:eplan_flow.gunicorn_conf", "eplan_flow.wsgi:app"]
WORKER = ["eplan", "worker"]
SCHEDULER = ["eplan", "scheduler"]


def from_venv(command: list[str]) -> list[str]:
    """``command`` with its program from this venv (the image puts the same ones on PATH)."""
    return [str(VENV_BIN / command[0]), *command[1:]]


def free_port() -> int:
    """EPLAN_SMOKE_PORT when set (parallel runs on one machine), else one the system hands out."""
    if os.environ.get("EPLAN_SMOKE_PORT"):
        return int(os.environ["EPLAN_SMOKE_PORT"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_environment(port: int, workdir: Path) -> dict[str, str]:
    """What compose.yaml's ``eplan-environment`` sets (the keys are the tests'), on the test database and Redis."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EPLAN_", "FLASK_", "PROMETHEUS_"))
    }
    env.update(
        {
            "EPLAN_ENV": "production",
            "EPLAN_DATABASE_URL": DATABASE_URL,
            "EPLAN_REDIS_URL": REDIS_URL,
            "EPLAN_SECRET_KEY": PRODUCTION_CONFIG["SECRET_KEY"],
            "EPLAN_DATA_KEYS": PRODUCTION_CONFIG["DATA_KEYS"],
            "EPLAN_CITIZEN_ID_DIGEST_KEY": PRODUCTION_CONFIG["CITIZEN_ID_DIGEST_KEY"],
            "EPLAN_AUDIT_KEY": PRODUCTION_CONFIG["AUDIT_KEY"],
            "EPLAN_BASE_URL": PRODUCTION_CONFIG["BASE_URL"],
            # The clients below reach gunicorn directly, not through the balancer's name.
            "EPLAN_TRUSTED_HOSTS": json.dumps(["127.0.0.1"]),
            "EPLAN_ATTACHMENTS_DIR": str(workdir / "attachments"),
            "EPLAN_LOG_FORMAT": "json",
            "EPLAN_METRICS_TOKEN": METRICS_TOKEN,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def web_environment(port: int, workdir: Path) -> dict[str, str]:
    """What compose.yaml's ``web`` service adds."""
    return {
        "EPLAN_BIND": f"127.0.0.1:{port}",
        "EPLAN_WEB_CONCURRENCY": str(WEB_WORKERS),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
    }


# -- the processes ------------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    returncode: int | None = None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Stack:
    """The long-running processes of the layout, each logging to its own file."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs = env, logs
        self.processes: list[Process] = []

    def start(self, name: str, command: list[str], **env: str) -> Process:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                command,
                cwd=REPO,
                env={**self.env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def check_alive(self) -> None:
        for process in self.processes:
            if process.popen.poll() is not None:
                raise AssertionError(
                    f"{process.name} exited with {process.popen.returncode}:\n{process.text()[-3000:]}"
                )

    def stop(self) -> None:
        """SIGTERM to each (what `docker compose stop` sends), then wait; SIGKILL what outlives it."""
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.processes:
            try:
                process.returncode = process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait()
                process.returncode = None  # did not stop on SIGTERM


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def wait_for(what: str, check: Callable[[], bool], stack: Stack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        stack.check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.2)


# -- the record -------------------------------------------------------------------------------------


@dataclass
class Response:
    method: str
    path: str
    status: int
    body: dict | None = None
    client: str = ""
    request_id: str = ""


@dataclass
class SmokeRun:
    setup: subprocess.CompletedProcess
    base_url: str
    processes: list[Process]
    responses: list[Response] = field(default_factory=list)
    plan_ids: list[int] = field(default_factory=list)
    # (plan id, status) after the run, and per audit event of a transition, its notified user ids.
    plan_states: dict[int, str] = field(default_factory=dict)
    notified: dict[int, list[int]] = field(default_factory=dict)
    devcom_secretary_id: int = 0
    outbox_states: Counter = field(default_factory=Counter)
    metrics: str | None = None  # /metrics as served
    verify_audit: subprocess.CompletedProcess | None = None
    web_environment: dict[str, str] = field(default_factory=dict)

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)


# -- the run --------------------------------------------------------------------------------------


def _arrange(app) -> tuple[list[int], str, int, str]:
    """A small country, PLANS drafting plans of one LAO, an API token for its planner."""
    with app.app_context():
        world = factories.build_world()
        plan_ids = [
            factories.plan(world.sao_a, world.planner, period_start_be=2556 + 5 * n).id for n in range(PLANS)
        ]
        _db.session.commit()
        token = accounts.create_token(world.planner.username, "production smoke", days=1)
        arranged = (plan_ids, token, world.devcom_secretary.id, world.sao_a.code)
        _db.session.remove()
    return arranged


def _fire_twice_at_once(base: str, token: str, plan_id: int) -> list[Response]:
    """Two clients fire the same step of one plan at the same moment."""
    barrier = threading.Barrier(2)

    def fire(client: str) -> Response:
        bearer = {"Authorization": f"Bearer {token}"}
        request_id = _request_id()
        with requests.Session() as session:
            url = f"{base}/api/v1/instances/plan/{plan_id}"
            version = session.get(url, headers=bearer, timeout=30).json()["version"]
            barrier.wait(timeout=30)
            response = session.post(
                f"{url}/fire",
                json={"trigger": "submit_to_committee", "comment": "พร้อมเสนอ", "expected_version": version},
                headers={**bearer, "X-Request-ID": request_id},
                timeout=30,
            )
            path = f"/api/v1/instances/plan/{plan_id}/fire"
            return Response("POST", path, response.status_code, response.json(), client, request_id)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(fire, ["a", "b"]))


def _request_id() -> str:
    return f"smoke-{uuid.uuid4().hex}"


def _get(base: str, path: str, headers: dict | None = None) -> Response:
    request_id = _request_id()
    response = requests.get(
        f"{base}{path}",
        headers={**(headers or {}), "X-Request-ID": request_id},
        timeout=30,
        allow_redirects=False,
    )
    return Response("GET", path, response.status_code, request_id=request_id)


def _traffic(base: str, token: str, plan_ids: list[int], lao_code: str) -> list[Response]:
    """Pages, health checks and API calls from CLIENT_THREADS clients at once."""
    bearer = {"Authorization": f"Bearer {token}"}
    gets: list[tuple[str, dict | None]] = [
        ("/", None),  # to the sign-in
        ("/public/", None),
        (f"/public/{lao_code}", None),
        ("/sso/login", None),
        ("/.well-known/openid-configuration", None),
        ("/api/v1/workflows", bearer),
        *((f"/api/v1/instances/plan/{plan_id}", bearer) for plan_id in plan_ids),
        ("/healthz", None),
        ("/readyz", None),
    ]
    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        pages = [pool.submit(_get, base, path, headers) for path, headers in gets * 3]
        fires = [pool.submit(_fire_twice_at_once, base, token, plan_id) for plan_id in plan_ids]
        responses = [f.result() for f in pages]
        for f in fires:
            responses.extend(f.result())
    return responses


def _observe(app, run: SmokeRun) -> None:
    with app.app_context():
        run.plan_states = {
            plan_id: status
            for plan_id, status in _db.session.execute(
                select(Plan.id, Plan.status).where(Plan.id.in_(run.plan_ids))
            )
        }
        fired = _db.session.execute(
            select(AuditEvent.id).where(AuditEvent.action == "submit_to_committee")
        ).scalars()
        run.notified = {
            event_id: sorted(
                _db.session.execute(
                    select(Notification.user_id).where(Notification.audit_event_id == event_id)
                ).scalars()
            )
            for event_id in fired
        }
        run.outbox_states = Counter(
            {
                state: count
                for state, count in _db.session.execute(
                    select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
                )
            }
        )
        _db.session.remove()


def _outbox_drained(app) -> bool:
    with app.app_context():
        pending = _db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != "relayed")
        )
        _db.session.remove()
    if pending:
        return False
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        workers = Worker.all(connection=connection)
        return all(w.get_state() != "busy" for w in workers) and not any(
            connection.llen(key)
            for key in connection.scan_iter("rq:queue:*")
            if connection.type(key) == b"list"
        )
    finally:
        connection.close()


def _rq_workers() -> int:
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        return len(Worker.all(connection=connection))
    finally:
        connection.close()


def _answers(url: str) -> bool:
    # gunicorn's master listens before its workers have built the app: a request may wait a while.
    try:
        return requests.get(url, timeout=10, allow_redirects=False).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def smoke(_schema, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("production-smoke")
    logs = workdir / "logs"
    logs.mkdir()
    port = free_port()
    env = production_environment(port, workdir)
    base = f"http://127.0.0.1:{port}"
    app = make_app(**PRODUCTION_CONFIG)  # the same keys as the processes: one audit chain, one seal

    try:
        setup = run(from_venv(MIGRATE), env)
        assert setup.returncode == 0, setup.stdout + setup.stderr
        stack = Stack(env, logs)
        smoke_run = SmokeRun(
            setup=setup,
            base_url=base,
            processes=stack.processes,
            web_environment=web_environment(port, workdir),
        )
        _run_stack(stack, smoke_run, app)
        _observe(app, smoke_run)
        smoke_run.verify_audit = run(from_venv(["eplan", "verify-audit"]), env)
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
    yield smoke_run
    if os.environ.get("EPLAN_SMOKE_KEEP_LOGS"):
        print(f"production smoke logs: {logs}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_stack(stack: Stack, smoke_run: SmokeRun, app) -> None:
    """Start the layout, send the traffic, wait for the jobs, stop everything (whatever happened)."""
    base = smoke_run.base_url
    try:
        stack.start("web", from_venv(WEB), **smoke_run.web_environment)
        for n in range(1, JOB_WORKERS + 1):
            stack.start(f"worker-{n}", from_venv(WORKER))
        stack.start("scheduler", from_venv(SCHEDULER))
        # While they start: the data the clients act on.
        plan_ids, token, smoke_run.devcom_secretary_id, lao_code = _arrange(app)
        smoke_run.plan_ids = plan_ids

        wait_for("gunicorn's /readyz green", lambda: _answers(f"{base}/readyz"), stack, START_TIMEOUT)
        wait_for(f"{JOB_WORKERS} RQ workers", lambda: _rq_workers() >= JOB_WORKERS, stack, START_TIMEOUT)

        smoke_run.responses = _traffic(base, token, plan_ids, lao_code)
        wait_for("the outbox drained", lambda: _outbox_drained(app), stack, DRAIN_TIMEOUT)
        smoke_run.metrics = requests.get(
            f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
        ).text
        stack.check_alive()
    finally:
        stack.stop()


# -- what the run shows -------------------------------------------------------------------------------


def test_setup_migrates_the_production_database_and_loads_no_demo_data(smoke):
    assert "database schema is up to date" in smoke.setup.stdout
    assert "LOAD_DEMO_DATA is off" in smoke.setup.stdout


def test_gunicorn_serves_with_the_configured_number_of_workers(smoke):
    booted = smoke.process("web").text().count("Booting worker with pid")
    assert booted >= WEB_WORKERS


def test_no_request_from_the_concurrent_clients_got_a_server_error(smoke):
    server_errors = [r for r in smoke.responses if r.status >= 500]
    assert server_errors == []
    assert len(smoke.responses) >= 3 * (6 + PLANS) + 2 * PLANS


def test_the_health_checks_answer_green(smoke):
    checks = [r for r in smoke.responses if r.path in ("/healthz", "/readyz")]
    assert len(checks) == 6
    assert {r.status for r in checks} <= {200}


def test_two_clients_firing_one_step_at_once_one_wins_and_the_other_is_told_someone_acted_first(smoke):
    fires = [r for r in smoke.responses if r.method == "POST"]
    by_plan: dict[str, list[int]] = {}
    for r in fires:
        by_plan.setdefault(r.path, []).append(r.status)
    assert sorted(sorted(statuses) for statuses in by_plan.values()) == [[200, 409]] * PLANS
    assert {r.body["code"] for r in fires if r.status == 409} == {"stale_state"}
    assert set(smoke.plan_states.values()) == {"committee_review"}


def test_the_workers_deliver_every_transitions_notice_once(smoke):
    assert smoke.outbox_states and set(smoke.outbox_states) == {"relayed"}
    assert len(smoke.notified) == PLANS
    assert all(users == [smoke.devcom_secretary_id] for users in smoke.notified.values())


def test_the_audit_chains_written_by_every_process_verify(smoke):
    assert smoke.verify_audit is not None
    assert smoke.verify_audit.returncode == 0, smoke.verify_audit.stdout + smoke.verify_audit.stderr
    assert "verified" in smoke.verify_audit.stdout


def test_metrics_from_every_gunicorn_worker_add_up_at_metrics(smoke):
    assert smoke.metrics is not None
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(smoke.metrics)
        for sample in family.samples
    }
    fired = ("eplan_workflow_transitions_total", (("trigger", "submit_to_committee"), ("workflow", "plan")))
    assert samples[fired] == PLANS
    assert samples[("eplan_refusals_total", (("code", "stale_state"),))] == PLANS


def test_the_web_processes_log_json_lines_with_each_requests_id(smoke):
    lines = [line for line in smoke.process("web").text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    logged_ids = {record.get("request_id") for record in records}
    unlogged = [(r.method, r.path, r.status) for r in smoke.responses if r.request_id not in logged_ids]
    assert unlogged == []


def test_every_process_stops_cleanly_on_sigterm(smoke):
    assert {p.name: p.returncode for p in smoke.processes} == {p.name: 0 for p in smoke.processes}
    for process in smoke.processes:
        assert "Traceback" not in process.text(), f"{process.name}:\n{process.text()[-3000:]}"


def test_compose_and_the_image_run_the_commands_this_test_runs():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())["services"]
    assert {name: compose[name]["command"] for name in ("migrate", "web", "worker", "scheduler")} == {
        "migrate": MIGRATE,
        "web": WEB,
        "worker": WORKER,
        "scheduler": SCHEDULER,
    }
    assert compose["scheduler"]["deploy"]["replicas"] == 1
    assert "/readyz" in " ".join(compose["web"]["healthcheck"]["test"])
    cmd = [line for line in (REPO / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    assert [json.loads(line.removeprefix("CMD ")) for line in cmd] == [WEB]

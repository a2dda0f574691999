"""The production layout, started for real: what the README's "Deployment" section and compose.yaml run.

One run (the module's ``smoke`` fixture) on the real PostgreSQL and Redis, with EPLAN_ENV=production
and the settings production requires, over HTTPS (a certificate for 127.0.0.1 made by the test; the
processes trust it as they would a real one, so the app's OIDC client reaches its own SSO):

1. ``eplan setup`` (the migrations; the compose file's one-shot ``migrate`` service);
2. gunicorn with three workers (``eplan_flow/gunicorn_conf.py``), two ``eplan worker`` processes and
   one ``eplan scheduler`` with a job due every CRON_EVERY_SECONDS;
3. a worker killed with SIGKILL (with its work horse, as when its container is killed) while a
   transition's notice job is running (held on a table lock the test takes), and a new worker started
   in its place (compose's ``restart: unless-stopped``); RQ's maintenance in a live worker retries
   the abandoned job (a minute later at the earliest: RQ's heartbeat margin), while the rest runs;
4. several clients at once: pages, the health checks, the same plans fired through the JSON API by
   two clients each (one wins, the other is told someone acted first), and a person signing in
   through the SSO with a browser's redirects, form and CSRF token;
5. the outbox drained by the workers; ``/metrics`` read with its token; ``/readyz`` asked at the end;
6. every process stopped with SIGTERM, as a container runtime stops them; then ``eplan verify-audit``.

The fixture only observes and records (``SmokeRun``); each test asserts one thing about the record,
so a new part of the layout adds what it observes to ``SmokeRun`` and a test beside these.
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
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import redis
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families
from rq import Worker
from rq.cron import get_cron_job_history_key
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.results import Result
from rq.serializers import JSONSerializer
from sqlalchemy import create_engine, func, select, text

from bench.common import self_signed_certificate
from eplan_flow import log_redaction
from eplan_flow.auth import oidc_client
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, Notification, OutboxMessage, Plan, User
from eplan_flow.services.identity import accounts, approvals, oidc_clients
from eplan_flow.services.platform import engine as workflow_engine
from tests import factories
from tests.conftest import DATABASE_URL, PRODUCTION_CONFIG, REDIS_URL, make_app
from tests.identity.approvals.helpers import EPLAN_ROLES, applicant

pytestmark = pytest.mark.real_commits

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
WEB_WORKERS = 3
JOB_WORKERS = 2
PLANS = 6  # each fired by two clients at once
FIRED = PLANS + 1  # and one more while its notice job's worker is killed
CLIENT_THREADS = 8
METRICS_TOKEN = (
    "O_yP8mHrYrH4RiFncfImB_EuPuxmFHxzG2yP4HfIMasShDcM"  # random: production refuses a guessable one
)
START_TIMEOUT = 120  # seconds for every process to answer (a bound on a busy machine, not a target)
DRAIN_TIMEOUT = 30  # seconds for the workers to empty the outbox
STOP_TIMEOUT = 30  # seconds for every process to exit after SIGTERM
# A job due every CRON_EVERY_SECONDS (croniter's sixth field is seconds), so a short run sees ticks.
CRON_EVERY_SECONDS = 10
CRON_JOB = "purge_expired"
MIN_TICKS = 3
# RQ counts a killed worker's job abandoned this + 60 s after its last heartbeat; a live worker
# finds it at its next maintenance (defaults 30 and 600 s: too long for a test, fine in production).
WORKER_HEARTBEAT_SECONDS = 2
WORKER_MAINTENANCE_SECONDS = 2
RECOVERY_TIMEOUT = 150  # seconds for the killed worker's job to be retried and run
SIGNED_IN_NAME = "นางสาวสมหญิง ใจงาม"
PASSWORD = "pw"  # the factories' password


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


@dataclass
class Certificate:
    cert: Path
    key: Path


def production_environment(port: int, workdir: Path, tls: Certificate) -> dict[str, str]:
    """What compose.yaml's ``eplan-environment`` sets (the keys are the tests'), on the test database and
    Redis, served at https://127.0.0.1:port, trusting the test's certificate as a real CA's."""
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
            "EPLAN_BASE_URL": f"https://127.0.0.1:{port}",
            "EPLAN_ATTACHMENTS_DIR": str(workdir / "attachments"),
            "EPLAN_LOG_FORMAT": "json",
            "EPLAN_METRICS_TOKEN": METRICS_TOKEN,
            "EPLAN_CRON_SCHEDULE": json.dumps(
                [{"job": CRON_JOB, "queue": "default", "cron": f"* * * * * */{CRON_EVERY_SECONDS}"}]
            ),
            "EPLAN_WORKER_HEARTBEAT_SECONDS": str(WORKER_HEARTBEAT_SECONDS),
            "EPLAN_WORKER_MAINTENANCE_SECONDS": str(WORKER_MAINTENANCE_SECONDS),
            # The abandoned job's retry a second after it is found (10 s by default).
            "EPLAN_JOB_RETRY_INTERVALS": json.dumps([1, 60, 300]),
            # The app calls its own SSO (discovery, token, JWKS) at EPLAN_BASE_URL over HTTPS.
            "REQUESTS_CA_BUNDLE": str(tls.cert),
            "SSL_CERT_FILE": str(tls.cert),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def web_environment(port: int, workdir: Path, tls: Certificate) -> dict[str, str]:
    """What compose.yaml's ``web`` service adds, and the certificate (no TLS-terminating proxy here)."""
    return {
        "EPLAN_BIND": f"127.0.0.1:{port}",
        "EPLAN_CERTFILE": str(tls.cert),
        "EPLAN_KEYFILE": str(tls.key),
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
    killed: bool = False  # by the test, with SIGKILL

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
            if not process.killed and process.popen.poll() is not None:
                raise AssertionError(
                    f"{process.name} exited with {process.popen.returncode}:\n{process.text()[-3000:]}"
                )

    def kill(self, process: Process) -> None:
        """SIGKILL to the process and every process of its session, as when its container is killed:
        an RQ worker's work horse has a process group of its own, but not a session."""
        process.killed = True
        while members := _session_members(process.popen.pid):
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            process.popen.poll()  # reaps the worker itself; the others were its children
            time.sleep(0.05)
        process.popen.wait(timeout=STOP_TIMEOUT)

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


def _session_members(session_id: int) -> list[int]:
    """The live processes of a session (Linux /proc; zombies excluded)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) != session_id:
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
        if state != "Z":
            members.append(int(entry.name))
    return members


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
class Delivery:
    """An outbox row and what RQ did with the job it was relayed as."""

    outbox_id: int
    job: str
    state: str
    attempts: int
    job_id: str | None
    runs: Counter  # RQ's results of the job by type: SUCCESSFUL, FAILED, RETRIED, STOPPED


@dataclass
class Arranged:
    plan_ids: list[int]
    victim_plan_id: int  # fired while the test holds up its notice job, whose worker is then killed
    token: str
    planner_id: int
    devcom_secretary_id: int
    lao_code: str
    sso_email: str


@dataclass
class SmokeRun:
    setup: subprocess.CompletedProcess
    base_url: str
    ca: str  # the certificate the clients trust
    processes: list[Process]
    responses: list[Response] = field(default_factory=list)
    plan_ids: list[int] = field(default_factory=list)
    # (plan id, status) after the run, and per audit event of a transition, its notified user ids.
    plan_states: dict[int, str] = field(default_factory=dict)
    notified: dict[int, list[int]] = field(default_factory=dict)
    devcom_secretary_id: int = 0
    outbox_states: Counter = field(default_factory=Counter)
    deliveries: list[Delivery] = field(default_factory=list)
    # The worker killed mid-job: the job it was running, the process, and whether that job was
    # still "started" (not finished, not failed) when the worker was gone.
    killed_job_id: str = ""
    killed_worker: str = ""
    killed_job_was_started: bool = False
    killed_job_event_id: int = 0
    # The browser's hops through the SSO sign-in (path, status), and the page it ended on.
    sign_in_hops: list[tuple[str, int]] = field(default_factory=list)
    signed_in_page: str = ""
    # The cron history: each enqueue of CRON_JOB (job id, time), and the ids enqueued by the time the
    # workers were seen idle (each of those must have run once).
    cron_enqueues: list[tuple[str, float]] = field(default_factory=list)
    cron_ran_by_then: list[str] = field(default_factory=list)
    cron_runs: dict[str, Counter] = field(default_factory=dict)
    metrics: str | None = None  # /metrics as served
    final_readyz: int = 0  # /readyz's status after everything else
    verify_audit: subprocess.CompletedProcess | None = None
    web_environment: dict[str, str] = field(default_factory=dict)

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)


# -- the run --------------------------------------------------------------------------------------


def _arrange(app, base: str) -> Arranged:
    """A small country, PLANS drafting plans of one LAO and one more, an API token for its planner,
    e-Plan registered at its own SSO, and a person whose e-Plan access the LAO's SSO admin approved."""
    with app.app_context():
        world = factories.build_world()
        plan_ids = [
            factories.plan(world.sao_a, world.planner, period_start_be=2556 + 5 * n).id for n in range(FIRED)
        ]
        _db.session.commit()
        token = accounts.create_token(world.planner.username, "production smoke", days=1)
        # What an operator does once: e-Plan as a first-party client of the SSO at the public address.
        oidc_clients.ensure_client(
            "eplan", name="e-Plan", allowed_roles=EPLAN_ROLES, **oidc_client.client_registration(base)
        )
        person, _account = applicant(
            world.sao_a, status="active", approver=world.sso_admin, name=SIGNED_IN_NAME
        )
        access = approvals.request_access(person, person, "eplan", "planner")
        approvals.approve_access(world.sso_admin, access.id, auth_time=time.time())
        arranged = Arranged(
            plan_ids=plan_ids[:PLANS],
            victim_plan_id=plan_ids[PLANS],
            token=token,
            planner_id=world.planner.id,
            devcom_secretary_id=world.devcom_secretary.id,
            lao_code=world.sao_a.code,
            sso_email=person.email,
        )
        _db.session.remove()
    return arranged


def _fire(
    session: requests.Session,
    base: str,
    token: str,
    plan_id: int,
    before: Callable[[], None] = lambda: None,
    client: str = "",
) -> Response:
    """Read a plan's version, then (after ``before``) send it to the committee through the JSON API."""
    bearer = {"Authorization": f"Bearer {token}"}
    url = f"{base}/api/v1/instances/plan/{plan_id}"
    version = session.get(url, headers=bearer, timeout=30).json()["version"]
    before()
    request_id = _request_id()
    response = session.post(
        f"{url}/fire",
        json={"trigger": "submit_to_committee", "comment": "พร้อมเสนอ", "expected_version": version},
        headers={**bearer, "X-Request-ID": request_id},
        timeout=30,
    )
    path = f"/api/v1/instances/plan/{plan_id}/fire"
    return Response("POST", path, response.status_code, response.json(), client, request_id)


def _fire_twice_at_once(base: str, ca: str, token: str, plan_id: int) -> list[Response]:
    """Two clients fire the same step of one plan at the same moment."""
    barrier = threading.Barrier(2)

    def fire(client: str) -> Response:
        with _client(ca) as session:
            return _fire(session, base, token, plan_id, lambda: barrier.wait(timeout=30), client)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(fire, ["a", "b"]))


def _client(ca: str) -> requests.Session:
    """A client trusting only the test's certificate (not the REQUESTS_CA_BUNDLE of the environment,
    which requests would otherwise prefer to a session's own ``verify``)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = ca
    return session


def _request_id() -> str:
    # One the server keeps: it replaces an id the log redaction would mask (about one random hex id
    # in 20 holds 13 digits in a row, read as a citizen ID), and the log then names the new one.
    while True:
        candidate = f"smoke-{uuid.uuid4().hex}"
        if log_redaction.redact(candidate) == candidate:
            return candidate


def _get(base: str, ca: str, path: str, headers: dict | None = None) -> Response:
    request_id = _request_id()
    response = requests.get(
        f"{base}{path}",
        headers={**(headers or {}), "X-Request-ID": request_id},
        timeout=30,
        allow_redirects=False,
        verify=ca,
    )
    return Response("GET", path, response.status_code, request_id=request_id)


class _Forms(HTMLParser):
    """The forms of a page: action, method and the values their fields would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "action": attributes.get("action", ""),
                    "method": attributes.get("method", "get"),
                    "fields": {},
                }
            )
        elif tag in ("input", "button") and self.forms and attributes.get("name"):
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value", "")


def _forms(page: requests.Response) -> list[dict]:
    parser = _Forms()
    parser.feed(page.text)
    return parser.forms


def _sign_in_through_sso(base: str, ca: str, email: str) -> tuple[list[Response], str]:
    """A browser at e-Plan's home page: to the SSO's sign-in form (with its
    CSRF token and the Referer a browser sends), its consent if it asks, back to e-Plan. Each request
    carries its own request id; returns them and the page it ends on."""
    hops: list[Response] = []

    def go(method: str, url: str, **kwargs) -> requests.Response:
        while True:
            request_id = _request_id()
            headers = {"X-Request-ID": request_id, **kwargs.pop("headers", {})}
            response = browser.request(
                method, urljoin(base, url), headers=headers, allow_redirects=False, timeout=30, **kwargs
            )
            hops.append(
                Response(
                    method, urlsplit(response.url).path, response.status_code, None, "browser", request_id
                )
            )
            if not response.is_redirect:
                return response
            method, url, kwargs = "GET", urljoin(response.url, response.headers["Location"]), {}

    def submit(page: requests.Response, form: dict, **values: str) -> requests.Response:
        action = urljoin(page.url, form["action"] or page.url)
        data = {**form["fields"], **values}
        if form["method"].lower() == "post":
            return go("POST", action, data=data, headers={"Referer": page.url})
        return go("GET", action, params=data)

    with _client(ca) as browser:
        page = go("GET", "/")
        # Production sends a stranger straight to the SSO; a sign-in page would offer a button.
        to_sso = [f for f in _forms(page) if urlsplit(f["action"]).path == "/auth/oidc/login"]
        if to_sso:
            page = submit(page, to_sso[0])
        (login,) = [f for f in _forms(page) if "email" in f["fields"] and "password" in f["fields"]]
        assert login["fields"].get("csrf_token"), "the SSO's sign-in form carries a CSRF token"
        page = submit(page, login, email=email, password=PASSWORD)
        consent = [f for f in _forms(page) if "allow" in f["fields"]]
        if consent:
            fields = {k: v for k, v in consent[0]["fields"].items() if k != "deny"}
            page = submit(page, {**consent[0], "fields": fields})
    return hops, page.text


def _traffic(base: str, ca: str, arranged: Arranged) -> tuple[list[Response], tuple[list[Response], str]]:
    """Pages, health checks and API calls from CLIENT_THREADS clients at once, and a person signing in
    through the SSO meanwhile."""
    bearer = {"Authorization": f"Bearer {arranged.token}"}
    gets: list[tuple[str, dict | None]] = [
        ("/", None),  # to the sign-in
        ("/public/", None),
        (f"/public/{arranged.lao_code}", None),
        ("/sso/login", None),
        ("/.well-known/openid-configuration", None),
        ("/api/v1/workflows", bearer),
        *((f"/api/v1/instances/plan/{plan_id}", bearer) for plan_id in arranged.plan_ids),
        ("/healthz", None),
        ("/readyz", None),
    ]
    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        sign_in = pool.submit(_sign_in_through_sso, base, ca, arranged.sso_email)
        pages = [pool.submit(_get, base, ca, path, headers) for path, headers in gets * 3]
        fires = [
            pool.submit(_fire_twice_at_once, base, ca, arranged.token, plan_id)
            for plan_id in arranged.plan_ids
        ]
        responses = [f.result() for f in pages]
        for f in fires:
            responses.extend(f.result())
        return responses, sign_in.result()


def _kill_a_worker_mid_job(stack: Stack, smoke_run: SmokeRun, app, arranged: Arranged) -> None:
    """Fire a step (through the one service every path calls) whose notice job can't finish: the
    test holds the notification table. SIGKILL the worker running it, with its work horse; start
    another worker in its place; then let the table go."""
    engine = create_engine(DATABASE_URL)
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        with engine.connect() as holder:
            # Reads go on; the job's INSERT waits for this transaction.
            holder.execute(text("LOCK TABLE notification IN SHARE MODE"))
            with app.app_context():
                planner = _db.session.get(User, arranged.planner_id)
                workflow_engine.fire(
                    "plan", arranged.victim_plan_id, "submit_to_committee", planner, comment="พร้อมเสนอ"
                )
                event_id, outbox_id, queue = _db.session.execute(
                    select(AuditEvent.id, OutboxMessage.id, OutboxMessage.queue)
                    .join(OutboxMessage, OutboxMessage.kwargs["audit_event_id"].as_integer() == AuditEvent.id)
                    .where(
                        AuditEvent.chain == f"plan:{arranged.victim_plan_id}",
                        AuditEvent.action == "submit_to_committee",
                        OutboxMessage.job == "notify_next_actors",
                    )
                ).one()
                _db.session.remove()
            job_id = smoke_run.killed_job_id = f"outbox-{outbox_id}"
            smoke_run.killed_job_event_id = event_id
            started = StartedJobRegistry(queue, connection=connection, serializer=JSONSerializer)

            def running_on() -> str | None:
                if job_id not in started.get_job_ids():
                    return None
                return Job.fetch(job_id, connection=connection, serializer=JSONSerializer).worker_name

            wait_for(f"job {job_id} running", lambda: bool(running_on()), stack, DRAIN_TIMEOUT)
            worker_name = running_on()
            pid = next(w.pid for w in Worker.all(connection=connection) if w.name == worker_name)
            victim = next(p for p in stack.processes if p.popen.pid == pid)
            stack.kill(victim)
            smoke_run.killed_worker = victim.name
            status = Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status()
            smoke_run.killed_job_was_started = status == "started"
            # compose's `restart: unless-stopped` starts the worker again.
            stack.start(f"worker-{JOB_WORKERS + 1}", from_venv(WORKER))
            holder.rollback()
    finally:
        connection.close()
        engine.dispose()


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
        rows = _db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
        connection = redis.Redis.from_url(REDIS_URL)
        try:
            run.deliveries = [
                Delivery(row.id, row.job, row.state, row.attempts, row.job_id, _runs(connection, row.job_id))
                for row in rows
            ]
            run.cron_enqueues = [
                (job_id.decode(), stamp)
                for job_id, stamp in connection.zrange(
                    get_cron_job_history_key(CRON_JOB), 0, -1, withscores=True
                )
            ]
            run.cron_runs = {job_id: _runs(connection, job_id) for job_id, _ in run.cron_enqueues}
        finally:
            connection.close()
        _db.session.remove()


def _runs(connection: redis.Redis, job_id: str | None) -> Counter:
    """How each run of job ``job_id`` ended, by RQ's result type (its results are kept for minutes)."""
    if not job_id:
        return Counter()
    results = Result.all(
        Job(job_id, connection=connection, serializer=JSONSerializer), serializer=JSONSerializer
    )
    return Counter(result.type.name for result in results)


def _idle(app, dead: set[int]) -> bool:
    """The outbox relayed, the queues empty and no live worker busy (a killed worker stays listed as
    busy until its key runs out)."""
    with app.app_context():
        pending = _db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != "relayed")
        )
        _db.session.remove()
    if pending:
        return False
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        workers = [w for w in Worker.all(connection=connection) if w.pid not in dead]
        return all(w.get_state() != "busy" for w in workers) and not any(
            connection.llen(key)
            for key in connection.scan_iter("rq:queue:*")
            if connection.type(key) == b"list"
        )
    finally:
        connection.close()


def _job_status(job_id: str) -> str | None:
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        return Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status()
    finally:
        connection.close()


def _cron_enqueued() -> list[str]:
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        return [j.decode() for j in connection.zrange(get_cron_job_history_key(CRON_JOB), 0, -1)]
    finally:
        connection.close()


def _all_finished(job_ids: list[str]) -> bool:
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        jobs = Job.fetch_many(job_ids, connection=connection, serializer=JSONSerializer)
        return all(job is not None and job.get_status() == "finished" for job in jobs)
    finally:
        connection.close()


def _rq_workers() -> int:
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        return len(Worker.all(connection=connection))
    finally:
        connection.close()


def _answers(url: str, ca: str) -> bool:
    # gunicorn's master listens before its workers have built the app: a request may wait a while.
    try:
        return requests.get(url, timeout=10, allow_redirects=False, verify=ca).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def smoke(_schema, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("production-smoke")
    logs = workdir / "logs"
    logs.mkdir()
    port = free_port()
    tls = Certificate(*self_signed_certificate(workdir))
    env = production_environment(port, workdir, tls)
    base = env["EPLAN_BASE_URL"]
    app = make_app(**PRODUCTION_CONFIG)  # the same keys as the processes: one audit chain, one seal
    # An empty Redis, as the database is new: a run stopped halfway may have left workers, queues and
    # cron history there (the tests' isolation empties it after a test, not after a failed fixture).
    with redis.Redis.from_url(REDIS_URL) as connection:
        connection.flushdb()

    try:
        setup = run(from_venv(MIGRATE), env)
        assert setup.returncode == 0, setup.stdout + setup.stderr
        stack = Stack(env, logs)
        smoke_run = SmokeRun(
            setup=setup,
            base_url=base,
            ca=str(tls.cert),
            processes=stack.processes,
            web_environment=web_environment(port, workdir, tls),
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
    """Start the layout, kill a worker mid-job, send the traffic, wait for the jobs (the killed
    worker's among them), stop everything (whatever happened)."""
    base, ca = smoke_run.base_url, smoke_run.ca
    dead: set[int] = set()
    try:
        stack.start("web", from_venv(WEB), **smoke_run.web_environment)
        for n in range(1, JOB_WORKERS + 1):
            stack.start(f"worker-{n}", from_venv(WORKER))
        stack.start("scheduler", from_venv(SCHEDULER))
        # While they start: the data the clients act on.
        arranged = _arrange(app, base)
        smoke_run.plan_ids = arranged.plan_ids
        smoke_run.devcom_secretary_id = arranged.devcom_secretary_id

        wait_for(f"{JOB_WORKERS} RQ workers", lambda: _rq_workers() >= JOB_WORKERS, stack, START_TIMEOUT)
        wait_for("the arrangement's jobs done", lambda: _idle(app, dead), stack, DRAIN_TIMEOUT)
        # First, while the web processes start: RQ finds the job abandoned a minute later at the
        # earliest, and the rest of the run happens meanwhile.
        _kill_a_worker_mid_job(stack, smoke_run, app, arranged)
        dead.add(smoke_run.process(smoke_run.killed_worker).popen.pid)

        wait_for("gunicorn's /readyz green", lambda: _answers(f"{base}/readyz", ca), stack, START_TIMEOUT)

        smoke_run.responses, (hops, smoke_run.signed_in_page) = _traffic(base, ca, arranged)
        smoke_run.responses.extend(hops)
        smoke_run.sign_in_hops = [(r.path, r.status) for r in hops]

        job_id = smoke_run.killed_job_id
        wait_for(
            f"the killed worker's job {job_id} run again",
            lambda: _job_status(job_id) == "finished",
            stack,
            RECOVERY_TIMEOUT,
        )
        wait_for(
            f"{MIN_TICKS} cron ticks", lambda: len(_cron_enqueued()) >= MIN_TICKS, stack, RECOVERY_TIMEOUT
        )
        wait_for("the outbox drained", lambda: _idle(app, dead), stack, DRAIN_TIMEOUT)
        by_then = _cron_enqueued()
        wait_for("the cron jobs run", lambda: _all_finished(by_then), stack, DRAIN_TIMEOUT)
        smoke_run.cron_ran_by_then = by_then
        smoke_run.metrics = requests.get(
            f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30, verify=ca
        ).text
        smoke_run.final_readyz = requests.get(f"{base}/readyz", timeout=30, verify=ca).status_code
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


def test_the_health_checks_answer_green_during_the_run_and_at_its_end(smoke):
    checks = [r for r in smoke.responses if r.path in ("/healthz", "/readyz")]
    assert len(checks) == 6
    assert {r.status for r in checks} <= {200}
    assert smoke.final_readyz == 200


def test_two_clients_firing_one_step_at_once_one_wins_and_the_other_is_told_someone_acted_first(smoke):
    fires = [r for r in smoke.responses if r.method == "POST" and r.client in ("a", "b")]
    by_plan: dict[str, list[int]] = {}
    for r in fires:
        by_plan.setdefault(r.path, []).append(r.status)
    assert sorted(sorted(statuses) for statuses in by_plan.values()) == [[200, 409]] * PLANS
    assert {r.body["code"] for r in fires if r.status == 409} == {"stale_state"}
    assert set(smoke.plan_states.values()) == {"committee_review"}


def test_the_workers_deliver_every_transitions_notice_once(smoke):
    assert smoke.outbox_states and set(smoke.outbox_states) == {"relayed"}
    assert len(smoke.notified) == FIRED
    assert all(users == [smoke.devcom_secretary_id] for users in smoke.notified.values())


def test_every_outbox_row_is_relayed_once_and_its_job_succeeds_once(smoke):
    notices = [d for d in smoke.deliveries if d.job == "notify_next_actors"]
    assert len(notices) >= FIRED  # the plans' and those of the SSO account's own steps
    assert {d.job for d in smoke.deliveries} >= {"notify_next_actors", "send_email", "notify_applicant"}
    wrong = [
        d
        for d in smoke.deliveries
        if (d.state, d.attempts, d.job_id, d.runs["SUCCESSFUL"]) != ("relayed", 1, f"outbox-{d.outbox_id}", 1)
    ]
    assert wrong == []


def test_a_job_whose_worker_was_killed_is_run_again_by_another_and_its_notice_made_once(smoke):
    assert smoke.killed_worker.startswith("worker-")
    assert smoke.process(smoke.killed_worker).returncode == -signal.SIGKILL
    assert smoke.killed_job_was_started  # it was running, not done, when its worker died
    (killed,) = [d for d in smoke.deliveries if d.job_id == smoke.killed_job_id]
    # RQ found it abandoned and retried it: one run that never ended, one that succeeded.
    assert killed.runs["SUCCESSFUL"] == 1
    assert smoke.notified[smoke.killed_job_event_id] == [smoke.devcom_secretary_id]


def test_the_scheduler_enqueues_each_tick_once_with_two_workers_running(smoke):
    ticks = [int(stamp // CRON_EVERY_SECONDS) for _, stamp in smoke.cron_enqueues]
    assert len(ticks) >= MIN_TICKS
    assert len(ticks) == len(set(ticks)), ticks  # never two enqueues in one tick
    runs = {job_id: smoke.cron_runs[job_id]["SUCCESSFUL"] for job_id in smoke.cron_ran_by_then}
    assert runs == dict.fromkeys(smoke.cron_ran_by_then, 1)
    assert "cron: holding the scheduler lease" in smoke.process("scheduler").text()
    assert all("cron:" not in p.text() for p in smoke.processes if p.name.startswith("worker-"))


def test_a_person_signs_in_through_the_sso_as_a_browser_does_and_sees_their_thai_name(smoke):
    paths = [path for path, _ in smoke.sign_in_hops]
    assert paths[0] == "/" and smoke.sign_in_hops[-1] == ("/", 200)
    for step in ("/auth/oidc/login", "/oidc/authorize", "/sso/login", "/auth/oidc/callback"):
        assert step in paths
    assert paths.index("/sso/login") < paths.index("/auth/oidc/callback")
    assert SIGNED_IN_NAME in smoke.signed_in_page


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
    assert samples[fired] == PLANS  # the web's: the killed worker's step was fired by the test itself
    assert samples[("eplan_refusals_total", (("code", "stale_state"),))] == PLANS


def test_the_web_processes_log_json_lines_with_each_requests_id(smoke):
    lines = [line for line in smoke.process("web").text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    logged_ids = {record.get("request_id") for record in records}
    unlogged = [(r.method, r.path, r.status) for r in smoke.responses if r.request_id not in logged_ids]
    assert unlogged == []


def test_every_process_stops_cleanly_on_sigterm(smoke):
    stopped = [p for p in smoke.processes if not p.killed]
    assert {p.name: p.returncode for p in stopped} == {p.name: 0 for p in stopped}
    assert len(stopped) == 1 + JOB_WORKERS + 1  # web, the workers (one restarted), the scheduler
    for process in stopped:
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

"""The app under gunicorn in production configuration, with many clients at once (issue 16, item 3).

    python bench/http.py [--clients 50] [--seconds 60] [--port 6100] [--workers N] [--threads N]

On PostgreSQL (``EPLAN_BENCH_DATABASE_URL``, by default ``eplan_bench_http``: created, its schema
rebuilt and migrated at each run) and Redis (``EPLAN_BENCH_REDIS_URL``, by default db 4, emptied at
each run). It sets up part of a province (``--laos`` LAOs of the largest province in DLA's registry,
each with a plan of ``--projects`` projects and a year of execution, as bench/oversight.py makes
them), a planner and a development-committee secretary at one LAO with ``--fire-plans`` drafting
plans, a provincial officer, and API tokens for them. Then it starts
``gunicorn -c python:eplan_flow.gunicorn_conf bench.http_app:app`` with EPLAN_ENV=production and
what production requires (random keys, PostgreSQL, Redis, an https:// base URL served over TLS by
gunicorn itself with a certificate made for the run, Prometheus' multiprocess directory), beside
``--job-workers`` ``eplan worker`` processes and one ``eplan scheduler`` (the fires' notices, the
oversight rollups' refresh every 10 s: the dashboard is measured once they have taken the set-up in),
and runs two phases one after the other against that one server, each for ``--seconds``:

- **minimal**: every client asks ``GET /bench/minimal`` (bench/http_app.py: one indexed SELECT, a
  tiny template), the floor of a request through the same stack;
- **mix**: signed-in pages (the plan page and its ผ.01 as the planner, the provincial oversight
  dashboard as the provincial officer), API reads (``/api/v1/instances``, ``/api/v1/plans/<id>``,
  an instance read before each fire) and API fires (``POST /api/v1/instances/plan/<id>/fire`` with
  ``expected_version``: drafting → committee_review by the planner and back by the secretary, on
  plans other clients fire too; a 409 because a concurrent client acted first is counted apart).

Clients are threads, each with its own ``requests.Session`` (keep-alive), spread over a few
processes (``--processes``): client and server share this machine. It prints requests, errors (a
5xx or a connection error), other unexpected answers, throughput, p50/p95 per phase and per kind,
CPU per request (gunicorn, clients, job processes), the ratios mix/minimal, and lost writes: every fire answered 200 must have exactly one audit event,
the one it names, with its request id, step and state; no two 200s may give a plan the same version;
a refused fire must have written nothing; each plan's version must have moved once per 200.

The browser sessions are made as the sign-in makes one (a server-side sign-in and Flask-Login's
cookie, bench/common.py ``mint_session_cookie``), not through the SSO: production allows no password
form, and the SSO's sign-in rate limit (10 a minute per address) is not what is measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is bench/http.py: with bench/ on sys.path (``python bench/http.py`` puts it first),
# ``import http.client`` anywhere would find this file instead of the standard library's package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import argparse
import multiprocessing
import os
import random
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import redis
import requests
import sqlalchemy as sa

from bench.common import (
    add_people,
    mint_session_cookie,
    production_config,
    production_environment,
    production_secrets,
    reset_schema,
    self_signed_certificate,
)
from bench.oversight import FISCAL_YEAR, LAOS_FILE, largest_province
from bench.oversight import set_up as set_up_province
from eplan_flow.dbutil import create_database_if_missing

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench_http"
DEFAULT_REDIS = "redis://127.0.0.1:6379/4"
USER_AGENT = "eplan-bench-http/1"
START_TIMEOUT = 180
# The mix, by weight: each name is one step of a client (a fire is an instance read, then the POST).
MIX = {"plan_page": 3, "p01": 2, "dashboard": 1, "api_instances": 2, "api_plan": 2, "fire": 3}
FIRE_STEPS = {
    "drafting": ("submit_to_committee", "planner"),
    "committee_review": ("return_for_revision", "devcom_secretary"),
}


@dataclass
class Arranged:
    plan_id: int  # an announced plan with projects: its page, its ผ.01, the API reads
    lao_code: str
    fire_plans: dict[int, int]  # id -> version before the run
    users: dict[str, int]  # role -> user id
    tokens: dict[str, str] = field(default_factory=dict)


# -- set-up -----------------------------------------------------------------------------------------


def set_up(app, laos: int, projects: int, fire_plans: int) -> Arranged:
    """Part of a province (plans, projects, execution), people at one LAO and the province's
    office, drafting plans to fire, and API tokens."""
    from werkzeug.security import generate_password_hash

    from eplan_flow.extensions import db
    from eplan_flow.models import CivicForumMeeting, Organisation, Plan, User
    from eplan_flow.services.identity import accounts
    from eplan_flow.services.platform import engine

    province, rows = largest_province(LAOS_FILE)
    set_up_province(app, rows[:laos], province, projects, 1)
    with app.app_context():
        plan = db.session.scalars(
            sa.select(Plan).where(Plan.current_version == 1).order_by(Plan.id).limit(1)
        ).one()
        org = db.session.scalars(sa.select(Organisation).where(Organisation.id == plan.organisation_id)).one()
        password_hash = generate_password_hash("unused-" + os.urandom(8).hex(), method="pbkdf2:sha256:1000")
        users = add_people(db.session, org.id, ("planner", "devcom_secretary"), password_hash)
        officer = db.session.scalars(sa.select(User).where(User.username == "bench_po")).one()
        planner = users["planner"]
        fired = []
        for n in range(fire_plans):
            row = Plan(
                organisation_id=org.id,
                title=f"แผนทดสอบการส่ง {n + 1}",
                period_start_be=2400 + 5 * n,
                period_end_be=2404 + 5 * n,
            )
            engine.start(row, planner)
            # The civic forum has met on the draft (ข้อ 17(1)), so it may leave drafting.
            db.session.add(
                CivicForumMeeting(
                    plan_id=row.id,
                    meeting_date=date(2026, 11, 12),
                    place="ศาลาประชาคมหมู่ 3",
                    attendees=87,
                    resolution="ที่ประชุมประชาคมท้องถิ่นเห็นชอบร่าง",
                )
            )
            fired.append(row)
        db.session.commit()
        arranged = Arranged(
            plan_id=plan.id,
            lao_code=org.code,
            fire_plans={row.id: row.version for row in fired},
            users={**{role: u.id for role, u in users.items()}, "provincial_officer": officer.id},
        )
        for role in ("planner", "devcom_secretary"):
            arranged.tokens[role] = accounts.create_token(f"bench_{role}", "bench http", days=1)
        db.session.remove()
        db.engine.dispose()
    return arranged


# -- the server -------------------------------------------------------------------------------------


def start_server(env: dict[str, str], log: Path, base: str, ca: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:eplan_flow.gunicorn_conf",
        "bench.http_app:app",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}); see {log}")
        try:
            if requests.get(f"{base}/readyz", timeout=10, verify=ca).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    stop_processes([server])
    raise SystemExit(f"gunicorn's /readyz not green within {START_TIMEOUT} s; see {log}")


def start_jobs(
    env: dict[str, str], workdir: Path, workers: int, fork: bool = False
) -> list[subprocess.Popen]:
    """``eplan worker`` × ``workers`` and one ``eplan scheduler``, as compose.yaml runs them: the
    fires' notices run there, and the scheduler's oversight refresh every 10 s."""
    eplan = str(Path(sys.executable).parent / "eplan")
    worker = [eplan, "worker", "--fork"] if fork else [eplan, "worker"]
    commands = [worker] * workers + [[eplan, "scheduler"]]
    processes = []
    for n, command in enumerate(commands):
        with (workdir / f"{command[1]}-{n}.log").open("wb") as out:
            processes.append(
                subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
    return processes


def wait_for_rollups(url: str, processes: list[subprocess.Popen]) -> None:
    """Wait until the scheduler's refresh has taken in the set-up's changes (where the schema has
    oversight rollups), so the dashboard reads them as it would in service."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("oversight_change"):
                return
            deadline = time.monotonic() + START_TIMEOUT
            while conn.execute(sa.text("SELECT count(*) FROM oversight_change")).scalar():
                conn.rollback()
                if any(p.poll() is not None for p in processes):
                    raise SystemExit("a job process exited; see its log")
                if time.monotonic() > deadline:
                    raise SystemExit(f"the oversight rollups were not refreshed within {START_TIMEOUT} s")
                time.sleep(0.5)
    finally:
        engine.dispose()


def stop_processes(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each (what a container runtime sends), then wait; SIGKILL what outlives a minute."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def server_cpu(master: int) -> float:
    """CPU seconds of gunicorn so far: the master, its live workers, and the workers it has reaped
    (max_requests replaces each worker after about a thousand requests)."""

    def times(pid: int, reaped: bool) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        # utime, stime (and cutime, cstime: the reaped children) in clock ticks
        ticks = sum(int(v) for v in fields[11 : 15 if reaped else 13])
        return ticks / os.sysconf("SC_CLK_TCK")

    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        children = []
    return times(master, True) + sum(times(int(pid), False) for pid in children)


def worker_boots(log: Path) -> int:
    return log.read_text(errors="replace").count("Booting worker")


# -- the clients ------------------------------------------------------------------------------------
# A record per request: (kind, status or 0 for a connection error, seconds, unexpected?, fire or None,
# resent?), where a fire is (plan id, trigger, request id, response body or None).


def _session(spec: dict, cookie: tuple[str, str] | None = None) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy, and verify= below is not overridden by REQUESTS_CA_BUNDLE
    session.verify = spec["ca"]
    session.headers["User-Agent"] = USER_AGENT
    if cookie is not None:
        session.cookies.set(cookie[0], cookie[1], domain="127.0.0.1", path="/", secure=True)
    return session


def _timed(
    session: requests.Session, method: str, url: str, **kwargs
) -> tuple[int, float, requests.Response | Exception, bool]:
    """(status or 0, seconds, response or exception, resent?). A GET whose keep-alive connection the
    server closed before answering is sent once more on a new one, as browsers do (RFC 9112 9.3.1):
    gunicorn closes its idle connections when max_requests replaces a worker. A fire is never resent."""
    began = time.perf_counter()
    for attempt in (1, 2):
        try:
            response = session.request(method, url, timeout=60, allow_redirects=False, **kwargs)
            response.content  # noqa: B018  (read the whole body before the clock stops)
        except requests.ConnectionError as exc:
            if method == "GET" and attempt == 1 and _closed_unanswered(exc):
                continue
            return 0, time.perf_counter() - began, exc, attempt == 2
        except requests.RequestException as exc:
            return 0, time.perf_counter() - began, exc, attempt == 2
        return response.status_code, time.perf_counter() - began, response, attempt == 2
    raise AssertionError("unreachable")


def _closed_unanswered(exc: requests.ConnectionError) -> bool:
    """The connection was closed or reset before any byte of the answer came back."""
    text = str(exc)
    return "RemoteDisconnected" in text or "Connection reset" in text or "BrokenPipe" in text


def _client(spec: dict, index: int, out: list, errors: list[str]) -> None:
    """One client: its steps in a shuffled cycle of the phase's weights until the phase ends."""
    base, rng = spec["base"], random.Random(spec["seed"] * 1000 + index)
    steps = [name for name, weight in spec["weights"].items() for _ in range(weight)]
    rng.shuffle(steps)
    planner = _session(spec, spec["cookies"].get("planner"))
    officer = _session(spec, spec["cookies"].get("provincial_officer"))
    api = _session(spec)
    bearer = {role: {"Authorization": f"Bearer {token}"} for role, token in spec["tokens"].items()}
    plan, fire_plans = spec["plan_id"], spec["fire_plans"]
    gets = {
        "minimal": (api, f"/bench/minimal?code={spec['lao_code']}", None),
        "plan_page": (planner, f"/plans/{plan}", None),
        "p01": (planner, f"/plans/{plan}/p01", None),
        "dashboard": (officer, f"/oversight/?year={FISCAL_YEAR}", None),
        "api_instances": (api, "/api/v1/instances?workflow=plan", bearer.get("planner")),
        "api_plan": (api, f"/api/v1/plans/{plan}", bearer.get("planner")),
    }
    while time.time() < spec["start_at"]:
        time.sleep(0.005)
    n = rng.randrange(len(steps))
    while time.time() < spec["end_at"]:
        kind = steps[n % len(steps)]
        n += 1
        if kind != "fire":
            session, path, headers = gets[kind]
            status, seconds, response, resent = _timed(session, "GET", base + path, headers=headers)
            out.append((kind, status, seconds, status != 200, None, resent))
            if status != 200:
                errors.append(f"{kind} {status}: {_said(response)}")
            continue
        plan_id = rng.choice(fire_plans)
        url = f"{base}/api/v1/instances/plan/{plan_id}"
        status, seconds, response, resent = _timed(api, "GET", url, headers=bearer["planner"])
        out.append(("api_instance", status, seconds, status != 200, None, resent))
        if status != 200:
            errors.append(f"api_instance {status}: {_said(response)}")
            continue
        assert isinstance(response, requests.Response)
        current = response.json()
        trigger, role = FIRE_STEPS[current["state"]]
        request_id = f"bench-{rng.getrandbits(64):x}-{index}-{n}"
        status, seconds, response, resent = _timed(
            api,
            "POST",
            f"{url}/fire",
            json={"trigger": trigger, "comment": "ทดสอบ", "expected_version": current["version"]},
            headers={**bearer[role], "X-Request-ID": request_id},
        )
        body = None
        if isinstance(response, requests.Response):
            body = response.json() if status in (200, 409) else None
            request_id = response.headers.get("X-Request-ID", request_id)
        fire = (plan_id, trigger, request_id, body)
        out.append(("fire", status, seconds, status not in (200, 409), fire, resent))
        if status not in (200, 409):
            errors.append(f"fire {status}: {_said(response)}")


def _said(response: object) -> str:
    """A short text of what came back (an exception's or a response's first bytes)."""
    if isinstance(response, requests.Response):
        return response.text[:160].replace("\n", " ")
    return str(response)[:160]


def run_clients(spec: dict) -> tuple[list, list[str], float]:
    """A process's share of the clients, as threads; their records and a few error texts."""
    outs: list[list] = [[] for _ in range(spec["threads"])]
    errors: list[str] = []
    threads = [
        threading.Thread(target=_client, args=(spec, spec["first"] + i, outs[i], errors))
        for i in range(spec["threads"])
    ]
    cpu = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for out in outs for r in out], errors[:20], time.process_time() - cpu


@dataclass
class Phase:
    records: list
    wall: float  # seconds from the start to the last answer
    server_cpu: float  # gunicorn's CPU seconds
    client_cpu: float  # the client processes' CPU seconds
    jobs_cpu: float  # the job worker and scheduler processes' CPU seconds
    boots: int  # gunicorn workers started (max_requests replacing them)


def run_phase(
    pool,
    server: subprocess.Popen,
    jobs: list[subprocess.Popen],
    log: Path,
    base_spec: dict,
    weights: dict[str, int],
    args,
    seconds: float,
) -> Phase:
    """All clients at once for ``seconds``."""
    clients, processes = args.clients, args.processes
    start_at = time.time() + 2.0  # every process's threads are up by then
    shares = [clients // processes + (1 if p < clients % processes else 0) for p in range(processes)]
    specs, first = [], 0
    for p, share in enumerate(shares):
        specs.append(
            {
                **base_spec,
                "weights": weights,
                "threads": share,
                "first": first,
                "seed": p,
                "start_at": start_at,
                "end_at": start_at + seconds,
            }
        )
        first += share
    records, errors, client_cpu = [], [], 0.0
    cpu, boots = server_cpu(server.pid), worker_boots(log)
    jobs_cpu = sum(server_cpu(p.pid) for p in jobs)
    for part, said, used in pool.map(run_clients, specs):
        records.extend(part)
        errors.extend(said)
        client_cpu += used
    wall = time.time() - start_at
    for text in errors[:5]:
        print(f"    ! {text}")
    return Phase(
        records,
        wall,
        server_cpu(server.pid) - cpu,
        client_cpu,
        sum(server_cpu(p.pid) for p in jobs) - jobs_cpu,
        worker_boots(log) - boots,
    )


# -- figures and checks -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(records: list, wall: float) -> dict:
    latencies = [r[2] for r in records]
    return {
        "requests": len(records),
        "errors": sum(1 for r in records if r[1] == 0 or r[1] >= 500),
        "unexpected": sum(1 for r in records if r[3] and 0 < r[1] < 500),
        "conflicts": sum(1 for r in records if r[0] == "fire" and r[1] == 409),
        "resent": sum(1 for r in records if r[5]),
        "throughput": len(records) / wall,
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "statuses": Counter(r[1] for r in records if r[3]),
    }


def check_writes(app, records: list, arranged: Arranged) -> dict:
    """Every 200 fire against the audit table and the plans' versions."""
    from eplan_flow.extensions import db
    from eplan_flow.models import AuditEvent, Plan

    fires = [r[4] for r in records if r[0] == "fire" and r[4] is not None]
    done = [f for f in fires if f[3] is not None and "audit_event_id" in f[3]]
    refused = [f for f in fires if f[3] is not None and "audit_event_id" not in f[3]]
    triggers = sorted({trigger for trigger, _role in FIRE_STEPS.values()})
    chains = [f"plan:{plan_id}" for plan_id in arranged.fire_plans]
    with app.app_context():
        events = {
            e.id: e
            for e in db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.chain.in_(chains), AuditEvent.action.in_(triggers))
            )
        }
        versions = {
            plan_id: version
            for plan_id, version in db.session.execute(
                sa.select(Plan.id, Plan.version).where(Plan.id.in_(list(arranged.fire_plans)))
            )
        }
        db.session.remove()
    per_request = Counter(e.request_id for e in events.values())
    lost = 0
    for plan_id, trigger, request_id, body in done:
        event = events.get(body["audit_event_id"])
        if (
            event is None
            or event.chain != f"plan:{plan_id}"
            or event.action != trigger
            or event.to_state != body["state"]
            or event.request_id != request_id
            or per_request[request_id] != 1
        ):
            lost += 1
    same_version = Counter((plan_id, body["version"]) for plan_id, _t, _r, body in done)
    moved = Counter(plan_id for plan_id, *_ in done)
    return {
        "fired": len(done),
        "refused": len(refused),
        "refusal_codes": Counter(body.get("code") for *_, body in refused),
        "lost": lost,
        "events": len(events),
        "unanswered_writes": len(events) - len(done),
        "duplicate_versions": sum(n - 1 for n in same_version.values() if n > 1),
        "refused_but_written": sum(1 for _p, _t, request_id, _b in refused if per_request[request_id]),
        "version_drift": sum(
            1
            for plan_id, before in arranged.fire_plans.items()
            if versions[plan_id] - before != moved[plan_id]
        ),
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def print_phase(name: str, s: dict, phase: Phase) -> None:
    print(
        f"  {name:8} {s['requests']:7d} requests in {phase.wall:5.1f} s  {s['throughput']:7.1f} req/s  "
        f"p50 {_ms(s['p50'])}  p95 {_ms(s['p95'])}  errors {s['errors']}  unexpected {s['unexpected']}"
        + (f" {dict(s['statuses'])}" if s["statuses"] else "")
        + f"  resent after a keep-alive close {s['resent']}"
    )
    n = max(1, s["requests"])
    print(
        f"           CPU per request: server {_ms(phase.server_cpu / n)}, clients {_ms(phase.client_cpu / n)}, "
        f"jobs {_ms(phase.jobs_cpu / n)}; gunicorn workers started {phase.boots} (max_requests)"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase")
    parser.add_argument("--processes", type=int, default=3, help="client processes (threads in each)")
    parser.add_argument("--port", type=int, default=6100)
    parser.add_argument(
        "--workers", type=int, help="EPLAN_WEB_CONCURRENCY (default: gunicorn_conf's, 2 × cores + 1)"
    )
    parser.add_argument("--threads", type=int, help="EPLAN_WEB_THREADS (default: gunicorn_conf's, 2)")
    parser.add_argument("--job-workers", type=int, default=2, help="eplan worker processes (compose's 2)")
    parser.add_argument(
        "--fork",
        action="store_true",
        help="eplan worker --fork (a process forked per job; the default runs jobs in the worker)",
    )
    parser.add_argument("--laos", type=int, default=20, help="LAOs of the province")
    parser.add_argument("--projects", type=int, default=100, help="projects per LAO plan")
    parser.add_argument("--fire-plans", type=int, default=20, help="drafting plans the clients fire")
    args = parser.parse_args(argv)

    from eplan_flow import gunicorn_conf

    # The production defaults unless told otherwise (gunicorn_conf: 2 × cores + 1 workers, 2 threads).
    workers = args.workers or gunicorn_conf.default_workers()
    threads = args.threads or gunicorn_conf.threads
    url = os.environ.get("EPLAN_BENCH_DATABASE_URL", DEFAULT_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    redis_url = os.environ.get("EPLAN_BENCH_REDIS_URL", DEFAULT_REDIS)
    base = f"https://127.0.0.1:{args.port}"
    workdir = Path(tempfile.mkdtemp(prefix="eplan-bench-http-"))
    (workdir / "metrics").mkdir()
    cert, key = self_signed_certificate(workdir)
    config = production_config(url, redis_url, base, production_secrets())
    from eplan_flow import create_app

    began = time.perf_counter()
    create_database_if_missing(url)
    # The bench's own app (set-up, sessions, checks) logs warnings only: not every migration.
    app = create_app({**config, "ATTACHMENTS_DIR": str(workdir / "attachments"), "LOG_LEVEL": "WARNING"})
    reset_schema(app)
    with redis.Redis.from_url(redis_url) as connection:
        connection.flushdb()
    arranged = set_up(app, args.laos, args.projects, args.fire_plans)
    cookies = {
        role: mint_session_cookie(app, arranged.users[role], USER_AGENT)
        for role in ("planner", "provincial_officer")
    }
    with app.app_context():
        from eplan_flow.extensions import db

        db.engine.dispose()
    env = production_environment(
        {**config, "ATTACHMENTS_DIR": str(workdir / "attachments")},
        EPLAN_BIND=f"127.0.0.1:{args.port}",
        EPLAN_CERTFILE=str(cert),
        EPLAN_KEYFILE=str(key),
        EPLAN_WEB_CONCURRENCY=str(workers),
        EPLAN_WEB_THREADS=str(threads),
        PROMETHEUS_MULTIPROC_DIR=str(workdir / "metrics"),
    )
    log = workdir / "gunicorn.log"
    web_only = (
        "EPLAN_BIND",
        "EPLAN_CERTFILE",
        "EPLAN_KEYFILE",
        "EPLAN_WEB_CONCURRENCY",
        "EPLAN_WEB_THREADS",
        "PROMETHEUS_MULTIPROC_DIR",
    )
    jobs_env = {k: v for k, v in env.items() if k not in web_only}
    jobs = start_jobs(jobs_env, workdir, args.job_workers, fork=args.fork)
    try:
        server = start_server(env, log, base, str(cert))
        wait_for_rollups(url, jobs)
    except BaseException:
        stop_processes(jobs)
        raise
    print(
        f"set up in {time.perf_counter() - began:.0f} s: {args.laos} LAOs × {args.projects} projects, "
        f"{args.fire_plans} plans to fire; gunicorn (production settings) {workers} workers × "
        f"{threads} threads over TLS at {base}; {args.job_workers} job workers "
        "and a scheduler"
    )
    print(
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {args.clients} clients "
        f"in {args.processes} processes on the same machine"
    )
    base_spec = {
        "base": base,
        "ca": str(cert),
        "cookies": cookies,
        "tokens": arranged.tokens,
        "plan_id": arranged.plan_id,
        "lao_code": arranged.lao_code,
        "fire_plans": sorted(arranged.fire_plans),
    }
    reads = {name: weight for name, weight in MIX.items() if name != "fire"}
    try:
        with ProcessPoolExecutor(args.processes, mp_context=multiprocessing.get_context("fork")) as pool:
            # Every worker serves each kind of page once before the clock runs (not counted).
            warm = run_phase(pool, server, jobs, log, base_spec, {**reads, "minimal": 1}, args, 3)
            minimal = run_phase(pool, server, jobs, log, base_spec, {"minimal": 1}, args, args.seconds)
            mix = run_phase(pool, server, jobs, log, base_spec, MIX, args, args.seconds)
    finally:
        stop_processes([server, *jobs])
    writes = check_writes(app, mix.records, arranged)
    warm_errors = summary(warm.records, warm.wall)
    low, high = summary(minimal.records, minimal.wall), summary(mix.records, mix.wall)

    print(f"{args.clients} clients, {args.seconds:.0f} s each phase:")
    print_phase("minimal", low, minimal)
    print_phase("mix", high, mix)
    for kind in sorted({r[0] for r in mix.records}):
        s = summary([r for r in mix.records if r[0] == kind], mix.wall)
        print(
            f"    {kind:14} {s['requests']:6d}  p50 {_ms(s['p50'])}  p95 {_ms(s['p95'])}  "
            f"errors {s['errors']}  unexpected {s['unexpected']}"
            + (f"  409 conflicts {s['conflicts']}" if kind == "fire" else "")
        )
    print(
        f"  ratios: throughput mix/minimal {high['throughput'] / low['throughput']:.2f} (goal >= 0.35), "
        f"p95 mix/minimal {high['p95'] / low['p95']:.2f} (goal <= 3)"
    )
    # What the throughput ratio would be if this run had the CPUs to itself: requests per CPU second
    # (server, clients and jobs), the steadier figure on a machine shared with other work.
    per_request = {
        name: (phase.server_cpu + phase.client_cpu + phase.jobs_cpu) / max(1, len(phase.records))
        for name, phase in (("minimal", minimal), ("mix", mix))
    }
    print(
        f"  CPU per request (server + clients + jobs): minimal {_ms(per_request['minimal'])}, "
        f"mix {_ms(per_request['mix'])}; ratio minimal/mix {per_request['minimal'] / per_request['mix']:.2f}"
    )
    print(
        f"  fires: {writes['fired']} answered 200, {writes['refused']} refused with 409 "
        f"{dict(writes['refusal_codes'])}; lost writes {writes['lost']}, duplicate versions "
        f"{writes['duplicate_versions']}, refused but written {writes['refused_but_written']}, "
        f"plans whose version moved otherwise {writes['version_drift']}, writes with no 200 "
        f"{writes['unanswered_writes']} (of {writes['events']} audit events)"
    )
    if warm_errors["errors"] or warm_errors["unexpected"]:
        print(f"  warm-up: errors {warm_errors['errors']}, unexpected {dict(warm_errors['statuses'])}")
    failed = [r for r in minimal.records + mix.records if r[3]]
    if failed:
        print(f"  first unexpected answers: {[(r[0], r[1]) for r in failed[:5]]}; server log {log}")
    print(f"load average {os.getloadavg()[0]:.2f} after the run; server log {log}")


if __name__ == "__main__":
    main()

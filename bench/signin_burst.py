"""A burst of concurrent SSO sign-ins under gunicorn, half of them failing (issue 16, item 7).

    python bench/signin_burst.py [--n 200] [--port 5421] [--runs before,after]

Runs on PostgreSQL (``EPLAN_BENCH_DATABASE_URL``, by default
``postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench_signin``: created, migrated and emptied
at each run). For each named setting it starts ``gunicorn -c python:eplan_flow.gunicorn_conf
eplan_flow.wsgi:app`` (EPLAN_WEB_CONCURRENCY workers, 3 by default) on its own port, opens ``--n``
browser sessions on the sign-in page, then posts all their sign-ins at once: half with a known
address and its password, half with addresses nobody registered. It prints the wall time, p50/p95,
errors (anything but 303 for the known and 401 for the unknown), the longest wait on an advisory
lock seen in ``pg_locks`` (sampled every 10 ms during the burst) and the peak RSS of the web
workers (their VmHWM, and the largest sampled sum).

Settings, side by side:
- ``before``: one ``auth:unknown`` chain, argon2-cffi's default parameters (64 MiB, 3 passes,
  4 lanes) and no bound on concurrent hashes: the code before issue 16.
- ``after``: the defaults (32 shard chains, 19 MiB / 2 passes / 1 lane, 2 hashes per process).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

# ``python bench/signin_burst.py`` puts bench/ first on sys.path, where bench/http.py would shadow the
# standard library's http (which requests imports): the repository's root takes its place.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import requests
import sqlalchemy as sa

from bench.common import make_bench_app, reset_schema

PASSWORD = "Bench-sign-in-2569!"
SETTINGS: dict[str, dict[str, str]] = {
    "before": {
        "EPLAN_AUDIT_UNKNOWN_SHARDS": "1",
        "EPLAN_PASSWORD_HASH_MEMORY_KIB": "65536",
        "EPLAN_PASSWORD_HASH_TIME_COST": "3",
        "EPLAN_PASSWORD_HASH_PARALLELISM": "4",
        "EPLAN_PASSWORD_HASH_CONCURRENCY": "1000",
    },
    "after": {},
}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WAITING_ADVISORY = sa.text(
    "SELECT count(*), coalesce(max(extract(epoch FROM clock_timestamp() - a.query_start)), 0) "
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND NOT l.granted"
)


def parameters(setting: dict[str, str]) -> tuple[int, int, int]:
    from eplan_flow.config import Config

    return (
        int(setting.get("EPLAN_PASSWORD_HASH_TIME_COST", Config.PASSWORD_HASH_TIME_COST)),
        int(setting.get("EPLAN_PASSWORD_HASH_MEMORY_KIB", Config.PASSWORD_HASH_MEMORY_KIB)),
        int(setting.get("EPLAN_PASSWORD_HASH_PARALLELISM", Config.PASSWORD_HASH_PARALLELISM)),
    )


def seed(app, people: int) -> list[str]:
    """One LAO and ``people`` enabled people with SSO addresses; their emails."""
    from eplan_flow.extensions import db
    from eplan_flow.models import District, Organisation, Province, User

    with app.app_context():
        db.session.add(Province(code="38", name_th="บึงกาฬ"))
        db.session.flush()
        db.session.add(District(code="3801", province_code="38", name_th="เมืองบึงกาฬ"))
        db.session.flush()
        org = Organisation(
            code="6380001",
            kind="lao",
            lao_type="sao",
            name_th="อบต.ทดสอบ",
            province_code="38",
            district_code="3801",
        )
        db.session.add(org)
        db.session.flush()
        emails = [f"person{n}@bench.example" for n in range(people)]
        db.session.execute(
            sa.insert(User),
            [
                {
                    "username": f"bench_person_{n}",
                    "full_name": f"ผู้ทดสอบ {n}",
                    "organisation_id": org.id,
                    "email": email,
                    "is_enabled": True,
                }
                for n, email in enumerate(emails)
            ],
        )
        db.session.commit()
    return emails


def set_passwords(app, setting: dict[str, str]) -> None:
    """Everyone's hash with the setting's parameters (so no sign-in redoes it) and a clean slate."""
    from argon2 import PasswordHasher

    from eplan_flow.extensions import db
    from eplan_flow.models import User

    time_cost, memory_kib, lanes = parameters(setting)
    stored = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=lanes).hash(PASSWORD)
    with app.app_context():
        db.session.execute(
            sa.update(User).values(
                password_hash=stored, failed_login_count=0, locked_until=None, last_failed_login_at=None
            )
        )
        db.session.commit()


def workers_of(master: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def start_server(url: str, port: int, setting: dict[str, str], workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "EPLAN_ENV": "development",
        "EPLAN_DATABASE_URL": url,
        "EPLAN_REDIS_URL": os.environ.get("EPLAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
        "EPLAN_BIND": f"127.0.0.1:{port}",
        "EPLAN_WEB_CONCURRENCY": str(workers),
        "EPLAN_SECRET_KEY": "bench-secret-key-that-is-long-enough-0000",
        "EPLAN_LOAD_DEMO_DATA": "false",
        "EPLAN_OUTBOX_RELAY_ON_COMMIT": "false",
        # The burst comes from one address: the per-address limit would answer 429.
        "EPLAN_SSO_LOGIN_RATE_LIMIT": "100000 per minute",
        **setting,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:eplan_flow.gunicorn_conf", "eplan_flow.wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(f"/tmp/signin_burst_{port}.log", "w"),  # noqa: SIM115
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/sso/login", timeout=5).status_code == 200:
                # Every worker answers once before the burst (their imports are not the burst's).
                for _ in range(4 * workers):
                    requests.get(f"http://127.0.0.1:{port}/sso/login", timeout=30)
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}); see /tmp/signin_burst_{port}.log")
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 180 s")


def burst(base: str, attempts: list[tuple[str, bool]]):
    """Open every session first, then post every sign-in at once; (seconds, status or error) each."""
    sessions = []
    for _email, _known in attempts:
        session = requests.Session()
        # A new connection for the burst: an idle keep-alive one may be closed by then.
        page = session.get(f"{base}/sso/login", headers={"Connection": "close"}, timeout=60)
        match = CSRF.search(page.text)
        sessions.append((session, match.group(1) if match else ""))
    results: list[tuple[float, str, bool]] = [(0.0, "", False)] * len(attempts)
    start = threading.Barrier(len(attempts) + 1)

    def one(i: int) -> None:
        (email, known), (session, token) = attempts[i], sessions[i]
        password = PASSWORD if known else "a guess that is wrong 1"
        start.wait()
        began = time.perf_counter()
        try:
            response = session.post(
                f"{base}/sso/login",
                data={"email": email, "password": password, "csrf_token": token},
                allow_redirects=False,
                timeout=300,
            )
            outcome = str(response.status_code)
        except requests.RequestException as exc:
            outcome = type(exc).__name__
        results[i] = (time.perf_counter() - began, outcome, known)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(attempts))]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - began, results


def run(name: str, url: str, port: int, n: int, workers: int, app, emails: list[str]) -> dict:
    setting = SETTINGS[name]
    set_passwords(app, setting)
    server = start_server(url, port, setting, workers)
    try:
        pids = workers_of(server.pid)
        engine = sa.create_engine(url, pool_size=1)
        sampling = threading.Event()
        peak = {"wait": 0.0, "waiters": 0, "rss_sum_kib": 0}

        def sample() -> None:
            with engine.connect() as conn:
                while not sampling.is_set():
                    waiters, longest = conn.execute(WAITING_ADVISORY).one()
                    conn.commit()
                    peak["wait"] = max(peak["wait"], float(longest))
                    peak["waiters"] = max(peak["waiters"], int(waiters))
                    peak["rss_sum_kib"] = max(peak["rss_sum_kib"], sum(status_kib(p, "VmRSS") for p in pids))
                    time.sleep(0.01)

        attempts = [
            (emails[i // 2], True) if i % 2 == 0 else (f"nobody{port}-{i}@nowhere.example", False)
            for i in range(n)
        ]
        idle = [status_kib(p, "VmRSS") for p in pids]
        sampler = threading.Thread(target=sample)
        sampler.start()
        wall, results = burst(f"http://127.0.0.1:{port}", attempts)
        sampling.set()
        sampler.join()
        engine.dispose()
        hwm = [status_kib(p, "VmHWM") for p in pids]
    finally:
        server.terminate()
        server.wait(60)
    latencies = sorted(r[0] for r in results)
    errors = [r for r in results if r[1] != ("303" if r[2] else "401")]
    return {
        "name": name,
        "wall": wall,
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "errors": len(errors),
        "error_kinds": sorted({r[1] for r in errors}),
        "lock_wait": peak["wait"],
        "waiters": peak["waiters"],
        "hwm_mib": [round(k / 1024) for k in hwm],
        "idle_mib": [round(k / 1024) for k in idle],
        "rss_sum_mib": round(peak["rss_sum_kib"] / 1024),
        "parameters": parameters(setting),
        "shards": setting.get("EPLAN_AUDIT_UNKNOWN_SHARDS", "32"),
        "slots": setting.get("EPLAN_PASSWORD_HASH_CONCURRENCY", "2"),
    }


def timing_check(app) -> tuple[float, float]:
    """Median seconds of a wrong password for a known person and of an unknown address (in process)."""
    from eplan_flow.services.identity import identity

    with app.app_context():
        stored = identity.hash_password(PASSWORD)
        identity.dummy_hash()
        known, unknown = [], []
        for _ in range(15):
            began = time.perf_counter()
            identity.verify_password(stored, "a guess that is wrong 1")
            known.append(time.perf_counter() - began)
            began = time.perf_counter()
            identity.verify_password(None, "a guess that is wrong 1")
            unknown.append(time.perf_counter() - began)
    return statistics.median(known), statistics.median(unknown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="sign-ins in the burst (half failing)")
    parser.add_argument("--port", type=int, default=5421, help="the first run's port; the next +1")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("EPLAN_WEB_CONCURRENCY", 3)))
    parser.add_argument("--runs", default="before,after", help="settings to run, in order")
    args = parser.parse_args()
    url = os.environ.get(
        "EPLAN_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench_signin"
    )
    from eplan_flow.dbutil import create_database_if_missing

    create_database_if_missing(url)
    app = make_bench_app(url)
    reset_schema(app)
    emails = seed(app, args.n // 2 + 1)
    print(
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {args.workers} workers × 4 threads"
    )
    rows = []
    for offset, name in enumerate(args.runs.split(",")):
        rows.append(run(name, url, args.port + offset, args.n, args.workers, app, emails))
    print(
        f"{args.n} concurrent sign-ins ({args.n // 2} known with their password, {args.n - args.n // 2} unknown):"
    )
    for r in rows:
        t, m, p = r["parameters"]
        print(
            f"  {r['name']:6}  argon2id m={m} KiB t={t} p={p}, {r['slots']} hash slots/process, "
            f"{r['shards']} unknown chain(s)\n"
            f"          wall {r['wall']:.2f} s  p50 {r['p50']:.2f} s  p95 {r['p95']:.2f} s  "
            f"errors {r['errors']} {r['error_kinds'] or ''}\n"
            f"          max advisory-lock wait {r['lock_wait'] * 1000:.0f} ms (at most {r['waiters']} waiting)  "
            f"RSS per worker before the burst {r['idle_mib']} MiB, peak {r['hwm_mib']} MiB "
            f"(sampled sum peak {r['rss_sum_mib']} MiB)"
        )
    known, unknown = timing_check(app)
    print(
        f"in-process check with today's parameters: wrong password {known * 1000:.1f} ms, "
        f"unknown address {unknown * 1000:.1f} ms (median of 15)"
    )
    print(f"load average {os.getloadavg()[0]:.2f} after the runs")


if __name__ == "__main__":
    main()

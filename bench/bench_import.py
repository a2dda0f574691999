"""What importing a 2,000-project plan workbook costs, next to rendering the same plan's ผ.02 page.

    python bench/bench_import.py [--projects 2000] [--rounds 3]

On PostgreSQL (EPLAN_BENCH_DATABASE_URL, default database eplan_bench_import, created if missing,
its schema rebuilt at each run), it makes one workbook of N projects in the official ผ.02 layout
(tests/factories/workbooks.py: titles, linkage lines, merged headings, a two-row header, "รวม"
lines), then, round after round, for a fresh LAO each round:

- **import**: ``plan_import.import_plan`` of the workbook's bytes as a draft (reading, checking and
  the one transaction that writes the plan, its strategies and its N projects);
- **ผ.02 page**: GET /plans/<id>/p02 of the plan just imported, through the Flask test client,
  signed in as the LAO's planner (query, arrangement and the rendered HTML).

Time is the median over the rounds; peak memory is what tracemalloc saw during one more run of
each, measured apart (tracing slows the code it watches). Both are printed on their own and as the
ratio import / page. Figures only: never an assertion.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

# ``python bench/<script>.py`` puts bench/ first on sys.path, where bench/http.py would shadow the
# standard library's http: the repository's root takes its place (bench.* is imported from there).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bench.common import make_bench_app, reset_schema
from eplan_flow.dbutil import create_database_if_missing

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench_import"
PASSWORD = "bench-password"


def set_up(app, rounds: int) -> list[tuple[int, int]]:
    """Province, district, the national catalogues and one LAO with its planner per round."""
    from werkzeug.security import generate_password_hash

    from eplan_flow.extensions import db
    from eplan_flow.models import District, Organisation, Province, RoleGrant, User
    from eplan_flow.services.directory import catalogues

    with app.app_context():
        db.session.add(Province(code="38", name_th="บึงกาฬ"))
        db.session.flush()
        db.session.add(District(code="3801", province_code="38", name_th="เมืองบึงกาฬ"))
        db.session.commit()
        catalogues.load_catalogues(include_demo=False)
        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        laos = []
        for n in range(rounds):
            org = Organisation(
                code=f"63801{n:02d}",
                kind="lao",
                lao_type="sao",
                name_th=f"ทดสอบ {n + 1}",
                province_code="38",
                district_code="3801",
            )
            db.session.add(org)
            db.session.flush()
            user = User(
                username=f"bench_planner_{n}",
                email=f"planner{n}@bench.test",
                full_name=f"คุณ ผู้วางแผน {n}",
                organisation_id=org.id,
                password_hash=password_hash,
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(RoleGrant(user_id=user.id, organisation_id=org.id, role="planner"))
            laos.append((org.id, user.id))
        db.session.commit()
        db.session.remove()
    return laos


def run_import(app, org_id: int, user_id: int, data: bytes) -> int:
    from eplan_flow.extensions import db
    from eplan_flow.models import User
    from eplan_flow.services.planning import plan_import

    with app.test_request_context():
        actor = db.session.get(User, user_id)
        outcome = plan_import.import_plan(
            actor, org_id, data, period_start_be=2566, file_name="bench.xlsx", mode="draft"
        )
        plan_id = outcome.plan_id
        if not outcome.written or plan_id is None:
            raise SystemExit(f"the import wrote nothing: {[p.code for p in outcome.problems][:5]}")
        db.session.remove()
    return plan_id


def render_p02(client, plan_id: int) -> int:
    # The app serves only its BASE_URL's host (the test client would say "localhost").
    response = client.get(f"/plans/{plan_id}/p02", base_url=client.application.config["BASE_URL"])
    if response.status_code != 200:
        raise SystemExit(f"the ผ.02 page answered {response.status_code}")
    return len(response.data)


def signed_in(app, n: int):
    client = app.test_client()
    response = client.post(
        "/auth/login",
        data={"username": f"bench_planner_{n}", "password": PASSWORD},
        base_url=app.config["BASE_URL"],
    )
    if response.status_code != 302:
        raise SystemExit("bench sign-in failed")
    return client


def peak(fn) -> tuple[float, int]:
    """(seconds, peak bytes traced) of one call."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - started
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, top


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="timed imports and pages (median reported)")
    args = parser.parse_args(argv)

    from tests.factories import workbooks

    url = os.environ.get("EPLAN_BENCH_DATABASE_URL", DEFAULT_URL)
    create_database_if_missing(url)
    app = make_bench_app(url)
    reset_schema(app)
    # Every round imports into its own LAO (one plan per LAO and period), plus one for the memory run.
    laos = set_up(app, args.rounds + 1)
    data = workbooks.workbook(workbooks.projects(args.projects), layout="official", style="text")
    print(f"workbook: {args.projects} projects, {len(data) / 1024:.0f} KiB (official ผ.02 layout)")

    import_times, page_times, size = [], [], 0
    for n, (org_id, user_id) in enumerate(laos[:-1]):
        started = time.perf_counter()
        plan_id = run_import(app, org_id, user_id, data)
        import_times.append(time.perf_counter() - started)
        client = signed_in(app, n)
        render_p02(client, plan_id)  # warm: templates compiled, caches filled
        started = time.perf_counter()
        size = render_p02(client, plan_id)
        page_times.append(time.perf_counter() - started)
        print(f"round {n + 1}: import {import_times[-1]:.2f} s, ผ.02 page {page_times[-1]:.2f} s")

    org_id, user_id = laos[-1]
    holder: dict = {}
    import_peak_time, import_peak = peak(
        lambda: holder.setdefault("plan", run_import(app, org_id, user_id, data))
    )
    client = signed_in(app, len(laos) - 1)
    render_p02(client, holder["plan"])
    _, page_peak = peak(lambda: render_p02(client, holder["plan"]))

    with app.app_context():
        from eplan_flow.extensions import db

        projects = db.session.scalar(sa.text("SELECT count(*) FROM project_record"))
    import_median, page_median = statistics.median(import_times), statistics.median(page_times)
    print()
    print(f"projects written in all: {projects} ({len(laos)} imports)")
    print(f"import of {args.projects} projects: {import_median:.2f} s (median of {len(import_times)})")
    print(f"ผ.02 page of the same plan: {page_median:.2f} s ({size / 1024:.0f} KiB of HTML)")
    print(f"time ratio import / page: {import_median / page_median:.1f}x")
    print(
        f"peak memory (tracemalloc): import {import_peak / 2**20:.1f} MiB, page {page_peak / 2**20:.1f} MiB, "
        f"ratio {import_peak / page_peak:.1f}x (traced import took {import_peak_time:.2f} s)"
    )


if __name__ == "__main__":
    main()

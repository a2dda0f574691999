"""What the ผ.02 Excel workbook of a 2,000-project plan costs next to its HTML page.

    python bench/bench_xlsx.py [--projects 2000] [--repeat 5]

On PostgreSQL (EPLAN_BENCH_DATABASE_URL, default database eplan_bench_xlsx; created and migrated if
missing, its schema rebuilt at each run), it bulk-inserts an announced plan (bench/plans.py's
``set_up``) holding ``--projects`` own projects (ผ.02) besides the other kinds, then, in one run:

- **HTML page**: GET /plans/<id>/p02?source=own through the Flask test client, signed in as the
  LAO's planner;
- **xlsx, streamed**: ``spreadsheets.p02_xlsx`` (rows read in batches, openpyxl write-only);
- **p02_list alone**: the page's data builder, which loads every record with its relations;
- **xlsx loaded whole**: ``openpyxl.load_workbook`` of the file made, the memory the same workbook
  takes held cell by cell.

Times are medians of ``--repeat`` runs without tracing; peak memory is tracemalloc's peak of one
further run each (Python allocations). Figures only: never an assertion.
"""

from __future__ import annotations

import argparse
import gc
import io
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

from sqlalchemy.engine import make_url

from bench.common import make_bench_app, reset_schema
from bench.plans import PASSWORD, ensure_database, set_up

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench_xlsx"
# bench/plans.py's set_up makes half of its projects the LAO's own (sources cycle own, own, own,
# community, beyond capacity, equipment).
OWN_SHARE = 2


def measure(call, repeat: int) -> tuple[float, int, object]:
    """(median seconds, peak bytes, last result) of ``call``."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    gc.collect()
    tracemalloc.start()
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return statistics.median(times), peak, result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000, help="own projects (ผ.02) of the plan")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per path (median reported)")
    args = parser.parse_args(argv)

    url = os.environ.get("EPLAN_BENCH_DATABASE_URL", DEFAULT_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    ensure_database(url)
    app = make_bench_app(url)
    reset_schema(app)
    started = time.perf_counter()
    ids = set_up(app, args.projects * OWN_SHARE)
    plan_id = ids["plan_id"]
    print(
        f"set up a plan of {args.projects * OWN_SHARE} projects ({args.projects} own) in "
        f"{time.perf_counter() - started:.1f}s on {make_url(url).render_as_string(hide_password=True)}"
    )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    from openpyxl import load_workbook

    from eplan_flow.extensions import db
    from eplan_flow.models import Plan
    from eplan_flow.services.documents import spreadsheets
    from eplan_flow.services.planning import reports

    # The app serves its BASE_URL's host; the test client would ask for "localhost".
    client = app.test_client()
    base_url = app.config["BASE_URL"]
    response = client.post(
        "/auth/login", data={"username": "bench_planner", "password": PASSWORD}, base_url=base_url
    )
    assert response.status_code == 302, "bench sign-in failed"

    def page() -> bytes:
        response = client.get(f"/plans/{plan_id}/p02?source=own", base_url=base_url)
        if response.status_code != 200:
            raise SystemExit(f"the ผ.02 page answered {response.status_code}")
        return response.data

    def in_app(call):
        def run():
            with app.app_context():
                try:
                    return call()
                finally:
                    db.session.remove()

        return run

    page()  # warm: templates compiled, connections open
    results = {}
    results["HTML page (test client)"] = measure(page, args.repeat)
    xlsx = in_app(lambda: spreadsheets.p02_xlsx(db.session.get_one(Plan, plan_id), 1, "own"))
    xlsx()
    results["xlsx, streamed (p02_xlsx)"] = measure(xlsx, args.repeat)
    results["p02_list alone (full load)"] = measure(
        in_app(lambda: len(reports.p02_list(plan_id, 1, "own"))), args.repeat
    )
    data = results["xlsx, streamed (p02_xlsx)"][2]
    assert isinstance(data, bytes)
    results["xlsx loaded whole (openpyxl)"] = measure(lambda: load_workbook(io.BytesIO(data)), 1)

    page_time, page_peak, html = results["HTML page (test client)"]
    assert isinstance(html, bytes)
    print(
        f"ผ.02 of {args.projects} projects: HTML {len(html) / 1024:.0f} KiB, xlsx {len(data) / 1024:.0f} KiB"
    )
    print(f"{'':32} {'median':>10} {'peak memory':>12} {'time/page':>10} {'memory/page':>12}")
    for label, (seconds, peak, _) in results.items():
        print(
            f"{label:32} {1000 * seconds:8.1f} ms {peak / 2**20:9.1f} MiB "
            f"{seconds / page_time:10.2f} {peak / page_peak:12.2f}"
        )


if __name__ == "__main__":
    main()

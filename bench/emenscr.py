"""What the province-wide eMENSCR export costs, and how many statements it runs.

    python bench/emenscr.py [--projects 300] [--years 2] [--repeat 5] [--csv PATH] [--laos N]

Builds the province of bench/dimensions.py (EPLAN_BENCH_DATABASE_URL, default database
eplan_bench_emenscr; 334 LAOs × ``--projects`` projects with executions, master plans and
provincial strategies linked through the LAO strategies), adds two sub-plans under master plan 1
and links every seventh project to one of them and its master plan. Then it alternates:

- GET /oversight/emenscr.csv (every project of the province, streamed a batch of LAOs at a time),
- GET /oversight/emenscr.xlsx,
- GET /api/v1/emenscr?province=..&per_page=500 (the first page) and the last page,
- the raw SQL of the same rows through psycopg: the counted projects with their figures (no links).

It prints the medians, the rows, and the statements each export ran (they do not grow with the
projects: three per batch of 50 LAOs, four per API page). Figures only: never a timed assertion.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import sys
import time
from pathlib import Path

# ``python bench/<script>.py`` puts bench/ first on sys.path, where bench/http.py would shadow the
# standard library's http: the repository's root takes its place (bench.* is imported from there).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.common import make_bench_app, reset_schema
from bench.dimensions import END, EXTRA_SQL, START
from bench.oversight import FISCAL_YEAR, LAOS_FILE, PASSWORD, largest_province, set_up
from eplan_flow.dbutil import create_database_if_missing

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench_emenscr"

SUB_PLAN_SQL = [
    """INSERT INTO catalogue_item (catalogue, scope, code, name_th, position, is_active, parent_id)
       SELECT 'sub_plan', '', 'SP' || i, 'แผนย่อยที่ ' || i, i, true, mp.id
       FROM generate_series(1, 2) i JOIN catalogue_item mp ON mp.catalogue = 'master_plan' AND mp.code = 'MP1'""",
    """INSERT INTO project_link (record_id, item_id)
       SELECT r.id, c.id FROM project_record r
       JOIN catalogue_item c ON c.catalogue IN ('master_plan', 'sub_plan')
        AND c.code IN ('MP1', 'SP' || (1 + r.project_no %% 2))
       WHERE r.project_no %% 7 = 0""",
    "ANALYZE",
]

# The rows of the export without their links: the counted projects of the province's LAOs.
RAW_ROWS = """
SELECT o.code, o.name_th, r.project_no, r.name, r.source, r.budget_3,
       e.budgeted_amount, coalesce(e.disbursed, 0), e.progress_percent, e.status
FROM project_record r
JOIN plan pl ON pl.id = r.plan_id AND pl.period_start_be = 2566 AND pl.current_version >= 1
JOIN organisation o ON o.id = pl.organisation_id
LEFT JOIN (
  SELECT pe.id, pe.plan_id, pe.project_no, pe.status, pe.progress_percent, pe.budgeted_amount,
         coalesce(sum(d.amount) FILTER (WHERE d.paid_on BETWEEN %(start)s AND %(end)s), 0) AS disbursed
  FROM project_execution pe LEFT JOIN disbursement d ON d.execution_id = pe.id
  WHERE pe.fiscal_year_be = %(year)s GROUP BY pe.id
) e ON e.plan_id = r.plan_id AND e.project_no = r.project_no
WHERE o.kind = 'lao' AND o.is_active AND o.province_code = %(province)s
  AND r.valid_from <= 1 AND (r.valid_to IS NULL OR r.valid_to > 1)
  AND ((r.budget_3 > 0 AND r.source <> 'beyond_capacity') OR e.id IS NOT NULL)
ORDER BY o.code, r.project_no
"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=300, help="projects per LAO")
    parser.add_argument("--years", type=int, default=2, help="fiscal years of execution from 2567")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (median reported)")
    parser.add_argument("--csv", type=Path, default=LAOS_FILE, help="DLA's LAO file")
    parser.add_argument("--laos", type=int, default=0, help="only the province's first N LAOs (0: all)")
    args = parser.parse_args(argv)

    url = os.environ.get("EPLAN_BENCH_DATABASE_URL", DEFAULT_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    province, rows = largest_province(args.csv)
    if args.laos:
        rows = rows[: args.laos]
    create_database_if_missing(url)
    app = make_bench_app(url)
    reset_schema(app)
    started = time.perf_counter()
    counts = set_up(app, rows, province, args.projects, args.years)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for statement in (*EXTRA_SQL, *SUB_PLAN_SQL):
            conn.execute(statement, {"province": province})
    print(
        f"set up province {province}: {len(rows)} LAOs, {counts['project_record']:,} projects, "
        f"{counts['project_execution']:,} executions in {time.perf_counter() - started:.1f}s"
    )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    from eplan_flow.extensions import db

    statements: list[str] = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    client = app.test_client()
    base = app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    signed_in = client.post("/auth/login", data={"username": "bench_po", "password": PASSWORD}, base_url=base)
    if signed_in.status_code != 302:
        raise SystemExit("bench sign-in failed")
    query = f"year={FISCAL_YEAR}"
    api = f"/api/v1/emenscr?province={province}&fiscal_year={FISCAL_YEAR}&per_page=500"
    times: dict[str, list[float]] = {k: [] for k in ("csv", "xlsx", "api_first", "api_last", "raw")}
    sizes: dict[str, int] = {}
    ran: dict[str, int] = {}
    raw_params = {"year": FISCAL_YEAR, "province": province, "start": START, "end": END}
    with psycopg.connect(conninfo) as conn:
        raw_rows = conn.execute(RAW_ROWS, raw_params).fetchall()
        conn.commit()
        pages = max(1, -(-len(raw_rows) // 500))
        for warm in (True, *([False] * args.repeat)):
            took = {}
            for key, path in (
                ("csv", f"/oversight/emenscr.csv?{query}"),
                ("xlsx", f"/oversight/emenscr.xlsx?{query}"),
                ("api_first", f"{api}&page=1"),
                ("api_last", f"{api}&page={pages}"),
            ):
                statements.clear()
                started = time.perf_counter()
                response = client.get(path, base_url=base)
                data = response.data  # a streamed body is produced here
                took[key] = time.perf_counter() - started
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
                sizes[key], ran[key] = len(data), len(statements)
                if key == "csv" and warm:
                    exported = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
                    mine = [(r[0], int(r[3])) for r in exported]
                    if mine != [(r[0], r[2]) for r in raw_rows]:
                        raise SystemExit("the CSV's projects differ from the raw query's")
                    print(f"rows checked: the CSV holds the raw query's {len(raw_rows):,} projects in order")
            started = time.perf_counter()
            conn.execute(RAW_ROWS, raw_params).fetchall()
            conn.commit()
            took["raw"] = time.perf_counter() - started
            if not warm:
                for key, value in took.items():
                    times[key].append(value)
    med = {k: 1000 * statistics.median(v) for k, v in times.items()}
    print(f"median of {args.repeat} rounds, fiscal year {FISCAL_YEAR}, all LAOs of the province:")
    for key, label in (
        ("csv", "CSV download (streamed)"),
        ("xlsx", "Excel download"),
        ("api_first", "API, first page of 500"),
        ("api_last", f"API, last page ({pages})"),
    ):
        print(f"  {label:32s} {med[key]:9.1f} ms  ({sizes[key] / 1024:,.0f} KiB, {ran[key]} statements)")
    print(f"  {'raw SQL of the rows (no links)':32s} {med['raw']:9.1f} ms")
    print(f"  ratio csv/raw {med['csv'] / med['raw']:.2f}, api page/raw {med['api_first'] / med['raw']:.2f}")


if __name__ == "__main__":
    main()

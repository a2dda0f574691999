"""What the provincial breakdown along every strategy dimension costs next to a raw SQL aggregate.

    python bench/dimensions.py [--projects 300] [--years 2] [--repeat 15] [--csv PATH] [--laos N]

``--laos 1 --projects 2000`` measures one LAO with 2,000 projects: its evaluation figures are the
same breakdown (``services/delivery/evaluation.py`` builds the report's tables from it).

Builds the province of bench/oversight.py (EPLAN_BENCH_DATABASE_URL, default database
eplan_bench_dimensions; 334 LAOs × ``--projects`` projects with executions), then adds what the
other dimensions read: 23 master plans, provincial strategies and LAO-in-province strategies linked
to the LAO strategies, a tactic per strategy and a ผ.02/2 project in every tenth. Then it
alternates, request by request:

- ``dimensions.breakdowns_for`` along all eight dimensions (the service behind the page and the
  downloads, all LAOs of the province, one statement),
- GET /oversight/dimensions?dim=national_strategy (one dimension, the rendered page),
- GET /oversight/dimensions.csv and .xlsx (every dimension),
- the raw SQL aggregate through psycopg: the same numbers along all eight dimensions, written by hand.

It checks that the service's numbers equal the raw aggregate's and prints the medians and the
ratios to the raw aggregate (target: the all-dimension breakdown at most 3×). Figures only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

# ``python bench/<script>.py`` puts bench/ first on sys.path, where bench/http.py would shadow the
# standard library's http: the repository's root takes its place (bench.* is imported from there).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.common import make_bench_app, reset_schema
from bench.oversight import FISCAL_YEAR, LAOS_FILE, PASSWORD, largest_province, set_up
from eplan_flow.dbutil import create_database_if_missing

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench_dimensions"
# Fiscal year 2568 is year 3 of the plans 2566–2570; its days run from 1 Oct 2024 to 30 Sep 2025.
START, END = "2024-10-01", "2025-09-30"

EXTRA_SQL = [
    """INSERT INTO catalogue_item (catalogue, scope, code, name_th, position, is_active)
       SELECT 'master_plan', '', 'MP' || i, 'แผนแม่บทที่ ' || i, i, true FROM generate_series(1, 23) i""",
    """INSERT INTO catalogue_item (catalogue, scope, code, name_th, position, is_active)
       SELECT c, %(province)s, 'P' || i, 'ยุทธศาสตร์ที่ ' || i, i, true
       FROM generate_series(1, 5) i CROSS JOIN (VALUES ('provincial_strategy'), ('province_lao_strategy')) v(c)""",
    """INSERT INTO lao_strategy_link (strategy_id, item_id)
       SELECT s.id, c.id FROM lao_strategy s
       JOIN catalogue_item c ON c.catalogue = 'master_plan' AND c.position = 1 + (s.number * 5 + s.plan_id) %% 23""",
    """INSERT INTO lao_strategy_link (strategy_id, item_id)
       SELECT s.id, c.id FROM lao_strategy s
       JOIN catalogue_item c ON c.catalogue IN ('provincial_strategy', 'province_lao_strategy')
        AND c.position = 1 + (s.number + s.plan_id) %% 5
       WHERE s.number <> 4""",
    """INSERT INTO tactic (strategy_id, number, name) SELECT s.id, 1, 'กลยุทธ์ที่ 1' FROM lao_strategy s""",
    """UPDATE project_record pr SET tactic_id = t.id FROM tactic t
       WHERE t.strategy_id = pr.strategy_id AND pr.project_no %% 3 <> 0""",
    """UPDATE project_record SET source = 'beyond_capacity' WHERE project_no %% 10 = 5""",
    "ANALYZE",
]

# The same numbers along every dimension, written by hand (plans in version 1: none of the bench's
# plans was revised into a new version).
RAW_AGGREGATE = """
WITH counted AS MATERIALIZED (
  SELECT pl.organisation_id, r.id AS record_id, r.strategy_id, r.tactic_id,
         CASE WHEN r.budget_3 > 0 AND r.source <> 'beyond_capacity' THEN 1 ELSE 0 END AS planned,
         CASE WHEN r.budget_3 > 0 AND r.source <> 'beyond_capacity' THEN r.budget_3 ELSE 0 END AS planned_budget,
         CASE WHEN e.id IS NOT NULL THEN 1 ELSE 0 END AS budgeted,
         coalesce(e.budgeted_amount, 0) AS budget, coalesce(e.disbursed, 0) AS disbursed,
         CASE WHEN e.status = 'completed' AND (e.contract_amount IS NULL OR e.paid_by_end >= e.contract_amount)
              THEN 1 ELSE 0 END AS completed
  FROM project_record r
  JOIN plan pl ON pl.id = r.plan_id AND pl.period_start_be = 2566 AND pl.current_version >= 1
  JOIN organisation o ON o.id = pl.organisation_id
  LEFT JOIN (
    SELECT pe.id, pe.plan_id, pe.project_no, pe.status, pe.contract_amount, pe.budgeted_amount,
           coalesce(sum(d.amount) FILTER (WHERE d.paid_on BETWEEN %(start)s AND %(end)s), 0) AS disbursed,
           coalesce(sum(d.amount) FILTER (WHERE d.paid_on <= %(end)s), 0) AS paid_by_end
    FROM project_execution pe LEFT JOIN disbursement d ON d.execution_id = pe.id
    WHERE pe.fiscal_year_be = %(year)s GROUP BY pe.id
  ) e ON e.plan_id = r.plan_id AND e.project_no = r.project_no
  WHERE o.kind = 'lao' AND o.is_active AND o.province_code = %(province)s
    AND r.valid_from <= 1 AND (r.valid_to IS NULL OR r.valid_to > 1)
    AND ((r.budget_3 > 0 AND r.source <> 'beyond_capacity') OR e.id IS NOT NULL)
), links AS (
  SELECT pl.record_id, ci.catalogue, pl.item_id FROM project_link pl
  JOIN catalogue_item ci ON ci.id = pl.item_id
  WHERE pl.record_id IN (SELECT record_id FROM counted)
  UNION ALL
  SELECT c.record_id, ci.catalogue, sl.item_id FROM counted c
  JOIN lao_strategy_link sl ON sl.strategy_id = c.strategy_id
  JOIN catalogue_item ci ON ci.id = sl.item_id
  WHERE NOT EXISTS (SELECT 1 FROM project_link pl JOIN catalogue_item c2 ON c2.id = pl.item_id
                    WHERE pl.record_id = c.record_id AND c2.catalogue = ci.catalogue)
), dims(d) AS (
  VALUES ('national_strategy'), ('master_plan'), ('nesdp_milestone'), ('sdg'),
         ('provincial_strategy'), ('province_lao_strategy')
)
SELECT dims.d, l.item_id, sum(c.planned), sum(c.planned_budget), sum(c.budgeted), sum(c.budget),
       sum(c.disbursed), sum(c.completed)
FROM counted c CROSS JOIN dims
LEFT JOIN links l ON l.record_id = c.record_id AND l.catalogue = dims.d
GROUP BY dims.d, l.item_id
UNION ALL
SELECT 'lao_strategy', strategy_id, sum(planned), sum(planned_budget), sum(budgeted), sum(budget),
       sum(disbursed), sum(completed) FROM counted GROUP BY strategy_id
UNION ALL
SELECT 'tactic', tactic_id, sum(planned), sum(planned_budget), sum(budgeted), sum(budget),
       sum(disbursed), sum(completed) FROM counted GROUP BY tactic_id
"""


def params(province: str) -> dict:
    return {"year": FISCAL_YEAR, "province": province, "start": START, "end": END}


def raw_numbers(conn, province: str) -> dict:
    return {
        (d, key): (int(a), Decimal(b), int(c), Decimal(e), Decimal(f), int(g))
        for d, key, a, b, c, e, f, g in conn.execute(RAW_AGGREGATE, params(province))
    }


def service_numbers(result) -> dict:
    return {
        (d, row.key): (
            row.metrics.planned,
            row.metrics.planned_budget,
            row.metrics.budgeted,
            row.metrics.budget,
            row.metrics.disbursed,
            row.metrics.completed,
        )
        for d, rows in result.rows.items()
        for row in rows
    }


def breakdown(app):
    from eplan_flow.extensions import db
    from eplan_flow.models import User
    from eplan_flow.services.oversight import dimensions
    from eplan_flow.services.oversight.status import Filters

    officer = db.session.scalars(sa.select(User).where(User.username == "bench_po")).one()
    _ = officer.grants  # loaded as the login seam loads it, outside the timing
    started = time.perf_counter()
    result = dimensions.breakdowns_for(officer, Filters(fiscal_year_be=FISCAL_YEAR))
    return result, time.perf_counter() - started


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=300, help="projects per LAO")
    parser.add_argument("--years", type=int, default=2, help="fiscal years of execution from 2567")
    parser.add_argument("--repeat", type=int, default=15, help="timed rounds (median reported)")
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
        for statement in EXTRA_SQL:
            conn.execute(statement, {"province": province})
    print(
        f"set up province {province}: {len(rows)} LAOs, {counts['project_record']:,} projects, "
        f"{counts['project_execution']:,} executions in {time.perf_counter() - started:.1f}s"
    )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    with app.app_context():
        result, _took = breakdown(app)
        mine = service_numbers(result)
    with psycopg.connect(conninfo) as conn:
        raw = raw_numbers(conn, province)
    if mine != raw:
        differing = sorted((k for k in mine.keys() | raw.keys() if mine.get(k) != raw.get(k)), key=str)
        raise SystemExit(
            f"the breakdown differs from the raw aggregate on {len(differing)} rows, e.g. "
            f"{[(k, mine.get(k), raw.get(k)) for k in differing[:3]]}"
        )
    print(f"numbers checked: the breakdown equals the raw aggregate on all {len(raw)} rows of 8 dimensions")

    client = app.test_client()
    # The app answers only at its configured address (eplan_flow/addresses.py), not the test client's localhost.
    base = app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    signed_in = client.post("/auth/login", data={"username": "bench_po", "password": PASSWORD}, base_url=base)
    if signed_in.status_code != 302:
        raise SystemExit("bench sign-in failed")
    times: dict[str, list[float]] = {k: [] for k in ("service", "page", "csv", "xlsx", "raw")}
    sizes = {}
    query = f"year={FISCAL_YEAR}"
    with psycopg.connect(conninfo) as conn:
        for warm in (True, *([False] * args.repeat)):
            took = {}
            with app.app_context():
                _result, took["service"] = breakdown(app)
                from eplan_flow.extensions import db

                db.session.remove()
            for key, path in (
                ("page", f"/oversight/dimensions?{query}&dim=national_strategy"),
                ("csv", f"/oversight/dimensions.csv?{query}"),
                ("xlsx", f"/oversight/dimensions.xlsx?{query}"),
            ):
                started = time.perf_counter()
                response = client.get(path, base_url=base)
                took[key] = time.perf_counter() - started
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
                sizes[key] = len(response.data)
            started = time.perf_counter()
            conn.execute(RAW_AGGREGATE, params(province)).fetchall()
            conn.commit()
            took["raw"] = time.perf_counter() - started
            if not warm:
                for key, value in took.items():
                    times[key].append(value)
    med = {k: 1000 * statistics.median(v) for k, v in times.items()}
    print(f"median of {args.repeat} rounds, fiscal year {FISCAL_YEAR}, all LAOs of the province:")
    print(f"  breakdowns_for, all 8 dimensions      {med['service']:8.1f} ms")
    print(f"  page, one dimension (test client)     {med['page']:8.1f} ms  ({sizes['page'] / 1024:.0f} KiB)")
    print(f"  CSV download, all dimensions          {med['csv']:8.1f} ms  ({sizes['csv'] / 1024:.0f} KiB)")
    print(f"  Excel download, all dimensions        {med['xlsx']:8.1f} ms  ({sizes['xlsx'] / 1024:.0f} KiB)")
    print(f"  raw SQL aggregate, all 8 dimensions   {med['raw']:8.1f} ms")
    print(
        f"  ratio service/raw {med['service'] / med['raw']:.2f}, page/raw {med['page'] / med['raw']:.2f}, "
        f"csv/raw {med['csv'] / med['raw']:.2f}, xlsx/raw {med['xlsx'] / med['raw']:.2f} (target service <= 3.0)"
    )


if __name__ == "__main__":
    main()

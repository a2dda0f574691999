"""What the provincial oversight table costs next to the raw SQL aggregate behind its numbers.

    python bench/oversight.py [--projects 300] [--years 2] [--repeat 15] [--csv PATH]

On PostgreSQL (EPLAN_BENCH_DATABASE_URL, default database eplan_bench_oversight; created if missing,
its schema rebuilt and migrated at each run), it imports the LAOs of the province with the most LAOs
in DLA's open-data file (tests/data/laos_dla_2566.csv.gz: นครราชสีมา, 334), gives each an announced
plan 2566–2570 with ``--projects`` projects linked to SDGs and (through their LAO strategies) the
National Strategy, and a year of execution per project for ``--years`` fiscal years from 2567, with
contracts, transfers and disbursements in a spread of states. Everything is generated set-based in
SQL (about 100k projects, 200k executions). Then it alternates, request by request:

- the ``oversight.dashboard`` service call that builds the table (all LAOs of the province),
- GET /oversight/?year=2568 through the Flask test client, signed in as the provincial officer
  (the table, both charts, the rendered page),
- GET /oversight/export.csv and /oversight/export.xlsx (the same table as downloads),
- the raw SQL aggregate through psycopg: per LAO, projects budgeted, counted as completed, budget
  after transfers and disbursed, the numbers behind the rates.

It checks that the service's numbers equal the raw aggregate's, prints the medians and the ratio
page/raw (target: at most 3). Figures only: never a timed assertion.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import statistics
import sys
import time
from collections import Counter
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
from eplan_flow.dbutil import create_database_if_missing

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench_oversight"
# DLA's registry as shipped in the repository (tests/data/README.md); --csv takes a plain or gzipped copy.
LAOS_FILE = Path(__file__).resolve().parents[1] / "tests" / "data" / "laos_dla_2566.csv.gz"
PASSWORD = "bench-password"
FISCAL_YEAR = 2568

# The numbers behind the table's execution and disbursement rates, written by hand.
RAW_AGGREGATE = """
SELECT o.code, count(*),
       count(*) FILTER (WHERE e.status = 'completed'),
       sum(e.available), sum(e.paid)
FROM (
  SELECT pe.id, pe.organisation_id, pe.status, pe.contract_amount, pe.progress_percent,
         pe.budgeted_amount + coalesce(max(t.moved), 0) AS available,
         coalesce(sum(d.amount), 0) AS paid
  FROM project_execution pe
  JOIN organisation lao ON lao.id = pe.organisation_id
  LEFT JOIN disbursement d ON d.execution_id = pe.id
  LEFT JOIN (
    SELECT t.execution_id, sum(CASE WHEN t.kind = 'transfer_in' THEN t.amount ELSE -t.amount END) AS moved
    FROM budget_transfer t
    JOIN project_execution te ON te.id = t.execution_id
    JOIN organisation tlao ON tlao.id = te.organisation_id
    WHERE te.fiscal_year_be = %(year)s AND tlao.kind = 'lao' AND tlao.province_code = %(province)s
    GROUP BY t.execution_id
  ) t ON t.execution_id = pe.id
  WHERE pe.fiscal_year_be = %(year)s AND lao.kind = 'lao' AND lao.province_code = %(province)s
  GROUP BY pe.id
) e
JOIN organisation o ON o.id = e.organisation_id
GROUP BY o.code
ORDER BY o.code
"""

# Generated in SQL: an execution per project and fiscal year, in states spread by project number.
#   n % 10: 0–3 completed (paid in full, 100 %), 4–5 disbursing (half paid), 6 contracted,
#   7 budgeted, 8 cancelled, 9 carried over (paid in full, 100 %, but not counted until completed).
EXECUTIONS_SQL = """
INSERT INTO project_execution (plan_id, organisation_id, project_no, fiscal_year_be, budgeted_amount,
    contract_no, contract_date, contractor, contract_amount, progress_percent, carried_over_to_be,
    cancel_reason, status, workflow_name, workflow_version, version, created_at, updated_at)
SELECT pr.plan_id, p.organisation_id, pr.project_no, fy.y, b.amount,
       CASE WHEN m.k IN (0,1,2,3,4,5,6,9) THEN pr.project_no || '/' || fy.y END,
       CASE WHEN m.k IN (0,1,2,3,4,5,6,9) THEN DATE '2024-01-15' END,
       CASE WHEN m.k IN (0,1,2,3,4,5,6,9) THEN 'หจก. ก่อสร้าง' END,
       CASE WHEN m.k IN (0,1,2,3,4,5,6,9) THEN round(b.amount * 0.95, 2) END,
       CASE WHEN m.k IN (0,1,2,3,9) THEN 100 WHEN m.k IN (4,5) THEN 60 ELSE 0 END,
       CASE WHEN m.k = 9 THEN fy.y + 1 END,
       CASE WHEN m.k = 8 THEN 'ไม่มีผู้เสนอราคา' END,
       CASE WHEN m.k IN (0,1,2,3) THEN 'completed' WHEN m.k IN (4,5) THEN 'disbursing'
            WHEN m.k = 6 THEN 'contracted' WHEN m.k = 7 THEN 'budgeted' WHEN m.k = 8 THEN 'cancelled'
            ELSE 'carried_over' END,
       'execution', 1, 1, now(), now()
FROM project_record pr
JOIN plan p ON p.id = pr.plan_id
CROSS JOIN (SELECT generate_series(2567, 2566 + :years) AS y) fy
CROSS JOIN LATERAL (SELECT ((pr.project_no + fy.y + p.organisation_id) % 10) AS k) m
CROSS JOIN LATERAL (SELECT (10000 + (pr.project_no * 137 + p.organisation_id * 31) % 990000)::numeric(14,2) AS amount) b
"""

DISBURSEMENTS_SQL = """
INSERT INTO disbursement (execution_id, paid_on, amount, created_at)
SELECT e.id, DATE '2024-03-01', round(e.contract_amount * 0.6, 2), now()
FROM project_execution e WHERE e.status IN ('completed', 'carried_over');
INSERT INTO disbursement (execution_id, paid_on, amount, created_at)
SELECT e.id, DATE '2024-06-01', e.contract_amount - round(e.contract_amount * 0.6, 2), now()
FROM project_execution e WHERE e.status IN ('completed', 'carried_over');
INSERT INTO disbursement (execution_id, paid_on, amount, created_at)
SELECT e.id, DATE '2024-04-01', round(e.contract_amount * 0.5, 2), now()
FROM project_execution e WHERE e.status = 'disbursing';
INSERT INTO budget_transfer (execution_id, kind, amount, date, created_at)
SELECT e.id, CASE WHEN e.project_no % 2 = 0 THEN 'transfer_in' ELSE 'transfer_out' END,
       CASE WHEN e.project_no % 2 = 0 THEN 5000.00 ELSE 1000.00 END, DATE '2024-02-01', now()
FROM project_execution e WHERE e.project_no % 7 = 0 AND e.status <> 'cancelled';
"""


def largest_province(path: Path) -> tuple[str, list[dict]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    code, _ = Counter(r["province_code"] for r in rows).most_common(1)[0]
    return code, [r for r in rows if r["province_code"] == code]


def add_catalogues(session) -> None:
    """The catalogue items the generated projects link to: a แผนงาน, the six National Strategies and
    the 17 SDGs."""
    from eplan_flow.models import CatalogueItem

    session.add(
        CatalogueItem(
            catalogue="budget_programme",
            scope="",
            code="00240",
            name_th="แผนงานอุตสาหกรรมและการโยธา",
            position=9,
        )
    )
    session.add_all(
        CatalogueItem(
            catalogue="national_strategy", scope="", code=f"NS{i}", name_th=f"ยุทธศาสตร์ชาติที่ {i}", position=i
        )
        for i in range(1, 7)
    )
    session.add_all(
        CatalogueItem(catalogue="sdg", scope="", code=f"SDG{i}", name_th=f"เป้าหมายที่ {i}", position=i)
        for i in range(1, 18)
    )


def set_up(app, rows: list[dict], province: str, n_projects: int, years: int) -> dict:
    """Import the province's LAOs and bulk-generate their plans, projects and executions."""
    from werkzeug.security import generate_password_hash

    from eplan_flow.extensions import db
    from eplan_flow.models import Organisation, RoleGrant, User
    from eplan_flow.services.directory import laos_import

    with app.app_context():
        report = laos_import.import_laos(None, rows)
        if report.rejected:
            raise SystemExit(f"{len(report.rejected)} LAO rows rejected: {report.rejected[:3]}")
        office = db.session.scalars(
            sa.select(Organisation).where(Organisation.code == f"PO-{province}")
        ).one()
        officer = User(
            username="bench_po",
            email="po@bench.test",
            full_name="คุณ สถจ.",
            organisation_id=office.id,
            password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
        )
        db.session.add(officer)
        db.session.flush()
        db.session.add(RoleGrant(user_id=officer.id, organisation_id=office.id, role="provincial_officer"))
        add_catalogues(db.session)
        db.session.commit()
        steps = [
            # Plans of 2566–2570 in a spread of states (a tenth still drafting, never announced).
            (
                """INSERT INTO plan (organisation_id, title, period_start_be, period_end_be, current_version,
                    announced_at, submitted_at, status, workflow_name, workflow_version, version, created_at, updated_at)
                SELECT o.id, 'แผนพัฒนาท้องถิ่น (พ.ศ. 2566–2570) ' || o.name_th, 2566, 2570,
                       CASE WHEN o.id % 10 = 0 THEN 0 ELSE 1 END,
                       CASE WHEN o.id % 10 = 0 THEN NULL ELSE now() - interval '400 days' END,
                       CASE WHEN o.id % 10 IN (0, 1, 2) THEN NULL ELSE now() - interval '390 days' END,
                       CASE WHEN o.id % 10 = 0 THEN 'drafting' WHEN o.id % 10 IN (1, 2) THEN 'announced'
                            WHEN o.id % 10 IN (3, 4, 5) THEN 'submitted' ELSE 'acknowledged' END,
                       'plan', 1, 1, now(), now()
                FROM organisation o WHERE o.kind = 'lao'""",
                {},
            ),
            (
                "INSERT INTO plan_version (plan_id, number, announced_at) SELECT id, 1, now() FROM plan WHERE current_version = 1",
                {},
            ),
            (
                """INSERT INTO lao_strategy (plan_id, number, name)
                SELECT p.id, s, 'ยุทธศาสตร์ที่ ' || s FROM plan p CROSS JOIN generate_series(1, 4) s""",
                {},
            ),
            (
                """INSERT INTO lao_strategy_link (strategy_id, item_id)
                SELECT s.id, c.id FROM lao_strategy s
                JOIN catalogue_item c ON c.catalogue = 'national_strategy' AND c.position = 1 + (s.number + s.plan_id) % 6""",
                {},
            ),
            (
                """INSERT INTO project_record (plan_id, project_no, valid_from, strategy_id, programme_id, source, name,
                    objective, target, responsible_unit, budget_1, budget_2, budget_3, budget_4, budget_5, created_at)
                SELECT p.id, n, 1, s.id, (SELECT id FROM catalogue_item WHERE catalogue = 'budget_programme'), 'own',
                       'โครงการที่ ' || n, 'เพื่อประชาชน', 'หมู่ ' || (n % 12 + 1), 'กองช่าง',
                       100000, 100000, 100000, 100000, 100000, now()
                FROM plan p CROSS JOIN generate_series(1, :n) n
                JOIN lao_strategy s ON s.plan_id = p.id AND s.number = 1 + n % 4""",
                {"n": n_projects},
            ),
            # Half the projects link an SDG of their own; the rest inherit their strategy's links only.
            (
                """INSERT INTO project_link (record_id, item_id)
                SELECT pr.id, c.id FROM project_record pr
                JOIN catalogue_item c ON c.catalogue = 'sdg' AND c.position = 1 + pr.project_no % 17
                WHERE pr.project_no % 2 = 0""",
                {},
            ),
            (EXECUTIONS_SQL, {"years": years}),
            *[(statement, {}) for statement in DISBURSEMENTS_SQL.split(";") if statement.strip()],
            # Revisions on a third of the plans; evaluation reports for half the LAOs.
            (
                """INSERT INTO revision (plan_id, organisation_id, route, base_version, year_be, label, sequence,
                    status, workflow_name, workflow_version, version, created_at, updated_at)
                SELECT p.id, p.organisation_id, 'regular', 1, 2567, 'เพิ่มเติม', 1,
                       CASE WHEN p.id % 2 = 0 THEN 'announced' ELSE 'committee_review' END, 'revision', 1, 1, now(), now()
                FROM plan p WHERE p.id % 3 = 0 AND p.current_version = 1""",
                {},
            ),
            (
                """INSERT INTO evaluation_report (organisation_id, plan_id, fiscal_year_be, round, status,
                    workflow_name, workflow_version, version, created_at, updated_at)
                SELECT p.organisation_id, p.id, :y, r, 'drafting', 'evaluation', 1, 1, now(), now()
                FROM plan p CROSS JOIN (VALUES ('april'), ('october')) AS rounds(r) WHERE p.id % 2 = 0""",
                {"y": FISCAL_YEAR},
            ),
        ]
        for statement, params in steps:
            db.session.execute(sa.text(statement), params)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
        counts = {
            table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in (
                "organisation",
                "project_record",
                "project_execution",
                "disbursement",
                "budget_transfer",
            )
        }
        db.session.remove()
        return counts


def check_numbers(app, conninfo: str, province: str) -> int:
    """The service's per-LAO numbers must equal the raw aggregate's; returns the LAOs compared."""
    from eplan_flow.extensions import db
    from eplan_flow.models import User
    from eplan_flow.services.oversight import status as oversight

    with app.app_context():
        officer = db.session.scalars(sa.select(User).where(User.username == "bench_po")).one()
        board = oversight.dashboard(officer, oversight.Filters(fiscal_year_be=FISCAL_YEAR))
        mine = {r.code: (r.executions, r.counted, r.budget, r.disbursed) for r in board.rows if r.executions}
        db.session.remove()
    with psycopg.connect(conninfo) as conn:
        raw = {
            code: (n, c, Decimal(b), Decimal(p))
            for code, n, c, b, p in conn.execute(RAW_AGGREGATE, {"year": FISCAL_YEAR, "province": province})
        }
    if mine != raw:
        differing = sorted(k for k in mine.keys() | raw.keys() if mine.get(k) != raw.get(k))
        raise SystemExit(
            f"the table's numbers differ from the raw aggregate for {len(differing)} LAOs, "
            f"e.g. {differing[:3]}: {[(mine.get(k), raw.get(k)) for k in differing[:3]]}"
        )
    return len(raw)


def time_all(app, conninfo: str, province: str, repeat: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    from eplan_flow.extensions import db
    from eplan_flow.models import User
    from eplan_flow.services.oversight import status as oversight

    client = app.test_client()
    # The app answers only at its configured address (eplan_flow/addresses.py), not the test client's localhost.
    base = app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    response = client.post("/auth/login", data={"username": "bench_po", "password": PASSWORD}, base_url=base)
    if response.status_code != 302:
        raise SystemExit("bench sign-in failed")
    times: dict[str, list[float]] = {k: [] for k in ("service", "page", "csv", "xlsx", "raw")}
    sizes = {}
    query = f"year={FISCAL_YEAR}"
    with psycopg.connect(conninfo) as conn:
        for warm in (True, *([False] * repeat)):
            took = {}
            with app.app_context():
                officer = db.session.scalars(sa.select(User).where(User.username == "bench_po")).one()
                _ = officer.grants  # loaded as the login seam loads it, outside the timing
                started = time.perf_counter()
                board = oversight.dashboard(officer, oversight.Filters(fiscal_year_be=FISCAL_YEAR))
                took["service"] = time.perf_counter() - started
                assert len(board.rows) > 300
                db.session.remove()
            for key, path in (
                ("page", f"/oversight/?{query}"),
                ("csv", f"/oversight/export.csv?{query}"),
                ("xlsx", f"/oversight/export.xlsx?{query}"),
            ):
                started = time.perf_counter()
                response = client.get(path, base_url=base)
                took[key] = time.perf_counter() - started
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
                sizes[key] = len(response.data)
            started = time.perf_counter()
            conn.execute(RAW_AGGREGATE, {"year": FISCAL_YEAR, "province": province}).fetchall()
            conn.commit()
            took["raw"] = time.perf_counter() - started
            if not warm:
                for key, value in took.items():
                    times[key].append(value)
    return times, sizes


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=300, help="projects per LAO")
    parser.add_argument("--years", type=int, default=2, help="fiscal years of execution from 2567")
    parser.add_argument("--repeat", type=int, default=15, help="timed rounds (median reported)")
    parser.add_argument("--csv", type=Path, default=LAOS_FILE, help="DLA's LAO file")
    args = parser.parse_args(argv)

    url = os.environ.get("EPLAN_BENCH_DATABASE_URL", DEFAULT_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    province, rows = largest_province(args.csv)
    create_database_if_missing(url)
    app = make_bench_app(url)
    reset_schema(app)
    started = time.perf_counter()
    counts = set_up(app, rows, province, args.projects, args.years)
    print(
        f"set up province {province} ({rows[0]['province_th']}): {len(rows)} LAOs, "
        f"{counts['project_record']:,} projects, {counts['project_execution']:,} executions, "
        f"{counts['disbursement']:,} disbursements, {counts['budget_transfer']:,} transfers "
        f"in {time.perf_counter() - started:.1f}s on {make_url(url).render_as_string(hide_password=True)}"
    )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    # The bulk load's triggers noted every LAO as changed: the scheduler's refresh takes them into
    # the rollups (services/oversight/rollups.py), as it would a few seconds after a real load.
    started = time.perf_counter()
    with app.app_context():
        from eplan_flow.services.oversight import rollups

        refreshed = rollups.refresh_all()
    print(f"rollups refreshed for {refreshed} LAOs in {time.perf_counter() - started:.1f}s")
    compared = check_numbers(app, conninfo, province)
    print(
        f"numbers checked: the table equals the raw aggregate for all {compared} LAOs with projects in {FISCAL_YEAR}"
    )

    times, sizes = time_all(app, conninfo, province, args.repeat)
    med = {k: 1000 * statistics.median(v) for k, v in times.items()}
    print(f"median of {args.repeat} rounds, fiscal year {FISCAL_YEAR}, all LAOs of the province:")
    print(f"  oversight.dashboard service           {med['service']:8.1f} ms")
    print(
        f"  dashboard page (test client)          {med['page']:8.1f} ms  ({sizes['page'] / 1024:.0f} KiB of HTML)"
    )
    print(f"  CSV download                          {med['csv']:8.1f} ms  ({sizes['csv'] / 1024:.0f} KiB)")
    print(f"  Excel download                        {med['xlsx']:8.1f} ms  ({sizes['xlsx'] / 1024:.0f} KiB)")
    print(f"  raw SQL aggregate (psycopg)           {med['raw']:8.1f} ms")
    print(
        f"  ratio service/raw {med['service'] / med['raw']:.2f}, page/raw {med['page'] / med['raw']:.2f}, "
        f"csv/raw {med['csv'] / med['raw']:.2f}, xlsx/raw {med['xlsx'] / med['raw']:.2f} (target page <= 3.0)"
    )


if __name__ == "__main__":
    main()

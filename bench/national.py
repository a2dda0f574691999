"""What DLA's national table costs, read from the oversight rollups, next to the raw SQL aggregate.

    python bench/national.py [--projects 300] [--repeat 5] [--rebuild] [--csv PATH] [--profile]

On PostgreSQL (EPLAN_BENCH_DATABASE_URL, default database eplan_bench_national; created if
missing) it builds the whole country: all 7,849 LAOs of DLA's registry
(tests/data/laos_dla_2566.csv.gz), each with an announced plan 2566–2570 of ``--projects``
projects (300: about 2.35 million project records) and a fiscal year (2568) of execution per
project with contracts, disbursements and transfers in a spread of states, generated set-based in
SQL with ``session_replication_role = replica`` (the per-row oversight triggers of migration 0027
stay quiet during the load), then the rollups with ``rollups.mark_all()`` and
``rollups.refresh_all()``. It prints how long each part took. The data stays on disk: a later run
reuses it when the schema is at the migrations' head and the counts match (``--rebuild`` forces a
new build).

It checks, before timing, that ``rollups.national`` equals a raw SQL aggregate over the base tables
written by hand for every province, and that the province page's figures equal the same aggregate
per LAO for นครราชสีมา (30). Then, side by side in rounds (median of ``--repeat``):

(a) GET /oversight/?year=2568 signed in as a DLA admin (the national table, from the rollups),
(b) the raw aggregate of the same national numbers per province,
(c) GET /oversight/?year=2568&province=30 and the raw aggregate per LAO of that province,
(d) one real transition (``engine.fire`` of ``complete`` on a carried-over execution), then
    ``rollups.refresh_all()``: the time from the scheduler's tick to the change in the rollups,
(e) the peak RSS of a fresh web process rendering the national page (and the province page).

Goals printed beside the figures: national page <= 0.25x its raw aggregate, province page <= 1x
its raw aggregate, freshness within REFRESH_SECONDS + one refresh, peak RSS < 300 MB. Figures only:
never a timed assertion.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gzip
import io
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

# Run as a script, bench/ is first on the path, where a module may shadow the standard library's
# (bench/http.py would stand in for ``http``): the repository's root takes its place.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.common import make_bench_app, reset_schema
from bench.oversight import FISCAL_YEAR, LAOS_FILE, PASSWORD, add_catalogues
from eplan_flow.dbutil import create_database_if_missing

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench_national"
PROVINCE = "30"  # นครราชสีมา, the province with the most LAOs (334)
PERIOD_START = 2566  # the plans' period; FISCAL_YEAR 2568 is its third year (budget_3)
DLA_USER = "bench_dla"
PLANNER = "bench_planner"

# The national numbers per province, over the base tables, written by hand: active LAOs, those with
# a plan of the period in force, projects planned for the year (the plan's version in force, the
# kinds workflows/counting.py counts, a budget line in the year), executions of the year, counted as
# completed, budget after transfers, disbursed. {key} groups (province or LAO), {where} narrows.
RAW_AGGREGATE = """
WITH laos AS NOT MATERIALIZED (
  SELECT id, code, province_code FROM organisation WHERE kind = 'lao' AND is_active {where}
), executions AS (
  SELECT pe.organisation_id, count(*) AS executions, count(*) FILTER (WHERE pe.status = 'completed') AS counted,
         sum(pe.budgeted_amount) AS budgeted
  FROM project_execution pe JOIN laos ON laos.id = pe.organisation_id
  WHERE pe.fiscal_year_be = %(year)s GROUP BY pe.organisation_id
), moved AS (
  SELECT pe.organisation_id, sum(CASE WHEN t.kind = 'transfer_in' THEN t.amount ELSE -t.amount END) AS moved
  FROM budget_transfer t JOIN project_execution pe ON pe.id = t.execution_id JOIN laos ON laos.id = pe.organisation_id
  WHERE pe.fiscal_year_be = %(year)s GROUP BY pe.organisation_id
), paid AS (
  SELECT pe.organisation_id, sum(d.amount) AS paid
  FROM disbursement d JOIN project_execution pe ON pe.id = d.execution_id JOIN laos ON laos.id = pe.organisation_id
  WHERE pe.fiscal_year_be = %(year)s GROUP BY pe.organisation_id
), in_force AS (
  SELECT p.id, p.organisation_id, p.current_version FROM plan p
  WHERE p.period_start_be = %(start)s AND p.current_version > 0
), planned AS (
  SELECT f.organisation_id, count(*) AS planned
  FROM in_force f JOIN laos ON laos.id = f.organisation_id JOIN project_record r ON r.plan_id = f.id
  WHERE r.valid_from <= f.current_version AND (r.valid_to IS NULL OR r.valid_to > f.current_version)
    AND r.source IN ('own', 'community', 'equipment') AND r.budget_{plan_year} > 0
  GROUP BY f.organisation_id
)
SELECT {key}, count(*), count(f.id), coalesce(sum(planned.planned), 0), coalesce(sum(e.executions), 0),
       coalesce(sum(e.counted), 0), coalesce(sum(e.budgeted), 0) + coalesce(sum(moved.moved), 0),
       coalesce(sum(paid.paid), 0)
FROM laos
LEFT JOIN in_force f ON f.organisation_id = laos.id
LEFT JOIN planned ON planned.organisation_id = laos.id
LEFT JOIN executions e ON e.organisation_id = laos.id
LEFT JOIN moved ON moved.organisation_id = laos.id
LEFT JOIN paid ON paid.organisation_id = laos.id
GROUP BY {key} ORDER BY {key}
"""
NATIONAL_RAW = RAW_AGGREGATE.format(
    key="laos.province_code", where="", plan_year=FISCAL_YEAR - PERIOD_START + 1
)
PROVINCE_RAW = RAW_AGGREGATE.format(
    key="laos.code", where="AND province_code = %(province)s", plan_year=FISCAL_YEAR - PERIOD_START + 1
)
RAW_PARAMS = {"year": FISCAL_YEAR, "start": PERIOD_START, "province": PROVINCE}

# The country, generated in SQL (psycopg placeholders: a literal % is written %%).
#   Plans: a tenth still drafting (never announced), the rest in force.
#   Executions, by (project_no + organisation_id) %% 10: 0–3 completed (paid in full), 4–5 disbursing
#   (half paid), 6 contracted, 7 budgeted, 8 cancelled, 9 carried over (paid in full, 100 %, not yet
#   counted: the bench's transition completes them).
LOAD_SQL = [
    """INSERT INTO plan (organisation_id, title, period_start_be, period_end_be, current_version,
        announced_at, submitted_at, status, workflow_name, workflow_version, version, created_at, updated_at)
    SELECT o.id, 'แผนพัฒนาท้องถิ่น (พ.ศ. 2566–2570) ' || o.name_th, 2566, 2570,
           CASE WHEN o.id %% 10 = 0 THEN 0 ELSE 1 END,
           CASE WHEN o.id %% 10 = 0 THEN NULL ELSE now() - interval '400 days' END,
           CASE WHEN o.id %% 10 IN (0, 1, 2) THEN NULL ELSE now() - interval '390 days' END,
           CASE WHEN o.id %% 10 = 0 THEN 'drafting' WHEN o.id %% 10 IN (1, 2) THEN 'announced'
                WHEN o.id %% 10 IN (3, 4, 5) THEN 'submitted' ELSE 'acknowledged' END,
           'plan', 1, 1, now(), now()
    FROM organisation o WHERE o.kind = 'lao'""",
    "INSERT INTO plan_version (plan_id, number, announced_at) SELECT id, 1, now() FROM plan WHERE current_version = 1",
    """INSERT INTO lao_strategy (plan_id, number, name)
    SELECT p.id, s, 'ยุทธศาสตร์ที่ ' || s FROM plan p CROSS JOIN generate_series(1, 4) s""",
    """INSERT INTO lao_strategy_link (strategy_id, item_id)
    SELECT s.id, c.id FROM lao_strategy s
    JOIN catalogue_item c ON c.catalogue = 'national_strategy' AND c.position = 1 + (s.number + s.plan_id) %% 6""",
    """INSERT INTO project_record (plan_id, project_no, valid_from, strategy_id, programme_id, source, name,
        objective, target, responsible_unit, budget_1, budget_2, budget_3, budget_4, budget_5, created_at)
    SELECT p.id, n, 1, s.id, (SELECT id FROM catalogue_item WHERE catalogue = 'budget_programme'), 'own',
           'โครงการที่ ' || n, 'เพื่อประชาชน', 'หมู่ ' || (n %% 12 + 1), 'กองช่าง',
           100000, 100000, 100000, 100000, 100000, now()
    FROM plan p CROSS JOIN generate_series(1, %(projects)s) n
    JOIN lao_strategy s ON s.plan_id = p.id AND s.number = 1 + n %% 4""",
    """INSERT INTO project_link (record_id, item_id)
    SELECT pr.id, c.id FROM project_record pr
    JOIN catalogue_item c ON c.catalogue = 'sdg' AND c.position = 1 + pr.project_no %% 17
    WHERE pr.project_no %% 2 = 0""",
    """INSERT INTO project_execution (plan_id, organisation_id, project_no, fiscal_year_be, budgeted_amount,
        contract_no, contract_date, contractor, contract_amount, progress_percent, carried_over_to_be,
        cancel_reason, status, workflow_name, workflow_version, version, created_at, updated_at)
    SELECT pr.plan_id, p.organisation_id, pr.project_no, %(year)s, b.amount,
           CASE WHEN m.k IN (0,1,2,3,4,5,6,9) THEN pr.project_no || '/' || %(year)s END,
           CASE WHEN m.k IN (0,1,2,3,4,5,6,9) THEN DATE '2024-11-15' END,
           CASE WHEN m.k IN (0,1,2,3,4,5,6,9) THEN 'หจก. ก่อสร้าง' END,
           CASE WHEN m.k IN (0,1,2,3,4,5,6,9) THEN round(b.amount * 0.95, 2) END,
           CASE WHEN m.k IN (0,1,2,3,9) THEN 100 WHEN m.k IN (4,5) THEN 60 ELSE 0 END,
           CASE WHEN m.k = 9 THEN %(year)s + 1 END,
           CASE WHEN m.k = 8 THEN 'ไม่มีผู้เสนอราคา' END,
           CASE WHEN m.k IN (0,1,2,3) THEN 'completed' WHEN m.k IN (4,5) THEN 'disbursing'
                WHEN m.k = 6 THEN 'contracted' WHEN m.k = 7 THEN 'budgeted' WHEN m.k = 8 THEN 'cancelled'
                ELSE 'carried_over' END,
           'execution', 1, 1, now(), now()
    FROM project_record pr
    JOIN plan p ON p.id = pr.plan_id
    CROSS JOIN LATERAL (SELECT ((pr.project_no + p.organisation_id) %% 10) AS k) m
    CROSS JOIN LATERAL (SELECT (10000 + (pr.project_no * 137 + p.organisation_id * 31) %% 990000)::numeric(14,2) AS amount) b""",
    """INSERT INTO disbursement (execution_id, paid_on, amount, created_at)
    SELECT e.id, d.paid_on, CASE WHEN d.first THEN round(e.contract_amount * 0.6, 2)
                                 ELSE e.contract_amount - round(e.contract_amount * 0.6, 2) END, now()
    FROM project_execution e
    CROSS JOIN (VALUES (DATE '2025-01-10', true), (DATE '2025-05-10', false)) AS d(paid_on, first)
    WHERE e.status IN ('completed', 'carried_over')""",
    """INSERT INTO disbursement (execution_id, paid_on, amount, created_at)
    SELECT e.id, DATE '2025-03-01', round(e.contract_amount * 0.5, 2), now()
    FROM project_execution e WHERE e.status = 'disbursing'""",
    """INSERT INTO budget_transfer (execution_id, kind, amount, date, created_at)
    SELECT e.id, CASE WHEN e.project_no %% 2 = 0 THEN 'transfer_in' ELSE 'transfer_out' END,
           CASE WHEN e.project_no %% 2 = 0 THEN 5000.00 ELSE 1000.00 END, DATE '2024-12-01', now()
    FROM project_execution e WHERE e.project_no %% 7 = 0 AND e.status <> 'cancelled'""",
    # Revisions on a third of the plans; evaluation reports for half the LAOs (the province page reads both).
    """INSERT INTO revision (plan_id, organisation_id, route, base_version, year_be, label, sequence,
        status, workflow_name, workflow_version, version, created_at, updated_at)
    SELECT p.id, p.organisation_id, 'regular', 1, 2567, 'เพิ่มเติม', 1,
           CASE WHEN p.id %% 2 = 0 THEN 'announced' ELSE 'committee_review' END, 'revision', 1, 1, now(), now()
    FROM plan p WHERE p.id %% 3 = 0 AND p.current_version = 1""",
    """INSERT INTO evaluation_report (organisation_id, plan_id, fiscal_year_be, round, status,
        workflow_name, workflow_version, version, created_at, updated_at)
    SELECT p.organisation_id, p.id, %(year)s, r, 'drafting', 'evaluation', 1, 1, now(), now()
    FROM plan p CROSS JOIN (VALUES ('april'), ('october')) AS rounds(r) WHERE p.id %% 2 = 0""",
]
BIG_TABLES = (
    "plan",
    "lao_strategy",
    "lao_strategy_link",
    "project_record",
    "project_link",
    "project_execution",
    "disbursement",
    "budget_transfer",
    "revision",
    "evaluation_report",
    "organisation",
)


def read_laos(path: Path) -> list[dict]:
    """Every row of DLA's registry (plain or gzipped CSV)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def conninfo_of(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# -- the build -------------------------------------------------------------------------------------
def migrations_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(
        str(Path(__file__).resolve().parents[1] / "eplan_flow" / "migrations")
    ).get_current_head()


def already_built(conninfo: str, n_laos: int, n_projects: int) -> bool:
    """Whether the database holds this build: schema at head, every LAO, their projects, the rollups."""
    with psycopg.connect(conninfo) as conn:
        try:
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except psycopg.errors.UndefinedTable:
            return False
        if not version or version[0] != migrations_head():
            return False
        found = conn.execute(
            """SELECT (SELECT count(*) FROM organisation WHERE kind = 'lao'),
                      (SELECT count(*) FROM project_record),
                      (SELECT max(project_no) FROM project_record),
                      (SELECT count(*) FROM oversight_figures),
                      (SELECT count(*) FROM user_account WHERE username = %s)""",
            (DLA_USER,),
        ).fetchone()
    if found is None:
        return False
    laos, records, top, figures, dla = found
    return (
        laos == n_laos and top == n_projects and records == n_laos * n_projects and figures > 0 and dla == 1
    )


def build(app, conninfo: str, rows: list[dict], n_projects: int) -> dict[str, float]:
    """Migrate from scratch, import the LAOs, bulk-load the country, build the rollups; seconds per part."""
    from werkzeug.security import generate_password_hash

    from eplan_flow.extensions import db
    from eplan_flow.models import Organisation, RoleGrant, User
    from eplan_flow.services.directory import laos_import
    from eplan_flow.services.oversight import rollups

    took: dict[str, float] = {}
    started = time.perf_counter()
    reset_schema(app)
    took["migrate"] = time.perf_counter() - started

    started = time.perf_counter()
    with app.app_context():
        report = laos_import.import_laos(None, rows)
        if report.rejected:
            raise SystemExit(f"{len(report.rejected)} LAO rows rejected: {report.rejected[:3]}")
        dla = db.session.scalar(sa.select(Organisation).where(Organisation.kind == "dla"))
        first_lao = db.session.scalar(
            sa.select(Organisation)
            .where(Organisation.kind == "lao", Organisation.province_code == PROVINCE)
            .order_by(Organisation.id)
        )
        if dla is None or first_lao is None:
            raise SystemExit("the registry import made no DLA office or no LAO in province " + PROVINCE)
        hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        admin = User(
            username=DLA_USER,
            email="dla@bench.test",
            full_name="คุณ สถ.",
            organisation_id=dla.id,
            password_hash=hashed,
        )
        planner = User(
            username=PLANNER,
            email="planner@bench.test",
            full_name="คุณ นักวิเคราะห์",
            organisation_id=first_lao.id,
            password_hash=hashed,
        )
        db.session.add_all([admin, planner])
        db.session.flush()
        db.session.add(RoleGrant(user_id=admin.id, organisation_id=dla.id, role="dla_admin"))
        add_catalogues(db.session)
        db.session.commit()
        db.session.remove()
    took["laos"] = time.perf_counter() - started

    params = {"projects": n_projects, "year": FISCAL_YEAR}
    with psycopg.connect(conninfo) as conn:
        # Replica role: ordinary triggers (the oversight change log, the foreign-key checks) stay quiet.
        conn.execute("SET session_replication_role = replica")
        for statement in LOAD_SQL:
            started = time.perf_counter()
            cursor = conn.execute(statement, params)
            table = statement.split("INTO", 1)[1].split()[0]
            took[f"insert {table}"] = took.get(f"insert {table}", 0.0) + time.perf_counter() - started
            print(
                f"  {table:<20} {cursor.rowcount:>10,} rows in {time.perf_counter() - started:6.1f}s",
                flush=True,
            )
        conn.commit()
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"VACUUM (ANALYZE) {', '.join(BIG_TABLES)}")
    took["vacuum"] = time.perf_counter() - started

    started = time.perf_counter()
    with app.app_context():
        marked = rollups.mark_all()
        refreshed = rollups.refresh_all()
        db.session.remove()
    took["rollups"] = time.perf_counter() - started
    print(f"  rollups: {marked:,} LAOs noted, {refreshed:,} refreshed in {took['rollups']:.1f}s", flush=True)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) oversight_figures, oversight_change")
    return took


# -- the numbers ---------------------------------------------------------------------------------------
def raw_numbers(conn, sql: str) -> dict[str, tuple]:
    return {
        key: (int(n), int(w), int(p), int(e), int(c), Decimal(b), Decimal(d))
        for key, n, w, p, e, c, b, d in conn.execute(sql, RAW_PARAMS)
    }


def national_numbers(board) -> dict[str, tuple]:
    return {
        r.code: (r.laos, r.with_plan, r.planned, r.executions, r.counted, r.budget, r.disbursed)
        for r in board.provinces
    }


def province_numbers(board) -> dict[str, tuple]:
    # laos and with_plan are the raw aggregate's per province; per LAO the page's plan id says it.
    return {
        r.code: (
            1,
            int(r.plan_id is not None and (r.plan_version or 0) > 0),
            r.planned,
            r.executions,
            r.counted,
            r.budget,
            r.disbursed,
        )
        for r in board.rows
    }


def user_named(username: str):
    from sqlalchemy.orm import selectinload

    from eplan_flow.extensions import db
    from eplan_flow.models import User

    return db.session.scalar(
        sa.select(User).where(User.username == username).options(selectinload(User.grants))
    )


def compare(what: str, mine: dict, raw: dict) -> int:
    if mine != raw:
        differing = sorted(k for k in mine.keys() | raw.keys() if mine.get(k) != raw.get(k))
        raise SystemExit(
            f"{what}: the service differs from the raw aggregate on {len(differing)} rows, e.g. "
            f"{[(k, mine.get(k), raw.get(k)) for k in differing[:3]]}"
        )
    return len(raw)


def check_numbers(app, conninfo: str) -> tuple[int, int, dict]:
    """rollups.national equals the raw aggregate per province; the province page per LAO."""
    from eplan_flow.extensions import db
    from eplan_flow.services.oversight import rollups
    from eplan_flow.services.oversight import status as oversight

    with app.app_context():
        dla = user_named(DLA_USER)
        nation = rollups.national(dla, FISCAL_YEAR)
        mine_national = national_numbers(nation)
        board = oversight.dashboard(dla, oversight.Filters(fiscal_year_be=FISCAL_YEAR, province=PROVINCE))
        mine_province = province_numbers(board)
        pending = nation.pending_laos
        # What is overdue is counted live on both pages: the province's row of the national table
        # gives the number its own page lists, LAO by LAO.
        overdue = {row.code: row.overdue for row in nation.provinces}
        if overdue.get(PROVINCE) != sum(row.overdue_count for row in board.rows):
            raise SystemExit(
                f"province {PROVINCE}: the national table counts {overdue.get(PROVINCE)} overdue items, "
                f"its page {sum(row.overdue_count for row in board.rows)}"
            )
        db.session.remove()
    with psycopg.connect(conninfo) as conn:
        raw_national = raw_numbers(conn, NATIONAL_RAW)
        raw_province = raw_numbers(conn, PROVINCE_RAW)
    provinces = compare("national table", mine_national, raw_national)
    laos = compare(f"province {PROVINCE}", mine_province, raw_province)
    totals = {
        k: sum(v[i] for v in raw_national.values()) for i, k in enumerate(("laos", "with_plan", "planned"))
    }
    totals["executions"] = sum(v[3] for v in raw_national.values())
    totals["pending"] = pending
    totals["overdue"] = sum(overdue.values())
    return provinces, laos, totals


# -- the rounds ------------------------------------------------------------------------------------------
def signed_in_client(app):
    client = app.test_client()
    # The app answers only at its configured address (eplan_flow/addresses.py), not the test client's localhost.
    base = app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    response = client.post("/auth/login", data={"username": DLA_USER, "password": PASSWORD}, base_url=base)
    if response.status_code != 302:
        raise SystemExit("bench sign-in failed")
    return client, base


NATIONAL_PAGE = f"/oversight/?year={FISCAL_YEAR}"
PROVINCE_PAGE = f"/oversight/?year={FISCAL_YEAR}&province={PROVINCE}"


def get(client, base: str, path: str, expect: str | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(path, base_url=base)
    took = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    if expect and expect not in response.get_data(as_text=True):
        raise SystemExit(f"{path} does not show {expect!r}")
    return took, len(response.data)


def raw(conn, sql: str) -> float:
    started = time.perf_counter()
    conn.execute(sql, RAW_PARAMS).fetchall()
    conn.commit()
    return time.perf_counter() - started


def transition_and_refresh(app) -> dict[str, float]:
    """(d) Complete one carried-over execution of the province through the engine, then refresh."""
    from eplan_flow.extensions import db
    from eplan_flow.models import ProjectExecution, RoleGrant
    from eplan_flow.services.oversight import rollups
    from eplan_flow.services.platform import engine

    with app.app_context():
        execution = db.session.execute(
            sa.select(ProjectExecution.id, ProjectExecution.organisation_id)
            .where(ProjectExecution.status == "carried_over", ProjectExecution.fiscal_year_be == FISCAL_YEAR)
            .where(
                ProjectExecution.organisation_id.in_(
                    sa.text(
                        f"(SELECT id FROM organisation WHERE province_code = '{PROVINCE}' AND kind = 'lao')"
                    )
                )
            )
            .order_by(ProjectExecution.id)
            .limit(1)
        ).one()
        planner = user_named(PLANNER)
        if not any(g.organisation_id == execution.organisation_id for g in planner.grants):
            db.session.add(
                RoleGrant(user_id=planner.id, organisation_id=execution.organisation_id, role="planner")
            )
            db.session.commit()
            planner = user_named(PLANNER)
        took = {}
        started = time.perf_counter()
        engine.fire("execution", execution.id, "complete", planner)
        took["fire"] = time.perf_counter() - started
        pending, _since = rollups.pending()
        if pending != 1:
            raise SystemExit(f"the transition noted {pending} LAOs in oversight_change, not 1")
        db.session.remove()
    return took


def refresh_now(app) -> float:
    from eplan_flow.extensions import db
    from eplan_flow.services.oversight import rollups

    with app.app_context():
        started = time.perf_counter()
        refreshed = rollups.refresh_all()
        took = time.perf_counter() - started
        if refreshed != 1:
            raise SystemExit(f"the refresh took in {refreshed} LAOs, not 1")
        db.session.remove()
    return took


def time_rounds(app, conninfo: str, repeat: int) -> dict[str, list[float]]:
    from eplan_flow.extensions import db
    from eplan_flow.services.oversight import rollups

    client, base = signed_in_client(app)
    times: dict[str, list[float]] = {
        k: []
        for k in (
            "service",
            "national",
            "national_raw",
            "province",
            "province_raw",
            "fire",
            "pending",
            "refresh",
        )
    }
    with psycopg.connect(conninfo) as conn:
        for warm in (True, *([False] * repeat)):
            took: dict[str, float] = {}
            with app.app_context():
                dla = user_named(DLA_USER)
                started = time.perf_counter()
                rollups.national(dla, FISCAL_YEAR)
                took["service"] = time.perf_counter() - started
                db.session.remove()
            took["national"], times_size_n = get(client, base, NATIONAL_PAGE, 'id="national-table"')
            took["national_raw"] = raw(conn, NATIONAL_RAW)
            took["province"], times_size_p = get(client, base, PROVINCE_PAGE)
            took["province_raw"] = raw(conn, PROVINCE_RAW)
            # (d): one transition, the national page while its LAO waits (computed live), the refresh.
            took.update(transition_and_refresh(app))
            took["pending"], _size = get(client, base, NATIONAL_PAGE, 'id="national-table"')
            took["refresh"] = refresh_now(app)
            if not warm:
                for key, value in took.items():
                    times[key].append(value)
            print(
                "  round "
                + ("(warm-up)" if warm else str(len(times["national"])))
                + ": "
                + ", ".join(f"{k} {1000 * v:.0f}" for k, v in took.items())
                + " ms",
                flush=True,
            )
    times["sizes"] = [times_size_n, times_size_p]
    return times


def profile_page(app, path: str, sort: str = "cumulative", limit: int = 30) -> str:
    client, base = signed_in_client(app)
    get(client, base, path)  # warm
    profiler = cProfile.Profile()
    profiler.enable()
    get(client, base, path)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(limit)
    return out.getvalue()


# -- (e) memory --------------------------------------------------------------------------------------------
def memory_kib() -> tuple[int, int]:
    """This process's resident memory now and at its peak, in KiB (VmRSS, VmHWM).

    Not ``getrusage``'s ``ru_maxrss``: on Linux a child started by fork and exec inherits there the
    peak of the parent it forked from (the bench's own, a few hundred MB), while VmHWM is its own.
    """
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak, peak


def rss_child(url: str, path: str) -> None:
    """In a fresh process: the app, a sign-in, then one page; print its RSS before and at the peak (JSON)."""
    app = make_bench_app(url)
    client, base = signed_in_client(app)
    before, _ = memory_kib()
    started = time.perf_counter()
    get(client, base, path)
    took = time.perf_counter() - started
    _, peak = memory_kib()
    print(json.dumps({"before_kib": before, "peak_kib": peak, "seconds": took}))


def measure_rss(url: str, path: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--rss-child", path],
        env={**os.environ, "EPLAN_BENCH_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=300, help="projects per LAO")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (median reported)")
    parser.add_argument("--rebuild", action="store_true", help="build the country again even if it is there")
    parser.add_argument("--csv", type=Path, default=LAOS_FILE, help="DLA's LAO file")
    parser.add_argument("--profile", action="store_true", help="cProfile the province page")
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    url = os.environ.get("EPLAN_BENCH_DATABASE_URL", DEFAULT_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if args.rss_child:
        rss_child(url, args.rss_child)
        return
    conninfo = conninfo_of(url)
    rows = read_laos(args.csv)
    create_database_if_missing(url)
    app = make_bench_app(url)
    shown_url = make_url(url).render_as_string(hide_password=True)
    if not args.rebuild and already_built(conninfo, len(rows), args.projects):
        print(f"reusing the country already built on {shown_url} (--rebuild to build it again)")
        with app.app_context():
            from eplan_flow.extensions import db
            from eplan_flow.services.oversight import rollups

            leftover = rollups.refresh_all()  # a change an interrupted run left behind
            db.session.remove()
        if leftover:
            print(f"  took in {leftover} LAOs changed since the last run")
    else:
        print(
            f"building the country on {shown_url}: {len(rows):,} LAOs x {args.projects} projects", flush=True
        )
        started = time.perf_counter()
        took = build(app, conninfo, rows, args.projects)
        total = time.perf_counter() - started
        print(
            f"built in {total:.0f}s: migrate {took['migrate']:.0f}s, LAOs {took['laos']:.0f}s, bulk load "
            f"{sum(v for k, v in took.items() if k.startswith('insert')):.0f}s, vacuum {took['vacuum']:.0f}s, "
            f"rollups (mark_all + refresh_all) {took['rollups']:.0f}s"
        )
    with psycopg.connect(conninfo) as conn:
        counts = conn.execute(
            """SELECT (SELECT count(*) FROM project_record), (SELECT count(*) FROM project_execution),
                      (SELECT count(*) FROM disbursement), (SELECT count(*) FROM budget_transfer),
                      (SELECT count(*) FROM oversight_figures), pg_size_pretty(pg_database_size(current_database()))"""
        ).fetchone()
    assert counts is not None
    print(
        f"data: {counts[0]:,} projects, {counts[1]:,} executions, {counts[2]:,} disbursements, "
        f"{counts[3]:,} transfers, {counts[4]:,} rollup rows; database {counts[5]}"
    )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    provinces, laos, totals = check_numbers(app, conninfo)
    print(
        f"numbers checked: rollups.national equals the raw aggregate for all {provinces} provinces "
        f"({totals['laos']:,} LAOs, {totals['planned']:,} planned, {totals['executions']:,} executions); "
        f"the page of province {PROVINCE} equals it for all {laos} LAOs; {totals['overdue']:,} overdue "
        f"items in the country, province {PROVINCE}'s as many as its page lists"
    )

    times = time_rounds(app, conninfo, args.repeat)
    size_n, size_p = times.pop("sizes")
    med = {k: 1000 * statistics.median(v) for k, v in times.items()}
    from eplan_flow.services.oversight import rollups

    freshness = rollups.REFRESH_SECONDS * 1000 + med["refresh"]
    print(f"median of {args.repeat} rounds, fiscal year {FISCAL_YEAR}:")
    print(
        f"  (a) national page, DLA (test client)     {med['national']:9.1f} ms  ({size_n / 1024:.0f} KiB of HTML)"
    )
    print(f"      rollups.national service             {med['service']:9.1f} ms")
    print(f"  (b) national raw SQL aggregate           {med['national_raw']:9.1f} ms")
    print(f"      ratio page/raw {med['national'] / med['national_raw']:.3f}  (goal <= 0.25)")
    print(
        f"  (c) province {PROVINCE} page (test client)      {med['province']:9.1f} ms  ({size_p / 1024:.0f} KiB)"
    )
    print(f"      province {PROVINCE} raw SQL aggregate       {med['province_raw']:9.1f} ms")
    print(f"      ratio page/raw {med['province'] / med['province_raw']:.2f}  (goal <= 1)")
    print(f"  (d) engine.fire('complete'), commit      {med['fire']:9.1f} ms")
    print(f"      national page with that LAO pending  {med['pending']:9.1f} ms  (computed live)")
    print(
        f"      rollups.refresh_all() of that LAO    {med['refresh']:9.1f} ms  (max {1000 * max(times['refresh']):.1f})"
    )
    print(
        f"      freshness: tick every {rollups.REFRESH_SECONDS} s + refresh = {freshness / 1000:.2f} s at most "
        f"(goal: within REFRESH_SECONDS + refresh)"
    )
    for label, path in (("national", NATIONAL_PAGE), (f"province {PROVINCE}", PROVINCE_PAGE)):
        rss = measure_rss(url, path)
        print(
            f"  (e) {label} page in a fresh process: peak RSS {rss['peak_kib'] / 1024:.0f} MB "
            f"(app + sign-in {rss['before_kib'] / 1024:.0f} MB before it; cold request "
            f"{1000 * rss['seconds']:.0f} ms) "
            f"(goal < 300 MB)"
        )
    if args.profile or med["province"] > med["province_raw"]:
        print(f"cProfile of the province page ({'asked' if args.profile else 'it missed 1x'}):")
        print(profile_page(app, PROVINCE_PAGE))


if __name__ == "__main__":
    main()

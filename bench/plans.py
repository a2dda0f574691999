"""What the ผ.01 page costs next to the raw aggregate, and what announcing a 200-item revision costs.

    python bench/plans.py [--projects 2000] [--repeat 30] [--items 200]

On PostgreSQL (EPLAN_BENCH_DATABASE_URL, default database eplan_bench_plans: another bench uses
eplan_bench; created and migrated if missing, its schema rebuilt at each run), it bulk-inserts an
announced plan of N projects, then alternates, request by request: (a) GET /plans/<id>/p01 through
the Flask test client, signed in as the LAO's planner (query, arrangement and the rendered page),
and (b) the same aggregate as one raw SQL statement through psycopg. It prints the medians and the
ratio (target: the page at most 3x the raw aggregate). Then, if the revisions service is there, it
drafts a policy-route revision of ``--items`` items (half additions, half changes) and times the
executive's approve_and_announce, which applies it as version 2. Figures only: never an assertion.
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

from bench.common import add_people, make_bench_app, reset_schema
from eplan_flow.dbutil import create_database_if_missing

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench_plans"
PASSWORD = "bench-password"
STRATEGIES, TACTICS = 6, 3

# The ผ.01 aggregate written by hand: the figures the page shows, per source, strategy and แผนงาน.
RAW_P01 = """
SELECT pr.source, s.id, s.number, s.name, c.id, c.code, c.name_th, c.position, count(*),
       count(CASE WHEN pr.budget_1 > 0 THEN 1 END), coalesce(sum(pr.budget_1), 0),
       count(CASE WHEN pr.budget_2 > 0 THEN 1 END), coalesce(sum(pr.budget_2), 0),
       count(CASE WHEN pr.budget_3 > 0 THEN 1 END), coalesce(sum(pr.budget_3), 0),
       count(CASE WHEN pr.budget_4 > 0 THEN 1 END), coalesce(sum(pr.budget_4), 0),
       count(CASE WHEN pr.budget_5 > 0 THEN 1 END), coalesce(sum(pr.budget_5), 0)
FROM project_record pr
JOIN lao_strategy s ON s.id = pr.strategy_id
JOIN catalogue_item c ON c.id = pr.programme_id
WHERE pr.plan_id = %(plan)s AND pr.valid_from <= %(version)s AND (pr.valid_to IS NULL OR pr.valid_to > %(version)s)
GROUP BY pr.source, s.id, s.number, s.name, c.id, c.code, c.name_th, c.position
ORDER BY s.number, c.position, c.code, pr.source
"""


def ensure_database(url: str) -> None:
    create_database_if_missing(url)


def plan_period_start() -> int:
    """The first year of the bench's plan: a plan in force two years, so its current fiscal year
    and the two after it are the years a revision may still touch (the rule data's
    ``earliest_year_offset``: the current fiscal year on)."""
    from eplan_flow.thaidate import fiscal_year, today_local

    return fiscal_year(today_local()) - 2


def set_up(app, n_projects: int) -> dict:
    """An announced plan of ``n_projects`` projects, bulk-inserted; returns ids and usernames."""
    from werkzeug.security import generate_password_hash

    from eplan_flow.extensions import db
    from eplan_flow.models import (
        CatalogueItem,
        District,
        LaoStrategy,
        Organisation,
        Plan,
        PlanVersion,
        ProjectRecord,
        Province,
        Tactic,
        project_link,
    )
    from eplan_flow.models._types import utcnow
    from eplan_flow.services.platform import engine

    start_be = plan_period_start()
    with app.app_context():
        db.session.add(Province(code="38", name_th="บึงกาฬ"))
        db.session.flush()
        db.session.add(District(code="3801", province_code="38", name_th="เมืองบึงกาฬ"))
        org = Organisation(
            code="6380101",
            kind="lao",
            lao_type="sao",
            name_th="หนองเลิง",
            province_code="38",
            district_code="3801",
        )
        db.session.add(org)
        db.session.flush()
        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        users = add_people(db.session, org.id, ("planner", "executive", "support_secretary"), password_hash)
        programmes = []
        for position, name in enumerate(
            (
                "บริหารงานทั่วไป",
                "รักษาความสงบภายใน",
                "การศึกษา",
                "สาธารณสุข",
                "สังคมสงเคราะห์",
                "เคหะและชุมชน",
                "สร้างความเข้มแข็งของชุมชน",
                "การศาสนา วัฒนธรรมและนันทนาการ",
                "อุตสาหกรรมและการโยธา",
                "การเกษตร",
                "การพาณิชย์",
                "งบกลาง",
            ),
            start=1,
        ):
            item = CatalogueItem(
                catalogue="budget_programme",
                scope="",
                code=f"P{position:02d}",
                name_th=f"แผนงาน{name}",
                position=position,
            )
            db.session.add(item)
            programmes.append(item)
        sdgs = [
            CatalogueItem(catalogue="sdg", scope="", code=f"SDG{i}", name_th=f"เป้าหมายที่ {i}", position=i)
            for i in range(1, 18)
        ]
        db.session.add_all(sdgs)
        plan = Plan(
            organisation_id=org.id,
            title=f"แผนพัฒนาท้องถิ่น (พ.ศ. {start_be}–{start_be + 4}) อบต.หนองเลิง",
            period_start_be=start_be,
            period_end_be=start_be + 4,
        )
        engine.start(plan, users["planner"])
        plan.status, plan.current_version, plan.announced_at = "announced", 1, utcnow()
        strategies = []
        for number in range(1, STRATEGIES + 1):
            strategy = LaoStrategy(plan_id=plan.id, number=number, name=f"ยุทธศาสตร์ที่ {number}")
            for t in range(1, TACTICS + 1):
                strategy.tactics.append(Tactic(number=t, name=f"กลยุทธ์ที่ {number}.{t}"))
            db.session.add(strategy)
            strategies.append(strategy)
        db.session.flush()
        db.session.add(PlanVersion(plan_id=plan.id, number=1))
        sources = ("own", "own", "own", "community", "beyond_capacity", "equipment")
        rows = []
        for no in range(1, n_projects + 1):
            strategy = strategies[no % STRATEGIES]
            source = sources[no % len(sources)]
            rows.append(
                {
                    "plan_id": plan.id,
                    "project_no": no,
                    "valid_from": 1,
                    "valid_to": None,
                    "revision_id": None,
                    "strategy_id": strategy.id,
                    "tactic_id": strategy.tactics[no % TACTICS].id,
                    "programme_id": programmes[no % len(programmes)].id,
                    "source": source,
                    "name": f"โครงการที่ {no}",
                    "objective": f"วัตถุประสงค์ของโครงการที่ {no}",
                    "target": f"เป้าหมายของโครงการที่ {no}",
                    "kpi": "ร้อยละ 80",
                    "expected_result": "ประชาชนได้รับประโยชน์",
                    "responsible_unit": "กองช่าง",
                    "equipment_category": "ครุภัณฑ์สำนักงาน" if source == "equipment" else None,
                    "equipment_type": "คอมพิวเตอร์" if source == "equipment" else None,
                    "unit": "เครื่อง" if source == "equipment" else None,
                    **{
                        f"budget_{i}": (
                            Decimal(no * 137 + i * 1000) / 100 if (no + i) % 3 else Decimal("0.00")
                        )
                        for i in range(1, 6)
                    },
                    "created_at": utcnow(),
                }
            )
        ids = db.session.scalars(
            sa.insert(ProjectRecord.__table__).returning(
                ProjectRecord.__table__.c.id, sort_by_parameter_order=True
            ),
            rows,
        ).all()
        db.session.execute(
            sa.insert(project_link),
            [{"record_id": record_id, "item_id": sdgs[i % len(sdgs)].id} for i, record_id in enumerate(ids)],
        )
        db.session.commit()
        result = {
            "plan_id": plan.id,
            "strategy_id": strategies[0].id,
            "tactic_id": strategies[0].tactics[0].id,
            "programme_id": programmes[0].id,
            "users": {role: u.id for role, u in users.items()},
        }
        db.session.remove()
        return result


def time_p01(app, conninfo: str, plan_id: int, repeat: int) -> tuple[list[float], list[float], int]:
    client = app.test_client()
    # The app answers only at its configured address (eplan_flow/addresses.py), not the test client's localhost.
    base = app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    response = client.post(
        "/auth/login", data={"username": "bench_planner", "password": PASSWORD}, base_url=base
    )
    if response.status_code != 302:
        raise SystemExit("bench sign-in failed")
    page_times, raw_times = [], []
    size = 0
    with psycopg.connect(conninfo) as conn:
        for warm in (True, *([False] * repeat)):
            started = time.perf_counter()
            response = client.get(f"/plans/{plan_id}/p01", base_url=base)
            page = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"the ผ.01 page answered {response.status_code}")
            size = len(response.data)
            started = time.perf_counter()
            with conn.cursor() as cur:
                cur.execute(RAW_P01, {"plan": plan_id, "version": 1})
                cur.fetchall()
            conn.commit()
            raw = time.perf_counter() - started
            if not warm:
                page_times.append(page)
                raw_times.append(raw)
    return page_times, raw_times, size


def time_service(app, plan_id: int, repeat: int) -> list[float]:
    from eplan_flow.extensions import db
    from eplan_flow.services.planning import reports

    times = []
    with app.app_context():
        for _ in range(repeat):
            started = time.perf_counter()
            reports.p01_summary(plan_id, 1)
            times.append(time.perf_counter() - started)
            db.session.remove()
    return times


def time_revision(app, ids: dict, n_items: int) -> None:
    try:
        from eplan_flow.services.planning import revisions
    except ImportError:
        print(
            "revision of 200 items: not available yet (eplan_flow/services/planning/revisions.py is missing)"
        )
        return
    if not all(hasattr(revisions, name) for name in ("open_revision", "add_addition", "add_change")):
        print("revision announce: not available yet (the revisions service has no announce path)")
        return
    from eplan_flow.extensions import db
    from eplan_flow.models import Revision, User
    from eplan_flow.services.platform import engine
    from eplan_flow.thaidate import fiscal_year, today_local

    # Revisions touch the current fiscal year on (the plan's third year, see plan_period_start).
    this_year = fiscal_year(today_local())
    with app.app_context():
        planner = db.session.get(User, ids["users"]["planner"])
        executive = db.session.get(User, ids["users"]["executive"])
        started = time.perf_counter()
        # As the revisions page opens one: a policy-route revision names its clause 22/2 basis and
        # the letter's number and date, which it needs before it is submitted.
        revision = revisions.open_revision(
            planner,
            ids["plan_id"],
            route="policy",
            reasons="นโยบายรัฐบาล",
            necessity="เร่งด่วน",
            policy_basis="government_policy",
            policy_letter_no="มท 0810.2/ว 1234",
            policy_letter_date=today_local(),
        )
        revision_id = revision.id
        additions = n_items // 2
        for i in range(additions):
            revisions.add_addition(
                planner,
                revision_id,
                {
                    "name": f"โครงการตามนโยบาย {i + 1}",
                    "objective": "ตามนโยบาย",
                    "target": "1 แห่ง",
                    "responsible_unit": "สำนักปลัด",
                    "strategy_id": ids["strategy_id"],
                    "tactic_id": ids["tactic_id"],
                    "programme_id": ids["programme_id"],
                    "source": "own",
                    "budgets": {this_year: f"{1000 + i}.25"},
                },
                reason="นโยบายรัฐบาล",
            )
        for no in range(1, n_items - additions + 1):
            revisions.add_change(
                planner,
                revision_id,
                no,
                {"budgets": {this_year + 1: f"{2000 + no}.75"}},
                reason="ปรับงบประมาณตามนโยบาย",
            )
        engine.fire("revision", revision_id, "submit", planner)
        status = db.session.get_one(Revision, revision_id).status
        print(
            f"drafted a policy-route revision of {n_items} items in {time.perf_counter() - started:.1f}s "
            f"(now {status})"
        )
        if status != "executive_review":
            print("revision announce: the revision did not reach the executive; not timed")
            return
        started = time.perf_counter()
        engine.fire("revision", revision_id, "approve_and_announce", executive)
        elapsed = time.perf_counter() - started
        revision = db.session.get_one(Revision, revision_id)
        print(
            f"announce a revision of {n_items} items (applies it as version {revision.result_version}): "
            f"{1000 * elapsed:.1f} ms"
        )
        db.session.remove()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per path (median reported)")
    parser.add_argument("--items", type=int, default=200, help="items of the revision announced")
    args = parser.parse_args(argv)

    url = os.environ.get("EPLAN_BENCH_DATABASE_URL", DEFAULT_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    ensure_database(url)
    app = make_bench_app(url)
    reset_schema(app)
    started = time.perf_counter()
    ids = set_up(app, args.projects)
    print(
        f"set up a plan of {args.projects} projects in {time.perf_counter() - started:.1f}s on "
        f"{make_url(url).render_as_string(hide_password=True)}"
    )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    page, raw, size = time_p01(app, conninfo, ids["plan_id"], args.repeat)
    service = time_service(app, ids["plan_id"], args.repeat)
    page_ms, raw_ms = 1000 * statistics.median(page), 1000 * statistics.median(raw)
    print(f"median of {args.repeat} requests:")
    print(f"  ผ.01 page (test client, signed in)  {page_ms:8.2f} ms  ({size / 1024:.0f} KiB of HTML)")
    print(f"  p01_summary service alone          {1000 * statistics.median(service):8.2f} ms")
    print(f"  raw SQL aggregate (psycopg)        {raw_ms:8.2f} ms")
    print(f"  ratio page/raw {page_ms / raw_ms:.2f} (target <= 3.0)")
    time_revision(app, ids, args.items)


if __name__ == "__main__":
    main()

"""What the workflow engine costs per transition, next to the same work as raw SQL.

    python bench/engine.py [--n 2000] [--rounds 3] [--profile [engine|engine_fresh]]

On PostgreSQL (EPLAN_BENCH_DATABASE_URL, default database eplan_bench, created and migrated if
missing; its tables are emptied at each run), it sets up plans in bulk, then alternates, round by
round: (a) ``engine.fire`` of one transition on each of N plans (the actor loaded once, and again
with the actor loaded per transition as a request loads it: the Flask-Login user loader's live
sign-in check, the user and their grants), and (b) the same work through the psycopg driver: per
transition, in one transaction, lock the row, check the civic forum's meeting is on record (the
plan definition's entry action), update status and version, read the chain's signed head, insert
the audit event (HMAC'd in Python the same way), sign the new head and insert the outbox row,
commit. It prints the median of the rounds and both ratios to raw SQL. Figures only: never a
timed assertion.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import hmac
import io
import json
import os
import pstats
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# ``python bench/engine.py`` puts bench/ first on sys.path, where bench/http.py would shadow the
# standard library's ``http``: the repository's root takes its place.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Json
from sqlalchemy.engine import make_url

from bench.common import make_bench_app

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench"
TRIGGER, FROM_STATE, TO_STATE = "submit_to_committee", "drafting", "committee_review"
LAOS = 50
WARM_UP = 100


@dataclass
class BenchPlan:
    id: int
    organisation_id: int
    actor_id: int
    # The actor's e-Plan sign-in session id (the cookie's), for loading them as a request does.
    session_id: str = ""


def ensure_database(url: str) -> None:
    from eplan_flow.dbutil import create_database_if_missing

    create_database_if_missing(url)


def reset_schema(app) -> None:
    from flask_migrate import upgrade

    from eplan_flow.extensions import db

    with app.app_context():
        upgrade()
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            # The audit tables refuse TRUNCATE through their triggers; replica mode skips them here.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def set_up_plans(app, count: int) -> list[BenchPlan]:
    """Bulk-insert ``count`` plans in drafting (with their "create" audit events) over LAOS LAOs."""
    from eplan_flow.extensions import db
    from eplan_flow.models import (
        AuditCheckpoint,
        AuditEvent,
        CivicForumMeeting,
        District,
        Organisation,
        Plan,
        Province,
        RoleGrant,
        User,
    )
    from eplan_flow.models._types import utcnow
    from eplan_flow.services.identity import sessions
    from eplan_flow.services.platform import audit
    from workflows import REGISTRY

    definition = REGISTRY.get(Plan.WORKFLOW)
    with app.app_context():
        db.session.add(Province(code="38", name_th="บึงกาฬ"))
        db.session.flush()
        db.session.add(District(code="3801", province_code="38", name_th="เมืองบึงกาฬ"))
        db.session.flush()
        planners = []
        for n in range(LAOS):
            org = Organisation(
                code=f"6380{n + 1:03d}",
                kind="lao",
                lao_type="sao",
                name_th=f"อบต.ทดสอบ {n + 1}",
                province_code="38",
                district_code="3801",
            )
            db.session.add(org)
            db.session.flush()
            user = User(
                username=f"bench_planner_{n + 1}", full_name=f"นักวิเคราะห์ {n + 1}", organisation_id=org.id
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(RoleGrant(user_id=user.id, organisation_id=org.id, role="planner"))
            planners.append((org.id, user.id))
        now = utcnow()
        rows: list[dict[str, Any]] = []
        for i in range(count):
            org_id, _ = planners[i % LAOS]
            start = 2566 + 5 * (i // LAOS)
            rows.append(
                {
                    "organisation_id": org_id,
                    "title": f"แผนพัฒนาท้องถิ่น ({start}-{start + 4}) #{i}",
                    "period_start_be": start,
                    "period_end_be": start + 4,
                    "status": definition.initial,
                    "workflow_name": definition.name,
                    "workflow_version": definition.version,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        ids = (
            db.session.execute(sa.insert(Plan).returning(Plan.id, sort_by_parameter_order=True), rows)
            .scalars()
            .all()
        )
        events, heads = [], []
        for plan_id, row in zip(ids, rows):
            event = AuditEvent(
                chain=f"{definition.name}:{plan_id}",
                seq=1,
                occurred_at=now,
                actor_id=dict(planners)[row["organisation_id"]],
                organisation_id=row["organisation_id"],
                action="create",
                workflow=definition.name,
                workflow_version=definition.version,
                to_state=definition.initial,
                data={},
                prev_hash=audit.GENESIS,
                hash_version=audit.HMAC_SHA256,
            )
            event.hash = audit.compute_hash(event)
            events.append(
                {c.key: getattr(event, c.key) for c in AuditEvent.__table__.columns if c.key != "id"}
            )
            heads.append(
                {
                    "chain": event.chain,
                    "seq": 1,
                    "head_hash": event.hash,
                    "mac": audit.checkpoint_mac(event.chain, 1, event.hash),
                }
            )
        db.session.execute(sa.insert(AuditEvent), events)
        db.session.execute(sa.insert(AuditCheckpoint), heads)
        # The current plan definition refuses to leave drafting before the civic forum has met.
        meeting = {"meeting_date": date(2025, 1, 15), "place": "ศาลาประชาคม", "attendees": 120}
        db.session.execute(
            sa.insert(CivicForumMeeting),
            [{"plan_id": pid, **meeting, "resolution": "เห็นชอบ", "recorded_at": now} for pid in ids],
        )
        audit.register_chains(len(heads))
        db.session.commit()
        # One live e-Plan sign-in per planner, as the login seam checks at each request.
        session_of = {user_id: sessions.start(user_id, sessions.EPLAN) for _, user_id in planners}
        actor_of = dict(planners)
        return [
            BenchPlan(
                pid,
                row["organisation_id"],
                actor_of[row["organisation_id"]],
                session_of[actor_of[row["organisation_id"]]],
            )
            for pid, row in zip(ids, rows)
        ]


def run_engine(
    app, plans: list[BenchPlan], *, fresh_actor: bool = False, profiler: cProfile.Profile | None = None
) -> tuple[float, float]:
    """(a) One ``engine.fire`` per plan; return the seconds taken, wall clock and this process's CPU.

    By default each actor is loaded once with its grants, as the login seam hands a request its
    user; with ``fresh_actor`` it is loaded for every transition as a new request loads it: the
    Flask-Login user loader's check of the live sign-in session, which loads the user and grants.
    """
    from sqlalchemy.orm import selectinload

    from eplan_flow.extensions import db
    from eplan_flow.models import User
    from eplan_flow.services.identity import sessions
    from eplan_flow.services.platform import engine

    with app.app_context():
        actors = {u.id: u for u in db.session.scalars(sa.select(User).options(selectinload(User.grants)))}
        # Detached, so the engine's commit does not expire them.
        db.session.expunge_all()
        if profiler:
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time()
        for plan in plans:
            if fresh_actor:
                actor = sessions.live_user(sessions.EPLAN, plan.session_id, plan.actor_id)
                if actor is None:
                    raise SystemExit(f"the sign-in of user {plan.actor_id} is not live")
            else:
                actor = actors[plan.actor_id]
            engine.fire("plan", plan.id, TRIGGER, actor, expected_version=1)
        elapsed = time.perf_counter() - started, time.process_time() - cpu
        if profiler:
            profiler.disable()
        db.session.remove()
    return elapsed


RAW_LOCK = "SELECT status, version FROM plan WHERE id = %s FOR UPDATE"
RAW_FORUM = "SELECT 1 FROM civic_forum_meeting WHERE plan_id = %s"
RAW_UPDATE = "UPDATE plan SET status = %s, version = %s, updated_at = %s WHERE id = %s AND version = %s"
RAW_LAST = "SELECT seq, head_hash FROM audit_checkpoint WHERE chain = %s"
RAW_AUDIT = (
    "INSERT INTO audit_event (chain, seq, occurred_at, actor_id, organisation_id, action, workflow,"
    " workflow_version, from_state, to_state, comment, request_id, data, prev_hash, hash, hash_version)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 2) RETURNING id"
)
RAW_HEAD = "UPDATE audit_checkpoint SET seq = %s, head_hash = %s, mac = %s WHERE chain = %s AND seq = %s"
RAW_OUTBOX = (
    "INSERT INTO outbox_message (created_at, queue, job, kwargs, state, attempts)"
    " VALUES (%s, 'notifications', 'notify_next_actors', %s, 'pending', 0)"
)


def _fetched(cur) -> tuple:
    """The row a statement that always answers one has answered."""
    row = cur.fetchone()
    if row is None:
        raise SystemExit("a statement that answers one row answered none")
    return row


def run_raw(conninfo: str, plans: list[BenchPlan], key: bytes) -> tuple[float, float]:
    """(b) The same row update, audit insert, signed head and outbox insert through the driver."""
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        started, cpu = time.perf_counter(), time.process_time()
        for plan in plans:
            cur.execute(RAW_LOCK, (plan.id,))
            status, version = _fetched(cur)
            cur.execute(RAW_FORUM, (plan.id,))
            if cur.fetchone() is None:
                raise SystemExit(f"plan {plan.id} has no civic forum meeting")
            now = datetime.now(UTC)
            cur.execute(RAW_UPDATE, (TO_STATE, version + 1, now, plan.id, version))
            chain = f"plan:{plan.id}"
            cur.execute(RAW_LAST, (chain,))
            seq, prev_hash = _fetched(cur)
            body = {
                "chain": chain,
                "seq": seq + 1,
                "occurred_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "actor_id": plan.actor_id,
                "organisation_id": plan.organisation_id,
                "action": TRIGGER,
                "workflow": "plan",
                "workflow_version": 1,
                "from_state": status,
                "to_state": TO_STATE,
                "comment": None,
                "request_id": None,
                "data": {},
                "prev_hash": prev_hash,
            }
            digest = hmac.new(
                key,
                json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(),
                hashlib.sha256,
            ).hexdigest()
            cur.execute(
                RAW_AUDIT,
                (
                    chain,
                    seq + 1,
                    now,
                    plan.actor_id,
                    plan.organisation_id,
                    TRIGGER,
                    "plan",
                    1,
                    status,
                    TO_STATE,
                    None,
                    None,
                    Json({}),
                    prev_hash,
                    digest,
                ),
            )
            (event_id,) = _fetched(cur)
            mac = hmac.new(key, f"checkpoint\x00{chain}\x00{seq + 1}\x00{digest}".encode(), hashlib.sha256)
            cur.execute(RAW_HEAD, (seq + 1, digest, mac.hexdigest(), chain, seq))
            cur.execute(RAW_OUTBOX, (now, Json({"audit_event_id": event_id})))
            conn.commit()
        return time.perf_counter() - started, time.process_time() - cpu


def check(app, expected_moves: int) -> str:
    """Both paths must have done the same thing: every chain verifies, one outbox row per move."""
    from eplan_flow.extensions import db
    from eplan_flow.models import OutboxMessage, Plan
    from eplan_flow.services.platform import audit

    with app.app_context():
        checked, breaks = audit.verify_chains()
        moved = db.session.scalar(sa.select(sa.func.count()).select_from(Plan).where(Plan.status == TO_STATE))
        messages = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
        db.session.remove()
    if breaks or moved != expected_moves or messages != expected_moves:
        raise SystemExit(
            f"mismatch: breaks={breaks[:3]} moved={moved} outbox={messages} expected={expected_moves}"
        )
    return f"{checked} audit events verify, {moved} plans moved, {messages} outbox rows"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="transitions per path per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median reported)")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="engine",
        choices=("engine", "engine_fresh"),
        help="cProfile one engine path (default: the actor in hand), print the top",
    )
    args = parser.parse_args(argv)

    url = os.environ.get("EPLAN_BENCH_DATABASE_URL", DEFAULT_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    ensure_database(url)
    app = make_bench_app(url)
    reset_schema(app)
    from eplan_flow.services.platform import audit

    key = audit.audit_key(app)

    paths = ("engine", "engine_fresh", "raw")
    warm = min(WARM_UP, args.n)
    total = len(paths) * (warm + args.n * args.rounds)
    started = time.perf_counter()
    plans = set_up_plans(app, total)
    print(
        f"set up {total} plans in {time.perf_counter() - started:.1f}s on "
        f"{make_url(url).render_as_string(hide_password=True)}"
    )
    print(
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
        "(a busy machine inflates both paths, the engine's more: it spends more CPU per transition)"
    )
    print(
        "engine path: engine.fire with REDIS_URL=None and OUTBOX_RELAY_ON_COMMIT=False "
        "(the outbox row is written; Redis is not part of the measure)"
    )
    batches = iter(
        [plans[i : i + warm] for i in range(0, len(paths) * warm, warm)]
        + [plans[i : i + args.n] for i in range(len(paths) * warm, total, args.n)]
    )
    profiler = cProfile.Profile() if args.profile else None
    runners = {
        "engine": lambda batch, prof=None: run_engine(
            app, batch, profiler=prof if args.profile == "engine" else None
        ),
        "engine_fresh": lambda batch, prof=None: run_engine(
            app, batch, fresh_actor=True, profiler=prof if args.profile == "engine_fresh" else None
        ),
        "raw": lambda batch, prof=None: run_raw(conninfo, batch, key),
    }
    for path in paths:  # warm-up, not counted: compiled-statement caches, prepared statements
        runners[path](next(batches))

    times: dict[str, list[float]] = {path: [] for path in paths}
    cpu: dict[str, list[float]] = {path: [] for path in paths}
    for round_no in range(1, args.rounds + 1):
        # Rotate the order, so no path always meets a warmer (or busier) database.
        shift = (round_no - 1) % len(paths)
        for path in paths[shift:] + paths[:shift]:
            wall, used = runners[path](next(batches), profiler)
            times[path].append(wall)
            cpu[path].append(used)
        e, f, r = (times[p][-1] for p in paths)
        print(
            f"round {round_no}: engine {1000 * e / args.n:6.3f} ms  engine+actor reload "
            f"{1000 * f / args.n:6.3f} ms  raw SQL {1000 * r / args.n:6.3f} ms  "
            f"ratios {e / r:.2f} / {f / r:.2f}"
        )

    median = {path: statistics.median(times[path]) for path in paths}
    median_cpu = {path: statistics.median(cpu[path]) for path in paths}
    labels = {
        "engine": "engine.fire (actor in hand)",
        "engine_fresh": "engine.fire + request's actor",
        "raw": "raw SQL (psycopg)",
    }
    print(f"median of {args.rounds} rounds, {args.n} transitions each:")
    for path in paths:
        print(
            f"  {labels[path]:<28} {args.n / median[path]:7.0f} transitions/s  "
            f"{1000 * median[path] / args.n:6.3f} ms/transition  "
            f"(client CPU {1000 * median_cpu[path] / args.n:6.3f} ms)"
        )
    print(
        f"  ratio engine/raw, actor in hand {median['engine'] / median['raw']:.2f} (target <= 1.7); "
        f"actor loaded as a request loads it {median['engine_fresh'] / median['raw']:.2f} (target <= 2.5)"
    )
    print("check: " + check(app, total))
    if profiler:
        out = io.StringIO()
        sort = os.environ.get("BENCH_PROFILE_SORT", "cumulative")
        pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(40)
        print(out.getvalue())


if __name__ == "__main__":
    main()

"""Issue 9 item 4: tampering with the audit trail in PostgreSQL, as a superuser would.

Each attack is made directly in the database (triggers disabled where the attacker needs it), then
``flask eplan verify-audit`` runs through Flask's CLI runner: it must exit non-zero and name the
chain. What the database itself refuses (TRUNCATE, a checkpoint moved back) is checked too, and
the least-privilege roles of ``scripts/db-roles.sql`` are created and used for real.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from eplan_flow.config import InsecureConfiguration
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditCheckpoint, AuditEvent
from eplan_flow.services.platform import audit, engine
from tests import factories
from tests.conftest import DATABASE_URL, PRODUCTION_CONFIG, make_app
from tests.factories.fire import meeting_for

ROLES_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "db-roles.sql"
STEPS = [
    ("submit_to_committee", "planner", None),
    ("return_for_revision", "devcom_secretary", "ขาดโครงการจากประชาคม"),
    ("submit_to_committee", "support_secretary", None),
    ("endorse", "devcom_secretary", None),
]


@pytest.fixture
def trail(world, db):
    """Two plans' chains: the victim (five events) and a bystander (two), all committed."""
    victim = factories.plan(world.sao_a, world.planner)
    for trigger, who, comment in STEPS:
        engine.fire(
            "plan", victim.id, trigger, getattr(world, who), comment=comment, data=meeting_for(trigger)
        )
    bystander = factories.plan(world.town_b, world.town_planner)
    engine.fire("plan", bystander.id, "submit_to_committee", world.town_planner)
    chain = f"plan:{victim.id}"
    events = db.session.execute(
        sa.select(*AuditEvent.__table__.c).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
    ).all()
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    db.session.rollback()  # the attacker's ALTER TABLE must not wait on the test's transaction
    return SimpleNamespace(
        chain=chain,
        events=[e._asdict() for e in events],
        ids=[e.id for e in events],
        bystander=f"plan:{bystander.id}",
    )


def as_superuser(*statements: str, **params) -> None:
    """Run ``statements`` in one transaction on the test database's superuser connection.

    Each takes the parameters it names (a statement that names none gets none).
    """
    with _db.engine.begin() as conn:
        for statement in statements:
            clause = sa.text(statement)
            conn.execute(clause, {k: v for k, v in params.items() if k in clause.compile().params})


def behind_the_trigger(*statements: str, **params) -> None:
    """What a superuser does to change audit events: disable the trigger, change, re-enable."""
    as_superuser(
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        *statements,
        "ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only",
        **params,
    )


def verify_audit(app):
    result = app.test_cli_runner().invoke(args=["eplan", "verify-audit"])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def assert_only_broken(result, chain: str, *words: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("BROKEN")]
    assert len(lines) == 1 and lines[0].startswith(f"BROKEN chain {chain}: "), result.output
    for word in words:
        assert word in lines[0], lines[0]
    assert "1 chain(s) broken" in result.output


def test_the_untouched_trail_verifies(app, trail):
    result = verify_audit(app)
    assert result.exit_code == 0, result.output
    assert "7 events in 2 chains verified" in result.output


@pytest.mark.real_commits
def test_an_edited_payload_is_named(app, trail):
    behind_the_trigger(
        "UPDATE audit_event SET data = CAST(:data AS json) WHERE id = :id",
        data='{"meeting_date": "2026-01-01", "resolution": "ปลอม"}',
        id=trail.ids[4],
    )
    assert_only_broken(verify_audit(app), trail.chain, f"event id {trail.ids[4]}", "altered")


@pytest.mark.real_commits
def test_an_edited_actor_is_named(app, trail, world):
    behind_the_trigger(
        "UPDATE audit_event SET actor_id = :actor WHERE id = :id", actor=world.executive.id, id=trail.ids[2]
    )
    assert_only_broken(verify_audit(app), trail.chain, f"event id {trail.ids[2]}", "altered")


@pytest.mark.real_commits
def test_a_deleted_middle_event_is_named(app, trail):
    behind_the_trigger("DELETE FROM audit_event WHERE id = :id", id=trail.ids[2])
    assert_only_broken(verify_audit(app), trail.chain, f"event id {trail.ids[3]}", "missing")


@pytest.mark.real_commits
def test_a_deleted_last_event_is_named(app, trail):
    behind_the_trigger("DELETE FROM audit_event WHERE id = :id", id=trail.ids[4])
    assert_only_broken(verify_audit(app), trail.chain, "ends at seq 4", "seq 5", "deleted")


@pytest.mark.real_commits
def test_a_deleted_last_event_stays_visible_after_the_app_writes_on(app, db, trail, world):
    behind_the_trigger("DELETE FROM audit_event WHERE id = :id", id=trail.ids[4])
    engine.fire(
        "plan",
        int(trail.chain.split(":")[1]),
        "approve_by_council",
        world.council_secretary,
        data=meeting_for("approve_by_council"),
    )
    db.session.rollback()
    assert [e.seq for e in audit.history(trail.chain)] == [1, 2, 3, 4, 6]
    assert_only_broken(verify_audit(app), trail.chain, "follows seq 4", "missing")


@pytest.mark.real_commits
def test_a_deleted_last_event_with_its_checkpoint_moved_back_is_named(app, trail):
    # The attacker also rolls the checkpoint back to the event before; without the key the old
    # signature cannot be remade.
    as_superuser(
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        "ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_forward_only",
        "DELETE FROM audit_event WHERE id = :id",
        "UPDATE audit_checkpoint SET seq = 4, head_hash = :head WHERE chain = :chain",
        "ALTER TABLE audit_checkpoint ENABLE TRIGGER audit_checkpoint_forward_only",
        "ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only",
        id=trail.ids[4],
        head=trail.events[3]["hash"],
        chain=trail.chain,
    )
    assert_only_broken(verify_audit(app), trail.chain, "signature")


def _recompute(event, method: str) -> str:
    if method == "hmac_with_a_wrong_key":
        return audit.compute_hash(event, key=b"the attacker's guess at the key")
    return hashlib.sha256(audit._canonical(event)).hexdigest()


@pytest.mark.parametrize(
    "method, label",
    [
        ("plain_sha256", audit.HMAC_SHA256),  # the old, unkeyed chain
        ("plain_sha256", audit.LEGACY_SHA256),  # and passed off as written before keyed chains
        ("hmac_with_a_wrong_key", audit.HMAC_SHA256),
    ],
)
@pytest.mark.parametrize("forge_checkpoint", [False, True])
@pytest.mark.real_commits
def test_a_recomputed_chain_is_named(app, db, trail, world, method, label, forge_checkpoint):
    rows = db.session.execute(
        sa.select(*AuditEvent.__table__.c).where(AuditEvent.chain == trail.chain).order_by(AuditEvent.seq)
    ).all()
    db.session.rollback()
    statements, params, prev = [], {}, audit.GENESIS
    for n, row in enumerate(rows):
        event = SimpleNamespace(**row._asdict())
        if event.seq == 2:
            event.actor_id = world.executive.id  # the lie the recomputation is meant to cover
        event.prev_hash, event.hash_version = prev, audit.HMAC_SHA256
        prev = _recompute(event, method)
        statements.append(
            f"UPDATE audit_event SET actor_id = :actor{n}, prev_hash = :prev{n}, hash = :hash{n},"
            f" hash_version = :version WHERE id = :id{n}"
        )
        params.update(
            {f"actor{n}": event.actor_id, f"prev{n}": event.prev_hash, f"hash{n}": prev, f"id{n}": event.id}
        )
    if forge_checkpoint:
        # Allowed by the database (same seq): only the signature can give it away.
        message = f"checkpoint\x00{trail.chain}\x005\x00{prev}".encode()
        statements.append("UPDATE audit_checkpoint SET head_hash = :head, mac = :mac WHERE chain = :chain")
        params.update(head=prev, mac=hashlib.sha256(message).hexdigest(), chain=trail.chain)
    behind_the_trigger(*statements, version=label, **params)

    result = verify_audit(app)
    if label == audit.LEGACY_SHA256:
        # Every event checks out as plain SHA-256: the signed head is what gives it away.
        assert_only_broken(result, trail.chain, "signature" if forge_checkpoint else "rewritten")
    else:
        assert_only_broken(result, trail.chain, f"event id {trail.ids[0]}", "altered")


@pytest.mark.real_commits
def test_a_table_emptied_by_a_superuser_names_every_chain(app, db, trail):
    as_superuser(
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate",
        "TRUNCATE audit_event CASCADE",
        "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate",
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
    result = verify_audit(app)
    assert result.exit_code == 1
    for chain in (trail.chain, trail.bystander):
        assert f"BROKEN chain {chain}: has a signed checkpoint at seq" in result.output
    assert "no events" in result.output
    assert "2 chain(s) broken" in result.output


@pytest.mark.real_commits
def test_a_chain_deleted_with_its_checkpoint_is_caught_by_the_registry(app, trail):
    as_superuser(
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        "ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_forward_only",
        "DELETE FROM audit_event WHERE chain = :chain",
        "DELETE FROM audit_checkpoint WHERE chain = :chain",
        "ALTER TABLE audit_checkpoint ENABLE TRIGGER audit_checkpoint_forward_only",
        "ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only",
        chain=trail.bystander,
    )
    # The chain's name is gone with it; the registry still counts it.
    assert_only_broken(verify_audit(app), "(registry)", "2 chains were registered but only 1")


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit_event CASCADE",
        "TRUNCATE audit_checkpoint",
        "DELETE FROM audit_checkpoint WHERE chain = :chain",
        "UPDATE audit_checkpoint SET seq = 4 WHERE chain = :chain",
        "UPDATE audit_checkpoint SET chain = 'plan:0' WHERE chain = :chain",
    ],
)
@pytest.mark.real_commits
def test_the_database_refuses_to_empty_the_trail_or_move_a_checkpoint_back(app, db, trail, statement):
    before = db.session.execute(sa.select(AuditCheckpoint.chain, AuditCheckpoint.seq)).all()
    db.session.rollback()
    with pytest.raises(sa.exc.DBAPIError, match="append-only|only moves forward"):
        as_superuser(statement, chain=trail.chain)
    assert db.session.execute(sa.select(AuditCheckpoint.chain, AuditCheckpoint.seq)).all() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 7
    assert verify_audit(app).exit_code == 0


@pytest.mark.real_commits
def test_an_event_forged_onto_a_chain_without_the_key_is_named(app, db, trail):
    forged = SimpleNamespace(**trail.events[-1])
    forged.seq, forged.prev_hash, forged.comment = 6, forged.hash, "อนุมัติแล้ว"
    forged.hash = _recompute(forged, "plain_sha256")
    columns = [c.key for c in AuditEvent.__table__.columns if c.key not in ("id", "data")]
    as_superuser(
        f"INSERT INTO audit_event ({', '.join(columns)}, data)"
        f" VALUES ({', '.join(':' + c for c in columns)}, CAST('{{}}' AS json))",
        **{c: getattr(forged, c) for c in columns},
    )
    assert_only_broken(verify_audit(app), trail.chain, "seq 6", "altered")


def test_production_refuses_to_start_without_its_own_audit_key():
    with pytest.raises(InsecureConfiguration, match="EPLAN_AUDIT_KEY is not set"):
        make_app(**{**PRODUCTION_CONFIG, "AUDIT_KEY": None})
    with pytest.raises(InsecureConfiguration, match="EPLAN_AUDIT_KEY must differ"):
        make_app(**{**PRODUCTION_CONFIG, "AUDIT_KEY": PRODUCTION_CONFIG["SECRET_KEY"]})


# -- The least-privilege roles ---------------------------------------------------------------


@pytest.fixture
def roles_database(_schema):
    """A fresh database migrated by an owner role; the app connects as the app role.

    Roles are cluster-wide, so theirs are named after the test database (parallel runs on other
    databases do not collide); the script's own names are replaced to match.
    """
    base = make_url(DATABASE_URL)
    name = f"{base.database}_roles"
    owner, app_role = f"{base.database}_owner", f"{base.database}_app"
    script = ROLES_SCRIPT.read_text().replace("eplan_owner", owner).replace("eplan_app", app_role)
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    superuser = sa.create_engine(base.set(database=name), poolclass=sa.pool.NullPool)

    def drop_all():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in (app_role, owner):
                conn.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))

    def run_script():
        # Through the driver as psql would send it: one script, no placeholders.
        with superuser.connect() as conn:
            driver = conn.connection.driver_connection
            driver.execute(script)
            driver.commit()

    drop_all()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        run_script()
        migrator = make_app(
            DATABASE_URL=base.set(database=name, username=app_role).render_as_string(False),
            MIGRATION_DATABASE_URL=base.set(database=name, username=owner).render_as_string(False),
        )
        with migrator.app_context():
            upgrade()
            _db.engine.dispose()
        run_script()
        yield SimpleNamespace(
            app=make_app(DATABASE_URL=base.set(database=name, username=app_role).render_as_string(False)),
            superuser=superuser,
            owner=owner,
            app_role=app_role,
        )
    finally:
        superuser.dispose()
        drop_all()
        admin.dispose()


def test_the_app_role_appends_to_the_trail_but_cannot_change_empty_or_restructure_it(roles_database):
    app = roles_database.app
    with roles_database.superuser.connect() as conn:
        owners = (
            conn.execute(sa.text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"))
            .scalars()
            .all()
        )
        attributes = conn.execute(
            sa.text("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = :r"),
            {"r": roles_database.app_role},
        ).one()
    assert owners == [roles_database.owner]  # the migrations ran as the owner
    assert tuple(attributes) == (False, False, False)

    with app.app_context():
        assert _db.session.scalar(sa.text("SELECT current_user")) == roles_database.app_role
        for n in range(3):
            audit.append("user:1", "login", data={"n": n})
            _db.session.commit()
        assert audit.verify_chains() == (3, [])

        refused = [
            "UPDATE audit_event SET comment = 'x'",
            "DELETE FROM audit_event",
            "TRUNCATE audit_event CASCADE",
            "DELETE FROM audit_checkpoint",
            "TRUNCATE audit_checkpoint",
            "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
            "CREATE TABLE shadow (id int)",
            "DROP TABLE audit_checkpoint",
            "UPDATE alembic_version SET version_num = '0001_foundation'",
        ]
        for statement in refused:
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"):
                _db.session.execute(sa.text(statement))
            _db.session.rollback()
        assert audit.verify_chains() == (3, [])
        assert [e.seq for e in audit.history("user:1")] == [1, 2, 3]
        _db.session.remove()
        _db.engine.dispose()

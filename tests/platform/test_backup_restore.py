"""Backups are tested by restoring them: scripts/backup.sh, then scripts/restore.sh into another database.

The restore target is the test database's name with ``_restore`` (eplan_test_restore beside
eplan_test), emptied before each test. The restored copy must hold every row of every table and its
audit chains must verify with the same key, as the README's "Deployment" section tells operators to
check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from eplan_flow.dbutil import create_database_if_missing
from eplan_flow.services.platform import engine
from tests import factories
from tests.conftest import DATABASE_URL, TEST_CONFIG

pytestmark = pytest.mark.real_commits

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
RESTORE_URL = (
    make_url(DATABASE_URL)
    .set(database=f"{make_url(DATABASE_URL).database}_restore")
    .render_as_string(hide_password=False)
)


def eplan(*args: str) -> list[str]:
    """``eplan ARGS``, the console script of this venv."""
    return [str(VENV_BIN / "eplan"), *args]


def environment(database_url: str) -> dict[str, str]:
    """The app's settings for a command on ``database_url``, with the tests' keys."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EPLAN_", "FLASK_"))}
    env.update(
        {
            "EPLAN_ENV": "test",
            "EPLAN_DATABASE_URL": database_url,
            "EPLAN_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        }
    )
    return env


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def row_counts(url: str, tables: list[str]) -> dict[str, int]:
    counted = sa.create_engine(url)
    try:
        with counted.connect() as conn:
            return {
                name: conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in tables
            }
    finally:
        counted.dispose()


@pytest.fixture
def empty_restore_database():
    """The restore target, created when missing and emptied (it is the tests' own scratch database)."""
    create_database_if_missing(RESTORE_URL)
    target = sa.create_engine(RESTORE_URL)
    try:
        with target.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        target.dispose()
    return RESTORE_URL


@pytest.fixture
def backup_of_a_working_database(db, world, tmp_path, _schema):
    """A database with plans moved along their workflow (audit chains, outbox rows), backed up."""
    for n in range(3):
        plan = factories.plan(world.sao_a, world.planner, period_start_be=2561 + 5 * n)
        engine.fire("plan", plan.id, "submit_to_committee", world.planner, comment="พร้อมเสนอ")
    db.session.commit()
    db.session.remove()
    backup = run(
        ["sh", str(REPO / "scripts" / "backup.sh"), str(tmp_path / "backups")], environment(DATABASE_URL)
    )
    assert backup.returncode == 0, backup.stderr
    return Path(backup.stdout.strip().splitlines()[-1])


def test_a_backup_restores_into_an_empty_database_with_every_row_and_verifiable_audit_chains(
    backup_of_a_working_database, empty_restore_database, _schema
):
    archive = backup_of_a_working_database
    assert archive.name.startswith("eplan-") and archive.suffix == ".dump"
    assert Path(f"{archive}.sha256").exists()

    restored = run(
        ["sh", str(REPO / "scripts" / "restore.sh"), str(archive), empty_restore_database],
        environment(DATABASE_URL),
    )

    assert restored.returncode == 0, restored.stderr
    source_counts = row_counts(DATABASE_URL, _schema)
    assert row_counts(empty_restore_database, _schema) == source_counts
    assert source_counts["audit_event"] > 0 and source_counts["plan"] == 3
    source_check = run(eplan("verify-audit"), environment(DATABASE_URL))
    restored_check = run(eplan("verify-audit"), environment(empty_restore_database))
    assert restored_check.returncode == 0, restored_check.stdout + restored_check.stderr
    assert restored_check.stdout.splitlines()[-1] == source_check.stdout.splitlines()[-1]
    assert "verified" in restored_check.stdout


def test_restore_refuses_a_database_that_already_has_tables(backup_of_a_working_database, _schema):
    # The test database itself: never overwritten by a restore aimed at it by mistake.
    before = row_counts(DATABASE_URL, ["plan", "audit_event"])

    refused = run(
        ["sh", str(REPO / "scripts" / "restore.sh"), str(backup_of_a_working_database), DATABASE_URL],
        environment(DATABASE_URL),
    )

    assert refused.returncode == 1
    assert "already has" in refused.stderr and "empty database" in refused.stderr
    assert row_counts(DATABASE_URL, ["plan", "audit_event"]) == before

"""The suite's own isolation (tests/isolation.py): every test starts from empty tables, a commit under
savepoint isolation is seen as a real one is, and what savepoints cannot reproduce is refused."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, Organisation
from tests import factories


def organisations(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Organisation))


@pytest.mark.parametrize(
    "turn",
    [
        "savepoints, first",
        "savepoints, second",
        pytest.param("real commits, first", marks=pytest.mark.real_commits),
        pytest.param("real commits, second", marks=pytest.mark.real_commits),
        "savepoints, after real commits",
    ],
)
def test_each_test_starts_with_empty_tables_and_numbers_its_first_row_one(db, turn):
    assert organisations(db) == 0
    assert factories.office("dla", "กรมส่งเสริมการปกครองท้องถิ่น").id == 1


def test_what_a_request_committed_stays_when_the_tests_own_session_rolls_back(world, db, client):
    assert db.session.get(
        Organisation, world.sao_a.id
    )  # the test's session has read: its transaction is open
    client.post("/auth/login", data={"username": "a_planner", "password": "pw"})
    db.session.rollback()
    logins = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login")
    assert db.session.scalar(logins) == 1


@pytest.mark.real_commits
def test_a_real_commits_test_commits_where_another_connection_sees_it(db):
    factories.office("dla", "กรมส่งเสริมการปกครองท้องถิ่น")
    with _db.engine.connect() as other:
        assert other.scalar(select(func.count()).select_from(Organisation)) == 1


def test_another_connection_under_savepoints_is_refused_naming_the_marker(db, _isolation):
    with pytest.raises(RuntimeError, match="real_commits"):
        _db.engine.connect()
    assert _isolation.problems == ["another connection to the test database was opened"]
    _isolation.problems.clear()  # seen and expected here: the test itself passes


def test_a_session_in_another_thread_under_savepoints_is_refused_naming_the_marker(app, _isolation):
    refusals = []

    def work():
        try:
            with app.app_context():  # its teardown opens a session too, refused the same way
                _db.session.execute(text("SELECT 1"))
        except RuntimeError as refusal:
            refusals.append(str(refusal))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert len(refusals) == 1 and "real_commits" in refusals[0]
    assert _isolation.problems
    _isolation.problems.clear()

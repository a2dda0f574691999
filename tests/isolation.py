"""How each test gets empty tables: one outer transaction rolled back, or real commits truncated.

Savepoint isolation (the default for tests on the database): the test's first app opens one
connection and begins a transaction on it; every Session any app context makes during the test
is bound to that connection and joins it with a SAVEPOINT (``join_transaction_mode=
"create_savepoint"``). A service's commit releases its savepoint, so what it wrote is seen by every
later session (the next request, a job run in this process), as a real commit would be; the
session events (``after_commit``, ``after_transaction_end``) fire as in production, so the outbox
relays after the "commit" and forgets its ids on a rollback. At teardown the outer transaction
rolls back: no TRUNCATE, no new engine per test.

One connection cannot do all a real database does, so the suite watches for what savepoints do not
reproduce, and fails the test with a hint (mark it ``@pytest.mark.real_commits``):

- a session or statement from another thread or process (a live server, a race between threads,
  a forked worker): one connection cannot serve two at once;
- another connection to the test database (``db.engine.connect()``, a subprocess): it would not
  see the test's rows and could wait on its locks;
- a session rolling back over what another session committed inside its savepoint (a real rollback
  keeps the other's commit), then anything reading on; transactions ending out of order;
- a session starting while another holds uncommitted writes (a real one would not see them).

Tests marked ``real_commits`` (and every test using a live server) commit for real; afterwards the
tables they filled are truncated. Either way every test starts with empty tables, sequences at 1
and an empty Redis database.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable

import pytest
import redis
import sqlalchemy as sa
from flask import Flask, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from eplan_flow.extensions import db as _db

MARKER = "real_commits"
# Fixtures that serve the app from other threads: a test using one commits for real.
REAL_COMMIT_FIXTURES = frozenset({"make_live_server", "live_server"})

_WROTE = "tests_isolation_wrote"  # the session wrote since its savepoint began
_FOREIGN = "tests_isolation_foreign_commit"  # another session committed inside its savepoint
_ROOT_COMMIT = "tests_isolation_root_commit"
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "ALTER", "CREATE", "DROP", "LOCK")

_current: Isolation | None = None


class Isolation:
    """The isolation of one test; ``adopt`` is called for every app the test makes."""

    def __init__(self, *, real_commits: bool, tables: Iterable[str], cleaner: Cleaner, redis_url: str):
        self.real_commits = real_commits
        self.tables = list(tables)
        self.cleaner = cleaner
        self.redis_url = redis_url
        self.apps: list[Flask] = []
        self.connection: sa.Connection | None = None
        self.transaction: sa.RootTransaction | None = None
        self.open_sessions: list[Session] = []  # sessions holding a savepoint, innermost last
        self.problems: list[str] = []
        self.undone: str | None = None
        self.thread = threading.get_ident()
        self.pid = os.getpid()
        self._factory_saved: tuple | None = None

    # -- set-up --------------------------------------------------------------------------------

    def adopt(self, app: Flask) -> None:
        """Share the test's connection with ``app`` (the first app opens it)."""
        self.apps.append(app)
        if self.real_commits or self.connection is not None:
            return
        if make_url(app.config["SQLALCHEMY_DATABASE_URI"]) != self.cleaner.engine.url:
            return  # an app on another database (a fresh SQLite file) keeps its own engine
        with app.app_context():
            engine = _db.engine
        _quiet_savepoints(engine.dialect)
        self.connection = engine.connect()
        # Closed for good at teardown, whatever the test does to its app's pool (dispose).
        self.connection.detach()
        self.transaction = self.connection.begin()
        event.listen(self.connection, "before_cursor_execute", self._before_statement)
        factory = _db.session.session_factory
        self._factory_saved = (factory.class_, dict(factory.kw))
        factory.class_ = _shared_session_class(factory.class_)
        factory.kw.update(bind=self.connection, join_transaction_mode="create_savepoint")

    @property
    def shares_a_connection(self) -> bool:
        return self.connection is not None

    # -- what the events report ----------------------------------------------------------------

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    def check_caller(self, what: str) -> None:
        if os.getpid() != self.pid:
            self.problem(f"{what} in another process (pid {os.getpid()})")
            raise RuntimeError(f"{what} in another process under savepoint isolation; mark the test {MARKER}")
        if threading.get_ident() != self.thread:
            self.problem(f"{what} in another thread ({threading.current_thread().name})")
            raise RuntimeError(f"{what} in another thread under savepoint isolation; mark the test {MARKER}")

    def began(self, session: Session) -> None:
        self.check_caller("a database session began")
        for other in self.open_sessions:
            if other.info.get(_WROTE):
                self.problem("a session began while another held uncommitted writes, which it could read")
        self.open_sessions.append(session)

    def committed(self, session: Session) -> None:
        if session not in self.open_sessions:
            return
        session.info[_ROOT_COMMIT] = True
        for other in self.open_sessions[: self.open_sessions.index(session)]:
            other.info[_FOREIGN] = True

    def ended(self, session: Session) -> None:
        if session not in self.open_sessions:
            return
        if self.open_sessions[-1] is not session:
            self.problem("a session's transaction ended while a later session's was still open")
        self.open_sessions.remove(session)
        committed = session.info.pop(_ROOT_COMMIT, False)
        foreign = session.info.pop(_FOREIGN, False)
        session.info.pop(_WROTE, None)
        if foreign and not committed:
            self.undone = (
                "a session rolled back over what another session had committed meanwhile, "
                "and the test read on"
            )

    def _before_statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.check_caller("a statement ran")
        if self.undone:
            self.problem(self.undone)
        if self.open_sessions and statement.lstrip()[:8].upper().startswith(_WRITES):
            self.open_sessions[-1].info[_WROTE] = True

    def end_clean_transaction(self, session: Session) -> None:
        """End ``session``'s transaction if it only read (a request is about to run in its own).

        In production the test's session and the request's are two connections: the request's
        commit stays whatever the test's session does next. Here the request would run inside the
        test session's savepoint, so that savepoint ends first; one that holds writes stays (and a
        request then reading them is reported).
        """
        if session not in self.open_sessions or session.info.get(_WROTE):
            return
        if session.new or session.dirty or session.deleted:
            return
        session.rollback()

    # -- teardown -------------------------------------------------------------------------------

    def finish(self) -> list[str]:
        """Undo the test's writes; return the problems seen (empty when savepoints sufficed)."""
        if self._factory_saved is not None:
            factory = _db.session.session_factory
            factory.class_, factory.kw = self._factory_saved[0], self._factory_saved[1]
        connection, self.connection = self.connection, None
        if connection is not None:
            event.remove(connection, "before_cursor_execute", self._before_statement)
            try:
                self.transaction.rollback()
            finally:
                connection.close()
        for app in self.apps:
            with app.app_context():
                _db.session.remove()
                _db.engine.dispose()
        filled = self.cleaner.clean(self.tables)
        if filled and not self.real_commits:
            self.problem("rows were committed outside the shared connection: " + ", ".join(sorted(filled)))
        client = redis.Redis.from_url(self.redis_url)
        try:
            client.flushdb()
        finally:
            client.close()
        return self.problems


class Cleaner:
    """Empties the tables a test filled and restarts the sequences it used, on a connection of its own."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url)
        self.database = make_url(url).database

    def clean(self, tables: list[str]) -> list[str]:
        """Truncate the non-empty ``tables``; restart used sequences; return the truncated names."""
        quote = self.engine.dialect.identifier_preparer.quote
        which = " UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {quote(name)})" for name in tables
        )
        with self.engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '20s'")  # a leaked transaction fails, not hangs
            filled = list(conn.exec_driver_sql(which).scalars())
            if filled:
                # Replica mode skips ordinary triggers for this transaction only: the audit tables
                # refuse TRUNCATE (migration 0009), but tests start from empty tables.
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                conn.exec_driver_sql(f"TRUNCATE {', '.join(quote(name) for name in filled)} CASCADE")
            conn.exec_driver_sql(RESTART_USED_SEQUENCES)
        return filled

    def dispose(self) -> None:
        self.engine.dispose()


# Sequences are not transactional: a rolled-back insert still used its number. Restarting them
# keeps ids starting at 1 in every test, as TRUNCATE ... RESTART IDENTITY did.
RESTART_USED_SEQUENCES = """
DO $$
DECLARE s record;
BEGIN
  FOR s IN SELECT schemaname, sequencename FROM pg_sequences
           WHERE schemaname = current_schema() AND last_value IS NOT NULL LOOP
    PERFORM setval(quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename), 1, false);
  END LOOP;
END $$
"""


def start(isolation: Isolation) -> None:
    global _current
    _current = isolation


def stop() -> None:
    global _current
    _current = None


def current() -> Isolation | None:
    return _current


def adopt(app: Flask) -> None:
    """Bind ``app``'s sessions to the running test's isolation (no-op outside database tests)."""
    if _current is not None:
        _current.adopt(app)


def before_request() -> None:
    """Called by the test client before each request (see ``Isolation.end_clean_transaction``)."""
    if _current is None or not _current.shares_a_connection or not has_app_context():
        return
    if _db.session.registry.has():
        _current.end_clean_transaction(_db.session())


# -- the session class and the events --------------------------------------------------------------

_shared_classes: dict[type, type] = {}


def _shared_session_class(base: type) -> type:
    """``base`` (Flask-SQLAlchemy's Session) bound to the shared connection whatever the model."""
    if base in _shared_classes.values():
        return base
    if base not in _shared_classes:

        def __init__(self, *args, **kwargs):
            if _current is not None:
                _current.check_caller("a database session was opened")
            base.__init__(self, *args, **kwargs)

        def get_bind(self, *args, **kwargs):
            # The current app's engine, unless it is the test database: then the shared connection.
            engine = base.get_bind(self, *args, **kwargs)
            return self.bind if engine.url == self.bind.engine.url else engine

        cls = type("SharedConnectionSession", (base,), {"__init__": __init__, "get_bind": get_bind})
        event.listen(cls, "after_begin", _after_begin)
        event.listen(cls, "after_commit", _after_commit)
        event.listen(cls, "after_transaction_end", _after_transaction_end)
        _shared_classes[base] = cls
    return _shared_classes[base]


def _after_begin(session, transaction, connection) -> None:
    if _current is not None and transaction.parent is None and not transaction.nested:
        _current.began(session)


def _after_commit(session) -> None:
    if _current is not None and session.get_nested_transaction() is None:
        _current.committed(session)


def _after_transaction_end(session, transaction) -> None:
    if _current is not None and transaction.parent is None and not transaction.nested:
        _current.ended(session)


def _quiet_savepoints(dialect) -> None:
    """Send SAVEPOINT, RELEASE and ROLLBACK TO straight to the driver, as BEGIN and COMMIT are.

    Tests that count the statements a service runs (``before_cursor_execute``) then count what
    they would count in production, where a commit is no statement at all.
    """
    if getattr(dialect, "_tests_quiet_savepoints", False):
        return
    quote = dialect.identifier_preparer.quote

    def run(connection, sql: str) -> None:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    dialect.do_savepoint = lambda connection, name: run(connection, f"SAVEPOINT {quote(name)}")
    dialect.do_release_savepoint = lambda connection, name: run(
        connection, f"RELEASE SAVEPOINT {quote(name)}"
    )
    dialect.do_rollback_to_savepoint = lambda connection, name: run(
        connection, f"ROLLBACK TO SAVEPOINT {quote(name)}"
    )
    dialect._tests_quiet_savepoints = True


@event.listens_for(Pool, "checkout")
def _refuse_other_connections(dbapi_connection, connection_record, connection_proxy) -> None:
    """Under savepoint isolation the test's one connection is already checked out: any other
    connection to the test database would not see its rows."""
    iso = _current
    if iso is None or not iso.shares_a_connection:
        return
    info = getattr(dbapi_connection, "info", None)
    if getattr(info, "dbname", None) != iso.cleaner.database:
        return
    iso.problem("another connection to the test database was opened")
    raise RuntimeError(
        f"another connection to the test database under savepoint isolation; mark the test {MARKER}"
    )


def wants_real_commits(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker(MARKER) is not None or bool(
        REAL_COMMIT_FIXTURES.intersection(request.fixturenames)
    )

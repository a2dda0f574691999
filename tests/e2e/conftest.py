"""The journey server and the browser for the end-to-end journeys (tests/e2e/test_journeys.py).

The server is the app as ``make run`` serves it, in its own process: ``flask --app wsgi eplan
setup`` (migrations and demo data), then ``flask run`` on 127.0.0.1 at a port that is not 5000, with
EPLAN_BASE_URL naming that address, no Redis (jobs in-process) and no other EPLAN_* setting but the
database: an SQLite file in a fresh directory (``make run`` keeps the same file under instance/), or
a fresh PostgreSQL database made and dropped here.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import DATABASE_URL

ROOT = Path(__file__).resolve().parents[2]
# Written by every run for a reviewer to look at; never committed (.gitignore).
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# Ports for these servers: never 5000, so the journeys also prove another address signs in.
PORTS = range(
    int(os.environ.get("EPLAN_E2E_PORT_FROM", "5280")), int(os.environ.get("EPLAN_E2E_PORT_TO", "5300"))
)
JOURNEY_DATABASE_PREFIX = "eplan_e2e_journey_"


@dataclass
class JourneyServer:
    """A running app: its root URL, its database (for what the user reads in their mailbox)."""

    kind: str
    url: str
    database_url: str
    log: Path

    def emails_to(self, address: str, *, at_least: int = 1, timeout: float = 10) -> list[str]:
        """The bodies of the mail kept for ``address`` (no MAIL_SERVER: the email_message table),
        waiting for ``at_least`` of them: the app sends after its commit."""
        engine = sa.create_engine(self.database_url)
        deadline = time.monotonic() + timeout
        try:
            while True:
                with engine.connect() as conn:
                    rows = conn.execute(
                        sa.text("SELECT body FROM email_message WHERE to_address = :to ORDER BY id"),
                        {"to": address},
                    )
                    bodies = [row.body for row in rows]
                if len(bodies) >= at_least or time.monotonic() > deadline:
                    return bodies
                time.sleep(0.2)
        finally:
            engine.dispose()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


_claimed_ports: set[int] = set()
_ports_lock = threading.Lock()


def _free_port() -> int:
    with _ports_lock:
        for port in PORTS:
            if port in _claimed_ports:
                continue
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _claimed_ports.add(port)
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def _environment(base_url: str, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EPLAN_", "FLASK_"))}
    env.update(
        EPLAN_BASE_URL=base_url,
        EPLAN_DATABASE_URL=database_url,
        # The one setting beyond ``make run``'s: a dozen demo people sign in from this one address
        # within a minute, past the SSO's guard against password guessing (10 a minute an address).
        EPLAN_SSO_LOGIN_RATE_LIMIT="600 per minute",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer at {url} within {timeout}s:\n{log.read_text()[-3000:]}")


@contextmanager
def _serve(kind: str, database_url: str, workdir: Path) -> Iterator[JourneyServer]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _environment(base, database_url)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    log = workdir / "server.log"
    with log.open("w") as out:
        setup = subprocess.run(
            [*flask, "eplan", "setup"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        if setup.returncode:
            raise RuntimeError(f"eplan setup failed ({setup.returncode}):\n{log.read_text()[-3000:]}")
        process = subprocess.Popen(
            [*flask, "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(base, process, log)
        yield JourneyServer(kind=kind, url=base, database_url=database_url, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _sqlite_server(workdir: Path) -> Iterator[JourneyServer]:
    with _serve("sqlite", f"sqlite:///{workdir / 'eplan.sqlite3'}", workdir) as server:
        yield server


@contextmanager
def _postgresql_server(workdir: Path) -> Iterator[JourneyServer]:
    name = f"{JOURNEY_DATABASE_PREFIX}{uuid.uuid4().hex[:10]}"
    server_url = make_url(DATABASE_URL).set(database="postgres")
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(DATABASE_URL).set(database=name).render_as_string(hide_password=False)
            with _serve("postgresql", url, workdir) as server:
                yield server
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


SERVERS = {"sqlite": _sqlite_server, "postgresql": _postgresql_server}


@pytest.fixture(scope="module")
def _journey_servers(request, tmp_path_factory):
    """Every server the module's tests ask for, set up side by side (setup is most of their cost)."""
    kinds = sorted(
        {
            item.callspec.params["journey_server"]
            for item in request.session.items
            if item.module is request.module
            and hasattr(item, "callspec")
            and "journey_server" in item.callspec.params
        }
    ) or sorted(SERVERS)
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        managers = {kind: SERVERS[kind](tmp_path_factory.mktemp(f"journey-{kind}")) for kind in kinds}
        started = {kind: pool.submit(manager.__enter__) for kind, manager in managers.items()}
        servers, failures = {}, []
        for kind, future in started.items():
            try:
                servers[kind] = future.result()
            except Exception as exc:
                failures.append(exc)
            else:
                stack.push(managers[kind].__exit__)
        if failures:
            raise failures[0]
        yield servers


@pytest.fixture(scope="module", params=sorted(SERVERS, reverse=True))
def journey_server(request, _journey_servers):
    """The app served as ``make run`` does, on SQLite and on a fresh PostgreSQL database."""
    return _journey_servers[request.param]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep what each open page showed when a journey failed (test-artifacts/failures/)."""
    report = yield
    if report.when == "call" and report.failed and "chromium" in item.fixturenames:
        browser = item.funcargs.get("chromium")
        folder = ROOT / "test-artifacts" / "failures" / re.sub(r"[^\w.-]+", "_", item.name)
        folder.mkdir(parents=True, exist_ok=True)
        for n, page in enumerate(p for context in browser.contexts for p in context.pages):
            try:
                page.screenshot(path=str(folder / f"page{n}.png"), full_page=True)
                (folder / f"page{n}.html").write_text(f"<!-- {page.url} -->\n{page.content()}")
            except Exception as exc:  # a closed page: keep what we can of the others
                (folder / f"page{n}.txt").write_text(repr(exc))
    return report


@pytest.fixture
def fresh_page(chromium):
    """``fresh_page(javascript=True)``: a page in a browser nobody has signed in with yet."""
    from tests.e2e.journey import new_page

    contexts = []

    def _make(*, javascript: bool = True):
        page = new_page(chromium, javascript=javascript)
        contexts.append(page.context)
        return page

    yield _make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def _signed_in(journey_server, chromium):
    contexts: dict = {}
    yield contexts
    for context in contexts.values():
        context.close()


@pytest.fixture
def people(journey_server, chromium, _signed_in):
    """``people("planner")``: that demo person's browser, signed in once per server (as a person
    keeps their session), opened at their home page; the page is closed after the test."""
    from tests.e2e.journey import new_page, sign_in

    pages = []

    def _open(username: str):
        context = _signed_in.get(username)
        if context is None:
            page = new_page(chromium)
            sign_in(page, journey_server, username)
            _signed_in[username] = page.context
        else:
            page = context.new_page()
            page.goto(journey_server.url + "/")
        pages.append(page)
        return page

    yield _open
    for page in pages:
        page.close()

"""Fixtures for the job tests: extra apps on the same database, and a private Redis to stop."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest
import redis

from eplan_flow.extensions import db as _db
from eplan_flow.services.platform import queues
from tests.conftest import make_app


@pytest.fixture
def make_jobs_app(app):
    """Build more apps on the test database (other Redis URLs, in-process jobs); clean them up.

    Build them before any app context is pushed (Flask-Admin's set-up asks Babel for a locale).
    """
    built = []

    def _make(**overrides):
        other = make_app(**overrides)
        built.append(other)
        return other

    yield _make
    for other in built:
        queues.drain_in_process(other)
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()
        conn = other.extensions.get("eplan_redis")
        if conn is not None:
            conn.close()


class PrivateRedis:
    """A redis-server of our own on a free port, so a test can stop it without hurting anyone."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.exceptions.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()

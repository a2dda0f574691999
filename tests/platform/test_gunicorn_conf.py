"""gunicorn's settings (eplan_flow/gunicorn_conf.py): read from the environment, and its hooks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from eplan_flow import gunicorn_conf

VENV_BIN = Path(sys.executable).parent


def printed_settings(**env: str) -> dict[str, str]:
    """The settings gunicorn resolves from the config module (``--print-config``), by name."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("EPLAN_", "PROMETHEUS_"))}
    printed = subprocess.run(
        [
            str(VENV_BIN / "gunicorn"),
            "-c",
            "python:eplan_flow.gunicorn_conf",
            "--print-config",
            "eplan_flow.wsgi:app",
        ],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    settings = {}
    for line in printed.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            settings[name.strip()] = value.strip()
    return settings


def test_the_default_worker_count_is_two_per_core_plus_one_and_at_most_eight():
    assert [gunicorn_conf.default_workers(cores) for cores in (1, 2, 3, 4, 64)] == [3, 5, 7, 8, 8]


def test_the_server_listens_where_the_environment_says_with_the_workers_it_asks_for():
    settings = printed_settings(EPLAN_BIND="0.0.0.0:8123", EPLAN_WEB_CONCURRENCY="3", EPLAN_WEB_THREADS="2")

    assert settings["bind"] == "['0.0.0.0:8123']"
    assert (settings["workers"], settings["threads"], settings["worker_class"]) == ("3", "2", "gthread")
    # The app logs its own access lines; only the app's ProxyFix believes forwarded headers.
    assert (settings["accesslog"], settings["forwarded_allow_ips"]) == ("None", "[]")
    assert settings["control_socket_disable"] == "True"


def test_without_settings_it_listens_on_localhost_port_8000_with_the_default_worker_count():
    settings = printed_settings()

    assert settings["bind"] == "['127.0.0.1:8000']"
    assert settings["workers"] == str(gunicorn_conf.default_workers())
    assert settings["threads"] == "2"
    assert (settings["certfile"], settings["keyfile"]) == ("None", "None")  # HTTPS ends at the proxy


def test_without_a_proxy_in_front_it_serves_https_with_the_certificate_and_key_it_is_given(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"

    settings = printed_settings(EPLAN_CERTFILE=str(cert), EPLAN_KEYFILE=str(key))

    assert (settings["certfile"], settings["keyfile"]) == (str(cert), str(key))


def test_a_certificate_without_its_key_stops_the_server_before_it_starts(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("EPLAN_", "PROMETHEUS_"))}
    started = subprocess.run(
        [
            str(VENV_BIN / "gunicorn"),
            "-c",
            "python:eplan_flow.gunicorn_conf",
            "--check-config",
            "eplan_flow.wsgi:app",
        ],
        env={**environment, "EPLAN_CERTFILE": str(tmp_path / "cert.pem")},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert started.returncode != 0
    assert "EPLAN_CERTFILE and EPLAN_KEYFILE go together" in started.stdout + started.stderr


def test_starting_empties_the_metrics_directory_of_a_previous_run(tmp_path, monkeypatch):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_4242.db").write_bytes(b"old")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))

    gunicorn_conf.on_starting(None)

    assert list(metrics_dir.iterdir()) == []


def test_a_worker_that_exits_takes_its_live_gauges_with_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for pid in (101, 202):
        (tmp_path / f"gauge_livesum_{pid}.db").write_bytes(b"")
        (tmp_path / f"counter_{pid}.db").write_bytes(b"")

    gunicorn_conf.child_exit(None, SimpleNamespace(pid=101))

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "counter_101.db",
        "counter_202.db",
        "gauge_livesum_202.db",
    ]


def test_the_master_compiles_every_template_before_its_workers_fork(app):
    # A fresh app, as gunicorn's master has just built it: nothing compiled yet.
    app.jinja_env.cache.clear()
    server = SimpleNamespace(app=SimpleNamespace(callable=app))

    gunicorn_conf.when_ready(server)

    names = app.jinja_env.list_templates()
    assert "plans/overview.html" in names and "oversight/dashboard.html" in names
    cached = {name for _loader, name in app.jinja_env.cache}
    assert cached == set(names)


@pytest.mark.real_commits
def test_a_forked_worker_opens_its_own_database_connections(app):
    from eplan_flow.extensions import db

    with app.app_context():
        engine = db.engine
        master_pool = engine.pool
        inherited = engine.raw_connection()  # the master's, checked out (a preloaded app's probe)
        try:
            gunicorn_conf.post_fork(SimpleNamespace(app=SimpleNamespace(callable=app)), None)

            # The worker draws from a new pool; the master's connection is left open for the master.
            assert engine.pool is not master_pool
            assert inherited.dbapi_connection is not None and not inherited.dbapi_connection.closed
            with engine.connect() as own:
                assert own.connection.dbapi_connection is not inherited.dbapi_connection
        finally:
            inherited.detach()  # out of the old pool: closing it closes the connection itself
            inherited.close()
            engine.dispose()


def test_hooks_leave_a_server_without_a_preloaded_app_alone():
    # preload_app off (gunicorn --no-preload): the master has no app, the workers build their own.
    server = SimpleNamespace(app=SimpleNamespace(callable=None))
    gunicorn_conf.when_ready(server)
    gunicorn_conf.post_fork(server, None)

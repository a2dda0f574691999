"""gunicorn's settings for eplan-flow: ``gunicorn -c python:eplan_flow.gunicorn_conf eplan_flow.wsgi:app``.

Read from the environment so one image serves every size of deployment:

- ``EPLAN_BIND``: where to listen (``127.0.0.1:8000``; ``0.0.0.0:8000`` in a container).
- ``EPLAN_WEB_CONCURRENCY``: worker processes (2 × cores + 1, at most 8).
- ``EPLAN_WEB_THREADS``: threads per worker (2).
- ``EPLAN_WEB_TIMEOUT``: seconds a request may take before its worker is replaced (60).
- ``EPLAN_CERTFILE``, ``EPLAN_KEYFILE``: a PEM certificate (chain) and its key, for a deployment with
  no TLS-terminating proxy in front: gunicorn then serves HTTPS itself. Unset (the usual case, an
  HTTPS load balancer in front): plain HTTP.

Worker class: ``gthread``, not ``sync``. e-Plan signs people in through an SSO that is, by default,
this same app: the sign-in callback calls the app's own token endpoint over HTTP. A sync worker
waiting on that call holds its only slot, so with every worker in a callback nobody answers the
token requests they wait for. Threads also keep the balancer's keep-alive connections open and let
a slow PDF or a slow identity provider hold a thread, not a process. The app is thread-safe (one
database session and one app context per request; the test servers are threaded too).

The app writes its own JSON access line per request (with the request id), so gunicorn's access
log is off; gunicorn's own error log goes to stderr.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

MAX_DEFAULT_WORKERS = 8


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise SystemExit(f"{name} must be at least 1, not {number}")
    return number


def _tls_files() -> tuple[str | None, str | None]:
    certfile = os.environ.get("EPLAN_CERTFILE", "").strip() or None
    keyfile = os.environ.get("EPLAN_KEYFILE", "").strip() or None
    if bool(certfile) != bool(keyfile):
        raise SystemExit("EPLAN_CERTFILE and EPLAN_KEYFILE go together: set both (HTTPS) or neither")
    return certfile, keyfile


def _usable_cores() -> int:
    """The CPUs this process may run on (a container's cpuset), else the machine's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(cores: int | None = None) -> int:
    """gunicorn's rule of thumb, 2 × cores + 1, capped: each worker holds a whole app in memory."""
    cores = cores or _usable_cores()
    return min(2 * cores + 1, MAX_DEFAULT_WORKERS)


bind = [os.environ.get("EPLAN_BIND", "").strip() or "127.0.0.1:8000"]
workers = _int_env("EPLAN_WEB_CONCURRENCY", default_workers())
worker_class = "gthread"
# Two, not more: a page is mostly Python holding the GIL, so a worker's further threads mostly wait
# for it (and each holds a page's memory meanwhile); more processes do the work instead. The second
# thread keeps a worker answering while the first waits on the SSO's own token endpoint (see the
# module docstring). bench/http.py measures any other choice (--workers, --threads).
threads = _int_env("EPLAN_WEB_THREADS", 2)
# A request longer than this (a worker silent this long) gets its worker replaced; long work (a ผ.02
# of thousands of rows) runs as a job, so a page never needs it.
timeout = _int_env("EPLAN_WEB_TIMEOUT", 60)
# On SIGTERM, requests in flight may finish within this many seconds.
graceful_timeout = 30
keepalive = 5
# HTTPS served here only when no proxy in front terminates TLS (see the module docstring).
certfile, keyfile = _tls_files()
# Replace each worker after about a thousand requests, so a slow leak cannot grow for weeks.
max_requests = 1000
max_requests_jitter = 100
# The app is built once, in the master, and its templates compiled there (``when_ready``): each
# worker, and each replacement after ``max_requests``, forks with all of it ready instead of building
# the app and compiling every template again (about 3 s of CPU per worker on a 2-core machine).
# Building the app opens no connection; ``post_fork`` drops any pool a worker would inherit all
# the same, so no database connection is shared between processes (Redis' pools notice the fork
# themselves). A new release means restarting gunicorn, not sending it HUP.
preload_app = True
# The app's ProxyFix (EPLAN_TRUSTED_PROXIES) is the one place that trusts X-Forwarded-*;
# gunicorn trusting them too would make two settings to keep in step.
forwarded_allow_ips = ""
# The heartbeat file on tmpfs when there is one (a container's /tmp may be a slow overlay).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No control socket: it defaults to a file under $HOME, which a container's user may not have and
# which two servers on one machine would share.
control_socket_disable = True
accesslog = None
errorlog = "-"
loglevel = os.environ.get("EPLAN_GUNICORN_LOG_LEVEL", "info")
proc_name = "eplan-web"


def on_starting(server: Any) -> None:
    """Start the multiprocess metrics directory (PROMETHEUS_MULTIPROC_DIR) empty: files of a previous
    run's workers would be counted again.

    Then import the app's code, without building the app, here in the master: each worker, and each
    replacement after ``max_requests``, forks with it loaded instead of importing it again (about
    2.6 s of CPU per worker, 1.5 s of it WeasyPrint's). With ``preload_app`` gunicorn has built the
    app already when this runs; the import is then a no-op, kept for ``preload_app = False``."""
    metrics = _metrics_module()
    if metrics is not None:
        metrics.clear_multiprocess_dir()
    importlib.import_module("eplan_flow.factory")


def when_ready(server: Any) -> None:
    """Compile every template of the preloaded app into its template cache before any worker forks."""
    app = _preloaded_app(server)
    if app is not None:
        from eplan_flow.web import warm_templates

        warm_templates(app)


def post_fork(server: Any, worker: Any) -> None:
    """Forget, in the new worker, any database connection the master's app may hold: a pooled
    connection used by two processes mixes their conversations with the server. ``close=False``
    leaves the master's own connections to the master."""
    app = _preloaded_app(server)
    if app is not None:
        from eplan_flow.extensions import db

        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)


def _preloaded_app(server: Any) -> Any:
    """The Flask app gunicorn's master loaded (``preload_app``), or None."""
    from flask import Flask

    app = getattr(getattr(server, "app", None), "callable", None)
    return app if isinstance(app, Flask) else None


def child_exit(server: Any, worker: Any) -> None:
    """Tell the metrics that a worker is gone (its live gauges stop counting)."""
    metrics = _metrics_module()
    if metrics is not None:
        metrics.child_exit(server, worker)


def _metrics_module() -> Any:
    # Imported when a hook runs, not at the top: gunicorn reads this file for its settings alone
    # (``--print-config``, ``--check-config``), which need neither Flask nor prometheus_client.
    name = "eplan_flow.services.platform.metrics"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None

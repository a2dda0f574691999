"""How the app's log lines look and what they carry: the one place logging is configured.

``configure(app)`` (the app factory calls it; the RQ worker builds its app the same way) puts one
handler on the root logger, so every library's records (Flask's, Werkzeug's, RQ's, SQLAlchemy's
warnings) come out alike: one JSON object per line when ``LOG_FORMAT`` is ``"json"`` (production's
default), a plain line otherwise. Every line carries what is known where it was logged: the
request id (the one returned in ``X-Request-ID``), the signed-in person and their organisation,
the RQ job. The handler redacts citizen IDs and credentials (``eplan_flow.log_redaction``) in the
message, the traceback and every extra field. Building another app in the same process (the
tests build many) reconfigures that handler instead of adding a second one.

``init_app(app)`` adds one access line per request: method, path (never the query string),
status and duration.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler
from rq import get_current_job
from sqlalchemy import inspect as sa_inspect

from eplan_flow import log_redaction

# What each line may carry beyond time, level, logger and message, in this order.
CONTEXT_FIELDS = ("request_id", "user_id", "organisation_id", "job_id")
# Identifiers this app makes (a request id is checked on the way in, see the factory): redacting
# them would mask a hex id that happens to hold 13 digits in a row, and break the correlation.
_OWN_IDS = frozenset({"request_id", "job_id"})
# A LogRecord's own attributes; anything else on a record came as ``extra=`` and is written too.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
ACCESS_LOGGER = "eplan_flow.access"
# Libraries whose INFO lines say nothing an operator needs (transitions: two per workflow step).
QUIET_LOGGERS = ("transitions",)
_MARK = "_eplan_handler"

access_log = logging.getLogger(ACCESS_LOGGER)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (a test capturing it, a
    server that replaced it), never to a stream that has since been closed."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class RedactionFilter(logging.Filter):
    """Redact each record a handler is given: records made by the record factory already are,
    but a record rebuilt elsewhere (``logging.makeLogRecord``, a queue) is not."""

    def filter(self, record: logging.LogRecord) -> bool:
        log_redaction.redact_record(record)
        return True


class ContextFilter(logging.Filter):
    """Note on each record the request, person and job it was logged for."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in context().items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


def context() -> dict[str, object]:
    """The request id, person, organisation and job known here and now (never a database load)."""
    fields: dict[str, object] = {}
    if has_request_context():
        request_id = g.get("request_id")
        if request_id:
            fields["request_id"] = request_id
        fields.update(_person(g.get("_login_user")))
    job = get_current_job()
    if job is not None:
        fields["job_id"] = job.id
    return fields


def _person(user) -> dict[str, object]:
    # Flask-Login keeps the user it loaded for this request in g._login_user; until then nobody is
    # known here, and asking current_user would load them (a query inside a log call). Read only
    # what the row already holds: an expired attribute would be a query too.
    # Not ``user.is_authenticated``: it reads ``is_enabled``, which a commit has expired (a query
    # for every request that writes). A person loaded from the database is signed in; the anonymous
    # user is no database row.
    if user is None:
        return {}
    state = sa_inspect(user, raiseerr=False)
    if state is None:
        return {}
    fields: dict[str, object] = {}
    user_id = state.identity[0] if state.identity else state.dict.get("id")
    if user_id is not None:
        fields["user_id"] = user_id
    organisation_id = state.dict.get("organisation_id")
    if organisation_id is not None:
        fields["organisation_id"] = organisation_id
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, the context
    fields, any ``extra=`` fields, and the traceback; every text value redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and name not in entry and not name.startswith("_"):
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(
            {name: value if name in _OWN_IDS else _redacted(value) for name, value in entry.items()},
            ensure_ascii=False,
            default=str,
        )


def _redacted(value):
    if isinstance(value, str):
        return log_redaction.redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(item) for item in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return log_redaction.redact(str(value))


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT, defaults={"request_id": "-"})


def is_configured() -> bool:
    """Whether an app has given the root logger its handler in this process."""
    return any(getattr(h, _MARK, False) for h in logging.getLogger().handlers)


def configure(app: Flask) -> logging.Handler:
    """Give the root logger this app's handler (once per process) in its LOG_FORMAT and LOG_LEVEL."""
    log_redaction.install()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, _MARK, False)), None)
    if handler is None:
        handler = StderrHandler()
        setattr(handler, _MARK, True)
        handler.addFilter(RedactionFilter())
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    handler.setFormatter(formatter(app.config["LOG_FORMAT"]))
    level = app.config["LOG_LEVEL"]
    root.setLevel(level if isinstance(level, int) else str(level).upper())
    for name in QUIET_LOGGERS:
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.WARNING)
    # Flask's own handler would write app.logger's lines a second time, unformatted.
    app.logger.removeHandler(default_handler)
    return handler


def init_app(app: Flask) -> None:
    """Configure logging and write one access line per request."""
    configure(app)

    def start_clock() -> None:
        g.log_started = time.perf_counter()

    # First of all the hooks, so a request another hook answers early is timed as well.
    app.before_request_funcs.setdefault(None, []).insert(0, start_clock)

    @app.after_request
    def log_access(response: Response) -> Response:
        started = g.get("log_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        return response

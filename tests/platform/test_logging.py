"""Log lines (issue 15): one JSON object per line in production, each carrying the request id the
response returned, the signed-in person and organisation, the RQ job; never a citizen ID or a token."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import pytest

from eplan_flow import create_app, logging_setup
from eplan_flow.extensions import db as _db
from eplan_flow.jobs.worker import make_worker
from eplan_flow.services.platform import queues
from tests.conftest import TEST_CONFIG, make_app

CITIZEN_ID = "1101700203450"
BEARER_TOKEN = "epf_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0"


def our_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, logging_setup.StderrHandler)]


def json_lines(stderr: str) -> list[dict]:
    # Every line the handler wrote is one JSON object; pytest's own lines never start with "{".
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


@pytest.fixture
def json_app(app):
    served = make_app(LOG_FORMAT="json")
    # A cached app was configured when it was built; another app may have been built since.
    logging_setup.configure(served)
    yield served
    logging_setup.configure(app)  # back to the test configuration's plain lines
    with served.app_context():
        _db.engine.dispose()


def sign_in(client, user) -> None:
    response = client.post("/auth/login", data={"username": user.username, "password": "pw"})
    assert response.status_code == 302


def test_a_request_logs_one_json_access_line_with_its_request_id_and_the_signed_in_person(
    json_app, world, capsys
):
    client = json_app.test_client()
    sign_in(client, world.planner)
    capsys.readouterr()

    response = client.get("/workflows")

    lines = json_lines(capsys.readouterr().err)
    access = [line for line in lines if line["logger"] == logging_setup.ACCESS_LOGGER]
    assert len(access) == 1
    line = access[0]
    assert response.status_code == 200
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert (line["user_id"], line["organisation_id"]) == (world.planner.id, world.planner.organisation_id)
    assert (line["method"], line["path"], line["status"]) == ("GET", "/workflows", 200)
    assert line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["message"] == "GET /workflows 200"
    assert datetime.fromisoformat(line["time"]).utcoffset() == timedelta(0)
    # Every line the request wrote carries its id.
    assert all(entry["request_id"] == line["request_id"] for entry in lines if "request_id" in entry)


def test_an_anonymous_request_names_no_person_and_keeps_a_clients_request_id(json_app, world, capsys):
    response = json_app.test_client().get("/auth/login", headers={"X-Request-ID": "lb-7f3a-0042"})

    (line,) = [x for x in json_lines(capsys.readouterr().err) if x["logger"] == logging_setup.ACCESS_LOGGER]
    assert response.headers["X-Request-ID"] == line["request_id"] == "lb-7f3a-0042"
    assert "user_id" not in line and "organisation_id" not in line


def test_a_request_id_holding_a_citizen_id_is_replaced_not_logged(json_app, world, capsys):
    response = json_app.test_client().get("/auth/login", headers={"X-Request-ID": f"id-{CITIZEN_ID}"})

    err = capsys.readouterr().err
    assert CITIZEN_ID not in err and CITIZEN_ID not in response.headers["X-Request-ID"]
    (line,) = [x for x in json_lines(err) if x["logger"] == logging_setup.ACCESS_LOGGER]
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_the_ids_the_app_makes_survive_the_redaction_of_its_log_lines(json_app, world, capsys):
    # About one random hex id in 20 holds 13 digits in a row, which a log line would mask as a
    # citizen ID: 200 requests would almost surely meet one (the smoke test once did).
    client = json_app.test_client()
    answered = [client.get("/healthz").headers["X-Request-ID"] for _ in range(200)]

    logged = {
        x["request_id"]
        for x in json_lines(capsys.readouterr().err)
        if x["logger"] == logging_setup.ACCESS_LOGGER
    }
    assert len(set(answered)) == 200
    assert set(answered) <= logged


def test_citizen_ids_and_tokens_are_redacted_in_the_message_the_extra_fields_and_the_traceback(
    json_app, capsys
):
    log = logging.getLogger("eplan_flow.tests")
    try:
        raise ValueError(f"refused pid={CITIZEN_ID}")
    except ValueError:
        log.exception(
            "sign-in of %s with Authorization: Bearer %s failed",
            CITIZEN_ID,
            BEARER_TOKEN,
            extra={"form": {"citizen_id": "1-1017-00203-45-0", "note": f"token {BEARER_TOKEN}"}},
        )
    # A record built elsewhere (a queue, another process) skips the record factory: the handler's
    # own filter still redacts it.
    (handler,) = our_handlers()
    handler.handle(
        logging.makeLogRecord({"name": "elsewhere", "levelname": "WARNING", "msg": f"pid {CITIZEN_ID}"})
    )

    err = capsys.readouterr().err
    assert CITIZEN_ID not in err and "1-1017-00203-45-0" not in err and BEARER_TOKEN not in err
    failed, elsewhere = json_lines(err)
    assert failed["message"] == "sign-in of x-xxxx-xxxxx-xx-x with Authorization: Bearer [REDACTED] failed"
    assert failed["form"] == {"citizen_id": "x-xxxx-xxxxx-xx-x", "note": "token [REDACTED]"}
    assert "ValueError: refused pid=x-xxxx-xxxxx-xx-x" in failed["exception"]
    assert failed["level"] == "ERROR" and failed["logger"] == "eplan_flow.tests"
    assert elsewhere["message"] == "pid x-xxxx-xxxxx-xx-x"


def log_from_a_job(note: str) -> None:
    """A job that logs a line, as any job of the app may."""
    logging.getLogger("eplan_flow.jobs.tests").warning("working on %s", note)


def test_a_workers_job_lines_carry_the_job_id(json_app, world, capsys):
    job = queues.queue("default").enqueue(f"{__name__}.log_from_a_job", kwargs={"note": "the ledger"})

    make_worker(json_app, fork=False).work(burst=True)

    lines = [x for x in json_lines(capsys.readouterr().err) if x["message"] == "working on the ledger"]
    assert [line["job_id"] for line in lines] == [job.id]
    assert "request_id" not in lines[0]


def test_building_apps_again_keeps_one_handler_in_the_last_apps_format(app):
    try:
        create_app({**TEST_CONFIG, "LOG_FORMAT": "json"})
        create_app({**TEST_CONFIG, "LOG_FORMAT": "json"})
        (handler,) = our_handlers()
        assert isinstance(handler.formatter, logging_setup.JsonFormatter)

        create_app(TEST_CONFIG)
        assert our_handlers() == [handler]
        assert not isinstance(handler.formatter, logging_setup.JsonFormatter)
    finally:
        logging_setup.configure(app)


def test_plain_lines_carry_the_request_id_too(app, world, capsys):
    logging_setup.configure(app)
    response = app.test_client().get("/auth/login")

    access = [line for line in capsys.readouterr().err.splitlines() if "GET /auth/login 200" in line]
    assert len(access) == 1
    assert f"INFO {logging_setup.ACCESS_LOGGER} [{response.headers['X-Request-ID']}]" in access[0]


def test_production_logs_json_and_an_unknown_format_or_level_is_refused():
    from eplan_flow.config import CONFIGS, InsecureConfiguration

    assert CONFIGS["production"].LOG_FORMAT == "json" and CONFIGS["development"].LOG_FORMAT == "text"
    with pytest.raises(InsecureConfiguration, match="EPLAN_LOG_FORMAT='xml'"):
        create_app({**TEST_CONFIG, "LOG_FORMAT": "xml"})
    with pytest.raises(InsecureConfiguration, match="EPLAN_LOG_LEVEL='LOUD'"):
        create_app({**TEST_CONFIG, "LOG_LEVEL": "LOUD"})


def test_naming_the_person_on_a_log_line_after_a_commit_reads_nothing_from_the_database(app, world):
    # A request that writes commits, which expires the signed-in person's row; every log line after
    # it (the access line at least) names them from what the row still holds, with no query.
    from flask import g
    from sqlalchemy import event

    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    with app.test_request_context("/"):
        user = _db.session.get(type(world.planner), world.planner.id)
        g._login_user = user
        _db.session.expire(user)
        event.listen(_db.engine, "before_cursor_execute", count)
        try:
            fields = logging_setup.context()
        finally:
            event.remove(_db.engine, "before_cursor_execute", count)
    assert statements == []
    assert fields["user_id"] == world.planner.id

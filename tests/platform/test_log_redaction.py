"""Citizen IDs never reach a log line, whoever logs them."""

from __future__ import annotations

import logging

from eplan_flow import log_redaction


def test_a_citizen_id_in_a_log_message_is_masked_for_any_logger(caplog):
    log_redaction.install()
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info("GET /sso/register?cid=%s HTTP/1.1", "1101700203450")
        logging.getLogger("some.library").warning("bad id 1-1017-00203-45-0 in form")
    text = caplog.text
    assert "1101700203450" not in text
    assert "1-1017-00203-45-0" not in text
    assert text.count(log_redaction.MASK) == 2


def test_shorter_and_longer_numbers_are_left_alone():
    assert log_redaction.redact("LAO 6380101 budget 1200000.00") == "LAO 6380101 budget 1200000.00"
    assert log_redaction.redact("ref 12345678901234") == "ref 12345678901234"


def test_installing_twice_masks_once():
    log_redaction.install()
    log_redaction.install()
    record = logging.getLogRecordFactory()("x", logging.INFO, __file__, 1, "id %s", ("3100400112349",), None)
    assert record.getMessage() == f"id {log_redaction.MASK}"


def test_redacting_twice_changes_nothing_more():
    # The record factory redacts, then the log handler's filter and the JSON formatter again.
    for text in (
        "GET /auth/oidc/callback?code=abcdef1234567890&state=xyz123 HTTP/1.1",
        "https://x/?next=%2Fa%3Fcode%3Dsecretvalue123 password='hunter2' id 3100400112349",
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz /sso/confirm/abcdefghijklmnopqrstuvwxyz",
    ):
        once = log_redaction.redact(text)
        assert log_redaction.redact(once) == once
    assert log_redaction.redact("?code=abc&state=xyz") == "?code=[REDACTED]&state=[REDACTED]"

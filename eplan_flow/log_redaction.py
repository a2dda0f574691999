"""Keep citizen IDs out of every log line (PDPA; issue 3).

A log record factory replaces any run of 13 digits (with or without the card's dashes or spaces)
in the formatted message with a mask, whichever logger or library wrote it: request logs with a
query string, exception messages quoting form data, SQL echo. Installed once per process.
"""
from __future__ import annotations

import logging
import re

# 13 digits, optionally grouped 1-4-5-2-1 with dashes or spaces, not inside a longer number.
CITIZEN_ID_PATTERN = re.compile(r"(?<!\d)\d[- ]?\d{4}[- ]?\d{5}[- ]?\d{2}[- ]?\d(?!\d)")
MASK = "x-xxxx-xxxxx-xx-x"

_installed = False


def redact(text: str) -> str:
    return CITIZEN_ID_PATTERN.sub(MASK, text)


def install() -> None:
    """Wrap the log record factory so every record's message is redacted before any handler."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return record
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True

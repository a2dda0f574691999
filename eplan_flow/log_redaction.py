"""Keep citizen IDs and credentials out of every log line and stored job failure (PDPA; issues 3 and 9).

``redact(text)`` is the one rule: it masks runs of 13 digits (a citizen ID, with or without the
card's dashes or spaces) and every secret a URL or an error text can carry: OAuth/OIDC parameters
(``code``, ``state``, ``id_token_hint``, ``access_token``, ``refresh_token``, ``logout_token``,
``client_secret``, ``password``, ``token``...) in query strings, form bodies and dict reprs, the
email-confirmation and reset tokens in paths (``/sso/confirm/<token>``), JWTs and signed tokens
(``eyJ...``), bearer and basic credentials and API tokens (``epf_...``).

``install()`` applies it to every log record of the process, whichever logger or library wrote it
(Werkzeug's and gunicorn's access logs, Flask's "Exception on ..." with its traceback, RQ's worker):
the message with its arguments, the formatted traceback and the stack. The RQ worker and the failed
jobs page apply it to job failures as well (``eplan_flow.jobs.worker``, ``services.failed_jobs``).
"""

from __future__ import annotations

import logging
import re

# 13 digits, optionally grouped 1-4-5-2-1 with dashes or spaces, not inside a longer number.
CITIZEN_ID_PATTERN = re.compile(r"(?<!\d)\d[- ]?\d{4}[- ]?\d{5}[- ]?\d{2}[- ]?\d(?!\d)")
MASK = "x-xxxx-xxxxx-xx-x"
SECRET_MASK = "[REDACTED]"

# Names whose value is a credential wherever it appears as name=value (query, form body, log text).
SECRET_PARAMS = (
    "code",
    "token",
    "id_token",
    "id_token_hint",
    "access_token",
    "refresh_token",
    "logout_token",
    "client_secret",
    "client_assertion",
    "code_verifier",
    "password",
    "new_password",
    "current_password",
    "password_confirm",
    "secret",
    "api_key",
    "otp",
    "ticket",
    "session",
    "sid",
)
# Names that are credentials only in a URL's query (elsewhere "state" is a workflow state).
URL_ONLY_PARAMS = ("state", "nonce")
# Paths whose next segment is a one-time token (the SSO's confirmation and reset links).
TOKEN_PATH_WORDS = ("confirm", "reset", "reset-password", "password-reset", "invite", "verify", "unlock")

_NAMES = "|".join(sorted(SECRET_PARAMS, key=len, reverse=True))
_EQ = r"(?:=|%3D)"
_VALUE_END = r"(?:&|%26|[\s\"'<>#;,)\]}]|$)"
# A value runs to the next separator, or is quoted (kwargs reprs: password='...').
_VALUE = rf"(?:'[^']*'|\"[^\"]*\"|.+?(?={_VALUE_END}))"
# A value redacted already is left as it is: redacting twice (the record factory, then a handler's
# filter or formatter) must not turn "[REDACTED]" into "[REDACTED]]".
_UNREDACTED = rf"(?!\[REDACTED\]{_VALUE_END})"
# Not inside a longer name (status_code=), but right after an encoded "&" or "?" (a nested URL).
_SECRET_PARAM = re.compile(
    rf"(?i)(?:(?<![A-Za-z0-9_])|(?<=%26)|(?<=%3F))((?:{_NAMES}){_EQ}){_UNREDACTED}{_VALUE}"
)
_URL_PARAM = re.compile(rf"(?i)((?:[?&]|%3F|%26)(?:{'|'.join(URL_ONLY_PARAMS)}){_EQ}){_UNREDACTED}{_VALUE}")
# 'password': 'x' / "code": "x" (reprs of dicts and JSON, e.g. job arguments, form data in errors).
_SECRET_ITEM = re.compile(rf"(?i)([\"'](?:{_NAMES})[\"']\s*:\s*)([\"'])(.*?)(?<!\\)\2")
_TOKEN_PATH = re.compile(
    rf"(?i)((?:/|%2F)(?:{'|'.join(TOKEN_PATH_WORDS)})(?:/|%2F))([A-Za-z0-9_\-.~]{{16,}})"
)
# A JWT (header.payload.signature) or an itsdangerous token (payload.timestamp.signature):
# both start with base64url JSON, "eyJ".
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*\.?[A-Za-z0-9_\-]*")
_AUTH_HEADER = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9_\-.~+/]{16,}=*")
_API_TOKEN = re.compile(r"\bepf_[A-Za-z0-9_\-]{16,}")

_installed = False
_formatter = logging.Formatter()


def redact(text: str) -> str:
    """``text`` with citizen IDs masked and credentials replaced by ``[REDACTED]``."""
    if not text:
        return text
    text = _TOKEN_PATH.sub(rf"\1{SECRET_MASK}", text)
    text = _SECRET_PARAM.sub(rf"\1{SECRET_MASK}", text)
    text = _URL_PARAM.sub(rf"\1{SECRET_MASK}", text)
    text = _SECRET_ITEM.sub(rf"\1\2{SECRET_MASK}\2", text)
    text = _JWT.sub(SECRET_MASK, text)
    text = _AUTH_HEADER.sub(rf"\1 {SECRET_MASK}", text)
    text = _API_TOKEN.sub(SECRET_MASK, text)
    return CITIZEN_ID_PATTERN.sub(MASK, text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record in place: message and arguments, traceback and stack."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: leave it to the handler to report
        message = None
    if message is not None:
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
    if record.exc_info:
        # Format the traceback once, redacted, and drop the live exception, so no handler or
        # formatter can format it again from the original (QueueHandler.prepare does the same).
        if not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def install() -> None:
    """Wrap the log record factory so every record is redacted before any handler sees it."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True

"""Data-entry windows (issue 12): when DLA closes e-Plan for data entry, what stays open, rule data.

DLA closed e-Plan on 30 September 2566 and reopened it on 2 October 2566 for the new fiscal year
(letter มท 0815.4/ว 3947, /work/shared/DOMAIN.md §7). A DLA admin schedules such a read-only window
in the back office; from ``notice_days`` before it starts until it ends every page announces it, and
while it runs e-Plan refuses every write but those named here. Reading, the public notices, signing
in and out and the Single Sign-On stay up: the SSO is a separate system that other systems sign in
through, and DLA's closure was of e-Plan's data entry.

Which writes stay open is named by endpoint (``blueprint.view``, ``fnmatch`` patterns), so a page
added later is closed during a window unless a rule opens it. Background jobs are not requests and
are not stopped: none of them changes plans, projects or results (they send the notices and mail
of steps taken before the window, remind of deadlines the regulation sets whatever e-Plan's state,
and tidy the SSO's sign-ins). The command line is DLA's operators' tool, like the back office, and
stays open. A window records the version it was scheduled under and runs under it to its end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from workflows.roles import ROLE_NAMES

ENTRY_WINDOWS_V1: dict[str, Any] = {
    "version": 1,
    # Every page announces a window from this many days before it starts (and while it runs).
    "notice_days": 7,
    # What a write is: requests with these methods (reads are never refused).
    "write_methods": ["POST", "PUT", "PATCH", "DELETE"],
    # Writes that stay open to everyone during a window.
    "open_to_all": [
        "auth.*",  # signing in and out of e-Plan, the SSO's back-channel logout
        "sso.*",  # the SSO: registration, ThaiD, approvals, profiles, passwords
        "oidc.*",  # the SSO's OpenID Connect provider (other systems sign in through it)
        "thaid_dev.*",  # the stand-in ThaiD of development
        "main.mark_notifications_read",  # one's own notices, not e-Plan data
        "admin_sso_accounts.*",  # the SSO's approvals in the back office
        "admin_system_access.*",
    ],
    # Writes that stay open to holders of these roles: DLA admins keep the whole back office, so
    # they can end a window early and put right what the closure is for.
    "open_to_roles": {"dla_admin": ["admin", "admin.*", "admin_*"]},
}

ENTRY_WINDOWS = {1: ENTRY_WINDOWS_V1}
LATEST_VERSION = max(ENTRY_WINDOWS)


class UnknownRuleVersion(LookupError):
    """No version of the entry-window rules has that number."""


def rules(version: int | None = None) -> dict[str, Any]:
    """The rules of ``version`` (the latest when None)."""
    try:
        return ENTRY_WINDOWS[LATEST_VERSION if version is None else version]
    except KeyError:
        raise UnknownRuleVersion(f"entry-window rules v{version}") from None


def is_write(rule: dict[str, Any], method: str) -> bool:
    """Whether a request with ``method`` writes (and so is refused during a window)."""
    return method.upper() in rule["write_methods"]


def stays_open(rule: dict[str, Any], endpoint: str | None, roles: frozenset[str] | set[str]) -> bool:
    """Whether a write to ``endpoint`` by someone holding ``roles`` goes through during a window.

    An unknown address (no endpoint) is not a write to refuse: it is answered 404 as ever.
    """
    if not endpoint:
        return True
    patterns = list(rule["open_to_all"])
    for role, opened in rule["open_to_roles"].items():
        if role in roles:
            patterns.extend(opened)
    return any(fnmatchcase(endpoint, pattern) for pattern in patterns)


def announced_from(rule: dict[str, Any], starts_at: datetime) -> datetime:
    """When pages start announcing a window that starts at ``starts_at``."""
    return starts_at - timedelta(days=rule["notice_days"])


def longest_notice() -> timedelta:
    """The longest notice of any version: how far ahead to look for windows to announce."""
    return timedelta(days=max(rule["notice_days"] for rule in ENTRY_WINDOWS.values()))


def _check(rule: dict[str, Any]) -> None:
    # A typo in a role name would silently close the back office to DLA: fail at import instead.
    unknown = set(rule["open_to_roles"]) - set(ROLE_NAMES)
    if unknown:
        raise ValueError(f"entry-window rules v{rule['version']} name unknown roles {sorted(unknown)}")
    if not isinstance(rule["notice_days"], int) or rule["notice_days"] < 0:
        raise ValueError(f"entry-window rules v{rule['version']}: notice_days must be a whole number >= 0")


for _rule in ENTRY_WINDOWS.values():
    _check(_rule)

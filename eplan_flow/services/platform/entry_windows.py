"""Read-only windows of e-Plan's data entry: is e-Plan read-only now, and DLA admins' scheduling.

The rules (notice, which writes stay open) are ``workflows/entry_windows.py``. The one check every
write passes through is ``refuse_if_closed``, called by the request hook of
``eplan_flow.read_only`` for every page, the JSON API and the back office alike. Asking costs one
indexed query per request (``notice`` keeps its answer on the request), and none on reads.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import select

from eplan_flow import text
from eplan_flow.errors import DomainError, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import EntryWindow
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import can_schedule_entry_windows
from eplan_flow.services.platform import audit
from eplan_flow.services.platform.locks import advisory_lock
from eplan_flow.services.platform.unit_of_work import jsonable, transaction
from workflows import entry_windows as window_rules

REASON_MAX_LENGTH = 500
_CACHE = "eplan_entry_window_notice"
_NONE = object()
# Scheduling and changing windows are serialised, so "does it overlap another?" holds at commit.
_LOCK = "entry-windows"


class ReadOnlyWindow(DomainError):
    """A write while e-Plan is read-only; ``details`` carry the window (ISO times) and ``retry_after``."""

    code = "read_only_window"
    status = 503


class EntryWindowNotValid(DomainError):
    """A window that cannot be scheduled or changed as asked; ``details["reason"]`` says why."""

    code = "entry_window_not_valid"
    status = 422


@dataclass(frozen=True)
class WindowNotice:
    """A window as pages announce it and the write check reads it (plain values, no database row)."""

    id: int
    starts_at: datetime
    ends_at: datetime
    reason: str
    rule_version: int
    active: bool

    @property
    def rule(self) -> dict[str, Any]:
        return window_rules.rules(self.rule_version)

    def seconds_left(self, at: datetime) -> int:
        """Whole seconds from ``at`` until the window ends (at least 1): the API's Retry-After."""
        return max(1, math.ceil((self.ends_at - at).total_seconds()))


def now() -> datetime:
    """The current moment the windows are read against (one place, so scenarios can set it)."""
    return utcnow()


# -- is e-Plan read-only? -----------------------------------------------------------------------
def notice(at: datetime | None = None) -> WindowNotice | None:
    """The window pages announce at ``at`` (now by default): the running one, else the next one
    whose notice has begun; None when there is none. Kept on the request when ``at`` is now."""
    if at is not None:
        return _find(at)
    cached = g.get(_CACHE, None) if has_request_context() else None
    if cached is not None:
        return None if cached is _NONE else cached
    found = _find(now())
    if has_request_context():
        setattr(g, _CACHE, _NONE if found is None else found)
    return found


def current(at: datetime | None = None) -> WindowNotice | None:
    """The window running at ``at`` (now by default), if e-Plan is read-only then."""
    found = notice(at)
    return found if found is not None and found.active else None


def refuse_if_closed(endpoint: str | None, method: str, roles: Callable[[], frozenset[str]]) -> None:
    """Raise ReadOnlyWindow when a window runs and this write is not one its rules keep open.

    Reads never reach the database here: only a write asks whether a window runs, and only then
    are the writer's ``roles()`` looked up.
    """
    if not window_rules.is_write(window_rules.rules(), method):
        return
    window = current()
    if window is None:
        return
    rule = window.rule
    if not window_rules.is_write(rule, method) or window_rules.stays_open(rule, endpoint, roles()):
        return
    raise ReadOnlyWindow(
        f"e-Plan is read-only until {window.ends_at.isoformat()}: {window.reason}",
        starts_at=window.starts_at.isoformat(),
        ends_at=window.ends_at.isoformat(),
        # Not ``reason``: in the catalogue's keys a refusal's reason is a code, this is DLA's words.
        window_reason=window.reason,
        retry_after=window.seconds_left(now()),
    )


def _find(at: datetime) -> WindowNotice | None:
    # Windows never overlap (``_check``), so the earliest one not yet over is the one to announce.
    row = db.session.execute(
        select(
            EntryWindow.id,
            EntryWindow.starts_at,
            EntryWindow.ends_at,
            EntryWindow.reason,
            EntryWindow.rule_version,
        )
        .where(
            EntryWindow.cancelled_at.is_(None),
            EntryWindow.ends_at > at,
            EntryWindow.starts_at <= at + window_rules.longest_notice(),
        )
        .order_by(EntryWindow.starts_at)
        .limit(1)
    ).first()
    if row is None:
        return None
    found = WindowNotice(
        id=row.id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        reason=row.reason,
        rule_version=row.rule_version,
        active=row.starts_at <= at,
    )
    if not found.active and at < window_rules.announced_from(found.rule, found.starts_at):
        return None
    return found


def _forget() -> None:
    # A change made in this request is what the rest of the request reads.
    if has_request_context():
        g.pop(_CACHE, None)


# -- DLA admins schedule, change and end windows -------------------------------------------------
def state_of(window: EntryWindow, at: datetime | None = None) -> str:
    """``upcoming``, ``running``, ``ended`` or ``cancelled``, as the back office lists them."""
    at = at or now()
    if window.cancelled_at is not None:
        return "cancelled"
    if window.ends_at <= at:
        return "ended"
    return "running" if window.starts_at <= at else "upcoming"


def schedule_window(actor, *, starts_at: datetime, ends_at: datetime, reason: str) -> EntryWindow:
    """Schedule a read-only window under the latest rules, and audit it."""
    _may_schedule(actor)
    reason = _clean_reason(reason)
    starts_at, ends_at = _utc(starts_at, "starts_at"), _utc(ends_at, "ends_at")
    with transaction() as session:
        advisory_lock(_LOCK)
        _check(starts_at, ends_at, other_than=None)
        row = EntryWindow(
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
            rule_version=window_rules.LATEST_VERSION,
            created_by_id=actor.id,
        )
        session.add(row)
        session.flush()
        audit.append(
            f"entry-window:{row.id}",
            "entry_window_scheduled",
            actor=actor,
            organisation_id=actor.organisation_id,
            data=jsonable(
                {
                    "starts_at": starts_at.isoformat(),
                    "ends_at": ends_at.isoformat(),
                    "reason": reason,
                    "rule_version": row.rule_version,
                }
            ),
        )
    _forget()
    return row


def change_window(
    actor, window_id: int, *, starts_at: datetime, ends_at: datetime, reason: str
) -> EntryWindow:
    """Move or re-word a window that is not over yet, and audit what changed."""
    _may_schedule(actor)
    reason = _clean_reason(reason)
    starts_at, ends_at = _utc(starts_at, "starts_at"), _utc(ends_at, "ends_at")
    with transaction():
        advisory_lock(_LOCK)
        row = _get(window_id)
        if state_of(row) in ("ended", "cancelled"):
            raise EntryWindowNotValid(f"entry window #{row.id} is over", reason="over")
        _check(starts_at, ends_at, other_than=row.id)
        changed = {}
        for name, value in (("starts_at", starts_at), ("ends_at", ends_at), ("reason", reason)):
            old = getattr(row, name)
            if old != value:
                setattr(row, name, value)
                changed[name] = [_plain(old), _plain(value)]
        if changed:
            audit.append(
                f"entry-window:{row.id}",
                "entry_window_changed",
                actor=actor,
                organisation_id=actor.organisation_id,
                data=changed,
            )
    _forget()
    return row


def end_window(actor, window_id: int) -> EntryWindow:
    """End a running window now (e-Plan takes data again at once), or withdraw one not yet begun."""
    _may_schedule(actor)
    with transaction():
        advisory_lock(_LOCK)
        row = _get(window_id)
        at = now()
        state = state_of(row, at)
        data: dict[str, Any]
        if state == "running":
            data = {"ends_at": [row.ends_at.isoformat(), at.isoformat()]}
            row.ends_at = at
            row.ended_early_at = at
            action = "entry_window_ended"
        elif state == "upcoming":
            row.cancelled_at = at
            data = {"starts_at": row.starts_at.isoformat(), "ends_at": row.ends_at.isoformat()}
            action = "entry_window_cancelled"
        else:
            raise EntryWindowNotValid(f"entry window #{row.id} is over", reason="over")
        audit.append(
            f"entry-window:{row.id}",
            action,
            actor=actor,
            organisation_id=actor.organisation_id,
            data=data,
        )
    _forget()
    return row


def _may_schedule(actor) -> None:
    if not can_schedule_entry_windows(actor):
        raise PermissionDenied("Only DLA admins schedule read-only windows.")


def _get(window_id: int) -> EntryWindow:
    row = db.session.get(EntryWindow, window_id, populate_existing=True)
    if row is None:
        raise NotFound(f"entry window #{window_id} not found", id=window_id)
    return row


def _clean_reason(reason: str) -> str:
    return text.clean_text(reason, field="reason", max_length=REASON_MAX_LENGTH, required=True) or ""


def _utc(value, name: str) -> datetime:
    # Stored and audited in UTC, whatever zone the form or a script gave (pages show Bangkok time).
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise EntryWindowNotValid(f"{name} must be an aware datetime", field=name, reason="required")
    return value.astimezone(UTC)


def _check(starts_at: datetime, ends_at: datetime, *, other_than: int | None) -> None:
    if ends_at <= starts_at:
        raise EntryWindowNotValid("the window must end after it starts", field="ends_at", reason="order")
    if ends_at <= now():
        raise EntryWindowNotValid("the window would be over already", field="ends_at", reason="past")
    query = select(EntryWindow).where(
        EntryWindow.cancelled_at.is_(None),
        EntryWindow.starts_at < ends_at,
        EntryWindow.ends_at > starts_at,
    )
    if other_than is not None:
        query = query.where(EntryWindow.id != other_than)
    clash = db.session.scalars(query.limit(1)).first()
    if clash is not None:
        raise EntryWindowNotValid(
            f"the window overlaps entry window #{clash.id}",
            field="starts_at",
            reason="overlap",
            other_starts_at=clash.starts_at.isoformat(),
            other_ends_at=clash.ends_at.isoformat(),
        )


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


__all__ = [
    "EntryWindowNotValid",
    "ReadOnlyWindow",
    "WindowNotice",
    "change_window",
    "current",
    "end_window",
    "notice",
    "now",
    "refuse_if_closed",
    "schedule_window",
    "state_of",
]

"""Password resets: a single-use link, sent only to a person's confirmed email address.

Nobody sets another person's password. A person asks for a link (``/sso/forgot``), or an admin who
helps the people of their scope with signing in (``permissions.can_help_with_sign_in``) has one sent;
either way it goes to the address the person confirmed, never to one typed by the asker. The token
is random, lives RESET_MAX_AGE seconds and is stored only as its SHA-256; a newer link retires the
older ones. Using it sets the new password, ends every session of the person everywhere
(``services.sessions``) and is audited on the person's ``auth:<id>`` chain, in one commit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import TypeGuard

from flask import current_app, has_request_context
from sqlalchemy import func, select, update

from eplan_flow.addresses import external_url
from eplan_flow.errors import GuardFailed, InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import EmailMessage, PasswordReset, User
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import can_help_with_sign_in, can_read
from eplan_flow.services.identity import citizen_id, identity, sessions
from eplan_flow.services.platform import audit, mail
from eplan_flow.services.platform.unit_of_work import transaction

RESET_MAX_AGE = 30 * 60
# ``/sso/reset/<token>``: the path's last segment is the secret (the log redaction knows the word).
RESET_LINK_PATTERN = re.compile(r"(/sso/reset/)[A-Za-z0-9_\-]{16,}")
REDACTED_LINK = r"\1[…]"


class ResetLinkInvalid(InvalidInput):
    """Unknown, used, replaced by a newer link, expired, or sent to an address no longer the person's."""

    code = "reset_link_invalid"
    status = 400


class NoConfirmedEmail(GuardFailed):
    """The person has no confirmed address (or is disabled): there is nowhere safe to send a link."""

    code = "no_confirmed_email"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _max_age() -> int:
    return int(current_app.config.get("PASSWORD_RESET_MAX_AGE", RESET_MAX_AGE))


def _default_link(token: str) -> str:
    """The link on this app's configured address, never on the Host a request named."""
    if not has_request_context():
        raise RuntimeError("give the reset a link builder outside a request")
    return external_url("sso.reset_password", token=token)


def redact_links(text: str | None) -> str | None:
    """``text`` with reset links cut short: for any page that shows stored email to someone else."""
    return RESET_LINK_PATTERN.sub(REDACTED_LINK, text) if text else text


def _may_receive(user: User | None) -> TypeGuard[User]:
    return bool(user is not None and user.is_enabled and user.email and user.email_confirmed_at is not None)


def _issue(user: User, requested_by, link: Callable[[str], str] | None) -> PasswordReset:
    """Retire the person's open links, add a new one and queue its email (the caller commits)."""
    if user.email is None:  # callers check _may_receive first
        raise NoConfirmedEmail("the person has no confirmed email address to send the link to")
    now = utcnow()
    db.session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    row = PasswordReset(
        user_id=user.id,
        token_hash=_digest(token),
        sent_to=user.email,
        requested_by_id=getattr(requested_by, "id", None),
        created_at=now,
        expires_at=now + timedelta(seconds=_max_age()),
    )
    db.session.add(row)
    db.session.flush()
    minutes = _max_age() // 60
    url = (link or _default_link)(token)
    body = (
        f"เรียน {user.full_name}\n\n"
        f"มีการขอตั้งรหัสผ่านใหม่ของบัญชี Single Sign-On ของท่าน โปรดเปิดลิงก์นี้ภายใน {minutes} นาที "
        "(ใช้ได้ครั้งเดียว):\n"
        f"{url}\n\n"
        "หากท่านไม่ได้ขอ โปรดเพิกเฉยต่ออีเมลนี้ รหัสผ่านเดิมยังใช้ได้ และโปรดแจ้งผู้ดูแลระบบ SSO ของหน่วยงาน\n\n"
        f"Someone asked to set a new password for your Single Sign-On account. Open this link within "
        f"{minutes} minutes (it works once):\n{url}\n\n"
        "If it was not you, ignore this email: your password stays as it is. Please tell your "
        "organisation's SSO admin.\n"
    )
    mail.queue_mail(
        user.email,
        "ตั้งรหัสผ่านใหม่ (Set a new password)",
        body,
        user_id=user.id,
        dedupe_key=f"password-reset:{row.id}",
    )
    audit.append(
        f"auth:{user.id}",
        "password_reset_sent",
        actor=requested_by or user,
        organisation_id=user.organisation_id,
        data={"reset_id": row.id, "asked_by": "admin" if requested_by is not None else "self"},
    )
    return row


# Anyone may ask for anyone's address: at most one link a minute keeps an inbox from being flooded.
RESEND_AFTER = 60


def _just_sent(user: User) -> bool:
    since = utcnow() - timedelta(seconds=RESEND_AFTER)
    return (
        db.session.scalar(
            select(PasswordReset.id).where(
                PasswordReset.user_id == user.id,
                PasswordReset.created_at > since,
                PasswordReset.used_at.is_(None),
                PasswordReset.revoked_at.is_(None),
            )
        )
        is not None
    )


def request_reset(email: str, *, ip: str | None = None, link: Callable[[str], str] | None = None) -> None:
    """A person asks for a link for ``email``; it is sent only to a confirmed address of an
    enabled person. Returns nothing either way, so the answer tells nobody who is registered."""
    value = (email or "").strip().lower()
    with transaction():
        user = (
            db.session.execute(select(User).where(func.lower(User.email) == value)).scalar_one_or_none()
            if value
            else None
        )
        if _may_receive(user) and not _just_sent(user):
            _issue(user, None, link)
        else:
            data = {"reason": "just_sent" if _may_receive(user) else "no_confirmed_address"}
            if ip:
                data["ip"] = ip[:64]
            audit.append(
                f"auth:{user.id}" if user is not None else audit.shard_chain("auth:unknown", value),
                "password_reset_refused",
                organisation_id=getattr(user, "organisation_id", None),
                data=data,
            )


def send_reset_link(actor, user_id: int, *, link: Callable[[str], str] | None = None) -> User:
    """An admin has a link sent to a person of their scope, at the person's confirmed address."""
    with transaction():
        user = db.session.get(User, user_id)
        if user is None or not can_read(actor, user.organisation):
            raise NotFound(f"user #{user_id} not found", id=user_id)
        if not can_help_with_sign_in(actor, user):
            raise PermissionDenied(
                "only the SSO admin, the provincial office or DLA sends reset links",
                roles=["sso_admin", "provincial_officer", "dla_admin"],
            )
        if not _may_receive(user):
            raise NoConfirmedEmail("the person has no confirmed email address to send the link to")
        _issue(user, actor, link)
    return user


def _usable(token: str, *, lock: bool = False) -> PasswordReset:
    query = select(PasswordReset).where(PasswordReset.token_hash == _digest(token or ""))
    if lock:
        # Two submissions of one link at once: the second waits, then finds it used.
        query = query.with_for_update()
    row = db.session.execute(query).scalar_one_or_none()
    if row is None or row.used_at is not None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise ResetLinkInvalid("the reset link is not valid, was used, or has expired")
    user = db.session.get(User, row.user_id)
    if not _may_receive(user) or user.email != row.sent_to:
        raise ResetLinkInvalid("the reset link is not valid, was used, or has expired")
    return row


def check_link(token: str) -> User:
    """The person a still-usable link belongs to (for the reset page), or ResetLinkInvalid."""
    return _holder(_usable(token))


def _holder(row: PasswordReset) -> User:
    user = db.session.get(User, row.user_id)
    if user is None:  # _usable found them; gone only if deleted meanwhile
        raise ResetLinkInvalid("the reset link is not valid, was used, or has expired")
    return user


def reset_password(token: str, password: str, *, ip: str | None = None) -> User:
    """Set the person's new password with a usable link, once; end every session of theirs."""
    with transaction():
        row = _usable(token, lock=True)
        user = _holder(row)
        pid = citizen_id.decrypt(user.citizen_id_encrypted) if user.citizen_id_encrypted else None
        problems = identity.password_problems(password or "", email=user.email, citizen_id=pid)
        if problems:
            raise identity.WeakPassword("the password is too weak", field="password", problems=problems)
        now = utcnow()
        row.used_at = now
        user.password_hash = identity.hash_password(password)
        user.password_changed_at = now
        # Whoever held a session, a copied cookie or a token before the reset holds nothing now.
        sessions.end_all_sessions(user.id, "password_reset")
        # The link in the stored email is spent: keep no working copy of it anywhere.
        db.session.execute(
            update(EmailMessage)
            .where(EmailMessage.dedupe_key == f"password-reset:{row.id}")
            .values(body=func.replace(EmailMessage.body, token, "[…]"))
        )
        data: dict[str, object] = {"reset_id": row.id}
        if ip:
            data["ip"] = ip[:64]
        audit.append(
            f"auth:{user.id}", "password_reset", actor=user, organisation_id=user.organisation_id, data=data
        )
    # The relying parties hear of the ended sessions once this commits (the outbox relays them).
    return user


__all__ = [
    "RESET_MAX_AGE",
    "NoConfirmedEmail",
    "ResetLinkInvalid",
    "check_link",
    "redact_links",
    "request_reset",
    "reset_password",
    "send_reset_link",
]

"""Sign-in sessions on the server: start, check on each request, end one, end all.

The cookie holds only a random session id; its digest's row (``SignInSession``) decides whether
the sign-in still counts, so a copied cookie dies with the session it copied. Both sign-ins use
it: the SSO's own (kind ``sso``) and e-Plan's Flask-Login sign-in (kind ``eplan``). Each lasts at
most SSO_SESSION_LIFETIME seconds and ends after SSO_SESSION_IDLE_TIMEOUT seconds unused.

Ending an SSO session also revokes the tokens issued in it and tells every relying party that
registered a ``backchannel_logout_uri`` (OIDC Back-Channel Logout 1.0), through the outbox, after
commit (the logout token itself is made and posted by ``services.identity.tokens``).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import joinedload

from eplan_flow.addresses import oidc_issuer
from eplan_flow.extensions import db
from eplan_flow.models import OAuth2AuthorizationCode, OAuth2Client, OAuth2Token, SignInSession, User
from eplan_flow.models._types import utcnow
from eplan_flow.services.platform import audit, outbox
from eplan_flow.services.platform.unit_of_work import transaction

SSO = "sso"
EPLAN = "eplan"
BACKCHANNEL_JOB = "send_backchannel_logout"
BACKCHANNEL_QUEUE = "default"
# A session's last-seen time is written at most this often (seconds): idle expiry needs minutes,
# not a write on every request.
_TOUCH_EVERY = 60


def digest(kind: str, raw_id: str) -> str:
    """What is stored for the session id in a cookie; for the SSO also the ``sid`` of its tokens."""
    prefix = "sso-session" if kind == SSO else "eplan-session"
    return hashlib.sha256(f"{prefix}:{raw_id}".encode()).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(seconds=current_app.config["SSO_SESSION_LIFETIME"])


def _idle_timeout() -> timedelta:
    return timedelta(seconds=current_app.config["SSO_SESSION_IDLE_TIMEOUT"])


# -- start and check ----------------------------------------------------------------------------
def start(user_id: int, kind: str, *, sso_sid: str | None = None) -> str:
    """Open a session of ``kind`` for ``user_id`` and commit; return the id for the cookie.

    ``sso_sid`` (e-Plan only) is the ``sid`` of the SSO session that signed the person in.
    """
    if kind not in (SSO, EPLAN):
        raise ValueError(f"unknown session kind {kind!r}")
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    row = SignInSession(
        digest=digest(kind, raw),
        kind=kind,
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + _lifetime(),
        sso_sid=digest(SSO, raw) if kind == SSO else sso_sid,
    )
    with transaction():
        db.session.add(row)
    return raw


# The user comes with their grants in the same query (each request's permission checks need them),
# not in a second one; of the session row only what the check reads. Built once.
_LIVE_USER = (
    select(
        SignInSession.id,
        SignInSession.user_id,
        SignInSession.expires_at,
        SignInSession.last_seen_at,
        User,
    )
    .join(User, User.id == SignInSession.user_id)
    .where(
        SignInSession.digest == bindparam("digest"),
        SignInSession.kind == bindparam("kind"),
        SignInSession.ended_at.is_(None),
    )
    .options(joinedload(User.grants))
)


def live_user(kind: str, raw_id: str | None, user_id: int | None) -> User | None:
    """The person whose live session of ``kind`` has this id, or None (ended, expired, idle,
    unknown, or another person's). One indexed lookup; the last-seen time is written at most
    once a minute."""
    if not raw_id or user_id is None:
        return None
    found = (
        db.session.execute(_LIVE_USER, {"digest": digest(kind, raw_id), "kind": kind})
        .unique()
        .one_or_none()  # the digest is unique; the rows are its person's grants
    )
    if found is None:
        return None
    row_id, owner, expires_at, last_seen_at, user = found
    now = utcnow()
    if owner != user_id or now >= expires_at or now - last_seen_at >= _idle_timeout():
        return None
    if now - last_seen_at >= timedelta(seconds=_TOUCH_EVERY):
        _touch(row_id, now)
    return user


def _touch(row_id: int, now: datetime) -> None:
    # The request may hold changes of its own (it never should before the user is loaded, but a
    # lost last-seen time costs at most a minute of idle time): never commit them by the way.
    if db.session.new or db.session.dirty or db.session.deleted:
        return
    with transaction():
        db.session.execute(update(SignInSession).where(SignInSession.id == row_id).values(last_seen_at=now))


# -- end ------------------------------------------------------------------------------------------
def end(kind: str, raw_id: str | None, reason: str) -> None:
    """End this one session (sign-out) and commit; for the SSO, revoke its tokens and tell the
    relying parties. An unknown or already ended session is no error."""
    if not raw_id:
        return
    with transaction():
        ended = _end_where(
            SignInSession.digest == digest(kind, raw_id), SignInSession.kind == kind, reason=reason
        )
        _after_sso_sessions_ended(ended)


def end_all_sessions(user_id: int, reason: str) -> None:
    """End every e-Plan and SSO session of ``user_id`` and revoke every token the SSO issued to
    them (password change, lock, access revoked). Writes in the caller's transaction; the caller
    commits with its audit record. Relying parties are told after that commit (the outbox)."""
    ended = _end_where(SignInSession.user_id == user_id, reason=reason)
    now = int(time.time())
    client_ids = set(
        db.session.execute(
            select(OAuth2Token.client_id)
            .distinct()
            .where(
                OAuth2Token.user_id == user_id,
                OAuth2Token.issued_at >= now - _token_horizon(),
            )
        ).scalars()
    )
    client_ids |= _clients_of_sessions([sid for kind, _user, sid in ended if kind == SSO])
    db.session.execute(
        update(OAuth2Token)
        .where(
            OAuth2Token.user_id == user_id,
            or_(OAuth2Token.access_token_revoked_at == 0, OAuth2Token.refresh_token_revoked_at == 0),
        )
        .values(access_token_revoked_at=now, refresh_token_revoked_at=now)
    )
    # Without ``sid`` the logout token means "every session of this subject" (spec §2.4).
    _queue_backchannel(client_ids, sub=str(user_id), sid=None)


def end_for_backchannel(issuer: str, sub: str | None, sid: str | None) -> int:
    """End the e-Plan sessions an SSO's (verified) logout token names and commit; return how many.

    With ``sid``: the sessions that SSO session signed in; with ``sub`` only: all of that person's.
    """
    with transaction():
        criteria = [SignInSession.kind == EPLAN]
        user = None
        if sub is not None:
            user = db.session.execute(
                select(User).where(User.sso_issuer == issuer, User.sso_subject == sub)
            ).scalar_one_or_none()
            if user is None:
                return 0
            criteria.append(SignInSession.user_id == user.id)
        if sid is not None:
            criteria.append(SignInSession.sso_sid == sid)
        ended = _end_where(*criteria, reason="backchannel_logout")
        for user_id in sorted({user_id for _kind, user_id, _sid in ended}):
            person = user if user is not None and user.id == user_id else db.session.get(User, user_id)
            audit.append(
                f"user:{user_id}",
                "session_ended",
                actor=None,
                organisation_id=person.organisation_id if person is not None else None,
                data={
                    "reason": "backchannel_logout",
                    "issuer": issuer,
                    "sessions": sum(1 for _k, uid, _s in ended if uid == user_id),
                },
            )
        return len(ended)


def _end_where(*criteria, reason: str) -> list[tuple[str, int, str | None]]:
    """End the live sessions matching ``criteria``; return (kind, user id, sso_sid) of each."""
    return [
        (kind, user_id, sid)
        for kind, user_id, sid in db.session.execute(
            update(SignInSession)
            .where(*criteria, SignInSession.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason[:40])
            .returning(SignInSession.kind, SignInSession.user_id, SignInSession.sso_sid)
        ).all()
    ]


def _token_horizon() -> int:
    """How far back a token may have been issued and still be live somewhere (seconds)."""
    config = current_app.config
    return max(config["SSO_SESSION_LIFETIME"], config.get("OIDC_REFRESH_TOKEN_LIFETIME", 0))


def _clients_of_sessions(sids: list[str | None]) -> set[str]:
    sids = [s for s in sids if s]
    if not sids:
        return set()
    tokens = select(OAuth2Token.client_id).where(OAuth2Token.sso_sid.in_(sids))
    codes = select(OAuth2AuthorizationCode.client_id).where(OAuth2AuthorizationCode.sso_sid.in_(sids))
    return set(db.session.execute(tokens.union(codes)).scalars()) - {None}


def _after_sso_sessions_ended(ended: list[tuple[str, int, str | None]]) -> None:
    """Revoke the tokens of the SSO sessions just ended and queue their back-channel logouts."""
    now = int(time.time())
    for kind, user_id, sid in ended:
        if kind != SSO or not sid:
            continue
        clients = _clients_of_sessions([sid])
        db.session.execute(
            update(OAuth2Token)
            .where(
                OAuth2Token.sso_sid == sid,
                or_(OAuth2Token.access_token_revoked_at == 0, OAuth2Token.refresh_token_revoked_at == 0),
            )
            .values(access_token_revoked_at=now, refresh_token_revoked_at=now)
        )
        _queue_backchannel(clients, sub=str(user_id), sid=sid)


# -- back-channel logout (the provider's side) ---------------------------------------------------
def _queue_backchannel(client_ids: set[str], *, sub: str, sid: str | None) -> list[int]:
    if not client_ids:
        return []
    clients = db.session.execute(
        select(OAuth2Client).where(OAuth2Client.client_id.in_(client_ids), OAuth2Client.is_active.is_(True))
    ).scalars()
    targets = [c for c in clients if c.backchannel_logout_uri]
    if not targets:
        return []
    iss = oidc_issuer()
    return [
        outbox.add(
            BACKCHANNEL_JOB, queue=BACKCHANNEL_QUEUE, client_id=c.client_id, issuer=iss, sub=sub, sid=sid
        )
        for c in targets
    ]

"""The SSO's own sign-in session, kept apart from e-Plan's (Flask-Login) session.

The identity provider and e-Plan share a cookie when they run in one process (the demo), but not
their sign-in: a person signed in to the SSO is signed in to e-Plan only after e-Plan's OIDC login.
Keys: ``sso_uid`` (the person), ``sso_auth_time`` (when they last proved who they are, in epoch
seconds: sign-in or re-authentication), ``sso_sid`` (the SSO session id, which tokens carry as
its digest). The cookie is only a pointer: the session lives on the server
(``services.sessions``), so sign-out, a password change, a lock or a revoked access ends every
copy of the cookie at once, and a session ends by itself after SSO_SESSION_LIFETIME or
SSO_SESSION_IDLE_TIMEOUT.
"""

from __future__ import annotations

import time

from flask import current_app, g, session

from eplan_flow.services.identity import sessions


def start_sso_session(user) -> str:
    """Sign ``user`` in to the SSO with a fresh session (no fixation); return the session id."""
    # Kept across the rotation: the language, and an OIDC sign-in in flight (Authlib's
    # ``_state_*`` keys), so a relying party in this same process finishes its round trip.
    kept = {k: v for k, v in session.items() if k == "lang" or k.startswith("_state_")}
    # A sign-in over another (someone else, or the same person again) ends the one it replaces.
    sessions.end(sessions.SSO, session.get("sso_sid"), "replaced")
    session.clear()
    session.update(kept)
    g.pop("sso_user", None)
    sid = sessions.start(user.id, sessions.SSO)
    session["sso_uid"] = user.id
    session["sso_auth_time"] = int(time.time())
    session["sso_sid"] = sid
    session.permanent = False
    return sid


def record_reauthentication() -> None:
    """The person has just proved who they are again (password re-entered)."""
    session["sso_auth_time"] = int(time.time())


def end_sso_session(reason: str = "logout") -> None:
    """Sign out of the SSO: end the session on the server (every copy of the cookie; its tokens
    are revoked and the relying parties told) and forget it in this cookie."""
    sessions.end(sessions.SSO, session.get("sso_sid"), reason)
    _forget()


def _forget() -> None:
    for key in ("sso_uid", "sso_auth_time", "sso_sid"):
        session.pop(key, None)
    g.pop("sso_user", None)


def sso_user():
    """The person signed in to the SSO, or None (also when the session has ended on the server:
    signed out elsewhere, password changed, locked, too old or idle)."""
    if "sso_user" in g:
        return g.sso_user
    uid = session.get("sso_uid")
    if uid is None:
        return None
    user = sessions.live_user(sessions.SSO, session.get("sso_sid"), uid)
    if user is None or not user.is_enabled:
        _forget()
        return None
    g.sso_user = user
    return user


def sso_auth_time() -> int | None:
    return session.get("sso_auth_time")


def sso_session_id() -> str | None:
    return session.get("sso_sid")


def authenticated_recently(max_age: int | None = None) -> bool:
    """Whether the person proved who they are within ``max_age`` seconds (REAUTH_MAX_AGE)."""
    max_age = max_age if max_age is not None else current_app.config["REAUTH_MAX_AGE"]
    auth_time = recent_auth_time()
    return auth_time is not None and time.time() - auth_time <= max_age


def recent_auth_time() -> int | None:
    """The latest proof of identity this browser holds: SSO sign-in or re-authentication, or the
    ``auth_time`` of the ID token e-Plan's OIDC login received (``oidc_auth_time``)."""
    times = [t for t in (session.get("sso_auth_time"), session.get("oidc_auth_time")) if t]
    return max(times) if times else None

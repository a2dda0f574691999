"""Accounts: development sign-in, API tokens, and their audit."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from eplan_flow.errors import InvalidInput, NotFound
from eplan_flow.extensions import db
from eplan_flow.models import ApiToken, User
from eplan_flow.models._types import utcnow
from eplan_flow.services import audit

# A real hash to compare against when the user does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-password")


def hash_password(password: str) -> str:
    """Hash with scrypt (memory-hard), Werkzeug's default."""
    return generate_password_hash(password, method="scrypt")


def authenticate(username: str, password: str) -> User | None:
    """Check a development password; audit the decision either way."""
    user = db.session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
    ok = check_password_hash(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    ok = ok and user is not None and user.is_enabled
    try:
        audit.append(
            f"user:{user.id}" if user else "auth:unknown",
            "login" if ok else "login_failed",
            actor=user if ok else None,
            organisation_id=user.organisation_id if user else None,
            data={} if user else {"username": username[:80]},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user if ok else None


def record_logout(user: User) -> None:
    try:
        audit.append(f"user:{user.id}", "logout", actor=user, organisation_id=user.organisation_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(username: str, name: str, days: int | None = 90) -> str:
    """Issue a bearer token for ``username``; the plain token is shown once and never stored."""
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    if not name.strip():
        raise InvalidInput("a token needs a name", field="name")
    token = "epf_" + secrets.token_urlsafe(32)
    try:
        db.session.add(
            ApiToken(
                user_id=user.id, name=name.strip()[:100], token_hash=_token_digest(token),
                expires_at=utcnow() + timedelta(days=days) if days else None,
            )
        )
        audit.append(f"user:{user.id}", "api_token_created", actor=user,
                     organisation_id=user.organisation_id, data={"name": name.strip()[:100]})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    return row.user if row.user.is_enabled else None

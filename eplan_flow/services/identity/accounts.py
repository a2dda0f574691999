"""Accounts: sign-in (through the SSO's claims, or the development password), API tokens, and
their audit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import joinedload
from werkzeug.security import generate_password_hash

from eplan_flow.errors import DomainError, InvalidInput, NotFound, PermissionDenied, StaleState
from eplan_flow.extensions import db
from eplan_flow.models import ApiToken, Organisation, RoleGrant, User
from eplan_flow.models._types import utcnow
from eplan_flow.services.identity import identity
from eplan_flow.services.platform import audit
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.text import clean_text
from workflows.roles import ROLE_NAMES


def hash_password(password: str) -> str:
    """Hash with scrypt (memory-hard), Werkzeug's default."""
    return generate_password_hash(password, method="scrypt")


def authenticate(username: str, password: str) -> User | None:
    """Check a development password; audit the decision either way.

    The check, the failure count and the lockout are the SSO's (``identity.check_password``), so a
    locked account stays locked here too. Hashes are not upgraded here: seeded test users keep
    their cheap hashes.
    """
    user = db.session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
    if user is None:
        identity.verify_password(None, password)
        with transaction():
            audit.append(
                audit.shard_chain("auth:unknown", username),
                "login_failed",
                data={"reason": "unknown_username"},
            )
        return None
    try:
        # Commits its decision (and any failure count) before it refuses.
        return identity.check_password(user, password, success="login", upgrade=False)
    except DomainError:
        return None


def record_logout(user: User) -> None:
    """Audit an e-Plan sign-out."""
    with transaction():
        audit.append(f"user:{user.id}", "logout", actor=user, organisation_id=user.organisation_id)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(username: str, name: str, days: int | None = 90) -> str:
    """Issue a bearer token for ``username``; the plain token is shown once and never stored."""
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    name = clean_text(name, field="name", required=True)[:100]
    token = "epf_" + secrets.token_urlsafe(32)
    with transaction():
        db.session.add(
            ApiToken(
                user_id=user.id,
                name=name,
                token_hash=_token_digest(token),
                expires_at=utcnow() + timedelta(days=days) if days else None,
            )
        )
        audit.append(
            f"user:{user.id}",
            "api_token_created",
            actor=user,
            organisation_id=user.organisation_id,
            data={"name": name},
        )
    return token


# The token's person comes with their grants in the same query (each API request's permission
# checks need them), as a session's does (services.identity.sessions), not in two more. Built once.
_TOKEN_USER = (
    select(ApiToken.revoked_at, ApiToken.expires_at, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("digest"))
    .options(joinedload(User.grants))
)


def user_for_token(token: str) -> User | None:
    row = db.session.execute(_TOKEN_USER, {"digest": _token_digest(token)}).unique().one_or_none()
    if row is None:
        return None
    revoked_at, expires_at, user = row
    if revoked_at is not None or (expires_at is not None and expires_at <= utcnow()):
        return None
    return user if user.is_enabled else None


# -- e-Plan as relying party of the SSO ---------------------------------------------------------


def sign_in_from_claims(issuer: str, claims: dict) -> User:
    """Sign in the person an SSO's verified ID-token claims name and sync their e-Plan roles."""
    return _apply_claims(issuer, claims, event="login")


def revalidate_from_claims(user_id: int, issuer: str, claims: dict) -> User:
    """Re-sync a signed-in person's e-Plan roles from the SSO's fresh claims (token refresh)."""
    return _apply_claims(issuer, claims, event="revalidate", user_id=user_id)


def end_sso_sign_in(user_id: int, reason: str) -> None:
    """Record that the SSO stopped vouching for a session and drop the roles its claims gave."""
    with transaction():
        user = _locked_user(User.id == user_id)
        if user is None:
            return
        removed = _drop_claim_grants(user.id)
        audit.append(
            f"user:{user.id}",
            "sso_session_ended",
            actor=user,
            organisation_id=user.organisation_id,
            data={"reason": reason[:80], "removed": removed},
        )


def _apply_claims(issuer: str, claims: dict, *, event: str, user_id: int | None = None) -> User:
    subject = str(claims.get("sub") or "").strip()
    if not issuer or not subject:
        raise InvalidInput("the SSO's answer names nobody", field="sub")
    # Before anything is read or written: an answer from another issuer changes nothing.
    _check_trusted_issuer(issuer)
    roles, ignored = _claimed_roles(claims)
    # An SSO account that is not active (or has no organisation) comes with no roles: that is
    # a person without e-Plan rights, not a malformed answer.
    org = _claims_organisation(claims) if roles or claims.get("org_code") else None
    with transaction(conflict=_concurrent_sign_in):
        user, refusal = _record_claims(
            issuer, subject, claims, org, roles, ignored, event=event, user_id=user_id
        )
    # The refusal is committed with its audit and role removals, then raised: a person whose
    # roles the SSO withdrew must lose them here too, not keep them until the next sign-in.
    if refusal == "disabled":
        raise PermissionDenied("this account is disabled in e-Plan", reason="disabled")
    if refusal == "no_role":
        raise PermissionDenied("the SSO grants this person no e-Plan role", reason="no_role")
    return user


def _concurrent_sign_in(exc) -> StaleState:
    return StaleState("another sign-in of this person ran at the same time")


def _record_claims(
    issuer: str,
    subject: str,
    claims: dict,
    org: Organisation | None,
    roles: set[str],
    ignored: list[str],
    *,
    event: str,
    user_id: int | None,
) -> tuple[User, str | None]:
    """Find or link the person, sync their claims grants and audit the decision, in the caller's
    transaction; return the person and why they are refused (``disabled``, ``no_role``), if so."""
    user = _find_or_link(issuer, subject, claims, org)
    if user_id is not None and user.id != user_id:
        raise PermissionDenied("the SSO now names another person")
    org_id = org.id if org is not None else user.organisation_id
    base = {"via": "oidc", "issuer": issuer, "organisation": org.code if org is not None else None}
    if not user.is_enabled:
        audit.append(
            f"user:{user.id}", "login_failed", organisation_id=org_id, data={**base, "reason": "disabled"}
        )
        return user, "disabled"
    if org is not None:
        added, removed = _sync_claim_grants(user.id, org.id, roles)
    else:
        added, removed = [], _drop_claim_grants(user.id)
    held = db.session.execute(select(RoleGrant.role).where(RoleGrant.user_id == user.id)).scalars().all()
    data = {
        **base,
        "roles": sorted(roles),
        "added": added,
        "removed": removed,
        **({"ignored_roles": ignored} if ignored else {}),
    }
    refusal = None if held else "no_role"
    if refusal:
        audit.append(
            f"user:{user.id}",
            "login_failed" if event == "login" else "sso_session_ended",
            actor=user,
            organisation_id=org_id,
            data={**data, "reason": refusal},
        )
    elif event == "login":
        user.last_login_at = utcnow()
        audit.append(f"user:{user.id}", "login", actor=user, organisation_id=org_id, data=data)
    elif added or removed:
        # A quiet re-check writes nothing; a change of roles is an authorisation decision.
        audit.append(f"user:{user.id}", "roles_synced", actor=user, organisation_id=org_id, data=data)
    return user, refusal


def _claims_organisation(claims: dict) -> Organisation:
    code = str(claims.get("org_code") or "").strip()
    if not code:
        raise InvalidInput("the SSO's answer names no organisation", field="org_code")
    org = db.session.execute(select(Organisation).where(Organisation.code == code)).scalar_one_or_none()
    if org is None:
        raise NotFound(f"no organisation with code {code!r}", field="org_code")
    return org


def _claimed_roles(claims: dict) -> tuple[set[str], list[str]]:
    raw = claims.get("roles") or []
    if isinstance(raw, str):
        raw = raw.split()
    names = {str(r) for r in raw}
    return names & set(ROLE_NAMES), sorted(names - set(ROLE_NAMES))


def _is_own_issuer(issuer: str) -> bool:
    """Whether ``issuer`` is this app's own SSO (whose subjects are local user ids)."""
    return issuer == current_app.config.get("OIDC_ISSUER")


def _check_trusted_issuer(issuer: str) -> None:
    """Refuse claims from any issuer but the pinned one (SSO_ISSUER), compared exactly.

    A subject means something only at its issuer: ``sub`` 1 at another provider is not person 1
    here, so claims from elsewhere never find, link or create anyone."""
    if issuer != current_app.config.get("SSO_ISSUER"):
        raise PermissionDenied("e-Plan trusts only its configured SSO", reason="untrusted_issuer")


def _find_or_link(issuer: str, subject: str, claims: dict, org: Organisation | None) -> User:
    _check_trusted_issuer(issuer)
    user = _locked_user(User.sso_issuer == issuer, User.sso_subject == subject)
    if _is_own_issuer(issuer):
        if user is not None:
            return user
        # This app's own SSO names people by their local id: link that row, never create one.
        user = _locked_user(User.id == int(subject)) if subject.isdigit() else None
        if user is None:
            raise NotFound("the SSO names a person e-Plan does not know", field="sub")
        user.sso_issuer, user.sso_subject = issuer, subject
        audit.append(
            f"user:{user.id}",
            "sso_linked",
            actor=user,
            organisation_id=user.organisation_id,
            data={"issuer": issuer},
        )
        return user
    # A foreign SSO (DLA's, a Keycloak) is the authority on who the person is and where they work.
    if user is None:
        if org is None:
            raise PermissionDenied("the SSO grants this person no e-Plan role", reason="no_role")
        user = User(
            username="sso-" + hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()[:24],
            full_name="",
            organisation_id=org.id,
            sso_issuer=issuer,
            sso_subject=subject,
        )
        db.session.add(user)
    user.full_name = str(claims.get("name") or user.full_name or subject)[:200]
    if org is not None:
        user.organisation_id = org.id
    email = str(claims.get("email") or "").strip()[:254] or None
    if email and email != user.email:
        # Never take an address another account holds: linking by email would hand that account over.
        taken = db.session.execute(select(User.id).where(User.email == email)).first()
        user.email = user.email if taken else email
    db.session.flush()
    return user


def _locked_user(*where) -> User | None:
    # Lock the person's row alone (the joined organisation cannot be locked): concurrent sign-ins
    # of one person then sync their grants one after the other.
    user_id = db.session.execute(select(User.id).where(*where).with_for_update()).scalar_one_or_none()
    return db.session.get(User, user_id) if user_id is not None else None


def _sync_claim_grants(user_id: int, org_id: int, roles: set[str]) -> tuple[list[str], list[str]]:
    """Make the person's claims-sourced grants exactly ``roles`` at ``org_id``; return (added, removed).

    Grants given here (``local``) or by the SSO's account approval (``sso``) are never touched, and
    a role already held from one of those stays as it is. Claims grants at another organisation go:
    the SSO names one organisation, so rights at the old one end with a transfer.
    """
    grants = db.session.execute(select(RoleGrant).where(RoleGrant.user_id == user_id)).scalars().all()
    removed = []
    for grant in grants:
        if grant.source == "claims" and (grant.organisation_id != org_id or grant.role not in roles):
            removed.append(f"{grant.role}@{grant.organisation.code}")
            db.session.delete(grant)
    held = {
        g.role
        for g in grants
        if g.organisation_id == org_id and not (g.source == "claims" and g.role not in roles)
    }
    added = sorted(roles - held)
    for role in added:
        db.session.add(RoleGrant(user_id=user_id, organisation_id=org_id, role=role, source="claims"))
    db.session.flush()
    return added, sorted(removed)


def _drop_claim_grants(user_id: int) -> list[str]:
    grants = (
        db.session.execute(
            select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.source == "claims")
        )
        .scalars()
        .all()
    )
    removed = sorted(f"{g.role}@{g.organisation.code}" for g in grants)
    db.session.execute(delete(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.source == "claims"))
    return removed

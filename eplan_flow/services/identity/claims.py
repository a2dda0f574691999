"""What the SSO says about a person to one relying party: the claims of its ID tokens and userinfo.

Roles are computed at every issue (sign-in and each token refresh), never copied from an earlier
token, so an access revoked at the SSO is gone from the next refreshed token.
"""

from __future__ import annotations

from sqlalchemy import select

from eplan_flow.extensions import db
from eplan_flow.models import Account, RoleGrant, SystemAccess

# Which scope releases which claims (``sub`` is always released).
SCOPE_CLAIMS = {
    "profile": ("name",),
    "email": ("email", "email_verified"),
    "eplan": ("org_code", "org_name", "roles"),
}
CLAIMS_SUPPORTED = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "sid",
    "at_hash",
    *(claim for claims in SCOPE_CLAIMS.values() for claim in claims),
)


def active_account(user) -> Account | None:
    """The person's SSO account if it is ``active`` (the only state that may sign in elsewhere)."""
    account = db.session.execute(select(Account).where(Account.user_id == user.id)).scalar_one_or_none()
    return account if account is not None and account.status == "active" and user.is_enabled else None


def roles_for(user, client, account: Account | None) -> list[str]:
    """The roles ``client`` may see: approved accesses to it and SSO grants, at the account's
    organisation, limited to the client's ``allowed_roles``."""
    if account is None:
        return []
    approved = db.session.execute(
        select(SystemAccess.role).where(
            SystemAccess.user_id == user.id,
            SystemAccess.client_id == client.client_id,
            SystemAccess.organisation_id == account.organisation_id,
            SystemAccess.status == "approved",
        )
    ).scalars()
    granted = db.session.execute(
        select(RoleGrant.role).where(
            RoleGrant.user_id == user.id,
            RoleGrant.organisation_id == account.organisation_id,
            RoleGrant.source == "sso",
        )
    ).scalars()
    allowed = set(client.allowed_roles or ())
    return sorted({*approved, *granted} & allowed)


def claims_for(user, client, scope: str) -> dict:
    """Return the claims about ``user`` that ``client`` receives for ``scope``."""
    scopes = set((scope or "").split())
    claims: dict = {"sub": str(user.id)}
    if "profile" in scopes:
        claims["name"] = user.full_name
    if "email" in scopes and user.email:
        claims["email"] = user.email
        claims["email_verified"] = user.email_confirmed_at is not None
    if "eplan" in scopes:
        account = active_account(user)
        org = account.organisation if account is not None else None
        claims["org_code"] = org.code if org is not None else None
        claims["org_name"] = org.name_th if org is not None else None
        claims["roles"] = roles_for(user, client, account)
    return claims

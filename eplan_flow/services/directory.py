"""The directory: organisations, people and role grants, each change audited in its own commit.

Every public function is one use case: it checks the actor may do it, writes the change and one
audit event, and commits once, or rolls back and raises a ``DomainError`` (nothing half-written).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import LAO_TYPES, ORG_KINDS, Organisation, RoleGrant, User
from eplan_flow.permissions import can_manage_organisations, can_manage_people, has_role
from eplan_flow.services import audit, unit_of_work
from eplan_flow.services.accounts import hash_password
from workflows.roles import ROLES

# The fields each use case may set; anything else is refused rather than silently written.
ORGANISATION_FIELDS = (
    "code", "kind", "lao_type", "name_th", "name_en", "province_code", "district_code",
    "district_name_th", "lat", "lon", "area_km2", "is_active",
)
USER_FIELDS = ("username", "full_name", "email", "position", "organisation_id", "is_enabled", "locale")
_REQUIRED = {"code", "kind", "name_th", "username", "full_name", "organisation_id"}

# Where a role is held: its reach decides the kind of organisation that may hold the grant.
KIND_FOR_REACH = {"own": "lao", "district": "district_office", "province": "provincial_office",
                  "national": "dla"}

# Unique constraints (named by the metadata naming convention) and the field at fault.
_UNIQUE_FIELDS = {
    "uq_organisation_code": ("code", "this code is already in use"),
    "uq_user_account_username": ("username", "this username is already in use"),
    "uq_user_account_email": ("email", "this e-mail address is already in use"),
    "uq_role_grant_user_id_organisation_id_role": ("role", "this person already holds this role there"),
}


# -- organisations ---------------------------------------------------------------------------
def create_organisation(actor, **values: Any) -> Organisation:
    """Add an organisation (DLA admins only) and audit it."""
    _require(can_manage_organisations(actor), "Only a DLA admin may add organisations.")
    values = _clean(values, ORGANISATION_FIELDS)
    _check_organisation(values)

    def write() -> Organisation:
        org = Organisation(**values)
        db.session.add(org)
        db.session.flush()
        audit.append(f"organisation:{org.id}", "organisation_created", actor=actor,
                     organisation_id=org.id, data=_jsonable(values))
        return org

    return _commit(write)


def update_organisation(actor, organisation_id: int, **values: Any) -> Organisation:
    """Change an organisation's fields (DLA admins only) and audit what changed."""
    _require(can_manage_organisations(actor), "Only a DLA admin may change organisations.")
    org = _get(Organisation, organisation_id)
    values = _clean(values, ORGANISATION_FIELDS)
    _check_organisation({**{f: getattr(org, f) for f in ORGANISATION_FIELDS}, **values})

    def write() -> Organisation:
        changed = _assign(org, values)
        if changed:
            audit.append(f"organisation:{org.id}", "organisation_updated", actor=actor,
                         organisation_id=org.id, data=changed)
        return org

    return _commit(write)


def _check_organisation(values: dict) -> None:
    for name in ("code", "kind", "name_th"):
        if not values.get(name):
            raise InvalidInput(f"{name} is required", field=name)
    if values["kind"] not in ORG_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(ORG_KINDS)}", field="kind")
    lao_type = values.get("lao_type")
    if values["kind"] == "lao" and lao_type not in LAO_TYPES:
        raise InvalidInput("an LAO needs its LAO type", field="lao_type")
    if values["kind"] != "lao" and lao_type:
        raise InvalidInput("only an LAO has an LAO type", field="lao_type")
    district, province = values.get("district_code"), values.get("province_code")
    if district and province and not district.startswith(province):
        raise InvalidInput("the district is not in the province", field="district_code")


# -- people ----------------------------------------------------------------------------------
def create_user(actor, *, password: str | None = None, **values: Any) -> User:
    """Add a person to an organisation the actor manages, optionally with a password."""
    values = _clean(values, USER_FIELDS)
    for name in ("username", "full_name", "organisation_id"):
        if not values.get(name):
            raise InvalidInput(f"{name} is required", field=name)
    org = _get(Organisation, values["organisation_id"], field="organisation_id")
    _require(can_manage_people(actor, org), "You may not add people to this organisation.")
    values.setdefault("is_enabled", True)

    def write() -> User:
        user = User(**values, password_hash=hash_password(password) if password else None)
        db.session.add(user)
        db.session.flush()
        audit.append(f"user:{user.id}", "user_created", actor=actor, organisation_id=org.id,
                     data={**_jsonable(values), "password_set": bool(password)})
        return user

    return _commit(write)


def update_user(actor, user_id: int, *, password: str | None = None, **values: Any) -> User:
    """Change a person the actor manages (and move them only to an organisation they manage)."""
    user = _get(User, user_id)
    _require(can_manage_people(actor, user.organisation), "You may not change this person.")
    values = _clean(values, USER_FIELDS)
    new_org_id = values.get("organisation_id")
    if new_org_id and new_org_id != user.organisation_id:
        target = _get(Organisation, new_org_id, field="organisation_id")
        _require(can_manage_people(actor, target), "You may not move people to this organisation.")

    def write() -> User:
        changed = _assign(user, values)
        if password:
            user.password_hash = hash_password(password)
            changed["password"] = "changed"  # that it changed, never the value
        if changed:
            audit.append(f"user:{user.id}", "user_updated", actor=actor,
                         organisation_id=user.organisation_id, data=changed)
        return user

    return _commit(write)


# -- role grants -----------------------------------------------------------------------------
def grant_role(actor, *, user_id: int, organisation_id: int, role: str) -> RoleGrant:
    """Grant ``role`` at an organisation to a person, if the actor may grant it there."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", field="role")
    user = _get(User, user_id, field="user_id")
    org = _get(Organisation, organisation_id, field="organisation_id")
    _check_grant_rights(actor, role, org, person=user)
    if org.kind != KIND_FOR_REACH[ROLES[role]["reach"]]:
        raise InvalidInput(
            f"the role {role} is held at a {KIND_FOR_REACH[ROLES[role]['reach']]}, not a {org.kind}",
            field="organisation_id",
        )

    def write() -> RoleGrant:
        grant = RoleGrant(user_id=user.id, organisation_id=org.id, role=role,
                          granted_by_id=getattr(actor, "id", None))
        db.session.add(grant)
        db.session.flush()
        audit.append(f"user:{user.id}", "role_granted", actor=actor, organisation_id=org.id,
                     data={"grant_id": grant.id, "role": role, "organisation": org.code})
        return grant

    return _commit(write)


def revoke_role(actor, grant_id: int) -> None:
    """Withdraw a role grant, if the actor may grant that role there."""
    grant = _get(RoleGrant, grant_id)
    _check_grant_rights(actor, grant.role, grant.organisation, person=grant.user)

    def write() -> None:
        audit.append(f"user:{grant.user_id}", "role_revoked", actor=actor,
                     organisation_id=grant.organisation_id,
                     data={"grant_id": grant.id, "role": grant.role,
                           "organisation": grant.organisation.code})
        db.session.delete(grant)

    _commit(write)


def _check_grant_rights(actor, role: str, org: Organisation, *, person: User) -> None:
    _require(can_manage_people(actor, org), "You may not manage roles at this organisation.")
    _require(can_manage_people(actor, person.organisation), "You may not manage this person's roles.")
    # An LAO's SSO admin hands out the LAO's own roles; oversight roles come from DLA.
    if ROLES[role]["reach"] != "own":
        _require(has_role(actor, "dla_admin", org), f"Only a DLA admin may grant the role {role}.")


# -- helpers ---------------------------------------------------------------------------------
def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _get(model: type, row_id, field: str | None = None):
    row = db.session.get(model, row_id) if row_id is not None else None
    if row is None:
        details = {"field": field} if field else {}
        raise NotFound(f"{model.__name__} #{row_id} not found", **details)
    return row


def _clean(values: dict, allowed: tuple[str, ...]) -> dict:
    unknown = set(values) - set(allowed)
    if unknown:
        raise InvalidInput(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    cleaned = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip()
            if value == "" and name not in _REQUIRED:
                value = None  # an empty optional field is "not given", not an empty unique value
        cleaned[name] = value
    return cleaned


def _assign(row, values: dict) -> dict:
    return unit_of_work.assign(row, values)


def _jsonable(values: dict) -> dict:
    return unit_of_work.jsonable(values)


def _commit(write: Callable[[], Any]) -> Any:
    """Run ``write`` and commit, or roll back everything and raise a DomainError."""
    return unit_of_work.run(write, conflict=_conflict)


def _conflict(exc) -> InvalidInput:
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    known = _UNIQUE_FIELDS.get(constraint or "")
    if known:
        return InvalidInput(known[1], field=known[0])
    return InvalidInput("the change conflicts with existing data")


__all__ = [
    "create_organisation", "create_user", "grant_role", "revoke_role",
    "update_organisation", "update_user",
]

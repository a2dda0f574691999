"""The directory: organisations and people, each change audited in its own commit.

Every public function is one use case: it checks the actor may do it, writes the change and one
audit event, and commits once, or rolls back and raises a ``DomainError`` (nothing half-written).
"""

from __future__ import annotations

from typing import Any

from eplan_flow import text
from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import LAO_TYPES, ORG_KINDS, Organisation, User
from eplan_flow.permissions import can_manage_organisations, can_manage_people
from eplan_flow.services.identity import sessions
from eplan_flow.services.platform import audit, unit_of_work
from eplan_flow.services.platform.unit_of_work import transaction

# The fields each use case may set; anything else is refused rather than silently written.
ORGANISATION_FIELDS = (
    "code",
    "kind",
    "lao_type",
    "name_th",
    "name_en",
    "province_code",
    "district_code",
    "district_name_th",
    "lat",
    "lon",
    "area_km2",
    "is_active",
)
USER_FIELDS = ("username", "full_name", "email", "position", "organisation_id", "is_enabled", "locale")
ADMIN_EDITABLE_USER_FIELDS = tuple(f for f in USER_FIELDS if f != "email")
_REQUIRED = {"code", "kind", "name_th", "username", "full_name", "organisation_id"}

# Unique constraints (named by the metadata naming convention) and the field at fault.
_UNIQUE_FIELDS = {
    "uq_organisation_code": ("code", "this code is already in use"),
    "uq_user_account_username": ("username", "this username is already in use"),
    "uq_user_account_email": ("email", "this e-mail address is already in use"),
}


# -- organisations ---------------------------------------------------------------------------
def create_organisation(actor, **values: Any) -> Organisation:
    """Add an organisation (DLA admins only) and audit it."""
    _require(can_manage_organisations(actor), "Only a DLA admin may add organisations.")
    values = _clean(values, ORGANISATION_FIELDS)
    _check_organisation(values)
    with transaction(conflict=_conflict):
        org = Organisation(**values)
        db.session.add(org)
        db.session.flush()
        audit.append(
            f"organisation:{org.id}",
            "organisation_created",
            actor=actor,
            organisation_id=org.id,
            data=unit_of_work.jsonable(values),
        )
    return org


def update_organisation(actor, organisation_id: int, **values: Any) -> Organisation:
    """Change an organisation's fields (DLA admins only) and audit what changed."""
    _require(can_manage_organisations(actor), "Only a DLA admin may change organisations.")
    org = _get(Organisation, organisation_id)
    values = _clean(values, ORGANISATION_FIELDS)
    _check_organisation({**{f: getattr(org, f) for f in ORGANISATION_FIELDS}, **values})
    with transaction(conflict=_conflict):
        changed = unit_of_work.assign(org, values)
        if changed:
            audit.append(
                f"organisation:{org.id}",
                "organisation_updated",
                actor=actor,
                organisation_id=org.id,
                data=changed,
            )
    return org


def _check_organisation(values: dict) -> None:
    for name in ("code", "kind", "name_th"):
        if not values.get(name):
            raise InvalidInput(f"{name} is required", field=name, reason="required")
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
def create_user(actor, **values: Any) -> User:
    """Add a person to an organisation the actor manages (without a password: people set their own)."""
    values = _clean(values, USER_FIELDS)
    for name in ("username", "full_name", "organisation_id"):
        if not values.get(name):
            raise InvalidInput(f"{name} is required", field=name, reason="required")
    org = _get(Organisation, values["organisation_id"], field="organisation_id")
    _require(can_manage_people(actor, org), "You may not add people to this organisation.")
    values.setdefault("is_enabled", True)
    with transaction(conflict=_conflict):
        user = User(**values)
        db.session.add(user)
        db.session.flush()
        audit.append(
            f"user:{user.id}",
            "user_created",
            actor=actor,
            organisation_id=org.id,
            data=unit_of_work.jsonable(values),
        )
    return user


def update_user(actor, user_id: int, **values: Any) -> User:
    """Change a person the actor manages (and move them only to an organisation they manage).

    Never their password or email address: those are the person's own (an admin who could set
    either could sign in as them, or have their reset link sent to themself).
    """
    user = _get(User, user_id)
    _require(can_manage_people(actor, user.organisation), "You may not change this person.")
    values = _clean(values, ADMIN_EDITABLE_USER_FIELDS)
    new_org_id = values.get("organisation_id")
    if new_org_id and new_org_id != user.organisation_id:
        target = _get(Organisation, new_org_id, field="organisation_id")
        _require(can_manage_people(actor, target), "You may not move people to this organisation.")
    with transaction(conflict=_conflict):
        changed = unit_of_work.assign(user, values)
        if changed.get("is_enabled", [True, True])[1] is False:
            # A disabled account ends every sign-in at once, copies of the cookie too.
            sessions.end_all_sessions(user.id, "disabled")
        if changed:
            audit.append(
                f"user:{user.id}",
                "user_updated",
                actor=actor,
                organisation_id=user.organisation_id,
                data=changed,
            )
    return user


# -- role grants -----------------------------------------------------------------------------
# None here: a role is granted only by approving the person's request through the SSO's access
# workflow (``services.approvals``), which checks ``permissions.may_grant`` and a recent sign-in.


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
            value = text.clean_text(value, field=name)
            if value is None and name in _REQUIRED:
                value = ""  # left for the "is required" checks to name
            # An empty optional field is "not given" (None), not an empty unique value.
        cleaned[name] = value
    return cleaned


def _conflict(exc) -> InvalidInput:
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    known = _UNIQUE_FIELDS.get(constraint or "")
    if known:
        return InvalidInput(known[1], field=known[0])
    return InvalidInput("the change conflicts with existing data")


__all__ = [
    "create_organisation",
    "create_user",
    "update_organisation",
    "update_user",
]

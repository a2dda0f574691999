"""Who may see and do what. Pure functions of a user's grants and an organisation.

Services enforce these; templates and admin views use them only to show or hide.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import false, or_, true
from sqlalchemy.sql import ColumnElement

from workflows.account import ACCOUNT_V1, APPROVER_GUARDS
from workflows.roles import BACK_OFFICE_ROLES, ROLES
from workflows.routing import district_lao_types, via_district


def _grants(user) -> Iterable:
    if user is None or not getattr(user, "is_authenticated", False):
        return ()
    if not getattr(user, "is_active", True):
        # A disabled account keeps its grants on record (history) but may do nothing.
        return ()
    return user.grants


def grant_covers(grant, org) -> bool:
    """Whether a grant held at ``grant.organisation`` reaches ``org``."""
    reach = ROLES[grant.role]["reach"]
    held_at = grant.organisation
    # Every grant covers the organisation it is held at, whatever its reach; the SQL clauses
    # below encode the same rule, so lists and single checks always agree.
    if reach == "national" or org.id == held_at.id:
        return True
    if reach == "province":
        return held_at.province_code is not None and org.province_code == held_at.province_code
    if reach == "district":
        # The district office reaches only the LAOs the province works with through it
        # (workflows.routing): เทศบาลตำบล and อบต., not the อบจ., เทศบาลเมือง or เทศบาลนคร.
        return (
            held_at.district_code is not None
            and org.district_code == held_at.district_code
            and (org.kind == "district_office" or (org.kind == "lao" and via_district(org.lao_type)))
        )
    return False


def _district_reach(org_model) -> ColumnElement[bool]:
    """The organisations of a district a district grant reaches, as ``grant_covers`` reads them."""
    return (org_model.kind == "district_office") | (
        (org_model.kind == "lao") & org_model.lao_type.in_(district_lao_types())
    )


def roles_over(user, org) -> set[str]:
    """The roles ``user`` holds that reach ``org``."""
    return {g.role for g in _grants(user) if grant_covers(g, org)}


def has_role(user, role: str, org) -> bool:
    return any(g.role == role and grant_covers(g, org) for g in _grants(user))


def can_read(user, org) -> bool:
    """Whether ``user`` may read ``org``'s data: any of their grants reaches it."""
    return bool(roles_over(user, org))


# Who writes an LAO's plan content (strategies, projects, revisions) and records its execution.
PLAN_CONTENT_ROLES = frozenset({"planner", "support_secretary"})


def can_edit_plan_content(user, org) -> bool:
    """Whether ``user`` is one of ``org``'s planners or support-committee secretaries."""
    return bool(roles_over(user, org) & PLAN_CONTENT_ROLES)


# Who keeps an LAO's signed files (announcements, minutes, resolutions) with its plan's steps,
# versions and revisions: its planning staff and the secretaries of its committee and council.
ATTACHING_ROLES = PLAN_CONTENT_ROLES | {"devcom_secretary", "council_secretary"}


def can_attach_files(user, org) -> bool:
    """Whether ``user`` is one of ``org``'s staff who attach signed files (not its readers)."""
    return bool(roles_over(user, org) & ATTACHING_ROLES)


def can_use_back_office(user) -> bool:
    return any(g.role in BACK_OFFICE_ROLES for g in _grants(user))


def can_manage_people(user, org) -> bool:
    """LAO SSO admins manage their own LAO's people; DLA admins everyone's."""
    return has_role(user, "sso_admin", org) or has_role(user, "dla_admin", org)


# -- who may grant which role: the chain of trust of workflows/account.py, read as a table ----------
# The kind of organisation a role is held at follows from its reach (an LAO's staff at an LAO).
HELD_AT = {"own": "lao", "district": "district_office", "province": "provincial_office", "national": "dla"}


def _grant_authority() -> dict[tuple[str, str], str]:
    """``(role, kind of organisation) → the role that may grant it there``.

    The SSO's own roles come with an approved admin account (``"<kind>:sso_admin"`` in the rules),
    every other role with approved system access, decided by the approver of that kind's members
    (``"<kind>:member"``). A pair missing from the table may not be granted by anyone.
    """
    rules = ACCOUNT_V1["rules"]
    table = {}
    for key, role in rules["grants_on_activation"].items():
        kind = key.partition(":")[0]
        table[(role, kind)] = rules["approver"][key]
    sso_roles = set(rules["grants_on_activation"].values())
    for role, spec in ROLES.items():
        kind = HELD_AT[spec["reach"]]
        approver = rules["approver"].get(f"{kind}:member")
        if role not in sso_roles and approver:
            table[(role, kind)] = approver
    return table


# An LAO's SSO admin grants the LAO's staff roles; the province grants LAO SSO admins and district
# officers; DLA grants provincial officers and DLA admins.
GRANT_AUTHORITY = _grant_authority()


def grant_approver(role: str, org_kind: str) -> str | None:
    """The role that may grant ``role`` at an organisation of ``org_kind`` (None: nobody may)."""
    return GRANT_AUTHORITY.get((role, org_kind))


def may_grant(actor, role: str, org, person) -> bool:
    """Whether ``actor`` may grant ``role`` at ``org`` to ``person``.

    Never to themself, only to a member of ``org``, and only as the approver the chain of trust
    names for that role there, through a grant of theirs that reaches ``org``.
    """
    actor_id, person_id = getattr(actor, "id", None), getattr(person, "id", None)
    if actor_id is None or person_id is None or actor_id == person_id:
        return False
    if getattr(person, "organisation_id", None) != org.id:
        return False
    approver = grant_approver(role, org.kind)
    return approver is not None and has_role(actor, approver, org)


# The approvers of the chain of trust help people of their scope with their sign-in (unlock, reset).
SIGN_IN_HELPER_ROLES = frozenset(APPROVER_GUARDS)


def can_help_with_sign_in(actor, person) -> bool:
    """Whether ``actor`` may send ``person`` a password-reset link (never see or set the password)."""
    org = person.organisation
    return any(has_role(actor, role, org) for role in SIGN_IN_HELPER_ROLES)


def can_manage_organisations(user) -> bool:
    return any(g.role == "dla_admin" for g in _grants(user))


def can_manage_jobs(user) -> bool:
    """Background jobs serve every LAO: only DLA admins see, retry or discard failed ones."""
    return any(g.role == "dla_admin" for g in _grants(user))


def can_schedule_entry_windows(user) -> bool:
    """A read-only window closes e-Plan for every LAO: only DLA admins schedule, change or end one."""
    return any(g.role == "dla_admin" for g in _grants(user))


# Offices that watch over LAOs: the oversight dashboards are theirs (read-only).
OVERSIGHT_ROLES = frozenset({"district_officer", "provincial_officer", "dla_admin"})


def can_oversee(user) -> bool:
    """Whether ``user`` holds a district, provincial or national oversight grant."""
    return any(g.role in OVERSIGHT_ROLES for g in _grants(user))


def can(user, action: str, obj) -> bool:
    """One entry point for templates: ``can(user, "read", org)`` and friends."""
    org = getattr(obj, "organisation", obj)
    checks = {
        "read": lambda: can_read(user, org),
        "manage_people": lambda: can_manage_people(user, org),
        "manage_organisations": lambda: can_manage_organisations(user),
        "manage_jobs": lambda: can_manage_jobs(user),
        "back_office": lambda: can_use_back_office(user),
        "oversee": lambda: can_oversee(user),
        "edit_plan_content": lambda: can_edit_plan_content(user, org),
        "attach_files": lambda: can_attach_files(user, org),
    }
    try:
        return checks[action]()
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None


def visible_org_clause(user, org_model) -> ColumnElement[bool]:
    """A SQL condition on ``org_model`` selecting the organisations ``user`` may read."""
    clauses = []
    for g in _grants(user):
        reach = ROLES[g.role]["reach"]
        held_at = g.organisation
        if reach == "national":
            return true()
        clauses.append(org_model.id == held_at.id)
        if reach == "province" and held_at.province_code:
            clauses.append(org_model.province_code == held_at.province_code)
        elif reach == "district" and held_at.district_code:
            clauses.append((org_model.district_code == held_at.district_code) & _district_reach(org_model))
    return or_(*clauses) if clauses else false()


def covering_grants_clause(org, grant_model, org_model) -> ColumnElement[bool]:
    """A SQL condition on grants (joined to their organisation) whose reach covers ``org``."""
    by_reach: dict[str, list[str]] = {}
    for role, spec in ROLES.items():
        by_reach.setdefault(spec["reach"], []).append(role)
    clauses = [
        grant_model.organisation_id == org.id,
        grant_model.role.in_(by_reach.get("national", [])),
    ]
    if org.province_code:
        clauses.append(
            grant_model.role.in_(by_reach.get("province", []))
            & (org_model.province_code == org.province_code)
        )
    district_reaches = org.kind == "district_office" or (org.kind == "lao" and via_district(org.lao_type))
    if org.district_code and district_reaches:
        clauses.append(
            grant_model.role.in_(by_reach.get("district", []))
            & (org_model.district_code == org.district_code)
        )
    return or_(*clauses)

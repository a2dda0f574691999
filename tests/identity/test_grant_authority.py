"""Who may grant which role where (``permissions.may_grant``): the chain of trust as one table."""

from __future__ import annotations

from itertools import count
from types import SimpleNamespace

import pytest

from eplan_flow.permissions import GRANT_AUTHORITY, grant_approver, may_grant
from tests.platform.test_permissions import DLA, DO_3801, PO_30, PO_38, SAO_A, SAO_X, TOWN_B, grant
from workflows.account import ACCOUNT_V1
from workflows.roles import ROLES

_ids = count(100)
LAO_STAFF_ROLES = ("planner", "support_secretary", "devcom_secretary", "council_secretary", "executive")


def someone(at, *roles):
    """A person of ``at`` holding ``roles`` there."""
    return SimpleNamespace(
        id=next(_ids),
        organisation_id=at.id,
        is_authenticated=True,
        is_active=True,
        grants=[grant(role, at) for role in roles],
    )


def test_the_table_names_one_approver_for_every_role_at_the_kind_of_office_that_holds_it():
    assert {
        **{(role, "lao"): "sso_admin" for role in LAO_STAFF_ROLES},
        ("sso_admin", "lao"): "provincial_officer",
        ("district_officer", "district_office"): "provincial_officer",
        ("provincial_officer", "provincial_office"): "dla_admin",
        ("dla_admin", "dla"): "dla_admin",
    } == GRANT_AUTHORITY
    assert {role for role, _kind in GRANT_AUTHORITY} == set(ROLES)
    # The same chain of trust as the account workflow's guards read.
    assert grant_approver("sso_admin", "lao") == ACCOUNT_V1["rules"]["approver"]["lao:sso_admin"]


@pytest.mark.parametrize("role", LAO_STAFF_ROLES)
def test_an_lao_sso_admin_grants_the_lao_staff_roles_to_colleagues_only(role):
    admin = someone(SAO_A, "sso_admin")
    assert may_grant(admin, role, SAO_A, someone(SAO_A))
    assert not may_grant(admin, role, SAO_A, admin)  # never to themself
    assert not may_grant(admin, role, TOWN_B, someone(TOWN_B))  # never at another LAO
    assert not may_grant(admin, role, SAO_A, someone(TOWN_B))  # never to another LAO's person


@pytest.mark.parametrize("role", ["sso_admin", "district_officer", "provincial_officer", "dla_admin"])
def test_an_lao_sso_admin_grants_no_admin_or_oversight_role_anywhere(role):
    admin = someone(SAO_A, "sso_admin")
    for org in (SAO_A, DO_3801, PO_38, DLA):
        assert not may_grant(admin, role, org, someone(org))


def test_the_province_grants_lao_admins_and_district_officers_of_its_province_only():
    province = someone(PO_38, "provincial_officer")
    assert may_grant(province, "sso_admin", SAO_A, someone(SAO_A))
    assert may_grant(province, "district_officer", DO_3801, someone(DO_3801))
    assert not may_grant(province, "sso_admin", SAO_X, someone(SAO_X))
    assert not may_grant(province, "planner", SAO_A, someone(SAO_A))  # the LAO's own admin does
    assert not may_grant(province, "provincial_officer", PO_38, someone(PO_38))
    assert not may_grant(province, "provincial_officer", PO_30, someone(PO_30))


def test_dla_grants_provincial_officers_and_dla_admins_but_never_to_itself():
    dla = someone(DLA, "dla_admin")
    assert may_grant(dla, "provincial_officer", PO_30, someone(PO_30))
    assert may_grant(dla, "dla_admin", DLA, someone(DLA))
    assert not may_grant(dla, "dla_admin", DLA, dla)
    # A role is held only at its kind of office: no district officer at an LAO, no planner at DLA.
    assert not may_grant(dla, "district_officer", SAO_A, someone(SAO_A))
    assert not may_grant(dla, "planner", DLA, someone(DLA))


def test_a_disabled_or_signed_out_approver_grants_nothing():
    admin = someone(SAO_A, "sso_admin")
    admin.is_active = False
    assert not may_grant(admin, "planner", SAO_A, someone(SAO_A))
    assert not may_grant(None, "planner", SAO_A, someone(SAO_A))

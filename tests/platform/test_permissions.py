"""Scope rules as pure functions of grants and organisations (plain namespaces, no database)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from eplan_flow import permissions
from eplan_flow.permissions import can, can_read, grant_covers, has_role, roles_over
from workflows.roles import ROLES


def org(id, kind="lao", province="38", district="3801", lao_type="sao"):
    return SimpleNamespace(
        id=id,
        kind=kind,
        province_code=province,
        district_code=district,
        lao_type=lao_type if kind == "lao" else None,
    )


DLA = org(1, "dla", None, None)
PO_38 = org(2, "provincial_office", "38", None)
PO_30 = org(3, "provincial_office", "30", None)
DO_3801 = org(4, "district_office", "38", "3801")
DO_3802 = org(5, "district_office", "38", "3802")
SAO_A = org(10, "lao", "38", "3801")
TOWN_B = org(11, "lao", "38", "3801", "town_municipality")
SAO_C = org(12, "lao", "38", "3802")
SAO_X = org(13, "lao", "30", "3001")
ALL = [DLA, PO_38, PO_30, DO_3801, DO_3802, SAO_A, TOWN_B, SAO_C, SAO_X]


def grant(role, at):
    return SimpleNamespace(role=role, organisation=at)


def person(*grants, authenticated=True, enabled=True):
    return SimpleNamespace(grants=list(grants), is_authenticated=authenticated, is_active=enabled)


def covered(role, at):
    return {o.id for o in ALL if grant_covers(grant(role, at), o)}


@pytest.mark.parametrize("role", [r for r, spec in ROLES.items() if spec["reach"] == "own"])
def test_an_own_reach_grant_covers_only_the_organisation_it_is_held_at(role):
    assert covered(role, SAO_A) == {SAO_A.id}


def test_a_district_grant_covers_the_district_office_and_the_laos_of_its_district_only():
    # Only the LAOs the province reaches through the district (workflows.routing): the อบต., not
    # the เทศบาลเมือง of the same district, which the province deals with directly.
    assert covered("district_officer", DO_3801) == {DO_3801.id, SAO_A.id}
    assert covered("district_officer", DO_3802) == {DO_3802.id, SAO_C.id}


def test_a_province_grant_covers_every_organisation_of_its_province_only():
    assert covered("provincial_officer", PO_38) == {
        PO_38.id,
        DO_3801.id,
        DO_3802.id,
        SAO_A.id,
        TOWN_B.id,
        SAO_C.id,
    }
    assert covered("provincial_officer", PO_30) == {PO_30.id, SAO_X.id}


def test_a_national_grant_covers_everything():
    assert covered("dla_admin", DLA) == {o.id for o in ALL}


def test_a_wide_reach_held_at_an_organisation_without_area_codes_covers_only_that_organisation():
    stray = org(99, "provincial_office", None, None)
    assert covered("provincial_officer", stray) == set()
    assert grant_covers(grant("provincial_officer", stray), stray)
    assert covered("district_officer", org(98, "district_office", "38", None)) == set()


def test_roles_over_gives_the_roles_whose_grants_reach_the_organisation():
    someone = person(grant("planner", SAO_A), grant("provincial_officer", PO_38), grant("executive", SAO_X))
    assert roles_over(someone, SAO_A) == {"planner", "provincial_officer"}
    assert roles_over(someone, SAO_C) == {"provincial_officer"}
    assert roles_over(someone, SAO_X) == {"executive"}
    assert roles_over(someone, DLA) == set()


def test_a_planner_reads_their_own_lao_and_never_another():
    planner = person(grant("planner", SAO_A))
    assert can_read(planner, SAO_A)
    assert not any(can_read(planner, o) for o in ALL if o is not SAO_A)
    assert has_role(planner, "planner", SAO_A)
    assert not has_role(planner, "planner", TOWN_B)


def test_an_anonymous_or_missing_user_has_no_roles_anywhere():
    anonymous = person(grant("dla_admin", DLA), authenticated=False)
    assert roles_over(anonymous, SAO_A) == set()
    assert roles_over(None, SAO_A) == set()
    assert not can(None, "read", SAO_A)


def test_a_disabled_account_keeps_its_grants_on_record_but_may_do_nothing():
    disabled = person(grant("dla_admin", DLA), enabled=False)
    assert roles_over(disabled, SAO_A) == set()
    assert not can(disabled, "back_office", None)


def test_can_answers_each_action_and_reads_an_objects_organisation():
    admin = person(grant("sso_admin", SAO_A))
    plan = SimpleNamespace(organisation=SAO_A)
    assert can(admin, "read", plan)
    assert can(admin, "manage_people", SAO_A)
    assert not can(admin, "manage_people", TOWN_B)
    assert not can(admin, "manage_organisations", None)
    assert can(admin, "back_office", None)
    assert not can(person(grant("planner", SAO_A)), "back_office", None)
    dla = person(grant("dla_admin", DLA))
    assert can(dla, "manage_organisations", None)
    assert can(dla, "manage_people", SAO_X)
    with pytest.raises(ValueError, match="unknown action"):
        can(admin, "fly", SAO_A)


def test_every_role_has_a_known_reach():
    assert {spec["reach"] for spec in ROLES.values()} <= {"own", "district", "province", "national"}
    assert set(ROLES) >= permissions.BACK_OFFICE_ROLES

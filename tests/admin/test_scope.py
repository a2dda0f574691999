"""Who may open which back-office page, and which rows each person sees there."""

from __future__ import annotations

import re

import pytest

from eplan_flow.models import Organisation, User
from eplan_flow.permissions import can_read

VIEWS = ("organisations", "users", "role_grants", "plans", "audit", "outbox")
LAO_STAFF = ("planner", "support_secretary", "devcom_secretary", "council_secretary", "executive", "nobody")
OFFICES = ("sso_admin", "district_officer", "provincial_officer")

# Which edit pages open (200) for whom; every other edit page sends the user back to the list.
EDITABLE_IN_SCOPE = {("organisations", "dla_admin"), ("users", "dla_admin"), ("users", "sso_admin")}
EDITABLE_OUT_OF_SCOPE = {("organisations", "dla_admin"), ("users", "dla_admin")}


def expected_status(role: str, view: str | None, page: str) -> int:
    """The status the table of roles and pages promises (None view = the back-office home)."""
    if role == "anonymous":
        return 302
    if role in LAO_STAFF:
        return 403
    if view == "outbox" and role != "dla_admin":
        return 403
    if page in ("index", "list", "details_in"):
        return 200
    if page == "details_out":
        return 200 if role == "dla_admin" else 302
    if page == "edit_in":
        return 200 if (view, role) in EDITABLE_IN_SCOPE else 302
    if page == "edit_out":
        return 200 if (view, role) in EDITABLE_OUT_OF_SCOPE else 302
    raise AssertionError(page)


def pages(scoped):
    yield None, "index", "/admin/"
    for view in VIEWS:
        yield view, "list", f"/admin/{view}/"
        if view in scoped:
            inside, outside = scoped[view]
            yield view, "details_in", f"/admin/{view}/details/?id={inside}"
            yield view, "details_out", f"/admin/{view}/details/?id={outside}"
            yield view, "edit_in", f"/admin/{view}/edit/?id={inside}"
            yield view, "edit_out", f"/admin/{view}/edit/?id={outside}"


@pytest.mark.parametrize("role", ["anonymous", *LAO_STAFF, *OFFICES, "dla_admin"])
def test_every_admin_page_gives_each_role_its_status_and_never_another_provinces_rows(
    role, world, scoped, client, login_as
):
    if role != "anonymous":
        login_as(getattr(world, role))
    foreign_code = world.sao_x.code
    wrong = []
    for view, page, url in pages(scoped):
        response = client.get(url)
        want = expected_status(role, view, page)
        body = response.get_data(as_text=True)
        if response.status_code != want:
            wrong.append(f"{url}: {response.status_code}, expected {want}")
        if role == "anonymous" and response.status_code == 302:
            assert response.location.startswith("/auth/login"), url
        if role != "dla_admin":
            if response.status_code == 302 and role != "anonymous":
                body += client.get(response.location).get_data(as_text=True)
            if foreign_code in body:
                wrong.append(f"{url}: shows {foreign_code}, an LAO outside the scope of {role}")
        if role in OFFICES and page == "list" and want == 200 and view != "organisations":
            if world.sao_a.code not in body:
                wrong.append(f"{url}: does not show sao_a's rows to {role}")
    assert not wrong, "\n".join(wrong)


def _organisations_page(client, url="/admin/organisations/"):
    body = client.get(url).get_data(as_text=True)
    return body


def test_the_provincial_officer_lists_every_organisation_of_the_province_and_none_of_another(
    world, client, login_as
):
    login_as(world.provincial_officer)
    body = _organisations_page(client)
    for org in (world.po_38, world.do_3801, world.do_3802, world.sao_a, world.town_b, world.sao_c):
        assert org.code in body
    for org in (world.sao_x, world.po_30, world.dla):
        assert f"{org.code}<" not in body and f"({org.code})" not in body
    assert world.sao_x.code not in body


def test_the_district_officer_lists_the_laos_of_the_district_only(world, client, login_as):
    login_as(world.district_officer)
    body = _organisations_page(client)
    assert world.sao_a.code in body and world.do_3801.code in body
    assert world.sao_c.code not in body and world.sao_x.code not in body
    # town_b, a เทศบาลเมือง of the district, deals with the province directly (workflows.routing).
    assert world.town_b.code not in body
    assert f">{world.po_38.code}<" not in body


def test_an_sso_admin_sees_only_the_people_of_their_own_lao(world, client, login_as):
    login_as(world.sso_admin)
    body = client.get("/admin/users/").get_data(as_text=True)
    assert "a_planner" in body and "a_executive" in body
    assert "b_planner" not in body and "c_planner" not in body and "x_planner" not in body


def _shown_count(body: str) -> int:
    match = re.search(r"\((\d+)\)</a>", body)
    assert match, "the list shows no count"
    return int(match.group(1))


@pytest.mark.parametrize("role", [*OFFICES, "dla_admin"])
def test_the_count_shown_by_each_list_is_the_count_of_rows_in_scope(
    role, world, scoped, db, client, login_as
):
    user = getattr(world, role)
    login_as(user)
    orgs = db.session.query(Organisation).all()
    people = db.session.query(User).all()
    expected = {
        "organisations": sum(1 for o in orgs if can_read(user, o)),
        "users": sum(1 for p in people if can_read(user, p.organisation)),
    }
    for view, want in expected.items():
        body = client.get(f"/admin/{view}/").get_data(as_text=True)
        assert _shown_count(body) == want, view
    # A search narrows both the rows and the count, still within scope.
    body = client.get("/admin/organisations/?search=หนองเลิง").get_data(as_text=True)
    assert _shown_count(body) == 1 and world.sao_a.code in body


def test_someone_who_reads_a_row_but_may_not_manage_it_gets_403_on_its_edit_page(world, db, client, login_as):
    from eplan_flow.models import RoleGrant

    # SSO admin of sao_a who also serves as a district officer of 3802: reads sao_c, manages only sao_a.
    db.session.add(
        RoleGrant(user_id=world.sso_admin.id, organisation_id=world.do_3802.id, role="district_officer")
    )
    db.session.commit()
    login_as(world.sso_admin)
    assert client.get(f"/admin/users/details/?id={world.planner_c.id}").status_code == 200
    assert client.get(f"/admin/users/edit/?id={world.planner_c.id}").status_code == 403
    assert client.get(f"/admin/users/edit/?id={world.planner.id}").status_code == 200


def test_the_outbox_is_not_in_the_menu_of_an_office_below_dla(world, client, login_as):
    login_as(world.provincial_officer)
    assert "/admin/outbox/" not in client.get("/admin/").get_data(as_text=True)
    login_as(world.dla_admin)
    assert "/admin/outbox/" in client.get("/admin/").get_data(as_text=True)


def test_the_back_office_can_be_built_inside_another_apps_context(app):
    from tests.conftest import make_app

    with app.app_context():
        other = make_app()
    with other.test_request_context("/admin/?lang=en"):
        assert "/admin/organisations/" in [str(rule) for rule in other.url_map.iter_rules()]

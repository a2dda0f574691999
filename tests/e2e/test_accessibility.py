"""Every role's main pages and the back office pass axe-core (no serious or critical violation) at
desktop and phone sizes, and the layout fits: a collapsed menu on phones, ผ.01 without sideways
scrolling at 1366 px, the oversight page of a Bueng Kan-sized province (58 LAOs) of a readable height.

Runs against the demo server of tests/e2e/conftest.py (``make run``'s data) on SQLite: the markup
does not depend on the database, which the journeys cover on both.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.e2e.axe import assert_accessible
from tests.e2e.journey import SIZES

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("journey_server", ["sqlite"], indirect=True)]

DESKTOP, PHONE = SIZES["desktop"], SIZES["phone"]


@pytest.fixture(scope="module")
def ids(journey_server):
    """The demo's first plan, its LAO and an account: the pages that take an id."""
    engine = sa.create_engine(journey_server.database_url)
    try:
        with engine.connect() as conn:
            plan, org = conn.execute(
                sa.text("SELECT id, organisation_id FROM plan ORDER BY id LIMIT 1")
            ).one()
            user = conn.execute(sa.text("SELECT id FROM user_account ORDER BY id LIMIT 1")).scalar_one()
    finally:
        engine.dispose()
    return {"plan": plan, "org": org, "user": user}


PAGES = {
    "planner": (
        "/",
        "/notifications",
        "/overdue",
        "/workflows",
        "/plans/{plan}",
        "/plans/{plan}/p01",
        "/plans/{plan}/p02",
        "/results/laos/{org}",
        "/instances/plan/{plan}",
        "/sso/",
        "/public/",
    ),
    "provincial_officer": ("/", "/oversight/", "/sso/approvals"),
    "dla_admin": (
        "/admin/",
        "/admin/organisations/",
        "/admin/organisations/edit/?id={org}",
        "/admin/users/",
        "/admin/users/edit/?id={user}",
        "/admin/plans/",
        "/admin/plans/edit/?id={plan}",
        "/admin/audit/",
    ),
}


def _size(page, size: tuple[int, int]) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})


def _layout(page) -> dict:
    return page.evaluate(
        """() => ({
            scrollWidth: document.scrollingElement.scrollWidth,
            height: document.scrollingElement.scrollHeight,
            innerWidth: innerWidth,
            wraps: [...document.querySelectorAll('.table-wrap')].map(e => e.scrollWidth - e.clientWidth),
        })"""
    )


@pytest.mark.parametrize("role", sorted(PAGES))
def test_every_main_page_of_the_role_passes_axe_core_on_a_desktop_and_a_phone(
    role, people, journey_server, ids
):
    page = people(role)
    for size in (DESKTOP, PHONE):
        _size(page, size)
        for path in PAGES[role]:
            response = page.goto(journey_server.url + path.format(**ids))
            assert response is not None and response.status == 200, path
            assert_accessible(page)
            if path.startswith("/admin/"):
                assert page.locator("html").get_attribute("lang") == "th"
                assert page.locator("main#content").count() == 1
                assert page.locator("a.skip-link[href='#content']").count() == 1


def test_on_a_phone_the_menu_is_collapsed_and_the_first_screen_shows_the_heading(people, journey_server):
    page = people("planner")
    _size(page, PHONE)
    page.goto(journey_server.url + "/")
    nav = page.locator("nav.site-nav")
    menu_button = nav.locator("summary")
    assert menu_button.is_visible()
    links = nav.locator("a[href='/workflows']")
    assert links.count() == 2 and not any(link.is_visible() for link in links.all())
    assert nav.bounding_box()["height"] < 60
    heading = page.locator("main h1").first
    assert heading.bounding_box()["y"] + heading.bounding_box()["height"] < PHONE[1] / 2
    assert _layout(page)["scrollWidth"] <= PHONE[0]  # nothing runs off the side of the phone

    menu_button.click()  # the menu opens in place, every link reachable
    assert nav.locator("a[href='/workflows']").first.is_visible()
    assert_accessible(page)

    _size(page, DESKTOP)  # on a desktop the whole menu shows, with no menu button
    assert not menu_button.is_visible()
    assert nav.locator(".menu-wide a[href='/workflows']").is_visible()


def test_p01_fits_a_1366_pixel_window_without_sideways_scrolling(people, journey_server, ids):
    page = people("planner")
    _size(page, DESKTOP)
    page.goto(journey_server.url + f"/plans/{ids['plan']}/p01")
    assert page.locator("table.print-form tbody td").count() > 0
    layout = _layout(page)
    assert layout["scrollWidth"] <= layout["innerWidth"]
    assert layout["wraps"] and all(overflow <= 0 for overflow in layout["wraps"]), layout


def test_the_oversight_page_of_58_laos_is_grouped_by_district_and_short(people, journey_server):
    page = people("provincial_officer")
    for size, most in ((DESKTOP, 3_000), (PHONE, 4_500)):
        _size(page, size)
        page.goto(journey_server.url + "/oversight/")
        groups = page.locator("main details.district-group")
        assert groups.count() > 1
        assert page.locator("main details.district-group tbody tr").count() == 58  # every LAO is there
        assert _layout(page)["height"] < most, size
    first = groups.first
    first.locator(":scope > summary").click()
    assert first.locator("tbody tr").first.is_visible()
    assert_accessible(page)

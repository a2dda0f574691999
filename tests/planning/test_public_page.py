"""The public posting page: announced plans and revisions for anyone, no sign-in, nothing internal."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from eplan_flow import thaidate
from tests import factories
from tests.factories.deadlines import plan_in, revision_of


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def posted(world):
    """Announced and draft plans and revisions across the world's LAOs."""
    w = world
    today = thaidate.today_local()
    w.recent_day = today - timedelta(days=5)
    w.a_plan = plan_in(
        w.sao_a,
        w.planner,
        2566,
        "acknowledged",
        announced_on=date(2021, 9, 28),
        submitted_on=date(2021, 10, 5),
    )
    w.a_addition = revision_of(w.a_plan, "เพิ่มเติม", 2, 2568, announced_on=date(2025, 3, 3))
    w.a_change = revision_of(w.a_plan, "เปลี่ยนแปลง", 1, 2569, announced_on=w.recent_day)
    w.a_draft_revision = revision_of(w.a_plan, "แก้ไข", None, 2569, status="executive_review")
    w.a_draft_plan = plan_in(w.sao_a, w.planner, 2571, "executive_review")
    w.c_plan = plan_in(w.sao_c, w.planner_c, 2566, "announced", announced_on=date(2022, 1, 10))
    w.x_draft_plan = plan_in(w.sao_x, w.planner_x, 2566, "drafting")
    return w


def test_anyone_signed_out_reads_the_announced_plans_and_revisions_newest_first(client, posted):
    w = posted
    response = client.get("/public/")
    assert response.status_code == 200
    page = text(response)
    titles = [w.a_change.title, w.a_addition.title, w.c_plan.title, w.a_plan.title]
    assert titles[1] == "เพิ่มเติม ครั้งที่ 2/2568"
    assert re.findall(r"<strong>(.*?)</strong>", page) == titles
    # Announcement dates and the end of posting, in Buddhist-Era Thai.
    assert "3 มีนาคม 2568" in page and "2 เมษายน 2568" in page
    assert thaidate.format_date(w.recent_day) in page
    assert thaidate.format_date(w.recent_day + timedelta(days=30)) in page
    assert w.sao_a.display_name in page and w.sao_c.code in page


def test_drafts_and_internal_data_never_appear(client, posted):
    w = posted
    page = text(client.get("/public/"))
    for hidden in (
        w.a_draft_plan.title,
        w.x_draft_plan.title,
        "ร่างการ",  # a draft revision's title
        w.sao_x.code,
        w.planner.full_name,
        "csrf_token",
        "/instances/",
    ):
        assert hidden not in page
    lao_page = text(client.get(f"/public/{w.sao_a.code}"))
    assert w.a_draft_plan.title not in lao_page and "ร่างการ" not in lao_page


def test_only_announcements_still_within_their_posting_period_are_marked(client, posted):
    w = posted
    page = text(client.get("/public/"))
    rows = re.findall(r'<tr class="announcement [a-z]+">(.*?)</tr>', page, flags=re.DOTALL)
    marked = [row for row in rows if 'class="badge current"' in row]
    assert len(rows) == 4
    assert len(marked) == 1 and w.a_change.title in marked[0]


def test_the_page_is_cacheable_for_anyone_and_private_for_a_signed_in_reader(client, login_as, posted):
    response = client.get("/public/")
    assert response.cache_control.public and response.cache_control.max_age == 300
    assert "Set-Cookie" not in response.headers
    again = client.get("/public/", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304

    login_as(posted.planner)
    signed_in = client.get("/public/")
    assert signed_in.status_code == 200
    assert signed_in.cache_control.private and not signed_in.cache_control.public


@pytest.mark.parametrize("query", ["code", "name", "typed_name", "code_prefix"])
def test_the_search_finds_an_lao_by_code_or_name(client, posted, query):
    w = posted
    q = {
        "code": w.sao_c.code,
        "name": "ศรีชม",
        "typed_name": "อบต.ศรีชมภู",
        "code_prefix": w.sao_c.code[:6],
    }[query]
    page = text(client.get("/public/", query_string={"q": q}))
    assert w.c_plan.title in page
    assert w.a_plan.title not in page and w.a_addition.title not in page


def test_a_search_with_wildcards_matches_them_literally(client, posted):
    page = text(client.get("/public/", query_string={"q": "%"}))
    assert posted.a_plan.title not in page and posted.c_plan.title not in page


def test_a_search_with_no_match_says_so(client, posted):
    page = text(client.get("/public/", query_string={"q": "ไม่มีชื่อนี้"}))
    assert '<tr class="announcement' not in page
    assert 'value="ไม่มีชื่อนี้"' in page


def test_an_lao_page_lists_only_its_own_announcements(client, posted):
    w = posted
    response = client.get(f"/public/{w.sao_a.code}")
    assert response.status_code == 200
    page = text(response)
    assert w.sao_a.display_name in page
    for title in (w.a_plan.title, w.a_addition.title, w.a_change.title):
        assert title in page
    assert w.c_plan.title not in page


def test_an_unknown_lao_or_an_office_has_no_public_page(client, posted):
    assert client.get("/public/9999999").status_code == 404
    assert client.get(f"/public/{posted.do_3801.code}").status_code == 404


def test_the_list_is_paginated_and_the_pager_keeps_the_search(client, world):
    w = world
    plan = plan_in(w.sao_a, w.planner, 2566, "announced", announced_on=date(2022, 1, 1))
    for n in range(1, 52):
        revision_of(plan, "เพิ่มเติม", n, 2567, announced_on=date(2023, 1, 1) + timedelta(days=n))
    first = text(client.get("/public/", query_string={"q": w.sao_a.code}))
    assert first.count('<tr class="announcement') == 50
    assert "เพิ่มเติม ครั้งที่ 51/2567" in first  # the newest
    assert f"/public/?page=2&amp;q={w.sao_a.code}" in first
    second = text(client.get("/public/", query_string={"q": w.sao_a.code, "page": 2}))
    assert second.count('<tr class="announcement') == 2
    assert plan.title in second and "เพิ่มเติม ครั้งที่ 1/2567" in second
    beyond = client.get("/public/", query_string={"page": 99})
    assert beyond.status_code == 200


def test_a_newly_created_lao_without_announcements_has_an_empty_page(client, world):
    org = factories.lao("โนนสว่าง", "subdistrict_municipality", "3802")
    response = client.get(f"/public/{org.code}")
    assert response.status_code == 200
    assert '<tr class="announcement' not in text(response)


def test_switching_the_language_is_never_cached_for_others(client, posted):
    response = client.get("/public/", query_string={"lang": "en"})
    assert response.status_code == 200
    assert "Set-Cookie" in response.headers
    assert response.cache_control.private and not response.cache_control.public
    assert "3 March 2025" in text(response)


def test_a_search_is_cleaned_like_typed_text_and_never_refused(client, posted):
    w = posted
    # Stray spaces and an invisible zero-width space around the code still find the LAO.
    page = text(client.get("/public/", query_string={"q": f"  {w.sao_c.code}\u200b "}))
    assert w.c_plan.title in page and w.a_plan.title not in page
    # Text the cleaning rule refuses (a NUL) searches for nothing in particular: a page, not an error.
    response = client.get("/public/", query_string={"q": "ศรีชม\x00"})
    assert response.status_code == 200
    assert w.c_plan.title in text(response) and w.a_plan.title in text(response)

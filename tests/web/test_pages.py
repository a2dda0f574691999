"""The pages people read: sign-in, their plans, workflows, an instance, errors, Thai first."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from eplan_flow import thaidate
from eplan_flow.models import Plan
from tests import factories


def text(response) -> str:
    return response.get_data(as_text=True)


# -- sign in and out ------------------------------------------------------------------------------
def test_the_login_page_offers_the_sso_and_labels_the_development_sign_in(client, world):
    page = text(client.get("/auth/login"))
    assert 'action="/auth/oidc/login"' in page
    assert "การเข้าสู่ระบบสำหรับการพัฒนา" in page
    assert 'href="/sso/register"' in page


def test_without_the_development_sign_in_the_login_page_has_no_password_form(world):
    from tests.conftest import make_app

    app = make_app(DEV_LOGIN_ENABLED=False)
    page = text(app.test_client().get("/auth/login"))
    assert 'action="/auth/oidc/login"' in page
    assert 'type="password"' not in page
    assert app.test_client().post(
        "/auth/login", data={"username": "a_planner", "password": "pw"}
    ).status_code in (404, 405)


def test_a_person_signs_in_with_the_form_and_signs_out_only_by_post(client, world):
    assert client.get("/").status_code == 302
    wrong = client.post("/auth/login", data={"username": "a_planner", "password": "nope"})
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in text(wrong)

    signed_in = client.post("/auth/login", data={"username": "a_planner", "password": "pw"})
    assert signed_in.status_code == 302
    home = text(client.get("/"))
    assert world.planner.full_name in home
    assert world.sao_a.display_name in home  # the header names the person's organisation

    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/").headers["Location"].startswith("/auth/login")


def test_pages_need_a_signed_in_person(client, world):
    plan = factories.plan(world.sao_a, world.planner)
    for url in ("/", "/workflows", "/notifications", f"/instances/plan/{plan.id}"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/auth/login")


# -- the home page is scoped ----------------------------------------------------------------------
def _plans(world):
    return {
        "sao_a": factories.plan(world.sao_a, world.planner),
        "town_b": factories.plan(world.town_b, world.town_planner),
        "sao_c": factories.plan(world.sao_c, world.planner_c),
        "sao_x": factories.plan(world.sao_x, world.planner_x),
    }


def _visible_titles(client, plans) -> set[str]:
    page = text(client.get("/"))
    return {name for name, plan in plans.items() if plan.title in page}


def test_a_planner_sees_only_the_plans_of_their_own_lao(world, login_as):
    plans = _plans(world)
    assert _visible_titles(login_as(world.planner), plans) == {"sao_a"}
    assert _visible_titles(login_as(world.planner_x), plans) == {"sao_x"}


def test_a_provincial_officer_sees_every_plan_of_the_province_and_no_other(world, login_as):
    plans = _plans(world)
    assert _visible_titles(login_as(world.provincial_officer), plans) == {"sao_a", "town_b", "sao_c"}


def test_a_district_officer_sees_the_plans_of_their_district(world, login_as):
    plans = _plans(world)
    # Not town_b's: the province deals with a เทศบาลเมือง directly (workflows.routing).
    assert _visible_titles(login_as(world.district_officer), plans) == {"sao_a"}


def test_the_home_page_shows_organisation_state_label_version_and_a_buddhist_era_date(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    plan.updated_at = datetime(2026, 11, 26, 6, 5, tzinfo=UTC)
    db.session.commit()
    page = text(login_as(world.planner).get("/"))
    assert world.sao_a.display_name in page
    assert "ร่างแผน (คณะกรรมการสนับสนุนฯ และประชาคมท้องถิ่น)" in page
    assert f'<td data-label="รุ่นข้อมูล">{plan.version}</td>' in page
    assert "26 พฤศจิกายน 2569" in page


def test_the_footer_names_the_current_thai_fiscal_year(world, login_as):
    page = text(login_as(world.planner).get("/"))
    assert f"ปีงบประมาณ {thaidate.fiscal_year(thaidate.today_local())}" in page


def test_the_back_office_link_shows_only_for_back_office_roles(world, login_as):
    assert 'href="/admin/"' not in text(login_as(world.planner).get("/"))
    assert 'href="/admin/"' in text(login_as(world.provincial_officer).get("/"))


# -- workflows --------------------------------------------------------------------------------------
def test_the_workflow_pages_list_states_steps_roles_and_diagrams(world, login_as):
    client = login_as(world.planner)
    listing = text(client.get("/workflows"))
    assert "การจัดทำ/ทบทวนแผนพัฒนาท้องถิ่น (ข้อ 17)" in listing
    assert "รุ่นที่ 1" in listing
    assert "ประกาศใช้แล้ว" in listing
    assert "ส่งกลับไปแก้ไข" in listing
    assert "เลขานุการสภาท้องถิ่น" in listing
    # Each definition's diagram, drawn on the server (Graphviz), with no script and no Mermaid text.
    assert listing.count('class="state-diagram" role="img"') == listing.count('<section class="panel"') > 1
    assert "mermaid" not in listing and "stateDiagram" not in listing and "<script" not in listing
    one = client.get("/workflows/plan")
    assert one.status_code == 200 and 'class="state-diagram" role="img"' in text(one)
    assert client.get("/workflows/no_such_flow").status_code == 404


# -- one instance -----------------------------------------------------------------------------------
def test_the_instance_page_shows_the_diagram_the_states_the_history_and_who_may_act(world, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    page = text(login_as(world.provincial_officer).get(f"/instances/plan/{plan.id}"))
    assert plan.title in page and world.sao_a.display_name in page
    # The diagram, drawn on the server with the current state in bold...
    assert 'class="state-diagram" role="img"' in page and "mermaid" not in page
    assert (
        'font-weight="bold" font-size="14.00" fill="#ffffff">ร่างแผน (คณะกรรมการสนับสนุนฯ และประชาคมท้องถิ่น)</text>'
        in page
    )
    # ...and the same facts as an accessible list for those without.
    assert '<li aria-current="step">ร่างแผน (คณะกรรมการสนับสนุนฯ และประชาคมท้องถิ่น)' in page
    # History: the creation, by whom, with its request id column.
    assert "สร้างรายการ" in page and world.planner.full_name in page and "รหัสคำขอ" in page
    # What happens next: the officer cannot submit, so the page names who can and in which role.
    assert "เสนอคณะกรรมการพัฒนาท้องถิ่น" in page
    assert "เลขานุการคณะกรรมการสนับสนุนการจัดทำแผนพัฒนาท้องถิ่น" in page
    assert world.planner.full_name in page and world.support_secretary.full_name in page
    assert "/fire" not in page


def test_the_instance_page_gives_the_person_who_may_act_a_form_with_the_version_they_saw(world, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    page = text(login_as(world.planner).get(f"/instances/plan/{plan.id}"))
    assert f'action="/instances/plan/{plan.id}/fire"' in page
    assert 'name="trigger" type="hidden" value="submit_to_committee"' in page
    assert f'name="expected_version" type="hidden" value="{plan.version}"' in page
    assert "<textarea" in page and 'name="comment"' in page


def test_a_step_that_needs_a_comment_marks_the_comment_required(world, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    page = text(login_as(world.devcom_secretary).get(f"/instances/plan/{plan.id}"))
    start = page.index('id="comment-return_for_revision"')
    tag = page[page.rindex("<textarea", 0, start) : page.index(">", start)]
    assert " required" in tag
    endorse = page.index('id="comment-endorse"')
    assert " required" not in page[page.rindex("<textarea", 0, endorse) : page.index(">", endorse)]


def test_another_laos_instance_and_unknown_ids_are_not_found(world, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    client = login_as(world.planner_x)
    response = client.get(f"/instances/plan/{plan.id}")
    assert response.status_code == 404
    assert "ไม่พบหน้านี้" in text(response)
    assert plan.title not in text(response)
    assert client.get(f"/instances/plan/{plan.id + 1000}").status_code == 404
    assert client.get(f"/instances/no_such_flow/{plan.id}").status_code == 404


def test_the_instance_page_shows_its_last_change_in_the_buddhist_era(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    plan.updated_at = datetime(2026, 11, 26, 6, 5, tzinfo=UTC)
    db.session.commit()
    page = text(login_as(world.planner).get(f"/instances/plan/{plan.id}"))
    assert "26 พฤศจิกายน 2569 13:05 น." in page


# -- language ----------------------------------------------------------------------------------------
def test_pages_are_thai_by_default_and_english_on_request(world, login_as):
    client = login_as(world.planner)
    thai = text(client.get("/"))
    assert '<html lang="th">' in thai
    assert "หน้าหลัก" in thai and "แผนที่ท่านเข้าถึงได้" in thai

    english = text(client.get("/?lang=en"))
    assert '<html lang="en">' in english
    assert "Home" in english and "Plans you can see" in english and "หน้าหลัก" not in english
    # The choice sticks for the session, and Thai comes back on request.
    assert "Waiting for me" in text(client.get("/notifications"))
    assert "งานที่รอฉัน" in text(client.get("/notifications?lang=th"))


def test_english_pages_show_english_state_labels_and_common_era_dates(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    plan.updated_at = datetime(2026, 11, 26, 6, 5, tzinfo=UTC)
    db.session.commit()
    page = text(login_as(world.planner).get(f"/instances/plan/{plan.id}?lang=en"))
    assert "Drafting (support committee and civic forum)" in page
    assert "26 November 2026" in page


# -- errors ----------------------------------------------------------------------------------------
def test_unknown_pages_get_a_thai_error_page_and_unknown_api_paths_get_json(world, login_as):
    client = login_as(world.planner)
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "ไม่พบหน้านี้" in text(page)
    assert "กลับสู่หน้าหลัก" in text(page)
    api = client.get("/api/v1/no/such/thing")
    assert api.status_code == 404 and api.is_json and "code" in api.get_json()


def test_a_plan_row_the_person_may_not_read_is_never_listed_even_on_later_pages(world, db, login_as):
    # 60 plans at sao_x (more than a page) must not leak to sao_a's planner on any page.
    for year in range(2500, 2560):
        factories.plan(world.sao_x, world.planner_x, period_start_be=year)
    client = login_as(world.planner)
    for page in (1, 2, 3):
        assert "โพธิ์กลาง" not in text(client.get(f"/?page={page}"))
    assert db.session.scalar(select(func.count(Plan.id))) == 60

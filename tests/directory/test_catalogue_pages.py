"""The strategies page, its forms and the ยท.01 linkage table, as people use them in a browser."""

from __future__ import annotations

import pytest

from eplan_flow.extensions import db
from eplan_flow.models import AuditEvent, LaoStrategy, Tactic
from eplan_flow.services.planning import strategies
from eplan_flow.services.platform import engine
from tests import factories
from tests.factories import catalogues as cf
from tests.pages import csrf_token_in


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def scene(world, db):
    cf.load()
    world.plan = factories.plan(world.sao_a, world.planner)
    world.strategy = cf.strategy(
        world.plan,
        1,
        "ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐาน",
        links=[
            cf.item("national_strategy", "2"),
            cf.item("master_plan", "07"),
            cf.item("nesdp_milestone", "8"),
            cf.item("sdg", "9"),
            cf.item("provincial_strategy", "3", "38"),
            cf.item("province_lao_strategy", "1", "38"),
        ],
    )
    return world


def content_events(db, plan) -> list[AuditEvent]:
    return db.session.query(AuditEvent).filter_by(chain=strategies.content_chain(plan.id)).all()


def test_a_planner_adds_renames_and_adds_a_tactic_through_plain_forms(scene, db, client, login_as):
    login_as(scene.planner)
    base = f"/catalogues/plans/{scene.plan.id}/strategies"
    page = text(client.get(base))
    assert "ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐาน" in page and f'action="{base}"' in page

    added = client.post(base, data={"number": "2", "name": "ยุทธศาสตร์การพัฒนาคน"})
    assert added.status_code == 303 and added.headers["Location"].endswith(base)
    new = db.session.query(LaoStrategy).filter_by(plan_id=scene.plan.id, number=2).one()
    renamed = client.post(f"{base}/{new.id}", data={"number": "3", "name": "ยุทธศาสตร์การพัฒนาคนและสังคม"})
    assert renamed.status_code == 303
    tactic = client.post(f"{base}/{new.id}/tactics", data={"number": "1", "name": "ส่งเสริมการศึกษา"})
    assert tactic.status_code == 303

    db.session.expire_all()
    assert (new.number, new.name) == (3, "ยุทธศาสตร์การพัฒนาคนและสังคม")
    assert [t.name for t in new.tactics] == ["ส่งเสริมการศึกษา"]
    assert [e.action for e in content_events(db, scene.plan)] == [
        "strategy_created",
        "strategy_updated",
        "tactic_created",
    ]
    page = text(client.get(base))
    assert "3.1 ส่งเสริมการศึกษา" in page


def test_a_bad_form_comes_back_with_the_field_marked_and_nothing_saved(scene, db, client, login_as):
    login_as(scene.planner)
    base = f"/catalogues/plans/{scene.plan.id}/strategies"

    taken = client.post(base, data={"number": "1", "name": "ซ้ำเลข"})
    empty = client.post(base, data={"number": "2", "name": ""})

    assert taken.status_code == empty.status_code == 422
    assert (
        'aria-describedby="new-strategy-number-error" aria-invalid="true" id="new-strategy-number"'
        in text(taken)
    )
    assert '<p class="field-error" id="new-strategy-number-error">' in text(taken)
    assert 'aria-describedby="new-strategy-name-error" aria-invalid="true" id="new-strategy-name"' in text(
        empty
    )
    assert "ซ้ำเลข" in text(taken)  # what was typed is shown again
    assert content_events(db, scene.plan) == []


def test_the_links_page_ticks_the_current_links_and_saves_the_new_choice(scene, db, client, login_as):
    login_as(scene.support_secretary)
    url = f"/catalogues/plans/{scene.plan.id}/strategies/{scene.strategy.id}/links"
    page = text(client.get(url))
    sdg_9, sdg_6 = cf.item("sdg", "9"), cf.item("sdg", "6")
    assert f'value="{sdg_9.id}" id="item-{sdg_9.id}"\n             checked' in page
    assert "การจัดการน้ำและสุขาภิบาล" in page and "ยุทธศาสตร์จังหวัด 30" not in page

    saved = client.post(url, data={"items": [str(sdg_6.id)]})

    assert saved.status_code == 303
    db.session.expire_all()
    assert [i.code for i in scene.strategy.links] == ["6"]
    assert [e.action for e in content_events(db, scene.plan)] == ["strategy_links_set"]


def test_a_link_to_another_provinces_item_is_refused_on_the_form(scene, db, client, login_as):
    korat = cf.provincial_item("30")
    login_as(scene.planner)
    url = f"/catalogues/plans/{scene.plan.id}/strategies/{scene.strategy.id}/links"

    response = client.post(url, data={"items": [str(korat.id)]})

    assert response.status_code == 422
    db.session.expire_all()
    assert len(scene.strategy.links) == 6 and content_events(db, scene.plan) == []


def test_yt01_shows_each_strategy_with_its_links_in_every_column(scene, client, login_as):
    cf.strategy(scene.plan, 2, "ยุทธศาสตร์ที่ยังไม่เชื่อมโยง")
    login_as(scene.provincial_officer)

    page = text(client.get(f"/catalogues/plans/{scene.plan.id}/yt01"))

    assert "@media print" not in page and "css/catalogues.css" in page
    row = page.split("ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐาน", 1)[1].split("</tr>", 1)[0]
    for fragment in (
        "2 การสร้างความสามารถในการแข่งขัน",
        "07 โครงสร้างพื้นฐาน ระบบโลจิสติกส์ และดิจิทัล",
        "8 ไทยมีพื้นที่และเมืองอัจฉริยะ",
        "9 อุตสาหกรรม นวัตกรรม และโครงสร้างพื้นฐาน",
        "3 พัฒนาการค้า การลงทุน และการค้าชายแดน",
        "1 การพัฒนาโครงสร้างพื้นฐาน",
    ):
        assert fragment in row
    assert "2. ยุทธศาสตร์ที่ยังไม่เชื่อมโยง" in page


def test_the_print_stylesheet_sets_a_landscape_page_for_the_yt01(client):
    response = client.get("/static/css/catalogues.css")
    css = text(response)
    response.close()
    assert "@media print" in css and "landscape" in css


@pytest.mark.parametrize("who", ["planner_x", "town_planner", "provincial_officer_30"])
def test_another_lao_or_province_gets_404_on_every_page_and_form(who, scene, db, client, login_as):
    login_as(getattr(scene, who))
    base = f"/catalogues/plans/{scene.plan.id}"
    sid = scene.strategy.id
    tactic = Tactic(strategy_id=sid, number=1, name="กลยุทธ์")
    db.session.add(tactic)
    db.session.commit()

    for path in (f"{base}/strategies", f"{base}/yt01", f"{base}/strategies/{sid}/links"):
        assert client.get(path).status_code == 404, path
    form = {"number": "5", "name": "แทรก", "items": []}
    for path in (
        f"{base}/strategies",
        f"{base}/strategies/{sid}",
        f"{base}/strategies/{sid}/tactics",
        f"{base}/tactics/{tactic.id}",
        f"{base}/strategies/{sid}/links",
    ):
        assert client.post(path, data=form).status_code == 404, path
    assert content_events(db, scene.plan) == []


def test_offices_read_the_pages_without_forms_and_may_not_post(scene, db, client, login_as):
    login_as(scene.district_officer)
    base = f"/catalogues/plans/{scene.plan.id}/strategies"

    page = text(client.get(base))

    assert "ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐาน" in page and 'name="number"' not in page
    assert client.post(base, data={"number": "2", "name": "แทรก"}).status_code == 403
    assert content_events(db, scene.plan) == []


def test_once_the_plan_left_drafting_the_forms_are_gone_and_a_post_is_refused_with_a_message(
    scene, db, client, login_as
):
    engine.fire("plan", scene.plan.id, "submit_to_committee", scene.support_secretary)
    login_as(scene.planner)
    base = f"/catalogues/plans/{scene.plan.id}/strategies"

    assert 'name="number"' not in text(client.get(base))
    refused = client.post(base, data={"number": "2", "name": "สายไป"})

    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(base)
    assert "its strategies change only through a revision" in text(client.get(f"{base}?lang=en"))
    assert db.session.query(LaoStrategy).filter_by(plan_id=scene.plan.id).count() == 1
    assert content_events(db, scene.plan) == []


def test_with_csrf_on_a_strategy_form_needs_the_pages_token(csrf_app, csrf_plan_id):
    client = csrf_app.test_client()
    token = csrf_token_in(text(client.get("/auth/login")))
    client.post("/auth/login", data={"username": "a_planner", "password": "pw", "csrf_token": token})
    base = f"/catalogues/plans/{csrf_plan_id}/strategies"
    page = text(client.get(base))

    refused = client.post(base, data={"number": "1", "name": "ไม่มีโทเค็น"})
    accepted = client.post(base, data={"number": "1", "name": "มีโทเค็น", "csrf_token": csrf_token_in(page)})

    assert refused.status_code == 400
    assert accepted.status_code == 303
    with csrf_app.app_context():
        names = [s.name for s in db.session.query(LaoStrategy).filter_by(plan_id=csrf_plan_id)]
        db.session.remove()
    assert names == ["มีโทเค็น"]

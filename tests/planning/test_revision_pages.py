"""The revision pages: list, open, items, comparison and history; scoped to the LAO, CSRF-protected."""

from __future__ import annotations

import re

from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.models import Revision, RevisionItem
from eplan_flow.services.planning import revisions
from eplan_flow.services.platform import engine
from tests import factories
from tests.factories.revisions import FACT, announced_plan, new_project_values
from tests.pages import csrf_token_in


def text(response) -> str:
    return response.get_data(as_text=True)


def open_draft(world, plan):
    return revisions.open_revision(world.planner, plan.id, reasons="เหตุผล", necessity="จำเป็น")


def test_a_planner_opens_a_revision_from_the_plan_list(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner)
    client = login_as(world.planner)
    page = client.get(f"/revisions/plans/{plan.id}")
    assert page.status_code == 200 and 'name="route"' in text(page)
    response = client.post(
        f"/revisions/plans/{plan.id}/open", data={"route": "regular", "reasons": "ประชาคมเสนอ"}
    )
    assert response.status_code == 303
    revision = db.session.scalar(select(Revision).where(Revision.plan_id == plan.id))
    assert response.headers["Location"] == f"/revisions/{revision.id}"
    assert (revision.reasons, revision.base_version) == ("ประชาคมเสนอ", 1)


def test_the_revision_page_links_its_workflow_and_offers_three_item_forms(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner)
    draft = open_draft(world, plan)
    html = text(login_as(world.planner).get(f"/revisions/{draft.id}"))
    assert f'href="/instances/revision/{draft.id}"' in html
    assert f'action="/revisions/{draft.id}/items/addition"' in html
    assert f'action="/revisions/{draft.id}/items/change"' in html
    assert f'action="/revisions/{draft.id}/items/correction"' in html
    # The correction form offers only the correction fields: no objective, no budget.
    correction = html.split(f'action="/revisions/{draft.id}/items/correction"')[1].split("</form>")[0]
    fields = set(re.findall(r'name="correction-([a-z_0-9]+)"', correction))
    # A correction also states the fact it corrects (revision rules version 2).
    assert fields == {"project_no", "fact", "reason", *revisions.rules_of(draft)["correction_fields"]}
    addition = html.split(f'action="/revisions/{draft.id}/items/addition"')[1].split("</form>")[0]
    assert 'name="addition-objective"' in addition and 'name="addition-budget_5"' in addition


def test_items_are_added_and_removed_through_the_forms(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner)
    draft = open_draft(world, plan)
    client = login_as(world.planner)
    values = {f"addition-{k}": v for k, v in new_project_values(plan).items() if k != "links"}
    response = client.post(
        f"/revisions/{draft.id}/items/addition", data={**values, "addition-reason": "จำเป็น"}
    )
    assert response.status_code == 303, text(response)[:2000]
    response = client.post(
        f"/revisions/{draft.id}/items/change",
        data={
            "change-project_no": "2",
            "change-budget_3": "1,500.00",
            "change-reason": "ราคาสูงขึ้น",
        },
    )
    assert response.status_code == 303
    items = db.session.scalars(select(RevisionItem).where(RevisionItem.revision_id == draft.id)).all()
    assert [(i.kind, i.project_no) for i in items] == [("addition", None), ("change", 2)]
    assert items[1].values == {"budget_3": "1500.00"}
    change_id = items[1].id
    response = client.post(f"/revisions/{draft.id}/items/{change_id}/remove")
    assert response.status_code == 303
    assert db.session.scalar(select(RevisionItem.id).where(RevisionItem.id == change_id)) is None


def test_a_refused_item_is_shown_again_with_the_field_marked(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner)
    draft = open_draft(world, plan)
    client = login_as(world.planner)
    response = client.post(
        f"/revisions/{draft.id}/items/change",
        data={
            "change-project_no": "2",
            "change-budget_3": "-1",
            "change-reason": "ปรับ",
        },
    )
    assert response.status_code == 422
    assert 'id="change-budget_3-error"' in text(response)
    # A correction posted with a field its form does not offer is refused, naming that field.
    response = client.post(
        f"/revisions/{draft.id}/items/correction",
        data={
            "correction-project_no": "2",
            "correction-name": "ชื่อใหม่",
            "correction-objective": "ใหม่",
            "correction-fact": FACT,
        },
    )
    assert response.status_code == 303  # the form ignores fields it does not offer
    item = db.session.scalar(select(RevisionItem).where(RevisionItem.revision_id == draft.id))
    assert item.values == {"name": "ชื่อใหม่"}


def test_the_comparison_page_lists_old_and_new_values_with_print_styles(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner)
    draft = open_draft(world, plan)
    revisions.add_change(world.planner, draft.id, 3, {"budget_4": "1234.56"}, reason="ปรับ")
    html = text(login_as(world.district_officer).get(f"/revisions/{draft.id}/compare"))
    assert "3,400.50" in html and "1,234.56" in html
    assert "css/revisions.css" in html


def test_a_project_history_page_lists_its_versions(world, db, login_as):
    plan = announced_plan(world.town_b, world.town_planner)
    draft = revisions.open_revision(world.town_planner, plan.id)
    revisions.add_correction(world.town_planner, draft.id, 1, {"name": "ชื่อที่แก้แล้ว"}, fact=FACT)
    engine.fire("revision", draft.id, "submit", world.town_planner)
    engine.fire("revision", draft.id, "approve_and_announce", world.town_executive)
    html = text(login_as(world.provincial_officer).get(f"/revisions/plans/{plan.id}/projects/1"))
    assert "โครงการที่ 1" in html and "ชื่อที่แก้แล้ว" in html and "แก้ไข ครั้งที่ 1/" in html


def test_another_lao_gets_404_on_every_revision_page_and_form(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner)
    draft = open_draft(world, plan)
    item = revisions.add_correction(world.planner, draft.id, 1, {"name": "x"}, fact=FACT)
    client = login_as(world.planner_c)
    for url in (
        f"/revisions/plans/{plan.id}",
        f"/revisions/{draft.id}",
        f"/revisions/{draft.id}/compare",
        f"/revisions/plans/{plan.id}/projects/1",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (f"/revisions/plans/{plan.id}/open", {"route": "regular"}),
        (f"/revisions/{draft.id}/reasons", {"reasons": "x"}),
        (f"/revisions/{draft.id}/items/correction", {"correction-project_no": "1", "correction-name": "y"}),
        (f"/revisions/{draft.id}/items/{item.id}/remove", {}),
    ):
        assert client.post(url, data=data).status_code == 404, url
    assert db.session.scalar(select(RevisionItem.values).where(RevisionItem.id == item.id)) == {"name": "x"}


def test_the_item_forms_need_the_csrf_token(csrf_app):
    with csrf_app.app_context():
        world = factories.build_world()
        plan = announced_plan(world.sao_a, world.planner)
        draft_id = open_draft(world, plan).id
        _db.session.remove()
    client = csrf_app.test_client()
    login = client.get("/auth/login")
    client.post(
        "/auth/login",
        data={"username": "a_planner", "password": "pw", "csrf_token": csrf_token_in(text(login))},
    )
    without = client.post(
        f"/revisions/{draft_id}/items/correction", data={"correction-project_no": "1", "correction-name": "y"}
    )
    assert without.status_code == 400
    page = client.get(f"/revisions/{draft_id}")
    with_token = client.post(
        f"/revisions/{draft_id}/items/correction",
        data={
            "correction-project_no": "1",
            "correction-name": "y",
            "correction-fact": FACT,
            "csrf_token": csrf_token_in(text(page)),
        },
    )
    assert with_token.status_code == 303
    with csrf_app.app_context():
        try:
            kinds = _db.session.scalars(
                select(RevisionItem.kind).where(RevisionItem.revision_id == draft_id)
            ).all()
        finally:
            _db.session.remove()
    assert kinds == ["correction"]

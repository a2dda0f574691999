"""Workflow steps as bulk actions: each selected plan goes through the engine, one by one."""

from __future__ import annotations

from eplan_flow.models import AuditEvent, Plan, RoleGrant
from tests import factories


def act(client, name, ids):
    return client.post(
        "/admin/plans/action/", data={"action": name, "rowid": [str(i) for i in ids]}, follow_redirects=True
    )


def test_a_district_officer_acknowledges_several_plans_and_each_is_reported(world, db, client, login_as):
    mine_a = factories.plan(world.sao_a, world.planner, status="submitted")
    # A เทศบาลตำบล of the district: the province reaches it through the district office too.
    mine_b = factories.plan(
        factories.lao("โนนสมบูรณ์", "subdistrict_municipality", "3801"), None, status="submitted"
    )
    still_drafting = factories.plan(world.sao_a, world.planner, period_start_be=2571)
    other_district = factories.plan(world.sao_c, world.planner_c, status="submitted")
    # The เทศบาลเมือง of the same district deals with the province directly (workflows.routing).
    direct = factories.plan(world.town_b, world.town_planner, status="submitted")
    versions = {p.id: p.version for p in (still_drafting, other_district, direct)}
    login_as(world.district_officer)
    client.get("/admin/?lang=en")  # the assertions below read the English messages

    body = act(
        client, "fire_acknowledge", [mine_a.id, mine_b.id, still_drafting.id, other_district.id, direct.id]
    ).get_data(as_text=True)

    db.session.expire_all()
    assert db.session.get(Plan, mine_a.id).status == "acknowledged"
    assert db.session.get(Plan, mine_b.id).status == "acknowledged"
    for plan_id, version in versions.items():
        plan = db.session.get(Plan, plan_id)
        assert plan.version == version and plan.status in ("drafting", "submitted")
    events = db.session.query(AuditEvent).filter_by(action="acknowledge").all()
    assert sorted(e.chain for e in events) == sorted([f"plan:{mine_a.id}", f"plan:{mine_b.id}"])
    assert {(e.actor_id, e.from_state, e.to_state) for e in events} == {
        (world.district_officer.id, "submitted", "acknowledged")
    }
    # One success line, and a line naming each plan that did not move.
    assert "2 plans done" in body
    assert f"#{still_drafting.id}" in body and f"#{other_district.id}" in body
    assert world.sao_c.name_th not in body  # the refusal does not reveal the other district's plan


def test_a_bulk_step_the_users_roles_never_take_is_neither_offered_nor_run(world, db, client, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="submitted")
    login_as(world.sso_admin)
    page = client.get("/admin/plans/").get_data(as_text=True)
    assert "fire_acknowledge" not in page
    act(client, "fire_acknowledge", [plan.id])
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).status == "submitted"
    assert db.session.query(AuditEvent).filter_by(action="acknowledge").count() == 0


def test_steps_that_need_a_written_reason_are_not_bulk_actions(world, db, client, login_as):
    login_as(world.provincial_officer)
    page = client.get("/admin/plans/").get_data(as_text=True)
    assert "fire_acknowledge" in page
    assert "fire_return_with_remarks" not in page


def test_a_bulk_step_moves_a_plan_through_the_engine_with_its_version_and_outbox(world, db, client, login_as):
    from eplan_flow.models import OutboxMessage, RoleGrant

    # A planner who is also the LAO's SSO admin may use the back office and submit plans.
    db.session.add(RoleGrant(user_id=world.planner.id, organisation_id=world.sao_a.id, role="sso_admin"))
    db.session.commit()
    plan = factories.plan(world.sao_a, world.planner)
    login_as(world.planner)
    act(client, "fire_submit_to_committee", [plan.id])
    db.session.expire_all()
    moved = db.session.get(Plan, plan.id)
    assert (moved.status, moved.version) == ("committee_review", 2)
    event = (
        db.session.query(AuditEvent).filter_by(chain=f"plan:{plan.id}", action="submit_to_committee").one()
    )
    assert event.request_id  # recorded from the admin request
    assert (
        db.session.query(OutboxMessage)
        .filter(OutboxMessage.kwargs["audit_event_id"].as_integer() == event.id)
        .count()
        == 1
    )


def test_steps_that_record_a_meeting_are_not_bulk_actions(world, db, client, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    # The development committee's secretary also manages the LAO's accounts, so may enter the back office.
    db.session.add(
        RoleGrant(user_id=world.devcom_secretary.id, organisation_id=world.sao_a.id, role="sso_admin")
    )
    db.session.commit()
    login_as(world.devcom_secretary)
    page = client.get("/admin/plans/").get_data(as_text=True)
    assert "fire_endorse" not in page and "fire_approve_by_council" not in page

    act(client, "fire_endorse", [plan.id])  # posted by hand: not an action, so nothing runs
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).status == "committee_review"
    assert db.session.query(AuditEvent).filter_by(action="endorse").count() == 0

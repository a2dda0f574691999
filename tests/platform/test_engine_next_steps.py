"""Every instance says what happens next, and who can make it happen."""

from __future__ import annotations

import sqlalchemy as sa

from eplan_flow.models import Organisation, RoleGrant, User
from eplan_flow.permissions import covering_grants_clause, grant_covers, visible_org_clause
from eplan_flow.services.platform import engine
from tests import factories


def by_trigger(steps):
    return {s.trigger: s for s in steps}


def test_the_development_committee_secretary_of_a_sao_may_endorse_towards_the_council(world, db):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    steps = by_trigger(engine.next_steps(plan, world.devcom_secretary))
    assert set(steps) == {"endorse", "return_for_revision"}
    assert steps["endorse"].allowed and steps["endorse"].holders == []
    assert steps["endorse"].dest == "council_review"
    assert steps["endorse"].dest_label == "เสนอสภาท้องถิ่น"
    assert steps["return_for_revision"].comment_required


def test_the_planner_sees_endorse_is_not_theirs_and_who_holds_it(world, db):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    endorse = by_trigger(engine.next_steps(plan, world.planner))["endorse"]
    assert not endorse.allowed
    assert endorse.roles == ("devcom_secretary",)
    assert endorse.holders == [world.devcom_secretary.full_name]
    # Another LAO's secretary holds the same role but not over this LAO.
    assert world.town_devcom_secretary.full_name not in endorse.holders


def test_a_municipalitys_plan_goes_from_the_committee_straight_to_the_executive(world, db):
    plan = factories.plan(world.town_b, world.town_planner, status="committee_review")
    endorse = by_trigger(engine.next_steps(plan, world.town_devcom_secretary, locale="en"))["endorse"]
    assert endorse.allowed and endorse.dest == "executive_review"
    assert endorse.label == "Endorse (development committee)"


def test_oversight_steps_name_the_district_and_provincial_officers_who_reach_the_lao(world, db):
    plan = factories.plan(world.sao_a, world.planner, status="submitted")
    steps = by_trigger(engine.next_steps(plan, world.planner))
    assert not steps["acknowledge"].allowed
    assert set(steps["acknowledge"].holders) == {
        world.district_officer.full_name,
        world.provincial_officer.full_name,
    }
    assert by_trigger(engine.next_steps(plan, world.provincial_officer))["acknowledge"].allowed


def test_a_disabled_holder_is_not_named(world, db):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    world.devcom_secretary.is_enabled = False
    db.session.commit()
    assert by_trigger(engine.next_steps(plan, world.planner))["endorse"].holders == []


def test_the_sql_scope_clauses_agree_with_grant_covers_for_every_grant_and_organisation(world, db):
    organisations = db.session.scalars(sa.select(Organisation)).all()
    users = db.session.scalars(sa.select(User)).all()
    for user in users:
        visible = set(
            db.session.scalars(sa.select(Organisation.id).where(visible_org_clause(user, Organisation)))
        )
        expected = {o.id for o in organisations if any(grant_covers(g, o) for g in user.grants)}
        assert visible == expected, user.username
    for org in organisations:
        covering = set(
            db.session.scalars(
                sa.select(RoleGrant.id)
                .join(Organisation, Organisation.id == RoleGrant.organisation_id)
                .where(covering_grants_clause(org, RoleGrant, Organisation))
            )
        )
        expected = {g.id for g in db.session.scalars(sa.select(RoleGrant)) if grant_covers(g, org)}
        assert covering == expected, org.code

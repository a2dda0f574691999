from collections import Counter
from datetime import date

from sqlalchemy import func, select

from eplan_flow.models import AuditEvent, Organisation, Plan, RoleGrant, User
from eplan_flow.seed import demo
from eplan_flow.services.identity import accounts
from eplan_flow.services.planning.deadlines import overdue_items
from eplan_flow.services.platform import audit, engine
from workflows.roles import ROLE_NAMES


def counts(db):
    def n(model):
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()

    return {m.__name__: n(m) for m in (Organisation, User, RoleGrant, Plan, AuditEvent)}


def test_seeding_the_demo_twice_leaves_the_same_rows_and_audit_trail(db):
    first = demo.seed_demo()
    after_first = counts(db)

    second = demo.seed_demo()

    assert counts(db) == after_first
    assert after_first["Organisation"] == 58 + 1 + 1 + 8  # LAOs, DLA, สถจ., 8 สถอ.
    # The demo people hold one grant each; the demo applicant holds none until approved.
    assert after_first["User"] == after_first["RoleGrant"] + 1 == len(demo.DEMO_USERS) + 1
    assert after_first["Plan"] == len(demo.DEMO_PLANS)
    assert (first.laos.added, len(first.users_added), first.plans_added) == (58, 10, 4)
    assert first.steps_fired == sum(len(p.steps) for p in demo.DEMO_PLANS)
    assert (
        second.laos.added,
        second.laos.updated,
        second.users_added,
        second.plans_added,
        second.steps_fired,
    ) == (
        0,
        0,
        [],
        0,
        0,
    )


def test_there_is_one_demo_user_per_role_each_at_its_bueng_kan_organisation(db):
    demo.seed_demo()

    grants = db.session.execute(
        select(User.username, RoleGrant.role, Organisation.code, Organisation.province_code)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .join(Organisation, Organisation.id == RoleGrant.organisation_id)
    ).all()

    assert {role for _, role, _, _ in grants} == set(ROLE_NAMES)
    by_user = {username: (role, code) for username, role, code, _ in grants}
    assert by_user["planner"] == ("planner", "6380109")
    assert by_user["planner_town"] == ("planner", "4380104")
    assert by_user["district_officer"] == ("district_officer", "DO-3801")
    assert by_user["provincial_officer"] == ("provincial_officer", "PO-38")
    assert by_user["dla_admin"] == ("dla_admin", "DLA")
    assert {province for _, _, code, province in grants if code != "DLA"} == {"38"}
    sao = db.session.execute(select(Organisation).where(Organisation.code == "6380109")).scalar_one()
    assert (sao.lao_type, sao.district_code) == ("sao", "3801")


def test_demo_users_sign_in_with_the_password_given_to_the_seed(db):
    demo.seed_demo(password="bueng-kan-2569")

    assert accounts.authenticate("executive", "bueng-kan-2569").username == "executive"
    assert accounts.authenticate("executive", "demo1234") is None


def test_the_demo_applicant_waits_verified_for_the_lao_sso_admin_with_the_seed_password(db):
    from eplan_flow.models import Account
    from eplan_flow.services.identity import identity

    demo.seed_demo(password="bueng-kan-2569")

    applicant = db.session.execute(select(User).where(User.email == demo.DEMO_APPLICANT_EMAIL)).scalar_one()
    account = db.session.execute(select(Account).where(Account.user_id == applicant.id)).scalar_one()
    assert account.status == "awaiting_approval"
    assert account.organisation.code == demo.DEMO_SAO
    assert applicant.email_confirmed_at and applicant.identity_verified_at
    assert identity.check_password(applicant, "bueng-kan-2569", "127.0.0.1").id == applicant.id
    admin = db.session.execute(select(User).where(User.username == "sso_admin")).scalar_one()
    steps = {s.trigger: s.allowed for s in engine.next_steps(account, admin)}
    assert steps["approve"] and steps["reject"]


def test_demo_plans_stand_in_different_states_with_real_audited_history(db):
    demo.seed_demo()

    plans = db.session.execute(select(Plan).order_by(Plan.id)).scalars().all()

    assert Counter(p.status for p in plans) == {
        "acknowledged": 1,
        "submitted": 1,
        "drafting": 1,
        "committee_review": 1,
    }
    current = next(p for p in plans if p.period_start_be == 2566 and p.organisation.code == "6380109")
    history = engine.history(current)
    assert [e.action for e in history] == [
        "create",
        "submit_to_committee",
        "return_for_revision",
        "submit_to_committee",
        "endorse",
        "approve_by_council",
        "approve_and_announce",
        "submit_to_oversight",
    ]
    assert history[2].comment and history[2].actor.username == "devcom_secretary"
    assert current.version == len(history)
    checked, breaks = audit.verify_chains()
    assert checked > 0 and breaks == []


def test_a_demo_seed_interrupted_half_way_resumes_each_plan_without_repeating_a_step(db, monkeypatch):
    # The first run stops after two steps of each plan, as if it had crashed there.
    monkeypatch.setattr(demo, "DEMO_PLANS", tuple(p._replace(steps=p.steps[:2]) for p in demo.DEMO_PLANS))
    demo.seed_demo()
    monkeypatch.undo()

    report = demo.seed_demo()

    assert report.steps_fired == sum(max(len(p.steps) - 2, 0) for p in demo.DEMO_PLANS)
    plan = db.session.execute(
        select(Plan).join(Organisation).where(Organisation.code == "6380109", Plan.period_start_be == 2561)
    ).scalar_one()
    assert plan.status == "acknowledged"
    assert [e.action for e in engine.history(plan)] == ["create", *(s[0] for s in demo.DEMO_PLANS[0].steps)]


def test_the_demo_towns_2566_plan_never_announced_is_overdue_for_its_province(db):
    """ทม.บึงกาฬ's 2566–2570 plan waits at its committee: on 6 December 2569 (the 2571 deadline past)
    the province still sees it overdue, with how late, besides the 2571 plan nobody has started."""
    demo.seed_demo()
    officer = db.session.scalar(select(User).where(User.username == "provincial_officer"))

    items = overdue_items(officer, today=date(2026, 12, 6))

    town = [i for i in items if i.lao_code == demo.DEMO_TOWN]
    assert sorted(i.period_start_be for i in town) == [2566, 2571]
    stuck = next(i for i in town if i.period_start_be == 2566)
    assert stuck.plan_id is not None and stuck.deadline == date(2021, 10, 31)
    assert stuck.days_overdue == (date(2026, 12, 6) - date(2021, 10, 31)).days
    assert "(พ.ศ. 2566–2570)" in stuck.reason

"""Random triggers by random people never skip a required approval or break the audit chain.

For every registered definition, on an อบต. (which needs its council) and on a เทศบาล (which does
not), hypothesis fires random triggers as random users of the world (every role, several LAOs and
offices) with random comments. After every step the instance, its audit chain and every chain in
the database must still make sense. The world is built once per definition and LAO; each example
gets a fresh instance.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import count
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from eplan_flow import text as cleaning
from eplan_flow.errors import DomainError, InvalidInput
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, OutboxMessage, ProjectRecord, User
from eplan_flow.permissions import can_read, roles_over
from eplan_flow.services.platform import audit, engine
from tests import factories
from tests.factories import action_plans as action_plan_factories
from tests.factories import execution as execution_factories
from tests.factories import plans as plan_factories
from tests.factories import results as results_factories
from tests.factories import reviews as review_factories
from tests.factories import revisions as revision_factories
from tests.identity.approvals import helpers as approval_helpers
from workflows import REGISTRY, Registry, WorkflowDefinition

SETTINGS = settings(
    max_examples=30,
    stateful_step_count=12,
    deadline=None,
    database=None,  # keep .hypothesis/ out of the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

COMMENTS = st.one_of(
    st.none(),
    st.sampled_from(["", "   ", "\n", "มติที่ประชุม ครั้งที่ 4/2567", "ขาดโครงการจากประชาคม"]),
    st.text(max_size=40),
)

# What a committee or council step records; sometimes missing or malformed, to be refused.
MEETINGS = st.sampled_from(
    [
        None,
        {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"},
        {"meeting_date": "20/11/2569", "resolution": "ครั้งที่ 4/2569"},
        {"meeting_date": "2026-11-20", "resolution": "  "},
    ]
)
MEETING = {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"}


def facts_for(trigger: str) -> dict[str, str]:
    """The facts the runs offer a step: the execution steps' own (EXECUTION_V2), else a meeting's."""
    return execution_factories.step_facts(trigger) or MEETING


_periods = count(2400, 5)


def plan_with_a_project(org, actor):
    """A drafting plan holding one project (a plan without projects cannot be announced)."""
    plan = factories.plan(org, actor, period_start_be=next(_periods))
    strategy = plan_factories.strategy(plan)
    db_session = _db.session
    db_session.add(
        ProjectRecord(
            plan_id=plan.id,
            project_no=1,
            valid_from=1,
            strategy_id=strategy.id,
            programme_id=plan_factories.programme().id,
            name="โครงการทดสอบ",
            objective="ทดสอบ",
            target="1 แห่ง",
            responsible_unit="กองช่าง",
            budget_1=Decimal("1000.00"),
        )
    )
    db_session.commit()
    return plan


# How to make a fresh instance of each workflow. A new workflow adds its builder here.
INSTANCE_BUILDERS = {
    "plan": plan_with_a_project,
    # One addition: the committee everywhere, the council on an อบต. (rule data of REVISION_V1).
    "revision": lambda org, actor: revision_factories.drafted_revision(org, additions=1),
    # One project changed and the civic forum recorded: leaving drafting always passes.
    "review": review_factories.drafted_review,
    # Contract, full payment and 100 % already recorded: the money checks on entry always pass.
    "execution": execution_factories.fully_done,
    # Its method, findings and recommendations written: submitting it to the executive always passes.
    "evaluation": results_factories.drafted_report,
    # One project with its months ticked: submitting it to the executive always passes.
    "action_plan": action_plan_factories.drafted,
    # A new person's account waiting at the LAO, and an active member's request for e-Plan.
    "account": approval_helpers.waiting_account,
    "system_access": approval_helpers.waiting_access_request,
}

# What guards read of a row besides its status and organisation (a revision's items and route),
# captured once from the built row, as plain values.
GUARD_FACTS = {
    "kinds": lambda row: frozenset(row.kinds),
    "route": lambda row: row.route,
    "items": lambda row: tuple(SimpleNamespace(kind=i.kind, project_no=i.project_no) for i in row.items),
    "requested_role": lambda row: row.requested_role,
}


def expected_outcome(definition: WorkflowDefinition, row, trigger: str, actor, comment, data=None) -> str:
    """What the engine must answer, worked out from the pure rules: an error code or a state."""
    # The engine reads the comment with the one cleaning rule first: NUL, mark stacks and
    # invisible-only text are refused, bidi and zero-width characters dropped.
    try:
        text = cleaning.clean_text(comment, field="comment", multiline=True) or ""
    except InvalidInput:
        return "invalid_input"
    if not can_read(actor, row.organisation):
        return "not_found"
    if trigger not in definition.trigger_names:
        return "transition_not_allowed"
    candidates = definition.candidates(row, trigger)
    if not candidates:
        return "transition_not_allowed"
    permitted = [c for c in candidates if roles_over(actor, row.organisation) & set(c.roles)]
    if not permitted:
        return "permission_denied"
    passing = [c for c in permitted if definition.guards_hold(c, row)]
    if not passing:
        return "guard_failed"
    if passing[0].comment_required and not text:
        return "comment_required"
    # The runs offer a meeting's facts (or an execution step's own): a step that records anything
    # else (an announcement's date) is refused for lack of it.
    fields = dict(passing[0].data_fields)
    offered = facts_for(trigger)
    if fields and (data != offered or not fields.keys() <= offered.keys()):
        return "invalid_input"
    return passing[0].dest


def missing_approvals(definition: WorkflowDefinition, row, events) -> set[str]:
    """Triggers the row's state requires that did not happen since it last entered the initial state."""
    entered = max(i for i, e in enumerate(events) if e.to_state == definition.initial)
    this_round = {e.action for e in events[entered + 1 :]}
    return set(definition.required_triggers(row.status, row)) - this_round


def plain_org(org) -> SimpleNamespace:
    return SimpleNamespace(
        id=org.id,
        kind=org.kind,
        lao_type=org.lao_type,
        province_code=org.province_code,
        district_code=org.district_code,
    )


def plain_user(user) -> SimpleNamespace:
    """A detached copy the rules can read without the session reloading it after every commit."""
    return SimpleNamespace(
        id=user.id,
        is_authenticated=True,
        is_active=user.is_active,
        grants=[SimpleNamespace(role=g.role, organisation=plain_org(g.organisation)) for g in user.grants],
    )


def build_machine(db, world, definition: WorkflowDefinition, org_name: str):
    users = {name: value for name, value in sorted(vars(world).items()) if isinstance(value, User)}
    people = {name: plain_user(user) for name, user in users.items()}
    people_by_id = {person.id: person for person in people.values()}
    org = plain_org(getattr(world, org_name))
    builder = INSTANCE_BUILDERS[definition.name]
    # (trigger, user) pairs where the user holds one of the trigger's roles somewhere: random, but
    # likely enough to be accepted that runs get deep into the workflow.
    plausible = [
        (spec.trigger, name)
        for spec in definition.transitions
        for name, person in people.items()
        if {g.role for g in person.grants} & set(spec.roles)
    ]
    first_actor = next(users[n] for n, person in people.items() if roles_over(person, org))

    class WorkflowRun(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            row = builder(getattr(world, org_name), first_actor)
            self.model, self.id, self.chain = type(row), row.id, engine.chain_for(row)
            self.facts = {name: read(row) for name, read in GUARD_FACTS.items() if hasattr(row, name)}
            # The person an account or access request belongs to: the builder's own steps are theirs.
            self.applicant_id = getattr(row, "user_id", None)

        def snapshot(self) -> tuple:
            """Status, version, audit events of this instance and outbox rows, as committed."""
            return tuple(
                db.session.execute(
                    sa.select(
                        self.model.status,
                        self.model.version,
                        sa.select(sa.func.count()).where(AuditEvent.chain == self.chain).scalar_subquery(),
                        sa.select(sa.func.count()).select_from(OutboxMessage).scalar_subquery(),
                    ).where(self.model.id == self.id)
                ).one()
            )

        def row(self, status: str) -> SimpleNamespace:
            return SimpleNamespace(status=status, organisation=org, **self.facts)

        def attempt(self, trigger: str, name: str, comment, data=None) -> None:
            before = self.last  # read by the invariant just before this step; nothing ran since
            expected = expected_outcome(definition, self.row(before[0]), trigger, people[name], comment, data)
            try:
                result = engine.fire(
                    definition.name, self.id, trigger, users[name], comment=comment, data=data
                )
            except DomainError as exc:
                assert exc.code == expected, (trigger, name, comment, before)
                assert self.snapshot() == before, f"a refused {trigger} changed something"
                return
            assert result.to_state == expected, (trigger, name, comment, before)
            after = self.snapshot()
            assert after[0] == result.to_state and after[1] == before[1] + 1
            assert after[2] == before[2] + 1
            assert after[3] == before[3] + len(definition.effects)

        @rule(
            trigger=st.sampled_from(definition.trigger_names + ("teleport",)),
            name=st.sampled_from(sorted(users)),
            comment=COMMENTS,
            meeting=MEETINGS,
        )
        def anyone_fires_anything(self, trigger, name, comment, meeting):
            self.attempt(trigger, name, comment, meeting)

        @rule(pair=st.sampled_from(plausible), comment=COMMENTS, meeting=MEETINGS)
        def a_role_holder_fires_one_of_its_triggers(self, pair, comment, meeting):
            self.attempt(*pair, comment, meeting)

        @rule(data=st.data(), comment=COMMENTS)
        def someone_who_may_act_now_does(self, data, comment):
            # Steers runs deep into the workflow; the other rules keep trying everything else.
            status = self.last[0]
            options = [
                (spec.trigger, name)
                for spec in definition.transitions_from(status)
                for name, person in people.items()
                if roles_over(person, org) & set(spec.roles)
            ] or plausible
            trigger, name = data.draw(st.sampled_from(options))
            self.attempt(trigger, name, comment, facts_for(trigger))

        @invariant()
        def the_instance_its_chain_and_every_chain_stay_sound(self):
            self.last = status, version, _, _ = self.snapshot()
            events = db.session.execute(
                sa.select(
                    AuditEvent.action,
                    AuditEvent.from_state,
                    AuditEvent.to_state,
                    AuditEvent.actor_id,
                    AuditEvent.comment,
                    AuditEvent.workflow_version,
                )
                .where(AuditEvent.chain == self.chain)
                .order_by(AuditEvent.seq)
            ).all()
            row = self.row(status)
            self.check_walk(row, events)
            assert version == len(events)
            self.check_required_approvals(row, events)
            _, breaks = audit.verify_chains()
            assert breaks == []

        def check_walk(self, row, events) -> None:
            """(a) The chain is a walk of the definition by people who held a role of each step."""
            assert events[0].action == "create" and events[0].to_state == definition.initial
            assert all(e.workflow_version == definition.version for e in events)
            for previous, event in zip(events, events[1:]):
                specs = [
                    t
                    for t in definition.transitions
                    if (t.trigger, t.source, t.dest) == (event.action, previous.to_state, event.to_state)
                ]
                assert specs, f"{event.action}: {previous.to_state} -> {event.to_state} is no transition"
                assert event.from_state == previous.to_state
                held = (
                    {"applicant"}
                    if event.actor_id == self.applicant_id
                    else roles_over(people_by_id[event.actor_id], org)
                )
                assert any(held & set(t.roles) for t in specs)
                assert any(definition.guards_hold(t, row) for t in specs)
                if any(t.comment_required for t in specs):
                    assert all(t.comment_required for t in specs) and event.comment.strip()
            assert events[-1].to_state == row.status

        def check_required_approvals(self, row, events) -> None:
            """(b) Every approval the state requires happened in the current round."""
            missing = missing_approvals(definition, row, events)
            assert not missing, f"{row.status} reached without {sorted(missing)}"

    WorkflowRun.TestCase.settings = SETTINGS
    return WorkflowRun


@pytest.mark.parametrize("org_name", ["sao_a", "town_b"], ids=["sao", "municipality"])
@pytest.mark.parametrize("definition", list(REGISTRY), ids=lambda d: d.key)
def test_random_triggers_by_random_people_keep_every_workflow_sound(
    world, db, monkeypatch, definition, org_name
):
    assert definition.name in INSTANCE_BUILDERS, f"no instance builder for workflow {definition.name}"
    # New instances must start on the definition under test, even when a newer version exists.
    monkeypatch.setattr(engine, "REGISTRY", Registry(definition.data))
    run_state_machine_as_test(build_machine(db, world, definition, org_name), settings=SETTINGS)


@pytest.mark.parametrize(
    "org_name, missing",
    [("sao_a", {"approve_by_council", "approve_and_announce"}), ("town_b", {"approve_and_announce"})],
)
def test_the_required_approval_check_catches_a_plan_forced_to_announced(world, db, org_name, missing):
    """The invariant has teeth: a status written around the engine is caught."""
    definition = REGISTRY.get("plan")
    org = getattr(world, org_name)
    planner = world.planner if org_name == "sao_a" else world.town_planner
    secretary = world.devcom_secretary if org_name == "sao_a" else world.town_devcom_secretary
    plan = plan_with_a_project(org, planner)
    engine.fire("plan", plan.id, "submit_to_committee", planner)
    engine.fire("plan", plan.id, "endorse", secretary, data=MEETING)
    assert missing_approvals(definition, plan, engine.history(plan)) == set()
    plan.status = "announced"
    db.session.commit()
    assert missing_approvals(definition, plan, engine.history(plan)) == missing

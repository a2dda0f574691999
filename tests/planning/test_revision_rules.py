"""Revision rules of issue 12 (items 5, 7, 8; /work/shared/DOMAIN.md §7), version 2 of the workflow.

- ข้อ 22/2: the policy route records its basis (royal project or ceremony, state ceremony,
  government or MOI policy) and the letter's number and date, shown on the revision and its print.
- From 2 October 2566 e-Plan took แก้ไข/เปลี่ยนแปลง/เพิ่มเติม only for FY2567-2570: a revision may
  touch only the current and later fiscal years of the plan, and the refusal names the year.
- A correction (แก้ไข) states the fact it corrects ("ข้อเท็จจริงคือ ...").
Revisions started on version 1 keep its rules.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from eplan_flow.errors import InvalidInput
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, Revision
from eplan_flow.services.planning import revisions
from eplan_flow.services.platform import engine
from tests.factories.revisions import FACT, POLICY_BASIS, announced_plan, new_project_values

REASONS = {"reasons": "นโยบายรัฐบาลเร่งด่วน", "necessity": "ต้องดำเนินการในปีนี้"}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def on_day(monkeypatch):
    """The Bangkok day the revision service reads (``today_local``)."""

    def set_day(day: date) -> None:
        monkeypatch.setattr(revisions, "today_local", lambda: day)

    return set_day


# -- ข้อ 22/2: the basis and the letter ----------------------------------------------------------------
def test_a_policy_revision_cannot_be_submitted_without_its_basis_and_letter(world, db):
    plan = announced_plan(world.sao_a, world.planner)
    draft = revisions.open_revision(world.planner, plan.id, route="policy", **REASONS)
    revisions.add_addition(world.planner, draft.id, new_project_values(plan), reason="นโยบายรัฐบาล")
    with pytest.raises(revisions.RevisionIncomplete) as refused:
        engine.fire("revision", draft.id, "submit", world.planner)
    assert refused.value.details["field"] == "policy_basis"
    revisions.set_policy_basis(world.planner, draft.id, "royal_project", "มท 0810.3/ว 99", None)
    with pytest.raises(revisions.RevisionIncomplete) as refused:
        engine.fire("revision", draft.id, "submit", world.planner)
    assert refused.value.details["field"] == "policy_letter_date"
    revisions.set_policy_basis(world.planner, draft.id, "royal_project", "มท 0810.3/ว 99", date(2026, 10, 1))
    assert engine.fire("revision", draft.id, "submit", world.planner).to_state == "executive_review"
    basis_events = _db.session.scalars(
        select(AuditEvent.data).where(
            AuditEvent.chain == f"revision-content:{draft.id}", AuditEvent.action == "set_policy_basis"
        )
    ).all()
    assert basis_events[-1]["policy_basis"] == "royal_project"
    assert basis_events[-1]["policy_letter_date"] == "2026-10-01"


def test_an_unknown_basis_is_refused_and_a_regular_revision_records_none(world, db):
    plan = announced_plan(world.sao_a, world.planner)
    with pytest.raises(InvalidInput) as refused:
        revisions.open_revision(world.planner, plan.id, route="policy", policy_basis="festival", **REASONS)
    assert refused.value.details["field"] == "policy_basis"
    regular = revisions.open_revision(world.planner, plan.id, **REASONS)
    with pytest.raises(InvalidInput):
        revisions.set_policy_basis(world.planner, regular.id, "moi_policy", "มท 1", date(2026, 10, 1))


def test_the_basis_is_shown_on_the_revision_and_its_comparison(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner)
    draft = revisions.open_revision(world.planner, plan.id, route="policy", **REASONS, **POLICY_BASIS)
    revisions.add_change(world.planner, draft.id, 1, {"target": "ขยายเป้าหมาย"}, reason="นโยบายรัฐบาล")
    engine.fire("revision", draft.id, "submit", world.planner)
    engine.fire("revision", draft.id, "approve_and_announce", world.executive)
    client = login_as(world.planner)
    for page in (f"/revisions/{draft.id}", f"/revisions/{draft.id}/compare"):
        html = text(client.get(page))
        assert "นโยบายรัฐบาล" in html and "มท 0810.3/ว 1234" in html and "15 ตุลาคม 2569" in html


def test_the_basis_is_entered_on_the_draft_with_a_buddhist_era_date(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner)
    draft = revisions.open_revision(world.planner, plan.id, route="policy", **REASONS)
    client = login_as(world.planner)
    page = text(client.get(f"/revisions/{draft.id}"))
    assert f'action="/revisions/{draft.id}/policy-basis"' in page and "งานรัฐพิธี" in page
    response = client.post(
        f"/revisions/{draft.id}/policy-basis",
        data={
            "policy_basis": "state_ceremony",
            "policy_letter_no": "มท 0808.2/ว 55",
            "policy_letter_date": "3/11/2569",
        },
    )
    assert response.status_code == 303
    revision = _db.session.get(Revision, draft.id)
    _db.session.refresh(revision)
    assert (revision.policy_basis, revision.policy_letter_date) == ("state_ceremony", date(2026, 11, 3))


# -- the years a revision may touch ------------------------------------------------------------------
def test_on_2_october_2566_a_revision_may_touch_fy2567_on_but_not_fy2566(world, db, on_day):
    on_day(date(2023, 10, 2))  # e-Plan reopened for fiscal year 2567
    plan = announced_plan(world.sao_a, world.planner, period_start_be=2566)
    draft = revisions.open_revision(world.planner, plan.id, **REASONS)
    with pytest.raises(revisions.RevisionYearClosed) as refused:
        revisions.add_change(world.planner, draft.id, 1, {"budget_1": "1.00"}, reason="ปรับงบ")
    assert (refused.value.details["year"], refused.value.details["field"]) == (2566, "budget_1")
    assert (
        revisions.add_change(world.planner, draft.id, 1, {"budget_2": "1.00"}, reason="ปรับงบ").kind
        == "change"
    )


def test_an_addition_with_money_in_a_past_year_is_refused(world, db, on_day):
    on_day(date(2026, 11, 20))  # fiscal year 2570, the last of the 2566-2570 plan
    plan = announced_plan(world.sao_a, world.planner, period_start_be=2566)
    draft = revisions.open_revision(world.planner, plan.id, **REASONS)
    values = new_project_values(plan)  # money in its second year, 2567
    with pytest.raises(revisions.RevisionYearClosed) as refused:
        revisions.add_addition(world.planner, draft.id, values, reason="จำเป็น")
    assert refused.value.details["year"] == 2567
    values.update(budget_2="0", budget_5="250000.00")
    assert revisions.add_addition(world.planner, draft.id, values, reason="จำเป็น").kind == "addition"
    # A change leaving a past year's money as it was touches only the current year.
    item = revisions.add_change(
        world.planner, draft.id, 2, {"budget_4": "2400.50", "budget_5": "1.00"}, reason="ปรับงบ"
    )
    assert item.values["budget_5"] == "1.00"


def test_a_draft_that_crossed_into_a_new_fiscal_year_is_refused_at_submission(world, db, on_day):
    on_day(date(2026, 9, 25))  # fiscal year 2569
    plan = announced_plan(world.sao_a, world.planner, period_start_be=2566)
    draft = revisions.open_revision(world.planner, plan.id, **REASONS)
    revisions.add_change(world.planner, draft.id, 1, {"budget_4": "10.00"}, reason="ปรับงบ")
    on_day(date(2026, 10, 2))  # fiscal year 2570: 2569 has closed
    with pytest.raises(revisions.RevisionYearClosed) as refused:
        engine.fire("revision", draft.id, "submit", world.planner)
    assert refused.value.details["year"] == 2569
    assert _db.session.get(Revision, draft.id).status == "drafting"


def test_the_refusal_names_the_year_in_thai_on_the_page(world, db, login_as, on_day):
    on_day(date(2026, 11, 20))
    plan = announced_plan(world.sao_a, world.planner, period_start_be=2566)
    draft = revisions.open_revision(world.planner, plan.id, **REASONS)
    response = login_as(world.planner).post(
        f"/revisions/{draft.id}/items/change",
        data={"change-project_no": "3", "change-budget_3": "500", "change-reason": "ปรับงบ"},
    )
    assert response.status_code == 422
    assert "ปีงบประมาณ 2568" in text(response) and "ปีงบประมาณ 2570" in text(response)


# -- the fact a correction corrects ------------------------------------------------------------------
def test_a_correction_without_the_fact_it_corrects_is_refused(world, db):
    plan = announced_plan(world.sao_a, world.planner)
    draft = revisions.open_revision(world.planner, plan.id)
    with pytest.raises(InvalidInput) as refused:
        revisions.add_correction(world.planner, draft.id, 1, {"name": "โครงการที่ 1 (แก้คำผิด)"})
    assert refused.value.details["field"] == "fact"
    with pytest.raises(InvalidInput):
        revisions.add_correction(world.planner, draft.id, 1, {"name": "ชื่อ"}, fact="   ")


def test_the_fact_is_shown_on_the_revision_and_its_comparison(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner)
    draft = revisions.open_revision(world.planner, plan.id)
    client = login_as(world.planner)
    refused = client.post(
        f"/revisions/{draft.id}/items/correction",
        data={"correction-project_no": "1", "correction-name": "โครงการที่หนึ่ง"},
    )
    assert refused.status_code == 422 and 'id="correction-fact-error"' in text(refused)
    response = client.post(
        f"/revisions/{draft.id}/items/correction",
        data={"correction-project_no": "1", "correction-name": "โครงการที่หนึ่ง", "correction-fact": FACT},
    )
    assert response.status_code == 303
    engine.fire("revision", draft.id, "submit", world.planner)
    engine.fire("revision", draft.id, "approve_and_announce", world.executive)
    for page in (f"/revisions/{draft.id}", f"/revisions/{draft.id}/compare"):
        assert FACT in text(client.get(page))


# -- version 1 keeps its rules -------------------------------------------------------------------------
def test_a_revision_started_on_version_1_needs_no_fact_and_may_touch_any_year(world, db, on_day):
    on_day(date(2026, 11, 20))
    plan = announced_plan(world.sao_a, world.planner, period_start_be=2566)
    draft = revisions.open_revision(world.planner, plan.id, **REASONS)
    draft.workflow_version = 1  # as every revision opened before version 2 was
    _db.session.commit()
    revisions.add_correction(world.planner, draft.id, 2, {"kpi": "ร้อยละ 99"})
    revisions.add_change(world.planner, draft.id, 1, {"budget_1": "1.00"}, reason="ปรับงบ")
    assert engine.fire("revision", draft.id, "submit", world.planner).to_state == "committee_review"

"""How LAOs number their announced revisions (issue 12, item 3; /work/shared/DOMAIN.md §7).

Practice varies: "เพิ่มเติม ครั้งที่ 2/2568" by calendar year, "เพิ่มเติม ฉบับที่ 3 ประจำปีงบประมาณ 2567"
by fiscal year, and "เปลี่ยนแปลง ฉบับที่ 1/2565 และเพิ่มเติม ฉบับที่ 2/2565" where a counter runs per
kind inside one bundle. Each LAO sets its own, the national default is rule data, and an LAO that
joins e-Plan mid-period sets its next numbers. Revisions started on version 1 keep its numbering.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from eplan_flow.errors import PermissionDenied
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, Revision
from eplan_flow.services.planning import revision_numbering, revisions
from eplan_flow.services.platform import engine
from tests.factories.revisions import announced_plan, new_project_values

POLICY = {
    "policy_basis": "government_policy",
    "policy_letter_no": "มท 0810.3/ว 1234",
    "policy_letter_date": date(2026, 10, 15),
}
REASONS = {"reasons": "นโยบายรัฐบาลเร่งด่วน", "necessity": "ต้องดำเนินการในปีนี้"}


@pytest.fixture
def on_day(monkeypatch):
    """Announce on a given Bangkok day (the revision service reads ``today_local``)."""

    def set_day(day: date) -> None:
        monkeypatch.setattr(revisions, "today_local", lambda: day)

    return set_day


def announce_correction(world, org, planner, executive, plan=None) -> Revision:
    """A correction (แก้ไข, ข้อ 21): drafted, then the executive alone announces it."""
    plan = plan or announced_plan(org, planner)
    revision = revisions.open_revision(planner, plan.id)
    revisions.add_correction(planner, revision.id, 1, {"kpi": "ร้อยละ 95"}, fact="ข้อเท็จจริงคือ ตัวชี้วัดร้อยละ 95")
    engine.fire("revision", revision.id, "submit", planner)
    engine.fire("revision", revision.id, "approve_and_announce", executive)
    return _db.session.get(Revision, revision.id)


def announce_policy(world, plan, *, additions: int = 1, changes=()) -> Revision:
    """Additions and changes on the policy route (ข้อ 22/2): the executive alone announces them."""
    revision = revisions.open_revision(world.planner, plan.id, route="policy", **REASONS, **POLICY)
    for n in range(additions):
        values = new_project_values(plan, name=f"โครงการตามนโยบาย {n + 1}")
        revisions.add_addition(world.planner, revision.id, values, reason="นโยบายรัฐบาล")
    for project_no in changes:
        revisions.add_change(
            world.planner, revision.id, project_no, {"target": "ขยายเป้าหมาย"}, reason="นโยบาย"
        )
    engine.fire("revision", revision.id, "submit", world.planner)
    engine.fire("revision", revision.id, "approve_and_announce", world.executive)
    return _db.session.get(Revision, revision.id)


def test_by_the_national_default_revisions_count_per_bundle_in_the_calendar_year(world, db, on_day):
    on_day(date(2026, 11, 20))  # calendar 2569, fiscal year 2570
    first = announce_correction(world, world.sao_a, world.planner, world.executive)
    second = announce_correction(world, world.sao_a, world.planner, world.executive)
    assert (first.title, second.title) == ("แก้ไข ครั้งที่ 1/2569", "แก้ไข ครั้งที่ 2/2569")


def test_an_lao_numbering_by_fiscal_year_restarts_on_1_october_and_others_keep_the_default(world, db, on_day):
    revision_numbering.save_settings(world.planner, world.sao_a.id, "fiscal", "", "ฉบับที่")
    on_day(date(2026, 9, 25))  # fiscal year 2569
    september = announce_correction(world, world.sao_a, world.planner, world.executive)
    on_day(date(2026, 10, 2))  # fiscal year 2570 began on 1 October
    october = announce_correction(world, world.sao_a, world.planner, world.executive)
    assert september.title == "แก้ไข ฉบับที่ 1 ประจำปีงบประมาณ 2569"
    assert october.title == "แก้ไข ฉบับที่ 1 ประจำปีงบประมาณ 2570"
    # The municipality set nothing: the calendar year 2569 runs on across 1 October.
    on_day(date(2026, 9, 25))
    town_first = announce_correction(world, world.town_b, world.town_planner, world.town_executive)
    on_day(date(2026, 10, 2))
    town_second = announce_correction(world, world.town_b, world.town_planner, world.town_executive)
    assert (town_first.title, town_second.title) == ("แก้ไข ครั้งที่ 1/2569", "แก้ไข ครั้งที่ 2/2569")


def test_a_bundle_takes_one_number_per_kind_where_the_lao_counts_per_kind(world, db, on_day):
    on_day(date(2026, 11, 20))
    revision_numbering.save_settings(world.planner, world.sao_a.id, "", "kind", "ฉบับที่")
    plan = announced_plan(world.sao_a, world.planner)
    addition = announce_policy(world, plan)
    bundle = announce_policy(world, plan, changes=[1])
    assert addition.title == "เพิ่มเติม ฉบับที่ 1/2569"
    assert bundle.title == "เพิ่มเติม ฉบับที่ 2/2569 และเปลี่ยนแปลง ฉบับที่ 1/2569"


def test_a_bundle_takes_one_number_of_its_own_label_where_the_lao_counts_per_bundle(world, db, on_day):
    on_day(date(2026, 11, 20))
    plan = announced_plan(world.sao_a, world.planner)
    addition = announce_policy(world, plan)
    bundle = announce_policy(world, plan, changes=[1])
    assert addition.title == "เพิ่มเติม ครั้งที่ 1/2569"
    assert bundle.title == "เพิ่มเติมและเปลี่ยนแปลง ครั้งที่ 1/2569"


def test_an_lao_joining_mid_year_sets_its_next_number_and_cannot_go_back(world, db, on_day):
    # Three additions of fiscal year 2570 were announced on paper before the LAO joined e-Plan.
    on_day(date(2026, 11, 20))
    revision_numbering.save_settings(world.planner, world.sao_a.id, "fiscal", "bundle", "ฉบับที่")
    revision_numbering.set_next_number(world.planner, world.sao_a.id, "fiscal", 2570, "เพิ่มเติม", 4)
    plan = announced_plan(world.sao_a, world.planner)
    fourth = announce_policy(world, plan)
    fifth = announce_policy(world, plan)
    assert fourth.title == "เพิ่มเติม ฉบับที่ 4 ประจำปีงบประมาณ 2570"
    assert fifth.title == "เพิ่มเติม ฉบับที่ 5 ประจำปีงบประมาณ 2570"
    # A number already announced cannot be given again.
    with pytest.raises(revision_numbering.NumberAlreadyUsed):
        revision_numbering.set_next_number(world.planner, world.sao_a.id, "fiscal", 2570, "เพิ่มเติม", 5)
    # The other counters start at 1 as before.
    correction = announce_correction(world, world.sao_a, world.planner, world.executive, plan=plan)
    assert correction.title == "แก้ไข ฉบับที่ 1 ประจำปีงบประมาณ 2570"
    actions = _db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.chain == f"revision-numbering:{world.sao_a.id}")
    ).all()
    assert actions == ["set_numbering", "set_next_number"]


def test_only_the_lao_s_planners_and_dla_set_its_numbering(world, db):
    with pytest.raises(PermissionDenied):
        revision_numbering.save_settings(world.executive, world.sao_a.id, "fiscal", "", "")
    with pytest.raises(PermissionDenied):
        revision_numbering.save_settings(world.town_planner, world.sao_a.id, "fiscal", "", "")
    revision_numbering.save_settings(world.dla_admin, world.sao_a.id, "fiscal", "", "")
    numbering, _ = revision_numbering.settings_of(world.sao_a.id)
    assert (numbering.year_basis, numbering.counter_scope) == ("fiscal", "bundle")


def test_a_revision_started_on_version_1_keeps_calendar_numbering_whatever_the_lao_set(world, db, on_day):
    on_day(date(2026, 11, 20))
    revision_numbering.save_settings(world.planner, world.sao_a.id, "fiscal", "kind", "ฉบับที่")
    plan = announced_plan(world.sao_a, world.planner)
    revision = revisions.open_revision(world.planner, plan.id)
    revision.workflow_version = 1  # as every revision opened before version 2 was
    _db.session.commit()
    # Version 1 asks no corrected fact either.
    revisions.add_correction(world.planner, revision.id, 2, {"kpi": "ร้อยละ 99"})
    engine.fire("revision", revision.id, "submit", world.planner)
    engine.fire("revision", revision.id, "approve_and_announce", world.executive)
    assert _db.session.get(Revision, revision.id).title == "แก้ไข ครั้งที่ 1/2569"


def test_the_numbering_page_is_reached_from_the_revisions_and_saves_without_javascript(
    world, db, login_as, on_day
):
    on_day(date(2026, 11, 20))
    plan = announced_plan(world.sao_a, world.planner)
    client = login_as(world.planner)
    listing = client.get(f"/revisions/plans/{plan.id}").get_data(as_text=True)
    assert f'href="/revisions/plans/{plan.id}/numbering"' in listing
    page = client.get(f"/revisions/plans/{plan.id}/numbering").get_data(as_text=True)
    assert "การนับลำดับ" in page and "ตามค่าเริ่มต้นระดับประเทศ" in page
    saved = client.post(
        f"/revisions/plans/{plan.id}/numbering",
        data={"year_basis": "fiscal", "counter_scope": "kind", "number_word": "ฉบับที่"},
    )
    assert saved.status_code == 303
    numbering, own = revision_numbering.settings_of(world.sao_a.id)
    assert (numbering.year_basis, numbering.counter_scope, numbering.number_word) == (
        "fiscal",
        "kind",
        "ฉบับที่",
    )
    assert "เพิ่มเติม ฉบับที่ 1 และเปลี่ยนแปลง ฉบับที่ 1 ประจำปีงบประมาณ" in client.get(
        f"/revisions/plans/{plan.id}/numbering"
    ).get_data(as_text=True)
    # The next number, typed in Thai digits; one already announced is refused in Thai.
    client.post(
        f"/revisions/plans/{plan.id}/numbering/next",
        data={"year_basis": "fiscal", "year_be": "๒๕๗๐", "counter": "เพิ่มเติม", "next_number": "๓"},
    )
    assert announce_policy(world, plan).title == "เพิ่มเติม ฉบับที่ 3 ประจำปีงบประมาณ 2570"
    refused = client.post(
        f"/revisions/plans/{plan.id}/numbering/next",
        data={"year_basis": "fiscal", "year_be": "2570", "counter": "เพิ่มเติม", "next_number": "2"},
    )
    assert refused.status_code == 422
    assert "เพิ่มเติม ลำดับที่ 3 ของปี 2570 ประกาศไปแล้ว" in refused.get_data(as_text=True)


def test_the_executive_reads_the_numbering_but_gets_no_form(world, db, login_as):
    plan = announced_plan(world.sao_a, world.planner)
    client = login_as(world.executive)
    page = client.get(f"/revisions/plans/{plan.id}/numbering").get_data(as_text=True)
    assert "numbering/next" not in page
    response = client.post(f"/revisions/plans/{plan.id}/numbering", data={"year_basis": "fiscal"})
    assert response.status_code == 403
    numbering, _ = revision_numbering.settings_of(world.sao_a.id)
    assert numbering.year_basis == "calendar"


def test_a_version_2_revision_continues_the_count_a_version_1_revision_began(world, db, on_day):
    on_day(date(2026, 11, 20))
    plan = announced_plan(world.sao_a, world.planner)
    old = revisions.open_revision(world.planner, plan.id)
    old.workflow_version = 1
    _db.session.commit()
    revisions.add_correction(world.planner, old.id, 2, {"kpi": "ร้อยละ 99"})
    engine.fire("revision", old.id, "submit", world.planner)
    engine.fire("revision", old.id, "approve_and_announce", world.executive)
    new = announce_correction(world, world.sao_a, world.planner, world.executive, plan=plan)
    assert (_db.session.get(Revision, old.id).title, new.title) == ("แก้ไข ครั้งที่ 1/2569", "แก้ไข ครั้งที่ 2/2569")

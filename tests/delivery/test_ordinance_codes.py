"""e-LAAS budget codes on plan projects, and the ordinance's announcement date (issue 14, items 4-5):
the ordinance import matches a line by the project's own code first, then by an earlier execution
item's code, then by a similar name the planner confirms; confirming may record the line's code on a
project that has none (audited); an ordinance dated outside its fiscal year is refused, here and when
an action plan is opened, and nothing is saved. On real PostgreSQL.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import ActionPlan, AuditEvent, ProjectExecution, ProjectRecord
from eplan_flow.services.delivery import action_plans
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.delivery import ordinance_import as service
from eplan_flow.services.delivery.ordinance_date import OrdinanceDateOutsideYear, ordinance_window
from eplan_flow.services.planning import plans
from tests.delivery.test_ordinance_import import HEADER, NAMES, csv_bytes
from tests.factories.revisions import announced_plan

# Fiscal year 2569 runs 1 October 2025 - 30 September 2026: its ordinance is announced from
# 1 October 2024 (a year before it begins) to 30 September 2026, all before today.
YEAR = 2569
EARLIER_CODE = "00241-5310-0001"  # on project 1's item of 2568
OWN_CODE = "00241-5500-0030"  # project 3's own code


@pytest.fixture
def kept(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ORDINANCE_IMPORTS_DIR", str(tmp_path / "ordinance"))


@pytest.fixture
def plan(world, db, kept):
    """sao_a's announced plan 2566-2570 with four named projects: project 3 carries its own e-LAAS
    code, project 1 was budgeted for 2568 with another code (an earlier item's)."""
    plan = announced_plan(world.sao_a, world.planner, projects=4, period_start_be=2566)
    for record in db.session.scalars(select(ProjectRecord).where(ProjectRecord.plan_id == plan.id)):
        record.name = NAMES[record.project_no]
        record.elaas_budget_code = OWN_CODE if record.project_no == 3 else None
    db.session.commit()
    first = execution_service.budget_project(world.planner, plan.id, 1, YEAR - 1, "900000")
    execution_service.record_budget_details(
        world.planner, first.id, {"budget_source": "ordinance", "elaas_budget_code": EARLIER_CODE}
    )
    return plan


LINES = [
    # Row 2: project 3's own code, under a name nothing like the plan's.
    [OWN_CODE, "ค่าครุภัณฑ์ยานพาหนะและขนส่ง", "2,400,000", ""],
    # Row 3: the code of project 1's item of 2568.
    [EARLIER_CODE, "ถนน คสล. สายบ้านนายสม", "1,200,000.00", ""],
    # Row 4: a new code; the name is close to project 2's.
    ["00241-5320-0002", "โครงการอบรมส่งเสริมอาชีพสตรี ตำบลหนองเลิง", "45,000", ""],
]


def _items(plan_id: int, year: int = YEAR) -> dict[int, tuple]:
    _db.session.expire_all()
    rows = _db.session.scalars(
        select(ProjectExecution).where(
            ProjectExecution.plan_id == plan_id, ProjectExecution.fiscal_year_be == year
        )
    )
    return {r.project_no: (r.budgeted_amount, r.elaas_budget_code) for r in rows}


def _codes(plan_id: int) -> dict[int, str | None]:
    _db.session.expire_all()
    rows = _db.session.scalars(
        select(ProjectRecord).where(ProjectRecord.plan_id == plan_id, ProjectRecord.valid_to.is_(None))
    )
    return {r.project_no: r.elaas_budget_code for r in rows}


def _events() -> int:
    return _db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.chain.like("execution%")
            | AuditEvent.chain.like("ordinance:%")
            | AuditEvent.chain.like("plan-content:%")
        )
    )


def _code_events(plan_id: int) -> list[dict]:
    return list(
        _db.session.scalars(
            select(AuditEvent.data).where(
                AuditEvent.chain == plans.content_chain(plan_id), AuditEvent.action == service.RECORD_CODE
            )
        )
    )


def test_a_line_matches_the_projects_own_code_before_an_earlier_items_code_and_a_name(world, plan):
    preview = service.preview(world.planner, plan.id, YEAR, csv_bytes([HEADER, *LINES]))
    found = {m.line.row: (m.status, m.project_no) for m in preview.matches}
    assert found == {2: ("project_code", 3), 3: ("exact", 1), 4: ("similar", 2)}
    assert preview.coded_projects == {3}
    # The page offers to record a code only where the project has none and the line is not its own.
    assert [preview.may_record_code(m) for m in preview.matches] == [False, True, True]

    outcome = service.confirm(world.planner, plan.id, YEAR, preview.sha256, {2: "3", 3: "1", 4: "2"})
    assert len(outcome.created) == 3
    assert _items(plan.id) == {
        3: (Decimal("2400000.00"), OWN_CODE),
        1: (Decimal("1200000.00"), EARLIER_CODE),
        2: (Decimal("45000.00"), "00241-5320-0002"),
    }
    # Nothing was asked to be recorded: the projects keep their codes as they were.
    assert _codes(plan.id) == {1: None, 2: None, 3: OWN_CODE, 4: None}


def test_the_projects_own_code_wins_over_an_earlier_item_of_another_project(world, plan, db):
    record = db.session.scalar(
        select(ProjectRecord).where(ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 4)
    )
    record.elaas_budget_code = EARLIER_CODE  # the code moved to project 4 in this year's ordinance
    db.session.commit()
    [match] = service.preview(world.planner, plan.id, YEAR, csv_bytes([HEADER, LINES[1]])).matches
    assert (match.status, match.project_no) == ("project_code", 4)


def test_a_similar_name_is_only_a_proposal_until_the_planner_confirms_it(world, plan):
    data = csv_bytes([HEADER, LINES[2]])
    preview = service.preview(world.planner, plan.id, YEAR, data)
    [match] = preview.matches
    assert (match.status, match.project_no) == ("similar", 2)
    before = _events()
    outcome = service.confirm(world.planner, plan.id, YEAR, preview.sha256, {})
    assert (outcome.created, outcome.unchanged) == ([], 1)
    assert (_items(plan.id), _events()) == ({}, before)
    service.confirm(world.planner, plan.id, YEAR, preview.sha256, {2: "2"})
    assert _items(plan.id) == {2: (Decimal("45000.00"), "00241-5320-0002")}


def test_confirming_records_the_lines_code_on_a_project_without_one_and_audits_it(world, plan):
    preview = service.preview(world.planner, plan.id, YEAR, csv_bytes([HEADER, *LINES]))
    outcome = service.confirm(
        world.planner, plan.id, YEAR, preview.sha256, {2: "3", 3: "1", 4: "2"}, record_codes={2, 3, 4}
    )
    # Row 2 is project 3's own code (nothing to record); rows 3 and 4 give projects 1 and 2 theirs.
    assert (sorted(outcome.coded), outcome.not_coded) == ([1, 2], [])
    assert _codes(plan.id) == {1: EARLIER_CODE, 2: "00241-5320-0002", 3: OWN_CODE, 4: None}
    events = sorted(_code_events(plan.id), key=lambda e: e["project_no"])
    assert [(e["project_no"], e["elaas_budget_code"], e["fiscal_year_be"], e["row"]) for e in events] == [
        (1, EARLIER_CODE, YEAR, 3),
        (2, "00241-5320-0002", YEAR, 4),
    ]
    # Next year's ordinance finds project 2 by its own code, whatever the line is called.
    renamed = csv_bytes([HEADER, ["00241-5320-0002", "ค่าใช้จ่ายโครงการฝึกอาชีพ", "50,000", ""]])
    [match] = service.preview(world.planner, plan.id, YEAR + 1, renamed).matches
    assert (match.status, match.project_no) == ("project_code", 2)


def test_a_code_is_not_recorded_over_a_projects_own_code(world, plan):
    # Row 4's line confirmed for project 3, which has a code already: the item gets the line's code,
    # the project keeps its own.
    preview = service.preview(world.planner, plan.id, YEAR, csv_bytes([HEADER, LINES[2]]))
    outcome = service.confirm(world.planner, plan.id, YEAR, preview.sha256, {2: "3"}, record_codes={2})
    assert (outcome.coded, outcome.not_coded) == ([], [3])
    assert _codes(plan.id)[3] == OWN_CODE
    assert _code_events(plan.id) == []


def test_importing_twice_creates_no_second_item_and_records_nothing_again(world, plan):
    data = csv_bytes([HEADER, *LINES])
    decisions = {2: "3", 3: "1", 4: "2"}
    first = service.preview(world.planner, plan.id, YEAR, data)
    service.confirm(world.planner, plan.id, YEAR, first.sha256, decisions, record_codes={3, 4})
    before = (_items(plan.id), _codes(plan.id), _events())

    again = service.preview(world.planner, plan.id, YEAR, data)
    assert [m.status for m in again.matches] == ["budgeted", "budgeted", "budgeted"]
    outcome = service.confirm(world.planner, plan.id, YEAR, again.sha256, decisions, record_codes={3, 4})
    assert (outcome.created, outcome.updated, outcome.coded, outcome.unchanged) == ([], [], [], 3)
    assert (_items(plan.id), _codes(plan.id), _events()) == before
    assert (
        _db.session.scalar(
            select(func.count()).select_from(ProjectExecution).where(ProjectExecution.plan_id == plan.id)
        )
        == 4
    )  # 2568's item and this year's three


def test_the_ordinance_window_is_the_fiscal_year_and_the_year_before_it_begins():
    assert ordinance_window(YEAR) == (date(2024, 10, 1), date(2026, 9, 30))


@pytest.mark.parametrize("announced", ["30/09/2567", "01/10/2569", "2024-09-30"])
def test_an_ordinance_dated_outside_its_fiscal_year_is_refused_and_nothing_is_saved(world, plan, announced):
    data = csv_bytes([HEADER, *LINES])
    with pytest.raises(OrdinanceDateOutsideYear) as refused:
        service.preview(world.planner, plan.id, YEAR, data, announced)
    assert refused.value.details["fiscal_year"] == YEAR
    assert refused.value.details["field"] == "ordinance_announced_on"

    sha = service.preview(world.planner, plan.id, YEAR, data).sha256
    before = (_items(plan.id), _codes(plan.id), _events())
    with pytest.raises(OrdinanceDateOutsideYear):
        service.confirm(
            world.planner,
            plan.id,
            YEAR,
            sha,
            {2: "3", 3: "1", 4: "2"},
            record_codes={3, 4},
            ordinance_announced_on=announced,
        )
    assert (_items(plan.id), _codes(plan.id), _events()) == before


@pytest.mark.parametrize("announced", ["01/10/2567", "15/09/2568", "30/09/2569"])
def test_an_ordinance_dated_within_its_window_is_imported(world, plan, announced):
    preview = service.preview(world.planner, plan.id, YEAR, csv_bytes([HEADER, LINES[0]]), announced)
    assert preview.ordinance_announced_on is not None
    service.confirm(world.planner, plan.id, YEAR, preview.sha256, {2: "3"}, ordinance_announced_on=announced)
    assert _items(plan.id) == {3: (Decimal("2400000.00"), OWN_CODE)}


def test_the_upload_page_refuses_a_wrong_year_ordinance_in_thai(world, plan, client, login_as):
    login_as(world.planner)
    before = (_items(plan.id), _events())
    response = client.post(
        f"/execution/plans/{plan.id}/ordinance?year={YEAR}",
        data={
            "file": (io.BytesIO(csv_bytes([HEADER, *LINES])), "ordinance.csv"),
            "ordinance_announced_on": "01/10/2569",
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ข้อบัญญัติงบประมาณประจำปีงบประมาณ พ.ศ. 2569 ต้องประกาศระหว่างวันที่" in page
    assert "1 ตุลาคม 2569" in page and "30 กันยายน 2569" in page
    assert (_items(plan.id), _events()) == before


def test_the_pages_import_with_the_date_and_record_a_code_when_asked(world, plan, client, login_as):
    login_as(world.planner)
    response = client.post(
        f"/execution/plans/{plan.id}/ordinance?year={YEAR}",
        data={
            "file": (io.BytesIO(csv_bytes([HEADER, *LINES])), "ordinance.csv"),
            "ordinance_announced_on": "15/09/2568",
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert "ตรงกับรหัส e-LAAS ของโครงการ" in page
    assert 'name="record-4"' in page and 'name="record-2"' not in page
    assert 'name="ordinance_announced_on" value="2025-09-15"' in page
    sha = page.split('name="sha256" value="')[1].split('"')[0]
    response = client.post(
        f"/execution/plans/{plan.id}/ordinance/confirm?year={YEAR}",
        data={
            "sha256": sha,
            "ordinance_announced_on": "2025-09-15",
            "row-2": "3",
            "row-3": "1",
            "row-4": "2",
            "record-4": "1",
        },
    )
    assert response.status_code == 303
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "บันทึกรหัสงบประมาณ e-LAAS ให้โครงการลำดับที่ 2 แล้ว" in done
    assert _codes(plan.id) == {1: None, 2: "00241-5320-0002", 3: OWN_CODE, 4: None}
    project_page = client.get(f"/plans/{plan.id}/projects/2").get_data(as_text=True)
    assert "00241-5320-0002" in project_page


def test_an_action_plan_opened_with_a_wrong_year_ordinance_is_refused(world, db, client, login_as):
    # Fiscal year 2569 ended on 30 September 2026: an ordinance of 1 October 2026 is not its own.
    with pytest.raises(OrdinanceDateOutsideYear) as refused:
        action_plans.open_action_plan(world.planner, world.sao_a.id, 2569, "2026-10-01")
    assert refused.value.details["fiscal_year"] == 2569
    with pytest.raises(OrdinanceDateOutsideYear):
        action_plans.open_action_plan(world.planner, world.sao_a.id, 2570, "2025-09-30")
    login_as(world.planner)
    response = client.post(
        f"/execution/laos/{world.sao_a.id}/action-plans",
        data={"fiscal_year_be": "2570", "ordinance_announced_on": "2025-09-30"},
        follow_redirects=True,
    )
    assert "ข้อบัญญัติงบประมาณประจำปีงบประมาณ พ.ศ. 2570 ต้องประกาศระหว่างวันที่ 1 ตุลาคม 2568" in (
        response.get_data(as_text=True)
    )
    assert db.session.scalar(select(func.count()).select_from(ActionPlan)) == 0
    # A day inside the window opens it.
    assert action_plans.open_action_plan(world.planner, world.sao_a.id, 2570, "2025-10-01").id

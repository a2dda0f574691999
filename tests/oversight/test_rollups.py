"""The oversight rollups: every write notes its LAO in its own transaction, a refresh takes the
changes in and equals the live computation, pages stay exact between refreshes, DLA's national table
sums them, and the embedded default keeps them fresh on its own."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from croniter import croniter
from sqlalchemy import func, select, update

from eplan_flow.config import Config
from eplan_flow.extensions import db as _db
from eplan_flow.jobs import schedule
from eplan_flow.models import (
    Disbursement,
    Organisation,
    OversightChange,
    OversightFigures,
    Plan,
    ProjectExecution,
)
from eplan_flow.models.oversight import NO_ITEM, TOTAL
from eplan_flow.services.oversight import rollups
from eplan_flow.services.oversight import status as oversight
from eplan_flow.services.platform import engine
from eplan_flow.services.platform.queues import drain_in_process
from tests import factories
from tests.conftest import DATABASE_URL
from tests.factories import revisions as revision_factories
from tests.factories.fire import give_a_project
from tests.oversight.conftest import FISCAL_YEAR, execution

WATCHED_TABLES = (
    "project_execution",
    "plan",
    "disbursement",
    "budget_transfer",
    "project_record",
    "lao_strategy",
    "project_link",
    "lao_strategy_link",
)


def changed_laos() -> set[int]:
    return set(_db.session.scalars(select(OversightChange.organisation_id)))


def rolled_up(org_id: int, year: int = FISCAL_YEAR) -> tuple | None:
    row = _db.session.execute(
        select(
            OversightFigures.planned,
            OversightFigures.executions,
            OversightFigures.counted,
            OversightFigures.budget,
            OversightFigures.disbursed,
        ).where(
            OversightFigures.organisation_id == org_id,
            OversightFigures.fiscal_year_be == year,
            OversightFigures.dimension == TOTAL,
        )
    ).first()
    return tuple(row) if row else None


def live(org_id: int, year: int = FISCAL_YEAR) -> tuple:
    by_lao, _ = oversight.money_figures([org_id], year)
    planned = oversight.planned_counts([org_id], oversight.period_start_for(year), year)
    money = by_lao.get(org_id, oversight.Money())
    return (planned.get(org_id, 0), money.executions, money.counted, money.budget, money.disbursed)


def test_every_kind_of_write_notes_its_lao_in_its_own_transaction(country, town_year, db):
    town = country.town.id
    assert rollups.refresh_all() >= 1
    assert changed_laos() == set()

    # A payment recorded through the models.
    first = _db.session.scalar(select(ProjectExecution).where(ProjectExecution.plan_id == town_year.id))
    _db.session.add(Disbursement(execution_id=first.id, paid_on=date(2024, 4, 1), amount=Decimal("1.00")))
    _db.session.commit()
    assert changed_laos() == {town}
    rollups.refresh_all()

    # A Core UPDATE (as the execution service writes a contract) is noted as well.
    _db.session.execute(
        update(ProjectExecution).where(ProjectExecution.id == first.id).values(progress_percent=99)
    )
    _db.session.commit()
    assert changed_laos() == {town}
    rollups.refresh_all()

    # What is rolled back notes nothing.
    _db.session.add(Disbursement(execution_id=first.id, paid_on=date(2024, 4, 2), amount=Decimal("2.00")))
    _db.session.flush()
    assert changed_laos() == {town}
    _db.session.rollback()
    assert changed_laos() == set()

    # A transaction of many writes to one LAO notes it once (PostgreSQL).
    for amount in ("3.00", "4.00", "5.00"):
        _db.session.add(Disbursement(execution_id=first.id, paid_on=date(2024, 4, 3), amount=Decimal(amount)))
    _db.session.commit()
    assert _db.session.scalar(select(func.count()).select_from(OversightChange)) == 1

    # Every watched table carries the trigger.
    triggers = set(
        _db.session.scalars(sa.text("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'oversight_change_%'"))
    )
    assert triggers == {f"oversight_change_{table}" for table in WATCHED_TABLES} | {
        "oversight_change_plan_update"
    }


def test_a_plans_steps_note_its_lao_only_when_they_move_its_figures(world, db):
    """A workflow step updates the plan (state, version) without moving any figure: noting it would
    have the LAO computed live on every oversight page until the next refresh. Announcing does move
    them (the version in force), and so does a new plan."""
    plan = factories.plan(world.sao_a, world.planner)
    give_a_project(plan, world.planner)
    assert changed_laos() == {world.sao_a.id}
    rollups.refresh_all()
    meeting = {"meeting_date": "2026-01-15", "resolution": "ครั้งที่ 1/2569"}
    engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    engine.fire("plan", plan.id, "return_for_revision", world.devcom_secretary, comment="แก้ไข")
    engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    engine.fire("plan", plan.id, "endorse", world.devcom_secretary, data=meeting)
    engine.fire("plan", plan.id, "approve_by_council", world.council_secretary, data=meeting)
    assert changed_laos() == set()
    engine.fire("plan", plan.id, "approve_and_announce", world.executive)
    assert changed_laos() == {world.sao_a.id}


def test_a_refresh_equals_the_live_computation_in_every_year_and_dimension(country, town_year, db):
    laos = sorted(changed_laos())
    assert country.town.id in laos
    expected = {
        (year, dimension): oversight.money_figures(laos, year, dimension)
        for year in (2567, 2568)
        for dimension in oversight.DIMENSIONS
    }
    assert rollups.refresh_all() == len(laos)
    assert changed_laos() == set()

    for (year, dimension), (by_lao, by_item) in expected.items():
        got_lao, got_item, planned = oversight.rolled_up_figures(laos, year, dimension)
        assert got_lao == by_lao and got_item == by_item
        assert planned == oversight.planned_counts(laos, oversight.period_start_for(year), year)
    # ทม.บึงกาฬ's 2567 (tests/oversight/conftest.py): 1 of 3 counted, 140,000 paid of 190,000.
    assert rolled_up(country.town.id) == (6, 3, 1, Decimal("190000.00"), Decimal("140000.00"))
    assert rolled_up(country.town.id, 2568)[1:3] == (1, 1)
    # Projects linked to no SDG have their row too (item 0), as the chart's "not linked" bar.
    unlinked = {key for key in expected[(2567, "sdg")][1] if key[1] is None}
    stored = set(
        _db.session.execute(
            select(OversightFigures.organisation_id, OversightFigures.item_id).where(
                OversightFigures.fiscal_year_be == 2567,
                OversightFigures.dimension == "sdg",
                OversightFigures.item_id == NO_ITEM,
            )
        ).all()
    )
    assert stored == {(org_id, NO_ITEM) for org_id, _ in unlinked}


def test_the_board_is_exact_between_refreshes(country, town_year, db):
    rollups.refresh_all()
    filters = oversight.Filters(fiscal_year_be=FISCAL_YEAR)

    def town_row():
        board = oversight.dashboard(country.provincial_officer, filters)
        return next(r for r in board.rows if r.organisation_id == country.town.id)

    assert town_row().disbursed == Decimal("140000.00")
    second = _db.session.scalar(
        select(ProjectExecution).where(
            ProjectExecution.plan_id == town_year.id, ProjectExecution.project_no == 2
        )
    )
    _db.session.add(
        Disbursement(execution_id=second.id, paid_on=date(2024, 5, 1), amount=Decimal("10000.00"))
    )
    _db.session.commit()

    # Not in the rollups yet, and on the board already.
    assert rolled_up(country.town.id)[4] == Decimal("140000.00")
    assert town_row().disbursed == Decimal("150000.00")
    assert rollups.refresh_all() == 1
    assert rolled_up(country.town.id)[4] == Decimal("150000.00") == town_row().disbursed


@pytest.mark.real_commits
def test_a_change_committed_while_a_refresh_runs_waits_for_the_next_one(country, town_year, db):
    rollups.refresh_all()
    first = _db.session.scalar(select(ProjectExecution.id).where(ProjectExecution.plan_id == town_year.id))
    other = sa.create_engine(DATABASE_URL)
    try:
        with other.connect() as writer:
            # Written, not committed: the refresh cannot see it (and must not delete its note later).
            writer.execute(
                sa.insert(Disbursement.__table__).values(
                    execution_id=first, paid_on=date(2024, 6, 1), amount=Decimal("7.00")
                )
            )
            assert rollups.refresh_all() == 0
            writer.commit()
    finally:
        other.dispose()
    assert changed_laos() == {country.town.id}
    assert rollups.refresh_all() == 1
    assert rolled_up(country.town.id) == live(country.town.id)


def test_dla_reads_every_province_summed_from_the_rollups(country, town_year, client, login_as, db):
    foreign_plan = revision_factories.announced_plan(
        country.foreign, country.planner, projects=3, period_start_be=2566
    )
    execution(foreign_plan, 1, budget="5000.00", actor=country.planner)
    filters = oversight.Filters(fiscal_year_be=FISCAL_YEAR, province="38")
    board = oversight.dashboard(country.provincial_officer, filters, dimension="sdg")
    bueng_kan = board.totals
    assert board.bars
    # What the province's own page lists as overdue, LAO by LAO (its plans not announced in time).
    overdue_in_bueng_kan = sum(row.overdue_count for row in board.rows)
    assert overdue_in_bueng_kan > 0

    for refreshed in (False, True):  # computed live for the changed LAOs, then from the rollups alone
        if refreshed:
            rollups.refresh_all()
        nation = rollups.national(country.dla_admin, FISCAL_YEAR)
        rows = {row.code: row for row in nation.provinces}
        assert set(rows) == {"30", "38"}
        assert (rows["38"].laos, rows["38"].with_plan) == (len(country.bueng_kan_codes), 1)
        assert (rows["38"].planned, rows["38"].executions, rows["38"].counted) == (
            bueng_kan.planned,
            bueng_kan.executions,
            bueng_kan.counted,
        )
        assert (rows["38"].budget, rows["38"].disbursed) == (bueng_kan.budget, bueng_kan.disbursed)
        assert (rows["30"].laos, rows["30"].executions, rows["30"].budget) == (1, 1, Decimal("5000.00"))
        assert nation.pending_laos == (0 if refreshed else 2)
        assert nation.totals.executions == bueng_kan.executions + 1
        # The chart by a dimension is the provinces' own charts summed, item by item.
        national_bars = rollups.national(country.dla_admin, FISCAL_YEAR, "sdg").bars
        expected: dict = {}
        for province in ("30", "38"):
            page = oversight.dashboard(
                country.dla_admin,
                oversight.Filters(fiscal_year_be=FISCAL_YEAR, province=province),
                dimension="sdg",
            )
            for bar in page.bars:
                n, budget, paid = expected.get(bar.item_id, (0, Decimal(0), Decimal(0)))
                expected[bar.item_id] = (n + bar.projects, budget + bar.budget, paid + bar.disbursed)
        assert {bar.item_id: (bar.projects, bar.budget, bar.disbursed) for bar in national_bars} == expected
        assert sum(bar.projects for bar in national_bars) > sum(bar.projects for bar in board.bars)
        assert nation.bars == []  # no dimension asked
        # Overdue is counted live, the same number the province's page gives.
        assert rows["38"].overdue == overdue_in_bueng_kan
        assert nation.totals.overdue == rows["38"].overdue + rows["30"].overdue

    # A provincial officer's "national" table holds their province alone.
    assert [row.code for row in rollups.national(country.provincial_officer, FISCAL_YEAR).provinces] == ["38"]

    login_as(country.dla_admin)
    body = client.get(f"/oversight/?year={FISCAL_YEAR}").get_data(as_text=True)
    assert 'id="national-table"' in body and "บึงกาฬ" in body and "190,000.00" in body
    assert f"/oversight/?year={FISCAL_YEAR}&amp;province=38" in body  # the drill-down to the province
    # The province's overdue count opens its page filtered to the LAOs with something overdue.
    assert "ความก้าวหน้าจำแนกตามจังหวัด" in body and "งบประมาณจำแนกตาม" in body  # the two charts
    assert (
        f'/oversight/?year={FISCAL_YEAR}&amp;province=38&amp;overdue=1"><strong>{overdue_in_bueng_kan}</strong>'
        in body
    )
    csv = client.get(f"/oversight/export.csv?year={FISCAL_YEAR}")
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("รหัสจังหวัด,จังหวัด") and len(lines) == 3
    assert lines[2] == f"38,บึงกาฬ,58,1,6,3,1,33.3,190000.00,140000.00,73.7,{overdue_in_bueng_kan}"
    assert client.get(f"/oversight/export.xlsx?year={FISCAL_YEAR}").status_code == 200

    # Months on, the town has neither submitted its plan nor done the duties that follow announcing
    # it: every kind of overdue item is counted as the province's page lists them.
    town_plan = db.session.scalars(select(Plan).where(Plan.organisation_id == country.town.id)).one()
    town_plan.announced_at = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    db.session.commit()
    later = date(2027, 3, 1)
    page = oversight.dashboard(country.provincial_officer, filters, today=later)
    kinds = {item.kind for row in page.rows for item in row.overdue}
    assert {"plan_not_announced", "plan_not_submitted", "duty_not_done"} <= kinds
    rows = {row.code: row for row in rollups.national(country.dla_admin, FISCAL_YEAR, today=later).provinces}
    assert rows["38"].overdue == sum(row.overdue_count for row in page.rows) > overdue_in_bueng_kan


def test_the_scheduler_refreshes_every_ten_seconds():
    entry = next(e for e in schedule.SCHEDULE if e["job"] == "refresh_oversight_figures")
    ticks = croniter(entry["cron"], datetime(2026, 12, 7, 10, 0, 3))
    times = [ticks.get_next(datetime) for _ in range(4)]
    assert [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)] == [10.0] * 3
    assert rollups.REFRESH_SECONDS == 10
    # The web process without Redis runs it as often.
    assert Config.IN_PROCESS_PERIODIC_JOBS == {"refresh_oversight_figures": rollups.REFRESH_SECONDS}


@pytest.mark.usefixtures("sqlite_app")
def test_the_embedded_default_notes_changes_and_refreshes_on_its_own(sqlite_app):
    """On SQLite, with jobs in the web process, a payment is in the rollups within the interval."""
    from eplan_flow.services.platform import outbox

    with sqlite_app.app_context():
        triggers = set(
            _db.session.scalars(
                sa.text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'oversight_change_%'"
                )
            )
        )
        assert triggers == {
            f"oversight_change_{t}_{e}" for t in WATCHED_TABLES for e in ("insert", "update", "delete")
        }
        world = factories.build_world()
        plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=3, period_start_be=2566)
        row = execution(plan, 1, budget="9000.00", actor=world.planner)
        org_id, execution_id = plan.organisation_id, row.id
        assert org_id in changed_laos()
        # A plan's workflow step does not move its figures: SQLite's trigger notes nothing either.
        rollups.refresh_all()
        draft = factories.plan(world.sao_c, world.planner_c)
        give_a_project(draft, world.planner_c)
        rollups.refresh_all()
        engine.fire("plan", draft.id, "submit_to_committee", world.planner_c)
        assert changed_laos() == set()
        _db.session.remove()

    sqlite_app.config.update(
        OUTBOX_SWEEP_SECONDS=60, IN_PROCESS_PERIODIC_JOBS={"refresh_oversight_figures": 0.5}
    )
    assert outbox.start_in_process_runner(sqlite_app)
    try:
        with sqlite_app.app_context():
            _db.session.add(
                Disbursement(execution_id=execution_id, paid_on=date(2024, 3, 1), amount=Decimal("900.00"))
            )
            _db.session.commit()
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                _db.session.remove()
                figures = rolled_up(org_id)
                if figures and figures[4] == Decimal("900.00") and not changed_laos():
                    break
                time.sleep(0.2)
            assert rolled_up(org_id) == (3, 1, 0, Decimal("9000.00"), Decimal("900.00"))
            assert changed_laos() == set()
            _db.session.remove()
    finally:
        outbox.stop_in_process_runner(sqlite_app)
        drain_in_process(sqlite_app)


def test_a_rebuild_notes_every_lao_and_recomputes_them(country, town_year, db):
    rollups.refresh_all()
    _db.session.execute(sa.delete(OversightFigures))
    _db.session.commit()
    laos = _db.session.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.kind == "lao")
    )
    assert rollups.mark_all() == laos
    assert rollups.refresh_all() == laos
    assert (
        rolled_up(country.town.id)
        == live(country.town.id)
        == (6, 3, 1, Decimal("190000.00"), Decimal("140000.00"))
    )

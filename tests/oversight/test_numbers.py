"""The rates on the oversight table against a hand-built case, and the budget chart by dimension."""

from __future__ import annotations

from decimal import Decimal

from eplan_flow.extensions import db as _db
from eplan_flow.models import LaoStrategy, ProjectRecord, lao_strategy_link
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.oversight import status as oversight
from tests.factories import revisions as revision_factories
from tests.oversight.conftest import FISCAL_YEAR


def town_row(country, year: int = FISCAL_YEAR):
    board = oversight.dashboard(country.provincial_officer, oversight.Filters(fiscal_year_be=year))
    return next(r for r in board.rows if r.code == country.town.code), board


def test_execution_and_disbursement_rates_match_the_hand_built_case(country, town_year):
    row, board = town_row(country)

    assert (row.executions, row.counted) == (3, 1)
    assert row.execution_rate == Decimal("33.3")
    assert row.budget == Decimal("190000.00") and row.disbursed == Decimal("140000.00")
    assert row.disbursement_rate == Decimal("73.7")
    assert (row.plan_status, row.plan_version, row.submission) == ("announced", 1, "due")
    # Totals of the province are the town's alone: no other LAO has a project budgeted.
    assert (board.totals.counted, board.totals.executions, board.totals.budget) == (
        1,
        3,
        Decimal("190000.00"),
    )


def test_the_count_agrees_with_the_execution_page_rule(country, town_year):
    row, _ = town_row(country)

    _, rows = execution_service.plan_year(country.planner, town_year.id, FISCAL_YEAR)

    assert row.counted == sum(1 for r in rows if r.counted)
    assert row.executions == len(rows)


def test_another_fiscal_year_shows_that_years_projects(country, town_year):
    row, _ = town_row(country, 2568)

    assert (row.executions, row.counted, row.execution_rate, row.disbursement_rate) == (
        1,
        1,
        Decimal("100.0"),
        Decimal("100.0"),
    )
    empty, _ = town_row(country, 2569)
    assert (empty.executions, empty.execution_rate, empty.disbursement_rate) == (0, None, None)


def test_the_budget_chart_sums_the_years_money_by_sdg_and_falls_back_to_strategy_links(country, town_year):
    # The factory links project n to SDG 1 + n % 3: projects 1, 2, 3 to SDGs 2, 3, 1.
    bars = {b.code: b for b in oversight.budget_by_dimension([country.town.id], FISCAL_YEAR, "sdg")}
    assert {code: (b.projects, b.budget, b.disbursed) for code, b in bars.items()} == {
        "SDG2": (1, Decimal("120000.00"), Decimal("110000.00")),
        "SDG3": (1, Decimal("40000.00"), Decimal("30000.00")),
        "SDG1": (1, Decimal("30000.00"), Decimal("0.00")),
    }
    # No project links a national strategy itself: project 1's LAO strategy does (ยท.01).
    record = _db.session.query(ProjectRecord).filter_by(plan_id=town_year.id, project_no=1).one()
    item = revision_factories.catalogue_item("national_strategy", "NS2", "การสร้างความสามารถในการแข่งขัน")
    _db.session.execute(lao_strategy_link.insert().values(strategy_id=record.strategy_id, item_id=item.id))
    _db.session.commit()
    strategy = _db.session.get(LaoStrategy, record.strategy_id)
    same_strategy = {
        r.project_no
        for r in _db.session.query(ProjectRecord).filter_by(plan_id=town_year.id, strategy_id=strategy.id)
    }

    by_strategy = oversight.budget_by_dimension([country.town.id], FISCAL_YEAR, "national_strategy")

    linked = next(b for b in by_strategy if b.code == "NS2")
    unlinked = next(b for b in by_strategy if b.item_id is None)
    expected = {1: Decimal("120000.00"), 2: Decimal("40000.00"), 3: Decimal("30000.00")}
    assert linked.budget == sum(v for k, v in expected.items() if k in same_strategy)
    assert unlinked.budget == sum(v for k, v in expected.items() if k not in same_strategy)
    assert linked.projects + unlinked.projects == 3


def test_the_page_shows_the_rates_the_charts_and_links_to_the_laos_pages(
    country, town_year, client, login_as
):
    login_as(country.provincial_officer)

    body = client.get(f"/oversight/?lang=en&year={FISCAL_YEAR}&dim=sdg").get_data(as_text=True)

    assert "33.3%" in body and "73.7%" in body and "(1/3)" in body
    assert f'/plans/{town_year.id}"' in body
    assert f"/execution/plans/{town_year.id}?year={FISCAL_YEAR}" in body
    assert "<svg" in body and "SDG2" in body and "Progress by district" in body

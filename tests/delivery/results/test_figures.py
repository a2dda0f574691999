"""The evaluation report's figures against numbers worked out by hand, for a small plan on real
PostgreSQL: per LAO strategy, National Strategy, NESDP milestone and SDG, April vs October round."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from eplan_flow.models import AuditEvent, PlanVersion, ProjectRecord
from eplan_flow.services.delivery import evaluation as service
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.platform import engine
from tests.factories import results as factories
from tests.factories import revisions as revision_factories

# Fiscal year 2569 is year 4 of the plan 2566–2570: project n's planned budget is n*1000 + 400.50.
# P1 (strategy 2, SDG2): budgeted 1,000, contract 900, paid 400 on 15 Dec 2025 and 500 on 10 May 2026, 100 %.
# P2 (strategy 1 → NS1, SDG3): budgeted 2,000, contract 2,000, paid 1,500 on 20 Jan 2026, 60 %.
# P3 (strategy 2, SDG1): budgeted 3,000, cancelled. P4 (strategy 1, own link NS2, SDG2): not budgeted.


def metrics(planned, planned_budget, budgeted, budget, disbursed, completed):
    return service.Metrics(
        planned, Decimal(planned_budget), budgeted, Decimal(budget), Decimal(disbursed), completed
    )


def frozen_metrics(planned, planned_budget, budgeted, budget, disbursed, completed):
    """Metrics as the report keeps them once frozen: money as strings with its satang."""
    return {
        "planned": planned,
        "planned_budget": planned_budget,
        "budgeted": budgeted,
        "budget": budget,
        "disbursed": disbursed,
        "completed": completed,
    }


def rows(table):
    return {(row.code or "unlinked"): row.metrics for row in table}


def test_the_october_round_counts_the_full_year_per_strategy_national_strategy_nesdp_and_sdg(world, db):
    plan = factories.executed_plan(world)
    figures = service.figures(world.sao_a.id, 2569, "october")

    assert figures.plan == service.PlanInForce(plan.id, plan.title, 1)
    assert (figures.period_from, figures.period_to) == (date(2025, 10, 1), date(2026, 9, 30))
    assert figures.totals == metrics(4, "11602.00", 3, "6000.00", "2400.00", 1)
    assert rows(figures.by_strategy) == {
        "1": metrics(2, "6801.00", 1, "2000.00", "1500.00", 0),
        "2": metrics(2, "4801.00", 2, "4000.00", "900.00", 1),
    }
    # P4's own link replaces its strategy's; P1 and P3 link to no National Strategy.
    assert rows(figures.by_national_strategy) == {
        "NS1": metrics(1, "2400.50", 1, "2000.00", "1500.00", 0),
        "NS2": metrics(1, "4400.50", 0, "0.00", "0.00", 0),
        "unlinked": metrics(2, "4801.00", 2, "4000.00", "900.00", 1),
    }
    assert rows(figures.by_nesdp_milestone) == {"unlinked": figures.totals}
    assert rows(figures.by_sdg) == {
        "SDG1": metrics(1, "3400.50", 1, "3000.00", "0.00", 0),
        "SDG2": metrics(2, "5801.00", 1, "1000.00", "900.00", 1),
        "SDG3": metrics(1, "2400.50", 1, "2000.00", "1500.00", 0),
    }
    assert figures.not_counted == [
        service.NotCountedProject(2, "โครงการที่ 2", "อยู่ระหว่างเบิกจ่าย: เบิกจ่ายแล้ว 75% ของสัญญา, ความคืบหน้า 60%"),
        service.NotCountedProject(3, "โครงการที่ 3", "ยกเลิกโครงการ: ไม่ได้รับอนุญาตใช้พื้นที่"),
    ]
    assert figures.outside_plan_version == []
    # JSON-safe as it is stored (money as strings with its satang), and read back unchanged.
    stored = figures.to_json()
    assert stored["period"] == {"from": "2025-10-01", "to": "2026-09-30"}
    assert stored["plan"] == {"id": plan.id, "title": plan.title, "version": 1}
    assert stored["totals"] == frozen_metrics(4, "11602.00", 3, "6000.00", "2400.00", 1)
    assert stored["by_sdg"][0] == {
        "code": "SDG1",
        "name": stored["by_sdg"][0]["name"],
        "name_en": stored["by_sdg"][0]["name_en"],
        "key": figures.by_sdg[0].key,
        **frozen_metrics(1, "3400.50", 1, "3000.00", "0.00", 0),
    }
    assert stored["by_national_strategy"][-1]["unlinked"] is True
    assert "unlinked" not in stored["by_national_strategy"][0]
    assert stored["not_counted"][0] == {
        "project_no": 2,
        "name": "โครงการที่ 2",
        "reason": "อยู่ระหว่างเบิกจ่าย: เบิกจ่ายแล้ว 75% ของสัญญา, ความคืบหน้า 60%",
    }
    assert json.loads(json.dumps(stored)) == stored
    assert service.Figures.from_json(json.loads(json.dumps(stored))) == figures


def test_the_april_round_counts_only_disbursements_of_october_to_march_and_says_why_p1_is_not_completed(
    world, db
):
    factories.executed_plan(world)
    figures = service.figures(world.sao_a.id, 2569, "april")

    assert (figures.period_from, figures.period_to) == (date(2025, 10, 1), date(2026, 3, 31))
    assert figures.totals == metrics(4, "11602.00", 3, "6000.00", "1900.00", 0)
    assert rows(figures.by_strategy)["2"] == metrics(2, "4801.00", 2, "4000.00", "400.00", 0)
    assert figures.not_counted[0] == service.NotCountedProject(
        1,
        "โครงการที่ 1",
        "เบิกจ่ายครบหลังสิ้นรอบรายงาน (31 มีนาคม 2569)",
    )


def test_a_fiscal_year_without_an_announced_plan_gives_zero_figures(world, db):
    figures = service.figures(world.town_b.id, 2569, "october")
    assert figures.plan is None
    assert figures.totals == metrics(0, "0.00", 0, "0.00", "0.00", 0)
    assert figures.by_sdg == [] and figures.not_counted == []
    assert figures.to_json()["totals"] == frozen_metrics(0, "0.00", 0, "0.00", "0.00", 0)


def test_the_figures_are_frozen_when_the_report_goes_to_the_executive_and_live_while_drafting(world, db):
    plan = factories.executed_plan(world)
    report = service.create_report(world.planner, world.sao_a.id, 2569, "october")
    service.update_text(world.planner, report.id, **factories.TEXT)
    assert service.report_figures(report).totals.disbursed == Decimal("2400.00")
    assert report.figures is None

    engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    db.session.refresh(report)
    frozen = report.figures
    assert frozen["totals"] == frozen_metrics(4, "11602.00", 3, "6000.00", "2400.00", 1)

    p2 = next(
        e for e in execution_service.plan_year(world.planner, plan.id, 2569)[1] if e.execution.project_no == 2
    )
    execution_service.add_disbursement(world.planner, p2.execution.id, "2026-02-01", "100.00", 70)
    db.session.expire_all()
    report = service.get_report(world.planner, report.id)
    assert service.report_figures(report).to_json() == frozen
    assert service.figures(world.sao_a.id, 2569, "october").totals.disbursed == Decimal("2500.00")

    # Returned for revision: drafted again, the figures are live again.
    engine.fire("evaluation", report.id, "return_for_revision", world.executive, comment="ตัวเลขไม่ครบ")
    db.session.refresh(report)
    assert report.figures is None and service.report_figures(report).totals.disbursed == Decimal("2500.00")
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.chain == f"evaluation:{report.id}")
        )
        == 3
    )


def test_each_round_reads_the_plan_version_in_force_at_its_end(world, db):
    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=2, period_start_be=2566)
    first = db.session.scalar(select(PlanVersion).where(PlanVersion.plan_id == plan.id))
    first.announced_at = datetime(2025, 9, 1, tzinfo=UTC)
    # Version 2 (an addition, announced in May 2026) brings project 3 with a budget in 2569.
    db.session.add(PlanVersion(plan_id=plan.id, number=2, announced_at=datetime(2026, 5, 1, tzinfo=UTC)))
    template = db.session.scalar(select(ProjectRecord).where(ProjectRecord.plan_id == plan.id))
    db.session.add(
        ProjectRecord(
            plan_id=plan.id,
            project_no=3,
            valid_from=2,
            strategy_id=template.strategy_id,
            programme_id=template.programme_id,
            name="โครงการเพิ่มเติม",
            objective="-",
            target="-",
            responsible_unit="กองช่าง",
            budget_4=Decimal("7000.00"),
        )
    )
    plan.current_version = 2
    db.session.commit()

    april = service.figures(world.sao_a.id, 2569, "april")
    october = service.figures(world.sao_a.id, 2569, "october")
    assert (april.plan.version, april.totals.planned, april.totals.planned_budget) == (
        1,
        2,
        Decimal("3801.00"),
    )
    assert (october.plan.version, october.totals.planned, october.totals.planned_budget) == (
        2,
        3,
        Decimal("10801.00"),
    )

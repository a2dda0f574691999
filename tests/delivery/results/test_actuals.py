"""Year-end actuals on real PostgreSQL: only after the fiscal year ends, only by the LAO's planners,
Decimal amounts of zero or more, every bad field named and nothing written, every save audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from eplan_flow.errors import NotFound, PermissionDenied
from eplan_flow.models import AuditEvent, YearEndActual
from eplan_flow.services.delivery import actuals
from eplan_flow.services.platform import audit
from eplan_flow.thaidate import fiscal_year, today_local

ENDED = fiscal_year(today_local()) - 1
VALUES = {
    "income-taxes": "1,250,000.50",
    "income-general_subsidy": "3000000",
    "expenditure-personnel": "0",
    "expenditure-investment": "2100000.25",
}


def _lines(db):
    db.session.expire_all()
    return {
        (a.kind, a.category): a.amount
        for a in db.session.scalars(select(YearEndActual).order_by(YearEndActual.id))
    }


def _events(db):
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_classification_holds_the_thai_income_and_expenditure_categories():
    income = [labels["th"] for labels in actuals.CATEGORIES_V1["income"].values()]
    assert income == [
        "ภาษีอากร",
        "ค่าธรรมเนียม ค่าปรับ และใบอนุญาต",
        "รายได้จากทรัพย์สิน",
        "รายได้จากสาธารณูปโภค",
        "รายได้เบ็ดเตล็ด",
        "รายได้จากทุน",
        "ภาษีจัดสรร",
        "เงินอุดหนุนทั่วไป",
        "เงินอุดหนุนเฉพาะกิจ",
    ]
    spending = [labels["th"] for labels in actuals.CATEGORIES_V1["expenditure"].values()]
    assert spending == ["งบกลาง", "งบบุคลากร", "งบดำเนินงาน", "งบลงทุน", "งบเงินอุดหนุน", "งบรายจ่ายอื่น"]


def test_a_planner_records_an_ended_years_actuals_as_decimals_with_totals_and_an_audit_event(world, db):
    saved = actuals.save_actuals(world.planner, world.sao_a.id, ENDED, VALUES, note="งบแสดงฐานะการเงิน")
    assert saved.amounts["income-taxes"] == Decimal("1250000.50")
    assert saved.total("income") == Decimal("4250000.50")
    assert saved.total("expenditure") == Decimal("2100000.25")
    assert saved.balance == Decimal("2150000.25")
    assert _lines(db)[("expenditure", "personnel")] == Decimal("0.00")
    events = audit.history(f"actuals:{world.sao_a.id}:{ENDED}")
    assert [e.action for e in events] == ["record_actuals"]
    assert events[0].data["changed"]["income-taxes"] == [None, "1250000.50"]

    # Correcting one amount and clearing another is one more audited save; the rest stays.
    actuals.save_actuals(
        world.support_secretary,
        world.sao_a.id,
        ENDED,
        {**VALUES, "income-taxes": "1250001.00", "expenditure-personnel": ""},
        note="งบแสดงฐานะการเงิน",
    )
    lines = _lines(db)
    assert lines[("income", "taxes")] == Decimal("1250001.00") and ("expenditure", "personnel") not in lines
    events = audit.history(f"actuals:{world.sao_a.id}:{ENDED}")
    assert events[-1].data["changed"] == {
        "income-taxes": ["1250000.50", "1250001.00"],
        "expenditure-personnel": ["0.00", None],
    }
    assert audit.verify_chains()[1] == []


def test_actuals_of_the_current_fiscal_year_are_refused_until_it_ends(world, db):
    current = fiscal_year(today_local())
    with pytest.raises(actuals.YearNotEnded, match=f"fiscal year {current} ends on {current - 543}-09-30"):
        actuals.save_actuals(world.planner, world.sao_a.id, current, VALUES)
    assert _lines(db) == {} and _events(db) == 0


@pytest.mark.parametrize(
    "bad, why",
    [
        ("-1.00", "cannot be negative"),
        ("abc", "must be an amount in baht"),
        ("1.005", "more than 2 decimal places"),
        ("NaN", "must be an amount"),
    ],
)
def test_a_bad_amount_is_refused_naming_its_field_and_nothing_is_written(world, db, bad, why):
    actuals.save_actuals(world.planner, world.sao_a.id, ENDED, VALUES)
    before, events = _lines(db), _events(db)
    with pytest.raises(actuals.InvalidActuals) as refused:
        actuals.save_actuals(
            world.planner,
            world.sao_a.id,
            ENDED,
            {**VALUES, "income-taxes": "5.00", "expenditure-central": bad},
        )
    assert refused.value.details["field"] == "expenditure-central"
    assert why in refused.value.details["errors"]["expenditure-central"]
    assert list(refused.value.details["errors"]) == ["expenditure-central"]
    assert _lines(db) == before and _events(db) == events


def test_an_unknown_category_is_refused_rather_than_dropped(world, db):
    with pytest.raises(actuals.InvalidActuals) as refused:
        actuals.save_actuals(world.planner, world.sao_a.id, ENDED, {"income-lottery": "5"})
    assert refused.value.details["errors"] == {"income-lottery": "not a category of this classification"}
    assert _lines(db) == {}


def test_only_the_laos_own_planners_enter_actuals_and_other_laos_do_not_see_them(world, db):
    with pytest.raises(PermissionDenied):
        actuals.save_actuals(world.executive, world.sao_a.id, ENDED, VALUES)
    with pytest.raises(PermissionDenied):
        actuals.save_actuals(world.provincial_officer, world.sao_a.id, ENDED, VALUES)
    with pytest.raises(NotFound):
        actuals.save_actuals(world.planner_x, world.sao_a.id, ENDED, VALUES)
    with pytest.raises(NotFound):
        actuals.get_actuals(world.planner_x, world.sao_a.id, ENDED)
    assert _lines(db) == {} and _events(db) == 0
    actuals.save_actuals(world.planner, world.sao_a.id, ENDED, VALUES)
    assert actuals.get_actuals(world.provincial_officer, world.sao_a.id, ENDED).total("income") == Decimal(
        "4250000.50"
    )

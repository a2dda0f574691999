"""Builders for plan tests: catalogue items, strategies, tactics and drafted projects. Each commits."""

from __future__ import annotations

from sqlalchemy import select

from eplan_flow.extensions import db
from eplan_flow.models import (
    CatalogueItem,
    LaoStrategy,
    Organisation,
    Plan,
    ProjectRecord,
    Tactic,
    User,
)
from eplan_flow.services.planning import civic_forum as civic_forum_service
from eplan_flow.services.planning import plans as plan_service
from eplan_flow.services.platform import engine


def catalogue_item(
    catalogue: str, code: str, name_th: str, scope: str = "", position: int = 0
) -> CatalogueItem:
    """A catalogue item, made once per database."""
    item = db.session.scalar(
        select(CatalogueItem).where(
            CatalogueItem.catalogue == catalogue, CatalogueItem.scope == scope, CatalogueItem.code == code
        )
    )
    if item is None:
        item = CatalogueItem(catalogue=catalogue, scope=scope, code=code, name_th=name_th, position=position)
        db.session.add(item)
        db.session.commit()
    return item


def programme(
    code: str = "00240", name_th: str = "แผนงานอุตสาหกรรมและการโยธา", position: int = 9
) -> CatalogueItem:
    return catalogue_item("budget_programme", code, name_th, position=position)


def general_programme() -> CatalogueItem:
    return programme("00110", "แผนงานบริหารงานทั่วไป", 1)


def strategy(plan: Plan, number: int = 1, name: str | None = None, tactics: int = 1) -> LaoStrategy:
    """A LAO strategy of ``plan`` with ``tactics`` tactics."""
    row = LaoStrategy(plan_id=plan.id, number=number, name=name or f"ยุทธศาสตร์ที่ {number} ด้านโครงสร้างพื้นฐาน")
    for t in range(1, tactics + 1):
        row.tactics.append(Tactic(number=t, name=f"กลยุทธ์ที่ {number}.{t}"))
    db.session.add(row)
    db.session.commit()
    return row


FORUM = {
    "meeting_date": "12/11/2569",
    "place": "ศาลาประชาคมหมู่ 3",
    "attendees": "87",
    "resolution": "ที่ประชุมประชาคมท้องถิ่นเห็นชอบร่าง",
}


def drafting_plan(
    org: Organisation, actor: User, period_start_be: int = 2566, *, civic_forum: bool = True
) -> Plan:
    """A drafting plan of ``org`` created through the use case, with the civic forum's meeting
    recorded unless ``civic_forum`` is false."""
    plan = plan_service.create_plan(actor, org.id, period_start_be)
    if civic_forum:
        civic_forum_service.record_meeting(actor, "plan", plan.id, **FORUM)
    return plan


def project_values(strategy_row: LaoStrategy, programme_row: CatalogueItem, **overrides) -> dict:
    """Valid values for a project under ``strategy_row`` (its first tactic) and ``programme_row``."""
    values = {
        "name": "โครงการก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ 3",
        "objective": "เพื่อให้ประชาชนสัญจรได้สะดวก",
        "target": "ถนนกว้าง 5 เมตร ยาว 200 เมตร",
        "kpi": "ร้อยละ 80 ของประชาชนพึงพอใจ",
        "expected_result": "ประชาชนสัญจรสะดวกและปลอดภัย",
        "responsible_unit": "กองช่าง",
        "strategy_id": strategy_row.id,
        "tactic_id": strategy_row.tactics[0].id if strategy_row.tactics else None,
        "programme_id": programme_row.id,
        "source": "own",
        "budgets": {2566: "500000.00", 2567: "0", 2568: "250000.50", 2569: "", 2570: "100.25"},
    }
    values.update(overrides)
    return values


def add_project(
    plan: Plan, actor: User, strategy_row: LaoStrategy, programme_row: CatalogueItem, **overrides
) -> ProjectRecord:
    return plan_service.add_project(actor, plan.id, project_values(strategy_row, programme_row, **overrides))


def announce(plan: Plan, world) -> Plan:
    """Walk ``plan`` of sao_a (an อบต.: council required) through its workflow to announced."""
    meeting = {"meeting_date": "2026-01-15", "resolution": "ครั้งที่ 1/2569"}
    engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    engine.fire("plan", plan.id, "endorse", world.devcom_secretary, data=meeting)
    engine.fire("plan", plan.id, "approve_by_council", world.council_secretary, data=meeting)
    engine.fire("plan", plan.id, "approve_and_announce", world.executive)
    db.session.refresh(plan)
    return plan

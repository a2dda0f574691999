"""Builders for revision tests: announced plans with strategies, tactics and projects. Each commits.

The plan is built straight from the models (status "announced", version 1 in force), so revision
tests do not depend on walking the plan workflow.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

from sqlalchemy import select

from eplan_flow.extensions import db
from eplan_flow.models import (
    CatalogueItem,
    LaoStrategy,
    Organisation,
    Plan,
    PlanVersion,
    ProjectRecord,
    RoleGrant,
    Tactic,
    User,
)
from eplan_flow.models._types import utcnow
from eplan_flow.services.planning import civic_forum, revisions
from eplan_flow.services.platform import audit
from workflows.plan import PLAN_V1

# From the next plan period on: every year is still to come, so revisions may touch any of them
# (revision rules v2 refuse past fiscal years; tests of that rule give the period).
_periods = count(2571, 5)
# What a correction (แก้ไข) states it corrects (required from version 2 of the revision workflow).
FACT = "ข้อเท็จจริงคือ ชื่อและตัวชี้วัดตามเอกสารโครงการ"
# What a policy-route revision (ข้อ 22/2) records of its basis (required from version 2).
POLICY_BASIS = {
    "policy_basis": "government_policy",
    "policy_letter_no": "มท 0810.3/ว 1234",
    "policy_letter_date": date(2026, 10, 15),
}


def catalogue_item(catalogue: str, code: str, name_th: str) -> CatalogueItem:
    """A national catalogue item, made once per database."""
    item = db.session.scalar(
        select(CatalogueItem).where(
            CatalogueItem.catalogue == catalogue, CatalogueItem.scope == "", CatalogueItem.code == code
        )
    )
    if item is None:
        item = CatalogueItem(catalogue=catalogue, scope="", code=code, name_th=name_th)
        db.session.add(item)
        db.session.commit()
    return item


def programmes() -> list[CatalogueItem]:
    return [
        catalogue_item("budget_programme", "00110", "แผนงานบริหารงานทั่วไป"),
        catalogue_item("budget_programme", "00240", "แผนงานอุตสาหกรรมและการโยธา"),
    ]


def sdg(number: int) -> CatalogueItem:
    return catalogue_item("sdg", f"SDG{number}", f"เป้าหมายที่ {number}")


def project_budgets(no: int) -> dict[str, Decimal]:
    """A project's yearly budgets: distinct per project so totals catch any slip."""
    return {f"budget_{i}": Decimal(no * 1000 + i * 100) + Decimal("0.50") for i in range(1, 6)}


def announced_plan(
    org: Organisation, actor: User | None = None, *, projects: int = 6, period_start_be: int | None = None
) -> Plan:
    """A plan of ``org`` announced as version 1, with two strategies, a tactic each and ``projects`` projects."""
    start = period_start_be or next(_periods)
    plan = Plan(
        organisation_id=org.id,
        title=f"แผนพัฒนาท้องถิ่น ({start}-{start + 4}) {org.name_th}",
        period_start_be=start,
        period_end_be=start + 4,
    )
    # Written directly (not engine.start): tests may run the engine on a registry without the plan
    # workflow. The plan's chain still opens with its creation, so its version counts its events.
    plan.workflow_name, plan.workflow_version = PLAN_V1["name"], PLAN_V1["version"]
    plan.status = "announced"
    db.session.add(plan)
    db.session.flush()
    audit.append(
        f"plan:{plan.id}",
        "create",
        actor=actor,
        organisation_id=org.id,
        workflow="plan",
        workflow_version=PLAN_V1["version"],
        to_state="announced",
    )
    plan.current_version = 1
    plan.announced_at = utcnow()
    strategies = []
    for number, name in ((1, "ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐาน"), (2, "ยุทธศาสตร์การพัฒนาคุณภาพชีวิต")):
        strategy = LaoStrategy(plan_id=plan.id, number=number, name=name)
        strategy.tactics.append(Tactic(number=1, name=f"กลยุทธ์ที่ 1 ของยุทธศาสตร์ที่ {number}"))
        db.session.add(strategy)
        strategies.append(strategy)
    db.session.flush()
    db.session.add(PlanVersion(plan_id=plan.id, number=1, revision_id=None))
    general, works = programmes()
    for no in range(1, projects + 1):
        strategy = strategies[no % 2]
        record = ProjectRecord(
            plan_id=plan.id,
            project_no=no,
            valid_from=1,
            strategy_id=strategy.id,
            tactic_id=strategy.tactics[0].id,
            programme_id=(works if no % 2 else general).id,
            source="own",
            name=f"โครงการที่ {no}",
            objective=f"วัตถุประสงค์ของโครงการที่ {no}",
            target=f"เป้าหมายของโครงการที่ {no}",
            kpi="ร้อยละ 80",
            expected_result="ประชาชนได้รับประโยชน์",
            responsible_unit="กองช่าง",
            **project_budgets(no),
        )
        record.links.append(sdg(1 + no % 3))
        db.session.add(record)
    db.session.commit()
    return plan


def strategy_ids(plan: Plan) -> tuple[int, int, int]:
    """(strategy id, its tactic id, a programme id) to build valid project values with."""
    strategy = db.session.scalar(
        select(LaoStrategy).where(LaoStrategy.plan_id == plan.id).order_by(LaoStrategy.number)
    )
    return strategy.id, strategy.tactics[0].id, programmes()[0].id


def new_project_values(
    plan: Plan, name: str = "โครงการก่อสร้างถนนคอนกรีต", budget: str = "100000.00", *, year: int = 2
) -> dict:
    """Complete values for an added project, as a form or the API would send them: ``budget`` in the
    plan's ``year``-th year (revision rules v2 refuse money in a fiscal year that has passed)."""
    strategy_id, tactic_id, programme_id = strategy_ids(plan)
    budgets = {f"budget_{i}": budget if i == year else "0" for i in range(1, 6)}
    return {
        "name": name,
        "objective": "เพื่อให้ประชาชนสัญจรสะดวก",
        "target": "ถนนยาว 200 เมตร",
        "kpi": "ร้อยละ 90",
        "expected_result": "การสัญจรสะดวกขึ้น",
        "responsible_unit": "กองช่าง",
        "strategy_id": strategy_id,
        "tactic_id": tactic_id,
        "programme_id": programme_id,
        "source": "own",
        **budgets,
        "links": [sdg(9).id],
    }


def lao_planner(org: Organisation) -> User:
    """One of ``org``'s planners (revisions are drafted by them)."""
    return db.session.scalar(
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.organisation_id == org.id, RoleGrant.role == "planner")
        .order_by(User.id)
        .limit(1)
    )


def drafted_revision(
    org: Organisation, *, route: str = "regular", additions: int = 1, changes=(), corrections=()
):
    """A draft revision, with reasons, on a fresh announced plan of ``org``, through the services."""
    planner = lao_planner(org)
    plan = announced_plan(org, planner)
    revision = revisions.open_revision(
        planner, plan.id, route=route, reasons="ประชาคมเสนอโครงการเพิ่มเติม", necessity="เร่งด่วน"
    )
    for n in range(additions):
        revisions.add_addition(
            planner,
            revision.id,
            new_project_values(plan, name=f"โครงการเพิ่ม {n + 1}"),
            reason="จำเป็นต้องดำเนินการ",
        )
    for project_no in changes:
        revisions.add_change(planner, revision.id, project_no, {"budget_2": "1000.00"}, reason="ปรับงบประมาณ")
    for project_no in corrections:
        revisions.add_correction(planner, revision.id, project_no, {"kpi": "ร้อยละ 95"}, fact=FACT)
    if additions and route == "regular":
        record_civic_forum(planner, revision.id)
    db.session.refresh(revision)
    return revision


def record_civic_forum(actor: User, revision_id: int) -> None:
    """Record the civic forum's meeting on a draft holding an addition (ข้อ 22(2)), as its rules need."""
    civic_forum.record_meeting(
        actor,
        "revision",
        revision_id,
        meeting_date="10/11/2569",
        place="ศาลาประชาคมหมู่ 1",
        attendees="64",
        resolution="เห็นชอบให้เพิ่มโครงการ",
    )

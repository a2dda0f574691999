"""The eMENSCR-style export: each project of a LAO's fiscal year with its National Strategy, master
plan, sub-plan, NESDP milestone and SDG, its budget, disbursement and progress, for the national
strategy office's system (as CSV/xlsx, and as JSON through the API).

The projects and figures are those of the breakdowns (``breakdowns.projects`` over the whole fiscal
year: the plan version in force at its end, projects planned or budgeted that year), and the links
follow the same rule (a project's own, else its LAO strategy's). The national catalogue has no
sub-plan (แผนย่อย) level yet, so that column is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from eplan_flow import exports
from eplan_flow.extensions import db
from eplan_flow.models import CatalogueItem
from eplan_flow.services.delivery import breakdowns, evaluation
from workflows import REGISTRY, UnknownWorkflow, counting
from workflows.deadlines import evaluation_round_period

LINKED = ("national_strategy", "master_plan", "nesdp_milestone", "sdg")
HEADERS = (
    "รหัส อปท.",
    "ชื่อ อปท.",
    "ปีงบประมาณ",
    "ลำดับโครงการ",
    "ชื่อโครงการ",
    "ประเภทโครงการ",
    "ยุทธศาสตร์ชาติ",
    "แผนแม่บทภายใต้ยุทธศาสตร์ชาติ",
    "แผนย่อย",
    "หมุดหมายแผนพัฒนาฯ ฉบับที่ 13",
    "เป้าหมายการพัฒนาที่ยั่งยืน (SDG)",
    "งบประมาณตามแผน (บาท)",
    "งบประมาณตามข้อบัญญัติ (บาท)",
    "เบิกจ่ายแล้ว (บาท)",
    "ความก้าวหน้า (ร้อยละ)",
    "สถานะ",
)


@dataclass
class Project:
    lao_code: str
    lao_name: str
    fiscal_year_be: int
    project_no: int
    name: str
    kind: str  # own, community, beyond_capacity, equipment
    planned_budget: Decimal
    budget: Decimal | None  # None: not budgeted this year
    disbursed: Decimal
    progress_percent: int | None
    status: str | None  # the execution's state, None if not budgeted
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # catalogue: [(code, name)]

    def to_json(self) -> dict:
        """For the API: codes as codes, money as strings."""
        return {
            "lao_code": self.lao_code,
            "fiscal_year_be": self.fiscal_year_be,
            "project_no": self.project_no,
            "name": self.name,
            "kind": self.kind,
            **{d: [{"code": c, "name": n} for c, n in self.links.get(d, [])] for d in LINKED},
            "sub_plan": [],
            "planned_budget": str(self.planned_budget),
            "budget": None if self.budget is None else str(self.budget),
            "disbursed": str(self.disbursed),
            "progress_percent": self.progress_percent,
            "status": self.status,
        }


def projects(actor, org_id: int, fiscal_year_be: int) -> list[Project]:
    """The LAO's projects of the fiscal year with their links and money, by number (readers of the LAO)."""
    org = evaluation.get_lao(actor, org_id)
    fiscal_year_be = evaluation.parse_fiscal_year(fiscal_year_be)
    start, end = evaluation_round_period(fiscal_year_be, "october")
    counted = breakdowns.projects([org.id], breakdowns.Period(fiscal_year_be, start, end)).cte("emenscr")
    rows = db.session.execute(select(counted).order_by(counted.c.project_no)).all()
    linked = breakdowns.links(counted, LINKED)
    item_ids = {i for per_record in linked.values() for ids in per_record.values() for i in ids}
    items = {
        item.id: item
        for item in (
            db.session.scalars(select(CatalogueItem).where(CatalogueItem.id.in_(item_ids)))
            if item_ids
            else []
        )
    }

    def labelled(ids: list[int]) -> list[tuple[str, str]]:
        found = sorted((items[i] for i in ids), key=lambda i: (i.position, i.code))
        return [(i.code, i.name_th) for i in found]

    return [
        Project(
            lao_code=org.code,
            lao_name=org.name_th,
            fiscal_year_be=fiscal_year_be,
            project_no=r.project_no,
            name=r.name,
            kind=r.source,
            planned_budget=Decimal(r.year_budget or 0),
            budget=Decimal(r.budget) if r.budgeted else None,
            disbursed=Decimal(r.disbursed),
            progress_percent=r.progress_percent,
            status=r.status,
            links={d: labelled(ids) for d, ids in linked.get(r.record_id, {}).items()},
        )
        for r in rows
    ]


def status_th(status: str | None) -> str:
    """The execution's state in Thai, as the execution pages name it ("" if not budgeted)."""
    if not status:
        return ""
    try:
        return REGISTRY.get("execution").label(status, "th")
    except (UnknownWorkflow, KeyError):
        return status


def _joined(pairs: list[tuple[str, str]]) -> str:
    return "; ".join(f"{code} {name}" for code, name in pairs)


def export_rows(found: list[Project], status_label=status_th) -> list[list]:
    return [
        [
            p.lao_code,
            p.lao_name,
            p.fiscal_year_be,
            p.project_no,
            p.name,
            counting.COUNTING["kinds"].get(p.kind, p.kind),
            _joined(p.links.get("national_strategy", [])),
            _joined(p.links.get("master_plan", [])),
            "",
            _joined(p.links.get("nesdp_milestone", [])),
            _joined(p.links.get("sdg", [])),
            p.planned_budget,
            p.budget,
            p.disbursed,
            p.progress_percent,
            status_label(p.status),
        ]
        for p in found
    ]


def to_csv(found: list[Project], status_label=status_th) -> bytes:
    return exports.csv_bytes(HEADERS, export_rows(found, status_label))


def to_xlsx(found: list[Project], fiscal_year_be: int, status_label=status_th) -> bytes:
    return exports.xlsx_bytes(f"eMENSCR {fiscal_year_be}", HEADERS, export_rows(found, status_label))


__all__ = ["HEADERS", "LINKED", "Project", "export_rows", "projects", "status_th", "to_csv", "to_xlsx"]

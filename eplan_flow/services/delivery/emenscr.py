"""The eMENSCR-style export: each project of a fiscal year with its National Strategy, master plan,
sub-plan, NESDP milestone and SDG, its budget, disbursement and progress, for the national strategy
office's system (as CSV/xlsx, and as JSON through the API): for one LAO, or for every LAO an office
oversees (a province, a district, or for DLA the whole country).

The projects and figures are those of the breakdowns (``breakdowns.projects`` over the whole fiscal
year: the plan version in force at its end, projects planned or budgeted that year), and the links
follow the same rule (a project's own, else its LAO strategy's). The sub-plan column is empty while
the catalogue has no sub-plans.

A page of projects costs three statements whatever its size (the projects, their links, the linked
items' names); a download of many LAOs reads them a batch of LAOs at a time and streams the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from eplan_flow import exports
from eplan_flow.errors import InvalidInput
from eplan_flow.extensions import db
from eplan_flow.models import CatalogueItem, Organisation
from eplan_flow.services.delivery import breakdowns, evaluation
from workflows import REGISTRY, UnknownWorkflow, counting
from workflows.deadlines import evaluation_round_period

LINKED = ("national_strategy", "master_plan", "sub_plan", "nesdp_milestone", "sdg")
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
# LAOs read per statement in a download of many (a province's 334 LAOs in 7 batches).
LAO_BATCH = 50
PER_PAGE = 500
MAX_PER_PAGE = 2000


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
    elaas_budget_code: str | None = None  # the plan project's e-LAAS budget code, if recorded

    def to_json(self) -> dict:
        """For the API: codes as codes, money as strings."""
        return {
            "lao_code": self.lao_code,
            "lao_name": self.lao_name,
            "fiscal_year_be": self.fiscal_year_be,
            "project_no": self.project_no,
            "name": self.name,
            "kind": self.kind,
            "elaas_budget_code": self.elaas_budget_code,
            **{d: [{"code": c, "name": n} for c, n in self.links.get(d, [])] for d in LINKED},
            "planned_budget": str(self.planned_budget),
            "budget": None if self.budget is None else str(self.budget),
            "disbursed": str(self.disbursed),
            "progress_percent": self.progress_percent,
            "status": self.status,
        }


def year_period(fiscal_year_be: int) -> breakdowns.Period:
    start, end = evaluation_round_period(fiscal_year_be, "october")
    return breakdowns.Period(fiscal_year_be, start, end)


def _ordered(org_ids, period: breakdowns.Period):
    """The projects of these LAOs with the LAO's code and name, by LAO code and project number."""
    counted = breakdowns.projects(org_ids, period).subquery("counted")
    return (
        select(counted, Organisation.code.label("lao_code"), Organisation.name_th.label("lao_name"))
        .join(Organisation, Organisation.id == counted.c.organisation_id)
        .order_by(Organisation.code, counted.c.project_no)
    )


def _build(query, fiscal_year_be: int) -> list[Project]:
    """The projects of ``query`` (an ``_ordered`` select, perhaps a page of it) with their links:
    three statements, whatever the number of projects."""
    page = query.cte("emenscr_page")
    rows = db.session.execute(select(page).order_by(page.c.lao_code, page.c.project_no)).all()
    if not rows:
        return []
    linked = breakdowns.links(page, LINKED)
    item_ids = {i for per_record in linked.values() for ids in per_record.values() for i in ids}
    items = {
        item.id: (item.position, item.code, item.name_th)
        for item in (
            db.session.execute(
                select(
                    CatalogueItem.id, CatalogueItem.position, CatalogueItem.code, CatalogueItem.name_th
                ).where(CatalogueItem.id.in_(item_ids))
            )
            if item_ids
            else []
        )
    }

    def labelled(ids: list[int]) -> list[tuple[str, str]]:
        return [(code, name) for _position, code, name in sorted(items[i] for i in ids)]

    return [
        Project(
            lao_code=r.lao_code,
            lao_name=r.lao_name,
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
            elaas_budget_code=r.elaas_budget_code,
        )
        for r in rows
    ]


def projects(actor, org_id: int, fiscal_year_be: int) -> list[Project]:
    """The LAO's projects of the fiscal year with their links and money, by number (readers of the LAO)."""
    org = evaluation.get_lao(actor, org_id)
    fiscal_year_be = evaluation.parse_fiscal_year(fiscal_year_be)
    return _build(_ordered([org.id], year_period(fiscal_year_be)), fiscal_year_be)


# -- many LAOs (the scope is the oversight's: services/oversight/emenscr.py) ----------------------------
def each_of(lao_ids: list[int], fiscal_year_be: int, batch: int = LAO_BATCH) -> Iterator[Project]:
    """Every project of the LAOs ``lao_ids`` (in that order), read ``batch`` LAOs at a time."""
    period = year_period(fiscal_year_be)
    for i in range(0, len(lao_ids), batch):
        yield from _build(_ordered(lao_ids[i : i + batch], period), fiscal_year_be)


def page_of(org_ids, fiscal_year_be: int, page: int, per_page: int) -> tuple[int, list[Project]]:
    """How many projects the LAOs ``org_ids`` (a list or a subquery) have, and one page of them by
    LAO code and project number: four statements."""
    if page < 1:
        raise InvalidInput("page must be 1 or more", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page must be between 1 and {MAX_PER_PAGE}", field="per_page")
    ordered = _ordered(org_ids, year_period(fiscal_year_be))
    total = db.session.scalar(select(func.count()).select_from(ordered.order_by(None).subquery())) or 0
    return total, _build(ordered.limit(per_page).offset((page - 1) * per_page), fiscal_year_be)


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


def export_rows(found, status_label=status_th) -> Iterator[list]:
    return (
        [
            p.lao_code,
            p.lao_name,
            p.fiscal_year_be,
            p.project_no,
            p.name,
            counting.COUNTING["kinds"].get(p.kind, p.kind),
            _joined(p.links.get("national_strategy", [])),
            _joined(p.links.get("master_plan", [])),
            _joined(p.links.get("sub_plan", [])),
            _joined(p.links.get("nesdp_milestone", [])),
            _joined(p.links.get("sdg", [])),
            p.planned_budget,
            p.budget,
            p.disbursed,
            p.progress_percent,
            status_label(p.status),
        ]
        for p in found
    )


def to_csv(found, status_label=status_th) -> bytes:
    return exports.csv_bytes(HEADERS, export_rows(found, status_label))


def csv_stream(found, status_label=status_th) -> Iterator[bytes]:
    """The CSV as it is written, for the downloads of many LAOs."""
    return exports.csv_chunks(HEADERS, export_rows(found, status_label))


def to_xlsx(found, fiscal_year_be: int, status_label=status_th) -> bytes:
    return exports.xlsx_bytes(f"eMENSCR {fiscal_year_be}", HEADERS, export_rows(found, status_label))


__all__ = [
    "HEADERS",
    "LINKED",
    "Project",
    "csv_stream",
    "each_of",
    "export_rows",
    "page_of",
    "projects",
    "status_th",
    "to_csv",
    "to_xlsx",
]

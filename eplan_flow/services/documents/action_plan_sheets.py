"""The action plan's forms as a workbook (แผนการดำเนินงาน, ข้อ 26–27): ผด.01, the projects and their
budget by strategy and programme (แผนงาน) with each line's share, and ผด.02, every project with its
months of implementation ticked, October to September. Built with the plan forms' sheet helpers
(``spreadsheets.py``), so both read like the other forms."""

from __future__ import annotations

from eplan_flow.models import FISCAL_MONTHS, ActionPlan
from eplan_flow.services.delivery import action_plans
from eplan_flow.services.documents.spreadsheets import _Book, _Cell, place_line
from eplan_flow.thaidate import MONTHS_TH_SHORT

OTHER_AGENCY = "โครงการของหน่วยงานอื่น"


def _line_label(strategy: str | None, programme: str | None, agency: str | None) -> str:
    return OTHER_AGENCY if agency else f"{strategy or '—'} · {programme or '—'}"


def action_plan_xlsx(action_plan: ActionPlan) -> bytes:
    """ผด.01 and ผด.02 of ``action_plan``, each on its own sheet."""
    summary = action_plans.summary(action_plan)
    organisation = action_plan.organisation
    year = action_plan.fiscal_year_be
    book = _Book()
    pd01 = book.sheet("ผด.01", [60, 14, 14, 18, 14, 30], landscape=False)
    pd01.start(
        "ผด.01",
        [f"บัญชีสรุปจำนวนโครงการและงบประมาณ แผนการดำเนินงาน ประจำปีงบประมาณ {year}", place_line(organisation)],
    )
    pd01.append(
        [
            _Cell(head, "head")
            for head in (
                "ยุทธศาสตร์ / แผนงาน",
                "จำนวนโครงการ",
                "ร้อยละของโครงการทั้งหมด",
                "งบประมาณ (บาท)",
                "ร้อยละของงบประมาณทั้งหมด",
                "หน่วยงานที่ดำเนินการ",
            )
        ]
    )
    for row in summary.rows:
        pd01.append(
            [
                _Cell(_line_label(row.strategy, row.programme, row.agency)),
                _Cell(row.count, "count"),
                _Cell(row.percent_count, "money"),
                _Cell(row.budget, "money"),
                _Cell(row.percent_budget, "money"),
                _Cell(row.agency or organisation.display_name),
            ]
        )
    pd01.append(
        [
            _Cell("รวม", "total text"),
            _Cell(summary.count, "total count"),
            _Cell(None, "total"),
            _Cell(summary.budget, "total"),
            _Cell(None, "total"),
            _Cell(None, "total text"),
        ]
    )
    months = [MONTHS_TH_SHORT[month - 1] for month in FISCAL_MONTHS]
    pd02 = book.sheet("ผด.02", [6, 50, 40, 16, 24, *([6] * len(months))])
    pd02.start(
        "ผด.02",
        [f"บัญชีโครงการ/กิจกรรม แผนการดำเนินงาน ประจำปีงบประมาณ {year}", place_line(organisation)],
        columns=2,
    )
    heads = ("ที่", "โครงการ", "ยุทธศาสตร์ / แผนงาน", "งบประมาณ (บาท)", "หน่วยงานที่รับผิดชอบ", *months)
    pd02.append([_Cell(head, "head") for head in heads])
    for number, item in enumerate(action_plan.projects, start=1):
        pd02.append(
            [
                _Cell(number, "count"),
                _Cell(item.name),
                _Cell(_line_label(item.strategy, item.programme, item.agency)),
                _Cell(item.budget, "money"),
                _Cell(item.agency or item.responsible_unit or "—"),
                *(_Cell("✓" if ticked else None) for ticked in item.month_flags),
            ]
        )
    pd02.append(
        [
            _Cell(None, "total text"),
            _Cell(f"รวม {summary.count} โครงการ", "total text"),
            _Cell(None, "total text"),
            _Cell(summary.budget, "total"),
            *(_Cell(None, "total text") for _ in range(len(months) + 1)),
        ]
    )
    return book.bytes()


__all__ = ["action_plan_xlsx"]

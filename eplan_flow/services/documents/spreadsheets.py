"""The official forms as Excel workbooks (.xlsx), in the layout LAO planners keep their plans in.

One function per document; each returns the workbook's bytes (``XLSX_MIMETYPE`` in
``eplan_flow.exports``). The caller has already checked the actor may read the plan (``plans.get_plan``)
or the report (``evaluation.get_report``):

- ``yt01_xlsx(plan, version)``: ยท.01, each LAO strategy's links (ก.–จ.) with its แผนงาน and their
  lead and support units (``yt01_lines``: the units, from the version's projects).
- ``p01_xlsx(plan, version)``: ผ.01 (own, ผ.02/2 and ผ.03 parts with their totals) and ผ.01/1, one
  sheet each.
- ``p02_xlsx(plan, version, source)``: the list of one project source: ``"own"`` ผ.02,
  ``"community"`` ผ.02/1, ``"beyond_capacity"`` ผ.02/2, ``"equipment"`` ผ.03 (``reports.P02_FORMS``).
- ``plan_xlsx(plan, version)``: every form above in one workbook, one sheet per form.
- ``revision_xlsx(actor, revision_id)``: a revision's own document: the ผ.01 and ผ.02 sheets of the
  projects it adds, changes or corrects (their new values) and the old/new comparison
  (บัญชีเปรียบเทียบ เดิม/ใหม่). Refuses like ``revisions.comparison`` (NotFound for another LAO's).
- ``evaluation_xlsx(report)``: the monitoring and evaluation report: totals, breakdowns, the
  projects not counted as completed and the committee's text.

The figures come from the builders the HTML pages use (``reports.p01_of``, ``strategies.linkage_table``,
``revisions.comparison``, ``evaluation.report_figures``), so a sheet's totals are the page's. The ผ.02
lists are the exception that keeps memory flat: ``p02_list``'s order and groups are read as plain
rows in batches of 500 and the group totals added up as the lines are written (an older version
whose strategies a review has since rewritten goes through ``p02_list`` itself). Workbooks are
written in openpyxl's write-only mode: rows stream to a temporary file as they are made, so a
2,000-project ผ.02 never holds its cells in memory (``bench/bench_xlsx.py``). Money is written as
numbers formatted ``#,##0.00``, counts as whole numbers ``#,##0``; every text cell goes through
``exports.safe_cell`` and is typed as text, so a project named "=HYPERLINK(...)" stays text.

The form text (headings, column names) is the official Thai form's and is not translated: the
sheets are the documents an LAO files, and the plan import reads these column names back.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select

from eplan_flow.exports import safe_cell
from eplan_flow.extensions import db
from eplan_flow.models import (
    PLAN_YEARS,
    CatalogueItem,
    EvaluationReport,
    LaoStrategy,
    Plan,
    ProjectRecord,
    Tactic,
)
from eplan_flow.services.delivery import evaluation
from eplan_flow.services.planning import reports, revisions, strategies
from eplan_flow.services.planning.projects import valid_at_clause
from eplan_flow.thaidate import format_date
from workflows.deadlines import evaluation_round_label

MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
# The font Thai government sheets are typed in; Excel substitutes a Thai font where it is missing.
FONT_NAME = "TH SarabunPSK"
FONT_SIZE = 14
ZERO = Decimal("0.00")
# Characters XML (so xlsx) cannot hold: openpyxl raises on them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_LEADING_NUMBER = re.compile(r"\s*(\d+)")

# -- the forms' fixed text -------------------------------------------------------------------------
FORM_CODES = {"yt01": "ยท.01", "p01": "ผ.01", "p01_1": "ผ.01/1", **reports.P02_FORMS}
P02_TITLES = {
    "own": "รายละเอียดโครงการพัฒนา",
    "community": "รายละเอียดโครงการพัฒนา",
    "beyond_capacity": "รายละเอียดโครงการพัฒนา",
    "equipment": "บัญชีครุภัณฑ์",
}
P02_FOR = {
    "own": None,
    "community": "สำหรับ โครงการพัฒนาที่นำมาจากแผนพัฒนาหมู่บ้านและแผนชุมชน",
    "beyond_capacity": "สำหรับ โครงการพัฒนาที่เกินศักยภาพ ประสานโครงการพัฒนาจังหวัด อบจ. หรือหน่วยงานอื่น",
    "equipment": None,
}
P01_TITLES = {
    "p01": "บัญชีสรุปโครงการพัฒนา",
    "p01_1": "บัญชีสรุปโครงการพัฒนา ที่นำมาจากแผนพัฒนาหมู่บ้านและแผนชุมชน",
}
P01_PART_TITLES = {
    "own": "โครงการพัฒนาขององค์กรปกครองส่วนท้องถิ่น (ผ.02)",
    "beyond_capacity": (
        "โครงการพัฒนาที่เกินศักยภาพขององค์กรปกครองส่วนท้องถิ่น ประสานขอให้ อบจ. หรือหน่วยงานอื่นดำเนินการ (ผ.02/2)"
    ),
    "equipment": "บัญชีครุภัณฑ์ (ผ.03)",
    "community": "โครงการพัฒนาที่นำมาจากแผนพัฒนาหมู่บ้านและแผนชุมชน (ผ.02/1)",
}
# The ผ.02 preamble: what each strategy links to, as real sheets head it (ก.–ง.; จ. is the strategy).
PREAMBLE = (
    ("ก.", "ยุทธศาสตร์ชาติ", ("national_strategy",)),
    ("ข.", "แผนพัฒนาเศรษฐกิจและสังคมแห่งชาติ", ("nesdp_milestone",)),
    ("ค.", "ยุทธศาสตร์จังหวัด", ("provincial_strategy",)),
    ("ง.", "ยุทธศาสตร์การพัฒนาของ อปท.ในเขตจังหวัด", ("province_lao_strategy",)),
)
YT01_LINK_COLUMNS = (
    ("national_strategy", "ยุทธศาสตร์ชาติ 20 ปี"),
    ("master_plan", "แผนแม่บทภายใต้ยุทธศาสตร์ชาติ"),
    ("nesdp_milestone", "แผนพัฒนาเศรษฐกิจและสังคมแห่งชาติ (หมุดหมาย)"),
    ("sdg", "เป้าหมายการพัฒนาที่ยั่งยืน (SDGs)"),
    ("provincial_strategy", "ยุทธศาสตร์จังหวัด"),
    ("province_lao_strategy", "ยุทธศาสตร์การพัฒนาของ อปท.ในเขตจังหวัด"),
)
REVISION_KINDS = {"correction": "แก้ไข", "addition": "เพิ่มเติม", "change": "เปลี่ยนแปลง"}
COMPARED_LABELS = {
    "name": "ชื่อโครงการ",
    "objective": "วัตถุประสงค์",
    "target": "เป้าหมาย (ผลผลิตของโครงการ)",
    "kpi": "ตัวชี้วัด (KPI)",
    "expected_result": "ผลที่คาดว่าจะได้รับ",
    "responsible_unit": "หน่วยงานรับผิดชอบหลัก",
    "strategy_id": "ยุทธศาสตร์",
    "tactic_id": "กลยุทธ์",
    "programme_id": "แผนงาน",
    "source": "ประเภทโครงการ",
    "equipment_category": "หมวด",
    "equipment_type": "ประเภท",
    "unit": "หน่วยนับ",
    "links": "ความเชื่อมโยง (ยุทธศาสตร์ชาติ แผนพัฒนาฯ SDG จังหวัด)",
}
SOURCE_NAMES = {
    "own": "โครงการของ อปท. เอง (ผ.02)",
    "community": "โครงการที่นำมาจากแผนพัฒนาหมู่บ้านและแผนชุมชน (ผ.02/1)",
    "beyond_capacity": "โครงการที่เกินศักยภาพ ประสานกับจังหวัดหรือ อบจ. (ผ.02/2)",
    "equipment": "ครุภัณฑ์ (ผ.03)",
}
DIMENSION_TITLES = {
    "strategy": "ตามยุทธศาสตร์การพัฒนาของ อปท.",
    "national_strategy": "ตามยุทธศาสตร์ชาติ 20 ปี",
    "master_plan": "ตามแผนแม่บทภายใต้ยุทธศาสตร์ชาติ",
    "sub_plan": "ตามแผนย่อยของแผนแม่บทภายใต้ยุทธศาสตร์ชาติ",
    "nesdp_milestone": "ตามหมุดหมายของแผนพัฒนาเศรษฐกิจและสังคมแห่งชาติ",
    "sdg": "ตามเป้าหมายการพัฒนาที่ยั่งยืน (SDG)",
    "provincial_strategy": "ตามยุทธศาสตร์การพัฒนาจังหวัด",
    "province_lao_strategy": "ตามยุทธศาสตร์การพัฒนาของ อปท. ในเขตจังหวัด",
    "tactic": "ตามกลยุทธ์ของ อปท.",
}
METRIC_HEADS = (
    "จำนวนโครงการตามแผน",
    "งบประมาณตามแผน (บาท)",
    "จำนวนโครงการที่ตั้งงบประมาณ",
    "งบประมาณตามข้อบัญญัติ (บาท)",
    "เบิกจ่ายในรอบ (บาท)",
    "จำนวนโครงการที่ดำเนินการแล้วเสร็จ",
)
NO_PROJECTS = "ไม่มีโครงการประเภทนี้"


# -- cells and sheets ------------------------------------------------------------------------------
def _styles() -> list[NamedStyle]:
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    plain, bold = Font(name=FONT_NAME, size=FONT_SIZE), Font(name=FONT_NAME, size=FONT_SIZE, bold=True)
    top = Alignment(vertical="top", wrap_text=True)
    number = Alignment(horizontal="right", vertical="top")
    shade = PatternFill("solid", fgColor="EDEDED")

    def style(name: str, **attrs) -> NamedStyle:
        return NamedStyle(name=name, **attrs)

    return [
        style("eplan text", font=plain, alignment=top, border=box),
        style("eplan money", font=plain, alignment=number, border=box, number_format=MONEY_FORMAT),
        style("eplan count", font=plain, alignment=number, border=box, number_format=COUNT_FORMAT),
        style(
            "eplan head",
            font=bold,
            border=box,
            fill=shade,
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        ),
        style(
            "eplan title",
            font=Font(name=FONT_NAME, size=FONT_SIZE + 2, bold=True),
            alignment=Alignment(horizontal="center"),
        ),
        style("eplan code", font=bold, alignment=Alignment(horizontal="right")),
        style("eplan section", font=bold, alignment=Alignment(vertical="top", wrap_text=False)),
        style("eplan total", font=bold, alignment=number, border=box, number_format=MONEY_FORMAT),
        style("eplan total count", font=bold, alignment=number, border=box, number_format=COUNT_FORMAT),
        style("eplan total text", font=bold, alignment=top, border=box, fill=shade),
    ]


class _Book:
    """A write-only workbook with the forms' named styles."""

    def __init__(self) -> None:
        self.book = Workbook(write_only=True)
        for named in _styles():
            self.book.add_named_style(named)

    def sheet(self, title: str, widths: Sequence[float], *, landscape: bool = True) -> _Sheet:
        return _Sheet(self.book.create_sheet(_sheet_title(title)), widths, landscape=landscape)

    def bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # Excel refuses these characters and titles over 31 characters.
    return re.sub(r"[\\/*?:\[\]]", " ", title)[:31] or "Sheet"


@dataclass(frozen=True)
class _Cell:
    """A value and how to show it: "text", "money", "count", or a named style's short name."""

    value: Any
    kind: str = "text"


class _Sheet:
    """One form on one sheet: heading rows, column heads frozen below them, then the body."""

    def __init__(self, sheet: WriteOnlyWorksheet, widths: Sequence[float], *, landscape: bool) -> None:
        self.sheet = sheet
        self.width = len(widths)
        self.row = 0
        self.styles: dict[str, StyleArray] = {}
        for index, value in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = value
        sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        sheet.page_setup.orientation = "landscape" if landscape else "portrait"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.oddFooter.center.text = "หน้า &P / &N"

    def start(
        self, code: str | None, lines: Iterable[str | None], head_rows: int = 1, columns: int = 0
    ) -> None:
        """The heading (the form code at the right, then the title lines centred, then a blank row),
        with the ``head_rows`` rows of column heads that follow it frozen below it and repeated on
        every printed page, and the first ``columns`` columns frozen too. Called before any other
        row: a write-only sheet writes its view first."""
        titles = [text for text in lines if text]
        heading_rows = (1 if code else 0) + len(titles) + 1
        self.sheet.freeze_panes = f"{get_column_letter(columns + 1)}{heading_rows + head_rows + 1}"
        self.sheet.print_title_rows = f"{heading_rows + 1}:{heading_rows + head_rows}"
        if code:
            self.append(
                [*(self.cell(None, "code") for _ in range(self.width - 1)), self.cell(f"แบบ {code}", "code")]
            )
        for text in titles:
            self.line(text, "title")
        self.append([])

    def cell(self, value, kind: str = "text") -> WriteOnlyCell:
        if kind in ("money", "count", "total", "total count") and value is not None:
            cell = WriteOnlyCell(self.sheet, value=value)
        else:
            cell = _text_cell(self.sheet, value)
        style = self.styles.get(kind)
        if style is None:
            cell.style = f"eplan {kind}"
            self.styles[kind] = cell._style
        else:
            # Setting a named style looks it up by name for every cell; a copy of the resolved
            # style array is the same style at a fraction of the cost on a 2,000-project sheet.
            cell._style = copy(style)
        return cell

    def append(self, values: Iterable) -> None:
        self.row += 1
        self.sheet.append([self.cell(v.value, v.kind) if isinstance(v, _Cell) else v for v in values])

    def line(self, text: str, kind: str = "section", merge: bool = True) -> None:
        """A row of one text across the sheet (a title, a section heading)."""
        self.append([self.cell(text, kind)])
        if merge and self.width > 1:
            self.merge(self.row, 1, self.row, self.width)

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        self.sheet.merged_cells.add(
            f"{get_column_letter(first_col)}{first_row}:{get_column_letter(last_col)}{last_row}"
        )


def _text_cell(sheet, value) -> WriteOnlyCell:
    value = safe_cell(value)
    if value is None:
        return WriteOnlyCell(sheet, value=None)
    cell = WriteOnlyCell(sheet, value=_XML_ILLEGAL.sub("", str(value)))
    cell.data_type = "s"  # never "f" (formula) or "e" (error), whatever the text looks like
    return cell


def _money(value) -> _Cell:
    return _Cell(Decimal(value or 0), "money")


def _decimal(value) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except ArithmeticError:
        return ZERO


# -- headings --------------------------------------------------------------------------------------
def _years(plan: Plan) -> list[int]:
    return list(range(plan.period_start_be, plan.period_start_be + PLAN_YEARS))


def place_line(organisation) -> str:
    """The LAO with its อำเภอ and จังหวัด, as the forms head it."""
    parts = [organisation.display_name]
    district = organisation.district.name_th if organisation.district else organisation.district_name_th
    if district:
        parts.append(f"อำเภอ{district}")
    if organisation.province:
        parts.append(f"จังหวัด{organisation.province.name_th}")
    return " ".join(parts)


def _period_line(plan: Plan) -> str:
    return f"แผนพัฒนาท้องถิ่น (พ.ศ. {plan.period_start_be}–{plan.period_end_be})"


def _version_line(plan: Plan, version: int) -> str:
    if not plan.current_version:
        return "ร่าง"
    title = revisions.version_titles(plan.id).get(version)
    if title:
        return title
    return "แผนตามที่ประกาศใช้" if version == 1 else f"ฉบับที่ {version}"


def _plan_lines(plan: Plan, title: str, version_line: str, *extra: str | None) -> list[str | None]:
    return [title, *extra, _period_line(plan), place_line(plan.organisation), version_line]


def _item_text(item: CatalogueItem) -> str:
    return f"{item.code} {item.name_th}".strip()


# -- ยท.01 ------------------------------------------------------------------------------------------
@dataclass
class Yt01Line:
    """One แผนงาน of a LAO strategy, with the unit that carries most of its projects (lead) and the rest."""

    programme: str
    lead_unit: str
    support_units: list[str]


def yt01_lines(plan_id: int, version: int) -> dict[int, list[Yt01Line]]:
    """Per strategy id, its แผนงาน (of the version's projects) with their lead and support units.

    The lead carries the most projects, as the PDF's ยท.01 has it (``forms.yt01``); a tie goes to the
    larger five-year budget, then the name. The support units follow by name."""
    budget = ProjectRecord.budget_1
    for i in range(2, PLAN_YEARS + 1):
        budget = budget + getattr(ProjectRecord, f"budget_{i}")
    rows = db.session.execute(
        select(
            ProjectRecord.strategy_id,
            CatalogueItem.name_th,
            CatalogueItem.position,
            CatalogueItem.code,
            ProjectRecord.responsible_unit,
            func.count(),
            func.sum(budget),
        )
        .join(CatalogueItem, CatalogueItem.id == ProjectRecord.programme_id)
        .where(ProjectRecord.plan_id == plan_id, valid_at_clause(version))
        .group_by(
            ProjectRecord.strategy_id,
            CatalogueItem.name_th,
            CatalogueItem.position,
            CatalogueItem.code,
            ProjectRecord.responsible_unit,
        )
    ).all()
    units: dict[tuple, list[tuple[Decimal, int, str]]] = defaultdict(list)
    for strategy_id, name, position, code, unit, count, total in rows:
        units[(strategy_id, position, code, name)].append((Decimal(total or 0), count, unit))
    lines: dict[int, list[Yt01Line]] = defaultdict(list)
    for strategy_id, position, code, name in sorted(units, key=lambda k: (k[0], k[1], k[2])):
        ranked = sorted(units[(strategy_id, position, code, name)], key=lambda u: (-u[1], -u[0], u[2]))
        lines[strategy_id].append(Yt01Line(name, ranked[0][2], sorted(u[2] for u in ranked[1:])))
    return lines


def _write_yt01(book: _Book, plan: Plan, version: int) -> None:
    rows = strategies.linkage_table(plan, version)
    lines = yt01_lines(plan.id, version)
    heads = [label for _, label in YT01_LINK_COLUMNS]
    heads += ["ยุทธศาสตร์การพัฒนาของ อปท.", "แผนงาน", "หน่วยงานรับผิดชอบหลัก", "หน่วยงานสนับสนุน"]
    sheet = book.sheet("ยท.01", [24] * len(YT01_LINK_COLUMNS) + [30, 28, 20, 24])
    title = "ความเชื่อมโยงยุทธศาสตร์การพัฒนา และแผนงาน"
    sheet.start(FORM_CODES["yt01"], _plan_lines(plan, title, _version_line(plan, version)))
    sheet.append([_Cell(h, "head") for h in heads])
    if not rows:
        sheet.line("แผนนี้ยังไม่มียุทธศาสตร์", "text")
    for row in rows:
        links = [
            _Cell("\n".join(_item_text(i) for i in row.links.get(c, ())) or "–") for c, _ in YT01_LINK_COLUMNS
        ]
        strategy_cell = _Cell(f"{row.strategy.number}. {row.strategy.name}")
        programmes = lines.get(row.strategy.id) or [Yt01Line("–", "–", [])]
        first = sheet.row + 1
        for index, line in enumerate(programmes):
            sheet.append(
                [
                    *(links if index == 0 else [_Cell(None)] * len(links)),
                    strategy_cell if index == 0 else _Cell(None),
                    _Cell(line.programme),
                    _Cell(line.lead_unit),
                    _Cell(", ".join(line.support_units) or "–"),
                ]
            )
        if len(programmes) > 1:  # the strategy's links span its แผนงาน lines, as on the printed form
            for column in range(1, len(YT01_LINK_COLUMNS) + 2):
                sheet.merge(first, column, sheet.row, column)


def yt01_xlsx(plan: Plan, version: int) -> bytes:
    """The ยท.01 of ``plan`` at ``version`` as an Excel workbook."""
    book = _Book()
    _write_yt01(book, plan, version)
    return book.bytes()


# -- ผ.01 ------------------------------------------------------------------------------------------
def _figure_cells(figures: reports.Figures, total: bool = False) -> list[_Cell]:
    count, money = ("total count", "total") if total else ("count", "money")
    cells = []
    for i in range(PLAN_YEARS):
        cells += [_Cell(figures.counts[i], count), _Cell(figures.budgets[i], money)]
    return [*cells, _Cell(figures.total_count, count), _Cell(figures.total_budget, money)]


def _p01_sheet(book: _Book, plan: Plan, form: str, title: str, version_line: str) -> _Sheet:
    sheet = book.sheet(FORM_CODES[form], [44] + [10, 16] * (PLAN_YEARS + 1))
    sheet.start(FORM_CODES[form], _plan_lines(plan, title, version_line), head_rows=2, columns=1)
    top = [_Cell("ยุทธศาสตร์ / แผนงาน", "head")]
    for label in [f"ปี {y}" for y in _years(plan)] + ["รวม 5 ปี"]:
        top += [_Cell(label, "head"), _Cell(None, "head")]
    sheet.append(top)
    sheet.append(
        [_Cell(None, "head")]
        + [_Cell(h, "head") for h in ("จำนวนโครงการ", "งบประมาณ (บาท)")] * (PLAN_YEARS + 1)
    )
    sheet.merge(sheet.row - 1, 1, sheet.row, 1)
    for i in range(PLAN_YEARS + 1):
        sheet.merge(sheet.row - 1, 2 + 2 * i, sheet.row - 1, 3 + 2 * i)
    return sheet


def _p01_part(
    sheet: _Sheet, sections: list[reports.P01Section], total: reports.Figures, total_label: str
) -> None:
    for section in sections:
        sheet.line(f"{section.strategy_number}) {section.strategy_name}")
        for row in section.rows:
            sheet.append([_Cell(f"    {row.programme_name}"), *_figure_cells(row.figures)])
        sheet.append([_Cell("รวม", "total text"), *_figure_cells(section.subtotal, total=True)])
    sheet.append([_Cell(total_label, "total text"), *_figure_cells(total, total=True)])


def _write_p01(book: _Book, plan: Plan, summary: dict[str, reports.P01Report], version_line: str) -> None:
    report = summary["p01"]
    sheet = _p01_sheet(book, plan, "p01", P01_TITLES["p01"], version_line)
    for part in report.parts:
        sheet.line(P01_PART_TITLES[part.part])
        if part.sections:
            _p01_part(sheet, part.sections, part.total, "รวมส่วนนี้")
        else:
            sheet.line(NO_PROJECTS, "text")
    if sum(1 for p in report.parts if p.sections) > 1:
        sheet.append([_Cell("รวมทั้งสิ้นตาม ผ.01", "total text"), *_figure_cells(report.total, total=True)])
    community = summary["p01_1"]
    sheet = _p01_sheet(book, plan, "p01_1", P01_TITLES["p01_1"], version_line)
    part = community.parts[0]
    if part.sections:
        _p01_part(sheet, part.sections, community.total, "รวมทั้งสิ้น")
    else:
        sheet.line(NO_PROJECTS, "text")


def p01_xlsx(plan: Plan, version: int) -> bytes:
    """The ผ.01 and ผ.01/1 of ``plan`` at ``version``, one sheet each."""
    book = _Book()
    _write_p01(book, plan, reports.p01_of(plan, version), _version_line(plan, version))
    return book.bytes()


# -- ผ.02, ผ.02/1, ผ.02/2, ผ.03 -----------------------------------------------------------------------
@dataclass
class _Line:
    """One project as a ผ.02 / ผ.03 line shows it."""

    name: str
    objective: str
    target: str
    budgets: list[Decimal]
    kpi: str | None
    expected_result: str | None
    responsible_unit: str
    programme: str = ""
    equipment_category: str | None = None
    equipment_type: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class _Heading:
    """Where a line sits: its strategy (with the preamble), tactic and แผนงาน. A new ``key`` starts a
    group; a new ``strategy_key`` or ``tactic_key`` repeats those headings."""

    key: tuple
    strategy_key: object
    strategy: str  # "จ. ยุทธศาสตร์การพัฒนาของ อปท. ที่ 1 ..."
    preamble: tuple[str, ...]
    tactic_key: object
    tactic: str | None
    programme: str


def _preamble(links: dict[str, list[CatalogueItem]]) -> tuple[str, ...]:
    out = []
    for letter, label, catalogues in PREAMBLE:
        items = [_item_text(i) for c in catalogues for i in links.get(c, ())]
        out.append(f"{letter} {label}: {' / '.join(items) if items else '–'}")
    return tuple(out)


def _strategy_heading(number, name) -> str:
    return f"จ. ยุทธศาสตร์การพัฒนาของ อปท. ที่ {number} {name}".rstrip()


def _group_heading(group: reports.P02Group, linkage: dict[int, dict[str, list[CatalogueItem]]]) -> _Heading:
    strategy, tactic = group.strategy, group.tactic
    tactic_id = getattr(tactic, "id", None)
    return _Heading(
        (strategy.id, tactic_id, group.programme.id),
        strategy.id,
        _strategy_heading(strategy.number, strategy.name),
        _preamble(linkage.get(strategy.id, {})),
        tactic_id,
        f"กลยุทธ์ที่ {strategy.number}.{getattr(tactic, 'number', '')} {getattr(tactic, 'name', '')}"
        if tactic_id
        else None,
        group.programme.name_th,
    )


def _record_line(record: ProjectRecord) -> _Line:
    return _Line(
        record.name,
        record.objective,
        record.target,
        record.budgets,
        record.kpi,
        record.expected_result,
        record.responsible_unit,
        record.programme.name_th,
        record.equipment_category,
        record.equipment_type,
        record.unit,
    )


def _plan_lines_of(plan: Plan, version: int, source: str) -> Iterator[tuple[_Heading, _Line]]:
    """The projects of one source at ``version``, line by line, in ``reports.p02_list``'s order and
    groups (strategy, tactic, แผนงาน, project number), streamed from the database in batches so a
    2,000-project plan is never held whole; the group totals are added up as the lines are written.
    """
    linkage = {row.strategy.id: row.links for row in strategies.linkage_table(plan, version)}
    kept = strategies.kept_strategies(plan, version)
    if kept is not None:
        # An older version a review has since rewritten: its strategies and tactics are named and
        # ordered as they stood then, which only the page's builder knows (a rare, past document).
        for group in reports.p02_list(plan.id, version, source, kept):
            at = _group_heading(group, linkage)
            for record in group.records:
                yield at, _record_line(record)
        return
    pr = ProjectRecord
    query = (
        select(
            pr.name,
            pr.objective,
            pr.target,
            *(getattr(pr, f"budget_{i}") for i in range(1, PLAN_YEARS + 1)),
            pr.kpi,
            pr.expected_result,
            pr.responsible_unit,
            CatalogueItem.name_th,
            pr.equipment_category,
            pr.equipment_type,
            pr.unit,
            LaoStrategy.id,
            LaoStrategy.number,
            LaoStrategy.name,
            Tactic.id,
            Tactic.number,
            Tactic.name,
            CatalogueItem.id,
        )
        .join(LaoStrategy, LaoStrategy.id == pr.strategy_id)
        .outerjoin(Tactic, Tactic.id == pr.tactic_id)
        .join(CatalogueItem, CatalogueItem.id == pr.programme_id)
        .where(pr.plan_id == plan.id, pr.source == source, valid_at_clause(version))
        # p02_list's sort key; codes compared by code point, as Python compares strings.
        .order_by(
            LaoStrategy.number,
            func.coalesce(Tactic.number, 0),
            CatalogueItem.position,
            CatalogueItem.code.collate("C"),
            pr.project_no,
        )
        .execution_options(yield_per=500)
    )
    heading: _Heading | None = None
    for row in db.session.execute(query):
        budgets = list(row[3 : 3 + PLAN_YEARS])
        (kpi, expected, unit_responsible, programme, category, kind, unit) = row[
            3 + PLAN_YEARS : 10 + PLAN_YEARS
        ]
        strategy_id, strategy_no, strategy_name, tactic_id, tactic_no, tactic_name, programme_id = row[
            10 + PLAN_YEARS :
        ]
        key = (strategy_id, tactic_id, programme_id)
        if heading is None or heading.key != key:
            heading = _Heading(
                key,
                strategy_id,
                _strategy_heading(strategy_no, strategy_name),
                _preamble(linkage.get(strategy_id, {})),
                tactic_id,
                f"กลยุทธ์ที่ {strategy_no}.{tactic_no} {tactic_name}" if tactic_id else None,
                programme,
            )
        yield (
            heading,
            _Line(
                row[0],
                row[1],
                row[2],
                budgets,
                kpi,
                expected,
                unit_responsible,
                programme,
                category,
                kind,
                unit,
            ),
        )


def _p02_columns(plan: Plan, source: str) -> tuple[list[str], list[float]]:
    years = [f"{y} (บาท)" for y in _years(plan)]
    if source == "equipment":
        heads = ["ที่", "แผนงาน", "หมวด", "ประเภท", "เป้าหมาย (ผลผลิตของครุภัณฑ์)", *years, "หน่วยนับ"]
        widths = [6, 26, 20, 20, 30, *[15] * PLAN_YEARS, 10]
    else:
        heads = ["ที่", "โครงการ", "วัตถุประสงค์", "เป้าหมาย (ผลผลิตของโครงการ)", *years]
        heads += ["ตัวชี้วัด (KPI)", "ผลที่คาดว่าจะได้รับ"]
        widths = [6, 34, 30, 30, *[15] * PLAN_YEARS, 24, 26]
    return [*heads, "หน่วยงานรับผิดชอบหลัก"], [*widths, 20]


def _line_cells(no: int, line: _Line, source: str) -> list[_Cell]:
    budgets = [_money(b) for b in line.budgets]
    if source == "equipment":
        cells = [_Cell(no, "count"), _Cell(line.programme), _Cell(line.equipment_category)]
        cells += [_Cell(line.equipment_type), _Cell(line.target), *budgets, _Cell(line.unit)]
    else:
        cells = [_Cell(no, "count"), _Cell(line.name), _Cell(line.objective), _Cell(line.target), *budgets]
        cells += [_Cell(line.kpi), _Cell(line.expected_result)]
    return [*cells, _Cell(line.responsible_unit)]


def _write_p02(
    book: _Book,
    plan: Plan,
    source: str,
    lines: Iterable[tuple[_Heading, _Line]],
    version_line: str,
    title: str | None = None,
) -> None:
    code = FORM_CODES[source]
    heads, widths = _p02_columns(plan, source)
    first_year = heads.index(f"{plan.period_start_be} (บาท)") + 1
    sheet = book.sheet(title or code, widths)
    sheet.start(code, _plan_lines(plan, P02_TITLES[source], version_line, P02_FOR[source]), head_rows=2)
    # Two rows of column heads: "งบประมาณ" spans the years, the other heads span both rows.
    sheet.append(
        [
            _Cell(
                "งบประมาณ" if i == first_year else (None if first_year < i < first_year + PLAN_YEARS else h),
                "head",
            )
            for i, h in enumerate(heads, start=1)
        ]
    )
    sheet.append(
        [
            _Cell(h if first_year <= i < first_year + PLAN_YEARS else None, "head")
            for i, h in enumerate(heads, start=1)
        ]
    )
    sheet.merge(sheet.row - 1, first_year, sheet.row - 1, first_year + PLAN_YEARS - 1)
    for column in range(1, len(heads) + 1):
        if not first_year <= column < first_year + PLAN_YEARS:
            sheet.merge(sheet.row - 1, column, sheet.row, column)
    before, after = first_year - 1, len(heads) - first_year - PLAN_YEARS + 1
    heading: _Heading | None = None
    count = in_group = 0
    total, grand = [ZERO] * PLAN_YEARS, [ZERO] * PLAN_YEARS
    for at, line in lines:
        if heading is None or at.key != heading.key:
            if heading is not None:
                _total_row(sheet, f"รวม {in_group:,} โครงการ", total, before, after)
            if heading is None or at.strategy_key != heading.strategy_key:
                for text in (*at.preamble, at.strategy):
                    sheet.line(text)
            if at.tactic and (
                heading is None
                or (at.strategy_key, at.tactic_key) != (heading.strategy_key, heading.tactic_key)
            ):
                sheet.line(f"    {at.tactic}")
            sheet.line(f"        {at.programme}")
            heading, in_group, total = at, 0, [ZERO] * PLAN_YEARS
        in_group += 1
        count += 1
        total = [a + Decimal(b or 0) for a, b in zip(total, line.budgets)]
        grand = [a + Decimal(b or 0) for a, b in zip(grand, line.budgets)]
        sheet.append(_line_cells(in_group, line, source))
    if heading is not None:
        _total_row(sheet, f"รวม {in_group:,} โครงการ", total, before, after)
        _total_row(sheet, f"รวมทั้งสิ้น {count:,} โครงการ", grand, before, after)
    else:
        sheet.line(NO_PROJECTS, "text")


def _total_row(sheet: _Sheet, label: str, budgets: Sequence[Decimal], before: int, after: int) -> None:
    sheet.append(
        [
            _Cell(label, "total text"),
            *[_Cell(None, "total text")] * (before - 1),
            *[_Cell(b, "total") for b in budgets],
            *[_Cell(None, "total text")] * after,
        ]
    )
    sheet.merge(sheet.row, 1, sheet.row, before)


def p02_xlsx(plan: Plan, version: int, source: str = "own") -> bytes:
    """The ผ.02 list of one project ``source`` of ``plan`` at ``version`` (ผ.02, ผ.02/1, ผ.02/2, ผ.03)."""
    if source not in reports.P02_FORMS:
        raise ValueError(f"unknown project source {source!r}")
    book = _Book()
    _write_p02(book, plan, source, _plan_lines_of(plan, version, source), _version_line(plan, version))
    return book.bytes()


def plan_xlsx(plan: Plan, version: int) -> bytes:
    """Every form of ``plan`` at ``version`` in one workbook, one sheet each: ยท.01, ผ.01, ผ.01/1,
    ผ.02, ผ.02/1, ผ.02/2, ผ.03."""
    book = _Book()
    version_line = _version_line(plan, version)
    _write_yt01(book, plan, version)
    _write_p01(book, plan, reports.p01_of(plan, version), version_line)
    for source in reports.P02_FORMS:
        _write_p02(book, plan, source, _plan_lines_of(plan, version, source), version_line)
    return book.bytes()


# -- a revision's own document ---------------------------------------------------------------------
def _number_of(text) -> int:
    match = _LEADING_NUMBER.match(str(text or ""))
    return int(match.group(1)) if match else 0


def _revision_lines(
    plan: Plan, projects: list[revisions.ComparedProject], source: str
) -> list[tuple[_Heading, _Line]]:
    """The revision's projects of ``source`` (their new values, names in place of ids) as ผ.02 lines,
    in strategy, tactic and แผนงาน order."""
    # Compared values name a strategy as str(strategy): "1. ยุทธศาสตร์..."; find its links by that.
    linkage = {
        f"{row.strategy.number}. {row.strategy.name}": row.links for row in strategies.linkage_table(plan)
    }
    ordered = sorted(
        (p for p in projects if p.new.get("source", "own") == source),
        key=lambda p: (
            _number_of(p.new.get("strategy_id")),
            _number_of(p.new.get("tactic_id")),
            str(p.new.get("programme_id") or ""),
            p.project_no or 0,
        ),
    )
    out = []
    for project in ordered:
        v = project.new
        strategy, tactic, programme = (
            v.get("strategy_id"),
            v.get("tactic_id"),
            str(v.get("programme_id") or "–"),
        )
        number, _, name = str(strategy or "–").partition(". ")
        heading = _Heading(
            (strategy, tactic, programme),
            strategy,
            _strategy_heading(number, name),
            _preamble(linkage.get(str(strategy), {})),
            (strategy, tactic),
            f"กลยุทธ์ที่ {tactic}" if tactic else None,
            programme,
        )
        budgets = [_decimal(v.get(f"budget_{i}")) for i in range(1, PLAN_YEARS + 1)]
        line = _Line(
            str(v.get("name") or ""),
            str(v.get("objective") or ""),
            str(v.get("target") or ""),
            budgets,
            v.get("kpi"),
            v.get("expected_result"),
            str(v.get("responsible_unit") or ""),
            programme,
            v.get("equipment_category"),
            v.get("equipment_type"),
            v.get("unit"),
        )
        out.append((heading, line))
    return out


def _revision_summary(projects: list[revisions.ComparedProject]) -> dict[str, reports.P01Report]:
    """The ผ.01 / ผ.01/1 of the revision's projects (new values), arranged as ``p01_summary`` does."""
    summary = {
        form: reports.P01Report(form, [reports.P01Part(p["part"], tuple(p["kinds"])) for p in parts])
        for form, parts in reports.P01_FORMS.items()
    }
    part_of = {kind: (form, part) for form, r in summary.items() for part in r.parts for kind in part.kinds}
    sections: dict[tuple, reports.P01Section] = {}
    rows: dict[tuple, reports.P01Row] = {}
    ordered = sorted(
        projects, key=lambda p: (_number_of(p.new.get("strategy_id")), str(p.new.get("programme_id")))
    )
    for project in ordered:
        v = project.new
        if v.get("source", "own") not in part_of:
            continue
        form, part = part_of[v.get("source", "own")]
        budgets = [_decimal(v.get(f"budget_{i}")) for i in range(1, PLAN_YEARS + 1)]
        figures = reports.Figures(counts=[1 if b > 0 else 0 for b in budgets], budgets=budgets, projects=1)
        strategy, programme = str(v.get("strategy_id") or "–"), str(v.get("programme_id") or "–")
        section = sections.get((form, part.part, strategy))
        if section is None:
            number = _number_of(strategy)
            name = strategy.split(". ", 1)[1] if number and ". " in strategy else strategy
            section = sections[(form, part.part, strategy)] = reports.P01Section(0, number, name)
            part.sections.append(section)
        line = rows.get((form, part.part, strategy, programme))
        if line is None:
            line = rows[(form, part.part, strategy, programme)] = reports.P01Row(
                0, "", programme, reports.Figures()
            )
            section.rows.append(line)
        for target in (line.figures, section.subtotal, part.total, summary[form].total):
            target.add(figures)
    return summary


def _shown(name: str, value) -> _Cell:
    if value in (None, ""):
        return _Cell("—")
    if name.startswith("budget_"):
        return _money(_decimal(value))
    if name == "source":
        return _Cell(SOURCE_NAMES.get(value, value))
    if isinstance(value, list):
        return _Cell(", ".join(str(v) for v in value))
    return _Cell(value)


def revision_xlsx(actor, revision_id: int) -> bytes:
    """A revision's own document: its ผ.01, the ผ.02 sheets of its projects and the old/new comparison."""
    revision, compared = revisions.comparison(actor, revision_id)
    plan = revision.plan
    years = _years(plan)
    book = _Book()
    title_line = revision.title
    _write_p01(book, plan, _revision_summary(compared), title_line)
    for source in reports.P02_FORMS:
        if any(p.new.get("source", "own") == source for p in compared):
            _write_p02(book, plan, source, _revision_lines(plan, compared, source), title_line)
    sheet = book.sheet("เปรียบเทียบ", [40, 22, 30, 40, 40])
    lines = ["บัญชีเปรียบเทียบโครงการพัฒนา เดิม/ใหม่", title_line, _period_line(plan), place_line(plan.organisation)]
    basis = revisions.policy_basis_label(revision)
    if basis:
        lines.append(f"กรณีตามข้อ 22/2: {basis} หนังสือที่ {revision.policy_letter_no or '—'}")
    sheet.start(None, lines)
    sheet.append([_Cell(h, "head") for h in ("โครงการ", "ประเภทรายการ", "รายการ", "เดิม", "ใหม่")])
    labels = {
        **COMPARED_LABELS,
        **{f"budget_{i}": f"งบประมาณปี {y} (บาท)" for i, y in enumerate(years, start=1)},
    }
    for project in compared:
        name = f"{project.project_no or 'ใหม่'}. {project.new.get('name') or ''}"
        kind = REVISION_KINDS.get(project.kind, project.kind)
        if project.fact:
            kind += f"\nข้อเท็จจริง: {project.fact}"
        if project.reason:
            kind += f"\n{project.reason}"
        rows = project.rows or [("", None, None)]
        first = sheet.row + 1
        for index, (field_name, old, new) in enumerate(rows):
            if not field_name:
                sheet.append([_Cell(name), _Cell(kind), _Cell("ไม่มีการเปลี่ยนแปลงค่า"), _Cell(None), _Cell(None)])
                continue
            sheet.append(
                [
                    _Cell(name if index == 0 else None),
                    _Cell(kind if index == 0 else None),
                    _Cell(labels.get(field_name, field_name)),
                    _shown(field_name, old),
                    _shown(field_name, new),
                ]
            )
        if sheet.row > first:
            sheet.merge(first, 1, sheet.row, 1)
            sheet.merge(first, 2, sheet.row, 2)
    if not compared:
        sheet.line("ยังไม่มีรายการ", "text")
    return book.bytes()


# -- the monitoring and evaluation report ----------------------------------------------------------
def _metric_cells(m: evaluation.Metrics) -> list[_Cell]:
    return [
        _Cell(m.planned, "count"),
        _money(m.planned_budget),
        _Cell(m.budgeted, "count"),
        _money(m.budget),
        _money(m.disbursed),
        _Cell(m.completed, "count"),
    ]


def evaluation_xlsx(report: EvaluationReport) -> bytes:
    """The monitoring and evaluation report: its figures (as frozen once submitted) and its text."""
    figures = evaluation.report_figures(report)
    organisation = report.organisation
    book = _Book()
    lines = [
        "รายงานผลการติดตามและประเมินผลแผนพัฒนาท้องถิ่น",
        f"ปีงบประมาณ {report.fiscal_year_be} {evaluation_round_label(report.round, 'th')}",
        f"ระหว่างวันที่ {format_date(figures.period_from)} ถึง {format_date(figures.period_to)}",
        place_line(organisation),
        f"แผนที่ใช้บังคับ: {figures.plan.title} (ฉบับที่ {figures.plan.version})" if figures.plan else None,
    ]
    widths = [48, 14, 18, 14, 18, 18, 14]
    sheet = book.sheet("รายงาน", widths)
    sheet.start(None, lines, columns=1)
    sheet.append([_Cell("รายการ", "head"), *(_Cell(h, "head") for h in METRIC_HEADS)])
    sheet.append([_Cell("รวมทั้งสิ้น", "total text"), *_metric_cells(figures.totals)])
    for key in figures.shown_tables():
        sheet.line(DIMENSION_TITLES[key])
        table = figures.table(key)
        for row in table:
            label = "ไม่ได้เชื่อมโยง" if row.unlinked else f"{row.code} {row.name}".strip()
            sheet.append([_Cell(f"    {label}"), *_metric_cells(row.metrics)])
        if not table:
            sheet.line("ไม่มีโครงการในปีนี้", "text")
    if figures.outside_plan_version:
        sheet.line(
            "โครงการที่ตั้งงบประมาณแต่ไม่อยู่ในแผนฉบับที่ใช้บังคับ (นับในยอดรวมเท่านั้น): "
            + ", ".join(str(n) for n in figures.outside_plan_version),
            "text",
        )
    not_counted = book.sheet("ไม่นับว่าแล้วเสร็จ", [8, 50, 60], landscape=False)
    not_counted.start(None, ["โครงการที่ไม่นับว่าดำเนินการแล้วเสร็จ และเหตุผล", place_line(organisation)])
    not_counted.append([_Cell(h, "head") for h in ("ที่", "โครงการ", "เหตุผล")])
    for project in figures.not_counted:
        not_counted.append([_Cell(project.project_no, "count"), _Cell(project.name), _Cell(project.reason)])
    if not figures.not_counted:
        not_counted.line("ไม่มี", "text")
    text = book.sheet("ความเห็นคณะกรรมการ", [30, 100], landscape=False)
    text.start(None, ["รายงานของคณะกรรมการติดตามและประเมินผลแผนพัฒนาท้องถิ่น", place_line(organisation)])
    text.append([_Cell("หัวข้อ", "head"), _Cell("รายละเอียด", "head")])
    for label, value in (
        ("วิธีการติดตามและประเมินผล", report.method),
        ("ผลการติดตามและประเมินผล", report.findings),
        ("ข้อเสนอแนะ", report.recommendations),
    ):
        text.append([_Cell(label), _Cell(value or "—")])
    return book.bytes()


__all__ = [
    "MONEY_FORMAT",
    "Yt01Line",
    "evaluation_xlsx",
    "p01_xlsx",
    "p02_xlsx",
    "place_line",
    "plan_xlsx",
    "revision_xlsx",
    "yt01_lines",
    "yt01_xlsx",
]

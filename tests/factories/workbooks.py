"""Plan workbooks as LAOs keep them, made here (never a real LAO's file): for the import's tests,
its journey and its benchmark.

``official``: the ผ.02 sheets as the regulation's forms print them: titles, the linkage lines
ก.–จ., a two-row header (the budget years under a merged "งบประมาณ"), a column-number row, a
"จ. … ยุทธศาสตร์ที่ N" heading and "N.M แผนงาน…" headings, a "รวม" line after each แผนงาน.
``simple``: what a planner types by hand: one header row ("ลำดับ", "ชื่อโครงการ", "งบประมาณ 2566
(บาท)", KPI before the budgets), "ยุทธศาสตร์ที่ N …" / "กลยุทธ์ที่ N.M …" / "แผนงาน …" headings,
sheets named "ผ02" and "ผ02.1".
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl

THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
PROGRAMMES = ("อุตสาหกรรมและการโยธา", "การศึกษา", "สาธารณสุข", "เคหะและชุมชน", "การเกษตร")
STRATEGIES = (
    "การพัฒนาด้านโครงสร้างพื้นฐาน",
    "การพัฒนาด้านการศึกษา ศาสนาและวัฒนธรรม",
    "การพัฒนาด้านสาธารณสุขและคุณภาพชีวิต",
    "การพัฒนาด้านเศรษฐกิจและการเกษตร",
)


@dataclass
class Project:
    name: str
    budgets: list = field(default_factory=lambda: [Decimal("500000"), 0, Decimal("250000.50"), 0, 0])
    objective: str = "เพื่อให้ประชาชนสัญจรได้สะดวก"
    target: str = "ถนนกว้าง 5 เมตร ยาว 200 เมตร"
    kpi: str = "ร้อยละ 80 ของประชาชนพึงพอใจ"
    expected_result: str = "ประชาชนสัญจรสะดวกและปลอดภัย"
    unit: str = "กองช่าง"
    strategy: int = 1
    tactic: int | None = None
    programme: str = PROGRAMMES[0]
    # Extra rows under the project continuing its objective (a long text typed over rows).
    more_objective: tuple[str, ...] = ()


def projects(count: int, *, per_programme: int = 50) -> list[Project]:
    """``count`` projects over the strategies and แผนงาน, ``per_programme`` under each heading."""
    out = []
    for n in range(count):
        group = n // per_programme
        out.append(
            Project(
                name=f"โครงการก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ที่ {n % 20 + 1} สายที่ {n + 1}",
                budgets=[
                    Decimal(100000 + n),
                    Decimal(0),
                    Decimal(2500 * (n % 7)),
                    Decimal(0),
                    Decimal("99.50"),
                ],
                strategy=group % len(STRATEGIES) + 1,
                programme=PROGRAMMES[group % len(PROGRAMMES)],
            )
        )
    return out


def _amount(value, style: str):
    """A budget cell as a planner types it: a number, text with commas, Thai digits, or '-'."""
    amount = Decimal(str(value))
    if style == "number":
        return float(amount) if amount else None
    if not amount:
        return "-"
    written = f"{amount:,.2f}" if amount != amount.to_integral() else f"{amount:,.0f}"
    if style == "thai":
        return written.translate(THAI)
    if style == "baht":
        return f"{written}.-" if amount == amount.to_integral() else f"{written} บาท"
    return written


def _groups(items: list[Project]):
    """Projects by strategy, then by แผนงาน, in order of first appearance."""
    strategies: dict[int, dict[str, list[Project]]] = {}
    for p in items:
        strategies.setdefault(p.strategy, {}).setdefault(p.programme, []).append(p)
    return strategies


def _official_sheet(book, title: str, form: str, items: list[Project], years: list[int], style: str, extra):
    sheet = book.create_sheet(title)
    width = 12
    sheet.cell(1, 1, "รายละเอียดโครงการพัฒนา")
    sheet.cell(1, width, f"แบบ {form}")
    sheet.cell(2, 1, f"แผนพัฒนาท้องถิ่น (พ.ศ. {years[0]} - {years[-1]})")
    sheet.cell(3, 1, "องค์การบริหารส่วนตำบลตัวอย่าง อำเภอเมือง จังหวัดบึงกาฬ")
    for row in (1, 2, 3):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width - 1)
    row = 4
    for number, programmes in _groups(items).items():
        for line in (
            "ก. ยุทธศาสตร์ชาติ ยุทธศาสตร์ที่ 2 การสร้างความสามารถในการแข่งขัน",
            "ข. แผนพัฒนาเศรษฐกิจและสังคมแห่งชาติ ฉบับที่ 13 หมุดหมายที่ 9",
            "ค. ยุทธศาสตร์จังหวัดที่ 1",
            "ง. ยุทธศาสตร์การพัฒนาของ อปท. ในเขตจังหวัดที่ 1",
            f"จ. ยุทธศาสตร์การพัฒนาของ อปท. ยุทธศาสตร์ที่ {number} {STRATEGIES[number - 1]}",
        ):
            sheet.cell(row, 1, line)
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            row += 1
        for index, (programme, group) in enumerate(programmes.items(), start=1):
            sheet.cell(row, 1, f"{number}.{index} แผนงาน{programme}")
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            row += 1
            header = ["ที่", "โครงการ", "วัตถุประสงค์", "เป้าหมาย\n(ผลผลิตของโครงการ)", "งบประมาณ", None, None, None,
                      None, "ตัวชี้วัด\n(KPI)", "ผลที่คาดว่า\nจะได้รับ", "หน่วยงาน\nรับผิดชอบหลัก"]  # fmt: skip
            for col, label in enumerate(header, start=1):
                sheet.cell(row, col, label)
            for offset, year in enumerate(years):
                sheet.cell(row + 1, 5 + offset, f"{year}\n(บาท)")
            sheet.merge_cells(start_row=row, start_column=5, end_row=row, end_column=9)
            for col in (1, 2, 3, 4, 10, 11, 12):
                sheet.merge_cells(start_row=row, start_column=col, end_row=row + 1, end_column=col)
            row += 2
            for col in range(1, width + 1):
                sheet.cell(row, col, f"({col})")
            row += 1
            for n, p in enumerate(group, start=1):
                values = [n, p.name, p.objective, p.target, *(_amount(b, style) for b in p.budgets), p.kpi,
                          p.expected_result, p.unit]  # fmt: skip
                for col, value in enumerate(values, start=1):
                    sheet.cell(row, col, value)
                row += 1
                for line in p.more_objective:
                    sheet.cell(row, 3, line)
                    row += 1
                if extra.get("spacers"):
                    row += 1
            sheet.cell(row, 1, f"รวม {len(group)} โครงการ")
            for offset in range(5):
                total = sum((Decimal(str(p.budgets[offset])) for p in group), Decimal(0))
                sheet.cell(row, 5 + offset, float(total))
            row += 2
    return sheet


def _simple_sheet(book, title: str, items: list[Project], years: list[int], style: str):
    sheet = book.create_sheet(title)
    header = ["ลำดับ", "ชื่อโครงการ", "วัตถุประสงค์", "เป้าหมาย (ผลผลิตของโครงการ)", "ตัวชี้วัด KPI",
              *(f"งบประมาณ {year} (บาท)" for year in years), "ผลที่คาดว่าจะได้รับ", "หน่วยงานที่รับผิดชอบ"]  # fmt: skip
    for col, label in enumerate(header, start=1):
        sheet.cell(1, col, label)
    row = 2
    for number, programmes in _groups(items).items():
        sheet.cell(row, 1, f"ยุทธศาสตร์ที่ {number} {STRATEGIES[number - 1]}")
        row += 1
        tactic_done = set()
        for programme, group in programmes.items():
            for p in group:
                if p.tactic and (number, p.tactic) not in tactic_done:
                    sheet.cell(row, 1, f"กลยุทธ์ที่ {number}.{p.tactic} ปรับปรุงเส้นทางคมนาคม")
                    tactic_done.add((number, p.tactic))
                    row += 1
            sheet.cell(row, 1, f"แผนงาน {programme}")
            row += 1
            for n, p in enumerate(group, start=1):
                values = [str(n), p.name, p.objective, p.target, p.kpi, *(_amount(b, style) for b in p.budgets),
                          p.expected_result, p.unit]  # fmt: skip
                for col, value in enumerate(values, start=1):
                    sheet.cell(row, col, value)
                row += 1
                for line in p.more_objective:
                    sheet.cell(row, 3, line)
                    row += 1
    return sheet


def workbook(
    own: list[Project],
    community: list[Project] = (),  # type: ignore[assignment]
    *,
    layout: str = "official",
    period_start_be: int = 2566,
    style: str = "number",
    spacers: bool = False,
    notes_sheet: bool = True,
) -> bytes:
    """A plan workbook: ``own`` on the ผ.02 sheet, ``community`` on ผ.02/1, in ``layout``."""
    years = list(range(period_start_be, period_start_be + 5))
    book = openpyxl.Workbook()
    book.remove(book.active)
    if notes_sheet:
        book.create_sheet("ผ.01").cell(1, 1, "บัญชีสรุปโครงการพัฒนา")
    if layout == "official":
        _official_sheet(book, "ผ.02", "ผ.02", own, years, style, {"spacers": spacers})
        if community:
            _official_sheet(book, "ผ.02-1", "ผ.02/1", list(community), years, style, {"spacers": spacers})
    else:
        _simple_sheet(book, "ผ02", own, years, style)
        if community:
            _simple_sheet(book, "ผ02.1", list(community), years, style)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def edit(data: bytes, sheet: str, cell: str, value) -> bytes:
    """The workbook with one cell changed (a row broken, or mended)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    book[sheet][cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def find_row(data: bytes, sheet: str, text: str) -> int:
    """The row of the first cell of ``sheet`` holding exactly ``text``."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for row in book[sheet].iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.row
    raise LookupError(text)

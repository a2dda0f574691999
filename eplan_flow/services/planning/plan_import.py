"""Bring an LAO's existing plan in from its Excel workbook (ผ.02, ผ.02/1, ผ.02/2), all or nothing.

Two halves, kept apart:

- **Reading** (``read_workbook``) is pure: bytes in, a ``ParsedWorkbook`` out, no database. It
  accepts the layout LAOs use: one sheet per form (found by the sheet's name or its "แบบ ผ.02/1"
  mark), a header row with ที่, โครงการ, วัตถุประสงค์, เป้าหมาย (ผลผลิตของโครงการ), one budget column
  per year of the period (the years in the header row or the row under it), ตัวชี้วัด (KPI),
  ผลที่คาดว่าจะได้รับ and หน่วยงานรับผิดชอบหลัก, with the strategy, tactic and แผนงาน of the projects
  below them in section headings. Amounts may carry commas, Thai digits, "บาท" or ".-", and "-" is
  zero. Blank spacer rows, repeated headers, column-number rows and "รวม" lines are skipped; a row
  without a project number under a project continues its text (a long objective over several
  rows); a cell merged down over several projects counts for each. Every problem names its sheet
  and row (``Problem``), and its Thai sentence comes from ``describe``.
- **Writing** (``import_plan``) checks the reading against the database (the LAO, the แผนงาน
  catalogue, a plan already there) and, only if nothing is wrong, writes the plan, its strategies,
  tactics and projects, and the ``plan_import`` record in one ``with transaction():``, by the same
  rules as drafting a plan (``services/planning/projects.py``'s fields and limits). The same file
  for the same LAO and period is imported once: again, it changes nothing. The lock it holds is an
  advisory lock named for the LAO and the period, never a table lock, so other LAOs go on working.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import openpyxl
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import exists, insert, select
from sqlalchemy.exc import IntegrityError

from eplan_flow import text, thaidate
from eplan_flow.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import (
    PLAN_YEARS,
    CatalogueItem,
    LaoStrategy,
    Organisation,
    Plan,
    PlanImport,
    PlanVersion,
    ProjectRecord,
    Tactic,
)
from eplan_flow.permissions import can_read, has_role
from eplan_flow.services.directory.catalogues import serves_period_clause
from eplan_flow.services.planning.plans import PERIOD_RANGE, content_chain
from eplan_flow.services.planning.projects import (
    TEXT_FIELDS,
    ElaasCodeRefused,
    clean_elaas_code,
    elaas_code_rule,
    parse_money,
)
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.locks import advisory_lock
from eplan_flow.services.platform.unit_of_work import transaction

# Beyond these a file is refused before it is read: a plan of 2,000 projects is well under both.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS_PER_SHEET = 50_000
# An .xlsx is a zip: what it unpacks to is checked before openpyxl inflates it (a "zip bomb").
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# The forms a sheet may hold, and the project source each gives.
SHEET_SOURCES = {"ผ.02": "own", "ผ.02/1": "community", "ผ.02/2": "beyond_capacity"}
# How many rows from the top of a sheet may hold its title and header.
HEADER_SEARCH_ROWS = 40
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class WorkbookRefused(InvalidInput):
    """The workbook cannot be imported as it is; ``problems`` names each sheet and row."""

    code = "plan_import_refused"

    def __init__(self, message: str, problems: list[Problem], **details) -> None:
        super().__init__(message, **details)
        self.problems = problems


class PlanImportPermission(PermissionDenied):
    """Only the LAO's planners bring its plan in."""

    code = "plan_import_not_planner"


# -- problems -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """Something that keeps the workbook from being imported: where (sheet and row, 1-based) and what."""

    sheet: str | None
    row: int | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return describe(self)


# The column names a problem may mention, as the form's header says them.
COLUMN_LABELS = {
    "no": "ที่",
    "name": "โครงการ",
    "objective": "วัตถุประสงค์",
    "target": "เป้าหมาย (ผลผลิตของโครงการ)",
    "kpi": "ตัวชี้วัด (KPI)",
    "expected_result": "ผลที่คาดว่าจะได้รับ",
    "responsible_unit": "หน่วยงานรับผิดชอบหลัก",
    "elaas_budget_code": "รหัสงบประมาณ (e-LAAS)",
}

PROBLEM_MESSAGES = {
    "not_a_workbook": _l("The file is not an Excel workbook (.xlsx)."),
    "file_too_large": _l("The file is larger than %(limit)s MB."),
    "no_form_sheet": _l(
        "No sheet of the workbook holds a ผ.02, ผ.02/1 or ผ.02/2 table with the columns "
        "ที่, โครงการ, วัตถุประสงค์ and เป้าหมาย."
    ),
    "too_many_rows": _l("The sheet has more than %(limit)s rows."),
    "missing_columns": _l("The header row lacks the columns: %(columns)s."),
    "no_budget_years": _l(
        "The header has no budget column for a year of the period %(start)s–%(end)s "
        "(write the Buddhist-Era year, e.g. 2566, above each budget column)."
    ),
    "year_outside_period": _l("The budget column for %(year)s is outside the plan period %(start)s–%(end)s."),
    "no_strategy": _l('The project has no strategy heading above it (e.g. "ยุทธศาสตร์ที่ 1 …").'),
    "no_programme": _l('The project has no แผนงาน heading above it (e.g. "แผนงานการศึกษา").'),
    "strategy_without_number": _l('The strategy heading "%(text)s" has no number.'),
    "unknown_programme": _l(
        '"%(text)s" is not a แผนงาน of the budget classification (for example การศึกษา, '
        "เคหะและชุมชน, อุตสาหกรรมและการโยธา)."
    ),
    "missing_value": _l("The column %(column)s is empty."),
    "bad_code": _l(
        'The e-LAAS budget code "%(value)s" is not in the e-LAAS format (at most %(max_length)s '
        "characters: Latin letters, digits, dots, dashes, slashes or spaces)."
    ),
    "duplicate_code": _l(
        'The e-LAAS budget code "%(value)s" is given to another project too (row %(other)s).'
    ),
    "text_refused": _l("The column %(column)s: %(reason)s"),
    "bad_amount": _l('The budget for %(year)s, "%(value)s", is not an amount in baht.'),
    "negative_amount": _l('The budget for %(year)s, "%(value)s", is negative.'),
    "too_precise_amount": _l('The budget for %(year)s, "%(value)s", has more than 2 decimal places.'),
    "too_large_amount": _l('The budget for %(year)s, "%(value)s", is too large.'),
    "formula_without_value": _l(
        "The budget for %(year)s is a formula whose value the file does not keep: open the file in "
        "Excel, save it, and upload it again."
    ),
    "budget_on_continuation": _l(
        "The row has amounts but no project number or name: give it its number in the column ที่."
    ),
    "no_projects": _l("The workbook holds no project."),
    "plan_exists": _l(
        "The LAO already has a plan for %(start)s–%(end)s; a workbook is imported only into a new plan."
    ),
    "announced_on_missing": _l("Enter the day the plan was announced."),
    "announced_on_refused": _l("The announcement day: %(reason)s"),
}
TEXT_REASONS = {
    "too_long": _l("more than %(max_length)s characters."),
    "marks": _l("stray or stacked vowel and tone marks."),
    "nul": _l("a NUL character."),
    "blank": _l("invisible characters only."),
    "not_text": _l("not text."),
}
DATE_REASONS = {
    "date_in_future": _l("it cannot be in the future."),
    "date_too_early": _l("it must be on or after 1 January 2500."),
}


def sentence(problem: Problem) -> str:
    """What is wrong, as a person reads it (Thai by default), without where."""
    params = dict(problem.params)
    if problem.code == "text_refused":
        reason = TEXT_REASONS.get(params.get("reason", ""), _l("not accepted."))
        params["reason"] = str(reason) % {"max_length": params.get("max_length", 0)}
    if problem.code == "announced_on_refused":
        params["reason"] = str(DATE_REASONS.get(params.get("reason", ""), _l("not a real day.")))
    if "column" in params:
        params["column"] = COLUMN_LABELS.get(params["column"], params["column"])
    return str(PROBLEM_MESSAGES[problem.code]) % params


def describe(problem: Problem) -> str:
    """The problem as a person reads it (Thai by default), starting with its sheet and row."""
    what = sentence(problem)
    if problem.sheet is not None and problem.row is not None:
        return _(
            "Sheet %(sheet)s, row %(row)s: %(problem)s", sheet=problem.sheet, row=problem.row, problem=what
        )
    if problem.sheet is not None:
        return _("Sheet %(sheet)s: %(problem)s", sheet=problem.sheet, problem=what)
    return what


# -- reading (pure) -------------------------------------------------------------------------------
@dataclass
class ParsedProject:
    """One project as the workbook gives it (its strategy and แผนงาน by their headings)."""

    sheet: str
    row: int
    source: str
    strategy_no: int | None
    tactic_no: int | None
    programme: str | None  # the แผนงาน heading's name, as written
    programme_row: int | None
    values: dict[str, str | None] = field(default_factory=dict)
    budgets: list[Decimal] = field(default_factory=lambda: [ZERO] * PLAN_YEARS)

    @property
    def total(self) -> Decimal:
        return sum(self.budgets, ZERO)


@dataclass
class ParsedStrategy:
    number: int
    name: str
    tactics: dict[int, str] = field(default_factory=dict)


@dataclass
class SheetSummary:
    """What one sheet gave: its form (None: not a ผ.02 sheet, skipped) and how many projects."""

    name: str
    form: str | None
    projects: int = 0


@dataclass
class ParsedWorkbook:
    sha256: str
    period_start_be: int
    strategies: dict[int, ParsedStrategy] = field(default_factory=dict)
    projects: list[ParsedProject] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sheets: list[SheetSummary] = field(default_factory=list)
    # e-LAAS budget codes given so far, and the row that gave each (a code names one project).
    codes: dict[str, int] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return list(range(self.period_start_be, self.period_start_be + PLAN_YEARS))

    def totals(self) -> list[Decimal]:
        """The budget of all projects per year of the period."""
        sums = [ZERO] * PLAN_YEARS
        for project in self.projects:
            sums = [a + b for a, b in zip(sums, project.budgets, strict=True)]
        return sums


def file_digest(data: bytes) -> str:
    """The SHA-256 that names a workbook: the same bytes are the same file."""
    return hashlib.sha256(data).hexdigest()


# A workbook repeats its texts (units, KPIs, headers) and each cell is looked at several times:
# tidying (a pass over every character) is the reading's main cost, so each distinct value is tidied once.
@lru_cache(maxsize=65_536)
def _cell_text(value: Any) -> str:
    """A cell's text, tidied ("" for an empty cell; 3.0 as "3")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return text.tidy(str(value), multiline=True)


@lru_cache(maxsize=65_536)
def _squash(value: Any) -> str:
    """A cell's text for matching: tidied, Thai digits as 0-9, without spaces."""
    return re.sub(r"\s+", "", text.thai_to_ascii(_cell_text(value)))


_FORM = re.compile(r"ผ\.?0?2(?:[/\-_.(]([12])(?!\d)\)?)?")
_OTHER_FORM = re.compile(r"ผ\.?0?[13]|ยท\.?0?1|ผด\.?")


def sheet_form(title: str, top_texts: list[str]) -> str | None:
    """The form a sheet holds, from its name ("ผ.02-1") or a "แบบ ผ.02/1" mark near its top."""
    for candidate in (title, *top_texts):
        squashed = _squash(candidate)
        match = _FORM.search(squashed)
        if match:
            return "ผ.02" if not match.group(1) else f"ผ.02/{match.group(1)}"
        if candidate is title and _OTHER_FORM.search(squashed):
            return None
    return None


_YEAR = re.compile(r"(?<!\d)(2[45]\d\d)(?!\d)")


# A header cell is a short label; a project's own text (a name starting "โครงการ", an objective
# quoting "วัตถุประสงค์") is longer, so it never reads as a header.
HEADER_MAX_LENGTH = 30
NAME_HEADERS = frozenset({"โครงการ", "ชื่อโครงการ", "โครงการ/กิจกรรม", "ชื่อโครงการ/กิจกรรม", "โครงการ/รายการ"})
# An optional column some LAOs add to their ผ.02 sheets: the project's e-LAAS budget code.
CODE_HEADERS = frozenset({"รหัสงบประมาณ", "รหัสโครงการ", "รหัสe-laas", "รหัสงบประมาณe-laas", "e-laas"})


def _header_key(squashed: str) -> str | None:
    """Which column a header cell names (its text squashed), or None."""
    if not squashed or len(squashed) > HEADER_MAX_LENGTH:
        return None
    if squashed in ("ที่", "ลำดับ", "ลำดับที่", "ที่.", "No.", "no"):
        return "no"
    if squashed in NAME_HEADERS:
        return "name"
    if squashed.startswith("เป้าหมาย"):
        return "target"
    if squashed.startswith("วัตถุประสงค์"):
        return "objective"
    if squashed.startswith("ตัวชี้วัด") or squashed.upper().startswith("KPI"):
        return "kpi"
    if squashed.startswith("ผลที่คาดว่า"):
        return "expected_result"
    if squashed.startswith("หน่วยงาน") and "รับผิดชอบ" in squashed:
        return "responsible_unit"
    if squashed.lower().replace("(", "").replace(")", "") in CODE_HEADERS:
        return "elaas_budget_code"
    return None


def _year_of(squashed: str) -> int | None:
    """The B.E. year a budget header cell names ("2566", "2566(บาท)", "งบประมาณพ.ศ.2566"), or None."""
    match = _YEAR.search(squashed)
    if not match:
        return None
    rest = squashed.replace(match.group(1), "")
    for word in ("งบประมาณ", "(บาท)", "บาท", "พ.ศ.", "พ.ศ", "ปี", "()", "(", ")", ":", "."):
        rest = rest.replace(word, "")
    return int(match.group(1)) if not rest else None


def _only_years(row: tuple) -> bool:
    """Whether a row holds budget-year headers and nothing else (the header's second row)."""
    texts = [_squash(v) for v in row if v is not None and _squash(v)]
    return bool(texts) and all(
        _year_of(t) is not None or t in ("งบประมาณ", "งบประมาณ(บาท)", "บาท", "(บาท)") for t in texts
    )


@dataclass
class _Header:
    columns: dict[str, int]  # key -> 0-based column index
    years: dict[int, int]  # 0-based column index -> B.E. year
    last_row: int  # 1-based: the last row of the header (the year row when it is below)


REQUIRED_COLUMNS = ("name", "objective", "target", "responsible_unit")


def _find_header(rows: list[tuple], start: int, stop: int) -> _Header | None:
    """The header at or after row index ``start`` (0-based) and before ``stop``: a row naming
    โครงการ and วัตถุประสงค์; its years may be in the row itself or in one of the two below."""
    for index in range(start, min(stop, len(rows))):
        columns: dict[str, int] = {}
        for col, value in enumerate(rows[index]):
            key = _header_key(_squash(value))
            if key and key not in columns:
                columns[key] = col
        if "name" not in columns or "objective" not in columns:
            continue
        years: dict[int, int] = {}
        last = index
        for below in range(index, min(index + 3, len(rows))):
            found = {
                col: year
                for col, value in enumerate(rows[below])
                if (year := _year_of(_squash(value))) is not None
            }
            if below > index and not _only_years(rows[below]):
                break
            if found:
                years.update(found)
                last = below
        return _Header(columns=columns, years=years, last_row=last + 1)
    return None


_LINKAGE_PREFIX = re.compile(r"^[กขคง]\s*[\.\)]\s*")
_E_PREFIX = re.compile(r"^จ\s*[\.\)]\s*")
_STRATEGY_NUMBERED = re.compile(
    r"ยุทธศาสตร์(?:การพัฒนา)?(?:ของ)?\s*(?:อปท\.?|องค์กรปกครองส่วนท้องถิ่น)?\s*(?:ด้าน)?\s*ที่\s*(\d+)\s*[:\-–.]?\s*(.*)$"
)
_STRATEGY_LEADING = re.compile(r"^(\d+)\s*[\.\)]?\s*(ยุทธศาสตร์.*)$")
_PROGRAMME = re.compile(r"^(?:[\(\[]?\d+(?:\.\d+)*[\.\)\]]?\s*)?แผนงาน\s*[:\-–]?\s*(.+)$")
_TACTIC = re.compile(
    r"^(?:[\(\[]?\d+(?:\.\d+)*[\.\)\]]?\s*)?กลยุทธ์\s*(?:ที่)?\s*(\d+(?:\.\d+)*)?\s*[:\-–.]?\s*(.*)$"
)
# A total line: "รวม", "รวมทั้งสิ้น", "รวม 12 โครงการ" (not a text that merely starts with รวม).
_TOTAL = re.compile(r"^รวม(?:ทั้งสิ้น|ทั้งหมด)?(?:\d+โครงการ)?$")
_COLUMN_NUMBER = re.compile(r"^\(\d{1,2}\)$")
_NATIONAL_WORDS = ("ยุทธศาสตร์ชาติ", "แผนพัฒนาเศรษฐกิจ", "ยุทธศาสตร์จังหวัด", "ในเขตจังหวัด", "แผนแม่บท")


def _strategy_name(raw: str) -> str:
    name = re.sub(r"^ยุทธศาสตร์\s*", "", raw).strip(" :-–.")
    return name or raw.strip()


@dataclass
class _Heading:
    kind: str  # "strategy", "tactic", "programme", "linkage", "strategy_without_number"
    number: int | None = None
    name: str = ""


def parse_heading(raw: str) -> _Heading | None:
    """What a section heading line says: a strategy, a tactic, a แผนงาน, or a linkage line (ก.–ง.)."""
    line = text.thai_to_ascii(text.tidy(raw))
    if not line:
        return None
    if _LINKAGE_PREFIX.match(line) or (
        any(word in line for word in _NATIONAL_WORDS) and not _E_PREFIX.match(line)
    ):
        return _Heading("linkage")
    line = _E_PREFIX.sub("", line)
    programme = _PROGRAMME.match(line)
    if programme:
        return _Heading("programme", name=programme.group(1).strip())
    tactic = _TACTIC.match(line)
    if tactic:
        number_text = tactic.group(1) or ""
        number = int(number_text.split(".")[-1]) if number_text else None
        return _Heading("tactic", number=number, name=tactic.group(2).strip() or line)
    numbered = _STRATEGY_NUMBERED.search(line)
    if numbered:
        return _Heading("strategy", number=int(numbered.group(1)), name=_strategy_name(numbered.group(2)))
    leading = _STRATEGY_LEADING.match(line)
    if leading:
        return _Heading("strategy", number=int(leading.group(1)), name=_strategy_name(leading.group(2)))
    if line.startswith("ยุทธศาสตร์"):
        return _Heading("strategy_without_number", name=line)
    return None


_ZERO_WORDS = {"", "-", "–", "—", "-0-", "0", "๐", "ไม่มี"}


def read_amount(value: Any) -> tuple[Decimal | None, str | None]:
    """A budget cell as exact baht: (amount, None), or (None, the problem's code)."""
    if value is None or isinstance(value, bool):
        return (ZERO, None) if value is None else (None, "bad_amount")
    if isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, float):
        # Excel keeps numbers as binary floats: 1500000.5 is exact, 0.1 + 0.2 is not quite 0.3.
        exact = Decimal(repr(value))
        rounded = exact.quantize(CENT)
        if abs(exact - rounded) > Decimal("0.000001"):
            return None, "too_precise_amount"
        value = rounded
    elif isinstance(value, datetime | date | time):
        return None, "bad_amount"
    if isinstance(value, Decimal):
        typed = str(value)
    else:
        typed = text.tidy(str(value))
        if typed in _ZERO_WORDS:
            return ZERO, None
        typed = re.sub(r"\s*บาท\s*$", "", typed)
        typed = re.sub(r"\s*\.?-$", "", typed) if re.search(r"\d\s*\.?-$", typed) else typed
        typed = typed.replace(" ", "")
    try:
        amount = parse_money("budget", typed)
    except InvalidInput as refused:
        message = refused.message
        if "negative" in message:
            return None, "negative_amount"
        if "decimal places" in message:
            return None, "too_precise_amount"
        if "too large" in message:
            return None, "too_large_amount"
        return None, "bad_amount"
    except (InvalidOperation, ValueError):
        return None, "bad_amount"
    return amount, None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    squashed = _squash(value).rstrip(".)").lstrip("(")
    return bool(squashed) and squashed.isdigit()


def _merged_down(sheet) -> dict[tuple[int, int], tuple[int, int]]:
    """Cells under the top of a vertically merged range (1-based row, col) -> the range's top cell."""
    covered: dict[tuple[int, int], tuple[int, int]] = {}
    for merged in sheet.merged_cells.ranges:
        if merged.min_row == merged.max_row:
            continue
        for row in range(merged.min_row + 1, merged.max_row + 1):
            covered[(row, merged.min_col)] = (merged.min_row, merged.min_col)
    return covered


class _SheetReader:
    """Reads one sheet's rows into projects, headings and problems (see the module doc)."""

    TEXT_KEYS = ("name", "objective", "target", "kpi", "expected_result", "responsible_unit")
    # Read like the text columns, checked by the code's own rule.
    CODE_KEYS = ("elaas_budget_code",)
    KEYS = (*TEXT_KEYS, *CODE_KEYS)
    # Text a cell merged down over several projects gives to each of them.
    FILLED_DOWN = ("objective", "target", "kpi", "expected_result", "responsible_unit")

    def __init__(self, parsed: ParsedWorkbook, title: str, form: str, rows: list[tuple], merged, cached):
        self.parsed = parsed
        self.title = title
        self.source = SHEET_SOURCES[form]
        self.rows = rows
        self.merged = merged
        self.cached = cached  # row, col (1-based) -> the value a formula cell had when last saved
        self.summary = SheetSummary(title, form)
        self.strategy_no: int | None = None
        self.tactic_no: int | None = None
        self.programme: str | None = None
        self.programme_row: int | None = None
        self.current: ParsedProject | None = None
        self.raw: dict[int, dict[str, list[str]]] = {}

    def problem(self, row: int | None, code: str, **params) -> None:
        self.parsed.problems.append(Problem(self.title, row, code, params))

    def cell(self, row_index: int, col: int | None, *, fill_down: bool = False) -> Any:
        """A cell's value; ``fill_down``: a cell under the top of a vertical merge gives the top's."""
        if col is None:
            return None
        values = self.rows[row_index]
        value = values[col] if col < len(values) else None
        if fill_down and value is None and (row_index + 1, col + 1) in self.merged:
            top_row, top_col = self.merged[(row_index + 1, col + 1)]
            top = self.rows[top_row - 1]
            value = top[top_col - 1] if top_col - 1 < len(top) else None
        return value

    def read(self) -> SheetSummary:
        first = _find_header(self.rows, 0, HEADER_SEARCH_ROWS)
        if first is None:
            self.summary.form = None
            return self.summary
        if not self._check_header(first):
            return self.summary
        header: _Header | None = None
        index = 0
        while index < len(self.rows):
            again = _find_header(self.rows, index, index + 1)
            if again is not None:
                header, index = again, again.last_row
                continue
            if header is None:
                self._read_title_row(index)  # above the first header: titles and the first headings
            else:
                self._read_row(header, index)
            index += 1
        self._finish_project()
        return self.summary

    def _read_title_row(self, index: int) -> None:
        texts = {_cell_text(v) for v in self.rows[index] if v is not None and _cell_text(v)}
        if len(texts) == 1:
            line = texts.pop()
            heading = parse_heading(line)
            if heading is not None:
                self._heading(heading, index + 1, line)

    def _check_header(self, header: _Header) -> bool:
        missing = [key for key in REQUIRED_COLUMNS if key not in header.columns]
        if missing:
            columns = ", ".join(COLUMN_LABELS[key] for key in missing)
            self.problem(header.last_row, "missing_columns", columns=columns)
            return False
        period = self.parsed.years
        good = True
        for year in sorted(set(header.years.values())):
            if year not in period:
                self.problem(
                    header.last_row, "year_outside_period", year=year, start=period[0], end=period[-1]
                )
                good = False
        if not header.years:
            self.problem(header.last_row, "no_budget_years", start=period[0], end=period[-1])
            good = False
        return good

    def _read_row(self, header: _Header, index: int) -> None:
        row_no = index + 1
        values = self.rows[index]
        filled = [(col, v) for col, v in enumerate(values) if v is not None and _cell_text(v) != ""]
        if not filled:
            return  # a spacer row
        texts = [_cell_text(v) for _, v in filled]
        if all(_COLUMN_NUMBER.match(_squash(t)) for t in texts):
            return  # the row numbering the columns: (1) (2) (3) ...
        if _only_years(values):
            return  # the years row of a header repeated on a new page
        if _TOTAL.match(_squash(texts[0])):
            return  # a total line: "รวม", "รวมทั้งสิ้น 12 โครงการ"
        no = self.cell(index, header.columns.get("no"))
        name = self.cell(index, header.columns["name"])
        has_amount = any(
            (v := self.cell(index, col)) is not None and _cell_text(v) not in _ZERO_WORDS
            for col in header.years
        )
        # A heading: the row's only text, in any column, not a project number.
        if len(set(texts)) == 1 and not _is_number(filled[0][1]) and not has_amount:
            heading = parse_heading(texts[0])
            if heading is not None:
                self._heading(heading, row_no, texts[0])
                return
            if "no" in header.columns and filled[0][0] == header.columns["no"]:
                return  # a title or a note across the table (merged from the first column)
        starts = (
            (no is not None and _cell_text(no) != "" and _is_number(no))
            or ("no" not in header.columns and name is not None)
            or (name is not None and has_amount)
            or self.current is None
        )
        if starts:
            self._finish_project()
            self._start_project(header, index, row_no)
        else:
            self._continue_project(header, index, row_no, has_amount)

    def _heading(self, heading: _Heading, row_no: int, raw: str) -> None:
        if heading.kind == "linkage":
            return
        self._finish_project()
        if heading.kind == "strategy_without_number":
            self.problem(row_no, "strategy_without_number", text=raw)
            self.strategy_no = None
            return
        if heading.kind == "strategy":
            assert heading.number is not None
            known = self.parsed.strategies.get(heading.number)
            if known is None:
                self.parsed.strategies[heading.number] = ParsedStrategy(heading.number, heading.name)
            self.strategy_no, self.tactic_no = heading.number, None
            self.programme, self.programme_row = None, None
        elif heading.kind == "tactic":
            if self.strategy_no is None:
                return
            strategy = self.parsed.strategies[self.strategy_no]
            number = heading.number or len(strategy.tactics) + 1
            strategy.tactics.setdefault(number, heading.name)
            self.tactic_no = number
        elif heading.kind == "programme":
            self.programme, self.programme_row = heading.name, row_no

    def _start_project(self, header: _Header, index: int, row_no: int) -> None:
        project = ParsedProject(
            sheet=self.title,
            row=row_no,
            source=self.source,
            strategy_no=self.strategy_no,
            tactic_no=self.tactic_no,
            programme=self.programme,
            programme_row=self.programme_row,
        )
        self.raw[row_no] = {}
        for key in self.KEYS:
            column = header.columns.get(key)
            value = (
                self.cell(index, column, fill_down=key in self.FILLED_DOWN) if column is not None else None
            )
            self.raw[row_no][key] = [_cell_text(value)] if _cell_text(value) else []
        budgets = list(project.budgets)
        for col, year in header.years.items():
            value = self.cell(index, col)
            if isinstance(value, str) and value.startswith("="):
                value = self.cached.get((row_no, col + 1))
                if value is None:
                    self.problem(row_no, "formula_without_value", year=year)
                    continue
            amount, code = read_amount(value)
            if code is not None or amount is None:
                self.problem(row_no, code or "bad_amount", year=year, value=_cell_text(value))
                continue
            budgets[year - self.parsed.period_start_be] += amount
        project.budgets = budgets
        self.current = project

    def _continue_project(self, header: _Header, index: int, row_no: int, has_amount: bool) -> None:
        project = self.current
        assert project is not None
        if has_amount:
            self.problem(row_no, "budget_on_continuation")
        parts = self.raw[project.row]
        for key in self.KEYS:
            if key not in header.columns:
                continue
            col = header.columns[key]
            values = self.rows[index]
            own = values[col] if col < len(values) else None
            if own is None:
                continue  # a merged cell's lower part repeats nothing on the project's own rows
            piece = _cell_text(own)
            if piece and (not parts[key] or parts[key][-1] != piece):
                parts[key].append(piece)

    def _read_code(self, project: ParsedProject, parts: list[str]) -> None:
        raw = " ".join(parts)
        try:
            code = clean_elaas_code(raw)
        except (ElaasCodeRefused, text.InputRefused):
            limit = elaas_code_rule().get("max_length") or 50
            self.problem(project.row, "bad_code", value=raw[:60], max_length=limit)
            code = None
        if code is not None and code in self.parsed.codes:
            self.problem(project.row, "duplicate_code", value=code, other=self.parsed.codes[code])
            code = None
        if code is not None:
            self.parsed.codes[code] = project.row
        project.values["elaas_budget_code"] = code

    def _finish_project(self) -> None:
        project, self.current = self.current, None
        if project is None:
            return
        parts = self.raw.pop(project.row, {})
        for key in self.TEXT_KEYS:
            limit = TEXT_FIELDS[key]
            # One line where the column is short (a name, a unit): its rows joined with a space.
            joined = (" " if limit is not None else "\n").join(parts.get(key, []))
            try:
                value = text.clean_text(joined, field=key, max_length=limit, multiline=limit is None)
            except text.InputRefused as refused:
                self.problem(
                    project.row, "text_refused", column=key, reason=refused.reason, max_length=limit or 0
                )
                value = None
            project.values[key] = value
            if value is None and key in REQUIRED_COLUMNS and joined == "":
                self.problem(project.row, "missing_value", column=key)
        self._read_code(project, parts.get("elaas_budget_code", []))
        if project.strategy_no is None:
            self.problem(project.row, "no_strategy")
        if project.programme is None:
            self.problem(project.row, "no_programme")
        self.parsed.projects.append(project)
        self.summary.projects += 1


def _load(data: bytes, *, values_only: bool):
    return openpyxl.load_workbook(io.BytesIO(data), data_only=values_only, read_only=False)


def read_workbook(data: bytes, period_start_be: int) -> ParsedWorkbook:
    """Read a plan workbook (pure: no database); every problem names its sheet and row."""
    parsed = ParsedWorkbook(sha256=file_digest(data), period_start_be=period_start_be)
    if len(data) > MAX_FILE_BYTES:
        parsed.problems.append(Problem(None, None, "file_too_large", {"limit": MAX_FILE_BYTES // 2**20}))
        return parsed
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        parsed.problems.append(Problem(None, None, "not_a_workbook"))
        return parsed
    if unpacked > MAX_UNPACKED_BYTES:
        parsed.problems.append(Problem(None, None, "file_too_large", {"limit": MAX_FILE_BYTES // 2**20}))
        return parsed
    try:
        workbook = _load(data, values_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        parsed.problems.append(Problem(None, None, "not_a_workbook"))
        return parsed
    cached_book = None
    for sheet in workbook.worksheets:
        if sheet.max_row > MAX_ROWS_PER_SHEET:
            parsed.problems.append(Problem(sheet.title, None, "too_many_rows", {"limit": MAX_ROWS_PER_SHEET}))
            continue
        rows = [
            tuple(row)
            for row in sheet.iter_rows(
                min_row=1, max_row=sheet.max_row, max_col=sheet.max_column, values_only=True
            )
        ]
        top = [_cell_text(v) for row in rows[:8] for v in row if isinstance(v, str)]
        form = sheet_form(sheet.title, top)
        if (
            form is None
            and _find_header(rows, 0, HEADER_SEARCH_ROWS) is not None
            and not _OTHER_FORM.search(_squash(sheet.title))
        ):
            form = "ผ.02"  # a project table with no form mark: the LAO's own projects
        if form is None:
            parsed.sheets.append(SheetSummary(sheet.title, None))
            continue
        cached: dict[tuple[int, int], Any] = {}
        if any(isinstance(v, str) and v.startswith("=") for row in rows for v in row):
            # Formulas: read the values Excel kept when it last saved the file.
            cached_book = cached_book or _load(data, values_only=True)
            for r, row in enumerate(cached_book[sheet.title].iter_rows(values_only=True), start=1):
                for c, value in enumerate(row, start=1):
                    if value is not None:
                        cached[(r, c)] = value
        reader = _SheetReader(parsed, sheet.title, form, rows, _merged_down(sheet), cached)
        parsed.sheets.append(reader.read())
    if not any(s.form for s in parsed.sheets):
        parsed.problems.append(Problem(None, None, "no_form_sheet"))
    elif not parsed.projects and not parsed.problems:
        parsed.problems.append(Problem(None, None, "no_projects"))
    return parsed


# -- checking against the database, and writing ---------------------------------------------------
def _programme_key(name: str) -> str:
    squashed = _squash(name)
    return squashed.removeprefix("แผนงาน")


def programme_ids(period_start_be: int) -> dict[str, int]:
    """The budget programmes (แผนงาน) by their squashed name, with and without the word แผนงาน."""
    rows = db.session.execute(
        select(CatalogueItem.id, CatalogueItem.name_th).where(
            CatalogueItem.catalogue == "budget_programme",
            CatalogueItem.scope == "",
            CatalogueItem.is_active.is_(True),
            serves_period_clause(period_start_be),
        )
    ).all()
    return {_programme_key(row.name_th): row.id for row in rows}


@dataclass
class ImportOutcome:
    """What an import did, or would do (``dry_run``), or why it cannot."""

    parsed: ParsedWorkbook
    organisation: Organisation
    mode: str
    announced_on: date | None
    problems: list[Problem]
    plan_id: int | None = None
    already_imported: bool = False
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_period(value: Any) -> int:
    """The first year of a plan period from "2566", "2566-2570" or "๒๕๖๖–๒๕๗๐" (B.E.)."""
    raw = text.thai_to_ascii(text.tidy(str(value or "")))
    match = re.fullmatch(r"(\d{4})(?:\s*[-–]\s*(\d{4}))?", raw)
    start = int(match.group(1)) if match else None
    if (
        match is None
        or start is None
        or not PERIOD_RANGE[0] <= start <= PERIOD_RANGE[1]
        or (match.group(2) and int(match.group(2)) != start + PLAN_YEARS - 1)
    ):
        raise InvalidInput(
            "the period must be five Buddhist-Era years, e.g. 2566-2570", field="period_start_be"
        )
    return start


def check_lao(actor, organisation_id: int) -> Organisation:
    """The LAO whose plan ``actor`` imports: NotFound outside their reach, PermissionDenied unless a
    planner of it (``actor`` None: the server's operator, from the command line)."""
    return _organisation(actor, organisation_id)


def _organisation(actor, organisation_id: int) -> Organisation:
    org = db.session.get(Organisation, organisation_id)
    if org is None or org.kind != "lao":
        raise NotFound(f"LAO #{organisation_id} not found", id=organisation_id)
    if actor is not None and not has_role(actor, "planner", org):
        # Another LAO's does not exist for them; their own LAO's non-planners are refused.
        if not can_read(actor, org):
            raise NotFound(f"LAO #{organisation_id} not found", id=organisation_id)
        raise PlanImportPermission("only the LAO's planners import its plan")
    return org


def laos_for_import(actor) -> list[Organisation]:
    """The LAOs whose plans ``actor`` may import: those where they are a planner."""
    return [g.organisation for g in actor.grants if g.role == "planner" and g.organisation.kind == "lao"]


def _previous_import(org_id: int, period_start_be: int, sha256: str) -> PlanImport | None:
    return db.session.scalars(
        select(PlanImport).where(
            PlanImport.organisation_id == org_id,
            PlanImport.period_start_be == period_start_be,
            PlanImport.file_sha256 == sha256,
        )
    ).one_or_none()


def check_import(
    actor,
    organisation_id: int,
    data: bytes,
    *,
    period_start_be: int,
    mode: str = "draft",
    announced_on: Any = None,
) -> ImportOutcome:
    """Read the workbook and check it against the database: what importing it would do (no writes)."""
    org = _organisation(actor, organisation_id)
    parsed = read_workbook(data, period_start_be)
    return _checked(org, parsed, mode, announced_on)


def _checked(org: Organisation, parsed: ParsedWorkbook, mode: str, announced_on: Any) -> ImportOutcome:
    if mode not in ("draft", "announced"):
        raise InvalidInput(f"{mode!r} is not an import mode", field="mode")
    problems = list(parsed.problems)
    day: date | None = None
    if mode == "announced":
        try:
            day = text.parse_typed_date(announced_on, field="announced_on")
        except text.InputRefused as refused:
            problems.append(Problem(None, None, "announced_on_refused", {"reason": refused.reason}))
        else:
            if day is None:
                problems.append(Problem(None, None, "announced_on_missing"))
    outcome = ImportOutcome(parsed, org, mode, day, problems)
    previous = _previous_import(org.id, parsed.period_start_be, parsed.sha256)
    if previous is not None:
        outcome.plan_id, outcome.already_imported = previous.plan_id, True
        outcome.problems = []
        return outcome
    taken = db.session.scalar(
        select(exists().where(Plan.organisation_id == org.id, Plan.period_start_be == parsed.period_start_be))
    )
    if taken:
        start = parsed.period_start_be
        problems.append(Problem(None, None, "plan_exists", {"start": start, "end": start + PLAN_YEARS - 1}))
    known = programme_ids(parsed.period_start_be)
    reported: set[tuple[str, int | None]] = set()
    for project in parsed.projects:
        if project.programme is None or _programme_key(project.programme) in known:
            continue
        where = (project.sheet, project.programme_row)
        if where not in reported:
            reported.add(where)
            problems.append(
                Problem(
                    project.sheet, project.programme_row, "unknown_programme", {"text": project.programme}
                )
            )
    problems.sort(key=lambda p: (p.sheet is not None, p.sheet or "", p.row or 0))
    return outcome


def import_plan(
    actor,
    organisation_id: int,
    data: bytes,
    *,
    period_start_be: int,
    file_name: str,
    mode: str = "draft",
    announced_on: Any = None,
    dry_run: bool = False,
) -> ImportOutcome:
    """Import a plan workbook for an LAO and period, all or nothing; the same file again changes nothing.

    ``actor`` is one of the LAO's planners (None: the server's operator, from the command line).
    Refused with ``WorkbookRefused`` (its ``problems``) when any row cannot be read.
    """
    org = _organisation(actor, organisation_id)
    # Reading the file takes the time; it happens before the transaction, which holds no lock meanwhile.
    parsed = read_workbook(data, period_start_be)
    outcome = _checked(org, parsed, mode, announced_on)
    if outcome.already_imported or dry_run:
        return outcome
    if outcome.problems:
        raise WorkbookRefused(
            "the workbook cannot be imported", outcome.problems, count=len(outcome.problems)
        )
    name = text.clean_text(file_name, field="file_name", max_length=255) or "plan.xlsx"
    with transaction(conflict=_plan_taken(parsed.period_start_be)):
        # One import per LAO and period at a time; other LAOs take other locks.
        advisory_lock(f"plan-import:{org.id}:{parsed.period_start_be}")
        previous = _previous_import(org.id, parsed.period_start_be, parsed.sha256)
        if previous is not None:
            outcome.plan_id, outcome.already_imported = previous.plan_id, True
            return outcome
        again = _checked(org, parsed, mode, announced_on)
        if again.problems:
            raise WorkbookRefused(
                "the workbook cannot be imported", again.problems, count=len(again.problems)
            )
        plan = _write(actor, org, parsed, name, mode, outcome.announced_on)
    outcome.plan_id, outcome.written = plan.id, True
    return outcome


def _plan_taken(start: int):
    def conflict(_error: IntegrityError) -> DomainError:
        problem = Problem(None, None, "plan_exists", {"start": start, "end": start + PLAN_YEARS - 1})
        return WorkbookRefused("the LAO already has a plan for the period", [problem])

    return conflict


def _write(
    actor, org: Organisation, parsed: ParsedWorkbook, file_name: str, mode: str, day: date | None
) -> Plan:
    start = parsed.period_start_be
    plan = Plan(
        organisation_id=org.id,
        title=f"แผนพัฒนาท้องถิ่น (พ.ศ. {start}–{start + PLAN_YEARS - 1}) {org.display_name}",
        period_start_be=start,
        period_end_be=start + PLAN_YEARS - 1,
    )
    engine.start(plan, actor, data={"imported_file_sha256": parsed.sha256})
    programmes = programme_ids(start)
    strategies: dict[int, LaoStrategy] = {}
    tactics: dict[tuple[int, int], Tactic] = {}
    for number, parsed_strategy in sorted(parsed.strategies.items()):
        strategy = LaoStrategy(plan_id=plan.id, number=number, name=parsed_strategy.name[:500])
        for tactic_no, tactic_name in sorted(parsed_strategy.tactics.items()):
            tactic = Tactic(number=tactic_no, name=tactic_name[:500])
            strategy.tactics.append(tactic)
            tactics[(number, tactic_no)] = tactic
        strategies[number] = strategy
    db.session.add_all(strategies.values())
    db.session.flush()
    rows = []
    for project_no, project in enumerate(parsed.projects, start=1):
        assert project.strategy_no is not None and project.programme is not None
        found = tactics.get((project.strategy_no, project.tactic_no)) if project.tactic_no else None
        tactic_id = found.id if found is not None else None
        rows.append(
            {
                "plan_id": plan.id,
                "project_no": project_no,
                "valid_from": 1,
                "valid_to": None,
                "revision_id": None,
                "strategy_id": strategies[project.strategy_no].id,
                "tactic_id": tactic_id,
                "programme_id": programmes[_programme_key(project.programme)],
                "source": project.source,
                **{key: project.values.get(key) for key in _SheetReader.KEYS},
                **{f"budget_{i + 1}": amount for i, amount in enumerate(project.budgets)},
            }
        )
    # One multi-row INSERT per batch: 2,000 projects in a few statements, not 2,000 round trips.
    for batch in range(0, len(rows), 500):
        db.session.execute(insert(ProjectRecord), rows[batch : batch + 500])
    record = PlanImport(
        organisation_id=org.id,
        plan_id=plan.id,
        period_start_be=start,
        file_sha256=parsed.sha256,
        file_name=file_name,
        mode=mode,
        announced_on=day,
        projects=len(rows),
        strategies=len(strategies),
        imported_by_id=getattr(actor, "id", None),
    )
    db.session.add(record)
    totals = [str(amount) for amount in parsed.totals()]
    summary = {
        "file_sha256": parsed.sha256,
        "file_name": file_name,
        "mode": mode,
        "announced_on": day.isoformat() if day else None,
        "projects": len(rows),
        "strategies": len(strategies),
        "budget_per_year": dict(zip(map(str, parsed.years), totals, strict=True)),
        "via": "web" if actor is not None else "command line",
    }
    audit.append(content_chain(plan.id), "import_plan", actor=actor, organisation_id=org.id, data=summary)
    if mode == "announced":
        assert day is not None
        announced_at = datetime.combine(day, time.min, tzinfo=thaidate.BANGKOK)
        definition = engine.definition_of(plan)
        plan.status = "announced"
        plan.current_version = 1
        plan.announced_at = announced_at
        db.session.add(PlanVersion(plan_id=plan.id, number=1, revision_id=None, announced_at=announced_at))
        db.session.flush()
        audit.append(
            engine.chain_for(plan),
            "import_announced",
            actor=actor,
            organisation_id=org.id,
            workflow=definition.name,
            workflow_version=definition.version,
            from_state=definition.initial,
            to_state="announced",
            data=summary,
        )
    return plan


# -- the blank template --------------------------------------------------------------------------
HEADER_TEXTS = (
    "ที่",
    "โครงการ",
    "วัตถุประสงค์",
    "เป้าหมาย\n(ผลผลิตของโครงการ)",
)
TAIL_TEXTS = ("ตัวชี้วัด (KPI)", "ผลที่คาดว่าจะได้รับ", "หน่วยงานรับผิดชอบหลัก")
TEMPLATE_SHEETS = (
    ("ผ.02", "ผ.02", "รายละเอียดโครงการพัฒนา"),
    ("ผ.02-1", "ผ.02/1", "รายละเอียดโครงการพัฒนา สำหรับโครงการพัฒนาที่นำมาจากแผนพัฒนาหมู่บ้านและแผนชุมชน"),
    (
        "ผ.02-2",
        "ผ.02/2",
        "รายละเอียดโครงการพัฒนา สำหรับโครงการพัฒนาที่เกินศักยภาพ ประสานโครงการพัฒนาจังหวัด/อบจ.",
    ),
)


def blank_template(period_start_be: int, lao_name: str = "") -> bytes:
    """A blank workbook in the layout the import reads: one sheet per form, its two-row header."""
    years = list(range(period_start_be, period_start_be + PLAN_YEARS))
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(name="TH SarabunPSK", bold=True, size=14)
    plain = Font(name="TH SarabunPSK", size=14)
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    width = len(HEADER_TEXTS) + PLAN_YEARS + len(TAIL_TEXTS)
    for title, form, heading in TEMPLATE_SHEETS:
        sheet = workbook.create_sheet(title)
        sheet.cell(1, 1, heading).font = bold
        sheet.cell(1, width, f"แบบ {form}").font = bold
        sheet.cell(2, 1, f"แผนพัฒนาท้องถิ่น (พ.ศ. {years[0]} - {years[-1]})").font = bold
        sheet.cell(3, 1, lao_name or "ชื่อองค์กรปกครองส่วนท้องถิ่น อำเภอ จังหวัด").font = bold
        for row in (1, 2, 3):
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width - 1)
        sheet.cell(4, 1, "ยุทธศาสตร์ที่ 1 (ชื่อยุทธศาสตร์)").font = bold
        sheet.cell(5, 1, "1.1 แผนงาน(ชื่อแผนงาน เช่น การศึกษา)").font = bold
        header, years_row = 6, 7
        columns = [*HEADER_TEXTS, "งบประมาณ", *([""] * (PLAN_YEARS - 1)), *TAIL_TEXTS]
        for col, label in enumerate(columns, start=1):
            cell = sheet.cell(header, col, label or None)
            cell.font, cell.alignment, cell.border, cell.fill = bold, centred, border, fill
            below = sheet.cell(years_row, col)
            below.border, below.fill = border, fill
        for offset, year in enumerate(years):
            cell = sheet.cell(years_row, len(HEADER_TEXTS) + 1 + offset, f"{year}\n(บาท)")
            cell.font, cell.alignment = bold, centred
        sheet.merge_cells(
            start_row=header,
            start_column=len(HEADER_TEXTS) + 1,
            end_row=header,
            end_column=len(HEADER_TEXTS) + PLAN_YEARS,
        )
        for col in [*range(1, len(HEADER_TEXTS) + 1), *range(len(HEADER_TEXTS) + PLAN_YEARS + 1, width + 1)]:
            sheet.merge_cells(start_row=header, start_column=col, end_row=years_row, end_column=col)
        for row in range(years_row + 1, years_row + 21):
            for col in range(1, width + 1):
                cell = sheet.cell(row, col)
                cell.border, cell.font = border, plain
                if len(HEADER_TEXTS) < col <= len(HEADER_TEXTS) + PLAN_YEARS:
                    cell.number_format = "#,##0.00"
                else:
                    cell.alignment = Alignment(vertical="top", wrap_text=True)
        for letter, size in zip("ABCD", (6, 36, 30, 30), strict=True):
            sheet.column_dimensions[letter].width = size
        for offset in range(PLAN_YEARS):
            sheet.column_dimensions[
                openpyxl.utils.get_column_letter(len(HEADER_TEXTS) + 1 + offset)
            ].width = 14
        for offset, size in enumerate((24, 28, 20)):
            letter = openpyxl.utils.get_column_letter(len(HEADER_TEXTS) + PLAN_YEARS + 1 + offset)
            sheet.column_dimensions[letter].width = size
        sheet.freeze_panes = sheet.cell(years_row + 1, 1)
    notes = workbook.create_sheet("คำอธิบาย")
    for row, line in enumerate(
        (
            "วิธีกรอก",
            "1. กรอกโครงการของแต่ละแบบในแผ่นงานของแบบนั้น (ผ.02, ผ.02-1 คือ ผ.02/1, ผ.02-2 คือ ผ.02/2)",
            '2. เหนือโครงการ ให้มีหัวข้อยุทธศาสตร์ เช่น "ยุทธศาสตร์ที่ 1 การพัฒนาด้านโครงสร้างพื้นฐาน" '
            'และหัวข้อแผนงาน เช่น "1.1 แผนงานอุตสาหกรรมและการโยธา" (กลยุทธ์ใส่ได้ เช่น "กลยุทธ์ที่ 1.1 …")',
            '3. งบประมาณกรอกเป็นบาท มีจุลภาคได้ ใช้เลขไทยได้ ปีที่ไม่มีงบประมาณใส่ "-" หรือเว้นว่าง',
            "4. คอลัมน์ ที่ ใส่ลำดับของโครงการ แถวที่ไม่มีลำดับถือเป็นข้อความต่อจากโครงการข้างบน",
            '5. แถวว่างและแถว "รวม" ข้ามไปได้',
        ),
        start=1,
    ):
        notes.cell(row, 1, line).font = bold if row == 1 else plain
    notes.column_dimensions["A"].width = 120
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def iter_problem_lines(problems: list[Problem]) -> Iterator[str]:
    """Each problem as one line of text (the command line prints them)."""
    for problem in problems:
        yield describe(problem)

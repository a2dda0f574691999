"""Budget ordinance import (issue 14, item 5): read the ordinance's project lines from an e-LAAS-style
CSV or xlsx export (code, name, amount, source), match them to the plan's projects, and budget the
fiscal year's execution items.

Upload → preview → confirm, as the plan import does: the uploaded file is kept under the instance
folder by its SHA-256 between the preview and the confirmation, which reads it again. Matching: a line
whose e-LAAS code is the plan project's own (``ProjectRecord.elaas_budget_code``) is that project; else
a line whose code is already recorded on an execution item of the plan is that item's project (exact);
otherwise the plan project whose normalised name is most similar (difflib ratio at least
``NAME_SIMILARITY``) is proposed for the person to confirm; anything else is unmatched, and the person
links it to a plan project or marks it "not from the plan" (an audited record on the chain
``ordinance:<plan>:<year>``, so a later import of the same file shows it as marked). When the person
confirms a line for a project that has no code yet, they may have the line's code recorded on the
project (audited on the plan's content chain), so next year's ordinance matches it by code.

The ordinance's announcement date, when given, must fit the fiscal year (``ordinance_date``: the rule
the action plan uses too); a date outside it refuses the preview and the confirmation.

The confirmation budgets or completes the items through the execution service's own use cases
(``budget_project``, ``record_budget_details``), so the plan's rules, the zero-budget rule, the audit
and the permissions apply; all in one transaction under an advisory lock for the plan's year. A file
with a bad row is refused whole, naming each row. Importing the same file again changes nothing: a
project already budgeted with the line's code is left as it is (its ordinance amount changes only
through transfers).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from eplan_flow import text
from eplan_flow.errors import DomainError, InvalidInput
from eplan_flow.extensions import db
from eplan_flow.models import AuditEvent, ProjectExecution, ProjectRecord
from eplan_flow.services.delivery import execution
from eplan_flow.services.delivery.ordinance_date import check_ordinance_announced_on
from eplan_flow.services.planning import plans
from eplan_flow.services.planning.projects import current_records, elaas_code_rule, parse_money
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.locks import advisory_lock
from eplan_flow.services.platform.unit_of_work import transaction

# A plan project is proposed for a line when the normalised names are at least this similar.
NAME_SIMILARITY = 0.6
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_LINES = 5000
MAX_ROWS = MAX_LINES + 200  # lines plus titles, headers, totals and blank rows
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # an xlsx is a zip: refuse one that unpacks to more
HEADER_SEARCH_ROWS = 20
NOT_IN_PLAN = "not_in_plan"
DEFAULT_SOURCE = "ordinance"
RECORD_CODE = "record_elaas_code"

# Header texts (spaces removed, "(บาท)" dropped) and the column each names.
HEADERS = {
    "code": {"รหัส", "รหัสงบประมาณ", "รหัสโครงการ", "รหัสบัญชี", "code"},
    "name": {"ชื่อโครงการ", "รายการ", "โครงการ", "ชื่อรายการ", "โครงการ/รายการ", "name"},
    "amount": {"จำนวนเงิน", "งบประมาณ", "จำนวนเงินงบประมาณ", "amount"},
    "source": {"แหล่งงบประมาณ", "แหล่งเงิน", "แหล่งที่มาของงบประมาณ", "source"},
}
REQUIRED = ("code", "name", "amount")
# A source cell's words and the budget source code (EXECUTION_V3's ``budget_sources``), most
# specific first: "ข้อบัญญัติงบประมาณรายจ่ายเพิ่มเติม" names the supplementary ordinance.
SOURCE_WORDS = (
    ("เพิ่มเติม", "supplementary_ordinance"),
    ("เงินสะสม", "accumulated_funds"),
    ("เฉพาะกิจ", "specific_subsidy"),
    ("โอน", "transfer_new_item"),
    ("ข้อบัญญัติ", "ordinance"),
)


class OrdinanceFileRefused(InvalidInput):
    """The file cannot be read, or rows of it are wrong: nothing is imported. ``problems`` holds
    (row number, reason code) pairs; the page words each reason."""

    code = "ordinance_file_refused"


class OrdinanceImportGone(InvalidInput):
    """The kept file of a preview is no longer there (or the token is not one): upload it again."""

    code = "ordinance_import_gone"


@dataclass(frozen=True)
class OrdinanceLine:
    row: int
    code: str
    name: str
    amount: Decimal
    source: str


@dataclass
class Match:
    """What the preview proposes for a line: ``status`` is budgeted (this year's item already has
    the code), project_code (the project's own code), exact (an earlier item's code), similar,
    marked (not from the plan before) or unmatched."""

    line: OrdinanceLine
    status: str
    project_no: int | None = None
    project_name: str | None = None
    score: float | None = None
    # A budgeted item whose ordinance amount differs from the line's (changed only by transfers).
    item_amount: Decimal | None = None


@dataclass
class Preview:
    sha256: str
    matches: list[Match]
    projects: list[tuple[int, str]]
    # Projects that already carry an e-LAAS code (the page offers to record a line's code on the others).
    coded_projects: set[int] = field(default_factory=set)
    ordinance_announced_on: date | None = None

    def may_record_code(self, match: Match) -> bool:
        """Whether the page offers to record ``match``'s code on the project it is confirmed for."""
        if match.status in ("exact", "similar"):
            return match.project_no not in self.coded_projects
        return match.status == "unmatched" and len(self.coded_projects) < len(self.projects)


@dataclass
class Outcome:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    marked: int = 0
    # Projects whose e-LAAS code was recorded from their line, and codes not recorded (the project
    # has a code already, or another project carries the line's code).
    coded: list[int] = field(default_factory=list)
    not_coded: list[int] = field(default_factory=list)


# -- reading ---------------------------------------------------------------------------------------
def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _squash(value: Any) -> str:
    raw = "" if value is None else str(value)
    return re.sub(r"\s+", "", raw).replace("(บาท)", "").lower()


def _rows_of_csv(data: bytes) -> list[tuple[int, list[Any]]]:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            content = data.decode("cp874")
        except UnicodeDecodeError:
            raise OrdinanceFileRefused(
                "the file is neither UTF-8 nor TIS-620", problems=[(0, "unreadable")]
            ) from None
    try:
        dialect: Any = csv.Sniffer().sniff(content[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(content), dialect), start=1):
            if number > MAX_ROWS:
                raise OrdinanceFileRefused("the file has too many rows", problems=[(0, "too_many_lines")])
            rows.append((number, row))
    except csv.Error:
        raise OrdinanceFileRefused("the file is not a CSV file", problems=[(0, "unreadable")]) from None
    return rows


def _rows_of_xlsx(data: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise OrdinanceFileRefused("the workbook unpacks to too much", problems=[(0, "too_many_lines")])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise OrdinanceFileRefused("the workbook cannot be read", problems=[(0, "unreadable")]) from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS:
                raise OrdinanceFileRefused("the file has too many rows", problems=[(0, "too_many_lines")])
            rows.append((number, list(row)))
        return rows
    finally:
        book.close()


def _header(rows: list[tuple[int, list[Any]]]) -> tuple[int, dict[str, int]] | None:
    for index, (_number, row) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for position, cell in enumerate(row):
            key = _squash(cell)
            for column, names in HEADERS.items():
                if key in names and column not in columns:
                    columns[column] = position
        if all(column in columns for column in REQUIRED):
            return index, columns
    return None


def _cell(row: list[Any], position: int | None) -> Any:
    if position is None or position >= len(row):
        return None
    return row[position]


def _source(raw: Any) -> str | None:
    value = _squash(raw)
    if not value:
        return DEFAULT_SOURCE
    if value in engine.REGISTRY.get("execution").rules.get("budget_sources", {}):
        return value
    for word, code in SOURCE_WORDS:
        if word in value:
            return code
    return None


def _amount(raw: Any) -> Decimal:
    if isinstance(raw, float):
        raw = repr(raw)
    return parse_money("amount", raw)


def read_lines(data: bytes) -> list[OrdinanceLine]:
    """The ordinance's lines, or OrdinanceFileRefused naming every bad row (nothing is half-read)."""
    if not data:
        raise OrdinanceFileRefused("the file is empty", problems=[(0, "unreadable")])
    if len(data) > MAX_FILE_BYTES:
        raise OrdinanceFileRefused("the file is too large", problems=[(0, "too_large")])
    rows = _rows_of_xlsx(data) if zipfile.is_zipfile(io.BytesIO(data)) else _rows_of_csv(data)
    found = _header(rows)
    if found is None:
        raise OrdinanceFileRefused("no header row with code, name and amount", problems=[(0, "no_header")])
    start, columns = found
    code_rule = elaas_code_rule()
    lines: list[OrdinanceLine] = []
    problems: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, row in rows[start + 1 :]:
        code = text.thai_to_ascii(str(_cell(row, columns["code"]) or "").strip())
        name = " ".join(str(_cell(row, columns["name"]) or "").split())
        raw_amount = _cell(row, columns["amount"])
        if not code and not name and raw_amount in (None, ""):
            continue
        if not code and name.startswith("รวม"):
            continue  # a total line
        if not code:
            problems.append((number, "no_code"))
            continue
        if len(code) > code_rule.get("max_length", 50) or not re.fullmatch(code_rule["pattern"], code):
            problems.append((number, "bad_code"))
            continue
        if code in seen:
            problems.append((number, "duplicate_code"))
            continue
        seen.add(code)
        if not name:
            problems.append((number, "no_name"))
            continue
        try:
            amount = _amount(raw_amount)
        except DomainError:
            problems.append((number, "bad_amount"))
            continue
        if amount <= 0:
            problems.append((number, "bad_amount"))
            continue
        source = _source(_cell(row, columns.get("source")))
        if source is None:
            problems.append((number, "bad_source"))
            continue
        lines.append(OrdinanceLine(number, code, name[:500], amount, source))
    if len(lines) > MAX_LINES:
        problems.append((0, "too_many_lines"))
    if not lines and not problems:
        problems.append((0, "no_lines"))
    if problems:
        raise OrdinanceFileRefused(f"{len(problems)} rows cannot be read", problems=problems)
    return lines


# -- matching --------------------------------------------------------------------------------------
_NAME_NOISE = re.compile(r"[\s\"'“”.,:;()\[\]\-–—/]+")


def normalised_name(name: str) -> str:
    """A name for comparison: digits in ASCII, no spaces or punctuation, no leading "โครงการ"."""
    value = _NAME_NOISE.sub("", text.thai_to_ascii(name)).lower()
    return value.removeprefix("โครงการ")


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, normalised_name(a), normalised_name(b)).ratio()


def chain(plan_id: int, year: int) -> str:
    return f"ordinance:{plan_id}:{year}"


def _marked_codes(plan_id: int, year: int) -> set[str]:
    events = db.session.scalars(
        select(AuditEvent.data).where(
            AuditEvent.chain == chain(plan_id, year), AuditEvent.action == NOT_IN_PLAN
        )
    )
    return {data.get("code") for data in events if data}


def _coded(plan_id: int) -> dict[str, list[ProjectExecution]]:
    rows = db.session.scalars(
        select(ProjectExecution).where(
            ProjectExecution.plan_id == plan_id, ProjectExecution.elaas_budget_code.is_not(None)
        )
    )
    found: dict[str, list[ProjectExecution]] = {}
    for row in rows:
        found.setdefault(row.elaas_budget_code or "", []).append(row)
    return found


def match_lines(plan_id: int, year: int, lines: list[OrdinanceLine]) -> list[Match]:
    records = current_records(plan_id)
    names = {r.project_no: r.name for r in records}
    own_codes: dict[str, int] = {}
    for record in records:  # by number: were two projects to carry one code, the first one's
        if record.elaas_budget_code:
            own_codes.setdefault(record.elaas_budget_code, record.project_no)
    coded = _coded(plan_id)
    marked = _marked_codes(plan_id, year)
    matches = []
    for line in lines:
        items = coded.get(line.code, [])
        this_year = [e for e in items if e.fiscal_year_be == year]
        if this_year:
            no, amount = this_year[0].project_no, this_year[0].budgeted_amount
            differs = amount if amount != line.amount else None
            matches.append(Match(line, "budgeted", no, names.get(no), item_amount=differs))
            continue
        if line.code in own_codes:
            no = own_codes[line.code]
            matches.append(Match(line, "project_code", no, names.get(no)))
            continue
        if items:
            no = max(items, key=lambda e: e.fiscal_year_be).project_no
            matches.append(Match(line, "exact", no, names.get(no)))
            continue
        if line.code in marked:
            matches.append(Match(line, "marked"))
            continue
        best = max(records, key=lambda r: similarity(line.name, r.name), default=None)
        score = similarity(line.name, best.name) if best is not None else 0.0
        if best is not None and score >= NAME_SIMILARITY:
            matches.append(Match(line, "similar", best.project_no, best.name, round(score, 2)))
        else:
            matches.append(Match(line, "unmatched"))
    return matches


# -- use cases -------------------------------------------------------------------------------------
def _kept(sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise OrdinanceImportGone("not an import token")
    root = (
        current_app.config.get("ORDINANCE_IMPORTS_DIR")
        or Path(current_app.instance_path) / "ordinance_imports"
    )
    return Path(root) / f"{sha256}.bin"


def require_importer(actor, plan_id: int):
    """The plan, if ``actor`` imports its ordinance (its LAO's planners); else NotFound/PermissionDenied."""
    plan = plans.get_plan(actor, plan_id)
    execution._require_recorder(actor, plan.organisation)
    return plan


def _plan_for(actor, plan_id: int, year: Any):
    plan = plans.get_plan(actor, plan_id)
    execution._require_recorder(actor, plan.organisation)
    return plan, text.parse_int(year, field="fiscal_year_be", minimum=2400, maximum=2700)


def _announced_on(year: int | None, raw: Any) -> date | None:
    """The ordinance's announcement date if given, checked against the fiscal year's window."""
    day = text.parse_typed_date(raw, field="ordinance_announced_on")
    if day is not None and year is not None:
        check_ordinance_announced_on(year, day)
    return day


def preview(
    actor, plan_id: int, fiscal_year_be: Any, data: bytes, ordinance_announced_on: Any = None
) -> Preview:
    """Read and match an uploaded file (nothing is written but the kept file)."""
    plan, year = _plan_for(actor, plan_id, fiscal_year_be)
    announced = _announced_on(year, ordinance_announced_on)
    lines = read_lines(data)
    sha = file_digest(data)
    path = _kept(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    records = current_records(plan.id)
    return Preview(
        sha,
        match_lines(plan.id, year, lines),
        [(r.project_no, r.name) for r in records],
        {r.project_no for r in records if r.elaas_budget_code},
        announced,
    )


def load_preview(
    actor, plan_id: int, fiscal_year_be: Any, sha256: str, ordinance_announced_on: Any = None
) -> Preview:
    """The preview of a kept file again (the confirm page after a refusal)."""
    path = _kept(sha256)
    if not path.exists():
        raise OrdinanceImportGone("the kept file is gone")
    try:
        announced = _announced_on(None, ordinance_announced_on)
    except DomainError:
        announced = None  # the page asks for it again
    return preview(actor, plan_id, fiscal_year_be, path.read_bytes(), announced)


def _details_with(item: ProjectExecution, line: OrdinanceLine) -> dict:
    values = execution.budget_details(item)
    keep = {name: "" if values[name] is None else str(values[name]) for name in execution.DETAIL_FIELDS}
    keep["budget_source"] = line.source
    keep["elaas_budget_code"] = line.code
    return keep


def confirm(
    actor,
    plan_id: int,
    fiscal_year_be: Any,
    sha256: str,
    decisions: dict[int, str],
    record_codes: Iterable[int] = (),
    ordinance_announced_on: Any = None,
) -> Outcome:
    """Apply the person's decisions, by row: ``"<project_no>"`` budgets (or completes) that project's
    year with the line, ``"not_in_plan"`` records the line as not from the plan, blank leaves it. For
    the rows in ``record_codes`` the line's code is also recorded on a project that has none."""
    path = _kept(sha256)
    if not path.exists():
        raise OrdinanceImportGone("the kept file is gone")
    outcome = Outcome()
    record_rows = set(record_codes)
    with transaction():
        plan, year = _plan_for(actor, plan_id, fiscal_year_be)
        _announced_on(year, ordinance_announced_on)
        advisory_lock(f"ordinance-import:{plan.id}:{year}")
        lines = read_lines(path.read_bytes())
        matches = {m.line.row: m for m in match_lines(plan.id, year, lines)}
        taken: set[int] = set()
        for row, match in sorted(matches.items()):
            choice = (decisions.get(row) or "").strip()
            line = match.line
            if match.status in ("budgeted", "marked") or not choice:
                outcome.unchanged += 1
                continue
            if choice == NOT_IN_PLAN:
                audit.append(
                    chain(plan.id, year),
                    NOT_IN_PLAN,
                    actor=actor,
                    organisation_id=plan.organisation_id,
                    data={
                        "row": row,
                        "code": line.code,
                        "name": line.name,
                        "amount": str(line.amount),
                        "source": line.source,
                        "file_sha256": sha256,
                    },
                )
                outcome.marked += 1
                continue
            number = text.parse_int(choice, field="project_no", minimum=1)
            if number in taken:
                raise InvalidInput(f"project {number} is chosen for two lines", field="project_no", row=row)
            taken.add(number or 0)
            _apply(actor, plan.id, year, number, line, outcome)
            if row in record_rows and match.status != "project_code":
                _record_code(actor, plan, year, number, line, sha256, outcome)
    return outcome


def _record_code(
    actor, plan, year: int, number: Any, line: OrdinanceLine, sha256: str, outcome: Outcome
) -> None:
    """Record the line's code on the project's record in force, if it has none and no other project
    of the plan carries it. The code is no ผ.02 column, so it is written in place (no revision), with
    its own event on the plan's content chain."""
    records = db.session.scalars(
        select(ProjectRecord)
        .where(ProjectRecord.plan_id == plan.id, ProjectRecord.valid_to.is_(None))
        .with_for_update()
    ).all()
    record = next((r for r in records if r.project_no == number), None)
    holders = [r.project_no for r in records if r.elaas_budget_code == line.code]
    if record is None or record.elaas_budget_code or holders:
        outcome.not_coded.append(number)
        return
    record.elaas_budget_code = line.code
    db.session.flush()
    audit.append(
        plans.content_chain(plan.id),
        RECORD_CODE,
        actor=actor,
        organisation_id=plan.organisation_id,
        data={
            "project_no": number,
            "elaas_budget_code": line.code,
            "fiscal_year_be": year,
            "row": line.row,
            "file_sha256": sha256,
        },
    )
    outcome.coded.append(number)


def _apply(actor, plan_id: int, year: int, number: Any, line: OrdinanceLine, outcome: Outcome) -> None:
    item = db.session.scalar(
        select(ProjectExecution).where(
            ProjectExecution.plan_id == plan_id,
            ProjectExecution.project_no == number,
            ProjectExecution.fiscal_year_be == year,
        )
    )
    if item is None:
        item = execution.budget_project(actor, plan_id, number, year, line.amount)
        db.session.flush()
        outcome.created.append(item.id)
    elif item.elaas_budget_code == line.code and item.budget_source == line.source:
        outcome.unchanged += 1
        return
    else:
        outcome.updated.append(item.id)
    if execution.records_budget_details(item):
        execution.record_budget_details(actor, item.id, _details_with(item, line))

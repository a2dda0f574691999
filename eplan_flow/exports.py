"""Spreadsheet downloads that cannot run anything: the one rule for every CSV and Excel export.

A title typed by an LAO ("=HYPERLINK(...)", "+cmd|...", "@SUM(...)") would otherwise reach a
provincial officer's spreadsheet as a formula (CSV injection, OWASP). Every text cell that a
spreadsheet would read as a formula gets a leading single quote, which Excel and LibreOffice show as
text; real numbers (``int``, ``Decimal``, ``float``) are left alone, so a negative amount stays a
number. In xlsx, text cells are also typed as text explicitly: openpyxl otherwise stores any string
starting with ``=`` as a formula and ``#N/A`` as an error.

Every download (the oversight table, the back office's lists) goes through ``csv_bytes`` or
``xlsx_bytes``, or through ``safe_cell`` where a library writes the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

# OWASP's list (= + - @ tab CR), plus LF and the full-width forms, which some spreadsheets fold
# to their ASCII twins on import.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
QUOTE = "'"
_FIRST_CHARACTERS = frozenset(FORMULA_PREFIXES)
# Written as themselves: numbers stay numbers, dates stay dates.
_VALUES = (bool, int, float, Decimal, date, datetime, time)
# A number written as text ("-1500.50") is harmless and stays readable as a number.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
# Characters XML (so xlsx) cannot hold; openpyxl raises on them, which would turn a download into a 500.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
UTF8_BOM = b"\xef\xbb\xbf"


def safe_cell(value):
    """``value`` as a spreadsheet must store it: text that would start a formula gets a leading quote."""
    if type(value) is str:  # the common case first: a download has thousands of cells
        text = value
    elif value is None or isinstance(value, _VALUES):
        return value
    else:
        text = str(value)
    if text[:1] in _FIRST_CHARACTERS and not _PLAIN_NUMBER.fullmatch(text):
        return QUOTE + text
    return text


def safe_row(row: Iterable) -> list:
    return [safe_cell(v) for v in row]


def csv_bytes(headers: Sequence, rows: Iterable[Iterable], *, bom: bool = True) -> bytes:
    """A CSV file in UTF-8 (with a byte-order mark, so Excel reads Thai as Thai), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row(headers))
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    data = buffer.getvalue().encode("utf-8")
    return UTF8_BOM + data if bom else data


def csv_chunks(headers: Sequence, rows: Iterable[Iterable], *, bom: bool = True, every: int = 500):
    """``csv_bytes`` as a stream of byte chunks (``every`` rows each), for a download too big to build
    in memory first: each chunk is written as the rows come."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row(headers))
    head = buffer.getvalue().encode("utf-8")
    yield UTF8_BOM + head if bom else head
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, 1):
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
        if count % every == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def xlsx_bytes(sheet_title: str, headers: Sequence, rows: Iterable[Iterable]) -> bytes:
    """An Excel workbook of one sheet: numbers as numbers, dates as dates, text as text (never a formula)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_title(sheet_title))
    sheet.append(_xlsx_row(sheet, headers))
    for row in rows:
        sheet.append(_xlsx_row(sheet, row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_row(sheet, row: Iterable) -> list:
    out = []
    for value in row:
        value = safe_cell(value)
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=_XML_ILLEGAL.sub("", value))
            cell.data_type = "s"  # never "f" (formula) or "e" (error), whatever the text looks like
            out.append(cell)
        else:
            out.append(value)  # openpyxl writes Decimal and int as numbers; None as an empty cell
    return out


def _sheet_title(title: str) -> str:
    # Excel refuses these characters and titles over 31 characters.
    return re.sub(r"[\\/*?:\[\]]", " ", title)[:31] or "Sheet"


__all__ = ["CSV_MIMETYPE", "XLSX_MIMETYPE", "csv_bytes", "csv_chunks", "safe_cell", "safe_row", "xlsx_bytes"]

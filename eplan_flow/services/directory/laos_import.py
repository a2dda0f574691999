"""Import LAOs from DLA's open-data file (dataset dlads_05_01), idempotently.

Rows are keyed on the 7-digit LAO code; the type is read from its own column and never derived
from the code (two ทต. still carry the อบต. prefix 6, docs/DOMAIN.md §1). The whole file is checked and
written in one transaction with a handful of bulk statements, so a full national file (7,849 rows)
takes a second or two, and a failure leaves nothing half-written.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import geothai
from sqlalchemy import insert, select, update

from eplan_flow import text as cleaning
from eplan_flow.errors import InvalidInput
from eplan_flow.extensions import db
from eplan_flow.models import District, Organisation, Province
from eplan_flow.models._types import utcnow
from eplan_flow.services.directory import geography
from eplan_flow.services.platform import audit
from eplan_flow.services.platform.unit_of_work import transaction


def N_(msgid: str) -> str:
    """Mark a msgid for extraction; the presentation layer translates it."""
    return msgid


# DLA's labels in the type_th column, and the short forms people write.
TYPE_LABELS = {
    "อบจ.": "pao",
    "องค์การบริหารส่วนจังหวัด": "pao",
    "เทศบาลนคร": "city_municipality",
    "ทน.": "city_municipality",
    "เทศบาลเมือง": "town_municipality",
    "ทม.": "town_municipality",
    "เทศบาลตำบล": "subdistrict_municipality",
    "ทต.": "subdistrict_municipality",
    "อบต.": "sao",
    "องค์การบริหารส่วนตำบล": "sao",
    "รูปแบบพิเศษ": "pattaya",
    "เมืองพัทยา": "pattaya",
}

REQUIRED_COLUMNS = ("dla_code", "type_th", "name_th", "province_code", "district_th")
OPTIONAL_COLUMNS = ("province_th", "lat", "lon", "area_km2")

# Thailand's bounding box (5.6–20.5 N, 97.3–105.7 E) with a margin: DLA rounds some points
# to whole degrees (5, 97), and those are still Thai, if coarse.
LAT_RANGE = (4.5, 21.0)
LON_RANGE = (96.5, 106.5)

# Reasons a row is rejected (or warned about), by stable key; English msgids for the UI.
REASONS = {
    "malformed_row": N_("the row has %(found)s fields, the header %(expected)s"),
    "bad_code": N_("the LAO code %(value)r is not exactly 7 digits"),
    "duplicate_code": N_("the LAO code %(value)s already appeared on line %(first_line)s"),
    "unknown_type": N_("unknown LAO type %(value)r"),
    "unknown_province": N_("unknown province code %(value)r"),
    "missing_name": N_("the name is missing"),
    "bad_lat": N_("latitude %(value)r is not a number within Thailand"),
    "bad_lon": N_("longitude %(value)r is not a number within Thailand"),
    "bad_area": N_("area %(value)r is not a non-negative number"),
    "not_a_lao": N_("the code %(value)s belongs to an organisation that is not an LAO"),
    # Warnings: the row is imported.
    "district_unmatched": N_(
        "district %(value)r matches no district of province %(province)s; imported without a district code"
    ),
    "half_coordinate": N_("only one of latitude and longitude is given; imported as given"),
    "province_name_mismatch": N_(
        "province name %(value)r is not the name of province %(province)s (%(expected)s); imported by code"
    ),
}

_CODE = re.compile(r"[0-9]{7}")
_FIELDS = (
    "kind",
    "lao_type",
    "name_th",
    "province_code",
    "district_code",
    "district_name_th",
    "lat",
    "lon",
    "area_km2",
)


# Fills the missing fields of a short CSV row, so it can be told from a blank field.
_MISSING = object()


class RowIssue(NamedTuple):
    """A rejected or warned row: its line in the file, its code, why (English) and the keys of
    ``REASONS`` that say so, with their parameters (for a translated message)."""

    line: int
    code: str
    reason: str
    problems: tuple[str, ...]
    params: dict


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    offices_added: int = 0
    audit_event_id: int | None = None

    @property
    def counts(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "warnings": len(self.warnings),
            "offices_added": self.offices_added,
        }


def _issue(line: int, code: str, problem: str, **params) -> RowIssue:
    return RowIssue(line, code, REASONS[problem] % params, (problem,), {problem: params})


# -- reading ---------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Files saved from Thai Excel are often TIS-620 (Windows-874).
        return data.decode("cp874")
    except UnicodeDecodeError:
        raise InvalidInput("the file is neither UTF-8 nor TIS-620 text", field="file") from None


def read_rows(source) -> tuple[str, list[tuple[int, dict]]]:
    """Read a CSV path, a text or binary stream, or an iterable of row dicts.

    Returns the source's name and ``(line number, row)`` pairs (the header is line 1). Raises
    ``InvalidInput`` when the file cannot be read as DLA's format, ``OSError`` when it cannot be
    opened.
    """
    if isinstance(source, (str, os.PathLike)):
        name = Path(source).name
        text = _decode(Path(source).read_bytes())
    elif hasattr(source, "read_bytes"):  # a package resource (importlib.resources)
        name = source.name
        text = _decode(source.read_bytes())
    elif hasattr(source, "read"):
        name = getattr(source, "name", "<stream>")
        data = source.read()
        text = _decode(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    else:
        rows = [dict(r) for r in source]
        _check_columns(set().union(*(r.keys() for r in rows)) if rows else set(REQUIRED_COLUMNS))
        return "<rows>", [(n, r) for n, r in enumerate(rows, start=2)]
    # restval may be any object (here a sentinel no cell can be); typeshed allows only a str.
    reader = csv.DictReader(io.StringIO(text, newline=""), restval=_MISSING)  # type: ignore[call-overload]
    header = [(h or "").strip() for h in (reader.fieldnames or [])]
    _check_columns(set(header))
    reader.fieldnames = header
    try:
        return name, [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num}: {exc}", field="file") from None


def _check_columns(columns: set) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InvalidInput(
            f"not a DLA LAO file: missing column(s) {', '.join(missing)} "
            f"(expected {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)})",
            field="file",
        )


# -- district names --------------------------------------------------------------------------


def clean_name(name: str) -> str:
    """One spelling for a Thai name: tidied (NFC, no invisible characters), sara am composed, no
    level word."""
    name = cleaning.tidy(name).replace("\u0e4d\u0e32", "\u0e33")  # นิคหิต + สระอา typed for สระอำ
    return geothai.normalize(name)


class DistrictIndex:
    """Finds the DOPA district code for a district name as DLA writes it, within a province."""

    def __init__(self) -> None:
        self._by_name: dict[tuple[str, str], str] = {}
        self._capital: dict[str, str] = {}
        self._province_name: dict[str, str] = {}
        self._province_names_th: dict[str, str] = {}
        for code, name in db.session.execute(select(Province.code, Province.name_th)):
            self._province_name[code] = clean_name(name)
            self._province_names_th[code] = name
        for code, province_code, name in db.session.execute(
            select(District.code, District.province_code, District.name_th)
        ):
            self._by_name[(province_code, clean_name(name))] = code
            if code.endswith("01"):
                self._capital[province_code] = code  # DOPA numbers the capital district 01

    def province_name_matches(self, province_code: str, name: str) -> bool:
        return clean_name(name) in ("", self._province_name.get(province_code))

    def province_name(self, province_code: str) -> str:
        return self._province_names_th.get(province_code, "")

    def match(self, province_code: str, name: str) -> str | None:
        key = clean_name(name)
        if not key:
            return None
        found = self._by_name.get((province_code, key))
        if found:
            return found
        # The capital district: "เมือง", "เมืองX" or plain "X" for province X (and the reverse:
        # DOPA's capital of Ayutthaya is "พระนครศรีอยุธยา", which DLA may write "เมือง...").
        province = self._province_name.get(province_code, "")
        if key in ("เมือง", "เมือง" + province, province):
            return self._capital.get(province_code)
        return None


# -- validation ------------------------------------------------------------------------------


def _number(raw: str | None) -> tuple[float | None, bool]:
    """Parse an optional number: (value, ok). Blank is (None, True)."""
    raw = (raw or "").strip().replace(",", "")
    if not raw:
        return None, True
    try:
        value = float(raw)
    except ValueError:
        return None, False
    return (value, True) if math.isfinite(value) else (None, False)


def _validate(
    line: int, row: Mapping, provinces: set[str], districts: DistrictIndex, report: ImportReport
) -> dict | None:
    """Return the organisation's values, or record why the row is rejected and return None."""
    raw_code = row.get("dla_code")
    raw_code = raw_code.strip() if isinstance(raw_code, str) else ""
    if None in row or any(v is _MISSING for v in row.values()):
        given = [k for k, v in row.items() if k is not None and v is not _MISSING]
        report.rejected.append(
            _issue(
                line,
                raw_code,
                "malformed_row",
                found=len(given) + len(row.get(None) or []),
                expected=len([k for k in row if k is not None]),
            )
        )
        return None
    values, problems = _read_fields(line, raw_code, row, provinces)
    if problems:
        report.rejected.append(
            RowIssue(
                line,
                raw_code,
                "; ".join(p.reason for p in problems),
                tuple(k for p in problems for k in p.problems),
                {k: v for p in problems for k, v in p.params.items()},
            )
        )
        return None
    district_name = " ".join((row.get("district_th") or "").split()) or None
    district_code = districts.match(values["province_code"], district_name or "")
    report.warnings.extend(_warnings(line, raw_code, row, values, district_name, district_code, districts))
    return {
        "code": raw_code,
        "kind": "lao",
        "lao_type": values["lao_type"],
        "name_th": values["name_th"],
        "province_code": values["province_code"],
        "district_code": district_code,
        "district_name_th": district_name,
        "lat": values["lat"],
        "lon": values["lon"],
        "area_km2": values["area_km2"],
    }


def _read_fields(line: int, raw_code: str, row: Mapping, provinces: set[str]) -> tuple[dict, list[RowIssue]]:
    """The row's type, name, province and geometry, and every problem that rejects it."""
    problems: list[RowIssue] = []
    if not _CODE.fullmatch(raw_code):
        problems.append(_issue(line, raw_code, "bad_code", value=raw_code))
    raw_type = " ".join((row.get("type_th") or "").split())
    lao_type = TYPE_LABELS.get(raw_type)
    if lao_type is None:
        problems.append(_issue(line, raw_code, "unknown_type", value=raw_type))
    province_code = (row.get("province_code") or "").strip()
    if province_code not in provinces:
        problems.append(_issue(line, raw_code, "unknown_province", value=province_code))
    name = " ".join((row.get("name_th") or "").split())
    if not name:
        problems.append(_issue(line, raw_code, "missing_name"))
    lat, lat_ok = _number(row.get("lat"))
    if not lat_ok or (lat is not None and not LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
        problems.append(_issue(line, raw_code, "bad_lat", value=(row.get("lat") or "").strip()))
    lon, lon_ok = _number(row.get("lon"))
    if not lon_ok or (lon is not None and not LON_RANGE[0] <= lon <= LON_RANGE[1]):
        problems.append(_issue(line, raw_code, "bad_lon", value=(row.get("lon") or "").strip()))
    area, area_ok = _number(row.get("area_km2"))
    if not area_ok or (area is not None and area < 0):
        problems.append(_issue(line, raw_code, "bad_area", value=(row.get("area_km2") or "").strip()))
    values = {
        "lao_type": lao_type,
        "name_th": name,
        "province_code": province_code,
        "lat": lat,
        "lon": lon,
        "area_km2": area,
    }
    return values, problems


def _warnings(
    line: int,
    raw_code: str,
    row: Mapping,
    values: dict,
    district_name: str | None,
    district_code: str | None,
    districts: DistrictIndex,
) -> list[RowIssue]:
    """What is imported as given but worth a look: an unmatched district, half a point, a province
    name that is not the code's."""
    province_code = values["province_code"]
    warnings = []
    if district_code is None:
        warnings.append(
            _issue(line, raw_code, "district_unmatched", value=district_name or "", province=province_code)
        )
    if (values["lat"] is None) != (values["lon"] is None):
        warnings.append(_issue(line, raw_code, "half_coordinate"))
    province_name = row.get("province_th") or ""
    if not districts.province_name_matches(province_code, province_name):
        warnings.append(
            _issue(
                line,
                raw_code,
                "province_name_mismatch",
                value=province_name.strip(),
                province=province_code,
                expected=districts.province_name(province_code),
            )
        )
    return warnings


# -- the use case ----------------------------------------------------------------------------


def stage_import(
    actor, rows: list[tuple[int, dict]], *, source: str = "<rows>", audit_unchanged: bool = True
) -> ImportReport:
    """Validate and upsert LAO rows, add their offices and the audit event; the caller commits."""
    report = ImportReport()
    geography.stage_geography()
    valid = _valid_rows(rows, report)
    _upsert_laos(valid, report)
    not_lao = {issue.code for issue in report.rejected if "not_a_lao" in issue.problems}
    report.offices_added = geography.stage_offices(
        {v["province_code"] for _, v in valid if v["code"] not in not_lao}
    )
    if audit_unchanged or report.added or report.updated or report.rejected:
        event = audit.append(
            "import:laos",
            "import_laos",
            actor=actor,
            organisation_id=getattr(actor, "organisation_id", None),
            data={**report.counts, "rows": len(rows), "source": source[:200]},
        )
        db.session.flush()
        report.audit_event_id = event.id
    return report


def _valid_rows(rows: list[tuple[int, dict]], report: ImportReport) -> list[tuple[int, dict]]:
    """The rows that pass validation, a repeated code rejected after its first line."""
    provinces = set(db.session.execute(select(Province.code)).scalars())
    districts = DistrictIndex()
    first_seen: dict[str, int] = {}
    valid: list[tuple[int, dict]] = []
    for line, row in rows:
        values = _validate(line, row, provinces, districts, report)
        code = row.get("dla_code")
        code = code.strip() if isinstance(code, str) else ""
        if _CODE.fullmatch(code):
            if code in first_seen:
                if values is not None:
                    report.rejected.append(
                        _issue(line, code, "duplicate_code", value=code, first_line=first_seen[code])
                    )
                    values = None
            else:
                first_seen[code] = line
        if values is not None:
            valid.append((line, values))
    return valid


def _upsert_laos(valid: list[tuple[int, dict]], report: ImportReport) -> None:
    """Insert the new LAOs and update the changed ones, in two bulk statements; refuse a code that
    belongs to an office."""
    existing = {
        r.code: r
        for r in db.session.execute(
            select(Organisation.id, Organisation.code, *(getattr(Organisation, f) for f in _FIELDS))
        )
    }
    now = utcnow()
    inserts, updates = [], []
    for line, values in valid:
        current = existing.get(values["code"])
        if current is None:
            inserts.append({**values, "is_active": True, "created_at": now, "updated_at": now})
        elif current.kind != "lao":
            report.rejected.append(_issue(line, values["code"], "not_a_lao", value=values["code"]))
        elif any(getattr(current, f) != values[f] for f in _FIELDS):
            updates.append({**values, "id": current.id, "updated_at": now})
        else:
            report.unchanged += 1
    report.rejected.sort(key=lambda issue: issue.line)
    if inserts:
        db.session.execute(insert(Organisation).execution_options(render_nulls=True), inserts)
    if updates:
        db.session.execute(update(Organisation), updates)
    report.added, report.updated = len(inserts), len(updates)


def import_laos(actor, source, *, audit_unchanged: bool = True) -> ImportReport:
    """Import LAOs from DLA's CSV (a path, a stream or row dicts): all rows or nothing, once audited.

    A row that fails validation is rejected and reported with its line and reason; the good rows
    are imported. ``audit_unchanged=False`` skips the audit event when nothing changed (the demo
    seed uses it to stay idempotent).
    """
    name, rows = read_rows(source)
    with transaction():
        report = stage_import(actor, rows, source=name, audit_unchanged=audit_unchanged)
    return report

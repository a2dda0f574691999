"""Reference geography (DOPA provinces, districts, subdistricts) and the oversight offices.

The ``stage_*`` functions work inside the caller's transaction (the LAO import and the demo seed
use them); ``load_geography`` and ``ensure_offices`` are the use cases that commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geothai
from sqlalchemy import insert, select, update

from eplan_flow.errors import InvalidInput
from eplan_flow.extensions import db
from eplan_flow.models import District, Organisation, Province, Subdistrict
from eplan_flow.models._types import utcnow
from eplan_flow.services.platform.unit_of_work import transaction

DLA_CODE = "DLA"
DLA_NAME = "กรมส่งเสริมการปกครองท้องถิ่น"
PROVINCIAL_OFFICE_PREFIX = "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด"
DISTRICT_OFFICE_PREFIX = "สำนักงานส่งเสริมการปกครองท้องถิ่นอำเภอ"


def provincial_office_code(province_code: str) -> str:
    return f"PO-{province_code}"


def district_office_code(district_code: str) -> str:
    return f"DO-{district_code}"


@dataclass
class GeographyReport:
    provinces: int
    districts: int
    subdistricts: int
    added: int = 0
    updated: int = 0


def _geothai_rows() -> tuple[list[dict], list[dict], list[dict]]:
    provinces, districts, subdistricts = [], [], []
    for p in geothai.provinces():
        provinces.append({"code": p.code, "name_th": p.name_th, "name_en": p.name_en})
        for d in geothai.districts(p.code):
            districts.append(
                {"code": d.code, "province_code": p.code, "name_th": d.name_th, "name_en": d.name_en}
            )
            for s in geothai.subdistricts(d.code):
                subdistricts.append(
                    {
                        "code": s.code,
                        "district_code": d.code,
                        "name_th": s.name_th,
                        "name_en": s.name_en,
                        "postal_code": s.postal_codes[0] if s.postal_codes else None,
                    }
                )
    return provinces, districts, subdistricts


def _upsert_by_code(model, rows: list[dict]) -> tuple[int, int]:
    """Insert missing rows and update changed ones, in two bulk statements; return the counts."""
    columns = [getattr(model, name) for name in rows[0]] if rows else []
    existing = {r[0]: tuple(r) for r in db.session.execute(select(*columns))} if rows else {}
    inserts, updates = [], []
    for row in rows:
        current = existing.get(row["code"])
        if current is None:
            inserts.append(row)
        elif current != tuple(row.values()):
            updates.append(row)
    if inserts:
        db.session.execute(insert(model).execution_options(render_nulls=True), inserts)
    if updates:
        db.session.execute(update(model), updates)
    return len(inserts), len(updates)


def stage_geography() -> GeographyReport:
    """Upsert every province, district and subdistrict from ``geothai``; the caller commits."""
    provinces, districts, subdistricts = _geothai_rows()
    added = updated = 0
    # Parents first, for the foreign keys.
    for model, rows in ((Province, provinces), (District, districts), (Subdistrict, subdistricts)):
        a, u = _upsert_by_code(model, rows)
        added += a
        updated += u
    return GeographyReport(len(provinces), len(districts), len(subdistricts), added, updated)


def load_geography() -> GeographyReport:
    """Load Thailand's provinces, districts and subdistricts (DOPA codes), idempotently."""
    with transaction():
        report = stage_geography()
    return report


def stage_offices(province_codes: Iterable[str]) -> int:
    """Add DLA and the missing provincial and district offices of the provinces; the caller commits.

    Existing offices are left as they are (an administrator may have renamed one). Returns how
    many offices were added.
    """
    wanted = sorted(set(province_codes))
    provinces = (
        {
            p.code: p.name_th
            for p in db.session.execute(select(Province).where(Province.code.in_(wanted))).scalars()
        }
        if wanted
        else {}
    )
    unknown = [code for code in wanted if code not in provinces]
    if unknown:
        raise InvalidInput(
            f"unknown province codes {', '.join(unknown)}; load the geography first",
            field="province_codes",
        )
    districts = (
        db.session.execute(
            select(District.code, District.province_code, District.name_th)
            .where(District.province_code.in_(wanted))
            .order_by(District.code)
        ).all()
        if wanted
        else []
    )
    now = utcnow()
    offices = [
        {"code": DLA_CODE, "kind": "dla", "name_th": DLA_NAME, "province_code": None, "district_code": None}
    ]
    offices += [
        {
            "code": provincial_office_code(code),
            "kind": "provincial_office",
            "name_th": PROVINCIAL_OFFICE_PREFIX + name,
            "province_code": code,
            "district_code": None,
        }
        for code, name in sorted(provinces.items())
    ]
    offices += [
        {
            "code": district_office_code(d.code),
            "kind": "district_office",
            "name_th": DISTRICT_OFFICE_PREFIX + d.name_th,
            "province_code": d.province_code,
            "district_code": d.code,
        }
        for d in districts
    ]
    present = set(
        db.session.execute(
            select(Organisation.code).where(Organisation.code.in_([o["code"] for o in offices]))
        ).scalars()
    )
    missing = [
        {**o, "lao_type": None, "is_active": True, "created_at": now, "updated_at": now}
        for o in offices
        if o["code"] not in present
    ]
    if missing:
        db.session.execute(insert(Organisation).execution_options(render_nulls=True), missing)
    return len(missing)


def ensure_offices(province_codes: Iterable[str]) -> int:
    """Make sure DLA and the offices (สถจ., สถอ.) of these provinces exist; return how many were added."""
    with transaction():
        added = stage_offices(province_codes)
    return added

"""The catalogues a plan links to, as shipped seed data (read at run time from this package).

``national_catalogues.csv`` (catalogue,code,parent,name_th,name_en), in display order:
- ``national_strategy``: the 20-year National Strategy (ยุทธศาสตร์ชาติ พ.ศ. 2561–2580), 6 strategies;
- ``master_plan``: its 23 master plans (แผนแม่บทภายใต้ยุทธศาสตร์ชาติ), ``parent`` being the code of
  the national strategy each belongs to (23, research and innovation, cuts across several; it is
  filed under competitiveness, where the National Strategy Office groups it);
- ``nesdp_milestone``: the 13 milestones (หมุดหมาย) of the 13th NESDP 2566–2570;
- ``sdg``: the 17 Sustainable Development Goals;
- ``budget_programme``: the 12 LAO budget programmes (แผนงาน), coded as in the LAO budget
  classification (ด้าน 00100–00400, แผนงาน 00110 …).

The sub-plans (``sub_plan``, แผนย่อยของแผนแม่บท, ``parent`` being the master plan's code) ship
empty: their official list is not bundled, and DLA keeps them in the back office. ``DEMO_SUB_PLANS``
are DEMO DATA for ``eplan seed-demo`` only, named as such.

``demo_catalogues_bueng_kan.csv`` (catalogue,scope,code,name_th,name_en): DEMO DATA, invented for
the Bueng Kan demo (province 38), not the province's real strategies. The provincial catalogues
ship empty otherwise: each provincial office keeps its own.
"""

from __future__ import annotations

import csv
from importlib.resources import files
from typing import NamedTuple

NATIONAL_CATALOGUES = files(__name__.rsplit(".", 1)[0]) / "national_catalogues.csv"
DEMO_CATALOGUES = files(__name__.rsplit(".", 1)[0]) / "demo_catalogues_bueng_kan.csv"

# The plan period (first B.E. year) each period-bound catalogue's shipped items serve: the 13th NESDP
# serves the plans of 2566–2570, as do the demo provincial strategies. Other catalogues: every period.
PERIODS = {"nesdp_milestone": 2566, "provincial_strategy": 2566, "province_lao_strategy": 2566}

# The catalogue a seed row's ``parent`` code points into.
PARENT_CATALOGUE = {"master_plan": "national_strategy", "sub_plan": "master_plan"}


class SeedItem(NamedTuple):
    catalogue: str
    scope: str
    code: str
    name_th: str
    name_en: str | None
    parent_code: str | None
    position: int
    period_start_be: int | None = None


def _read(resource) -> list[dict[str, str]]:
    with resource.open("r", encoding="utf-8", newline="") as source:
        return list(csv.DictReader(source))


def _items(rows: list[dict[str, str]]) -> list[SeedItem]:
    positions: dict[tuple[str, str], int] = {}
    items = []
    for row in rows:
        scope = row.get("scope") or ""
        key = (row["catalogue"], scope)
        positions[key] = positions.get(key, 0) + 1
        items.append(
            SeedItem(
                catalogue=row["catalogue"],
                scope=scope,
                code=row["code"],
                name_th=row["name_th"],
                name_en=row.get("name_en") or None,
                parent_code=row.get("parent") or None,
                position=positions[key],
                period_start_be=PERIODS.get(row["catalogue"]),
            )
        )
    return items


def national_items() -> list[SeedItem]:
    """The national catalogues, parents before their children."""
    return _items(_read(NATIONAL_CATALOGUES))


# DEMO DATA, invented for the demo (not official sub-plans): two under master plan 16 (เศรษฐกิจฐานราก)
# and one under 19 (การบริหารจัดการน้ำทั้งระบบ), so the demo shows the sub-plan dimension.
DEMO_SUB_PLANS = (
    ("DEMO-1601", "16", "แผนย่อยตัวอย่างสำหรับการสาธิต: เศรษฐกิจฐานราก 1", "Demo sub-plan: grassroots economy 1"),
    ("DEMO-1602", "16", "แผนย่อยตัวอย่างสำหรับการสาธิต: เศรษฐกิจฐานราก 2", "Demo sub-plan: grassroots economy 2"),
    ("DEMO-1901", "19", "แผนย่อยตัวอย่างสำหรับการสาธิต: การบริหารจัดการน้ำ", "Demo sub-plan: water management"),
)


def demo_sub_plans() -> list[SeedItem]:
    """The demo's sub-plans (``eplan seed-demo`` only): invented, and named so."""
    return [
        SeedItem("sub_plan", "", code, name_th, name_en, parent, position)
        for position, (code, parent, name_th, name_en) in enumerate(DEMO_SUB_PLANS, 1)
    ]


def demo_items() -> list[SeedItem]:
    """The Bueng Kan demo entries of the provincial catalogues."""
    return _items(_read(DEMO_CATALOGUES))

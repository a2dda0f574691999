"""What counts as a planned project, and how the ผ.01 arranges a plan's project kinds: version 1.

A plan holds four kinds of project (``ProjectRecord.source``): the LAO's own (ผ.02), those taken from
village and community plans (ผ.02/1), those beyond the LAO's capacity that it asks the อบจ. or another
agency to carry out (ผ.02/2), and equipment (ผ.03). Real ผ.01 sheets keep the ผ.02/2 lines and the
equipment apart from the LAO's own projects, each with its totals (../shared/DOMAIN.md §7). The
LAO carries out and budgets its own, community and equipment projects; a ผ.02/2 project is someone
else's to fund, so the monitoring report and the oversight pages do not count it as one the LAO
planned. One rule, read by the ผ.01, the evaluation figures and the oversight counts; a ministry
letter that changes it is a new version of this dict.
"""

from __future__ import annotations

from typing import Any

COUNTING_V1: dict[str, Any] = {
    "version": 1,
    # Project kinds and the form that lists each.
    "kinds": {"own": "ผ.02", "community": "ผ.02/1", "beyond_capacity": "ผ.02/2", "equipment": "ผ.03"},
    # The summary forms, each a list of parts in print order: a part is its own sub-table with its
    # totals, holding the kinds named.
    "summaries": {
        "p01": (
            {"part": "own", "kinds": ("own",)},
            {"part": "beyond_capacity", "kinds": ("beyond_capacity",)},
            {"part": "equipment", "kinds": ("equipment",)},
        ),
        "p01_1": ({"part": "community", "kinds": ("community",)},),
    },
    # The kinds counted as the LAO's planned projects (a budget line in the year) in evaluation and
    # oversight.
    "planned": ("own", "community", "equipment"),
}

COUNTING = COUNTING_V1


def planned_kinds(rules: dict = COUNTING) -> tuple[str, ...]:
    """The project kinds that count as the LAO's planned projects."""
    return tuple(rules["planned"])


def counts_as_planned(kind: str, rules: dict = COUNTING) -> bool:
    """Whether a project of ``kind`` counts as one the LAO planned."""
    return kind in rules["planned"]


def summary_parts(form: str, rules: dict = COUNTING) -> tuple[dict, ...]:
    """The parts (sub-tables) of summary ``form`` ("p01" or "p01_1"), in print order."""
    return tuple(rules["summaries"][form])

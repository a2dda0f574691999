"""How the province reaches an LAO (rule data, versioned): through the district office or directly.

The province's letters go to the นายอำเภอ "ให้อำเภอแจ้ง อปท.ทุกแห่ง" for เทศบาลตำบล and อบต., and
straight to the อบจ., เทศบาลเมือง and เทศบาลนคร (seed letter มท 0815.4/ว 3947; ../shared/DOMAIN.md
§7 "Routing"). One rule answers every question that depends on it: who is reminded and told when an
LAO is overdue, which oversight office a deadline escalates to, which LAOs a district officer reads
and acknowledges submissions of. เมืองพัทยา is a special LAO the province deals with directly.
"""

from __future__ import annotations

from typing import Any, Literal

Route = Literal["via_district", "direct"]

# Plain data (read by the functions below).
ROUTING_V1: dict[str, Any] = {
    "version": 1,
    "routes": {
        "sao": "via_district",
        "subdistrict_municipality": "via_district",
        "town_municipality": "direct",
        "city_municipality": "direct",
        "pao": "direct",
        "pattaya": "direct",
    },
    # An LAO without a known type is dealt with by the province directly (the safer default: the
    # province always reaches it).
    "default": "direct",
    # The oversight role a route escalates to, and the roles that oversee an LAO on it.
    "escalate_to": {"via_district": "district_officer", "direct": "provincial_officer"},
}

ROUTING = ROUTING_V1


def route(lao_type: str | None, rules: dict = ROUTING) -> Route:
    """'via_district' when the province works through the district office, else 'direct'."""
    return rules["routes"].get(lao_type or "", rules["default"])


def via_district(lao_type: str | None, rules: dict = ROUTING) -> bool:
    """Whether the district office stands between the province and an LAO of ``lao_type``."""
    return route(lao_type, rules) == "via_district"


def escalation_role(lao_type: str | None, rules: dict = ROUTING) -> str:
    """The oversight role told when an LAO of ``lao_type`` is overdue."""
    return rules["escalate_to"][route(lao_type, rules)]


def district_lao_types(rules: dict = ROUTING) -> tuple[str, ...]:
    """The LAO types a district office oversees (the SQL side of ``via_district``)."""
    return tuple(sorted(t for t, r in rules["routes"].items() if r == "via_district"))

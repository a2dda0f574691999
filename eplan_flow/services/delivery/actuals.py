"""Year-end actuals: what a LAO really received and spent in a fiscal year (รายรับ-รายจ่ายจริง).

Entered once the fiscal year has ended, by the LAO's planners and support-committee secretaries,
never the estimates of the budget ordinance (docs/DOMAIN.md §5). Categories are rule data below: income
by source as in the LAO's revenue classification, expenditure by งบ. Amounts are Decimal baht ≥ 0;
an empty field means "not entered" and removes the line. Every save is audited on
``actuals:<organisation id>:<fiscal year>`` and commits once or changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select

from eplan_flow import text
from eplan_flow.errors import InvalidInput, PermissionDenied, StaleState
from eplan_flow.extensions import db
from eplan_flow.models import Organisation, YearEndActual
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import PLAN_CONTENT_ROLES, can_edit_plan_content
from eplan_flow.services.delivery.evaluation import get_lao, parse_fiscal_year
from eplan_flow.services.planning.projects import parse_money
from eplan_flow.services.platform import audit
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.thaidate import fiscal_year_bounds, today_local

ZERO = Decimal("0.00")
NOTE_LIMIT = 2000

# Version 1 of the classification: category code → labels. A new classification is a new version.
CATEGORIES_V1 = {
    "version": 1,
    "income": {
        "taxes": {"th": "ภาษีอากร", "en": "Taxes and duties"},
        "fees_fines_licences": {"th": "ค่าธรรมเนียม ค่าปรับ และใบอนุญาต", "en": "Fees, fines and licences"},
        "property": {"th": "รายได้จากทรัพย์สิน", "en": "Income from property"},
        "utilities": {"th": "รายได้จากสาธารณูปโภค", "en": "Income from public utilities and commerce"},
        "miscellaneous": {"th": "รายได้เบ็ดเตล็ด", "en": "Miscellaneous income"},
        "capital": {"th": "รายได้จากทุน", "en": "Capital income"},
        "shared_taxes": {"th": "ภาษีจัดสรร", "en": "Taxes allocated by the government"},
        "general_subsidy": {"th": "เงินอุดหนุนทั่วไป", "en": "General subsidies"},
        "specific_subsidy": {"th": "เงินอุดหนุนเฉพาะกิจ", "en": "Specific-purpose subsidies"},
    },
    "expenditure": {
        "central": {"th": "งบกลาง", "en": "Central fund"},
        "personnel": {"th": "งบบุคลากร", "en": "Personnel"},
        "operating": {"th": "งบดำเนินงาน", "en": "Operating expenses"},
        "investment": {"th": "งบลงทุน", "en": "Investment"},
        "subsidies": {"th": "งบเงินอุดหนุน", "en": "Subsidies granted"},
        "other": {"th": "งบรายจ่ายอื่น", "en": "Other expenditure"},
    },
}
KINDS = ("income", "expenditure")


class YearNotEnded(InvalidInput):
    """Actuals of a fiscal year that has not ended yet."""

    code = "fiscal_year_not_ended"


class InvalidActuals(InvalidInput):
    """One or more amounts are not valid; ``details["errors"]`` names each field and why."""

    code = "invalid_actuals"


def field_name(kind: str, category: str) -> str:
    """The form and API name of a category's amount, e.g. ``income-taxes``."""
    return f"{kind}-{category}"


def fields(rules: dict = CATEGORIES_V1) -> list[tuple[str, str, str]]:
    """``(kind, category, field name)`` of every category, in the order of the form."""
    return [(kind, category, field_name(kind, category)) for kind in KINDS for category in rules[kind]]


def label(kind: str, category: str, locale: str = "th", rules: dict = CATEGORIES_V1) -> str:
    labels = rules.get(kind, {}).get(category)
    if labels is None:
        return category  # a category of an older classification: show its code
    return labels.get(locale) or labels["th"]


def may_enter(actor, org) -> bool:
    """Whether ``actor`` enters ``org``'s actuals (its planners and support-committee secretaries)."""
    return can_edit_plan_content(actor, org)


def year_ended(fiscal_year_be: int, today=None) -> bool:
    """Whether the fiscal year is over (30 September passed), so its actuals can be entered."""
    return fiscal_year_bounds(fiscal_year_be)[1] < (today or today_local())


@dataclass
class Actuals:
    organisation: Organisation
    fiscal_year_be: int
    # field name → amount, for the lines entered
    amounts: dict[str, Decimal] = field(default_factory=dict)
    # One note for the year's figures (e.g. the source: the year-end financial statements).
    note: str | None = None
    entered_at: datetime | None = None

    def total(self, kind: str) -> Decimal:
        return sum((a for name, a in self.amounts.items() if name.startswith(f"{kind}-")), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.total("income") - self.total("expenditure")

    @property
    def is_empty(self) -> bool:
        return not self.amounts


def get_actuals(actor, org_id: int, fiscal_year_be) -> Actuals:
    """A LAO's actuals of one fiscal year, as entered so far."""
    org = get_lao(actor, org_id)
    year = parse_fiscal_year(fiscal_year_be)
    result = Actuals(org, year)
    for line in db.session.scalars(
        select(YearEndActual).where(
            YearEndActual.organisation_id == org.id, YearEndActual.fiscal_year_be == year
        )
    ):
        name = field_name(line.kind, line.category)
        result.amounts[name] = line.amount
        result.note = result.note or line.note
        if result.entered_at is None or line.entered_at > result.entered_at:
            result.entered_at = line.entered_at
    return result


def years_entered(actor, org_id: int) -> list[int]:
    """The fiscal years for which the LAO has entered actuals, newest first."""
    org = get_lao(actor, org_id)
    return list(
        db.session.scalars(
            select(YearEndActual.fiscal_year_be)
            .where(YearEndActual.organisation_id == org.id)
            .distinct()
            .order_by(YearEndActual.fiscal_year_be.desc())
        )
    )


def parse_amounts(values: dict, rules: dict = CATEGORIES_V1) -> dict[str, Decimal | None]:
    """Check every category's amount; raise InvalidActuals naming each bad field and why.

    Unknown names are refused too, so a typo in an API call never silently drops a figure.
    """
    known = {name for _, _, name in fields(rules)}
    errors = {name: "not a category of this classification" for name in values if name not in known}
    amounts: dict[str, Decimal | None] = {}
    for _, _, name in fields(rules):
        raw = values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            amounts[name] = None
            continue
        try:
            amounts[name] = parse_money(name, raw)
        except InvalidInput as exc:
            errors[name] = exc.message
    if errors:
        first = next(iter(sorted(errors)))
        raise InvalidActuals(
            f"not saved: {', '.join(f'{name} ({why})' for name, why in sorted(errors.items()))}",
            field=first,
            errors=errors,
        )
    return amounts


def save_actuals(actor, org_id: int, fiscal_year_be, values: dict, note: str | None = None) -> Actuals:
    """Record a LAO's actual income and expenditure of an ended fiscal year (all categories at once)."""
    with transaction(conflict=_saved_meanwhile):
        org = get_lao(actor, org_id)
        if not may_enter(actor, org):
            raise PermissionDenied(
                "only the LAO's planners and support-committee secretaries enter its actuals",
                roles=sorted(PLAN_CONTENT_ROLES),
            )
        year = parse_fiscal_year(fiscal_year_be)
        _require_year_ended(year)
        amounts = parse_amounts(values)
        clean_note = _clean_note(note)
        changed, note_before = _write_lines(actor, org.id, year, amounts, clean_note)
        if changed or note_before != clean_note:
            audit.append(
                f"actuals:{org.id}:{year}",
                "record_actuals",
                actor=actor,
                organisation_id=org.id,
                data={"fiscal_year_be": year, "changed": changed, "note": clean_note},
            )
    return get_actuals(actor, org_id, fiscal_year_be)


def _saved_meanwhile(exc) -> StaleState:
    # Two people adding the same year's first lines at once: the second is told to reload.
    return StaleState("someone else saved these actuals at the same time; reload them and try again")


def _require_year_ended(year: int) -> None:
    last_day = fiscal_year_bounds(year)[1]
    if not year_ended(year):
        raise YearNotEnded(
            f"fiscal year {year} ends on {last_day.isoformat()}; "
            "its actuals can be entered from the day after",
            field="fiscal_year_be",
            ends_on=last_day.isoformat(),
        )


def _clean_note(note) -> str | None:
    try:
        return text.clean_text(note, field="note", max_length=NOTE_LIMIT)
    except text.InputRefused as refused:
        raise InvalidActuals("the note is not valid", field="note", errors={"note": refused.reason}) from None


def _write_lines(
    actor, org_id: int, year: int, amounts: dict[str, Decimal | None], clean_note: str | None
) -> tuple[dict, str | None]:
    """Add, change and remove the year's lines (locked); ``{field: [old, new]}`` and the note before."""
    existing = {
        field_name(line.kind, line.category): line
        for line in db.session.scalars(
            select(YearEndActual)
            .where(YearEndActual.organisation_id == org_id, YearEndActual.fiscal_year_be == year)
            .with_for_update()
        )
    }
    note_before = next((line.note for line in existing.values() if line.note), None)
    changed = {}
    now = utcnow()
    for kind, category, name in fields():
        amount, line = amounts[name], existing.get(name)
        if amount is None:
            if line is not None:
                db.session.execute(delete(YearEndActual).where(YearEndActual.id == line.id))
                changed[name] = [str(line.amount), None]
            continue
        if line is None:
            db.session.add(
                YearEndActual(
                    organisation_id=org_id,
                    fiscal_year_be=year,
                    kind=kind,
                    category=category,
                    amount=amount,
                    note=clean_note,
                    entered_by_id=actor.id,
                    entered_at=now,
                )
            )
            changed[name] = [None, str(amount)]
        elif line.amount != amount or line.note != clean_note:
            if line.amount != amount:
                changed[name] = [str(line.amount), str(amount)]
            line.amount, line.note, line.entered_by_id, line.entered_at = amount, clean_note, actor.id, now
    return changed, note_before


__all__ = [
    "CATEGORIES_V1",
    "KINDS",
    "InvalidActuals",
    "YearNotEnded",
    "fields",
    "get_actuals",
    "label",
    "may_enter",
    "parse_amounts",
    "save_actuals",
    "year_ended",
    "years_entered",
]

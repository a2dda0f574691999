"""A plan's projects: checking a project's values, and reading the records valid at a plan version.

Shared by plan drafting (``services/planning/plans.py``) and revisions
(``services/planning/revisions.py``): both turn user input into the same cleaned values before
writing a ``ProjectRecord``; both forms offer the same choices (``project_choices``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from eplan_flow import text
from eplan_flow.errors import InvalidInput
from eplan_flow.extensions import db
from eplan_flow.models import Plan
from eplan_flow.models.catalogue import CatalogueItem
from eplan_flow.models.project import (
    PLAN_YEARS,
    PROJECT_SOURCES,
    LaoStrategy,
    ProjectRecord,
    Tactic,
)
from eplan_flow.services.directory.catalogues import PROJECT_LINK_CATALOGUES, serves_period_clause
from eplan_flow.services.platform import engine

BUDGET_FIELDS = tuple(f"budget_{i}" for i in range(1, PLAN_YEARS + 1))
REQUIRED_FIELDS = ("name", "objective", "target", "responsible_unit", "strategy_id", "programme_id")
EQUIPMENT_REQUIRED_FIELDS = ("equipment_category", "equipment_type", "unit")
# Text columns and their length limits (None: unlimited Text).
TEXT_FIELDS = {
    "name": 500,
    "objective": None,
    "target": None,
    "kpi": None,
    "expected_result": None,
    "responsible_unit": 200,
    "equipment_category": 200,
    "equipment_type": 200,
    "unit": 50,
}
ID_FIELDS = ("strategy_id", "tactic_id", "programme_id")
# Optional codes the project carries for other systems (checked by their own rule, not as free text).
CODE_FIELDS = ("elaas_budget_code",)
VALUE_FIELDS = (*ID_FIELDS, "source", *TEXT_FIELDS, *CODE_FIELDS, *BUDGET_FIELDS, "links")
CENT = Decimal("0.01")
# Numeric(14, 2): at most 12 digits before the point.
MAX_AMOUNT = Decimal("999999999999.99")


class ElaasCodeRefused(InvalidInput):
    """An e-LAAS budget code not in the format of the execution rules' ``elaas_code``."""

    code = "elaas_code_invalid"


# Used when no execution definition carries the rule (it is rule data: workflows/execution.py).
_ELAAS_CODE_FALLBACK = {"max_length": 50, "pattern": r"[0-9A-Za-z][0-9A-Za-z./ -]*"}


def elaas_code_rule() -> dict:
    """The e-LAAS budget code's format, from the newest execution definition's rules."""
    return engine.REGISTRY.get("execution").rules.get("elaas_code", _ELAAS_CODE_FALLBACK)


def clean_elaas_code(raw, field: str = "elaas_budget_code") -> str | None:
    """An e-LAAS budget code tidied (Thai digits as 0-9, runs of spaces as one) and checked against
    the rule, None when blank, or ElaasCodeRefused naming ``field``."""
    value = text.clean_text(raw, field=field, max_length=200)
    if value is None:
        return None
    value = " ".join(text.thai_to_ascii(value).split())
    rule = elaas_code_rule()
    limit = rule.get("max_length")
    if (limit is not None and len(value) > limit) or not re.fullmatch(rule["pattern"], value):
        raise ElaasCodeRefused(
            f"{field} {value!r} is not an e-LAAS budget code", field=field, max_length=limit
        )
    return value


def _text(field: str, raw) -> str | None:
    multiline = TEXT_FIELDS[field] is None
    return text.clean_text(raw, field=field, max_length=TEXT_FIELDS[field], multiline=multiline)


def _id(field: str, raw) -> int | None:
    try:
        return text.parse_int(raw, field=field)
    except InvalidInput:
        raise InvalidInput(f"{field} must be an id", field=field) from None


def parse_money(field: str, raw) -> Decimal:
    """Turn a baht amount ("1,500,000.00", Decimal, int) into an exact Decimal with satang."""
    if isinstance(raw, float | bool):
        # Floats cannot hold satang exactly: callers pass strings or Decimals.
        raise InvalidInput(f"{field} must be a decimal amount, not a float", field=field)
    try:
        # Digits 0-9 or ๐-๙ only (Decimal alone reads any script's), thousands commas allowed.
        amount = text.parse_decimal(raw, field=field)
    except text.InputRefused as refused:
        raise text.InputRefused(refused.reason, f"{field} must be an amount in baht", field=field) from None
    if amount is None:
        return Decimal("0.00")
    if amount < 0:
        raise InvalidInput(f"{field} cannot be negative", field=field)
    exponent = amount.as_tuple().exponent  # an int: parse_decimal refuses NaN and infinities
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(CENT):
        raise InvalidInput(f"{field} has more than 2 decimal places", field=field)
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"{field} is too large", field=field)
    return amount.quantize(CENT)


def budget_field_for_year(plan: Plan, year_be) -> str:
    """The column holding a Buddhist-Era year's budget, or InvalidInput if outside the period."""
    try:
        year = text.parse_int(year_be, field="budgets")
    except InvalidInput:
        year = None
    if year is None:
        raise InvalidInput(f"{year_be!r} is not a Buddhist-Era year", field="budgets")
    if not plan.period_start_be <= year <= plan.period_end_be:
        raise InvalidInput(
            f"{year} is outside the plan's period {plan.period_start_be}–{plan.period_end_be}",
            field="budgets",
            year=year,
        )
    return f"budget_{year - plan.period_start_be + 1}"


def _expand_budgets(plan: Plan, values: dict) -> dict:
    """Map ``{"budgets": {2566: "1.00"}}`` onto budget_1..budget_5; the two forms must not clash."""
    values = dict(values)
    budgets = values.pop("budgets", None)
    if budgets is None:
        return values
    if not isinstance(budgets, dict):
        raise InvalidInput("budgets must map Buddhist-Era years to amounts", field="budgets")
    for year, amount in budgets.items():
        column = budget_field_for_year(plan, year)
        if column in values:
            raise InvalidInput(f"the budget for {year} is given twice", field=column)
        values[column] = amount
    return values


def validate_project_values(plan: Plan, values: dict, *, allowed_fields=None, partial: bool = False) -> dict:
    """Check a project's values against ``plan``; return them cleaned, or raise InvalidInput naming the field.

    ``partial`` checks only the fields given (a change or correction of an existing project; the
    caller merges the result with the record's values). ``allowed_fields`` refuses any other field.
    """
    values = _expand_budgets(plan, values)
    for field in values:
        if field not in VALUE_FIELDS:
            raise InvalidInput(f"{field} is not a project field", field=field)
        if allowed_fields is not None and field not in allowed_fields:
            raise InvalidInput(f"{field} may not be changed here", field=field)

    cleaned: dict = {}
    for field in TEXT_FIELDS:
        if field in values or not partial:
            cleaned[field] = _text(field, values.get(field))
    for field in ID_FIELDS:
        if field in values or not partial:
            cleaned[field] = _id(field, values.get(field))
    for field in CODE_FIELDS:
        if field in values or not partial:
            cleaned[field] = clean_elaas_code(values.get(field), field)
    for field in BUDGET_FIELDS:
        if field in values or not partial:
            cleaned[field] = parse_money(field, values.get(field))
    if "source" in values or not partial:
        source = values.get("source") or "own"
        if source not in PROJECT_SOURCES:
            raise InvalidInput(f"{source!r} is not a project source", field="source")
        cleaned["source"] = source
    if "links" in values or not partial:
        cleaned["links"] = _links(plan, values.get("links"))

    required = list(REQUIRED_FIELDS)
    if cleaned.get("source") == "equipment":
        required += EQUIPMENT_REQUIRED_FIELDS
    for field in required:
        if (field in cleaned or not partial) and cleaned.get(field) is None:
            raise InvalidInput(f"{field} is required", field=field, reason="required")

    _check_linkage(plan, cleaned)
    return cleaned


def _links(plan: Plan, raw) -> list[int]:
    if raw is None:
        return []
    if isinstance(raw, str | bytes) or not hasattr(raw, "__iter__"):
        raise InvalidInput("links must be a list of catalogue item ids", field="links")
    ids = sorted({i for i in (_id("links", item) for item in raw) if i is not None})
    if not ids:
        return []
    found = db.session.execute(
        select(
            CatalogueItem.id,
            CatalogueItem.catalogue,
            CatalogueItem.parent_id,
            CatalogueItem.scope,
            CatalogueItem.period_start_be,
        ).where(CatalogueItem.id.in_(ids))
    ).all()
    province = plan.organisation.province_code or ""
    known = {row.id for row in found if row.scope in ("", province)}
    missing = [i for i in ids if i not in known]
    if missing:
        raise InvalidInput(f"catalogue items {missing} are not available to this plan", field="links")
    # Catalogues belong to a plan period: the 13th NESDP's milestones serve the plans of 2566–2570.
    other_period = [row.id for row in found if row.period_start_be not in (None, plan.period_start_be)]
    if other_period:
        raise InvalidInput(
            f"catalogue items {sorted(other_period)} serve another plan period",
            field="links",
            reason="other_period",
            start=plan.period_start_be,
            end=plan.period_end_be,
        )
    # A sub-plan (แผนย่อย) is part of its master plan: the project links that master plan too.
    orphans = [row.id for row in found if row.catalogue == "sub_plan" and row.parent_id not in ids]
    if orphans:
        raise InvalidInput(
            f"sub-plans {orphans} belong to a master plan the project does not link to",
            field="links",
            reason="sub_plan_without_master_plan",
        )
    return ids


def _check_linkage(plan: Plan, cleaned: dict) -> None:
    strategy_id = cleaned.get("strategy_id")
    if strategy_id is not None:
        owner = db.session.scalar(select(LaoStrategy.plan_id).where(LaoStrategy.id == strategy_id))
        if owner != plan.id:
            raise InvalidInput("the strategy is not one of this plan's", field="strategy_id")
    tactic_id = cleaned.get("tactic_id")
    if tactic_id is not None:
        row = db.session.execute(
            select(Tactic.strategy_id, LaoStrategy.plan_id)
            .join(LaoStrategy, LaoStrategy.id == Tactic.strategy_id)
            .where(Tactic.id == tactic_id)
        ).first()
        if row is None or row.plan_id != plan.id:
            raise InvalidInput("the tactic is not one of this plan's", field="tactic_id")
        if strategy_id is not None and row.strategy_id != strategy_id:
            raise InvalidInput("the tactic is not under the chosen strategy", field="tactic_id")
    programme_id = cleaned.get("programme_id")
    if programme_id is not None:
        catalogue = db.session.scalar(select(CatalogueItem.catalogue).where(CatalogueItem.id == programme_id))
        if catalogue != "budget_programme":
            raise InvalidInput("the programme is not a budget programme (แผนงาน)", field="programme_id")


def valid_at_clause(version: int):
    """SQL condition: a project record is part of plan version ``version``."""
    return (ProjectRecord.valid_from <= version) & or_(
        ProjectRecord.valid_to.is_(None), ProjectRecord.valid_to > version
    )


def records_at(plan_id: int, version: int) -> list[ProjectRecord]:
    """The project records of plan version ``version``, with their catalogue links, by number."""
    query = select(ProjectRecord).where(ProjectRecord.plan_id == plan_id, valid_at_clause(version))
    query = query.options(selectinload(ProjectRecord.links))
    return list(db.session.scalars(query.order_by(ProjectRecord.project_no)))


def table_at(plan_id: int, version: int):
    """The plan page's table of version ``version``: each project's number, name, form and 5-year
    budget, by number. Four columns, not the records: a plan may have thousands of projects."""
    R = ProjectRecord
    total = R.budget_1 + R.budget_2 + R.budget_3 + R.budget_4 + R.budget_5  # PLAN_YEARS of them
    return db.session.execute(
        select(R.project_no, R.name, R.source, total.label("total_budget"))
        .where(R.plan_id == plan_id, valid_at_clause(version))
        .order_by(R.project_no)
    ).all()


def current_records(plan_id: int) -> list[ProjectRecord]:
    """The project records in force now (for a drafting plan: its draft)."""
    return list(
        db.session.scalars(
            select(ProjectRecord)
            .where(ProjectRecord.plan_id == plan_id, ProjectRecord.valid_to.is_(None))
            .options(selectinload(ProjectRecord.links))
            .order_by(ProjectRecord.project_no)
        )
    )


def next_project_no(plan_id: int) -> int:
    """The next project number of a plan: one above every record's, so an announced project's
    number is never reused (only a deleted draft's may be)."""
    last = db.session.scalar(
        select(func.max(ProjectRecord.project_no)).where(ProjectRecord.plan_id == plan_id)
    )
    return (last or 0) + 1


def record_values(record: ProjectRecord) -> dict:
    """A record's comparable values: the fields ``validate_project_values`` returns, money as strings."""
    values = {field: getattr(record, field) for field in (*ID_FIELDS, "source", *TEXT_FIELDS, *CODE_FIELDS)}
    for field in BUDGET_FIELDS:
        values[field] = str(Decimal(getattr(record, field) or 0).quantize(CENT))
    values["links"] = sorted(item.id for item in record.links)
    return values


def apply_values(record: ProjectRecord, cleaned: dict) -> ProjectRecord:
    """Set cleaned values (from ``validate_project_values``) on a record, links included."""
    for field, value in cleaned.items():
        if field == "links":
            record.links = (
                list(db.session.scalars(select(CatalogueItem).where(CatalogueItem.id.in_(value))))
                if value
                else []
            )
        else:
            setattr(record, field, value)
    return record


@dataclass(frozen=True)
class ProjectChoices:
    """What a project form of one plan offers: its strategies (by number, each with its tactics),
    the budget programmes (แผนงาน), and the catalogue items a project may link to."""

    strategies: list[LaoStrategy]
    programmes: list[CatalogueItem]
    links: list[CatalogueItem]


def project_choices(plan: Plan) -> ProjectChoices:
    """The choices of ``plan``'s project forms: active items, national or of the plan's province."""
    strategies = list(
        db.session.scalars(
            select(LaoStrategy)
            .where(LaoStrategy.plan_id == plan.id)
            .options(selectinload(LaoStrategy.tactics))
            .order_by(LaoStrategy.number)
        )
    )
    province = plan.organisation.province_code or ""
    items = db.session.scalars(
        select(CatalogueItem)
        .where(
            CatalogueItem.catalogue.in_(("budget_programme", *PROJECT_LINK_CATALOGUES)),
            CatalogueItem.scope.in_(("", province)),
            CatalogueItem.is_active.is_(True),
            serves_period_clause(plan.period_start_be),
        )
        .order_by(CatalogueItem.catalogue, CatalogueItem.position, CatalogueItem.code)
    ).all()
    return ProjectChoices(
        strategies=strategies,
        programmes=[item for item in items if item.catalogue == "budget_programme"],
        links=[item for item in items if item.catalogue != "budget_programme"],
    )

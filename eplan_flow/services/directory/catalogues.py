"""Catalogues a plan links to: load the national seed data, and keep the provincial master data.

National catalogues (strategies, master plans, NESDP milestones, SDGs, budget programmes) ship with
the package and are read-only for everyone; ``load_catalogues`` writes them idempotently. Provincial
catalogues (``scope`` = province code) belong to the provincial office: its provincial officers, and
DLA admins, add and change them here, each change audited in its own commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import or_, select

from eplan_flow import text
from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import CATALOGUES, CatalogueItem, Organisation, Province
from eplan_flow.permissions import has_role
from eplan_flow.seed import catalogues as seed
from eplan_flow.services.platform import audit, unit_of_work
from eplan_flow.services.platform.unit_of_work import transaction
from workflows.deadlines import DEADLINES_V1

NATIONAL = tuple(c for c, kind in CATALOGUES.items() if kind == "national")
PROVINCIAL = tuple(c for c, kind in CATALOGUES.items() if kind == "provincial")
# What a LAO strategy links to on the ยท.01, in the form's column order.
LINK_CATALOGUES = (
    "national_strategy",
    "master_plan",
    "nesdp_milestone",
    "sdg",
    "provincial_strategy",
    "province_lao_strategy",
)
# What a project may link to besides: the sub-plans (แผนย่อย) of the master plans. Not a ยท.01 column:
# a LAO strategy links to master plans; a project names the sub-plan it serves.
PROJECT_LINK_CATALOGUES = (*LINK_CATALOGUES[:2], "sub_plan", *LINK_CATALOGUES[2:])
# The national catalogue DLA keeps in the back office (the others are seed data): its official list
# is not bundled, so DLA enters it; each item sits under its master plan (``parent_id``).
DLA_KEPT = ("sub_plan",)
PARENT_OF = {"sub_plan": "master_plan"}
ITEM_FIELDS = (
    "catalogue",
    "scope",
    "code",
    "name_th",
    "name_en",
    "position",
    "is_active",
    "period_start_be",
    "parent_id",
)
SEED_CHAIN = "catalogues"


# -- who may edit which province's catalogues --------------------------------------------------
def _province(code: str | None) -> SimpleNamespace:
    # A province as the permission functions see an organisation: province reach covers it.
    return SimpleNamespace(id=None, kind="provincial_office", province_code=code, district_code=None)


def may_edit_scope(user, scope: str | None) -> bool:
    """Whether ``user`` may change the provincial catalogues of province ``scope``.

    National items (scope "") are seed data: nobody edits them through the application, except the
    catalogues DLA keeps (``DLA_KEPT``, see ``may_edit_item``).
    """
    if not scope:
        return False
    place = _province(scope)
    return has_role(user, "provincial_officer", place) or has_role(user, "dla_admin", place)


def may_keep_national(user) -> bool:
    """Whether ``user`` may keep the national catalogues DLA keeps (the sub-plans): DLA admins."""
    return has_role(user, "dla_admin", _province(None))


def may_edit_item(user, catalogue: str | None, scope: str | None) -> bool:
    """Whether ``user`` may add or change an item of ``catalogue`` in ``scope``."""
    if catalogue in DLA_KEPT and not scope:
        return may_keep_national(user)
    return catalogue in PROVINCIAL and may_edit_scope(user, scope)


def editable_scopes(user) -> set[str] | None:
    """The provinces whose catalogues ``user`` may edit; ``None`` means every province."""
    if has_role(user, "dla_admin", _province(None)):
        return None
    codes = {g.organisation.province_code for g in getattr(user, "grants", ()) if g.organisation}
    return {code for code in codes if code and may_edit_scope(user, code)}


def visible_clause(user):
    """SQL condition on CatalogueItem: national items, and the provincial ones ``user`` may edit."""
    scopes = editable_scopes(user)
    if scopes is None:
        return CatalogueItem.id.isnot(None)
    return or_(CatalogueItem.scope == "", CatalogueItem.scope.in_(sorted(scopes)))


# -- reading -------------------------------------------------------------------------------------
def items(catalogue: str, scope: str = "", *, active_only: bool = True) -> list[CatalogueItem]:
    query = select(CatalogueItem).where(CatalogueItem.catalogue == catalogue, CatalogueItem.scope == scope)
    if active_only:
        query = query.where(CatalogueItem.is_active.is_(True))
    return list(db.session.scalars(query.order_by(CatalogueItem.position, CatalogueItem.code)))


def is_period_start(year_be: int, rules: dict = DEADLINES_V1) -> bool:
    """Whether B.E. ``year_be`` starts a plan period (2561, 2566, 2571, ...)."""
    period = rules["period"]
    return 2500 <= year_be <= 2800 and (year_be - period["anchor_start_be"]) % period["years"] == 0


def serves_period_clause(period_start_be: int):
    """SQL condition on CatalogueItem: items of the plan period starting ``period_start_be``, or of
    every period."""
    return or_(CatalogueItem.period_start_be.is_(None), CatalogueItem.period_start_be == period_start_be)


def link_choices(province_code: str | None, period_start_be: int) -> dict[str, list[CatalogueItem]]:
    """What a LAO of ``province_code`` may link the strategies of a plan of ``period_start_be`` to,
    per catalogue, in order."""
    scopes = ["", province_code] if province_code else [""]
    rows = db.session.scalars(
        select(CatalogueItem)
        .where(
            CatalogueItem.catalogue.in_(LINK_CATALOGUES),
            CatalogueItem.scope.in_(scopes),
            CatalogueItem.is_active.is_(True),
            serves_period_clause(period_start_be),
        )
        .order_by(CatalogueItem.position, CatalogueItem.code)
    )
    grouped: dict[str, list[CatalogueItem]] = {c: [] for c in LINK_CATALOGUES}
    for row in rows:
        # National link catalogues take national items only; provincial ones the province's.
        if (row.scope == "") == (CATALOGUES[row.catalogue] == "national"):
            grouped[row.catalogue].append(row)
    return grouped


# -- seed data -----------------------------------------------------------------------------------
@dataclass
class LoadReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def load_catalogues(*, include_demo: bool = False, demo_sub_plans: bool = False) -> LoadReport:
    """Write the shipped national catalogues (and the Bueng Kan demo entries); safe to rerun.

    National items are brought back to the shipped text. Demo entries are only added when missing,
    so a provincial office's own edits survive a reload. ``demo_sub_plans`` adds the demo's invented
    sub-plans too (``eplan seed-demo`` only: a real sub-plan list is DLA's to enter). One audit
    event records a load that changed anything; a load that changed nothing writes nothing.
    """
    report = LoadReport()
    with transaction():
        existing = {
            (row.catalogue, row.scope, row.period_start_be, row.code): row
            for row in db.session.scalars(select(CatalogueItem))
        }
        for item in seed.national_items():
            parent = None
            if item.parent_code:
                parent_of = seed.PARENT_CATALOGUE[item.catalogue]
                parent = existing[(parent_of, "", seed.PERIODS.get(parent_of), item.parent_code)]
            values = {
                "name_th": item.name_th,
                "name_en": item.name_en,
                "position": item.position,
                "parent": parent,
                "is_active": True,
            }
            _upsert(existing, item, values, report, overwrite=True)
        if demo_sub_plans:
            for item in seed.demo_sub_plans():
                parent = existing[(seed.PARENT_CATALOGUE[item.catalogue], "", None, item.parent_code or "")]
                values = {
                    "name_th": item.name_th,
                    "name_en": item.name_en,
                    "position": item.position,
                    "parent": parent,
                    "is_active": True,
                }
                _upsert(existing, item, values, report, overwrite=False)
        if include_demo:
            for item in seed.demo_items():
                values = {
                    "name_th": item.name_th,
                    "name_en": item.name_en,
                    "position": item.position,
                    "is_active": True,
                }
                _upsert(existing, item, values, report, overwrite=False)
        db.session.flush()
        if report.added or report.updated:
            audit.append(
                SEED_CHAIN,
                "catalogues_loaded",
                data={
                    "added": report.added,
                    "updated": report.updated,
                    "demo": include_demo,
                    **({"demo_sub_plans": True} if demo_sub_plans else {}),
                },
            )
    for catalogue, _scope, _period, _code in existing:
        report.counts[catalogue] = report.counts.get(catalogue, 0) + 1
    return report


def _upsert(existing: dict, item, values: dict, report: LoadReport, *, overwrite: bool) -> None:
    key = (item.catalogue, item.scope, item.period_start_be, item.code)
    row = existing.get(key)
    if row is None:
        row = CatalogueItem(
            catalogue=item.catalogue,
            scope=item.scope,
            code=item.code,
            period_start_be=item.period_start_be,
            **values,
        )
        db.session.add(row)
        existing[key] = row
        report.added += 1
        return
    changed = False
    if overwrite:
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1


# -- provincial master data ----------------------------------------------------------------------
def create_item(actor, **values: Any) -> CatalogueItem:
    """Add an item to a provincial catalogue of a province the actor keeps (or, for DLA, a sub-plan
    under its master plan), and audit it."""
    values = _clean(values)
    values.setdefault("scope", "")
    _check_item(actor, values)
    values.setdefault("is_active", True)
    values["position"] = values.get("position") or 0
    with transaction(conflict=_code_taken):
        row = CatalogueItem(**values)
        db.session.add(row)
        db.session.flush()
        audit.append(
            f"catalogue-item:{row.id}",
            "catalogue_item_created",
            actor=actor,
            organisation_id=_office_of(row.scope, actor),
            data=unit_of_work.jsonable(values),
        )
    return row


def update_item(actor, item_id: int, **values: Any) -> CatalogueItem:
    """Change a provincial catalogue item the actor keeps (never a national one), and audit it."""
    row = db.session.get(CatalogueItem, item_id)
    if row is None or not (row.scope == "" or may_edit_scope(actor, row.scope)):
        raise NotFound(f"catalogue item #{item_id} not found", id=item_id)
    if not may_edit_item(actor, row.catalogue, row.scope):
        raise PermissionDenied("National catalogues are seed data and cannot be changed here.")
    values = _clean(values)
    if "position" in values and values["position"] is None:
        values["position"] = 0
    _check_item(actor, {**{f: getattr(row, f) for f in ITEM_FIELDS}, **values}, item_id=row.id)
    with transaction(conflict=_code_taken):
        changed = unit_of_work.assign(row, values)
        if changed:
            audit.append(
                f"catalogue-item:{row.id}",
                "catalogue_item_updated",
                actor=actor,
                organisation_id=_office_of(row.scope, actor),
                data=changed,
            )
    return row


def _clean(values: dict) -> dict:
    unknown = sorted(set(values) - set(ITEM_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", field=unknown[0])
    cleaned = {}
    for name, value in values.items():
        if name == "parent_id":
            cleaned[name] = _parent_id(value)
            continue
        if isinstance(value, str):
            value = text.clean_text(value, field=name) or ""
            if value == "" and name == "name_en":
                value = None
        cleaned[name] = value
    return cleaned


def _parent_id(value) -> int | None:
    if value in (None, "", "__None"):
        return None
    if hasattr(value, "id"):  # a CatalogueItem, as the back office's select gives it
        return int(value.id)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput("parent_id must be a catalogue item id", field="parent_id") from None


def _check_item(actor, values: dict, item_id: int | None = None) -> None:
    catalogue = values.get("catalogue")
    if catalogue in DLA_KEPT:
        _check_national_item(actor, values)
    elif catalogue not in PROVINCIAL:
        raise InvalidInput(
            f"only the provincial catalogues ({', '.join(PROVINCIAL)}) and {', '.join(DLA_KEPT)}"
            " are edited here",
            field="catalogue",
        )
    scope = values.get("scope") or ""
    if catalogue in PROVINCIAL:
        if not may_edit_scope(actor, scope):
            raise PermissionDenied("You may edit only your own province's catalogues.")
        if db.session.get(Province, scope) is None:
            raise InvalidInput(f"no province with code {scope!r}", field="scope")
        if values.get("parent_id") is not None:
            raise InvalidInput("a provincial catalogue item has no parent", field="parent_id")
    for name in ("code", "name_th"):
        if not values.get(name):
            raise InvalidInput(f"{name} is required", field=name, reason="required")
    position = values.get("position")
    if position is not None and (not isinstance(position, int) or position < 0):
        raise InvalidInput("position must be a whole number, 0 or more", field="position")
    period = values.get("period_start_be")
    if period is not None and not (isinstance(period, int) and is_period_start(period)):
        raise InvalidInput(
            f"{period!r} does not start a plan period", field="period_start_be", reason="not_a_period"
        )
    # One code per catalogue and province in any one period: an item of every period shares a
    # period with all the others (the unique indexes cannot see that across NULL).
    same_code = select(CatalogueItem.id).where(
        CatalogueItem.catalogue == values.get("catalogue"),
        CatalogueItem.scope == scope,
        CatalogueItem.code == values.get("code"),
        CatalogueItem.id != (item_id or 0),
    )
    if period is not None:
        same_code = same_code.where(serves_period_clause(period))
    if db.session.scalar(same_code.limit(1)) is not None:
        raise _code_taken(None)


def _check_national_item(actor, values: dict) -> None:
    """A sub-plan: national (no province), kept by DLA, under an active master plan."""
    if not may_keep_national(actor):
        raise PermissionDenied("Only DLA keeps the sub-plans of the master plans.")
    if values.get("scope"):
        raise InvalidInput("a sub-plan is national: it has no province", field="scope")
    parent_id = values.get("parent_id")
    parent = db.session.get(CatalogueItem, parent_id) if isinstance(parent_id, int) else None
    wanted = PARENT_OF[values["catalogue"]]
    if parent is None or parent.catalogue != wanted or parent.scope != "":
        raise InvalidInput(
            f"a sub-plan must sit under a master plan (parent_id: a {wanted} item)",
            field="parent_id",
            reason="sub_plan_needs_master_plan",
        )


def _office_of(scope: str, actor) -> int | None:
    # The provincial office keeps the catalogue, so its audit events are read in its scope.
    office = db.session.scalar(
        select(Organisation.id)
        .where(Organisation.kind == "provincial_office", Organisation.province_code == scope)
        .limit(1)
    )
    return office or getattr(actor, "organisation_id", None)


def _code_taken(exc) -> InvalidInput:
    return InvalidInput("this code is already used in this catalogue", field="code")


__all__ = [
    "DLA_KEPT",
    "LINK_CATALOGUES",
    "NATIONAL",
    "PROJECT_LINK_CATALOGUES",
    "PROVINCIAL",
    "LoadReport",
    "create_item",
    "editable_scopes",
    "is_period_start",
    "items",
    "link_choices",
    "load_catalogues",
    "may_edit_item",
    "may_edit_scope",
    "may_keep_national",
    "serves_period_clause",
    "update_item",
    "visible_clause",
]

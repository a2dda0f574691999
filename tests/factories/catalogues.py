"""Builders for catalogue and strategy test data. Each commits what it builds."""

from __future__ import annotations

from sqlalchemy import select

from eplan_flow.extensions import db
from eplan_flow.models import CatalogueItem, LaoStrategy, Plan
from eplan_flow.services.directory import catalogues


def load(include_demo: bool = True) -> catalogues.LoadReport:
    """The shipped catalogues, with the Bueng Kan demo entries unless told otherwise."""
    return catalogues.load_catalogues(include_demo=include_demo)


def item(catalogue: str, code: str, scope: str = "") -> CatalogueItem:
    """A catalogue item by its key (national items have scope "")."""
    return db.session.execute(
        select(CatalogueItem).where(
            CatalogueItem.catalogue == catalogue, CatalogueItem.scope == scope, CatalogueItem.code == code
        )
    ).scalar_one()


def provincial_item(
    scope: str, code: str = "1", name_th: str | None = None, catalogue: str = "provincial_strategy"
) -> CatalogueItem:
    row = CatalogueItem(
        catalogue=catalogue,
        scope=scope,
        code=code,
        name_th=name_th or f"ยุทธศาสตร์จังหวัด {scope} ที่ {code}",
        position=int(code),
    )
    db.session.add(row)
    db.session.commit()
    return row


def strategy(plan: Plan, number: int = 1, name: str | None = None, links=()) -> LaoStrategy:
    row = LaoStrategy(plan_id=plan.id, number=number, name=name or f"ยุทธศาสตร์ที่ {number}", links=list(links))
    db.session.add(row)
    db.session.commit()
    return row

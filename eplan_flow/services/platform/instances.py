"""Finding workflow rows: one scoped, filtered, paginated listing for every workflow (read-only).

The scope is the pages' one SQL clause (``permissions.visible_org_clause``): an LAO's staff see their
LAO, a district or provincial office its area, DLA everything. A filter naming an organisation
outside that scope is refused as NotFound, as opening it would be.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from eplan_flow.errors import InvalidInput, NotFound
from eplan_flow.extensions import db
from eplan_flow.models import Organisation, Plan
from eplan_flow.permissions import can_read, visible_org_clause
from eplan_flow.services.platform import engine
from workflows import REGISTRY, UnknownWorkflow

PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_ID = 2_147_483_647  # PostgreSQL integer ids: a larger one names no row


@dataclass(frozen=True)
class InstancePage:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


def _model(workflow: str):
    try:
        REGISTRY.get(workflow)
        return engine.model_for(workflow)
    except (UnknownWorkflow, NotFound):
        raise InvalidInput(f"no workflow named {workflow!r}", field="workflow", workflow=workflow) from None


def _states(workflow: str) -> set[str]:
    return {state for definition in REGISTRY.versions(workflow) for state in definition.states}


def _fiscal_year_clause(model, fiscal_year_be: int):
    """The rows of one Buddhist-Era fiscal year: by their own year, or by their plan's period."""
    if hasattr(model, "fiscal_year_be"):
        return model.fiscal_year_be == fiscal_year_be
    if hasattr(model, "period_start_be"):
        return (model.period_start_be <= fiscal_year_be) & (model.period_end_be >= fiscal_year_be)
    if hasattr(model, "plan_id"):
        in_period = (Plan.period_start_be <= fiscal_year_be) & (Plan.period_end_be >= fiscal_year_be)
        return model.plan_id.in_(select(Plan.id).where(in_period))
    raise InvalidInput("this workflow's rows have no fiscal year", field="fiscal_year")


def find_instances(
    actor,
    workflow: str,
    *,
    state: str | None = None,
    organisation_id: int | None = None,
    fiscal_year_be: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> InstancePage:
    """One page of ``workflow``'s rows that ``actor`` may read, filtered, oldest first (by id)."""
    model = _model(workflow)
    if state is not None and state not in _states(workflow):
        raise InvalidInput(f"{state!r} is not a state of {workflow}", field="state", state=state)
    if per_page > MAX_PER_PAGE:
        raise InvalidInput(f"per_page is at most {MAX_PER_PAGE}", field="per_page", max=MAX_PER_PAGE)
    conditions = [visible_org_clause(actor, Organisation)]
    if organisation_id is not None:
        org = db.session.get(Organisation, organisation_id) if organisation_id <= MAX_ID else None
        if org is None or not can_read(actor, org):
            raise NotFound(f"organisation #{organisation_id} not found", id=organisation_id)
        conditions.append(model.organisation_id == organisation_id)
    if state is not None:
        conditions.append(model.status == state)
    if fiscal_year_be is not None:
        conditions.append(_fiscal_year_clause(model, fiscal_year_be))
    base = select(model).join(Organisation, Organisation.id == model.organisation_id).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0
    rows = (
        db.session.execute(
            base.options(contains_eager(model.organisation))
            .order_by(model.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .unique()
        .scalars()
        .all()
    )
    return InstancePage(list(rows), page, per_page, total)

"""The eMENSCR-style export over every LAO an office oversees: a district, a province, or for DLA
the whole country (or one province of it).

Scoped like the oversight pages: only district and provincial offices and DLA (else
PermissionDenied); a province outside the reader's oversight is not found. The rows are those of
``services/delivery/emenscr.py``, read a batch of LAOs at a time for a download and a page at a time
for the API, so the number of statements does not grow with the projects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from sqlalchemy import select

from eplan_flow.errors import InvalidInput, NotFound
from eplan_flow.extensions import db
from eplan_flow.models import Organisation
from eplan_flow.services.delivery import emenscr, evaluation
from eplan_flow.services.delivery.emenscr import PER_PAGE, Project
from eplan_flow.services.oversight import status
from eplan_flow.services.oversight.status import Filters


@dataclass(frozen=True)
class Scope:
    """The LAOs of an export over many: the filters as applied, and whether they span the country."""

    filters: Filters
    national: bool

    @property
    def label(self) -> str:
        """For a file name: the province code, or ``all``."""
        return self.filters.province or "all"


def scope_for(user, filters: Filters) -> Scope:
    """The LAOs ``user`` oversees that pass ``filters``. Without a province, a national reader gets
    the whole country and an office its own area."""
    status._require_overseer(user)
    year = evaluation.parse_fiscal_year(filters.fiscal_year_be)
    try:
        filters = status._province_filter(
            user, replace(filters, fiscal_year_be=year), status.provinces_for(user)
        )
    except InvalidInput as exc:
        raise NotFound(
            f"no province {filters.province!r} in your oversight", province=filters.province
        ) from exc
    return Scope(filters, national=filters.province is None and status.is_national(user))


def each_project(user, scope: Scope) -> Iterator[Project]:
    """Every project of the LAOs in ``scope``, by LAO code and project number (streamed)."""
    lao_ids = list(
        db.session.scalars(
            select(Organisation.id)
            .where(Organisation.id.in_(status.scoped_lao_ids(user, scope.filters)))
            .order_by(Organisation.code)
        )
    )
    return emenscr.each_of(lao_ids, scope.filters.fiscal_year_be)


@dataclass
class Page:
    scope: Scope
    page: int
    per_page: int
    total: int
    projects: list[Project]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_json(self) -> dict:
        return {
            "fiscal_year_be": self.scope.filters.fiscal_year_be,
            "province": self.scope.filters.province,
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "pages": self.pages,
            "projects": [p.to_json() for p in self.projects],
        }


def page_of(user, filters: Filters, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of the projects of every LAO ``user`` oversees that pass ``filters``, with the total."""
    scope = scope_for(user, filters)
    total, found = emenscr.page_of(
        status.scoped_lao_ids(user, scope.filters), scope.filters.fiscal_year_be, page, per_page
    )
    return Page(scope, page, per_page, total, found)


__all__ = ["Page", "Scope", "each_project", "page_of", "scope_for"]

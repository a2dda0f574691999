"""What every row that moves through a workflow carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

if TYPE_CHECKING:
    from eplan_flow.models.org import Organisation


class WorkflowMixin:
    """Status, the definition version the row started on, and an optimistic-lock counter.

    Subclasses set ``WORKFLOW`` (the definition's name) and have an ``organisation_id``.
    """

    WORKFLOW: str

    status: Mapped[str] = mapped_column(String(40), index=True)
    workflow_name: Mapped[str] = mapped_column(String(40))
    workflow_version: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    if TYPE_CHECKING:
        # Mapped by each subclass itself; declared here for the code that takes any workflow row.
        id: Mapped[int]
        organisation_id: Mapped[int]
        organisation: Mapped[Organisation]

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}

"""What every row that moves through a workflow carries."""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class WorkflowMixin:
    """Status, the definition version the row started on, and an optimistic-lock counter.

    Subclasses set ``WORKFLOW`` (the definition's name) and have an ``organisation_id``.
    """

    WORKFLOW: str

    status: Mapped[str] = mapped_column(String(40), index=True)
    workflow_name: Mapped[str] = mapped_column(String(40))
    workflow_version: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}

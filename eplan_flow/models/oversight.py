"""Oversight rollups: each LAO's figures per fiscal year, kept by a job, and the log of changes
that make them stale.

``oversight_figures`` holds, per LAO and fiscal year, the numbers the oversight pages show: the
projects planned for the year, budgeted, counted as completed, the available budget and what was
disbursed, in total (``dimension`` '') and per item of each strategy dimension (``item_id`` 0: linked
to no item). ``oversight_change`` is written by database triggers (migration 0027) in the same
transaction as every write that moves those numbers, whatever path made it (the engine, a service,
an import, SQL by hand); ``services/oversight/rollups.py`` reads it, recomputes the LAOs it names and
deletes the rows it read.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from eplan_flow.extensions import Model
from eplan_flow.models._types import UTCDateTime, utcnow

TOTAL = ""  # the dimension of an LAO's total row
NO_ITEM = 0  # the item of projects linked to no item of the dimension


class OversightFigures(Model):
    __tablename__ = "oversight_figures"

    organisation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year_be: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(40), primary_key=True, default=TOTAL)
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=NO_ITEM)
    planned: Mapped[int] = mapped_column(Integer, default=0)
    executions: Mapped[int] = mapped_column(Integer, default=0)
    counted: Mapped[int] = mapped_column(Integer, default=0)
    budget: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal("0.00"))
    disbursed: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal("0.00"))
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_oversight_figures_year", "fiscal_year_be", "dimension"),)


class OversightChange(Model):
    """One LAO whose figures a committed write may have changed (one row per LAO and transaction on
    PostgreSQL, per written row on SQLite)."""

    __tablename__ = "oversight_change"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # PostgreSQL's transaction id (txid_current()), so a transaction notes each LAO once.
    txid: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("uq_oversight_change_per_transaction", "organisation_id", "txid", unique=True),)

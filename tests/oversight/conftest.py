"""Fixtures for the oversight tests: the real Bueng Kan LAOs, one LAO of another province, and
the people who oversee them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.models import (
    BudgetTransfer,
    Disbursement,
    Organisation,
    Plan,
    ProjectExecution,
)
from eplan_flow.seed import BUENG_KAN_LAOS
from eplan_flow.services.directory import geography, laos_import
from eplan_flow.services.platform import engine
from tests import factories
from tests.factories import revisions as revision_factories
from workflows.routing import district_lao_types

FISCAL_YEAR = 2567


def org(code: str) -> Organisation:
    return _db.session.scalar(select(Organisation).where(Organisation.code == code))


@pytest.fixture
def country(db):
    """Bueng Kan's 58 LAOs from the packaged DLA file, plus อบต.โพธิ์กลาง in Nakhon Ratchasima."""
    laos_import.import_laos(None, BUENG_KAN_LAOS)
    geography.ensure_offices(["30"])
    c = SimpleNamespace()
    c.foreign = factories.lao("โพธิ์กลาง", "sao", "3001", code="6300199")
    c.po_38 = org("PO-38")
    c.do_3801 = org("DO-3801")
    c.town = org("4380104")  # ทม.บึงกาฬ, district 3801
    c.provincial_officer = factories.user(c.po_38, "provincial_officer", username="po_38")
    c.provincial_officer_30 = factories.user(org("PO-30"), "provincial_officer", username="po_30")
    c.district_officer = factories.user(c.do_3801, "district_officer", username="do_3801")
    c.dla_admin = factories.user(org("DLA"), "dla_admin", username="dla")
    c.planner = factories.user(c.town, "planner", username="town_planner")
    c.sso_admin = factories.user(c.town, "sso_admin", username="town_sso_admin")
    c.bueng_kan_codes = set(
        _db.session.scalars(
            select(Organisation.code).where(Organisation.kind == "lao", Organisation.province_code == "38")
        )
    )
    c.district_3801_codes = set(
        _db.session.scalars(
            select(Organisation.code).where(Organisation.kind == "lao", Organisation.district_code == "3801")
        )
    )
    # What the district office oversees: the LAOs the province reaches through it (workflows.routing).
    c.district_3801_routed_codes = set(
        _db.session.scalars(
            select(Organisation.code).where(
                Organisation.kind == "lao",
                Organisation.district_code == "3801",
                Organisation.lao_type.in_(district_lao_types()),
            )
        )
    )
    return c


def execution(
    plan: Plan,
    project_no: int,
    *,
    status: str = "budgeted",
    budget: str,
    contract: str | None = None,
    progress: int = 0,
    paid=(),
    moved=(),
    year: int = FISCAL_YEAR,
    actor=None,
) -> ProjectExecution:
    """An execution written straight to the models in ``status`` with its money records (a read-side scene)."""
    row = ProjectExecution(
        plan_id=plan.id,
        organisation_id=plan.organisation_id,
        project_no=project_no,
        fiscal_year_be=year,
        budgeted_amount=Decimal(budget),
        progress_percent=progress,
        contract_amount=Decimal(contract) if contract else None,
        contract_no="1/2567" if contract else None,
        contractor="หจก. ก่อสร้างดี" if contract else None,
        contract_date=date(2024, 1, 15) if contract else None,
    )
    engine.start(row, actor)
    row.status = status
    for kind, amount in moved:
        _db.session.add(
            BudgetTransfer(execution_id=row.id, kind=kind, amount=Decimal(amount), date=date(2024, 2, 1))
        )
    for amount in paid:
        _db.session.add(Disbursement(execution_id=row.id, paid_on=date(2024, 3, 1), amount=Decimal(amount)))
    _db.session.commit()
    return row


@pytest.fixture
def town_year(country, db):
    """ทม.บึงกาฬ's announced plan with four executions: 1 counted of 3 in 2567, one more in 2568.

    2567: budget 100,000 + 20,000 transferred in, contract 110,000 paid in full in two parts, 100 %
    (counted); 50,000 − 10,000 transferred out, contract 40,000, 30,000 paid, 100 % (not counted:
    not fully paid); 30,000 cancelled (not counted). So 1 of 3 projects = 33.3 %, and
    140,000 paid of 190,000 available = 73.7 %.
    """
    plan = revision_factories.announced_plan(country.town, country.planner, projects=6, period_start_be=2566)
    execution(
        plan,
        1,
        status="completed",
        budget="100000.00",
        contract="110000.00",
        progress=100,
        paid=("60000.00", "50000.00"),
        moved=(("transfer_in", "20000.00"),),
        actor=country.planner,
    )
    execution(
        plan,
        2,
        status="disbursing",
        budget="50000.00",
        contract="40000.00",
        progress=100,
        paid=("30000.00",),
        moved=(("transfer_out", "10000.00"),),
        actor=country.planner,
    )
    execution(plan, 3, status="cancelled", budget="30000.00", actor=country.planner)
    execution(
        plan,
        4,
        status="completed",
        budget="80000.00",
        contract="80000.00",
        progress=100,
        paid=("80000.00",),
        year=2568,
        actor=country.planner,
    )
    return plan

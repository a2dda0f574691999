"""Read-only back-office lists for provincial offices (and DLA): the plans, project executions and
evaluation reports of the LAOs in their province, with filters and CSV and Excel downloads.

Scoping is ``SecureModelView.scope`` (list, count and ``get_one`` together), so a provincial officer
sees the rows of their own province's organisations only.
"""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from admin.base import SecureModelView
from eplan_flow import thaidate
from eplan_flow.extensions import db
from eplan_flow.i18n import locale_code
from eplan_flow.models import (
    EVALUATION_ROUNDS,
    LAO_TYPES,
    EvaluationReport,
    Organisation,
    Plan,
    ProjectExecution,
)
from workflows import REGISTRY, UnknownWorkflow
from workflows.deadlines import evaluation_round_label

# Who gets these views: the provincial offices, and DLA over every province.
OVERSIGHT_ADMIN_ROLES = frozenset({"provincial_officer", "dla_admin"})
LAO_TYPE_OPTIONS = list(LAO_TYPES.items())


def _state(workflow: str):
    def format_(view, context, model, name):
        try:
            return REGISTRY.get(workflow, model.workflow_version).label(model.status, locale_code())
        except UnknownWorkflow:
            return model.status

    return format_


def _organisation(view, context, model, name):
    org = model.organisation
    return f"{org.code} {org.display_name}"


def _datetime(view, context, model, name):
    return thaidate.format_datetime(getattr(model, name), locale_code())


def _date(view, context, model, name):
    return thaidate.format_date(getattr(model, name), locale_code())


class OversightListView(SecureModelView):
    """A read-only, exportable list of one kind of LAO row, for provincial officers and DLA."""

    can_create = False
    can_edit = False
    can_delete = False
    can_export = True
    export_types = ("csv", "xlsx")  # both written safely by SecureModelView (eplan_flow.exports)
    can_set_page_size = True
    column_display_all_relations = False

    def __init__(self, *args, **kwargs) -> None:
        # A row's details are its listed columns, labelled and formatted, not every stored column.
        if getattr(self, "column_details_list", None) is None:
            self.column_details_list = self.column_list
        super().__init__(*args, **kwargs)

    def is_accessible(self) -> bool:
        return super().is_accessible() and any(
            g.role in OVERSIGHT_ADMIN_ROLES for g in getattr(current_user, "grants", ())
        )

    def is_action_allowed(self, name: str) -> bool:
        return False


ORG_FILTERS = (
    FilterEqual(Organisation.district_code, _l("District code")),
    FilterEqual(Organisation.lao_type, _l("LAO type"), options=LAO_TYPE_OPTIONS),
    FilterEqual(Organisation.code, _l("LAO code")),
)


class ProvincePlanView(OversightListView):
    column_list = (
        "organisation",
        "title",
        "period_start_be",
        "status",
        "current_version",
        "announced_at",
        "submitted_at",
    )
    column_default_sort = [("period_start_be", True), ("id", False)]
    column_searchable_list = ("title",)
    column_filters = (
        FilterEqual(Plan.period_start_be, _l("From (B.E.)")),
        FilterEqual(
            Plan.status,
            _l("Status"),
            options=lambda: [
                (s, label.get(locale_code()) or label["th"])
                for s, label in REGISTRY.get("plan").states.items()
            ],
        ),
        *ORG_FILTERS,
    )
    column_labels = {
        "organisation": _l("LAO"),
        "title": _l("Title"),
        "period_start_be": _l("From (B.E.)"),
        "status": _l("Status"),
        "current_version": _l("Version in force"),
        "announced_at": _l("Announced"),
        "submitted_at": _l("Submitted"),
    }
    column_formatters = {
        "organisation": _organisation,
        "status": _state("plan"),
        "announced_at": _datetime,
        "submitted_at": _datetime,
    }
    column_formatters_export = {"organisation": _organisation, "status": _state("plan")}
    column_formatters_detail = column_formatters


class ProvinceExecutionView(OversightListView):
    column_list = (
        "organisation",
        "project_no",
        "fiscal_year_be",
        "status",
        "budgeted_amount",
        "contract_amount",
        "progress_percent",
        "updated_at",
    )
    column_default_sort = [("fiscal_year_be", True), ("organisation_id", False), ("project_no", False)]
    column_filters = (
        FilterEqual(ProjectExecution.fiscal_year_be, _l("Fiscal year")),
        FilterEqual(
            ProjectExecution.status,
            _l("Status"),
            options=lambda: [
                (s, label.get(locale_code()) or label["th"])
                for s, label in REGISTRY.get("execution").states.items()
            ],
        ),
        *ORG_FILTERS,
    )
    column_labels = {
        "organisation": _l("LAO"),
        "project_no": _l("Project"),
        "fiscal_year_be": _l("Fiscal year"),
        "status": _l("Status"),
        "budgeted_amount": _l("Budget (ordinance)"),
        "contract_amount": _l("Contract amount"),
        "progress_percent": _l("Progress (%)"),
        "updated_at": _l("Updated"),
    }
    column_formatters = {
        "organisation": _organisation,
        "status": _state("execution"),
        "updated_at": _datetime,
    }
    column_formatters_export = {"organisation": _organisation, "status": _state("execution")}
    column_formatters_detail = column_formatters


class ProvinceEvaluationView(OversightListView):
    column_list = ("organisation", "fiscal_year_be", "round", "status", "presented_on", "announced_on")
    column_default_sort = [("fiscal_year_be", True), ("organisation_id", False)]
    column_filters = (
        FilterEqual(EvaluationReport.fiscal_year_be, _l("Fiscal year")),
        FilterEqual(
            EvaluationReport.round,
            _l("Round"),
            options=lambda: [(r, evaluation_round_label(r, locale_code())) for r in EVALUATION_ROUNDS],
        ),
        FilterEqual(EvaluationReport.status, _l("Status")),
        *ORG_FILTERS,
    )
    column_labels = {
        "organisation": _l("LAO"),
        "fiscal_year_be": _l("Fiscal year"),
        "round": _l("Round"),
        "status": _l("Status"),
        "presented_on": _l("Presented"),
        "announced_on": _l("Announced"),
    }
    column_formatters = {
        "organisation": _organisation,
        "status": _state("evaluation"),
        "round": lambda v, c, m, n: evaluation_round_label(m.round, locale_code()),
        "presented_on": _date,
        "announced_on": _date,
    }
    column_formatters_export = {"organisation": _organisation, "status": _state("evaluation")}
    column_formatters_detail = column_formatters


def register(admin_site) -> None:
    """Add the province's read-only lists of plans, executions and evaluation reports."""
    category = _l("Province oversight")
    admin_site.add_view(
        ProvincePlanView(
            Plan,
            db,
            name=_l("Plans of the LAOs"),
            endpoint="admin_oversight_plans",
            url="oversight/plans",
            category=category,
        )
    )
    admin_site.add_view(
        ProvinceExecutionView(
            ProjectExecution,
            db,
            name=_l("Project executions"),
            endpoint="admin_oversight_executions",
            url="oversight/executions",
            category=category,
        )
    )
    admin_site.add_view(
        ProvinceEvaluationView(
            EvaluationReport,
            db,
            name=_l("Evaluation reports"),
            endpoint="admin_oversight_evaluations",
            url="oversight/evaluations",
            category=category,
        )
    )

"""The oversight filter form: a GET form (no CSRF: it changes nothing) that works without JavaScript."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from eplan_flow.models import LAO_TYPES
from eplan_flow.services.oversight.dimensions import DIMENSIONS as BREAKDOWN_DIMENSIONS
from eplan_flow.services.oversight.status import DIMENSIONS, NO_PLAN
from workflows.plan import PLAN_V1

DIMENSION_LABELS = {
    "national_strategy": _l("National Strategy"),
    "master_plan": _l("Master plans under the National Strategy"),
    "sub_plan": _l("Sub-plans of the master plans"),
    "nesdp_milestone": _l("NESDP milestones"),
    "sdg": _l("Sustainable Development Goals"),
    "provincial_strategy": _l("Provincial development strategies"),
    "province_lao_strategy": _l("Development strategies of LAOs in the province"),
    "lao_strategy": _l("The LAO's own strategies"),
    "tactic": _l("The LAO's own tactics"),
}


class FilterForm(FlaskForm):
    """Filters of the oversight table; the choices that depend on the reader are set by the view."""

    class Meta:
        csrf = False

    year = SelectField(_l("Fiscal year"), validate_choice=False)
    province = SelectField(_l("Province"), validate_choice=False)
    district = SelectField(_l("District"), validate_choice=False)
    type = SelectField(_l("LAO type"), validate_choice=False)
    status = SelectField(_l("Plan status"), validate_choice=False)
    overdue = BooleanField(_l("Only LAOs with something overdue"))
    dim = SelectField(_l("Budget chart by"), validate_choice=False)

    def set_choices(self, board, locale: str) -> None:
        start = board.period_start_be
        self.year.choices = [SelectChoice(str(y), str(y)) for y in range(start, start + 5)]
        self.province.choices = [SelectChoice("", _l("Choose a province"))] + [
            SelectChoice(code, f"{name} ({count})") for code, name, count in board.provinces
        ]
        self.district.choices = [SelectChoice("", _l("All districts"))] + [
            SelectChoice(code, name) for code, name in board.districts
        ]
        self.type.choices = [SelectChoice("", _l("All types"))] + [
            SelectChoice(key, label) for key, label in LAO_TYPES.items()
        ]
        self.status.choices = [
            SelectChoice("", _l("Any plan status")),
            SelectChoice(NO_PLAN, _l("No plan for the period")),
        ] + [
            SelectChoice(state, labels.get(locale) or labels["th"])
            for state, labels in PLAN_V1["states"].items()
        ]
        self.dim.choices = [SelectChoice(d, DIMENSION_LABELS[d]) for d in DIMENSIONS]


class DimensionForm(FlaskForm):
    """Filters of the breakdown along one strategy dimension (a GET form, no CSRF)."""

    class Meta:
        csrf = False

    year = SelectField(_l("Fiscal year"), validate_choice=False)
    province = SelectField(_l("Province"), validate_choice=False)
    district = SelectField(_l("District"), validate_choice=False)
    type = SelectField(_l("LAO type"), validate_choice=False)
    dim = SelectField(_l("Dimension"), validate_choice=False)

    def set_choices(self, result, shown: tuple[str, ...] = BREAKDOWN_DIMENSIONS) -> None:
        """``shown``: the dimensions offered (the sub-plans only where the catalogue has them)."""
        year = result.filters.fiscal_year_be
        self.year.choices = [SelectChoice(str(y), str(y)) for y in range(year - 4, year + 2)]
        self.province.choices = [SelectChoice("", _l("Choose a province"))] + [
            SelectChoice(code, f"{name} ({count})") for code, name, count in result.provinces
        ]
        self.district.choices = [SelectChoice("", _l("All districts"))] + [
            SelectChoice(code, name) for code, name in result.districts
        ]
        self.type.choices = [SelectChoice("", _l("All types"))] + [
            SelectChoice(key, label) for key, label in LAO_TYPES.items()
        ]
        self.dim.choices = [SelectChoice(d, DIMENSION_LABELS[d]) for d in shown]

"""Forms of the plans pages. They carry the input and the CSRF token; the services check the values."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from eplan_flow.models import PLAN_YEARS

SOURCE_LABELS = {
    "own": _l("Own project (ผ.02)"),
    "community": _l("From village and community plans (ผ.02/1)"),
    "beyond_capacity": _l("Beyond capacity, coordinated with the province or PAO (ผ.02/2)"),
    "equipment": _l("Equipment (ผ.03)"),
}
EQUIPMENT_FIELDS = ("equipment_category", "equipment_type", "unit")


class NewPlanForm(FlaskForm):
    organisation_id = SelectField(_l("Local administrative organisation"), validate_choice=False)
    period_start_be = StringField(_l("First year of the period (B.E.)"), validators=[Length(max=4)], default="2566")
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])


class DeleteForm(FlaskForm):
    """An empty form: the CSRF token of a delete button."""


class ProjectForm(FlaskForm):
    """A project's ผ.02 / ผ.03 columns. Budget fields (``budget_<B.E. year>``) are added per plan."""

    name = StringField(_l("Project name"))
    objective = TextAreaField(_l("Objective"))
    target = TextAreaField(_l("Target (output)"))
    kpi = TextAreaField(_l("Indicator (KPI)"))
    expected_result = TextAreaField(_l("Expected result"))
    responsible_unit = StringField(_l("Responsible unit"))
    source = SelectField(_l("Kind of project"), choices=[SelectChoice(k, v) for k, v in SOURCE_LABELS.items()], default="own",
                         validate_choice=False)
    strategy_id = SelectField(_l("LAO strategy"), validate_choice=False)
    tactic_id = SelectField(_l("Tactic"), validate_choice=False)
    programme_id = SelectField(_l("Budget programme (แผนงาน)"), validate_choice=False)
    equipment_category = StringField(_l("Category (หมวด)"))
    equipment_type = StringField(_l("Type (ประเภท)"))
    unit = StringField(_l("Unit counted"))
    links = SelectMultipleField(_l("Links to national and provincial strategies"), validate_choice=False)

    budget_field_names: tuple[str, ...] = ()

    def project_values(self) -> dict:
        """The submitted values in the shape ``validate_project_values`` takes."""
        values = {
            name: self[name].data
            for name in ("name", "objective", "target", "kpi", "expected_result", "responsible_unit",
                         "source", "strategy_id", "tactic_id", "programme_id", *EQUIPMENT_FIELDS)
        }
        values["links"] = list(self.links.data or [])
        values["budgets"] = {int(name.removeprefix("budget_")): self[name].data for name in self.budget_field_names}
        return values


def project_form_class(period_start_be: int) -> type[ProjectForm]:
    """A ProjectForm with one budget field per Buddhist-Era year of the plan's period."""
    years = range(period_start_be, period_start_be + PLAN_YEARS)
    attrs = {
        f"budget_{year}": StringField(_l("Budget %(year)s (baht)", year=year), validators=[Length(max=24)])
        for year in years
    }
    attrs["budget_field_names"] = tuple(f"budget_{year}" for year in years)
    return type("PlanProjectForm", (ProjectForm,), attrs)

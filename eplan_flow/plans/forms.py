"""Forms of the plans pages. They carry the input and the CSRF token; the services check the values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from eplan_flow.form_input import CleanText, NumberText, thai_digits, tidy_line, tidy_lines
from eplan_flow.glossary import PROJECT_SOURCE_LABELS
from eplan_flow.models import PLAN_YEARS
from eplan_flow.services.planning.projects import TEXT_FIELDS

SOURCE_LABELS = PROJECT_SOURCE_LABELS
# A code longer than any rule allows is refused early; the service checks the rule's own limit.
ELAAS_CODE_MAX = 200
EQUIPMENT_FIELDS = ("equipment_category", "equipment_type", "unit")


class NewPlanForm(FlaskForm):
    organisation_id = SelectField(_l("Local administrative organisation"), validate_choice=False)
    period_start_be = StringField(
        _l("First year of the period (B.E.)"),
        filters=[thai_digits],
        validators=[Length(max=4), NumberText(whole=True)],
        default="2566",
    )
    title = StringField(_l("Title"), filters=[tidy_line], validators=[CleanText(300)])


class DeleteForm(FlaskForm):
    """An empty form: the CSRF token of a delete button."""


class ProjectForm(FlaskForm):
    """A project's ผ.02 / ผ.03 columns. Budget fields (``budget_<B.E. year>``) are added per plan."""

    # The cleaning rule (eplan_flow.text) with the service's length limits, said early in the
    # reader's language; the project service checks the values again, and what else is required.
    name = StringField(
        _l("Project name"), filters=[tidy_line], validators=[CleanText(TEXT_FIELDS["name"], required=True)]
    )
    objective = TextAreaField(_l("Objective"), filters=[tidy_lines], validators=[CleanText(multiline=True)])
    target = TextAreaField(
        _l("Target (output)"), filters=[tidy_lines], validators=[CleanText(multiline=True)]
    )
    kpi = TextAreaField(_l("Indicator (KPI)"), filters=[tidy_lines], validators=[CleanText(multiline=True)])
    expected_result = TextAreaField(
        _l("Expected result"), filters=[tidy_lines], validators=[CleanText(multiline=True)]
    )
    responsible_unit = StringField(
        _l("Responsible unit"), filters=[tidy_line], validators=[CleanText(TEXT_FIELDS["responsible_unit"])]
    )
    source = SelectField(
        _l("Kind of project"),
        choices=[SelectChoice(k, v) for k, v in SOURCE_LABELS.items()],
        default="own",
        validate_choice=False,
    )
    strategy_id = SelectField(_l("LAO strategy"), validate_choice=False)
    tactic_id = SelectField(_l("Tactic"), validate_choice=False)
    programme_id = SelectField(_l("Budget programme (แผนงาน)"), validate_choice=False)
    equipment_category = StringField(
        _l("Category (หมวด)"), filters=[tidy_line], validators=[CleanText(TEXT_FIELDS["equipment_category"])]
    )
    equipment_type = StringField(
        _l("Type (ประเภท)"), filters=[tidy_line], validators=[CleanText(TEXT_FIELDS["equipment_type"])]
    )
    unit = StringField(_l("Unit counted"), filters=[tidy_line], validators=[CleanText(TEXT_FIELDS["unit"])])
    # Optional; its format (the execution rules' ``elaas_code``) is checked by the project service.
    elaas_budget_code = StringField(
        _l("e-LAAS budget code"), filters=[tidy_line], validators=[CleanText(ELAAS_CODE_MAX)]
    )
    links = SelectMultipleField(_l("Links to national and provincial strategies"), validate_choice=False)

    budget_field_names: tuple[str, ...] = ()

    def project_values(self) -> dict:
        """The submitted values in the shape ``validate_project_values`` takes."""
        values = {
            name: self[name].data
            for name in (
                "name",
                "objective",
                "target",
                "kpi",
                "expected_result",
                "responsible_unit",
                "source",
                "strategy_id",
                "tactic_id",
                "programme_id",
                *EQUIPMENT_FIELDS,
                "elaas_budget_code",
            )
        }
        values["links"] = list(self.links.data or [])
        values["budgets"] = {
            int(name.removeprefix("budget_")): self[name].data for name in self.budget_field_names
        }
        return values


def project_form_class(period_start_be: int) -> type[ProjectForm]:
    """A ProjectForm with one budget field per Buddhist-Era year of the plan's period."""
    years = range(period_start_be, period_start_be + PLAN_YEARS)
    attrs = {
        f"budget_{year}": StringField(
            _l("Budget %(year)s (baht)", year=year),
            filters=[thai_digits],
            validators=[Length(max=24), NumberText()],
        )
        for year in years
    }
    attrs["budget_field_names"] = tuple(f"budget_{year}" for year in years)
    return type("PlanProjectForm", (ProjectForm,), attrs)


def fill_project_choices(form, choices) -> None:
    """Set a project form's choices from ``services.planning.projects.project_choices``: the plan's
    strategies and tactics, the budget programmes, and the catalogue items it may link to (rendered
    as checkbox groups, ``form.link_items``; the service checks the ids it receives)."""
    form.strategy_id.choices = [SelectChoice("", _l("Choose…"))] + [
        SelectChoice(str(s.id), str(s)) for s in choices.strategies
    ]
    form.tactic_id.choices = [SelectChoice("", _l("None"))] + [
        SelectChoice(str(t.id), f"{s.number}.{t.number} {t.name}")
        for s in choices.strategies
        for t in s.tactics
    ]
    form.programme_id.choices = [SelectChoice("", _l("Choose…"))] + [
        SelectChoice(str(p.id), p.name_th) for p in choices.programmes
    ]
    form.links.choices = [SelectChoice(str(item.id), str(item)) for item in choices.links]
    form.link_items = choices.links


# -- review (ทบทวน) forms: a review may change strategies, tactics, linkages and projects ------------
REVIEW_TEXT_MAX = 5000


def review_project_form_class(period_start_be: int) -> type[ProjectForm]:
    """The review's "add a project" form: every ผ.02 / ผ.03 column of ``project_form_class``, and
    the reason the review adds it."""
    reason = TextAreaField(
        _l("Reason"), filters=[tidy_lines], validators=[CleanText(REVIEW_TEXT_MAX, multiline=True)]
    )
    return type("ReviewProjectForm", (project_form_class(period_start_be),), {"reason": reason})


class ReviewLinkageForm(FlaskForm):
    """A project's linkage in a review: its strategy, tactic, budget programme and the national and
    provincial items it serves (the choices are set per plan with ``fill_project_choices``)."""

    LINKAGE = ("strategy_id", "tactic_id", "programme_id", "links")

    project_no = SelectField(_l("Project"), validate_choice=False)
    strategy_id = SelectField(_l("LAO strategy"), validate_choice=False)
    tactic_id = SelectField(_l("Tactic"), validate_choice=False)
    programme_id = SelectField(_l("Budget programme (แผนงาน)"), validate_choice=False)
    links = SelectMultipleField(_l("Links to national and provincial strategies"), validate_choice=False)
    reason = TextAreaField(
        _l("Reason"), filters=[tidy_lines], validators=[CleanText(REVIEW_TEXT_MAX, multiline=True)]
    )

    def linkage_values(self) -> dict:
        """The whole linkage, as ``validate_project_values`` takes it (an empty tactic: none)."""
        return {
            "strategy_id": self.strategy_id.data or None,
            "tactic_id": self.tactic_id.data or None,
            "programme_id": self.programme_id.data or None,
            "links": list(self.links.data or []),
        }

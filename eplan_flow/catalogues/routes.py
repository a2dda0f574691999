"""Catalogue pages: a plan's strategies and tactics with their links, and the ยท.01 linkage table.

Views parse input, call one service and map domain errors to a status, a field error or a flash;
they never commit. Another LAO's plan is a 404 on every page and form.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eplan_flow import messages
from eplan_flow.catalogues import bp
from eplan_flow.catalogues.forms import (
    LinksForm,
    StrategyForm,
    TacticForm,
)
from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied
from eplan_flow.glossary import CATALOGUE_LABELS
from eplan_flow.services.directory import catalogues
from eplan_flow.services.planning import plans, revisions, strategies
from eplan_flow.services.planning.strategies import PlanNotEditable
from eplan_flow.web import asked_version_or_404


def _plan_or_404(plan_id: int):
    try:
        return plans.get_plan(current_user, plan_id)
    except NotFound:
        abort(404)


def _field_message(field: str) -> str:
    """The error shown beside a strategy's or tactic's field that the service refused."""
    return messages.message_for_code("invalid_input", "strategies", field=field)


def _render_strategies(plan, failed: tuple[str, object] | None = None, status: int = 200):
    """The strategies page; ``failed`` is (form key, submitted form) shown again with its errors."""
    rows = strategies.strategies_of(plan)
    editable = strategies.is_editable(plan) and strategies.may_edit(current_user, plan)
    forms: dict[str, object] = {}
    if editable:
        forms["new-strategy"] = StrategyForm(
            formdata=None, number=(max((s.number for s in rows), default=0) + 1)
        )
        for s in rows:
            forms[f"strategy-{s.id}"] = StrategyForm(formdata=None, number=s.number, name=s.name)
            forms[f"new-tactic-{s.id}"] = TacticForm(
                formdata=None, number=max((t.number for t in s.tactics), default=0) + 1
            )
            for t in s.tactics:
                forms[f"tactic-{t.id}"] = TacticForm(formdata=None, number=t.number, name=t.name)
        if failed is not None and failed[0] in forms:
            forms[failed[0]] = failed[1]
    return render_template(
        "catalogues/strategies.html",
        plan=plan,
        strategies=rows,
        forms=forms,
        editable=editable,
        may_edit=strategies.may_edit(current_user, plan),
        labels=CATALOGUE_LABELS,
        link_catalogues=catalogues.LINK_CATALOGUES,
    ), status


def _write(plan_id: int, key: str, form, call):
    """Validate ``form``, run the service ``call(form)``, and answer like every form here."""
    back = url_for(".strategies_page", plan_id=plan_id)
    if not form.validate_on_submit():
        return _render_strategies(_plan_or_404(plan_id), failed=(key, form), status=422)
    try:
        call(form)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    except PlanNotEditable as exc:
        flash(messages.message_for(exc), "error")
        return redirect(back, code=303)
    except InvalidInput as exc:
        field = exc.details.get("field", "name")
        target = getattr(form, field, form.name)
        target.errors = [*target.errors, _field_message(field)]
        return _render_strategies(_plan_or_404(plan_id), failed=(key, form), status=422)
    flash(_("Saved."), "success")
    return redirect(back, code=303)


@bp.route("/plans/<int:plan_id>/strategies")
@login_required
def strategies_page(plan_id: int):
    return _render_strategies(_plan_or_404(plan_id))


@bp.route("/plans/<int:plan_id>/strategies", methods=["POST"])
@login_required
def create_strategy(plan_id: int):
    return _write(
        plan_id,
        "new-strategy",
        StrategyForm(),
        lambda f: strategies.create_strategy(current_user, plan_id, number=f.number.data, name=f.name.data),
    )


@bp.route("/plans/<int:plan_id>/strategies/<int:strategy_id>", methods=["POST"])
@login_required
def update_strategy(plan_id: int, strategy_id: int):
    return _write(
        plan_id,
        f"strategy-{strategy_id}",
        StrategyForm(),
        lambda f: strategies.update_strategy(
            current_user, plan_id, strategy_id, number=f.number.data, name=f.name.data
        ),
    )


@bp.route("/plans/<int:plan_id>/strategies/<int:strategy_id>/tactics", methods=["POST"])
@login_required
def create_tactic(plan_id: int, strategy_id: int):
    return _write(
        plan_id,
        f"new-tactic-{strategy_id}",
        TacticForm(),
        lambda f: strategies.create_tactic(
            current_user, plan_id, strategy_id, number=f.number.data, name=f.name.data
        ),
    )


@bp.route("/plans/<int:plan_id>/tactics/<int:tactic_id>", methods=["POST"])
@login_required
def update_tactic(plan_id: int, tactic_id: int):
    return _write(
        plan_id,
        f"tactic-{tactic_id}",
        TacticForm(),
        lambda f: strategies.update_tactic(
            current_user, plan_id, tactic_id, number=f.number.data, name=f.name.data
        ),
    )


@bp.route("/plans/<int:plan_id>/strategies/<int:strategy_id>/links", methods=["GET", "POST"])
@login_required
def strategy_links(plan_id: int, strategy_id: int):
    plan = _plan_or_404(plan_id)
    try:
        strategy = strategies.strategy_of(plan, strategy_id)
    except NotFound:
        abort(404)
    choices = catalogues.link_choices(plan.organisation.province_code, plan.period_start_be)
    form = LinksForm()
    form.items.choices = [(item.id, str(item)) for group in choices.values() for item in group]
    editable = strategies.is_editable(plan) and strategies.may_edit(current_user, plan)
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                strategies.set_strategy_links(current_user, plan_id, strategy_id, form.items.data)
            except NotFound:
                abort(404)
            except PermissionDenied:
                abort(403)
            except PlanNotEditable as exc:
                flash(messages.message_for(exc), "error")
                return redirect(url_for(".strategies_page", plan_id=plan_id), code=303)
            except InvalidInput:
                form.items.errors = [*form.items.errors, _field_message("links")]
                status = 422
            else:
                flash(_("Saved."), "success")
                return redirect(url_for(".strategies_page", plan_id=plan_id), code=303)
        else:
            status = 422
        selected = set(form.items.data or ())
    else:
        selected = {item.id for item in strategy.links}
    return render_template(
        "catalogues/links.html",
        plan=plan,
        strategy=strategy,
        choices=choices,
        form=form,
        selected=selected,
        editable=editable,
        labels=CATALOGUE_LABELS,
    ), status


@bp.route("/plans/<int:plan_id>/yt01")
@login_required
def yt01(plan_id: int):
    plan = _plan_or_404(plan_id)
    version = asked_version_or_404(plan)
    return render_template(
        "catalogues/yt01.html",
        plan=plan,
        version=version,
        versions=plans.versions_of(plan.id),
        version_titles=revisions.version_titles(plan.id),
        rows=strategies.linkage_table(plan, version),
        columns=catalogues.LINK_CATALOGUES,
        labels=CATALOGUE_LABELS,
    )

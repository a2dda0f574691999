"""Pages: the reader's plans, the workflow definitions, one instance, the inbox.

Views parse input, call one service and map domain errors to a flash or a status; they never commit.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from eplan_flow import messages
from eplan_flow.errors import (
    CommentRequired,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleState,
)
from eplan_flow.extensions import db
from eplan_flow.i18n import locale_code
from eplan_flow.main import bp
from eplan_flow.main.forms import DATA_TEXT_MAX, FireForm, MarkReadForm
from eplan_flow.main.links import instance_trail
from eplan_flow.services.planning import queries
from eplan_flow.services.platform import diagrams, engine, inbox
from eplan_flow.services.workspace import home as workspace
from workflows import REGISTRY, UnknownWorkflow


def unread() -> int:
    """The signed-in person's unread notifications, counted once a request (the header and the
    page that lists them both show it)."""
    if not current_user.is_authenticated:
        return 0
    if "eplan_unread" not in g:
        g.eplan_unread = queries.unread_count(current_user)
    return g.eplan_unread


@bp.app_context_processor
def inject_unread_count():
    # The header shows the inbox count on every page of a signed-in person.
    return {"unread_count": unread}


@bp.app_template_global()
def state_diagram(definition, current: str | None = None):
    """The definition's diagram as inline SVG, ``current`` highlighted; ``None`` without Graphviz."""
    locale = locale_code()
    if current is None:
        label = _("State diagram of %(workflow)s", workflow=definition.title(locale))
    else:
        label = _(
            "State diagram of %(workflow)s, now at: %(state)s",
            workflow=definition.title(locale),
            state=definition.label(current, locale),
        )
    return diagrams.state_diagram(definition, current, locale, label)


# How the history names each recorded fact.
HISTORY_LABELS = {
    "meeting_date": _l("Meeting date"),
    "resolution": _l("Resolution"),
    "announced_on": _l("Announcement date"),
    "to_organisation": _l("New organisation"),
    "procurement_method": _l("Procurement method"),
    "contract_no": _l("Contract number"),
    "contract_date": _l("Contract date"),
    "contractor": _l("Contractor"),
    "contract_amount": _l("Contract amount (baht)"),
}


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.route("/")
@login_required
def index():
    plans = queries.visible_plans(current_user, page=_page())
    return render_template(
        "main/index.html",
        home=workspace.home(current_user, locale_code()),
        plans=plans,
        definition_of=engine.definition_of,
        unread=unread(),
    )


@bp.route("/workflows")
@login_required
def workflows():
    return render_template("main/workflows.html", definitions=list(REGISTRY))


@bp.route("/workflows/<name>")
@login_required
def workflow(name: str):
    versions = REGISTRY.versions(name)
    if not versions:
        abort(404)
    return render_template("main/workflow.html", name=name, versions=versions)


def _instance_or_404(workflow: str, instance_id: int):
    try:
        return engine.get_instance(workflow, instance_id, current_user)
    except (NotFound, UnknownWorkflow):
        abort(404)


def _step_data_fields(instance, trigger) -> tuple[tuple[str, str], ...]:
    """The facts ``trigger`` records when taken from the instance's current state."""
    fields: dict[str, str] = {}
    for spec in engine.definition_of(instance).candidates(instance, trigger or ""):
        fields.update(spec.data_fields)
    return tuple(fields.items())


def _recorded_facts(definition):
    """``facts(event)``: the (label, value, type) of each fact the event recorded, dates parsed."""
    kinds = {name: kind for spec in definition.transitions for name, kind in spec.data_fields}

    def facts(event):
        shown = []
        for name, value in (event.data or {}).items() if isinstance(event.data, dict) else ():
            if name not in kinds or value in (None, ""):
                continue
            kind = kinds[name]
            if kind == "date":
                try:
                    value = date.fromisoformat(str(value))
                except ValueError:
                    kind = "text"  # shown as it was recorded
            elif name.endswith("_amount"):
                with suppress(InvalidOperation):  # else shown as it was recorded
                    value = f"{Decimal(str(value)):,.2f}"  # baht as people read it: 1,234,567.00
            shown.append((HISTORY_LABELS.get(name, name), value, kind))
        return shown

    return facts


def _render_instance(workflow: str, instance_id: int, failed: FireForm | None = None, status: int = 200):
    """The instance page; ``failed`` is a submitted form shown again with its data and errors."""
    instance = _instance_or_404(workflow, instance_id)
    definition = engine.definition_of(instance)
    locale = locale_code()
    steps = engine.next_steps(instance, current_user, locale)
    forms = {}
    # Where each composite step (a transfer) is taken whole: its own page, never this page's form.
    dedicated = {s.trigger: definition.dedicated_endpoint(s.trigger) for s in steps}
    dedicated = {trigger: path for trigger, path in dedicated.items() if path}
    for step in steps:
        if not step.allowed or step.trigger in dedicated:
            continue
        if failed is not None and failed.trigger.data == step.trigger:
            forms[step.trigger] = failed
        else:
            forms[step.trigger] = FireForm.for_step(step.data_fields)(
                formdata=None, trigger=step.trigger, expected_version=instance.version
            )
    return render_template(
        "main/instance.html",
        instance=instance,
        definition=definition,
        steps=steps,
        forms=forms,
        dedicated=dedicated,
        events=engine.history(instance),
        recorded_facts=_recorded_facts(definition),
        failed=failed,
        trail=instance_trail(instance, current_user),
    ), status


@bp.route("/instances/<workflow>/<int:instance_id>")
@login_required
def instance(workflow: str, instance_id: int):
    return _render_instance(workflow, instance_id)


@bp.route("/instances/<workflow>/<int:instance_id>/fire", methods=["POST"])
@login_required
def fire(workflow: str, instance_id: int):
    instance = _instance_or_404(workflow, instance_id)
    form = FireForm.for_step(_step_data_fields(instance, request.form.get("trigger")))()
    if not form.validate_on_submit():
        if form.expected_version.errors:
            # A tampered version cannot be shown again; the page's own version replaces it.
            form.expected_version.raw_data = None
            form.expected_version.data = instance.version
        return _render_instance(workflow, instance_id, failed=form, status=422)
    back = url_for(".instance", workflow=workflow, instance_id=instance_id)
    try:
        # A composite step (a transfer) is taken whole only on its own page.
        engine.refuse_composite(workflow, form.trigger.data)
        result = engine.fire(
            workflow,
            instance_id,
            form.trigger.data,
            current_user,
            comment=form.comment.data,
            expected_version=form.expected_version.data,
            data=form.recorded(),
        )
    except (CommentRequired, InvalidInput) as refused:
        if messages.specific(refused):
            # A refusal that needs more than a field's error: what happened and what to do about it.
            flash(messages.message_for(refused, "step"), "error")
            return redirect(back, code=303)
        _show_refusal(form, refused)
        return _render_instance(workflow, instance_id, failed=form, status=422)
    except StaleState as refused:
        flash(messages.message_for(refused, "step"), "warning")
        return redirect(back, code=303)
    except PermissionDenied:
        abort(403)
    except (NotFound, UnknownWorkflow):
        abort(404)
    except DomainError as refused:
        # What a service's entry action refused (a stale revision, a plan with no projects...).
        flash(messages.message_for(refused, "step"), "error")
        return redirect(back, code=303)
    definition = engine.definition_of(instance)
    flash(
        _(
            "Done: %(step)s. Now: %(state)s.",
            step=definition.trigger_label(result.trigger, locale_code()),
            state=definition.label(result.to_state, locale_code()),
        ),
        "success",
    )
    return redirect(back, code=303)


def _show_refusal(form: FireForm, refused) -> None:
    """Put the engine's refusal next to the field it names: a recorded fact, else the comment."""
    kinds = dict(form.data_fields)
    name = refused.details.get("field")
    if isinstance(refused, InvalidInput) and name in kinds:
        field = form[name]
        if not field.data:
            message = _("Required for this step.")
        elif kinds[name] == "date":
            message = _("Enter a real date that is not in the future.")
        else:
            message = _("At most %(num)d characters.", num=DATA_TEXT_MAX)
        field.errors = [*field.errors, message]
    else:
        form.comment.errors = [*form.comment.errors, _("Please give a reason in the comment.")]


# What each kind of notification is, as the inbox names it.
NOTIFICATION_KINDS = {
    "workflow": _l("Your step"),
    "reminder": _l("Deadline reminder"),
    "overdue": _l("Overdue"),
    "escalation": _l("Overdue in your area"),
    "decision": _l("Decision"),
}


@bp.route("/notifications")
@login_required
def notifications():
    show_all = request.args.get("show") == "all"
    items = inbox.notifications(current_user, page=_page(), unread_only=not show_all)
    return render_template(
        "main/notifications.html",
        items=items,
        show_all=show_all,
        kinds=NOTIFICATION_KINDS,
        waiting_items=inbox.waiting_for(current_user, locale_code()),
        unread=unread(),
        form=MarkReadForm(formdata=None),
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_notifications_read():
    form = MarkReadForm()
    if not form.validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(url_for(".notifications"), code=303)
    one = form.notification_id.data
    changed = inbox.mark_read(current_user, [one] if one else None)
    if changed:
        flash(_("Marked %(count)s notification(s) read.", count=changed), "success")
    return redirect(url_for(".notifications"), code=303)


# -- error pages ---------------------------------------------------------------------------------
ERROR_TEXTS = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. If you sent a form, reload the page and try again."),
    ),
    403: (_l("Not allowed"), _l("You do not have the role needed for this page or action.")),
    404: (
        _l("Page not found"),
        _l("There is no such page, or it belongs to an organisation you may not see."),
    ),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    422: (_l("Check the form"), _l("Some of what was sent is not valid.")),
    500: (
        _l("Something went wrong"),
        _l("The error has been logged. Nothing was saved; please try again in a moment."),
    ),
}


def _is_api_request() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _error_page(error: HTTPException):
    code = error.code or 500
    if _is_api_request():
        # The API's own handlers answer for its routes; this covers what they cannot see
        # (e.g. an unknown /api/ path that never reached the blueprint).
        name = (error.name or "error").lower().replace(" ", "_")
        return jsonify(code=name, message=error.description or name), code
    title, message = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    return render_template("errors/error.html", code=code, title=title, message=message), code


for _code in (400, 403, 404, 405, 422):
    bp.app_errorhandler(_code)(_error_page)


@bp.app_errorhandler(500)
def internal_error(error: HTTPException):
    # Flask hands 500 handlers an InternalServerError wrapping the original exception.
    db.session.rollback()
    return _error_page(error)

"""Pages: the reader's plans, the workflow definitions, one instance, the inbox.

Views parse input, call one service and map domain errors to a flash or a status; they never commit.
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from eplan_flow.errors import (
    CommentRequired,
    GuardFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleState,
    TransitionNotAllowed,
)
from eplan_flow.extensions import db
from eplan_flow.i18n import locale_code
from eplan_flow.main import bp
from eplan_flow.main.forms import FireForm, MarkReadForm
from eplan_flow.services import engine, inbox, queries
from workflows import REGISTRY, UnknownWorkflow


@bp.app_context_processor
def inject_unread_count():
    # The header shows the inbox count on every page of a signed-in person.
    if current_user.is_authenticated:
        return {"unread_count": lambda: queries.unread_count(current_user)}
    return {"unread_count": lambda: 0}


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.route("/")
@login_required
def index():
    plans = queries.visible_plans(current_user, page=_page())
    return render_template(
        "main/index.html",
        plans=plans,
        definition_of=engine.definition_of,
        unread=queries.unread_count(current_user),
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


def _render_instance(workflow: str, instance_id: int, failed: FireForm | None = None, status: int = 200):
    """The instance page; ``failed`` is a submitted form shown again with its data and errors."""
    instance = _instance_or_404(workflow, instance_id)
    definition = engine.definition_of(instance)
    locale = locale_code()
    steps = engine.next_steps(instance, current_user, locale)
    forms = {}
    for step in steps:
        if not step.allowed:
            continue
        if failed is not None and failed.trigger.data == step.trigger:
            forms[step.trigger] = failed
        else:
            forms[step.trigger] = FireForm(
                formdata=None, trigger=step.trigger, expected_version=instance.version
            )
    return render_template(
        "main/instance.html",
        instance=instance,
        definition=definition,
        diagram=definition.mermaid(instance.status, locale),
        steps=steps,
        forms=forms,
        events=engine.history(instance),
        failed=failed,
    ), status


@bp.route("/instances/<workflow>/<int:instance_id>")
@login_required
def instance(workflow: str, instance_id: int):
    return _render_instance(workflow, instance_id)


@bp.route("/instances/<workflow>/<int:instance_id>/fire", methods=["POST"])
@login_required
def fire(workflow: str, instance_id: int):
    form = FireForm()
    if not form.validate_on_submit():
        if form.expected_version.errors:
            # A tampered version cannot be shown again; the page's own version replaces it.
            form.expected_version.raw_data = None
            form.expected_version.data = _instance_or_404(workflow, instance_id).version
        return _render_instance(workflow, instance_id, failed=form, status=422)
    back = url_for(".instance", workflow=workflow, instance_id=instance_id)
    try:
        result = engine.fire(
            workflow, instance_id, form.trigger.data, current_user,
            comment=form.comment.data, expected_version=form.expected_version.data,
        )
    except (CommentRequired, InvalidInput):
        form.comment.errors = [*form.comment.errors, _("Please give a reason in the comment.")]
        return _render_instance(workflow, instance_id, failed=form, status=422)
    except StaleState:
        flash(
            _("Someone else acted on this item first. The page now shows its current state; "
              "check it and try again."),
            "warning",
        )
        return redirect(back, code=303)
    except (TransitionNotAllowed, GuardFailed):
        flash(_("This step is not possible from the item's current state."), "error")
        return redirect(back, code=303)
    except PermissionDenied:
        abort(403)
    except (NotFound, UnknownWorkflow):
        abort(404)
    instance = _instance_or_404(workflow, instance_id)
    definition = engine.definition_of(instance)
    flash(
        _("Done: %(step)s. Now: %(state)s.",
          step=definition.trigger_label(result.trigger, locale_code()),
          state=definition.label(result.to_state, locale_code())),
        "success",
    )
    return redirect(back, code=303)


@bp.route("/notifications")
@login_required
def notifications():
    items = queries.notifications_for(current_user, page=_page())
    return render_template(
        "main/notifications.html", items=items, form=MarkReadForm(formdata=None)
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_notifications_read():
    form = MarkReadForm()
    if not form.validate_on_submit():
        flash(_("That request was not valid; nothing was changed."), "error")
        return redirect(url_for(".notifications"), code=303)
    one = form.notification_id.data
    changed = inbox.mark_read(current_user, [one] if one else None)
    if changed:
        flash(_("Marked %(count)s notification(s) read.", count=changed), "success")
    return redirect(url_for(".notifications"), code=303)


# -- error pages ---------------------------------------------------------------------------------
ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. If you sent a form, "
                                "reload the page and try again.")),
    403: (_l("Not allowed"), _l("You do not have the role needed for this page or action.")),
    404: (_l("Page not found"), _l("There is no such page, or it belongs to an organisation "
                                   "you may not see.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    422: (_l("Check the form"), _l("Some of what was sent is not valid.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Nothing was saved; please "
                                         "try again in a moment.")),
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

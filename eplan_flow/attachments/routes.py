"""Attach signed files to a plan version, a revision or a workflow step, and download them.

Views check who may attach before reading the form (a reader's POST is 403 whatever it carries),
call one service and map its refusals to a Thai flash; they never commit.
"""

from __future__ import annotations

import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from eplan_flow import messages, thaidate
from eplan_flow.attachments import bp
from eplan_flow.attachments.forms import AttachForm, AttachToStepForm
from eplan_flow.errors import DomainError, NotFound, PermissionDenied
from eplan_flow.glossary import ATTACHMENT_KIND_LABELS
from eplan_flow.i18n import action_label, locale_code
from eplan_flow.permissions import can_attach_files
from eplan_flow.services.planning import attachments
from eplan_flow.services.platform import engine
from eplan_flow.web import or_abort


def _back(subject: attachments.Subject) -> str:
    """The page the upload came from."""
    if subject.kind == "revision":
        return url_for("revisions.revision", revision_id=subject.row_id)
    version = attachments.version_number(subject.row_id)
    return url_for("plans.overview", plan_id=subject.plan_id, version=version)


def _instance_page(workflow: str, instance_id: int) -> str:
    return url_for("main.instance", workflow=workflow, instance_id=instance_id)


@bp.app_template_global()
def attachments_panel(subject: str, item, number: int | None = None) -> dict | None:
    """The files of a plan version (``item`` the plan, ``number`` the version), a revision or the
    steps of a workflow item, and the form to attach one (for ``attachments/_list.html``)."""
    files: list[tuple[object, str | None]]
    if subject == "version":
        version = attachments.version_of(item.id, number) if item.current_version and number else None
        if version is None:
            return None  # nothing is attached to a draft: its files go with its steps
        files = [(row, None) for row in attachments.files_of("version", version.id)]
        action = url_for("attachments.attach", subject="version", subject_id=version.id)
    elif subject == "revision":
        files = [(row, None) for row in attachments.files_of("revision", item.id)]
        action = url_for("attachments.attach", subject="revision", subject_id=item.id)
    elif subject == "step" and item.workflow_name in attachments.STEP_WORKFLOWS:
        definition = engine.definition_of(item)
        labels = {
            event.id: f"{action_label(event.action, definition)} · "
            f"{thaidate.format_datetime(event.occurred_at, locale_code())}"
            for event in attachments.steps_of(item)
        }
        files = [(row, labels.get(event.id)) for row, event in attachments.files_of_steps(item)]
        action = url_for("attachments.attach_to_step", workflow=item.workflow_name, instance_id=item.id)
    else:
        return None
    may_attach = can_attach_files(current_user, item.organisation)
    form: AttachForm | None = None
    if may_attach:
        if subject == "step":
            step_form = AttachToStepForm(formdata=None)
            step_form.step.choices = [SelectChoice(step, label) for step, label in reversed(labels.items())]
            form = step_form
        else:
            form = AttachForm(formdata=None)
    return {
        "files": files,
        "kinds": ATTACHMENT_KIND_LABELS,
        "may_attach": may_attach,
        "form": form,
        "action": action,
        "max_mb": round(attachments.max_bytes() / (1024 * 1024)),
    }


def _attach(form: AttachForm, subject: str, subject_id: int, back: str):
    upload = form.file.data
    # One byte beyond the limit is enough to refuse the file as too large.
    data = upload.read(attachments.max_bytes() + 1) if upload is not None else b""
    try:
        attachments.attach(
            current_user,
            subject,
            subject_id,
            kind=form.kind.data,
            filename=getattr(upload, "filename", None),
            data=data,
        )
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    except DomainError as refused:
        flash(messages.message_for(refused, "attachment"), "error")
        return redirect(back, code=303)
    flash(_("The file was attached."), "success")
    return redirect(back, code=303)


@bp.route("/<any(version, revision):subject>/<int:subject_id>", methods=["POST"])
@login_required
def attach(subject: str, subject_id: int):
    found = or_abort(attachments.check_may_attach, current_user, subject, subject_id)
    back = _back(found)
    form = AttachForm()
    if not form.validate_on_submit():
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    return _attach(form, subject, subject_id, back)


@bp.route("/instances/<workflow>/<int:instance_id>", methods=["POST"])
@login_required
def attach_to_step(workflow: str, instance_id: int):
    instance = or_abort(attachments.check_may_attach_to_steps, current_user, workflow, instance_id)
    back = _instance_page(workflow, instance_id)
    form = AttachToStepForm()
    steps = [event.id for event in attachments.steps_of(instance)]
    form.step.choices = [SelectChoice(step, str(step)) for step in steps]
    if not form.validate_on_submit() or form.step.data not in steps:
        flash(messages.request_not_valid(), "error")
        return redirect(back, code=303)
    return _attach(form, "step", form.step.data, back)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A request far beyond the limit is cut off before the view: say so in Thai, on the page."""
    refused = attachments.AttachmentTooLarge(
        "the upload is larger than the limit",
        field="file",
        max_mb=round(attachments.max_bytes() / (1024 * 1024), 1),
    )
    flash(messages.message_for(refused, "attachment"), "error")
    args = request.view_args or {}
    back = url_for("main.index")
    try:
        if request.endpoint == "attachments.attach_to_step":
            back = _instance_page(args["workflow"], args["instance_id"])
        elif request.endpoint == "attachments.attach":
            back = _back(attachments.resolve(current_user, args["subject"], args["subject_id"]))
    except (DomainError, KeyError):
        pass
    return redirect(back, code=303)


@bp.route("/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    row, data = or_abort(attachments.file_for, current_user, attachment_id)
    response = send_file(
        io.BytesIO(data),
        mimetype=row.media_type,
        as_attachment=True,
        download_name=attachments.download_name(row),
        etag=row.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response

"""Back office: background jobs that kept failing, for DLA admins to retry or discard."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length, Regexp

from admin.base import acting_user
from eplan_flow import messages
from eplan_flow.errors import NotFound, PermissionDenied
from eplan_flow.permissions import can_manage_jobs
from eplan_flow.services.platform import failed_jobs


class JobActionForm(FlaskForm):
    """Which failed job to retry or discard."""

    queue = HiddenField(validators=[DataRequired(), Length(max=64), Regexp(r"^[a-z_]+$")])
    job_id = HiddenField(validators=[DataRequired(), Length(max=100), Regexp(r"^[A-Za-z0-9_.:-]+$")])


class FailedJobsView(BaseView):
    """The failed registry of every queue, with a retry and a discard button per job."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and can_manage_jobs(current_user))

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    @expose("/")
    def index(self):
        return self.render(
            "admin/jobs.html",
            jobs=failed_jobs.list_failed(acting_user()),
            available=failed_jobs.available(),
            queues=failed_jobs.queue_names(),
        )

    @expose("/retry", methods=("POST",))
    def retry(self):
        return self._act(failed_jobs.retry, _l("The job is back on its queue."))

    @expose("/discard", methods=("POST",))
    def discard(self):
        return self._act(failed_jobs.discard, _l("The job was discarded."))

    def _act(self, service, done):
        form = JobActionForm()
        if not form.validate_on_submit():
            flash(messages.request_not_valid(), "error")
        else:
            try:
                service(acting_user(), form.queue.data, form.job_id.data)
            except NotFound:
                flash(_("That job is no longer among the failed jobs (someone acted first)."), "warning")
            except PermissionDenied:
                abort(403)
            else:
                flash(str(done), "success")
        return redirect(url_for(".index"), code=303)


def register(admin_site) -> None:
    """Add this module's views to the back office."""
    admin_site.add_view(FailedJobsView(name=_l("Failed jobs"), endpoint="admin_jobs", url="jobs"))

"""Back office: read-only windows of e-Plan's data entry, scheduled, changed and ended by DLA admins.

Times are typed as Thai offices write them: a B.E. date (30/09/2566) and a Bangkok time (08:30 or
08.30 น.). Every change goes through ``services.platform.entry_windows``, which audits it; during a
window the back office stays open to DLA admins (workflows/entry_windows.py), so they can end it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from flask import flash
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField, TextAreaField, ValidationError
from wtforms.validators import InputRequired

from admin.base import AdminForm, SecureModelView, acting_user
from admin.views import _thai_datetime
from eplan_flow import messages, text, thaidate
from eplan_flow.errors import DomainError
from eplan_flow.extensions import db
from eplan_flow.form_input import CleanText, ThaiDateField, thai_digits, tidy_lines
from eplan_flow.i18n import locale_code
from eplan_flow.models import EntryWindow
from eplan_flow.permissions import can_schedule_entry_windows
from eplan_flow.services.platform import entry_windows

# 8:30, 08:30, 08.30, "08.30 น.": hours and minutes of the day, Bangkok time.
_TIME = re.compile(r"([01]?[0-9]|2[0-3]) ?[:.] ?([0-5][0-9])(?: ?น\.?)?")
STATE_LABELS = {
    "upcoming": _l("Not yet begun"),
    "running": _l("Read-only now"),
    "ended": _l("Over"),
    "cancelled": _l("Withdrawn"),
}


def parse_time(value: str | None) -> time | None:
    """A time of day as typed (Thai digits allowed), or None when it is not one."""
    match = _TIME.fullmatch(text.thai_to_ascii(text.tidy(value or "")))
    return time(int(match[1]), int(match[2])) if match else None


class TimeOfDay:
    """Refuse a time that is not hh:mm (00:00 to 23:59)."""

    def __call__(self, form, field) -> None:
        if parse_time(field.data) is None:
            raise ValidationError(_("Enter a time as hours and minutes, e.g. 08:30."))


def at_bangkok(day: date, hour: time) -> datetime:
    """The moment ``day`` at ``hour`` in Bangkok, as the aware datetime the service stores."""
    return datetime.combine(day, hour, tzinfo=thaidate.BANGKOK)


class EntryWindowForm(AdminForm):
    """When e-Plan closes and reopens (B.E. dates, Bangkok times) and why, as every page will say."""

    starts_on = ThaiDateField(_l("Closes on (B.E.)"), validators=[InputRequired()], not_future=False)
    starts_time = StringField(
        _l("Closes at (hh:mm, Bangkok time)"),
        default="00:00",
        filters=[thai_digits],
        validators=[InputRequired(), TimeOfDay()],
    )
    ends_on = ThaiDateField(_l("Opens again on (B.E.)"), validators=[InputRequired()], not_future=False)
    ends_time = StringField(
        _l("Opens again at (hh:mm, Bangkok time)"),
        default="00:00",
        filters=[thai_digits],
        validators=[InputRequired(), TimeOfDay()],
    )
    reason = TextAreaField(
        _l("Reason (every page shows it)"),
        filters=[tidy_lines],
        validators=[CleanText(entry_windows.REASON_MAX_LENGTH, required=True, multiline=True)],
    )


def _window_values(form) -> dict:
    return {
        "starts_at": at_bangkok(form.starts_on.data, parse_time(form.starts_time.data) or time()),
        "ends_at": at_bangkok(form.ends_on.data, parse_time(form.ends_time.data) or time()),
        "reason": form.reason.data,
    }


def _state(view, context, model, name) -> str:
    return str(STATE_LABELS[entry_windows.state_of(model)])


def _person(view, context, model, name) -> str:
    return model.created_by.full_name if model.created_by else ""


class EntryWindowView(SecureModelView):
    """Read-only windows, newest first; DLA admins only."""

    scope_column = None
    create_service = entry_windows.schedule_window
    update_service = entry_windows.change_window
    form = EntryWindowForm
    can_view_details = True

    column_list = ("starts_at", "ends_at", "reason", "state", "created_by", "created_at")
    column_details_list = (*column_list, "ended_early_at", "cancelled_at", "rule_version")
    column_default_sort = ("starts_at", True)
    column_sortable_list = ("starts_at", "ends_at", "created_at")
    column_labels = {
        "starts_at": _l("Closes"),
        "ends_at": _l("Opens again"),
        "reason": _l("Reason"),
        "state": _l("State"),
        "created_by": _l("Scheduled by"),
        "created_at": _l("Scheduled on"),
        "ended_early_at": _l("Ended early"),
        "cancelled_at": _l("Withdrawn"),
        "rule_version": _l("Rules version"),
    }
    column_formatters = {
        "starts_at": _thai_datetime,
        "ends_at": _thai_datetime,
        "created_at": _thai_datetime,
        "ended_early_at": _thai_datetime,
        "cancelled_at": _thai_datetime,
        "state": _state,
        "created_by": _person,
    }
    column_formatters_detail = column_formatters

    def is_accessible(self) -> bool:
        return super().is_accessible() and can_schedule_entry_windows(current_user)

    def may_write(self) -> bool:
        return can_schedule_entry_windows(current_user)

    def may_change(self, row) -> bool:
        return self.may_write() and entry_windows.state_of(row) in ("upcoming", "running")

    def on_form_prefill(self, form, id):
        row = self.get_one(id)
        if row is None:
            return
        for prefix, moment in (("starts", row.starts_at), ("ends", row.ends_at)):
            local = thaidate.to_local(moment)
            getattr(form, f"{prefix}_on").data = local.date()
            getattr(form, f"{prefix}_time").data = f"{local:%H:%M}"
        form.reason.data = row.reason

    def create_model(self, form):
        if not self.can_create:
            return super().create_model(form)  # refuses (403)
        return self._call_service(entry_windows.schedule_window, **_window_values(form)) or False

    def update_model(self, form, model) -> bool:
        if not self.can_edit:
            return super().update_model(form, model)  # refuses (403)
        return self._call_service(entry_windows.change_window, model.id, **_window_values(form)) is not None

    def _field_labels(self) -> dict:
        # The service names the stored fields; the form asks for them as a date and a time.
        return {
            "starts_at": _l("Closes on (B.E.)"),
            "ends_at": _l("Opens again on (B.E.)"),
            "reason": _l("Reason"),
        }

    @action(
        "end_now",
        _l("End now or withdraw"),
        _l("End these windows now (e-Plan takes data again at once), or withdraw those not yet begun?"),
    )
    def action_end_now(self, ids):
        for window_id in ids:
            try:
                row = entry_windows.end_window(acting_user(), int(window_id))
            except DomainError as exc:
                flash(messages.message_for(exc, "admin"), "error")
                continue
            when = thaidate.format_datetime(row.ends_at, locale_code())
            if row.cancelled_at is not None:
                flash(_("The read-only window was withdrawn; e-Plan stays open."), "success")
            else:
                flash(
                    _("The read-only window ended at %(when)s; e-Plan takes data again.", when=when),
                    "success",
                )


def register(admin_site) -> None:
    """Add the read-only windows to the back office."""
    admin_site.add_view(
        EntryWindowView(
            EntryWindow,
            db,
            name=_l("Read-only windows"),
            endpoint="admin_entry_windows",
            url="entry_windows",
        )
    )

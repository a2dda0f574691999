"""The overdue page: plans not made by their deadline and announced plans not yet submitted."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from eplan_flow.i18n import locale_code
from eplan_flow.main import bp
from eplan_flow.services.planning import deadlines


@bp.route("/overdue")
@login_required
def overdue():
    items = deadlines.overdue_items(current_user, locale=locale_code())
    return render_template("main/overdue.html", items=items)

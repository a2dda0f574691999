"""Oversight pages: the table of every LAO a district office, provincial office or DLA oversees,
its charts and its downloads. Read-only; views parse the filters and call the service."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from eplan_flow.errors import InvalidInput
from eplan_flow.i18n import locale_code
from eplan_flow.oversight import bp
from eplan_flow.oversight.forms import DIMENSION_LABELS, FilterForm
from eplan_flow.services.oversight import status as service
from eplan_flow.web import or_abort

DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", service.to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", service.to_xlsx),
}


def _board(dimension: str | None = None):
    filters = service.Filters.parse(request.args)
    try:
        return or_abort(service.dashboard, current_user, filters, dimension=dimension, locale=locale_code())
    except InvalidInput:
        # A province outside the reader's oversight does not exist for them.
        abort(404)


@bp.route("/")
@login_required
def dashboard():
    wanted = request.args.get("dim")
    dimension = wanted if wanted is not None and wanted in service.DIMENSIONS else "national_strategy"
    board = _board(dimension)
    form = FilterForm(
        formdata=MultiDict(
            {
                **board.filters.query_args(),
                "dim": dimension,
            }
        )
    )
    form.set_choices(board, locale_code())
    return render_template(
        "oversight/dashboard.html",
        board=board,
        form=form,
        filters=board.filters,
        bars=board.bars,
        dimension=dimension,
        dimension_label=DIMENSION_LABELS[dimension],
        districts=[] if board.needs_province else board.by_district(),
        national=service.is_national(current_user),
    )


@bp.route("/export.<fmt>")
@login_required
def download(fmt: str):
    if fmt not in DOWNLOADS:
        abort(404)
    board = _board()
    if board.needs_province:
        abort(400)
    mimetype, render = DOWNLOADS[fmt]
    name = f"oversight-{board.filters.province or 'all'}-{board.filters.fiscal_year_be}.{fmt}"
    return Response(
        render(board), mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )

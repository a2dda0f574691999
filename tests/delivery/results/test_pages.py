"""The results pages: a LAO's reports and actuals, the report with its figures, text and workflow
steps, in Thai and English; scoped to the LAO, written only by its planners, without JavaScript."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, EvaluationReport, YearEndActual
from eplan_flow.services.platform import engine
from eplan_flow.thaidate import fiscal_year, today_local
from tests import factories as world_factories
from tests.factories import results as factories
from tests.pages import csrf_token_in

ENDED = fiscal_year(today_local()) - 1
LABEL = "Actual income and expenditure (not the ordinance estimates)"


def text(response) -> str:
    return response.get_data(as_text=True)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_planner_opens_a_report_writes_its_text_and_sees_its_figures_and_next_step(world, db, login_as):
    factories.executed_plan(world)
    client = login_as(world.planner)
    lao = client.get(f"/results/laos/{world.sao_a.id}?lang=en")
    assert lao.status_code == 200 and LABEL in text(lao)
    assert f'action="/results/laos/{world.sao_a.id}/reports"' in text(lao)

    response = client.post(
        f"/results/laos/{world.sao_a.id}/reports", data={"fiscal_year_be": "2569", "round": "april"}
    )
    report = db.session.scalar(select(EvaluationReport))
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/results/reports/{report.id}"
    )
    again = client.post(
        f"/results/laos/{world.sao_a.id}/reports",
        data={"fiscal_year_be": "2569", "round": "april"},
        follow_redirects=True,
    )
    assert "already has a report" in text(again) and _count(db, EvaluationReport) == 1

    page = text(client.get(f"/results/reports/{report.id}?lang=th"))
    # Thai: the workflow's Thai labels and the round's Thai name are data.
    assert "คณะกรรมการติดตามและประเมินผลฯ จัดทำรายงาน" in page and "รอบเดือนเมษายน (ตุลาคม–มีนาคม)" in page
    assert "1,900.00" in page and "11,602.00" in page
    assert "เบิกจ่ายครบหลังสิ้นรอบรายงาน (31 มีนาคม 2569)" in page
    assert f'action="/results/reports/{report.id}/text"' in page

    response = client.post(f"/results/reports/{report.id}/text", data=factories.TEXT)
    assert response.status_code == 303
    english = text(client.get(f"/results/reports/{report.id}?lang=en"))
    assert "Drafting (evaluation committee)" in english and "By 13th NESDP milestone" in english
    assert factories.TEXT["findings"] in english
    assert (
        f'action="/instances/evaluation/{report.id}/fire"' in english and "Submit to the executive" in english
    )
    assert "1 October 2025" in english and "31 March 2026" in english


def test_a_submitted_report_shows_its_text_read_only_and_the_announcement_deadline(world, db, login_as):
    report = factories.drafted_report(world.sao_a, world.planner, fiscal_year_be=2569, workflow_version=1)
    engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    engine.fire(
        "evaluation",
        report.id,
        "present",
        world.executive,
        data={"meeting_date": "2026-10-01", "resolution": "ครั้งที่ 1/2569"},
    )
    client = login_as(world.planner)
    page = text(client.get(f"/results/reports/{report.id}"))
    assert f'action="/results/reports/{report.id}/text"' not in page
    assert factories.TEXT["method"] in page and "16 ตุลาคม 2569" in page and "31 ธันวาคม 2569" in page
    client.get(f"/results/reports/{report.id}?lang=en")
    refused = client.post(
        f"/results/reports/{report.id}/text",
        data={**factories.TEXT, "findings": "ใหม่"},
        follow_redirects=True,
    )
    assert "can be changed only while the committee drafts it" in text(refused)
    assert db.session.get(EvaluationReport, report.id).findings == factories.TEXT["findings"]

    executive = login_as(world.executive)
    page = text(executive.get(f"/results/reports/{report.id}?lang=en"))
    assert "Announce the report" in page and 'name="announced_on"' in page


def test_the_api_refuses_a_late_announcement_naming_its_deadline(world, db, login_as):
    report = factories.drafted_report(world.sao_a, world.planner, fiscal_year_be=2569, workflow_version=1)
    engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    engine.fire(
        "evaluation",
        report.id,
        "present",
        world.executive,
        data={"meeting_date": "2026-10-01", "resolution": "ครั้งที่ 1/2569"},
    )
    client = login_as(world.executive)
    response = client.post(
        f"/api/v1/instances/evaluation/{report.id}/fire",
        json={"trigger": "announce", "expected_version": 3, "data": {"announced_on": "2026-10-17"}},
    )
    assert response.status_code == 422
    assert (
        response.json["code"] == "evaluation_announcement_late" and "2026-10-16" in response.json["message"]
    )
    assert db.session.get(EvaluationReport, report.id).status == "presented"


def test_actuals_pages_say_they_are_actuals_in_thai_and_english_and_keep_what_was_typed_when_refused(
    world, db, login_as
):
    client = login_as(world.planner)
    url = f"/results/laos/{world.sao_a.id}/actuals/{ENDED}"
    thai = text(client.get(url + "?lang=th"))
    assert "ภาษีอากร" in thai and "งบลงทุน" in thai and world.sao_a.name_th in thai
    english = text(client.get(url + "?lang=en"))
    assert english.count(LABEL) >= 2 and "Taxes and duties" in english

    events = _count(db, AuditEvent)
    response = client.post(
        url,
        data={
            "income-taxes": "1,250,000.50",
            "expenditure-central": "-5",
            "expenditure-investment": "abc",
            "note": "งบการเงิน",
        },
    )
    assert response.status_code == 422
    page = text(response)
    assert 'value="1,250,000.50"' in page and 'value="-5"' in page and 'value="abc"' in page
    assert page.count('class="field-error"') == 2 and 'aria-invalid="true"' in page
    assert _count(db, YearEndActual) == 0 and _count(db, AuditEvent) == events

    response = client.post(url, data={"income-taxes": "1,250,000.50", "expenditure-central": "5"})
    assert response.status_code == 303
    saved = text(client.get(url))
    assert "1,250,000.50" in saved and "1,249,995.50" in saved
    assert db.session.scalar(
        select(YearEndActual.amount).where(YearEndActual.category == "taxes")
    ) == Decimal("1250000.50")


def test_the_current_fiscal_years_actuals_page_has_no_form_and_refuses_a_post(world, db, login_as):
    client = login_as(world.planner)
    current = fiscal_year(today_local())
    url = f"/results/laos/{world.sao_a.id}/actuals/{current}"
    page = text(client.get(url + "?lang=en"))
    assert "can be entered from the day after" in page and f'action="{url}"' not in page
    response = client.post(url, data={"income-taxes": "1.00"})
    assert response.status_code == 422 and _count(db, YearEndActual) == 0


def test_another_laos_planner_gets_not_found_and_a_reader_may_look_but_not_write(world, db, login_as):
    report = factories.drafted_report(world.sao_a, world.planner, fiscal_year_be=2569)
    urls = [
        f"/results/laos/{world.sao_a.id}",
        f"/results/laos/{world.sao_a.id}/actuals/{ENDED}",
        f"/results/reports/{report.id}",
    ]
    posts = [
        f"/results/laos/{world.sao_a.id}/reports",
        f"/results/laos/{world.sao_a.id}/actuals/{ENDED}",
        f"/results/reports/{report.id}/text",
    ]
    client = login_as(world.planner_x)
    for url in urls + [f"/results/laos/{world.do_3801.id}"]:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert (
            client.post(
                url, data={"income-taxes": "1", "fiscal_year_be": "2569", "round": "october"}
            ).status_code
            == 404
        )
    client = login_as(world.district_officer)
    for url in urls:
        assert client.get(url).status_code == 200, url
    for url in posts:
        assert (
            client.post(
                url, data={"income-taxes": "1", "fiscal_year_be": "2569", "round": "october"}
            ).status_code
            == 403
        )
    assert _count(db, YearEndActual) == 0 and _count(db, EvaluationReport) == 1


def test_the_actuals_form_needs_its_csrf_token(csrf_app):
    with csrf_app.app_context():
        world = world_factories.build_world()
        org_id = world.sao_a.id
        _db.session.remove()
    client = csrf_app.test_client()
    login = client.get("/auth/login")
    client.post(
        "/auth/login",
        data={"username": "a_planner", "password": "pw", "csrf_token": csrf_token_in(text(login))},
    )
    url = f"/results/laos/{org_id}/actuals/{ENDED}"
    assert client.post(url, data={"income-taxes": "10.00"}).status_code == 400
    token = csrf_token_in(text(client.get(url)))
    assert client.post(url, data={"income-taxes": "20.00", "csrf_token": token}).status_code == 303
    with csrf_app.app_context():
        try:
            assert _db.session.scalar(select(YearEndActual.amount)) == Decimal("20.00")
        finally:
            _db.session.remove()


def test_the_executive_announces_through_the_plain_workflow_form_and_day_16_is_refused(world, db, login_as):
    report = factories.drafted_report(world.sao_a, world.planner, fiscal_year_be=2569, workflow_version=1)
    engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    engine.fire(
        "evaluation",
        report.id,
        "present",
        world.executive,
        data={"meeting_date": "2026-10-01", "resolution": "ครั้งที่ 1/2569"},
    )
    client = login_as(world.executive)
    page = text(client.get(f"/results/reports/{report.id}"))
    action = f'action="/instances/evaluation/{report.id}/fire"'
    assert action in page and 'name="announced_on"' in page
    fire = f"/instances/evaluation/{report.id}/fire"
    late = client.post(
        fire, data={"trigger": "announce", "expected_version": "3", "announced_on": "2026-10-17"}
    )
    assert late.status_code == 303
    db.session.expire_all()
    assert db.session.get(EvaluationReport, report.id).status == "presented"
    done = client.post(
        fire, data={"trigger": "announce", "expected_version": "3", "announced_on": "2026-10-16"}
    )
    assert done.status_code == 303
    db.session.expire_all()
    row = db.session.get(EvaluationReport, report.id)
    assert (row.status, row.announced_on.isoformat()) == ("announced", "2026-10-16")
    assert "16 ตุลาคม 2569" in text(client.get(f"/results/reports/{report.id}?lang=th"))

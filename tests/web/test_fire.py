"""Taking a workflow step through the web form: Post/Redirect/Get, errors kept or flashed."""

from __future__ import annotations

from eplan_flow.models import AuditEvent, Plan
from eplan_flow.services.platform import engine
from tests import factories
from tests.factories.fire import MEETING, give_a_project, meeting_for


def text(response) -> str:
    return response.get_data(as_text=True)


def fire(client, plan, trigger, expected_version, comment="", **extra):
    data = {"trigger": trigger, "expected_version": expected_version, "comment": comment, **extra}
    return client.post(f"/instances/plan/{plan.id}/fire", data=data)


def input_tag(page: str, element_id: str) -> str:
    """The whole ``<input ...>`` tag carrying ``id="element_id"``."""
    at = page.index(f'id="{element_id}"')
    return page[page.rindex("<input", 0, at) : page.index(">", at) + 1]


def current(db, plan) -> Plan:
    db.session.expire_all()
    return db.session.get(Plan, plan.id)


def events(db, plan) -> list[AuditEvent]:
    return engine.history(current(db, plan))


def test_firing_through_the_form_moves_the_state_records_the_comment_and_redirects(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    client = login_as(world.planner)

    response = fire(client, plan, "submit_to_committee", plan.version, "มติที่ประชุมครั้งที่ 4/2569")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/instances/plan/{plan.id}"
    after = current(db, plan)
    assert (after.status, after.version) == ("committee_review", 2)
    last = events(db, plan)[-1]
    assert (last.action, last.actor_id, last.comment) == (
        "submit_to_committee",
        world.planner.id,
        "มติที่ประชุมครั้งที่ 4/2569",
    )
    assert last.request_id == response.headers["X-Request-ID"]
    page = text(client.get(response.headers["Location"]))
    assert "ดำเนินการแล้ว: เสนอคณะกรรมการพัฒนาท้องถิ่น" in page
    assert "มติที่ประชุมครั้งที่ 4/2569" in page  # in the history


def test_a_missing_required_comment_re_renders_the_page_with_422_and_changes_nothing(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    client = login_as(world.devcom_secretary)

    response = fire(client, plan, "return_for_revision", plan.version, "   ")

    assert response.status_code == 422
    page = text(response)
    assert "โปรดระบุเหตุผลในช่องความเห็น" in page
    assert 'aria-invalid="true"' in page
    assert f'name="expected_version" type="hidden" value="{plan.version}"' in page
    assert current(db, plan).status == "committee_review"
    assert [e.action for e in events(db, plan)] == ["create"]


def test_a_form_error_keeps_the_comment_the_person_typed(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    client = login_as(world.devcom_secretary)
    typed = "ยังขาดโครงการด้านสาธารณสุขตามที่ประชาคมเสนอ"

    # The version the person saw went missing from the form: nothing may move without it.
    response = fire(client, plan, "return_for_revision", "", typed)

    assert response.status_code == 422
    assert typed in text(response)
    assert f'name="expected_version" type="hidden" value="{plan.version}"' in text(response)
    assert current(db, plan).status == "committee_review"

    too_long = "ก" * 2001
    response = fire(client, plan, "return_for_revision", plan.version, too_long)
    assert response.status_code == 422
    assert too_long in text(response)
    assert current(db, plan).status == "committee_review"


def test_a_stale_version_says_someone_acted_first_and_changes_nothing(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    seen = plan.version
    engine.fire("plan", plan.id, "submit_to_committee", world.support_secretary)
    client = login_as(world.planner)

    response = fire(client, plan, "submit_to_committee", seen, "ส่งซ้ำ")

    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "มีผู้อื่นดำเนินการก่อนแล้ว" in page
    after = current(db, plan)
    assert (after.status, after.version) == ("committee_review", seen + 1)
    assert [e.actor_id for e in events(db, plan)] == [world.planner.id, world.support_secretary.id]


def test_a_step_the_persons_role_may_not_take_is_forbidden(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    response = fire(login_as(world.executive), plan, "submit_to_committee", plan.version)
    assert response.status_code == 403
    assert "ไม่มีสิทธิ์" in text(response)
    assert current(db, plan).status == "drafting"


def test_a_step_not_open_from_the_current_state_is_flashed_and_changes_nothing(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    client = login_as(world.planner)
    response = fire(client, plan, "submit_to_oversight", plan.version)
    assert response.status_code == 303
    assert "ไม่สามารถดำเนินขั้นตอนนี้ได้จากสถานะปัจจุบัน" in text(client.get(response.headers["Location"]))
    assert current(db, plan).status == "drafting"


def test_firing_on_another_laos_instance_is_not_found_and_changes_nothing(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    response = fire(login_as(world.planner_x), plan, "submit_to_committee", plan.version)
    assert response.status_code == 404
    assert current(db, plan).status == "drafting"


def test_firing_on_an_unknown_instance_or_workflow_is_not_found(world, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    client = login_as(world.planner)
    missing = client.post(
        f"/instances/plan/{plan.id + 999}/fire",
        data={"trigger": "submit_to_committee", "expected_version": 1},
    )
    assert missing.status_code == 404
    unknown = client.post(
        f"/instances/nope/{plan.id}/fire", data={"trigger": "submit_to_committee", "expected_version": 1}
    )
    assert unknown.status_code == 404


def test_a_whole_plan_round_through_the_forms_reaches_the_province(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner)
    steps = [
        (world.planner, "submit_to_committee", "committee_review"),
        (world.devcom_secretary, "endorse", "council_review"),  # an อบต. goes to its council
        (world.council_secretary, "approve_by_council", "executive_review"),
        (world.executive, "approve_and_announce", "announced"),
        (world.planner, "submit_to_oversight", "submitted"),
        (world.provincial_officer, "acknowledge", "acknowledged"),
    ]
    give_a_project(plan, world.planner)
    for actor, trigger, state in steps:
        response = fire(
            login_as(actor), plan, trigger, current(db, plan).version, **(meeting_for(trigger) or {})
        )
        assert response.status_code == 303, (trigger, text(response)[:300])
        assert current(db, plan).status == state
    page = text(login_as(world.planner).get(f"/instances/plan/{plan.id}"))
    assert "ไม่มีขั้นตอนถัดไป" in page


# -- steps that record a meeting's date and resolution -------------------------------------------
def test_a_committee_step_asks_for_the_meeting_date_and_resolution_as_required_inputs(world, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    page = text(login_as(world.devcom_secretary).get(f"/instances/plan/{plan.id}"))

    date_input = input_tag(page, "meeting_date-endorse")
    # Typed dd/mm/yyyy of the Buddhist Era, as every page shows a date: no Gregorian date picker.
    assert 'type="text"' in date_input and 'inputmode="numeric"' in date_input and " required" in date_input
    assert 'name="meeting_date"' in date_input and "pattern=" in date_input
    assert 'aria-describedby="meeting_date-endorse-hint"' in date_input
    assert 'id="meeting_date-endorse-hint">วว/ดด/ปปปป (พ.ศ.) เช่น 15/01/2569</p>' in page
    assert 'type="date"' not in page
    text_input = input_tag(page, "resolution-endorse")
    assert 'type="text"' in text_input and " required" in text_input
    assert '<label for="meeting_date-endorse">' in page and '<label for="resolution-endorse">' in page
    # A return needs no meeting facts: its form has none.
    assert 'id="meeting_date-return_for_revision"' not in page


def test_endorsing_records_the_meeting_and_the_history_shows_it_in_buddhist_era(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    client = login_as(world.devcom_secretary)

    response = fire(client, plan, "endorse", plan.version, "", **MEETING)

    assert response.status_code == 303, text(response)[:300]
    assert current(db, plan).status == "council_review"
    assert events(db, plan)[-1].data == MEETING
    page = text(client.get(response.headers["Location"]))
    assert "20 พฤศจิกายน 2569" in page  # 2026-11-20 in the Buddhist Era
    assert "ครั้งที่ 4/2569" in page


def test_a_meeting_date_typed_in_the_buddhist_era_is_recorded_as_the_day_it_names(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    client = login_as(world.devcom_secretary)

    response = fire(
        client, plan, "endorse", plan.version, meeting_date="๒๐/๑๑/๒๕๖๙", resolution="ครั้งที่ 4/2569"
    )

    assert response.status_code == 303, text(response)[:300]
    assert current(db, plan).status == "council_review"
    assert events(db, plan)[-1].data == MEETING  # {"meeting_date": "2026-11-20", ...}
    assert "20 พฤศจิกายน 2569" in text(client.get(response.headers["Location"]))


def test_a_meeting_date_with_a_gregorian_year_is_refused_in_thai_and_changes_nothing(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    client = login_as(world.devcom_secretary)

    response = fire(
        client, plan, "endorse", plan.version, meeting_date="20/11/2026", resolution="ครั้งที่ 4/2569"
    )

    assert response.status_code == 422
    page = text(response)
    assert (
        '<p class="field-error" id="meeting_date-endorse-error">'
        "โปรดระบุปีเป็นพุทธศักราช (พ.ศ.) คือ 2569 ไม่ใช่ 2026</p>"
    ) in page
    date_input = input_tag(page, "meeting_date-endorse")
    assert 'value="20/11/2026"' in date_input and 'aria-invalid="true"' in date_input
    assert 'aria-describedby="meeting_date-endorse-hint meeting_date-endorse-error"' in date_input
    assert current(db, plan).status == "committee_review"
    assert [e.action for e in events(db, plan)] == ["create"]


def test_a_missing_meeting_date_re_renders_with_422_next_to_it_keeping_what_was_typed(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    client = login_as(world.devcom_secretary)

    response = fire(
        client, plan, "endorse", plan.version, "เห็นชอบร่างแผน", meeting_date="", resolution="ครั้งที่ 4/2569"
    )

    assert response.status_code == 422
    page = text(response)
    assert 'id="meeting_date-endorse-error"' in page
    assert 'aria-invalid="true"' in input_tag(page, "meeting_date-endorse")
    assert 'value="ครั้งที่ 4/2569"' in page and "เห็นชอบร่างแผน" in page
    assert 'id="comment-endorse-error"' not in page
    after = current(db, plan)
    assert (after.status, after.version) == ("committee_review", plan.version)
    assert [e.action for e in events(db, plan)] == ["create"]


def test_a_meeting_date_in_the_future_is_refused_next_to_the_date(world, db, login_as):
    from datetime import timedelta

    from eplan_flow.thaidate import today_local

    plan = factories.plan(world.sao_a, world.planner, status="council_review")
    client = login_as(world.council_secretary)
    tomorrow = (today_local() + timedelta(days=1)).isoformat()

    response = fire(
        client,
        plan,
        "approve_by_council",
        plan.version,
        meeting_date=tomorrow,
        resolution="สมัยสามัญ สมัยที่ 4/2569",
    )

    assert response.status_code == 422
    page = text(response)
    assert 'id="meeting_date-approve_by_council-error"' in page
    assert f'value="{tomorrow}"' in page and 'value="สมัยสามัญ สมัยที่ 4/2569"' in page
    assert current(db, plan).status == "council_review"
    assert [e.action for e in events(db, plan)] == ["create"]


def test_a_missing_resolution_is_named_and_changes_nothing(world, db, login_as):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    client = login_as(world.devcom_secretary)

    response = fire(client, plan, "endorse", plan.version, meeting_date="2026-11-20", resolution="  ")

    assert response.status_code == 422
    assert 'id="resolution-endorse-error"' in text(response)
    assert 'value="20/11/2569"' in text(response)  # the date kept, shown in the Buddhist Era
    assert current(db, plan).status == "committee_review"

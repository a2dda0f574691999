"""Issue 9, item 9: crashes and loose input.

A CRLF in ``next`` and a JSON body nested 100,000 deep gave 500s; meeting dates like 0001-01-01,
names made only of zero-width characters, mark stacks behind bidi overrides and non-Thai,
non-ASCII digits were accepted. Each test performs the attack against the real app (the test
client) on PostgreSQL and re-reads the database: refused (or cleaned) with nothing else changed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, LaoStrategy, OutboxMessage, Plan, ProjectRecord, User
from eplan_flow.services.identity import accounts
from eplan_flow.thaidate import today_local
from tests import factories
from tests.conftest import make_app
from tests.factories import plans as pf
from tests.factories.fire import MEETING
from tests.identity.sso.conftest import STRONG_PASSWORD, citizen_id, register

API = "/api/v1"
CRLF_NEXT = "/plans\r\nSet-Cookie: stolen=1\r\nX-Injected: yes"
ZERO_WIDTH_NAME = "\u200b\u200c\u200d\u2060\ufeff"
# "ก" under a right-to-left override carrying a stack of tone marks and accents ("Zalgo").
ZALGO = "\u202eก" + "\u0e48\u0e49\u0e4a\u0e4b\u0301\u0302\u0303" * 4 + "\u202c"
FOREIGN_AMOUNTS = ["١٢٣", "１２３", "१२३"]  # Arabic-Indic, full-width, Devanagari: int() reads them all

MSG_TOO_EARLY = "วันที่ต้องไม่ก่อนวันที่ 1 มกราคม พ.ศ. 2500"
MSG_FUTURE = "วันที่ต้องไม่เป็นวันในอนาคต"
MSG_VISIBLE = "โปรดกรอกข้อความที่มองเห็นได้"
MSG_MARKS = "โปรดลบสระหรือวรรณยุกต์ที่ซ้อนเกิน"
MSG_DIGITS = "โปรดเขียนตัวเลขด้วยเลขอารบิก 0-9 หรือเลขไทย ๐-๙ เท่านั้น"


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def snapshot(plan_id: int) -> tuple:
    """What a refused step must leave untouched."""
    _db.session.expire_all()
    plan = _db.session.get(Plan, plan_id)
    return plan.status, plan.version, count(AuditEvent), count(OutboxMessage)


def html(response) -> str:
    return response.get_data(as_text=True)


def assert_safe_redirect(response, expected: str) -> None:
    assert response.status_code in (302, 303), html(response)[:300]
    assert response.headers["Location"] == expected
    assert "X-Injected" not in response.headers
    assert all("stolen" not in value for value in response.headers.getlist("Set-Cookie"))


# -- CRLF in next -----------------------------------------------------------------------------------
def test_a_crlf_in_next_on_e_plans_sign_in_page_redirects_home_without_injecting_a_header(world, client):
    response = client.post(
        "/auth/login",
        query_string={"next": CRLF_NEXT},
        data={"username": world.planner.username, "password": "pw"},
    )
    assert_safe_redirect(response, "/")

    again = client.get("/auth/login", query_string={"next": CRLF_NEXT})  # signed in: straight on
    assert_safe_redirect(again, "/")
    sso = client.get("/auth/oidc/login", query_string={"next": "/\t/evil.example"})
    assert_safe_redirect(sso, "/")


def test_a_crlf_in_next_on_the_sso_pages_redirects_to_the_sso_without_injecting_a_header(world, db, client):
    person = register(world.sao_a, 1).user
    signed_in = client.post(
        "/sso/login",
        query_string={"next": CRLF_NEXT},
        data={"email": person.email, "password": STRONG_PASSWORD},
    )
    assert_safe_redirect(signed_in, "/sso/")
    assert_safe_redirect(client.get("/sso/login", query_string={"next": CRLF_NEXT}), "/sso/")
    assert client.get("/sso/reauth", query_string={"next": CRLF_NEXT}).status_code == 200
    assert_safe_redirect(client.post("/sso/logout", query_string={"next": CRLF_NEXT}), "/sso/login")


# -- JSON nested 100,000 deep -----------------------------------------------------------------------
@pytest.fixture
def api(app):
    """A second app on the same database: each request gets its own context, as in production."""
    served = make_app()
    yield served.test_client()
    with served.app_context():
        _db.engine.dispose()


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        '{"trigger": "submit_to_committee", "data": ' + "[" * 100_000 + "]" * 100_000 + "}",
        # Parseable, but deeper than any request needs (and than recursive code should walk).
        '{"trigger": "submit_to_committee", "data": ' + "[" * 500 + "]" * 500 + "}",
    ],
    ids=["array", "object", "inside-a-fire", "five-hundred-deep"],
)
def test_a_deeply_nested_json_body_to_the_api_is_a_400_invalid_json_and_changes_nothing(api, world, body):
    plan = factories.plan(world.sao_a, world.planner, status="drafting")
    headers = {"Authorization": f"Bearer {accounts.create_token(world.planner.username, 'attack')}"}
    before = snapshot(plan.id)

    response = api.post(
        f"{API}/instances/plan/{plan.id}/fire", data=body, content_type="application/json", headers=headers
    )

    assert response.status_code == 400, html(response)[:300]
    answer = response.get_json()
    assert answer["code"] == "invalid_json" and answer["message"]
    assert snapshot(plan.id) == before


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        "[1]",
        "7",
        '{"trigger": {"a": 1}, "expected_version": [1, 2]}',
    ],
    ids=["deep", "list", "number", "nested-values"],
)
def test_a_json_body_to_a_form_page_is_refused_never_a_500(client, login_as, world, body):
    # Flask-WTF would read it as form data; outside the API a JSON body is refused outright.
    plan = factories.plan(world.sao_a, world.planner, status="drafting")
    login_as(world.planner)
    before = snapshot(plan.id)
    for path in (
        "/auth/login",
        "/sso/login",
        "/oidc/token",
        "/oidc/revoke",
        f"/instances/plan/{plan.id}/fire",
        f"/plans/{plan.id}/projects/new",
    ):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 415, (path, response.status_code)
    assert client.post(f"{API}/me", data=body, content_type="application/json").status_code < 500
    assert snapshot(plan.id) == before


@pytest.mark.parametrize(
    "body, status, reason",
    [
        ({"trigger": "submit_to_committee", "comment": ["a"]}, 422, None),
        ({"trigger": "submit_to_committee", "expected_version": 10**30}, 409, None),
        ({"trigger": "submit_to_committee", "comment": "\u200b\u2066\u2069"}, 200, None),
        ({"trigger": "submit_to_committee", "comment": ZALGO}, 422, "marks"),
        ('{"trigger": "submit_to_committee", "comment": "\\ud800x\\udfff"}', 200, None),
    ],
    ids=[
        "comment-list",
        "huge-version",
        "invisible-comment-is-no-comment",
        "zalgo-comment",
        "lone-surrogate",
    ],
)
def test_odd_values_in_an_api_fire_are_refused_or_cleaned_never_a_500(api, world, body, status, reason):
    plan = factories.plan(world.sao_a, world.planner, status="drafting")
    pf.strategy(plan)
    headers = {"Authorization": f"Bearer {accounts.create_token(world.planner.username, 'attack')}"}
    before = snapshot(plan.id)

    if isinstance(body, str):  # JSON text a client can send but a Python str cannot encode
        response = api.post(
            f"{API}/instances/plan/{plan.id}/fire",
            data=body,
            content_type="application/json",
            headers=headers,
        )
    else:
        response = api.post(f"{API}/instances/plan/{plan.id}/fire", json=body, headers=headers)

    assert response.status_code == status, html(response)[:300]
    if status != 200:
        assert response.get_json()["code"] in ("invalid_input", "stale_state")
        assert snapshot(plan.id) == before
        if reason:
            assert response.get_json()["details"]["reason"] == reason
    else:
        event = _db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.to_state == "committee_review" and event.comment in (None, "x")


@pytest.mark.parametrize("page", ["99999999999999999999", "1" * 400, "٣", "๑e9"])
def test_an_absurd_page_number_is_a_400_not_a_database_error(world, client, login_as, page):
    login_as(world.planner)
    for path in ("/", "/notifications", "/public/"):
        assert client.get(path, query_string={"page": page}).status_code == 400, path
    assert client.get("/", query_string={"page": "๒"}).status_code == 200  # Thai digits are digits


# -- meeting dates ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "meeting_date, message",
    [
        ("0001-01-01", MSG_TOO_EARLY),
        ("1956-12-31", MSG_TOO_EARLY),
        ((today_local() + timedelta(days=1)).isoformat(), MSG_FUTURE),
        ("9999-12-31", MSG_FUTURE),
    ],
)
def test_a_committee_meeting_date_outside_b_e_2500_to_today_is_refused_in_thai(
    world, client, login_as, meeting_date, message
):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    login_as(world.devcom_secretary)
    before = snapshot(plan.id)

    response = client.post(
        f"/instances/plan/{plan.id}/fire",
        data={
            "trigger": "endorse",
            "expected_version": plan.version,
            "meeting_date": meeting_date,
            "resolution": "ครั้งที่ 4/2569",
        },
    )

    assert response.status_code == 422
    assert message in html(response)
    assert snapshot(plan.id) == before


@pytest.mark.parametrize(
    "meeting_date, reason",
    [
        ("0001-01-01", "date_too_early"),
        ((today_local() + timedelta(days=1)).isoformat(), "date_in_future"),
    ],
)
def test_the_api_refuses_the_same_meeting_dates_with_a_stable_reason(api, world, meeting_date, reason):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    headers = {"Authorization": f"Bearer {accounts.create_token(world.devcom_secretary.username, 'attack')}"}
    before = snapshot(plan.id)

    response = api.post(
        f"{API}/instances/plan/{plan.id}/fire",
        headers=headers,
        json={"trigger": "endorse", "data": {**MEETING, "meeting_date": meeting_date}},
    )

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid_input"
    assert body["details"] == {**body["details"], "field": "meeting_date", "reason": reason}
    assert snapshot(plan.id) == before


def test_a_meeting_date_in_thai_digits_is_recorded_in_arabic_digits(api, world):
    plan = factories.plan(world.sao_a, world.planner, status="committee_review")
    headers = {"Authorization": f"Bearer {accounts.create_token(world.devcom_secretary.username, 'attack')}"}

    response = api.post(
        f"{API}/instances/plan/{plan.id}/fire",
        headers=headers,
        json={
            "trigger": "endorse",
            "data": {"meeting_date": "๒๐๒๕-๐๑-๑๕", "resolution": "\u202eครั้งที่ ๔/๒๕๖๘\u202c"},
        },
    )

    assert response.status_code == 200, html(response)[:300]
    event = _db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.data["meeting_date"] == "2025-01-15"
    assert event.data["resolution"] == "ครั้งที่ ๔/๒๕๖๘"  # the bidi override gone, the Thai digits kept in text


# -- names: zero-width only, mark stacks behind bidi overrides --------------------------------------
@pytest.fixture
def scene(world, db):
    world.plan = pf.drafting_plan(world.sao_a, world.planner)
    world.s1 = pf.strategy(world.plan, 1, "ยุทธศาสตร์การพัฒนาด้านโครงสร้างพื้นฐาน")
    world.works = pf.programme()
    return world


def project_form(scene, **overrides) -> dict:
    return {
        "name": "โครงการขุดลอกคลองสาธารณะ",
        "objective": "เพื่อระบายน้ำ",
        "target": "ยาว 1 กิโลเมตร",
        "kpi": "",
        "expected_result": "",
        "responsible_unit": "กองช่าง",
        "source": "own",
        "strategy_id": str(scene.s1.id),
        "tactic_id": str(scene.s1.tactics[0].id),
        "programme_id": str(scene.works.id),
        "budget_2566": "1,000,000.00",
        "budget_2567": "",
        "budget_2568": "",
        "budget_2569": "",
        "budget_2570": "",
        **overrides,
    }


def project_rows(plan_id: int) -> list[ProjectRecord]:
    _db.session.expire_all()
    return list(_db.session.scalars(select(ProjectRecord).where(ProjectRecord.plan_id == plan_id)))


@pytest.mark.parametrize(
    "name, message",
    [
        (ZERO_WIDTH_NAME, MSG_VISIBLE),
        ("\u3164\u2800 \u200b", MSG_VISIBLE),
        ("\u0e48\u0e49", MSG_VISIBLE),
        (ZALGO, MSG_MARKS),
        ("โครงการ" + ZALGO, MSG_MARKS),
    ],
    ids=["zero-width", "blank-looking-letters", "marks-alone", "zalgo", "zalgo-after-a-word"],
)
def test_a_project_name_that_shows_nothing_or_stacks_marks_is_refused_in_thai(
    scene, client, login_as, name, message
):
    login_as(scene.planner)
    events = count(AuditEvent)

    response = client.post(f"/plans/{scene.plan.id}/projects/new", data=project_form(scene, name=name))

    assert response.status_code == 422
    assert message in html(response) and 'id="e-name"' in html(response)
    assert project_rows(scene.plan.id) == [] and count(AuditEvent) == events


def test_the_project_service_refuses_a_zero_width_name_whoever_calls_it(scene):
    from eplan_flow.errors import InvalidInput
    from eplan_flow.services.planning import plans

    events = count(AuditEvent)
    with pytest.raises(InvalidInput) as refused:
        plans.add_project(
            scene.planner, scene.plan.id, pf.project_values(scene.s1, scene.works, name=ZERO_WIDTH_NAME)
        )
    assert refused.value.details["field"] == "name"
    assert project_rows(scene.plan.id) == [] and count(AuditEvent) == events


def test_bidi_overrides_and_zero_width_characters_are_cleaned_out_of_a_saved_name(scene, client, login_as):
    login_as(scene.planner)

    response = client.post(
        f"/plans/{scene.plan.id}/projects/new",
        data=project_form(
            scene,
            name="\u202eโครงการ\u200bขุดลอก\u2066คลอง\u2069\u202c",
            objective="บรรทัดแรก\r\n\u200bบรรทัดสอง",
        ),
    )

    assert response.status_code == 303, html(response)[:500]
    [row] = project_rows(scene.plan.id)
    assert row.name == "โครงการขุดลอกคลอง"
    assert row.objective == "บรรทัดแรก\nบรรทัดสอง"


def test_a_strategy_name_of_only_zero_width_characters_is_refused_in_thai(scene, client, login_as):
    login_as(scene.planner)
    before = [(s.id, s.name) for s in _db.session.scalars(select(LaoStrategy))]

    response = client.post(
        f"/catalogues/plans/{scene.plan.id}/strategies", data={"number": "2", "name": ZERO_WIDTH_NAME}
    )

    assert response.status_code == 422 and MSG_VISIBLE in html(response)
    _db.session.expire_all()
    assert [(s.id, s.name) for s in _db.session.scalars(select(LaoStrategy))] == before


def test_a_person_whose_name_is_only_zero_width_characters_cannot_register(world, db, client):
    users = count(User)
    response = client.post(
        f"/sso/register?org={world.sao_a.id}",
        data={
            "organisation_id": world.sao_a.id,
            "citizen_id": citizen_id(91),
            "title": "นาย",
            "first_name": ZERO_WIDTH_NAME,
            "last_name": "\u202e\u200b",
            "email": "ghost@lao.example.test",
            "phone": "0891234567",
            "position": "นักวิเคราะห์นโยบายและแผน",
            "requested_role": "member",
            "password": STRONG_PASSWORD,
            "password_again": STRONG_PASSWORD,
            "birth_date": "14/03/2531",
        },
    )

    assert response.status_code == 422
    assert html(response).count(MSG_VISIBLE) >= 2
    assert count(User) == users
    assert _db.session.scalar(select(User).where(User.email == "ghost@lao.example.test")) is None


def test_a_phone_number_in_arabic_indic_digits_cannot_register(world, db, client):
    users = count(User)
    response = client.post(
        f"/sso/register?org={world.sao_a.id}",
        data={
            "organisation_id": world.sao_a.id,
            "citizen_id": citizen_id(92),
            "title": "นาย",
            "first_name": "สมชาย",
            "last_name": "ใจดี",
            "email": "digits@lao.example.test",
            "phone": "0٨٩١٢٣٤٥٦٧",
            "position": "นักวิเคราะห์นโยบายและแผน",
            "requested_role": "member",
            "password": STRONG_PASSWORD,
            "password_again": STRONG_PASSWORD,
            "birth_date": "14/03/2531",
        },
    )

    assert response.status_code == 422 and MSG_DIGITS in html(response)
    assert count(User) == users


# -- digits in amounts ------------------------------------------------------------------------------
@pytest.mark.parametrize("amount", FOREIGN_AMOUNTS)
def test_a_budget_in_digits_other_than_arabic_or_thai_is_refused_in_thai(scene, client, login_as, amount):
    login_as(scene.planner)
    events = count(AuditEvent)

    response = client.post(
        f"/plans/{scene.plan.id}/projects/new", data=project_form(scene, budget_2567=amount)
    )

    assert response.status_code == 422
    assert MSG_DIGITS in html(response) and 'id="e-budget_2567"' in html(response)
    assert project_rows(scene.plan.id) == [] and count(AuditEvent) == events


@pytest.mark.parametrize("amount", FOREIGN_AMOUNTS)
def test_the_project_service_refuses_foreign_digits_whoever_calls_it(scene, amount):
    from eplan_flow.errors import InvalidInput
    from eplan_flow.services.planning import plans

    events = count(AuditEvent)
    with pytest.raises(InvalidInput) as refused:
        plans.add_project(
            scene.planner,
            scene.plan.id,
            pf.project_values(scene.s1, scene.works, budgets={2566: "1.00", 2567: amount}),
        )
    assert refused.value.details == {**refused.value.details, "field": "budget_2", "reason": "foreign_digits"}
    assert project_rows(scene.plan.id) == [] and count(AuditEvent) == events


def test_a_budget_in_thai_digits_is_accepted_and_stored_as_a_number(scene, client, login_as):
    login_as(scene.planner)

    response = client.post(
        f"/plans/{scene.plan.id}/projects/new",
        data=project_form(scene, budget_2566="๑,๒๕๐,๐๐๐.๕๐", budget_2567="๓๐๐"),
    )

    assert response.status_code == 303, html(response)[:500]
    [row] = project_rows(scene.plan.id)
    assert (row.budget_1, row.budget_2) == (Decimal("1250000.50"), Decimal("300.00"))


@pytest.mark.parametrize("number", ["٢", "２", "99999999999999999999999"])
def test_a_strategy_number_in_foreign_digits_or_absurdly_large_is_refused_not_a_500(
    scene, client, login_as, number
):
    login_as(scene.planner)
    before = [(s.id, s.number, s.name) for s in _db.session.scalars(select(LaoStrategy))]

    response = client.post(
        f"/catalogues/plans/{scene.plan.id}/strategies", data={"number": number, "name": "ยุทธศาสตร์ที่สอง"}
    )

    assert response.status_code == 422
    _db.session.expire_all()
    assert [(s.id, s.number, s.name) for s in _db.session.scalars(select(LaoStrategy))] == before


@pytest.mark.parametrize("version", ["٣", "99999999999999999999", "-1", "1e3"])
def test_an_odd_expected_version_in_a_fire_form_is_refused_not_a_500(world, client, login_as, version):
    plan = factories.plan(world.sao_a, world.planner, status="drafting")
    login_as(world.planner)
    before = snapshot(plan.id)

    response = client.post(
        f"/instances/plan/{plan.id}/fire",
        data={"trigger": "submit_to_committee", "expected_version": version},
    )

    assert response.status_code == 422
    assert snapshot(plan.id) == before

"""The one message catalogue (``eplan_flow.messages``): every refusal's code is worded in Thai and
English, and a page and the JSON API say the same sentence for the same refusal."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

import admin
import eplan_flow
from eplan_flow import messages
from eplan_flow.errors import DomainError, InvalidInput, PermissionDenied, StaleState
from eplan_flow.extensions import db as _db
from eplan_flow.models import Plan
from eplan_flow.services.delivery import evaluation
from eplan_flow.services.identity import accounts
from eplan_flow.services.platform import engine
from eplan_flow.text import InputRefused
from tests import factories
from tests.conftest import make_app
from tests.factories import execution as execution_factories
from tests.factories import results as results_factories

THAI = re.compile("[\u0e00-\u0e7f]")
PLACEHOLDER = re.compile(r"%\((\w+)\)")


def _every_domain_error() -> list[type[DomainError]]:
    """DomainError and every subclass any module of the app or the back office defines."""
    for package in (eplan_flow, admin):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" not in module.name:
                importlib.import_module(module.name)
    found, todo = [], [DomainError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _in(locale: str, entry) -> str:
    with force_locale(locale):
        return str(entry)


def test_every_domain_error_code_has_a_thai_and_an_english_sentence(app):
    codes = {cls.code for cls in _every_domain_error()}
    assert len(codes) > 30  # the walk found the services' own errors, not only eplan_flow.errors

    missing = sorted(code for code in codes if code not in messages.CATALOGUE)
    assert missing == []
    with app.test_request_context():
        for code in codes:
            english, thai = _in("en", messages.CATALOGUE[code]), _in("th", messages.CATALOGUE[code])
            assert english and THAI.search(thai), code
            assert thai != english, code


def test_every_sentence_of_the_catalogue_is_translated_with_the_same_placeholders(app):
    with app.test_request_context():
        for key, entry in messages.CATALOGUE.items():
            english, thai = _in("en", entry), _in("th", entry)
            assert thai != english and THAI.search(thai), key
            assert sorted(PLACEHOLDER.findall(thai)) == sorted(PLACEHOLDER.findall(english)), key


def test_every_domain_error_reads_as_a_sentence_even_without_its_details(app):
    with app.test_request_context(), force_locale("th"):
        for cls in _every_domain_error():
            error = cls.__new__(cls)
            DomainError.__init__(error, "for the logs only")
            said = messages.message_for(error)
            assert said and "for the logs only" not in said and "%(" not in said, cls


def test_a_code_detail_or_page_context_picks_the_more_specific_sentence(app):
    with app.test_request_context(), force_locale("en"):
        denied = PermissionDenied("not the approver")
        assert messages.message_for(denied) == "You do not have the role needed for this page or action."
        assert messages.message_for(denied, "approval").startswith("Nothing was changed: you may not decide")
        no_role = PermissionDenied("no role", reason="no_role")
        assert messages.message_for(no_role, "sign_in").startswith(
            "Your Single Sign-On account has no e-Plan"
        )
        assert messages.message_for(PermissionDenied("other"), "sign_in") == (
            "Signing in through the Single Sign-On did not complete. Please try again."
        )
        assert messages.message_for(StaleState("x"), "step").startswith(
            "Someone else acted on this item first."
        )
        # "sso.reauth" says its own sentence for a wrong password and falls back to "sso" for the rest.
        assert messages.message_for_code("invalid_credentials", "sso.reauth") == "Wrong password."
        assert messages.message_for_code("invalid_input", "sso.reauth") == (
            "Nothing was saved: check the form; something is missing or not valid."
        )
        too_long = InputRefused("too_long", "name is too long", field="name", max_length=500)
        assert messages.message_for(too_long) == "At most 500 characters."
        amount = InvalidInput("x", field="amount")
        labelled = messages.message_for(amount, "execution", labels={"amount": "Amount"})
        assert labelled == "Nothing was saved: check “Amount”; it is missing or not valid."


def test_a_sentence_whose_detail_is_missing_gives_way_to_a_less_specific_one(app):
    with app.test_request_context(), force_locale("en"):
        late = messages.message_for_code("evaluation_announcement_late", deadline="2026-10-16")
        assert "2026-10-16" in late
        # Without the deadline the sentence cannot be filled: the generic code's sentence stands in.
        assert messages.message_for_code("evaluation_announcement_late") == (
            "Nothing was changed: the request was not valid."
        )


def test_the_refusal_sentence_pages_repeated_is_written_once():
    sources = [
        path.read_text(encoding="utf-8")
        for root in ("eplan_flow", "admin", "templates")
        for pattern in ("*.py", "*.html")
        for path in (Path(__file__).parents[2] / root).rglob(pattern)
    ]
    assert sum(text.count("That request was not valid; nothing was changed.") for text in sources) == 1


# -- one refusal, on a page and through the API ----------------------------------------------------
@pytest.fixture
def api(app):
    served = make_app()
    yield served.test_client()
    with served.app_context():
        _db.engine.dispose()


def test_a_page_and_the_api_word_a_step_not_open_now_with_the_catalogues_sentence(world, db, login_as, api):
    plan = factories.plan(world.sao_a, world.planner)
    with force_locale("th"):
        sentence = messages.message_for_code("transition_not_allowed")
    assert THAI.search(sentence)

    client = login_as(world.planner)
    page = client.post(
        f"/instances/plan/{plan.id}/fire",
        data={"trigger": "endorse", "expected_version": plan.version, "comment": ""},
    )
    assert page.status_code == 303
    assert sentence in client.get(page.headers["Location"]).get_data(as_text=True)

    token = accounts.create_token(world.planner.username, "catalogue test")
    answer = api.post(
        f"/api/v1/instances/plan/{plan.id}/fire",
        json={"trigger": "endorse"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 422
    assert answer.get_json()["code"] == "transition_not_allowed"
    assert answer.get_json()["message"] == sentence

    db.session.expire_all()
    assert db.session.get(Plan, plan.id).status == "drafting"


# -- the Thai that was written outside Babel ---------------------------------------------------------
def test_why_a_project_is_not_counted_reads_in_the_readers_language_thai_first(world, db, login_as):
    execution = execution_factories.budgeted(world.sao_a, world.planner)
    client = login_as(world.district_officer)

    assert "ยังไม่ลงนามสัญญา" in client.get(f"/execution/{execution.id}").get_data(as_text=True)
    english = client.get(f"/execution/{execution.id}?lang=en").get_data(as_text=True)
    assert "No contract signed yet" in english and "ยังไม่ลงนามสัญญา" not in english


def test_a_report_submitted_by_someone_reading_english_keeps_its_reasons_in_thai(world, db, app):
    results_factories.executed_plan(world)
    report = evaluation.create_report(world.planner, world.sao_a.id, 2569, "october")
    evaluation.update_text(world.planner, report.id, **results_factories.TEXT)

    with app.test_request_context(), force_locale("en"):
        live = evaluation.figures(world.sao_a.id, 2569, "october").not_counted
        engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    db.session.refresh(report)

    assert live[0].reason == "Disbursing: 75% of the contract disbursed, progress at 60%"
    assert (
        report.figures["not_counted"][0]["reason"] == "อยู่ระหว่างเบิกจ่าย: เบิกจ่ายแล้ว 75% ของสัญญา, ความคืบหน้า 60%"
    )


def test_a_template_speaks_the_language_in_force_at_each_word(app):
    # Templates find the request's catalogue once and keep it beside its locale; a forced locale (an
    # email in the recipient's language) and a refreshed one (the next request) are each obeyed.
    from flask_babel import refresh

    template = app.jinja_env.from_string(
        '{{ _("Projects") }}|{{ ngettext("%(num)s project", "%(num)s projects", 2) }}'
    )
    with app.test_request_context("/?lang=th"):
        thai = template.render()
        with force_locale("en"):
            english = template.render()
        assert template.render() == thai
        with app.test_request_context("/?lang=en"):
            refresh()
            assert template.render() == english
    assert thai == "โครงการ|โครงการ 2 โครงการ"
    assert english == "Projects|2 projects"

"""ThaiD's name and birth date against the typed ones: normalised, a mismatch refused and audited, the
ThaiD name kept for the approver, and a typo correctable before verification only."""

from __future__ import annotations

import json
from datetime import date

import pytest

from eplan_flow.errors import GuardFailed
from eplan_flow.extensions import db as _db
from eplan_flow.models import Account, AuditEvent, User
from eplan_flow.services.identity import citizen_id, identity, thai_names
from eplan_flow.services.identity.thaid_verification import REASONS, complete_verification
from eplan_flow.services.platform import engine
from eplan_flow.thaid_dev.citizens import BY_KEY
from tests import factories
from tests.identity.approvals.test_pages import sso_sign_in
from tests.identity.thaid.conftest import registered_person

SOMCHAI, PRANEE, WANIDA = BY_KEY["somchai"], BY_KEY["pranee"], BY_KEY["wanida"]


def claims_of(citizen, **changes) -> dict:
    """What the stand-in ThaiD releases about ``citizen`` (the default scope), with ``changes``."""
    return {"iss": "https://thaid.example", **citizen.claims(), **changes}


def _failures(db, person) -> list[AuditEvent]:
    return (
        db.session.query(AuditEvent)
        .filter_by(chain=f"auth:{person.user_id}", action="thaid_verification_failed")
        .order_by(AuditEvent.seq)
        .all()
    )


# -- the normalisation, on its own ---------------------------------------------------------------
@pytest.mark.parametrize(
    "typed",
    [
        "นางปราณี ทองคำ",
        "นางปราณี ทองค\u0e4d\u0e32",  # sara am typed as nikhahit + sara aa
        "นาง ปราณี  ทองคำ ",  # a space after the title, doubled spaces, a trailing one
        "นางปรา\u200bณี\u00a0ทองคำ",  # a zero-width space pasted inside, a no-break space
        "\ufeffนางปราณี\tทองคำ",
        "ปราณี ทองคำ",  # no title typed at all
    ],
)
def test_typed_names_that_differ_only_in_writing_match_thaids(typed):
    comparison = thai_names.compare(typed, None, thai_names.from_claims(claims_of(PRANEE)))
    assert comparison.name_matches and comparison.title_matches


@pytest.mark.parametrize("typed", ["นางปราณี ทองดี", "นางปราณี", "นางกกกก ใจดี", "นางปราณี ทองคำมา"])
def test_another_name_does_not_match(typed):
    assert not thai_names.compare(typed, None, thai_names.from_claims(claims_of(PRANEE))).name_matches


def test_the_title_is_compared_apart_and_its_abbreviation_is_the_same_title():
    thaid = thai_names.from_claims(claims_of(WANIDA, title="น.ส."))
    assert thaid.full_name == "นางสาววนิดา แก้วมณี"
    assert thai_names.compare("นางสาววนิดา แก้วมณี", None, thaid).title_matches
    married = thai_names.compare("นางวนิดา แก้วมณี", None, thaid)
    assert married.name_matches and not married.title_matches


def test_a_given_name_that_begins_like_a_title_is_not_cut():
    thaid = thai_names.from_claims({"title": "นางสาว", "given_name": "นางนวล", "family_name": "ใจงาม"})
    assert thai_names.compare("นางสาวนางนวล ใจงาม", None, thaid).name_matches
    assert not thai_names.compare("นางสาวนวล ใจงาม", None, thaid).name_matches


def test_a_middle_name_from_thaid_is_part_of_the_name():
    thaid = thai_names.from_claims(
        {"title": "นาย", "given_name": "จอห์น", "middle_name": "สมชาย", "family_name": "ใจดี"}
    )
    assert thai_names.compare("นายจอห์น สมชาย ใจดี", None, thaid).name_matches
    assert not thai_names.compare("นายจอห์น ใจดี", None, thaid).name_matches


def test_the_name_claim_alone_is_read_when_the_parts_are_missing():
    thaid = thai_names.from_claims({"name": "นายสมชาย ใจดี"})
    assert (thaid.title, thaid.name) == ("นาย", "สมชาย ใจดี")
    assert thai_names.from_claims({"iss": "x"}) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1988-03-14", date(1988, 3, 14)),
        ("19880314", date(1988, 3, 14)),
        ("2531-03-14", date(1988, 3, 14)),  # a Buddhist-Era year
        ("0000-03-14", None),
        ("1988-02-30", None),
        (None, None),
        (19880314, None),
    ],
)
def test_thaids_birthdate_is_read_in_the_forms_it_may_take(raw, expected):
    assert thai_names.parse_birthdate(raw) == expected


# -- the verification, on PostgreSQL -------------------------------------------------------------
def test_someone_elses_citizen_id_with_another_name_is_refused_audited_and_thaids_name_kept(app, db):
    # The case of the issue: a made-up name with Somchai's number, and Somchai picked at ThaiD.
    person = registered_person(pid=SOMCHAI.pid, full_name="นายกกกก ใจดี", birth_date=date(1990, 1, 1))
    result = complete_verification(person.user_id, SOMCHAI.pid, claims_of(SOMCHAI))
    assert (result.verified, result.reason, result.status) == (False, "name_mismatch", "email_confirmed")

    db.session.expire_all()
    account = db.session.get(Account, person.account_id)
    assert account.verification_error == REASONS["name_mismatch"]
    assert (account.thaid_name, account.thaid_birthdate) == ("นายสมชาย ใจดี", SOMCHAI.birthdate)
    assert account.thaid_checked_at is not None
    assert db.session.get(User, person.user_id).identity_verified_at is None
    assert [e.action for e in engine.history(account)] == ["create", "confirm_email"]
    (failed,) = _failures(db, person)
    assert failed.actor_id == person.user_id
    assert failed.data["reason"] == "name_mismatch"
    assert (failed.data["thaid_name"], failed.data["typed_name"]) == ("นายสมชาย ใจดี", "นายกกกก ใจดี")
    trail = json.dumps([e.data for e in db.session.query(AuditEvent)], ensure_ascii=False)
    assert SOMCHAI.pid not in trail


def test_the_right_name_with_another_birth_date_is_refused_too(app, db):
    person = registered_person(pid=SOMCHAI.pid, birth_date=date(1988, 3, 15))
    result = complete_verification(person.user_id, SOMCHAI.pid, claims_of(SOMCHAI))
    assert (result.verified, result.reason) == (False, "birthdate_mismatch")
    (failed,) = _failures(db, person)
    assert (failed.data["thaid_birthdate"], failed.data["typed_birthdate"]) == ("1988-03-14", "1988-03-15")
    assert db.session.get(Account, person.account_id).status == "email_confirmed"


def test_no_name_from_thaid_verifies_nothing(app, db):
    person = registered_person(pid=SOMCHAI.pid)
    result = complete_verification(person.user_id, SOMCHAI.pid, {"iss": "x", "pid": SOMCHAI.pid})
    assert (result.verified, result.reason) == (False, "name_missing")
    account = db.session.get(Account, person.account_id)
    assert account.status == "email_confirmed" and account.thaid_name is None


@pytest.mark.parametrize(
    "typed",
    ["นางปราณี ทองค\u0e4d\u0e32", "นาง ปราณี  ทองคำ", "นางปรา\u200bณี ทองคำ", "นางปราณีทองคำ"],
)
def test_the_registered_name_written_differently_passes(app, db, typed):
    person = registered_person(pid=PRANEE.pid, full_name=typed)
    result = complete_verification(person.user_id, PRANEE.pid, claims_of(PRANEE))
    assert result.verified and result.status == "awaiting_approval"
    account = db.session.get(Account, person.account_id)
    assert account.thaid_name == "นางปราณี ทองคำ" and account.verification_error is None


def test_a_registration_without_a_birth_date_is_compared_by_name(app, db):
    person = registered_person(pid=PRANEE.pid, birth_date=None)
    db.session.get(User, person.user_id).birth_date = None
    db.session.commit()
    result = complete_verification(person.user_id, PRANEE.pid, claims_of(PRANEE))
    assert result.verified
    verified = db.session.query(AuditEvent).filter_by(
        chain=f"account:{person.account_id}", action="verify_identity"
    )
    assert verified.one().data["birthdate_matched"] is None


def test_a_typo_is_corrected_before_verification_and_not_after(app, db):
    person = registered_person(pid=SOMCHAI.pid, full_name="นายสมชัย ใจดี")
    assert complete_verification(person.user_id, SOMCHAI.pid, claims_of(SOMCHAI)).reason == "name_mismatch"
    user = db.session.get(User, person.user_id)
    identity.correct_unverified_details(
        user, title="นาย", first_name="สมชาย", last_name="ใจดี", birth_date=SOMCHAI.birthdate
    )
    changed = db.session.query(AuditEvent).filter_by(chain=f"auth:{person.user_id}", action="details_changed")
    assert changed.one().data["fields"] == ["full_name"]
    assert complete_verification(person.user_id, SOMCHAI.pid, claims_of(SOMCHAI)).verified
    with pytest.raises(GuardFailed):
        identity.correct_unverified_details(
            db.session.get(User, person.user_id),
            title="นาย",
            first_name="อื่น",
            last_name="ใจดี",
            birth_date=SOMCHAI.birthdate,
        )
    db.session.expire_all()
    assert db.session.get(User, person.user_id).full_name == "นายสมชาย ใจดี"


def test_a_rejected_applicant_cannot_change_the_name_thaid_verified(app, db):
    person = registered_person(pid=SOMCHAI.pid)
    assert complete_verification(person.user_id, SOMCHAI.pid, claims_of(SOMCHAI)).verified
    account = db.session.get(Account, person.account_id)
    account.status = "rejected"  # as an approver's rejection leaves it
    db.session.commit()
    user = db.session.get(User, person.user_id)
    details = dict(organisation_id=person.lao_id, phone="0812345678", position="นักวิเคราะห์")
    with pytest.raises(identity.NameNotAsVerified):
        identity.change_details(
            user, identity.Details(title="นาย", first_name="กกกก", last_name="ใจดี", **details)
        )
    assert db.session.get(User, person.user_id).full_name == "นายสมชาย ใจดี"


# -- what the approver sees ----------------------------------------------------------------------
def _verified_at(org, citizen, typed_name: str) -> Account:
    """A person registered at ``org`` as ``typed_name`` with ``citizen``'s number, verified by ThaiD."""
    person = factories.user(org, username=f"{citizen.key}@lao.example.test", full_name=typed_name)
    person.email = person.username
    person.citizen_id_encrypted = citizen_id.encrypt(citizen.pid)
    person.citizen_id_digest = citizen_id.digest(citizen.pid)
    person.birth_date = citizen.birthdate
    account = engine.start(
        Account(user_id=person.id, organisation_id=org.id, requested_role="member"), person
    )
    _db.session.commit()
    engine.fire("account", account.id, "confirm_email", person)
    assert complete_verification(person.id, citizen.pid, claims_of(citizen)).verified
    return _db.session.get(Account, account.id)


def test_the_approver_sees_thaids_name_beside_the_typed_one(world, db, client):
    # Registered as นางสาว; ThaiD says นาง (married since): verified, and the approver is told.
    account = _verified_at(world.sao_a, BY_KEY["malee"], "นางสาวมาลี ศรีสุข")
    sso_sign_in(client, world.sso_admin)
    inbox = client.get("/sso/approvals").get_data(as_text=True)
    assert "Name according to ThaiD" in inbox and "นางมาลี ศรีสุข" in inbox and "นางสาวมาลี ศรีสุข" in inbox
    item = client.get(f"/sso/approvals/accounts/{account.id}").get_data(as_text=True)
    assert "Name according to ThaiD" in item and "นางมาลี ศรีสุข" in item
    assert "the title differs from the one typed" in item
    assert "2 November 1975" in item  # ThaiD's birth date
    thai = client.get(f"/sso/approvals/accounts/{account.id}?lang=th").get_data(as_text=True)
    assert "ชื่อตาม ThaiD" in thai and "นางมาลี ศรีสุข" in thai
    assert "2 พฤศจิกายน 2518" in thai  # in the Buddhist Era


def test_the_person_sees_both_names_and_corrects_a_typo_on_the_page(app, db, client):
    person = registered_person(pid=SOMCHAI.pid, full_name="นายสมชัย ใจดี")
    assert complete_verification(person.user_id, SOMCHAI.pid, claims_of(SOMCHAI)).reason == "name_mismatch"
    sso_sign_in(client, db.session.get(User, person.user_id))
    thaid_page = client.get("/sso/verify/thaid").get_data(as_text=True)
    assert "does not match the name you registered" in thaid_page
    assert (
        "นายสมชัย ใจดี" in thaid_page and "นายสมชาย ใจดี" in thaid_page and 'href="/sso/details"' in thaid_page
    )

    form = client.get("/sso/details").get_data(as_text=True)
    assert 'value="สมชัย"' in form and 'value="14/03/2531"' in form  # the birth date in B.E.
    fields = {"title": "นาย", "first_name": "สมชาย", "last_name": "ใจดี"}
    refused = client.post("/sso/details", data={**fields, "birth_date": "14/03/1988"})
    assert refused.status_code == 422 and "Buddhist Era" in refused.get_data(as_text=True)
    done = client.post("/sso/details", data={**fields, "birth_date": "๑๔/๐๓/๒๕๓๑"})  # Thai digits
    assert done.status_code == 303 and done.headers["Location"] == "/sso/verify/thaid"
    db.session.expire_all()
    user = db.session.get(User, person.user_id)
    assert (user.full_name, user.birth_date) == ("นายสมชาย ใจดี", date(1988, 3, 14))
    assert complete_verification(person.user_id, SOMCHAI.pid, claims_of(SOMCHAI)).verified
    # Verified: the page no longer lets the name change.
    after = client.post("/sso/details", data={**fields, "first_name": "อื่น", "birth_date": "14/03/2531"})
    assert after.status_code == 303 and after.headers["Location"] == "/sso/"
    db.session.expire_all()
    assert db.session.get(User, person.user_id).full_name == "นายสมชาย ใจดี"

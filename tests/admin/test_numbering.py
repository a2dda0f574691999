"""DLA's back office shows each LAO's numbering of revisions beside the national default, and DLA
admins change it with a reason, through the numbering service (issue 12, item 3)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eplan_flow.errors import PermissionDenied
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, RevisionNumber, RevisionNumbering, RoleGrant
from eplan_flow.services.planning import revision_numbering, revisions
from eplan_flow.services.platform import engine
from tests.factories.revisions import announced_plan

LIST = "/admin/numbering/"
REASON = "อปท. เริ่มใช้ระบบระหว่างปี ประกาศเพิ่มเติมในกระดาษแล้ว 3 ฉบับ (หนังสือจังหวัด ที่ บก 0023/123)"


def edit_url(org) -> str:
    return f"/admin/numbering/edit/?id={org.id}&url={LIST}"


def form(**values) -> dict:
    data = {
        "year_basis": "",
        "counter_scope": "",
        "number_word": "",
        "next_year_basis": "fiscal",
        "next_year_be": "",
        "next_counter": "เพิ่มเติม",
        "next_number": "",
        "reason": REASON,
    }
    data.update(values)
    return data


def chain_events(org) -> list[AuditEvent]:
    return list(
        _db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.chain == f"revision-numbering:{org.id}")
            .order_by(AuditEvent.seq)
        )
    )


def own_row(org) -> RevisionNumbering | None:
    _db.session.expire_all()
    return _db.session.scalar(select(RevisionNumbering).where(RevisionNumbering.organisation_id == org.id))


def test_the_dla_admin_lists_every_lao_in_thai_beside_the_national_default(world, client, login_as):
    login_as(world.dla_admin)

    response = client.get(LIST)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ค่าเริ่มต้นระดับประเทศ (หลักเกณฑ์การแก้ไขแผน ฉบับที่ 2)" in body
    assert "ปีปฏิทิน" in body and "นับลำดับเดียวต่อชุดการแก้ไข" in body
    for lao in (world.sao_a, world.town_b, world.sao_c, world.sao_x):
        assert lao.code in body
    # Offices number no revisions: only LAOs are listed.
    for office in (world.po_38, world.do_3801, world.dla):
        assert f">{office.code}<" not in body
    assert "การตั้งค่าการจัดทำแผน" in body  # the menu group
    for english in ("Year the numbers run in", "National default", "Next numbers set", "Planning settings"):
        assert english not in body


def test_the_province_filter_narrows_the_list_to_one_province(world, client, login_as):
    login_as(world.dla_admin)

    body = client.get(f"{LIST}?flt1_0=30").get_data(as_text=True)

    assert world.sao_x.code in body
    assert world.sao_a.code not in body and world.sao_c.code not in body


def test_the_dla_admin_sets_an_lao_s_numbering_and_next_number_each_audited_with_the_reason(
    world, client, login_as
):
    login_as(world.dla_admin)
    page = client.get(edit_url(world.sao_a))
    assert page.status_code == 200
    assert "เหตุผลของการเปลี่ยนแปลง" in page.get_data(as_text=True)

    response = client.post(
        edit_url(world.sao_a),
        data=form(
            year_basis="fiscal",
            counter_scope="kind",
            number_word="ฉบับที่",
            next_year_be="๒๕๗๐",
            next_number="4",
        ),
    )

    assert response.status_code == 302
    numbering, _own = revision_numbering.settings_of(world.sao_a.id)
    assert (numbering.year_basis, numbering.counter_scope, numbering.number_word) == (
        "fiscal",
        "kind",
        "ฉบับที่",
    )
    assert numbering.next_numbers == {"fiscal:2570:เพิ่มเติม": 4}
    events = chain_events(world.sao_a)
    assert [(e.action, e.actor_id, e.organisation_id, e.comment) for e in events] == [
        ("set_numbering", world.dla_admin.id, world.sao_a.id, REASON),
        ("set_next_number", world.dla_admin.id, world.sao_a.id, REASON),
    ]
    # The list says who changed it, and what the LAO follows now; another LAO keeps the default.
    body = client.get(LIST).get_data(as_text=True)
    assert world.dla_admin.full_name in body
    assert "เพิ่มเติม ปีงบประมาณ 2570: ลำดับถัดไป 4" in body
    assert "ตามค่าเริ่มต้นระดับประเทศ: ปีปฏิทิน" in body  # sao_c and the others
    details = client.get(f"/admin/numbering/details/?id={world.sao_a.id}").get_data(as_text=True)
    assert REASON in details


def test_saving_the_same_settings_again_changes_nothing_and_audits_nothing(world, client, login_as):
    revision_numbering.save_settings(world.dla_admin, world.sao_a.id, "fiscal", "", "")
    before = len(chain_events(world.sao_a))
    login_as(world.dla_admin)

    response = client.post(edit_url(world.sao_a), data=form(year_basis="fiscal"))

    assert response.status_code == 200
    assert "ไม่มีการเปลี่ยนแปลง" in response.get_data(as_text=True)
    assert len(chain_events(world.sao_a)) == before


@pytest.mark.parametrize(
    ("values", "thai"),
    [
        ({"year_basis": "fiscal", "reason": ""}, "กรอก"),
        ({"year_basis": "fiscal", "next_year_be": "2570"}, "กรอกทั้งปีและลำดับถัดไป หรือเว้นว่างทั้งสองช่อง"),
        ({"year_basis": "fiscal", "next_year_be": "2570", "next_number": "สี่"}, "โปรดกรอกเป็นตัวเลข"),
        ({"year_basis": "fiscal", "next_year_be": "1999", "next_number": "4"}, "2500"),
        ({"year_basis": "weekly"}, "กรุณาเลือกจากรายการที่มีให้"),
        ({"next_counter": "ทบทวน", "next_year_be": "2570", "next_number": "4"}, "กรุณาเลือกจากรายการที่มีให้"),
    ],
    ids=[
        "no reason",
        "year without number",
        "not a number",
        "year too early",
        "tampered basis",
        "tampered counter",
    ],
)
def test_bad_input_is_refused_in_thai_and_changes_nothing(world, client, login_as, values, thai):
    login_as(world.dla_admin)

    response = client.post(edit_url(world.sao_a), data=form(**values))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert thai in body
    assert "is-invalid" in body
    assert "Not a valid choice" not in body and "This field is required" not in body
    assert own_row(world.sao_a) is None
    assert chain_events(world.sao_a) == []


def test_a_next_number_already_announced_is_refused_in_thai_and_the_settings_are_not_saved_either(
    world, client, login_as
):
    # sao_a announced a correction in e-Plan by the national default (calendar year, per bundle).
    plan = announced_plan(world.sao_a, world.planner)
    revision = revisions.open_revision(world.planner, plan.id)
    revisions.add_correction(world.planner, revision.id, 1, {"kpi": "ร้อยละ 95"}, fact="ข้อเท็จจริงคือ ร้อยละ 95")
    engine.fire("revision", revision.id, "submit", world.planner)
    engine.fire("revision", revision.id, "approve_and_announce", world.executive)
    taken = _db.session.scalars(
        select(RevisionNumber).where(RevisionNumber.organisation_id == world.sao_a.id)
    ).one()
    login_as(world.dla_admin)

    response = client.post(
        edit_url(world.sao_a),
        data=form(
            counter_scope="kind",
            next_year_basis=taken.year_basis,
            next_year_be=str(taken.year_be),
            next_counter=taken.counter,
            next_number=str(taken.number),
        ),
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    said = f"{taken.counter} ลำดับที่ {taken.number} ของปี {taken.year_be} ประกาศไปแล้ว ลำดับถัดไปต้องมากกว่านี้"
    assert body.count(said) == 2  # at the top of the page and under the field
    assert "already been announced" not in body
    # All or nothing: the counter scope asked for in the same form was not saved.
    assert own_row(world.sao_a) is None
    assert chain_events(world.sao_a) == []


@pytest.mark.parametrize("role", ["sso_admin", "planner", "support_secretary"])
def test_an_lao_s_own_staff_cannot_reach_the_back_office_numbering(world, client, login_as, role):
    login_as(getattr(world, role))

    assert client.get(LIST).status_code == 403
    assert client.get(edit_url(world.sao_a)).status_code == 403
    assert client.post(edit_url(world.sao_a), data=form(year_basis="fiscal")).status_code == 403
    assert own_row(world.sao_a) is None


def test_anyone_signed_out_is_sent_to_sign_in(world, client):
    response = client.get(LIST)
    assert response.status_code == 302 and response.location.startswith("/auth/login")


def test_a_provincial_officer_reads_the_laos_of_their_province_only_and_changes_nothing(
    world, client, login_as
):
    login_as(world.provincial_officer)

    body = client.get(LIST).get_data(as_text=True)
    assert client.get(LIST).status_code == 200
    for lao in (world.sao_a, world.town_b, world.sao_c):
        assert lao.code in body
    assert world.sao_x.code not in body
    # Even filtered to another province, nothing of it shows.
    assert world.sao_x.code not in client.get(f"{LIST}?flt1_0=30").get_data(as_text=True)
    assert client.get(f"/admin/numbering/details/?id={world.sao_x.id}").status_code == 302
    assert client.get(f"/admin/numbering/details/?id={world.sao_a.id}").status_code == 200
    # Reading only: no edit page, and a posted form changes nothing.
    assert f"/admin/numbering/edit/?id={world.sao_a.id}" not in body
    assert client.get(edit_url(world.sao_a)).status_code == 302
    client.post(edit_url(world.sao_a), data=form(year_basis="fiscal"))
    assert own_row(world.sao_a) is None


def test_the_officers_of_another_province_and_district_see_none_of_these_laos(world, client, login_as):
    login_as(world.provincial_officer_30)
    body = client.get(LIST).get_data(as_text=True)
    assert world.sao_x.code in body
    assert world.sao_a.code not in body and world.sao_c.code not in body

    login_as(world.district_officer)
    body = client.get(LIST).get_data(as_text=True)
    assert world.sao_a.code in body
    # town_b deals with the province directly; sao_c is another district's; sao_x another province's.
    for lao in (world.town_b, world.sao_c, world.sao_x):
        assert lao.code not in body


def test_a_dla_admin_who_also_serves_an_lao_cannot_change_its_numbering_from_the_back_office(
    world, db, client, login_as
):
    db.session.add(RoleGrant(user_id=world.dla_admin.id, organisation_id=world.sao_a.id, role="executive"))
    db.session.commit()
    login_as(world.dla_admin)

    assert client.get(edit_url(world.sao_a)).status_code == 403
    assert client.post(edit_url(world.sao_a), data=form(year_basis="fiscal")).status_code == 403
    assert own_row(world.sao_a) is None
    with pytest.raises(PermissionDenied):
        revision_numbering.change_from_back_office(
            world.dla_admin,
            world.sao_a.id,
            reason=REASON,
            year_basis="fiscal",
            counter_scope="",
            number_word="",
        )
    # Another LAO stays theirs to set.
    assert client.post(edit_url(world.sao_c), data=form(year_basis="fiscal")).status_code == 302
    assert own_row(world.sao_c).year_basis == "fiscal"


def test_the_service_refuses_anyone_but_a_dla_admin_and_an_office(world, db):
    for actor, org in (
        (world.planner, world.sao_a),
        (world.provincial_officer, world.sao_a),
        (world.dla_admin, world.po_38),
    ):
        with pytest.raises(PermissionDenied):
            revision_numbering.change_from_back_office(
                actor, org.id, reason=REASON, year_basis="fiscal", counter_scope="", number_word=""
            )
    assert chain_events(world.sao_a) == [] and chain_events(world.po_38) == []

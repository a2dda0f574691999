"""Builders for test data. Each commits what it builds.

The world (places, offices, LAOs, one person per role) is built here; builders for one subject live
beside it: ``plans``, ``revisions``, ``catalogues``, ``deadlines``, ``execution``, ``results`` and
``fire`` (what committee and council steps record).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from itertools import count
from types import SimpleNamespace

from werkzeug.security import generate_password_hash

from eplan_flow.extensions import db
from eplan_flow.models import CivicForumMeeting, District, Organisation, Plan, Province, RoleGrant, User
from eplan_flow.services.platform import engine
from workflows.plan import PLAN_V1

# Cheap on purpose: test logins should not spend scrypt's memory and time on every user.
PASSWORD_HASH = generate_password_hash("pw", method="pbkdf2:sha256:1000")
_seq = count(1)
_deferred: list = []  # non-empty inside ``one_commit()``


@contextmanager
def one_commit() -> Iterator[None]:
    """Builders called in the block add their rows and commit once, at its end.

    A world is then one INSERT per table instead of a commit (and a reload) per row.
    """
    _deferred.append(True)
    try:
        yield
    finally:
        _deferred.pop()
    if not _deferred:
        db.session.commit()


def _save(*rows) -> None:
    db.session.add_all(rows)
    if not _deferred:
        db.session.commit()


def province(code: str, name_th: str) -> Province:
    row = db.session.get(Province, code) or Province(code=code, name_th=name_th)
    _save(row)
    return row


def district(code: str, name_th: str) -> District:
    row = db.session.get(District, code) or District(code=code, province_code=code[:2], name_th=name_th)
    _save(row)
    return row


def lao(
    name_th: str, lao_type: str = "sao", district_code: str = "3801", code: str | None = None
) -> Organisation:
    type_digit = {
        "pao": "2",
        "city_municipality": "3",
        "town_municipality": "4",
        "subdistrict_municipality": "5",
        "sao": "6",
        "pattaya": "3",
    }[lao_type]
    code = code or f"{type_digit}{district_code}{next(_seq):02d}"
    org = Organisation(
        code=code,
        kind="lao",
        lao_type=lao_type,
        name_th=name_th,
        province_code=district_code[:2],
        district_code=district_code,
    )
    _save(org)
    return org


def office(
    kind: str, name_th: str, province_code: str | None = None, district_code: str | None = None
) -> Organisation:
    code = {
        "dla": "DLA",
        "provincial_office": f"PO-{province_code}",
        "district_office": f"DO-{district_code}",
    }[kind]
    org = Organisation(
        code=code,
        kind=kind,
        name_th=name_th,
        province_code=province_code or (district_code or "")[:2] or None,
        district_code=district_code,
    )
    _save(org)
    return org


def user(org: Organisation, *roles: str, username: str | None = None, full_name: str | None = None) -> User:
    username = username or f"user{next(_seq)}"
    # Inside ``one_commit()`` the organisation may have no id yet: then through the relationship.
    of_org = {"organisation_id": org.id} if org.id is not None else {"organisation": org}
    person = User(
        username=username,
        email=f"{username}@example.test",
        full_name=full_name or f"คุณ {username}",
        password_hash=PASSWORD_HASH,
        grants=[RoleGrant(role=role, **of_org) for role in roles],
        **of_org,
    )
    _save(person)
    return person


def plan(
    org: Organisation,
    actor: User | None = None,
    period_start_be: int = 2566,
    status: str | None = None,
    *,
    civic_forum: bool = True,
) -> Plan:
    """A plan started on its workflow; ``status`` forces a state (for read-only scenarios).

    The civic forum has met on the draft (ข้อ 17(1)) unless ``civic_forum`` is false, so the plan may
    leave drafting; tests of that rule ask for a plan without it.
    """
    row = Plan(
        organisation_id=org.id,
        title=f"แผนพัฒนาท้องถิ่น ({period_start_be}-{period_start_be + 4}) {org.name_th}",
        period_start_be=period_start_be,
        period_end_be=period_start_be + 4,
    )
    engine.start(row, actor)
    if status:
        row.status = status
    if civic_forum:
        db.session.flush()
        db.session.add(civic_forum_meeting(plan_id=row.id))
    db.session.commit()
    return row


def bearer(user: User, purpose: str = "tests") -> dict:
    """Headers that authenticate an API request as ``user`` with a token issued for it now."""
    from eplan_flow.services.identity import accounts

    return {"Authorization": f"Bearer {accounts.create_token(user.username, purpose)}"}


def civic_forum_meeting(**subject) -> CivicForumMeeting:
    """The civic forum's meeting on a draft (``plan_id=``, ``review_id=`` or ``revision_id=``)."""
    return CivicForumMeeting(
        meeting_date=date(2026, 11, 12),
        place="ศาลาประชาคมหมู่ 3",
        attendees=87,
        resolution="ที่ประชุมประชาคมท้องถิ่นเห็นชอบร่าง",
        **subject,
    )


LAO_ROLES = (
    "planner",
    "support_secretary",
    "devcom_secretary",
    "council_secretary",
    "executive",
    "sso_admin",
)


def build_world() -> SimpleNamespace:
    """Places, offices, four LAOs and one person per role, committed at once."""
    with one_commit():
        return _world()


def _world() -> SimpleNamespace:
    w = SimpleNamespace()
    province("38", "บึงกาฬ")
    province("30", "นครราชสีมา")
    district("3801", "เมืองบึงกาฬ")
    district("3802", "พรเจริญ")
    district("3001", "เมืองนครราชสีมา")
    w.dla = office("dla", "กรมส่งเสริมการปกครองท้องถิ่น")
    w.po_38 = office("provincial_office", "สถจ.บึงกาฬ", province_code="38")
    w.po_30 = office("provincial_office", "สถจ.นครราชสีมา", province_code="30")
    w.do_3801 = office("district_office", "สถอ.เมืองบึงกาฬ", district_code="3801")
    w.do_3802 = office("district_office", "สถอ.พรเจริญ", district_code="3802")
    w.sao_a = lao("หนองเลิง", "sao", "3801")
    w.town_b = lao("บึงกาฬ", "town_municipality", "3801")
    w.sao_c = lao("ศรีชมภู", "sao", "3802")
    w.sao_x = lao("โพธิ์กลาง", "sao", "3001")
    # One person per LAO role at sao_a, and the same set at town_b.
    for role in LAO_ROLES:
        setattr(w, role, user(w.sao_a, role, username=f"a_{role}"))
        setattr(w, f"town_{role}", user(w.town_b, role, username=f"b_{role}"))
    w.planner_c = user(w.sao_c, "planner", username="c_planner")
    w.planner_x = user(w.sao_x, "planner", username="x_planner")
    w.district_officer = user(w.do_3801, "district_officer", username="do_3801")
    w.district_officer_2 = user(w.do_3802, "district_officer", username="do_3802")
    w.provincial_officer = user(w.po_38, "provincial_officer", username="po_38")
    w.provincial_officer_30 = user(w.po_30, "provincial_officer", username="po_30")
    w.dla_admin = user(w.dla, "dla_admin", username="dla")
    w.nobody = user(w.sao_a, username="a_nobody")
    return w


def plan_v2() -> dict:
    """PLAN_V1 with a civic-forum step (ประชาคมท้องถิ่น) added between drafting and the committee."""
    data = copy.deepcopy(PLAN_V1)
    data["version"] = 2
    data["states"]["civic_forum"] = {"th": "ประชาคมท้องถิ่น", "en": "Civic forum"}
    data["triggers"]["hold_civic_forum"] = {"th": "จัดประชาคมท้องถิ่น", "en": "Hold the civic forum"}
    data["transitions"] = [
        {
            "trigger": "hold_civic_forum",
            "source": "drafting",
            "dest": "civic_forum",
            "roles": ["support_secretary"],
        },
        *[
            {**t, "source": "civic_forum"} if t["trigger"] == "submit_to_committee" else t
            for t in data["transitions"]
        ],
    ]
    data["requires"] = {**data["requires"], "committee_review": ["hold_civic_forum"]}
    return data

"""Read-only windows of data entry (issue 12, item 12), from DLA's point of view.

DLA closed e-Plan on 30 September 2566 and reopened it on 2 October 2566 for the new fiscal year
(/work/shared/DOMAIN.md §7). A DLA admin schedules the window in the back office; every page
announces it from a week before; while it runs a planner's form is refused with a Thai sentence and
nothing changes, while reading, the public notices and signing in (e-Plan's and the SSO's) go on;
DLA can end it early, and then writes go through again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from eplan_flow.errors import PermissionDenied
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, CatalogueItem, EntryWindow, ProjectRecord
from eplan_flow.services.platform import entry_windows
from eplan_flow.thaidate import BANGKOK
from tests.factories import plans as pf
from tests.identity.sso.conftest import STRONG_PASSWORD, register
from workflows import entry_windows as window_rules

REASON = "เปิดปีงบประมาณใหม่ พ.ศ. 2567"
CLOSES = datetime(2023, 9, 30, 0, 0, tzinfo=BANGKOK)  # 30 กันยายน 2566 00:00 น.
REOPENS = datetime(2023, 10, 2, 8, 30, tzinfo=BANGKOK)  # 2 ตุลาคม 2566 08:30 น.
UPCOMING_TH = "e-Plan จะปิดรับการบันทึกข้อมูลชั่วคราว"
RUNNING_TH = "ขณะนี้ e-Plan ปิดรับการบันทึกข้อมูล"
REFUSED_TH = "ไม่ได้บันทึก: e-Plan ปิดรับการบันทึกข้อมูลถึง 2 ตุลาคม 2566 08:30 น."


@pytest.fixture
def clock(monkeypatch):
    """Set the moment the windows are read against (Bangkok time)."""

    def _set(moment: datetime) -> datetime:
        monkeypatch.setattr(entry_windows, "now", lambda: moment.astimezone(UTC))
        return moment

    return _set


@pytest.fixture
def scene(world, db):
    world.plan = pf.drafting_plan(world.sao_a, world.planner)
    world.s1 = pf.strategy(world.plan, 1, "ยุทธศาสตร์การพัฒนาด้านโครงสร้างพื้นฐาน")
    world.works = pf.programme()
    return world


def project_form(scene, name: str = "โครงการขุดลอกคลองสาธารณะ") -> dict:
    return {
        "name": name,
        "objective": "เพื่อระบายน้ำ",
        "target": "ยาว 1 กิโลเมตร",
        "kpi": "",
        "expected_result": "",
        "responsible_unit": "กองช่าง",
        "source": "own",
        "strategy_id": str(scene.s1.id),
        "tactic_id": str(scene.s1.tactics[0].id),
        "programme_id": str(scene.works.id),
        "budget_2566": "",
        "budget_2567": "500,000.00",
        "budget_2568": "",
        "budget_2569": "",
        "budget_2570": "",
    }


def window_form(**values) -> dict:
    """The back office's form as a DLA admin fills it in: B.E. dates, Bangkok times as offices write them."""
    form = {
        "starts_on": "30/09/2566",
        "starts_time": "00:00",
        "ends_on": "๒/๑๐/๒๕๖๖",
        "ends_time": "08.30 น.",
        "reason": REASON,
    }
    form.update(values)
    return form


def audit_count() -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(AuditEvent))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_dla_closes_e_plan_on_30_september_2566_and_reopens_it_on_2_october(scene, client, login_as, clock):
    # 20 September 2566: a DLA admin schedules the window in the back office.
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    login_as(scene.dla_admin)
    created = client.post("/admin/entry_windows/new/", data=window_form())
    assert created.status_code == 302, text(created)[:2000]
    window = _db.session.scalars(select(EntryWindow)).one()
    assert (window.starts_at, window.ends_at, window.reason) == (CLOSES, REOPENS, REASON)
    assert (window.created_by_id, window.rule_version) == (scene.dla_admin.id, window_rules.LATEST_VERSION)
    scheduled = _db.session.scalars(select(AuditEvent).filter_by(action="entry_window_scheduled")).one()
    assert (scheduled.chain, scheduled.actor_id) == (f"entry-window:{window.id}", scene.dla_admin.id)
    listed = text(client.get("/admin/entry_windows/"))
    assert "30 กันยายน 2566 00:00 น." in listed and "ยังไม่เริ่ม" in listed
    # Ten days ahead is before the week's notice: no page announces it yet.
    login_as(scene.planner)
    assert UPCOMING_TH not in text(client.get("/"))

    # 23 September 2566, a week before: every page announces it, with B.E. dates and Bangkok times.
    clock(datetime(2023, 9, 23, 0, 0, tzinfo=BANGKOK))
    for page in ("/", f"/plans/{scene.plan.id}/p01", "/admin/"):
        client_for = login_as(scene.planner if page != "/admin/" else scene.dla_admin)
        html = text(client_for.get(page))
        assert UPCOMING_TH in html, page
        assert "30 กันยายน 2566 00:00 น." in html and "2 ตุลาคม 2566 08:30 น." in html and REASON in html
    client.post("/auth/logout")
    assert UPCOMING_TH in text(client.get("/public/"))  # the public board too, signed out
    # Writes still go through before the window.
    login_as(scene.planner)
    before = client.post(f"/plans/{scene.plan.id}/projects/new", data=project_form(scene, "ก่อนปิดระบบ"))
    assert before.status_code == 303

    # 30 September 2566, 10:00: e-Plan is read-only.
    clock(datetime(2023, 9, 30, 10, 0, tzinfo=BANGKOK))
    projects, events = _db.session.query(ProjectRecord).count(), audit_count()
    refused = client.post(f"/plans/{scene.plan.id}/projects/new", data=project_form(scene))
    assert refused.status_code == 503
    assert REFUSED_TH in text(refused) and REASON in text(refused)
    # Retry when it reopens: 2 October 08:30 is 1 day 22 h 30 min away.
    assert refused.headers["Retry-After"] == str(int(timedelta(days=1, hours=22, minutes=30).total_seconds()))
    assert _db.session.query(ProjectRecord).count() == projects
    assert audit_count() == events  # nothing changed, so nothing was audited
    # Reading goes on, with the banner saying it is read-only now.
    for page in ("/", f"/plans/{scene.plan.id}/p01", f"/plans/{scene.plan.id}"):
        read = client.get(page)
        assert read.status_code == 200 and RUNNING_TH in text(read), page
    # Signing out and in to e-Plan works; so does the public board.
    assert client.post("/auth/logout").status_code == 302
    public = client.get("/public/")
    assert public.status_code == 200 and RUNNING_TH in text(public)
    login_as(scene.town_planner)
    assert client.get("/").status_code == 200
    # A provincial officer's back-office write is refused too: the back office stays open to DLA only.
    login_as(scene.provincial_officer)
    catalogue = client.post(
        "/admin/catalogues/new/",
        data={"catalogue": "provincial_strategy", "scope": "38", "code": "9", "name_th": "ยุทธศาสตร์ใหม่"},
    )
    assert catalogue.status_code == 503
    assert _db.session.query(CatalogueItem).filter_by(code="9").count() == 0

    # 1 October 2566, 16:00: the work is done early; a DLA admin ends the window from the back office.
    ended_at = clock(datetime(2023, 10, 1, 16, 0, tzinfo=BANGKOK))
    login_as(scene.dla_admin)
    assert RUNNING_TH in text(client.get("/admin/entry_windows/"))
    done = client.post("/admin/entry_windows/action/", data={"action": "end_now", "rowid": [str(window.id)]})
    assert done.status_code == 302
    _db.session.expire_all()
    window = _db.session.get(EntryWindow, window.id)
    assert window.ends_at == ended_at and window.ended_early_at == ended_at
    ended = _db.session.scalars(select(AuditEvent).filter_by(action="entry_window_ended")).one()
    assert ended.actor_id == scene.dla_admin.id
    assert ended.data == {
        "ends_at": [REOPENS.astimezone(UTC).isoformat(), ended_at.astimezone(UTC).isoformat()]
    }

    # After it, the planner's form goes through and no page announces anything.
    login_as(scene.planner)
    saved = client.post(f"/plans/{scene.plan.id}/projects/new", data=project_form(scene))
    assert saved.status_code == 303
    assert _db.session.query(ProjectRecord).filter_by(name="โครงการขุดลอกคลองสาธารณะ").count() == 1
    home = text(client.get("/"))
    assert RUNNING_TH not in home and UPCOMING_TH not in home


def test_the_sso_stays_open_during_a_window_sign_in_and_registration_alike(world, db, client, clock):
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    entry_windows.schedule_window(world.dla_admin, starts_at=CLOSES, ends_at=REOPENS, reason=REASON)
    clock(datetime(2023, 10, 1, 9, 0, tzinfo=BANGKOK))
    account = register(world.sao_a, 41)  # the SSO is a separate system: its own services never ask
    signed_in = client.post("/sso/login", data={"email": account.user.email, "password": STRONG_PASSWORD})
    assert signed_in.status_code == 303
    assert client.post("/sso/logout").status_code in (302, 303)
    login = client.get("/sso/login")
    assert login.status_code == 200 and RUNNING_TH in text(login)


def test_only_dla_admins_schedule_windows_and_the_back_office_shows_them_to_no_one_else(
    world, db, client, login_as, clock
):
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    for person in (world.provincial_officer, world.sso_admin, world.planner):
        with pytest.raises(PermissionDenied):
            entry_windows.schedule_window(person, starts_at=CLOSES, ends_at=REOPENS, reason=REASON)
    login_as(world.provincial_officer)
    assert client.get("/admin/entry_windows/").status_code == 403
    assert client.post("/admin/entry_windows/new/", data=window_form()).status_code == 403
    assert _db.session.query(EntryWindow).count() == 0
    login_as(world.dla_admin)
    assert 'href="/admin/entry_windows/"' in text(client.get("/admin/"))  # reachable from the menu


@pytest.mark.parametrize(
    ("overrides", "sentence"),
    [
        ({"ends_on": "09/10/2566"}, "เวลาเปิดรับข้อมูลอีกครั้งต้องอยู่หลังเวลาปิดรับ"),
        ({"starts_on": "01/09/2566", "ends_on": "10/09/2566"}, "ช่วงเวลานี้สิ้นสุดไปแล้ว"),
        ({"starts_on": "01/10/2566", "ends_on": "05/10/2566"}, "ซ้อนกับช่วงปิดรับบันทึกข้อมูลอื่น"),
        ({"ends_on": "11/10/2023"}, "คือ 2566 ไม่ใช่ 2023"),  # a Gregorian year typed by mistake
        ({"ends_time": "25:00"}, "ระบุเวลาเป็นชั่วโมงและนาที"),
        ({"reason": "   "}, "โปรดกรอกข้อความที่มองเห็นได้"),
    ],
)
def test_a_window_that_cannot_be_is_refused_in_thai_and_nothing_is_saved(
    world, db, client, login_as, clock, overrides, sentence
):
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    entry_windows.schedule_window(world.dla_admin, starts_at=CLOSES, ends_at=REOPENS, reason=REASON)
    login_as(world.dla_admin)
    events = audit_count()
    # Clear of the window already scheduled, so only the value under test is wrong.
    form = window_form(**{"starts_on": "10/10/2566", "ends_on": "11/10/2566", **overrides})
    refused = client.post("/admin/entry_windows/new/", data=form)
    assert refused.status_code == 200 and sentence in text(refused)
    assert _db.session.query(EntryWindow).count() == 1 and audit_count() == events


def test_a_window_withdrawn_before_it_begins_is_never_announced_and_closes_nothing(
    scene, client, login_as, clock
):
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    window = entry_windows.schedule_window(scene.dla_admin, starts_at=CLOSES, ends_at=REOPENS, reason=REASON)
    clock(datetime(2023, 9, 25, 9, 0, tzinfo=BANGKOK))
    login_as(scene.dla_admin)
    client.post("/admin/entry_windows/action/", data={"action": "end_now", "rowid": [str(window.id)]})
    _db.session.expire_all()
    assert _db.session.get(EntryWindow, window.id).cancelled_at is not None
    assert _db.session.scalars(
        select(AuditEvent.action).filter_by(chain=f"entry-window:{window.id}")
    ).all() == [
        "entry_window_scheduled",
        "entry_window_cancelled",
    ]
    clock(datetime(2023, 9, 30, 10, 0, tzinfo=BANGKOK))
    login_as(scene.planner)
    assert UPCOMING_TH not in text(client.get("/")) and RUNNING_TH not in text(client.get("/"))
    assert client.post(f"/plans/{scene.plan.id}/projects/new", data=project_form(scene)).status_code == 303


def test_a_dla_admin_moves_a_window_and_the_change_is_audited(world, db, clock):
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    window = entry_windows.schedule_window(world.dla_admin, starts_at=CLOSES, ends_at=REOPENS, reason=REASON)
    later = REOPENS + timedelta(hours=8)
    entry_windows.change_window(world.dla_admin, window.id, starts_at=CLOSES, ends_at=later, reason=REASON)
    changed = _db.session.scalars(select(AuditEvent).filter_by(action="entry_window_changed")).one()
    assert changed.data == {
        "ends_at": [REOPENS.astimezone(UTC).isoformat(), later.astimezone(UTC).isoformat()]
    }
    assert entry_windows.current(datetime(2023, 10, 2, 12, 0, tzinfo=BANGKOK)).id == window.id
    clock(datetime(2023, 10, 3, 9, 0, tzinfo=BANGKOK))
    with pytest.raises(entry_windows.EntryWindowNotValid):
        entry_windows.change_window(world.dla_admin, window.id, starts_at=CLOSES, ends_at=later, reason="x")


def test_a_page_asks_the_database_once_whether_e_plan_is_read_only(scene, client, login_as, clock, app):
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    entry_windows.schedule_window(scene.dla_admin, starts_at=CLOSES, ends_at=REOPENS, reason=REASON)
    clock(datetime(2023, 9, 30, 10, 0, tzinfo=BANGKOK))
    login_as(scene.planner)
    asked = []

    def count(conn, cursor, statement, *args):
        if "FROM entry_window" in statement:
            asked.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get(f"/plans/{scene.plan.id}/p01")  # the banner asks (in base.html)
        refused = client.post(f"/plans/{scene.plan.id}/projects/new", data=project_form(scene))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200 and refused.status_code == 503
    assert len(asked) == 2  # one per request: the hook's answer serves the refusal page's banner too


def test_the_banner_shows_dlas_reason_as_text_never_as_markup(scene, client, login_as, clock):
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    entry_windows.schedule_window(
        scene.dla_admin, starts_at=CLOSES, ends_at=REOPENS, reason='ปรับปรุงระบบ <script>alert("x")</script>'
    )
    clock(datetime(2023, 9, 30, 10, 0, tzinfo=BANGKOK))
    html = text(login_as(scene.planner).get("/"))
    assert "&lt;script&gt;" in html and '<script>alert("x")' not in html


def test_a_window_runs_under_the_rules_it_was_scheduled_under(scene, client, login_as, clock, monkeypatch):
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    entry_windows.schedule_window(scene.dla_admin, starts_at=CLOSES, ends_at=REOPENS, reason=REASON)
    # A later version keeps one's notices closed too and announces a fortnight ahead.
    stricter = {
        **window_rules.ENTRY_WINDOWS_V1,
        "version": 2,
        "notice_days": 14,
        "open_to_all": [p for p in window_rules.ENTRY_WINDOWS_V1["open_to_all"] if not p.startswith("main.")],
    }
    monkeypatch.setitem(window_rules.ENTRY_WINDOWS, 2, stricter)
    monkeypatch.setattr(window_rules, "LATEST_VERSION", 2)
    # The version 1 window keeps its week's notice ...
    assert entry_windows.notice(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK)) is None
    assert entry_windows.notice(datetime(2023, 9, 23, 9, 0, tzinfo=BANGKOK)) is not None
    # ... and, while it runs, the writes version 1 keeps open.
    clock(datetime(2023, 9, 30, 10, 0, tzinfo=BANGKOK))
    login_as(scene.planner)
    assert client.post("/notifications/read", data={}).status_code != 503
    # A window scheduled now runs under version 2.
    clock(datetime(2023, 10, 10, 9, 0, tzinfo=BANGKOK))
    later = entry_windows.schedule_window(
        scene.dla_admin,
        starts_at=datetime(2023, 11, 1, tzinfo=BANGKOK),
        ends_at=datetime(2023, 11, 2, tzinfo=BANGKOK),
        reason=REASON,
    )
    assert later.rule_version == 2
    assert entry_windows.notice(datetime(2023, 10, 19, 9, 0, tzinfo=BANGKOK)).id == later.id
    clock(datetime(2023, 11, 1, 9, 0, tzinfo=BANGKOK))
    assert client.post("/notifications/read", data={}).status_code == 503


# -- the rule data, pure ---------------------------------------------------------------------------
def test_the_rules_keep_sign_in_the_sso_and_dlas_back_office_open_and_close_everything_else():
    rule = window_rules.rules(1)
    assert window_rules.is_write(rule, "post") and not window_rules.is_write(rule, "GET")
    for endpoint in ("auth.login", "auth.logout", "sso.register", "sso.approval_decide", "oidc.token"):
        assert window_rules.stays_open(rule, endpoint, frozenset()), endpoint
    for endpoint in (
        "plans.new_project",
        "main.fire",
        "api.fire",
        "admin_plans.action_view",
        "revisions.add_item",
    ):
        assert not window_rules.stays_open(rule, endpoint, frozenset({"planner", "provincial_officer"})), (
            endpoint
        )
    assert window_rules.stays_open(rule, "admin_entry_windows.action_view", frozenset({"dla_admin"}))
    assert window_rules.stays_open(rule, "admin_sso_accounts.action_view", frozenset({"sso_admin"}))
    # A page added later is closed unless a rule opens it.
    assert not window_rules.stays_open(rule, "plans.some_new_form", frozenset({"dla_admin"}))
    assert window_rules.announced_from(rule, CLOSES) == CLOSES - timedelta(days=7)


def test_a_rule_naming_an_unknown_role_fails_when_loaded():
    with pytest.raises(ValueError, match="unknown roles"):
        window_rules._check({**window_rules.ENTRY_WINDOWS_V1, "open_to_roles": {"dla_admn": ["admin*"]}})


def test_a_dla_admin_extends_a_running_window_through_the_back_office_form(
    world, db, client, login_as, clock
):
    clock(datetime(2023, 9, 20, 9, 0, tzinfo=BANGKOK))
    window = entry_windows.schedule_window(world.dla_admin, starts_at=CLOSES, ends_at=REOPENS, reason=REASON)
    clock(datetime(2023, 10, 1, 9, 0, tzinfo=BANGKOK))
    login_as(world.dla_admin)
    form = text(client.get(f"/admin/entry_windows/edit/?id={window.id}"))
    assert 'value="30/09/2566"' in form and 'value="02/10/2566"' in form and 'value="08:30"' in form
    saved = client.post(
        f"/admin/entry_windows/edit/?id={window.id}",
        data=window_form(ends_on="02/10/2566", ends_time="12:00"),
    )
    assert saved.status_code == 302, text(saved)[:2000]
    _db.session.expire_all()
    assert _db.session.get(EntryWindow, window.id).ends_at == datetime(2023, 10, 2, 12, 0, tzinfo=BANGKOK)
    changed = _db.session.scalars(select(AuditEvent).filter_by(action="entry_window_changed")).one()
    assert changed.actor_id == world.dla_admin.id and set(changed.data) == {"ends_at"}

"""The revision journey on SQLite, the embedded database ``make run`` serves.

The rest of the suite runs on PostgreSQL. This test builds its own app on a fresh SQLite file,
makes the schema with the migrations (as ``eplan setup`` does), and walks a planner's revision of
an announced plan through the real pages: open it, add a change and a correction, take it through
the committee, the council and the executive, and check that plan version 2 is in force. Adding a
change item and announcing once crashed here (a PostgreSQL-only advisory lock): a 500 on SQLite.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from eplan_flow.extensions import db
from eplan_flow.models import PlanVersion, ProjectRecord, Revision, RevisionItem
from eplan_flow.services.platform import engine
from eplan_flow.thaidate import today_local
from tests import factories
from tests.factories.revisions import announced_plan


def _signed_in(app, username: str):
    client = app.test_client()
    response = client.post("/auth/login", data={"username": username, "password": "pw"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def _fire(app, username: str, revision_id: int, trigger: str, **facts) -> None:
    """Take one workflow step from the instance page, as the person would."""
    with app.app_context():
        version = db.session.get(Revision, revision_id).version
        db.session.remove()
    response = _signed_in(app, username).post(
        f"/instances/revision/{revision_id}/fire",
        data={"trigger": trigger, "expected_version": str(version), **facts},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == f"/instances/revision/{revision_id}"


def test_a_planner_revises_an_announced_plan_on_sqlite_through_the_pages(sqlite_app):
    app = sqlite_app
    with app.app_context():
        world = factories.build_world()
        plan = announced_plan(world.sao_a, world.planner)
        plan_id = plan.id
        people = {
            role: getattr(world, role).username
            for role in ("planner", "devcom_secretary", "council_secretary", "executive")
        }
        old_budget = db.session.scalar(
            select(ProjectRecord.budget_3).where(
                ProjectRecord.plan_id == plan_id, ProjectRecord.project_no == 2
            )
        )
        db.session.remove()

    planner = _signed_in(app, people["planner"])
    response = planner.post(
        f"/revisions/plans/{plan_id}/open",
        data={
            "route": "regular",
            "reasons": "ราคาวัสดุก่อสร้างสูงขึ้น",
            "necessity": "ต้องดำเนินการในปีนี้",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    revision_id = int(response.headers["Location"].rsplit("/", 1)[1])

    # A change (เปลี่ยนแปลง) takes the plan's project lock: the call that used to be a 500 here.
    response = planner.post(
        f"/revisions/{revision_id}/items/change",
        data={
            "change-project_no": "2",
            "change-budget_3": "1,500.00",
            "change-reason": "ราคาสูงขึ้น",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    response = planner.post(
        f"/revisions/{revision_id}/items/correction",
        data={
            "correction-project_no": "3",
            "correction-kpi": "ร้อยละ 95",
            "correction-fact": "ข้อเท็จจริงคือ ตัวชี้วัดของโครงการคือร้อยละ 95",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    compare = planner.get(f"/revisions/{revision_id}/compare").get_data(as_text=True)
    assert "<td>1,500.00</td>" in compare and "ร้อยละ 95" in compare

    meeting = {"meeting_date": (today_local() - timedelta(days=1)).isoformat(), "resolution": "ครั้งที่ 4/2569"}
    _fire(app, people["planner"], revision_id, "submit")
    _fire(app, people["devcom_secretary"], revision_id, "endorse", **meeting)
    _fire(app, people["council_secretary"], revision_id, "approve_by_council", **meeting)
    # Announcing applies the revision (and numbers it under a lock): the other call that crashed.
    _fire(app, people["executive"], revision_id, "approve_and_announce")

    with app.app_context():
        revision = db.session.get(Revision, revision_id)
        assert (revision.status, revision.result_version, revision.sequence) == ("announced", 2, 1)
        assert revision.label == "แก้ไขและเปลี่ยนแปลง"
        assert sorted(
            i.kind
            for i in db.session.scalars(select(RevisionItem).where(RevisionItem.revision_id == revision_id))
        ) == ["change", "correction"]
        assert revision.plan.current_version == 2
        assert (
            db.session.scalar(
                select(PlanVersion.revision_id).where(PlanVersion.plan_id == plan_id, PlanVersion.number == 2)
            )
            == revision_id
        )
        records = {
            (r.project_no, r.valid_from, r.valid_to): r
            for r in db.session.scalars(
                select(ProjectRecord).where(
                    ProjectRecord.plan_id == plan_id, ProjectRecord.project_no.in_((2, 3))
                )
            )
        }
        assert set(records) == {(2, 1, 2), (2, 2, None), (3, 1, 2), (3, 2, None)}
        assert records[(2, 1, 2)].budget_3 == old_budget
        assert records[(2, 2, None)].budget_3 == Decimal("1500.00")
        assert records[(3, 2, None)].kpi == "ร้อยละ 95"
        assert [e.action for e in engine.history(revision)] == [
            "create",
            "submit",
            "endorse",
            "approve_by_council",
            "approve_and_announce",
        ]
        db.session.remove()

    # The plan's ผ.02 list reads the new version, and still shows the old one.
    for version, budget in ((2, "1,500.00"), (1, f"{old_budget:,.2f}")):
        page = planner.get(f"/plans/{plan_id}/p02?source=own&version={version}")
        assert page.status_code == 200
        assert f'<td class="num">{budget}</td>' in page.get_data(as_text=True)

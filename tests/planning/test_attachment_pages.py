"""Attaching signed files through the pages (no JavaScript): the upload forms on the plan overview,
the revision page and the workflow page, the refusals in Thai, and the scoped download."""

from __future__ import annotations

import hashlib
import io

import pytest

from eplan_flow.models import Attachment, AuditEvent
from eplan_flow.services.planning import attachments
from eplan_flow.services.platform import engine
from tests.factories.revisions import announced_plan, drafted_revision
from tests.planning.test_attachments import JPEG, PDF, PNG, stored_files


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    root = tmp_path / "attachments"
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(root))
    return root


def text(response) -> str:
    return response.get_data(as_text=True)


def upload(client, url: str, data: bytes, name: str, kind: str = "signed_announcement", **fields):
    return client.post(
        url,
        data={"kind": kind, "file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_a_planner_attaches_a_signed_pdf_on_the_revision_page_and_downloads_it(
    world, db, store, client, login_as
):
    revision = drafted_revision(world.sao_a)
    login_as(world.planner)
    page = text(client.get(f"/revisions/{revision.id}"))
    assert "เอกสารแนบ" in page and 'enctype="multipart/form-data"' in page
    assert f'action="/attachments/revision/{revision.id}"' in page
    response = upload(client, f"/attachments/revision/{revision.id}", PDF, "ประกาศลงนาม.pdf")
    assert response.status_code == 200 and response.request.path == f"/revisions/{revision.id}"
    shown = text(response)
    assert "แนบไฟล์เรียบร้อยแล้ว" in shown and "ประกาศลงนาม.pdf" in shown
    row = db.session.query(Attachment).one()
    assert f"/attachments/{row.id}" in shown and hashlib.sha256(PDF).hexdigest() in shown
    download = client.get(f"/attachments/{row.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in download.headers["Cache-Control"]


def test_a_text_file_named_pdf_is_refused_on_the_page_in_thai(world, db, store, client, login_as):
    revision = drafted_revision(world.sao_a)
    login_as(world.planner)
    response = upload(client, f"/attachments/revision/{revision.id}", b"not a pdf at all", "ประกาศ.pdf")
    assert "รับเฉพาะไฟล์ PDF และไฟล์รูปภาพ โดยตรวจจากเนื้อหาของไฟล์" in text(response)
    assert db.session.query(Attachment).count() == 0 and stored_files(store) == []


def test_no_file_chosen_is_refused_in_thai(world, db, store, client, login_as):
    revision = drafted_revision(world.sao_a)
    login_as(world.planner)
    response = client.post(
        f"/attachments/revision/{revision.id}", data={"kind": "other"}, follow_redirects=True
    )
    assert "ยังไม่ได้แนบไฟล์: กรุณาเลือกไฟล์ PDF หรือไฟล์รูปภาพที่ไม่ใช่ไฟล์ว่าง" in text(response)
    assert db.session.query(Attachment).count() == 0


def test_an_oversized_file_is_refused_in_thai_however_large(
    app, world, db, store, client, login_as, monkeypatch
):
    revision = drafted_revision(world.sao_a)
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", len(PNG) - 1)
    login_as(world.planner)
    # Just over the limit: the service measures it.
    response = upload(client, f"/attachments/revision/{revision.id}", PNG, "scan.png")
    assert "ยังไม่ได้แนบไฟล์: ไฟล์มีขนาดใหญ่เกินไป" in text(response)
    # Far over it (beyond the request's limit too): cut off before the service, said on the same page.
    monkeypatch.setattr(
        attachments, "attach", lambda *a, **k: pytest.fail("the body should be refused first")
    )
    huge = PNG + b"\0" * (2 * 1024 * 1024)
    response = upload(client, f"/attachments/revision/{revision.id}", huge, "huge.png")
    assert response.request.path == f"/revisions/{revision.id}"
    assert "ยังไม่ได้แนบไฟล์: ไฟล์มีขนาดใหญ่เกินไป" in text(response)
    assert db.session.query(Attachment).count() == 0 and stored_files(store) == []


def test_uploads_may_be_larger_than_other_requests(app, world, db, store, client, login_as, monkeypatch):
    """MAX_CONTENT_LENGTH stays the limit elsewhere; an upload may carry ATTACHMENT_MAX_BYTES."""
    revision = drafted_revision(world.sao_a)
    big = PNG + b"\0" * 40_000  # a PNG with trailing bytes is still a PNG
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 20_000)
    login_as(world.planner)
    response = upload(client, f"/attachments/revision/{revision.id}", big, "big.png")
    assert "แนบไฟล์เรียบร้อยแล้ว" in text(response)
    assert db.session.query(Attachment).one().size_bytes == len(big)


def test_readers_see_the_files_without_the_form_and_cannot_post(world, db, store, client, login_as):
    revision = drafted_revision(world.sao_a)
    row = attachments.attach(
        world.planner, "revision", revision.id, kind="meeting_minutes", filename="m.jpg", data=JPEG
    )
    db.session.commit()
    for reader in (world.district_officer, world.executive):
        login_as(reader)
        page = text(client.get(f"/revisions/{revision.id}"))
        assert "รายงานการประชุม" in page and f"/attachments/{row.id}" in page
        assert f'action="/attachments/revision/{revision.id}"' not in page
        refused = client.post(
            f"/attachments/revision/{revision.id}",
            data={"kind": "other", "file": (io.BytesIO(PDF), "x.pdf")},
            content_type="multipart/form-data",
        )
        assert refused.status_code == 403
        assert client.get(f"/attachments/{row.id}").data == JPEG
    login_as(world.planner_x)
    assert client.get(f"/attachments/{row.id}").status_code == 404
    assert client.post(f"/attachments/revision/{revision.id}", data={"kind": "other"}).status_code == 404
    assert db.session.query(Attachment).count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(world, db, store, client):
    revision = drafted_revision(world.sao_a)
    row = attachments.attach(world.planner, "revision", revision.id, kind="other", filename="a.pdf", data=PDF)
    db.session.commit()
    response = client.get(f"/attachments/{row.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_file_attached_to_a_step_on_the_workflow_page(world, db, store, client, login_as):
    revision = drafted_revision(world.sao_a)
    steps = engine.history(revision)
    login_as(world.council_secretary)
    page = text(client.get(f"/instances/revision/{revision.id}"))
    assert f'action="/attachments/instances/revision/{revision.id}"' in page
    response = upload(
        client,
        f"/attachments/instances/revision/{revision.id}",
        PDF,
        "มติสภา.pdf",
        kind="council_resolution",
        step=str(steps[0].id),
    )
    shown = text(response)
    assert response.request.path == f"/instances/revision/{revision.id}"
    assert "มติสภา.pdf" in shown and "มติสภาท้องถิ่น" in shown
    assert db.session.query(Attachment).one().audit_event_id == steps[0].id
    # A step of another item is not offered and is refused.
    other = drafted_revision(world.sao_a)
    foreign = engine.history(other)[0]
    response = upload(
        client,
        f"/attachments/instances/revision/{revision.id}",
        PDF,
        "x.pdf",
        kind="other",
        step=str(foreign.id),
    )
    assert "ยังไม่ได้แนบไฟล์" in text(response) or "ไม่ถูกต้อง" in text(response)
    assert db.session.query(Attachment).count() == 1


def test_workflows_without_plan_files_show_no_attachments(world, db, store, client, login_as):
    login_as(world.planner)
    assert client.post(f"/attachments/instances/account/{world.planner.id}", data={}).status_code == 404


def test_a_version_gets_its_files_on_the_plan_overview(world, db, store, client, login_as):
    plan = announced_plan(world.sao_a, world.planner)
    version = attachments.version_of(plan.id, 1)
    login_as(world.planner)
    page = text(client.get(f"/plans/{plan.id}"))
    assert f'action="/attachments/version/{version.id}"' in page
    response = upload(client, f"/attachments/version/{version.id}", PNG, "ประกาศ.png")
    assert response.request.path == f"/plans/{plan.id}"
    assert "ประกาศ.png" in text(response)
    event = (
        db.session.query(AuditEvent).filter_by(chain=f"plan-content:{plan.id}", action="attach_file").one()
    )
    assert event.data["sha256"] == hashlib.sha256(PNG).hexdigest()


def test_a_drafting_plan_has_no_version_to_attach_to(world, db, store, client, login_as):
    from tests import factories

    plan = factories.plan(world.sao_a, world.planner)
    login_as(world.planner)
    assert "/attachments/version/" not in text(client.get(f"/plans/{plan.id}"))


def test_with_csrf_on_an_upload_larger_than_other_requests_goes_through(csrf_app, tmp_path, monkeypatch):
    """The upload's own limit is set before CSRF protection reads the form (as in production)."""
    from eplan_flow.extensions import db as _db
    from tests import factories
    from tests.pages import csrf_token_in

    monkeypatch.setitem(csrf_app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    monkeypatch.setitem(csrf_app.config, "MAX_CONTENT_LENGTH", 20_000)
    with csrf_app.app_context():
        world = factories.build_world()
        revision_id = drafted_revision(world.sao_a).id
        _db.session.remove()
    client = csrf_app.test_client()
    login = client.get("/auth/login").get_data(as_text=True)
    client.post(
        "/auth/login", data={"username": "a_planner", "password": "pw", "csrf_token": csrf_token_in(login)}
    )
    token = csrf_token_in(text(client.get(f"/revisions/{revision_id}")))
    big = PNG + b"\0" * 40_000
    response = upload(client, f"/attachments/revision/{revision_id}", big, "big.png", csrf_token=token)
    assert "แนบไฟล์เรียบร้อยแล้ว" in text(response)
    # Without the token nothing is attached.
    refused = client.post(
        f"/attachments/revision/{revision_id}",
        data={"kind": "other", "file": (io.BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code in (400, 303)
    with csrf_app.app_context():
        assert _db.session.query(Attachment).count() == 1
        _db.session.remove()


def test_attaching_and_downloading_work_on_sqlite_too(sqlite_app, tmp_path):
    """The embedded database ``make run`` serves: the same upload, audit and download."""
    from eplan_flow.extensions import db as _db
    from tests import factories

    sqlite_app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    with sqlite_app.app_context():
        world = factories.build_world()
        plan_id = announced_plan(world.sao_a, world.planner).id
        version_id = attachments.version_of(plan_id, 1).id
        _db.session.remove()
    client = sqlite_app.test_client()
    assert client.post("/auth/login", data={"username": "a_planner", "password": "pw"}).status_code == 302
    response = upload(client, f"/attachments/version/{version_id}", JPEG, "ประกาศ.jpg")
    assert "แนบไฟล์เรียบร้อยแล้ว" in text(response)
    with sqlite_app.app_context():
        row = _db.session.query(Attachment).one()
        event = _db.session.query(AuditEvent).filter_by(action="attach_file").one()
        assert event.data["sha256"] == row.sha256 == hashlib.sha256(JPEG).hexdigest()
        row_id = row.id
        _db.session.remove()
    assert client.get(f"/attachments/{row_id}").data == JPEG

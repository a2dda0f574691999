"""Signed files kept with a plan's steps, versions and revisions (issue 13, item 5): PDF and images
only, told by their content; size-limited; stored under their SHA-256, which the audit trail
records; readable within the LAO's scope; signed announcements posted on the public board."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from flask_babel import force_locale
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy.exc import IntegrityError

from eplan_flow import messages
from eplan_flow.errors import NotFound, PermissionDenied
from eplan_flow.models import Attachment, AuditEvent, PlanVersion
from eplan_flow.services.planning import attachments
from eplan_flow.services.platform import engine
from eplan_flow.services.platform.storage import LocalStorage, key_for
from tests.factories.revisions import announced_plan, drafted_revision


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str, size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


PDF = pdf_bytes()
PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


@pytest.fixture
def store(app, tmp_path, monkeypatch) -> Path:
    """The attachment store of this test: a directory of its own."""
    root = tmp_path / "attachments"
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(root))
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def thai(app, error) -> str:
    with app.test_request_context(), force_locale("th"):
        return messages.message_for(error, "attachment")


def version_1(plan) -> PlanVersion:
    return attachments.version_of(plan.id, 1)


# -- what is taken ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, name, media_type",
    [
        (PDF, "ประกาศแผน.pdf", "application/pdf"),
        (PNG, "scan.png", "image/png"),
        (JPEG, "photo.jpg", "image/jpeg"),
    ],
)
def test_real_pdf_png_and_jpeg_files_are_kept_as_their_content_says(world, db, store, data, name, media_type):
    plan = announced_plan(world.sao_a, world.planner)
    version = version_1(plan)
    row = attachments.attach(
        world.planner, "version", version.id, kind="signed_announcement", filename=name, data=data
    )
    assert (row.media_type, row.size_bytes, row.filename) == (media_type, len(data), name)
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert (row.plan_version_id, row.plan_id, row.organisation_id) == (version.id, plan.id, world.sao_a.id)
    assert (store / key_for(row.sha256)).read_bytes() == data
    assert [f.id for f in attachments.files_of("version", version.id)] == [row.id]


def test_the_type_comes_from_the_content_not_the_name(world, db, store):
    plan = announced_plan(world.sao_a, world.planner)
    row = attachments.attach(
        world.planner, "version", version_1(plan).id, kind="other", filename="C:\\scans\\รูป.pdf", data=PNG
    )
    # Only the last part of the path is kept; the download is named for what the file is.
    assert row.media_type == "image/png" and row.filename == "รูป.pdf"
    assert attachments.download_name(row) == "รูป.pdf.png"


@pytest.mark.parametrize(
    "data",
    [
        b"Just text pretending to be a PDF\n",
        b"%PDF-1.7 but cut off before its end",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"<html><script>alert(1)</script></html>",
        b"\x89PNG\r\n\x1a\n",  # a signature and nothing else
    ],
)
def test_a_text_file_named_pdf_and_other_types_are_refused_and_nothing_is_kept(app, world, db, store, data):
    plan = announced_plan(world.sao_a, world.planner)
    before = db.session.query(AuditEvent).count()
    with pytest.raises(attachments.AttachmentTypeRefused) as refused:
        attachments.attach(
            world.planner,
            "version",
            version_1(plan).id,
            kind="signed_announcement",
            filename="ประกาศ.pdf",
            data=data,
        )
    assert thai(app, refused.value) == (
        "ยังไม่ได้แนบไฟล์: รับเฉพาะไฟล์ PDF และไฟล์รูปภาพ โดยตรวจจากเนื้อหาของไฟล์ (การเปลี่ยนชื่อไฟล์ไม่ได้เปลี่ยนชนิดของไฟล์)"
    )
    assert db.session.query(Attachment).count() == 0
    assert db.session.query(AuditEvent).count() == before
    assert stored_files(store) == []


def test_an_empty_file_is_refused(app, world, db, store):
    plan = announced_plan(world.sao_a, world.planner)
    for data in (b"", None):
        with pytest.raises(attachments.AttachmentEmpty) as refused:
            attachments.attach(
                world.planner, "version", version_1(plan).id, kind="other", filename="x.pdf", data=data
            )
    assert thai(app, refused.value) == "ยังไม่ได้แนบไฟล์: กรุณาเลือกไฟล์ PDF หรือไฟล์รูปภาพที่ไม่ใช่ไฟล์ว่าง"
    assert db.session.query(Attachment).count() == 0 and stored_files(store) == []


def test_a_file_over_the_configured_limit_is_refused(app, world, db, store, monkeypatch):
    plan = announced_plan(world.sao_a, world.planner)
    big = pdf_bytes(pages=40)
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", len(big) - 1)
    with pytest.raises(attachments.AttachmentTooLarge) as refused:
        attachments.attach(
            world.planner, "version", version_1(plan).id, kind="other", filename="big.pdf", data=big
        )
    assert refused.value.details["max_mb"] == round((len(big) - 1) / 1048576, 1)
    assert thai(app, refused.value).startswith("ยังไม่ได้แนบไฟล์: ไฟล์มีขนาดใหญ่เกินไป (ไม่เกิน ")
    assert db.session.query(Attachment).count() == 0 and stored_files(store) == []
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", len(big))
    assert attachments.attach(
        world.planner, "version", version_1(plan).id, kind="other", filename="big.pdf", data=big
    ).size_bytes == len(big)


def test_the_default_limit_is_twenty_megabytes(app):
    assert attachments.max_bytes(app) == 20 * 1024 * 1024


# -- the audit trail ---------------------------------------------------------------------------------


def test_the_audit_event_records_the_sha256_of_the_stored_file(world, db, store):
    revision = drafted_revision(world.sao_a)
    row = attachments.attach(
        world.planner, "revision", revision.id, kind="meeting_minutes", filename="minutes.jpg", data=JPEG
    )
    event = (
        db.session.query(AuditEvent)
        .filter_by(chain=f"revision-content:{revision.id}", action="attach_file")
        .one()
    )
    stored = (store / row.storage_key).read_bytes()
    assert event.data["sha256"] == hashlib.sha256(stored).hexdigest() == hashlib.sha256(JPEG).hexdigest()
    assert event.data["attachment_id"] == row.id and event.data["kind"] == "meeting_minutes"
    assert event.actor_id == world.planner.id and event.organisation_id == world.sao_a.id


def test_a_file_goes_with_a_workflow_step_of_the_item(world, db, store):
    revision = drafted_revision(world.sao_a)
    created = engine.history(revision)[0]
    row = attachments.attach(
        world.council_secretary, "step", created.id, kind="council_resolution", filename="มติ.pdf", data=PDF
    )
    assert row.audit_event_id == created.id and row.plan_id == revision.plan_id
    assert [(f.id, e.id) for f, e in attachments.files_of_steps(revision)] == [(row.id, created.id)]
    audited = db.session.query(AuditEvent).filter_by(chain=f"revision-content:{revision.id}").all()
    assert audited[-1].data["subject"] == "step" and audited[-1].data["subject_id"] == created.id
    # Only steps of plans, reviews and revisions take files: not a sign-in or an account's event.
    other = AuditEvent(
        chain="user:1", seq=1, action="login", prev_hash="0", hash="0", hash_version=2, data={}
    )
    db.session.add(other)
    db.session.flush()
    with pytest.raises(NotFound):
        attachments.attach(world.planner, "step", other.id, kind="other", filename="x.pdf", data=PDF)


def test_the_database_refuses_a_file_attached_to_two_things(world, db, store):
    revision = drafted_revision(world.sao_a)
    version = version_1(revision.plan)
    row = Attachment(
        organisation_id=world.sao_a.id,
        plan_id=revision.plan_id,
        revision_id=revision.id,
        plan_version_id=version.id,
        kind="other",
        filename="x.pdf",
        media_type="application/pdf",
        size_bytes=1,
        sha256="0" * 64,
        storage_key=key_for("0" * 64),
    )
    db.session.add(row)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# -- who may attach and read -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["planner", "support_secretary", "devcom_secretary", "council_secretary"])
def test_the_lao_staff_attach(world, db, store, role):
    revision = drafted_revision(world.sao_a)
    row = attachments.attach(
        getattr(world, role), "revision", revision.id, kind="other", filename="a.png", data=PNG
    )
    assert row.uploaded_by_id == getattr(world, role).id


@pytest.mark.parametrize(
    "role, refusal",
    [
        ("executive", PermissionDenied),
        ("sso_admin", PermissionDenied),
        ("district_officer", PermissionDenied),
        ("provincial_officer", PermissionDenied),
        ("dla_admin", PermissionDenied),
        ("planner_x", NotFound),
        ("district_officer_2", NotFound),
    ],
)
def test_readers_and_outsiders_cannot_attach(world, db, store, role, refusal):
    revision = drafted_revision(world.sao_a)
    with pytest.raises(refusal):
        attachments.attach(
            getattr(world, role), "revision", revision.id, kind="other", filename="a.png", data=PNG
        )
    assert db.session.query(Attachment).count() == 0 and stored_files(store) == []


def test_an_outsider_lao_cannot_download_and_readers_can(world, db, store):
    revision = drafted_revision(world.sao_a)
    row = attachments.attach(world.planner, "revision", revision.id, kind="other", filename="a.pdf", data=PDF)
    for outsider in (world.planner_x, world.planner_c, world.district_officer_2, world.provincial_officer_30):
        with pytest.raises(NotFound):
            attachments.file_for(outsider, row.id)
    for reader in (world.executive, world.district_officer, world.provincial_officer, world.dla_admin):
        assert attachments.file_for(reader, row.id)[1] == PDF


# -- atomicity -------------------------------------------------------------------------------------


def test_a_failure_after_the_file_is_written_leaves_neither_row_nor_file(world, db, store, monkeypatch):
    revision = drafted_revision(world.sao_a)
    before = db.session.query(AuditEvent).count()

    def broken_append(*args, **kwargs):
        assert stored_files(store), "the file is written before the row and the audit event"
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr(attachments.audit, "append", broken_append)
    with pytest.raises(RuntimeError):
        attachments.attach(world.planner, "revision", revision.id, kind="other", filename="a.pdf", data=PDF)
    assert db.session.query(Attachment).count() == 0
    assert db.session.query(AuditEvent).count() == before
    assert stored_files(store) == []


def test_a_failed_attach_keeps_a_file_another_attachment_already_holds(world, db, store, monkeypatch):
    revision = drafted_revision(world.sao_a)
    kept = attachments.attach(
        world.planner, "revision", revision.id, kind="other", filename="a.pdf", data=PDF
    )
    monkeypatch.setattr(
        attachments.audit, "append", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("down"))
    )
    with pytest.raises(RuntimeError):
        attachments.attach(world.planner, "revision", revision.id, kind="other", filename="b.pdf", data=PDF)
    assert db.session.query(Attachment).count() == 1
    assert (store / kept.storage_key).read_bytes() == PDF


def test_the_local_store_writes_atomically_and_once_per_content(tmp_path):
    store = LocalStorage(tmp_path)
    sha = hashlib.sha256(PDF).hexdigest()
    first, again = store.put(PDF, sha), store.put(PDF, sha)
    assert first.created and not again.created and first.key == again.key
    assert store.read(first.key) == PDF
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [sha]  # no temporary file left
    with pytest.raises(ValueError):
        store.read("../../etc/passwd")
    store.delete(first.key)
    assert not store.exists(first.key)


# -- the public board ------------------------------------------------------------------------------


def test_the_public_board_posts_the_signed_announcement_of_announced_items_only(world, db, store, client):
    plan = announced_plan(world.sao_a, world.planner)
    signed = attachments.attach(
        world.planner,
        "version",
        version_1(plan).id,
        kind="signed_announcement",
        filename="ประกาศแผน.pdf",
        data=PDF,
    )
    minutes = attachments.attach(
        world.planner,
        "version",
        version_1(plan).id,
        kind="meeting_minutes",
        filename="รายงานประชุม.pdf",
        data=JPEG,
    )
    draft = drafted_revision(world.sao_a)
    unannounced = attachments.attach(
        world.planner, "revision", draft.id, kind="signed_announcement", filename="ร่างประกาศ.pdf", data=PNG
    )
    db.session.commit()
    page = client.get("/public/").get_data(as_text=True)
    assert "ประกาศที่ลงนามแล้ว: ประกาศแผน.pdf" in page
    assert f"/public/files/{signed.id}" in page
    assert "รายงานประชุม.pdf" not in page and "ร่างประกาศ.pdf" not in page
    assert world.sao_a.code in client.get(f"/public/{world.sao_a.code}").get_data(as_text=True)
    assert "ประกาศแผน.pdf" in client.get(f"/public/{world.sao_a.code}").get_data(as_text=True)
    response = client.get(f"/public/files/{signed.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for hidden in (minutes, unannounced):
        assert client.get(f"/public/files/{hidden.id}").status_code == 404
    assert client.get("/public/files/999999").status_code == 404


def test_an_announced_revisions_signed_announcement_is_posted_with_it(world, db, store, client):
    from tests.factories.deadlines import revision_of

    plan = announced_plan(world.sao_a, world.planner)
    revision = revision_of(plan, "เพิ่มเติม", 1, 2569)
    announce_step = engine.history(revision)[-1]
    row = attachments.attach(
        world.planner,
        "step",
        announce_step.id,
        kind="signed_announcement",
        filename="ประกาศเพิ่มเติม.png",
        data=PNG,
    )
    db.session.commit()
    page = client.get("/public/").get_data(as_text=True)
    assert "ประกาศที่ลงนามแล้ว: ประกาศเพิ่มเติม.png" in page
    assert client.get(f"/public/files/{row.id}").data == PNG
    assert attachments.posting_required("plan") and attachments.posting_required("revision")


def test_the_s3_store_is_refused_without_its_backend(app, monkeypatch):
    import sys

    from eplan_flow.services.platform import storage

    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", None)
    local = storage.storage(app)
    assert isinstance(local, LocalStorage) and local.root == Path(app.instance_path) / "attachments"
    monkeypatch.setitem(app.config, "ATTACHMENTS_STORAGE", "s3")
    monkeypatch.setitem(app.config, "ATTACHMENTS_S3_BUCKET", "eplan")
    monkeypatch.setitem(sys.modules, "boto3", None)  # the optional 's3' extra not installed
    with pytest.raises(storage.StorageNotConfigured, match="boto3"):
        storage.storage(app)

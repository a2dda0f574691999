"""The S3-compatible attachment store (issue 13, item 5), against a real S3 server over HTTP.

moto's server mode speaks the S3 protocol on a local port; boto3 talks to it as to MinIO or Ceph,
so these tests exercise the requests the app really sends (conditional PutObject, HEAD, GET,
DELETE), not a patched client. Every test gets a bucket of its own.
"""

from __future__ import annotations

import hashlib
import io
import sys
import uuid

import boto3
import pytest
from botocore.config import Config as BotoConfig

from eplan_flow.config import InsecureConfiguration, check_attachment_storage
from eplan_flow.errors import NotFound
from eplan_flow.models import Attachment, AuditEvent
from eplan_flow.services.planning import attachments
from eplan_flow.services.platform import storage
from eplan_flow.services.platform.storage import S3Storage, StorageNotConfigured, key_for
from tests.factories.revisions import drafted_revision
from tests.planning.test_attachments import JPEG, PDF, PNG

S3_PORT = 5371  # this suite's port range is 5371-5375
ENDPOINT = f"http://127.0.0.1:{S3_PORT}"
PREFIX = "eplan/attachments"
CREDENTIALS = {"aws_access_key_id": "eplan-test", "aws_secret_access_key": "eplan-test-secret"}


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=S3_PORT, verbose=False)
    server.start()
    yield ENDPOINT
    server.stop()


@pytest.fixture
def s3(s3_server):
    """A client of its own (not the app's) to look into the bucket, and the bucket's name."""
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        config=BotoConfig(s3={"addressing_style": "path"}),
        **CREDENTIALS,
    )
    bucket = f"eplan-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return client, bucket


@pytest.fixture
def s3_store(app, s3, monkeypatch):
    """The app configured for the S3 store, as an operator would (EPLAN_ATTACHMENTS_S3_*)."""
    client, bucket = s3
    for name, value in {
        "ATTACHMENTS_STORAGE": "s3",
        "ATTACHMENTS_S3_BUCKET": bucket,
        "ATTACHMENTS_S3_ENDPOINT_URL": ENDPOINT,
        "ATTACHMENTS_S3_REGION": "us-east-1",
        "ATTACHMENTS_S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "ATTACHMENTS_S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "ATTACHMENTS_S3_PREFIX": PREFIX,
        "ATTACHMENTS_S3_ADDRESSING_STYLE": "path",
    }.items():
        monkeypatch.setitem(app.config, name, value)
    # Nothing may land in the local store while S3 is configured.
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", "/nonexistent/eplan-attachments")
    return client, bucket


def objects(client, bucket) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def upload(client, url: str, data: bytes, name: str, kind: str = "signed_announcement"):
    return client.post(
        url,
        data={"kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


# -- through the service -----------------------------------------------------------------------------


def test_an_attached_file_is_kept_in_the_bucket_under_its_content_address(world, db, s3_store):
    client, bucket = s3_store
    revision = drafted_revision(world.sao_a)
    row = attachments.attach(world.planner, "revision", revision.id, kind="other", filename="a.pdf", data=PDF)
    sha = hashlib.sha256(PDF).hexdigest()
    assert row.sha256 == sha and row.storage_key == key_for(sha) == f"sha256/{sha[:2]}/{sha}"
    assert objects(client, bucket) == {f"{PREFIX}/sha256/{sha[:2]}/{sha}": PDF}
    found, data = attachments.file_for(world.executive, row.id)
    assert found.id == row.id and data == PDF and hashlib.sha256(data).hexdigest() == row.sha256


def test_the_same_file_attached_twice_is_stored_once(world, db, s3_store):
    client, bucket = s3_store
    revision = drafted_revision(world.sao_a)
    first = attachments.attach(
        world.planner, "revision", revision.id, kind="other", filename="a.png", data=PNG
    )
    again = attachments.attach(
        world.planner, "revision", revision.id, kind="meeting_minutes", filename="b.png", data=PNG
    )
    other = attachments.attach(
        world.planner, "revision", revision.id, kind="other", filename="c.jpg", data=JPEG
    )
    assert first.id != again.id and first.storage_key == again.storage_key != other.storage_key
    assert sorted(objects(client, bucket)) == sorted(
        f"{PREFIX}/{key_for(hashlib.sha256(d).hexdigest())}" for d in (PNG, JPEG)
    )


def test_a_failure_after_the_upload_removes_the_orphan_object(world, db, s3_store, monkeypatch):
    client, bucket = s3_store
    revision = drafted_revision(world.sao_a)
    before = db.session.query(AuditEvent).count()

    def broken_append(*args, **kwargs):
        assert list(objects(client, bucket)), "the object is written before the row and the event"
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr(attachments.audit, "append", broken_append)
    with pytest.raises(RuntimeError, match="audit trail is down"):
        attachments.attach(world.planner, "revision", revision.id, kind="other", filename="a.pdf", data=PDF)
    assert db.session.query(Attachment).count() == 0
    assert db.session.query(AuditEvent).count() == before
    assert objects(client, bucket) == {}


def test_a_failed_attach_keeps_an_object_another_attachment_holds(world, db, s3_store, monkeypatch):
    client, bucket = s3_store
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
    assert objects(client, bucket) == {f"{PREFIX}/{kept.storage_key}": PDF}


def test_an_object_missing_from_the_bucket_is_not_found(world, db, s3_store):
    client, bucket = s3_store
    revision = drafted_revision(world.sao_a)
    row = attachments.attach(world.planner, "revision", revision.id, kind="other", filename="a.pdf", data=PDF)
    client.delete_object(Bucket=bucket, Key=f"{PREFIX}/{row.storage_key}")
    with pytest.raises(NotFound):
        attachments.file_for(world.planner, row.id)


# -- through the pages -------------------------------------------------------------------------------


def test_a_planner_uploads_on_the_revision_page_and_downloads_the_same_bytes(
    world, db, s3_store, client, login_as
):
    s3_client, bucket = s3_store
    revision = drafted_revision(world.sao_a)
    login_as(world.planner)
    response = upload(client, f"/attachments/revision/{revision.id}", PDF, "ประกาศลงนาม.pdf")
    assert response.status_code == 200 and response.request.path == f"/revisions/{revision.id}"
    page = response.get_data(as_text=True)
    sha = hashlib.sha256(PDF).hexdigest()
    assert "แนบไฟล์เรียบร้อยแล้ว" in page and sha in page
    row = db.session.query(Attachment).one()
    assert objects(s3_client, bucket) == {f"{PREFIX}/{row.storage_key}": PDF}
    download = client.get(f"/attachments/{row.id}")
    assert download.status_code == 200 and download.data == PDF
    assert hashlib.sha256(download.data).hexdigest() == row.sha256 == sha
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    # The same scan uploaded again is a second attachment of the one stored object.
    upload(client, f"/attachments/revision/{revision.id}", PDF, "สำเนา.pdf")
    assert db.session.query(Attachment).count() == 2
    assert list(objects(s3_client, bucket)) == [f"{PREFIX}/{row.storage_key}"]


def test_a_refused_upload_leaves_the_bucket_empty(world, db, s3_store, client, login_as):
    s3_client, bucket = s3_store
    revision = drafted_revision(world.sao_a)
    login_as(world.planner)
    response = upload(client, f"/attachments/revision/{revision.id}", b"just text", "fake.pdf")
    assert "PDF" in response.get_data(as_text=True)
    assert db.session.query(Attachment).count() == 0 and objects(s3_client, bucket) == {}


# -- the store itself --------------------------------------------------------------------------------


def test_the_store_refuses_names_it_did_not_make(app, s3_store):
    with app.app_context():
        store = storage.storage()
    assert isinstance(store, S3Storage) and store.prefix == f"{PREFIX}/"
    for name in (
        "../../etc/passwd",
        f"{PREFIX}/sha256/aa/x",
        "sha256/AB/" + "AB" * 32,
        "sha256/ab/" + "a" * 63,
    ):
        with pytest.raises(ValueError):
            store.read(name)
        with pytest.raises(ValueError):
            store.delete(name)
    sha = hashlib.sha256(JPEG).hexdigest()
    first, again = store.put(JPEG, sha), store.put(JPEG, sha)
    assert first.created and not again.created and store.exists(first.key)
    store.delete(first.key)
    store.delete(first.key)  # gone already: not an error
    assert not store.exists(first.key)
    with pytest.raises(FileNotFoundError):
        store.read(first.key)


def test_of_two_writers_of_the_same_bytes_only_one_creates_the_object(app, s3_store):
    # The second writer looked before the first had written (its HEAD found nothing): the
    # conditional PutObject (If-None-Match: *) is refused by the server, so it created nothing
    # and a failure of its attach will not delete the first writer's object.
    client, bucket = s3_store
    first = storage.storage(app)
    late = S3Storage(first.client, first.bucket, first.prefix)
    late.exists = lambda key: False  # type: ignore[method-assign]
    sha = hashlib.sha256(PDF).hexdigest()
    assert first.put(PDF, sha).created
    assert not late.put(PDF, sha).created
    assert objects(client, bucket) == {f"{PREFIX}/{key_for(sha)}": PDF}


def test_a_store_without_a_prefix_names_objects_by_their_key_alone(app, s3_store, monkeypatch):
    client, bucket = s3_store
    monkeypatch.setitem(app.config, "ATTACHMENTS_S3_PREFIX", "")
    store = storage.storage(app)
    stored = store.put(PNG, hashlib.sha256(PNG).hexdigest())
    assert objects(client, bucket) == {stored.key: PNG}


# -- misconfiguration ---------------------------------------------------------------------------------


def test_s3_without_a_bucket_is_refused_at_startup_and_at_first_use(app, s3_store, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENTS_S3_BUCKET", None)
    with pytest.raises(InsecureConfiguration, match="EPLAN_ATTACHMENTS_S3_BUCKET"):
        check_attachment_storage(app.config)
    with pytest.raises(InsecureConfiguration, match="EPLAN_ATTACHMENTS_S3_BUCKET"):
        from tests.conftest import make_app

        make_app(ATTACHMENTS_STORAGE="s3")
    with pytest.raises(StorageNotConfigured, match="EPLAN_ATTACHMENTS_S3_BUCKET"):
        storage.storage(app)


def test_s3_without_boto3_names_the_extra_to_install(app, s3_store, monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if the 's3' extra were not installed
    with pytest.raises(InsecureConfiguration, match=r"boto3.*'s3' extra"):
        check_attachment_storage(app.config)
    app.extensions.pop("eplan_attachment_s3", None)
    with pytest.raises(StorageNotConfigured, match=r"boto3.*'s3' extra"):
        storage.storage(app)


def test_unknown_stores_and_addressing_styles_are_refused(app, s3_store, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENTS_S3_ADDRESSING_STYLE", "sideways")
    with pytest.raises(InsecureConfiguration, match="ADDRESSING_STYLE"):
        check_attachment_storage(app.config)
    with pytest.raises(StorageNotConfigured, match="ADDRESSING_STYLE"):
        storage.storage(app)
    monkeypatch.setitem(app.config, "ATTACHMENTS_STORAGE", "ftp")
    with pytest.raises(InsecureConfiguration, match="'ftp'"):
        check_attachment_storage(app.config)
    with pytest.raises(StorageNotConfigured, match="'ftp'"):
        storage.storage(app)

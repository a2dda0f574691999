"""A long document is a background job: asked for on its page, queued through the outbox, rendered
by a real RQ worker (or in-process on the embedded SQLite default), followed on a progress bar
that refreshes itself without JavaScript, and handed out to the person who asked, to nobody else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.jobs.worker import make_worker
from eplan_flow.models import DocumentJob
from eplan_flow.services.documents import forms, jobs, pdf
from eplan_flow.services.platform import queues
from tests import factories
from tests.documents.pdfs import assert_sarabun_only, read
from tests.factories import revisions as revision_factories


@pytest.fixture
def small_limit(monkeypatch):
    """Lists longer than 10 rows go to a job (the default limit is for thousands of projects)."""
    monkeypatch.setattr(forms, "STREAM_LIMIT", 10)


@pytest.fixture
def instance(app, tmp_path, monkeypatch):
    """The app's instance folder, where finished files wait, in a folder of this test."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


@pytest.fixture
def progress_seen(monkeypatch):
    """Every progress value a job records, in order."""
    seen: list[int] = []
    record = jobs._set

    def spy(job_id: int, **values) -> None:
        if "progress" in values:
            seen.append(values["progress"])
        record(job_id, **values)

    monkeypatch.setattr(jobs, "_set", spy)
    return seen


def _job_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    match = re.fullmatch(r"/documents/jobs/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match[1])


def test_a_long_p02_is_rendered_by_the_rq_worker_with_progress_and_handed_to_who_asked(
    app, world, db, client, login_as, small_limit, instance, progress_seen
):
    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=60)
    login_as(world.planner)
    offer = client.get(f"/documents/plans/{plan.id}/p02.pdf")
    assert offer.status_code == 200 and offer.mimetype == "text/html"
    job_id = _job_id(client.post(f"/documents/plans/{plan.id}/p02.pdf/job"))

    job = _db.session.get(DocumentJob, job_id)
    assert (job.status, job.progress, job.requested_by_id, job.document) == (
        "queued",
        0,
        world.planner.id,
        "p02",
    )
    assert job.params == {"plan_id": plan.id, "version": None, "source": "own"}
    # Relayed from the outbox to RQ after the commit: waiting on the default queue, with time enough
    # for thousands of projects (RQ's default would stop it after three minutes).
    waiting = queues.queue("default", app)
    assert waiting.count == 1 and waiting.jobs[0].timeout == queues.JOB_TIMEOUTS["render_document"]
    page = client.get(f"/documents/jobs/{job_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'value="0"' in page and "รอคิว" in page
    # Asking again while it waits gives the same job, not a second one.
    assert _job_id(client.post(f"/documents/plans/{plan.id}/p02.pdf/job")) == job_id
    assert queues.queue("default", app).count == 1

    make_worker(app, fork=False).work(burst=True)

    _db.session.expire_all()
    job = _db.session.get(DocumentJob, job_id)
    assert (job.status, job.progress, job.error) == ("done", 100, None)
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert (instance / job.file_path).is_file() and job.file_path == f"documents/{job_id}.pdf"
    # The bar moved page by page through the layout, never backwards, and ended full.
    assert progress_seen == sorted(progress_seen) and progress_seen[-1] == 100
    assert any(pdf.LAYOUT_FROM < value < pdf.LAYOUT_TO for value in progress_seen), progress_seen

    page = client.get(f"/documents/jobs/{job_id}").get_data(as_text=True)
    assert "http-equiv" not in page and "เอกสารพร้อมแล้ว" in page
    assert f'href="/documents/jobs/{job_id}/file"' in page
    response = client.get(f"/documents/jobs/{job_id}/file")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    document = read(response.data)
    assert_sarabun_only(document)
    assert document.landscape and len(document.pages) > 3
    assert "โครงการที่ 60" in document.text
    response.close()

    # Someone else of the same LAO neither sees the job nor gets its file.
    login_as(world.executive)
    assert client.get(f"/documents/jobs/{job_id}").status_code == 404
    assert client.get(f"/documents/jobs/{job_id}/file").status_code == 404


def test_a_job_delivered_twice_renders_once(app, world, db, instance):
    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=3)
    job = jobs.request(world.planner, "p02", {"plan_id": plan.id, "version": None, "source": "own"})
    assert jobs.run(job.id) == "done"
    first = (instance / f"documents/{job.id}.pdf").stat().st_mtime_ns
    assert jobs.run(job.id) == "done"
    assert (instance / f"documents/{job.id}.pdf").stat().st_mtime_ns == first


def test_people_outside_the_lao_cannot_queue_its_documents(world, db, client, login_as, small_limit):
    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=20)
    login_as(world.planner_x)
    assert client.post(f"/documents/plans/{plan.id}/p02.pdf/job").status_code == 404
    assert client.post(f"/documents/plans/{plan.id}/nothing.pdf/job").status_code == 404
    assert _db.session.scalar(select(DocumentJob.id)) is None


def test_a_render_that_fails_marks_the_job_failed_and_says_so_in_thai(
    app, world, db, client, login_as, instance, monkeypatch
):
    plan = revision_factories.announced_plan(world.sao_a, world.planner, projects=3)
    job = jobs.request(world.planner, "p02", {"plan_id": plan.id, "version": None, "source": "own"})

    def broken(*args, **kwargs):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        jobs.run(job.id)
    _db.session.expire_all()
    row = _db.session.get(DocumentJob, job.id)
    assert row.status == "failed" and "layout failed" in row.error and row.file_path is None
    login_as(world.planner)
    page = client.get(f"/documents/jobs/{job.id}").get_data(as_text=True)
    assert "จัดทำเอกสารไม่สำเร็จ" in page and "http-equiv" not in page
    assert client.get(f"/documents/jobs/{job.id}/file").status_code == 404


def test_on_the_embedded_sqlite_default_the_job_runs_in_process(sqlite_app, tmp_path, monkeypatch):
    app = sqlite_app
    monkeypatch.setattr(forms, "STREAM_LIMIT", 10)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    with app.app_context():
        world = factories.build_world()
        plan_id = revision_factories.announced_plan(world.sao_a, world.planner, projects=25).id
        username = world.planner.username
        _db.session.remove()
    client = app.test_client()
    assert client.post("/auth/login", data={"username": username, "password": "pw"}).status_code == 302
    assert client.get(f"/documents/plans/{plan_id}/p02.pdf").mimetype == "text/html"
    job_id = _job_id(client.post(f"/documents/plans/{plan_id}/p02.pdf/job"))
    queues.drain_in_process(app, timeout=120)
    with app.app_context():
        job = _db.session.get(DocumentJob, job_id)
        assert (job.status, job.progress) == ("done", 100), job.error
        assert Path(tmp_path / job.file_path).is_file()
        _db.session.remove()
    assert "เอกสารพร้อมแล้ว" in client.get(f"/documents/jobs/{job_id}").get_data(as_text=True)
    response = client.get(f"/documents/jobs/{job_id}/file")
    document = read(response.data)
    response.close()
    assert_sarabun_only(document)
    assert "โครงการที่ 25" in document.text

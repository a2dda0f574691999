"""A job that keeps failing lands in RQ's failed registry and shows in the back office, where only a
DLA admin retries or discards it, each step audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eplan_flow.jobs.schedule import AppCronJob
from eplan_flow.jobs.worker import make_worker
from eplan_flow.models import AuditEvent
from eplan_flow.services.platform import audit, queues

ERROR = "ValueError: Invalid isoformat string: 'not-a-date'"


def work(app):
    make_worker(app, fork=False).work(burst=True)


@pytest.fixture
def failed_job(app, db):
    """A scheduled deadline check given a bad date: it fails on its first run and its one retry."""
    app.config.update(JOB_RETRY_MAX=1, JOB_RETRY_INTERVALS=[0])
    job = AppCronJob(app, "run_deadline_checks", "default", "0 7 * * *", kwargs={"today_iso": "not-a-date"})
    job_id = job.enqueue(queues.redis_connection(app)).id
    work(app)
    return job_id


def failed_ids() -> list[str]:
    return queues.queue("default").failed_job_registry.get_job_ids()


def job_events() -> list[tuple[str, str, int | None, dict]]:
    rows = select(AuditEvent).where(AuditEvent.chain.like("jobs:%")).order_by(AuditEvent.id)
    from eplan_flow.extensions import db

    return [(e.chain, e.action, e.actor_id, e.data) for e in db.session.execute(rows).scalars()]


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_job_that_keeps_failing_is_listed_for_the_dla_admin_with_its_error(failed_job, world, login_as):
    job = queues.queue("default").fetch_job(failed_job)
    assert failed_ids() == [failed_job] and job.retries_left == 0

    page = login_as(world.dla_admin).get("/admin/jobs/?lang=en")

    assert page.status_code == 200
    body = text(page)
    assert failed_job in body
    assert "eplan_flow.jobs.tasks.run_deadline_checks" in body
    assert "today_iso=&#39;not-a-date&#39;" in body
    assert ERROR.replace("'", "&#39;") in body
    assert body.count('action="/admin/jobs/retry"') == body.count('action="/admin/jobs/discard"') == 1


@pytest.mark.parametrize("role", ["planner", "sso_admin", "district_officer", "provincial_officer"])
def test_nobody_but_a_dla_admin_sees_or_touches_failed_jobs(role, failed_job, world, client, login_as, db):
    login_as(getattr(world, role))
    assert client.get("/admin/jobs/").status_code == 403
    for action in ("retry", "discard"):
        response = client.post(f"/admin/jobs/{action}", data={"queue": "default", "job_id": failed_job})
        assert response.status_code == 403
    assert failed_ids() == [failed_job]
    assert job_events() == []
    if role != "planner":  # the back office opens for them, without the menu entry
        assert "/admin/jobs/" not in text(client.get("/admin/"))


def test_an_anonymous_visitor_is_sent_to_sign_in(failed_job, client):
    response = client.get("/admin/jobs/")
    assert response.status_code == 302 and response.location.startswith("/auth/login")


def test_retrying_puts_the_job_back_on_its_queue_and_audits_it(failed_job, world, login_as, app, db):
    client = login_as(world.dla_admin)
    assert "/admin/jobs/" in text(client.get("/admin/"))

    response = client.post("/admin/jobs/retry", data={"queue": "default", "job_id": failed_job})

    assert response.status_code == 303
    assert failed_ids() == []
    assert queues.queue("default").job_ids == [failed_job]
    assert job_events() == [
        (
            "jobs:default",
            "retry_job",
            world.dla_admin.id,
            {"job_id": failed_job, "function": "eplan_flow.jobs.tasks.run_deadline_checks", "error": ERROR},
        )
    ]
    assert audit.verify_chains()[1] == []
    # Its cause is not fixed: it fails again and is listed again.
    work(app)
    assert failed_ids() == [failed_job]
    assert failed_job in text(client.get("/admin/jobs/"))


def test_discarding_deletes_the_job_and_audits_it(failed_job, world, login_as, db):
    client = login_as(world.dla_admin)
    client.get("/admin/jobs/?lang=en")  # the flashed outcome is worded in the reader's language

    response = client.post("/admin/jobs/discard", data={"queue": "default", "job_id": failed_job})

    assert response.status_code == 303
    assert failed_ids() == []
    assert queues.queue("default").fetch_job(failed_job) is None
    assert [(chain, action) for chain, action, _, _ in job_events()] == [("jobs:default", "discard_job")]
    page = text(client.get("/admin/jobs/?lang=en"))
    assert "The job was discarded." in page and "No failed jobs in the queues default, notifications" in page
    assert failed_job not in page


def test_acting_on_a_job_someone_already_handled_changes_and_audits_nothing(failed_job, world, login_as, db):
    client = login_as(world.dla_admin)
    client.get("/admin/jobs/?lang=en")
    client.post("/admin/jobs/discard", data={"queue": "default", "job_id": failed_job})
    for action in ("retry", "discard"):
        response = client.post(f"/admin/jobs/{action}", data={"queue": "default", "job_id": failed_job})
        assert response.status_code == 303
    assert [action for _, action, _, _ in job_events()] == ["discard_job"]
    assert "someone acted first" in text(client.get("/admin/jobs/?lang=en"))


def test_a_malformed_request_or_unknown_queue_changes_nothing(failed_job, world, login_as, db):
    client = login_as(world.dla_admin)
    for data in (
        {"queue": "default"},
        {"queue": "Default; DROP", "job_id": failed_job},
        {"queue": "nowhere", "job_id": failed_job},
    ):
        assert client.post("/admin/jobs/retry", data=data).status_code == 303
    assert failed_ids() == [failed_job] and job_events() == []


@pytest.fixture
def local_app(make_jobs_app):
    return make_jobs_app(REDIS_URL=None)


# The extra app is listed before ``world``: it is built before its app context is pushed.
def test_without_redis_the_page_says_jobs_run_in_the_web_process(local_app, world, db):
    client = local_app.test_client()
    client.post("/auth/login", data={"username": world.dla_admin.username, "password": "pw"})
    page = client.get("/admin/jobs/?lang=en")
    assert page.status_code == 200 and "no Redis is configured" in text(page)

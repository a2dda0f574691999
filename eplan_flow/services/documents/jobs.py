"""Long documents as background jobs: asked for on a page, rendered by the ``render_document`` job,
followed on a progress bar, then handed out from the instance folder.

The job row and its outbox message are written in one transaction, so the job reaches RQ (or the
in-process runner of the embedded default) only once the row exists, and never twice by mistake:
a job already done is not rendered again. Only the person who asked may see the job and its file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

from eplan_flow.errors import NotFound
from eplan_flow.extensions import db
from eplan_flow.models import DocumentJob, User
from eplan_flow.models._types import utcnow
from eplan_flow.services.documents import forms, pdf
from eplan_flow.services.platform import outbox
from eplan_flow.services.platform.unit_of_work import transaction

log = logging.getLogger(__name__)
JOB = "render_document"
QUEUE = "default"
# Files live under ``instance/<FOLDER>/``; the row keeps the path relative to the instance folder.
FOLDER = "documents"
# The bar moves in steps of at least this many percent (each step is a short commit).
PROGRESS_STEP = 5
ACTIVE = ("queued", "running")


def request(actor, document: str, params: dict, fmt: str = "pdf") -> DocumentJob:
    """Queue ``document`` with ``params`` for ``actor`` (who must be able to read it); a job for the
    same document already queued or running for them is returned instead of a second one."""
    title = forms.describe(actor, document, params)  # NotFound for what the actor may not read
    existing = db.session.scalars(
        select(DocumentJob)
        .where(
            DocumentJob.requested_by_id == actor.id,
            DocumentJob.document == document,
            DocumentJob.format == fmt,
            DocumentJob.status.in_(ACTIVE),
        )
        .order_by(DocumentJob.id.desc())
    ).all()
    for job in existing:
        if job.params == params:
            return job
    with transaction():
        job = DocumentJob(
            requested_by_id=actor.id,
            document=document,
            params=params,
            format=fmt,
            title=title,
            status="queued",
            progress=0,
        )
        db.session.add(job)
        db.session.flush()
        outbox.add(JOB, queue=QUEUE, document_job_id=job.id)
    return job


def get(actor, job_id: int) -> DocumentJob:
    """One of ``actor``'s own document jobs, or NotFound (another person's does not exist for them)."""
    job = db.session.get(DocumentJob, job_id)
    if job is None or job.requested_by_id != getattr(actor, "id", None):
        raise NotFound(f"document job #{job_id} not found", id=job_id)
    return job


def file_of(actor, job_id: int) -> tuple[Path, DocumentJob]:
    """The finished file of one of ``actor``'s jobs, or NotFound while it is not ready."""
    job = get(actor, job_id)
    if job.status != "done" or not job.file_path:
        raise NotFound(f"document job #{job_id} has no file yet", id=job_id)
    path = Path(current_app.instance_path) / job.file_path
    if not path.is_file():
        raise NotFound(f"the file of document job #{job_id} is gone", id=job_id)
    return path, job


def _set(job_id: int, **values) -> None:
    """Record the job's state or progress in a short transaction of its own."""
    with transaction():
        db.session.execute(update(DocumentJob).where(DocumentJob.id == job_id).values(**values))


def run(document_job_id: int) -> str:
    """Render the job's document to its file, recording progress; return the job's status."""
    job = db.session.get(DocumentJob, document_job_id)
    if job is None:
        log.warning("document job #%s is gone", document_job_id)
        return "missing"
    if job.status == "done":
        return job.status  # delivered twice: rendered once
    actor = db.session.get(User, job.requested_by_id)
    name, params, fmt = job.document, dict(job.params), job.format
    _set(document_job_id, status="running", started_at=utcnow(), progress=1, error=None)
    shown = [1]

    def report(percent: int) -> None:
        if percent >= shown[0] + PROGRESS_STEP:
            shown[0] = percent
            _set(document_job_id, progress=percent)

    try:
        if fmt == "xlsx":
            data = forms.build_workbook(actor, name, params)
        else:
            built = forms.build(actor, name, params)
            html = built.html()
            report(pdf.LAYOUT_FROM)
            data = pdf.render_pdf(html, progress=report, expected_pages=built.expected_pages)
        relative = f"{FOLDER}/{document_job_id}.{fmt}"
        _write(Path(current_app.instance_path) / relative, data)
    except Exception as exc:
        db.session.rollback()
        _set(
            document_job_id,
            status="failed",
            error=f"{type(exc).__name__}: {exc}"[:1000],
            finished_at=utcnow(),
        )
        raise
    _set(document_job_id, status="done", progress=100, file_path=relative, finished_at=utcnow())
    return "done"


def _write(path: Path, data: bytes) -> None:
    """Write the file whole or not at all: a reader never sees half a PDF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)

"""Signed files kept with a plan's steps, versions and revisions (issue 13, item 5).

An LAO keeps the signed announcement, the minutes of a meeting and the council's resolution with
the item they belong to: a workflow step (its audit event), an announced plan version or a
revision. Only PDF, PNG and JPEG are taken, told by the file's first bytes (a text file named
``.pdf`` is refused), up to ``ATTACHMENT_MAX_BYTES``. The file is stored under its SHA-256 and the
attaching is audited on the item's content chain with that SHA-256, so the trail proves which
bytes were attached. Signed announcements of announced plans and revisions are posted on the
public board (``public_files``), the regulation asking them to be posted (DEADLINES' duties).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from eplan_flow import text
from eplan_flow.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import (
    ATTACHMENT_KINDS,
    Attachment,
    AuditEvent,
    Plan,
    PlanVersion,
    Revision,
)
from eplan_flow.permissions import can_attach_files, can_read
from eplan_flow.services.planning import plans
from eplan_flow.services.planning.deadlines import ANNOUNCED_PLAN_STATES
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.storage import storage
from eplan_flow.services.platform.unit_of_work import transaction
from workflows.deadlines import DEADLINES

# What a file can be attached to: a workflow step (an audit event of the item's chain), an
# announced plan version, a revision.
SUBJECTS = ("step", "version", "revision")
# The workflows whose steps take files: the plan's own cycle, its reviews and its revisions.
STEP_WORKFLOWS = ("plan", "review", "revision")
FILENAME_MAX = 200
# The media types taken, and the extension a download gets when its name says otherwise.
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
_PNG = b"\x89PNG\r\n\x1a\n"


class AttachmentEmpty(DomainError):
    """No file was chosen, or the file has no bytes."""

    code = "attachment_empty"
    status = 422


class AttachmentTooLarge(DomainError):
    """The file is larger than ``ATTACHMENT_MAX_BYTES``."""

    code = "attachment_too_large"
    status = 413


class AttachmentTypeRefused(DomainError):
    """The file's content is not a PDF, PNG or JPEG, whatever its name says."""

    code = "attachment_type_refused"
    status = 415


def max_bytes(app=None) -> int:
    """The largest file taken, from the settings."""
    return int((app or current_app).config["ATTACHMENT_MAX_BYTES"])


def detect_media_type(data: bytes) -> str | None:
    """The media type the bytes are (PDF, PNG, JPEG), or None: read from the content, never a name."""
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]:
        return "application/pdf"
    if data.startswith(_PNG) and data[12:16] == b"IHDR":
        return "image/png"
    if data.startswith(b"\xff\xd8\xff") and len(data) > 4:
        return "image/jpeg"
    return None


def _display_name(filename: str | None) -> str:
    # Only the last part of whatever path the browser sent; shown, never used to find the file.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    try:
        cleaned = text.clean_text(name, field="file", max_length=10_000)
    except InvalidInput:
        cleaned = None
    cleaned = (cleaned or "").strip()
    return cleaned[-FILENAME_MAX:] if cleaned else "file"


def download_name(attachment: Attachment) -> str:
    """The file's name for a download, ending as its content is (a PNG named ``.pdf`` gets ``.png``)."""
    extension = EXTENSIONS[attachment.media_type]
    name = attachment.filename
    if attachment.media_type == "image/jpeg" and name.lower().endswith(".jpeg"):
        return name
    return name if name.lower().endswith(extension) else name + extension


@dataclass(frozen=True)
class Subject:
    """What a file is attached to, loaded within the actor's scope."""

    kind: str  # one of SUBJECTS
    instance: Any  # the plan, review or revision that decides scope
    organisation_id: int
    plan_id: int
    chain: str  # the content chain the attaching is audited on
    column: str  # the attachment's column naming it
    row_id: int


def _instance_plan_id(instance) -> int:
    return instance.id if isinstance(instance, Plan) else instance.plan_id


def _content_chain(workflow: str, instance_id: int) -> str:
    return f"{workflow}-content:{instance_id}"


def _step_instance(event: AuditEvent, actor, *, lock: bool):
    workflow, _, instance_id = event.chain.partition(":")
    if workflow not in STEP_WORKFLOWS or not instance_id.isdigit():
        raise NotFound("files are attached only to the steps of plans, reviews and revisions")
    return workflow, engine.get_instance(workflow, int(instance_id), actor, lock=lock)


def resolve(actor, subject: str, subject_id: int, *, lock: bool = False) -> Subject:
    """The step, version or revision ``subject_id`` names, if ``actor`` may read it (else NotFound)."""
    if subject == "step":
        event = db.session.get(AuditEvent, subject_id)
        if event is None:
            raise NotFound("no such step", subject=subject, id=subject_id)
        workflow, instance = _step_instance(event, actor, lock=lock)
        return Subject(
            subject,
            instance,
            instance.organisation_id,
            _instance_plan_id(instance),
            _content_chain(workflow, instance.id),
            "audit_event_id",
            event.id,
        )
    if subject == "version":
        version = db.session.get(PlanVersion, subject_id)
        if version is None:
            raise NotFound("no such plan version", subject=subject, id=subject_id)
        plan = plans.get_plan(actor, version.plan_id, lock=lock)
        return Subject(
            subject,
            plan,
            plan.organisation_id,
            plan.id,
            _content_chain("plan", plan.id),
            "plan_version_id",
            version.id,
        )
    if subject == "revision":
        revision = engine.get_instance("revision", subject_id, actor, lock=lock)
        return Subject(
            subject,
            revision,
            revision.organisation_id,
            revision.plan_id,
            _content_chain("revision", revision.id),
            "revision_id",
            revision.id,
        )
    raise NotFound(f"files are not attached to {subject!r}", subject=subject)


def check_may_attach(actor, subject: str, subject_id: int) -> Subject:
    """The subject, if ``actor`` may attach files to it: NotFound outside their scope,
    PermissionDenied for readers who are not the LAO's staff."""
    found = resolve(actor, subject, subject_id)
    if not can_attach_files(actor, found.instance.organisation):
        raise PermissionDenied("only the LAO's planning staff attach files")
    return found


def check_may_attach_to_steps(actor, workflow: str, instance_id: int):
    """The plan, review or revision whose steps ``actor`` may attach files to (NotFound outside
    their scope or for other workflows, PermissionDenied for readers)."""
    if workflow not in STEP_WORKFLOWS:
        raise NotFound("files are attached only to the steps of plans, reviews and revisions")
    instance = engine.get_instance(workflow, instance_id, actor)
    if not can_attach_files(actor, instance.organisation):
        raise PermissionDenied("only the LAO's planning staff attach files")
    return instance


def steps_of(instance) -> list[AuditEvent]:
    """The steps of a plan, review or revision a file may be attached to, oldest first."""
    return engine.history(instance)


def version_of(plan_id: int, number: int) -> PlanVersion | None:
    """A plan's announced version by its number."""
    return db.session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan_id, PlanVersion.number == number)
    ).one_or_none()


def version_number(version_id: int) -> int | None:
    """The number of a plan version (for its page's address)."""
    version = db.session.get(PlanVersion, version_id)
    return version.number if version is not None else None


def check_content(data: bytes | None, limit: int | None = None) -> str:
    """The media type of an acceptable file, or the refusal: empty, too large, not PDF/PNG/JPEG."""
    limit = max_bytes() if limit is None else limit
    if not data:
        raise AttachmentEmpty("choose a file: nothing was received", field="file")
    if len(data) > limit:
        raise AttachmentTooLarge(
            "the file is larger than the limit",
            field="file",
            max_mb=round(limit / (1024 * 1024), 1),
        )
    media_type = detect_media_type(data)
    if media_type is None:
        raise AttachmentTypeRefused("only PDF, PNG and JPEG files are taken", field="file")
    return media_type


def attach(
    actor, subject: str, subject_id: int, *, kind: str, filename: str | None, data: bytes | None
) -> Attachment:
    """Attach a signed file to a step, a plan version or a revision; audit it with its SHA-256.

    The file is written before the row; if anything after that fails (the row, the audit event,
    the commit), a file this call wrote is removed again, so neither a row without its file nor
    a file without its row is left behind.
    """
    store = storage()
    written: str | None = None
    try:
        with transaction():
            found = resolve(actor, subject, subject_id, lock=True)
            if not can_attach_files(actor, found.instance.organisation):
                raise PermissionDenied("only the LAO's planning staff attach files")
            if kind not in ATTACHMENT_KINDS:
                raise InvalidInput(f"{kind!r} is not a kind of attachment", field="kind")
            media_type = check_content(data)
            assert data is not None  # check_content refuses an empty file
            sha256 = hashlib.sha256(data).hexdigest()
            stored = store.put(data, sha256)
            if stored.created:
                written = stored.key
            row = Attachment(
                organisation_id=found.organisation_id,
                plan_id=found.plan_id,
                kind=kind,
                filename=_display_name(filename),
                media_type=media_type,
                size_bytes=len(data),
                sha256=sha256,
                storage_key=stored.key,
                uploaded_by_id=getattr(actor, "id", None),
                **{found.column: found.row_id},
            )
            db.session.add(row)
            db.session.flush()
            audit.append(
                found.chain,
                "attach_file",
                actor=actor,
                organisation_id=found.organisation_id,
                data={
                    "attachment_id": row.id,
                    "subject": subject,
                    "subject_id": found.row_id,
                    "kind": kind,
                    "filename": row.filename,
                    "media_type": media_type,
                    "size_bytes": row.size_bytes,
                    "sha256": sha256,
                },
            )
    except BaseException:
        if written is not None:
            store.delete(written)
        raise
    return row


# -- reading ------------------------------------------------------------------------------------


def files_of(subject: str, subject_id: int) -> list[Attachment]:
    """The files attached to one step, version or revision, oldest first (the caller has read it)."""
    column = {"step": Attachment.audit_event_id, "version": Attachment.plan_version_id}.get(
        subject, Attachment.revision_id
    )
    return list(db.session.scalars(select(Attachment).where(column == subject_id).order_by(Attachment.id)))


def files_of_steps(instance) -> list[tuple[Attachment, AuditEvent]]:
    """The files attached to any step of a plan, review or revision, with their step, oldest first."""
    return [
        (row.Attachment, row.AuditEvent)
        for row in db.session.execute(
            select(Attachment, AuditEvent)
            .join(AuditEvent, AuditEvent.id == Attachment.audit_event_id)
            .where(AuditEvent.chain == engine.chain_for(instance))
            .order_by(Attachment.id)
        )
    ]


def file_for(actor, attachment_id: int) -> tuple[Attachment, bytes]:
    """A file ``actor`` may read (its LAO is in their scope) and its bytes, or NotFound."""
    row = db.session.get(Attachment, attachment_id)
    if row is None or not can_read(actor, row.organisation):
        raise NotFound("no such file", id=attachment_id)
    return row, _bytes_of(row)


def _bytes_of(row: Attachment) -> bytes:
    try:
        return storage().read(row.storage_key)
    except FileNotFoundError:
        current_app.logger.error("attachment %s: its file %s is missing", row.id, row.storage_key)
        raise NotFound("the file is missing from the store", id=row.id) from None


# -- the public board ----------------------------------------------------------------------------


def posting_required(item_kind: str, rules: dict = DEADLINES) -> bool:
    """Whether the regulation asks an announced ``"plan"`` or ``"revision"`` to be posted."""
    return "posting" in rules["announcement_duties"]["duties"].get(item_kind, ())


def _posted_item(row: Attachment, version_revision: int | None, chain: str | None) -> tuple[str, int]:
    """The public board's item (``("plan", id)`` or ``("revision", id)``) a file belongs to: a
    review's steps and versions are its plan's (``plan_id`` is the plan's for every subject)."""
    if row.revision_id is not None:
        return "revision", row.revision_id
    if row.plan_version_id is not None:
        return ("revision", version_revision) if version_revision else ("plan", row.plan_id)
    workflow, _, instance_id = (chain or "").partition(":")
    if workflow == "revision":
        return "revision", int(instance_id)
    return "plan", row.plan_id


def _announcement_files(query):
    query = (
        query.add_columns(PlanVersion.revision_id, AuditEvent.chain)
        .outerjoin(PlanVersion, PlanVersion.id == Attachment.plan_version_id)
        .outerjoin(AuditEvent, AuditEvent.id == Attachment.audit_event_id)
        .where(Attachment.kind == "signed_announcement")
        .order_by(Attachment.id)
    )
    for row, version_revision, chain in db.session.execute(query):
        yield _posted_item(row, version_revision, chain), row


def public_files(items: list[tuple[str, int, int]]) -> dict[tuple[str, int], list[Attachment]]:
    """The signed announcements posted with each announced item, by ``(kind, id)``.

    ``items`` are ``(kind, id, plan id)`` of announced plans and revisions (the public board's
    rows); items whose posting the regulation does not require get none.
    """
    wanted = {(kind, item_id) for kind, item_id, _ in items if posting_required(kind)}
    found: dict[tuple[str, int], list[Attachment]] = {}
    if not wanted:
        return found
    plan_ids = sorted({plan_id for _, _, plan_id in items})
    for item, row in _announcement_files(select(Attachment).where(Attachment.plan_id.in_(plan_ids))):
        if item in wanted:
            found.setdefault(item, []).append(row)
    return found


def public_file(attachment_id: int) -> tuple[Attachment, bytes]:
    """A signed announcement anyone may download: its item is announced and must be posted."""
    for (item_kind, item_id), row in _announcement_files(
        select(Attachment).where(Attachment.id == attachment_id)
    ):
        if row.organisation.kind == "lao" and posting_required(item_kind) and _announced(item_kind, item_id):
            return row, _bytes_of(row)
    raise NotFound("no such public file", id=attachment_id)


def _announced(item_kind: str, item_id: int) -> bool:
    if item_kind == "revision":
        revision = db.session.get(Revision, item_id)
        return revision is not None and revision.status == "announced"
    plan = db.session.get(Plan, item_id)
    return plan is not None and plan.status in ANNOUNCED_PLAN_STATES


__all__ = [
    "ATTACHMENT_KINDS",
    "SUBJECTS",
    "AttachmentEmpty",
    "AttachmentTooLarge",
    "AttachmentTypeRefused",
    "attach",
    "check_content",
    "check_may_attach",
    "check_may_attach_to_steps",
    "detect_media_type",
    "download_name",
    "file_for",
    "files_of",
    "files_of_steps",
    "max_bytes",
    "posting_required",
    "public_file",
    "public_files",
    "resolve",
    "steps_of",
    "version_number",
    "version_of",
]

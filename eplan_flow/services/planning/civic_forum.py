"""The civic forum (ประชาคมท้องถิ่น): its meeting on making or reviewing a plan (ข้อ 17) and on an
addition (ข้อ 22); a change (ข้อ 22/1), a correction and the policy route (ข้อ 22/2) need none.

Which items need it is rule data of their workflow definition: ``civic_forum`` in the rules of the
plan and review definitions, ``kinds.<kind>.civic_forum`` in the revision definition. The meeting
(date, place, attendees, resolution) is recorded while the item is drafted; leaving drafting without
it is refused (``require_civic_forum``, an entry action named in the definitions).
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, exists, select

from eplan_flow import text
from eplan_flow.errors import DomainError, GuardFailed, InvalidInput, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import CivicForumMeeting, Plan, Revision
from eplan_flow.permissions import can_edit_plan_content
from eplan_flow.services.platform import audit, engine
from eplan_flow.services.platform.unit_of_work import transaction

# The workflow rows a meeting can belong to, and the column naming each.
SUBJECTS = {"plan": "plan_id", "review": "review_id", "revision": "revision_id"}
ATTENDEES_MAX = 100_000


class CivicForumMissing(GuardFailed):
    """Leaving drafting before the civic forum's meeting is recorded, where the rules need one."""

    code = "civic_forum_missing"


class CivicForumNotNeeded(DomainError):
    """Recording a meeting for an item whose rules do not involve the civic forum."""

    code = "civic_forum_not_needed"
    status = 422


class NotDrafting(DomainError):
    """The meeting is recorded while the item is drafted."""

    code = "civic_forum_not_drafting"
    status = 409


def needs_civic_forum(instance) -> bool:
    """Whether the rules of the instance's definition version involve the civic forum."""
    rules = engine.definition_of(instance).rules
    if isinstance(instance, Revision):
        kinds = rules.get("kinds", {})
        return instance.route == "regular" and any(kinds[k].get("civic_forum") for k in instance.kinds)
    return bool(rules.get("civic_forum"))


def meeting_of(instance) -> CivicForumMeeting | None:
    """The civic forum's meeting recorded for a plan, a review or a revision, if any."""
    column = getattr(CivicForumMeeting, SUBJECTS[instance.WORKFLOW])
    return db.session.scalars(select(CivicForumMeeting).where(column == instance.id)).one_or_none()


@cache
def _recorded_statement(workflow: str):
    # Built once per subject: the check runs on every step out of drafting.
    column = getattr(CivicForumMeeting, SUBJECTS[workflow])
    return select(exists().where(column == bindparam("id")))


def meeting_recorded(instance) -> bool:
    """Whether the civic forum's meeting is on record for the instance (a bare EXISTS)."""
    return bool(db.session.scalar(_recorded_statement(instance.WORKFLOW), {"id": instance.id}))


def _chain(instance) -> str:
    if isinstance(instance, Plan):
        return f"plan-content:{instance.id}"
    return f"{instance.WORKFLOW}-content:{instance.id}"


def record_meeting(
    actor, workflow: str, instance_id: int, *, meeting_date, place, attendees, resolution
) -> CivicForumMeeting:
    """Record (or correct) the civic forum's meeting on a drafted plan, review or revision."""
    if workflow not in SUBJECTS:
        raise InvalidInput(f"{workflow!r} has no civic forum", field="workflow")
    with transaction():
        instance = engine.get_instance(workflow, instance_id, actor, lock=True)
        if not can_edit_plan_content(actor, instance.organisation):
            raise PermissionDenied("only the LAO's planners and support-committee secretaries record it")
        if instance.status != "drafting":
            raise NotDrafting("the civic forum's meeting is recorded while the draft is prepared")
        if isinstance(instance, Plan) and instance.current_version:
            raise NotDrafting("the plan is in force: a review records its own civic forum")
        if not needs_civic_forum(instance):
            raise CivicForumNotNeeded("this item's rules do not involve the civic forum")
        day = text.parse_typed_date(meeting_date, field="meeting_date")
        if day is None:
            raise InvalidInput("the meeting's date is needed", field="meeting_date")
        values = {
            "meeting_date": day,
            "place": text.clean_text(place, field="place", max_length=300, required=True),
            "attendees": text.parse_int(attendees, field="attendees", minimum=1, maximum=ATTENDEES_MAX),
            "resolution": text.clean_text(
                resolution, field="resolution", max_length=5000, required=True, multiline=True
            ),
        }
        if values["attendees"] is None:
            raise InvalidInput("the number of attendees is needed", field="attendees")
        meeting = meeting_of(instance)
        if meeting is None:
            meeting = CivicForumMeeting(**{SUBJECTS[workflow]: instance.id})
            db.session.add(meeting)
        for name, value in values.items():
            setattr(meeting, name, value)
        db.session.flush()
        audit.append(
            _chain(instance),
            "record_civic_forum",
            actor=actor,
            organisation_id=instance.organisation_id,
            data={**values, "meeting_date": day.isoformat()},
        )
    return meeting


@engine.entry_action
def require_civic_forum(instance, actor, from_state, to_state, data) -> None:
    """Leaving drafting: the civic forum's meeting is on record where the rules need it."""
    if from_state != "drafting" or not needs_civic_forum(instance):
        return
    if not meeting_recorded(instance):
        raise CivicForumMissing(
            "record the civic forum's meeting (date, place, attendees, resolution) before submitting",
            field="civic_forum",
        )


__all__ = [
    "CivicForumMissing",
    "CivicForumNotNeeded",
    "meeting_of",
    "meeting_recorded",
    "needs_civic_forum",
    "record_meeting",
    "require_civic_forum",
]

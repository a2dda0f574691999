"""Request parsing and response shapes for the JSON API. Pure: no database, no commits.

Parsing is strict on purpose: a wrong type is refused with the field's name rather than coerced,
so a client bug shows up at once instead of as a surprising transition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from eplan_flow import text
from eplan_flow.api.errors import InvalidJson, MalformedJson
from eplan_flow.errors import InvalidInput

COMMENT_MAX_CHARS = 2000
TRIGGER_MAX_CHARS = 60  # the audit's action column
MAX_JSON_DEPTH = 8  # a fire request nests two levels ({"data": {...}}); room to grow, none to abuse


# -- requests ---------------------------------------------------------------------------------
def json_object() -> dict:
    """The request body as a JSON object, or a clear refusal."""
    if not request.is_json:
        raise UnsupportedMediaType(_("Send the body as JSON with Content-Type: application/json."))
    try:
        body = request.get_json()
    except BadRequest:
        # Bad syntax, bad encoding, or nesting too deep to parse (web.SafeJSONProvider).
        raise MalformedJson(_("The request body is not valid JSON.")) from None
    if json_depth(body) > MAX_JSON_DEPTH:
        # Shallower than the parser's limit but deeper than any request needs: refused before any
        # recursive code (jsonify, the audit's JSON) walks it.
        raise MalformedJson(
            _("The request body is nested too deeply."), reason="too_deep", max_depth=MAX_JSON_DEPTH
        )
    if not isinstance(body, dict):
        raise InvalidJson(_("The request body must be a JSON object."))
    return body


def json_depth(value) -> int:
    """How deeply ``value`` nests lists and objects (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


@dataclass(frozen=True)
class FireRequest:
    trigger: str
    comment: str | None
    expected_version: int | None
    # Facts the step records, e.g. {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"}.
    data: dict[str, str] | None = None


FIRE_FIELDS = ("trigger", "comment", "expected_version", "data")


def parse_fire(body: dict) -> FireRequest:
    """Validate ``{"trigger", "comment", "expected_version", "data"}``; name the first bad field.

    Which facts ``data`` must hold depends on the step; ``check_data_names`` and the engine judge that.
    """
    unknown = sorted(set(body) - set(FIRE_FIELDS))
    if unknown:
        raise InvalidInput(
            _("Unknown field: %(fields)s.", fields=", ".join(unknown)), field=unknown[0], unknown=unknown
        )
    trigger = body.get("trigger")
    if not isinstance(trigger, str) or not trigger.strip():
        raise InvalidInput(_("trigger must be a non-empty string."), field="trigger")
    if len(trigger) > TRIGGER_MAX_CHARS:
        raise InvalidInput(
            _("trigger is longer than %(n)d characters.", n=TRIGGER_MAX_CHARS), field="trigger"
        )
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise InvalidInput(_("comment must be a string or null."), field="comment")
    # The one cleaning rule (eplan_flow.text): NUL, invisible-only text and mark stacks refused,
    # bidi and zero-width characters dropped; ``details.reason`` names the rule.
    comment = text.clean_text(comment, field="comment", max_length=COMMENT_MAX_CHARS, multiline=True)
    expected_version = body.get("expected_version")
    # bool is an int in Python; JSON true is not a version.
    if expected_version is not None and (
        not isinstance(expected_version, int) or isinstance(expected_version, bool) or expected_version < 1
    ):
        raise InvalidInput(
            _("expected_version must be a positive integer or null."), field="expected_version"
        )
    return FireRequest(trigger, comment, expected_version, _parse_data(body.get("data")))


def _parse_data(data) -> dict[str, str] | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InvalidInput(_("data must be an object or null."), field="data")
    for name, value in data.items():
        if not isinstance(value, str):
            raise InvalidInput(_("%(name)s must be a string.", name=name), field=name)
        if "\x00" in value:
            raise InvalidInput(
                _("%(name)s must not contain NUL characters.", name=name), field=name, reason="nul"
            )
    # The engine reads each fact with the one cleaning rule: a date from B.E. 2500 to today, text
    # with something visible.
    return dict(data) or None


@dataclass(frozen=True)
class DisbursementRequest:
    paid_on: str
    amount: str
    progress_percent: int
    note: str | None = None


DISBURSEMENT_FIELDS = ("paid_on", "amount", "progress_percent", "note")


def parse_disbursement(body: dict) -> DisbursementRequest:
    """Validate ``{"paid_on": "YYYY-MM-DD", "amount": "1234.50", "progress_percent": 40, "note"}``.

    The amount is a string, never a JSON number (money is exact); the service checks the values.
    """
    unknown = sorted(set(body) - set(DISBURSEMENT_FIELDS))
    if unknown:
        raise InvalidInput(
            _("Unknown field: %(fields)s.", fields=", ".join(unknown)), field=unknown[0], unknown=unknown
        )
    for name in ("paid_on", "amount"):
        if not isinstance(body.get(name), str):
            raise InvalidInput(_("%(name)s must be a string.", name=name), field=name)
    progress = body.get("progress_percent")
    if not isinstance(progress, int) or isinstance(progress, bool):
        raise InvalidInput(
            _("%(name)s must be a whole number.", name="progress_percent"), field="progress_percent"
        )
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise InvalidInput(_("note must be a string or null."), field="note")
    return DisbursementRequest(body["paid_on"], body["amount"], progress, note)


def check_data_names(data: dict[str, str] | None, fields) -> None:
    """Refuse facts the step does not record, naming them."""
    known = {name for name, _kind in fields}
    unknown = sorted(set(data or ()) - known)
    if unknown:
        raise InvalidInput(
            _("This step does not record: %(fields)s.", fields=", ".join(unknown)),
            field=unknown[0],
            unknown=unknown,
            expected=sorted(known),
        )


def positive_int_arg(name: str) -> int | None:
    """An optional positive integer query parameter."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise InvalidInput(_("%(name)s must be a positive integer.", name=name), field=name)
    return int(raw)


# -- responses --------------------------------------------------------------------------------
def iso_utc(moment) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def definition_dict(definition, current_version: int) -> dict:
    return {
        "name": definition.name,
        "version": definition.version,
        "current": definition.version == current_version,
        "title": dict(definition.data["title"]),
        "initial": definition.initial,
        "states": [{"name": name, "labels": dict(labels)} for name, labels in definition.states.items()],
        "triggers": [
            {
                "name": trigger,
                "labels": dict(definition.trigger_labels.get(trigger, {})),
                "transitions": [
                    {
                        "source": t.source,
                        "dest": t.dest,
                        "roles": list(t.roles),
                        "guards": list(t.guards),
                        "unless": list(t.unless),
                        "comment_required": t.comment_required,
                        "data_fields": data_fields_list(t.data_fields),
                    }
                    for t in definition.transitions
                    if t.trigger == trigger
                ],
            }
            for trigger in definition.trigger_names
        ],
    }


def data_fields_list(fields) -> list[dict]:
    return [{"name": name, "type": kind} for name, kind in fields]


def organisation_dict(org) -> dict:
    return {"id": org.id, "code": org.code, "name": org.display_name}


def step_dict(step) -> dict:
    return {
        "trigger": step.trigger,
        "label": step.label,
        "dest": step.dest,
        "dest_label": step.dest_label,
        "comment_required": step.comment_required,
        "data_fields": data_fields_list(step.data_fields),
        "allowed": step.allowed,
        "holders": list(step.holders),
        "roles": list(step.roles),
    }


def event_dict(event) -> dict:
    return {
        "seq": event.seq,
        "occurred_at": iso_utc(event.occurred_at),
        "actor": {"id": event.actor_id, "name": event.actor_name} if event.actor_id is not None else None,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "comment": event.comment,
        "data": event.data,
        "request_id": event.request_id,
        "hash": event.hash,
    }


def instance_dict(instance, definition, steps, events, locale: str) -> dict:
    return {
        "workflow": instance.workflow_name,
        "workflow_version": instance.workflow_version,
        "id": instance.id,
        "title": str(instance),
        "organisation": organisation_dict(instance.organisation),
        "state": instance.status,
        "state_label": definition.label(instance.status, locale),
        "version": instance.version,
        "allowed_triggers": [step_dict(s) for s in steps],
        "history": [event_dict(e) for e in events],
    }


def fire_result_dict(result) -> dict:
    return {
        "workflow": result.workflow,
        "id": result.id,
        "trigger": result.trigger,
        "from_state": result.from_state,
        "state": result.to_state,
        "version": result.version,
        "audit_event_id": result.audit_event_id,
    }


def disbursement_dict(payment, execution) -> dict:
    return {
        "id": payment.id,
        "execution_id": execution.id,
        "paid_on": payment.paid_on.isoformat(),
        "amount": str(payment.amount),
        "disbursed_total": str(execution.disbursed_total),
        "progress_percent": execution.progress_percent,
        "status": execution.status,
    }


def parse_budget_details(body: dict, fields: Iterable[str]) -> dict:
    """The budget details of a PUT: only known fields; numbers may be JSON numbers (coordinates are
    read from their decimal text, never kept as floats); the service checks the values."""
    known = set(fields)
    # The answer's shape is accepted back: "location" holds the village number, community and
    # coordinates; read-only keys of the answer (labels, money, state) are refused.
    body = dict(body)
    location = body.pop("location", None)
    if isinstance(location, dict):
        clash = sorted(set(location) & set(body))
        if clash:
            raise InvalidInput(f"{clash[0]} is given twice", field=clash[0])
        body.update(location)
    elif location is not None:
        raise InvalidInput("location must be an object", field="location")
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]}", field=unknown[0], reason="unknown_field")
    values: dict = {}
    for name in known:
        value = body.get(name)
        if isinstance(value, bool | dict | list):
            raise InvalidInput(f"{name} must be text or a number", field=name, reason="not_text")
        values[name] = str(value) if isinstance(value, int | float) else value
    return values


def execution_dict(execution, details: dict) -> dict:
    return {
        "id": execution.id,
        "workflow_version": execution.workflow_version,
        "plan_id": execution.plan_id,
        "project_no": execution.project_no,
        "fiscal_year_be": execution.fiscal_year_be,
        "status": execution.status,
        "version": execution.version,
        "budgeted_amount": str(execution.budgeted_amount),
        "available_budget": str(execution.available_budget),
        "disbursed_total": str(execution.disbursed_total),
        "progress_percent": execution.progress_percent,
        "budget_source": details["budget_source"],
        "budget_source_label": details["budget_source_label"] or None,
        "elaas_budget_code": details["elaas_budget_code"],
        "procurement_method": details["procurement_method"],
        "procurement_method_label": details["procurement_method_label"] or None,
        "egp_project_no": details["egp_project_no"],
        "location": {
            "village_no": details["village_no"],
            "community": details["community"],
            "latitude": None if details["latitude"] is None else str(details["latitude"]),
            "longitude": None if details["longitude"] is None else str(details["longitude"]),
        },
    }

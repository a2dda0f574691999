"""Project execution per fiscal year: budget a plan project, record its contract, transfers and
disbursements, and say whether it counts as completed (and why not).

Only a project of the plan version in force with a budget line for the fiscal year may be budgeted:
anything else must enter the plan first (a revision). Money is Decimal throughout. The disbursed total
never exceeds the contract amount (or, without a contract, the available budget). Each use case commits
once or changes nothing; money records are audited on the chain ``execution-content:<id>`` so the
workflow chain ``execution:<id>`` stays a walk of its definition.

Where a payment may be recorded is the workflow definition's rule data (``payment_states``,
``payment_without_contract``), read from the version the row started on: from version 2 no payment
before a signed contract, except on the no-procurement route. "Counted as completed" derives from the
state: only a completed project counts, and the reason for any other starts with its state.

From version 3 each year also records where its money comes from and how it is spent, as codes of the
version's rule data (budget source and e-LAAS code, procurement method and e-GP number, location), and
a project whose plan budget for the year is 0 follows the rule ``zero_plan_budget`` of the version new
items start on (e-Plan's FAQ: record it anew for the year through a revision, then budget it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from eplan_flow import exports, text
from eplan_flow.errors import (
    DomainError,
    GuardFailed,
    InvalidInput,
    PermissionDenied,
)
from eplan_flow.extensions import db
from eplan_flow.i18n import locale_code
from eplan_flow.models import (
    TRANSFER_KINDS,
    BudgetTransfer,
    Disbursement,
    Plan,
    ProjectExecution,
    ProjectRecord,
)
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import (
    PLAN_CONTENT_ROLES,
    can_edit_plan_content,
)
from eplan_flow.services.planning import plans
from eplan_flow.services.planning.projects import parse_money
from eplan_flow.services.platform import audit, engine, unit_of_work
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.thaidate import fiscal_year, today_local

RECORDER_ROLES = PLAN_CONTENT_ROLES
# States in which money may still be recorded (carried-over money is paid out next year).
MONEY_STATES = ("budgeted", "procurement", "contracted", "disbursing", "carried_over")
ZERO = Decimal("0.00")


class NotInPlan(InvalidInput):
    """The project is not in the plan in force for that fiscal year: the plan must change first."""

    code = "not_in_plan"


class OverBudget(InvalidInput):
    """A contract, transfer or disbursement would take more money than there is."""

    code = "over_budget"


class NotCounted(GuardFailed):
    """Completing a project that is not fully disbursed and 100 % done."""

    code = "not_counted_as_completed"


class ZeroPlanBudget(NotInPlan):
    """The plan holds the project with a budget of 0 for that year: the rule names the way instead."""

    code = "zero_plan_budget"


class BudgetDetailsNotInVersion(GuardFailed):
    """An item started before version 3 records no budget source, codes or location."""

    code = "budget_details_not_in_version"


class BudgetDetailRefused(InvalidInput):
    """A budget source, code or location the version's rule data does not accept (``field`` says which)."""

    code = "invalid_budget_detail"


class AlreadyBudgeted(InvalidInput):
    code = "already_budgeted"


class PaymentBeforeContract(GuardFailed):
    """A payment the workflow's order of steps does not allow yet: no signed contract (and not the
    no-procurement route), or a payment dated before the contract."""

    code = "payment_before_contract"


# -- reading ---------------------------------------------------------------------------------------
def content_chain(execution_id: int) -> str:
    return f"execution-content:{execution_id}"


def year_shown(plan: Plan, today: date | None = None) -> int:
    """The fiscal year a plan's execution opens on: this one, kept within the plan's period."""
    return min(max(fiscal_year(today or today_local()), plan.period_start_be), plan.period_end_be)


def executions_of_project(plan: Plan, project_no: int) -> list[ProjectExecution]:
    """A project's executions, one per fiscal year it was budgeted, oldest year first."""
    return list(
        db.session.scalars(
            select(ProjectExecution)
            .where(ProjectExecution.plan_id == plan.id, ProjectExecution.project_no == project_no)
            .order_by(ProjectExecution.fiscal_year_be)
        )
    )


def may_record(actor, org) -> bool:
    """Whether ``actor`` records execution for ``org`` (its planners and support secretaries)."""
    return can_edit_plan_content(actor, org)


def _require_recorder(actor, org) -> None:
    if not may_record(actor, org):
        raise PermissionDenied(
            "only the LAO's planners and support-committee secretaries record execution",
            roles=sorted(RECORDER_ROLES),
        )


def get_execution(actor, execution_id: int, *, lock: bool = False) -> ProjectExecution:
    """An execution the actor may read, or NotFound."""
    return engine.get_instance("execution", execution_id, actor, lock=lock)


def completion_gaps(execution: ProjectExecution) -> list[str]:
    """What the money and the work still lack before the project may be completed (fully disbursed
    against its contract and 100 % done); empty when nothing does."""
    contract_amount = execution.contract_amount
    if contract_amount is None:
        return [_("No contract signed yet")]
    gaps = []
    disbursed = execution.disbursed_total
    if disbursed < contract_amount:
        share = (disbursed * 100 / contract_amount).quantize(Decimal(1), rounding="ROUND_FLOOR")
        gaps.append(_("%(share)s%% of the contract disbursed", share=share))
    if execution.progress_percent < 100:
        gaps.append(_("progress at %(percent)s%%", percent=execution.progress_percent))
    return gaps


def completion_status(execution: ProjectExecution) -> tuple[bool, str]:
    """Whether the project counts as completed, and why not, in the reader's language (Thai outside
    a request).

    Derived from the state, the one rule every page and report uses: only a completed project
    counts (entering ``completed`` needs full disbursement against the contract and 100 %), and the
    reason for any other names its state first, so a project never reads "in procurement" while
    counted.
    """
    status = execution.status
    if status == "completed":
        return True, ""
    if status == "cancelled":
        if execution.cancel_reason:
            return False, _("Project cancelled: %(reason)s", reason=execution.cancel_reason)
        return False, _("Project cancelled")
    if status == "closed_without_procurement":
        return False, _("Ended at budget approval, with no procurement")
    gaps = completion_gaps(execution)
    if status == "carried_over":
        gaps.append(_("money carried over to fiscal year %(year)s", year=execution.carried_over_to_be))
    if not gaps:
        gaps.append(_("fully disbursed and done, but not yet marked as completed"))
    state = engine.definition_of(execution).label(status, locale_code())
    return False, _("%(state)s: %(why)s", state=state, why=", ".join(gaps))


def payment_refusal(execution: ProjectExecution) -> str | None:
    """Why no payment may be recorded on the project now, by the workflow version's rule data:
    ``not_contracted`` (no signed contract, not the no-procurement route), ``no_contract`` (a state
    that takes payments, but no contract is recorded) or ``closed``; None when one may be."""
    rules = engine.definition_of(execution).rules
    status = execution.status
    if status in rules.get("payment_without_contract", ()):
        return None
    if status not in rules.get("payment_states", ()):
        return "closed" if status not in MONEY_STATES else "not_contracted"
    if not execution.has_contract:
        return "no_contract"
    return None


@dataclass
class ExecutionRow:
    execution: ProjectExecution
    name: str
    counted: bool
    reason: str


def plan_year(actor, plan_id: int, fiscal_year_be: int) -> tuple[Plan, list[ExecutionRow]]:
    """A plan's executions in one fiscal year, by project number, each with its completion status."""
    plan = plans.get_plan(actor, plan_id)
    executions = db.session.scalars(
        select(ProjectExecution)
        .where(ProjectExecution.plan_id == plan.id, ProjectExecution.fiscal_year_be == fiscal_year_be)
        .options(selectinload(ProjectExecution.transfers), selectinload(ProjectExecution.disbursements))
        .order_by(ProjectExecution.project_no)
    ).all()
    names = dict(
        db.session.execute(
            select(ProjectRecord.project_no, ProjectRecord.name).where(
                ProjectRecord.plan_id == plan.id, ProjectRecord.valid_to.is_(None)
            )
        ).all()
    )
    rows = []
    for execution in executions:
        counted, reason = completion_status(execution)
        rows.append(ExecutionRow(execution, names.get(execution.project_no, ""), counted, reason))
    return plan, rows


def project_name(execution: ProjectExecution) -> str:
    return (
        db.session.scalar(
            select(ProjectRecord.name).where(
                ProjectRecord.plan_id == execution.plan_id,
                ProjectRecord.project_no == execution.project_no,
                ProjectRecord.valid_to.is_(None),
            )
        )
        or ""
    )


# -- input -----------------------------------------------------------------------------------------
def _int(field: str, raw, low: int | None = None, high: int | None = None) -> int:
    try:
        value = text.parse_int(raw, field=field)
    except InvalidInput:
        value = None
    if value is None:
        raise InvalidInput(f"{field} must be a whole number", field=field)
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidInput(f"{field} must be between {low} and {high}", field=field)
    return value


def _positive_money(field: str, raw) -> Decimal:
    amount = parse_money(field, raw)
    if amount <= 0:
        raise InvalidInput(f"{field} must be more than zero", field=field)
    return amount


def _date(field: str, raw) -> date:
    value = text.parse_date(raw, field=field)
    if value is None:
        raise text.InputRefused("not_a_date", f"{field} must be a date (YYYY-MM-DD)", field=field)
    return value


def _text(field: str, raw, limit: int = 2000) -> str | None:
    return text.clean_text(raw, field=field, max_length=limit, multiline=field in ("note", "reason"))


def _money_event(execution: ProjectExecution, action: str, actor, data: dict) -> None:
    # The execution row is locked by the caller, which serialises this chain too.
    audit.append(
        content_chain(execution.id),
        action,
        actor=actor,
        organisation_id=execution.organisation_id,
        workflow="execution",
        workflow_version=execution.workflow_version,
        data=unit_of_work.jsonable(data),
        chain_locked=True,
    )


def _for_money(actor, execution_id: int, *, payment: bool = False) -> ProjectExecution:
    """Lock an execution the actor may record money for; the lock serialises the totals' checks.

    A ``payment`` follows the workflow's order of steps (its rule data) instead of the open states.
    """
    execution = get_execution(actor, execution_id, lock=True)
    _require_recorder(actor, execution.organisation)
    if payment:
        refusal = payment_refusal(execution)
        if refusal is None:
            return execution
        if refusal != "closed":
            raise PaymentBeforeContract(
                f"no payment can be recorded on this project in state {execution.status} "
                f"{'with' if execution.has_contract else 'without'} a contract",
                field="status",
                status=execution.status,
                reason=refusal,
            )
    elif execution.status in MONEY_STATES:
        return execution
    raise InvalidInput(
        "this project's year is closed; no money can be recorded on it",
        field="status",
        status=execution.status,
    )


# -- use cases -------------------------------------------------------------------------------------
def _already_budgeted(exc) -> AlreadyBudgeted:
    return AlreadyBudgeted("this project is already budgeted for that year", field="project_no")


def _require_in_plan(plan: Plan, number: int, year: int) -> None:
    """Only a project of the announced version in force with a budget line for ``year`` is budgeted."""
    if plan.current_version < 1:
        raise NotInPlan(
            "the plan is not announced yet; only projects of the announced plan can be budgeted",
            field="plan_id",
        )
    if not plan.period_start_be <= year <= plan.period_end_be:
        raise NotInPlan(
            f"fiscal year {year} is outside the plan's period {plan.period_start_be}–{plan.period_end_be}; "
            "add or change the plan first",
            field="fiscal_year_be",
        )
    record = db.session.scalar(
        select(ProjectRecord).where(
            ProjectRecord.plan_id == plan.id,
            ProjectRecord.project_no == number,
            ProjectRecord.valid_from <= plan.current_version,
            ProjectRecord.valid_to.is_(None),
        )
    )
    if record is not None and record.budgets[year - plan.period_start_be] <= 0:
        rule = zero_plan_budget_rule()
        if rule is not None and rule.get("may_budget"):
            return
        if rule is not None:
            raise ZeroPlanBudget(
                f"project {number} has a plan budget of 0 for fiscal year {year}; record it anew for "
                f"the year through a revision ({', '.join(rule['revision_kinds'])}), then budget it",
                field="project_no",
                project_no=number,
                fiscal_year_be=year,
                plan_id=plan.id,
                revision_kinds=list(rule["revision_kinds"]),
            )
    if record is None or record.budgets[year - plan.period_start_be] <= 0:
        raise NotInPlan(
            f"project {number} is not in the plan in force for fiscal year {year}; add it to the plan "
            "or change the plan first (a revision), then budget it",
            field="project_no",
            project_no=number,
            fiscal_year_be=year,
        )


def budget_project(actor, plan_id: int, project_no, fiscal_year_be, amount) -> ProjectExecution:
    """Budget a project of the plan in force for a fiscal year (the amount in the budget ordinance)."""
    with transaction(conflict=_already_budgeted):
        plan = plans.get_plan(actor, plan_id, lock=True)
        _require_recorder(actor, plan.organisation)
        number = _int("project_no", project_no)
        year = _int("fiscal_year_be", fiscal_year_be)
        money = _positive_money("amount", amount)
        _require_in_plan(plan, number, year)
        taken = db.session.scalar(
            select(ProjectExecution.id).where(
                ProjectExecution.plan_id == plan.id,
                ProjectExecution.project_no == number,
                ProjectExecution.fiscal_year_be == year,
            )
        )
        if taken is not None:
            raise AlreadyBudgeted(f"project {number} is already budgeted for {year}", field="project_no")
        execution = ProjectExecution(
            plan_id=plan.id,
            organisation_id=plan.organisation_id,
            project_no=number,
            fiscal_year_be=year,
            budgeted_amount=money,
            progress_percent=0,
        )
        engine.start(
            execution,
            actor,
            data={
                "plan_id": plan.id,
                "project_no": number,
                "fiscal_year_be": year,
                "amount": str(money),
                "plan_version": plan.current_version,
            },
        )
    return execution


def _contract_values(
    execution: ProjectExecution, contract_no, contract_date, contractor, amount, amount_field: str = "amount"
) -> dict:
    """The contract's columns, checked: all given, the amount within the budget and what is paid."""
    values: dict[str, Any] = {
        "contract_no": _text("contract_no", contract_no, 100),
        "contract_date": _date("contract_date", contract_date),
        "contractor": _text("contractor", contractor, 300),
        "contract_amount": _positive_money(amount_field, amount),
    }
    for name in ("contract_no", "contractor"):
        if not values[name]:
            raise InvalidInput(f"{name} is required", field=name)
    available = execution.available_budget
    if values["contract_amount"] > available:
        raise OverBudget(
            f"the contract amount {values['contract_amount']} is more than the available budget {available}",
            field=amount_field,
        )
    if values["contract_amount"] < execution.disbursed_total:
        raise OverBudget(
            "the contract amount is less than what has already been disbursed", field=amount_field
        )
    first_payment = min((d.paid_on for d in execution.disbursements), default=None)
    if first_payment is not None and values["contract_date"] > first_payment and execution.has_contract:
        raise PaymentBeforeContract(
            "the contract date is after a payment already recorded against it",
            field="contract_date",
            reason="before_contract_date",
        )
    return values


def sign_contract(
    actor, execution_id: int, contract_no, contract_date, contractor, amount, expected_version=None
) -> engine.FireResult:
    """Record the signed contract and take the step "sign the contract" together (version 2 on)."""
    _require_recorder(actor, get_execution(actor, execution_id).organisation)
    return engine.fire(
        "execution",
        execution_id,
        "sign_contract",
        actor,
        expected_version=expected_version,
        data={
            "contract_no": contract_no,
            "contract_date": contract_date,
            "contractor": contractor,
            "contract_amount": amount,
        },
    )


def start_procurement(
    actor, execution_id: int, procurement_method, expected_version=None
) -> engine.FireResult:
    """Take the step "start procurement", recording its method (version 2 on)."""
    execution = get_execution(actor, execution_id)
    _require_recorder(actor, execution.organisation)
    # Version 1's step records nothing; from version 2 it records the method.
    recorded = step_records(execution, "start_procurement")
    return engine.fire(
        "execution",
        execution_id,
        "start_procurement",
        actor,
        expected_version=expected_version,
        data={"procurement_method": procurement_method} if recorded else None,
    )


def step_records(execution: ProjectExecution, trigger: str) -> bool:
    """Whether ``trigger``, taken from the row's state, records facts of its own (version 2 on)."""
    return any(spec.data_fields for spec in engine.definition_of(execution).candidates(execution, trigger))


def record_contract(
    actor, execution_id: int, contract_no, contract_date, contractor, amount
) -> ProjectExecution:
    """Record (or correct) the signed contract: number, date, contractor and amount within the budget."""
    with transaction():
        execution = _for_money(actor, execution_id)
        if execution.status not in ("procurement", "contracted", "disbursing", "carried_over"):
            raise InvalidInput("a contract is recorded once procurement has started", field="status")
        values = _contract_values(execution, contract_no, contract_date, contractor, amount)
        # A content edit, not a workflow step: the workflow's version counter stays as it is.
        db.session.execute(
            update(ProjectExecution.__table__)
            .where(ProjectExecution.__table__.c.id == execution.id)
            .values(**values, updated_at=utcnow())
        )
        _money_event(execution, "record_contract", actor, values)
    db.session.expire(execution)
    return execution


def add_transfer(actor, execution_id: int, kind, amount, on, note=None) -> BudgetTransfer:
    """Record a budget transfer in (โอนเพิ่ม) or out (โอนลด); money promised or paid cannot be moved out."""
    with transaction():
        execution = _for_money(actor, execution_id)
        if kind not in TRANSFER_KINDS:
            raise InvalidInput(f"{kind!r} is not a kind of transfer", field="kind")
        money = _positive_money("amount", amount)
        when = _date("date", on)
        if kind == "transfer_out":
            committed = max(execution.contract_amount or ZERO, execution.disbursed_total)
            if execution.available_budget - money < committed:
                raise OverBudget(
                    f"moving {money} out would leave less than the {committed} "
                    "already contracted or disbursed",
                    field="amount",
                )
        transfer = BudgetTransfer(
            execution_id=execution.id,
            kind=kind,
            amount=money,
            date=when,
            note=_text("note", note),
            created_by=actor.id,
        )
        db.session.add(transfer)
        db.session.flush()
        _money_event(
            execution,
            "add_transfer",
            actor,
            {
                "transfer_id": transfer.id,
                "kind": kind,
                "amount": money,
                "date": when,
                "note": transfer.note,
            },
        )
    return transfer


def add_disbursement(actor, execution_id: int, paid_on, amount, progress_percent, note=None) -> Disbursement:
    """Record a payment and the progress it reached; the total never exceeds the contract (or budget)."""
    with transaction():
        execution = _for_money(actor, execution_id, payment=True)
        money = _positive_money("amount", amount)
        when = _date("paid_on", paid_on)
        progress = _int("progress_percent", progress_percent, 0, 100)
        if execution.contract_date is not None and when < execution.contract_date:
            raise PaymentBeforeContract(
                f"the payment date {when} is before the contract date {execution.contract_date}",
                field="paid_on",
                reason="before_contract_date",
            )
        cap = execution.disbursement_cap
        total = execution.disbursed_total + money
        if total > cap:
            what = "contract amount" if execution.has_contract else "available budget"
            raise OverBudget(
                f"this payment would bring the disbursed total to {total}, more than the {what} {cap}; "
                f"at most {cap - execution.disbursed_total} can still be paid",
                field="amount",
                cap=str(cap),
                disbursed=str(execution.disbursed_total),
            )
        payment = Disbursement(
            execution_id=execution.id,
            paid_on=when,
            amount=money,
            note=_text("note", note),
            created_by=actor.id,
        )
        db.session.add(payment)
        db.session.flush()
        db.session.execute(
            update(ProjectExecution.__table__)
            .where(ProjectExecution.__table__.c.id == execution.id)
            .values(progress_percent=progress, updated_at=utcnow())
        )
        _money_event(
            execution,
            "add_disbursement",
            actor,
            {
                "disbursement_id": payment.id,
                "paid_on": when,
                "amount": money,
                "progress_percent": progress,
                "total": total,
            },
        )
    db.session.expire_all()
    return payment


def record_progress(actor, execution_id: int, progress_percent) -> ProjectExecution:
    """Record the work's progress (%) without a payment, e.g. the last works after the final payment."""
    with transaction():
        execution = _for_money(actor, execution_id)
        progress = _int("progress_percent", progress_percent, 0, 100)
        db.session.execute(
            update(ProjectExecution.__table__)
            .where(ProjectExecution.__table__.c.id == execution.id)
            .values(progress_percent=progress, updated_at=utcnow())
        )
        _money_event(execution, "record_progress", actor, {"progress_percent": progress})
    db.session.expire(execution)
    return execution


def cancel(actor, execution_id: int, reason) -> engine.FireResult:
    """Cancel a project's year with its reason (kept on the row and as the step's comment)."""
    with transaction():
        execution = get_execution(actor, execution_id)
        _require_recorder(actor, execution.organisation)
        reason = _text("reason", reason)
        if not reason:
            raise InvalidInput("a cancellation needs its reason", field="comment")
        # In the transition's transaction: a refused step rolls it back with everything else.
        db.session.execute(
            update(ProjectExecution.__table__)
            .where(ProjectExecution.__table__.c.id == execution_id)
            .values(cancel_reason=reason)
        )
        return engine.fire("execution", execution_id, "cancel", actor, comment=reason)


# -- budget source, codes and location (version 3 on) ----------------------------------------------
DETAIL_FIELDS = (
    "budget_source",
    "elaas_budget_code",
    "procurement_method",
    "egp_project_no",
    "village_no",
    "community",
    "latitude",
    "longitude",
)


def zero_plan_budget_rule() -> dict | None:
    """The rule for a project whose plan budget for the year is 0, of the version new items start on
    (None before version 3: such a project is simply not in the plan for that year)."""
    return engine.REGISTRY.get("execution").rules.get("zero_plan_budget")


def records_budget_details(execution: ProjectExecution) -> bool:
    """Whether the row's workflow version records budget source, codes and location (3 on)."""
    return "budget_sources" in engine.definition_of(execution).rules


def choice_label(choices: dict, code: str | None, locale: str = "th") -> str:
    """The label of a code of a rule's choice list in ``locale`` (the code itself if unknown)."""
    if code is None:
        return ""
    labels = choices.get(code)
    return (labels.get(locale) or labels["th"]) if labels else code


def method_choices(execution: ProjectExecution, locale: str = "th") -> list[tuple[str, str]]:
    """The procurement methods the row's version offers, as (value posted, label): codes from
    version 3, the Thai names themselves before."""
    methods = engine.definition_of(execution).rules.get("procurement_methods", ())
    if isinstance(methods, dict):
        return [(code, choice_label(methods, code, locale)) for code in methods]
    return [(name, name) for name in methods]


def procurement_code(rules: dict, raw) -> str | None:
    """A procurement method's code from its code or its Thai name (as version 2 posted it)."""
    methods = rules.get("procurement_methods", {})
    value = _text("procurement_method", raw, 200)
    if value is None:
        return None
    if value in methods:
        return value
    for code, labels in methods.items():
        if value == labels["th"] or value in labels.get("aliases", ()):
            return code
    raise InvalidInput(f"{value!r} is not a procurement method of this version", field="procurement_method")


def _code(rule: dict, field: str, raw) -> str | None:
    value = _text(field, raw, 200)
    if value is None:
        return None
    if field == "egp_project_no":
        value = text.thai_to_ascii(value).replace(" ", "").replace("-", "")
    limit = rule.get("max_length")
    if (limit is not None and len(value) > limit) or not re.fullmatch(rule["pattern"], value):
        raise InvalidInput(f"{field} {value!r} is not in the expected format", field=field)
    return value


def _coordinate(field: str, raw, bounds) -> Decimal | None:
    value = text.parse_decimal(raw, field=field)
    if value is None:
        return None
    low, high = (Decimal(b) for b in bounds)
    if not low <= value <= high:
        raise InvalidInput(f"{field} {value} is outside Thailand ({low} to {high})", field=field)
    return value.quantize(Decimal("0.000001"))


def budget_details_values(rules: dict, form: dict) -> dict[str, Any]:
    """The columns of the budget details, checked against the version's rule data; a blank value
    clears its column. A refusal names its field (``BudgetDetailRefused``)."""
    try:
        return _budget_details_values(rules, form)
    except BudgetDetailRefused:
        raise
    except InvalidInput as exc:
        raise BudgetDetailRefused(str(exc), **exc.details) from None


def _budget_details_values(rules: dict, form: dict) -> dict[str, Any]:
    source = _text("budget_source", form.get("budget_source"), 100)
    if source is not None and source not in rules["budget_sources"]:
        raise InvalidInput(f"{source!r} is not a budget source", field="budget_source")
    where = rules["location"]
    low, high = where["village_no"]
    village = text.parse_int(form.get("village_no"), field="village_no", minimum=low, maximum=high)
    latitude = _coordinate("latitude", form.get("latitude"), where["latitude"])
    longitude = _coordinate("longitude", form.get("longitude"), where["longitude"])
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        raise InvalidInput("give both latitude and longitude, or neither", field=missing)
    return {
        "budget_source": source,
        "elaas_budget_code": _code(rules["elaas_code"], "elaas_budget_code", form.get("elaas_budget_code")),
        "procurement_method": procurement_code(rules, form.get("procurement_method")),
        "egp_project_no": _code(rules["egp_project_no"], "egp_project_no", form.get("egp_project_no")),
        "village_no": village,
        "community": _text("community", form.get("community"), where["community_max_length"]),
        "latitude": latitude,
        "longitude": longitude,
    }


def record_budget_details(actor, execution_id: int, form: dict) -> ProjectExecution:
    """Record (or correct) the year's budget source and e-LAAS code, procurement method and e-GP
    number, and location; every field at once, a blank one cleared (version 3 on)."""
    with transaction():
        execution = get_execution(actor, execution_id, lock=True)
        _require_recorder(actor, execution.organisation)
        if not records_budget_details(execution):
            raise BudgetDetailsNotInVersion(
                f"this item started on version {execution.workflow_version} of the execution rules, "
                "which records no budget source",
                workflow_version=execution.workflow_version,
            )
        unknown = sorted(set(form) - set(DETAIL_FIELDS))
        if unknown:
            raise InvalidInput(f"unknown fields: {', '.join(unknown)}", field=unknown[0])
        values = budget_details_values(engine.definition_of(execution).rules, form)
        # A content edit, not a workflow step: the workflow's version counter stays as it is.
        db.session.execute(
            update(ProjectExecution.__table__)
            .where(ProjectExecution.__table__.c.id == execution.id)
            .values(**values, updated_at=utcnow())
        )
        _money_event(execution, "record_budget_details", actor, values)
    db.session.expire(execution)
    return execution


def budget_details(execution: ProjectExecution, locale: str = "th") -> dict[str, Any]:
    """The budget details as codes with their labels (pages, the API and downloads read this)."""
    rules = engine.definition_of(execution).rules
    return {
        "budget_source": execution.budget_source,
        "budget_source_label": choice_label(rules.get("budget_sources", {}), execution.budget_source, locale),
        "elaas_budget_code": execution.elaas_budget_code,
        "procurement_method": execution.procurement_method,
        "procurement_method_label": choice_label(
            rules.get("procurement_methods", {}) if records_budget_details(execution) else {},
            execution.procurement_method,
            locale,
        ),
        "egp_project_no": execution.egp_project_no,
        "village_no": execution.village_no,
        "community": execution.community,
        "latitude": execution.latitude,
        "longitude": execution.longitude,
    }


def plan_year_csv(actor, plan_id: int, fiscal_year_be: int) -> bytes:
    """A plan's executions in one fiscal year as CSV: money, completion and the budget details, each
    detail as its code and its Thai label (a spreadsheet filters on the code, a person reads the label)."""
    _plan, rows = plan_year(actor, plan_id, fiscal_year_be)
    headers = [
        _("Project no."),
        _("Project"),
        _("Fiscal year"),
        _("State"),
        _("Budget (ordinance)"),
        _("Available budget"),
        _("Disbursed"),
        _("Progress (%)"),
        _("Counted as completed?"),
        _("Why not"),
        _("Budget source (code)"),
        _("Budget source"),
        _("e-LAAS budget code"),
        _("Procurement method (code)"),
        _("Procurement method"),
        _("e-GP project number"),
        _("Village no. (หมู่ที่)"),
        _("Community"),
        _("Latitude"),
        _("Longitude"),
    ]
    locale = locale_code()
    lines = []
    for row in rows:
        execution = row.execution
        details = budget_details(execution, locale)
        lines.append(
            [
                execution.project_no,
                row.name,
                execution.fiscal_year_be,
                engine.definition_of(execution).label(execution.status, locale),
                execution.budgeted_amount,
                execution.available_budget,
                execution.disbursed_total,
                execution.progress_percent,
                _("Yes") if row.counted else _("No"),
                row.reason,
                details["budget_source"],
                details["budget_source_label"],
                details["elaas_budget_code"],
                details["procurement_method"],
                details["procurement_method_label"],
                details["egp_project_no"],
                details["village_no"],
                details["community"],
                details["latitude"],
                details["longitude"],
            ]
        )
    return exports.csv_bytes(headers, lines)


@engine.entry_action
def record_procurement_method(instance, actor, from_state, to_state, data) -> None:
    """Starting procurement records its method as a code of the version's list (version 3 on)."""
    engine.write_columns(
        instance,
        procurement_method=procurement_code(
            engine.definition_of(instance).rules, data.get("procurement_method")
        ),
    )


# -- entry actions -----------------------------------------------------------------------------------
@engine.entry_action
def require_contract(instance, actor, from_state, to_state, data) -> None:
    """A contract is signed only once its number, date, contractor and amount are recorded."""
    if not instance.has_contract:
        raise InvalidInput(
            "record the contract (number, date, contractor, amount) before marking it signed",
            field="contract_no",
        )


@engine.entry_action
def record_signed_contract(instance, actor, from_state, to_state, data) -> None:
    """Signing the contract records it: number, date, contractor and amount within the budget."""
    values = _contract_values(
        instance,
        data.get("contract_no"),
        data.get("contract_date"),
        data.get("contractor"),
        data.get("contract_amount"),
        amount_field="contract_amount",
    )
    engine.write_columns(instance, **values)
    _money_event(instance, "record_contract", actor, values)


@engine.entry_action
def require_counted(instance, actor, from_state, to_state, data) -> None:
    """Completed means fully disbursed against the contract and 100 % done; say why not otherwise."""
    gaps = completion_gaps(instance)
    if gaps:
        reason = ", ".join(gaps)
        raise NotCounted(f"the project cannot be completed yet: {reason}", reason=reason)


@engine.entry_action
def record_carry_over(instance, actor, from_state, to_state, data) -> None:
    """Carried-over money (กันเงิน) is paid out in the next fiscal year."""
    instance.carried_over_to_be = instance.fiscal_year_be + 1


__all__ = [
    "AlreadyBudgeted",
    "BudgetDetailRefused",
    "BudgetDetailsNotInVersion",
    "DomainError",
    "NotCounted",
    "NotInPlan",
    "OverBudget",
    "PaymentBeforeContract",
    "ZeroPlanBudget",
    "add_disbursement",
    "add_transfer",
    "budget_details",
    "budget_project",
    "cancel",
    "completion_gaps",
    "completion_status",
    "get_execution",
    "may_record",
    "payment_refusal",
    "plan_year",
    "plan_year_csv",
    "record_budget_details",
    "record_contract",
    "record_progress",
    "sign_contract",
    "start_procurement",
    "step_records",
    "zero_plan_budget_rule",
]

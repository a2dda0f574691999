"""The one message catalogue: what a refusal (a ``DomainError``) tells a person, keyed by its code.

Every page, form and the JSON API words a refusal here, so a sentence is written once and translated
once (English msgids, Thai in ``translations/th``; Thai is the default locale). Services keep their
own English ``message`` for logs and tests; people read ``message_for(error)``.

A key is ``code``, or ``code/reason=R`` or ``code/field=F`` where a refusal's details say more than its
code, and may start with a context, ``context:``, where a page words a refusal for what it shows (an
approval inbox says "this decision", a workflow page "this step"). ``*`` stands for any code, and
``/field`` for any field the page can name (by its ``labels``, else by the field's own name). The
most specific key wins:

1. the context's entries for this code: by reason, by field, by any named field, the code alone;
2. for a specific code (not one of the generic codes of ``eplan_flow.errors``): its entries by
   reason and by field, then the code alone;
3. the context's entries for any code: by field, by any named field;
4. for a generic code: its entries by reason and by field;
5. the caller's ``default``, then the context's own sentence (``context:*``);
6. the generic code's sentence (or the nearest parent class's), and at last ``*``.

A context such as ``sso.reauth`` falls back to ``sso``. Placeholders are filled from the error's
details (and the caller's ``params``); an entry whose placeholder has no value is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l

from eplan_flow import errors
from eplan_flow.errors import DomainError

# The codes every service shares; what they mean depends on the page, so a context may word them.
GENERIC_CODES = frozenset(
    cls.code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, DomainError)
)

_NOT_VALID = _l("That request was not valid; nothing was changed.")
_NOTHING_CHANGED = _l("Nothing was changed: the request was not valid.")
_FIELDS_MARKED = _l("Nothing was saved: check the fields marked below.")
_NOT_AWAITING_VERIFICATION = _l(
    "Identity verification is needed only after you confirm your email address and before your "
    "account is approved, so nothing was changed."
)
_DECISION_NOT_POSSIBLE = _l("Nothing was changed: this decision is not possible for the item now.")
_STEP_NOT_POSSIBLE = _l("This step is not possible from the item's current state.")
_UNKNOWN_ORGANISATION = _l("Your organisation from the Single Sign-On is not known to e-Plan.")
_STALE = _l("Nothing was changed: someone else acted on this item first. Reload and try again.")
_REAUTHENTICATE = _l("Confirm your password again first: approvals need a recent sign-in.")

CATALOGUE = {
    # -- the generic codes (eplan_flow.errors), as the API and any page without its own wording say them
    "*": _NOTHING_CHANGED,
    "domain_error": _NOTHING_CHANGED,
    "invalid_input": _NOTHING_CHANGED,
    "not_found": _l("The item was not found, or you may not see it."),
    "permission_denied": _l("You do not have the role needed for this page or action."),
    "stale_state": _STALE,
    "transition_not_allowed": _STEP_NOT_POSSIBLE,
    "guard_failed": _STEP_NOT_POSSIBLE,
    "comment_required": _l("Please give a reason in the comment."),
    "reauthentication_required": _REAUTHENTICATE,
    "use_dedicated_endpoint": _l(
        "Nothing was changed: this step changes more than the item's state, so it is taken on its own page."
    ),
    # A request a page cannot accept (a stale form token, a tampered value): the HTTP code the API uses.
    "bad_request": _NOT_VALID,
    # -- typed input the one cleaning rule refuses (eplan_flow.text.REASONS)
    "invalid_input/reason=not_text": _l("Enter text."),
    "invalid_input/reason=nul": _l("Remove the NUL character."),
    "invalid_input/reason=blank": _l("Enter some visible text: invisible characters alone do not count."),
    "invalid_input/reason=too_long": _l("At most %(max_length)d characters."),
    "invalid_input/reason=marks": _l(
        "Remove the stray or stacked vowel and tone marks (at most %(max_marks)d on one letter)."
    ),
    "invalid_input/reason=not_a_number": _l("Enter a number."),
    "invalid_input/reason=foreign_digits": _l("Write numbers with the digits 0-9 or ๐-๙."),
    "invalid_input/reason=out_of_range": _l("Enter a number from %(minimum)s to %(maximum)s."),
    "invalid_input/reason=not_a_date": _l(
        "Enter a real date as day/month/year of the Buddhist Era, e.g. 15/01/2569."
    ),
    "invalid_input/reason=gregorian_year": _l(
        "Write the year in the Buddhist Era (B.E.): %(be_year)s, not %(year)s."
    ),
    "invalid_input/reason=date_too_early": _l("The date must be on or after 1 January 2500 (B.E.)."),
    "invalid_input/reason=date_in_future": _l("The date cannot be in the future."),
    # A value the form left empty that the service needs (shown beside its field).
    "invalid_input/reason=required": _l("Fill in this field."),
    "invalid_input/reason=other_period": _l(
        "These catalogue items serve another plan period: this plan covers %(start)s–%(end)s."
    ),
    "invalid_input/reason=sub_plan_without_master_plan": _l(
        "A sub-plan can be linked only together with the master plan it belongs to: tick that master "
        "plan too."
    ),
    "invalid_input/reason=sub_plan_needs_master_plan": _l("Choose the master plan the sub-plan belongs to."),
    "invalid_input/reason=not_a_period": _l(
        "Enter the first year of a plan period (B.E.), such as 2566 for 2566–2570."
    ),
    # An error shown beside the field it names: the reason's sentence, else this.
    "field:*": _l("Please check this value."),
    # -- the JSON API
    "invalid_json": _l("The request body must be a JSON object."),
    "invalid_json/reason=too_deep": _l("The request body is nested too deeply."),
    "csrf_failed": _l("Send a valid X-CSRFToken header with requests signed in by session cookie."),
    # A request the API refused names the field as the client sent it (the details say why).
    "api:invalid_input/field": _l(
        "Nothing was changed: check “%(field)s”: it is missing, unknown or not valid."
    ),
    # -- identity: the SSO, its approvals, ThaiD and e-Plan's sign-in through the SSO
    "invalid_credentials": _l(
        "Wrong email address or password, or password sign-in to this account is paused for a few "
        "minutes after repeated failures. Check and try again later, or ask your organisation's SSO admin."
    ),
    "token_expired": _l("The confirmation link has expired. Sign in and ask for a new one."),
    "token_used": _l("This confirmation link was already used: the address is confirmed."),
    "token_invalid": _l("The confirmation link is not valid. Copy the whole link from the email."),
    "reset_link_invalid": _l(
        "This link cannot set a password: it was used already, a newer one was sent, or it has "
        "expired. Ask for a new link."
    ),
    "no_confirmed_email": _l("No link was sent: the account has no confirmed email address, or is disabled."),
    "not_locked": _l("Nothing was changed: password sign-in to this account is not paused."),
    "citizen_id_invalid": _l("The citizen ID must be 13 digits."),
    "citizen_id_invalid/reason=check_digit": _l(
        "The citizen ID is not valid: its last (check) digit does not match. Check the number on your "
        "ID card."
    ),
    "weak_password": _l("Choose a stronger password."),
    "weak_password/problem=too_short": _l("Use at least %(min_length)s characters."),
    "weak_password/problem=too_long": _l("Use at most %(max_length)s characters."),
    "weak_password/problem=one_class": _l(
        "Mix at least two kinds of characters (letters, capitals, digits, symbols)."
    ),
    "weak_password/problem=too_simple": _l("Use more different characters."),
    "weak_password/problem=contains_email": _l("Do not use your email address in the password."),
    "weak_password/problem=contains_citizen_id": _l("Do not use your citizen ID in the password."),
    "weak_password/problem=common": _l("This password is too common; choose another."),
    "not_awaiting_verification": _NOT_AWAITING_VERIFICATION,
    "name_not_as_verified": _l(
        "Write your name as ThaiD verified it (the name on your ID card); ask your organisation's "
        "SSO admin if it has changed."
    ),
    "invalid_input/field=birth_date": _l("This date cannot be a birth date."),
    "details:guard_failed": _l(
        "Your name and birth date can no longer be corrected here: ThaiD has verified them."
    ),
    "permission_denied/reason=no_role": _l(
        "Your Single Sign-On account has no e-Plan role yet. Ask your organisation's SSO "
        "administrator to approve e-Plan access for you."
    ),
    "permission_denied/reason=disabled": _l("This account is disabled in e-Plan."),
    "invalid_input/field=org_code": _UNKNOWN_ORGANISATION,
    "not_found/field=org_code": _UNKNOWN_ORGANISATION,
    "sign_in:*": _l("Signing in through the Single Sign-On did not complete. Please try again."),
    "thaid:not_found": _l("You have no SSO account to verify."),
    "thaid:*": _NOT_AWAITING_VERIFICATION,
    "approval:reauthentication_required": _REAUTHENTICATE,
    "approval:stale_state": _STALE,
    "approval:permission_denied": _l(
        "Nothing was changed: you may not decide on this item (the chain of trust names another approver)."
    ),
    "approval:comment_required": _l("Nothing was changed: give the reason; the applicant reads it."),
    "approval:transition_not_allowed": _DECISION_NOT_POSSIBLE,
    "approval:guard_failed": _DECISION_NOT_POSSIBLE,
    "approval:not_found": _l("Nothing was changed: the item was not found."),
    "approval:invalid_input/reason=duplicate_request": _l(
        "You have already asked for this access, or you hold it."
    ),
    "approval:invalid_input/field=to_organisation": _l(
        "No active organisation has that code, or it is your organisation already."
    ),
    "approval:invalid_input/field=account": _l("Only an active account may ask for a system."),
    "approval:invalid_input/field=role": _l("That role cannot be asked for in this system."),
    "approval:invalid_input/field=client_id": _l("That system is not available."),
    "sso:*/field=email": _l("Enter a valid email address (at most 80 characters)."),
    "sso:*/field=phone": _l("Enter a Thai phone number of 9 or 10 digits."),
    "sso:*/field=organisation_id": _l("Choose your organisation from the search results."),
    "sso:*/field=requested_role": _l("Choose what you register as."),
    "sso:*": _l("Nothing was saved: check the form; something is missing or not valid."),
    "sso.reauth:invalid_credentials": _l("Wrong password."),
    # -- planning: strategies, plans and revisions
    "plan_not_editable": _l(
        "The plan is no longer being drafted: its strategies change only through a revision."
    ),
    "plan_has_no_projects": _l("A plan without projects cannot be announced. Add its projects first."),
    # Importing a plan from Excel (eplan_flow.services.planning.plan_import): the rows are listed apart.
    "plan_import_refused": _l("Nothing was imported: the workbook has problems, listed below."),
    "plan_import_not_planner": _l("Only the LAO's planners import its plan from Excel."),
    "plan_not_announced": _l("Only an announced plan can be revised."),
    # After the announcement: copies sent and the announcement posted (eplan_flow.services.planning.duties).
    "duty:invalid_input/reason=not_owed": _l("Nothing of that kind is owed for this announcement."),
    "duty:invalid_input/reason=before_announcement": _l("The date cannot be before the announcement."),
    "duty:invalid_input/reason=already_recorded": _l("This was already recorded."),
    "revision_not_drafting": _l("This revision is no longer a draft; its items cannot change."),
    "project_in_open_revision": _l(
        "Project %(project_no)s is already in the open revision %(revision)s; finish or withdraw that "
        "revision first."
    ),
    "stale_base_version": _l(
        "The plan has changed since this revision was drafted. Draft it again against the current version."
    ),
    "revision_incomplete": _l(
        "The revision is not complete: give its reasons and necessity, and keep only the items its "
        "route may carry."
    ),
    # Issue 12: the policy basis, the years a revision may touch, numbering (revision rules v2).
    **{
        f"revision_incomplete/field={name}": _l(
            "A clause 22/2 revision needs its basis (royal project or ceremony, state ceremony, government "
            "or MOI policy) and the letter's number and date before it is submitted."
        )
        for name in ("policy_basis", "policy_letter_no", "policy_letter_date")
    },
    "revision_year_closed": _l(
        "Fiscal year %(year)s has passed: a revision may correct, add to or change the plan only for "
        "fiscal year %(earliest)s and later."
    ),
    "revision_number_used": _l(
        "%(counter)s number %(last)s of %(year)s has already been announced; the next number must be higher."
    ),
    # -- planning: reviews (ทบทวน) and the civic forum
    "civic_forum_missing": _l(
        "Record the civic forum's meeting (date, place, number of attendees and resolution) before "
        "submitting the draft."
    ),
    "civic_forum_not_needed": _l("This kind of item does not go to the civic forum; nothing was recorded."),
    "civic_forum_not_drafting": _l("The civic forum's meeting is recorded while the draft is prepared."),
    "review_not_drafting": _l("This review is no longer a draft; its items cannot change."),
    "review_already_open": _l("The plan already has a review under way; finish or withdraw it first."),
    "plan_not_in_force": _l("Only an announced plan can be reviewed."),
    "review_strategy_numbers_clash": _l(
        "After this review two strategies would hold the same number (%(numbers)s). Renumber the other "
        "strategy in the review too, then announce it."
    ),
    "review:invalid_input/reason=taken_in_review": _l(
        "Two strategies of this review cannot take the same number."
    ),
    "review:*": _l("Nothing was saved: check the form; something is missing or not valid."),
    # -- planning: signed files attached to steps, versions and revisions (issue 13)
    "attachment_empty": _l("Nothing was attached: choose a PDF, PNG or JPEG file that is not empty."),
    "attachment_too_large": _l("Nothing was attached: the file is too large (at most %(max_mb)s MB)."),
    "attachment_type_refused": _l(
        "Nothing was attached: only PDF, PNG and JPEG files are accepted, told by the file's content "
        "(renaming a file does not change what it is)."
    ),
    "attachment:invalid_input/field=kind": _l("Nothing was attached: choose what the document is."),
    "attachment:*": _l("Nothing was attached: the request was not valid."),
    "strategies:*/field=number": _l("Choose a whole number from 1 to 999 that no other item here uses."),
    "strategies:*/field=name": _l("Give a name of at most 500 characters."),
    "strategies:*/field=links": _l("Choose only the catalogue items listed."),
    "strategies:*": _l("Please check this value."),
    "project:*/field": _l("Nothing was saved: check “%(field)s”; it is missing or not valid."),
    "project:*": _l("Nothing was saved: check the form; something is missing or not valid."),
    "revision:*": _NOT_VALID,
    # -- delivery: execution, actuals and the monitoring and evaluation report
    "not_in_plan": _l(
        "Nothing was saved: only projects of the plan in force, with a budget for that year, can be "
        "budgeted. Add the project to the plan or change the plan first (เพิ่มเติม/เปลี่ยนแปลงแผน)."
    ),
    # The zero-budget rule of the execution workflow (``zero_plan_budget``, version 3 on).
    "zero_plan_budget": _l(
        "Nothing was saved: this project's plan budget for fiscal year %(fiscal_year_be)s is 0, so it "
        "cannot be budgeted as it stands. Record it anew for this year through a revision of the plan "
        "(an addition, or a change of its budget), then budget it: open one on the plan's Revisions page."
    ),
    "execution.page:zero_plan_budget": _l(
        "These projects have a plan budget of 0 for fiscal year %(year)s and cannot be budgeted as they "
        "stand. Record them anew for this year through a revision of the plan (an addition, or a change "
        "of the project's budget), then budget them."
    ),
    "budget_details_not_in_version": _l(
        "Nothing was saved: this project's year started under version %(workflow_version)s of the "
        "execution rules, which records no budget source, codes or location."
    ),
    "invalid_budget_detail": _l("Nothing was saved: check the budget source, codes and location."),
    "invalid_budget_detail/field=budget_source": _l(
        "Nothing was saved: choose a budget source from the list."
    ),
    "invalid_budget_detail/field=elaas_budget_code": _l(
        "Nothing was saved: the e-LAAS budget code takes at most 50 characters: letters A-Z, digits, dots, "
        "dashes, slashes or spaces, starting with a letter or a digit."
    ),
    "invalid_budget_detail/field=procurement_method": _l(
        "Nothing was saved: choose a procurement method from the list."
    ),
    "invalid_budget_detail/field=egp_project_no": _l(
        "Nothing was saved: the e-GP project number is 11 digits."
    ),
    "invalid_budget_detail/field=village_no": _l(
        "Nothing was saved: the village number (หมู่ที่) is a whole number from 1 to 99."
    ),
    "invalid_budget_detail/field=community": _l(
        "Nothing was saved: the community's name takes at most 200 characters of visible text."
    ),
    "invalid_budget_detail/field=latitude": _l(
        "Nothing was saved: the latitude must be a number within Thailand (5.6 to 20.5), given together "
        "with the longitude."
    ),
    "invalid_budget_detail/field=longitude": _l(
        "Nothing was saved: the longitude must be a number within Thailand (97.3 to 105.7), given "
        "together with the latitude."
    ),
    "over_budget": _l("Nothing was saved: the amount would exceed the contract or the budget available."),
    "already_budgeted": _l("Nothing was saved: this project is already budgeted for that fiscal year."),
    # The budget ordinance import (``services.delivery.ordinance_import``).
    "ordinance_file_refused": _l(
        "Nothing was imported: the file is not a budget ordinance export that can be read; see the rows "
        "listed."
    ),
    "ordinance_import_gone": _l("The uploaded file is no longer kept; upload it again."),
    # One rule for the ordinance import and the action plan (``services.delivery.ordinance_date``).
    "ordinance_date_outside_fiscal_year": _l(
        "Nothing was saved: the budget ordinance of fiscal year %(fiscal_year)s is announced between "
        "%(earliest)s and %(latest)s; %(announced)s is outside that time."
    ),
    # A plan project's e-LAAS budget code (``services.planning.projects.clean_elaas_code``).
    "elaas_code_invalid": _l(
        "The e-LAAS budget code takes at most %(max_length)s characters: letters A-Z, digits, dots, dashes, "
        "slashes or spaces, starting with a letter or a digit."
    ),
    "ordinance_import:invalid_input/field=project_no": _l(
        "Nothing was saved: one plan project was chosen for two lines of the ordinance."
    ),
    # The execution workflow's order of steps (its rule data): why no payment can be recorded yet.
    "payment_before_contract": _l(
        "Nothing was saved: a payment is recorded only after the contract is signed, or on the "
        "no-procurement route."
    ),
    "payment_before_contract/reason=not_contracted": _l(
        "Nothing was saved: a payment is recorded only after the contract is signed, or once the project "
        "is closed at budget approval because it needs no procurement (e.g. a subsidy)."
    ),
    "payment_before_contract/reason=no_contract": _l(
        "Nothing was saved: record the signed contract first; a payment is made against it."
    ),
    "payment_before_contract/reason=closed": _l(
        "Nothing was saved: this project's year is closed; no payment can be recorded on it."
    ),
    "payment_before_contract/reason=before_contract_date": _l(
        "Nothing was saved: a payment cannot be dated before the contract it is made against."
    ),
    # The same, said on the project's page where the payment form would be.
    "execution.no_payment:payment_before_contract/reason=not_contracted": _l(
        "Payments are recorded once the contract is signed (step “Sign the contract”), or once the "
        "project is closed at budget approval because it needs no procurement (e.g. a subsidy)."
    ),
    "execution.no_payment:payment_before_contract/reason=no_contract": _l(
        "Record the signed contract first: payments are made against it."
    ),
    "execution.no_payment:payment_before_contract/reason=closed": _l(
        "This project's year is closed; no payment can be recorded on it."
    ),
    "not_counted_as_completed": _l(
        "The project cannot be completed yet: it must be fully disbursed against its contract, with "
        "its progress at 100 percent."
    ),
    "execution:invalid_input/reason=gregorian_year": _l(
        "Nothing was saved: write the year in the Buddhist Era (B.E.): %(be_year)s, not %(year)s."
    ),
    "execution:*/field": _l("Nothing was saved: check “%(field)s”; it is missing or not valid."),
    "execution:*": _l("Nothing was saved: this step is not possible for the project now."),
    "fiscal_year_not_ended": _l(
        "Nothing was saved: actuals of fiscal year %(year)s can be entered only after it ends."
    ),
    "invalid_actuals": _FIELDS_MARKED,
    "actuals:stale_state": _l(
        "Someone else saved these actuals at the same time. The page now shows what they saved; "
        "check it and try again."
    ),
    "evaluation_report_exists": _l(
        "Nothing was saved: this LAO already has a report for that fiscal year and round."
    ),
    "evaluation_report_not_drafting": _l(
        "Nothing was saved: the report's text can be changed only while the committee drafts it."
    ),
    "evaluation_report_incomplete": _l(
        "Write the report's method, findings and recommendations before sending it to the executive."
    ),
    "evaluation_announcement_late": _l(
        "The report must be announced within 15 days of its presentation to the council and the "
        "development committee, that is by %(deadline)s; that date has passed."
    ),
    "evaluation_announced_before_presentation": _l(
        "The announcement date cannot be before the report was presented."
    ),
    # -- the action plan (แผนการดำเนินงาน, ข้อ 26–27)
    "action_plan_exists": _l("Nothing was saved: this LAO already has an action plan for that fiscal year."),
    "action_plan_not_drafting": _l(
        "Nothing was saved: the action plan can be changed only while the support committee drafts it."
    ),
    "action_plan_empty": _l("Add the projects of the action plan before sending it to the executive."),
    "action_plan_months_missing": _l(
        "Tick the months of implementation of every project before sending the action plan to the executive."
    ),
    "action_plan_announcement_late": _l(
        "The action plan must be announced within 30 days of the budget ordinance's announcement, "
        "that is by %(deadline)s; that date has passed."
    ),
    "action_plan_announced_before_ordinance": _l(
        "The announcement date cannot be before the budget ordinance was announced (%(ordinance)s)."
    ),
    "action_plan_execution_not_funded": _l(
        "Nothing was saved: that project is not funded by the budget ordinance this year, or is already in "
        "the action plan."
    ),
    "new_report:*": _l("Nothing was saved: give a fiscal year that has begun and a round."),
    # -- read-only windows of e-Plan's data entry (workflows/entry_windows.py)
    "read_only_window": _l(
        "Nothing was saved: e-Plan is read-only until %(until)s (%(window_reason)s). You can read every "
        "page and the public notices; try again once it reopens."
    ),
    "entry_window_not_valid": _l("Nothing was saved: check the read-only window's dates and reason."),
    "entry_window_not_valid/reason=order": _l(
        "Nothing was saved: a read-only window must end after it starts."
    ),
    "entry_window_not_valid/reason=past": _l(
        "Nothing was saved: that window would be over already; give an end in the future."
    ),
    "entry_window_not_valid/reason=overlap": _l(
        "Nothing was saved: the window overlaps another read-only window; change or end that one instead."
    ),
    "entry_window_not_valid/reason=over": _l("Nothing was changed: this read-only window is already over."),
    "form:*": _FIELDS_MARKED,
    # -- a workflow step fired from an item's page (main.fire): the page shows the item again
    "step:stale_state": _l(
        "Someone else acted on this item first. The page now shows its current state; check it and try again."
    ),
    "step:project_in_open_revision": _l(
        "A project of this revision is already in another open revision. Announce or withdraw that one first."
    ),
    "step:evaluation_announcement_late": _l(
        "The report must be announced within 15 days of its presentation to the council and the "
        "development committee; that date has passed."
    ),
    "step:*": _STEP_NOT_POSSIBLE,
    # -- the back office: a form's values refused by the service, a row that may not be deleted
    "admin:*/field": _l("Nothing was saved: check “%(field)s”; it is missing or not valid."),
    "admin:*": _l("Nothing was saved: the values were not accepted. Check them and try again."),
    "admin_delete:*": _l("Nothing was deleted: this item may not be deleted now."),
}


def message_for(
    error: DomainError,
    context: str | None = None,
    *,
    labels: Mapping[str, object] | None = None,
    default: str | None = None,
    **params,
) -> str:
    """What ``error`` tells the reader, in their language (see the module's docstring for the order)."""
    _note_shown(error)
    return _lookup(error.code, error.details, context, labels, default, params, type(error))


# Refusals worded during this request, each once however often it is shown: the metrics count them
# by code when the request ends (``services.platform.metrics``).
_SHOWN = "eplan_refusals_shown"


def _note_shown(error: DomainError) -> None:
    if has_request_context():
        shown = g.setdefault(_SHOWN, [])
        if not any(seen is error for seen in shown):
            shown.append(error)


def pop_refusals_shown() -> list[DomainError]:
    """The refusals worded for the current request so far, forgotten as they are returned."""
    return g.pop(_SHOWN, []) if has_request_context() else []


def message_for_code(code: str, context: str | None = None, *, default: str | None = None, **details) -> str:
    """The sentence of a refusal known only by its code (a bulk decision's outcome, a page's own check)."""
    return _lookup(code, details, context, None, default, {}, None)


def specific(error: DomainError) -> bool:
    """Whether the error's code has a sentence of its own (not one of the generic codes)."""
    return error.code not in GENERIC_CODES and error.code in CATALOGUE


def password_problems(error: DomainError, **params) -> list[str]:
    """One sentence per problem of a refused password (``details["problems"]``), for its field;
    ``params`` give the rule's limits (``min_length``, ``max_length``)."""
    return [
        _lookup(f"{error.code}/problem={problem}", error.details, None, None, None, params, None)
        for problem in error.details.get("problems", [])
    ]


def request_not_valid() -> str:
    """What a page says when the form it posted is not valid (a stale CSRF token, a tampered value)."""
    return str(CATALOGUE["bad_request"])


# -- the lookup ------------------------------------------------------------------------------------
def _contexts(context: str | None) -> list[str]:
    """``"sso.reauth"`` -> ``["sso.reauth", "sso"]``."""
    if not context:
        return []
    parts = context.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _parent_codes(cls: type | None) -> Iterator[str]:
    for parent in cls.__mro__[1:] if cls is not None else ():
        if isinstance(parent, type) and issubclass(parent, DomainError):
            yield parent.code


def _lookup(code, details, context, labels, default, params, cls) -> str:
    contexts = _contexts(context)
    reason, field = details.get("reason"), details.get("field")
    # A page names a field by its label; without labels, a field is named as the client sent it.
    label = (labels.get(field) if labels is not None else field) if isinstance(field, str) else None
    values = {**details, **params}
    labelled = {**values, "field": label} if label is not None else None

    def detailed(prefix: str, what: str) -> Iterator[tuple[str, dict | None]]:
        if isinstance(reason, str):
            yield f"{prefix}{what}/reason={reason}", values
        if isinstance(field, str):
            yield f"{prefix}{what}/field={field}", values
            yield f"{prefix}{what}/field", labelled

    def candidates() -> Iterator[tuple[str, dict | None]]:
        for ctx in contexts:
            yield from detailed(f"{ctx}:", code)
            yield f"{ctx}:{code}", values
        specific_code = code not in GENERIC_CODES
        if specific_code:
            yield from detailed("", code)
            yield code, values
        for ctx in contexts:
            yield from ((key, v) for key, v in detailed(f"{ctx}:", "*") if "/reason=" not in key)
        if not specific_code:
            yield from detailed("", code)
        if default is not None:
            yield "", None
        for ctx in contexts:
            yield f"{ctx}:*", values
        yield code, values
        for parent in _parent_codes(cls):
            yield parent, values
        yield "*", values

    for key, key_values in candidates():
        if key == "":
            return str(default)
        entry = CATALOGUE.get(key)
        if entry is None or key_values is None:
            continue
        try:
            return str(entry) % key_values
        except (KeyError, TypeError, ValueError):
            continue  # a placeholder this refusal has no value for: a less specific entry says it
    return str(CATALOGUE["*"])

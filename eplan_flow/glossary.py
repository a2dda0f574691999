"""The glossary: English names in the code, their Thai meaning, and the labels people read.

Domain words keep their Thai meaning in English names:

| in the code | Thai | meaning |
|---|---|---|
| LAO, organisation of kind ``lao`` | องค์กรปกครองส่วนท้องถิ่น (อปท.) | local administrative organisation |
| ``pao`` | องค์การบริหารส่วนจังหวัด (อบจ.) | provincial administrative organisation |
| ``city_``/``town_``/``subdistrict_municipality`` | เทศบาลนคร/เมือง/ตำบล (ทน./ทม./ทต.) | municipalities |
| ``sao`` | องค์การบริหารส่วนตำบล (อบต.) | subdistrict administrative organisation |
| ``dla`` | กรมส่งเสริมการปกครองท้องถิ่น (สถ.) | Department of Local Administration |
| ``provincial_office`` / ``district_office`` | สถจ. / สถอ. | DLA's provincial and district offices |
| plan | แผนพัฒนาท้องถิ่น | the five-year local development plan |
| revision | การแก้ไข เพิ่มเติม เปลี่ยนแปลงแผน | a change set announced as the plan's next version |
| ``correction`` / ``change`` / ``addition`` | แก้ไข / เปลี่ยนแปลง / เพิ่มเติม | the kinds of revision item |
| support committee | คณะกรรมการสนับสนุนการจัดทำแผนพัฒนาท้องถิ่น | drafts the plan |
| development committee (``devcom``) | คณะกรรมการพัฒนาท้องถิ่น | reviews the draft |
| council | สภาท้องถิ่น | approves where the LAO type requires it |
| executive | ผู้บริหารท้องถิ่น (นายก) | approves and announces |
| civic forum | ประชาคมท้องถิ่น | the public consultation |
| master plan / ``sub_plan`` | แผนแม่บทภายใต้ยุทธศาสตร์ชาติ / แผนย่อย | 23 master plans; their sub-plans |
| eMENSCR | ระบบติดตามและประเมินผลแห่งชาติ | NESDC's national monitoring system; the export feeds it |
| fiscal year | ปีงบประมาณ | 1 October – 30 September, named by its Buddhist-Era end year |
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

# A project's kind (its ผ.02-family form) and its fields, as the forms, pages and documents name them.
PROJECT_SOURCE_LABELS = {
    "own": _l("Own project (ผ.02)"),
    "community": _l("From village and community plans (ผ.02/1)"),
    "beyond_capacity": _l("Beyond capacity, coordinated with the province or PAO (ผ.02/2)"),
    "equipment": _l("Equipment (ผ.03)"),
}
# Every project field a form may offer, in the order of the ผ.02 columns.
PROJECT_FIELD_LABELS = {
    "name": _l("Project name"),
    "objective": _l("Objective"),
    "target": _l("Target (output)"),
    "kpi": _l("Indicator (KPI)"),
    "expected_result": _l("Expected result"),
    "responsible_unit": _l("Responsible unit"),
    "strategy_id": _l("LAO strategy"),
    "tactic_id": _l("Tactic"),
    "programme_id": _l("Budget programme"),
    "source": _l("Kind of project"),
    "equipment_category": _l("Equipment category"),
    "equipment_type": _l("Equipment type"),
    "unit": _l("Unit"),
    "elaas_budget_code": _l("e-LAAS budget code"),
    **{f"budget_{n}": _l("Budget, year %(n)s (baht)", n=n) for n in range(1, 6)},
    "links": _l("Links (national strategy, NESDP, SDG, province)"),
}

# What people read for each catalogue, and each dimension results are broken down by.
CATALOGUE_LABELS = {
    "national_strategy": _l("National strategy"),
    "master_plan": _l("Master plan under the National Strategy"),
    "sub_plan": _l("Sub-plan of a master plan"),
    "nesdp_milestone": _l("13th NESDP milestone"),
    "sdg": _l("Sustainable Development Goal"),
    "budget_programme": _l("Budget programme"),
    "provincial_strategy": _l("Provincial development strategy"),
    "province_lao_strategy": _l("Development strategy of the LAOs in the province"),
}
DIMENSION_TITLES = {
    "strategy": _l("By LAO development strategy"),
    "national_strategy": _l("By 20-year National Strategy"),
    "master_plan": _l("By master plan under the National Strategy"),
    "sub_plan": _l("By sub-plan of the master plans"),
    "nesdp_milestone": _l("By 13th NESDP milestone"),
    "sdg": _l("By Sustainable Development Goal"),
    "provincial_strategy": _l("By provincial development strategy"),
    "province_lao_strategy": _l("By development strategy of LAOs in the province"),
    "tactic": _l("By LAO tactic"),
}

KIND_LABELS = {
    "dla": _l("Department of Local Administration"),
    "provincial_office": _l("Provincial local administration office"),
    "district_office": _l("District local administration office"),
    "lao": _l("Local administrative organisation"),
}

# Role names for people (workflows/ is pure data without Flask, so its labels are translated here).
ROLE_LABELS = {
    "planner": _l("Planner"),
    "support_secretary": _l("Support-committee secretary"),
    "devcom_secretary": _l("Development-committee secretary"),
    "council_secretary": _l("Council secretary"),
    "executive": _l("Executive"),
    "sso_admin": _l("LAO SSO admin"),
    "district_officer": _l("District officer"),
    "provincial_officer": _l("Provincial officer"),
    "dla_admin": _l("DLA admin"),
    # Not a role one is granted: the person an account or a request is about (their own steps).
    "applicant": _l("The applicant"),
}

# Audit actions that are not workflow triggers.
ACTION_LABELS = {
    "create": _l("Created the item"),
    "import_announced": _l("Imported as announced before e-Plan, from an Excel workbook"),
    "import_plan": _l("Imported the plan from an Excel workbook"),
    "record_elaas_code": _l("Recorded the project's e-LAAS budget code from the budget ordinance"),
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "logout": _l("Signed out"),
    "login_refused_locked": _l("Sign-in refused: the account is locked"),
    "login_refused_disabled": _l("Sign-in refused: the account is disabled"),
    "account_locked": _l("Account locked after repeated failed sign-ins"),
    "unlocked": _l("Account unlocked"),
    "reauthenticated": _l("Confirmed their identity again"),
    "reauth_failed": _l("Failed re-authentication"),
    "password_reset_sent": _l("Password-reset link sent to the confirmed email address"),
    "password_reset_refused": _l("Password-reset link asked for but not sent"),
    "password_reset": _l("Set a new password with a reset link"),
    "registered": _l("Registered an SSO account"),
    "confirmation_resent": _l("Confirmation email sent again"),
    "details_changed": _l("Corrected their details"),
    "thaid_verification_failed": _l("ThaiD verification failed"),
    "registration_repeated": _l("Someone tried to register this email address again"),
    "registration_voided": _l("Unverified registration cancelled"),
    "citizen_id_claims_voided": _l("Others' unverified registrations of the citizen ID cancelled"),
    "oidc_authorize": _l("Signed in to a connected system"),
    "sso_linked": _l("Linked to the SSO account"),
    "sso_session_ended": _l("e-Plan session ended by the SSO"),
    "roles_synced": _l("Roles updated from the SSO"),
    "seed_active": _l("Demo account set up as active"),
    "seed_approved": _l("Demo access set up as approved"),
    "create_user": _l("Created the account"),
    "register_client": _l("Registered a connected system"),
    "update_client": _l("Updated a connected system"),
    "ensure_client": _l("Set up a connected system"),
    "activate_client": _l("Switched a connected system on"),
    "deactivate_client": _l("Switched a connected system off"),
    "reset_client_secret": _l("Issued a new client secret"),
    "rotate_signing_key": _l("Rotated the token signing key"),
    "retry_job": _l("Retried a failed job"),
    "discard_job": _l("Discarded a failed job"),
    "record_actuals": _l("Recorded year-end actuals"),
    "update_text": _l("Edited the report's text"),
    # Content and money recorded beside the workflows (their own audit chains).
    "strategy_created": _l("Added a strategy"),
    "strategy_updated": _l("Edited a strategy"),
    "strategy_links_set": _l("Set a strategy's links"),
    "tactic_created": _l("Added a tactic"),
    "tactic_updated": _l("Edited a tactic"),
    "add_project": _l("Added a project"),
    "change_project": _l("Edited a project"),
    "delete_project": _l("Deleted a project"),
    "add_item": _l("Added an item to the revision"),
    "remove_item": _l("Removed an item from the revision"),
    "set_reasons": _l("Wrote the revision's reasons"),
    "set_policy_basis": _l("Recorded the revision's clause 22/2 basis"),
    "set_numbering": _l("Set how the LAO numbers its revisions"),
    "set_next_number": _l("Set the next number of a revision counter"),
    "set_strategy": _l("Changed a strategy in the review"),
    "record_civic_forum": _l("Recorded the civic forum's meeting"),
    "attach_file": _l("Attached a signed file"),
    "record_announcement_duty": _l("Recorded copies sent or the announcement posted"),
    "record_contract": _l("Recorded the contract"),
    "record_progress": _l("Recorded the progress"),
    "add_transfer": _l("Recorded a budget transfer"),
    "add_disbursement": _l("Recorded a disbursement"),
    "organisation_created": _l("Added an organisation"),
    "organisation_updated": _l("Edited an organisation"),
    "user_created": _l("Added a person"),
    "user_updated": _l("Edited a person"),
    "catalogue_item_created": _l("Added a catalogue item"),
    "catalogue_item_updated": _l("Edited a catalogue item"),
    "catalogues_loaded": _l("Loaded the catalogues"),
    "import_laos": _l("Imported the LAOs"),
    "api_token_created": _l("Issued an API token"),
    "session_ended": _l("Session ended"),
    "reseal": _l("Re-encrypted stored personal data"),
    "entry_window_scheduled": _l("Scheduled a read-only window of e-Plan"),
    "entry_window_changed": _l("Changed a read-only window of e-Plan"),
    "entry_window_ended": _l("Ended a read-only window of e-Plan early"),
    "entry_window_cancelled": _l("Withdrew a read-only window of e-Plan"),
}

# What an attached file is (``Attachment.kind``), in the order the upload form offers them.
ATTACHMENT_KIND_LABELS = {
    "signed_announcement": _l("Signed announcement"),
    "meeting_minutes": _l("Meeting minutes"),
    "council_resolution": _l("Council resolution"),
    "other": _l("Other document"),
}

# The kinds of item a revision holds (``RevisionItem.kind``), in the order its forms offer them. A
# correction is what some English texts call an amendment.
# The ผ.01's parts (workflows/counting.py): the LAO's own projects, those asked of others, equipment.
P01_PART_LABELS = {
    "own": _l("Development projects of the LAO (ผ.02)"),
    "beyond_capacity": _l("Projects beyond the LAO's capacity, asked of the PAO or other agencies (ผ.02/2)"),
    "equipment": _l("Equipment (ผ.03)"),
    "community": _l("Projects taken from village and community plans (ผ.02/1)"),
}

REVISION_KINDS = ("addition", "change", "correction")
# Their Thai names, in the order an announcement names a bundle of them. Not translated: the name is
# part of the announced revision's stored label and title ("เพิ่มเติม ครั้งที่ 2/2568").
REVISION_KIND_NAMES = {"correction": "แก้ไข", "addition": "เพิ่มเติม", "change": "เปลี่ยนแปลง"}


def revision_label(kinds: Iterable[str]) -> str:
    """The label of a revision holding ``kinds``, as announcements write it: "แก้ไข", "เพิ่มเติม",
    "เปลี่ยนแปลง", or a bundle in that order ("เพิ่มเติมและเปลี่ยนแปลง", "แก้ไข เพิ่มเติม และเปลี่ยนแปลง")."""
    held = set(kinds)
    names = [name for kind, name in REVISION_KIND_NAMES.items() if kind in held]
    if len(names) <= 2:
        return "และ".join(names)
    return " ".join(names[:-1]) + " และ" + names[-1]

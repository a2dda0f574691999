"""The data model. Import models from here."""

from eplan_flow.models.action_plan import FISCAL_MONTHS, ActionPlan, ActionPlanItem
from eplan_flow.models.attachment import ATTACHMENT_KINDS, ATTACHMENT_MEDIA_TYPES, Attachment
from eplan_flow.models.audit import AuditCheckpoint, AuditEvent
from eplan_flow.models.catalogue import CATALOGUES, CatalogueItem
from eplan_flow.models.document import DOCUMENT_FORMATS, DOCUMENT_JOB_STATES, DocumentJob
from eplan_flow.models.duty import DUTY_KINDS, DUTY_SUBJECTS, AnnouncementDuty
from eplan_flow.models.entry_window import EntryWindow
from eplan_flow.models.execution import (
    TRANSFER_KINDS,
    BudgetTransfer,
    Disbursement,
    ProjectExecution,
)
from eplan_flow.models.geo import District, Province, Subdistrict
from eplan_flow.models.mail import EMAIL_STATES, EmailMessage
from eplan_flow.models.notification import Notification
from eplan_flow.models.oidc import OAuth2AuthorizationCode, OAuth2Client, OAuth2Token, SigningKey
from eplan_flow.models.org import LAO_TYPES, ORG_KINDS, Organisation
from eplan_flow.models.outbox import OutboxMessage
from eplan_flow.models.oversight import OversightChange, OversightFigures
from eplan_flow.models.password_reset import PasswordReset
from eplan_flow.models.people import ApiToken, RoleGrant, User
from eplan_flow.models.plan import Plan
from eplan_flow.models.plan_import import IMPORT_MODES, PlanImport
from eplan_flow.models.project import (
    PLAN_YEARS,
    PROJECT_SOURCES,
    LaoStrategy,
    PlanVersion,
    ProjectRecord,
    Tactic,
    lao_strategy_link,
    project_link,
)
from eplan_flow.models.results import (
    ACTUAL_KINDS,
    EVALUATION_ROUNDS,
    EvaluationReport,
    YearEndActual,
)
from eplan_flow.models.review import REVIEW_ITEM_KINDS, CivicForumMeeting, PlanReview, ReviewItem
from eplan_flow.models.revision import (
    ITEM_KINDS,
    ROUTES,
    Revision,
    RevisionItem,
    RevisionNumber,
    RevisionNumbering,
)
from eplan_flow.models.sessions import SESSION_KINDS, SignInSession
from eplan_flow.models.sso import REQUESTED_ROLES, Account, SystemAccess
from eplan_flow.models.workflow import WorkflowMixin

__all__ = [
    "ACTUAL_KINDS",
    "ATTACHMENT_KINDS",
    "ATTACHMENT_MEDIA_TYPES",
    "CATALOGUES",
    "DOCUMENT_FORMATS",
    "DOCUMENT_JOB_STATES",
    "DUTY_KINDS",
    "DUTY_SUBJECTS",
    "EMAIL_STATES",
    "EVALUATION_ROUNDS",
    "FISCAL_MONTHS",
    "IMPORT_MODES",
    "ITEM_KINDS",
    "LAO_TYPES",
    "ORG_KINDS",
    "PLAN_YEARS",
    "PROJECT_SOURCES",
    "REQUESTED_ROLES",
    "REVIEW_ITEM_KINDS",
    "ROUTES",
    "SESSION_KINDS",
    "TRANSFER_KINDS",
    "Account",
    "ActionPlan",
    "ActionPlanItem",
    "AnnouncementDuty",
    "ApiToken",
    "Attachment",
    "AuditCheckpoint",
    "AuditEvent",
    "BudgetTransfer",
    "CatalogueItem",
    "CivicForumMeeting",
    "Disbursement",
    "District",
    "DocumentJob",
    "EmailMessage",
    "EntryWindow",
    "EvaluationReport",
    "LaoStrategy",
    "Notification",
    "OAuth2AuthorizationCode",
    "OAuth2Client",
    "OAuth2Token",
    "Organisation",
    "OutboxMessage",
    "OversightChange",
    "OversightFigures",
    "PasswordReset",
    "Plan",
    "PlanImport",
    "PlanReview",
    "PlanVersion",
    "ProjectExecution",
    "ProjectRecord",
    "Province",
    "ReviewItem",
    "Revision",
    "RevisionItem",
    "RevisionNumber",
    "RevisionNumbering",
    "RoleGrant",
    "SignInSession",
    "SigningKey",
    "Subdistrict",
    "SystemAccess",
    "Tactic",
    "User",
    "WorkflowMixin",
    "YearEndActual",
    "lao_strategy_link",
    "project_link",
]

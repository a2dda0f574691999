"""The data model. Import models from here."""
from eplan_flow.models.audit import AuditEvent
from eplan_flow.models.geo import District, Province, Subdistrict
from eplan_flow.models.notification import Notification
from eplan_flow.models.org import LAO_TYPES, ORG_KINDS, Organisation
from eplan_flow.models.outbox import OutboxMessage
from eplan_flow.models.people import ApiToken, RoleGrant, User
from eplan_flow.models.plan import Plan
from eplan_flow.models.workflow import WorkflowMixin

__all__ = [
    "ApiToken",
    "AuditEvent",
    "District",
    "LAO_TYPES",
    "Notification",
    "ORG_KINDS",
    "Organisation",
    "OutboxMessage",
    "Plan",
    "Province",
    "RoleGrant",
    "Subdistrict",
    "User",
    "WorkflowMixin",
]

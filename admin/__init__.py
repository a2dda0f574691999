"""The back office (Flask-Admin), built per app so tests can make many apps."""

import os

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin import entry_window_views, jobs_views, numbering_views, oidc_views, oversight_views, sso_views
from admin.base import SecureIndexView
from admin.catalogue_views import CatalogueItemView
from admin.views import (
    AuditView,
    EmailMessageView,
    OrganisationView,
    OutboxView,
    PlanView,
    RoleGrantView,
    UserView,
)
from eplan_flow.extensions import db
from eplan_flow.models import (
    AuditEvent,
    CatalogueItem,
    EmailMessage,
    Organisation,
    OutboxMessage,
    Plan,
    RoleGrant,
    User,
)
from eplan_flow.security_headers import csp_nonce


def init_admin(app) -> Admin:
    """Mount the back office at /admin/ with every view behind the secure base."""
    admin = Admin(
        app,
        name="eplan-flow",
        url="/admin",
        index_view=SecureIndexView(name=_l("Back office"), url="/admin"),
        # Flask-Admin's base with the page language, a skip link, <main> and readable colours.
        theme=Bootstrap4Theme(
            swatch=app.config.get("FLASK_ADMIN_SWATCH", "default"), base_template="admin/eplan_base.html"
        ),
        # Flask-Admin ships no Thai: its own labels (domain "admin") are translated here.
        translations_path=os.path.join(app.root_path, "translations_admin"),
        csp_nonce_generator=csp_nonce,  # Flask-Admin's inline scripts carry the response's CSP nonce
    )
    directory = _l("Directory")
    # Endpoints carry an admin_ prefix so they never clash with the app's blueprints; URLs stay short.
    views = (
        OrganisationView(
            Organisation,
            db,
            name=_l("Organisations"),
            endpoint="admin_organisations",
            url="organisations",
            category=directory,
        ),
        UserView(User, db, name=_l("Accounts"), endpoint="admin_users", url="users", category=directory),
        RoleGrantView(
            RoleGrant,
            db,
            name=_l("Role grants"),
            endpoint="admin_role_grants",
            url="role_grants",
            category=directory,
        ),
        PlanView(Plan, db, name=_l("Plans"), endpoint="admin_plans", url="plans"),
        AuditView(AuditEvent, db, name=_l("Audit trail"), endpoint="admin_audit", url="audit"),
        OutboxView(OutboxMessage, db, name=_l("Outbox"), endpoint="admin_outbox", url="outbox"),
        EmailMessageView(EmailMessage, db, name=_l("Email outbox"), endpoint="admin_email", url="email"),
    )
    for view in views:
        admin.add_view(view)
    admin.add_view(
        CatalogueItemView(
            CatalogueItem, db, name=_l("Catalogues"), endpoint="admin_catalogues", url="catalogues"
        )
    )
    for module in (sso_views, oidc_views, jobs_views, oversight_views, entry_window_views, numbering_views):
        module.register(admin)
    return admin

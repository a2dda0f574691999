"""Back office of the OpenID Connect provider: client registrations and signing keys (DLA admins)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_admin import BaseView, expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from admin.base import BackOfficeAccess, SecureModelView, acting_user, form_choices
from admin.views import ROLE_CHOICES, _thai_datetime
from eplan_flow import messages, thaidate
from eplan_flow.errors import DomainError
from eplan_flow.extensions import db
from eplan_flow.i18n import locale_code
from eplan_flow.models import OAuth2Client
from eplan_flow.permissions import can_manage_organisations
from eplan_flow.services.identity import keys, oidc_clients


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _client_values(form) -> dict:
    return {
        "name": form.name.data,
        "redirect_uris": _lines(form.redirect_uris.data),
        "post_logout_redirect_uris": _lines(form.post_logout_redirect_uris.data),
        "backchannel_logout_uri": (form.backchannel_logout_uri.data or "").strip() or None,
        "allowed_roles": form.allowed_roles.data or [],
        "trusted": bool(form.trusted.data),
        "scope": form.scope.data,
    }


def _roles(view, context, model, name):
    return ", ".join(model.allowed_roles or ())


class DlaAdminOnly(BackOfficeAccess):
    def is_accessible(self) -> bool:
        return super().is_accessible() and can_manage_organisations(current_user)


class OidcClientView(DlaAdminOnly, SecureModelView):
    """Systems that sign people in through the SSO. The secret is shown once, at creation."""

    scope_column = None
    create_service = oidc_clients.register_client
    update_service = oidc_clients.update_client
    can_view_details = True

    column_list = ("client_id", "name", "is_active", "trusted", "allowed_roles", "created_at")
    column_details_list = (
        "client_id",
        "name",
        "is_active",
        "trusted",
        "allowed_roles",
        "redirect_uris",
        "post_logout_redirect_uris",
        "backchannel_logout_uri",
        "scope",
        "token_endpoint_auth_method",
        "created_at",
        "updated_at",
    )
    column_default_sort = "client_id"
    column_searchable_list = ("client_id", "name")
    column_labels = {
        "client_id": _l("Client ID"),
        "name": _l("Name"),
        "is_active": _l("Active"),
        "trusted": _l("First-party (no consent page)"),
        "allowed_roles": _l("Roles it may receive"),
        "redirect_uris": _l("Redirect URIs"),
        "post_logout_redirect_uris": _l("Addresses after sign-out"),
        "backchannel_logout_uri": _l("Back-channel logout address"),
        "scope": _l("Scopes"),
        "token_endpoint_auth_method": _l("Client authentication"),
        "created_at": _l("Created"),
        "updated_at": _l("Updated"),
    }
    column_formatters = {"created_at": _thai_datetime, "updated_at": _thai_datetime, "allowed_roles": _roles}
    column_formatters_detail = column_formatters
    form_columns = (
        "client_id",
        "name",
        "redirect_uris",
        "post_logout_redirect_uris",
        "backchannel_logout_uri",
        "allowed_roles",
        "scope",
        "trusted",
        "confidential",
    )
    form_extra_fields = {
        "client_id": StringField(_l("Client ID"), validators=[DataRequired(), Length(max=48)]),
        "name": StringField(_l("Name"), validators=[DataRequired(), Length(max=200)]),
        "redirect_uris": TextAreaField(_l("Redirect URIs (one per line)"), validators=[DataRequired()]),
        "post_logout_redirect_uris": TextAreaField(_l("Addresses after sign-out (one per line)")),
        "backchannel_logout_uri": StringField(
            _l("Back-channel logout address"), validators=[Length(max=500)]
        ),
        "allowed_roles": SelectMultipleField(_l("Roles it may receive"), choices=form_choices(ROLE_CHOICES)),
        "scope": StringField(_l("Scopes"), default=oidc_clients.DEFAULT_SCOPE),
        "trusted": BooleanField(_l("First-party system (no consent page)")),
        "confidential": BooleanField(_l("Confidential (server-side, gets a secret)"), default=True),
    }

    def may_write(self) -> bool:
        return can_manage_organisations(current_user)

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        # Fixed at registration: the identifier and whether the client holds a secret.
        del form.client_id
        del form.confidential
        return form

    def on_form_prefill(self, form, id):
        client = db.session.get_one(OAuth2Client, int(id))  # the edit view has just loaded it
        form.redirect_uris.data = "\n".join(client.redirect_uris)
        form.post_logout_redirect_uris.data = "\n".join(client.post_logout_redirect_uris)
        form.backchannel_logout_uri.data = client.backchannel_logout_uri or ""
        form.allowed_roles.data = list(client.allowed_roles or ())
        form.scope.data = client.scope

    def create_model(self, form):
        result = self._call_service(
            oidc_clients.register_client,
            client_id=form.client_id.data,
            confidential=bool(form.confidential.data),
            **_client_values(form),
        )
        if result is None:
            return False
        client, secret = result
        if secret:
            flash(
                _(
                    "The secret of %(client)s is shown this once; store it in the system's configuration "
                    "now: %(secret)s",
                    client=client.client_id,
                    secret=secret,
                ),
                "warning",
            )
        return client

    def update_model(self, form, model) -> bool:
        return self._call_service(oidc_clients.update_client, model.id, **_client_values(form)) is not None

    def _each(self, ids, service, done_message):
        for client_id in ids:
            try:
                result = service(acting_user(), int(client_id))
            except DomainError as exc:
                flash(messages.message_for(exc, "admin"), "error")
                continue
            flash(done_message(result), "success")

    @action("deactivate", _l("Deactivate"), _l("Deactivate these systems? Their tokens are revoked at once."))
    def action_deactivate(self, ids):
        self._each(
            ids,
            lambda actor, pk: oidc_clients.set_client_active(actor, pk, False),
            lambda c: _("%(client)s is deactivated.", client=c.client_id),
        )

    @action("activate", _l("Activate"))
    def action_activate(self, ids):
        self._each(
            ids,
            lambda actor, pk: oidc_clients.set_client_active(actor, pk, True),
            lambda c: _("%(client)s is active again.", client=c.client_id),
        )

    @action(
        "reset_secret", _l("New secret"), _l("Give these systems a new secret? The old one stops working.")
    )
    def action_reset_secret(self, ids):
        self._each(
            ids,
            lambda actor, pk: (pk, oidc_clients.reset_client_secret(actor, pk)),
            lambda result: _(
                "New secret of client %(id)s, shown this once: %(secret)s",
                id=db.session.get_one(OAuth2Client, result[0]).client_id,
                secret=result[1],
            ),
        )


class SigningKeysView(DlaAdminOnly, BaseView):
    """The keys that sign ID tokens, and a button to rotate them now."""

    @expose("/")
    def index(self):
        return self.render("oidc/admin_keys.html", keys=keys.published_keys())

    @expose("/rotate", methods=["POST"])
    def rotate(self):
        # CSRFProtect checks the form's token before this runs.
        try:
            row = keys.rotate_signing_key(acting_user())
        except DomainError as exc:
            flash(messages.message_for(exc), "error")
        else:
            flash(
                _(
                    "Key %(kid)s is published now and signs new tokens from %(when)s; the current key "
                    "signs until then and stays published until its tokens expire.",
                    kid=row.kid,
                    when=thaidate.format_datetime(row.sign_after, locale_code()),
                ),
                "success",
            )
        return redirect(url_for(".index"), code=303)


def register(admin_site) -> None:
    """Add this module's views to the back office."""
    category = _l("Single Sign-On")
    admin_site.add_view(
        OidcClientView(
            OAuth2Client,
            db,
            name=_l("Connected systems"),
            endpoint="admin_oidc_clients",
            url="oidc_clients",
            category=category,
        )
    )
    admin_site.add_view(
        SigningKeysView(
            name=_l("Signing keys"), endpoint="admin_oidc_keys", url="oidc_keys", category=category
        )
    )

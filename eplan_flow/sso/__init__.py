"""Single Sign-On, the identity-provider side: registration, sign-in, ThaiD verification, approvals.

People's own pages (``routes``), the ThaiD verification client (``thaid``) and the SSO admins'
approval inbox (``approvals``). The OpenID Connect endpoints themselves live in ``eplan_flow.oidc``.
The SSO keeps its own session keys (``eplan_flow.sso.session``), apart from e-Plan's login.
"""

from flask import Blueprint

bp = Blueprint("sso", __name__)

# Last, for their side effect: each module registers its views on ``bp``.
from eplan_flow.sso import approvals, password_reset, routes, thaid  # noqa: F401

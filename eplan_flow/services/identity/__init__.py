"""The SSO's people and their trust: registration, ThaiD, approvals, grants, sessions, OIDC clients,
keys and tokens.
"""

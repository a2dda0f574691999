"""Domain errors. Each has a stable machine-readable ``code`` and the HTTP status it maps to."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(self, message: str, **details) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            **({"details": self.details} if self.details else {}),
        }


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403


class StaleState(DomainError):
    """Someone else changed the row after the actor saw it."""

    code = "stale_state"
    status = 409


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"
    status = 422


class GuardFailed(DomainError):
    code = "guard_failed"
    status = 422


class CommentRequired(DomainError):
    code = "comment_required"
    status = 422


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class UseDedicatedEndpoint(DomainError):
    """A composite step (it changes other rows too) asked of a generic fire endpoint; ``endpoint``
    names where it is taken whole."""

    code = "use_dedicated_endpoint"
    status = 409


class ReauthenticationRequired(DomainError):
    """An approval needs a proof of identity within the last REAUTH_MAX_AGE seconds."""

    code = "reauthentication_required"
    status = 401

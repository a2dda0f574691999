"""Jobs of sign-in sessions: tell relying parties that an SSO session ended."""
from __future__ import annotations


def send_backchannel_logout(client_id: str, issuer: str, sub: str, sid: str | None = None) -> bool:
    """Post a logout token to one relying party (OIDC Back-Channel Logout); retried on failure."""
    from eplan_flow.services.identity import sessions

    return sessions.send_backchannel_logout(client_id, issuer, sub, sid)


JOBS: dict = {"send_backchannel_logout": send_backchannel_logout}

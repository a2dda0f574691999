"""The operator's commands for OIDC clients: e-Plan served at another address can be let in."""

from __future__ import annotations

from sqlalchemy import select

from eplan_flow.models import AuditEvent, OAuth2Client
from eplan_flow.services.identity.oidc_clients import ensure_client
from tests.identity.oidc.helpers import s256

CALLBACK = "http://127.0.0.1:5000/auth/oidc/callback"
OTHER_PORT = "http://127.0.0.1:5101/auth/oidc/callback"


def run(app, *args):
    return app.test_cli_runner().invoke(args=["eplan", "clients", *args])


def authorize(client, redirect_uri):
    return client.get(
        "/oidc/authorize",
        query_string={
            "response_type": "code",
            "client_id": "eplan",
            "redirect_uri": redirect_uri,
            "scope": "openid profile eplan",
            "state": "st",
            "nonce": "n1",
            "code_challenge": s256("v" * 50),
            "code_challenge_method": "S256",
            "lang": "en",
        },
    )


def uris(db) -> list[str]:
    db.session.expire_all()
    return db.session.scalar(select(OAuth2Client).where(OAuth2Client.client_id == "eplan")).redirect_uris


def test_an_address_added_from_the_command_line_is_accepted_at_sign_in_and_removed_again(app, db, client):
    ensure_client("eplan", name="e-Plan", redirect_uris=[CALLBACK], secret="s3cret-for-tests")
    # Before: the SSO refuses to send anyone to an address the client did not register.
    refused = authorize(client, OTHER_PORT)
    assert refused.status_code == 400 and "Address not registered" in refused.get_data(as_text=True)

    added = run(app, "add-uri", "eplan", OTHER_PORT)
    assert added.exit_code == 0, added.output
    assert uris(db) == [CALLBACK, OTHER_PORT]
    listed = run(app, "list").output
    assert "eplan  (e-Plan, active)" in listed and f"after sign-in:  {OTHER_PORT}" in listed
    # Now the person is sent on to sign in, to come back to the new address afterwards.
    accepted = authorize(client, OTHER_PORT)
    assert accepted.status_code == 302 and accepted.location.startswith("/sso/login")

    removed = run(app, "remove-uri", "eplan", OTHER_PORT)
    assert removed.exit_code == 0 and uris(db) == [CALLBACK]
    assert authorize(client, OTHER_PORT).status_code == 400
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.chain == "oidc_client:eplan").order_by(AuditEvent.seq)
    ).all()
    assert events[-2:] == ["add_redirect_uri", "remove_redirect_uri"]


def test_the_commands_refuse_what_would_break_a_client_and_change_nothing(app, db):
    ensure_client("eplan", name="e-Plan", redirect_uris=[CALLBACK], secret="s3cret-for-tests")
    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    for args, says in [
        (("add-uri", "nobody", OTHER_PORT), "no such client"),
        (("add-uri", "eplan", "javascript:alert(1)"), "not an absolute http(s) address"),
        (("add-uri", "eplan", "https://rp.example/cb#frag"), "not an absolute http(s) address"),
        (("remove-uri", "eplan", OTHER_PORT), "is not one of this client's addresses"),
        (("remove-uri", "eplan", CALLBACK), "at least one redirect URI is needed"),
    ]:
        result = run(app, *args)
        assert result.exit_code == 1 and says in result.output, (args, result.output)
    assert uris(db) == [CALLBACK]
    assert db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())) == before

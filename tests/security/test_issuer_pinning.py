"""Issue 9, item 1: whom e-Plan trusts comes from configuration, never from a request.

The attacks are played for real: an attacker runs their own OpenID Connect provider over HTTP (a
few lines of Flask and joserfc below) and tries to make e-Plan trust it, through the Host header
of e-Plan's first sign-in request, through a token from their issuer naming a real person's
``sub``, and through a provider e-Plan is pointed at that lies about who it is. Every attempt must
leave e-Plan's database as it was. The SSO's keys are published before they sign.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from flask import Flask, jsonify, redirect, request
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select
from werkzeug.serving import make_server

from eplan_flow.auth import oidc_client
from eplan_flow.config import InsecureConfiguration
from eplan_flow.errors import PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import (
    AuditEvent,
    OAuth2AuthorizationCode,
    OAuth2Token,
    RoleGrant,
    SigningKey,
    User,
)
from eplan_flow.models._types import utcnow
from eplan_flow.services.identity import accounts, keys
from tests.conftest import PRODUCTION_CONFIG, make_app
from tests.factories import build_world
from tests.identity.oidc.helpers import PlainRelyingParty, active_account, approved_access, browser_signed_in
from tests.identity.rp.helpers import planner_with_access, register_eplan, sso_sign_in


# -- the attacker's OpenID Connect provider -----------------------------------------------------
class AttackerProvider:
    """A real, minimal OIDC provider run by the attacker: discovery, JWKS, authorize, token,
    userinfo. Its ID tokens name whoever ``subject`` says, with e-Plan's highest role."""

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "attacker", "alg": "RS256", "use": "sig"})
        self.hits: list[str] = []
        self.nonces: dict[str, str | None] = {}
        self.subject = "1"
        self.org_code = ""
        self.victim_url = ""  # where its authorize endpoint sends the browser back (e-Plan)
        self.discovery_issuer: str | None = None  # None: its own address, honestly
        self.token_issuer: str | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, self._app(), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _app(self) -> Flask:
        app = Flask("attacker_provider")

        @app.before_request
        def record():
            self.hits.append(request.path)

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                {
                    "issuer": self.discovery_issuer or self.url,
                    "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token",
                    "userinfo_endpoint": f"{self.url}/userinfo",
                    "jwks_uri": f"{self.url}/jwks",
                    "end_session_endpoint": f"{self.url}/logout",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                }
            )

        @app.get("/jwks")
        def jwks():
            return jsonify({"keys": [self.key.as_dict(private=False)]})

        @app.get("/authorize")
        def authorize():
            # No questions asked: straight back to the real e-Plan with a code for the victim.
            code = self.issue_code(request.args.get("nonce"))
            query = urlencode({"code": code, "state": request.args.get("state", "")})
            return redirect(f"{self.victim_url}/auth/oidc/callback?{query}")

        @app.post("/token")
        def token():
            nonce = self.nonces.pop(request.form.get("code", ""), None)
            basic = request.authorization
            client_id = request.form.get("client_id") or (basic.username if basic else "")
            now = int(time.time())
            claims = {
                "iss": self.token_issuer or self.url,
                "sub": self.subject,
                "aud": client_id,
                "iat": now,
                "exp": now + 300,
                "auth_time": now,
                **self.person(),
            }
            if nonce:
                claims["nonce"] = nonce
            access_token = secrets.token_urlsafe(24)
            claims["at_hash"] = _at_hash(access_token)
            id_token = jose_jwt.encode({"alg": "RS256", "kid": "attacker"}, claims, self.key)
            return jsonify(
                {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": id_token,
                    "scope": "openid profile email eplan",
                }
            )

        @app.get("/userinfo")
        def userinfo():
            return jsonify({"sub": self.subject, **self.person()})

        return app

    def person(self) -> dict:
        return {"name": "Attacker as admin", "org_code": self.org_code, "roles": ["dla_admin"]}

    def issue_code(self, nonce: str | None) -> str:
        code = secrets.token_urlsafe(16)
        self.nonces[code] = nonce
        return code

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def _at_hash(access_token: str) -> str:
    from authlib.oidc.core.util import create_half_hash

    return create_half_hash(access_token, "RS256").decode()


@pytest.fixture
def attacker():
    provider = AttackerProvider()
    yield provider
    provider.stop()


# -- e-Plan, the victim -------------------------------------------------------------------------
@pytest.fixture
def victim(make_live_server, attacker):
    """e-Plan and its SSO with the default configuration (one process, BASE_URL only), the DLA
    admin the attacker wants to become, and e-Plan registered at its SSO."""
    server = make_live_server()
    with server.app.app_context():
        world = build_world()
        register_eplan(server)
        admin = world.dla_admin
        attacker.subject, attacker.org_code = str(admin.id), admin.organisation.code
        planner, _access = planner_with_access(world)
        ids = SimpleNamespace(admin=admin.id, planner=planner.id, planner_email=planner.email)
    attacker.victim_url = server.url
    return SimpleNamespace(server=server, url=server.url, app=server.app, ids=ids)


def _snapshot(app) -> dict:
    """What a takeover would change: people and their links, grants, the audit trail."""
    with app.app_context():
        count = lambda model: db.session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
        return {
            "users": sorted(
                db.session.execute(
                    select(User.id, User.sso_issuer, User.sso_subject, User.last_login_at)
                ).all()
            ),
            "grants": sorted(
                db.session.execute(
                    select(RoleGrant.user_id, RoleGrant.organisation_id, RoleGrant.role, RoleGrant.source)
                ).all()
            ),
            "audit": count(AuditEvent),
        }


def _signed_in(victim, browser: requests.Session) -> bool:
    response = browser.get(f"{victim.url}/workflows", allow_redirects=False, timeout=10)
    return response.status_code == 200


def _deliver_attackers_code(victim, attacker, browser, start: requests.Response) -> requests.Response:
    """The attacker's last move: whatever e-Plan asked for, bring its callback a code from the
    attacker's provider, with the state e-Plan is waiting for."""
    state = parse_qs(urlsplit(start.headers["Location"]).query).get("state", [""])[0]
    nonce = parse_qs(urlsplit(start.headers["Location"]).query).get("nonce", [None])[0]
    code = attacker.issue_code(nonce)
    return browser.get(
        f"{victim.url}/auth/oidc/callback",
        params={"code": code, "state": state},
        allow_redirects=False,
        timeout=10,
    )


def test_the_host_header_of_the_first_sign_in_request_does_not_choose_the_sso(victim, attacker):
    before = _snapshot(victim.app)
    browser = requests.Session()
    # The first sign-in request this e-Plan ever serves, naming the attacker's provider as Host
    # (a host name e-Plan serves, on the attacker's port: Host checks ignore the port).
    start = browser.get(
        f"{victim.url}/auth/oidc/login",
        headers={"Host": f"127.0.0.1:{attacker.port}"},
        allow_redirects=False,
        timeout=10,
    )
    assert start.status_code == 302
    # Sent to e-Plan's own SSO, the configured one; the attacker's provider was never asked.
    assert start.headers["Location"].startswith(f"{victim.url}/oidc/authorize?")
    assert attacker.hits == []
    with victim.app.app_context():
        client = oidc_client.sso_client()
        assert (client.pinned_issuer, client._server_metadata_url) == (
            victim.url,
            f"{victim.url}/.well-known/openid-configuration",
        )

    refused = _deliver_attackers_code(victim, attacker, browser, start)
    assert urlsplit(refused.headers["Location"]).path == "/auth/login"
    assert attacker.hits == []  # e-Plan redeemed the code at its own SSO, which refused it
    assert not _signed_in(victim, browser)
    assert _snapshot(victim.app) == before


def test_a_request_naming_an_unknown_host_is_refused_before_anything_happens(victim, attacker):
    before = _snapshot(victim.app)
    browser = requests.Session()
    for path in ("/auth/oidc/login", "/.well-known/openid-configuration", "/auth/login"):
        response = browser.get(
            f"{victim.url}{path}",
            headers={"Host": f"attacker.example:{attacker.port}"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 400, path
        assert f"answers at {victim.url}" in response.text  # the way to the real address, in the answer
        assert "attacker.example" not in response.text
        assert "Set-Cookie" not in response.headers and "X-Request-ID" not in response.headers
    # Not even registered: no request got far enough to need e-Plan's OIDC client.
    assert victim.app.extensions[oidc_client._EXTENSION] is None
    assert attacker.hits == []
    assert _snapshot(victim.app) == before


def test_a_token_from_the_attackers_issuer_naming_the_dla_admin_links_nobody(victim, attacker):
    before = _snapshot(victim.app)
    claims = {"sub": attacker.subject, **attacker.person()}
    with victim.app.app_context():
        # The attacker's issuer, and this very app under another spelling or host name.
        for issuer in (attacker.url, victim.url + "/", victim.url.replace("127.0.0.1", "localhost")):
            with pytest.raises(PermissionDenied) as refused:
                accounts.sign_in_from_claims(issuer, claims)
            assert refused.value.details["reason"] == "untrusted_issuer"
        with pytest.raises(PermissionDenied):
            accounts.revalidate_from_claims(victim.ids.admin, attacker.url, claims)
    assert _snapshot(victim.app) == before


def _point_e_plan_at(victim, attacker) -> None:
    """e-Plan's discovery URL misconfigured (or its DNS hijacked) to the attacker's provider,
    while the issuer it trusts stays pinned to its own SSO."""
    victim.app.config.update(
        SSO_DISCOVERY_URL=f"{attacker.url}/.well-known/openid-configuration",
        SSO_ISSUER=victim.url,
    )


def test_a_discovery_document_naming_another_issuer_is_refused(victim, attacker):
    _point_e_plan_at(victim, attacker)
    before = _snapshot(victim.app)
    browser = requests.Session()
    start = browser.get(f"{victim.url}/auth/oidc/login", allow_redirects=False, timeout=10)
    # Refused at once: the browser is never sent to the attacker's authorize endpoint.
    assert start.status_code == 302 and urlsplit(start.headers["Location"]).path == "/auth/login"
    assert attacker.hits == ["/.well-known/openid-configuration"]
    assert not _signed_in(victim, browser)
    assert _snapshot(victim.app) == before


def test_an_id_token_naming_another_issuer_is_refused_even_when_discovery_claims_the_pinned_one(
    victim, attacker
):
    _point_e_plan_at(victim, attacker)
    attacker.discovery_issuer = victim.url  # it lies in its discovery document...
    before = _snapshot(victim.app)
    browser = requests.Session()
    # ...so e-Plan sends the browser there, and the attacker's provider sends it back with a code.
    response = browser.get(f"{victim.url}/auth/oidc/login", timeout=10)
    hops = [urlsplit(r.headers["Location"])[1:3] for r in response.history]
    assert hops[:2] == [
        (f"127.0.0.1:{attacker.port}", "/authorize"),
        (urlsplit(victim.url).netloc, "/auth/oidc/callback"),
    ]
    assert "/token" in attacker.hits
    # ...but its ID token names its real issuer, which is not the pinned one.
    assert urlsplit(response.url).path == "/auth/login"
    assert not _signed_in(victim, browser)
    assert _snapshot(victim.app) == before


def test_the_pinned_sso_still_signs_people_in(victim):
    """The control: through the configured SSO the same flow signs a person in, so the refusals
    above are not refusals of everything."""
    browser = requests.Session()
    sso_sign_in(browser, victim.server, victim.ids.planner_email)
    assert urlsplit(browser.get(f"{victim.url}/auth/oidc/login", timeout=10).url).path == "/"
    assert _signed_in(victim, browser)
    with victim.app.app_context():
        assert db.session.get(User, victim.ids.planner).sso_issuer == victim.url


# -- unknown Host, with the test client ----------------------------------------------------------
def test_an_unknown_host_gets_400_and_no_sign_in_cookie_or_audit(app, db, client):
    world = build_world()
    audit_before = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    for host in ("evil.example", "evil.example:80", "localhost.evil.example", ""):
        response = client.post(
            "/auth/login",
            headers={"Host": host},
            data={"username": world.dla_admin.username, "password": "pw"},
        )
        assert response.status_code == 400, host
        assert response.headers.getlist("Set-Cookie") == [] and "X-Request-ID" not in response.headers
    assert db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == audit_before
    assert db.session.get(User, world.dla_admin.id).last_login_at is None
    # A served host signs in; whatever port the Host names, the issuer stays the configured one.
    assert (
        client.post("/auth/login", data={"username": world.dla_admin.username, "password": "pw"}).status_code
        == 302
    )
    for host in ("localhost", "127.0.0.1:6666"):
        discovery = client.get("/.well-known/openid-configuration", headers={"Host": host}).get_json()
        assert discovery["issuer"] == app.config["BASE_URL"] == "http://localhost"
        assert discovery["jwks_uri"] == "http://localhost/oidc/jwks"


# -- configuration ------------------------------------------------------------------------------
def test_production_refuses_to_start_without_an_https_base_url():
    with pytest.raises(InsecureConfiguration, match="EPLAN_BASE_URL must be set"):
        make_app(**{**PRODUCTION_CONFIG, "BASE_URL": None})
    with pytest.raises(InsecureConfiguration, match="https"):
        make_app(**{**PRODUCTION_CONFIG, "BASE_URL": "http://eplan.example.go.th"})
    with pytest.raises(InsecureConfiguration, match="EPLAN_BASE_URL"):
        make_app(**{**PRODUCTION_CONFIG, "BASE_URL": "eplan.example.go.th"})


def test_every_address_derives_from_the_base_url_and_the_sso_issuer_is_pinned():
    app = make_app(**{**PRODUCTION_CONFIG, "BASE_URL": "https://eplan.example.go.th/", "TRUSTED_HOSTS": None})
    config = app.config
    assert (
        config["BASE_URL"] == config["OIDC_ISSUER"] == config["SSO_ISSUER"] == "https://eplan.example.go.th"
    )
    assert config["SSO_DISCOVERY_URL"] == "https://eplan.example.go.th/.well-known/openid-configuration"
    assert config["TRUSTED_HOSTS"] == ["eplan.example.go.th"]

    dla = make_app(
        **{
            **PRODUCTION_CONFIG,
            "BASE_URL": "https://eplan.example.go.th",
            "TRUSTED_HOSTS": "eplan-internal.example, .eplan.example.go.th",
            "SSO_DISCOVERY_URL": "https://sso.dla.go.th/realms/dla/.well-known/openid-configuration",
        }
    )
    assert dla.config["SSO_ISSUER"] == "https://sso.dla.go.th/realms/dla"
    assert dla.config["OIDC_ISSUER"] == "https://eplan.example.go.th"
    assert dla.config["TRUSTED_HOSTS"] == [
        "eplan.example.go.th",
        "eplan-internal.example",
        ".eplan.example.go.th",
    ]
    with pytest.raises(InsecureConfiguration, match="EPLAN_SSO_ISSUER must be set"):
        make_app(SSO_DISCOVERY_URL="https://sso.dla.go.th/discovery.json")


# -- signing keys: published from setup on, and before they sign ---------------------------------
@pytest.mark.real_commits
def test_the_jwks_holds_a_key_right_after_setup_before_any_token_is_signed(app, db, client):
    result = app.test_cli_runner().invoke(args=["eplan", "setup"])
    assert result.exit_code == 0, result.output
    row = db.session.execute(select(SigningKey)).scalar_one()
    assert row.kid in result.output and row.sign_after <= utcnow() < row.retire_after
    assert db.session.execute(select(func.count()).select_from(OAuth2Token)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(OAuth2AuthorizationCode)).scalar_one() == 0
    published = client.get("/oidc/jwks").get_json()["keys"]
    assert [k["kid"] for k in published] == [row.kid] and "d" not in published[0]
    # Setting up again does not replace it.
    assert app.test_cli_runner().invoke(args=["eplan", "setup"]).exit_code == 0
    assert [k.kid for k in keys.published_keys()] == [row.kid]


def test_a_relying_party_reading_the_jwks_before_any_sign_in_never_finds_it_empty(app, db, client):
    assert db.session.execute(select(func.count()).select_from(SigningKey)).scalar_one() == 0
    published = client.get("/oidc/jwks").get_json()["keys"]
    assert len(published) == 1
    assert keys.signing_key().kid == published[0]["kid"]


LEAD_SECONDS = 5


@pytest.fixture
def sso(make_live_server):
    server = make_live_server(OIDC_SIGNING_KEY_PUBLICATION_SECONDS=LEAD_SECONDS)
    with server.app.app_context():
        world = build_world()
        active_account(world.planner, world.sao_a)
        approved_access(world.planner, world.sao_a, "plain-rp", "planner")
        from eplan_flow.services.identity.oidc_clients import ensure_client

        ensure_client("plain-rp", name="RP", redirect_uris=[f"{server.url}/rp/cb"], allowed_roles=["planner"])
        planner = world.planner.id
    return SimpleNamespace(
        app=server.app,
        url=server.url,
        planner=planner,
        rp=PlainRelyingParty(server.url, "plain-rp", f"{server.url}/rp/cb"),
    )


def _kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_a_rotation_publishes_the_next_key_before_it_signs_and_the_old_key_keeps_verifying(sso):
    first, first_claims = sso.rp.sign_in(browser_signed_in(sso.app, sso.planner))
    old_kid = _kid(first["id_token"])
    with sso.app.app_context():
        new = keys.rotate_signing_key()
        new_kid, signs_from = new.kid, new.sign_after
        assert signs_from - utcnow() > timedelta(seconds=LEAD_SECONDS - 1)
    # A relying party that caches the JWKS reads it now, once, and never again.
    cached = jwt.PyJWKSet.from_dict(requests.get(sso.rp.config["jwks_uri"], timeout=10).json())
    assert {k.key_id for k in cached.keys} == {old_kid, new_kid}

    # Until the publication lead has passed, the old key still signs.
    before, _ = sso.rp.sign_in(browser_signed_in(sso.app, sso.planner))
    assert _kid(before["id_token"]) == old_kid
    time.sleep(max(0.0, (signs_from - utcnow()).total_seconds()) + 0.2)
    after, after_claims = sso.rp.sign_in(browser_signed_in(sso.app, sso.planner))
    assert _kid(after["id_token"]) == new_kid

    def verify(token: str, nonce: str) -> dict:
        key = next(k for k in cached.keys if k.key_id == _kid(token))
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="plain-rp", issuer=sso.url)
        assert claims["nonce"] == nonce
        return claims

    # The cached set verifies the new key's token, and the old key's token still verifies.
    assert verify(after["id_token"], after_claims["nonce"])["sub"] == str(sso.planner)
    assert verify(first["id_token"], first_claims["nonce"])["sub"] == str(sso.planner)
    assert sso.rp.verify_id_token(first["id_token"], first_claims["nonce"])["sub"] == str(sso.planner)
    with sso.app.app_context():
        actions = (
            db.session.execute(
                select(AuditEvent.data).where(AuditEvent.chain == keys.AUDIT_CHAIN).order_by(AuditEvent.seq)
            )
            .scalars()
            .all()
        )
        assert [a["kid"] for a in actions] == [old_kid, new_kid]


def test_a_key_near_its_retirement_gets_its_successor_published_ahead(app, db):
    current = keys.ensure_keys()
    lead = timedelta(seconds=app.config["OIDC_SIGNING_KEY_PUBLICATION_SECONDS"])
    # The current key's time is nearly up (as 30 days after it began).
    current.retire_after = utcnow() + lead / 2
    current.delete_after = current.retire_after + timedelta(minutes=10)
    db.session.commit()
    published = [k["kid"] for k in keys.jwks()["keys"]]
    successor = db.session.execute(select(SigningKey).where(SigningKey.kid != current.kid)).scalar_one()
    assert published == [current.kid, successor.kid]
    assert successor.sign_after == current.retire_after and keys.signing_key().kid == current.kid
    # Asked again, nothing more is made.
    keys.jwks()
    assert db.session.execute(select(func.count()).select_from(SigningKey)).scalar_one() == 2

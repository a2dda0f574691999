"""Acceptance (issue 3): a relying party written with plain HTTP and PyJWT, not Authlib, signs a
person in through the SSO over real HTTP, and every refusal is clear and issues nothing."""

from __future__ import annotations

import time
from datetime import UTC
from types import SimpleNamespace

import jwt
import pytest
import requests
from sqlalchemy import func, select, update

from eplan_flow.extensions import db
from eplan_flow.models import Account, OAuth2AuthorizationCode, OAuth2Token, SystemAccess
from eplan_flow.services.identity import keys
from eplan_flow.services.identity.oidc_clients import ensure_client
from tests.factories import build_world
from tests.identity.oidc.helpers import PlainRelyingParty, active_account, approved_access, browser_signed_in

SECRET = "confidential-rp-secret-of-the-test-0123456789"


@pytest.fixture
def sso(live_server):
    return _scene(live_server)


def _scene(server):
    app, url = server.app, server.url
    with app.app_context():
        world = build_world()
        active_account(world.planner, world.sao_a)
        approved_access(world.planner, world.sao_a, "plain-rp", "planner")
        # Approved for another system: must not leak into this one's claims.
        approved_access(world.planner, world.sao_a, "other-system", "executive")
        active_account(world.executive, world.sao_a, status="suspended")
        for client_id, secret in (("plain-rp", None), ("plain-confidential", SECRET)):
            ensure_client(
                client_id,
                name=f"RP {client_id}",
                redirect_uris=[f"{url}/rp/{client_id}/callback"],
                post_logout_redirect_uris=[f"{url}/rp/{client_id}/bye"],
                secret=secret,
                allowed_roles=["planner", "executive"],
            )
        scene = SimpleNamespace(
            url=url,
            app=app,
            planner=world.planner.id,
            executive=world.executive.id,
            org_code=world.sao_a.code,
            org_name=world.sao_a.name_th,
            full_name=world.planner.full_name,
            email=world.planner.email,
        )
    scene.public = PlainRelyingParty(url, "plain-rp", f"{url}/rp/plain-rp/callback")
    scene.confidential = PlainRelyingParty(
        url, "plain-confidential", f"{url}/rp/plain-confidential/callback", SECRET
    )
    return scene


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_discovery_names_the_endpoints_pkce_s256_and_the_claims(sso):
    config = sso.public.config
    assert config["issuer"] == sso.url
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "end_session_endpoint",
    ):
        assert config[key].startswith(sso.url + "/")
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert set(config["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "none"}
    assert set(config["scopes_supported"]) == {"openid", "profile", "email", "eplan"}
    assert {"sub", "org_code", "org_name", "roles"} <= set(config["claims_supported"])
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]


def test_a_public_client_completes_code_and_pkce_verifies_the_id_token_and_reads_userinfo(sso):
    browser = browser_signed_in(sso.app, sso.planner, auth_time=int(time.time()) - 30)
    response, pending = sso.public.authorize(browser)
    code = sso.public.code_from(response, pending)

    tokens = sso.public.exchange(code, pending.verifier)
    assert tokens.status_code == 200, tokens.text
    assert tokens.headers["Cache-Control"] == "no-store"
    body = tokens.json()
    assert (
        body["token_type"] == "Bearer" and body["expires_in"] == sso.app.config["OIDC_ACCESS_TOKEN_LIFETIME"]
    )
    assert {"access_token", "refresh_token", "id_token"} <= set(body)

    header = jwt.get_unverified_header(body["id_token"])
    assert header["alg"] == "RS256" and header["kid"]
    claims = sso.public.verify_id_token(body["id_token"], pending.nonce)
    assert claims["sub"] == str(sso.planner)
    assert claims["aud"] == "plain-rp"
    assert claims["exp"] > time.time()
    assert abs(claims["auth_time"] - (time.time() - 30)) < 5
    assert claims["org_code"] == sso.org_code and claims["org_name"] == sso.org_name
    assert claims["roles"] == ["planner"]
    assert claims["name"] == sso.full_name and claims["email"] == sso.email

    info = sso.public.userinfo(body["access_token"])
    assert info.status_code == 200
    assert info.json() == {k: claims[k] for k in info.json()}
    assert {"sub", "name", "email", "org_code", "org_name", "roles"} <= set(info.json())

    # Only digests are stored: the tokens and the code appear in no row.
    with sso.app.app_context():
        rows = db.session.execute(select(OAuth2Token.access_token, OAuth2Token.refresh_token)).all()
        codes = db.session.execute(select(OAuth2AuthorizationCode.code)).scalars().all()
    assert all(body["access_token"] not in r and body["refresh_token"] not in r for r in rows)
    assert code not in codes and len(codes) == 1


def test_a_confidential_client_authenticates_with_client_secret_basic(sso):
    browser = browser_signed_in(sso.app, sso.planner)
    body, claims = sso.confidential.sign_in(browser)
    assert claims["aud"] == "plain-confidential"
    # Accesses are per system: nothing was approved for this one.
    assert claims["roles"] == []
    assert sso.confidential.userinfo(body["access_token"]).status_code == 200


def test_a_reused_code_is_refused_and_revokes_the_tokens_it_gave(sso):
    browser = browser_signed_in(sso.app, sso.planner)
    response, pending = sso.public.authorize(browser)
    code = sso.public.code_from(response, pending)
    first = sso.public.exchange(code, pending.verifier)
    assert first.status_code == 200

    again = sso.public.exchange(code, pending.verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert "id_token" not in again.json() and "access_token" not in again.json()
    assert _count(sso.app, OAuth2Token) == 1
    assert sso.public.userinfo(first.json()["access_token"]).status_code == 401
    assert sso.public.refresh(first.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(sso):
    browser = browser_signed_in(sso.app, sso.planner)
    response, pending = sso.public.authorize(browser)
    code = sso.public.code_from(response, pending)
    with sso.app.app_context():
        db.session.execute(update(OAuth2AuthorizationCode).values(expires_at=int(time.time()) - 1))
        db.session.commit()
    refused = sso.public.exchange(code, pending.verifier)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert _count(sso.app, OAuth2Token) == 0


def test_a_redirect_uri_that_is_not_registered_gets_a_page_and_no_redirect(sso):
    browser = browser_signed_in(sso.app, sso.planner)
    response, _ = sso.public.authorize(browser, redirect_uri="https://evil.example/callback", lang="en")
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "not registered" in response.text and "evil.example" not in response.headers.get("Location", "")
    assert _count(sso.app, OAuth2AuthorizationCode) == 0


def test_a_redirect_uri_different_at_the_token_call_is_refused(sso):
    browser = browser_signed_in(sso.app, sso.planner)
    response, pending = sso.public.authorize(browser)
    code = sso.public.code_from(response, pending)
    refused = sso.public.exchange(
        code, pending.verifier, redirect_uri=f"{sso.url}/rp/plain-confidential/callback"
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert _count(sso.app, OAuth2Token) == 0


def test_a_wrong_pkce_verifier_is_refused(sso):
    browser = browser_signed_in(sso.app, sso.planner)
    response, pending = sso.public.authorize(browser)
    code = sso.public.code_from(response, pending)
    refused = sso.public.exchange(code, pending.verifier[:-4] + "abcd")
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant", "error_description": "Code challenge failed."}
    missing = sso.public.exchange(code, None)
    assert missing.status_code == 400 and missing.json()["error"] in ("invalid_request", "invalid_grant")
    assert _count(sso.app, OAuth2Token) == 0


def test_a_public_client_without_pkce_or_with_plain_pkce_is_sent_back_with_an_error(sso):
    browser = browser_signed_in(sso.app, sso.planner)
    for params in (
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain"},
    ):
        response, pending = sso.public.authorize(browser, **params)
        answer = sso.public.callback_params(response)
        assert answer["error"] == "invalid_request" and answer["state"] == pending.state
        assert "code" not in answer
    assert _count(sso.app, OAuth2AuthorizationCode) == 0


def test_a_wrong_client_secret_is_refused_with_401(sso):
    browser = browser_signed_in(sso.app, sso.planner)
    response, pending = sso.confidential.authorize(browser)
    code = sso.confidential.code_from(response, pending)
    impostor = PlainRelyingParty(
        sso.url, "plain-confidential", sso.confidential.redirect_uri, "not-the-secret"
    )
    refused = impostor.exchange(code, pending.verifier)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    # A confidential client cannot pass as a public one either.
    as_public = PlainRelyingParty(sso.url, "plain-confidential", sso.confidential.redirect_uri)
    assert as_public.exchange(code, pending.verifier).json()["error"] == "invalid_client"
    assert _count(sso.app, OAuth2Token) == 0


def test_a_revoked_access_token_is_refused_at_userinfo(sso):
    body, _ = sso.public.sign_in(browser_signed_in(sso.app, sso.planner))
    assert sso.public.userinfo(body["access_token"]).status_code == 200
    revoked = sso.public.revoke(body["access_token"], hint="access_token")
    assert revoked.status_code == 200
    refused = sso.public.userinfo(body["access_token"])
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_revoking_the_refresh_token_ends_the_grant(sso):
    body, _ = sso.confidential.sign_in(browser_signed_in(sso.app, sso.planner))
    assert sso.confidential.revoke(body["refresh_token"]).status_code == 200
    assert sso.confidential.refresh(body["refresh_token"]).json()["error"] == "invalid_grant"
    assert sso.confidential.userinfo(body["access_token"]).status_code == 401


def test_an_account_that_is_not_active_gets_a_clear_page_and_no_code(sso):
    browser = browser_signed_in(sso.app, sso.executive)
    response, _ = sso.public.authorize(browser, lang="en")
    assert response.status_code == 403 and "Location" not in response.headers
    assert "needs an active Single Sign-On account" in response.text and "Suspended" in response.text
    assert _count(sso.app, OAuth2AuthorizationCode) == 0


def test_refresh_rotates_the_refresh_token_and_recomputes_the_roles(sso):
    body, claims = sso.public.sign_in(browser_signed_in(sso.app, sso.planner))
    assert claims["roles"] == ["planner"]
    with sso.app.app_context():
        db.session.execute(
            update(SystemAccess).where(SystemAccess.client_id == "plain-rp").values(status="revoked")
        )
        db.session.commit()

    refreshed = sso.public.refresh(body["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["refresh_token"] != body["refresh_token"]
    renewed = sso.public.verify_id_token(new["id_token"], None)
    assert renewed["roles"] == [] and renewed["auth_time"] == claims["auth_time"]
    assert sso.public.userinfo(new["access_token"]).json()["roles"] == []
    assert sso.public.userinfo(body["access_token"]).status_code == 401

    # The old refresh token used again: someone holds a copy, so the whole lineage is revoked.
    replay = sso.public.refresh(body["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert sso.public.userinfo(new["access_token"]).status_code == 401
    assert sso.public.refresh(new["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_is_refused_once_the_account_is_suspended(sso):
    body, _ = sso.public.sign_in(browser_signed_in(sso.app, sso.planner))
    with sso.app.app_context():
        db.session.execute(update(Account).values(status="suspended"))
        db.session.commit()
    refused = sso.public.refresh(body["refresh_token"])
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant", "error_description": "The account is not active."}
    assert sso.public.userinfo(body["access_token"]).status_code == 401


def test_after_a_key_rotation_old_tokens_still_verify_and_new_ones_use_the_new_key(sso):
    first, first_claims = sso.public.sign_in(browser_signed_in(sso.app, sso.planner))
    old_kid = jwt.get_unverified_header(first["id_token"])["kid"]
    with sso.app.app_context():
        # At once, as after a suspected compromise (a scheduled rotation publishes it a day ahead).
        new_kid = keys.rotate_signing_key(immediate=True).kid
    assert new_kid != old_kid

    second, _ = sso.public.sign_in(browser_signed_in(sso.app, sso.planner))
    assert jwt.get_unverified_header(second["id_token"])["kid"] == new_kid
    published = {k["kid"] for k in requests.get(sso.public.config["jwks_uri"], timeout=10).json()["keys"]}
    assert published == {old_kid, new_kid}
    assert sso.public.verify_id_token(first["id_token"], first_claims["nonce"])["sub"] == str(sso.planner)

    # Once every token the old key signed has expired, it leaves the JWKS.
    with sso.app.app_context():
        from datetime import datetime

        from eplan_flow.models import SigningKey

        db.session.execute(
            update(SigningKey).where(SigningKey.kid == old_kid).values(delete_after=datetime.now(UTC))
        )
        db.session.commit()
    published = {k["kid"] for k in requests.get(sso.public.config["jwks_uri"], timeout=10).json()["keys"]}
    assert published == {new_kid}
    with pytest.raises(jwt.exceptions.PyJWKClientError):
        sso.public.verify_id_token(first["id_token"], first_claims["nonce"])


def test_rp_initiated_logout_ends_the_sso_session_revokes_its_tokens_and_returns_to_the_rp(sso):
    browser = browser_signed_in(sso.app, sso.planner)
    body, _ = sso.public.sign_in(browser)
    response = browser.get(
        sso.public.config["end_session_endpoint"],
        allow_redirects=False,
        timeout=10,
        params={
            "id_token_hint": body["id_token"],
            "post_logout_redirect_uri": f"{sso.url}/rp/plain-rp/bye",
            "state": "s1",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{sso.url}/rp/plain-rp/bye?state=s1"
    assert sso.public.userinfo(body["access_token"]).status_code == 401
    assert sso.public.refresh(body["refresh_token"]).json()["error"] == "invalid_grant"
    # The browser is signed out of the SSO: the next sign-in goes to the SSO's login page.
    again, _ = sso.public.authorize(browser)
    assert again.status_code == 302 and "/sso/login?next=" in again.headers["Location"]


def test_logout_never_redirects_to_an_unregistered_address(sso):
    browser = browser_signed_in(sso.app, sso.planner)
    body, _ = sso.public.sign_in(browser)
    response = browser.get(
        sso.public.config["end_session_endpoint"],
        allow_redirects=False,
        timeout=10,
        params={
            "id_token_hint": body["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
            "lang": "en",
        },
    )
    assert response.status_code == 200 and "Location" not in response.headers
    assert "signed out of the Single Sign-On" in response.text
    forged = browser.get(
        sso.public.config["end_session_endpoint"],
        allow_redirects=False,
        timeout=10,
        params={"id_token_hint": body["id_token"][:-6] + "AAAAAA", "lang": "en"},
    )
    assert forged.status_code == 400 and "Location" not in forged.headers


def test_the_machine_endpoints_work_with_csrf_protection_on_as_in_production(make_live_server):
    sso = _scene(make_live_server(WTF_CSRF_ENABLED=True))
    body, _ = sso.confidential.sign_in(browser_signed_in(sso.app, sso.planner))
    assert sso.confidential.refresh(body["refresh_token"]).status_code == 200
    assert (
        requests.post(
            sso.confidential.config["userinfo_endpoint"],
            timeout=10,
            headers={"Authorization": f"Bearer {body['access_token']}"},
        ).status_code
        == 401
    )
    assert sso.confidential.revoke(body["refresh_token"]).status_code == 200
    logout = requests.post(
        sso.confidential.config["end_session_endpoint"],
        allow_redirects=False,
        timeout=10,
        data={
            "id_token_hint": body["id_token"],
            "post_logout_redirect_uri": f"{sso.url}/rp/plain-confidential/bye",
        },
    )
    assert logout.status_code == 302 and logout.headers["Location"] == f"{sso.url}/rp/plain-confidential/bye"

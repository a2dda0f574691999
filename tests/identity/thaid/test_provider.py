"""The stand-in ThaiD as a relying party sees it: plain HTTP and PyJWT, no Authlib."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from eplan_flow.services.identity.citizen_id import is_valid
from eplan_flow.thaid_dev.citizens import BY_KEY, SAMPLE_CITIZENS
from eplan_flow.thaid_dev.store import MemoryStore
from tests.conftest import PRODUCTION_CONFIG, make_app

CLIENT_ID, SECRET = "eplan-sso-dev", "thaid-dev-secret"
FULL_SCOPE = "openid pid name name_en title given_name family_name birthdate"


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class RelyingParty:
    """Just enough of a relying party: authorization request, the person's pick, token call."""

    def __init__(self, server, scope: str = FULL_SCOPE):
        self.url = server.url
        self.redirect_uri = f"{server.url}/sso/verify/thaid/callback"
        self.scope = scope
        self.meta = requests.get(
            f"{server.url}/dev/thaid/.well-known/openid-configuration", timeout=10
        ).json()
        self.browser = requests.Session()
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.verifier = secrets.token_urlsafe(48)

    def authorization_url_params(self, **overrides) -> dict:
        params = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": _s256(self.verifier),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def pick(self, citizen: str = "somchai", **overrides) -> requests.Response:
        """Open the sign-in page and press the citizen's button; return the redirect back."""
        params = self.authorization_url_params(**overrides)
        page = self.browser.get(self.meta["authorization_endpoint"], params=params, timeout=10)
        assert page.status_code == 200, page.text[:300]
        return self.browser.post(page.url, data={"citizen": citizen}, allow_redirects=False, timeout=10)

    def code(self, citizen: str = "somchai", **overrides) -> str:
        back = self.pick(citizen, **overrides)
        assert back.status_code == 303
        query = parse_qs(urlsplit(back.headers["Location"]).query)
        assert query["state"] == [self.state]
        return query["code"][0]

    def exchange(
        self,
        code: str,
        *,
        verifier: str | None = "default",
        post_auth: bool = False,
        secret: str = SECRET,
        redirect_uri: str | None = None,
    ) -> requests.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri or self.redirect_uri,
        }
        if verifier is not None:
            data["code_verifier"] = self.verifier if verifier == "default" else verifier
        auth = None
        if post_auth:
            data.update(client_id=CLIENT_ID, client_secret=secret)
        else:
            auth = (CLIENT_ID, secret)
        return requests.post(self.meta["token_endpoint"], data=data, auth=auth, timeout=10)

    def verified_id_token(self, token_response: requests.Response) -> dict:
        keys = jwt.PyJWKClient(self.meta["jwks_uri"])
        id_token = token_response.json()["id_token"]
        claims = jwt.decode(
            id_token,
            keys.get_signing_key_from_jwt(id_token).key,
            algorithms=["RS256"],
            audience=CLIENT_ID,
            issuer=self.meta["issuer"],
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
        assert claims["nonce"] == self.nonce
        return claims


def test_every_sample_citizen_has_a_valid_citizen_id_and_a_distinct_subject():
    assert len(SAMPLE_CITIZENS) >= 5
    assert all(is_valid(c.pid) for c in SAMPLE_CITIZENS)
    assert (
        len({c.pid for c in SAMPLE_CITIZENS}) == len({c.sub for c in SAMPLE_CITIZENS}) == len(SAMPLE_CITIZENS)
    )
    assert all(c.pid not in c.sub for c in SAMPLE_CITIZENS)


def test_discovery_names_the_issuer_under_dev_thaid_and_its_endpoints(live_server):
    meta = requests.get(f"{live_server.url}/dev/thaid/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == f"{live_server.url}/dev/thaid"
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert meta[key].startswith(f"{live_server.url}/dev/thaid/")
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    keys = requests.get(meta["jwks_uri"], timeout=10).json()["keys"]
    assert [(k["kty"], k["alg"], k["use"]) for k in keys] == [("RSA", "RS256", "sig")] and "d" not in keys[0]


def test_the_sign_in_page_lists_the_sample_citizens_with_their_thai_names(live_server):
    rp = RelyingParty(live_server)
    page = rp.browser.get(rp.meta["authorization_endpoint"], params=rp.authorization_url_params(), timeout=10)
    assert page.status_code == 200
    for citizen in SAMPLE_CITIZENS:
        assert citizen.name in page.text and citizen.pid in page.text


def test_a_plain_relying_party_completes_the_code_flow_with_pkce_and_verifies_the_id_token(live_server):
    rp = RelyingParty(live_server)
    response = rp.exchange(rp.code("malee"))
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    claims = rp.verified_id_token(response)
    malee = BY_KEY["malee"]
    assert claims["sub"] == malee.sub
    released = ("pid", "name", "name_en", "title", "given_name", "family_name", "birthdate")
    assert {k: claims[k] for k in released} == {
        "pid": "3100500123458",
        "title": "นาง",
        "name": "นางมาลี ศรีสุข",
        "name_en": "Mrs. Malee Srisuk",
        "given_name": "มาลี",
        "family_name": "ศรีสุข",
        "birthdate": "1975-11-02",
    }
    assert claims["iat"] <= time.time() < claims["exp"]
    userinfo = requests.get(
        rp.meta["userinfo_endpoint"], timeout=10, headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert userinfo.status_code == 200
    assert userinfo.json() == {k: claims[k] for k in userinfo.json()}
    assert userinfo.json()["pid"] == malee.pid


def test_the_token_endpoint_also_takes_client_secret_post_and_releases_only_the_scopes_asked(live_server):
    rp = RelyingParty(live_server, scope="openid pid")
    response = rp.exchange(rp.code("anan"), post_auth=True)
    assert response.status_code == 200, response.text
    claims = rp.verified_id_token(response)
    assert claims["pid"] == BY_KEY["anan"].pid
    assert "name" not in claims and "birthdate" not in claims


def test_a_code_is_exchanged_once_and_its_replay_revokes_the_access_token_it_gave(live_server):
    rp = RelyingParty(live_server)
    code = rp.code()
    first = rp.exchange(code)
    assert first.status_code == 200
    access = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert requests.get(rp.meta["userinfo_endpoint"], headers=access, timeout=10).status_code == 200
    replay = rp.exchange(code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert "id_token" not in replay.json()
    after = requests.get(rp.meta["userinfo_endpoint"], headers=access, timeout=10)
    assert after.status_code == 401 and "invalid_token" in after.headers["WWW-Authenticate"]


@pytest.mark.parametrize("verifier", [None, "x" * 43, "short"])
def test_a_missing_or_wrong_pkce_verifier_is_refused_and_burns_the_code(live_server, verifier):
    rp = RelyingParty(live_server)
    code = rp.code()
    refused = rp.exchange(code, verifier=verifier)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert rp.exchange(code).json()["error"] == "invalid_grant"


def test_a_verifier_without_a_challenge_in_the_authorization_request_is_refused(live_server):
    rp = RelyingParty(live_server)
    code = rp.code(code_challenge=None, code_challenge_method=None)
    refused = rp.exchange(code)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_a_wrong_client_secret_or_another_redirect_uri_gets_no_tokens(live_server):
    rp = RelyingParty(live_server)
    wrong_secret = rp.exchange(rp.code(), secret="not-the-secret")
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    wrong_redirect = rp.exchange(rp.code(), redirect_uri=f"{live_server.url}/elsewhere")
    assert wrong_redirect.status_code == 400 and wrong_redirect.json()["error"] == "invalid_grant"


def test_an_unregistered_client_or_redirect_uri_gets_an_error_page_and_no_redirect(live_server):
    rp = RelyingParty(live_server)
    for overrides in ({"client_id": "someone-else"}, {"redirect_uri": "https://evil.example/cb"}):
        page = rp.browser.get(
            rp.meta["authorization_endpoint"],
            params=rp.authorization_url_params(**overrides),
            allow_redirects=False,
            timeout=10,
        )
        assert page.status_code == 400 and "Location" not in page.headers
        posted = rp.browser.post(page.url, data={"citizen": "somchai"}, allow_redirects=False, timeout=10)
        assert posted.status_code == 400 and "Location" not in posted.headers


def test_a_plain_pkce_challenge_or_a_request_without_openid_goes_back_as_an_error(live_server):
    rp = RelyingParty(live_server)
    for overrides, error in (
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "pid"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ):
        back = rp.browser.get(
            rp.meta["authorization_endpoint"],
            params=rp.authorization_url_params(**overrides),
            allow_redirects=False,
            timeout=10,
        )
        assert back.status_code == 302
        query = parse_qs(urlsplit(back.headers["Location"]).query)
        assert query["error"] == [error] and query["state"] == [rp.state] and "code" not in query


def test_cancelling_at_the_stand_in_sends_access_denied_back(live_server):
    rp = RelyingParty(live_server)
    page = rp.browser.get(rp.meta["authorization_endpoint"], params=rp.authorization_url_params(), timeout=10)
    back = rp.browser.post(page.url, data={"deny": "1"}, allow_redirects=False, timeout=10)
    query = parse_qs(urlsplit(back.headers["Location"]).query)
    assert back.headers["Location"].startswith(rp.redirect_uri)
    assert query["error"] == ["access_denied"] and query["state"] == [rp.state] and "code" not in query


def test_an_expired_code_is_refused(make_live_server):
    server = make_live_server(THAID_DEV_CODE_LIFETIME=1)
    rp = RelyingParty(server)
    code = rp.code()
    time.sleep(2.1)
    refused = rp.exchange(code)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_userinfo_without_a_valid_bearer_token_is_refused(live_server):
    meta = requests.get(f"{live_server.url}/dev/thaid/.well-known/openid-configuration", timeout=10).json()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic Zm9vOmJhcg=="}):
        response = requests.get(meta["userinfo_endpoint"], headers=headers, timeout=10)
        assert response.status_code == 401 and response.json() == {"error": "invalid_token"}


def test_production_configuration_serves_no_stand_in_thaid(_schema):
    app = make_app(**PRODUCTION_CONFIG)
    assert not [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/dev/thaid")]
    assert "eplan_flow.thaid_dev" not in app.extensions
    assert app.config["THAID_CLIENT_ID"] is None
    assert (
        app.config["THAID_DISCOVERY_URL"] == "https://imauth.bora.dopa.go.th/.well-known/openid-configuration"
    )
    client = app.test_client()
    for path in ("/dev/thaid/.well-known/openid-configuration", "/dev/thaid/jwks", "/dev/thaid/authorize"):
        assert client.get(path).status_code == 404
    assert client.post("/dev/thaid/token", data={"grant_type": "authorization_code"}).status_code == 404


def test_development_configuration_points_the_thaid_client_at_the_stand_in_when_it_has_no_credentials(
    _schema,
):
    app = make_app(ENV_NAME="development")
    assert app.config["THAID_DEV_PROVIDER_ENABLED"] is True
    assert app.config["THAID_DISCOVERY_URL"] == "/dev/thaid/.well-known/openid-configuration"
    assert app.config["THAID_CLIENT_ID"] and app.config["THAID_CLIENT_SECRET"]
    with_credentials = make_app(ENV_NAME="development", THAID_CLIENT_ID="from-dopa", THAID_CLIENT_SECRET="s")
    assert with_credentials.config["THAID_DISCOVERY_URL"].startswith("https://imauth.bora.dopa.go.th/")


def test_the_in_memory_store_hands_out_a_value_once_and_forgets_it_when_it_expires():
    store = MemoryStore()
    store.put("code:a", {"n": 1}, ttl=60)
    assert store.take("code:a") == {"n": 1}
    assert store.take("code:a") is None
    store.put("code:b", {"n": 2}, ttl=1)
    time.sleep(1.1)
    assert store.get("code:b") is None
    assert store.add("k", {"v": 1}) and not store.add("k", {"v": 2})
    assert json.dumps(store.get("k")) == '{"v": 1}'


def test_without_redis_the_stand_in_keeps_codes_in_memory_and_still_refuses_a_replay(make_live_server):
    server = make_live_server(REDIS_URL=None)
    assert isinstance(server.app.extensions["eplan_flow.thaid_dev"], MemoryStore)
    rp = RelyingParty(server)
    code = rp.code("kittipong")
    first = rp.exchange(code)
    assert rp.verified_id_token(first)["pid"] == BY_KEY["kittipong"].pid
    assert rp.exchange(code).json()["error"] == "invalid_grant"

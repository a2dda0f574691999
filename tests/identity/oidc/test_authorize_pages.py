"""The browser side of the provider: where people are sent to sign in, consent, refusals, logout."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from eplan_flow.models import OAuth2AuthorizationCode, OAuth2Token
from eplan_flow.services.identity.oidc_clients import ensure_client, set_client_active
from eplan_flow.services.identity.tokens import session_digest
from tests.identity.oidc.helpers import active_account, s256, sso_session

CALLBACK = "https://rp.example/callback"
VERIFIER = "v" * 50


@pytest.fixture
def scene(world, db):
    active_account(world.planner, world.sao_a)
    ensure_client("rp", name="Trusted RP", redirect_uris=[CALLBACK], allowed_roles=["planner"])
    ensure_client("third", name="Third-party RP", redirect_uris=[CALLBACK], trusted=False)
    return world


def _authorize(client, client_id="rp", method="get", data=None, **params):
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid profile eplan",
        "state": "st",
        "nonce": "n1",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        **params,
    }
    query = {k: v for k, v in query.items() if v is not None}
    return client.open("/oidc/authorize", method=method.upper(), query_string=query, data=data)


def _sign_in(client, user, **kwargs):
    with client.session_transaction() as session:
        session.update(sso_session(user.id, **kwargs))


def _codes(db) -> int:
    return db.session.execute(select(func.count()).select_from(OAuth2AuthorizationCode)).scalar_one()


def _callback(response) -> dict:
    assert response.status_code == 302 and response.location.startswith(CALLBACK + "?"), response.location
    return {k: v[0] for k, v in parse_qs(urlsplit(response.location).query).items()}


def test_without_an_sso_session_the_person_is_sent_to_the_sso_login_and_back(scene, client, db):
    response = _authorize(client)
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/sso/login"
    back = parse_qs(target.query)["next"][0]
    assert back.startswith("/oidc/authorize?") and "client_id=rp" in back and "state=st" in back
    assert _codes(db) == 0


def test_prompt_login_and_an_old_sign_in_beyond_max_age_ask_for_the_password_again(scene, client, db):
    _sign_in(client, scene.planner, auth_time=int(time.time()) - 600)
    for params in ({"prompt": "login"}, {"max_age": "60"}):
        response = _authorize(client, **params)
        target = urlsplit(response.location)
        assert target.path == "/sso/reauth"
        back = parse_qs(target.query)["next"][0]
        # Coming back after the password, the request no longer asks for it (no loop).
        assert "prompt" not in back and "max_age" not in back
    assert "code" in _callback(_authorize(client, max_age="3600"))


def test_prompt_none_without_a_session_answers_login_required_to_the_client(scene, client, db):
    answer = _callback(_authorize(client, prompt="none"))
    assert answer == {"error": "login_required", "state": "st"}
    assert _codes(db) == 0


def test_unknown_and_switched_off_clients_get_a_page_not_a_redirect(scene, client, db):
    _sign_in(client, scene.planner)
    unknown = _authorize(client, client_id="nobody", lang="en")
    assert unknown.status_code == 400 and "not registered" in unknown.get_data(as_text=True)
    rp = db.session.execute(select(OAuth2Token).limit(1)).first()
    assert rp is None
    from eplan_flow.models import OAuth2Client

    row = db.session.execute(select(OAuth2Client).filter_by(client_id="rp")).scalar_one()
    set_client_active(scene.dla_admin, row.id, False)
    off = _authorize(client, lang="en")
    assert off.status_code == 403 and "switched off" in off.get_data(as_text=True)
    assert off.location is None and _codes(db) == 0


def test_thai_is_the_language_of_the_refusal_pages_by_default(scene, client):
    page = _authorize(client, client_id="nobody")
    assert page.status_code == 400 and '<html lang="th">' in page.get_data(as_text=True)


def test_a_third_party_client_asks_for_consent_and_a_refusal_issues_nothing(scene, client, db):
    _sign_in(client, scene.planner)
    page = _authorize(client, client_id="third", lang="en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Allow Third-party RP to know who you are?" in html
    assert "your organisation and the roles approved for you" in html and _codes(db) == 0

    denied = _callback(_authorize(client, client_id="third", method="post", data={"deny": "1"}))
    assert denied["error"] == "access_denied" and "code" not in denied and _codes(db) == 0
    allowed = _callback(_authorize(client, client_id="third", method="post", data={"allow": "1"}))
    assert allowed["state"] == "st" and allowed["code"] and _codes(db) == 1


def test_a_trusted_client_gets_a_code_at_once_bound_to_the_sso_session(scene, client, db):
    _sign_in(client, scene.planner, sid="browser-session-1")
    answer = _callback(_authorize(client))
    assert answer["state"] == "st"
    row = db.session.execute(select(OAuth2AuthorizationCode)).scalar_one()
    assert row.user_id == scene.planner.id and row.sso_sid == session_digest("browser-session-1")
    assert row.code != answer["code"] and row.code_challenge_method == "S256"


def test_logout_without_an_id_token_asks_first_then_signs_out(scene, client, db):
    _sign_in(client, scene.planner, sid="s-2")
    db.session.add(
        OAuth2Token(
            client_id="rp",
            user_id=scene.planner.id,
            token_type="Bearer",
            access_token="a" * 64,
            refresh_token="r" * 64,
            family="f",
            sso_sid=session_digest("s-2"),
            expires_in=300,
        )
    )
    db.session.commit()
    ask = client.get("/oidc/logout?lang=en")
    assert ask.status_code == 200 and "Sign out of the Single Sign-On?" in ask.get_data(as_text=True)
    with client.session_transaction() as session:
        assert session["sso_uid"] == scene.planner.id
    done = client.post("/oidc/logout?lang=en", data={"confirm": "1"})
    assert done.status_code == 200 and "You have signed out" in done.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "sso_uid" not in session and "sso_sid" not in session
    token = db.session.execute(select(OAuth2Token)).scalar_one()
    assert token.access_token_revoked_at and token.refresh_token_revoked_at


def test_signing_out_on_the_sso_page_revokes_the_tokens_of_that_session_only(scene, client, db):
    _sign_in(client, scene.planner, sid="s-3")
    for n, sid in enumerate(("s-3", "another-browser")):
        db.session.add(
            OAuth2Token(
                client_id="rp",
                user_id=scene.planner.id,
                token_type="Bearer",
                access_token=str(n) * 64,
                family=f"f{n}",
                sso_sid=session_digest(sid),
                expires_in=300,
            )
        )
    db.session.commit()
    assert client.post("/sso/logout").status_code == 303
    tokens = {t.family: t for t in db.session.execute(select(OAuth2Token)).scalars()}
    assert tokens["f0"].is_revoked() and not tokens["f1"].is_revoked()


def test_each_sign_in_to_a_system_joins_the_persons_authentication_trail(scene, client, db):
    from eplan_flow.models import AuditEvent

    _sign_in(client, scene.planner)
    _callback(_authorize(client))
    event = db.session.execute(select(AuditEvent).filter_by(chain=f"auth:{scene.planner.id}")).scalar_one()
    assert event.action == "oidc_authorize" and event.actor_id == scene.planner.id
    assert event.data["client_id"] == "rp" and event.data["scope"] == "openid profile eplan"

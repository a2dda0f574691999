"""A refresh token is spent once even when one browser's requests revalidate at the same time:
the SSO rotates refresh tokens and revokes the whole lineage when one is used twice."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from eplan_flow.auth import oidc_client
from tests.conftest import REDIS_URL, make_app


@pytest.mark.parametrize("redis_url", [REDIS_URL, None], ids=["shared-in-redis", "one-process"])
@pytest.mark.real_commits
def test_concurrent_revalidations_share_the_first_refresh_answer(redis_url, _schema):
    app = make_app(REDIS_URL=redis_url)
    calls = []
    gate = threading.Event()

    def refresh():
        calls.append(1)
        gate.wait(2)  # hold the first refresh while the others arrive
        return {"access_token": f"at-{len(calls)}", "refresh_token": f"rt-{len(calls)}"}

    token = f"rt-{redis_url}-{time.time_ns()}"

    def same_token(_):
        with app.app_context():
            return oidc_client._refresh_once(token, refresh)

    with ThreadPoolExecutor(max_workers=5) as pool:
        futures = [pool.submit(same_token, i) for i in range(5)]
        time.sleep(0.3)
        gate.set()
        answers = [f.result() for f in futures]
    assert len(calls) == 1
    assert answers == [{"access_token": "at-1", "refresh_token": "rt-1"}] * 5

    # Another token is refreshed on its own.
    with app.app_context():
        assert oidc_client._refresh_once(token + "-next", refresh)["refresh_token"] == "rt-2"
    assert len(calls) == 2


def test_a_failed_refresh_is_not_remembered(app):
    def refused():
        raise oidc_client.SignInEnded("invalid_grant")

    with app.app_context():
        for _ in range(2):
            with pytest.raises(oidc_client.SignInEnded):
                oidc_client._refresh_once("rt-refused", refused)


def test_sealed_tokens_are_unreadable_without_the_apps_key(app):
    with app.app_context():
        sealed = oidc_client._seal({"refresh_token": "secret-refresh"})
        assert "secret-refresh" not in sealed
        assert oidc_client._unseal(sealed) == {"refresh_token": "secret-refresh"}
    other = make_app(SECRET_KEY="another-key-that-is-long-enough-0000000000")
    with other.app_context(), pytest.raises(ValueError):
        oidc_client._unseal(sealed)

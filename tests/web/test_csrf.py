"""With CSRF protection on, as in production, every form carries and needs its token."""

from __future__ import annotations

from tests.pages import csrf_token_in, plan_status


def text(response) -> str:
    return response.get_data(as_text=True)


def sign_in(client, username):
    token = csrf_token_in(text(client.get("/auth/login")))
    response = client.post("/auth/login", data={"username": username, "password": "pw", "csrf_token": token})
    assert response.status_code == 302


def test_sign_in_without_the_token_is_refused_with_a_thai_page(csrf_app, csrf_plan_id):
    client = csrf_app.test_client()
    response = client.post("/auth/login", data={"username": "a_planner", "password": "pw"})
    assert response.status_code == 400
    assert "คำขอไม่ถูกต้อง" in text(response)
    assert client.get("/").status_code == 302  # still signed out


def test_a_step_fires_with_the_pages_token_and_not_without_it(csrf_app, csrf_plan_id):
    client = csrf_app.test_client()
    sign_in(client, "a_planner")
    url = f"/instances/plan/{csrf_plan_id}"
    page = text(client.get(url))
    form = {"trigger": "submit_to_committee", "expected_version": 1, "comment": "ตามมติ"}

    refused = client.post(f"{url}/fire", data=form)
    assert refused.status_code == 400
    assert plan_status(csrf_app, csrf_plan_id) == "drafting"

    accepted = client.post(f"{url}/fire", data={**form, "csrf_token": csrf_token_in(page)})
    assert accepted.status_code == 303
    assert plan_status(csrf_app, csrf_plan_id) == "committee_review"


def test_sign_out_needs_the_token(csrf_app, csrf_plan_id):
    client = csrf_app.test_client()
    sign_in(client, "a_planner")
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    token = csrf_token_in(text(client.get("/")))
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_mark_read_needs_the_token(csrf_app, csrf_plan_id):
    client = csrf_app.test_client()
    sign_in(client, "a_planner")
    assert client.post("/notifications/read").status_code == 400
    token = csrf_token_in(text(client.get("/notifications")))
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 303

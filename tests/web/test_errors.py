"""Error pages are Thai HTML for pages and leave the JSON API's answers to the API."""

from __future__ import annotations

import pytest
from flask import abort


@pytest.fixture
def failing_client(app, world):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/_test/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    @app.route("/_test/abort/<int:code>")
    def aborting(code):
        abort(code)

    return app.test_client()


@pytest.mark.parametrize(
    ("code", "thai"),
    [(403, "ไม่มีสิทธิ์"), (404, "ไม่พบหน้านี้"), (422, "โปรดตรวจสอบแบบฟอร์ม")],
)
def test_http_errors_render_a_thai_page_with_their_status(failing_client, code, thai):
    response = failing_client.get(f"/_test/abort/{code}")
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert thai in response.get_data(as_text=True)


def test_an_unexpected_error_renders_the_thai_500_page_and_hides_the_details(failing_client):
    response = failing_client.get("/_test/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "เกิดข้อผิดพลาด" in page and "secret internal detail" not in page


def test_errors_under_the_api_path_stay_json(failing_client):
    response = failing_client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.is_json and set(response.get_json()) >= {"code", "message"}

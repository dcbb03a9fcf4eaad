"""Size limits on page bodies: a clear 413 and the user's text kept in the form."""
import pytest

from tests.conftest import csrf_token
from tests.blueprints.test_pages import revisions_of, save


@pytest.fixture
def app_config():
    return {"MAX_PAGE_BYTES": 1000}


def test_oversized_body_is_413_with_the_text_kept(app, client, editor):
    body = "é" * 600  # 1,200 bytes of UTF-8, 600 characters
    response = save(client, "Big", body, 0)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "the limit is 1,000 bytes" in html
    assert body in html
    assert revisions_of(app, "big") == []


def test_request_over_the_transport_limit_is_413_without_a_traceback(app, client, editor):
    token = csrf_token(client, "/wiki/Huge/-/edit")
    response = client.post("/wiki/Huge/-/edit", data={
        "body": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1), "base_revision": "0", "csrf_token": token})
    assert response.status_code == 413
    assert "larger than this wiki accepts" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_oversized_preview_is_413_with_the_text_kept(app, client, editor):
    from tests.conftest import post_form

    body = "p" * 1500
    response = post_form(client, "/wiki/Big/-/edit", {"body": body, "base_revision": "0", "preview": "1"},
                         form_url="/-/login")
    assert response.status_code == 413
    assert body in response.get_data(as_text=True)
    assert post_form(client, "/wiki/Big/-/preview", {"body": body}, form_url="/-/login").status_code == 413

"""/api/docs in a real browser under the strict CSP (the page fixture fails on any console
error, CSP violations included), and the API from same-origin JavaScript with the session."""
import pytest

from tests.browser.conftest import register

pytestmark = pytest.mark.browser


def test_the_docs_render_every_operation_under_the_csp(live_server, page):
    page.goto(live_server + "/api/docs")
    page.wait_for_selector(".opblock")
    operations = page.evaluate("""async () => {
        const spec = await (await fetch('/api/v1/openapi.json')).json();
        return Object.values(spec.paths).reduce((n, ops) => n + Object.keys(ops).filter(
            m => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).length, 0);
    }""")
    assert operations == 19  # pages, history, search ... and issue 20's tags, paths, review, broken links
    assert page.locator(".opblock").count() == operations
    assert "Nexus API" in page.locator(".swagger-ui .info").inner_text()
    page.locator(".opblock-summary-path:has-text('/api/v1/pages/{title}')").first.click()
    page.wait_for_selector(".opblock-body .parameters")  # an operation opens with its parameters
    page.wait_for_selector(".swagger-ui select")  # styled with our copies of its icons, not data: URIs


def test_same_origin_javascript_uses_the_session_and_its_csrf_token(live_server, page):
    register(page, live_server, "scripter")
    result = page.evaluate("""async () => {
        const session = await (await fetch('/api/v1/session')).json();
        const body = JSON.stringify({title: 'From JS', body: 'made in the browser'});
        const headers = {'Content-Type': 'application/json'};
        const made = await fetch('/api/v1/pages', {method: 'POST', body,
            headers: {...headers, 'X-CSRFToken': session.csrf_token}});
        return [session.user, made.status, (await made.json()).title];
    }""")
    assert result == ["scripter", 201, "From JS"]  # without the header: 400 (tests/api/test_tokens_and_scopes.py)
    page.goto(live_server + "/wiki/From_JS")
    assert "made in the browser" in page.content()

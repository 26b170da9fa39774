"""The API's own pages at /docs render in the browser from the server's files alone: a shop
without internet still has its API documentation."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect
from web_harness import Served, screenshot


def test_that_the_api_docs_render_with_no_request_leaving_the_server(
    served: Served, desktop: Page
) -> None:
    elsewhere: list[str] = []

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(served.base_url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    desktop.route("**/*", only_the_server)
    desktop.goto(f"{served.base_url}/docs")
    operations = desktop.locator(".opblock-summary-path")
    stream = operations.filter(has_text="/api/conversations/{conversation_id}/messages/stream")
    # Swagger UI renders the whole document at once; a wait is a wait, however long.
    expect(stream).to_be_visible(timeout=10**9)
    assert operations.count() > 20
    assert elsewhere == []
    screenshot(desktop, "api-docs")

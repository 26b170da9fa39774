"""The analytics page in a real browser: shoppers chat with the real model (one buys, one asks
for a person), a manager signs in, and every figure the page shows equals a count made directly
in the server's database with SQL."""

from __future__ import annotations

import sqlite3
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Playwright, expect
from sqlalchemy.engine import make_url
from web_harness import Served, screenshot

pytestmark = pytest.mark.slow

BUYER_EMAIL = "emma.johnson49@example.com"


@pytest.fixture(autouse=True)
def no_time_limits(desktop: Page) -> None:
    # The first turn loads the model; a wait is a wait, however long it takes.
    desktop.set_default_timeout(0)
    expect.set_options(timeout=10**9)


def chat(
    playwright: Playwright, served: Served, customer_email: str | None, *texts: str
) -> list[dict[str, Any]]:
    """A shopper's conversation through the chat API, one turn per text; the turns."""
    shopper = playwright.request.new_context(base_url=served.base_url, timeout=0)
    try:

        def call(method: str, path: str, body: Any = None) -> Any:
            response = shopper.fetch(path, method=method, data=body)
            assert response.ok, f"{method} {path}: {response.status} {response.text()}"
            return response.json()

        customer_id = None
        if customer_email is not None:
            customers = call("GET", "/api/demo/customers")
            customer_id = next(c["id"] for c in customers if c["email"] == customer_email)
        call("POST", "/api/session", {"customer_id": customer_id})
        started = call("POST", "/api/conversations", {"language": "en"})
        path = f"/api/conversations/{started['id']}/messages"
        return [call("POST", path, {"text": text}) for text in texts]
    finally:
        shopper.dispose()


@pytest.fixture(scope="module")
def conversations(playwright: Playwright, served: Served) -> None:
    """A purchase, a handoff and a vague search, made once for the module's tests."""
    bought = chat(
        playwright, served, BUYER_EMAIL, "I'd like to buy the Pebble Boom speaker in coral", "yes"
    )
    assert any(e["kind"] == "order_placed" for e in bought[-1]["events"]), bought[-1]["reply"]
    handed = chat(playwright, served, None, "I'd like to talk to a real person, please")
    assert handed[-1]["handed_off"], handed[-1]["reply"]
    # Said this vaguely, a search asks the model what is meant: tokens are spent.
    chat(playwright, served, None, "something nice for my mom")


@dataclass
class Counted:
    """The figures of a range, counted with SQL straight from the database file."""

    conversations: int
    resolved: int
    handed_off: int
    converted: int
    revenue_minor: int
    prompt_tokens: int
    completion_tokens: int
    cost_pico_usd: int
    latencies: list[float]
    per_language: dict[str, int]
    per_job: dict[str, int]


def count(served: Served, start: date, end: date, timezone: str) -> Counted:
    zone = ZoneInfo(timezone)

    def bound(day: date) -> str:
        # SQLite keeps naive UTC times as text that sorts as it reads.
        moment = datetime.combine(day, time(0), zone).astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    in_range = "c.created_at >= :since AND c.created_at < :until"
    params = {"since": bound(start), "until": bound(end + timedelta(days=1))}
    path = make_url(served.database_url).database
    assert path is not None
    with sqlite3.connect(path) as db:

        def one(sql: str) -> Any:
            return db.execute(sql, params).fetchone()[0]

        return Counted(
            conversations=one(f"SELECT count(*) FROM conversations c WHERE {in_range}"),
            resolved=one(f"SELECT count(*) FROM conversations c WHERE {in_range} AND c.resolved"),
            handed_off=one(
                "SELECT count(DISTINCT h.conversation_id) FROM handoffs h "
                f"JOIN conversations c ON c.id = h.conversation_id WHERE {in_range}"
            ),
            converted=one(
                "SELECT count(DISTINCT co.conversation_id) FROM conversation_orders co "
                "JOIN conversations c ON c.id = co.conversation_id "
                "LEFT JOIN orders o ON o.id = co.order_id "
                f"WHERE {in_range} AND (o.status IS NULL OR o.status != 'cancelled')"
            ),
            revenue_minor=one(
                "SELECT coalesce(sum(co.total_minor), 0) FROM conversation_orders co "
                "JOIN conversations c ON c.id = co.conversation_id "
                "LEFT JOIN orders o ON o.id = co.order_id "
                f"WHERE {in_range} AND (o.status IS NULL OR o.status != 'cancelled') "
                "AND co.currency = 'USD'"
            ),
            prompt_tokens=one(
                f"SELECT coalesce(sum(prompt_tokens), 0) FROM conversations c WHERE {in_range}"
            ),
            completion_tokens=one(
                f"SELECT coalesce(sum(completion_tokens), 0) FROM conversations c WHERE {in_range}"
            ),
            cost_pico_usd=one(
                f"SELECT coalesce(sum(cost_pico_usd), 0) FROM conversations c WHERE {in_range}"
            ),
            latencies=[
                r[0]
                for r in db.execute(
                    "SELECT m.wall_seconds FROM conversation_messages m "
                    "JOIN conversations c ON c.id = m.conversation_id "
                    f"WHERE {in_range} AND m.role = 'assistant'",
                    params,
                )
            ],
            per_language=dict(
                db.execute(
                    "SELECT coalesce(c.language, 'unknown'), count(*) FROM conversations c "
                    f"WHERE {in_range} GROUP BY 1",
                    params,
                ).fetchall()
            ),
            per_job=dict(
                db.execute(
                    "SELECT m.job, count(DISTINCT m.conversation_id) FROM conversation_messages m "
                    "JOIN conversations c ON c.id = m.conversation_id "
                    f"WHERE {in_range} AND m.job IS NOT NULL GROUP BY 1",
                    params,
                ).fetchall()
            ),
        )


def sign_in(page: Page, served: Served, username: str, password: str) -> None:
    page.goto(served.base_url + "/analytics")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def value(page: Page, selector: str) -> str:
    return str(page.locator(selector).get_attribute("data-value"))


def shown_range(page: Page) -> tuple[date, date, str]:
    report = page.locator("#report")
    return (
        date.fromisoformat(str(report.get_attribute("data-start"))),
        date.fromisoformat(str(report.get_attribute("data-end"))),
        str(report.get_attribute("data-timezone")),
    )


def percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%"


def test_that_a_support_agent_is_told_the_analytics_are_for_managers(
    desktop: Page, served: Served
) -> None:
    sign_in(desktop, served, "agent", "agent-demo")

    expect(desktop.locator("#login-error")).to_contain_text("not a manager")
    expect(desktop.locator("#report")).to_be_hidden()


def test_that_the_figures_a_manager_sees_equal_a_count_in_the_database(
    desktop: Page, served: Served, conversations: None
) -> None:
    sign_in(desktop, served, "manager", "manager-demo")
    headline = desktop.locator("#headline")
    expect(headline.locator("[data-metric=conversations]")).to_have_attribute("data-value", "3")
    start, end, timezone = shown_range(desktop)
    assert (end - start).days == 29
    counted = count(served, start, end, timezone)
    assert counted.conversations == 3 and counted.handed_off == 1 and counted.converted == 1

    def metric(name: str) -> str:
        return value(desktop, f"#headline [data-metric={name}]")

    assert int(metric("conversations")) == counted.conversations
    n = counted.conversations
    for name, part in (
        ("resolution_rate", counted.resolved),
        ("handoff_rate", counted.handed_off),
        ("conversion_rate", counted.converted),
    ):
        expect(headline.locator(f"[data-metric={name}]")).to_have_text(percent(part, n))
        assert float(metric(name)) == pytest.approx(part / n)
    assert int(metric("revenue")) == counted.revenue_minor > 0
    assert headline.locator("[data-metric=revenue]").get_attribute("data-currency") == "USD"
    expect(headline.locator("[data-metric=revenue]")).to_have_text(
        f"${counted.revenue_minor / 100:,.2f}"
    )
    assert int(metric("prompt_tokens")) == counted.prompt_tokens > 0
    assert int(metric("completion_tokens")) == counted.completion_tokens
    assert int(metric("cost")) == counted.cost_pico_usd
    p50, p95 = statistics.quantiles(counted.latencies, n=100, method="inclusive")[49::45]
    assert float(metric("latency_p50")) == pytest.approx(p50)
    assert float(metric("latency_p95")) == pytest.approx(p95)
    expect(headline.locator("[data-metric=latency_p50]")).to_have_text(f"{p50:.2f} s")

    for language, conversations in counted.per_language.items():
        cell = desktop.locator(
            f'#per-language tr[data-key="{language}"] [data-metric=conversations]'
        )
        expect(cell).to_have_attribute("data-value", str(conversations))
    for job, conversations in counted.per_job.items():
        cell = desktop.locator(f'#per-job tr[data-key="{job}"] [data-metric=conversations]')
        expect(cell).to_have_attribute("data-value", str(conversations))
    assert "buy" in counted.per_job

    # Every chart came back and was drawn (an image that failed to load has no width).
    charts = desktop.locator(".chart img")
    expect(charts).to_have_count(18)
    for index in range(18):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        desktop.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
        )
    desktop.locator("#report").scroll_into_view_if_needed()
    screenshot(desktop, "analytics")


def test_that_a_range_without_conversations_shows_zeros(
    desktop: Page, served: Served, conversations: None
) -> None:
    sign_in(desktop, served, "manager", "manager-demo")
    expect(desktop.locator("#headline [data-metric=conversations]")).not_to_have_text("–")
    a_year_ago = (shown_range(desktop)[1] - timedelta(days=365)).isoformat()

    desktop.get_by_label("From", exact=True).fill(a_year_ago)
    desktop.get_by_label("To", exact=True).fill(a_year_ago)
    desktop.get_by_role("button", name="Show").click()

    expect(desktop.locator("#report")).to_have_attribute("data-start", a_year_ago)
    expect(desktop.locator("#headline [data-metric=conversations]")).to_have_text("0")
    expect(desktop.locator("#headline [data-metric=resolution_rate]")).to_have_text("–")
    expect(desktop.locator("#per-job")).to_contain_text("No conversations in this range.")
    assert a_year_ago in desktop.url


def test_that_a_range_that_ends_before_it_starts_is_explained(
    desktop: Page, served: Served
) -> None:
    sign_in(desktop, served, "manager", "manager-demo")
    expect(desktop.locator("#headline [data-metric=conversations]")).not_to_have_text("–")

    desktop.get_by_label("From", exact=True).fill("2026-03-02")
    desktop.get_by_label("To", exact=True).fill("2026-03-01")
    desktop.get_by_role("button", name="Show").click()

    expect(desktop.locator("#range-error")).to_contain_text("after it ends")

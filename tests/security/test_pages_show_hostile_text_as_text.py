"""Markup in a customer's name, a customer's message and a staff member's reply reaches the web
chat and the console as text: no script runs and no element is made from it (real Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from chat_bench import ASK_FOR_A_HUMAN, Chat, serving
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright
from security_bench import HOSTILE_MARKUP

from chromium import launch_chromium
from shopkeep.store import Store
from shopkeep.store.customers import CustomerInput

HOSTILE_NAME = ("<b>Mallory", f"</b>{HOSTILE_MARKUP}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


@contextmanager
def pages(browser: Browser, dialogs: list[str]) -> Iterator[tuple[Page, Page]]:
    """Two pages with their own cookies, closed before the server stops (their live streams
    would keep it waiting)."""
    contexts = [browser.new_context(viewport={"width": 1280, "height": 860}) for _ in range(2)]
    try:
        desk, shopper = (context.new_page() for context in contexts)

        def refuse(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        for page in (desk, shopper):
            page.on("dialog", refuse)
        yield desk, shopper
    finally:
        for context in contexts:
            context.close()


def untouched(page: Page) -> None:
    """Nothing of the markup became a live element or ran."""
    assert page.evaluate("() => window.pwned") is None
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("b:text('Mallory')").count() == 0


def test_that_markup_in_names_messages_and_replies_is_shown_as_text_and_never_runs(
    shop: Store, tmp_path: Path, browser: Browser
) -> None:
    first, last = HOSTILE_NAME
    shop.customers.add(
        CustomerInput(id="mallory", first_name=first, last_name=last, email="mallory@example.com")
    )
    chat = Chat.open(shop, tmp_path / "data", *['{"job": "smalltalk"}'] * 3)
    dialogs: list[str] = []
    with serving(chat.app) as base, pages(browser, dialogs) as (desk, shopper):
        desk.goto(base + "/console")
        desk.get_by_label("Username").fill("agent")
        desk.get_by_label("Password").fill("agent-demo")
        desk.get_by_label("Password").press("Enter")
        expect(desk.locator("#staff-name")).to_have_text("Agent")

        shopper.goto(base + "/")
        shopper.locator("select#customer").select_option("mallory")
        shopper.locator("button#sign-in").click()
        for text in (HOSTILE_MARKUP, ASK_FOR_A_HUMAN):
            shopper.locator("textarea#message").fill(text)
            shopper.locator("button#send").click()
            expect(shopper.locator("#messages .msg[data-role=customer]").last).to_contain_text(text)
        expect(shopper.locator("#status")).to_have_attribute("data-status", "waiting_human")

        item = desk.locator("#queue .handoff").first
        expect(item.locator(".name")).to_have_text(f"{first} {last}")
        item.locator("button").click()
        expect(desk.locator("#console-messages .msg[data-role=customer]").first).to_contain_text(
            HOSTILE_MARKUP
        )
        desk.get_by_role("button", name="Take over").click()
        desk.get_by_label("Reply to the customer").fill(HOSTILE_MARKUP)
        desk.get_by_label("Reply to the customer").press("Enter")
        expect(shopper.locator("#messages .msg[data-role=staff]")).to_contain_text(HOSTILE_MARKUP)

        for page in (desk, shopper):
            untouched(page)
    assert dialogs == []

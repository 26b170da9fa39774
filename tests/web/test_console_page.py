"""The console in a real browser: a shopper on the phone asks for a person; a staff member signs
in on the desktop, sees the conversation in the live queue with its summary and the customer's
orders, takes it over and replies; the shopper sees the reply live; the staff member hands it
back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from web_harness import Served, screenshot

from shopkeep.store import Database, Store

pytestmark = pytest.mark.slow

REPLY = "Hi, this is Agent from the shop. I can help with that order."


@pytest.fixture(autouse=True)
def no_time_limits(phone: Page, desktop: Page) -> None:
    # The first turn loads the model; a wait is a wait, however long it takes.
    for page in (phone, desktop):
        page.set_default_timeout(0)
    expect.set_options(timeout=10**9)


def customer_with_orders(served: Served) -> tuple[str, str, str]:
    """A demo customer with orders: id, name and the newest order's id."""
    shop = Store(Database(served.database_url))
    try:
        for customer in shop.customers.page(limit=100):
            orders = shop.orders.history(customer.id, limit=5)
            if len(orders) >= 2:
                return customer.id, customer.name, orders[0].id
    finally:
        shop.close()
    raise AssertionError("the demo store has a customer with orders")


def ask_for_a_person(phone: Page, served: Served, customer_id: str) -> str:
    """The shopper signs in on the chat page and asks for a human; the conversation's id."""
    phone.goto(served.base_url + "/")
    phone.locator("select#customer").select_option(customer_id)
    phone.locator("button#sign-in").click()
    phone.locator("textarea#message").fill("I want to talk to a human please")
    phone.locator("button#send").click()
    expect(phone.locator("#status")).to_have_attribute("data-status", "waiting_human")
    conversations = phone.evaluate(
        "async () => (await (await fetch('/api/conversations')).json()).map(c => c.id)"
    )
    return str(conversations[0])


def sign_in(desktop: Page, served: Served) -> None:
    desktop.goto(served.base_url + "/console")
    desktop.get_by_label("Username").fill("agent")
    desktop.get_by_label("Password").fill("agent-demo")
    desktop.get_by_label("Password").press("Enter")
    expect(desktop.locator("#staff-name")).to_have_text("Agent")


def test_that_a_wrong_password_keeps_the_console_closed(desktop: Page, served: Served) -> None:
    desktop.goto(served.base_url + "/console")
    desktop.get_by_label("Username").fill("agent")
    desktop.get_by_label("Password").fill("not-the-password")
    desktop.get_by_role("button", name="Sign in").click()
    expect(desktop.locator("#login-error")).to_have_text("Wrong username or password.")
    expect(desktop.locator("#desk")).to_be_hidden()
    screenshot(desktop, "console-login-refused")


def test_that_a_staff_member_takes_over_replies_live_and_hands_back(
    phone: Page, desktop: Page, served: Served
) -> None:
    customer_id, name, newest_order = customer_with_orders(served)
    sign_in(desktop, served)
    conversation_id = ask_for_a_person(phone, served, customer_id)

    # The queue shows it live, with the summary and who the customer is.
    item = desktop.locator(f'#queue .handoff[data-conversation-id="{conversation_id}"]')
    expect(item).to_have_attribute("data-status", "waiting")
    expect(item.locator(".name")).to_have_text(name)
    expect(item.locator(".summary")).not_to_be_empty()
    expect(item.locator(".summary")).not_to_have_text("(no summary)")
    screenshot(desktop, "console-queue")

    # Keyboard: the queue entry is a button; Enter opens the conversation.
    item.locator("button").focus()
    desktop.keyboard.press("Enter")
    expect(desktop.locator("#conversation-status")).to_have_attribute(
        "data-status", "waiting_human"
    )
    expect(desktop.locator("#console-messages .msg[data-role=customer]").first).to_contain_text(
        "talk to a human"
    )
    context = desktop.locator("#customer-context")
    expect(context).to_contain_text(name)
    expect(context.locator(f'.order[data-order-id="{newest_order}"]')).to_be_visible()

    desktop.get_by_role("button", name="Take over").click()
    expect(desktop.locator("#conversation-status")).to_have_attribute("data-status", "human")
    expect(desktop.get_by_label("Reply to the customer")).to_be_focused()
    expect(phone.locator("#status")).to_have_attribute("data-status", "human")
    expect(item.locator(".pill")).to_have_text("taken by you")

    # While the person holds it the assistant says nothing; the console sees the shopper live.
    assistant_said = phone.locator("#messages .msg[data-role=assistant]").count()
    phone.locator("textarea#message").fill("Are you a real person?")
    phone.locator("button#send").click()
    expect(desktop.locator("#console-messages .msg[data-role=customer]").last).to_contain_text(
        "Are you a real person?"
    )

    desktop.get_by_label("Reply to the customer").fill(REPLY)
    desktop.get_by_label("Reply to the customer").press("Enter")
    expect(desktop.locator("#console-messages .msg[data-role=staff]")).to_contain_text(REPLY)
    expect(desktop.get_by_label("Reply to the customer")).to_have_value("")
    screenshot(desktop, "console-conversation")

    said = phone.locator("#messages .msg[data-role=staff]")
    expect(said).to_contain_text(REPLY)
    expect(phone.locator("#messages .msg[data-role=assistant]")).to_have_count(assistant_said)
    screenshot(phone, "console-shopper-sees-the-reply")

    desktop.get_by_label("Note for the assistant (optional)").fill("checked the order for them")
    desktop.get_by_role("button", name="Hand back to the assistant").click()
    expect(desktop.locator("#conversation-status")).to_have_attribute("data-status", "active")
    expect(item).to_have_count(0)
    expect(desktop.locator("#queue-empty")).to_be_visible()
    expect(desktop.locator("#holder-line")).to_have_text(
        re.compile("The assistant holds this conversation")
    )
    expect(phone.locator("#status")).to_have_attribute("data-status", "active")
    screenshot(desktop, "console-handed-back")

"""The merchant's own site, on another origin, passes its signed-in customer to the chat in a
frame (signed mode, the default, no demo login): the customer's own orders appear in the chat,
while a page the shop does not list may not frame it, and a guest's typed email proves nothing."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Frame, Page, expect
from web_harness import Served, free_port, screenshot, start_server

from shopkeep.identity import sign_customer
from shopkeep.store import Database, Store

SECRET = "the merchant site's identity secret, for the tests"
NOAH = "noah.davis68@example.org"


class Merchant:
    """The merchant's site: one page that frames the shop's chat for a signed-in customer."""

    def __init__(self, chat_url: str) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.chat_url = chat_url
        self.token = ""
        merchant = self

        class Pages(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page = (
                    "<!doctype html><title>Merchant</title><h1>My account</h1>"
                    f'<iframe id="chat" src="{merchant.chat_url}/#identity={merchant.token}" '
                    'width="420" height="640"></iframe>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Pages)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site(
    live_demo_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, Merchant]]:
    where = tmp_path_factory.mktemp("merchant")
    path = where / "shop.sqlite3"
    shutil.copy(live_demo_template, path)
    shop_port_guess = Merchant("")  # reserve the merchant's origin before the shop starts
    merchant_origin = shop_port_guess.origin
    server = start_server(
        f"sqlite:///{path}",
        where / "data",
        extra_args=(),
        extra_env={
            "SHOPKEEP_IDENTITY__SECRET": SECRET,
            "SHOPKEEP_WEB__FRAME_ANCESTORS": f'["{merchant_origin}"]',
        },
    )
    shop_port_guess.chat_url = server.base_url
    yield server, shop_port_guess
    shop_port_guess.close()
    server.stop()


def chat_frame(page: Page) -> Frame:
    frame = page.frame_locator("iframe#chat")
    expect(frame.locator("body[data-ready=true]")).to_be_attached()
    found = next(f for f in page.frames if f.url.startswith("http") and f != page.main_frame)
    return found


def say(frame: Frame, text: str) -> str:
    replies = frame.locator("#messages .msg[data-role=assistant][data-seq]")
    before = replies.count()
    frame.locator("textarea#message").fill(text)
    frame.locator("textarea#message").press("Enter")
    reply = replies.nth(before)
    expect(reply).to_be_visible()
    return reply.inner_text()


def test_that_a_customer_signed_in_on_the_merchants_site_sees_their_orders_in_its_frame(
    phone: Page, site: tuple[Served, Merchant]
) -> None:
    served, merchant = site
    store = Store(Database(served.database_url))
    try:
        noah = store.customers.get(store.customers.find_by_email(NOAH))
        orders = [o.id for o in store.orders.history(noah.id)]
    finally:
        store.close()
    merchant.token = sign_customer(
        SECRET.encode(), noah.id, NOAH, expires=datetime.now(UTC) + timedelta(minutes=5)
    )
    phone.goto(merchant.origin + "/")
    frame = chat_frame(phone)
    expect(frame.locator("#who")).to_contain_text(NOAH)
    assert "#identity=" not in frame.url  # handed over once, then taken off the address
    reply = say(frame, "where is my order?")
    assert any(order in reply for order in orders), reply
    screenshot(phone, "merchant-site-signed-customer")


def test_that_a_guest_typing_an_email_on_the_shop_itself_is_told_to_sign_in(
    phone: Page, site: tuple[Served, Merchant]
) -> None:
    served, _ = site
    phone.goto(served.base_url + "/")
    expect(phone.locator("body[data-ready=true]")).to_be_attached()
    expect(phone.locator("label[for=customer]")).to_have_text("Shop as")  # no demo login
    frame = phone.main_frame
    reply = say(frame, f"where is my order? my email is {NOAH}")
    assert "sign in" in reply
    assert "#W" not in reply


def test_that_a_page_the_shop_does_not_list_may_not_frame_the_chat(
    phone: Page, site: tuple[Served, Merchant]
) -> None:
    served, _ = site
    stranger = Merchant(served.base_url)
    try:
        phone.goto(stranger.origin + "/")
        phone.wait_for_load_state("load")
        framed = [f for f in phone.frames if f != phone.main_frame]
        # Chromium refuses to render the chat for an origin frame-ancestors does not list: the
        # frame holds its error page instead (the main page's load waited for it).
        assert len(framed) == 1
        assert framed[0].url.startswith("chrome-error:"), framed[0].url
        assert framed[0].locator("textarea#message").count() == 0
    finally:
        stranger.close()

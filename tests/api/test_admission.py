"""Admission to the assistant: a bounded line in front of the turns (503 busy past it, with
Retry-After, storing nothing), each waiting message told its place as the line moves, a message
taken into the line answered even when its sender leaves, and per-minute limits per customer and
per address (429 with Retry-After) that refill. The model is scripted and held by the test, so a
turn stays running for as long as the test needs it to."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from chat_bench import JIAYI, OLIVIA, Chat, Event, error_of, serving, sse_events
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import event

from chromium import launch_chromium
from shopkeep.agent.engine import Assistant
from shopkeep.agent.tools import IdentityPolicy
from shopkeep.api import create_app
from shopkeep.api.admission import RateLimit
from shopkeep.api.chat import ChatService
from shopkeep.llm import ModelGateway, ScriptedBackend
from shopkeep.llm.chat import ChatRequest
from shopkeep.settings import AcpSettings, Settings, WebSettings
from shopkeep.store import Store

TAU2 = IdentityPolicy.tau2()
"""These tests verify guests by email or name + zip: tau2-bench's rule, chosen here."""


HANG_GUARD_S = 120.0  # keeps a deadlock from hanging the suite; no test is about time
NO_LIMIT_MS = 10**9
"""Playwright's assertions read a timeout of 0 as their default 5 s: this is about eleven days."""


class HeldModel:
    """The scripted model's one call of a turn (which job the message is), held until the test
    lets it answer: each call reports the message it is about, then waits for its own go."""

    def __init__(self) -> None:
        self.asked: queue.Queue[str] = queue.Queue()
        self._go = threading.Semaphore(0)

    def __call__(self, request: ChatRequest) -> str:
        self.asked.put(request.messages[-1].content)
        if not self._go.acquire(timeout=HANG_GUARD_S):
            raise AssertionError("the test never let the model answer")
        return '{"job": "smalltalk"}'

    def next_asked(self) -> str:
        """The message of the next turn to reach the model (waits for it)."""
        return self.asked.get(timeout=HANG_GUARD_S)

    def answer(self, calls: int = 1) -> None:
        for _ in range(calls):
            self._go.release()


def open_chat(shop: Store, data_dir: Path, model: HeldModel | None = None, **web: Any) -> Chat:
    backend = ScriptedBackend([model] * 50 if model else [])
    assistant = Assistant(shop, ModelGateway(backend), identity=TAU2)
    settings = Settings(data_dir=data_dir, web=WebSettings(demo_login=True, **web))
    app = create_app(
        settings, store=shop, assistant=assistant, acp_settings=AcpSettings(webhook_poll_seconds=0)
    )
    return Chat(shop, app, backend)


@pytest.fixture
def model() -> HeldModel:
    return HeldModel()


@contextlib.contextmanager
def streamed(browser: httpx.Client, conversation_id: str, text: str) -> Iterator[Iterator[Event]]:
    """A message sent on the streaming route; its events as they come."""
    url = f"/api/conversations/{conversation_id}/messages/stream"
    with browser.stream("POST", url, json={"text": text}) as response:
        assert response.status_code == 200, response.read()
        yield sse_events(response.iter_lines())


def start(browser: httpx.Client) -> str:
    started = browser.post("/api/conversations", json={"language": "en"})
    assert started.status_code == 201, started.text
    conversation_id: str = started.json()["id"]
    return conversation_id


def rest_of(events: Iterator[Event]) -> list[str]:
    """The names of the events left, to the end of the stream."""
    return [name for name, _ in events]


def answered(names: list[str]) -> bool:
    """Whether the events after `thinking` are the reply: pieces, then the turn."""
    return len(names) > 1 and names[-1] == "turn" and set(names[:-1]) == {"delta"}


def refusal(response: Any, status: int, code: str) -> int:
    """Checks a refusal of a message; the seconds it says to wait."""
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code
    wait = int(response.headers["Retry-After"])
    assert wait >= 1
    return wait


# --- the line ---------------------------------------------------------------------------------


def test_that_a_message_past_the_line_s_bound_is_refused_busy_with_retry_after_and_not_stored(
    shop: Store, tmp_path: Path, model: HeldModel
) -> None:
    c = open_chat(shop, tmp_path / "data", model, turn_concurrency=1, queue_limit=1)
    with serving(c.app) as url, httpx.Client(base_url=url, timeout=None) as browser:
        running, waiting, refused = start(browser), start(browser), start(browser)
        with (
            streamed(browser, running, "xyzzy running") as first,
            streamed(browser, waiting, "xyzzy waiting") as second,
        ):
            assert next(first)[0] == "thinking"
            assert "xyzzy running" in model.next_asked()
            assert next(second) == ("queued", {"position": 1, "ahead": 1})

            base = f"/api/conversations/{refused}/messages"
            plain = browser.post(base, json={"text": "xyzzy refused"})
            stream = browser.post(f"{base}/stream", json={"text": "xyzzy refused"})
            for response in (plain, stream):
                refusal(response, 503, "busy")
                assert response.headers["content-type"].startswith("application/json")
            assert shop.conversations.get(refused).message_count == 0

            model.answer(2)
            assert answered(rest_of(first))
            assert next(second)[0] == "thinking"
            assert answered(rest_of(second))
            assert "xyzzy waiting" in model.next_asked()

        # Once the line has room again the same message is taken.
        model.answer()
        again = browser.post(f"/api/conversations/{refused}/messages", json={"text": "xyzzy"})
        assert again.status_code == 200, again.text
    assert [shop.conversations.get(i).message_count for i in (running, waiting, refused)] == [2] * 3


def test_that_a_busy_refusal_reads_nothing_from_the_database(
    shop: Store, tmp_path: Path, model: HeldModel
) -> None:
    # Under a rush most messages are refused: a refusal must not cost a conversation read.
    c = open_chat(shop, tmp_path / "data", model, turn_concurrency=1, queue_limit=0)

    @contextlib.contextmanager
    def statements() -> Iterator[list[str]]:
        seen: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append(statement)

        event.listen(shop.db.engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(shop.db.engine, "before_cursor_execute", record)

    with serving(c.app) as url, httpx.Client(base_url=url, timeout=None) as browser:
        running, refused = start(browser), start(browser)
        send = f"/api/conversations/{refused}/messages"
        with streamed(browser, running, "xyzzy running") as first:
            assert next(first)[0] == "thinking"
            assert "xyzzy running" in model.next_asked()
            with statements() as while_busy:
                refusal(browser.post(send, json={"text": "xyzzy"}), 503, "busy")
                refusal(browser.post(f"{send}/stream", json={"text": "xyzzy"}), 503, "busy")
            model.answer()
            assert answered(rest_of(first))
        model.answer()
        with statements() as once_free:
            taken = browser.post(send, json={"text": "xyzzy"})
        assert taken.status_code == 200, taken.text
    assert while_busy == []
    assert any("conversations" in s for s in once_free), once_free
    assert shop.conversations.get(refused).message_count == 2


def test_that_waiting_messages_are_told_their_place_as_the_line_moves_and_run_in_order(
    shop: Store, tmp_path: Path, model: HeldModel
) -> None:
    c = open_chat(shop, tmp_path / "data", model, turn_concurrency=1, queue_limit=3)
    texts = ["xyzzy A", "xyzzy B", "xyzzy C", "xyzzy D"]
    with (
        serving(c.app) as url,
        httpx.Client(base_url=url, timeout=None) as browser,
        contextlib.ExitStack() as streams,
    ):
        conversations = [start(browser) for _ in texts]
        a, b, cc, d = [
            streams.enter_context(streamed(browser, conversation_id, text))
            for conversation_id, text in zip(conversations, texts, strict=True)
        ]
        # Each stream's first event came before the next message was sent: arrival order.
        assert next(a)[0] == "thinking"
        assert next(b) == ("queued", {"position": 1, "ahead": 1})
        assert next(cc) == ("queued", {"position": 2, "ahead": 2})
        assert next(d) == ("queued", {"position": 3, "ahead": 3})
        assert "xyzzy A" in model.next_asked()

        model.answer()
        assert answered(rest_of(a))
        assert next(b)[0] == "thinking"
        assert next(cc) == ("queued", {"position": 1, "ahead": 1})
        assert next(d) == ("queued", {"position": 2, "ahead": 2})
        assert "xyzzy B" in model.next_asked()

        model.answer()
        assert answered(rest_of(b))
        assert next(cc)[0] == "thinking"
        assert next(d) == ("queued", {"position": 1, "ahead": 1})
        assert "xyzzy C" in model.next_asked()

        model.answer()
        assert answered(rest_of(cc))
        assert next(d)[0] == "thinking"
        assert "xyzzy D" in model.next_asked()
        model.answer()
        assert answered(rest_of(d))
    for conversation_id, text in zip(conversations, texts, strict=True):
        customer, reply = shop.conversations.messages(conversation_id)
        assert (customer.text, reply.role) == (text, "assistant")


def test_that_a_message_sent_as_json_waits_its_turn_and_gets_the_reply(
    shop: Store, tmp_path: Path, model: HeldModel
) -> None:
    c = open_chat(shop, tmp_path / "data", model, turn_concurrency=1, queue_limit=2)
    with serving(c.app) as url, httpx.Client(base_url=url, timeout=None) as browser:
        running, waiting, watching = start(browser), start(browser), start(browser)
        replies: queue.Queue[httpx.Response] = queue.Queue()
        with streamed(browser, running, "xyzzy running") as first:
            assert next(first)[0] == "thinking"
            assert "xyzzy running" in model.next_asked()
            url = f"/api/conversations/{waiting}/messages"
            sender = threading.Thread(
                target=lambda: replies.put(browser.post(url, json={"text": "xyzzy json"}))
            )
            sender.start()
            # A second waiter learns of the first by its place: behind it.
            until(lambda: c.app.state.chat.admission.waiting == 1)
            with streamed(browser, watching, "xyzzy watching") as third:
                assert next(third) == ("queued", {"position": 2, "ahead": 2})
                model.answer()
                assert answered(rest_of(first))
                assert "xyzzy json" in model.next_asked()
                assert next(third) == ("queued", {"position": 1, "ahead": 1})
                model.answer()
                reply = replies.get(timeout=HANG_GUARD_S)
                assert next(third)[0] == "thinking"
                assert "xyzzy watching" in model.next_asked()
                model.answer()
                assert answered(rest_of(third))
            sender.join()
    assert reply.status_code == 200, reply.text
    assert reply.json()["messages"][0]["text"] == "xyzzy json"


def test_that_a_shopper_who_leaves_while_waiting_still_gets_the_message_answered_and_stored(
    shop: Store, tmp_path: Path, model: HeldModel
) -> None:
    c = open_chat(shop, tmp_path / "data", model, turn_concurrency=1, queue_limit=1)
    with serving(c.app) as url, httpx.Client(base_url=url, timeout=None) as browser:
        running, leaving = start(browser), start(browser)
        with streamed(browser, running, "xyzzy running") as first:
            assert next(first)[0] == "thinking"
            assert "xyzzy running" in model.next_asked()
            with streamed(browser, leaving, "xyzzy I must go") as second:
                assert next(second) == ("queued", {"position": 1, "ahead": 1})
            # The stream is closed; the server has seen that by its next request.
            assert browser.get("/health").status_code == 200
            assert c.app.state.chat.admission.waiting == 1
            model.answer(2)
            assert answered(rest_of(first))
        assert c.app.state.chat.admission.drain(HANG_GUARD_S)
        history = browser.get(f"/api/conversations/{leaving}/messages").json()
    assert "xyzzy I must go" in model.next_asked()
    assert [m["role"] for m in history] == ["customer", "assistant"]
    assert history[0]["text"] == "xyzzy I must go"


def until(condition: Callable[[], bool]) -> None:
    """Wait for what another thread does (a guard against hanging, not a timing)."""
    ticks = threading.Event()
    for _ in range(int(HANG_GUARD_S * 100)):
        if condition():
            return
        ticks.wait(0.01)
    raise AssertionError("it never happened")


# --- rate limits --------------------------------------------------------------------------------


def test_that_a_customer_sending_too_fast_is_refused_with_429_on_any_browser_and_nothing_stored(
    shop: Store, tmp_path: Path
) -> None:
    c = open_chat(
        shop, tmp_path / "data", customer_messages_per_minute=2, ip_messages_per_minute=100
    )
    laptop, phone, someone_else = c.browser(), c.browser(), c.browser()
    c.sign_in(laptop, OLIVIA)
    c.sign_in(phone, OLIVIA)
    c.sign_in(someone_else, JIAYI)
    on_laptop, on_phone = c.start(laptop), c.start(phone)
    c.send(laptop, on_laptop, "hello")
    c.send(laptop, on_laptop, "hello again")
    before = shop.conversations.get(on_laptop)

    too_many = laptop.post(f"/api/conversations/{on_laptop}/messages", json={"text": "hi"})
    streamed = laptop.post(f"/api/conversations/{on_laptop}/messages/stream", json={"text": "hi"})
    elsewhere = phone.post(f"/api/conversations/{on_phone}/messages", json={"text": "hi"})
    assert refusal(too_many, 429, "rate_limited") == 30  # two a minute: one every 30 s
    assert "this customer" in error_of(too_many)["message"]
    refusal(streamed, 429, "rate_limited")
    refusal(elsewhere, 429, "rate_limited")
    after = shop.conversations.get(on_laptop)
    assert (after.message_count, after.version) == (before.message_count, before.version)
    assert shop.conversations.get(on_phone).message_count == 0

    # Another customer from the same address is not held back by Olivia.
    c.send(someone_else, c.start(someone_else), "hello")


def test_that_an_address_sending_too_fast_is_refused_with_429_whatever_forwarded_for_says(
    shop: Store, tmp_path: Path
) -> None:
    c = open_chat(shop, tmp_path / "data", customer_messages_per_minute=0, ip_messages_per_minute=3)
    guests = [c.browser() for _ in range(4)]
    conversations = [c.start(guest) for guest in guests]
    for guest, conversation_id in zip(guests[:3], conversations, strict=False):
        c.send(guest, conversation_id, "hello")

    last, conversation_id = guests[3], conversations[3]
    url = f"/api/conversations/{conversation_id}/messages"
    refused = last.post(url, json={"text": "hello"})
    spoofed = last.post(url, json={"text": "hello"}, headers={"X-Forwarded-For": "203.0.113.9"})
    assert refusal(refused, 429, "rate_limited") == 20  # three a minute: one every 20 s
    assert "this address" in error_of(refused)["message"]
    refusal(spoofed, 429, "rate_limited")
    assert shop.conversations.get(conversation_id).message_count == 0


class Clock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_that_the_limits_refill_over_the_minute(shop: Store, tmp_path: Path) -> None:
    c = open_chat(shop, tmp_path / "data")
    clock = Clock()
    web = WebSettings(demo_login=True, customer_messages_per_minute=2, ip_messages_per_minute=0)
    c.app.state.chat = ChatService(shop, c.app.state.chat.assistant, web, clock=clock)
    browser = c.browser()
    c.sign_in(browser, OLIVIA)
    conversation_id = c.start(browser)
    url = f"/api/conversations/{conversation_id}/messages"

    def send() -> httpx.Response:
        response: httpx.Response = browser.post(url, json={"text": "hello"})
        return response

    assert [send().status_code for _ in range(2)] == [200, 200]
    assert refusal(send(), 429, "rate_limited") == 30
    clock.now += 29
    assert refusal(send(), 429, "rate_limited") == 1
    clock.now += 1
    assert send().status_code == 200
    assert refusal(send(), 429, "rate_limited") == 30
    clock.now += 60  # a quiet minute: the whole minute's worth again
    assert [send().status_code for _ in range(3)] == [200, 200, 429]
    assert shop.conversations.get(conversation_id).message_count == 2 * 5


def test_that_a_message_refused_for_one_limit_counts_against_no_other() -> None:
    clock = Clock()
    limit = RateLimit(1, clock=clock)
    assert limit.take("olivia") == 0.0
    assert limit.take("olivia") == 60.0
    limit.give_back("olivia")
    assert limit.take("olivia") == 0.0
    assert RateLimit(0, clock=clock).take("anyone") == 0.0  # 0: no limit


# --- the page ---------------------------------------------------------------------------------


def test_that_the_page_shows_the_place_in_line_and_a_busy_refusal_keeps_the_typed_text(
    shop: Store, tmp_path: Path, model: HeldModel
) -> None:
    c = open_chat(shop, tmp_path / "data", model, turn_concurrency=1, queue_limit=1)
    expect.set_options(timeout=NO_LIMIT_MS)
    with (
        serving(c.app) as url,
        httpx.Client(base_url=url, timeout=None) as other,
        sync_playwright() as p,
        streamed(other, start(other), "xyzzy first") as first,
    ):
        assert next(first)[0] == "thinking"
        assert "xyzzy first" in model.next_asked()
        browser = launch_chromium(p)
        korean, english = (browser.new_context().new_page() for _ in range(2))
        for page in (korean, english):
            page.set_default_timeout(0)
            page.goto(url + "/")
            expect(page.locator("body[data-ready=true]")).to_be_attached()
        korean.locator("select#language").select_option("ko")

        send(korean, "xyzzy 기다릴게요")
        place = korean.locator("#messages .msg[data-role=assistant].streaming .queue-place")
        expect(place).to_have_text(
            "대기 중입니다. 지금 1번째 순서이며, 차례가 되면 답변해 드립니다."
        )
        korean.locator("select#language").select_option("en")
        expect(place).to_contain_text("You're number 1 in line")

        send(english, "xyzzy no room")
        alert = english.get_by_role("alert")
        expect(alert).to_be_visible()
        assert "busy" in alert.inner_text() and "send it again in" in alert.inner_text()
        assert english.locator("textarea#message").input_value() == "xyzzy no room"
        refused = english.locator("#messages").get_attribute("data-conversation-id")
        assert refused and shop.conversations.get(refused).message_count == 0

        model.answer(2)
        reply = korean.locator("#messages .msg[data-role=assistant][data-seq]")
        expect(reply).to_have_count(1)
        assert korean.locator(".queue-place").count() == 0
        assert not korean.locator("#error").is_visible()
        browser.close()


def send(page: Page, text: str) -> None:
    page.locator("textarea#message").fill(text)
    page.locator("textarea#message").press("Enter")

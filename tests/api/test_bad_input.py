"""Bad input to the chat API: oversized and blank messages, unknown conversations, malformed
JSON, wrong types, a guest reaching for account data. Each gets a clear 4xx in the one error
shape — never a 500 or a stack trace — and nothing is stored half."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from chat_bench import BUY_SPEAKER, OLIVIA, Chat, error_of, sse_events
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopkeep.agent.engine import Assistant
from shopkeep.agent.tools import IdentityPolicy
from shopkeep.api import create_app
from shopkeep.llm import ModelGateway, ScriptedBackend
from shopkeep.settings import AcpSettings, Settings
from shopkeep.store import Database, Store
from shopkeep.store.conversations import MAX_MESSAGE_CHARS

Make = Callable[..., Chat]
TAU2 = IdentityPolicy.tau2()
"""These tests verify guests by email or name + zip: tau2-bench's rule, chosen here."""


ORDER_ID = re.compile(r"#W\d+")
ROUTED = ['{"job": "smalltalk"}'] * 4
"""The model's answers when asked which job a message is (the keywords could not tell)."""


@pytest.fixture
def chat(shop: Store, tmp_path: Path) -> Make:
    def make(*script: str, **options: bool) -> Chat:
        return Chat.open(shop, tmp_path / "data", *script, **options)

    return make


def stored(c: Chat, conversation_id: str) -> tuple[int, int]:
    """What a refused request must leave as it was: the message count and the version."""
    conversation = c.shop.conversations.get(conversation_id)
    return conversation.message_count, conversation.version


def post_raw(browser: TestClient, url: str, content: bytes | str) -> Any:
    return browser.post(url, content=content, headers={"content-type": "application/json"})


# --- the message ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["messages", "messages/stream"])
@pytest.mark.parametrize("text", ["x" * (MAX_MESSAGE_CHARS + 1), "买" * (MAX_MESSAGE_CHARS + 1)])
def test_that_a_message_over_the_limit_is_refused_and_nothing_is_stored(
    chat: Make, route: str, text: str
) -> None:
    c = chat()
    browser = c.browser()
    conversation_id = c.start(browser)
    c.send(browser, conversation_id, "hello")
    before = stored(c, conversation_id)

    refused = browser.post(f"/api/conversations/{conversation_id}/{route}", json={"text": text})
    assert refused.status_code == 422
    error = error_of(refused)
    assert error["code"] == "invalid_request" and error["details"] == {"field": "text"}
    assert str(MAX_MESSAGE_CHARS) in error["message"]
    assert stored(c, conversation_id) == before


def test_that_a_message_at_the_limit_is_taken_whole(chat: Make) -> None:
    c = chat(*ROUTED)
    browser = c.browser()
    conversation_id = c.start(browser)
    text = ("the speaker " * MAX_MESSAGE_CHARS)[:MAX_MESSAGE_CHARS]
    turn = c.send(browser, conversation_id, text)
    assert turn["messages"][0]["text"] == text


def test_that_a_long_message_under_the_body_limit_is_refused_like_any_long_one(
    chat: Make,
) -> None:
    c = chat()
    browser = c.browser()
    conversation_id = c.start(browser)
    refused = browser.post(
        f"/api/conversations/{conversation_id}/messages", json={"text": "a" * 500_000}
    )
    assert refused.status_code == 422 and error_of(refused)["code"] == "invalid_request"
    assert stored(c, conversation_id) == (0, 1)


def test_that_a_megabyte_message_is_refused_unread_and_nothing_is_stored(chat: Make) -> None:
    c = chat()
    browser = c.browser()
    conversation_id = c.start(browser)
    refused = browser.post(
        f"/api/conversations/{conversation_id}/messages", json={"text": "a" * 1_000_000}
    )
    assert refused.status_code == 413 and error_of(refused)["code"] == "body_too_large"
    assert stored(c, conversation_id) == (0, 1)


@pytest.mark.parametrize("route", ["messages", "messages/stream"])
@pytest.mark.parametrize("text", ["", " ", "\n\t  \n", "\u3000"])
def test_that_a_blank_message_is_refused_before_the_model_is_asked_and_nothing_is_stored(
    chat: Make, route: str, text: str
) -> None:
    c = chat(*ROUTED)
    browser = c.browser()
    conversation_id = c.start(browser)
    before = stored(c, conversation_id)

    refused = browser.post(f"/api/conversations/{conversation_id}/{route}", json={"text": text})
    assert refused.status_code == 422, refused.text
    assert error_of(refused)["code"] in {"invalid_request", "message_blank"}
    assert c.backend.requests == []
    assert stored(c, conversation_id) == before


# --- conversations that are not there ---------------------------------------------------------


@pytest.mark.parametrize(
    "conversation_id",
    ["c_0000000000000000", "nope", "x" * 5000, "会话", "%2E%2E", "c_0000000000000000%00"],
)
def test_that_an_unknown_conversation_is_not_found_on_every_route(
    chat: Make, conversation_id: str
) -> None:
    c = chat()
    browser = c.browser()
    base = f"/api/conversations/{conversation_id}"
    answers = [
        browser.get(base),
        browser.get(f"{base}/messages"),
        browser.get(f"{base}/cart"),
        browser.get(f"{base}/live"),
        browser.post(f"{base}/messages", json={"text": "hello"}),
        browser.post(f"{base}/messages/stream", json={"text": "hello"}),
    ]
    for answer in answers:
        assert answer.status_code == 404, answer.text
        assert error_of(answer)["code"] in {"conversation_not_found", "not_found"}
    assert [a for a in answers if error_of(a)["code"] == "conversation_not_found"]


# --- malformed bodies -------------------------------------------------------------------------


@pytest.mark.parametrize("body", ['{"text": "hel', "not json", "{'text': 'hello'}", '{"text":}'])
def test_that_malformed_json_is_refused_as_such_and_nothing_is_stored(
    chat: Make, body: str
) -> None:
    c = chat()
    browser = c.browser()
    conversation_id = c.start(browser)
    before = stored(c, conversation_id)
    urls = [
        f"/api/conversations/{conversation_id}/messages",
        f"/api/conversations/{conversation_id}/messages/stream",
        "/api/conversations",
        "/api/session",
    ]
    for url in urls:
        refused = post_raw(browser, url, body)
        assert refused.status_code == 400, (url, refused.text)
        assert error_of(refused)["code"] == "invalid_json"
    assert stored(c, conversation_id) == before
    assert browser.get("/api/conversations").json()[0]["id"] == conversation_id


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("messages", {"text": 5}, "text"),
        ("messages", {"text": None}, "text"),
        ("messages", {"text": ["hello"]}, "text"),
        ("messages", {"text": {"en": "hello"}}, "text"),
        ("messages", {}, "text"),
        ("messages", ["hello"], ""),
        ("messages", "hello", ""),
        ("messages/stream", {"text": 5}, "text"),
        ("/api/conversations", {"language": "fr"}, "language"),
        ("/api/conversations", {"language": 3}, "language"),
        ("/api/session", {"customer_id": 5}, "customer_id"),
        ("/api/session", {"customer_id": "x" * 65}, "customer_id"),
    ],
)
def test_that_a_wrong_type_is_refused_naming_the_field(
    chat: Make, url: str, body: Any, field: str
) -> None:
    c = chat()
    browser = c.browser()
    conversation_id = c.start(browser)
    before = stored(c, conversation_id)
    if not url.startswith("/"):
        url = f"/api/conversations/{conversation_id}/{url}"

    refused = browser.post(url, json=body)
    assert refused.status_code == 422, refused.text
    error = error_of(refused)
    assert error["code"] == "invalid_request"
    assert error["details"].get("field", "") == field
    assert stored(c, conversation_id) == before
    assert len(browser.get("/api/conversations").json()) == 1
    assert browser.get("/api/session").json()["customer"] is None


@pytest.mark.parametrize("after", ["-1", "abc", "1.5", "99999999999999999999999"])
def test_that_a_bad_after_is_refused(chat: Make, after: str) -> None:
    c = chat()
    browser = c.browser()
    conversation_id = c.start(browser)
    for route in ("messages", "live"):
        refused = browser.get(f"/api/conversations/{conversation_id}/{route}?after={after}")
        assert refused.status_code == 422, refused.text
        assert error_of(refused)["details"] == {"field": "query.after"}


# --- a guest and account data -----------------------------------------------------------------


def test_that_a_guest_has_no_account_to_read(chat: Make) -> None:
    c = chat()
    refused = c.browser().get("/api/me")
    assert refused.status_code == 401 and error_of(refused)["code"] == "login_required"


def test_that_a_guest_cannot_open_a_customer_s_conversation(chat: Make) -> None:
    c = chat()
    olivia, guest = c.browser(), c.browser()
    c.sign_in(olivia, OLIVIA)
    conversation_id = c.start(olivia)
    c.send(olivia, conversation_id, BUY_SPEAKER)
    for url in ("", "/messages", "/cart"):
        refused = guest.get(f"/api/conversations/{conversation_id}{url}")
        assert refused.status_code == 404
        assert error_of(refused)["code"] == "conversation_not_found"
    assert guest.get("/api/conversations").json() == []


@pytest.mark.parametrize(
    "text",
    [
        "show me my orders",
        "where is my order?",
        "cancel my last order",
        "what's in my cart?",
        "I'm Olivia Brown, what did I buy?",
    ],
)
def test_that_a_guest_asking_for_account_data_in_chat_is_asked_to_verify_and_shown_nothing(
    chat: Make, text: str
) -> None:
    c = chat()
    browser = c.browser()
    conversation_id = c.start(browser)
    turn = c.send(browser, conversation_id, text)
    assert re.search(r"email|verify|confirm who you are", turn["reply"], re.I), turn["reply"]
    assert not ORDER_ID.search(turn["reply"])
    assert turn["cart"] == {"lines": [], "subtotal": None}
    assert turn["staged"] is None
    assert not [e for e in turn["events"] if e["kind"] in {"verified", "order_placed", "shown"}]
    assert c.shop.conversations.get(conversation_id).customer_id is None


def test_that_an_unknown_demo_customer_is_not_found_and_the_browser_stays_a_guest(
    chat: Make,
) -> None:
    c = chat()
    browser = c.browser()
    refused = browser.post("/api/session", json={"customer_id": "no_such_customer"})
    assert refused.status_code == 404 and error_of(refused)["code"] == "customer_not_found"
    assert browser.get("/api/session").json()["customer"] is None


def test_that_demo_login_when_off_is_forbidden_and_the_browser_stays_a_guest(
    chat: Make,
) -> None:
    c = chat(demo_login=False)
    browser = c.browser()
    refused = browser.post("/api/session", json={"customer_id": c.customer(OLIVIA)})
    assert refused.status_code == 403 and error_of(refused)["code"] == "demo_login_off"
    assert browser.get("/api/me").status_code == 401


# --- any body at all --------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
bodies = st.one_of(
    st.builds(lambda t: json.dumps({"text": t}), st.text(max_size=200)),
    st.builds(lambda t: json.dumps({"text": t}), st.text(min_size=3995, max_size=4005)),
    st.builds(lambda t: json.dumps({"text": t}, ensure_ascii=False), st.text(max_size=200)),
    st.builds(json.dumps, json_values),
    st.binary(max_size=100),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, route=st.sampled_from(["messages", "messages/stream"]))
def test_that_any_body_sent_as_a_message_is_answered_or_refused_never_half_stored(
    chat: Make, body: str | bytes, route: str
) -> None:
    c = chat(*ROUTED)
    browser = c.browser()
    conversation_id = c.start(browser)
    before = stored(c, conversation_id)

    answer = post_raw(browser, f"/api/conversations/{conversation_id}/{route}", body)
    assert answer.status_code < 500, answer.text
    after = stored(c, conversation_id)
    if answer.status_code >= 400:
        error_of(answer)
        assert after == before
        return
    turn = _turn_of(answer)
    if turn is None:  # the stream ended in an error event
        assert after == before
        return
    sent = json.loads(body)["text"]
    assert turn["messages"][0]["role"] == "customer" and turn["messages"][0]["text"] == sent
    assert after == (before[0] + len(turn["messages"]), before[1] + 1)


def _turn_of(answer: Any) -> dict[str, Any] | None:
    if not answer.headers["content-type"].startswith("text/event-stream"):
        turn: dict[str, Any] = answer.json()
        return turn
    *_, (name, data) = sse_events(answer.text.splitlines())
    if name == "error":
        assert set(data["error"]) >= {"code", "message"}
        return None
    assert name == "turn"
    last: dict[str, Any] = data
    return last


# --- text a database may not take -------------------------------------------------------------


def test_that_a_nul_character_in_a_message_is_never_a_server_error(
    db: Database, tmp_path: Path
) -> None:
    """PostgreSQL's text cannot hold NUL: a message with one must not fail as a 500."""
    store = Store(db)
    app = create_app(
        Settings(data_dir=tmp_path / "data"),
        store=store,
        assistant=Assistant(store, ModelGateway(ScriptedBackend(ROUTED)), identity=TAU2),
        acp_settings=AcpSettings(webhook_poll_seconds=0),
    )
    browser = TestClient(app, raise_server_exceptions=False)
    started = browser.post("/api/conversations", json={})
    conversation_id = started.json()["id"]

    unknown = browser.get("/api/conversations/c_0000000000000000%00")
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "conversation_not_found"
    answer = browser.post(
        f"/api/conversations/{conversation_id}/messages", json={"text": "hello\x00there"}
    )
    assert answer.status_code < 500, answer.text
    conversation = store.conversations.get(conversation_id)
    if answer.status_code >= 400:
        error_of(answer)
        assert conversation.message_count == 0
    else:
        assert conversation.message_count == len(answer.json()["messages"])

"""The shopper's chat API on the demo store: who the browser is (a demo customer or a guest),
starting a conversation, a turn as JSON and as a stream of server-sent events, the history, the
cart, product cards, a staff member's reply seen live, and conversations kept to their owner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx
import pytest
from chat_bench import (
    ASK_FOR_A_HUMAN,
    BUY_SPEAKER,
    JIAYI,
    OLIVIA,
    Chat,
    error_of,
    serving,
    sse_events,
)

from shopkeep.store import Store

Make = Callable[..., Chat]


@pytest.fixture
def chat(shop: Store, tmp_path: Path) -> Make:
    def make(*script: str, **options: bool) -> Chat:
        return Chat.open(shop, tmp_path / "data", *script, **options)

    return make


# --- who the browser is -----------------------------------------------------------------------


@pytest.mark.parametrize("demo_login", [True, False])
def test_that_a_new_browser_is_a_guest_and_learns_whether_it_may_pick_a_customer(
    chat: Make, demo_login: bool
) -> None:
    c = chat(demo_login=demo_login)
    session = c.browser().get("/api/session")
    assert session.status_code == 200
    assert session.json() == {"customer": None, "demo_login": demo_login}


def test_that_a_visitor_acts_as_a_demo_customer_and_then_as_a_guest_again(chat: Make) -> None:
    c = chat()
    browser = c.browser()
    customers = browser.get("/api/demo/customers")
    assert customers.status_code == 200
    olivia = c.customer(OLIVIA)
    assert olivia in [customer["id"] for customer in customers.json()]

    signed_in = browser.post("/api/session", json={"customer_id": olivia})
    assert signed_in.status_code == 200
    assert signed_in.json()["customer"]["email"] == OLIVIA
    assert browser.get("/api/session").json()["customer"]["id"] == olivia
    me = browser.get("/api/me")
    assert me.status_code == 200
    assert me.json() == {"id": olivia, "name": "Olivia Brown", "email": OLIVIA, "locale": "en"}

    as_guest = browser.post("/api/session", json={"customer_id": None})
    assert as_guest.status_code == 200 and as_guest.json()["customer"] is None
    assert browser.get("/api/me").status_code == 401


def test_that_with_demo_login_off_no_customer_can_be_picked_or_listed(chat: Make) -> None:
    c = chat(demo_login=False)
    browser = c.browser()
    listed = browser.get("/api/demo/customers")
    picked = browser.post("/api/session", json={"customer_id": c.customer(OLIVIA)})
    assert (listed.status_code, error_of(listed)["code"]) == (403, "demo_login_off")
    assert (picked.status_code, error_of(picked)["code"]) == (403, "demo_login_off")
    assert browser.get("/api/session").json()["customer"] is None
    assert browser.post("/api/session", json={"customer_id": None}).status_code == 200


# --- a conversation ---------------------------------------------------------------------------


def test_that_a_started_conversation_is_active_empty_and_in_the_page_s_language(
    chat: Make,
) -> None:
    c = chat()
    browser = c.browser()
    olivia = c.sign_in(browser, OLIVIA)
    started = browser.post("/api/conversations", json={"language": "ko"})
    assert started.status_code == 201
    body = started.json()
    assert body["status"] == "active" and body["messages"] == [] and body["staged"] is None
    assert body["language"] == "ko"
    assert body["customer"]["id"] == olivia
    stored = c.shop.conversations.get(body["id"])
    assert stored.customer_id == olivia and stored.channel == "web" and stored.language == "ko"


def test_that_a_sent_message_comes_back_with_the_reply_as_stored(chat: Make) -> None:
    c = chat()
    browser = c.browser()
    c.sign_in(browser, OLIVIA)
    conversation_id = c.start(browser)

    turn = c.send(browser, conversation_id, BUY_SPEAKER)
    assert turn["conversation_id"] == conversation_id
    assert turn["job"] == "buy" and turn["language"] == "en" and turn["status"] == "active"
    assert "Pebble Boom Portable Speaker (black) × 1: $59.00" in turn["reply"]
    assert turn["staged"]["action"] == "place_order"
    assert turn["staged"]["shown"] == turn["reply"]
    assert turn["handed_off"] is False
    customer, reply = turn["messages"]
    assert (customer["seq"], customer["role"], customer["text"]) == (1, "customer", BUY_SPEAKER)
    assert (reply["seq"], reply["role"], reply["text"]) == (2, "assistant", turn["reply"])
    assert reply["staged"] == turn["staged"]

    history = browser.get(f"/api/conversations/{conversation_id}").json()
    assert history["messages"] == turn["messages"]
    assert history["staged"] == turn["staged"]
    assert c.shop.conversations.get(conversation_id).message_count == 2


def test_that_the_stream_sends_thinking_then_the_reply_in_pieces_then_the_turn(
    chat: Make,
) -> None:
    c = chat()
    browser = c.browser()
    c.sign_in(browser, OLIVIA)
    conversation_id = c.start(browser)

    events = c.stream(browser, conversation_id, BUY_SPEAKER)
    names = [name for name, _ in events]
    assert names[0] == "thinking" and names[-1] == "turn"
    assert set(names[1:-1]) == {"delta"} and len(names) > 3
    turn = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "delta") == turn["reply"]
    assert turn["staged"]["action"] == "place_order"
    stored = browser.get(f"/api/conversations/{conversation_id}/messages").json()
    assert stored == turn["messages"]


def test_that_a_purchase_confirmed_in_the_stream_places_one_order_and_the_history_reads_on(
    chat: Make,
) -> None:
    c = chat()
    browser = c.browser()
    olivia = c.sign_in(browser, OLIVIA)
    assert olivia is not None
    conversation_id = c.start(browser)
    c.send(browser, conversation_id, BUY_SPEAKER)

    turn = c.stream(browser, conversation_id, "yes")[-1][1]
    (placed,) = [e for e in turn["events"] if e["kind"] == "order_placed"]
    assert turn["staged"] is None
    assert placed["order_id"] in turn["reply"]
    assert c.shop.conversations.get(conversation_id).order_ids == [placed["order_id"]]
    assert c.shop.orders.get(olivia, placed["order_id"]).total.display() == "$59.00"

    history = browser.get(f"/api/conversations/{conversation_id}").json()
    assert [m["seq"] for m in history["messages"]] == [1, 2, 3, 4]
    assert [m["role"] for m in history["messages"]] == ["customer", "assistant"] * 2
    assert [m["text"] for m in history["messages"][::2]] == [BUY_SPEAKER, "yes"]
    assert history["staged"] is None
    later = browser.get(f"/api/conversations/{conversation_id}/messages", params={"after": 2})
    assert later.json() == history["messages"][2:]


def test_that_the_cart_shows_what_the_customer_added_in_chat(chat: Make) -> None:
    c = chat()
    browser = c.browser()
    c.sign_in(browser, OLIVIA)
    conversation_id = c.start(browser)
    empty = browser.get(f"/api/conversations/{conversation_id}/cart").json()

    turn = c.send(browser, conversation_id, "add the AirBeat Pro in white to my cart")
    cart = browser.get(f"/api/conversations/{conversation_id}/cart").json()
    assert "airbeat-pro-white" not in [line["variant_id"] for line in empty["lines"]]
    assert cart == turn["cart"]
    (line,) = [line for line in cart["lines"] if line["variant_id"] == "airbeat-pro-white"]
    assert line["quantity"] == 1 and line["options"] == {"color": "white"}
    assert line["line_total"]["amount_minor"] == line["unit_price"]["amount_minor"]
    assert cart["subtotal"]["amount_minor"] == sum(
        entry["line_total"]["amount_minor"] for entry in cart["lines"]
    )


def test_that_a_guest_s_cart_is_empty(chat: Make) -> None:
    c = chat()
    browser = c.browser()
    conversation_id = c.start(browser)
    cart = browser.get(f"/api/conversations/{conversation_id}/cart")
    assert cart.status_code == 200
    assert cart.json() == {"lines": [], "subtotal": None}


def test_that_products_a_reply_lists_come_as_cards_in_the_customer_s_language(
    chat: Make,
) -> None:
    c = chat()
    browser = c.browser()
    c.sign_in(browser, JIAYI)
    conversation_id = c.start(browser)

    turn = c.send(browser, conversation_id, "有什么蓝牙音箱？")
    assert turn["language"] == "zh"
    reply = turn["messages"][-1]
    assert reply["role"] == "assistant" and reply["products"], reply
    for card in reply["products"]:
        product = c.shop.catalog.product(card["id"])
        assert card["name"] in reply["text"] or card["name"] == product.name.get("zh")
        low, high = product.price_range
        assert card["price_from"]["amount_minor"] == low.amount
        assert card["price_to"]["amount_minor"] == high.amount
        assert card["in_stock"] == any(v.in_stock for v in product.variants)
        assert card["image"]
    history = browser.get(f"/api/conversations/{conversation_id}/messages").json()
    assert history[-1]["products"] == reply["products"]


# --- live -------------------------------------------------------------------------------------


def test_that_the_live_stream_shows_the_staff_member_s_reply_as_it_is_written(
    chat: Make,
) -> None:
    c = chat()
    with serving(c.app) as url, httpx.Client(base_url=url, timeout=None) as browser:
        started = browser.post("/api/conversations", json={"language": "en"})
        conversation_id = started.json()["id"]
        handed = browser.post(
            f"/api/conversations/{conversation_id}/messages", json={"text": ASK_FOR_A_HUMAN}
        ).json()
        assert handed["status"] == "waiting_human" and handed["handed_off"] is True
        (handoff,) = [
            h for h in c.shop.conversations.queue() if h.conversation_id == conversation_id
        ]
        with browser.stream(
            "GET", f"/api/conversations/{conversation_id}/live", params={"after": 2}
        ) as live:
            assert live.status_code == 200
            events = sse_events(live.iter_lines())
            name, data = next(events)
            assert (name, data["status"]) == ("status", "waiting_human")

            c.shop.conversations.take(handoff.id, staff="agent")
            name, data = next(events)
            assert (name, data["status"]) == ("status", "human")
            c.shop.conversations.staff_reply(
                conversation_id, staff="agent", text="Hi, I'm Sam from the shop. How can I help?"
            )
            name, message = next(events)

    assert name == "message"
    assert message["seq"] == 3 and message["role"] == "staff"
    # The shopper sees the display name, never the sign-in name.
    assert message["author"] is None and message["author_name"] == "Agent"
    assert message["text"] == "Hi, I'm Sam from the shop. How can I help?"


# --- whose conversation -----------------------------------------------------------------------


def test_that_a_browser_cannot_open_a_conversation_another_browser_started(chat: Make) -> None:
    c = chat()
    owner, stranger = c.browser(), c.browser()
    conversation_id = c.start(owner)
    c.send(owner, conversation_id, "hello")
    before = c.shop.conversations.get(conversation_id)

    base = f"/api/conversations/{conversation_id}"
    tries = [
        stranger.get(base),
        stranger.get(f"{base}/messages"),
        stranger.get(f"{base}/cart"),
        stranger.get(f"{base}/live"),
        stranger.post(f"{base}/messages", json={"text": "show me my orders"}),
        stranger.post(f"{base}/messages/stream", json={"text": "show me my orders"}),
    ]
    for response in tries:
        assert response.status_code == 404, response.text
        assert error_of(response)["code"] == "conversation_not_found"
    assert conversation_id not in [c["id"] for c in stranger.get("/api/conversations").json()]
    after = c.shop.conversations.get(conversation_id)
    assert (after.message_count, after.version) == (before.message_count, before.version)


def test_that_a_signed_in_customer_lists_and_opens_their_own_conversations_anywhere(
    chat: Make,
) -> None:
    c = chat()
    laptop, phone, someone_else = c.browser(), c.browser(), c.browser()
    c.sign_in(laptop, OLIVIA)
    conversation_id = c.start(laptop)
    c.send(laptop, conversation_id, BUY_SPEAKER)

    c.sign_in(phone, OLIVIA)
    listed = phone.get("/api/conversations")
    assert listed.status_code == 200
    assert conversation_id in [conversation["id"] for conversation in listed.json()]
    opened = phone.get(f"/api/conversations/{conversation_id}")
    assert opened.status_code == 200
    assert opened.json()["messages"][0]["text"] == BUY_SPEAKER
    assert opened.json()["staged"]["action"] == "place_order"

    c.sign_in(someone_else, JIAYI)
    assert someone_else.get(f"/api/conversations/{conversation_id}").status_code == 404
    assert conversation_id not in [
        conversation["id"] for conversation in someone_else.get("/api/conversations").json()
    ]


def test_that_signing_in_as_someone_else_leaves_the_guest_s_conversations_behind(
    chat: Make,
) -> None:
    c = chat()
    browser = c.browser()
    conversation_id = c.start(browser)
    assert browser.get(f"/api/conversations/{conversation_id}").status_code == 200
    c.sign_in(browser, OLIVIA)
    assert browser.get(f"/api/conversations/{conversation_id}").status_code == 404
    assert browser.get("/api/conversations").json() == []

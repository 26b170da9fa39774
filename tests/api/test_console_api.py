"""The console's API on the demo store: staff sign-in, the handoff queue with the customer's
context, take over, reply, hand back, close; one holder at a time, and a quiet assistant while a
person holds the conversation."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shopkeep.agent.engine import Assistant
from shopkeep.agent.tools import IdentityPolicy
from shopkeep.api import create_app
from shopkeep.llm import ModelGateway, ScriptedBackend
from shopkeep.settings import AcpSettings, Settings, WebSettings
from shopkeep.store import Store

TAU2 = IdentityPolicy.tau2()
"""These tests verify guests by email or name + zip: tau2-bench's rule, chosen here."""


AGENT = {"username": "agent", "password": "agent-demo"}
OTHER = {"username": "agent2", "password": "second-agent-quiet-harbour"}
ASK_FOR_A_HUMAN = "I want to talk to a human"


@dataclass
class Desk:
    """The app on the test's shop with a scripted model (an empty script: any model call fails
    the test), and a browser per person."""

    app: FastAPI
    shop: Store
    backend: ScriptedBackend

    def client(self) -> TestClient:
        return TestClient(self.app)

    def staff(self, credentials: dict[str, str] = AGENT) -> TestClient:
        client = self.client()
        signed_in = client.post("/api/staff/login", json=credentials)
        assert signed_in.status_code == 200, signed_in.text
        return client

    def shopper(self, customer_id: str | None) -> tuple[TestClient, str]:
        """A browser signed in as the customer (None: a guest), with a conversation started."""
        client = self.client()
        assert client.post("/api/session", json={"customer_id": customer_id}).status_code == 200
        started = client.post("/api/conversations", json={"language": "en"})
        assert started.status_code == 201, started.text
        return client, started.json()["id"]


@pytest.fixture
def desk(shop: Store, tmp_path: Path) -> Desk:
    backend = ScriptedBackend([])
    settings = Settings(data_dir=tmp_path / "data", web=WebSettings(demo_login=True))
    app = create_app(
        settings,
        store=shop,
        assistant=Assistant(shop, ModelGateway(backend), identity=TAU2),
        acp_settings=AcpSettings(webhook_poll_seconds=0),
    )
    shop.staff.add(OTHER["username"], password=OTHER["password"], role="agent")
    return Desk(app, shop, backend)


def customer_with_orders(shop: Store) -> str:
    for customer in shop.customers.page(limit=100):
        if len(shop.orders.history(customer.id)) >= 2:
            return customer.id
    raise AssertionError("the demo store has a customer with orders")


def handed_off(desk: Desk, customer_id: str | None) -> tuple[TestClient, str, int]:
    """A shopper who asked for a person: their browser, the conversation and its handoff."""
    shopper, conversation_id = desk.shopper(customer_id)
    turn = shopper.post(
        f"/api/conversations/{conversation_id}/messages", json={"text": ASK_FOR_A_HUMAN}
    )
    assert turn.status_code == 200, turn.text
    assert turn.json()["status"] == "waiting_human"
    handoff_id = desk.shop.conversations.get(conversation_id).open_handoff_id
    assert handoff_id is not None
    return shopper, conversation_id, handoff_id


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


# --- signing in --------------------------------------------------------------------------


STAFF_ROUTES = [
    ("GET", "/api/staff/me", None),
    ("GET", "/api/console/queue", None),
    ("GET", "/api/console/live", None),
    ("GET", "/api/console/conversations/{c}", None),
    ("GET", "/api/console/conversations/{c}/live", None),
    ("POST", "/api/console/handoffs/{h}/take", None),
    ("POST", "/api/console/handoffs/{h}/reply", {"text": "hello"}),
    ("POST", "/api/console/handoffs/{h}/hand-back", {"note": "n"}),
    ("POST", "/api/console/handoffs/{h}/close", None),
]


def test_that_every_console_route_refuses_a_browser_without_a_staff_sign_in(desk: Desk) -> None:
    shopper, conversation_id, handoff_id = handed_off(desk, None)
    for method, path, body in STAFF_ROUTES:
        url = path.format(c=conversation_id, h=handoff_id)
        for who in (desk.client(), shopper):
            refused = who.request(method, url, json=body)
            assert refused.status_code == 401, (method, url, refused.text)
            assert error_code(refused) == "staff_login_required"
    assert desk.shop.conversations.handoff(handoff_id).status == "waiting"
    assert [m.role for m in desk.shop.conversations.messages(conversation_id)] == [
        "customer",
        "assistant",
    ]


def test_that_a_wrong_password_and_an_unknown_name_are_refused_alike(desk: Desk) -> None:
    client = desk.client()
    wrong_password = client.post("/api/staff/login", json={**AGENT, "password": "agent-dem0"})
    unknown_name = client.post("/api/staff/login", json={**AGENT, "username": "agnet"})
    for refused in (wrong_password, unknown_name):
        assert refused.status_code == 401
        assert error_code(refused) == "bad_credentials"
    assert wrong_password.json() == unknown_name.json()
    assert client.get("/api/staff/me").status_code == 401


def test_that_a_staff_member_signs_in_sees_who_they_are_and_signs_out(desk: Desk) -> None:
    client = desk.client()
    signed_in = client.post("/api/staff/login", json=AGENT)
    assert signed_in.status_code == 200
    assert signed_in.json() == {"username": "agent", "display_name": "Agent", "role": "agent"}
    assert client.get("/api/staff/me").json() == signed_in.json()
    assert client.post("/api/staff/logout").status_code == 200
    assert error_code(client.get("/api/staff/me")) == "staff_login_required"
    assert client.get("/api/console/queue").status_code == 401


def test_that_a_deactivated_account_loses_the_console_on_its_next_request(desk: Desk) -> None:
    _, _, handoff_id = handed_off(desk, None)
    other = desk.staff(OTHER)
    assert other.get("/api/console/queue").status_code == 200
    desk.shop.staff.deactivate(OTHER["username"])
    refused = other.post(f"/api/console/handoffs/{handoff_id}/take")
    assert refused.status_code == 401
    assert desk.shop.conversations.handoff(handoff_id).status == "waiting"
    again = desk.client().post("/api/staff/login", json=OTHER)
    assert error_code(again) == "bad_credentials"


# --- the queue ---------------------------------------------------------------------------


def test_that_the_queue_shows_each_handoff_with_its_summary_and_the_customers_context(
    desk: Desk,
) -> None:
    customer_id = customer_with_orders(desk.shop)
    _, known, _ = handed_off(desk, customer_id)
    _, guest, _ = handed_off(desk, None)
    queue = desk.staff().get("/api/console/queue")
    assert queue.status_code == 200
    by_conversation = {h["conversation_id"]: h for h in queue.json()}
    assert set(by_conversation) == {known, guest}

    shown = by_conversation[known]
    assert shown["status"] == "waiting" and shown["staff"] is None
    assert shown["reason"] == "requested"
    assert shown["summary"] == desk.shop.conversations.queue()[0].summary
    assert shown["summary"].strip()
    customer = desk.shop.customers.get(customer_id)
    context = shown["customer"]
    assert (context["id"], context["name"], context["email"], context["locale"]) == (
        customer.id,
        customer.name,
        customer.email,
        customer.locale,
    )
    assert context["profile"] == customer.profile
    newest = desk.shop.orders.history(customer_id, limit=5)
    assert [o["id"] for o in context["orders"]] == [o.id for o in newest]
    first = context["orders"][0]
    assert first["status"] == newest[0].status
    assert first["total"]["amount_minor"] == newest[0].total.amount
    assert first["items"] == newest[0].item_names

    assert by_conversation[guest]["customer"] is None


def test_that_a_taken_handoff_stays_in_the_queue_with_who_holds_it(desk: Desk) -> None:
    _, conversation_id, handoff_id = handed_off(desk, None)
    agent = desk.staff()
    taken = agent.post(f"/api/console/handoffs/{handoff_id}/take")
    assert taken.status_code == 200
    assert (taken.json()["status"], taken.json()["staff"]) == ("taken", "agent")
    (shown,) = desk.staff(OTHER).get("/api/console/queue").json()
    assert (shown["conversation_id"], shown["status"], shown["staff"]) == (
        conversation_id,
        "taken",
        "agent",
    )


def test_that_a_conversation_shows_every_message_and_its_open_handoff(desk: Desk) -> None:
    customer_id = customer_with_orders(desk.shop)
    _, conversation_id, handoff_id = handed_off(desk, customer_id)
    seen = desk.staff().get(f"/api/console/conversations/{conversation_id}")
    assert seen.status_code == 200
    body = seen.json()
    assert body["status"] == "waiting_human"
    assert body["handoff"]["id"] == handoff_id
    assert body["customer"]["id"] == customer_id
    assert [m["role"] for m in body["messages"]] == ["customer", "assistant"]
    assert body["messages"][0]["text"] == ASK_FOR_A_HUMAN


def test_that_unknown_ids_and_bad_replies_get_a_clear_error_and_change_nothing(
    desk: Desk,
) -> None:
    _, conversation_id, handoff_id = handed_off(desk, None)
    agent = desk.staff()
    assert error_code(agent.get("/api/console/conversations/c_nope")) == "conversation_not_found"
    assert agent.get("/api/console/conversations/c_nope/live").status_code == 404
    assert error_code(agent.post("/api/console/handoffs/999999/take")) == "handoff_not_found"
    assert agent.post(f"/api/console/handoffs/{handoff_id}/take").status_code == 200
    reply = f"/api/console/handoffs/{handoff_id}/reply"
    assert error_code(agent.post(reply, json={"text": "   "})) == "message_blank"
    assert agent.post(reply, json={"text": "x" * 4001}).status_code == 422
    assert agent.post(reply, json={}).status_code == 422
    malformed = agent.post(
        reply, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert error_code(malformed) == "invalid_json"
    assert desk.shop.conversations.get(conversation_id).message_count == 2


# --- holding a conversation --------------------------------------------------------------


def test_that_an_agent_cannot_act_on_a_conversation_another_agent_holds(desk: Desk) -> None:
    _, conversation_id, handoff_id = handed_off(desk, None)
    agent, other = desk.staff(), desk.staff(OTHER)
    assert agent.post(f"/api/console/handoffs/{handoff_id}/take").status_code == 200
    before = desk.shop.conversations.get(conversation_id)

    took = other.post(f"/api/console/handoffs/{handoff_id}/take")
    assert (took.status_code, error_code(took)) == (409, "handoff_not_waiting")
    for action, body in (("reply", {"text": "I'll take it from here"}), ("hand-back", {})):
        refused = other.post(f"/api/console/handoffs/{handoff_id}/{action}", json=body)
        assert (refused.status_code, error_code(refused)) == (409, "conversation_not_held")
        assert refused.json()["error"]["details"]["holder"] == "agent"
    closed = other.post(f"/api/console/handoffs/{handoff_id}/close")
    assert (closed.status_code, error_code(closed)) == (409, "conversation_not_held")

    after = desk.shop.conversations.get(conversation_id)
    assert (after.status, after.message_count, after.version) == (
        "human",
        before.message_count,
        before.version,
    )
    handoff = desk.shop.conversations.handoff(handoff_id)
    assert (handoff.status, handoff.staff) == ("taken", "agent")


def test_that_the_assistant_never_speaks_while_a_human_holds_the_conversation(
    desk: Desk,
) -> None:
    shopper, conversation_id, handoff_id = handed_off(desk, None)
    agent = desk.staff()
    assert agent.post(f"/api/console/handoffs/{handoff_id}/take").status_code == 200

    for text in ("hello?", "where is my order", "I want to cancel everything"):
        turn = shopper.post(f"/api/conversations/{conversation_id}/messages", json={"text": text})
        assert turn.status_code == 200
        assert (turn.json()["reply"], turn.json()["status"]) == ("", "human")
        assert [m["role"] for m in turn.json()["messages"]] == ["customer"]
    sent = agent.post(
        f"/api/console/handoffs/{handoff_id}/reply", json={"text": "Hi, this is Sam from support."}
    )
    assert sent.status_code == 200
    assert (sent.json()["role"], sent.json()["author"]) == ("staff", "agent")

    history = shopper.get(f"/api/conversations/{conversation_id}").json()["messages"]
    assert [m["role"] for m in history] == [
        "customer",
        "assistant",
        "customer",
        "customer",
        "customer",
        "staff",
    ]
    assert history[-1]["text"] == "Hi, this is Sam from support."
    assert desk.backend.requests == []


def test_that_handing_back_lets_the_assistant_speak_again(desk: Desk) -> None:
    shopper, conversation_id, handoff_id = handed_off(desk, None)
    agent = desk.staff()
    agent.post(f"/api/console/handoffs/{handoff_id}/take")
    quiet = shopper.post(f"/api/conversations/{conversation_id}/messages", json={"text": "hello"})
    assert quiet.json()["reply"] == ""

    back = agent.post(
        f"/api/console/handoffs/{handoff_id}/hand-back", json={"note": "asked about returns"}
    )
    assert back.status_code == 200
    assert back.json()["status"] == "returned"
    assert desk.shop.conversations.handoff(handoff_id).note == "asked about returns"
    assert desk.staff(OTHER).get("/api/console/queue").json() == []

    spoken = shopper.post(f"/api/conversations/{conversation_id}/messages", json={"text": "hello"})
    assert spoken.json()["status"] == "active"
    assert spoken.json()["reply"].strip()
    assert [m["role"] for m in spoken.json()["messages"]] == ["customer", "assistant"]
    late = agent.post(f"/api/console/handoffs/{handoff_id}/reply", json={"text": "one more"})
    assert error_code(late) == "conversation_not_held"
    closed = agent.post(f"/api/console/handoffs/{handoff_id}/close")
    assert (closed.status_code, error_code(closed)) == (409, "handoff_not_open")
    assert desk.shop.conversations.get(conversation_id).status == "active"


def test_that_closing_ends_the_conversation_and_empties_the_queue(desk: Desk) -> None:
    shopper, conversation_id, handoff_id = handed_off(desk, None)
    agent = desk.staff()
    closed = agent.post(f"/api/console/handoffs/{handoff_id}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert desk.shop.conversations.get(conversation_id).status == "closed"
    assert agent.get("/api/console/queue").json() == []
    assert agent.post(f"/api/console/handoffs/{handoff_id}/close").status_code == 200
    taken = agent.post(f"/api/console/handoffs/{handoff_id}/take")
    assert error_code(taken) == "handoff_not_waiting"
    seen = shopper.get(f"/api/conversations/{conversation_id}").json()
    assert seen["status"] == "closed"


# --- live, over a real server ------------------------------------------------------------


@dataclass
class Event:
    name: str
    data: Any


def events(response: httpx.Response) -> Iterator[Event]:
    """The server-sent events of a streamed response, as they come."""
    name, data = "message", list[str]()
    for line in response.iter_lines():
        if line == "":
            if data:
                yield Event(name, json.loads("\n".join(data)))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


def next_event(stream: Iterator[Event], name: str, where: Callable[[Any], bool]) -> Event:
    for event in stream:
        if event.name == name and where(event.data):
            return event
    raise AssertionError(f"the stream ended without a {name} event")


@pytest.fixture
def served(desk: Desk) -> Iterator[str]:
    """The desk's app on a real server on loopback (a test client cannot follow an endless
    stream)."""
    config = uvicorn.Config(desk.app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


def test_that_the_live_queue_and_the_shoppers_live_chat_follow_the_handoff(
    desk: Desk, served: str
) -> None:
    # No timeout: a wait that never ends is a failure the test runner shows.
    with (
        httpx.Client(base_url=served, timeout=None) as shopper,
        httpx.Client(base_url=served, timeout=None) as agent,
    ):
        assert agent.post("/api/staff/login", json=AGENT).status_code == 200
        shopper.post("/api/session", json={"customer_id": None})
        conversation_id = shopper.post("/api/conversations", json={}).json()["id"]
        with agent.stream("GET", "/api/console/live") as queue_response:
            queue = events(queue_response)
            assert next_event(queue, "queue", lambda d: True).data == {"handoffs": []}
            shopper.post(
                f"/api/conversations/{conversation_id}/messages", json={"text": ASK_FOR_A_HUMAN}
            )
            waiting = next_event(queue, "queue", lambda d: bool(d["handoffs"])).data["handoffs"]
            assert [(h["conversation_id"], h["status"]) for h in waiting] == [
                (conversation_id, "waiting")
            ]
            assert waiting[0]["summary"].strip()
            handoff_id = waiting[0]["id"]

            live_url = f"/api/conversations/{conversation_id}/live"
            with shopper.stream("GET", live_url, params={"after": 2}) as chat_response:
                chat = events(chat_response)
                assert next_event(chat, "status", lambda d: True).data["status"] == "waiting_human"
                agent.post(f"/api/console/handoffs/{handoff_id}/take")
                taken = next_event(queue, "queue", lambda d: d["handoffs"][0]["status"] == "taken")
                assert taken.data["handoffs"][0]["staff"] == "agent"
                assert next_event(chat, "status", lambda d: True).data["status"] == "human"
                agent.post(
                    f"/api/console/handoffs/{handoff_id}/reply", json={"text": "Sam here, hi!"}
                )
                said = next_event(chat, "message", lambda d: True).data
                assert (said["role"], said["text"]) == ("staff", "Sam here, hi!")
                agent.post(f"/api/console/handoffs/{handoff_id}/hand-back", json={})
                assert next_event(queue, "queue", lambda d: True).data == {"handoffs": []}
                assert next_event(chat, "status", lambda d: True).data["status"] == "active"


def test_that_the_console_follows_a_conversations_messages_and_holder_live(
    desk: Desk, served: str
) -> None:
    with (
        httpx.Client(base_url=served, timeout=None) as shopper,
        httpx.Client(base_url=served, timeout=None) as agent,
    ):
        assert agent.post("/api/staff/login", json=AGENT).status_code == 200
        shopper.post("/api/session", json={"customer_id": None})
        conversation_id = shopper.post("/api/conversations", json={}).json()["id"]
        shopper.post(
            f"/api/conversations/{conversation_id}/messages", json={"text": ASK_FOR_A_HUMAN}
        )
        url = f"/api/console/conversations/{conversation_id}/live"
        with agent.stream("GET", url) as response:
            stream = events(response)
            first = [next_event(stream, "message", lambda d: True).data for _ in range(2)]
            assert [m["role"] for m in first] == ["customer", "assistant"]
            status = next_event(stream, "status", lambda d: True).data
            assert status["status"] == "waiting_human"
            assert status["handoff"]["status"] == "waiting"
            agent.post(f"/api/console/handoffs/{status['handoff']['id']}/take")
            held = next_event(stream, "status", lambda d: True).data
            assert (held["status"], held["handoff"]["staff"]) == ("human", "agent")
            shopper.post(
                f"/api/conversations/{conversation_id}/messages", json={"text": "are you there?"}
            )
            said = next_event(stream, "message", lambda d: True).data
            assert (said["role"], said["text"], said["seq"]) == ("customer", "are you there?", 3)

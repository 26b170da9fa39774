"""The chat API's test bench: the app on the test's demo shop with the assistant on a scripted
model, browsers with their own cookies, a real server in a thread, and server-sent events read
back from the wire."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shopkeep.agent.engine import Assistant
from shopkeep.agent.tools import IdentityPolicy
from shopkeep.api import create_app
from shopkeep.llm import ModelGateway, ScriptedBackend
from shopkeep.llm.backends.scripted import Reply
from shopkeep.settings import AcpSettings, Settings, WebSettings
from shopkeep.store import Store

OLIVIA = "olivia.brown69@example.com"  # Visa 7076; writes English
JIAYI = "jiayi.chen41@example.com"  # writes Chinese
BUY_SPEAKER = "I'd like to buy the Pebble Boom speaker in black"
ASK_FOR_A_HUMAN = "I want to talk to a human"

Event = tuple[str, Any]
"""A server-sent event: its name and its JSON data."""


@dataclass
class Chat:
    """The app on the test's shop. The model is scripted: an empty script (the default) fails
    any turn that calls the model, so the flows' turns prove they need none."""

    shop: Store
    app: FastAPI
    backend: ScriptedBackend

    @classmethod
    def open(
        cls,
        shop: Store,
        data_dir: Path,
        *script: Reply,
        demo_login: bool = True,
        free_wording: bool = False,
        identity: IdentityPolicy | None = None,
    ) -> Chat:
        """`identity`: how guests prove who they are; default tau2-bench's rule (the chat
        API's tests verify guests by email), the shop's own modes where a test names one."""
        backend = ScriptedBackend(list(script))
        identity = identity or IdentityPolicy.tau2()
        assistant = Assistant(
            shop, ModelGateway(backend), free_wording=free_wording, identity=identity
        )
        settings = Settings(data_dir=data_dir, web=WebSettings(demo_login=demo_login))
        app = create_app(
            settings,
            store=shop,
            assistant=assistant,
            acp_settings=AcpSettings(webhook_poll_seconds=0),
        )
        return cls(shop, app, backend)

    def browser(self) -> TestClient:
        """A new browser: its own session cookie, a guest until it signs in."""
        return TestClient(self.app)

    def customer(self, email: str) -> str:
        return self.shop.customers.find_by_email(email)

    def sign_in(self, browser: TestClient, email: str | None) -> str | None:
        customer_id = None if email is None else self.customer(email)
        signed_in = browser.post("/api/session", json={"customer_id": customer_id})
        assert signed_in.status_code == 200, signed_in.text
        return customer_id

    def start(self, browser: TestClient, **body: Any) -> str:
        started = browser.post("/api/conversations", json=body)
        assert started.status_code == 201, started.text
        conversation_id: str = started.json()["id"]
        return conversation_id

    def send(self, browser: TestClient, conversation_id: str, text: str) -> dict[str, Any]:
        sent = browser.post(f"/api/conversations/{conversation_id}/messages", json={"text": text})
        assert sent.status_code == 200, sent.text
        turn: dict[str, Any] = sent.json()
        return turn

    def stream(self, browser: TestClient, conversation_id: str, text: str) -> list[Event]:
        with browser.stream(
            "POST", f"/api/conversations/{conversation_id}/messages/stream", json={"text": text}
        ) as response:
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"].startswith("text/event-stream")
            return list(sse_events(response.iter_lines()))


def sse_events(lines: Iterable[str]) -> Iterator[Event]:
    """The events of a text/event-stream, as they come (comments and keep-alives skipped)."""
    name, data = "message", list[str]()
    for line in lines:
        if line == "":
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data.append(line.removeprefix("data:").removeprefix(" "))
    if data:
        yield name, json.loads("\n".join(data))


def error_of(response: Any) -> dict[str, Any]:
    """The refusal's {code, message}, checked to be in the one error shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in error["message"]
    return error


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app on a real server in a thread (the test client cannot follow an endless stream)."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()

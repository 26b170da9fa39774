"""`serve` runs the API for real (uvicorn, settings from the environment), and an agent that
follows docs/acp.md alone — its headers, its requests, its signature check — buys an item."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from acp_bench import AcpSpec, Receiver

DOCS = Path(__file__).resolve().parents[2] / "docs" / "acp.md"
KEY = "docs-test-key"
SECRET = "docs-webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(demo_url: str, tmp_path: Path, receiver: Receiver) -> Iterator[tuple[str, Any]]:
    port = free_port()
    env = {
        **os.environ,
        "SHOPKEEP_DATABASE_URL": demo_url,
        "SHOPKEEP_DATA_DIR": str(tmp_path / "data"),
        "SHOPKEEP_ACP__API_KEY": KEY,
        "SHOPKEEP_ACP__BASE_URL": "https://shop.example.com",
        "SHOPKEEP_ACP__WEBHOOK_URL": receiver.url,
        "SHOPKEEP_ACP__WEBHOOK_SECRET": SECRET,
    }
    process = subprocess.Popen(
        [sys.executable, "-c", f"from shopkeep.cli.serve import serve; serve(port={port})"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    while True:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"the server stopped: {output}")
        try:
            with urllib.request.urlopen(f"{base}/health") as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.1)
    yield base, process
    process.terminate()
    process.wait()


def docs_verify() -> Callable[..., bool]:
    """The signature check docs/acp.md gives receivers, as written there."""
    block = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert block is not None, "docs/acp.md shows how to verify a webhook signature"
    namespace: dict[str, Any] = {}
    exec(block.group(1), namespace)
    verify: Callable[..., bool] = namespace["verify"]
    return verify


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {KEY}", "API-Version": "2026-04-17"}
    data = None
    if method == "POST":
        headers["Idempotency-Key"] = str(uuid.uuid4())
        headers["Content-Type"] = "application/json"
        data = json.dumps(body or {}).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_that_an_agent_following_the_docs_buys_an_item_from_the_served_shop(
    server: tuple[str, Any], receiver: Receiver, acp_spec: AcpSpec
) -> None:
    base, process = server
    status, session = call(
        base,
        "POST",
        "/checkout_sessions",
        {
            "currency": "usd",
            "line_items": [{"id": "powercube-20k-graphite", "quantity": 2}],
            "capabilities": {},
        },
    )
    assert status == 201
    acp_spec.validate(session, "CheckoutSession")
    status, session = call(
        base,
        "POST",
        f"/checkout_sessions/{session['id']}",
        {
            "buyer": {"email": "ada.park@example.com", "first_name": "Ada", "last_name": "Park"},
            "fulfillment_details": {
                "name": "Ada Park",
                "phone_number": "15551234567",
                "address": {
                    "name": "Ada Park",
                    "line_one": "1 Main St",
                    "line_two": "Apt 2",
                    "city": "Springfield",
                    "state": "IL",
                    "country": "US",
                    "postal_code": "62701",
                },
            },
            "discounts": {"codes": ["SAVE5"]},
        },
    )
    assert (status, session["status"]) == (200, "ready_for_payment")
    acp_spec.validate(session, "CheckoutSession")

    status, done = call(
        base,
        "POST",
        f"/checkout_sessions/{session['id']}/complete",
        {
            "payment_data": {
                "handler_id": "sandbox_card",
                "instrument": {"type": "card", "credential": {"type": "spt", "token": "tok_1"}},
            }
        },
    )
    assert (status, done["status"]) == (200, "completed")
    acp_spec.validate(done, "CheckoutSessionWithOrder")
    assert done["order"]["permalink_url"].startswith("https://shop.example.com/orders/")
    assert {t["type"]: t["amount"] for t in done["totals"]}["total"] == 9300

    while not receiver.received:  # the order_create event follows the completion
        assert process.poll() is None, "the server stopped"
        time.sleep(0.05)
    event = receiver.received[0]
    assert docs_verify()(SECRET.encode(), event.headers["Merchant-Signature"], event.body)
    assert json.loads(event.body)["data"]["id"] == done["order"]["id"]

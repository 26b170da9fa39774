"""Crash recovery: a real `shopkeep serve` killed with SIGKILL while a payment waits for the
customer's yes, while the payment is executing (the sandbox gateway made slow), and after it
was paid but before the turn was written. After a restart the
conversation resumes where it stood, the payment happened exactly once or not at all, and the
customer is told which."""

from __future__ import annotations

import contextlib
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import func, select
from web_harness import Served, start_server

from shopkeep.agent.state import State
from shopkeep.agent.tools import ShopTools
from shopkeep.store import Database, Store
from shopkeep.store.models import Order, SandboxGatewayRecord

OLIVIA = "olivia.brown69@example.com"
BUY_SPEAKER = "I'd like to buy the Pebble Boom speaker in black"


class Shop:
    def __init__(self, template: Path, where: Path) -> None:
        shutil.copy(template, where / "shop.sqlite3")
        self.url = f"sqlite:///{where / 'shop.sqlite3'}"
        self.data = where / "data"
        self.store = Store(Database(self.url))
        self.http = httpx.Client(timeout=None)
        self.server: Served | None = None

    def start(self) -> Served:
        self.server = start_server(self.url, self.data)
        return self.server

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, whatever was in flight is cut."""
        assert self.server is not None
        self.server.process.send_signal(signal.SIGKILL)
        self.server.process.wait()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        assert self.server is not None
        answer = self.http.post(self.server.base_url + path, json=body)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    def payments_and_orders(self, customer_id: str) -> tuple[int, int]:
        with self.store.db.reading() as s:
            orders = s.scalar(
                select(func.count()).select_from(Order).where(Order.customer_id == customer_id)
            )
            charges = s.scalar(
                select(func.count())
                .select_from(SandboxGatewayRecord)
                .where(SandboxGatewayRecord.operation == "charge")
            )
        return int(orders or 0), int(charges or 0)


@pytest.fixture
def shop(live_demo_template: Path, tmp_path: Path) -> Iterator[Shop]:
    s = Shop(live_demo_template, tmp_path)
    yield s
    if s.server is not None:
        s.server.stop()
    s.store.close()


def staged_purchase(shop: Shop) -> tuple[str, str]:
    customer_id = shop.store.customers.find_by_email(OLIVIA)
    shop.post("/api/session", {"customer_id": customer_id})
    conversation = shop.post("/api/conversations", {"language": "en"})["id"]
    turn = shop.post(f"/api/conversations/{conversation}/messages", {"text": BUY_SPEAKER})
    assert turn["staged"] is not None and turn["staged"]["action"] == "place_order"
    return customer_id, conversation


def test_that_a_server_killed_while_a_payment_waits_resumes_and_pays_once_on_the_yes(
    shop: Shop,
) -> None:
    shop.start()
    customer_id, conversation = staged_purchase(shop)
    before = shop.payments_and_orders(customer_id)
    shop.kill()

    shop.start()
    resumed = shop.http.get(f"{shop.server.base_url}/api/conversations/{conversation}").json()
    assert resumed["staged"] is not None  # still waiting for the customer's yes
    assert shop.payments_and_orders(customer_id) == before  # nothing paid
    yes = shop.post(f"/api/conversations/{conversation}/messages", {"text": "yes"})
    assert [e["kind"] for e in yes["events"]].count("order_placed") == 1
    orders, charges = shop.payments_and_orders(customer_id)
    assert (orders, charges) == (before[0] + 1, before[1] + 1)


def test_that_a_server_killed_after_paying_tells_the_customer_and_never_pays_again(
    shop: Shop,
) -> None:
    shop.start()
    customer_id, conversation = staged_purchase(shop)
    before = shop.payments_and_orders(customer_id)
    shop.kill()
    # What the dead server had done on the customer's yes before it was killed: the store paid
    # the staged purchase under its key; the turn was never written.
    state = State.model_validate(shop.store.conversations.get(conversation).state)
    assert state.staged is not None
    staged, state.turn = state.staged, state.turn + 1
    order_id = ShopTools(shop.store, state).commit(staged).id

    shop.start()
    opened = shop.http.get(f"{shop.server.base_url}/api/conversations/{conversation}").json()
    told = [m["text"] for m in opened["messages"] if "went through" in m["text"]]
    assert len(told) == 1 and order_id in told[0]  # told as the page opens, before any message
    assert opened["staged"] is None
    again = shop.post(f"/api/conversations/{conversation}/messages", {"text": "yes"})
    assert "went through" not in again["reply"]  # told once
    assert shop.payments_and_orders(customer_id) == (before[0] + 1, before[1] + 1)


def test_that_a_server_killed_while_the_payment_executes_pays_exactly_once_after_restart(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPKEEP_SANDBOX__CHARGE_SECONDS", "3")  # a slow gateway: time to kill
    shop.start()
    customer_id, conversation = staged_purchase(shop)
    before = shop.payments_and_orders(customer_id)
    server = shop.server
    assert server is not None

    def say_yes() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server dies under this request
            httpx.post(
                f"{server.base_url}/api/conversations/{conversation}/messages",
                json={"text": "yes"},
                cookies=shop.http.cookies,
                timeout=None,
            )

    pending = threading.Thread(target=say_yes)
    pending.start()
    while shop.payments_and_orders(customer_id)[0] == before[0]:
        time.sleep(0.05)  # waiting for the order row: the payment is now under way
    shop.kill()
    pending.join()
    assert shop.payments_and_orders(customer_id) == (before[0] + 1, before[1])  # not charged

    monkeypatch.delenv("SHOPKEEP_SANDBOX__CHARGE_SECONDS")
    shop.start()
    resumed = shop.http.get(f"{shop.server.base_url}/api/conversations/{conversation}").json()
    assert resumed["staged"] is not None  # not paid: still waiting, and the page says so
    yes = shop.post(f"/api/conversations/{conversation}/messages", {"text": "yes"})
    assert [e["kind"] for e in yes["events"]].count("order_placed") == 1
    # The same order, paid once: the yes finished the payment under the purchase's key.
    assert shop.payments_and_orders(customer_id) == (before[0] + 1, before[1] + 1)

"""Several workers on one database: two real `shopkeep serve` processes (each with the real 0.5B
model) on one SQLite file, and on one PostgreSQL database, take turns of one conversation with
the browser's cookie carried between them; a conversation outlives its server; and two messages
of one conversation answered at the same moment by two workers are both kept."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from web_harness import Served, start_server

from shopkeep.store import Database, Store
from shopkeep.store.demo import seed_demo
from shopkeep.store.models import Order

OLIVIA = "olivia.brown69@example.com"  # Visa 7076
BUY_SPEAKER = "I'd like to buy the Pebble Boom speaker in black"
PG_ADMIN_URL = os.environ.get(
    "SHOPKEEP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Workers:
    """Servers on one database and one data directory (so one secret key signs the cookies)."""

    database_url: str
    data_dir: Path
    store: Store
    servers: list[Served] = field(default_factory=list)

    def start(self) -> Served:
        served = start_server(self.database_url, self.data_dir)
        self.servers.append(served)
        return served

    def restart(self, served: Served) -> Served:
        """Stop `served` and start a fresh process in its place."""
        served.stop()
        self.servers.remove(served)
        return self.start()

    def orders_of(self, customer_id: str) -> int:
        with self.store.db.reading() as s:
            count = s.scalar(
                select(func.count()).select_from(Order).where(Order.customer_id == customer_id)
            )
            return int(count or 0)


class Shopper:
    """One browser: its cookies go with it to whichever worker it asks."""

    def __init__(self) -> None:
        self.http = httpx.Client(timeout=None)

    def get(self, worker: Served, path: str) -> Any:
        answer = self.http.get(worker.base_url + path)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(self, worker: Served, path: str, body: dict[str, Any], status: int = 200) -> Any:
        answer = self.http.post(worker.base_url + path, json=body)
        assert answer.status_code == status, answer.text
        return answer.json()

    def sign_in(self, worker: Served, customer_id: str) -> None:
        self.post(worker, "/api/session", {"customer_id": customer_id})

    def start(self, worker: Served) -> str:
        conversation_id: str = self.post(worker, "/api/conversations", {}, status=201)["id"]
        return conversation_id

    def send(self, worker: Served, conversation_id: str, text: str) -> dict[str, Any]:
        turn: dict[str, Any] = self.post(
            worker, f"/api/conversations/{conversation_id}/messages", {"text": text}
        )
        return turn

    def history(self, worker: Served, conversation_id: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.get(worker, f"/api/conversations/{conversation_id}")[
            "messages"
        ]
        return messages


def _admin(sql: str) -> None:
    conninfo = make_url(PG_ADMIN_URL).set(drivername="postgresql")
    with psycopg.connect(conninfo.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def workers(
    request: pytest.FixtureRequest,
    live_demo_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Workers]:
    """Two servers on the demo store, seeded once per database kind for the module's tests
    (each test works in conversations of its own)."""
    where = tmp_path_factory.mktemp(f"workers-{request.param}")
    database = None
    if request.param == "sqlite":
        path = where / "shop.sqlite3"
        shutil.copy(live_demo_template, path)
        url = f"sqlite:///{path}"
    else:
        template: str = request.getfixturevalue("postgres_template")
        database = f"shopkeep_workers_{uuid.uuid4().hex[:12]}"
        _admin(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
        url = make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)
        seed_demo(Database(url))
    store = Store(Database(url))
    team = Workers(url, where / "data", store)
    try:
        team.start()
        team.start()
        yield team
    finally:
        for served in team.servers:
            served.stop()
        store.close()
        if database is not None:
            _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def shopper() -> Iterator[Shopper]:
    browser = Shopper()
    yield browser
    browser.http.close()


def test_that_two_workers_take_alternate_turns_of_one_purchase_and_place_one_order(
    workers: Workers, shopper: Shopper
) -> None:
    first, second = workers.servers
    olivia = workers.store.customers.find_by_email(OLIVIA)
    orders_before = workers.orders_of(olivia)

    shopper.sign_in(first, olivia)
    # The cookie the first worker signed is good at the second.
    assert shopper.get(second, "/api/session")["customer"]["id"] == olivia
    conversation_id = shopper.start(second)
    offer = shopper.send(first, conversation_id, BUY_SPEAKER)
    assert offer["staged"]["action"] == "place_order", offer["reply"]
    assert shopper.get(second, f"/api/conversations/{conversation_id}")["staged"] is not None
    done = shopper.send(second, conversation_id, "yes")

    (placed,) = [e["order_id"] for e in done["events"] if e["kind"] == "order_placed"]
    assert workers.orders_of(olivia) == orders_before + 1
    assert workers.store.conversations.get(conversation_id).order_ids == [placed]
    for worker in (first, second):
        history = shopper.history(worker, conversation_id)
        assert [m["seq"] for m in history] == [1, 2, 3, 4]
        assert [m["role"] for m in history] == ["customer", "assistant"] * 2
        assert [m["text"] for m in history] == [BUY_SPEAKER, offer["reply"], "yes", done["reply"]]
    assert workers.store.conversations.get(conversation_id).message_count == 4


def test_that_a_conversation_goes_on_where_it_stood_after_its_server_restarts(
    workers: Workers, shopper: Shopper
) -> None:
    olivia = workers.store.customers.find_by_email(OLIVIA)
    orders_before = workers.orders_of(olivia)
    worker = workers.servers[0]
    shopper.sign_in(worker, olivia)
    conversation_id = shopper.start(worker)
    offer = shopper.send(worker, conversation_id, BUY_SPEAKER)
    assert offer["staged"]["action"] == "place_order", offer["reply"]

    restarted = workers.restart(worker)
    assert restarted.base_url != worker.base_url and worker.process.poll() is not None
    assert shopper.get(restarted, "/api/session")["customer"]["id"] == olivia
    resumed = shopper.get(restarted, f"/api/conversations/{conversation_id}")
    assert resumed["staged"] == offer["staged"]
    assert [m["text"] for m in resumed["messages"]] == [BUY_SPEAKER, offer["reply"]]

    done = shopper.send(restarted, conversation_id, "yes")
    assert [e["kind"] for e in done["events"] if e["kind"] == "order_placed"] == ["order_placed"]
    assert workers.orders_of(olivia) == orders_before + 1
    assert [m["seq"] for m in shopper.history(restarted, conversation_id)] == [1, 2, 3, 4]


def test_that_a_guest_s_conversation_outlives_a_restart_of_its_worker(
    workers: Workers, shopper: Shopper
) -> None:
    # A guest owns the conversation only through the signed cookie: the key must outlive them.
    worker = workers.servers[1]
    conversation_id = shopper.start(worker)
    greeting = shopper.send(worker, conversation_id, "hello")
    restarted = workers.restart(worker)
    history = shopper.history(restarted, conversation_id)
    assert [m["text"] for m in history] == ["hello", greeting["reply"]]
    again = shopper.send(restarted, conversation_id, "thanks")
    assert [m["seq"] for m in again["messages"]] == [3, 4]


def test_that_two_workers_answering_one_conversation_at_once_keep_both_messages(
    workers: Workers, shopper: Shopper
) -> None:
    first, second = workers.servers
    conversation_id = shopper.start(first)
    turns_before = workers.store.conversations.get(conversation_id).turn_count
    rounds = [
        ("do you have bluetooth speakers?", "do you have headphones?"),
        ("show me power banks", "show me face creams"),
        ("do you have running shoes?", "do you have backpacks?"),
    ]
    for pair in rounds:
        start_together = threading.Barrier(len(pair))
        answers: dict[str, dict[str, Any]] = {}

        def send(
            worker: Served,
            text: str,
            start_together: threading.Barrier = start_together,
            answers: dict[str, dict[str, Any]] = answers,
        ) -> None:
            # Each thread its own connection, the same browser's cookie.
            with httpx.Client(timeout=None, cookies=shopper.http.cookies) as http:
                start_together.wait()
                answer = http.post(
                    f"{worker.base_url}/api/conversations/{conversation_id}/messages",
                    json={"text": text},
                )
            answers[text] = {"status": answer.status_code, "body": answer.json()}

        threads = [
            threading.Thread(target=send, args=(worker, text))
            for worker, text in zip((first, second), pair, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert {text: a["status"] for text, a in answers.items()} == dict.fromkeys(pair, 200)
        for text, answer in answers.items():
            mine = answer["body"]["messages"]
            assert mine[0]["role"] == "customer" and mine[0]["text"] == text
            assert mine[1]["role"] == "assistant" and mine[1]["seq"] == mine[0]["seq"] + 1

    history = shopper.history(second, conversation_id)
    sent = [text for pair in rounds for text in pair]
    assert [m["seq"] for m in history] == list(range(1, 2 * len(sent) + 1))
    customer_texts = [m["text"] for m in history if m["role"] == "customer"]
    assert sorted(customer_texts) == sorted(sent)
    assert [m["role"] for m in history] == ["customer", "assistant"] * len(sent)
    stored = workers.store.conversations.get(conversation_id)
    assert stored.message_count == 2 * len(sent)
    assert stored.turn_count == turns_before + len(sent)

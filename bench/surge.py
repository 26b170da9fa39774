"""A bubble-tea campaign rush on loopback: simulated shoppers order subsidised drinks from two
shops with small pickup slots under a capped campaign budget, through the chat API of real
`shopkeep serve` workers; then the store's invariants, read from the database.

    .venv/bin/python bench/surge.py [--shoppers 200] [--database sqlite|postgres] [--workers 1]
                                    [--capacity 4] [--subsidies 30]

The bench seeds the demo shop into a fresh database, lowers both tea shops' slot capacity and
what is left of the Bubble Tea Week budget so the rush wants more than either can give, and
starts `shopkeep serve --demo-login` workers with the scripted model backend (the flows settle
these turns in code), so the store and the server are what is measured. Each shopper acts as a
demo customer: starts a conversation, asks for a drink from one shop for a pickup time, says
yes; offered other slots (the one asked for is full) it takes one of them, at most twice, and
told the price changed (the subsidy ran out meanwhile) it orders once more at the full price.
A 503 or 429 is a refused message, sent again after its Retry-After. Each shopper comes from an
address of its own (X-Forwarded-For, which uvicorn trusts from loopback, as from a proxy), so
the per-address limit applies per shopper. Requests go round-robin over the workers, so
consecutive turns of a conversation land on different workers. The workers' admission settings
are the shipped ones unless SHOPKEEP_WEB__* in the environment say otherwise.

The last line is `surge invariants: OK`, or names each invariant that broke: no slot over
capacity, the campaign budget never exceeded, every accepted order paid exactly once (one
captured payment and one gateway charge for its total; no charge without an order), every
accepted message answered (and in the log as answered), refused messages stored nothing, no
server errors.

PostgreSQL: SHOPKEEP_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres),
an account that may create a scratch database; it is dropped afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shopkeep.store import Database, Store
from shopkeep.store.demo import seed_demo
from shopkeep.store.demo_local import CLOUD_PEARL, HEUKDANG, TIMEZONE
from shopkeep.store.models import (
    Campaign,
    CampaignSubsidy,
    ConversationMessage,
    Order,
    OrderItem,
    PaymentMethod,
    PaymentTransaction,
    SandboxGatewayRecord,
    Slot,
)
from shopkeep.store.promotions import CampaignInput

PG_ADMIN = os.environ.get(
    "SHOPKEEP_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CAMPAIGN = "boba-week"
# What each shop's shoppers ask for: a drink over the campaign's minimum spend ($5.00).
DRINKS = {
    CLOUD_PEARL.id: ("Cloud Pearl", "a taro milk tea", "two taro milk teas"),
    HEUKDANG.id: ("Heukdang", "a brown sugar boba milk", "two brown sugar boba milks"),
}
TIMES = ("15:00", "15:15", "15:30", "15:45")  # open at both shops every day they open
MAX_TURNS = 8  # answered turns a shopper takes before giving up
MAX_OFFERS = 2  # offers of other slots a shopper takes before giving up
ORDINALS = ("first", "second", "third", "fourth")
PATIENCE_S = 600.0  # how long a shopper keeps sending a refused message again
KEEP_ALIVE_S = 2.0  # reuse a connection idle at most this long (uvicorn keeps 5 s)
SCRIPT = ['{"job": "food"}'] * 2000  # should a turn ask the model after all: it is a food order
REFUSED = (429, 503)
SERVE = (sys.executable, "-m", "shopkeep.cli", "serve")


# --- the databases ----------------------------------------------------------------------------


@contextmanager
def sqlite_url(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp / 'surge.sqlite3'}"


@contextmanager
def postgres_url() -> Iterator[str]:
    admin = make_url(PG_ADMIN).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"shopkeep_surge_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the shop before the rush -----------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """The shop as the rush finds it, and what the invariants are measured against."""

    customers: list[str]
    day: int  # 1: tomorrow, 2: the day after (Heukdang closes on Mondays)
    capacity: int
    subsidy: int
    budget: int
    spent_before: int
    orders_before: frozenset[str]
    booked_before: dict[tuple[str, datetime], int]  # the demo's own bookings of coming slots
    started_at: datetime


def prepare(url: str, capacity: int, subsidies: int) -> Setup:
    """Seed the demo, then make the rush outgrow it: `capacity` cups a slot at both tea shops and
    budget left for `subsidies` more subsidised orders."""
    db = Database(url)
    try:
        db.migrate()
        seed_demo(db)
        store = Store(db)
        for shop in (CLOUD_PEARL, HEUKDANG):
            store.local.put_store(shop.model_copy(update={"capacity_per_slot": capacity}))
        c = store.promotions.campaign(CAMPAIGN)
        budget = c.spent.amount + subsidies * c.value
        store.promotions.put_campaign(
            CampaignInput(
                id=c.id,
                name=c.name,
                kind=c.kind,
                value=c.value,
                max_subsidy=c.max_subsidy.amount if c.max_subsidy else None,
                min_spend=c.min_spend.amount,
                budget=budget,
                starts_at=c.starts_at,
                ends_at=c.ends_at,
                applies_to=c.applies_to,
                categories=c.categories,
                store_ids=c.store_ids,
            )
        )
        with db.reading() as s:
            # Customers whose first payment method the sandbox charges: the flow pays with it.
            firsts: dict[str, PaymentMethod] = {}
            for m in s.scalars(select(PaymentMethod).order_by(PaymentMethod.position)):
                firsts.setdefault(m.customer_id, m)
            customers = sorted(
                cid
                for cid, m in firsts.items()
                if m.source != "gift_card" and "decline" not in (m.token or "")
            )
            orders = frozenset(s.scalars(select(Order.id)))
            now = datetime.now(UTC)
            booked = {
                (slot.store_id, slot.starts_at): slot.booked
                for slot in s.scalars(select(Slot).where(Slot.starts_at >= now))
            }
        tomorrow = datetime.now(ZoneInfo(TIMEZONE)) + timedelta(days=1)
        store.close()
        return Setup(
            customers=customers,
            day=2 if tomorrow.weekday() == 0 else 1,
            capacity=capacity,
            subsidy=c.value,
            budget=budget,
            spent_before=c.spent.amount,
            orders_before=orders,
            booked_before=booked,
            started_at=now,
        )
    finally:
        db.dispose()


# --- the workers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(url: str, count: int, tmp: Path) -> Iterator[list[str]]:
    """`count` `shopkeep serve` processes on one database, sharing one secret key."""
    env = {
        **os.environ,
        "SHOPKEEP_DATABASE_URL": url,
        "SHOPKEEP_DATA_DIR": str(tmp / "data"),
        "SHOPKEEP_CACHE_DIR": str(tmp / "cache"),
        "SHOPKEEP_SECRET_KEY": secrets.token_hex(32),
        "SHOPKEEP_LLM__BACKEND": "scripted",
        "SHOPKEEP_LLM__SCRIPT": json.dumps(SCRIPT),
        "FORWARDED_ALLOW_IPS": "127.0.0.1",  # the shoppers' X-Forwarded-For, as from a proxy
    }
    started: list[tuple[subprocess.Popen[bytes], Path, str]] = []
    try:
        for n in range(count):
            port = free_port()
            log = tmp / f"worker-{n}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [*SERVE, "--demo-login", "--port", str(port)],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started.append((process, log, f"127.0.0.1:{port}"))
        for process, log, address in started:
            while not healthy(address):
                if process.poll() is not None:
                    raise RuntimeError(f"a worker stopped:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield [address for _, _, address in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            process.wait()


def healthy(address: str) -> bool:
    try:
        conn = http.client.HTTPConnection(address, timeout=5)
        conn.request("GET", "/health")
        return conn.getresponse().status == 200
    except OSError:
        return False


# --- the shoppers -------------------------------------------------------------------------------


@dataclass
class Sent:
    """One message as the shopper saw it: answered (200), refused (503/429) or failed."""

    text: str
    status: int
    seconds: float
    body: dict[str, Any]


@dataclass
class Shopper:
    number: int
    customer_id: str
    store_id: str
    time: str
    quantity: int
    day: int
    conversation_id: str | None = None
    sent: list[Sent] = field(default_factory=list)
    outcome: str = "not started"
    orders: list[str] = field(default_factory=list)
    waited: float | None = None  # from the first message to the order placed, refusals included

    @property
    def wish(self) -> str:
        shop, one, two = DRINKS[self.store_id]
        when = "tomorrow" if self.day == 1 else "the day after tomorrow"
        drink = one if self.quantity == 1 else two
        return f"I'd like {drink} from {shop} for pickup {when} at {self.time}"


class Browser:
    """One shopper's browser: its own client address (as a proxy in front of the workers would
    pass it on), a cookie, and a keep-alive connection to each worker; its requests go
    round-robin over the workers."""

    def __init__(self, addresses: list[str], number: int) -> None:
        self._addresses = addresses
        self._conns: list[http.client.HTTPConnection | None] = [None] * len(addresses)
        self._used = [0.0] * len(addresses)
        self._next = number
        self._cookie: str | None = None
        # uvicorn trusts X-Forwarded-For from loopback: each shopper is rate-limited on its own
        # address, as behind a proxy, not all on 127.0.0.1.
        self._client = f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any], float]:
        n = self._next % len(self._addresses)
        self._next += 1
        conn = self._conns[n]
        if conn is None or time.monotonic() - self._used[n] > KEEP_ALIVE_S:
            # uvicorn closes a connection idle for 5 s; one closed under a request in flight
            # would leave it unknown whether the message was taken.
            if conn is not None:
                conn.close()
            conn = self._conns[n] = http.client.HTTPConnection(self._addresses[n], timeout=600)
        headers = {"Content-Type": "application/json", "X-Forwarded-For": self._client}
        if self._cookie:
            headers["Cookie"] = self._cookie
        data = json.dumps(body).encode() if body is not None else None
        began = time.perf_counter()
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            self._conns[n] = None
            return 0, {"error": {"code": type(error).__name__, "message": str(error)}}, 0.0
        finally:
            self._used[n] = time.monotonic()
        seconds = time.perf_counter() - began
        for cookie in response.headers.get_all("set-cookie") or []:
            if cookie.startswith("shopkeep_session="):
                self._cookie = cookie.split(";", 1)[0]
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {"error": {"code": "not_json", "message": raw[:200].decode(errors="replace")}}
        if not isinstance(payload, dict):
            payload = {"list": payload}
        if response.status in REFUSED:
            payload["retry_after"] = response.getheader("Retry-After")
        return response.status, payload, seconds

    def close(self) -> None:
        for conn in self._conns:
            if conn is not None:
                conn.close()


def shop(shopper: Shopper, addresses: list[str], start: threading.Barrier) -> Shopper:
    browser = Browser(addresses, shopper.number)
    try:
        start.wait()
        status, body, _ = browser.call("POST", "/api/session", {"customer_id": shopper.customer_id})
        if status != 200:
            shopper.outcome = f"sign-in answered {status}"
            return shopper
        status, body, _ = browser.call("POST", "/api/conversations", {"language": "en"})
        if status != 201:
            shopper.outcome = f"start answered {status}"
            return shopper
        shopper.conversation_id = body["id"]
        converse(shopper, browser)
    finally:
        browser.close()
    return shopper


def converse(shopper: Shopper, browser: Browser) -> None:
    text = shopper.wish
    offers_taken, reordered = 0, False
    began = time.perf_counter()
    for _ in range(MAX_TURNS):
        turn = send(shopper, browser, text)
        if turn is None:
            return
        events = turn.get("events", [])
        placed = [e["order_id"] for e in events if e.get("kind") == "order_placed"]
        refused = {e.get("code") for e in events if e.get("kind") == "refused"}
        staged = turn.get("staged")
        if placed:
            shopper.orders += placed
            shopper.waited = time.perf_counter() - began
            shopper.outcome = "ordered again after the price changed" if reordered else "ordered"
            return
        if staged and staged.get("action") == "place_local_order":
            text = "yes"
        elif "Open slots:" in turn.get("reply", ""):
            if offers_taken == MAX_OFFERS:
                shopper.outcome = "no slot: gave up"
                return
            # Shoppers spread over what is offered, as people do; all taking the first would
            # only race for one slot.
            listed = len(re.findall(r"^\d+\. ", turn["reply"], re.M))
            pick = ORDINALS[(shopper.number + offers_taken) % min(listed, len(ORDINALS))]
            text, offers_taken = f"the {pick} one", offers_taken + 1
        elif "quote_changed" in refused and not reordered:
            text, reordered = shopper.wish, True
        else:
            shopper.outcome = "gave up: " + (
                ",".join(sorted(c for c in refused if c)) or turn.get("reply", "")[:60]
            )
            return
    shopper.outcome = "gave up: too many turns"


def send(shopper: Shopper, browser: Browser, text: str) -> dict[str, Any] | None:
    """The turn's answer; None when the shopper walks away (refused for too long, or an
    error). A refused message is sent again after its Retry-After, with a little jitter so the
    refused do not all come back in the same instant."""
    path = f"/api/conversations/{shopper.conversation_id}/messages"
    jitter = random.Random(shopper.number)
    began = time.monotonic()
    while True:
        status, body, seconds = browser.call("POST", path, {"text": text})
        shopper.sent.append(Sent(text, status, seconds, body))
        if status == 200:
            return body
        if status in REFUSED and time.monotonic() - began < PATIENCE_S:
            wait = retry_after(body.get("retry_after"))
            time.sleep(wait * (1 + jitter.random() / 2))
            continue
        code = body.get("error", {}).get("code", "")
        shopper.outcome = f"walked away: {status} {code}".rstrip()
        return None


def retry_after(header: str | None) -> float:
    try:
        return max(0.0, float(header or 1))
    except ValueError:
        return 1.0


# --- the invariants -----------------------------------------------------------------------------

INVARIANTS = (
    "no slot over capacity",
    "campaign budget never exceeded",
    "every accepted order paid exactly once",
    "every accepted message answered",
    "refused messages stored nothing",
    "no server errors",
)


def check_invariants(db: Database, setup: Setup, shoppers: list[Shopper]) -> dict[str, list[str]]:
    """Each invariant with what breaks it, read from the database after the rush (an empty
    list: it holds)."""
    broken: dict[str, list[str]] = {name: [] for name in INVARIANTS}
    with db.reading() as s:
        _slots(s, setup, broken["no slot over capacity"])
        _budget(s, setup, broken["campaign budget never exceeded"])
        _payments(s, setup, shoppers, broken["every accepted order paid exactly once"])
        _messages(s, shoppers, broken)
    for shopper in shoppers:
        for sent in shopper.sent:
            if sent.status == 0 or (sent.status >= 500 and sent.status != 503):
                code = sent.body.get("error", {}).get("code", "")
                broken["no server errors"].append(f"shopper {shopper.number}: {sent.status} {code}")
    return broken


def _slots(s: Session, setup: Setup, problems: list[str]) -> None:
    live = (
        select(Order.local_store_id, Order.slot_start, func.count(OrderItem.id))
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(Order.local_store_id.in_(DRINKS), Order.status != "cancelled")
        .where(Order.slot_start >= setup.started_at)
        .group_by(Order.local_store_id, Order.slot_start)
    )
    cups: dict[tuple[str, datetime], int] = {
        (str(store), start): n for store, start, n in s.execute(live) if start is not None
    }
    slots = {
        (slot.store_id, slot.starts_at): slot
        for slot in s.scalars(
            select(Slot).where(Slot.store_id.in_(DRINKS), Slot.starts_at >= setup.started_at)
        )
    }
    for key in sorted(set(cups) | set(slots)):
        taken, slot = cups.get(key, 0), slots.get(key)
        # A slot the demo had already filled past the new capacity keeps what it held.
        capacity = max(setup.capacity, setup.booked_before.get(key, 0))
        where = f"{key[0]} {key[1]:%Y-%m-%d %H:%M}Z"
        if taken > capacity:
            problems.append(f"{where}: {taken} cups ordered, capacity {capacity}")
        if slot is None:
            problems.append(f"{where}: {taken} cups ordered and no slot booked")
        elif slot.booked > slot.capacity or slot.capacity > capacity:
            problems.append(f"{where}: booked {slot.booked} of {slot.capacity}")
        elif slot.booked != taken:
            problems.append(f"{where}: booked {slot.booked}, orders hold {taken}")


def _budget(s: Session, setup: Setup, problems: list[str]) -> None:
    campaign = s.get(Campaign, CAMPAIGN)
    if campaign is None:
        problems.append(f"the campaign {CAMPAIGN} is gone")
        return
    if campaign.budget_minor != setup.budget or campaign.spent_minor > campaign.budget_minor:
        problems.append(f"spent {campaign.spent_minor} of a budget of {campaign.budget_minor}")
    held = s.scalar(
        select(func.coalesce(func.sum(CampaignSubsidy.amount_minor), 0)).where(
            CampaignSubsidy.campaign_id == CAMPAIGN, CampaignSubsidy.released.is_(False)
        )
    )
    if held != campaign.spent_minor:
        problems.append(f"the campaign says {campaign.spent_minor} spent, its subsidies {held}")
    given = (
        s.scalar(
            select(func.coalesce(func.sum(Order.subsidy_minor), 0)).where(
                Order.campaign_id == CAMPAIGN,
                Order.status != "cancelled",
                Order.created_at >= setup.started_at,
            )
        )
        or 0
    )
    if setup.spent_before + given != campaign.spent_minor:
        problems.append(
            f"rush orders took {given} in subsidies, the campaign's spending rose by "
            f"{campaign.spent_minor - setup.spent_before}"
        )


def _payments(s: Session, setup: Setup, shoppers: list[Shopper], problems: list[str]) -> None:
    told = {order_id: sh for sh in shoppers for order_id in sh.orders}
    orders = [o for o in s.scalars(select(Order)) if o.id not in setup.orders_before]
    ids = {o.id for o in orders}
    for order_id in sorted(set(told) - ids):
        problems.append(f"{order_id}: told to shopper {told[order_id].number}, not in the store")
    charges = {r.key: r for r in s.scalars(select(SandboxGatewayRecord))}
    for order in orders:
        payments = [
            t
            for t in s.scalars(
                select(PaymentTransaction).where(PaymentTransaction.order_id == order.id)
            )
            if t.kind == "payment"
        ]
        charge = charges.get(f"{order.id}/payment")
        if order.id not in told:
            problems.append(f"{order.id}: placed but no shopper was told")
        elif told[order.id].customer_id != order.customer_id:
            problems.append(f"{order.id}: placed for {order.customer_id}, not the shopper's")
        if order.status == "awaiting payment":
            problems.append(f"{order.id}: still awaiting payment")
        if len(payments) != 1 or payments[0].status != "succeeded":
            states = [f"{t.status} {t.amount_minor}" for t in payments]
            problems.append(f"{order.id}: payments {states or 'none'}")
        elif payments[0].amount_minor != order.total_minor:
            problems.append(
                f"{order.id}: paid {payments[0].amount_minor}, total {order.total_minor}"
            )
        if charge is None or not charge.succeeded or charge.amount_minor != order.total_minor:
            problems.append(f"{order.id}: the gateway's charge is {charge and charge.amount_minor}")
    for key, charge in charges.items():
        order_id, _, what = key.rpartition("/")
        known = order_id in ids or order_id in setup.orders_before
        if what == "payment" and charge.succeeded and not known:
            problems.append(f"{order_id}: charged {charge.amount_minor}, no such order")


def _messages(s: Session, shoppers: list[Shopper], broken: dict[str, list[str]]) -> None:
    answered = broken["every accepted message answered"]
    stored_nothing = broken["refused messages stored nothing"]
    for shopper in shoppers:
        if shopper.conversation_id is None:
            continue
        log = list(
            s.scalars(
                select(ConversationMessage)
                .where(ConversationMessage.conversation_id == shopper.conversation_id)
                .order_by(ConversationMessage.seq)
            )
        )
        by_seq = {m.seq: m for m in log}
        who = f"shopper {shopper.number}"
        for m, after in zip(log, [*log[1:], None] if log else [], strict=True):
            if m.role == "customer" and (after is None or after.role != "assistant"):
                answered.append(f"{who}: message {m.seq} ({m.text!r}) has no reply")
        accepted = [sent for sent in shopper.sent if sent.status == 200]
        for sent in accepted:
            for shown in sent.body.get("messages", []):
                kept = by_seq.get(shown["seq"])
                if kept is None or (kept.role, kept.text) != (shown["role"], shown["text"]):
                    answered.append(f"{who}: answered message {shown['seq']} is not in the log")
            if not any(m["role"] == "customer" for m in sent.body.get("messages", [])):
                answered.append(f"{who}: the answer to {sent.text!r} holds no customer message")
        customer_messages = sum(1 for m in log if m.role == "customer")
        if customer_messages != len(accepted):
            stored_nothing.append(
                f"{who}: {len(accepted)} messages answered, {customer_messages} stored"
            )


# --- the run ------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0


def spread(seconds: list[float], *, in_ms: bool = True) -> str:
    if not seconds:
        return "none"
    p50, p99 = statistics.median(seconds), percentile(seconds, 0.99)
    if in_ms:
        return f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
    return f"p50 {p50:.1f} s, p99 {p99:.1f} s"


def rush(
    url: str, tmp: Path, *, shoppers: int, workers: int, capacity: int, subsidies: int
) -> tuple[Setup, list[Shopper], float]:
    """Prepare the shop, start the workers, let the shoppers loose; what they saw, and how long
    the rush took."""
    setup = prepare(url, capacity, subsidies)
    crowd = [
        Shopper(
            number=i,
            customer_id=setup.customers[i % len(setup.customers)],
            store_id=list(DRINKS)[i % 2],
            time=TIMES[(i // 2) % len(TIMES)],
            quantity=2 if i % 5 == 4 else 1,
            day=setup.day,
        )
        for i in range(shoppers)
    ]
    with serve(url, workers, tmp) as addresses:
        start = threading.Barrier(len(crowd))
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(crowd)) as pool:
            done = list(pool.map(lambda sh: shop(sh, addresses, start), crowd))
        wall = time.perf_counter() - began
    return setup, done, wall


def report(label: str, url: str, setup: Setup, done: list[Shopper], wall: float) -> bool:
    """Print what the rush did and whether each invariant held; True if all did."""
    db = Database(url)
    try:
        broken = check_invariants(db, setup, done)
        with db.reading() as s:
            campaign = s.get(Campaign, CAMPAIGN)
            assert campaign is not None
            spent = campaign.spent_minor - setup.spent_before
            model_calls = s.scalar(
                select(func.coalesce(func.sum(ConversationMessage.model_calls), 0))
            )
            # The turn's own time as the server logged it: the latency above less the line.
            worked = list(
                s.scalars(
                    select(ConversationMessage.wall_seconds).where(
                        ConversationMessage.role == "assistant",
                        ConversationMessage.created_at >= setup.started_at,
                    )
                )
            )
    finally:
        db.dispose()

    sent = [x for sh in done for x in sh.sent]
    answered = [x.seconds for x in sent if x.status == 200]
    statuses = Counter(x.status for x in sent)
    others = {k: v for k, v in sorted(statuses.items()) if k not in (200, *REFUSED)}
    orders = sum(len(sh.orders) for sh in done)
    cups = sum(sh.quantity for sh in done if sh.orders)
    left = setup.budget - setup.spent_before
    print(
        f"surge on {label}: {len(done)} shoppers for 2 shops x {len(TIMES)} slots of "
        f"{setup.capacity} cups, campaign budget left for {left // setup.subsidy} subsidies"
    )
    print(
        f"  {len(answered)} turns answered in {wall:.1f} s: {len(answered) / wall:.1f} turns/s, "
        f"{orders / wall:.2f} orders/s"
    )
    print(f"  turn latency (the shopper's wait for an answer): {spread(answered)}")
    print(f"  the server's time per turn (the line excluded): {spread(worked)}")
    print(
        f"  answered 503: {statuses[503]}, 429: {statuses[429]} (sent again after Retry-After); "
        f"other refusals and errors: {others}"
    )
    print(
        f"  {orders} orders for {cups} cups, {spent // setup.subsidy} subsidised "
        f"({spent / 100:.2f} of {left / 100:.2f} left); model calls: {model_calls}"
    )
    waits = [sh.waited for sh in done if sh.waited is not None]
    print(f"  a shopper's wait from first message to order: {spread(waits, in_ms=False)}")
    outcomes = Counter(sh.outcome for sh in done)
    print(f"  shoppers: {dict(outcomes.most_common())}")
    for name, problems in broken.items():
        print(f"  {'ok  ' if not problems else 'FAIL'} {name}")
        for problem in problems[:5]:
            print(f"         {problem}")
        if len(problems) > 5:
            print(f"         ... and {len(problems) - 5} more")
    failed = [name for name, problems in broken.items() if problems]
    print("surge invariants: " + ("OK" if not failed else "BROKEN: " + ", ".join(failed)))
    return not failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="shopkeep serve processes")
    parser.add_argument("--capacity", type=int, default=4, help="cups per slot at each shop")
    parser.add_argument(
        "--subsidies", type=int, default=30, help="subsidised orders the budget has left"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        if args.database == "sqlite":
            url = stack.enter_context(sqlite_url(Path(tmp)))
        else:
            try:
                url = stack.enter_context(postgres_url())
            except psycopg.OperationalError as error:
                print(f"postgresql: not reachable at {PG_ADMIN} ({error}); not measured")
                print("surge invariants: BROKEN: not measured")
                return 1
        setup, done, wall = rush(
            url,
            Path(tmp),
            shoppers=args.shoppers,
            workers=args.workers,
            capacity=args.capacity,
            subsidies=args.subsidies,
        )
        label = f"{args.database}, {args.workers} worker{'s' if args.workers > 1 else ''}"
        return 0 if report(label, url, setup, done, wall) else 1


if __name__ == "__main__":
    sys.exit(main())

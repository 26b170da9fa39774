"""The shop every scenario starts from: the demo shop seeded at EVAL_NOW once per run (or a copy
of the merchant's own SQLite store), a fresh copy per scenario with its clock stopped, and what
the runner reads of it."""

from __future__ import annotations

import itertools
import random
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from shopkeep.evals.scenarios import Scenario, SetupStep
from shopkeep.store import Database, Store, StoreError
from shopkeep.store.db import insert_if_absent
from shopkeep.store.demo import seed_demo
from shopkeep.store.lifecycle import order_loader, order_view
from shopkeep.store.models import Order, PaymentMethod, PaymentSource, Slot
from shopkeep.store.views import OrderView

EVAL_NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
"""12:00 in Seoul on a Friday: the local stores are open and have upcoming slots."""
EVAL_SEED = 2026


class ShopNotUsable(Exception):
    """The store given in place of the demo cannot be used; nothing was changed."""


class DemoShop:
    """The seeded demo database, built once in `folder`; `fresh()` hands out a copy of it with
    the clock stopped at `now`."""

    def __init__(self, folder: Path, now: datetime = EVAL_NOW) -> None:
        self.folder = folder
        self.template = folder / "demo.sqlite3"
        self.now = now
        self._copies = itertools.count()

    @classmethod
    def copy_of(cls, database: Path, folder: Path, now: datetime) -> DemoShop:
        """A merchant's own store (a SQLite file) in place of the demo, migrated to this
        shopkeep's schema in the copy; the original is only read."""
        if not database.is_file():
            raise ShopNotUsable(f"no SQLite database at {database}")
        shop = cls(folder, now)
        try:
            source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
            copy = sqlite3.connect(shop.template)
            try:
                source.backup(copy)  # a consistent copy, write-ahead log included
            finally:
                copy.close()
                source.close()
        except sqlite3.DatabaseError as error:
            raise ShopNotUsable(f"{database} is not a SQLite database ({error})") from error
        db = Database(f"sqlite:///{shop.template}")
        try:
            if not db.is_initialised():
                raise ShopNotUsable(f"{database} holds no shopkeep store (run: shopkeep db init)")
            db.migrate()
        finally:
            db.dispose()
        return shop

    @classmethod
    def build(cls, folder: Path) -> DemoShop:
        shop = cls(folder)
        db = Database(f"sqlite:///{shop.template}")
        try:
            db.migrate()
            seed_demo(db, seed=EVAL_SEED, now=EVAL_NOW)
            with db.engine.connect() as connection:
                # Fold the write-ahead log into the file, so that copying the file copies all.
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.dispose()
        return shop

    def fresh(self, seed: str) -> Store:
        """A store on a new copy of the shop, its clock at `now`. New order ids come from a
        random source seeded with `seed`, so a scenario gets the same ids every run."""
        path = self.folder / f"copy-{next(self._copies):05d}.sqlite3"
        shutil.copyfile(self.template, path)
        now = self.now
        return Store(Database(f"sqlite:///{path}"), clock=lambda: now, rng=random.Random(seed))

    def discard(self, store: Store) -> None:
        store.close()
        path = store.db.sqlite_path
        if path is not None:
            for leftover in (
                path,
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                leftover.unlink(missing_ok=True)


@contextmanager
def demo_shop(own: Path | None = None, now: datetime | None = None) -> Iterator[DemoShop]:
    """The demo shop (or a copy of the store in the SQLite file `own`, its clock at `now`,
    default the moment it is copied) in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="shopkeep-eval-") as folder:
        if own is None:
            yield DemoShop.build(Path(folder))
        else:
            yield DemoShop.copy_of(
                own, Path(folder), now or datetime.now(UTC).replace(microsecond=0)
            )


def apply_setup(store: Store, steps: Sequence[SetupStep]) -> None:
    """Make a scenario's store changes before its conversation, through the store's services;
    a store refusal (an unknown variant, a closed slot) means the scenario is wrong."""
    for step in steps:
        if step.set_stock is not None:
            store.catalog.set_stock(step.set_stock.variant_id, step.set_stock.stock)
        if step.fill_slot is not None:
            fill_slot(store, step.fill_slot.store_id, step.fill_slot.at)


class SetupImpossible(Exception):
    """A setup step the demo shop cannot take."""


def slot_problem(store: Store, store_id: str, at: datetime) -> str | None:
    """Why `at` is not a slot of the local store that can be booked, or None."""
    local = store.local.store(store_id)
    if int(at.timestamp()) % (local.slot_minutes * 60):
        return (
            f"{at.isoformat()} is not a slot start at {store_id} ({local.slot_minutes} min slots)"
        )
    if not store.local.is_open_at(store_id, at):
        return f"{store_id} is closed at {at.isoformat()}"
    return None


def fill_slot(store: Store, store_id: str, at: datetime) -> None:
    """Book one slot of a local store to its capacity, as a rush of other customers would."""
    problem = slot_problem(store, store_id, at)
    if problem is not None:
        raise SetupImpossible(problem)
    start = at.astimezone(UTC)
    capacity = store.local.store(store_id).capacity_per_slot
    with store.db.transaction() as s:
        values = {"store_id": store_id, "starts_at": start, "capacity": capacity, "booked": 0}
        insert_if_absent(s, Slot, values, ["store_id", "starts_at"])
        slot = s.execute(
            select(Slot).where(Slot.store_id == store_id, Slot.starts_at == start).with_for_update()
        ).scalar_one()
        slot.booked = slot.capacity


# --- what the runner reads ------------------------------------------------------------------


@dataclass(frozen=True)
class ShopState:
    """What a conversation may change, read before and after it: every order, every gift card's
    balance."""

    orders: dict[str, OrderView]
    gift_cards: dict[str, int]
    """Payment method id → balance in minor units."""

    def owner(self, order_id: str) -> str | None:
        order = self.orders.get(order_id)
        return order.customer_id if order else None


def shop_state(store: Store) -> ShopState:
    with store.db.reading() as s:
        orders = {o.id: order_view(o) for o in s.scalars(select(Order).options(*order_loader()))}
        cards = s.execute(
            select(PaymentMethod.id, PaymentMethod.balance_minor).where(
                PaymentMethod.source == PaymentSource.GIFT_CARD
            )
        )
        return ShopState(orders=orders, gift_cards={i: b or 0 for i, b in cards})


def customer_emails(store: Store) -> dict[str, str]:
    """Every customer's email (case-folded) → their id."""
    emails: dict[str, str] = {}
    offset = 0
    while page := store.customers.page(limit=500, offset=offset):
        emails.update({c.email.casefold(): c.id for c in page})
        offset += len(page)
    return emails


def check_references(scenarios: Sequence[Scenario], store: Store) -> list[str]:
    """What the scenarios name that the demo shop does not hold: customers, orders, variants,
    menu items, local stores, payment methods, coupons and campaigns, and setup steps it
    cannot take. Each problem names the file, the scenario and the field."""
    state = shop_state(store)
    emails = customer_emails(store)
    stores = {s.id for s in store.local.stores()}
    menu = {item.id for store_id in stores for item in store.local.menu(store_id)}
    coupons = {c.code for c in store.promotions.coupons(running_only=False)}
    campaigns = {c.id for c in store.promotions.campaigns(running_only=False)}
    problems: list[str] = []
    for scenario in scenarios:

        def wrong(field: str, message: str, scenario: Scenario = scenario) -> None:
            problems.append(f"{scenario.file}: scenario {scenario.id}: {field}: {message}")

        customer_id = None
        if scenario.customer is not None:
            customer_id = emails.get(scenario.customer.casefold())
            if customer_id is None:
                wrong("customer", f"no customer with the email {scenario.customer}")
        methods = set()
        if customer_id is not None:
            methods = {m.id for m in store.customers.get(customer_id).payment_methods}
        for number, step in enumerate(scenario.setup):
            if step.set_stock is not None:
                try:
                    store.catalog.variant(step.set_stock.variant_id)
                except StoreError as error:
                    wrong(f"setup.{number}.set_stock.variant_id", error.message)
            if step.fill_slot is not None:
                if step.fill_slot.store_id not in stores:
                    wrong(
                        f"setup.{number}.fill_slot.store_id",
                        f"no local store {step.fill_slot.store_id}",
                    )
                    continue
                problem = slot_problem(store, step.fill_slot.store_id, step.fill_slot.at)
                if problem is not None:
                    wrong(f"setup.{number}.fill_slot.at", problem)
        for order_id in scenario.expect.orders:
            if order_id not in state.orders:
                wrong(f"expect.orders.{order_id}", "no such order in the demo shop")
        for number, placed in enumerate(scenario.expect.placed):
            field = f"expect.placed.{number}"
            for variant_id in placed.variant_ids or []:
                try:
                    store.catalog.variant(variant_id)
                except StoreError as error:
                    wrong(f"{field}.variant_ids", error.message)
            for item_id in placed.menu_item_ids or []:
                if item_id not in menu:
                    wrong(f"{field}.menu_item_ids", f"no menu item {item_id}")
            if placed.local_store_id is not None and placed.local_store_id not in stores:
                wrong(f"{field}.local_store_id", f"no local store {placed.local_store_id}")
            if placed.coupon_code is not None and placed.coupon_code.upper() not in coupons:
                wrong(f"{field}.coupon_code", f"no coupon {placed.coupon_code}")
            if placed.campaign_id is not None and placed.campaign_id not in campaigns:
                wrong(f"{field}.campaign_id", f"no campaign {placed.campaign_id}")
            if (
                placed.payment_method_id is not None
                and customer_id is not None
                and placed.payment_method_id not in methods
            ):
                wrong(
                    f"{field}.payment_method_id",
                    f"{scenario.customer} has no payment method {placed.payment_method_id} "
                    f"(they have {', '.join(sorted(methods))})",
                )
    return problems

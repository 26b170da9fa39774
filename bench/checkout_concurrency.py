"""500 parallel checkouts against 50 units of stock and a capped campaign, on SQLite and on
PostgreSQL: orders/second, latency, and whether the store's invariants held.

    .venv/bin/python bench/checkout_concurrency.py [--shoppers 500] [--stock 50]

PostgreSQL: SHOPKEEP_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres),
an account that may create a scratch database; it is dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from shopkeep.store import Database, Money, Store
from shopkeep.store.catalog import ProductInput, VariantInput
from shopkeep.store.checkout import LineRequest
from shopkeep.store.customers import CustomerInput, PaymentMethodInput
from shopkeep.store.errors import StoreError
from shopkeep.store.models import CampaignSubsidy, Order, SandboxGatewayRecord
from shopkeep.store.promotions import CampaignInput
from shopkeep.store.views import AddressInput

PG_ADMIN = os.environ.get(
    "SHOPKEEP_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SUBSIDY, BUDGET = 300, 10_000  # 3.00 off per order, 100.00 in all: runs out before the stock


@contextmanager
def sqlite_database() -> Iterator[Database]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        yield db
        db.dispose()


@contextmanager
def postgres_database() -> Iterator[Database]:
    admin = make_url(PG_ADMIN).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"shopkeep_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    db = Database(make_url(PG_ADMIN).set(database=name))
    try:
        yield db
    finally:
        db.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def prepare(db: Database, stock: int, customers: int) -> Store:
    db.migrate()
    store = Store(db)
    store.catalog.put_product(
        ProductInput(
            id="drop",
            category="electronics",
            name={"en": "Limited Drop"},
            variants=[VariantInput(id="drop-1", price=Money(3000, "USD"), stock=stock)],
        )
    )
    store.promotions.put_campaign(
        CampaignInput(
            id="launch", name={"en": "Launch"}, kind="amount", value=SUBSIDY, budget=BUDGET
        )
    )
    home = AddressInput(address1="1 Bench St", city="Springfield", country="USA", zip="62701")
    for i in range(customers):
        store.customers.add(
            CustomerInput(
                id=f"shopper_{i}",
                first_name="Shopper",
                last_name=str(i),
                email=f"s{i}@example.com",
                addresses=[home],
                payment_methods=[
                    PaymentMethodInput(
                        id=f"card_{i}", source="credit_card", brand="visa", last_four="4242"
                    )
                ],
            )
        )
    return store


def run(label: str, db: Database, shoppers: int, stock: int) -> bool:
    customers = min(shoppers, 100)
    store = prepare(db, stock, customers)
    start = threading.Barrier(shoppers)
    latencies: list[float] = []
    lock = threading.Lock()

    def shop(i: int) -> str:
        start.wait()
        began = time.perf_counter()
        try:
            store.checkout.place_order(
                f"shopper_{i % customers}",
                payment_method_id=f"card_{i % customers}",
                idempotency_key=f"bench-{i}",
                lines=[LineRequest(variant_id="drop-1")],
            )
            outcome = "order"
        except StoreError as error:
            outcome = error.code
        except Exception as error:  # anything else is a failure of the store
            outcome = f"error: {type(error).__name__}: {error}"
        with lock:
            latencies.append(time.perf_counter() - began)
        return outcome

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=shoppers) as pool:
        outcomes = Counter(pool.map(shop, range(shoppers)))
    wall = time.perf_counter() - began

    with db.reading() as s:
        orders = s.scalar(select(func.count()).select_from(Order)) or 0
        subsidies = s.scalar(select(func.coalesce(func.sum(CampaignSubsidy.amount_minor), 0))) or 0
        charges = s.scalar(select(func.count()).select_from(SandboxGatewayRecord)) or 0
    left = store.catalog.variant("drop-1").stock
    spent = store.promotions.campaign("launch").spent.amount
    checks = {
        f"exactly {stock} orders": orders == stock and outcomes["order"] == stock,
        "stock at zero, never negative": left == 0,
        "budget spent exactly, never exceeded": spent == subsidies == min(BUDGET, stock * SUBSIDY),
        "one charge per order": charges == orders,
        "every refusal typed (out_of_stock)": set(outcomes) <= {"order", "out_of_stock"},
    }
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"{label}: {shoppers} checkouts in {wall:.2f} s — {shoppers / wall:.0f} checkouts/s, "
        f"{orders / wall:.1f} orders/s, latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
    )
    print(f"  outcomes: {dict(outcomes)}")
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    store.close()
    return all(checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=500)
    parser.add_argument("--stock", type=int, default=50)
    args = parser.parse_args()
    results = {}
    with sqlite_database() as db:
        results["sqlite"] = run("sqlite", db, args.shoppers, args.stock)
    try:
        with postgres_database() as db:
            results["postgresql"] = run("postgresql", db, args.shoppers, args.stock)
    except psycopg.OperationalError as error:
        print(f"postgresql: not reachable at {PG_ADMIN} ({error}); not measured")
        results["postgresql"] = False
    print(
        "checkout invariants: "
        + (
            "OK"
            if all(results.values())
            else "BROKEN on " + ", ".join(k for k, v in results.items() if not v)
        )
    )


if __name__ == "__main__":
    main()

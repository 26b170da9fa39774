"""Parallel checkouts: stock, slot capacity and campaign budgets stay exact, on both databases."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from store_seed import usd

from shopkeep.store import Money, Store
from shopkeep.store.catalog import ProductInput, VariantInput
from shopkeep.store.checkout import LineRequest
from shopkeep.store.customers import CustomerInput, PaymentMethodInput
from shopkeep.store.errors import StoreError
from shopkeep.store.local import MenuLine
from shopkeep.store.models import CampaignSubsidy, Order, SandboxGatewayRecord
from shopkeep.store.promotions import CampaignInput

RUSH = 200


def rush(calls: list) -> list[object]:  # type: ignore[type-arg]
    """Run every call at the same moment, each on its own thread; return results or errors."""
    start = threading.Barrier(len(calls))

    def run(call) -> object:  # type: ignore[no-untyped-def]
        start.wait()
        try:
            return call()
        except StoreError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def add_shoppers(store: Store, n: int) -> list[str]:
    ids = []
    for i in range(n):
        cid = f"shopper_{i}"
        store.customers.add(
            CustomerInput(
                id=cid,
                first_name="Shopper",
                last_name=str(i),
                email=f"s{i}@example.com",
                addresses=[
                    {
                        "address1": f"{i} Rush St",
                        "city": "Springfield",
                        "country": "USA",
                        "zip": "62701",
                    }
                ],  # type: ignore[list-item]
                payment_methods=[
                    PaymentMethodInput(
                        id=f"card_{cid}", source="credit_card", brand="visa", last_four="4242"
                    )
                ],
            )
        )
        ids.append(cid)
    return ids


def test_that_200_parallel_checkouts_for_50_units_make_exactly_50_orders_within_the_budget(
    store: Store,
) -> None:
    store.catalog.put_product(
        ProductInput(
            id="drop",
            category="electronics",
            name={"en": "Limited Drop"},
            variants=[VariantInput(id="drop-1", price=usd("30.00"), stock=50)],
        )
    )
    store.promotions.put_campaign(
        CampaignInput(
            id="launch",
            name={"en": "Launch"},
            kind="amount",
            value=300,
            budget=10_000,
            applies_to="retail",
        )
    )
    shoppers = add_shoppers(store, 20)
    calls = [
        (
            lambda i=i: store.checkout.place_order(
                shoppers[i % 20],
                payment_method_id=f"card_{shoppers[i % 20]}",
                idempotency_key=f"rush-{i}",
                lines=[LineRequest(variant_id="drop-1")],
            )
        )
        for i in range(RUSH)
    ]
    results = rush(calls)
    placed = [r for r in results if not isinstance(r, StoreError)]
    refused = Counter(r.code for r in results if isinstance(r, StoreError))
    assert len(placed) == 50
    assert refused == {"out_of_stock": RUSH - 50}
    assert store.catalog.variant("drop-1").stock == 0
    campaign = store.promotions.campaign("launch")
    assert campaign.spent == usd("100.00")  # 33 × 3.00 + a last, partial 1.00: exactly the budget
    with store.db.reading() as s:
        assert (
            s.scalar(select(func.count()).select_from(Order).where(Order.status == "pending")) == 50
        )
        assert s.scalar(select(func.count()).select_from(Order)) == 50
        assert s.scalar(select(func.sum(CampaignSubsidy.amount_minor))) == 10_000
        assert s.scalar(select(func.count()).select_from(SandboxGatewayRecord)) == 50
    assert sum(o.subsidy.amount for o in placed) == 10_000  # type: ignore[attr-defined]


def test_that_parallel_local_orders_never_overfill_a_slot(store: Store) -> None:
    noon = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    shoppers = add_shoppers(store, 10)
    calls = [
        (
            lambda i=i: store.local.place_order(
                shoppers[i % 10],
                "tea-a",
                [MenuLine(menu_item_id="tea-a-milk-tea", options={"size": "m"})],
                slot_start=noon,
                payment_method_id=f"card_{shoppers[i % 10]}",
                idempotency_key=f"tea-{i}",
            )
        )
        for i in range(60)
    ]
    results = rush(calls)
    placed = [r for r in results if not isinstance(r, StoreError)]
    assert len(placed) == 4  # the slot's capacity
    assert Counter(r.code for r in results if isinstance(r, StoreError)) == {"slot_full": 56}
    assert store.local.slots("tea-a", start=noon, count=1)[0].starts_at > noon
    # the campaign paid 2.00 for each accepted cup and no more
    assert store.promotions.campaign("tea-rush").spent == usd("8.00")


def test_that_one_idempotency_key_sent_in_parallel_makes_one_order_and_one_charge(
    store: Store,
) -> None:
    calls = [
        (
            lambda: store.checkout.place_order(
                "alice_1",
                payment_method_id="card_alice_1",
                idempotency_key="double-click",
                lines=[LineRequest(variant_id="lamp-1")],
            )
        )
        for _ in range(20)
    ]
    results = rush(calls)
    ids = {r.id for r in results if not isinstance(r, StoreError)}  # type: ignore[attr-defined]
    assert len(ids) == 1, results
    with store.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1
        assert s.scalar(select(func.count()).select_from(SandboxGatewayRecord)) == 1


def test_that_parallel_cancels_and_gift_card_checkouts_never_deadlock(store: Store) -> None:
    """Cancel releases stock before it refunds a gift card, the order checkout takes them in."""
    store.customers.add_payment_method(
        "alice_1", PaymentMethodInput(id="big_gift", source="gift_card", balance=usd("5000.00"))
    )
    store.catalog.set_stock("tee-blue-m", 100)
    orders = [
        store.checkout.place_order(
            "alice_1",
            payment_method_id="big_gift",
            idempotency_key=f"first-{i}",
            lines=[LineRequest(variant_id="cream-100"), LineRequest(variant_id="tee-blue-m")],
        )
        for i in range(10)
    ]
    calls = [(lambda o=o: store.orders.cancel("alice_1", o.id, "no longer needed")) for o in orders]
    calls += [
        (
            lambda i=i: store.checkout.place_order(
                "alice_1",
                payment_method_id="big_gift",
                idempotency_key=f"second-{i}",
                lines=[LineRequest(variant_id="tee-blue-m"), LineRequest(variant_id="cream-100")],
            )
        )
        for i in range(10)
    ]
    results = rush(calls)  # an untyped error (a deadlock) would escape rush() and fail the test
    assert [r.code for r in results if isinstance(r, StoreError)] == []
    assert store.catalog.variant("cream-100").stock == 40
    assert store.catalog.variant("tee-blue-m").stock == 90
    assert store.customers.get("alice_1").payment_methods[-1].balance == usd("5000.00") - Money(
        10 * 6000, "USD"
    )


def test_that_parallel_additions_to_one_cart_all_count(store: Store) -> None:
    results = rush([(lambda: store.carts.add("bob_2", "cream-100", 1)) for _ in range(8)])
    assert all(not isinstance(r, StoreError) for r in results)
    assert [(line.variant_id, line.quantity) for line in store.carts.get("bob_2").lines] == [
        ("cream-100", 8)
    ]

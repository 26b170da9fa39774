"""Orders: ownership, status and tracking, cancel and changes — each only where policy allows."""

from __future__ import annotations

import pytest
from store_seed import HOME, usd

from shopkeep.store import Store
from shopkeep.store.checkout import LineRequest
from shopkeep.store.errors import (
    InsufficientGiftCardBalance,
    InvalidAddress,
    InvalidCancelReason,
    InvalidTransition,
    ItemCountMismatch,
    ItemNotInOrder,
    NotSameProduct,
    OrderNotCancellable,
    OrderNotFound,
    OrderNotModifiable,
    PaymentAlreadyChanged,
    SamePaymentMethod,
    SameVariant,
    VariantUnavailable,
)
from shopkeep.store.views import OrderView


def buy(
    store: Store, customer: str = "alice_1", method: str | None = None, key: str = "k", **lines: int
) -> OrderView:
    wanted = [
        LineRequest(variant_id=v.replace("_", "-"), quantity=q)
        for v, q in (lines or {"cream_100": 1}).items()
    ]
    return store.checkout.place_order(
        customer,
        payment_method_id=method or f"card_{customer}",
        idempotency_key=f"{customer}-{key}",
        lines=wanted,
    )


def test_that_a_customer_sees_only_their_own_orders(store: Store) -> None:
    order = buy(store)
    assert store.orders.get("alice_1", order.id).id == order.id
    with pytest.raises(OrderNotFound) as error:
        store.orders.get("bob_2", order.id)
    assert error.value.message == f"No order {order.id} was found for this customer."
    assert store.orders.history("bob_2") == []
    with pytest.raises(OrderNotFound):
        store.orders.cancel("bob_2", order.id, "no longer needed")
    assert store.orders.get("alice_1", order.id).status == "pending"


def test_that_cancelling_a_pending_order_refunds_it_and_releases_stock_and_coupon(
    store: Store,
) -> None:
    order = store.checkout.place_order(
        "alice_1",
        payment_method_id="card_alice_1",
        idempotency_key="c",
        coupon_code="SAVE10",
        lines=[LineRequest(variant_id="cream-100", quantity=2)],
    )
    assert store.catalog.variant("cream-100").stock == 48
    cancelled = store.orders.cancel("alice_1", order.id, "ordered by mistake")
    assert cancelled.status == "cancelled"
    assert cancelled.cancel_reason == "ordered by mistake"
    assert [(t.kind, t.amount, t.status) for t in cancelled.transactions] == [
        ("payment", usd("72.00"), "succeeded"),
        ("refund", usd("72.00"), "succeeded"),
    ]
    assert store.catalog.variant("cream-100").stock == 50
    assert store.promotions.coupon_uses("SAVE10", "alice_1") == 0


def test_that_a_gift_card_refund_is_credited_at_once(store: Store) -> None:
    order = buy(store, method="gift_alice_1")
    assert store.customers.get("alice_1").payment_methods[1].balance == usd("54.01")
    store.orders.cancel("alice_1", order.id, "no longer needed")
    assert store.customers.get("alice_1").payment_methods[1].balance == usd("100.00")


def test_that_only_pending_orders_can_be_cancelled_and_only_for_an_accepted_reason(
    store: Store,
) -> None:
    order = buy(store)
    with pytest.raises(InvalidCancelReason) as reason:
        store.orders.cancel("alice_1", order.id, "found it cheaper")
    assert reason.value.details["allowed"] == ["no longer needed", "ordered by mistake"]
    store.fulfilment.ship(order.id, tracking_ids=["TRK1"], carrier="UPS")
    with pytest.raises(OrderNotCancellable) as error:
        store.orders.cancel("alice_1", order.id, "no longer needed")
    assert error.value.details["status"] == "processed"
    assert store.orders.get("alice_1", order.id).tracking_ids == ["TRK1"]


def test_that_cancelling_twice_refunds_once(store: Store) -> None:
    order = buy(store)
    store.orders.cancel("alice_1", order.id, "no longer needed")
    with pytest.raises(OrderNotCancellable):
        store.orders.cancel("alice_1", order.id, "no longer needed")
    refunds = [t for t in store.orders.get("alice_1", order.id).transactions if t.kind == "refund"]
    assert len(refunds) == 1


def test_that_the_address_changes_while_pending_and_not_after_shipping(store: Store) -> None:
    order = buy(store)
    new = HOME.model_copy(update={"address1": "2 Elm St", "zip": "62704"})
    changed = store.orders.change_address("alice_1", order.id, new)
    assert changed.address is not None and changed.address.address1 == "2 Elm St"
    with pytest.raises(InvalidAddress):
        store.orders.change_address("alice_1", order.id, new.model_copy(update={"zip": " "}))
    store.fulfilment.ship(order.id, tracking_ids=["T"])
    with pytest.raises(OrderNotModifiable):
        store.orders.change_address("alice_1", order.id, new)


def test_that_changing_the_payment_method_pays_with_the_new_and_refunds_the_old(
    store: Store,
) -> None:
    order = buy(store)  # 40.00 + 5.99 by card
    changed = store.orders.change_payment_method("alice_1", order.id, "gift_alice_1")
    assert [(t.kind, t.amount.amount, t.payment_method_id) for t in changed.transactions] == [
        ("payment", 4599, "card_alice_1"),
        ("payment", 4599, "gift_alice_1"),
        ("refund", 4599, "card_alice_1"),
    ]
    assert all(t.status == "succeeded" for t in changed.transactions)
    assert store.customers.get("alice_1").payment_methods[1].balance == usd("54.01")
    with pytest.raises(PaymentAlreadyChanged):  # only once: the history is no longer one payment
        store.orders.change_payment_method("alice_1", order.id, "paypal_alice_1")


def test_that_a_payment_change_to_the_same_method_or_a_short_gift_card_is_refused(
    store: Store,
) -> None:
    order = buy(store, cream_100=3)  # 120.00
    with pytest.raises(SamePaymentMethod):
        store.orders.change_payment_method("alice_1", order.id, "card_alice_1")
    with pytest.raises(InsufficientGiftCardBalance):
        store.orders.change_payment_method("alice_1", order.id, "gift_alice_1")
    assert len(store.orders.get("alice_1", order.id).transactions) == 1


def test_that_items_change_once_within_the_same_product_and_the_difference_is_paid(
    store: Store,
) -> None:
    order = buy(store, tee_blue_m=2)
    changed = store.orders.change_items(
        "alice_1", order.id, ["tee-blue-m"], ["tee-red-m"], "gift_alice_1"
    )
    assert changed.status == "pending (item modified)"
    assert sorted(i.variant_id or "" for i in changed.items) == ["tee-blue-m", "tee-red-m"]
    assert (changed.transactions[-1].kind, changed.transactions[-1].amount) == (
        "payment",
        usd("2.00"),
    )
    assert store.customers.get("alice_1").payment_methods[1].balance == usd("98.00")
    assert store.catalog.variant("tee-red-m").stock == 9
    assert store.catalog.variant("tee-blue-m").stock == 9
    with pytest.raises(OrderNotModifiable):
        store.orders.change_items(
            "alice_1", order.id, ["tee-blue-m"], ["tee-red-m"], "gift_alice_1"
        )
    with pytest.raises(OrderNotCancellable):
        store.orders.cancel("alice_1", order.id, "no longer needed")


def test_that_a_cheaper_item_is_refunded_to_the_given_method(store: Store) -> None:
    order = buy(store, tee_red_m=1)
    changed = store.orders.change_items(
        "alice_1", order.id, ["tee-red-m"], ["tee-blue-m"], "card_alice_1"
    )
    last = changed.transactions[-1]
    assert (last.kind, last.amount, last.payment_method_id, last.status) == (
        "refund",
        usd("2.00"),
        "card_alice_1",
        "succeeded",
    )


def test_that_item_changes_are_refused_across_products_for_missing_items_or_the_same_item(
    store: Store,
) -> None:
    order = buy(store, tee_blue_m=1)
    with pytest.raises(NotSameProduct):
        store.orders.change_items("alice_1", order.id, ["tee-blue-m"], ["cream-50"], "card_alice_1")
    with pytest.raises(ItemNotInOrder):
        store.orders.change_items(
            "alice_1",
            order.id,
            ["tee-blue-m", "tee-blue-m"],
            ["tee-red-m", "tee-red-m"],
            "card_alice_1",
        )
    with pytest.raises(SameVariant):
        store.orders.change_items(
            "alice_1", order.id, ["tee-blue-m"], ["tee-blue-m"], "card_alice_1"
        )
    with pytest.raises(ItemCountMismatch):
        store.orders.change_items("alice_1", order.id, ["tee-blue-m"], [], "card_alice_1")
    with pytest.raises(VariantUnavailable):
        store.orders.change_items(
            "alice_1", order.id, ["tee-blue-m"], ["tee-blue-l"], "card_alice_1"
        )
    assert store.orders.get("alice_1", order.id).status == "pending"


def test_that_a_declined_card_leaves_an_item_change_undone(store: Store) -> None:
    order = buy(store, tee_blue_m=1)
    with pytest.raises(Exception) as error:
        store.orders.change_items("alice_1", order.id, ["tee-blue-m"], ["tee-red-m"], "bad_alice_1")
    assert getattr(error.value, "code", "") == "payment_declined"
    after = store.orders.get("alice_1", order.id)
    assert after.status == "pending" and len(after.transactions) == 1
    assert store.catalog.variant("tee-red-m").stock == 10


def test_that_an_order_moves_only_along_its_state_machine(store: Store) -> None:
    order = buy(store)
    with pytest.raises(InvalidTransition):
        store.fulfilment.deliver(order.id)
    store.fulfilment.ship(order.id, tracking_ids=["T1"])
    delivered = store.fulfilment.deliver(order.id)
    assert delivered.status == "delivered" and delivered.delivered_at is not None
    with pytest.raises(InvalidTransition):
        store.fulfilment.ship(order.id, tracking_ids=["T2"])
    assert store.fulfilment.close(order.id).status == "completed"

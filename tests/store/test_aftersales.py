"""Returns and exchanges: delivered orders only, once, in the window, refunds where allowed."""

from __future__ import annotations

import pytest
from store_seed import Clock, usd
from test_orders import buy

from shopkeep.store import Store
from shopkeep.store.errors import (
    AfterSalesAlreadyRequested,
    InsufficientGiftCardBalance,
    InvalidRefundMethod,
    InvalidRequest,
    ItemNotInOrder,
    NoOpenRequest,
    NotSameProduct,
    OrderNotFound,
    OrderNotReturnable,
    ReturnWindowClosed,
)
from shopkeep.store.views import OrderView


def delivered(store: Store, **lines: int) -> OrderView:
    order = buy(store, **lines)
    store.fulfilment.ship(order.id, tracking_ids=["T"])
    return store.fulfilment.deliver(order.id)


def test_that_a_delivered_item_can_be_returned_and_is_refunded_when_it_arrives(
    store: Store,
) -> None:
    order = delivered(store, tee_blue_m=2, cream_100=1)
    requested = store.aftersales.request_return(
        "alice_1", order.id, ["tee-blue-m"], "card_alice_1", reason="too small"
    )
    assert requested.status == "return requested"
    assert requested.return_request is not None
    assert requested.return_request.refund == usd("20.00")
    assert requested.return_request.reason == "too small"
    assert len(requested.transactions) == 1  # nothing moves until the item is back
    done = store.aftersales.complete_return(order.id)
    assert done.status == "completed"
    assert (
        done.transactions[-1].kind,
        done.transactions[-1].amount,
        done.transactions[-1].status,
    ) == ("refund", usd("20.00"), "succeeded")
    assert store.catalog.variant("tee-blue-m").stock == 9


def test_that_a_return_refund_goes_to_the_original_method_or_a_gift_card_only(store: Store) -> None:
    order = delivered(store, cream_100=1)
    with pytest.raises(InvalidRefundMethod):
        store.aftersales.request_return("alice_1", order.id, ["cream-100"], "paypal_alice_1")
    store.aftersales.request_return("alice_1", order.id, ["cream-100"], "gift_alice_1")
    store.aftersales.complete_return(order.id)
    assert store.customers.get("alice_1").payment_methods[1].balance == usd("140.00")


def test_that_returns_need_a_delivered_order_of_ones_own_and_happen_once(store: Store) -> None:
    pending = buy(store, key="p")
    with pytest.raises(OrderNotReturnable):
        store.aftersales.request_return("alice_1", pending.id, ["cream-100"], "card_alice_1")
    order = delivered(store, tee_blue_m=1)
    with pytest.raises(OrderNotFound):
        store.aftersales.request_return("bob_2", order.id, ["tee-blue-m"], "card_bob_2")
    with pytest.raises(ItemNotInOrder):
        store.aftersales.request_return("alice_1", order.id, ["tee-red-m"], "card_alice_1")
    store.aftersales.request_return("alice_1", order.id, ["tee-blue-m"], "card_alice_1")
    with pytest.raises(OrderNotReturnable):
        store.aftersales.request_exchange(
            "alice_1", order.id, ["tee-blue-m"], ["tee-red-m"], "card_alice_1"
        )


def test_that_the_return_window_closes_after_the_policy_days(store: Store, clock: Clock) -> None:
    order = delivered(store, tee_blue_m=1)
    clock.advance(days=31)
    with pytest.raises(ReturnWindowClosed) as error:
        store.aftersales.request_return("alice_1", order.id, ["tee-blue-m"], "card_alice_1")
    assert error.value.details["days"] == 30


def test_that_an_exchange_stays_within_the_product_and_settles_the_difference(store: Store) -> None:
    order = delivered(store, tee_blue_m=1)
    with pytest.raises(NotSameProduct):
        store.aftersales.request_exchange(
            "alice_1", order.id, ["tee-blue-m"], ["cream-50"], "card_alice_1"
        )
    requested = store.aftersales.request_exchange(
        "alice_1", order.id, ["tee-blue-m"], ["tee-red-m"], "gift_alice_1"
    )
    assert requested.status == "exchange requested"
    assert requested.exchange_request is not None
    assert requested.exchange_request.price_difference == usd("2.00")
    assert store.catalog.variant("tee-red-m").stock == 9  # the replacement is set aside
    done = store.aftersales.complete_exchange(order.id)
    assert done.status == "completed"
    assert (done.transactions[-1].kind, done.transactions[-1].amount) == ("payment", usd("2.00"))
    assert store.customers.get("alice_1").payment_methods[1].balance == usd("98.00")
    assert store.catalog.variant("tee-blue-m").stock == 10


def test_that_a_gift_card_must_cover_an_exchange_difference(store: Store) -> None:
    order = delivered(store, cream_50=1)
    buy(
        store, method="gift_alice_1", key="drain", cream_100=2, tee_blue_m=1
    )  # 100.00, free shipping
    assert store.customers.get("alice_1").payment_methods[1].balance == usd("0.00")
    with pytest.raises(InsufficientGiftCardBalance) as error:
        store.aftersales.request_exchange(
            "alice_1", order.id, ["cream-50"], ["cream-100"], "gift_alice_1"
        )
    assert error.value.details["needed"] == 1600
    assert store.orders.get("alice_1", order.id).status == "delivered"
    assert store.catalog.variant("cream-100").stock == 48


def test_that_a_rejected_exchange_returns_the_replacements_and_allows_no_second_request(
    store: Store,
) -> None:
    order = delivered(store, tee_blue_m=1)
    store.aftersales.request_exchange(
        "alice_1", order.id, ["tee-blue-m"], ["tee-red-m"], "gift_alice_1"
    )
    assert store.catalog.variant("tee-red-m").stock == 9
    rejected = store.aftersales.reject_exchange(order.id, "the difference could not be paid")
    assert rejected.status == "delivered"
    assert rejected.exchange_request is not None and rejected.exchange_request.status == "rejected"
    assert store.catalog.variant("tee-red-m").stock == 10
    with pytest.raises(AfterSalesAlreadyRequested):
        store.aftersales.request_return("alice_1", order.id, ["tee-blue-m"], "card_alice_1")
    with pytest.raises(NoOpenRequest):
        store.aftersales.complete_exchange(order.id)


def test_that_a_rejected_return_refunds_nothing(store: Store) -> None:
    order = delivered(store, tee_blue_m=1)
    store.aftersales.request_return("alice_1", order.id, ["tee-blue-m"], "card_alice_1")
    rejected = store.aftersales.reject_return(order.id, "the parcel never arrived")
    assert rejected.status == "delivered" and len(rejected.transactions) == 1
    with pytest.raises(NoOpenRequest) as error:
        store.aftersales.complete_return(order.id)
    assert error.value.message == f"Order {order.id} has no open return request."


def test_that_a_return_is_refunded_to_the_method_that_paid_after_a_payment_change(
    store: Store,
) -> None:
    order = buy(store, tee_blue_m=1)
    store.orders.change_payment_method("alice_1", order.id, "paypal_alice_1")
    store.fulfilment.ship(order.id, tracking_ids=["T"])
    store.fulfilment.deliver(order.id)
    with pytest.raises(InvalidRefundMethod):  # the card was refunded in full already
        store.aftersales.request_return("alice_1", order.id, ["tee-blue-m"], "card_alice_1")
    requested = store.aftersales.request_return(
        "alice_1", order.id, ["tee-blue-m"], "paypal_alice_1"
    )
    assert requested.return_request is not None
    assert requested.return_request.refund_method_id == "paypal_alice_1"


def test_that_an_empty_return_is_refused_with_a_clear_message(store: Store) -> None:
    order = delivered(store, tee_blue_m=1)
    with pytest.raises(InvalidRequest) as error:
        store.aftersales.request_return("alice_1", order.id, [], "card_alice_1")
    assert error.value.message == "Name at least one item of the order."


def test_that_a_short_gift_card_is_reported_in_money(store: Store) -> None:
    order = delivered(store, cream_50=1)
    buy(store, method="gift_alice_1", key="drain2", cream_100=2, tee_blue_m=1)
    with pytest.raises(InsufficientGiftCardBalance) as error:
        store.aftersales.request_exchange(
            "alice_1", order.id, ["cream-50"], ["cream-100"], "gift_alice_1"
        )
    assert error.value.message == "Gift card gift_alice_1 holds $0.00 but $16.00 is needed."

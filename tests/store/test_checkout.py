"""Cart, quote, checkout and payment: the price breakdown, gift cards and cards, idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from store_seed import HOME, Clock, usd

from shopkeep.store import Money, Store
from shopkeep.store.checkout import LineRequest
from shopkeep.store.errors import (
    CartEmpty,
    CouponNotApplicable,
    CouponNotFound,
    IdempotencyConflict,
    InsufficientGiftCardBalance,
    InvalidQuantity,
    OutOfStock,
    PaymentDeclined,
    PaymentMethodNotFound,
    QuoteChanged,
    VariantUnavailable,
)
from shopkeep.store.models import Order, SandboxGatewayRecord


def counts(store: Store) -> dict[str, object]:
    """Everything a failed checkout must leave as it was."""
    with store.db.reading() as s:
        orders = s.scalar(select(func.count()).select_from(Order))
    return {
        "orders": orders,
        "stock": {
            v.id: v.stock for p in ("cream", "tee") for v in store.catalog.product(p).variants
        },
        "gift": store.customers.get("alice_1").payment_methods[1].balance,
        "coupon_uses": store.promotions.coupon_uses("SAVE10", "alice_1"),
        "cart": store.carts.get("alice_1"),
    }


def test_that_the_cart_adds_up_quantities_and_removes_at_zero(store: Store) -> None:
    store.carts.add("alice_1", "cream-50", 2)
    cart = store.carts.add("alice_1", "cream-50", 1)
    assert [(line.variant_id, line.quantity) for line in cart.lines] == [("cream-50", 3)]
    assert cart.subtotal == usd("72.00")
    assert store.carts.set_quantity("alice_1", "cream-50", 0).lines == []


def test_that_the_cart_refuses_more_than_the_stock_and_unlisted_items(store: Store) -> None:
    with pytest.raises(OutOfStock) as error:
        store.carts.add("alice_1", "cream-50", 6)
    assert error.value.details["available"] == 5
    with pytest.raises(VariantUnavailable):
        store.carts.add("alice_1", "tee-green-l")
    with pytest.raises(InvalidQuantity):
        store.carts.add("alice_1", "cream-100", 0)
    assert store.carts.get("alice_1").lines == []


def test_that_a_quote_shows_subtotal_coupon_shipping_and_total(store: Store) -> None:
    store.carts.add("alice_1", "cream-50", 1)
    store.carts.add("alice_1", "tee-blue-m", 1)
    quote = store.checkout.quote("alice_1", coupon_code="save10")
    assert quote.subtotal == usd("44.00")
    assert quote.discount == usd("4.40")
    assert quote.shipping == usd("5.99")  # 39.60 is under the 50.00 free-shipping threshold
    assert quote.total == usd("45.59")
    big = store.checkout.quote("alice_1", lines=[LineRequest(variant_id="cream-100", quantity=2)])
    assert big.shipping == usd("0.00") and "free_shipping" in big.notes


def test_that_paying_by_card_places_the_order_charges_once_and_empties_the_cart(
    store: Store,
) -> None:
    store.carts.add("alice_1", "cream-50", 2)
    order = store.checkout.place_order(
        "alice_1", payment_method_id="card_alice_1", idempotency_key="k1"
    )
    assert order.status == "pending"
    assert order.id.startswith("#W") and len(order.id) == 9
    assert [i.variant_id for i in order.items] == ["cream-50", "cream-50"]
    assert order.total == usd("53.99")
    assert [(t.kind, t.amount, t.status) for t in order.transactions] == [
        ("payment", usd("53.99"), "succeeded")
    ]
    assert store.catalog.variant("cream-50").stock == 3
    assert store.carts.get("alice_1").lines == []
    with store.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(SandboxGatewayRecord)) == 1


def test_that_a_retried_checkout_returns_the_same_order_and_never_charges_twice(
    store: Store,
) -> None:
    lines = [LineRequest(variant_id="cream-100", quantity=1)]
    first = store.checkout.place_order(
        "alice_1", payment_method_id="card_alice_1", idempotency_key="same", lines=lines
    )
    again = store.checkout.place_order(
        "alice_1", payment_method_id="card_alice_1", idempotency_key="same", lines=lines
    )
    assert again.id == first.id
    assert store.catalog.variant("cream-100").stock == 49
    assert len(store.orders.history("alice_1")) == 1
    with store.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(SandboxGatewayRecord)) == 1
    with pytest.raises(IdempotencyConflict):
        store.checkout.place_order(
            "alice_1", payment_method_id="paypal_alice_1", idempotency_key="same", lines=lines
        )
    # keys are each customer's own: another customer's same key is another order
    bob = store.checkout.place_order(
        "bob_2", payment_method_id="card_bob_2", idempotency_key="same", lines=lines
    )
    assert bob.id != first.id


def test_that_a_gift_card_pays_at_once_and_must_cover_the_total(store: Store) -> None:
    order = store.checkout.place_order(
        "alice_1",
        payment_method_id="gift_alice_1",
        idempotency_key="g1",
        lines=[LineRequest(variant_id="cream-100")],
    )
    assert order.status == "pending"
    assert store.customers.get("alice_1").payment_methods[1].balance == usd(
        "54.01"
    )  # 100 - 40 - 5.99
    before = counts(store)
    with pytest.raises(InsufficientGiftCardBalance):
        store.checkout.place_order(
            "alice_1",
            payment_method_id="gift_alice_1",
            idempotency_key="g2",
            lines=[LineRequest(variant_id="cream-100", quantity=2)],
        )
    assert counts(store) == before


def test_that_a_declined_card_leaves_the_store_exactly_as_it_was(store: Store) -> None:
    store.carts.add("alice_1", "cream-50", 2)
    before = counts(store)
    with pytest.raises(PaymentDeclined) as error:
        store.checkout.place_order(
            "alice_1", payment_method_id="bad_alice_1", idempotency_key="d1", coupon_code="SAVE10"
        )
    assert error.value.code == "payment_declined"
    assert counts(store) == before


def test_that_checkout_refuses_what_is_out_of_stock_and_changes_nothing(store: Store) -> None:
    before = counts(store)
    with pytest.raises(OutOfStock):
        store.checkout.place_order(
            "alice_1",
            payment_method_id="card_alice_1",
            idempotency_key="o1",
            lines=[
                LineRequest(variant_id="cream-100"),
                LineRequest(variant_id="cream-50", quantity=6),
            ],
        )
    with pytest.raises(OutOfStock):
        store.checkout.place_order(
            "alice_1",
            payment_method_id="card_alice_1",
            idempotency_key="o2",
            lines=[LineRequest(variant_id="tee-blue-l")],
        )
    assert counts(store) == before


def test_that_checkout_refuses_an_empty_cart_and_someone_elses_payment_method(store: Store) -> None:
    with pytest.raises(CartEmpty):
        store.checkout.place_order(
            "alice_1", payment_method_id="card_alice_1", idempotency_key="e1"
        )
    with pytest.raises(PaymentMethodNotFound):
        store.checkout.place_order(
            "alice_1",
            payment_method_id="card_bob_2",
            idempotency_key="e2",
            lines=[LineRequest(variant_id="lamp-1")],
        )


def test_that_a_changed_total_is_refused_before_anything_is_charged(store: Store) -> None:
    lines = [LineRequest(variant_id="lamp-1")]
    quote = store.checkout.quote("alice_1", lines=lines)
    before = counts(store)
    with pytest.raises(QuoteChanged) as error:
        store.checkout.place_order(
            "alice_1",
            payment_method_id="card_alice_1",
            idempotency_key="q1",
            lines=lines,
            expected_total=quote.total - Money(1, "USD"),
        )
    assert error.value.details["total"] == quote.total.amount
    assert counts(store) == before
    order = store.checkout.place_order(
        "alice_1",
        payment_method_id="card_alice_1",
        idempotency_key="q2",
        lines=lines,
        expected_total=quote.total,
    )
    assert order.total == quote.total


def test_that_a_coupon_is_refused_when_expired_unknown_or_under_its_minimum(store: Store) -> None:
    lines = [LineRequest(variant_id="cream-50")]
    with pytest.raises(CouponNotApplicable) as expired:
        store.checkout.quote("alice_1", lines=lines, coupon_code="OLD")
    assert expired.value.details["reason"] == "expired"
    with pytest.raises(CouponNotApplicable) as minimum:
        store.checkout.quote("alice_1", lines=lines, coupon_code="SAVE10")
    assert minimum.value.details["reason"] == "min_spend_not_met"
    assert minimum.value.details["short_by"] == 600
    with pytest.raises(CouponNotFound):
        store.checkout.quote("alice_1", lines=lines, coupon_code="NOPE")


def test_that_a_coupon_serves_each_customer_only_up_to_its_limit(
    store: Store, clock: Clock
) -> None:
    lines = [LineRequest(variant_id="cream-100")]
    store.checkout.place_order(
        "alice_1",
        payment_method_id="card_alice_1",
        idempotency_key="c1",
        lines=lines,
        coupon_code="SAVE10",
    )
    with pytest.raises(CouponNotApplicable) as error:
        store.checkout.place_order(
            "alice_1",
            payment_method_id="card_alice_1",
            idempotency_key="c2",
            lines=lines,
            coupon_code="SAVE10",
        )
    assert error.value.details["reason"] == "customer_limit_reached"
    bob = store.checkout.place_order(
        "bob_2",
        payment_method_id="card_bob_2",
        idempotency_key="c3",
        lines=lines,
        coupon_code="SAVE10",
    )
    assert bob.discount == usd("4.00")
    clock.advance(days=11)
    with pytest.raises(CouponNotApplicable):
        store.checkout.quote("bob_2", lines=lines, coupon_code="SAVE10")


def test_that_discounts_are_shared_over_the_items_to_the_cent(store: Store) -> None:
    order = store.checkout.place_order(
        "alice_1",
        payment_method_id="card_alice_1",
        idempotency_key="s1",
        coupon_code="SAVE10",
        lines=[
            LineRequest(variant_id="cream-50", quantity=1),
            LineRequest(variant_id="tee-red-m", quantity=2),
        ],
    )
    assert order.discount == usd("6.80")
    assert sum(i.discount.amount for i in order.items) == 680
    assert order.shipping == usd("0.00")  # 61.20 after the coupon
    assert order.total == usd("61.20")


def test_that_an_order_can_ship_to_another_address(store: Store) -> None:
    office = HOME.model_copy(update={"address1": "9 Office Park", "zip": "62702"})
    order = store.checkout.place_order(
        "alice_1",
        payment_method_id="paypal_alice_1",
        idempotency_key="a1",
        lines=[LineRequest(variant_id="lamp-1")],
        address=office,
    )
    assert order.address is not None and order.address.zip == "62702"


def test_that_coupons_need_aware_times_and_the_store_currency(store: Store) -> None:
    from datetime import datetime

    from shopkeep.store.errors import InvalidRequest
    from shopkeep.store.promotions import CouponInput

    with pytest.raises(InvalidRequest):
        store.promotions.put_coupon(
            CouponInput(code="NAIVE", kind="amount", value=100, valid_until=datetime(2027, 1, 1))
        )
    with pytest.raises(InvalidRequest):
        store.promotions.put_coupon(
            CouponInput(code="WON", kind="amount", value=100, currency="KRW")
        )
    assert [c.code for c in store.promotions.coupons(running_only=False)] == [
        "FIVE",
        "OLD",
        "SAVE10",
    ]

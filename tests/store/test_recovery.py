"""A process that dies mid-payment: the money moves exactly once or not at all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from store_seed import Clock, usd

from shopkeep.store import Money, Store
from shopkeep.store.checkout import LineRequest, Placement, _reserve, fingerprint
from shopkeep.store.errors import OrderNotFound
from shopkeep.store.models import Order, OrderKind, PaymentTransaction, SandboxGatewayRecord


def reserve_only(store: Store, key: str) -> str:
    """Do checkout's first step and stop, as a process killed before it reached the gateway."""
    lines = [LineRequest(variant_id="cream-50", quantity=2)]
    placement = Placement(
        customer_id="alice_1",
        kind=OrderKind.RETAIL,
        payment_method_id="card_alice_1",
        idempotency_key=key,
        fingerprint=fingerprint(
            lines=[line.model_dump() for line in lines],
            payment="card_alice_1",
            address=store.checkout._ship_to("alice_1", None, None).model_dump(),
            coupon=None,
            campaign=None,
        ),
        id_prefix="#W",
        coupon_code=None,
        campaign_id=None,
        expected_total=None,
        address=store.checkout._ship_to("alice_1", None, None),
        fulfilment="shipping",
        lines=lambda s, reserve: store.checkout._priced_lines(
            s, "alice_1", lines, stock="take" if reserve else "check"
        ),
    )
    with store.db.transaction() as s:
        order_id, _ = _reserve(store.ctx, s, placement)
    return order_id


def charges(store: Store) -> int:
    with store.db.reading() as s:
        return s.scalar(select(func.count()).select_from(SandboxGatewayRecord)) or 0


def test_that_a_retry_after_a_crash_before_payment_charges_once_and_places_the_order(
    store: Store,
) -> None:
    order_id = reserve_only(store, "crash-1")
    assert store.catalog.variant("cream-50").stock == 3  # reserved
    assert store.orders.history("alice_1") == []  # not shown until paid
    order = store.checkout.place_order(
        "alice_1",
        payment_method_id="card_alice_1",
        idempotency_key="crash-1",
        lines=[LineRequest(variant_id="cream-50", quantity=2)],
    )
    assert (order.id, order.status) == (order_id, "pending")
    assert charges(store) == 1


def test_that_recovery_releases_an_order_the_gateway_never_charged(
    store: Store, clock: Clock
) -> None:
    order_id = reserve_only(store, "crash-2")
    assert store.recover() == {
        "confirmed": 0,
        "released": 0,
        "charges_voided": 0,
        "attempts_abandoned": 0,
        "refunds_sent": 0,
    }  # too young to judge
    clock.advance(minutes=16)
    assert store.recover()["released"] == 1
    assert store.catalog.variant("cream-50").stock == 5
    with pytest.raises(OrderNotFound):
        store.orders.get("alice_1", order_id)
    assert charges(store) == 0


def test_that_recovery_confirms_an_order_the_gateway_charged_before_the_crash(store: Store) -> None:
    order_id = reserve_only(store, "crash-3")
    store.ctx.gateway.charge(
        key=f"{order_id}/payment", method_ref="tok_alice_1", amount=usd("53.99")
    )
    assert store.recover()["confirmed"] == 1
    order = store.orders.get("alice_1", order_id)
    assert order.status == "pending"
    assert [t.status for t in order.transactions] == ["succeeded"]
    assert store.recover(older_than=timedelta(0)) == {
        "confirmed": 0,
        "released": 0,
        "charges_voided": 0,
        "attempts_abandoned": 0,
        "refunds_sent": 0,
    }
    assert charges(store) == 1


def test_that_a_refund_recorded_before_a_crash_is_sent_once_by_recovery(store: Store) -> None:
    order = store.checkout.place_order(
        "alice_1",
        payment_method_id="card_alice_1",
        idempotency_key="r",
        lines=[LineRequest(variant_id="lamp-1")],
    )
    store.orders.cancel("alice_1", order.id, "no longer needed")
    # as if the process died after the cancel committed but before the gateway heard of it
    with store.db.transaction() as s:
        refund = s.scalar(select(PaymentTransaction).where(PaymentTransaction.kind == "refund"))
        assert refund is not None
        refund.status = "pending"
    assert store.recover()["refunds_sent"] == 1
    assert store.recover()["refunds_sent"] == 0
    with store.db.reading() as s:
        refunds = s.scalar(
            select(func.count())
            .select_from(SandboxGatewayRecord)
            .where(SandboxGatewayRecord.operation == "refund")
        )
        assert refunds == 1  # the gateway replayed the first refund rather than refunding twice
        assert s.scalar(select(func.count()).select_from(Order)) == 1
    assert store.orders.get("alice_1", order.id).transactions[-1].amount == Money(4149, "USD")

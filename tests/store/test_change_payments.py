"""Money for changes to an order: a declined card can be retried, twins never pay twice or
for nothing, a stranded charge is refunded, and a gateway outage loses no refund."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from store_seed import usd
from test_orders import buy

from shopkeep.store import Money, Store
from shopkeep.store.customers import PaymentMethodInput
from shopkeep.store.errors import PaymentDeclined, PaymentMethodUnusable, StoreError
from shopkeep.store.models import AttemptStatus, ChargeAttempt, SandboxGatewayRecord
from shopkeep.store.payments import GatewayResult, SandboxGateway


def gateway_log(store: Store) -> list[tuple[str, str, int]]:
    with store.db.reading() as s:
        rows = s.scalars(select(SandboxGatewayRecord).order_by(SandboxGatewayRecord.at))
        return sorted((r.operation, r.method_ref, r.amount_minor) for r in rows if r.succeeded)


def test_that_a_declined_card_does_not_block_a_retry_with_another_method(store: Store) -> None:
    order = buy(store, tee_blue_m=1)
    with pytest.raises(PaymentDeclined):
        store.orders.change_items("alice_1", order.id, ["tee-blue-m"], ["tee-red-m"], "bad_alice_1")
    changed = store.orders.change_items(
        "alice_1", order.id, ["tee-blue-m"], ["tee-red-m"], "paypal_alice_1"
    )
    assert changed.status == "pending (item modified)"
    assert (changed.transactions[-1].kind, changed.transactions[-1].amount) == (
        "payment",
        usd("2.00"),
    )

    other = buy(store, key="second")
    with pytest.raises(PaymentDeclined):
        store.orders.change_payment_method("alice_1", other.id, "bad_alice_1")
    assert store.orders.change_payment_method(
        "alice_1", other.id, "paypal_alice_1"
    ).payment_method_id == ("paypal_alice_1")
    with store.db.reading() as s:
        statuses = Counter(a.status for a in s.scalars(select(ChargeAttempt)))
    assert statuses == {AttemptStatus.DECLINED: 2, AttemptStatus.APPLIED: 2}


class SlowGateway(SandboxGateway):
    """The sandbox, holding every charge until all callers have made theirs."""

    def __init__(self, inner: SandboxGateway, parties: int) -> None:
        self.__dict__.update(inner.__dict__)
        self._all_charged = threading.Barrier(parties, timeout=60)

    def charge(self, *, key: str, method_ref: str, amount: Money) -> GatewayResult:
        result = super().charge(key=key, method_ref=method_ref, amount=amount)
        self._all_charged.wait()
        return result


def test_that_twin_payment_changes_apply_once_and_the_loser_gets_its_charge_back(
    store: Store,
) -> None:
    order = buy(store)  # 45.99 by card
    twins = 4
    store.ctx.__dict__["gateway"] = SlowGateway(store.ctx.gateway, twins)  # type: ignore[arg-type]

    def change() -> object:
        try:
            return store.orders.change_payment_method("alice_1", order.id, "paypal_alice_1")
        except StoreError as error:
            return error

    with ThreadPoolExecutor(twins) as pool:
        results = list(pool.map(lambda _: change(), range(twins)))
    assert sum(not isinstance(r, StoreError) for r in results) == 1
    assert {r.code for r in results if isinstance(r, StoreError)} == {"payment_already_changed"}
    after = store.orders.get("alice_1", order.id)
    assert [(t.kind, t.payment_method_id, t.amount.amount) for t in after.transactions] == [
        ("payment", "card_alice_1", 4599),
        ("payment", "paypal_alice_1", 4599),
        ("refund", "card_alice_1", 4599),
    ]
    log = gateway_log(store)
    paypal_charges = [r for r in log if r[0] == "charge" and r[1] == "paypal_alice_1"]
    paypal_refunds = [r for r in log if r[0] == "refund" and r[1] == "paypal_alice_1"]
    assert len(paypal_charges) == twins and len(paypal_refunds) == twins - 1  # one charge kept


def test_that_a_charge_stranded_by_a_crash_is_refunded_by_recovery(store: Store) -> None:
    order = buy(store, tee_blue_m=1)
    # as if the process died after the gateway charged, before the change was written
    key = f"{order.id}/items-change/crashed"
    with store.db.transaction() as s:
        now = store.ctx.clock()
        s.add(
            ChargeAttempt(
                key=key,
                order_id=order.id,
                purpose="items-change",
                payment_method_id="paypal_alice_1",
                amount_minor=200,
                currency="USD",
                status=AttemptStatus.STARTED,
                created_at=now,
                updated_at=now,
            )
        )
    store.ctx.gateway.charge(key=key, method_ref="paypal_alice_1", amount=usd("2.00"))
    assert store.recover()["charges_voided"] == 0  # young: it may still be running elsewhere
    store.ctx.clock.advance(minutes=20)  # type: ignore[attr-defined]
    assert store.recover()["charges_voided"] == 1
    assert store.recover()["charges_voided"] == 0
    assert ("refund", "paypal_alice_1", 200) in gateway_log(store)
    assert store.orders.get("alice_1", order.id).status == "pending"  # the change never happened


class DownGateway(SandboxGateway):
    def refund(self, *, key: str, method_ref: str, amount: Money) -> GatewayResult:
        raise ConnectionError("gateway unreachable")


def test_that_a_refund_the_gateway_cannot_take_now_stays_pending_and_is_sent_later(
    store: Store,
) -> None:
    order = buy(store)
    working = store.ctx.gateway
    store.ctx.__dict__["gateway"] = DownGateway(store.db, store.ctx.clock)
    cancelled = store.orders.cancel("alice_1", order.id, "no longer needed")
    assert cancelled.status == "cancelled"
    assert cancelled.transactions[-1].status == "pending"
    store.ctx.__dict__["gateway"] = working
    assert store.recover()["refunds_sent"] == 1
    assert store.orders.get("alice_1", order.id).transactions[-1].status == "succeeded"


def test_that_a_gift_card_in_another_currency_cannot_pay(store: Store) -> None:
    store.customers.add_payment_method(
        "alice_1",
        PaymentMethodInput(id="won_card", source="gift_card", balance=Money(500_000, "KRW")),
    )
    order = buy(store)
    with pytest.raises(PaymentMethodUnusable) as error:
        store.orders.change_payment_method("alice_1", order.id, "won_card")
    assert "KRW" in error.value.message
    assert store.customers.get("alice_1").payment_methods[-1].balance == Money(500_000, "KRW")

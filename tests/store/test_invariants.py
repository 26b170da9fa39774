"""Property tests: whatever sequence of shop operations happens, the store's invariants hold.

Stock is never negative and is conserved; a campaign never spends beyond its budget; refunds
never exceed payments; gift cards never go below zero; orders move only along the state
machine; a replayed payment never charges twice.
"""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select
from store_seed import Clock, seed

from shopkeep.store import Database, Store
from shopkeep.store.checkout import LineRequest
from shopkeep.store.errors import StoreError
from shopkeep.store.lifecycle import TRANSITIONS
from shopkeep.store.models import (
    Campaign,
    CampaignSubsidy,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
    PaymentTransaction,
    SandboxGatewayRecord,
    Variant,
)
from shopkeep.store.promotions import CampaignInput

VARIANTS = ["cream-50", "cream-100", "tee-blue-m", "tee-red-m", "lamp-1"]
METHODS = ["card", "gift", "paypal", "bad"]
CUSTOMERS = ["alice_1", "bob_2"]
HOLDING = {
    OrderStatus.PENDING,
    OrderStatus.ITEMS_MODIFIED,
    OrderStatus.PROCESSED,
    OrderStatus.DELIVERED,
    OrderStatus.RETURN_REQUESTED,
    # the customer keeps the items until the exchange completes; the replacements are held too
    OrderStatus.EXCHANGE_REQUESTED,
}


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "shop.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    shop = Store(db, clock=Clock(), rng=random.Random(1))
    seed(shop)
    shop.promotions.put_campaign(
        CampaignInput(
            id="beauty",
            name={"en": "Beauty week"},
            kind="percent",
            value=20,
            max_subsidy=900,
            budget=2_000,
            applies_to="retail",
            categories=["beauty"],
        )
    )
    db.dispose()
    return path


class Shop(RuleBasedStateMachine):
    template: Path
    workdir: Path

    def __init__(self) -> None:
        super().__init__()
        path = self.workdir / f"run-{random.random()}.sqlite3"
        shutil.copyfile(self.template, path)
        self.path = path
        self.store = Store(Database(f"sqlite:///{path}"), clock=Clock(), rng=random.Random(3))
        with self.store.db.reading() as s:
            self.initial_stock = {v.id: v.stock for v in s.scalars(select(Variant))}
        self.orders: list[tuple[str, str]] = []
        self.keys: list[tuple[str, str, list[LineRequest], str, str | None]] = []
        self.attempts = 0

    def teardown(self) -> None:
        self.store.close()
        self.path.unlink(missing_ok=True)

    def _try(self, call) -> object:  # type: ignore[no-untyped-def]
        try:
            return call()
        except StoreError as error:
            return error

    @rule(
        customer=st.sampled_from(CUSTOMERS),
        method=st.sampled_from(METHODS),
        lines=st.lists(
            st.tuples(st.sampled_from(VARIANTS), st.integers(1, 4)), min_size=1, max_size=3
        ),
        coupon=st.sampled_from([None, "SAVE10", "FIVE"]),
    )
    def checkout(
        self, customer: str, method: str, lines: list[tuple[str, int]], coupon: str | None
    ) -> None:
        wanted = [LineRequest(variant_id=v, quantity=q) for v, q in lines]
        self.attempts += 1
        key = f"key-{self.attempts}"
        result = self._try(
            lambda: self.store.checkout.place_order(
                customer,
                payment_method_id=f"{method}_{customer}",
                idempotency_key=key,
                lines=wanted,
                coupon_code=coupon,
            )
        )
        if not isinstance(result, StoreError):
            self.orders.append((customer, result.id))  # type: ignore[attr-defined]
            self.keys.append((customer, key, wanted, f"{method}_{customer}", coupon))

    @precondition(lambda self: self.keys)
    @rule(data=st.data())
    def replay_a_checkout(self, data: st.DataObject) -> None:
        customer, key, wanted, method, coupon = data.draw(st.sampled_from(self.keys))
        with self.store.db.reading() as s:
            charges = s.scalar(select(func.count()).select_from(SandboxGatewayRecord))
        again = self.store.checkout.place_order(
            customer,
            payment_method_id=method,
            idempotency_key=key,
            lines=wanted,
            coupon_code=coupon,
        )
        assert (customer, again.id) in self.orders
        with self.store.db.reading() as s:
            assert s.scalar(select(func.count()).select_from(SandboxGatewayRecord)) == charges

    @precondition(lambda self: self.orders)
    @rule(
        data=st.data(),
        action=st.sampled_from(
            [
                "cancel",
                "ship",
                "deliver",
                "return",
                "complete_return",
                "exchange",
                "complete_exchange",
                "items",
                "payment",
                "close",
            ]
        ),
    )
    def act(self, data: st.DataObject, action: str) -> None:
        customer, order_id = data.draw(st.sampled_from(self.orders))
        actor = data.draw(st.sampled_from([customer, *CUSTOMERS]))  # sometimes someone else tries
        s = self.store
        order = s.orders.get(customer, order_id)
        units = [i.variant_id or "" for i in order.items]
        first = units[0]
        sibling = {
            "cream-50": "cream-100",
            "cream-100": "cream-50",
            "tee-blue-m": "tee-red-m",
            "tee-red-m": "tee-blue-m",
            "lamp-1": "lamp-1",
        }[first]
        method = f"{data.draw(st.sampled_from(METHODS))}_{actor}"
        calls = {
            "cancel": lambda: s.orders.cancel(actor, order_id, "no longer needed"),
            "ship": lambda: s.fulfilment.ship(order_id, tracking_ids=["T"]),
            "deliver": lambda: s.fulfilment.deliver(order_id),
            "close": lambda: s.fulfilment.close(order_id),
            "return": lambda: s.aftersales.request_return(actor, order_id, units[:1], method),
            "complete_return": lambda: s.aftersales.complete_return(order_id),
            "exchange": lambda: s.aftersales.request_exchange(
                actor, order_id, [first], [sibling], method
            ),
            "complete_exchange": lambda: s.aftersales.complete_exchange(order_id),
            "items": lambda: s.orders.change_items(actor, order_id, [first], [sibling], method),
            "payment": lambda: s.orders.change_payment_method(actor, order_id, method),
        }
        before = s.orders.get(customer, order_id)
        result = self._try(calls[action])
        if actor != customer and action not in {
            "ship",
            "deliver",
            "close",
            "complete_return",
            "complete_exchange",
        }:
            assert isinstance(result, StoreError)  # nobody changes another customer's order
            assert s.orders.get(customer, order_id) == before

    @invariant()
    def stock_is_never_negative_and_is_conserved(self) -> None:
        with self.store.db.reading() as s:
            stock = {v.id: v.stock for v in s.scalars(select(Variant))}
            held: Counter[str] = Counter()
            for order in s.scalars(select(Order)):
                if order.status in HOLDING:
                    held.update(i.variant_id for i in order.items if i.variant_id)
                x = order.exchange_request
                if x is not None and order.status == OrderStatus.EXCHANGE_REQUESTED:
                    held.update(x.new_item_ids)
                if (
                    x is not None
                    and order.status == OrderStatus.COMPLETED
                    and x.status == "completed"
                ):
                    held.update(x.new_item_ids)
                    held.update(
                        order_item
                        for order_item in [i.variant_id for i in order.items]
                        if order_item
                    )
                    held.subtract(x.item_ids)
                r = order.return_request
                if (
                    r is not None
                    and order.status == OrderStatus.COMPLETED
                    and r.status == "refunded"
                ):
                    held.update(i.variant_id for i in order.items if i.variant_id)
                    held.subtract(r.item_ids)
                if order.status == OrderStatus.COMPLETED and x is None and r is None:
                    held.update(i.variant_id for i in order.items if i.variant_id)
        for variant_id, initial in self.initial_stock.items():
            if initial is None:
                continue
            assert stock[variant_id] is not None and stock[variant_id] >= 0
            assert stock[variant_id] + held[variant_id] == initial, variant_id

    @invariant()
    def campaigns_never_exceed_their_budget(self) -> None:
        with self.store.db.reading() as s:
            for campaign in s.scalars(select(Campaign)):
                live = s.scalar(
                    select(func.coalesce(func.sum(CampaignSubsidy.amount_minor), 0)).where(
                        CampaignSubsidy.campaign_id == campaign.id,
                        CampaignSubsidy.released.is_(False),
                    )
                )
                assert campaign.spent_minor == live
                assert 0 <= campaign.spent_minor <= campaign.budget_minor

    @invariant()
    def refunds_never_exceed_payments_and_gift_cards_stay_positive(self) -> None:
        with self.store.db.reading() as s:
            for order in s.scalars(select(Order)):
                paid = sum(t.amount_minor for t in order.transactions if t.kind == "payment")
                refunded = sum(t.amount_minor for t in order.transactions if t.kind == "refund")
                assert refunded <= paid, order.id
            assert all((m.balance_minor or 0) >= 0 for m in s.scalars(select(PaymentMethod)))
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(PaymentTransaction)
                    .where(PaymentTransaction.amount_minor < 0)
                )
                == 0
            )

    @invariant()
    def orders_only_make_allowed_moves(self) -> None:
        with self.store.db.reading() as s:
            for event in s.scalars(select(OrderEvent).where(OrderEvent.from_status.is_not(None))):
                assert OrderStatus(event.to_status) in TRANSITIONS[OrderStatus(event.from_status)]
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(Order)
                    .where(Order.status == OrderStatus.AWAITING_PAYMENT)
                )
                == 0
            )


@settings(
    max_examples=25, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
)
class ShopRules(Shop):
    pass


def test_that_the_store_invariants_hold_for_any_sequence_of_operations(
    seeded_template: Path, tmp_path: Path
) -> None:
    Shop.template = seeded_template
    Shop.workdir = tmp_path
    ShopRules.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    ShopRules.TestCase().runTest()

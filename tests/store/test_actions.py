"""The store's consequential actions, previewed and performed in one place: over generated
customers, orders, actions and states of the demo shop, the preview refuses exactly when doing
it refuses, with the same refusal, and what it shows is what is done."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopkeep.evals.demo import EVAL_NOW, DemoShop, shop_state
from shopkeep.store import Database, Store
from shopkeep.store.actions import (
    ACTION_KINDS,
    CancelOrder,
    ChangeAddress,
    ChangeDefaultAddress,
    ChangeItems,
    ChangePayment,
    PlaceLocalOrder,
    PlaceOrder,
    Preview,
    RequestExchange,
    RequestReturn,
    StoreAction,
)
from shopkeep.store.checkout import LineRequest
from shopkeep.store.errors import PaymentDeclined, StoreError
from shopkeep.store.lifecycle import OPEN_TO
from shopkeep.store.local import MenuLine
from shopkeep.store.models import PaymentMethod
from shopkeep.store.money import Money
from shopkeep.store.policy import StorePolicy
from shopkeep.store.views import AddressInput, CustomerView, OrderView

# --- the shop, read once --------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the generators draw from: the demo shop as seeded."""

    customers: list[CustomerView]
    orders: list[OrderView]
    variants: list[tuple[str, str]]
    """(variant id, product id)."""
    in_stock: frozenset[str]
    local: list[tuple[str, int, list[str]]]
    """(store id, slot minutes, menu item ids)."""
    options: dict[str, dict[str, list[str]]]
    """Menu item id → option group → choice codes."""
    coupons: list[str]
    cancel_reasons: tuple[str, ...]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoShop:
    return DemoShop.build(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def facts(demo: DemoShop) -> Facts:
    store = demo.fresh("facts")
    try:
        state = shop_state(store)
        customers = {o.customer_id for o in state.orders.values()}
        menu = {s.id: store.local.menu(s.id) for s in store.local.stores()}
        return Facts(
            customers=[store.customers.get(c) for c in sorted(customers)],
            orders=sorted(state.orders.values(), key=lambda o: o.id),
            variants=[(v.id, p.id) for p in store.catalog.everything() for v in p.variants],
            in_stock=frozenset(
                v.id for p in store.catalog.everything() for v in p.variants if v.in_stock
            ),
            local=[
                (s.id, s.slot_minutes, [m.id for m in menu[s.id]]) for s in store.local.stores()
            ],
            options={
                m.id: {g.code: [c.code for c in g.choices] for g in m.option_groups}
                for items in menu.values()
                for m in items
            },
            coupons=[c.code for c in store.promotions.coupons(running_only=False)],
            cancel_reasons=store.ctx.policy.cancel_reasons,
        )
    finally:
        demo.discard(store)


# --- generating what a customer may ask, and the state they ask it in ---------------------------


@dataclass(frozen=True)
class Case:
    customer: CustomerView
    action: StoreAction
    clock: datetime
    out_of_stock: str | None
    """A variant whose stock is set to 0 first."""
    drained: str | None
    """A gift card whose balance is set to $1.00 first."""


VALID = AddressInput(
    address1="12 Elm St", city="Springfield", state="IL", country="USA", zip="62701"
)
ADDRESSES = [
    VALID,
    VALID,
    VALID,
    AddressInput(address1="", city="Seoul", country="South Korea", zip="04066"),
    AddressInput(address1="5 Rue X", city="Paris", country="France", zip=""),
]
MOSTLY = [True, True, True, False]


@st.composite
def cases(draw: st.DrawFn, facts: Facts) -> Case:
    kind = draw(st.sampled_from(ACTION_KINDS))
    # Most cases are asked for an order where the action may well be allowed, so that what is
    # done is checked against what was shown as often as what is refused.
    open_to = OPEN_TO.get(kind, frozenset())
    fitting = [o for o in facts.orders if o.status in open_to]
    likely = fitting and draw(st.sampled_from(MOSTLY))
    order = draw(st.sampled_from(fitting if likely else facts.orders))
    customer = next(c for c in facts.customers if c.id == order.customer_id)
    if not draw(st.sampled_from(MOSTLY)):
        customer = draw(st.sampled_from(facts.customers))
    methods = [m.id for m in customer.payment_methods]
    others = [m.id for c in facts.customers for m in c.payment_methods if c.id != customer.id]
    paid = [order.payment_method_id] if order.payment_method_id else []
    method = draw(st.sampled_from([*methods, *methods, *paid, others[0], "credit_card_0000000"]))
    units = [i.variant_id or i.menu_item_id or "" for i in order.items] or ["nothing"]

    def variant_like(unit: str) -> str:
        product = next((p for v, p in facts.variants if v == unit), None)
        same = [v for v, p in facts.variants if p == product and v != unit] or [unit]
        stocked = [v for v in same if v in facts.in_stock] or same
        anything = draw(st.sampled_from(facts.variants))[0]
        return draw(st.sampled_from([*stocked, *stocked, *stocked, *same, unit, anything]))

    chosen = draw(st.lists(st.sampled_from(units), min_size=1, max_size=3, unique=True))
    action: StoreAction
    match kind:
        case "place_order":
            lines = draw(
                st.lists(
                    st.builds(
                        LineRequest,
                        variant_id=st.sampled_from([v for v, _ in facts.variants]),
                        quantity=st.sampled_from([1, 1, 2, 3, 0, 25]),
                    ),
                    min_size=1,
                    max_size=2,
                )
            )
            addresses = [a.id for a in customer.addresses]
            action = PlaceOrder(
                lines=tuple(lines),
                payment_method_id=method,
                address_id=draw(st.sampled_from([None, *addresses, 999_999])),
                coupon_code=draw(st.sampled_from([None, None, *facts.coupons, "NOPE"])),
                expected_total=draw(st.sampled_from([None, Money(1, "USD")])),
            )
        case "place_local_order":
            store_id, minutes, items = draw(st.sampled_from(facts.local))
            item = draw(st.sampled_from(items))
            groups = facts.options.get(item, {})
            options: dict[str, str | list[str]] = {
                code: draw(st.sampled_from([*choices, "nonsense"]))
                for code, choices in groups.items()
                if draw(st.booleans())
            }
            step = draw(st.integers(min_value=-2, max_value=40))
            slot = EVAL_NOW + timedelta(minutes=minutes * step + draw(st.sampled_from([0, 0, 7])))
            home = customer.default_address
            delivery = draw(st.booleans())
            action = PlaceLocalOrder(
                store_id=store_id,
                lines=(
                    MenuLine(
                        menu_item_id=item,
                        quantity=draw(st.sampled_from([1, 2, 9])),
                        options=options,
                    ),
                ),
                slot_start=slot,
                payment_method_id=method,
                fulfilment="delivery" if delivery else "pickup",
                address=(
                    AddressInput(**home.model_dump(include=set(AddressInput.model_fields)))
                    if delivery and home
                    else None
                ),
                coupon_code=draw(st.sampled_from([None, None, *facts.coupons])),
            )
        case "cancel_order":
            action = CancelOrder(
                order_id=order.id,
                reason=draw(
                    st.sampled_from([*facts.cancel_reasons, *facts.cancel_reasons, "changed mind"])
                ),
            )
        case "change_address":
            action = ChangeAddress(order_id=order.id, address=draw(st.sampled_from(ADDRESSES)))
        case "change_payment":
            action = ChangePayment(order_id=order.id, payment_method_id=method)
        case "change_items":
            action = ChangeItems(
                order_id=order.id,
                item_ids=tuple(chosen),
                new_item_ids=tuple(variant_like(u) for u in chosen),
                payment_method_id=method,
            )
        case "request_return":
            action = RequestReturn(
                order_id=order.id,
                item_ids=tuple(chosen),
                refund_method_id=method,
                reason=draw(st.sampled_from([None, "too small"])),
            )
        case "request_exchange":
            action = RequestExchange(
                order_id=order.id,
                item_ids=tuple(chosen),
                new_item_ids=tuple(variant_like(u) for u in chosen),
                payment_method_id=method,
                reason="wrong colour",
            )
        case "change_default_address":
            action = ChangeDefaultAddress(address=draw(st.sampled_from(ADDRESSES)))
    gift_cards = [m.id for m in customer.payment_methods if m.source == "gift_card"]
    return Case(
        customer=customer,
        action=action,
        clock=EVAL_NOW
        + timedelta(minutes=draw(st.sampled_from([0, 0, 0, 0, 0, 45, 24 * 60, 45_000]))),
        out_of_stock=draw(st.sampled_from([None, None, *[v for v, _ in facts.variants][:60]])),
        drained=draw(st.sampled_from([None, *gift_cards])),
    )


# --- playing a case --------------------------------------------------------------------------

_copies = itertools.count()


def store_for(demo: DemoShop, case: Case) -> Store:
    """A copy of the demo shop in the case's state."""
    path = demo.folder / f"actions-{next(_copies):05d}.sqlite3"
    path.write_bytes(demo.template.read_bytes())
    store = Store(Database(f"sqlite:///{path}"), clock=lambda: case.clock, rng=random.Random(7))
    if case.out_of_stock is not None:
        store.catalog.set_stock(case.out_of_stock, 0)
    if case.drained is not None:
        with store.db.transaction() as s:
            card = s.get(PaymentMethod, case.drained)
            assert card is not None
            card.balance_minor = 100
    return store


def outcome(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call()
    except StoreError as refusal:
        return refusal.code, refusal


def moved(before: OrderView | None, after: OrderView) -> list[tuple[str, int, str]]:
    """The payments and refunds the action added to the order's history."""
    old = len(before.transactions) if before else 0
    return sorted((t.kind, t.amount.amount, t.payment_method_id) for t in after.transactions[old:])


def shown_now(preview: Preview) -> list[tuple[str, int, str]]:
    kinds = {"charge": "payment", "refund": "refund"}
    return sorted(
        (kinds[m.kind], m.amount.amount, m.method.id) for m in preview.moves if m.when == "now"
    )


@given(data=st.data())
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_that_a_preview_refuses_exactly_when_doing_it_refuses_and_shows_what_is_done(
    demo: DemoShop, facts: Facts, data: st.DataObject
) -> None:
    case = data.draw(cases(facts))
    store = store_for(demo, case)
    try:
        cid = case.customer.id
        seen, preview = outcome(lambda: store.preview(cid, case.action))
        order_id = getattr(case.action, "order_id", None)
        before = store.orders.get(cid, order_id) if order_id and seen == "ok" else None
        done, result = outcome(lambda: store.perform(cid, case.action, "key-1"))
        if seen == "ok" and isinstance(result, PaymentDeclined):
            return  # the gateway's own answer, which no preview can know
        assert seen == done, (case.action, preview, result)
        if seen != "ok":
            assert type(preview) is type(result)
            return
        assert isinstance(preview, Preview)
        if isinstance(result, OrderView):
            if preview.quote is not None:
                assert preview.quote.total == result.total
                assert preview.payment_method is not None
                assert preview.payment_method.id == result.payment_method_id
            settled = [(k, a, m) for k, a, m in moved(before, result) if a]
            assert settled == shown_now(preview), (case.action, settled, shown_now(preview))
            if result.return_request is not None:
                (refund,) = [m for m in preview.moves if m.kind == "refund"]
                assert refund.amount == result.return_request.refund
                assert result.return_request.reason == getattr(case.action, "reason", None)
            if result.exchange_request is not None:
                signed = sum(
                    m.amount.amount * (1 if m.kind == "charge" else -1) for m in preview.moves
                )
                assert signed == result.exchange_request.price_difference.amount
    finally:
        store.close()


def test_that_every_kind_of_action_is_generated(facts: Facts) -> None:
    found: set[str] = set()

    @given(case=cases(facts))
    @settings(max_examples=200, deadline=None)
    def collect(case: Case) -> None:
        found.add(case.action.kind)

    collect()
    assert found == set(ACTION_KINDS)


def test_that_a_kind_of_payment_the_shop_does_not_take_is_refused_at_preview_and_at_the_yes(
    demo: DemoShop, facts: Facts
) -> None:
    customer = next(
        c for c in facts.customers if any(m.source == "wallet" for m in c.payment_methods)
    )
    wallet = next(m.id for m in customer.payment_methods if m.source == "wallet")
    path = demo.folder / "no-wallets.sqlite3"
    path.write_bytes(demo.template.read_bytes())
    policy = StorePolicy(payment_kinds=("credit_card", "gift_card", "paypal"))
    store = Store(Database(f"sqlite:///{path}"), policy=policy, clock=lambda: EVAL_NOW)
    try:
        variant = next(v for v, _ in facts.variants if store.catalog.variant(v).in_stock)
        order = PlaceOrder(lines=(LineRequest(variant_id=variant),), payment_method_id=wallet)
        for attempt in (
            lambda: store.preview(customer.id, order),
            lambda: store.perform(customer.id, order, "no-wallet"),
        ):
            code, refusal = outcome(attempt)
            assert code == "payment_method_unusable"
            assert "does not take wallet payments" in refusal.message
    finally:
        store.close()

"""Checkout: quote an order, place it and take payment — exactly once per idempotency key.

Placing an order is three short steps, so no database lock is held while a gateway is called:
1. one transaction reserves everything (stock or slot, coupon use, subsidy) and records the
   order; a gift card pays here and the order is placed at once;
2. a card or wallet is charged through the gateway, keyed by the order;
3. one transaction confirms the order, or — when the charge was declined — gives every
   reservation back and removes the order, so a failed checkout leaves the store as it was.
A retry with the same idempotency key returns the same order, resuming step 2 if it was cut
off; `settle_stale_orders` finishes or releases orders whose process died between the steps.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shopkeep.store.context import StoreContext
from shopkeep.store.customers import load_customer, validate_address
from shopkeep.store.errors import (
    AddressNotFound,
    CartEmpty,
    IdempotencyConflict,
    InvalidQuantity,
    InvalidRequest,
    PaymentDeclined,
    QuoteChanged,
    VariantNotFound,
    VariantUnavailable,
)
from shopkeep.store.lifecycle import (
    check_stock,
    load_order,
    order_view,
    release_holds,
    take_stock,
    transition,
)
from shopkeep.store.models import (
    Address,
    Cart,
    Order,
    OrderEvent,
    OrderItem,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    PaymentSource,
    PaymentTransaction,
    Product,
    TransactionKind,
    TransactionStatus,
    Variant,
)
from shopkeep.store.money import Money
from shopkeep.store.payments import (
    check_accepted,
    check_pays,
    customer_method,
    method_ref,
    record_transaction,
)
from shopkeep.store.promotions import PricedLine, Pricing, price_order, redeem
from shopkeep.store.views import AddressInput, OrderView, Quote


class LineRequest(BaseModel):
    variant_id: str
    quantity: int = Field(default=1)


@dataclass
class Placement:
    """Everything one kind of order (retail, local) tells the shared checkout."""

    customer_id: str
    kind: OrderKind
    payment_method_id: str
    idempotency_key: str
    fingerprint: str
    id_prefix: str
    coupon_code: str | None
    campaign_id: str | None
    expected_total: Money | None
    address: AddressInput | None
    fulfilment: str
    # prices the lines inside the transaction and checks there is stock or a slot for them;
    # reserves it when `reserve` is True
    lines: Callable[[Session, bool], list[PricedLine]]
    store_id: str | None = None
    slot_start: datetime | None = None


def fingerprint(**request: Any) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` over items in proportion to `weights`, exactly (largest remainder)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: -((total * weights[i]) % whole))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def place(ctx: StoreContext, p: Placement) -> OrderView:
    existing = _by_key(ctx, p)
    if existing is not None and existing.status != OrderStatus.AWAITING_PAYMENT:
        return existing
    if existing is None:
        try:
            with ctx.db.transaction() as s:
                order_id, external = _reserve(ctx, s, p)
        except IntegrityError:
            # A parallel request with the same key won the race; answer as it did.
            replay = _by_key(ctx, p)
            if replay is None:
                raise
            if replay.status != OrderStatus.AWAITING_PAYMENT:
                return replay
            order_id, external = replay.id, True
        if not external:
            return _view(ctx, order_id)
    else:
        order_id = existing.id
    return _pay(ctx, order_id)


def _by_key(ctx: StoreContext, p: Placement) -> OrderView | None:
    """The order this customer already placed with this key, if any; the same key with another
    request is refused."""
    with ctx.db.reading() as s:
        order = s.scalar(
            select(Order).where(
                Order.customer_id == p.customer_id, Order.idempotency_key == p.idempotency_key
            )
        )
        if order is None:
            return None
        if (order.kind, order.request_fingerprint) != (p.kind, p.fingerprint):
            raise IdempotencyConflict(p.idempotency_key)
        return order_view(order)


def plan(
    ctx: StoreContext, s: Session, p: Placement, *, reserve: bool
) -> tuple[Pricing, PaymentMethod]:
    """The order's price and the method that pays it, after every check placing it makes: the
    customer's own method, stock or a slot for the lines, the coupon and campaign, the total
    the customer was shown, a gift card that covers it. With `reserve`, the stock or slot is
    taken and the promotions locked for the caller's transaction."""
    load_customer(s, p.customer_id)
    method = customer_method(s, p.customer_id, p.payment_method_id)
    check_accepted(method, ctx.policy)
    lines = p.lines(s, reserve)
    pricing = price_order(
        s,
        ctx,
        customer_id=p.customer_id,
        kind=p.kind,
        lines=lines,
        coupon_code=p.coupon_code,
        campaign_id=p.campaign_id,
        store_id=p.store_id,
        fulfilment=p.fulfilment,
        lock=reserve,
    )
    if p.expected_total is not None and p.expected_total.amount != pricing.total:
        raise QuoteChanged(p.expected_total.amount, pricing.total, pricing.currency)
    check_pays(method, pricing.total, pricing.currency)
    return pricing, method


def _reserve(ctx: StoreContext, s: Session, p: Placement) -> tuple[str, bool]:
    now = ctx.clock()
    pricing, method = plan(ctx, s, p, reserve=True)
    order = _new_order(ctx, s, p, pricing, method, now)
    redeem(s, pricing, order, now)
    external = method.source != PaymentSource.GIFT_CARD
    record_transaction(s, order, TransactionKind.PAYMENT, pricing.total, method, clock=ctx.clock)
    if not external:
        transition(order, OrderStatus.PENDING, now, "paid by gift card")
        _clear_cart_lines(s, order)
    return order.id, external


def _new_order(
    ctx: StoreContext,
    s: Session,
    p: Placement,
    pricing: Pricing,
    method: PaymentMethod,
    now: datetime,
) -> Order:
    order_id = ctx.new_id(p.id_prefix, 7)
    while s.get(Order, order_id) is not None:
        order_id = ctx.new_id(p.id_prefix, 7)
    a = p.address
    order = Order(
        id=order_id,
        position=(s.scalar(select(func.max(Order.position))) or 0) + 1,
        kind=p.kind,
        customer_id=p.customer_id,
        status=OrderStatus.AWAITING_PAYMENT,
        currency=pricing.currency,
        subtotal_minor=pricing.subtotal,
        discount_minor=pricing.discount,
        subsidy_minor=pricing.subsidy,
        shipping_minor=pricing.shipping,
        total_minor=pricing.total,
        coupon_code=pricing.coupon.code if pricing.coupon else None,
        campaign_id=pricing.campaign.id if pricing.campaign else None,
        payment_method_id=method.id,
        idempotency_key=p.idempotency_key,
        request_fingerprint=p.fingerprint,
        address1=a.address1 if a else None,
        address2=a.address2 if a else None,
        city=a.city if a else None,
        state=a.state if a else None,
        country=a.country if a else None,
        zip=a.zip if a else None,
        local_store_id=p.store_id,
        slot_start=p.slot_start,
        fulfilment=p.fulfilment,
        created_at=now,
        updated_at=now,
    )
    units = [line for line in pricing.lines for _ in range(line.quantity)]
    shares = allocate(pricing.discount + pricing.subsidy, [u.unit_price_minor for u in units])
    order.items = [
        OrderItem(
            position=i,
            product_id=u.product_id,
            variant_id=u.variant_id,
            menu_item_id=u.menu_item_id,
            name=u.name,
            options=dict(u.options),
            unit_price_minor=u.unit_price_minor,
            discount_minor=share,
        )
        for i, (u, share) in enumerate(zip(units, shares, strict=True))
    ]
    order.events.append(
        OrderEvent(from_status=None, to_status=OrderStatus.AWAITING_PAYMENT, at=now)
    )
    s.add(order)
    s.flush()
    return order


def _pay(ctx: StoreContext, order_id: str) -> OrderView:
    with ctx.db.reading() as s:
        order = load_order(s, order_id)
        payment = next(t for t in order.transactions if t.kind == TransactionKind.PAYMENT)
        method = s.get(PaymentMethod, payment.payment_method_id)
        assert method is not None
        ref, amount, method_id = (
            method_ref(method),
            Money(payment.amount_minor, payment.currency),
            method.id,
        )
    result = ctx.gateway.charge(key=f"{order_id}/payment", method_ref=ref, amount=amount)
    if result.succeeded:
        _confirm(ctx, order_id, result.reference)
        return _view(ctx, order_id)
    _abandon(ctx, order_id)
    raise PaymentDeclined(method_id, result.decline_reason or "declined")


def _confirm(ctx: StoreContext, order_id: str, reference: str) -> None:
    with ctx.db.transaction() as s:
        order = load_order(s, order_id, lock=True)
        if order.status != OrderStatus.AWAITING_PAYMENT:
            return  # another worker confirmed it already
        for t in order.transactions:
            if t.kind == TransactionKind.PAYMENT and t.status == TransactionStatus.PENDING:
                t.status, t.gateway_ref = TransactionStatus.SUCCEEDED, reference
        transition(order, OrderStatus.PENDING, ctx.clock(), "payment captured")
        _clear_cart_lines(s, order)


def _abandon(ctx: StoreContext, order_id: str) -> None:
    """Undo a reservation whose payment failed: the store ends as if it never happened."""
    with ctx.db.transaction() as s:
        order = load_order(s, order_id, lock=True)
        if order.status != OrderStatus.AWAITING_PAYMENT:
            return
        release_holds(s, order)
        s.execute(delete(PaymentTransaction).where(PaymentTransaction.order_id == order.id))
        s.delete(order)


def _clear_cart_lines(s: Session, order: Order) -> None:
    """Take what was bought out of the customer's cart."""
    if order.kind != OrderKind.RETAIL:
        return
    cart = s.scalar(select(Cart).where(Cart.customer_id == order.customer_id))
    if cart is None:
        return
    bought = Counter(i.variant_id for i in order.items)
    for item in list(cart.items):
        left = item.quantity - bought.get(item.variant_id, 0)
        if left <= 0:
            cart.items.remove(item)
        else:
            item.quantity = left


def _view(ctx: StoreContext, order_id: str) -> OrderView:
    with ctx.db.reading() as s:
        return order_view(load_order(s, order_id))


def settle_stale_orders(
    ctx: StoreContext, *, older_than: timedelta | None = None
) -> dict[str, int]:
    """Finish orders left awaiting payment by a process that died: confirm those the gateway
    charged, release the rest once they are older than the payment timeout."""
    limit = (
        older_than
        if older_than is not None
        else timedelta(seconds=ctx.policy.payment_timeout_seconds)
    )
    cutoff = ctx.clock() - limit
    with ctx.db.reading() as s:
        stale = list(
            s.execute(
                select(Order.id, Order.created_at).where(
                    Order.status == OrderStatus.AWAITING_PAYMENT
                )
            )
        )
    counts = {"confirmed": 0, "released": 0}
    for order_id, created_at in stale:
        result = ctx.gateway.lookup(f"{order_id}/payment")
        if result is not None and result.succeeded:
            _confirm(ctx, order_id, result.reference)
            counts["confirmed"] += 1
        elif result is not None or created_at <= cutoff:
            _abandon(ctx, order_id)
            counts["released"] += 1
    return counts


class Checkout:
    """A customer's retail checkout: from cart (or given lines) to a paid order."""

    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx

    def placed_with_key(self, customer_id: str, idempotency_key: str) -> OrderView | None:
        """The order this customer placed with this key (a purchase or a local order), if any:
        how a process that restarts finds out whether a purchase it was making went through."""
        with self._ctx.db.reading() as s:
            order = s.scalar(
                select(Order).where(
                    Order.customer_id == customer_id, Order.idempotency_key == idempotency_key
                )
            )
            return None if order is None else order_view(order)

    def quote(
        self,
        customer_id: str,
        *,
        lines: list[LineRequest] | None = None,
        coupon_code: str | None = None,
        campaign_id: str | None = None,
    ) -> Quote:
        with self._ctx.db.reading() as s:
            load_customer(s, customer_id)
            priced = self._priced_lines(s, customer_id, lines, stock="ignore")
            return price_order(
                s,
                self._ctx,
                customer_id=customer_id,
                kind=OrderKind.RETAIL,
                lines=priced,
                coupon_code=coupon_code,
                campaign_id=campaign_id,
            ).quote()

    def place_order(
        self,
        customer_id: str,
        *,
        payment_method_id: str,
        idempotency_key: str,
        lines: list[LineRequest] | None = None,
        address_id: int | None = None,
        address: AddressInput | None = None,
        coupon_code: str | None = None,
        campaign_id: str | None = None,
        expected_total: Money | None = None,
    ) -> OrderView:
        """Place and pay a retail order for the cart (or `lines`), shipped to `address`, the
        saved address `address_id`, or the default address. The same `idempotency_key` always
        gives back the same order and never charges twice."""
        if not idempotency_key.strip():
            raise InvalidRequest("An idempotency key is required to place an order.")
        return place(
            self._ctx,
            self.placement(
                customer_id,
                payment_method_id=payment_method_id,
                idempotency_key=idempotency_key,
                lines=lines,
                address_id=address_id,
                address=address,
                coupon_code=coupon_code,
                campaign_id=campaign_id,
                expected_total=expected_total,
            ),
        )

    def placement(
        self,
        customer_id: str,
        *,
        payment_method_id: str,
        idempotency_key: str,
        lines: list[LineRequest] | None = None,
        address_id: int | None = None,
        address: AddressInput | None = None,
        coupon_code: str | None = None,
        campaign_id: str | None = None,
        expected_total: Money | None = None,
    ) -> Placement:
        """What placing this order asks of the shared checkout, once the address is settled."""
        ship_to = self._ship_to(customer_id, address_id, address)
        explicit = [line.model_dump() for line in lines] if lines is not None else None
        return Placement(
            customer_id=customer_id,
            kind=OrderKind.RETAIL,
            payment_method_id=payment_method_id,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint(
                lines=explicit,
                payment=payment_method_id,
                address=ship_to.model_dump(),
                coupon=coupon_code,
                campaign=campaign_id,
            ),
            id_prefix="#W",
            coupon_code=coupon_code,
            campaign_id=campaign_id,
            expected_total=expected_total,
            address=ship_to,
            fulfilment="shipping",
            lines=lambda s, reserve: self._priced_lines(
                s, customer_id, lines, stock="take" if reserve else "check"
            ),
        )

    def _ship_to(
        self, customer_id: str, address_id: int | None, address: AddressInput | None
    ) -> AddressInput:
        if address is not None:
            validate_address(address)
            return address
        with self._ctx.db.reading() as s:
            customer = load_customer(s, customer_id)
            if address_id is not None:
                chosen = s.get(Address, address_id)
                if chosen is None or chosen.customer_id != customer_id:
                    raise AddressNotFound(address_id)
            else:
                chosen = next((a for a in customer.addresses if a.is_default), None)
                if chosen is None:
                    raise InvalidRequest("The customer has no saved address; give one to ship to.")
            return AddressInput(
                address1=chosen.address1,
                address2=chosen.address2,
                city=chosen.city,
                state=chosen.state,
                country=chosen.country,
                zip=chosen.zip,
            )

    def _priced_lines(
        self,
        s: Session,
        customer_id: str,
        lines: list[LineRequest] | None,
        *,
        stock: Literal["ignore", "check", "take"],
    ) -> list[PricedLine]:
        """The lines priced. `stock`: "ignore" refuses only variants not sold (a quote),
        "check" also those with too little stock, "take" takes the stock (placing)."""
        maximum = self._ctx.policy.max_quantity_per_line
        if lines is None:
            cart = s.scalar(select(Cart).where(Cart.customer_id == customer_id))
            wanted = Counter({i.variant_id: i.quantity for i in (cart.items if cart else [])})
        else:
            wanted = Counter()
            for line in lines:
                if not 1 <= line.quantity <= maximum:
                    raise InvalidQuantity(line.quantity, maximum)
                wanted[line.variant_id] += line.quantity
        if not wanted:
            raise CartEmpty()
        for variant_id, quantity in wanted.items():
            if quantity > maximum:
                raise InvalidQuantity(quantity, maximum)
            if s.get(Variant, variant_id) is None:
                raise VariantNotFound(variant_id)
        if stock == "take":
            take_stock(s, wanted)
        priced = []
        for variant_id, quantity in wanted.items():
            variant = s.get(Variant, variant_id)
            assert variant is not None
            if stock == "check":
                check_stock(variant, quantity)
            elif stock == "ignore" and not variant.available:
                raise VariantUnavailable(variant_id)
            product = s.get(Product, variant.product_id)
            assert product is not None
            priced.append(
                PricedLine(
                    name=product.name.get("en") or next(iter(product.name.values()), product.id),
                    unit_price_minor=variant.price_minor,
                    quantity=quantity,
                    options={k: str(v) for k, v in variant.options.items()},
                    currency=variant.currency,
                    category=product.category,
                    product_id=product.id,
                    variant_id=variant.id,
                )
            )
        return priced

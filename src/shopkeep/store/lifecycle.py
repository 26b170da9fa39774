"""An order's life: its state machine, what it holds (stock, slot, promotions), how it is shown."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.base import ExecutableOption

from shopkeep.store.errors import InvalidTransition, OrderNotFound, OutOfStock, VariantUnavailable
from shopkeep.store.models import Order, OrderEvent, OrderKind, Slot, Variant
from shopkeep.store.models import OrderStatus as S
from shopkeep.store.money import Money
from shopkeep.store.promotions import release as release_promotions
from shopkeep.store.views import (
    AddressInput,
    ExchangeView,
    OrderItemView,
    OrderSummary,
    OrderView,
    ReturnView,
    ShipmentView,
    TransactionView,
)

# Every move an order may make. Anything else is refused, whoever asks.
TRANSITIONS: dict[S, frozenset[S]] = {
    S.AWAITING_PAYMENT: frozenset({S.PENDING}),
    S.PENDING: frozenset({S.PROCESSED, S.CANCELLED, S.ITEMS_MODIFIED}),
    S.ITEMS_MODIFIED: frozenset({S.PROCESSED}),
    S.PROCESSED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED, S.COMPLETED}),
    S.RETURN_REQUESTED: frozenset({S.COMPLETED, S.DELIVERED}),  # delivered again: rejected
    S.EXCHANGE_REQUESTED: frozenset({S.COMPLETED, S.DELIVERED}),
    S.CANCELLED: frozenset(),
    S.COMPLETED: frozenset(),
}


OPEN_TO: dict[str, frozenset[str]] = {
    "cancel_order": frozenset({S.PENDING}),
    "change_address": frozenset({S.PENDING, S.ITEMS_MODIFIED}),
    "change_payment": frozenset({S.PENDING, S.ITEMS_MODIFIED}),
    "change_items": frozenset({S.PENDING}),
    "request_return": frozenset({S.DELIVERED}),
    "request_exchange": frozenset({S.DELIVERED}),
}
"""The order states in which each action on an order may be asked for; the checks that run
when it is (`store.actions`) hold the rest of the rules."""


def transition(order: Order, to: S, at: datetime, note: str | None = None) -> None:
    current = S(order.status)
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(order.id, order.status, to)
    order.status = to
    order.updated_at = at
    order.events.append(OrderEvent(from_status=current, to_status=to, note=note, at=at))


def load_order(
    s: Session, order_id: str, customer_id: str | None = None, *, lock: bool = False
) -> Order:
    """The order, if it exists and (when a customer is given) belongs to them. Another
    customer's order is reported exactly like a missing one."""
    query = select(Order).where(Order.id == order_id.strip())
    if lock:
        query = query.with_for_update()
    order = s.scalar(query)
    if order is None or (customer_id is not None and order.customer_id != customer_id):
        raise OrderNotFound(order_id)
    if lock:
        s.refresh(order)
    return order


# --- holds ----------------------------------------------------------------------------------


def lock_variants(s: Session, variant_ids: set[str]) -> dict[str, Variant]:
    """Lock variant rows in id order, so parallel checkouts never deadlock on each other."""
    rows = s.scalars(
        select(Variant)
        .where(Variant.id.in_(sorted(variant_ids)))
        .order_by(Variant.id)
        .with_for_update()
    )
    variants = {v.id: v for v in rows}
    for v in variants.values():
        s.refresh(v)
    return variants


def check_stock(variant: Variant, quantity: int) -> None:
    """Refuse a variant that is not sold, or that has fewer than `quantity` in stock."""
    if not variant.available:
        raise VariantUnavailable(variant.id)
    if variant.stock is not None and variant.stock < quantity:
        raise OutOfStock(variant.id, quantity, variant.stock)


def take_stock(s: Session, wanted: Counter[str]) -> None:
    variants = lock_variants(s, set(wanted))
    for variant_id, quantity in sorted(wanted.items()):
        variant = variants[variant_id]
        check_stock(variant, quantity)
        if variant.stock is not None:
            variant.stock -= quantity


def return_stock(s: Session, returned: Counter[str]) -> None:
    variants = lock_variants(s, set(returned))
    for variant_id, quantity in returned.items():
        variant = variants.get(variant_id)
        if variant is not None and variant.stock is not None:
            variant.stock += quantity


def free_slot(s: Session, order: Order) -> None:
    if order.local_store_id is None or order.slot_start is None:
        return
    slot = s.scalar(
        select(Slot)
        .where(Slot.store_id == order.local_store_id, Slot.starts_at == order.slot_start)
        .with_for_update()
    )
    if slot is not None:
        s.refresh(slot)
        slot.booked = max(0, slot.booked - len(order.items))


def release_holds(s: Session, order: Order) -> None:
    """Give back everything the order holds: stock or slot capacity, coupon use, subsidy."""
    if order.kind == OrderKind.LOCAL:
        free_slot(s, order)
    else:
        return_stock(s, Counter(i.variant_id for i in order.items if i.variant_id))
    release_promotions(s, order)


# --- views ----------------------------------------------------------------------------------


def order_view(o: Order) -> OrderView:
    def money(amount: int) -> Money:
        return Money(amount, o.currency)

    address = None
    if o.address1 is not None:
        address = AddressInput(
            address1=o.address1,
            address2=o.address2 or "",
            city=o.city or "",
            state=o.state or "",
            country=o.country or "",
            zip=o.zip or "",
        )
    r, x = o.return_request, o.exchange_request
    return OrderView(
        id=o.id,
        kind=o.kind,
        customer_id=o.customer_id,
        status=o.status,
        items=[
            OrderItemView(
                id=i.id,
                product_id=i.product_id,
                variant_id=i.variant_id,
                menu_item_id=i.menu_item_id,
                name=i.name,
                options=dict(i.options),
                unit_price=money(i.unit_price_minor),
                discount=money(i.discount_minor),
            )
            for i in o.items
        ],
        subtotal=money(o.subtotal_minor),
        discount=money(o.discount_minor),
        subsidy=money(o.subsidy_minor),
        shipping=money(o.shipping_minor),
        total=money(o.total_minor),
        coupon_code=o.coupon_code,
        campaign_id=o.campaign_id,
        payment_method_id=o.payment_method_id,
        cancel_reason=o.cancel_reason,
        address=address,
        local_store_id=o.local_store_id,
        slot_start=o.slot_start,
        fulfilment=o.fulfilment,
        transactions=[
            TransactionView(
                kind=t.kind,
                amount=Money(t.amount_minor, t.currency),
                payment_method_id=t.payment_method_id,
                status=t.status,
                reason=t.reason,
                created_at=t.created_at,
            )
            for t in o.transactions
        ],
        shipments=[
            ShipmentView(
                carrier=sh.carrier,
                tracking_ids=list(sh.tracking_ids),
                item_ids=list(sh.item_ids),
                shipped_at=sh.shipped_at,
            )
            for sh in o.shipments
        ],
        return_request=ReturnView(
            item_ids=list(r.item_ids),
            refund_method_id=r.refund_method_id,
            refund=money(r.refund_minor),
            reason=r.reason,
            status=r.status,
        )
        if r
        else None,
        exchange_request=ExchangeView(
            item_ids=list(x.item_ids),
            new_item_ids=list(x.new_item_ids),
            payment_method_id=x.payment_method_id,
            price_difference=money(x.price_difference_minor),
            reason=x.reason,
            status=x.status,
        )
        if x
        else None,
        created_at=o.created_at,
        delivered_at=o.delivered_at,
    )


def order_summary(o: Order) -> OrderSummary:
    return OrderSummary(
        id=o.id,
        kind=o.kind,
        status=o.status,
        total=Money(o.total_minor, o.currency),
        item_count=len(o.items),
        item_names=sorted({i.name for i in o.items}),
        created_at=o.created_at,
    )


def order_loader() -> tuple[ExecutableOption, ...]:
    return (
        selectinload(Order.items),
        selectinload(Order.transactions),
        selectinload(Order.shipments),
        selectinload(Order.return_request),
        selectinload(Order.exchange_request),
    )

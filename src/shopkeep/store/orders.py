"""A customer's orders: status and tracking, cancel, and changes to address, payment and items.

Each change is allowed only in the states the policy allows (τ²-bench retail's rules): cancel
and item changes only while 'pending', once; address and payment while still pending. Money
moves as τ² records it in the payment history; a card charge needed by a change is written down
and made before the change's transaction, and refunded if the change then does not happen
(`payments.charge_for_change`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import UTC
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopkeep.store.context import StoreContext
from shopkeep.store.customers import validate_address
from shopkeep.store.errors import (
    InvalidCancelReason,
    ItemCountMismatch,
    ItemNotInOrder,
    NotARetailOrder,
    NotSameProduct,
    OrderBeingPrepared,
    OrderNotCancellable,
    OrderNotModifiable,
    PaymentAlreadyChanged,
    QuoteChanged,
    SamePaymentMethod,
    SameVariant,
    VariantNotFound,
    VariantUnavailable,
)
from shopkeep.store.lifecycle import (
    OPEN_TO,
    check_stock,
    load_order,
    order_loader,
    order_summary,
    order_view,
    release_holds,
    return_stock,
    take_stock,
    transition,
)
from shopkeep.store.models import (
    LocalStore,
    Order,
    OrderItem,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    TransactionKind,
    TransactionStatus,
    Variant,
)
from shopkeep.store.money import Money
from shopkeep.store.payments import (
    charge_for_change,
    check_accepted,
    check_pays,
    customer_method,
    lock_methods,
    net_paid_by_method,
    record_difference,
    record_transaction,
    settle_pending_refunds,
)
from shopkeep.store.views import AddressInput, OrderSummary, OrderView


def refund_everything(s: Session, ctx: StoreContext, order: Order, reason: str) -> None:
    """Refund to each payment method what it paid into the order, net of earlier refunds."""
    for method_id, amount in net_paid_by_method(order).items():
        if amount > 0:
            method = s.get(PaymentMethod, method_id)
            assert method is not None
            record_transaction(
                s, order, TransactionKind.REFUND, amount, method, clock=ctx.clock, reason=reason
            )


def pair_items(
    order: Order, item_ids: list[str], new_item_ids: list[str] | None = None
) -> list[OrderItem]:
    """The order's units named by `item_ids` (a variant id once per unit), each taken once."""
    if new_item_ids is not None and len(item_ids) != len(new_item_ids):
        raise ItemCountMismatch(len(item_ids), len(new_item_ids))
    have = Counter(i.variant_id for i in order.items)
    for item_id, count in Counter(item_ids).items():
        if count > have.get(item_id, 0):
            raise ItemNotInOrder(order.id, item_id)
    free = list(order.items)
    chosen = []
    for item_id in item_ids:
        unit = next(i for i in free if i.variant_id == item_id)
        free.remove(unit)
        chosen.append(unit)
    return chosen


def replacement_variants(
    s: Session, units: list[OrderItem], new_item_ids: list[str], *, modify: bool
) -> list[Variant]:
    """Check each new item is another available variant of the same product."""
    variants = []
    for unit, new_id in zip(units, new_item_ids, strict=True):
        if modify and unit.variant_id == new_id:
            raise SameVariant(new_id)
        variant = s.get(Variant, new_id)
        if variant is None:
            raise VariantNotFound(new_id, unit.product_id)
        if variant.product_id != unit.product_id:
            raise NotSameProduct(unit.variant_id or "", new_id)
        if not variant.available or (variant.stock is not None and variant.stock <= 0):
            raise VariantUnavailable(new_id)
        variants.append(variant)
    for variant_id, quantity in sorted(Counter(new_item_ids).items()):
        check_stock(next(v for v in variants if v.id == variant_id), quantity)
    return variants


class ItemSwap(NamedTuple):
    """Units of an order swapped for other variants: what an item change or an exchange does."""

    order: Order
    units: list[OrderItem]
    variants: list[Variant]
    method: PaymentMethod
    """Pays the difference, or gets it back."""
    difference: int
    """New prices less old, in minor units: above 0 is paid, below 0 refunded."""


def swap(
    s: Session,
    order: Order,
    customer_id: str,
    item_ids: list[str],
    new_item_ids: list[str],
    payment_method_id: str,
    *,
    modify: bool,
) -> ItemSwap:
    """Units of the order for other variants of their products (`modify`: an item change, where
    each must differ from the unit), the difference paid with or refunded to one of the
    customer's methods; a gift card must cover what it pays."""
    units = pair_items(order, item_ids, new_item_ids)
    variants = replacement_variants(s, units, new_item_ids, modify=modify)
    method = customer_method(s, customer_id, payment_method_id)
    diff = sum(v.price_minor - u.unit_price_minor for u, v in zip(units, variants, strict=True))
    check_pays(method, diff, order.currency)
    return ItemSwap(order, units, variants, method, diff)


class Orders:
    """What a customer may see and do with their own orders. Every call names the customer; an
    order of someone else is 'not found'."""

    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx

    def get(self, customer_id: str, order_id: str) -> OrderView:
        with self._ctx.db.reading() as s:
            return order_view(load_order(s, order_id, customer_id))

    def history(
        self,
        customer_id: str,
        *,
        status: str | Collection[str] | None = None,
        limit: int = 20,
    ) -> list[OrderSummary]:
        """The customer's orders, newest first; with `status`, only those in it (one status, or
        any of several)."""
        with self._ctx.db.reading() as s:
            query = (
                select(Order)
                .where(
                    Order.customer_id == customer_id, Order.status != OrderStatus.AWAITING_PAYMENT
                )
                .options(*order_loader())
                .order_by(Order.position.desc())
                .limit(limit)
            )
            if isinstance(status, str):
                query = query.where(Order.status == status)
            elif status is not None:
                query = query.where(Order.status.in_(sorted(status)))
            return [order_summary(o) for o in s.scalars(query)]

    # --- cancel ---------------------------------------------------------------------------

    def cancellable(
        self, s: Session, customer_id: str, order_id: str, reason: str, *, lock: bool = False
    ) -> Order:
        """The order, if the customer may cancel it for this reason now: pending, its slot (a
        local order's) not started, the reason one of the store's."""
        reasons = self._ctx.policy.cancel_reasons
        if reason not in reasons:
            raise InvalidCancelReason(reason, reasons)
        order = load_order(s, order_id, customer_id, lock=lock)
        self.open_to_cancel(s, order)
        return order

    def open_to_cancel(self, s: Session, order: Order) -> None:
        """Refuse an order that may not be cancelled now: not pending, or its slot (a local
        order's) already started."""
        if order.status not in OPEN_TO["cancel_order"]:
            raise OrderNotCancellable(order.id, order.status)
        if order.slot_start is not None and order.slot_start <= self._ctx.clock():
            shop = s.get(LocalStore, order.local_store_id)
            zone = ZoneInfo(shop.timezone) if shop is not None else UTC
            raise OrderBeingPrepared(order.id, order.slot_start.astimezone(zone).isoformat())

    def cancel(self, customer_id: str, order_id: str, reason: str) -> OrderView:
        """Cancel a pending order: everything paid is refunded, stock and promotions released."""
        with self._ctx.db.transaction() as s:
            order = self.cancellable(s, customer_id, order_id, reason, lock=True)
            # Stock, slot and promotions before gift cards: the order checkout locks them in.
            release_holds(s, order)
            refund_everything(s, self._ctx, order, reason="cancelled")
            order.cancel_reason = reason
            transition(order, OrderStatus.CANCELLED, self._ctx.clock(), reason)
        return self._settled(customer_id, order_id)

    # --- changes --------------------------------------------------------------------------

    @staticmethod
    def addressable(
        s: Session, customer_id: str, order_id: str, address: AddressInput, *, lock: bool = False
    ) -> Order:
        """The order, if it may be sent to `address`: a whole address, an order still pending
        that is shipped or delivered (not picked up)."""
        validate_address(address)
        order = load_order(s, order_id, customer_id, lock=lock)
        Orders.open_to_address(order)
        return order

    @staticmethod
    def open_to_address(order: Order) -> None:
        """Refuse an order whose address may not change: no longer pending, or picked up."""
        if order.status not in OPEN_TO["change_address"] or order.fulfilment == "pickup":
            raise OrderNotModifiable(order.id, order.status, "address")

    def change_address(self, customer_id: str, order_id: str, address: AddressInput) -> OrderView:
        with self._ctx.db.transaction() as s:
            order = self.addressable(s, customer_id, order_id, address, lock=True)
            for field, value in address.model_dump().items():
                setattr(order, field, value)
            order.updated_at = self._ctx.clock()
            return order_view(order)

    def payment_change(
        self, s: Session, customer_id: str, order_id: str, payment_method_id: str
    ) -> tuple[Order, PaymentMethod, int]:
        """The order, the method that would pay it, and the amount that method pays and the
        old one gets back, if the payment may change: pending, paid once and never changed,
        another of the customer's methods, a gift card that covers it."""
        order = load_order(s, order_id, customer_id)
        Orders.open_to_payment(order)
        payments = order.transactions
        method = customer_method(s, customer_id, payment_method_id)
        check_accepted(method, self._ctx.policy)
        if payments[0].payment_method_id == payment_method_id:
            raise SamePaymentMethod(payment_method_id)
        check_pays(method, payments[0].amount_minor, order.currency)
        return order, method, payments[0].amount_minor

    @staticmethod
    def open_to_payment(order: Order) -> None:
        """Refuse an order whose payment method may not change: no longer pending, or paid
        more than once (its payment was changed or adjusted before)."""
        if order.status not in OPEN_TO["change_payment"]:
            raise OrderNotModifiable(order.id, order.status, "payment method")
        payments = order.transactions
        if len(payments) != 1 or payments[0].kind != TransactionKind.PAYMENT:
            raise PaymentAlreadyChanged(order.id)

    def change_payment_method(
        self, customer_id: str, order_id: str, payment_method_id: str
    ) -> OrderView:
        """Pay a pending order with another method: the new method pays the whole amount and
        the old one is refunded (a gift card at once, others through the gateway)."""

        def check(s: Session) -> tuple[Order, PaymentMethod, int]:
            return self.payment_change(s, customer_id, order_id, payment_method_id)

        with self._ctx.db.reading() as s:
            order, method, amount = check(s)
            money = Money(amount, order.currency)

        def change(s: Session, reference: str | None) -> None:
            load_order(s, order_id, customer_id, lock=True)
            order, method, amount = check(s)  # again, under the lock: a twin may have won
            if amount != money.amount:
                raise QuoteChanged(money.amount, amount, order.currency)
            old = s.get(PaymentMethod, order.transactions[0].payment_method_id)
            assert old is not None
            lock_methods(s, {method.id, old.id})
            record_transaction(
                s,
                order,
                TransactionKind.PAYMENT,
                amount,
                method,
                clock=self._ctx.clock,
                reason="payment method changed",
                status=TransactionStatus.SUCCEEDED if reference else None,
                gateway_ref=reference,
            )
            record_transaction(
                s,
                order,
                TransactionKind.REFUND,
                amount,
                old,
                clock=self._ctx.clock,
                reason="payment method changed",
            )
            order.payment_method_id = method.id
            order.updated_at = self._ctx.clock()

        charge_for_change(
            self._ctx,
            order_id=order_id,
            purpose="payment-change",
            method=method,
            amount=money,
            apply=change,
        )
        return self._settled(customer_id, order_id)

    @staticmethod
    def open_to_items(order: Order) -> None:
        """Refuse an order whose items may not change: a food order, or not plainly pending
        (items change once)."""
        if order.kind != OrderKind.RETAIL:
            raise NotARetailOrder(order.id)
        if order.status not in OPEN_TO["change_items"]:
            raise OrderNotModifiable(order.id, order.status, "items")

    @staticmethod
    def item_change(
        s: Session,
        customer_id: str,
        order_id: str,
        item_ids: list[str],
        new_item_ids: list[str],
        payment_method_id: str,
    ) -> ItemSwap:
        """What swapping the items would do, if it may: a plain pending order, its own units,
        other available variants of the same products in stock, a gift card that covers the
        difference."""
        order = load_order(s, order_id, customer_id)
        Orders.open_to_items(order)
        return swap(s, order, customer_id, item_ids, new_item_ids, payment_method_id, modify=True)

    def change_items(
        self,
        customer_id: str,
        order_id: str,
        item_ids: list[str],
        new_item_ids: list[str],
        payment_method_id: str,
    ) -> OrderView:
        """Swap items of a pending order for other variants of the same products — once per
        order, so all items must be named together. The price difference is paid with, or
        refunded to, `payment_method_id`."""

        def check(s: Session) -> ItemSwap:
            return self.item_change(
                s, customer_id, order_id, item_ids, new_item_ids, payment_method_id
            )

        with self._ctx.db.reading() as s:
            swap = check(s)
            method, money = swap.method, Money(swap.difference, swap.order.currency)

        def change(s: Session, reference: str | None) -> None:
            load_order(s, order_id, customer_id, lock=True)
            order, units, variants, method, diff = check(s)  # again, under the lock
            if diff != money.amount:
                raise QuoteChanged(money.amount, diff, order.currency)
            take_stock(s, Counter(v.id for v in variants))
            return_stock(s, Counter(u.variant_id for u in units if u.variant_id))
            record_difference(
                s,
                order,
                diff,
                method,
                clock=self._ctx.clock,
                reason="items changed",
                gateway_ref=reference,
            )
            for unit, variant in zip(units, variants, strict=True):
                unit.variant_id = variant.id
                unit.options = dict(variant.options)
                unit.unit_price_minor = variant.price_minor
            order.subtotal_minor += diff
            order.total_minor += diff
            transition(
                order,
                OrderStatus.ITEMS_MODIFIED,
                self._ctx.clock(),
                f"{len(units)} item(s) changed",
            )

        charge_for_change(
            self._ctx,
            order_id=order_id,
            purpose="items-change",
            method=method,
            amount=money,
            apply=change,
        )
        return self._settled(customer_id, order_id)

    def _settled(self, customer_id: str, order_id: str) -> OrderView:
        """Send any refunds the change recorded to the gateway, then show the order."""
        settle_pending_refunds(self._ctx.db, self._ctx.gateway, order_id)
        return self.get(customer_id, order_id)

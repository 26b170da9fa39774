"""After-sales: returns and exchanges of delivered orders, and the refunds that close them.

A customer requests; the merchant completes it when the goods come back, or rejects it (the
order is delivered again, and stays without a second request). A request is allowed once per
order, for delivered retail orders, within the return window; an exchange stays within the same
product; a refund goes to the payment method that paid for the order or to one of the customer's
gift cards, with the reason recorded.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy.orm import Session

from shopkeep.store.context import StoreContext
from shopkeep.store.errors import (
    AfterSalesAlreadyRequested,
    InvalidRefundMethod,
    InvalidRequest,
    NoOpenRequest,
    NotARetailOrder,
    OrderNotReturnable,
    ReturnWindowClosed,
)
from shopkeep.store.lifecycle import (
    OPEN_TO,
    load_order,
    order_view,
    return_stock,
    take_stock,
    transition,
)
from shopkeep.store.models import (
    ExchangeRequest,
    Order,
    OrderItem,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    PaymentSource,
    ReturnRequest,
    TransactionKind,
)
from shopkeep.store.money import Money
from shopkeep.store.orders import ItemSwap, pair_items, swap
from shopkeep.store.payments import (
    charge_for_change,
    customer_method,
    record_difference,
    record_transaction,
    settle_pending_refunds,
)
from shopkeep.store.views import OrderView


class ItemReturn(NamedTuple):
    """Units of a delivered order to be returned, and the refund they bring."""

    order: Order
    units: list[OrderItem]
    method: PaymentMethod
    """Gets the refund when the goods come back."""
    refund: int


class AfterSales:
    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx

    def open_to_return(self, order: Order) -> None:
        """Refuse an order nothing of which may be returned or exchanged now: a food order, one
        not delivered, one returned or exchanged before, one past the return window."""
        if order.kind != OrderKind.RETAIL:
            raise NotARetailOrder(order.id)
        if order.status not in OPEN_TO["request_return"]:
            raise OrderNotReturnable(order.id, order.status)
        if order.return_request is not None or order.exchange_request is not None:
            raise AfterSalesAlreadyRequested(order.id)
        days = self._ctx.policy.return_window_days
        if (
            days is not None
            and order.delivered_at is not None
            and self._ctx.clock() - order.delivered_at > timedelta(days=days)
        ):
            raise ReturnWindowClosed(order.id, days)

    def _check_returnable(self, order: Order, item_ids: list[str]) -> None:
        self.open_to_return(order)
        if not item_ids:
            raise InvalidRequest("Name at least one item of the order.", order_id=order.id)

    # --- customer side --------------------------------------------------------------------

    def returnable(
        self,
        s: Session,
        customer_id: str,
        order_id: str,
        item_ids: list[str],
        refund_method_id: str,
        *,
        lock: bool = False,
    ) -> ItemReturn:
        """What returning the items would refund, and to which method, if they may be returned:
        a delivered retail order within the return window, never returned or exchanged, its own
        units, the refund to the method that paid or to a gift card."""
        order = load_order(s, order_id, customer_id, lock=lock)
        self._check_returnable(order, item_ids)
        method = customer_method(s, customer_id, refund_method_id)
        paid_with = order.payment_method_id or (
            order.transactions[0].payment_method_id if order.transactions else None
        )
        if method.source != PaymentSource.GIFT_CARD and method.id != paid_with:
            raise InvalidRefundMethod(method.id, paid_with or "none")
        units = pair_items(order, item_ids)
        refund = sum(u.unit_price_minor - u.discount_minor for u in units)
        return ItemReturn(order, units, method, refund)

    def exchangeable(
        self,
        s: Session,
        customer_id: str,
        order_id: str,
        item_ids: list[str],
        new_item_ids: list[str],
        payment_method_id: str,
        *,
        lock: bool = False,
    ) -> ItemSwap:
        """What exchanging the items would settle, if they may be exchanged: as a return, for
        other available variants of the same products in stock, the difference paid with or
        refunded to one of the customer's methods (a gift card must cover it)."""
        order = load_order(s, order_id, customer_id, lock=lock)
        self._check_returnable(order, item_ids)
        return swap(s, order, customer_id, item_ids, new_item_ids, payment_method_id, modify=False)

    def request_return(
        self,
        customer_id: str,
        order_id: str,
        item_ids: list[str],
        refund_method_id: str,
        reason: str | None = None,
    ) -> OrderView:
        """Ask to return items of a delivered order; the refund (their price less their share of
        discounts) is made when the merchant receives them."""
        with self._ctx.db.transaction() as s:
            order, _, method, refund = self.returnable(
                s, customer_id, order_id, item_ids, refund_method_id, lock=True
            )
            order.return_request = ReturnRequest(
                item_ids=sorted(item_ids),
                refund_method_id=method.id,
                reason=reason,
                refund_minor=refund,
                created_at=self._ctx.clock(),
            )
            transition(order, OrderStatus.RETURN_REQUESTED, self._ctx.clock(), reason)
            return order_view(order)

    def request_exchange(
        self,
        customer_id: str,
        order_id: str,
        item_ids: list[str],
        new_item_ids: list[str],
        payment_method_id: str,
        reason: str | None = None,
    ) -> OrderView:
        """Ask to exchange items of a delivered order for other variants of the same products —
        once per order, so all items must be named together. The price difference is settled
        with `payment_method_id` when the exchange completes; a gift card must cover it now."""
        with self._ctx.db.transaction() as s:
            order, _, variants, method, diff = self.exchangeable(
                s, customer_id, order_id, item_ids, new_item_ids, payment_method_id, lock=True
            )
            take_stock(s, Counter(v.id for v in variants))  # the replacements are set aside now
            order.exchange_request = ExchangeRequest(
                item_ids=sorted(item_ids),
                new_item_ids=sorted(new_item_ids),
                payment_method_id=method.id,
                price_difference_minor=diff,
                reason=reason,
                created_at=self._ctx.clock(),
            )
            transition(order, OrderStatus.EXCHANGE_REQUESTED, self._ctx.clock(), reason)
            return order_view(order)

    # --- merchant side --------------------------------------------------------------------

    def complete_return(self, order_id: str) -> OrderView:
        """The returned items arrived: put them back in stock and refund them."""
        with self._ctx.db.transaction() as s:
            order = load_order(s, order_id, lock=True)
            request = order.return_request
            if order.status != OrderStatus.RETURN_REQUESTED or request is None:
                raise NoOpenRequest(order.id, "return")
            method = s.get(PaymentMethod, request.refund_method_id)
            assert method is not None
            return_stock(s, Counter(request.item_ids))  # stock before gift cards, as checkout
            record_transaction(
                s,
                order,
                TransactionKind.REFUND,
                request.refund_minor,
                method,
                clock=self._ctx.clock,
                reason="return",
            )
            request.status = "refunded"
            transition(
                order, OrderStatus.COMPLETED, self._ctx.clock(), "return received and refunded"
            )
        settle_pending_refunds(self._ctx.db, self._ctx.gateway, order_id)
        return self._view(order_id)

    def complete_exchange(self, order_id: str) -> OrderView:
        """The exchanged items arrived and the replacements left: settle the price difference."""
        with self._ctx.db.reading() as s:
            order, request, method = self._exchange_parts(s, order_id)
            money = Money(request.price_difference_minor, order.currency)

        def change(s: Session, reference: str | None) -> None:
            load_order(s, order_id, lock=True)
            order, request, method = self._exchange_parts(s, order_id)  # again, under the lock
            diff = request.price_difference_minor
            return_stock(s, Counter(request.item_ids))
            if diff != 0:
                record_difference(
                    s,
                    order,
                    diff,
                    method,
                    clock=self._ctx.clock,
                    reason="exchange",
                    gateway_ref=reference,
                )
            request.status = "completed"
            transition(order, OrderStatus.COMPLETED, self._ctx.clock(), "exchange completed")

        charge_for_change(
            self._ctx,
            order_id=order_id,
            purpose="exchange",
            method=method,
            amount=money,
            apply=change,
        )
        settle_pending_refunds(self._ctx.db, self._ctx.gateway, order_id)
        return self._view(order_id)

    def reject_return(self, order_id: str, note: str) -> OrderView:
        """Refuse a requested return (e.g. the items never came back): the order is delivered
        again, with no refund, and no second request."""
        with self._ctx.db.transaction() as s:
            order = load_order(s, order_id, lock=True)
            if order.status != OrderStatus.RETURN_REQUESTED or order.return_request is None:
                raise NoOpenRequest(order.id, "return")
            order.return_request.status = "rejected"
            transition(order, OrderStatus.DELIVERED, self._ctx.clock(), f"return rejected: {note}")
            return order_view(order)

    def reject_exchange(self, order_id: str, note: str) -> OrderView:
        """Refuse a requested exchange (e.g. its difference could not be paid): the replacements
        go back to stock and the order is delivered again, with no second request."""
        with self._ctx.db.transaction() as s:
            order = load_order(s, order_id, lock=True)
            request = order.exchange_request
            if order.status != OrderStatus.EXCHANGE_REQUESTED or request is None:
                raise NoOpenRequest(order.id, "exchange")
            return_stock(s, Counter(request.new_item_ids))
            request.status = "rejected"
            transition(
                order, OrderStatus.DELIVERED, self._ctx.clock(), f"exchange rejected: {note}"
            )
            return order_view(order)

    @staticmethod
    def _exchange_parts(s: Session, order_id: str) -> tuple[Order, ExchangeRequest, PaymentMethod]:
        order = load_order(s, order_id)
        request = order.exchange_request
        if order.status != OrderStatus.EXCHANGE_REQUESTED or request is None:
            raise NoOpenRequest(order_id, "exchange")
        method = s.get(PaymentMethod, request.payment_method_id)
        assert method is not None
        return order, request, method

    def _view(self, order_id: str) -> OrderView:
        with self._ctx.db.reading() as s:
            return order_view(load_order(s, order_id))

"""The merchant's side of an order: process and ship it, mark it delivered, close it."""

from __future__ import annotations

from shopkeep.store.context import StoreContext
from shopkeep.store.errors import InvalidRequest
from shopkeep.store.lifecycle import load_order, order_view, transition
from shopkeep.store.models import OrderStatus, Shipment
from shopkeep.store.views import OrderView


class Fulfilment:
    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx

    def ship(
        self, order_id: str, *, tracking_ids: list[str] | None = None, carrier: str | None = None
    ) -> OrderView:
        """Process a paid order: it leaves with a shipment carrying all its items (a local order
        goes into preparation). From here it can no longer be cancelled or changed."""
        now = self._ctx.clock()
        with self._ctx.db.transaction() as s:
            order = load_order(s, order_id, lock=True)
            transition(
                order, OrderStatus.PROCESSED, now, "shipped" if tracking_ids else "processed"
            )
            if tracking_ids is not None:
                if not tracking_ids or any(not t.strip() for t in tracking_ids):
                    raise InvalidRequest("A shipment needs at least one non-empty tracking id.")
                order.shipments.append(
                    Shipment(
                        position=len(order.shipments),
                        carrier=carrier,
                        tracking_ids=list(tracking_ids),
                        item_ids=[i.variant_id or i.menu_item_id or "" for i in order.items],
                        shipped_at=now,
                    )
                )
            return order_view(order)

    def deliver(self, order_id: str) -> OrderView:
        now = self._ctx.clock()
        with self._ctx.db.transaction() as s:
            order = load_order(s, order_id, lock=True)
            transition(order, OrderStatus.DELIVERED, now, "delivered")
            order.delivered_at = now
            return order_view(order)

    def close(self, order_id: str) -> OrderView:
        """Close a delivered order for which no return or exchange came."""
        with self._ctx.db.transaction() as s:
            order = load_order(s, order_id, lock=True)
            transition(order, OrderStatus.COMPLETED, self._ctx.clock(), "closed")
            return order_view(order)

"""The store: one object that opens the shop's database and hands out its services."""

from __future__ import annotations

import random
from datetime import timedelta

from shopkeep.store.actions import Actions, Preview, StoreAction
from shopkeep.store.aftersales import AfterSales
from shopkeep.store.analytics import Analytics
from shopkeep.store.carts import Carts
from shopkeep.store.catalog import Catalog
from shopkeep.store.checkout import Checkout, settle_stale_orders
from shopkeep.store.context import Clock, StoreContext, utcnow
from shopkeep.store.conversations import ConversationLog
from shopkeep.store.customers import Customers
from shopkeep.store.db import Database
from shopkeep.store.fulfilment import Fulfilment
from shopkeep.store.identity import Proofs
from shopkeep.store.knowledge import Knowledge
from shopkeep.store.local import LocalServices
from shopkeep.store.orders import Orders
from shopkeep.store.payments import (
    PaymentGateway,
    SandboxGateway,
    settle_pending_refunds,
    settle_stale_attempts,
)
from shopkeep.store.policy import StorePolicy
from shopkeep.store.promotions import Promotions
from shopkeep.store.staff import StaffAccounts
from shopkeep.store.views import CustomerView, OrderView


class Store:
    """The shop's source of truth. Services take the acting customer's id where it matters and
    enforce ownership and policy themselves."""

    def __init__(
        self,
        db: Database,
        *,
        policy: StorePolicy | None = None,
        gateway: PaymentGateway | None = None,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.ctx = StoreContext(
            db=db,
            policy=policy or StorePolicy(),
            gateway=gateway or SandboxGateway(db, clock),
            clock=clock,
            rng=rng or random.SystemRandom(),
        )
        self.catalog = Catalog(self.ctx)
        self.customers = Customers(self.ctx)
        self.carts = Carts(self.ctx)
        self.checkout = Checkout(self.ctx)
        self.orders = Orders(self.ctx)
        self.aftersales = AfterSales(self.ctx)
        self.fulfilment = Fulfilment(self.ctx)
        self.promotions = Promotions(self.ctx)
        self.local = LocalServices(self.ctx)
        self.conversations = ConversationLog(self.ctx)
        self.staff = StaffAccounts(self.ctx)
        self.proofs = Proofs(self.ctx)
        self.analytics = Analytics(self.ctx)
        self.actions = Actions(self.ctx)
        self.knowledge = Knowledge(self.ctx)

    def preview(self, customer_id: str, action: StoreAction) -> Preview:
        """What `action` would do for the customer, checked exactly as doing it checks; nothing
        changes. Raises the store's typed refusal when it would be refused."""
        return self.actions.preview(customer_id, action)

    def perform(
        self, customer_id: str, action: StoreAction, idempotency_key: str
    ) -> OrderView | CustomerView:
        """Carry `action` out for the customer, checking again inside its transaction."""
        return self.actions.perform(customer_id, action, idempotency_key)

    @classmethod
    def open(cls, url: str, *, migrate: bool = False, policy: StorePolicy | None = None) -> Store:
        db = Database(url)
        if migrate:
            db.migrate()
        return cls(db, policy=policy)

    def recover(self, *, older_than: timedelta | None = None) -> dict[str, int]:
        """Finish money movements a crashed process left half done: orders awaiting payment,
        charges made for changes that never happened, and refunds not yet sent to the gateway.
        Safe to run at start-up and at any time, any number of times; what is younger than
        `older_than` (default: the policy's payment timeout) may still be in flight and is left."""
        limit = older_than
        if limit is None:
            limit = timedelta(seconds=self.ctx.policy.payment_timeout_seconds)
        counts = settle_stale_orders(self.ctx, older_than=limit)
        counts.update(settle_stale_attempts(self.ctx, older_than=limit))
        counts["refunds_sent"] = settle_pending_refunds(self.db, self.ctx.gateway)
        return counts

    def close(self) -> None:
        self.db.dispose()

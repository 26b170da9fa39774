"""The store as one customer may use it in a conversation: every read and change is bound to the
verified customer, and every consequential change is staged first and committed only on a yes.
Flows, the function-calling modes and other shells all go through here, so the guards hold
whatever a model says."""

from __future__ import annotations

import secrets
from functools import lru_cache

from shopkeep.agent.jobs import Job, Language
from shopkeep.agent.state import Staged, State
from shopkeep.store.actions import ActionKind, Preview, StoreAction
from shopkeep.store.errors import CustomerNotFound, StoreError
from shopkeep.store.shop import Store
from shopkeep.store.views import (
    CustomerView,
    OrderSummary,
    OrderView,
    ProductView,
    localized,
)


class IdentityRequired(Exception):
    """Account data was asked for before the customer proved who they are."""


class NotConfirmed(Exception):
    """A consequential action was asked to run without a staged action confirmed in a later turn."""


class ShopTools:
    """One conversation's door to the store."""

    def __init__(self, store: Store, state: State) -> None:
        self.store = store
        self.state = state
        self._product = lru_cache(maxsize=256)(self._load_product)

    # --- identity ---------------------------------------------------------------------------

    @property
    def customer_id(self) -> str:
        if self.state.customer_id is None:
            raise IdentityRequired()
        return self.state.customer_id

    @property
    def verified(self) -> bool:
        return self.state.customer_id is not None

    def verify_email(self, email: str) -> CustomerView | None:
        try:
            customer_id = self.store.customers.find_by_email(email)
        except CustomerNotFound:
            return None
        return self._verified(customer_id)

    def verify_name_zip(self, first: str, last: str, zip_code: str) -> CustomerView | None:
        try:
            customer_id = self.store.customers.find_by_name_zip(first, last, zip_code)
        except CustomerNotFound:
            return None
        return self._verified(customer_id)

    def verify_named(self, zip_code: str, text: str) -> CustomerView | None:
        """The customer whose name is somewhere in `text` and whose default zip is `zip_code`."""
        try:
            customer_id = self.store.customers.find_by_zip_named(zip_code, text)
        except CustomerNotFound:
            return None
        return self._verified(customer_id)

    def _verified(self, customer_id: str) -> CustomerView:
        self.state.customer_id = customer_id
        return self.store.customers.get(customer_id)

    # --- the customer's own records ---------------------------------------------------------

    def customer(self) -> CustomerView:
        return self.store.customers.get(self.customer_id)

    def orders(self, statuses: set[str] | None = None, limit: int = 20) -> list[OrderSummary]:
        """The customer's orders, newest first; with `statuses`, the newest in those states
        (however many older orders in other states came after them)."""
        return self.store.orders.history(self.customer_id, status=statuses, limit=limit)

    def order(self, order_id: str) -> OrderView:
        """Another customer's order is not found, exactly like an order that does not exist."""
        return self.store.orders.get(self.customer_id, order_id)

    # --- catalog (no identity needed) -------------------------------------------------------

    def product(self, product_id: str) -> ProductView:
        return self._product(product_id)

    def _load_product(self, product_id: str) -> ProductView:
        return self.store.catalog.product(product_id)

    def product_name(self, product_id: str | None, stored: str, lang: Language) -> str:
        if product_id is None:
            return stored
        try:
            return localized(self.product(product_id).name, lang) or stored
        except StoreError:
            return stored

    # --- previewing, staging and committing -------------------------------------------------

    def check_order(self, kind: ActionKind, order_id: str) -> OrderView:
        """The order, if the customer may ask for an action of this kind on it at all; raises
        the store's refusal (its state, how it is served, its history) otherwise."""
        return self.store.actions.check_order(self.customer_id, kind, order_id)

    def allows(self, kind: ActionKind, order_id: str) -> bool:
        return self.store.actions.allows(self.customer_id, kind, order_id)

    def preview(self, action: StoreAction) -> Preview:
        """What the store would do for this customer, checked as doing it would check; raises
        the store's refusal. Staging starts here, so a refused action is never offered."""
        return self.store.preview(self.customer_id, action)

    def stage(self, preview: Preview, job: Job, shown: str) -> Staged:
        """Hold a previewed action for the customer's yes; replaces anything staged."""
        staged = Staged(
            action=preview.action,
            job=job,
            shown=shown,
            turn=self.state.turn,
            key=f"{preview.action.kind}-{secrets.token_hex(8)}",
        )
        self.state.staged = staged
        return staged

    def commit(self, staged: Staged) -> OrderView | CustomerView:
        """Do the staged action. Only the engine calls this, on the customer's explicit yes in a
        turn after the one it was staged in; the store checks everything again."""
        if staged.turn >= self.state.turn:
            raise NotConfirmed()
        return self.store.perform(self.customer_id, staged.action, staged.key)

"""The store as one customer may use it in a conversation: every read and change is bound to the
verified customer, and every consequential change is staged first and committed only on a yes.
Flows, the function-calling modes and other shells all go through here, so the guards hold
whatever a model says."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache
from typing import Any

from shopkeep.agent.jobs import CONSEQUENTIAL_ACTIONS, Job, Language
from shopkeep.agent.state import Staged, State
from shopkeep.store.checkout import LineRequest
from shopkeep.store.errors import CustomerNotFound, StoreError
from shopkeep.store.local import MenuLine
from shopkeep.store.money import Money
from shopkeep.store.shop import Store
from shopkeep.store.views import (
    AddressInput,
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

    # --- staging and committing -------------------------------------------------------------

    def stage(self, action: str, job: Job, args: dict[str, Any], shown: str) -> Staged:
        """Hold a consequential action for the customer's yes; replaces anything staged."""
        if action not in CONSEQUENTIAL_ACTIONS:
            raise ValueError(f"{action!r} is not a consequential action")
        self.customer_id  # noqa: B018 - staging is for a verified customer only
        staged = Staged(
            action=action,
            job=job,
            args=args,
            shown=shown,
            turn=self.state.turn,
            key=f"{action}-{secrets.token_hex(8)}",
        )
        self.state.staged = staged
        return staged

    def commit(self, staged: Staged) -> OrderView:
        """Do the staged action. Only the engine calls this, on the customer's explicit yes in a
        turn after the one it was staged in."""
        if staged.turn >= self.state.turn:
            raise NotConfirmed()
        a, cid = staged.args, self.customer_id
        match staged.action:
            case "place_order":
                return self.store.checkout.place_order(
                    cid,
                    payment_method_id=a["payment_method_id"],
                    idempotency_key=staged.key,
                    lines=[LineRequest(**line) for line in a["lines"]],
                    address_id=a.get("address_id"),
                    coupon_code=a.get("coupon_code"),
                    campaign_id=a.get("campaign_id"),
                    expected_total=_money(a.get("expected_total")),
                )
            case "place_local_order":
                return self.store.local.place_order(
                    cid,
                    a["store_id"],
                    [MenuLine(**line) for line in a["lines"]],
                    slot_start=datetime.fromisoformat(a["slot_start"]),
                    payment_method_id=a["payment_method_id"],
                    idempotency_key=staged.key,
                    fulfilment=a.get("fulfilment", "pickup"),
                    address=AddressInput(**a["address"]) if a.get("address") else None,
                    coupon_code=a.get("coupon_code"),
                    expected_total=_money(a.get("expected_total")),
                )
            case "cancel_order":
                return self.store.orders.cancel(cid, a["order_id"], a["reason"])
            case "change_address":
                return self.store.orders.change_address(
                    cid, a["order_id"], AddressInput(**a["address"])
                )
            case "change_payment":
                return self.store.orders.change_payment_method(
                    cid, a["order_id"], a["payment_method_id"]
                )
            case "change_items":
                return self.store.orders.change_items(
                    cid, a["order_id"], a["item_ids"], a["new_item_ids"], a["payment_method_id"]
                )
            case "request_return":
                return self.store.aftersales.request_return(
                    cid, a["order_id"], a["item_ids"], a["refund_method_id"], a.get("reason")
                )
            case "request_exchange":
                return self.store.aftersales.request_exchange(
                    cid,
                    a["order_id"],
                    a["item_ids"],
                    a["new_item_ids"],
                    a["payment_method_id"],
                    a.get("reason"),
                )
        raise ValueError(f"unknown action {staged.action!r}")


def _money(value: Any) -> Money | None:
    if value is None:
        return None
    return Money(int(value["amount"]), str(value["currency"]))


def money_arg(amount: Money) -> dict[str, Any]:
    return {"amount": amount.amount, "currency": amount.currency}

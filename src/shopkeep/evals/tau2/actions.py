"""τ²-bench retail's tools in shopkeep's terms: a τ² tool call done through the store's own
services (to replay a task's expected actions), and an action the assistant committed written as
the τ² tool call that does the same (for τ²-shaped trajectories)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from shopkeep.store import Store
from shopkeep.store.actions import (
    CancelOrder,
    ChangeAddress,
    ChangeItems,
    ChangePayment,
    RequestExchange,
    RequestReturn,
    StoreAction,
)
from shopkeep.store.errors import OrderNotFound
from shopkeep.store.models import Order
from shopkeep.store.views import AddressInput

READ_TOOLS = frozenset(
    {
        "calculate",
        "find_user_id_by_email",
        "find_user_id_by_name_zip",
        "get_item_details",
        "get_order_details",
        "get_product_details",
        "get_user_details",
        "list_all_product_types",
        "think",
        "transfer_to_human_agents",
    }
)
"""Tools that change nothing in the database."""
WRITE_TOOLS = frozenset(
    {
        "cancel_pending_order",
        "exchange_delivered_order_items",
        "modify_pending_order_address",
        "modify_pending_order_items",
        "modify_pending_order_payment",
        "modify_user_address",
        "return_delivered_order_items",
    }
)
ADDRESS_FIELDS = ("address1", "address2", "city", "state", "country", "zip")
"""The address arguments of τ²'s tools, in their order."""

JOB_OF_TOOL = {
    "cancel_pending_order": "cancel",
    "exchange_delivered_order_items": "exchange",
    "modify_pending_order_address": "change_address",
    "modify_pending_order_items": "change_items",
    "modify_pending_order_payment": "change_payment",
    "modify_user_address": "change_default_address",
    "return_delivered_order_items": "return",
    "transfer_to_human_agents": "handoff",
}
"""What a task is about, named as shopkeep's jobs, by the tool that does it."""


class UnknownTool(ValueError):
    """A τ² tool the retail domain does not have."""

    code = "tau2_unknown_tool"


def owner_of(store: Store, order_id: str) -> str:
    """The customer an order belongs to: τ²'s tools name only the order."""
    with store.db.reading() as s:
        customer_id = s.scalar(select(Order.customer_id).where(Order.id == order_id))
    if customer_id is None:
        raise OrderNotFound(order_id)
    return customer_id


def _address(arguments: Mapping[str, Any]) -> AddressInput:
    return AddressInput(**{name: str(arguments.get(name) or "") for name in ADDRESS_FIELDS})


def replay(store: Store, name: str, arguments: Mapping[str, Any]) -> None:
    """Do what τ²'s tool `name` does to the database, through the store's services (so the
    store's rules hold, as they do for the assistant). Reads change nothing and are skipped.
    Raises the store's error when it refuses, UnknownTool for a tool retail does not have."""
    if name in READ_TOOLS:
        return
    a = arguments
    if name == "modify_user_address":
        store.customers.set_default_address(str(a["user_id"]), _address(a))
        return
    if name not in WRITE_TOOLS:
        raise UnknownTool(f"τ²'s retail domain has no tool {name!r}")
    order_id = str(a["order_id"])
    customer_id = owner_of(store, order_id)
    match name:
        case "cancel_pending_order":
            store.orders.cancel(customer_id, order_id, str(a["reason"]))
        case "modify_pending_order_address":
            store.orders.change_address(customer_id, order_id, _address(a))
        case "modify_pending_order_payment":
            store.orders.change_payment_method(customer_id, order_id, str(a["payment_method_id"]))
        case "modify_pending_order_items":
            store.orders.change_items(
                customer_id,
                order_id,
                list(a["item_ids"]),
                list(a["new_item_ids"]),
                str(a["payment_method_id"]),
            )
        case "return_delivered_order_items":
            store.aftersales.request_return(
                customer_id, order_id, list(a["item_ids"]), str(a["payment_method_id"])
            )
        case "exchange_delivered_order_items":
            store.aftersales.request_exchange(
                customer_id,
                order_id,
                list(a["item_ids"]),
                list(a["new_item_ids"]),
                str(a["payment_method_id"]),
            )


def tau2_call(action: StoreAction) -> tuple[str, dict[str, Any]] | None:
    """The τ² tool call that does what the assistant's committed action did (as staged, which
    the customer said yes to); None for placing an order (τ²'s retail has no tool for it) and
    for a default-address change (τ²'s call names the user, which the action does not)."""
    match action:
        case CancelOrder():
            return "cancel_pending_order", {"order_id": action.order_id, "reason": action.reason}
        case ChangeAddress():
            address = action.address.model_dump()
            return "modify_pending_order_address", {
                "order_id": action.order_id,
                **{name: address.get(name, "") for name in ADDRESS_FIELDS},
            }
        case ChangePayment():
            return "modify_pending_order_payment", {
                "order_id": action.order_id,
                "payment_method_id": action.payment_method_id,
            }
        case ChangeItems():
            return "modify_pending_order_items", {
                "order_id": action.order_id,
                "item_ids": list(action.item_ids),
                "new_item_ids": list(action.new_item_ids),
                "payment_method_id": action.payment_method_id,
            }
        case RequestReturn():
            return "return_delivered_order_items", {
                "order_id": action.order_id,
                "item_ids": list(action.item_ids),
                "payment_method_id": action.refund_method_id,
            }
        case RequestExchange():
            return "exchange_delivered_order_items", {
                "order_id": action.order_id,
                "item_ids": list(action.item_ids),
                "new_item_ids": list(action.new_item_ids),
                "payment_method_id": action.payment_method_id,
            }
    return None

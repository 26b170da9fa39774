"""What the MCP tools return: typed results, so every tool publishes its output schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shopkeep.store.knowledge import KnowledgeHit
from shopkeep.store.money import Money
from shopkeep.store.policy import StorePolicy
from shopkeep.store.views import OrderSummary, OrderView, ProductHit, Quote


class Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class SearchResults(Result):
    products: list[ProductHit]
    """Best match first; each with the variants (item ids, prices, stock) that fit the filters."""


class KnowledgeResults(Result):
    policy: StorePolicy
    """The rules the store enforces (return window, shipping fees, payment kinds...): where a
    passage says otherwise, the policy is right."""
    passages: list[KnowledgeHit]
    """Best first; empty when nothing in the shop's documents answers the question."""


class OrderList(Result):
    orders: list[OrderSummary]
    """Newest first."""


class StagedAction(Result):
    """A consequential action held for the customer's yes: nothing has happened yet."""

    confirmation_id: str = Field(description="pass to `confirm` once the customer said yes")
    action: str
    summary: str = Field(description="show this to the customer, in full, before confirming")
    order_id: str | None = None
    quote: Quote | None = Field(default=None, description="the price breakdown of a new order")
    charge: Money | None = Field(default=None, description="what confirming will charge")
    refund: Money | None = Field(default=None, description="what confirming will refund")
    next_step: str = (
        "Show the summary to the customer. Call `confirm` with the confirmation_id only after "
        "they say yes; call `discard` if they say no. Staging another action replaces this one."
    )


class ConfirmedAction(Result):
    """A staged action, done: the order as the store now has it."""

    confirmation_id: str
    action: str
    order: OrderView
    replayed: bool = Field(
        description="true when this confirmation was already done: the first result, once more; "
        "nothing was charged or refunded again"
    )


class Discarded(Result):
    confirmation_id: str
    discarded: bool = Field(description="false when no such action was waiting")


class Refusal(Result):
    """Why a tool did nothing: the store's (or the server's) stable code and a message."""

    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class Approval(BaseModel):
    """The customer's answer when the client can ask them directly (elicitation)."""

    approve: bool = Field(description="yes, do it")


class NotAsked(BaseModel):
    """The client cannot ask the customer itself; the agent's `confirm` call is the yes."""

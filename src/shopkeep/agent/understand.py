"""What the customer's message asks for, as one typed command: code decides what code can
(yes / no, never mind, a human, clear keywords), and the model chooses among the jobs under a
JSON-schema constraint only when code cannot tell. The model's output is a dozen tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shopkeep.agent.jobs import JOBS, Job, Language
from shopkeep.agent.state import State
from shopkeep.llm import ChatRequest, Completion, Message, ModelGateway

CommandKind = Literal["confirm", "decline", "stop", "handoff", "start", "continue", "none"]


@dataclass(frozen=True)
class Command:
    kind: CommandKind
    job: Job | None = None
    source: Literal["rules", "model"] = "rules"

    def as_dict(self) -> dict[str, str]:
        out: dict[str, str] = {"kind": self.kind, "source": self.source}
        if self.job is not None:
            out["job"] = self.job
        return out


STRONG = 0.8
"""A keyword score at or above this starts the job without asking the model."""

JOB_HELP: dict[Job, str] = {
    "search": "find, browse or compare products",
    "product_question": "a question about a product's details",
    "recommend": "asks for suggestions",
    "buy": "wants to buy, add to cart, check out or pay",
    "order_status": "where an order is, its status or tracking",
    "cancel": "cancel an order",
    "change_address": "change an order's shipping address",
    "change_items": "change an item (size, colour) in an order not yet shipped",
    "change_payment": "change how an order is paid",
    "return": "return delivered items for a refund",
    "exchange": "exchange delivered items for another size or colour",
    "food": "order food, coffee or bubble tea from a nearby store",
    "promotions": "coupons, discounts, campaigns",
    "shop_question": "how the shop works: return policy, shipping fees, payment methods accepted, "
    "delivery, opening hours",
    "handoff": "wants a human agent",
    "smalltalk": "greeting, thanks, chit-chat",
    "out_of_scope": "anything a shop cannot help with",
}

SYSTEM = (
    "You route a shop customer's message to one job. Jobs:\n"
    + "\n".join(f"- {job}: {text}" for job, text in JOB_HELP.items())
    + '\nAnswer only JSON: {"job": "<job>"}.'
)
"""Never changes, so the model's cache keeps it between calls."""

SCHEMA = {
    "type": "object",
    "properties": {"job": {"type": "string", "enum": list(JOBS)}},
    "required": ["job"],
}


def classify(
    gateway: ModelGateway, text: str, state: State, lang: Language, conversation_id: str
) -> tuple[Job | None, Completion]:
    """The model's pick of a job for a message the keywords could not place."""
    context = ""
    if state.frame is not None:
        context = f"(current job: {state.frame.job})\n"
    request = ChatRequest(
        messages=(Message.system(SYSTEM), Message.user(f"{context}{text[:500]}")),
        json_schema=SCHEMA,
        max_tokens=16,
        temperature=0.0,
    )
    completion = gateway.complete(request, conversation_id=conversation_id, purpose="classify")
    value = completion.value
    job = value.get("job") if isinstance(value, dict) else None
    return (job if job in JOBS else None), completion

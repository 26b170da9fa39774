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

EXAMPLES: tuple[tuple[str, Job], ...] = (
    ("hello, I want my order delivered to my other address instead", "change_address"),
    ("I typed the wrong apartment number when I ordered", "change_address"),
    ("您好，我想改一下订单的收货地址", "change_address"),
    ("I'd like to pay for my last order with my other card instead", "change_payment"),
    ("안녕하세요 최근 주문 결제를 기프트카드로 바꾸고 싶은데요", "change_payment"),
    ("在吗，我订单里那条裤子码数选错了，要换成小一号的", "change_items"),
    ("the jacket I got is too small, can I get it in a bigger size", "exchange"),
    ("在吗 我想把收到的那个换成别的颜色", "exchange"),
    ("it broke after a week, I want my money back", "return"),
    ("Hi, I think I got charged twice for my order, can someone from your team check", "handoff"),
    ("在吗 我这周下了两单，想问下发货了没有", "order_status"),
    ("hey, I sent something back two weeks ago and the refund hasn't come", "order_status"),
    ("Hello, I'm interested in the 32GB e-reader, is it waterproof?", "product_question"),
    ("My skin gets red easily, what would you suggest instead of my old sunscreen?", "recommend"),
    ("Hi! do you have any light jeans in size 29?", "search"),
    ("안녕하세요 캔들 두 개 주문할게요", "buy"),
    ("哈喽 给我来一杯珍珠奶茶 少冰", "food"),
    ("any discount codes right now?", "promotions"),
    ("how long do I have to return something?", "shop_question"),
    ("what's the capital of France?", "out_of_scope"),
    ("hi there!", "smalltalk"),
)
"""Short examples in a stable prefix (the model's cache keeps them): greetings before a request
are manners, the request is the job."""

SYSTEM = (
    "You route a shop customer's message to one job. Jobs:\n"
    + "\n".join(f"- {job}: {text}" for job, text in JOB_HELP.items())
    + "\nExamples:\n"
    + "\n".join(f'{text} -> {{"job": "{job}"}}' for text, job in EXAMPLES)
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

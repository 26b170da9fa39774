"""What a flow is and what it gets each turn: the message read by the extractors, the
conversation's state, the store through the customer's guarded tools, and a reply to write."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from shopkeep.agent import phrases, render
from shopkeep.agent.extract import Extracted, extract
from shopkeep.agent.jobs import Job, Language
from shopkeep.agent.refusals import explain
from shopkeep.agent.state import Frame, OrderSlots, Staged, State
from shopkeep.agent.tools import ShopTools
from shopkeep.store.errors import OrderNotFound, StoreError
from shopkeep.store.views import CustomerView, OrderSummary, OrderView

Step = Literal["done", "ask", "staged", "unknown"]
"""What a flow did with a turn: finished its job; asked the customer something; staged an action
for their yes; or found nothing in the message it could use (the engine then tries other jobs)."""


@dataclass
class Turn:
    text: str
    x: Extracted
    lang: Language
    state: State
    tools: ShopTools
    replies: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def say(self, key: str, /, **fields: Any) -> None:
        self.replies.append(phrases.say(key, self.lang, **fields))

    def add(self, text: str) -> None:
        if text:
            self.replies.append(text)

    def event(self, kind: str, /, **data: Any) -> None:
        self.events.append({"kind": kind, "turn": self.state.turn, **data})

    def show_products(self, product_ids: list[str]) -> None:
        """Products listed in the reply: "the second one" picks from them, and a web page shows
        them as cards (the "shown" event)."""
        self.state.shown_products = product_ids
        self.event("shown", product_ids=product_ids)

    def refused(self, error: StoreError) -> None:
        """A store refusal, explained in the customer's language; nothing was changed."""
        self.event("refused", code=error.code)
        self.add(explain(error, self.lang))

    def name_of(self, product_id: str | None, stored: str) -> str:
        return self.tools.product_name(product_id, stored, self.lang)

    def item_name(self, stored: str) -> str:
        """An order line's stored (English) name in the reply language, from the catalog."""
        for product in self.tools.store.catalog.everything():
            if stored in product.name.values():
                return self.tools.product_name(product.id, stored, self.lang)
        return stored

    def reread(self, text: str) -> Turn:
        """The same turn reading another text (a request held while identity was checked)."""
        return Turn(
            text, extract(text), self.lang, self.state, self.tools, self.replies, self.events
        )


class Flow:
    """A job as an explicit process. `run` is called on every turn the job is the current one;
    it reads what it needs from the message, keeps it in the frame's slots, asks for what is
    missing, and stages the consequential action when it has everything."""

    job: ClassVar[Job]
    needs_identity: ClassVar[bool] = True

    def run(self, t: Turn, frame: Frame) -> Step:
        raise NotImplementedError

    def done(self, t: Turn, staged: Staged, result: OrderView | CustomerView) -> None:
        """Tell the customer the staged action was carried out."""
        assert isinstance(result, OrderView)
        t.add(render.order_block(result, t.lang, t.name_of))


# --- shared steps ---------------------------------------------------------------------------

ORDER_PHRASES: phrases.Templates = {
    "order_not_found": {
        "en": "I couldn't find that order on your account. Please check the number.",
        "zh": "您的账户下没有找到这个订单，请核对订单号。",
        "ko": "고객님 계정에서 해당 주문을 찾을 수 없어요. 주문 번호를 확인해 주세요.",
    },
    "which_order": {
        "en": "Which order do you mean?\n{orders}\nPlease give the order number or say "
        '"the first one".',
        "zh": "请问是哪个订单？\n{orders}\n请告诉我订单号，或说“第一个”。",
        "ko": '어느 주문인가요?\n{orders}\n주문 번호를 알려 주시거나 "첫 번째"처럼 말씀해 주세요.',
    },
    "no_eligible_orders": {
        "en": "You have no order that can be {what} right now.",
        "zh": "您目前没有可以{what}的订单。",
        "ko": "지금 {what} 가능한 주문이 없어요.",
    },
}
phrases.register(ORDER_PHRASES)


def pick_order(
    t: Turn, frame: Frame, eligible: set[str], what: dict[Language, str]
) -> OrderView | None:
    """The order the customer means: named by id, chosen from a list, or the only one eligible.
    Returns None after saying why (not found, none eligible) or asking which."""
    slots = frame.slots_as(OrderSlots)
    order_id: str | None = None
    if t.x.order_ids:
        order_id = t.x.order_ids[0]
    elif frame.asked == "order" and t.x.ordinal is not None and t.state.shown_orders:
        index = t.x.ordinal - 1 if t.x.ordinal > 0 else len(t.state.shown_orders) - 1
        if 0 <= index < len(t.state.shown_orders):
            order_id = t.state.shown_orders[index]
    elif slots.order_id:
        order_id = slots.order_id
    if order_id is not None:
        try:
            order = t.tools.order(order_id)
        except OrderNotFound:
            slots.order_id = None
            frame.asked = "order"
            t.event("refused", code="order_not_found")
            t.say("order_not_found", order_id=order_id)
            return None
        slots.order_id = order.id
        return order
    candidates: list[OrderSummary] = t.tools.orders(eligible)
    from shopkeep.agent.flows.changes import naming  # the flows' shared reading of item names

    candidates = naming(t, candidates, [t.text, slots.request or ""]) or candidates
    just_shown = [o for o in candidates if t.state.shown_orders == [o.id]]
    if just_shown:
        # "I want to return it" right after looking at one order: that order.
        candidates = just_shown
    if len(candidates) == 1:
        order = t.tools.order(candidates[0].id)
        slots.order_id = order.id
        return order
    if not candidates:
        t.say("no_eligible_orders", what=what[t.lang])
        frame.asked = None
        return None
    shown = candidates[:5]
    t.state.shown_orders = [o.id for o in shown]
    frame.asked = "order"
    t.say("which_order", orders=render.order_list(shown, t.lang, t.item_name))
    return None

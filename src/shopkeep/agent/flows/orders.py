"""Order status and tracking, and cancelling a pending order."""

from __future__ import annotations

import re

from shopkeep.agent import phrases, render
from shopkeep.agent.flows.base import Flow, Step, Turn, pick_order
from shopkeep.agent.jobs import Language
from shopkeep.agent.state import Frame, OrderSlots, Staged
from shopkeep.store.actions import CancelOrder
from shopkeep.store.errors import StoreError
from shopkeep.store.lifecycle import OPEN_TO
from shopkeep.store.money import Money
from shopkeep.store.views import CustomerView, OrderView

phrases.register(
    {
        "status_none": {
            "en": "You have no orders yet.",
            "zh": "您还没有订单。",
            "ko": "아직 주문 내역이 없어요.",
        },
        "status_recent": {
            "en": "Your recent orders:\n{orders}",
            "zh": "您最近的订单：\n{orders}",
            "ko": "최근 주문 내역이에요:\n{orders}",
        },
        "cancel_staged": {
            "en": "I can cancel order {order_id} ({items}). Reason: {reason}. {refund} will be "
            "refunded to the payment method that paid. Shall I cancel it? (yes / no)",
            "zh": "我可以为您取消订单 {order_id}（{items}）。原因：{reason}。"
            "{refund} 将退回原支付方式。"
            "确认取消吗？（是/否）",
            "ko": "주문 {order_id}({items})을(를) 취소할 수 있어요. 사유: {reason}. {refund}은(는) "
            "결제하신 수단으로 환불돼요. 취소할까요? (네/아니요)",
        },
        "cancel_done": {
            "en": "Order {order_id} is cancelled. {refund} is being refunded to the payment "
            "method that paid.",
            "zh": "订单 {order_id} 已取消，{refund} 将退回原支付方式。",
            "ko": "주문 {order_id}이(가) 취소되었어요. {refund}은(는) 결제하신 수단으로 환불돼요.",
        },
    }
)

CANCEL_WHAT: dict[Language, str] = {"en": "cancelled", "zh": "取消", "ko": "취소"}

MISTAKE = re.compile(
    r"mistake|accident|wrong(ly)?|by error|错|误|下错|买错|실수|잘못", re.IGNORECASE
)
BY_MISTAKE = "ordered by mistake"


class OrderStatusFlow(Flow):
    job = "order_status"

    def run(self, t: Turn, frame: Frame) -> Step:
        if t.x.order_ids or frame.asked == "order":
            order = pick_order(t, frame, set(render.STATUS), {"en": "", "zh": "", "ko": ""})
            if order is None:
                return "ask" if frame.asked == "order" else "done"
            self.show(t, [order.id])
            return "done"
        from shopkeep.agent.flows.changes import naming

        named = naming(t, t.tools.orders(), [t.text, frame.slots.request or ""], every=True)
        if 0 < len(named) <= 3:
            # "where is the pour-over set I bought?", "两单的快递单号": the orders it names.
            self.show(t, [o.id for o in named])
            return "done"
        recent = t.tools.orders(limit=5)
        if not recent:
            t.say("status_none")
            return "done"
        if len(recent) == 1:
            self.show(t, [recent[0].id])
            return "done"
        t.state.shown_orders = [o.id for o in recent]
        frame.asked = "order"
        t.say("status_recent", orders=render.order_list(recent, t.lang, t.item_name))
        return "ask"

    @staticmethod
    def show(t: Turn, order_ids: list[str]) -> None:
        methods = {m.id: m for m in t.tools.customer().payment_methods}

        def method_of(method_id: str) -> str:
            method = methods.get(method_id)
            return render.method_text(method, t.lang) if method else method_id

        for order_id in order_ids:
            t.add(render.order_block(t.tools.order(order_id), t.lang, t.name_of, method_of))
        t.state.shown_orders = list(order_ids)


class CancelFlow(Flow):
    job = "cancel"

    def run(self, t: Turn, frame: Frame) -> Step:
        slots = frame.slots_as(OrderSlots)
        reasons = t.tools.store.ctx.policy.cancel_reasons
        if MISTAKE.search(t.text) and BY_MISTAKE in reasons:
            slots.reason = BY_MISTAKE
        order = pick_order(t, frame, set(OPEN_TO["cancel_order"]), CANCEL_WHAT)
        if order is None:
            return "ask" if frame.asked == "order" else "done"
        reason = slots.reason or reasons[0]
        try:
            preview = t.tools.preview(CancelOrder(order_id=order.id, reason=reason))
        except StoreError as refusal:
            t.refused(refusal)
            return "done"
        shown = phrases.say(
            "cancel_staged",
            t.lang,
            order_id=order.id,
            items=render.order_items(order, t.lang, t.name_of),
            reason=render.cancel_reason(reason, t.lang),
            refund=render.money(preview.refunded or Money.zero(order.total.currency)),
        )
        t.tools.stage(preview, self.job, shown)
        t.add(shown)
        frame.asked = None
        return "staged"

    def done(self, t: Turn, staged: Staged, result: OrderView | CustomerView) -> None:
        assert isinstance(result, OrderView)
        refunded = sum((tx.amount.amount for tx in result.transactions if tx.kind == "refund"), 0)
        t.say(
            "cancel_done",
            order_id=result.id,
            refund=render.money(
                Money(refunded, result.total.currency) if refunded else result.total
            ),
        )

"""Returning delivered items for a refund, and exchanging them for another option."""

from __future__ import annotations

from shopkeep.agent import phrases, render
from shopkeep.agent.flows.base import Flow, Step, Turn
from shopkeep.agent.flows.changes import (
    DELIVERED,
    GIFT_CARD,
    PENDING,
    choose_units,
    fresh_order,
    method_named,
    named_methods,
    paid_with,
    pick_shop_order,
    previewed,
    same_staging,
    settle_text,
    stage,
    swap_for,
    swap_refused,
    texts_of,
)
from shopkeep.agent.jobs import Language
from shopkeep.agent.state import ChangeSlots, Frame, Staged
from shopkeep.store.actions import RequestReturn
from shopkeep.store.errors import InvalidRefundMethod, StoreError
from shopkeep.store.money import Money
from shopkeep.store.views import CustomerView, OrderItemView, OrderView, PaymentMethodView

phrases.register(
    {
        "return_staged": {
            "en": "I can request a return for order {order_id}: {items}. Refund: {refund} to "
            "{method}, made once the items arrive back. A return can be requested once per "
            "order, so please make sure every item you want to return is listed. Shall I go "
            "ahead? (yes / no)",
            "zh": "可以为订单 {order_id} 申请退货：{items}。退款：{refund}，退回 {method}，"
            "商品寄回后退款。每个订单只能申请一次退货，请确认要退的商品都已列出。确认申请吗？（是/否）",
            "ko": "주문 {order_id}의 반품을 신청할 수 있어요: {items}. 환불: {refund}, "
            "{method}(으)로 상품이 반송되면 환불돼요. 반품은 주문당 한 번만 신청할 수 있으니 "
            "반품할 상품이 모두 포함됐는지 확인해 주세요. 신청할까요? (네/아니요)",
        },
        "return_done": {
            "en": "Done: the return for order {order_id} is requested (status: {status}). "
            "Please send the items back to the shop; {refund} will be refunded to {method} once "
            "they arrive.",
            "zh": "已完成：订单 {order_id} 的退货已申请（状态：{status}）。商品寄回后，{refund} "
            "将退回 {method}。请将商品寄回本店。",
            "ko": "완료됐어요. 주문 {order_id}의 반품이 신청됐어요(상태: {status}). 상품이 "
            "도착하면 {refund}이(가) {method}(으)로 환불돼요. 상품을 매장으로 보내 "
            "주세요.",
        },
        "return_no_gift_card": {
            "en": "You have no gift card saved, so the refund goes to the payment method that "
            "paid.",
            "zh": "您没有已保存的礼品卡，退款将退回原支付方式。",
            "ko": "저장된 기프트카드가 없어서 결제하신 수단으로 환불돼요.",
        },
        "exchange_staged": {
            "en": "I can request an exchange for order {order_id}:\n{lines}\nPrice difference: "
            "{settle}.\nAn order can be exchanged only once, so please make sure every item you "
            "want to exchange is listed. Shall I go ahead? (yes / no)",
            "zh": "可以为订单 {order_id} 申请换货：\n{lines}\n差价：{settle}。\n"
            "每个订单只能换货一次，请确认要换的商品都已列出。确认申请吗？（是/否）",
            "ko": "주문 {order_id}의 교환을 신청할 수 있어요:\n{lines}\n차액: {settle}.\n"
            "교환은 주문당 한 번만 가능하니 교환할 상품이 모두 포함됐는지 확인해 주세요. "
            "신청할까요? (네/아니요)",
        },
        "exchange_done": {
            "en": "Done: the exchange for order {order_id} is requested (status: {status}). "
            "Price difference: {difference}. Please send the items back to the shop.",
            "zh": "已完成：订单 {order_id} 的换货已申请（状态：{status}）。差价：{difference}。"
            "请将商品寄回本店。",
            "ko": "완료됐어요. 주문 {order_id}의 교환이 신청됐어요(상태: {status}). 차액: "
            "{difference}. 상품을 매장으로 보내 주세요.",
        },
    }
)

RETURN_WHAT: dict[Language, str] = {"en": "returned", "zh": "退货", "ko": "반품"}
EXCHANGE_WHAT: dict[Language, str] = {"en": "exchanged", "zh": "换货", "ko": "교환"}


def returnable(t: Turn, frame: Frame, what: dict[Language, str]) -> tuple[OrderView | None, Step]:
    """The delivered order the customer means, or the step taken when there is none: asked
    which, or the store's refusal explained for an order that cannot be returned."""
    order = pick_shop_order(t, frame, DELIVERED, what, by_items=True)
    if order is None:
        return None, "ask" if frame.asked == "order" else "done"
    try:
        t.tools.check_order("request_return", order.id)
    except StoreError as refusal:
        t.refused(refusal)
        return None, "done"
    return order, "ask"


class ReturnFlow(Flow):
    job = "return"

    def run(self, t: Turn, frame: Frame) -> Step:
        asked = frame.asked
        order, step = returnable(t, frame, RETURN_WHAT)
        if order is None:
            return step
        fresh_order(frame, order)
        texts = texts_of(t, frame, asked)
        asked = None if asked == "order" else asked
        units, named_items = choose_units(
            t, frame, order, asked, texts, one_product=False, with_quantity=True
        )
        if units is None:
            return "ask"
        methods = t.tools.customer().payment_methods
        method, named_method = self.refund_method(t, frame, order, texts, methods)
        if method is None:
            return "done"
        request = RequestReturn(
            order_id=order.id,
            item_ids=tuple(u.variant_id or "" for u in units),
            refund_method_id=method.id,
            reason=frame.slots.request or t.text,
        )
        if asked is None and not (named_items or named_method) and same_staging(frame, request):
            return "unknown"
        preview = previewed(t, request)
        if preview is None:
            return "done"
        shown = phrases.say(
            "return_staged",
            t.lang,
            order_id=order.id,
            items=render.SEP[t.lang].join(_units_text(t, preview.units)),
            refund=render.money(preview.refunded or Money.zero(order.total.currency)),
            method=render.method_text(method, t.lang),
        )
        return stage(t, frame, preview, shown)

    @staticmethod
    def refund_method(
        t: Turn,
        frame: Frame,
        order: OrderView,
        texts: list[str],
        methods: list[PaymentMethodView],
    ) -> tuple[PaymentMethodView | None, bool]:
        """The method that paid, unless the customer asks for one of their gift cards; a
        method the store would refuse is explained and the one that paid proposed."""
        slots = frame.slots_as(ChangeSlots)
        by_id = {m.id: m for m in methods}
        original = paid_with(order)
        said = False
        for i, text in enumerate(texts):
            if i > 0 and slots.payment_method_id:
                break
            named = named_methods(text, methods)
            if GIFT_CARD.search(text):
                cards = [m for m in named if m.source == "gift_card"]
                if not cards:
                    t.say("return_no_gift_card")
                slots.payment_method_id = cards[0].id if cards else original
            elif named:
                if all(m.id != original for m in named):
                    t.refused(InvalidRefundMethod(named[0].id, original or "none"))
                slots.payment_method_id = original
            else:
                continue
            said = i == 0
            break
        chosen = slots.payment_method_id or original
        if chosen in by_id:
            return by_id[chosen or ""], said
        # The method that paid is no longer saved: only a gift card can take the refund.
        cards = [m for m in methods if m.source == "gift_card"]
        if cards:
            return cards[0], False
        t.refused(InvalidRefundMethod("none", original or "none"))
        return None, False

    def done(self, t: Turn, staged: Staged, result: OrderView | CustomerView) -> None:
        assert isinstance(result, OrderView)
        request = result.return_request
        methods = t.tools.customer().payment_methods
        refund = request.refund if request else Money(0, result.total.currency)
        t.say(
            "return_done",
            order_id=result.id,
            status=render.status(result.status, t.lang),
            refund=render.money(refund),
            method=method_named(methods, request.refund_method_id if request else None, t.lang),
        )


def _units_text(t: Turn, units: list[OrderItemView]) -> list[str]:
    counted: dict[tuple[str, str], int] = {}
    for unit in units:
        name = t.name_of(unit.product_id, unit.name)
        key = (name, render.options_text(unit.options, t.lang))
        counted[key] = counted.get(key, 0) + 1
    shown = []
    for (name, opts), count in counted.items():
        text = f"{name} ({opts})" if opts else name
        shown.append(f"{text} × {count}" if count > 1 else text)
    return shown


class ExchangeFlow(Flow):
    job = "exchange"

    def run(self, t: Turn, frame: Frame) -> Step:
        asked = frame.asked
        order = pick_shop_order(t, frame, DELIVERED, EXCHANGE_WHAT, by_items=True, fallback=PENDING)
        if order is None:
            return "ask" if frame.asked == "order" else "done"
        return swap_for(t, frame, order, asked)

    def refused(self, t: Turn, staged: Staged, error: StoreError, frame: Frame) -> Step:
        return swap_refused(t, frame, staged, error)

    def done(self, t: Turn, staged: Staged, result: OrderView | CustomerView) -> None:
        assert isinstance(result, OrderView)
        request = result.exchange_request
        methods = t.tools.customer().payment_methods
        difference = request.price_difference if request else Money(0, result.total.currency)
        method = method_named(methods, request.payment_method_id if request else None, t.lang)
        t.say(
            "exchange_done",
            order_id=result.id,
            status=render.status(result.status, t.lang),
            difference=settle_text(t.lang, difference, method),
        )

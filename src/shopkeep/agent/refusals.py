"""The store's typed refusals explained to the customer in their language."""

from __future__ import annotations

from typing import Any

from shopkeep.agent import render
from shopkeep.agent.jobs import Language
from shopkeep.store.errors import StoreError
from shopkeep.store.money import Money

_REASONS: dict[str, dict[Language, str]] = {
    "order_not_found": {
        "en": "I couldn't find that order on your account.",
        "zh": "您的账户下没有找到这个订单。",
        "ko": "고객님 계정에서 해당 주문을 찾을 수 없어요.",
    },
    "order_not_cancellable": {
        "en": "order {order_id} is {status_text}, and only pending orders can be cancelled.",
        "zh": "订单 {order_id} 当前状态为“{status_text}”，只有待处理的订单可以取消。",
        "ko": "주문 {order_id}은(는) 현재 '{status_text}' 상태라서 취소할 수 없어요. "
        "처리 대기 중인 주문만 취소할 수 있어요.",
    },
    "order_not_modifiable": {
        "en": "order {order_id} is {status_text}, and only pending orders can be changed.",
        "zh": "订单 {order_id} 当前状态为“{status_text}”，只有待处理的订单可以修改。",
        "ko": "주문 {order_id}은(는) 현재 '{status_text}' 상태라서 변경할 수 없어요. "
        "처리 대기 중인 주문만 변경할 수 있어요.",
    },
    "order_not_returnable": {
        "en": "order {order_id} is {status_text}; only delivered orders can be returned or "
        "exchanged.",
        "zh": "订单 {order_id} 当前状态为“{status_text}”，只有已送达的订单可以退换货。",
        "ko": "주문 {order_id}은(는) 현재 '{status_text}' 상태예요. 배송 완료된 주문만 "
        "반품·교환할 수 있어요.",
    },
    "after_sales_already_requested": {
        "en": "a return or exchange has already been requested for order {order_id}.",
        "zh": "订单 {order_id} 已经申请过退货或换货。",
        "ko": "주문 {order_id}은(는) 이미 반품 또는 교환이 요청되었어요.",
    },
    "return_window_closed": {
        "en": "the return window for order {order_id} has closed.",
        "zh": "订单 {order_id} 已超过退换货期限。",
        "ko": "주문 {order_id}의 반품·교환 기간이 지났어요.",
    },
    "out_of_stock": {
        "en": "that item is out of stock.",
        "zh": "该商品已售罄。",
        "ko": "해당 상품은 품절이에요.",
    },
    "variant_unavailable": {
        "en": "that option is not available.",
        "zh": "该规格目前无货。",
        "ko": "해당 옵션은 현재 구매할 수 없어요.",
    },
    "payment_declined": {
        "en": "the payment was declined; nothing was charged. You can try another saved "
        "payment method.",
        "zh": "支付被拒绝，未扣款。您可以换一个已保存的支付方式。",
        "ko": "결제가 거절되어 청구되지 않았어요. 다른 저장된 결제 수단을 이용해 보세요.",
    },
    "insufficient_gift_card_balance": {
        "en": "the gift card's balance is not enough.",
        "zh": "礼品卡余额不足。",
        "ko": "기프트카드 잔액이 부족해요.",
    },
    "coupon_not_found": {
        "en": "there is no coupon {coupon}.",
        "zh": "没有优惠券 {coupon}。",
        "ko": "{coupon} 쿠폰은 없어요.",
    },
    "slot_full": {
        "en": "that time slot is already full.",
        "zh": "该时段已约满。",
        "ko": "그 시간대는 이미 주문이 꽉 찼어요.",
    },
    "store_closed": {
        "en": "the store is closed at that time.",
        "zh": "门店在该时间不营业。",
        "ko": "그 시간에는 매장이 영업하지 않아요.",
    },
    "coupon_not_applicable": {
        "en": "coupon {coupon} can't be used for this order ({why}).",
        "zh": "优惠券 {coupon} 不适用于此订单（{why}）。",
        "ko": "{coupon} 쿠폰은 이 주문에 사용할 수 없어요({why}).",
    },
    "quote_changed": {
        "en": "the price changed since I showed it; please check the new total.",
        "zh": "价格在展示后发生了变化，请确认新的金额。",
        "ko": "안내해 드린 후 가격이 바뀌었어요. 새 금액을 확인해 주세요.",
    },
    "same_payment_method": {
        "en": "the order is already paid with that method.",
        "zh": "该订单已经使用这个支付方式。",
        "ko": "이미 그 결제 수단으로 결제된 주문이에요.",
    },
    "invalid_refund_method": {
        "en": "a refund goes back to the method that paid, or to a gift card.",
        "zh": "退款只能退回原支付方式或礼品卡。",
        "ko": "환불은 원래 결제 수단이나 기프트카드로만 가능해요.",
    },
}


COUPON_WHY: dict[str, dict[Language, str]] = {
    "expired": {"en": "it has expired", "zh": "已过期", "ko": "기간이 만료됨"},
    "not_started": {"en": "it is not valid yet", "zh": "尚未生效", "ko": "아직 사용 기간이 아님"},
    "inactive": {"en": "it is not active", "zh": "未启用", "ko": "사용 중지됨"},
    "min_spend_not_met": {
        "en": "the order is below its minimum spend of {min_spend}",
        "zh": "未达到最低消费 {min_spend}",
        "ko": "최소 주문 금액 {min_spend} 미달",
    },
    "customer_limit_reached": {
        "en": "you have already used it as many times as allowed",
        "zh": "您的使用次数已达上限",
        "ko": "사용 가능 횟수를 모두 사용함",
    },
    "usage_limit_reached": {
        "en": "it has been fully redeemed",
        "zh": "已被领完",
        "ko": "모두 소진됨",
    },
    "not_for_channel": {
        "en": "it doesn't apply to this kind of order",
        "zh": "不适用于此类订单",
        "ko": "이 주문 유형에는 적용되지 않음",
    },
}


def explain(error: StoreError, lang: Language) -> str:
    template = _REASONS.get(error.code)
    if template is None:
        # A rarer refusal: the store's own words are specific and safe to show.
        reason = error.message
    else:
        fields: dict[str, Any] = {k: v for k, v in error.details.items() if v is not None}
        fields.setdefault("order_id", "")
        fields.setdefault("coupon", "")
        fields["status_text"] = render.status(str(error.details.get("status", "")), lang)
        why = COUPON_WHY.get(str(error.details.get("reason", "")), {}).get(
            lang, str(error.details.get("reason", ""))
        )
        if "min_spend" in error.details:
            currency = str(error.details.get("currency") or "USD")
            spend = Money(int(error.details["min_spend"]), currency).display()
            why = why.replace("{min_spend}", spend)
        fields["why"] = why.replace(" {min_spend}", "")
        try:
            reason = template[lang].format(**fields)
        except (KeyError, IndexError):
            reason = error.message
    lead = {
        "en": "Sorry, I can't do that: ",
        "zh": "抱歉，无法办理：",
        "ko": "죄송하지만 처리할 수 없어요: ",
    }
    return lead[lang] + reason

"""Store data as the customer reads it, in their language: statuses, orders, quotes, methods."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from shopkeep.agent.jobs import Language
from shopkeep.store.money import Money
from shopkeep.store.views import (
    AddressInput,
    AddressView,
    LocalizedText,
    OrderSummary,
    OrderView,
    PaymentMethodView,
    Quote,
    localized,
)

STATUS: dict[str, dict[Language, str]] = {
    "awaiting payment": {"en": "awaiting payment", "zh": "待付款", "ko": "결제 대기"},
    "pending": {"en": "pending", "zh": "待处理", "ko": "처리 대기"},
    "pending (item modified)": {
        "en": "pending (items changed)",
        "zh": "待处理（商品已修改）",
        "ko": "처리 대기(상품 변경됨)",
    },
    "processed": {"en": "shipped", "zh": "已发货", "ko": "배송 중"},
    "delivered": {"en": "delivered", "zh": "已送达", "ko": "배송 완료"},
    "cancelled": {"en": "cancelled", "zh": "已取消", "ko": "취소됨"},
    "return requested": {"en": "return requested", "zh": "已申请退货", "ko": "반품 요청됨"},
    "exchange requested": {"en": "exchange requested", "zh": "已申请换货", "ko": "교환 요청됨"},
    "completed": {"en": "completed", "zh": "已完成", "ko": "완료"},
}

LABELS: dict[str, dict[Language, str]] = {
    "subtotal": {"en": "Subtotal", "zh": "小计", "ko": "소계"},
    "discount": {"en": "Coupon {code}", "zh": "优惠券 {code}", "ko": "쿠폰 {code}"},
    "subsidy": {"en": "Campaign {name}", "zh": "活动 {name}", "ko": "이벤트 {name}"},
    "shipping": {"en": "Shipping", "zh": "运费", "ko": "배송비"},
    "delivery": {"en": "Delivery", "zh": "配送费", "ko": "배달비"},
    "total": {"en": "Total", "zh": "合计", "ko": "합계"},
    "free": {"en": "free", "zh": "免运费", "ko": "무료"},
    "ship_to": {"en": "Ship to", "zh": "收货地址", "ko": "배송지"},
    "pay_with": {"en": "Pay with", "zh": "支付方式", "ko": "결제 수단"},
    "items": {"en": "Items", "zh": "商品", "ko": "상품"},
    "tracking": {"en": "Tracking", "zh": "物流单号", "ko": "운송장 번호"},
    "status": {"en": "Status", "zh": "状态", "ko": "상태"},
    "order": {"en": "Order", "zh": "订单", "ko": "주문"},
    "return_refund": {
        "en": "Return: {refund} to be refunded to {method} once the items are back",
        "zh": "退货：商品寄回后退款 {refund}，退回 {method}",
        "ko": "반품: 상품이 돌아오면 {refund}이(가) {method}(으)로 환불돼요",
    },
}

CANCEL_REASONS: dict[str, dict[Language, str]] = {
    "no longer needed": {"en": "no longer needed", "zh": "不再需要", "ko": "더 이상 필요 없음"},
    "ordered by mistake": {"en": "ordered by mistake", "zh": "误下单", "ko": "실수로 주문"},
}
"""The default cancel reasons in each language; a merchant's own reasons show as written."""

SEP: dict[Language, str] = {"en": ", ", "zh": "，", "ko": ", "}


def label(key: str, lang: Language, **fields: str) -> str:
    return LABELS[key][lang].format(**fields)


def status(value: str, lang: Language) -> str:
    return STATUS.get(value, {}).get(lang, value)


def cancel_reason(reason: str, lang: Language) -> str:
    return CANCEL_REASONS.get(reason, {}).get(lang, reason)


def money(amount: Money) -> str:
    return amount.display()


def options_text(
    options: dict[str, str] | dict[str, str | list[str]], lang: Language | None = None
) -> str:
    """A line's options ("black / M"), named in `lang` where the word lists know them."""
    from shopkeep.agent.extract import option_synonyms

    def name(value: str) -> str:
        return option_synonyms(value)[lang] if lang else value

    parts = []
    for value in options.values():
        values = value if isinstance(value, list) else [str(value)]
        parts.append(", ".join(name(v) for v in values))
    return " / ".join(p for p in parts if p)


def address_text(address: AddressInput | AddressView) -> str:
    parts = [
        address.address1,
        address.address2,
        address.city,
        f"{address.state} {address.zip}".strip(),
        address.country,
    ]
    return ", ".join(p for p in parts if p)


def method_text(method: PaymentMethodView, lang: Language) -> str:
    if method.source == "gift_card":
        balance = method.balance.display() if method.balance else "?"
        return {"en": "gift card", "zh": "礼品卡", "ko": "기프트카드"}[lang] + f" ({balance})"
    if method.source == "paypal":
        return "PayPal"
    if method.source == "credit_card":
        brand = (method.brand or "card").title()
        return {
            "en": f"{brand} ending {method.last_four}",
            "zh": f"{brand} 尾号 {method.last_four}",
            "ko": f"{brand} (끝자리 {method.last_four})",
        }[lang]
    return method.label()


NameOf = Callable[[str | None, str], str]
"""A product id (or None) and the name stored on the line -> the name in the reply language."""


def order_items(order: OrderView, lang: Language, name_of: NameOf) -> str:
    counted: dict[tuple[str, str], int] = {}
    for item in order.items:
        key = (name_of(item.product_id, item.name), options_text(item.options, lang))
        counted[key] = counted.get(key, 0) + 1
    lines = []
    for (name, opts), count in counted.items():
        text = f"{name} ({opts})" if opts else name
        lines.append(f"{text} × {count}" if count > 1 else text)
    return SEP[lang].join(lines)


def order_block(
    order: OrderView,
    lang: Language,
    name_of: NameOf,
    method_of: Callable[[str], str] | None = None,
) -> str:
    """The order as the customer sees it when asking about it; with `method_of` (a payment
    method id → its name), a return under way says how much is refunded and to what."""
    lines = [
        f"{label('order', lang)} {order.id}: {status(order.status, lang)}",
        f"{label('items', lang)}: {order_items(order, lang, name_of)}",
        f"{label('total', lang)}: {money(order.total)}",
    ]
    if order.tracking_ids:
        lines.append(f"{label('tracking', lang)}: {', '.join(order.tracking_ids)}")
    returning = order.return_request
    if returning is not None and method_of is not None and returning.status != "completed":
        method = method_of(returning.refund_method_id)
        lines.append(label("return_refund", lang, refund=money(returning.refund), method=method))
    return "\n".join(lines)


def order_list(
    orders: Iterable[OrderSummary], lang: Language, item_name: Callable[[str], str] = str
) -> str:
    """Numbered orders; `item_name` turns an item's stored name into the reply language's."""
    return "\n".join(
        f"{i}. {o.id} — {status(o.status, lang)} — "
        f"{SEP[lang].join(item_name(n) for n in o.item_names)} — {money(o.total)}"
        for i, o in enumerate(orders, 1)
    )


def quote_block(
    quote: Quote, lang: Language, *, names: list[str] | None = None, local: bool = False
) -> str:
    """The full price breakdown: lines, subtotal, discount, subsidy, shipping, total."""
    lines = []
    for i, line in enumerate(quote.lines):
        name = names[i] if names and i < len(names) else line.name
        opts = options_text(line.options, lang)
        shown = f"{name} ({opts})" if opts else name
        lines.append(f"- {shown} × {line.quantity}: {money(line.line_total)}")
    lines.append(f"{label('subtotal', lang)}: {money(quote.subtotal)}")
    if quote.discount.amount:
        lines.append(
            f"{label('discount', lang, code=quote.coupon_code or '')}: -{money(quote.discount)}"
        )
    if quote.subsidy.amount:
        name = localized(quote.campaign_name or {}, lang) or (quote.campaign_id or "")
        lines.append(f"{label('subsidy', lang, name=name)}: -{money(quote.subsidy)}")
    fee = label("delivery" if local else "shipping", lang)
    lines.append(
        f"{fee}: {money(quote.shipping) if quote.shipping.amount else label('free', lang)}"
    )
    lines.append(f"{label('total', lang)}: {money(quote.total)}")
    return "\n".join(lines)


def local_time(moment_iso: str, timezone: str) -> str:
    return datetime.fromisoformat(moment_iso).astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def text_in(text: LocalizedText, lang: Language) -> str:
    return localized(text, lang)


def day(moment: datetime, lang: Language) -> str:
    """A calendar day as each language writes it: "Mar 31, 2026", "2026年3月31日",
    "2026년 3월 31일"."""
    if lang == "zh":
        return f"{moment.year}年{moment.month}月{moment.day}日"
    if lang == "ko":
        return f"{moment.year}년 {moment.month}월 {moment.day}일"
    return f"{moment:%b} {moment.day}, {moment.year}"

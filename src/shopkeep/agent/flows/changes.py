"""Changing a pending order's shipping address, payment method or items' options, and the
reading of items, options and payment methods that returns and exchanges share."""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from shopkeep.agent import phrases, render
from shopkeep.agent.extract import match_choices, option_synonyms
from shopkeep.agent.flows.base import Flow, Step, Turn, pick_order
from shopkeep.agent.jobs import Language
from shopkeep.agent.state import ChangeSlots, Frame, Staged
from shopkeep.agent.tools import ShopTools
from shopkeep.store.actions import (
    ChangeAddress,
    ChangeItems,
    ChangePayment,
    Preview,
    RequestExchange,
    StoreAction,
)
from shopkeep.store.catalog import normalize
from shopkeep.store.errors import (
    InsufficientGiftCardBalance,
    OutOfStock,
    PaymentDeclined,
    SamePaymentMethod,
    StoreError,
    VariantUnavailable,
)
from shopkeep.store.lifecycle import OPEN_TO
from shopkeep.store.money import Money
from shopkeep.store.views import (
    AddressInput,
    AddressView,
    CustomerView,
    OrderItemView,
    OrderSummary,
    OrderView,
    PaymentMethodView,
    ProductView,
    VariantView,
)

phrases.register(
    {
        "change_pick_item": {
            "en": "Which item of order {order_id} do you mean?\n{items}",
            "zh": "请问是订单 {order_id} 里的哪件商品？\n{items}",
            "ko": "주문 {order_id}의 어느 상품인가요?\n{items}",
        },
        "change_pick_option": {
            "en": "Which option would you like for {item} instead? Available: {options}.",
            "zh": "{item} 想换成哪个规格？可选：{options}。",
            "ko": "{item}을(를) 어떤 옵션으로 바꿀까요? 가능한 옵션: {options}.",
        },
        "change_option_ambiguous": {
            "en": "I'm not sure which option you mean for {item}. Available: {options}.",
            "zh": "不确定您想要 {item} 的哪个规格。可选：{options}。",
            "ko": "{item}의 어떤 옵션을 말씀하시는지 잘 모르겠어요. 가능한 옵션: {options}.",
        },
        "change_option_unavailable": {
            "en": "Sorry, {item} in {wanted} is not available. Available: {options}.",
            "zh": "抱歉，{item} 的 {wanted} 规格目前无货。可选：{options}。",
            "ko": "죄송해요, {item}의 {wanted} 옵션은 지금 구매할 수 없어요. "
            "가능한 옵션: {options}.",
        },
        "change_option_none": {
            "en": "Sorry, {item} has no other option available right now.",
            "zh": "抱歉，{item} 目前没有其他可选规格。",
            "ko": "죄송해요, {item}은(는) 지금 선택할 수 있는 다른 옵션이 없어요.",
        },
        "change_pick_method": {
            "en": "Which payment method should {purpose}?\n{methods}",
            "zh": "请问{purpose}用哪个支付方式？\n{methods}",
            "ko": "{purpose} 어떤 결제 수단으로 할까요?\n{methods}",
        },
        "change_items_staged": {
            "en": "I can change these items of order {order_id}:\n{lines}\nPrice difference: "
            "{settle}.\nItems can be changed only once per order, and the order can't be "
            "cancelled afterwards, so please make sure every item you want changed is listed. "
            "Shall I go ahead? (yes / no)",
            "zh": "可以为您修改订单 {order_id} 的以下商品：\n{lines}\n差价：{settle}。\n"
            "每个订单只能修改一次商品，修改后无法取消订单，请确认要修改的商品都已列出。确认修改吗？（是/否）",
            "ko": "주문 {order_id}의 상품을 다음과 같이 변경할 수 있어요:\n{lines}\n"
            "차액: {settle}.\n"
            "상품 변경은 주문당 한 번만 가능하고 변경 후에는 주문을 취소할 수 없어요. 변경할 "
            "상품이 모두 포함됐는지 확인해 주세요. 변경할까요? (네/아니요)",
        },
        "change_items_done": {
            "en": "Done: order {order_id} now has {items}. Status: {status}. New total: {total}. "
            "{settled}",
            "zh": "已完成：订单 {order_id} 现在的商品为 {items}。状态：{status}。"
            "新的合计：{total}。{settled}",
            "ko": "완료됐어요. 주문 {order_id}의 상품은 이제 {items}이에요. 상태: {status}. 새 "
            "합계: {total}. {settled}",
        },
        "settle_pay": {
            "en": "{amount} to pay with {method}",
            "zh": "需补 {amount}，使用 {method} 支付",
            "ko": "{amount}을(를) {method}(으)로 결제",
        },
        "settle_refund": {
            "en": "{amount} refunded to {method}",
            "zh": "退还 {amount} 至 {method}",
            "ko": "{amount}을(를) {method}(으)로 환불",
        },
        "settle_none": {
            "en": "none ({amount})",
            "zh": "无（{amount}）",
            "ko": "없음({amount})",
        },
        "settled_pay": {
            "en": "{amount} was charged to {method}.",
            "zh": "已从 {method} 收取 {amount}。",
            "ko": "{method}(으)로 {amount}이(가) 결제됐어요.",
        },
        "settled_refund": {
            "en": "{amount} is being refunded to {method}.",
            "zh": "{amount} 将退回 {method}。",
            "ko": "{amount}은(는) {method}(으)로 환불돼요.",
        },
        "settled_none": {
            "en": "There was no price difference.",
            "zh": "没有差价。",
            "ko": "차액은 없어요.",
        },
        "address_pick": {
            "en": "Which address should order {order_id} ship to? It now ships to {current}.\n"
            "{addresses}\nChoose one, or write the full address as: street, city, state zip, "
            "country.",
            "zh": "订单 {order_id} 要改寄到哪个地址？当前地址：{current}。\n{addresses}\n"
            "请选择一个，或按“街道, 城市, 省/州 邮编, 国家”的格式写出完整地址。",
            "ko": "주문 {order_id}을(를) 어느 주소로 보낼까요? 현재 배송지: {current}.\n"
            '{addresses}\n하나를 고르시거나 "도로명, 도시, 주 우편번호, 국가" 형식으로 전체 주소를 '
            "적어 주세요.",
        },
        "address_none_saved": {
            "en": "(no other saved address)",
            "zh": "（没有其他已保存的地址）",
            "ko": "(저장된 다른 주소 없음)",
        },
        "address_incomplete": {
            "en": "I need the full address, written as: street, city, state zip, country "
            "(for example: 120 Pine St, Seattle, WA 98101, USA).",
            "zh": "请提供完整地址，格式为：街道, 城市, 省/州 邮编, 国家"
            "（例如：衡山路 12 号, Shanghai, 上海市 200031, China）。",
            "ko": '전체 주소가 필요해요. "도로명, 도시, 주 우편번호, 국가" 형식으로 적어 주세요'
            "(예: 와우산로 12, Seoul, 서울특별시 04066, South Korea).",
        },
        "address_same": {
            "en": "Order {order_id} already ships to {address}.",
            "zh": "订单 {order_id} 已经寄往 {address}。",
            "ko": "주문 {order_id}은(는) 이미 {address}(으)로 배송돼요.",
        },
        "address_pickup": {
            "en": "Order {order_id} is picked up at the store, so it has no shipping address to "
            "change.",
            "zh": "订单 {order_id} 是到店自取，没有可修改的收货地址。",
            "ko": "주문 {order_id}은(는) 매장 픽업 주문이라 변경할 배송지가 없어요.",
        },
        "address_staged": {
            "en": "I can change the shipping address of order {order_id} ({items}):\nfrom: {old}\n"
            "to: {new}\nShall I go ahead? (yes / no)",
            "zh": "可以为您修改订单 {order_id}（{items}）的收货地址：\n原地址：{old}\n"
            "新地址：{new}\n确认修改吗？（是/否）",
            "ko": "주문 {order_id}({items})의 배송지를 변경할 수 있어요:\n기존: {old}\n"
            "변경: {new}\n변경할까요? (네/아니요)",
        },
        "address_done": {
            "en": "Done: order {order_id} will ship to {address}. Status: {status}.",
            "zh": "已完成：订单 {order_id} 将寄往 {address}。状态：{status}。",
            "ko": "완료됐어요. 주문 {order_id}은(는) {address}(으)로 배송돼요. 상태: {status}.",
        },
        "payment_purpose_order": {
            "en": "order {order_id} be paid with",
            "zh": "订单 {order_id} 改",
            "ko": "주문 {order_id}의 결제를",
        },
        "payment_purpose_difference": {
            "en": "settle the price difference of order {order_id}",
            "zh": "订单 {order_id} 的差价",
            "ko": "주문 {order_id}의 차액을",
        },
        "payment_none_other": {
            "en": "You have no other saved payment method to pay order {order_id} with.",
            "zh": "您没有其他已保存的支付方式可用于订单 {order_id}。",
            "ko": "주문 {order_id}에 쓸 수 있는 다른 저장된 결제 수단이 없어요.",
        },
        "payment_changed_before": {
            "en": "The payment of order {order_id} has already been changed or adjusted once, so "
            "its payment method can't be changed again.",
            "zh": "订单 {order_id} 的付款已经更换或调整过，无法再更换支付方式。",
            "ko": "주문 {order_id}의 결제는 이미 변경되거나 조정된 적이 있어서 결제 수단을 다시 "
            "바꿀 수 없어요.",
        },
        "payment_staged": {
            "en": "I can change the payment method of order {order_id} ({items}) from {old} to "
            "{new}: {amount} will be charged to {new} and {amount} refunded to {old}. Shall I go "
            "ahead? (yes / no)",
            "zh": "可以将订单 {order_id}（{items}）的支付方式从 {old} 改为 {new}：{new} 将支付 "
            "{amount}，{amount} 退回 {old}。确认更换吗？（是/否）",
            "ko": "주문 {order_id}({items})의 결제 수단을 {old}에서 {new}(으)로 바꿀 수 있어요. "
            "{new}(으)로 {amount}이(가) 결제되고 {old}(으)로 {amount}이(가) 환불돼요. 변경할까요? "
            "(네/아니요)",
        },
        "payment_done": {
            "en": "Done: order {order_id} is now paid with {new} ({amount}); {refund} is being "
            "refunded to {old}. Status: {status}.",
            "zh": "已完成：订单 {order_id} 现由 {new} 支付（{amount}），{refund} 将退回 {old}。"
            "状态：{status}。",
            "ko": "완료됐어요. 주문 {order_id}은(는) 이제 {new}(으)로 결제돼요({amount}). "
            "{refund}은(는) {old}(으)로 환불돼요. 상태: {status}.",
        },
    }
)

CHANGE_WHAT: dict[Language, str] = {"en": "changed", "zh": "修改", "ko": "변경"}
# The states in which the store takes each change, to list the orders a customer may mean.
PENDING = set(OPEN_TO["change_items"])
DELIVERED = set(OPEN_TO["request_return"])
STILL_PENDING = set(OPEN_TO["change_address"])

Reason = Literal["ok", "none", "same", "unavailable", "ambiguous"]

# --- the order and the words of a request ---------------------------------------------------


def pick_shop_order(
    t: Turn,
    frame: Frame,
    eligible: set[str],
    what: dict[Language, str],
    *,
    by_items: bool = False,
    fallback: set[str] | None = None,
    usable: Callable[[OrderSummary], bool] | None = None,
) -> OrderView | None:
    """`pick_order` over the customer's shop orders: a pending food order is not offered when
    the customer names none (it has no shipping address or catalog items to change), but an
    order named by id is always looked at, so its state can be explained. With `by_items`,
    the products the request names ("return the candle") narrow the orders to choose from;
    when no `eligible` order holds them, orders in a `fallback` state that do are offered.
    `usable` leaves out orders whose state allows the change but whose history does not."""
    slots = frame.slots_as(ChangeSlots)
    named = (
        bool(t.x.order_ids)
        or (frame.asked == "order" and t.x.ordinal is not None)
        or bool(slots.order_id)
    )
    if not named:
        candidates = [o for o in t.tools.orders(eligible) if o.kind == "retail"]
        if usable is not None:
            candidates = [o for o in candidates if usable(o)]
        if by_items:
            texts = [t.text, frame.slots.request or ""]
            holding = naming(t, candidates, texts)
            if not holding and fallback:
                others = [o for o in t.tools.orders(fallback) if o.kind == "retail"]
                holding = naming(t, others, texts)
            candidates = holding or candidates
        just_shown = [o for o in candidates if t.state.shown_orders == [o.id]]
        if just_shown and frame.asked != "order":
            candidates = just_shown  # "I want to return it" right after looking at one order
        if not candidates:
            t.say("no_eligible_orders", what=what[t.lang])
            frame.asked = None
            return None
        named_here = by_items and len(candidates) == 1 and bool(naming(t, candidates, [t.text]))
        if len(candidates) > 1 or (frame.asked == "order" and not named_here):
            # After "which order?" (or "not found") an answer that names none is no consent
            # to the one left: show it and ask again.
            shown = candidates[:5]
            t.state.shown_orders = [o.id for o in shown]
            frame.asked = "order"
            t.say("which_order", orders=render.order_list(shown, t.lang, t.item_name))
            return None
        slots.order_id = candidates[0].id
    return pick_order(t, frame, eligible | (fallback or set()), what)


def naming(
    t: Turn, orders: list[OrderSummary], texts: list[str], *, every: bool = False
) -> list[OrderSummary]:
    """The orders whose items the texts name best — by the item's product names in every
    language the catalog has them (a menu item's by its own names), so "the cutting boards",
    "케이블 주문한거" and "那件白T恤的单" each find their order; empty when none is named.
    With `every`, all the orders named at all ("一单是羽绒服，一单是珐琅锅"). Cheap: no order is
    loaded."""
    haystack = " ".join(normalize(plain(text)) for text in texts if text)
    if not haystack.strip():
        return []
    names = _item_names(t)
    scored: list[tuple[tuple[int, int], OrderSummary]] = []
    for order in orders:
        # How many of its items are named ("the order with the sunscreen and the candle"), then
        # how many words name them.
        items = words = 0
        for item in dict.fromkeys(order.item_names):
            forms = name_forms(names.get(item, {"en": item}))
            found = sum(1 for f in forms if mentions(f, haystack))
            items += found > 0
            words += found
        scored.append(((items, words), order))
    if every:
        return [o for score, o in scored if score[0] > 0]
    top = max((score for score, _ in scored), default=(0, 0))
    return [o for score, o in scored if top[0] > 0 and score == top]


_ITEM_NAMES: weakref.WeakKeyDictionary[ShopTools, dict[str, dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)


def _item_names(t: Turn) -> dict[str, dict[str, str]]:
    """A stored (English) item name → the names in every language of what it is; made once per
    turn (the tools live for one turn), however many times the orders are read."""
    names = _ITEM_NAMES.get(t.tools)
    if names is None:
        names = _ITEM_NAMES[t.tools] = _all_item_names(t)
    return names


def _all_item_names(t: Turn) -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = {}
    for product in t.tools.store.catalog.everything():
        for name in product.name.values():
            names.setdefault(name, dict(product.name))
    for menu in t.tools.store.local.menus().values():
        for item in menu:
            for name in item.name.values():
                names.setdefault(name, dict(item.name))
    return names


def fresh_order(frame: Frame, order: OrderView) -> None:
    """Forget what was read about another order when the customer turns to this one."""
    slots = frame.slots_as(ChangeSlots)
    if slots.for_order != order.id:
        slots.units, slots.targets, slots.choices = [], {}, {}
        slots.payment_method_id = slots.address = slots.staged = None
        slots.for_order = order.id


def texts_of(t: Turn, frame: Frame, asked: str | None) -> list[str]:
    """This message first, then the request that started the job (asked before an order was
    chosen, its item and option words are still the customer's). A message that only chose
    the order ("the second one") says nothing else."""
    request = frame.slots.request or ""
    if asked == "order" and t.x.ordinal is not None and not t.x.order_ids:
        return [request] if request else []
    return [t.text] if not request or request == t.text else [t.text, request]


_NOT_OPTIONS = re.compile(
    r"#?\s?[WL]\s?\d{7}|[$¥₩]\s*\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s*(?:dollars?|usd|元|块|달러)",
    re.IGNORECASE,
)


def plain(text: str) -> str:
    """The text without order ids and amounts, whose digits are no sizes."""
    return _NOT_OPTIONS.sub(" ", text)


def chosen_by_ordinal(t: Turn, frame: Frame, asked: str | None, kind: str) -> Any:
    """The entry of the list last shown for `kind` that "the second one" points at."""
    shown = frame.slots_as(ChangeSlots).choices.get(kind)
    if asked != kind or t.x.ordinal is None or not shown:
        return None
    index = t.x.ordinal - 1 if t.x.ordinal > 0 else len(shown) - 1
    return shown[index] if 0 <= index < len(shown) else None


def remember_choices(frame: Frame, kind: str, values: list[Any]) -> None:
    frame.slots_as(ChangeSlots).choices = {kind: values}


def same_staging(frame: Frame, action: StoreAction) -> bool:
    """True when a message after staging changed nothing in what would be staged."""
    return frame.slots_as(ChangeSlots).staged == action


def previewed(t: Turn, action: StoreAction) -> Preview | None:
    """The store's preview of the action, or None after explaining its refusal."""
    try:
        return t.tools.preview(action)
    except StoreError as refusal:
        t.refused(refusal)
        return None


def stage(t: Turn, frame: Frame, preview: Preview, shown: str) -> Step:
    t.tools.stage(preview, frame.job, shown)
    frame.slots_as(ChangeSlots).staged = preview.action
    frame.asked = None
    t.add(shown)
    return "staged"


# --- items ----------------------------------------------------------------------------------

ALL_ITEMS = re.compile(
    r"\b(?:all|everything|everyting|evrything|everthing|both|every\s+item|entire\s+order|"
    r"whole\s+order)\b|全部|所有|整单|"
    r"都(?:退|换|要)|两件都|전부|모두|모든|둘\s*다|다\s*(?:반품|교환|환불|바꿔)",
    re.IGNORECASE,
)
_NAME_STOPWORDS = frozenset(["and", "with", "the", "for", "set", "pro", "true", "cover", "mah"])
NICKNAMES: dict[str, tuple[str, ...]] = {
    # a word of an English product name → what customers also call such a product (no single
    # Hangul syllables: they hide inside other words)
    "shoes": ("sneakers", "trainers", "runners", "鞋", "운동화", "신발"),
    "t-shirt": ("tee", "t shirt", "tshirt", "t恤", "短袖", "티셔츠", "반팔"),
    "shirt": ("衬衫", "셔츠"),
    "chinos": ("pants", "trousers", "裤子", "卡其裤", "바지", "치노"),
    "jeans": ("denim", "牛仔裤", "청바지"),
    "leggings": ("瑜伽裤", "打底裤", "레깅스"),
    "sweater": ("jumper", "毛衣", "스웨터", "니트"),
    "jacket": ("coat", "外套", "夹克", "羽绒服", "재킷", "자켓", "패딩"),
    "pajama": ("pajamas", "pyjamas", "睡衣", "잠옷", "파자마"),
    "earbuds": ("earphones", "headphones", "耳机", "이어폰"),
    "headphones": ("headset", "耳机", "헤드폰"),
    "smartphone": ("phone", "手机", "휴대폰", "핸드폰", "스마트폰"),
    "smartwatch": ("watch", "手表", "시계", "워치"),
    "keyboard": ("键盘", "키보드"),
    "speaker": ("音箱", "스피커"),
    "cable": ("cord", "数据线", "充电线", "케이블"),
    "charger": ("充电器", "충전기"),
    "power": ("power bank", "powerbank", "battery", "充电宝", "보조배터리"),
    "e-reader": ("ereader", "kindle", "阅读器", "电子书", "전자책"),
    "cream": ("moisturiser", "moisturizer", "面霜", "크림"),
    "serum": ("精华", "세럼", "앰플"),
    "cleanser": ("face wash", "洁面", "洗面奶", "클렌저", "폼클렌저"),
    "toner": ("爽肤水", "化妆水", "토너"),
    "sunscreen": ("sunblock", "spf", "防晒", "선크림", "썬크림"),
    "foundation": ("cushion", "粉底", "气垫", "쿠션", "파운데이션"),
    "tint": ("lipstick", "lip", "唇釉", "口红", "틴트", "립"),
    "mask": ("masks", "面膜", "마스크", "팩"),
    "oil": ("卸妆油", "클렌징 오일", "오일"),
    "duvet": ("bedding", "被套", "이불"),
    "coffee": ("pour over", "pour-over", "咖啡", "커피", "드립"),
    "oven": ("pot", "锅", "냄비"),
    "board": ("cutting board", "砧板", "菜板", "도마"),
    "diffuser": ("香薰机", "디퓨저"),
    "pillow": ("枕头", "베개"),
    "purifier": ("空气净化器", "净化器", "공기청정기"),
    "tumbler": ("cup", "mug", "bottle", "杯", "杯子", "保温杯", "텀블러", "컵"),
    "candle": ("蜡烛", "香薰蜡烛", "캔들", "양초"),
    "towel": ("towels", "毛巾", "浴巾", "수건", "타월"),
}
_LATIN = re.compile(r"[a-z0-9]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_HANGUL_WORD = re.compile(r"[\uac00-\ud7af]{2,}")


def _forms(product: ProductView | None, item: OrderItemView) -> set[str]:
    """Words a customer may use for the item's product, in en / zh / ko."""
    names = dict(product.name) if product else {}
    names.setdefault("en", item.name)
    return name_forms(names)


def name_forms(names: dict[str, str]) -> set[str]:
    """Words a customer may use for a product with these names (by language)."""
    forms = {normalize(n).strip() for n in names.values() if n}
    for word in re.findall(r"[a-z][a-z0-9\-]+", normalize(names.get("en", ""))):
        if len(word) < 3 or word in _NAME_STOPWORDS:
            continue
        forms.add(word)
        forms |= {normalize(n) for n in NICKNAMES.get(word, ())}
    for run in _CJK_RUN.findall(normalize(names.get("zh", ""))):
        forms |= {run[i : i + 2] for i in range(len(run) - 1)}
    forms |= set(_HANGUL_WORD.findall(normalize(names.get("ko", ""))))
    return {f for f in forms if f}


def mentions(form: str, haystack: str) -> bool:
    """Latin words match whole (a plural too); Chinese and Korean inside longer words, as
    particles attach to them."""
    if _LATIN.match(form):
        pattern = r"(?<![a-z0-9])" + re.escape(form) + r"(?:e?s)?(?![a-z0-9])"
        return re.search(pattern, haystack) is not None
    return form in haystack


def _option_names(value: str) -> dict[str, str]:
    """A catalog option value's names, with the ways sizes and volumes are typed."""
    names = dict(option_synonyms(value))
    number = re.fullmatch(r"(?:us\s*)?(\d+(?:\.\d+)?)", value.strip(), re.IGNORECASE)
    letter = re.fullmatch(r"x{0,2}[sml]|xl|xxl", value.strip(), re.IGNORECASE)
    if number or letter:
        size = number.group(1) if number else value.strip()
        for i, form in enumerate(
            (
                f"size {size}",
                f"{size}码",
                f"{size}号",
                f"{size} 码",
                f"사이즈 {size}",
                f"{size} 사이즈",
                f"{size}사이즈",
                f"us {size}",
                f"us{size}",
            )
        ):
            names[f"size{i}"] = form
    counted = re.fullmatch(r"(\d+)\s*(sheets?|pieces?|pcs|pack)", value.strip(), re.IGNORECASE)
    if counted:
        amount = counted.group(1)
        for i, word in enumerate(("片", "张", "件", "매", "장", "개", " pack", "-pack", " sheets")):
            names[f"count{i}"] = f"{amount}{word}"
    unit = re.fullmatch(r"(\d+)\s*(ml|gb|mm|m)", value.strip(), re.IGNORECASE)
    if unit:
        amount, kind = unit.group(1), unit.group(2).lower()
        local = {
            "ml": ("毫升", "ml"),
            "gb": ("g", "기가"),
            "mm": ("毫米", "mm"),
            "m": ("米", "미터"),
        }
        names["unit0"] = f"{amount} {kind}"
        names["unit1"] = f"{amount}{local[kind][0]}"
        names["unit2"] = f"{amount}{local[kind][1]}"
    return names


def _base_colour(value: str, siblings: Iterable[str]) -> str | None:
    """'sky blue' is what a customer means by 'blue' when no other choice is also blue."""
    words = value.lower().split()
    if len(words) < 2:
        return None
    base = words[-1]
    if option_synonyms(base).get("zh") == base:
        return None  # not a colour the shop knows in other languages
    others = [s.lower() for s in siblings if s != value]
    if any(o == base or o.endswith(" " + base) for o in others):
        return None
    return base


def units_text(units: list[OrderItemView], t: Turn) -> str:
    first = units[0]
    name = t.name_of(first.product_id, first.name)
    opts = render.options_text(first.options, t.lang)
    shown = f"{name} ({opts})" if opts else name
    return f"{shown} × {len(units)}" if len(units) > 1 else shown


def groups_of(units: list[OrderItemView]) -> list[list[OrderItemView]]:
    """Units grouped by what they are (variant and options), in order."""
    found: dict[tuple[str, str], list[OrderItemView]] = {}
    for unit in units:
        key = (unit.variant_id or "", render.options_text(unit.options))
        found.setdefault(key, []).append(unit)
    return list(found.values())


def safe_product(t: Turn, product_id: str | None) -> ProductView | None:
    if product_id is None:
        return None
    try:
        return t.tools.product(product_id)
    except StoreError:
        return None


def named_units(
    t: Turn,
    order: OrderView,
    texts: list[str],
    *,
    by_options: bool,
    every: bool = True,
    swap: bool = False,
) -> list[list[OrderItemView]] | None:
    """The order's item groups the text names by product words, narrowed by the options they
    now have; with `by_options`, options alone may name them. None when nothing is named."""
    groups = groups_of(order.items)
    for text in texts:
        haystack = normalize(plain(text))
        if every and ALL_ITEMS.search(haystack):
            return groups
        products = {g[0].product_id for g in groups}
        found: dict[str | None, set[str]] = {}
        for group in groups:
            product = safe_product(t, group[0].product_id)
            forms = {f for f in _forms(product, group[0]) if mentions(f, haystack)}
            if forms:
                found.setdefault(group[0].product_id, set()).update(forms)
        if found:
            unique = {
                pid
                for pid, forms in found.items()
                if any(all(f not in other for p, other in found.items() if p != pid) for f in forms)
            }
            wanted = unique or set(found)
            chosen = [g for g in groups if g[0].product_id in wanted]
            return _narrowed(chosen, haystack, swap=swap) or chosen
        if by_options or len(products) == 1:
            narrowed = _narrowed(groups, haystack, swap=swap)
            if narrowed:
                return narrowed
    return None


def _narrowed(
    groups: list[list[OrderItemView]], haystack: str, *, swap: bool
) -> list[list[OrderItemView]]:
    """The groups the options the text mentions tell apart. In a swap ("the 1m cable to 2m",
    "the tee to M") the first telling option is the item's own when another follows, else it
    is the option wanted, which the item does not have yet."""
    values = {str(v) for g in groups for v in g[0].options.values()}
    said = match_choices(haystack, {v: _option_names(v) for v in values})

    def having(value: str) -> list[list[OrderItemView]]:
        return [g for g in groups if value in {str(v) for v in g[0].options.values()}]

    telling = [v for v in said if 0 < len(having(v)) < len(groups)]
    if not telling:
        return []
    if not swap:
        return [g for g in groups if any(g in having(v) for v in telling)]
    if len(telling) > 1:
        return having(telling[0])
    if _named_before_the_change(telling[0], haystack):
        return having(telling[0])  # "the fig candle → white tea": the item's own, then the new
    return [g for g in groups if g not in having(telling[0])]


_CHANGE_TO = re.compile(
    r"换成|改成|改为|换为|\bto\b|\binto\b|\bfor\b|instead|으로|로\s*(?:바꿔|교환|변경)"
)


def _named_before_the_change(value: str, haystack: str) -> bool:
    """Whether the option is said before the words that introduce what it changes to."""
    marker = _CHANGE_TO.search(haystack)
    if marker is None:
        return False
    forms = [normalize(f) for f in _option_names(value).values() if f]
    found = [(haystack.find(f), f) for f in forms if haystack.find(f) >= 0]
    if not found:
        return False
    at, form = min(found)
    if re.match(r"\s*(?:으로|로)", haystack[at + len(form) :]):
        return False  # "2m로": Korean marks what it changes to on the option itself
    return at < marker.start()


def choose_units(
    t: Turn,
    frame: Frame,
    order: OrderView,
    asked: str | None,
    texts: list[str],
    *,
    one_product: bool,
    with_quantity: bool,
) -> tuple[list[OrderItemView] | None, bool]:
    """The units the customer means, kept in the frame; (None, _) after asking which. The
    flag says whether this message named them."""
    by_id = {u.id: u for u in order.items}
    groups = groups_of(order.items)
    slots = frame.slots_as(ChangeSlots)
    kept = [by_id[i] for i in slots.units if i in by_id]
    if kept and asked in ("option", "method", "address"):
        return kept, False  # an answer to another question: "2m" is the option, not the item
    swap = one_product and asked != "items"
    named: list[list[OrderItemView]] | None = None
    picked = chosen_by_ordinal(t, frame, asked, "items")
    if picked is not None:
        named = [g for g in groups if g[0].id == picked] or None
    if named is None:
        named = named_units(t, order, texts[:1], by_options=asked == "items", swap=swap)
    said = named is not None
    if named is None and not kept:
        named = named_units(t, order, texts[1:], by_options=False, swap=swap)
    if named is None:
        if kept:
            return kept, False
        if len(groups) == 1:
            named = groups
    everything = bool(ALL_ITEMS.search(normalize(t.text)))
    if (
        named
        and one_product
        and len(named) > 1
        and len({g[0].product_id for g in named}) == 1
        and not everything
    ):
        named = None  # "the tee" in an order of a black and a white tee: which one
    if not named:
        remember_choices(frame, "items", [g[0].id for g in groups])
        frame.asked = "items"
        listing = "\n".join(f"{i}. {units_text(g, t)}" for i, g in enumerate(groups, 1))
        t.say("change_pick_item", order_id=order.id, items=listing)
        return None, said
    units = [u for g in named for u in g]
    quantity = t.x.quantity
    if with_quantity and len(named) == 1 and quantity and 0 < quantity < len(units) and said:
        units = units[:quantity]
    slots.units = [u.id for u in units]
    return units, said


# --- options --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    reason: Reason
    variant: VariantView | None = None
    wanted: str = ""


def wanted_variant(
    text: str, unit: OrderItemView, product: ProductView, start: dict[str, str] | None = None
) -> Wanted:
    """The other variant of the same product the text asks for: the options it names, the
    others kept from `start` (what an earlier message chose) or from the unit."""
    current = start or {k: str(v) for k, v in unit.options.items()}
    values: dict[str, list[str]] = {}
    for variant in product.variants:
        for key, value in variant.options.items():
            values.setdefault(key, [])
            if value not in values[key]:
                values[key].append(value)
    choices: dict[str, dict[str, str]] = {}
    for key, options in values.items():
        for value in options:
            names = _option_names(value)
            base = _base_colour(value, options)
            if base:
                names |= {f"base-{lang}": n for lang, n in option_synonyms(base).items()}
                names["base"] = base
            choices[f"{key}\n{value}"] = names
    said = [tuple(k.split("\n", 1)) for k in match_choices(plain(text), choices)]
    new = [(k, v) for k, v in said if current.get(k) != v]
    if not new:
        return Wanted("none")
    by_key: dict[str, set[str]] = {}
    for key, value in new:
        by_key.setdefault(key, set()).add(value)
    wanted_text = " / ".join(v for _, v in new)
    if any(len(v) > 1 for v in by_key.values()):
        return Wanted("ambiguous", wanted=wanted_text)
    asked_for = {k: next(iter(v)) for k, v in by_key.items()}
    fitting = [
        v for v in product.variants if all(v.options.get(k) == x for k, x in asked_for.items())
    ]
    closest = [
        v
        for v in fitting
        if all(v.options.get(k) == x for k, x in current.items() if k not in asked_for)
    ]
    pool = closest or fitting
    if len(pool) != 1:
        return Wanted("unavailable" if not pool else "ambiguous", wanted=wanted_text)
    variant = pool[0]
    if variant.id == unit.variant_id:
        return Wanted("same", variant, wanted_text)
    if not variant.in_stock:
        return Wanted("unavailable", variant, render.options_text(variant.options))
    return Wanted("ok", variant, wanted_text)


def other_options(product: ProductView, unit: OrderItemView) -> list[VariantView]:
    return [v for v in product.variants if v.in_stock and v.id != unit.variant_id]


def options_list(variants: list[VariantView]) -> str:
    return "; ".join(
        f"{render.options_text(v.options)} ({render.money(v.price)})" for v in variants
    )


def choose_targets(
    t: Turn, frame: Frame, units: list[OrderItemView], asked: str | None, texts: list[str]
) -> tuple[dict[str, str] | None, bool]:
    """For each unit, the variant it becomes; (None, _) after asking or saying why not. The
    flag says whether this message named an option."""
    slots = frame.slots_as(ChangeSlots)
    targets: dict[str, str] = {
        k: v for k, v in slots.targets.items() if k in {str(u.id) for u in units}
    }
    said = False
    for group in groups_of(units):
        unit = group[0]
        product = safe_product(t, unit.product_id)
        name = t.name_of(unit.product_id, unit.name)
        if product is None or unit.variant_id is None:
            return None, said
        choice: Wanted = Wanted("none")
        for i, text in enumerate(texts):
            if i > 0 and str(unit.id) in targets:
                break
            chosen = next((v for v in product.variants if v.id == targets.get(str(unit.id))), None)
            choice = wanted_variant(text, unit, product, chosen.options if chosen else None)
            if choice.reason != "none":
                said = said or i == 0
                break
        if choice.reason == "none" and str(unit.id) in targets:
            continue
        others = other_options(product, unit)
        if not others:
            t.say("change_option_none", item=name)
            frame.asked = None
            return None, said
        if choice.reason == "none" and asked == "option" and t.x.affirm and len(others) == 1:
            # "yes" to the one option offered
            choice, said = Wanted("ok", others[0]), True
        listing = options_list(others)
        shown = f"{name} ({render.options_text(unit.options, t.lang)})"
        if choice.reason == "ok" and choice.variant is not None:
            for u in group:
                targets[str(u.id)] = choice.variant.id
            continue
        frame.asked = "option"
        if choice.reason == "unavailable":
            t.say("change_option_unavailable", item=name, wanted=choice.wanted, options=listing)
        elif choice.reason == "ambiguous":
            t.say("change_option_ambiguous", item=shown, options=listing)
        else:
            t.say("change_pick_option", item=shown, options=listing)
        for u in group:
            targets.pop(str(u.id), None)
        slots.targets = targets
        return None, said
    slots.targets = targets
    return targets, said


# --- payment methods ------------------------------------------------------------------------

GIFT_CARD = re.compile(r"gift\s*-?\s*card|礼品卡|礼卡|购物卡|기프트\s*카드|상품권", re.IGNORECASE)
_PAYPAL = re.compile(r"pay\s*pal|贝宝|페이팔", re.IGNORECASE)
_WALLETS = {
    "alipay": re.compile(r"ali\s*pay|支付宝|알리페이", re.IGNORECASE),
    "kakaopay": re.compile(r"kakao\s*pay|kakao|카카오\s*페이|카카오", re.IGNORECASE),
}
_CARD = re.compile(
    # no bare 卡: 卡其色 is khaki
    r"credit\s*card|debit\s*card|\bcard\b|信用卡|银行卡|借记卡|刷卡|(?:这|那|一)张卡|"
    r"신용\s*카드|체크\s*카드|카드",
    re.IGNORECASE,
)
_BRANDS = {
    "visa": r"visa|비자",
    "mastercard": r"master\s*card|\bmaster\b|万事达|마스터\s*카드|마스터",
    "amex": r"amex|american\s*express|美国运通|运通|아멕스|아메리칸\s*익스프레스",
    "discover": r"discover",
    "unionpay": r"union\s*pay|银联|유니온\s*페이",
}
_LAST_FOUR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def named_methods(text: str, methods: list[PaymentMethodView]) -> list[PaymentMethodView]:
    """The saved methods the text names by kind, brand or last four digits."""
    text = plain(text)
    digits = set(_LAST_FOUR.findall(text))
    by_digits = [m for m in methods if m.last_four and m.last_four in digits]
    if by_digits:
        return by_digits
    rest = GIFT_CARD.sub(" ", text)
    found = []
    for m in methods:
        if m.source == "gift_card":
            hit = GIFT_CARD.search(text) is not None
        elif m.source == "paypal":
            hit = _PAYPAL.search(text) is not None
        elif m.source == "credit_card":
            brand = _BRANDS.get((m.brand or "").lower())
            hit = bool(brand and re.search(brand, rest, re.IGNORECASE))
            if not hit and not any(re.search(b, rest, re.IGNORECASE) for b in _BRANDS.values()):
                hit = _CARD.search(rest) is not None
        else:
            pattern = _WALLETS.get((m.brand or "").lower())
            hit = bool(pattern and pattern.search(text)) or bool(
                m.brand and re.search(rf"\b{re.escape(m.brand)}\b", text, re.IGNORECASE)
            )
        if hit:
            found.append(m)
    return found


def paid_with(order: OrderView) -> str | None:
    """The payment method that paid for the order (as the store reads it for refunds)."""
    if order.payment_method_id:
        return order.payment_method_id
    payments = [tx for tx in order.transactions if tx.kind == "payment"]
    return payments[0].payment_method_id if payments else None


def method_named(methods: list[PaymentMethodView], method_id: str | None, lang: Language) -> str:
    for m in methods:
        if m.id == method_id:
            return render.method_text(m, lang)
    return method_id or "?"


def ask_method(
    t: Turn,
    frame: Frame,
    methods: list[PaymentMethodView],
    purpose_key: str,
    order_id: str,
) -> Step:
    remember_choices(frame, "method", [m.id for m in methods])
    frame.asked = "method"
    listing = "\n".join(f"{i}. {render.method_text(m, t.lang)}" for i, m in enumerate(methods, 1))
    purpose = phrases.say(purpose_key, t.lang, order_id=order_id)
    t.say("change_pick_method", purpose=purpose, methods=listing)
    return "ask"


def difference_method(
    t: Turn,
    frame: Frame,
    order: OrderView,
    asked: str | None,
    texts: list[str],
    methods: list[PaymentMethodView],
) -> tuple[PaymentMethodView | None, bool]:
    """The method that pays or receives a price difference: one the customer names, else the
    one that paid for the order. (None, _) after asking."""
    slots = frame.slots_as(ChangeSlots)
    by_id = {m.id: m for m in methods}
    picked = chosen_by_ordinal(t, frame, asked, "method")
    if picked in by_id:
        slots.payment_method_id = picked
        return by_id[picked], True
    for i, text in enumerate(texts):
        if i > 0 and slots.payment_method_id:
            break
        named = named_methods(text, methods)
        if len(named) == 1:
            slots.payment_method_id = named[0].id
            return named[0], i == 0
        if len(named) > 1:
            ask_method(t, frame, named, "payment_purpose_difference", order.id)
            return None, i == 0
    chosen = slots.payment_method_id or paid_with(order)
    if chosen in by_id:
        return by_id[chosen], False
    ask_method(t, frame, methods, "payment_purpose_difference", order.id)
    return None, False


# --- item swaps (change_items now, exchanges after delivery) --------------------------------


def swap_ids(units: list[OrderItemView], targets: dict[str, str]) -> tuple[list[str], list[str]]:
    """The item ids old and new, one per unit."""
    old_ids, new_ids = [], []
    for group in groups_of(units):
        old_ids += [u.variant_id or "" for u in group]
        new_ids += [targets[str(group[0].id)]] * len(group)
    return old_ids, new_ids


def swap_lines(t: Turn, preview: Preview) -> list[str]:
    """Each swap the store previewed, as shown: the item, its options before and after, the
    prices."""
    lines = []
    grouped: dict[tuple[str, str], list[tuple[OrderItemView, VariantView]]] = {}
    for unit, variant in zip(preview.units, preview.replacements, strict=True):
        grouped.setdefault((unit.variant_id or "", variant.id), []).append((unit, variant))
    for group in grouped.values():
        unit, variant = group[0]
        name = t.name_of(unit.product_id, unit.name)
        count = f" × {len(group)}" if len(group) > 1 else ""
        lines.append(
            f"- {name}: {render.options_text(unit.options, t.lang)} → "
            f"{render.options_text(variant.options, t.lang)}{count} "
            f"({render.money(unit.unit_price)} → {render.money(variant.price)})"
        )
    return lines


def difference_of(preview: Preview, currency: str) -> Money:
    """The price difference the store previewed (now, or when the exchange completes): above 0
    paid, below 0 refunded."""
    signed = [m.amount if m.kind == "charge" else -m.amount for m in preview.moves]
    return sum(signed, Money(0, currency))


def settle_text(lang: Language, difference: Money, method: str) -> str:
    if difference.amount > 0:
        return phrases.say("settle_pay", lang, amount=render.money(difference), method=method)
    if difference.amount < 0:
        return phrases.say("settle_refund", lang, amount=render.money(-difference), method=method)
    return phrases.say("settle_none", lang, amount=render.money(difference))


def stage_swap(
    t: Turn,
    frame: Frame,
    order: OrderView,
    asked: str | None,
    *,
    action: type[ChangeItems] | type[RequestExchange],
    template: str,
) -> Step:
    """Read the items, their new options and the method for the difference, and stage."""
    fresh_order(frame, order)
    texts = texts_of(t, frame, asked)
    asked = None if asked == "order" else asked
    units, named_items = choose_units(
        t, frame, order, asked, texts, one_product=True, with_quantity=False
    )
    if units is None:
        return "ask"
    targets, named_option = choose_targets(t, frame, units, asked, texts)
    if targets is None:
        return "ask"
    methods = t.tools.customer().payment_methods
    method, named_method = difference_method(t, frame, order, asked, texts, methods)
    if method is None:
        return "ask"
    old_ids, new_ids = swap_ids(units, targets)
    fields: dict[str, Any] = {}
    if action is RequestExchange:
        fields["reason"] = frame.slots.request or t.text
    swap = action(
        order_id=order.id,
        item_ids=tuple(old_ids),
        new_item_ids=tuple(new_ids),
        payment_method_id=method.id,
        **fields,
    )
    said = named_items or named_option or named_method
    if asked is None and not said and same_staging(frame, swap):
        return "unknown"
    try:
        preview = t.tools.preview(swap)
    except InsufficientGiftCardBalance as refusal:
        t.refused(refusal)
        frame.slots_as(ChangeSlots).payment_method_id = None
        others = [m for m in methods if m.id != method.id]
        return ask_method(t, frame, others or methods, "payment_purpose_difference", order.id)
    except StoreError as refusal:
        t.refused(refusal)
        return "done"
    shown = phrases.say(
        template,
        t.lang,
        order_id=order.id,
        lines="\n".join(swap_lines(t, preview)),
        settle=settle_text(
            t.lang,
            difference_of(preview, order.total.currency),
            render.method_text(method, t.lang),
        ),
    )
    return stage(t, frame, preview, shown)


def swap_refused(t: Turn, frame: Frame, staged: Staged, error: StoreError) -> Step:
    """After a refused swap: a method that could not pay or a variant gone is asked again."""
    action = staged.action
    assert isinstance(action, ChangeItems | RequestExchange)
    slots = frame.slots_as(ChangeSlots)
    if isinstance(error, (InsufficientGiftCardBalance, PaymentDeclined)):
        slots.payment_method_id = None
        methods = [
            m for m in t.tools.customer().payment_methods if m.id != action.payment_method_id
        ]
        if methods:
            return ask_method(t, frame, methods, "payment_purpose_difference", action.order_id)
    if isinstance(error, (VariantUnavailable, OutOfStock)):
        # The option sold out since it was shown: offer what is left.
        slots.targets, slots.staged = {}, None
        order = t.tools.order(action.order_id)
        units = [u for u in order.items if u.id in slots.units]
        if units:
            choose_targets(t, frame, units, None, [""])
            return "ask" if frame.asked == "option" else "done"
    return "done"


def transaction_note(t: Turn, result: OrderView, reason: str) -> str:
    """The store's own record of the difference a change settled."""
    txs = [tx for tx in result.transactions if tx.reason == reason]
    if not txs or txs[-1].amount.amount == 0:
        return phrases.say("settled_none", t.lang)
    tx = txs[-1]
    methods = t.tools.customer().payment_methods
    method = method_named(methods, tx.payment_method_id, t.lang)
    key = "settled_pay" if tx.kind == "payment" else "settled_refund"
    return phrases.say(key, t.lang, amount=render.money(tx.amount), method=method)


# --- the flows ------------------------------------------------------------------------------


def swap_for(t: Turn, frame: Frame, order: OrderView, asked: str | None) -> Step:
    """An item for another option of its product: a change while the order is pending, an
    exchange once it is delivered, whichever word the customer used ("换成蓝色" is both)."""
    if order.status in PENDING:
        kind: Literal["change_items", "request_exchange"] = "change_items"
    elif order.status in DELIVERED:
        kind = "request_exchange"
    else:
        kind = "request_exchange" if frame.job == "exchange" else "change_items"
    try:
        t.tools.check_order(kind, order.id)
    except StoreError as refusal:
        t.refused(refusal)
        return "done"
    if kind == "change_items":
        frame.job = "change_items"
        return stage_swap(
            t, frame, order, asked, action=ChangeItems, template="change_items_staged"
        )
    frame.job = "exchange"
    return stage_swap(t, frame, order, asked, action=RequestExchange, template="exchange_staged")


class ChangeItemsFlow(Flow):
    job = "change_items"

    def run(self, t: Turn, frame: Frame) -> Step:
        asked = frame.asked
        order = pick_shop_order(t, frame, PENDING, CHANGE_WHAT, by_items=True, fallback=DELIVERED)
        if order is None:
            return "ask" if frame.asked == "order" else "done"
        return swap_for(t, frame, order, asked)

    def refused(self, t: Turn, staged: Staged, error: StoreError, frame: Frame) -> Step:
        return swap_refused(t, frame, staged, error)

    def done(self, t: Turn, staged: Staged, result: OrderView | CustomerView) -> None:
        assert isinstance(result, OrderView)
        t.say(
            "change_items_done",
            order_id=result.id,
            items=render.order_items(result, t.lang, t.name_of),
            status=render.status(result.status, t.lang),
            total=render.money(result.total),
            settled=transaction_note(t, result, "items changed"),
        )


# --- address --------------------------------------------------------------------------------

_ADDRESS = re.compile(
    r"(?P<address1>[^,，\n]*?\d[^,，\n]*?)\s*[,，]\s*"
    r"(?:(?P<address2>[^,，\n]+?)\s*[,，]\s*)??"
    r"(?P<city>[^,，\n\d]+?)\s*[,，]\s*"
    r"(?P<state>[^,，\n\d]*?)\s*(?P<zip>\d{5}(?:-\d{4})?|\d{6})\b"
    r"(?:\s*[,，]\s*(?P<country>[A-Za-z][A-Za-z .]*[A-Za-z]|"
    r"中国|韩国|美国|한국|대한민국|미국|중국))?"
)
_COUNTRIES = {
    "usa": "USA",
    "us": "USA",
    "u.s.": "USA",
    "u.s.a.": "USA",
    "united states": "USA",
    "美国": "USA",
    "미국": "USA",
    "china": "China",
    "中国": "China",
    "중국": "China",
    "korea": "South Korea",
    "south korea": "South Korea",
    "republic of korea": "South Korea",
    "韩国": "South Korea",
    "한국": "South Korea",
    "대한민국": "South Korea",
}
_LEAD_IN = re.compile(
    # the last lead-in before the street: "so kind as to change … of my order to 2400 Lyndale"
    r"^.*(?:\bto\b|\bis\b|:|：|改成|改为|改到|寄到|送到|地址是|주소는|주소를|주소)\s*",
    re.IGNORECASE,
)
_LOOKS_LIKE_ADDRESS = re.compile(
    r"\d+\s*[A-Za-z\u4e00-\u9fff\uac00-\ud7af].*[,，]|[,，].*\b\d{5,6}\b", re.IGNORECASE
)
_OTHER_ADDRESS = re.compile(
    r"\b(?:other|another|different|alternate)\b|另一个|另外|其他|别的|다른",
    re.IGNORECASE,
)
_HOME = re.compile(r"\bhome\b|家|집", re.IGNORECASE)
_OFFICE = re.compile(r"\b(?:office|work)\b|公司|办公室|회사|사무실|직장", re.IGNORECASE)


def written_address(text: str, country: str) -> AddressInput | None:
    """A full address written as "street, city, state zip, country"; the country defaults to
    the one the order ships to now."""
    m = _ADDRESS.search(plain_ids(text))
    if m is None:
        return None
    street = m.group("address1").strip()
    lead = _LEAD_IN.match(street)
    if lead and re.search(r"\d", street[lead.end() :]):
        street = street[lead.end() :].strip()
    named = (m.group("country") or "").strip()
    return AddressInput(
        address1=street,
        address2=(m.group("address2") or "").strip(),
        city=m.group("city").strip(),
        state=m.group("state").strip(),
        zip=m.group("zip"),
        country=_COUNTRIES.get(named.lower(), named) or country,
    )


def plain_ids(text: str) -> str:
    return re.sub(r"#?\s?[WL]\s?\d{7}", " ", text, flags=re.IGNORECASE)


def same_address(a: AddressInput | AddressView, b: AddressInput | AddressView) -> bool:
    def key(x: AddressInput | AddressView) -> tuple[str, ...]:
        return tuple(
            normalize(str(getattr(x, f))).strip() for f in ("address1", "address2", "city", "zip")
        )

    return key(a) == key(b)


_UNIT = re.compile(
    r"\b(?P<label>apt|apartment|suite|ste|unit|flat|room)\.?\s*#?\s*(?P<en>[\w-]+)"
    r"|(?:(?P<ko_dong>\d+)\s*동\s*)?(?P<ko>\d+)\s*호"
    r"|(?:(?P<zh_bldg>\d+)\s*号楼\s*)?(?P<zh>\d+)\s*室",
    re.IGNORECASE,
)
_UNIT_WORDS = {"apt": "Apt", "apartment": "Apt", "ste": "Suite"}


def unit_changed(text: str, current: AddressInput) -> AddressInput | None:
    """The order's address with only its apartment or suite changed, when that is all the
    message gives: "Suite 641", "103동 2505호가 아니라 103동 2506호예요", "804 室". The last unit
    named is the new one ("not A but B")."""
    found = list(_UNIT.finditer(plain_ids(text)))
    if not found:
        return None
    m = found[-1]
    old = current.address2
    if m.group("en"):
        label = m.group("label").lower()
        unit = f"{_UNIT_WORDS.get(label, label.capitalize())} {m.group('en')}"
    elif m.group("ko"):
        dong = m.group("ko_dong") or _first(r"(\d+)\s*동", old)
        unit = f"{dong}동 {m.group('ko')}호" if dong else f"{m.group('ko')}호"
    else:
        building = m.group("zh_bldg") or _first(r"(\d+)\s*号楼", old)
        unit = f"{building} 号楼 {m.group('zh')} 室" if building else f"{m.group('zh')} 室"
    if _compact(unit) == _compact(old):
        return None
    return current.model_copy(update={"address2": unit})


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def _first(pattern: str, text: str) -> str | None:
    m = re.search(pattern, text)
    return m.group(1) if m else None


def as_input(address: AddressView) -> AddressInput:
    return AddressInput(
        address1=address.address1,
        address2=address.address2,
        city=address.city,
        state=address.state,
        country=address.country,
        zip=address.zip,
    )


def _address_forms(address: AddressView) -> set[str]:
    forms = {normalize(address.city), normalize(address.state), normalize(address.zip)}
    if address.label:
        forms.add(normalize(address.label))
    for part in re.split(r"[\s,]+", normalize(address.address1)):
        if len(part) >= 3 and not part.isdigit():
            forms.add(part)
        # "北京市朝阳区建国路": a Chinese address runs its parts together; "建国路" names it
        for piece in re.split(r"(?<=[市省区县镇路街道])", part):
            if len(piece) >= 2 and re.search(r"[\u4e00-\u9fff]", piece):
                forms.add(piece)
    for form in list(forms):
        stripped = re.sub(r"[市省区구시]$", "", form)
        if stripped != form and len(stripped) >= 2:
            forms.add(stripped)
    return {f for f in forms if f}


def saved_address(text: str, saved: list[AddressView], current: AddressInput) -> AddressView | None:
    """The saved address the text points at: by label, city, street, or "my other address"."""
    haystack = normalize(plain_ids(text))
    others = [a for a in saved if not same_address(a, current)]
    hits = {a.id: {f for f in _address_forms(a) if mentions(f, haystack)} for a in saved}
    unique = [
        a
        for a in saved
        if any(all(f not in hits[b.id] for b in saved if b.id != a.id) for f in hits[a.id])
    ]
    if len(unique) == 1:
        return unique[0]
    labelled = [a for a in saved if a.label and mentions(normalize(a.label), haystack)]
    if len(labelled) == 1:
        return labelled[0]
    if _OFFICE.search(haystack):
        office = [a for a in saved if a.label and _OFFICE.search(a.label)]
        if len(office) == 1:
            return office[0]
    if _HOME.search(haystack) and not _OTHER_ADDRESS.search(haystack):
        home = [a for a in saved if a.is_default]
        if len(home) == 1:
            return home[0]
    if _OTHER_ADDRESS.search(haystack) and len(others) == 1:
        return others[0]
    return None


class ChangeAddressFlow(Flow):
    job = "change_address"

    def run(self, t: Turn, frame: Frame) -> Step:
        asked = frame.asked
        order = pick_shop_order(t, frame, STILL_PENDING, CHANGE_WHAT)
        if order is None:
            return "ask" if frame.asked == "order" else "done"
        texts = texts_of(t, frame, asked)
        asked = None if asked == "order" else asked
        if order.fulfilment == "pickup" or order.address is None:
            t.say("address_pickup", order_id=order.id)
            return "done"
        try:
            t.tools.check_order("change_address", order.id)
        except StoreError as refusal:
            t.refused(refusal)
            return "done"
        fresh_order(frame, order)
        slots = frame.slots_as(ChangeSlots)
        current = order.address
        saved = t.tools.customer().addresses
        address: AddressInput | None = None
        said = False
        picked = chosen_by_ordinal(t, frame, asked, "address")
        if picked is not None:
            address = next((as_input(a) for a in saved if a.id == picked), None)
            said = address is not None
        for i, text in enumerate(texts):
            if address is not None or (i > 0 and slots.address):
                break
            written = written_address(text, current.country)
            chosen = saved_address(text, saved, current) if written is None else None
            if written is not None or chosen is not None:
                address = written or (as_input(chosen) if chosen else None)
                said = said or i == 0
                break
            unit = unit_changed(text, current)
            if unit is not None:
                # "only the suite number": the rest of the address stays — unless that unit is
                # a saved address's ("113동 1007호 그거"), which is then the one meant.
                address = next(
                    (as_input(a) for a in saved if _compact(a.address2) == _compact(unit.address2)),
                    unit,
                )
                said = said or i == 0
                break
            if i == 0 and _LOOKS_LIKE_ADDRESS.search(plain_ids(text)):
                frame.asked = "address"
                t.say("address_incomplete")
                return "ask"
        if address is None and slots.address:
            address = slots.address
        if address is None:
            return self.ask(t, frame, order.id, current, saved)
        if same_address(address, current):
            t.say("address_same", order_id=order.id, address=render.address_text(current))
            slots.address = None
            return self.ask(t, frame, order.id, current, saved)
        slots.address = address
        change = ChangeAddress(order_id=order.id, address=address)
        if asked is None and not said and same_staging(frame, change):
            return "unknown"
        preview = previewed(t, change)
        if preview is None:
            return "done"
        shown = phrases.say(
            "address_staged",
            t.lang,
            order_id=order.id,
            items=render.order_items(order, t.lang, t.name_of),
            old=render.address_text(current),
            new=render.address_text(address),
        )
        return stage(t, frame, preview, shown)

    @staticmethod
    def ask(
        t: Turn, frame: Frame, order_id: str, current: AddressInput, saved: list[AddressView]
    ) -> Step:
        others = [a for a in saved if not same_address(a, current)]
        remember_choices(frame, "address", [a.id for a in others])
        frame.asked = "address"
        listing = "\n".join(f"{i}. {a.one_line()}" for i, a in enumerate(others, 1))
        t.say(
            "address_pick",
            order_id=order_id,
            current=render.address_text(current),
            addresses=listing or phrases.say("address_none_saved", t.lang),
        )
        return "ask"

    def done(self, t: Turn, staged: Staged, result: OrderView | CustomerView) -> None:
        assert isinstance(result, OrderView)
        shown = render.address_text(result.address) if result.address else ""
        t.say(
            "address_done",
            order_id=result.id,
            address=shown,
            status=render.status(result.status, t.lang),
        )


# --- payment method -------------------------------------------------------------------------


class ChangePaymentFlow(Flow):
    job = "change_payment"

    def run(self, t: Turn, frame: Frame) -> Step:
        asked = frame.asked
        order = pick_shop_order(
            t,
            frame,
            STILL_PENDING,
            CHANGE_WHAT,
            usable=lambda o: t.tools.allows("change_payment", o.id),
        )
        if order is None:
            return "ask" if frame.asked == "order" else "done"
        texts = texts_of(t, frame, asked)
        asked = None if asked == "order" else asked
        try:
            t.tools.check_order("change_payment", order.id)
        except StoreError as refusal:
            t.refused(refusal)
            return "done"
        fresh_order(frame, order)
        slots = frame.slots_as(ChangeSlots)
        paid = order.transactions[0]
        methods = t.tools.customer().payment_methods
        others = [m for m in methods if m.id != paid.payment_method_id]
        if not others:
            t.say("payment_none_other", order_id=order.id)
            return "done"
        by_id = {m.id: m for m in methods}
        method: PaymentMethodView | None = None
        said = False
        picked = chosen_by_ordinal(t, frame, asked, "method")
        if picked in by_id:
            method, said = by_id[picked], True
        for i, text in enumerate(texts):
            if method is not None or (i > 0 and slots.payment_method_id):
                break
            named = named_methods(text, methods)
            if len(named) > 1:
                named = [m for m in named if m.id != paid.payment_method_id]
            if len(named) == 1 and named[0].id == paid.payment_method_id:
                t.refused(SamePaymentMethod(paid.payment_method_id))
                slots.payment_method_id = None
                return ask_method(t, frame, others, "payment_purpose_order", order.id)
            if len(named) > 1:
                return ask_method(t, frame, named, "payment_purpose_order", order.id)
            if named:
                method, said = named[0], i == 0
        if method is None and slots.payment_method_id in by_id:
            method = by_id[slots.payment_method_id or ""]
        if method is None:
            return ask_method(t, frame, others, "payment_purpose_order", order.id)
        change = ChangePayment(order_id=order.id, payment_method_id=method.id)
        try:
            preview = t.tools.preview(change)
        except InsufficientGiftCardBalance as refusal:
            t.refused(refusal)
            slots.payment_method_id = None
            rest = [m for m in others if m.id != method.id]
            if not rest:
                return "done"
            return ask_method(t, frame, rest, "payment_purpose_order", order.id)
        except StoreError as refusal:
            t.refused(refusal)
            return "done"
        slots.payment_method_id = method.id
        if asked is None and not said and same_staging(frame, change):
            return "unknown"
        amount = preview.charged or paid.amount
        shown = phrases.say(
            "payment_staged",
            t.lang,
            order_id=order.id,
            items=render.order_items(order, t.lang, t.name_of),
            old=method_named(methods, paid.payment_method_id, t.lang),
            new=render.method_text(method, t.lang),
            amount=render.money(amount),
        )
        return stage(t, frame, preview, shown)

    def refused(self, t: Turn, staged: Staged, error: StoreError, frame: Frame) -> Step:
        action = staged.action
        assert isinstance(action, ChangePayment)
        if isinstance(error, (InsufficientGiftCardBalance, PaymentDeclined)):
            slots = frame.slots_as(ChangeSlots)
            slots.payment_method_id = slots.staged = None
            methods = [
                m for m in t.tools.customer().payment_methods if m.id != action.payment_method_id
            ]
            if methods:
                return ask_method(t, frame, methods, "payment_purpose_order", action.order_id)
        return "done"

    def done(self, t: Turn, staged: Staged, result: OrderView | CustomerView) -> None:
        assert isinstance(result, OrderView)
        methods = t.tools.customer().payment_methods
        changed = [tx for tx in result.transactions if tx.reason == "payment method changed"]
        paid = next((tx for tx in changed if tx.kind == "payment"), None)
        refund = next((tx for tx in changed if tx.kind == "refund"), None)
        t.say(
            "payment_done",
            order_id=result.id,
            new=method_named(methods, result.payment_method_id, t.lang),
            amount=render.money(paid.amount if paid else result.total),
            refund=render.money(refund.amount if refund else result.total),
            old=method_named(methods, refund.payment_method_id if refund else None, t.lang),
            status=render.status(result.status, t.lang),
        )

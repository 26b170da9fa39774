"""Food and drink from the nearby stores: the dish and its options, pickup or delivery, and a slot
with room, staged with the store's own quote for the customer's yes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from shopkeep.agent import phrases, render
from shopkeep.agent.extract import MENU_WORDS, SIZE_NAMES, match_choices
from shopkeep.agent.flows.base import Flow, Step, Turn
from shopkeep.agent.jobs import Language
from shopkeep.agent.state import FoodSlots, Frame, PaymentWish, SlotOffer, Staged
from shopkeep.agent.tools import ShopTools
from shopkeep.store.actions import PlaceLocalOrder
from shopkeep.store.catalog import normalize
from shopkeep.store.errors import (
    CouponNotApplicable,
    CouponNotFound,
    SlotFull,
    StoreClosed,
    StoreError,
)
from shopkeep.store.local import MenuLine
from shopkeep.store.money import Money
from shopkeep.store.views import (
    AddressInput,
    CustomerView,
    LocalStoreView,
    MenuItemView,
    OptionGroupView,
    OrderView,
    PaymentMethodView,
    Quote,
    QuoteLine,
    localized,
)

T = TypeVar("T")

phrases.register(
    {
        "food_what": {
            "en": "What would you like to order? Nearby stores: {stores}.",
            "zh": "想点些什么呢？附近的门店有：{stores}。",
            "ko": "무엇을 주문하시겠어요? 근처 매장: {stores}.",
        },
        "food_which": {
            "en": 'Which one would you like?\n{items}\nYou can say "the first one" or its name.',
            "zh": "您想要哪一款？\n{items}\n可以说“第一个”或直接说名称。",
            "ko": '어느 메뉴로 할까요?\n{items}\n"첫 번째"처럼 말씀하시거나 메뉴 이름을 '
            "알려 주세요.",
        },
        "food_store_menu": {
            "en": "{store} has, among others:\n{items}\nWhat would you like?",
            "zh": "{store}有这些（部分）：\n{items}\n您想点哪一款？",
            "ko": "{store} 메뉴 중 일부예요:\n{items}\n무엇으로 하시겠어요?",
        },
        "food_ask_option": {
            "en": "Which {group} would you like for the {item}? {choices}",
            "zh": "{item}要哪种{group}？可选：{choices}",
            "ko": "{item}의 {group}은(는) 어떻게 할까요? {choices}",
        },
        "food_no_such_option": {
            "en": "The {item} has no choice of {group}, so it comes as the store makes it.",
            "zh": "{item}不能选{group}，将按门店标准制作。",
            "ko": "{item}은(는) {group}을(를) 고를 수 없어서 매장 기본으로 준비돼요.",
        },
        "food_full": {
            "en": "Sorry, {store} is fully booked at {when}.",
            "zh": "抱歉，{store} {when} 的时段已经约满了。",
            "ko": "죄송해요, {store}은(는) {when}에 예약이 꽉 찼어요.",
        },
        "food_closed": {
            "en": "Sorry, {store} is closed at {when}.",
            "zh": "抱歉，{store} {when} 不营业。",
            "ko": "죄송해요, {store}은(는) {when}에 영업하지 않아요.",
        },
        "food_past": {
            "en": "Sorry, {when} has already passed.",
            "zh": "抱歉，{when} 已经过了。",
            "ko": "죄송해요, {when}은(는) 이미 지났어요.",
        },
        "food_pickup_only": {
            "en": 'Sorry, {store} offers pickup only. Say "pickup" to collect it there, or '
            "choose a store that delivers.",
            "zh": "抱歉，{store}只提供到店自取。说“自取”即可到店取餐，或选择一家可以外送的门店。",
            "ko": '죄송해요, {store}은(는) 픽업만 가능해요. "픽업"이라고 말씀하시거나 배달되는 '
            "매장을 골라 주세요.",
        },
        "food_offers": {
            "en": 'Open slots:\n{offers}\nWhich would you like? You can say a time, "the first '
            "one\" or a store's name.",
            "zh": "可选的时段：\n{offers}\n您想选哪个？可以说时间、“第一个”或门店名称。",
            "ko": '가능한 시간이에요:\n{offers}\n어느 것으로 할까요? 시간이나 "첫 번째", 매장 '
            "이름으로 말씀해 주세요.",
        },
        "food_no_offers": {
            "en": "There is no open slot in the next days at {store} or the stores nearby.",
            "zh": "{store}和附近门店在接下来几天都没有可预约的时段。",
            "ko": "{store}과(와) 근처 매장 모두 앞으로 며칠간 가능한 시간이 없어요.",
        },
        "food_no_address": {
            "en": "I don't have a saved address to deliver to. Shall I make it pickup instead?",
            "zh": "您没有保存的收货地址，无法外送。改为到店自取可以吗？",
            "ko": "배달받을 저장된 주소가 없어요. 픽업으로 바꿔 드릴까요?",
        },
        "food_no_method": {
            "en": "I couldn't find that payment method on your account. Your saved methods: "
            "{methods}. Which one should I use?",
            "zh": "您的账户里没有这个支付方式。已保存的支付方式：{methods}。请问用哪一个？",
            "ko": "계정에 그 결제 수단이 없어요. 저장된 결제 수단: {methods}. 어느 것으로 할까요?",
        },
        "food_staged": {
            "en": "Here is your order from {store}:\n{when}\n{lines}\nShall I place the order? "
            "(yes / no)",
            "zh": "这是您在{store}的订单：\n{when}\n{lines}\n确认下单吗？（是/否）",
            "ko": "{store} 주문 내용이에요:\n{when}\n{lines}\n주문할까요? (네/아니요)",
        },
        "food_when": {
            "en": "{mode} at {when}",
            "zh": "{mode}时间：{when}",
            "ko": "{mode} 시간: {when}",
        },
        "food_done": {
            "en": "Your order {order_id} is placed with {store}: {mode} at {when}. Total {total}.",
            "zh": "订单 {order_id} 已在{store}下单成功：{mode}时间 {when}，合计 {total}。",
            "ko": "{store}에 주문 {order_id}이(가) 접수되었어요. {mode} 시간은 {when}, "
            "합계는 {total}이에요.",
        },
    }
)

MODES: dict[str, dict[Language, str]] = {
    "pickup": {"en": "Pickup", "zh": "自取", "ko": "픽업"},
    "delivery": {"en": "Delivery", "zh": "外送", "ko": "배달"},
}
KIND_NAMES: dict[str, dict[Language, str]] = {
    "bubble_tea": {"en": "bubble tea", "zh": "奶茶", "ko": "버블티"},
    "noodles": {"en": "noodles", "zh": "面食", "ko": "면 요리"},
}
DELIVER_TO: dict[Language, str] = {"en": "Deliver to", "zh": "配送地址", "ko": "배달 주소"}
TOMORROW: dict[Language, str] = {"en": "tomorrow", "zh": "明天", "ko": "내일"}

# What a customer calls a kind of store when they name no dish.
KIND_WORDS: dict[str, re.Pattern[str]] = {
    "bubble_tea": re.compile(r"bubble\s*tea|boba|milk\s*tea|奶茶|珍奶|波霸|버블\s*티|밀크\s*티"),
    "noodles": re.compile(r"noodle|ramen|面条|吃面|拉面|국수|누들|(?<![가-힣])면(?![가-힣])"),
}
DELIVERY = re.compile(r"deliver|送到|送过来|配送|外卖|外送|送餐|배달|딜리버리")
PICKUP = re.compile(
    r"pick\s*-?\s*(?:it\s+)?up|collect|take\s*-?\s*away|自取|自提|到店取|来取|去取|取餐|픽업|"
    r"포장|가지러|찾으러"
)
# "Now" alone is often filler ("make it 2 now"), so only in the phrases that ask for the soonest.
SOONEST = re.compile(
    r"(?<![a-z])(?:asap|right\s+away|immediately|as\s+soon\s+as\s+possible|soonest|earliest|"
    r"(?:right|for|it|them|one|up|order|get|want|need|ready|deliver|delivered)\s+now|"
    r"now\s*,?\s*(?:please|pls)|^\W*now\W*$)(?![a-z])"
    r"|马上|立刻|立即|尽快|最快|越快越好|现在就|现在要|现在取|现在送|现在点"
    r"|지금\s*(?:바로|당장|픽업|주문|가지러|받을|배달)|바로|당장|최대한\s*빨리|가장\s*빨리|빨리"
)
PAYMENT_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("gift_card", re.compile(r"gift\s*card|礼品卡|礼物卡|기프트\s*카드|상품권")),
    ("paypal", re.compile(r"pay\s*pal|贝宝|페이팔")),
    (
        "credit_card",
        re.compile(
            r"credit\s*card|debit\s*card|(?<![a-z])card(?![a-z])|visa|master\s*card|amex|"
            r"信用卡|银行卡|刷卡|신용\s*카드|체크\s*카드|카드"
        ),
    ),
)
LAST_FOUR = re.compile(r"(?:ending|ends|尾号|끝자리|끝번호)\D{0,6}(\d{4})(?!\d)")

# Words of dish names that many dishes share: they count, but less than a dish's own words.
GENERIC_TERMS = frozenset(
    {"tea", "milk", "green", "black", "noodle", "noodles", "soup"}
    | {"茶", "奶", "面", "汤", "绿", "红", "鲜"}
    | {"밀크티", "녹차", "그린티", "홍차", "우유", "밀크", "국수", "티", "차"}
)
EN_STOP = frozenset(("and", "with", "of", "the"))
STORE_TAIL = re.compile(
    r"\s*(?:tea\s+house|tea|house|shop|store|cafe|茶饮|茶屋|面馆|홍대점|다방|면옥|티)$"
)
THRESHOLD: dict[str, float] = {"en": 1.0, "ko": 1.0, "zh": 1.5}
"""The weight of a dish's words a message must mention to name it; one Chinese character is
too little, since option words (半糖, 大杯) share characters with dish names (黑糖)."""

SEP = "\x1f"


# --- the menus, read once a turn -------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    item: MenuItemView
    score: float
    full: bool
    """Every word of the dish's name (in one language) was said."""


@dataclass(frozen=True)
class Menus:
    """The active stores and their available dishes, in store and menu order."""

    stores: dict[str, LocalStoreView]
    items: dict[str, MenuItemView]

    @classmethod
    def read(cls, tools: ShopTools) -> Menus:
        local = tools.store.local
        menus = local.menus()
        stores = {s.id: s for s in local.stores() if s.id in menus}
        items = {i.id: i for sid in stores for i in menus[sid] if i.available}
        return cls(stores, items)

    def of(self, store_id: str) -> list[MenuItemView]:
        return [i for i in self.items.values() if i.store_id == store_id]

    def names(self) -> list[str]:
        return [normalize(n) for i in self.items.values() for n in i.name.values()]

    def store_keys(self) -> list[tuple[str, str]]:
        """(key, store id), longest first: what a customer may call each store. Words that are
        also in a dish's name (黑糖, 흑당) are left out, so a dish is never taken for a store."""
        dishes = self.names()
        keys: set[tuple[str, str]] = set()
        for store in self.stores.values():
            for name in store.name.values():
                head = re.split(r"[,，]", re.sub(r"[（(].*?[)）]", "", normalize(name)))[0].strip()
                found = {head, head.split()[0] if head.split() else head}
                short = head
                while STORE_TAIL.search(short):
                    short = STORE_TAIL.sub("", short).strip()
                found.add(short)
                keys |= {
                    (k, store.id)
                    for k in found
                    if len(k) >= 2 and not any(k in dish for dish in dishes)
                }
        return sorted(keys, key=lambda k: -len(k[0]))

    def mentioned_store(self, text: str) -> tuple[str | None, str]:
        """The store the text names, if any, and the text without the store's name."""
        found: str | None = None
        for key, store_id in self.store_keys():
            span = _find(key, text)
            if span is not None:
                found = found or store_id
                text = text[: span[0]] + " " + text[span[1] :]
        return found, text


def _find(phrase: str, text: str) -> tuple[int, int] | None:
    if re.match(r"[a-z0-9]", phrase):
        m = re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text)
        return m.span() if m else None
    squeezed = phrase.replace(" ", "")
    for candidate in dict.fromkeys((phrase, squeezed)):
        at = text.find(candidate)
        if at >= 0:
            return at, at + len(candidate)
    return None


def _main(name: str) -> str:
    return re.sub(r"\s*[（(].*?[)）]\s*", " ", normalize(name)).strip()


def _terms(name: str, lang: str) -> tuple[list[str], list[str]]:
    """A dish name's words in its language: (all words, the words outside brackets)."""
    full, main = normalize(name), _main(name)
    if lang == "zh":
        return re.findall(r"[\u4e00-\u9fff]", full), re.findall(r"[\u4e00-\u9fff]", main)
    pattern = r"[a-z]{2,}" if lang == "en" else r"[가-힣a-z]+"
    every = [w for w in re.findall(pattern, full) if w not in EN_STOP]
    return every, [w for w in re.findall(pattern, main) if w not in EN_STOP]


def _said(term: str, lang: str, text: str, squeezed: str) -> bool:
    if lang == "en":
        stem = term[:-1] if term.endswith("s") and len(term) > 3 else term
        return re.search(rf"(?<![a-z]){re.escape(stem)}(?:s|es)?(?![a-z])", text) is not None
    return term in (squeezed if lang == "ko" else text)


def _weight(term: str) -> float:
    return 0.5 if term in GENERIC_TERMS else 1.0


def score(text: str, item: MenuItemView) -> Hit:
    """How well the text names the dish: the weight of its words said, in the best language."""
    squeezed = text.replace(" ", "")
    best = Hit(item, 0.0, False)
    for lang, name in item.name.items():
        every, main = _terms(name, lang)
        said = {w for w in every if _said(w, lang, text, squeezed)}
        total = sum(_weight(w) for w in said)
        if total < THRESHOLD.get(lang, 1.0):
            continue
        hit = Hit(item, total, bool(main) and all(w in said for w in main))
        if (hit.score, hit.full) > (best.score, best.full):
            best = hit
    return best


def find_dishes(
    text: str, pool: Iterable[MenuItemView], prefer: str | None = None
) -> tuple[MenuItemView | None, list[str]]:
    """The dish the text names, or the ids of up to 3 it might mean, best first; among equals,
    those of the store `prefer` (where the customer is already ordering)."""
    hits = [h for h in (score(text, item) for item in pool) if h.score > 0]
    if not hits:
        return None, []
    top = max(h.score for h in hits)
    tied = [h for h in hits if h.score == top]
    tied = [h for h in tied if h.item.store_id == prefer] or tied
    full = [h for h in tied if h.full]
    if len(tied) == 1:
        return tied[0].item, []
    if len(full) == 1:
        return full[0].item, []
    return None, [h.item.id for h in (full or tied)][:3]


def without_name(text: str, item: MenuItemView) -> str:
    """The text less the dish's name, so its words are not read as options ("Cheese Foam
    Oolong" is not a cheese-foam topping, 黑糖 is no sweetness)."""
    for name in sorted(item.name.values(), key=len, reverse=True):
        for form in (normalize(name), _main(name)):
            span = _find(form, text)
            if span is not None:
                return text[: span[0]] + " " + text[span[1] :]
    for lang, name in item.name.items():
        main = _main(name)
        if lang == "zh":
            for size in range(len(main), 1, -1):
                for start in range(len(main) - size + 1):
                    part = main[start : start + size]
                    if len(part.strip()) == size and part in text:
                        text = text.replace(part, " ", 1)
        else:
            for word in _terms(name, lang)[0]:
                span = _find(word, text) if lang == "en" else None
                if lang == "ko" and word in text:
                    text = text.replace(word, " ", 1)
                elif span is not None:
                    text = text[: span[0]] + " " + text[span[1] :]
    return text


def option_words(
    groups: Iterable[OptionGroupView], keep_out: list[str], *, codes: bool = True
) -> list[str]:
    """Option words (sizes, ice, sweetness...) to take out of a message before reading the dish
    from it, except those that are part of a dish's name in `keep_out`; with `codes`, also the
    short words the choices are known by ("pearls", "beef")."""
    forms: set[str] = set()
    for group in groups:
        for choice in group.choices:
            for name in choice.name.values():
                forms |= {normalize(name), _main(name)}
            if codes and not choice.code.isdigit():
                forms.add(choice.code.replace("_", " "))
    for lexicon in (SIZE_NAMES, MENU_WORDS):
        for entry in lexicon.values():
            forms |= {normalize(n) for names in entry.values() for n in names}
    kept = [f for f in forms if len(f) >= 2 and not any(f in dish for dish in keep_out)]
    return sorted(kept, key=len, reverse=True)


def take_out(text: str, words: Iterable[str]) -> str:
    for word in words:
        while (span := _find(word, text)) is not None:
            text = text[: span[0]] + " " + text[span[1] :]
    return text


def read_options(
    text: str, groups: list[OptionGroupView], chosen: dict[str, Any]
) -> dict[str, Any]:
    """The options the text names, over those chosen before; a later word for a one-choice group
    replaces the earlier one, a multi-choice group (toppings) collects up to its maximum."""
    choices: dict[str, dict[str, str]] = {}
    for group in groups:
        for choice in group.choices:
            names = dict(choice.name)
            if not choice.code.isdigit():
                names["code"] = choice.code.replace("_", " ")
            # Groups in menu order: where two groups share a word ("regular"), the first wins.
            choices[f"{group.code}{SEP}{choice.code}"] = names
    out = dict(chosen)
    by_code = {g.code: g for g in groups}
    for key in match_choices(text, choices):
        code, pick = key.split(SEP)
        group = by_code[code]
        if group.max_choices == 1:
            out[code] = pick
        else:
            picks = [p for p in out.get(code, []) if p != pick] + [pick]
            out[code] = picks[-group.max_choices :]
    return out


# --- times -----------------------------------------------------------------------------------


def _floor(store: LocalStoreView, moment: datetime) -> datetime:
    """The start of the slot `moment` falls in (slots are counted from the epoch, as the store
    counts them)."""
    step = store.slot_minutes * 60
    return datetime.fromtimestamp(int(moment.timestamp()) // step * step, tz=moment.tzinfo)


def _ceil(store: LocalStoreView, moment: datetime) -> datetime:
    step = store.slot_minutes * 60
    return datetime.fromtimestamp(-(-int(moment.timestamp()) // step) * step, tz=moment.tzinfo)


def when_text(moment: datetime, store: LocalStoreView, now: datetime, lang: Language) -> str:
    """HH:MM in the store's time zone, with the day when it is not today."""
    zone = ZoneInfo(store.timezone)
    local = moment.astimezone(zone)
    today = now.astimezone(zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return clock
    if local.date() == today + timedelta(days=1):
        return f"{TOMORROW[lang]} {clock}"
    day = local.date()
    return {
        "en": f"{day:%a %d %b} {clock}",
        "zh": f"{day.month}月{day.day}日 {clock}",
        "ko": f"{day.month}월 {day.day}일 {clock}",
    }[lang]


# --- the flow --------------------------------------------------------------------------------


@dataclass
class Unavailable:
    reason: str  # full | closed | past | pickup_only
    at: datetime


class FoodFlow(Flow):
    """Slots kept in the frame: item (menu item id), quantity, options {group: choice},
    pending (texts read before the dish was known), fulfilment, day (0 today, 1 tomorrow...),
    time ("HH:MM"; none for the soonest slot), payment_method_id, coupon, candidates and offers
    (what the last reply listed, for "the first one")."""

    job = "food"

    def run(self, t: Turn, frame: Frame) -> Step:
        menus = Menus.read(t.tools)
        if not menus.stores:
            t.say("food_what", stores="-")
            return "done"
        sl = frame.slots_as(FoodSlots)
        text = normalize(t.text)
        store_named, text = menus.mentioned_store(text)
        heard = store_named is not None

        if frame.asked == "slot" and sl.offers and self._pick_offer(t, sl, menus):
            heard, store_named = True, None
        elif frame.asked == "item" and t.x.ordinal is not None and sl.candidates:
            picked = _nth(sl.candidates, t.x.ordinal)
            if picked in menus.items:
                self._set_item(sl, menus.items[picked])
                heard = True
        elif frame.asked and frame.asked.startswith("option:") and t.x.ordinal is not None:
            heard = self._pick_option(sl, menus, frame.asked.split(":", 1)[1], t.x.ordinal)
        elif frame.asked == "fulfilment" and t.x.bare_answer:
            # "Shall I make it pickup instead?"
            if t.x.deny:
                t.say("dropped")
                return "done"
            sl.fulfilment = "pickup"
            heard = True

        heard = self._read_dish(t, sl, menus, store_named, text) or heard
        heard = self._read_details(t, sl, text) or heard
        current = menus.items.get(sl.item or "")
        if current is not None:
            heard = self._read_options(t, sl, menus, current, text) or heard
        elif text.strip():
            sl.pending.append(text)

        if not heard and (frame.asked is not None or current is not None):
            return "unknown"
        return self._next(t, frame, menus)

    # --- reading the message ---------------------------------------------------------------

    def _read_dish(
        self, t: Turn, sl: FoodSlots, menus: Menus, store_named: str | None, text: str
    ) -> bool:
        current = menus.items.get(sl.item or "")
        kind = next((k for k, words in KIND_WORDS.items() if words.search(text)), None)
        if store_named is not None:
            sl.store = store_named
        pool = menus.of(store_named) if store_named else list(menus.items.values())
        if kind and not store_named and current is None:
            pool = [i for i in pool if menus.stores[i.store_id].kind == kind] or pool
        prefer = sl.store
        if current is not None:
            words = option_words(current.option_groups, [])
            dish, candidates = find_dishes(take_out(text, words), pool, prefer)
        else:
            # First without every option's full name, even one inside a dish's name ("beef
            # soup with buckwheat noodles" is not the cold buckwheat noodles); if that leaves no
            # single dish, without only the option words no dish's name contains.
            groups = _all_groups(menus)
            words = option_words(groups, [], codes=False)
            dish, candidates = find_dishes(take_out(text, words), pool, prefer)
            if dish is None:
                words = option_words(groups, menus.names())
                dish, candidates = find_dishes(take_out(text, words), pool, prefer)
        if dish is not None:
            if current is None or dish.id != current.id:
                self._set_item(sl, dish)
            return True
        if candidates:
            sl.candidates = candidates
            sl.choose = True
            return True
        if store_named is not None and current is not None and current.store_id != store_named:
            other = substitute(current, menus.of(store_named))
            if other is not None:
                self._set_item(sl, other)
            else:
                sl.item = None
            return True
        if store_named is not None:
            sl.candidates = []  # a list from before: the store's menu is shown instead
        if current is None and kind is not None:
            sl.kind = kind
            return True
        return False

    def _read_details(self, t: Turn, sl: FoodSlots, text: str) -> bool:
        heard = False
        x = t.x
        if x.quantity is not None:
            sl.quantity = x.quantity
            heard = True
        pickup, delivery = PICKUP.search(text), DELIVERY.search(text)
        if pickup or delivery:
            last = max((m for m in (pickup, delivery) if m), key=lambda m: m.start())
            sl.fulfilment = "delivery" if last is delivery else "pickup"
            heard = True
        if x.times:
            hour, minute = x.times[0]
            sl.time = f"{hour:02d}:{minute:02d}"
            heard = True
        if x.relative_day is not None:
            sl.day = x.relative_day
            heard = True
        if SOONEST.search(text) and not x.times:
            sl.time = None
            sl.day = None
            heard = True
        if x.times or x.relative_day is not None or SOONEST.search(text):
            sl.offers = []
        for kind, pattern in PAYMENT_KINDS:
            if pattern.search(text):
                four = LAST_FOUR.search(text)
                sl.payment = PaymentWish(kind=kind, last_four=four.group(1) if four else None)
                sl.payment_method_id = None
                heard = True
                break
        if x.coupon_codes:
            sl.coupon_code = x.coupon_codes[0]
            heard = True
        return heard

    def _read_options(
        self, t: Turn, sl: FoodSlots, menus: Menus, item: MenuItemView, text: str
    ) -> bool:
        texts, sl.pending = [*sl.pending, text], []
        chosen: dict[str, Any] = dict(sl.options)
        before = dict(chosen)
        store_groups = _store_groups(menus, item.store_id)
        own = {g.code for g in item.option_groups}
        for said in texts:
            # Read against all the store's groups at once, so a word two groups share stays
            # with the first ("regular" is a size), and a choice this dish does not have (the
            # sweetness of a fixed-sugar drink) is told rather than dropped in silence.
            named = read_options(without_name(said, item), store_groups, chosen)
            for group in store_groups:
                if group.code not in own and group.code in named:
                    t.say(
                        "food_no_such_option",
                        item=localized(item.name, t.lang),
                        group=localized(group.name, t.lang),
                    )
            chosen = {code: value for code, value in named.items() if code in own}
        sl.options = chosen
        return chosen != before

    def _set_item(self, sl: FoodSlots, item: MenuItemView) -> None:
        sl.item, sl.store = item.id, item.store_id
        sl.candidates, sl.choose, sl.kind = [], False, None
        # Options carry over to the new dish where it has the same group and choice.
        valid = {g.code: {c.code for c in g.choices} for g in item.option_groups}
        kept: dict[str, Any] = {}
        for code, value in sl.options.items():
            if code not in valid:
                continue
            if isinstance(value, list):
                value = [v for v in value if v in valid[code]]
                if value:
                    kept[code] = value
            elif value in valid[code]:
                kept[code] = value
        sl.options = kept

    def _pick_option(self, sl: FoodSlots, menus: Menus, code: str, ordinal: int) -> bool:
        item = menus.items.get(sl.item or "")
        group = next((g for g in item.option_groups if g.code == code), None) if item else None
        if group is None:
            return False
        choice = _nth([c.code for c in group.choices], ordinal)
        if choice is None:
            return False
        options = dict(sl.options)
        options[code] = choice if group.max_choices == 1 else [choice]
        sl.options = options
        return True

    def _pick_offer(self, t: Turn, sl: FoodSlots, menus: Menus) -> bool:
        offers = sl.offers
        chosen: SlotOffer | None = None
        if t.x.ordinal is not None:
            chosen = _nth(offers, t.x.ordinal)
        else:
            store_named, _ = menus.mentioned_store(normalize(t.text))
            fitting = [o for o in offers if store_named is None or o.store_id == store_named]
            if t.x.times:
                hour, minute = t.x.times[0]
                clock = f"{hour:02d}:{minute:02d}"
                fitting = [
                    o
                    for o in fitting
                    if _local(o.slot, menus.stores[o.store_id]).strftime("%H:%M") == clock
                ]
                here = [o for o in fitting if o.store_id == sl.store]
                fitting = here or fitting
                if fitting:
                    chosen = fitting[0]
            elif store_named is not None and fitting:
                chosen = fitting[0]
        if chosen is None or chosen.store_id not in menus.stores:
            return False
        store = menus.stores[chosen.store_id]
        item = menus.items.get(chosen.item or "")
        if item is not None and item.id != sl.item:
            self._set_item(sl, item)
        sl.store = store.id
        slot = _local(chosen.slot, store)
        today = _local(t.tools.store.ctx.clock().isoformat(), store).date()
        sl.day = (slot.date() - today).days
        sl.time = slot.strftime("%H:%M")
        sl.offers = []
        return True

    # --- deciding what comes next ----------------------------------------------------------

    def _next(self, t: Turn, frame: Frame, menus: Menus) -> Step:
        sl = frame.slots_as(FoodSlots)
        item = menus.items.get(sl.item or "")
        if item is None or sl.choose:
            return self._ask_dish(t, frame, menus)
        store = menus.stores[item.store_id]
        for group in item.option_groups:
            given = sl.options.get(group.code)
            if group.required and group.default_choice is None and not given:
                choices = ", ".join(
                    _choice_text(c.name, c.price_delta, t.lang) for c in group.choices
                )
                frame.asked = f"option:{group.code}"
                t.say(
                    "food_ask_option",
                    group=localized(group.name, t.lang),
                    item=localized(item.name, t.lang),
                    choices=choices,
                )
                return "ask"
        customer = t.tools.customer()
        fulfilment = sl.fulfilment or "pickup"
        if fulfilment == "delivery" and customer.default_address is None:
            frame.asked = "fulfilment"
            t.say("food_no_address")
            return "ask"
        method = self._method(t, frame, customer)
        if method is None:
            return "ask"
        need = sl.quantity or 1
        now = t.tools.store.ctx.clock()
        if fulfilment == "delivery" and not store.offers_delivery:
            return self._offer(
                t, frame, menus, item, Unavailable("pickup_only", self._wanted(sl, store, now)[0])
            )
        chosen = self._slot(t, sl, store, need, now)
        if isinstance(chosen, Unavailable):
            return self._offer(t, frame, menus, item, chosen)
        return self._stage(t, frame, store, item, chosen, method, customer)

    def _ask_dish(self, t: Turn, frame: Frame, menus: Menus) -> Step:
        sl = frame.slots_as(FoodSlots)
        candidates: list[str] = [c for c in sl.candidates if c in menus.items]
        store_id = sl.store
        if store_id is not None and not candidates and store_id in menus.stores:
            candidates = [i.id for i in menus.of(store_id)][:5]
            sl.candidates = candidates
            frame.asked = "item"
            t.say(
                "food_store_menu",
                store=localized(menus.stores[store_id].name, t.lang),
                items=self._dish_list(candidates, menus, t.lang),
            )
            return "ask"
        if not candidates and sl.kind:
            kind = sl.kind
            stores = [s for s in menus.stores.values() if s.kind == kind]
            # One dish from each store of the kind first, so the customer sees the choice of stores.
            firsts = [menus.of(s.id)[0].id for s in stores if menus.of(s.id)]
            rest = [i.id for s in stores for i in menus.of(s.id) if i.id not in firsts]
            candidates = (firsts + rest)[:3]
            sl.candidates = candidates
        if candidates:
            frame.asked = "item"
            t.say("food_which", items=self._dish_list(candidates, menus, t.lang))
            return "ask"
        frame.asked = "item"
        listed = ", ".join(
            f"{localized(s.name, t.lang)} ({KIND_NAMES.get(s.kind, {}).get(t.lang, s.kind)})"
            for s in menus.stores.values()
        )
        t.say("food_what", stores=listed)
        return "ask"

    def _dish_list(self, ids: list[str], menus: Menus, lang: Language) -> str:
        lines = []
        for n, item_id in enumerate(ids, 1):
            item = menus.items[item_id]
            store = localized(menus.stores[item.store_id].name, lang)
            price = render.money(item.price)
            lines.append(f"{n}. {localized(item.name, lang)} — {store} — {price}")
        return "\n".join(lines)

    def _method(self, t: Turn, frame: Frame, customer: CustomerView) -> PaymentMethodView | None:
        sl = frame.slots_as(FoodSlots)
        methods = customer.payment_methods
        wanted = sl.payment
        if wanted:
            fitting = [
                m
                for m in methods
                if m.source == wanted.kind and (wanted.last_four in (None, m.last_four))
            ]
            if not fitting:
                sl.payment = None
                frame.asked = "payment"
                listed = ", ".join(render.method_text(m, t.lang) for m in methods) or "-"
                t.say("food_no_method", methods=listed)
                return None
            sl.payment_method_id = fitting[0].id
            sl.payment = None
        chosen = next((m for m in methods if m.id == sl.payment_method_id), None)
        if chosen is None and methods:
            chosen = methods[0]
        if chosen is None:
            t.say("food_no_method", methods="-")
            frame.asked = "payment"
        return chosen

    def _wanted(self, sl: FoodSlots, store: LocalStoreView, now: datetime) -> tuple[datetime, bool]:
        """The moment asked for in the store's zone, and whether a time of day was given (else
        it is the start of the day asked for, or now: the soonest slot)."""
        zone = ZoneInfo(store.timezone)
        today: date = now.astimezone(zone).date()
        day = sl.day
        clock = sl.time
        if clock is None and day is None:
            return now, False
        on = today + timedelta(days=int(day or 0))
        if clock is None:
            return datetime(on.year, on.month, on.day, tzinfo=zone), False
        hour, minute = (int(p) for p in str(clock).split(":"))
        return datetime(on.year, on.month, on.day, hour, minute, tzinfo=zone), True

    def _slot(
        self, t: Turn, sl: FoodSlots, store: LocalStoreView, need: int, now: datetime
    ) -> datetime | Unavailable:
        local = t.tools.store.local
        moment, exact = self._wanted(sl, store, now)
        if not exact:
            free = local.slots(store.id, start=max(moment, now), need=need, count=1)
            return free[0].starts_at if free else Unavailable("closed", max(moment, now))
        start = _floor(store, moment)
        if start < _ceil(store, now):
            if moment < now:
                return Unavailable("past", moment)
            start = _ceil(store, now)  # the slot asked for has begun: the next one
        if not local.is_open_at(store.id, start):
            return Unavailable("closed", start)
        free = local.slots(store.id, start=start, need=need, count=1)
        if free and free[0].starts_at == start:
            return start
        return Unavailable("full", start)

    def _offer(
        self, t: Turn, frame: Frame, menus: Menus, item: MenuItemView, why: Unavailable
    ) -> Step:
        sl = frame.slots_as(FoodSlots)
        store = menus.stores[item.store_id]
        need = sl.quantity or 1
        now = t.tools.store.ctx.clock()
        start = max(why.at, now)
        local = t.tools.store.local
        offers: list[SlotOffer] = []
        if why.reason != "pickup_only":
            offers = [
                SlotOffer(store_id=store.id, item=item.id, slot=s.starts_at.isoformat())
                for s in local.slots(store.id, start=start, need=need, count=3)
            ]
        offers += self._nearby(t, menus, store, item, start, need, why.reason == "pickup_only")
        return self._show_offers(t, frame, menus, store, why, offers)

    def _nearby(
        self,
        t: Turn,
        menus: Menus,
        store: LocalStoreView,
        item: MenuItemView,
        start: datetime,
        need: int,
        delivering: bool,
    ) -> list[SlotOffer]:
        others = sorted(
            (
                s
                for s in menus.stores.values()
                if s.id != store.id
                and s.kind == store.kind
                and s.city == store.city
                and (s.offers_delivery or not delivering)
            ),
            key=lambda s: (s.area != store.area, s.id),
        )
        found = []
        for other in others:
            dish = substitute(item, menus.of(other.id))
            free = t.tools.store.local.slots(other.id, start=start, need=need, count=1)
            if dish is not None and free:
                found.append(
                    SlotOffer(store_id=other.id, item=dish.id, slot=free[0].starts_at.isoformat())
                )
        return found

    def _show_offers(
        self,
        t: Turn,
        frame: Frame,
        menus: Menus,
        store: LocalStoreView,
        why: Unavailable,
        offers: list[SlotOffer],
    ) -> Step:
        sl = frame.slots_as(FoodSlots)
        now = t.tools.store.ctx.clock()
        name = localized(store.name, t.lang)
        if why.reason == "pickup_only":
            t.say("food_pickup_only", store=name)
        else:
            when = when_text(why.at, store, now, t.lang)
            t.say(f"food_{why.reason}", store=name, when=when)
        if not offers:
            if why.reason != "pickup_only":
                t.say("food_no_offers", store=name)
            frame.asked = "fulfilment" if why.reason == "pickup_only" else None
            sl.offers = []
            return "ask" if why.reason == "pickup_only" else "done"
        current = sl.item
        lines = []
        for n, offer in enumerate(offers, 1):
            at = menus.stores[offer.store_id]
            slot = datetime.fromisoformat(offer.slot)
            line = f"{n}. {when_text(slot, at, now, t.lang)} — {localized(at.name, t.lang)}"
            dish = menus.items.get(offer.item or "")
            if dish is not None and dish.id != current:
                aside = f"{localized(dish.name, t.lang)}{render.SEP[t.lang]}"
                line += _aside(aside + render.money(dish.price), t.lang)
            lines.append(line)
        sl.offers = offers
        frame.asked = "slot"
        t.say("food_offers", offers="\n".join(lines))
        return "ask"

    def _stage(
        self,
        t: Turn,
        frame: Frame,
        store: LocalStoreView,
        item: MenuItemView,
        slot: datetime,
        method: PaymentMethodView,
        customer: CustomerView,
    ) -> Step:
        sl = frame.slots_as(FoodSlots)
        fulfilment = sl.fulfilment or "pickup"
        line = MenuLine(menu_item_id=item.id, quantity=sl.quantity or 1, options=dict(sl.options))
        quote = self._quote(t, sl, store, line, fulfilment)
        if quote is None:
            return "done"
        home = customer.default_address if fulfilment == "delivery" else None
        address = (
            AddressInput(**home.model_dump(include=set(AddressInput.model_fields)))
            if home is not None
            else None
        )
        order = PlaceLocalOrder(
            store_id=store.id,
            lines=(line,),
            slot_start=slot.astimezone(ZoneInfo(store.timezone)),
            payment_method_id=method.id,
            fulfilment=fulfilment,
            address=address,
            coupon_code=quote.coupon_code,
            expected_total=quote.total,
        )
        try:
            preview = t.tools.preview(order)
        except StoreError as refusal:
            t.refused(refusal)
            return "done"
        assert preview.quote is not None
        now = t.tools.store.ctx.clock()
        rows = [self._line_text(q, item, t.lang) for q in preview.quote.lines]
        rows += _totals(preview.quote, fulfilment, t.lang)
        if home is not None:
            rows.append(f"{DELIVER_TO[t.lang]}: {home.one_line()}")
        rows.append(f"{render.label('pay_with', t.lang)}: {render.method_text(method, t.lang)}")
        shown = phrases.say(
            "food_staged",
            t.lang,
            store=localized(store.name, t.lang),
            when=phrases.say(
                "food_when",
                t.lang,
                mode=MODES[fulfilment][t.lang],
                when=when_text(slot, store, now, t.lang),
            ),
            lines="\n".join(rows),
        )
        t.tools.stage(preview, self.job, shown)
        t.add(shown)
        frame.asked = None
        sl.offers = []
        return "staged"

    def _quote(
        self, t: Turn, sl: FoodSlots, store: LocalStoreView, line: MenuLine, how: str
    ) -> Quote | None:
        local = t.tools.store.local
        lines = [line]
        try:
            return local.quote(
                t.tools.customer_id, store.id, lines, fulfilment=how, coupon_code=sl.coupon_code
            )
        except (CouponNotFound, CouponNotApplicable) as error:
            # The coupon is explained and left out; the order itself can still go ahead.
            t.refused(error)
            sl.coupon_code = None
        except StoreError as error:
            t.refused(error)
            return None
        try:
            return local.quote(t.tools.customer_id, store.id, lines, fulfilment=how)
        except StoreError as error:
            t.refused(error)
            return None

    def _line_text(self, line: QuoteLine, item: MenuItemView, lang: Language) -> str:
        groups = {g.code: g for g in item.option_groups}
        shown = []
        for code, value in line.options.items():
            group = groups.get(code)
            picks = value if isinstance(value, list) else [value]
            names = {c.code: localized(c.name, lang) for c in group.choices} if group else {}
            shown += [names.get(p, p) for p in picks]
        name = localized(item.name, lang)
        if shown:
            name += _aside(render.SEP[lang].join(shown), lang)
        return f"- {name} × {line.quantity}: {render.money(line.line_total)}"

    # --- after the customer's answer -------------------------------------------------------

    def done(self, t: Turn, staged: Staged, result: OrderView | CustomerView) -> None:
        assert isinstance(result, OrderView) and isinstance(staged.action, PlaceLocalOrder)
        action = staged.action
        store = t.tools.store.local.store(action.store_id)
        t.say(
            "food_done",
            order_id=result.id,
            store=localized(store.name, t.lang),
            mode=MODES[action.fulfilment][t.lang].lower(),
            when=when_text(action.slot_start, store, t.tools.store.ctx.clock(), t.lang),
            total=render.money(result.total),
        )

    def refused(self, t: Turn, staged: Staged, error: StoreError, frame: Frame) -> Step:
        """The slot filled up (or closed) between the summary and the yes: offer what the store
        says is still open, here and nearby, and wait for the customer's pick."""
        action = staged.action
        if not isinstance(error, SlotFull | StoreClosed) or not isinstance(action, PlaceLocalOrder):
            return "done"
        menus = Menus.read(t.tools)
        store = menus.stores.get(action.store_id)
        item = menus.items.get(action.lines[0].menu_item_id)
        if store is None or item is None:
            return "done"
        offers = []
        for alternative in error.details.get("alternatives") or []:
            at = menus.stores.get(alternative.get("store_id", ""))
            if at is None:
                continue
            dish = item if at.id == store.id else substitute(item, menus.of(at.id))
            if dish is not None:
                offers.append(SlotOffer(store_id=at.id, item=dish.id, slot=alternative["slot"]))
        slots = frame.slots_as(FoodSlots)
        slots.item, slots.store = item.id, store.id
        why = Unavailable("full" if isinstance(error, SlotFull) else "closed", action.slot_start)
        return self._show_offers(t, frame, menus, store, why, offers)


# --- helpers ---------------------------------------------------------------------------------


def substitute(item: MenuItemView, menu: list[MenuItemView]) -> MenuItemView | None:
    """The dish on another store's menu closest to `item`: sharing the most name words, then
    of the same category, then first on the menu."""
    if not menu:
        return None
    query = " ".join(normalize(n) for n in item.name.values())
    ranked = sorted(
        enumerate(menu),
        key=lambda pair: (
            -(score(query, pair[1]).score + (1.0 if pair[1].category == item.category else 0.0)),
            pair[0],
        ),
    )
    return ranked[0][1]


def _totals(quote: Quote, fulfilment: str, lang: Language) -> list[str]:
    rows = [f"{render.label('subtotal', lang)}: {render.money(quote.subtotal)}"]
    if quote.discount.amount:
        code = quote.coupon_code or ""
        rows.append(f"{render.label('discount', lang, code=code)}: -{render.money(quote.discount)}")
    if quote.subsidy.amount:
        name = localized(quote.campaign_name or {}, lang) or (quote.campaign_id or "")
        rows.append(f"{render.label('subsidy', lang, name=name)}: -{render.money(quote.subsidy)}")
    if fulfilment == "delivery":
        rows.append(f"{render.label('delivery', lang)}: {render.money(quote.shipping)}")
    rows.append(f"{render.label('total', lang)}: {render.money(quote.total)}")
    return rows


def _aside(text: str, lang: Language) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


def _choice_text(name: dict[str, str], delta: Money, lang: Language) -> str:
    text = localized(name, lang)
    return f"{text} (+{render.money(delta)})" if delta.amount else text


def _all_groups(menus: Menus) -> list[OptionGroupView]:
    seen: dict[tuple[str, str], OptionGroupView] = {}
    for item in menus.items.values():
        for group in item.option_groups:
            seen.setdefault((item.store_id, group.code), group)
    return list(seen.values())


def _store_groups(menus: Menus, store_id: str) -> list[OptionGroupView]:
    seen: dict[str, OptionGroupView] = {}
    for item in menus.of(store_id):
        for group in item.option_groups:
            seen.setdefault(group.code, group)
    return list(seen.values())


def _local(iso: str, store: LocalStoreView) -> datetime:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(store.timezone))


def _nth(items: list[T], ordinal: int) -> T | None:
    index = ordinal - 1 if ordinal > 0 else len(items) + ordinal
    return items[index] if 0 <= index < len(items) else None

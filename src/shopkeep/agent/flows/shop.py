"""Questions about the shop itself — returns, shipping, payment, delivery from the nearby stores,
their hours — answered from the rules the store enforces (`StorePolicy`) and the stores' own
records, never by starting an account job. Which topic a message asks about is data: the words
below, in en / zh / ko."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import Literal

from shopkeep.agent import phrases, render
from shopkeep.agent.flows.base import Flow, Step, Turn
from shopkeep.agent.flows.catalog import (
    CATEGORY_NAMES,
    best_named,
    catalog,
    name_score,
    product_terms,
)
from shopkeep.agent.jobs import Language
from shopkeep.agent.state import Frame
from shopkeep.agent.tools import ShopTools
from shopkeep.store.catalog import normalize
from shopkeep.store.knowledge import KnowledgeHit, question_units, terms
from shopkeep.store.money import Money
from shopkeep.store.views import LocalStoreView, ProductView, localized

Topic = Literal["returns", "shipping", "payment", "local_delivery", "hours"]


@dataclass(frozen=True)
class TopicWords:
    topic: Topic
    words: str
    """A regular expression over the normalised message."""


TOPICS: tuple[TopicWords, ...] = (
    TopicWords(
        "returns",
        r"\breturns?\b|\brefunds?\b|send\s+(?:it|them)\s+back|\bswap\b|\bexchange|"
        r"退货|退换|退款|能退|可以退|换货|换码|반품|환불|교환",
    ),
    TopicWords(
        "shipping",
        r"\bshipping\b|\bship\s+to\b|free\s+delivery|delivery\s+(?:fee|cost|charge)|"
        r"运费|邮费|包邮|免运费|배송비|무배|무료\s*배송|택배비",
    ),
    TopicWords(
        "payment",
        r"payment\s+(?:methods?|options?)|ways?\s+to\s+pay|"
        r"付款方式|支付方式|怎么付|결제\s*(?:수단|방법)",
    ),
    TopicWords(
        "local_delivery",
        r"\bdeliver(?:y|s)?\b.{0,30}\b(?:bubble\s*tea|tea|food|noodles?|shops?|stores?)\b|"
        r"\b(?:bubble\s*tea|tea|food|noodles?|shops?|stores?)\b.{0,30}\bdeliver|"
        r"外卖|送餐|配送费|送不送|배달",
    ),
    TopicWords(
        "hours",
        r"\bopen(?:ing)?\s+hours\b|\bhours\b|\bwhat\s+time\b.{0,30}\b(?:open|close)|"
        r"\b(?:open|close)s?\s+(?:at|until|till)\b|\bbreak\s+time\b|"
        r"营业|几点(?:开|关|关门|打烊)|关门|打烊|영업\s*시간|몇\s*시까지|브레이크\s*타임|마감",
    ),
)

_GENERAL = re.compile(
    r"\bpolic(?:y|ies)\b|how\s+long\b|how\s+many\s+days|\bwithin\b|\bdo\s+you\b|"
    r"\bdoes\s+(?:the|your)\b|\bcan\s+i\b.{0,40}\bif\b|\bif\s+(?:they|it)\s+(?:don't|doesn't)\b|"
    r"\bhow\s+much\b|\bfees?\b|\bwhat\s+payment|\baccept\b|\bdo\s+the\b|"
    r"政策|规定|几天|多少|多久|能退吗|可以退吗|支持|收费|要钱|"
    r"정책|규정|며칠|기간|되나요|받나요|얼마",
    re.IGNORECASE,
)
"""Words that make a question about the shop's rules rather than about one's own order."""

_MINE = re.compile(r"\bmy\s+account\b|我账户|我的账户|账户里|제\s*계정|내\s*계정", re.IGNORECASE)


def topics_of(text: str) -> list[Topic]:
    """The shop topics a message asks about, in the order above."""
    return _topics(normalize(text))


def _topics(said: str) -> list[Topic]:
    return [t.topic for t in TOPICS if re.search(t.words, said, re.IGNORECASE)]


_CHANGE = re.compile(
    r"\b(?:change|switch|instead|update)\b|更换|改用|换成|改成|换个|换支付|换付款|바꾸|바꿔|변경",
    re.IGNORECASE,
)
"""Words that ask for something to be changed: "change the payment method" is a job."""

_ALWAYS_GENERAL: frozenset[Topic] = frozenset({"payment", "hours"})
"""Topics that are about the shop however they are worded ("결제 수단", "몇 시까지 해요?")."""


def asks_about_shop(text: str) -> bool:
    """Whether the message asks how the shop works (a topic, and for returns, shipping and
    delivery a general wording: "how long do I have", "do the shops deliver"), rather than
    asking for something to be done to an order."""
    said = normalize(text)
    topics = _topics(said)
    if not topics or _CHANGE.search(said):
        return False
    return bool(_ALWAYS_GENERAL & set(topics)) or _GENERAL.search(said) is not None


phrases.register(
    {
        "shop_returns": {
            "en": "Returns and exchanges: delivered items can be returned or exchanged within "
            "{days} days of delivery, once per order. The refund goes to the payment method "
            "that paid, or to a gift card, once the items are back.",
            "zh": "退换货：商品送达后 {days} 天内可以退货或换货，每个订单限一次。退款在商品寄回后"
            "退回原支付方式，或退到礼品卡。",
            "ko": "반품·교환: 배송 완료 후 {days}일 이내에 반품하거나 교환할 수 있어요"
            "(주문당 한 번). 환불은 상품이 돌아온 뒤 결제하신 수단이나 기프트카드로 돼요.",
        },
        "shop_returns_any_time": {
            "en": "Returns and exchanges: delivered items can be returned or exchanged at any "
            "time, once per order. The refund goes to the payment method that paid, or to a "
            "gift card, once the items are back.",
            "zh": "退换货：已送达的商品随时可以退货或换货，每个订单限一次。退款在商品寄回后退回原"
            "支付方式，或退到礼品卡。",
            "ko": "반품·교환: 배송 완료된 상품은 언제든 반품하거나 교환할 수 있어요(주문당 한 번). "
            "환불은 상품이 돌아온 뒤 결제하신 수단이나 기프트카드로 돼요.",
        },
        "shop_shipping": {
            "en": "Shipping costs {fee} per order, and is free on orders of {threshold} or more.",
            "zh": "运费每单 {fee}，订单满 {threshold} 包邮。",
            "ko": "배송비는 주문당 {fee}이고, {threshold} 이상 주문하시면 무료예요.",
        },
        "shop_shipping_flat": {
            "en": "Shipping costs {fee} per order.",
            "zh": "运费每单 {fee}。",
            "ko": "배송비는 주문당 {fee}이에요.",
        },
        "shop_payment": {
            "en": "Orders can be paid with: {kinds}, saved on your account.",
            "zh": "可以使用账户中保存的以下方式付款：{kinds}。",
            "ko": "계정에 저장된 다음 수단으로 결제할 수 있어요: {kinds}.",
        },
        "shop_your_methods": {
            "en": "Saved on your account: {methods}.",
            "zh": "您账户中保存的付款方式：{methods}。",
            "ko": "고객님 계정에 저장된 결제 수단: {methods}.",
        },
        "shop_local": {
            "en": "Nearby stores: delivery costs {fee}.\n{stores}",
            "zh": "附近门店：外卖配送费 {fee}。\n{stores}",
            "ko": "근처 매장: 배달비는 {fee}이에요.\n{stores}",
        },
        "shop_store_delivers": {
            "en": "- {name}: delivery or pickup",
            "zh": "- {name}：可外卖或自取",
            "ko": "- {name}: 배달 또는 픽업",
        },
        "shop_store_pickup": {
            "en": "- {name}: pickup only",
            "zh": "- {name}：仅限自取",
            "ko": "- {name}: 픽업만 가능",
        },
        "shop_hours": {
            "en": "Opening hours:\n{stores}",
            "zh": "营业时间：\n{stores}",
            "ko": "영업시간:\n{stores}",
        },
        "shop_passage": {
            "en": "{title} — {heading}\n{text}",
            "zh": "{title} — {heading}\n{text}",
            "ko": "{title} — {heading}\n{text}",
        },
        "shop_other_language": {
            "en": "(This is from our information in {language}; it isn't written in English.)",
            "zh": "（以上内容来自我们的{language}资料，暂无中文版本。）",
            "ko": "(위 내용은 {language} 안내문이에요. 한국어 안내문은 아직 없어요.)",
        },
        "shop_not_in_documents": {
            "en": "I couldn't find an answer to that in the shop's information, and I'd rather "
            "not guess. If you'd like, say \"talk to a person\" and I'll pass you to a colleague.",
            "zh": "店铺资料里没有找到这个问题的答案，我不想随便猜。如需要，请说“转人工”，"
            "我会帮您转给同事。",
            "ko": "매장 안내 정보에서 답을 찾지 못했어요. 추측해서 말씀드리지 않을게요. "
            '원하시면 "상담원 연결"이라고 말씀해 주세요. 담당자에게 연결해 드릴게요.',
        },
        "shop_store_hours": {
            "en": "- {name}: {hours}",
            "zh": "- {name}：{hours}",
            "ko": "- {name}: {hours}",
        },
    }
)

KIND_NAMES: dict[str, dict[Language, str]] = {
    "credit_card": {"en": "credit cards", "zh": "信用卡", "ko": "신용카드"},
    "gift_card": {"en": "gift cards", "zh": "礼品卡", "ko": "기프트카드"},
    "paypal": {"en": "PayPal", "zh": "PayPal", "ko": "PayPal"},
    "wallet": {
        "en": "wallets (such as Alipay or KakaoPay)",
        "zh": "电子钱包（如支付宝、KakaoPay）",
        "ko": "간편결제(알리페이, 카카오페이 등)",
    },
}

DAYS: dict[str, dict[Language, str]] = {
    "mon": {"en": "Mon", "zh": "周一", "ko": "월"},
    "tue": {"en": "Tue", "zh": "周二", "ko": "화"},
    "wed": {"en": "Wed", "zh": "周三", "ko": "수"},
    "thu": {"en": "Thu", "zh": "周四", "ko": "목"},
    "fri": {"en": "Fri", "zh": "周五", "ko": "금"},
    "sat": {"en": "Sat", "zh": "周六", "ko": "토"},
    "sun": {"en": "Sun", "zh": "周日", "ko": "일"},
}
CLOSED: dict[Language, str] = {"en": "closed", "zh": "休息", "ko": "휴무"}

LANGUAGE_NAMES: dict[str, dict[Language, str]] = {
    "en": {"en": "English", "zh": "英文", "ko": "영어"},
    "zh": {"en": "Chinese", "zh": "中文", "ko": "중국어"},
    "ko": {"en": "Korean", "zh": "韩文", "ko": "한국어"},
}


RELEVANT = 0.35
"""How much of a question (each word weighed by its rarity in the knowledge base) a passage must
cover to be the answer; below it, the assistant says it does not know rather than show a passage
that merely shares a word. Set on the dev half of the knowledge evaluation."""

NAMED_PRODUCT_RELEVANT = 0.55
"""A question that names a product is answered from the shop's documents only when a passage
covers the rest of it this well ("is there a warranty on the headphones?"); otherwise the
product's own data answers it ("does the Lumo 8 work with iPhone?")."""

TIED = 0.9
"""A second passage is shown beside the best when it covers the question nearly as well (two
sections that each say part of the answer: cancelling before and after shipping)."""


@dataclass(frozen=True)
class Reading:
    """What the shop's documents make of a question: the one product it names, if any, and the
    passages that answer it (none when nothing is relevant)."""

    product: ProductView | None
    answers: list[KnowledgeHit]


_READ: weakref.WeakKeyDictionary[ShopTools, dict[str, Reading]] = weakref.WeakKeyDictionary()


def reading(t: Turn, question: str) -> Reading:
    """The question read once per turn (the tools live for one turn): the engine reads it to
    route the message, the flow to answer it."""
    read = _READ.setdefault(t.tools, {})
    if question not in read:
        named = names_one_product(t, question)
        read[question] = Reading(named, _answers(t, question, named))
    return read[question]


def knowledge_answers(t: Turn, question: str) -> list[KnowledgeHit]:
    """The merchant's passages that answer `question`: the best relevant one in the customer's
    language (else in another language), and a second one nearly as good in the same language;
    none when nothing is relevant. A question that names one product is answered only by a
    passage about it or its kind, or about no product at all (`_about_it`)."""
    return reading(t, question).answers


def _answers(t: Turn, question: str, named: ProductView | None) -> list[KnowledgeHit]:
    if named is not None:
        rest = _without_names(question, named)
        hits = t.tools.store.knowledge.search(rest, lang=t.lang, limit=8)
        kept = [h for h in hits if not h.contradicts_policy]
        return _about_it(kept, rest, named, catalog(t.tools))
    hits = t.tools.store.knowledge.search(question, lang=t.lang, limit=8)
    sold = _catalog_words(t.tools)
    relevant = [
        h
        for h in hits
        if h.score >= RELEVANT
        and not h.contradicts_policy
        and not all(_sold(w, sold) for w in h.matched)  # "有什么蓝牙音箱？" is a search
    ]
    if not relevant:
        return []
    best = relevant[0]
    second = [h for h in relevant[1:2] if h.lang == best.lang and h.score >= TIED * best.score]
    return [best, *second]


_SOLD: weakref.WeakKeyDictionary[ShopTools, frozenset[str]] = weakref.WeakKeyDictionary()


def _catalog_words(tools: ShopTools) -> frozenset[str]:
    """The terms of the catalog's product names, brands and categories, as the index writes
    them: a question whose only words in common with a passage are these asks what the shop
    sells."""
    words = _SOLD.get(tools)
    if words is None:
        texts = [
            text for p in catalog(tools) for text in (*p.name.values(), p.brand or "", p.category)
        ]
        texts += [name for names in CATEGORY_NAMES.values() for name in names.values()]
        words = frozenset(term for text in texts for term in terms(text))
        _SOLD[tools] = words
    return words


def _sold(word: str, catalog_terms: frozenset[str]) -> bool:
    """Whether a word of a question is a word of the catalog's (every bigram of a Chinese or
    Korean one is)."""
    if word.isascii():
        return word in catalog_terms
    return all(word[i : i + 2] in catalog_terms for i in range(max(1, len(word) - 1)))


def names_one_product(t: Turn, text: str) -> ProductView | None:
    """The one product `text` names by a word of its name, if it names one ("cancel" in
    "Noise-Cancelling" names nothing)."""
    products = catalog(t.tools)
    terms = product_terms(text, products)
    named = best_named(terms, products)
    if len(named) != 1 or sum(name_score(term, named[0]) for term in terms) < 1.0:
        return None
    folded = {w.casefold() for w in _name_words(named[0])}
    for term in terms:
        if term in folded or f"{term}s" in folded:
            return named[0]
        if not term.isascii() and name_score(term, named[0]):
            return named[0]
    return None


def _without_names(text: str, product: ProductView) -> str:
    """`text` without the words of the product's names: what the documents must answer on their
    own ("is there a warranty on [the headphones]?")."""
    for word in sorted(_name_words(product), key=len, reverse=True):
        if word.isascii():
            text = re.sub(rf"\b{re.escape(word)}\b", " ", text, flags=re.IGNORECASE)
            continue
        # a Chinese or Korean name is written without spaces: any two letters or more of it
        # ("蓝牙音箱" of "便携蓝牙音箱") name it
        parts = {word[i:j] for i in range(len(word)) for j in range(i + 2, len(word) + 1)}
        for part in sorted(parts, key=len, reverse=True):
            text = text.replace(part, " ")
    return text


def _about_it(
    hits: list[KnowledgeHit], rest: str, product: ProductView, products: list[ProductView]
) -> list[KnowledgeHit]:
    """The passages that answer a question naming `product`, given the passages found for the
    `rest` of the question: the best ones that name the product or its kind and cover the rest
    well (two when the second is as good: "electronics come with a 1-year warranty..." and
    "batteries are covered for 6 months"); else, for a question of three words or more beside
    the product, the best one that speaks of no product at all, covers the rest well and
    matches more than one word of it ("return", "wrong size", "shipping" in "if I return shoes
    because they're the wrong size, who pays the shipping?"). A passage about other products is
    not about it."""
    names = _naming_words(product)
    kinds = _kind_words(product)
    others = {w for p in products if p.id != product.id for w in _naming_words(p)} - names
    own, not_general = names | kinds, others | kinds
    about: list[KnowledgeHit] = []
    general = []
    for hit in hits:
        said = f"{hit.heading} {hit.text}".casefold()
        if any(w in said for w in own) and hit.score >= NAMED_PRODUCT_RELEVANT:
            about.append(hit)
        elif not any(w in said for w in not_general):
            general.append(hit)
    if about:
        return [about[0], *[h for h in about[1:2] if h.score >= TIED * about[0].score]]
    if len(question_units(rest)) < 3:
        return []
    return [h for h in general if h.score >= NAMED_PRODUCT_RELEVANT and len(h.matched) > 1][:1]


def _kind_words(product: ProductView) -> set[str]:
    return {
        w.casefold()
        for w in (product.category, *CATEGORY_NAMES.get(product.category, {}).values())
        if w.casefold() not in _GENERIC
    }


def _naming_words(product: ProductView) -> set[str]:
    """Words that name a product in a text: its names' words (three letters or more, or two
    Chinese or Korean ones)."""
    words = _name_words(product)
    return {
        w.casefold() for w in words if len(w) > 2 or (len(w) > 1 and not w.isascii())
    } - _GENERIC


def _name_words(product: ProductView) -> set[str]:
    """The words of the product's names in every language, as written."""
    return {w for name in product.name.values() for w in re.findall(r"\w+", name)}


_GENERIC = frozenset({"set", "pro", "the", "and", "with", "home", "lite", "mini", "max"})
"""Name words too common to say which product a text is about."""


class ShopQuestionFlow(Flow):
    job = "shop_question"
    needs_identity = False

    def run(self, t: Turn, frame: Frame) -> Step:
        question = t.text if topics_of(t.text) or not frame.slots.request else frame.slots.request
        topics = topics_of(question)
        hits = knowledge_answers(t, question)
        if not hits and frame.slots.request and question != frame.slots.request:
            hits = knowledge_answers(t, frame.slots.request)
        self.policy_answers(t, topics)
        for hit in hits:
            t.say("shop_passage", title=hit.title, heading=hit.heading, text=hit.text)
            t.event("knowledge", source=hit.source, heading=hit.heading, score=hit.score)
        if hits and hits[0].lang != t.lang:
            language = LANGUAGE_NAMES.get(hits[0].lang, {}).get(t.lang, hits[0].lang)
            t.say("shop_other_language", language=language)
        if not hits and not topics:
            t.event("knowledge", source=None)
            t.say("shop_not_in_documents")
        return "done"

    def policy_answers(self, t: Turn, topics: list[Topic]) -> None:
        """The rules the store enforces, said from its policy settings (never from a document
        that might say otherwise)."""
        policy = t.tools.store.ctx.policy
        for topic in topics:
            if topic == "returns":
                days = policy.return_window_days
                if days is None:
                    t.say("shop_returns_any_time")
                else:
                    t.say("shop_returns", days=days)
            elif topic == "shipping":
                fee = render.money(Money(policy.shipping_fee_minor, policy.currency))
                if policy.free_shipping_threshold_minor is None:
                    t.say("shop_shipping_flat", fee=fee)
                else:
                    threshold = Money(policy.free_shipping_threshold_minor, policy.currency)
                    t.say("shop_shipping", fee=fee, threshold=render.money(threshold))
            elif topic == "payment":
                kinds = ", ".join(
                    KIND_NAMES.get(k, {}).get(t.lang, k) for k in policy.payment_kinds
                )
                t.say("shop_payment", kinds=kinds)
                if t.tools.verified and _MINE.search(t.text):
                    customer = t.tools.customer()
                    methods = ", ".join(
                        render.method_text(m, t.lang) for m in customer.payment_methods
                    )
                    t.say("shop_your_methods", methods=methods)
            elif topic == "local_delivery":
                stores = _named_or_all(t, t.tools.store.local.stores())
                fee = render.money(Money(policy.local_delivery_fee_minor, policy.currency))
                lines = [
                    phrases.say(
                        "shop_store_delivers" if s.offers_delivery else "shop_store_pickup",
                        t.lang,
                        name=localized(s.name, t.lang),
                    )
                    for s in stores
                ]
                t.say("shop_local", fee=fee, stores="\n".join(lines))
            elif topic == "hours":
                stores = _named_or_all(t, t.tools.store.local.stores())
                lines = [
                    phrases.say(
                        "shop_store_hours",
                        t.lang,
                        name=localized(s.name, t.lang),
                        hours=hours_text(s, t.lang),
                    )
                    for s in stores
                ]
                t.say("shop_hours", stores="\n".join(lines))


def _named_or_all(t: Turn, stores: list[LocalStoreView]) -> list[LocalStoreView]:
    """The stores the message names (by any of their names), or all of them."""
    said = re.sub(r"\s+", "", normalize(t.text))
    named = [
        s
        for s in stores
        if any(_short(name) and _short(name) in said for name in s.name.values() if name)
    ]
    return named or stores


def _short(name: str) -> str:
    """What names a store in a message: the first word of its name without its branch ("Cloud
    Pearl Tea, Hongdae" → "cloud"), or the first three letters of a Chinese or Korean one
    ("구름펄 티 홍대점" → "구름펄", "圣水面馆" → "圣水面")."""
    head = re.split(r"[,，(（]", normalize(name))[0]
    if head.isascii():
        first = re.findall(r"\w+", head)
        return first[0] if first else ""
    return re.sub(r"\s+", "", head)[:3]


def hours_text(store: LocalStoreView, lang: Language) -> str:
    """Opening hours, consecutive days with the same hours together: "Mon–Sun 11:00–15:00,
    17:00–21:40"."""
    spans: list[tuple[list[str], str]] = []
    for day in DAYS:
        hours = store.opening_hours.get(day) or []
        text = ", ".join(f"{a}–{b}" for a, b in hours) if hours else CLOSED[lang]
        if spans and spans[-1][1] == text:
            spans[-1][0].append(day)
        else:
            spans.append(([day], text))
    parts = []
    for days, text in spans:
        label = DAYS[days[0]][lang]
        if len(days) > 1:
            label += "–" + DAYS[days[-1]][lang]
        parts.append(f"{label} {text}")
    return "; ".join(parts)

"""Buying: the product and its options from the customer's words, the cart, and a checkout that
the store prices, that is shown in full, and that is placed only on the customer's yes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from shopkeep.agent import phrases, render
from shopkeep.agent.extract import COLOR_NAMES
from shopkeep.agent.flows.base import Flow, Step, Turn
from shopkeep.agent.flows.catalog import (
    OPTION_LABELS,
    STOCK,
    best_named,
    by_id,
    catalog,
    customer_of,
    find,
    mentioned_values,
    pick_shown,
    product_line,
    product_terms,
    read_wish,
    synonyms,
    variant_text,
)
from shopkeep.agent.jobs import Language
from shopkeep.agent.state import BuyMode, BuySlots, Frame, Staged
from shopkeep.store.actions import PlaceOrder, Preview
from shopkeep.store.catalog import normalize
from shopkeep.store.checkout import LineRequest
from shopkeep.store.errors import (
    CampaignNotApplicable,
    CartEmpty,
    CouponNotApplicable,
    CouponNotFound,
    InsufficientGiftCardBalance,
    InvalidQuantity,
    OutOfStock,
    PaymentDeclined,
    PaymentMethodUnusable,
    QuoteChanged,
    StoreError,
    VariantUnavailable,
)
from shopkeep.store.money import Money
from shopkeep.store.views import (
    AddressView,
    CartView,
    CustomerView,
    OrderView,
    PaymentMethodView,
    ProductView,
    VariantView,
    localized,
)

phrases.register(
    {
        "buy_what": {
            "en": "What would you like to buy? Tell me the product's name, or search first "
            '("do you have earbuds?").',
            "zh": "请问您想买什么？告诉我商品名称，或者先搜索一下（比如“有没有耳机”）。",
            "ko": "어떤 상품을 사시겠어요? 상품 이름을 알려 주시거나 먼저 검색해 보세요(예: "
            '"이어폰 있어요?").',
        },
        "buy_not_found": {
            "en": "I couldn't find a product by that name.{items}",
            "zh": "没有找到这个名称的商品。{items}",
            "ko": "그 이름의 상품을 찾지 못했어요.{items}",
        },
        "buy_similar": {
            "en": " Did you mean one of these?\n{items}",
            "zh": "您是不是想要以下商品之一？\n{items}",
            "ko": " 혹시 이 중에 찾으시는 상품이 있나요?\n{items}",
        },
        "buy_which_product": {
            "en": "Several products match:\n{items}\nWhich one would you like? You can say "
            '"the first one" or its name.',
            "zh": "有几款商品符合：\n{items}\n您要哪一款？可以说“第一个”或商品名称。",
            "ko": "여러 상품이 있어요:\n{items}\n어떤 걸로 하시겠어요? "
            '"첫 번째 거"처럼 말씀하시거나 상품 이름을 알려 주세요.',
        },
        "buy_which_option": {
            "en": "Which {option} would you like for {name}? {choices}",
            "zh": "{name}您要哪种{option}？{choices}",
            "ko": "{name}은(는) 어떤 {option}(으)로 하시겠어요? {choices}",
        },
        "buy_no_such_option": {
            "en": "{name} doesn't come in {wanted}.",
            "zh": "{name}没有{wanted}。",
            "ko": "{name}은(는) {wanted} 옵션이 없어요.",
        },
        "buy_out_of_stock": {
            "en": "Sorry, {name} ({options}) is out of stock. In stock now:\n{choices}\nWhich "
            "would you like?",
            "zh": "抱歉，{name}（{options}）已售罄。目前有货的是：\n{choices}\n您要哪一款？",
            "ko": "죄송해요, {name}({options})은(는) 품절이에요. "
            "지금 재고가 있는 옵션:\n{choices}\n어떤 걸로 하시겠어요?",
        },
        "buy_sold_out": {
            "en": "Sorry, {name} is out of stock in every option right now.",
            "zh": "抱歉，{name}目前所有款式都已售罄。",
            "ko": "죄송해요, {name}은(는) 지금 모든 옵션이 품절이에요.",
        },
        "buy_only_left": {
            "en": "Only {left} of {name} ({options}) left. How many would you like?",
            "zh": "{name}（{options}）只剩 {left} 件了。您要几件？",
            "ko": "{name}({options})은(는) {left}개만 남았어요. 몇 개로 하시겠어요?",
        },
        "buy_how_many": {
            "en": "How many would you like?",
            "zh": "您要几件？",
            "ko": "몇 개로 하시겠어요?",
        },
        "buy_staged": {
            "en": "Here is your order:\n{quote}\n{ship_label}: {address}\n{pay_label}: {method}\n"
            "Shall I place the order? (yes / no)",
            "zh": "您的订单如下：\n{quote}\n{ship_label}：{address}\n{pay_label}：{method}\n"
            "确认下单吗？（是/否）",
            "ko": "주문 내용이에요:\n{quote}\n{ship_label}: {address}\n{pay_label}: {method}\n"
            "주문할까요? (네/아니요)",
        },
        "buy_placed": {
            "en": "Your order {order_id} is placed: {items}. Total {total}, paid with {method}. "
            "Thank you!",
            "zh": "订单 {order_id} 已下单：{items}。合计 {total}，已通过{method}支付。谢谢您！",
            "ko": "주문 {order_id}이(가) 완료되었어요: {items}. 합계 {total}, {method}(으)로 "
            "결제했어요. 감사합니다!",
        },
        "buy_no_method": {
            "en": "You have no saved payment method, so I can't place the order here.",
            "zh": "您没有已保存的支付方式，暂时无法在这里下单。",
            "ko": "저장된 결제 수단이 없어서 여기서는 주문할 수 없어요.",
        },
        "buy_no_address": {
            "en": "You have no saved shipping address, so I can't place the order here.",
            "zh": "您没有已保存的收货地址，暂时无法在这里下单。",
            "ko": "저장된 배송지가 없어서 여기서는 주문할 수 없어요.",
        },
        "buy_method_missing": {
            "en": "You don't have a saved {kind}. Your saved payment methods:\n{methods}\nWhich "
            "one shall I use?",
            "zh": "您没有已保存的{kind}。您已保存的支付方式：\n{methods}\n要用哪一个？",
            "ko": "저장된 {kind}이(가) 없어요. 저장된 결제 수단:\n{methods}\n어떤 걸로 결제할까요?",
        },
        "buy_gift_short": {
            "en": "Your gift card balance ({balance}) doesn't cover the total of {total}. Which "
            "other payment method shall I use?\n{methods}",
            "zh": "您的礼品卡余额（{balance}）不足以支付 {total}。要换用哪种支付方式？\n{methods}",
            "ko": "기프트카드 잔액({balance})이 합계 {total}보다 부족해요. 다른 결제 수단을 "
            "골라 주세요:\n{methods}",
        },
        "buy_other_method": {
            "en": "You can pay with another saved method:\n{methods}\nWhich one shall I use?",
            "zh": "您可以换用其他已保存的支付方式：\n{methods}\n要用哪一个？",
            "ko": "다른 저장된 결제 수단으로 결제할 수 있어요:\n{methods}\n어떤 걸로 할까요?",
        },
        "cart_added": {
            "en": 'Added {item} × {quantity} to your cart.\n{cart}\nSay "checkout" when '
            "you're ready.",
            "zh": "已将 {item} × {quantity} 加入购物车。\n{cart}\n准备好后说“结账”即可。",
            "ko": "{item} × {quantity}을(를) 장바구니에 담았어요.\n{cart}\n주문하시려면 "
            '"결제할게요"라고 말씀해 주세요.',
        },
        "cart_removed": {
            "en": "Removed {item} from your cart.\n{cart}",
            "zh": "已从购物车移除 {item}。\n{cart}",
            "ko": "장바구니에서 {item}을(를) 뺐어요.\n{cart}",
        },
        "cart_not_in": {
            "en": "That isn't in your cart.\n{cart}",
            "zh": "购物车里没有这件商品。\n{cart}",
            "ko": "장바구니에 없는 상품이에요.\n{cart}",
        },
        "cart_view": {
            "en": "Your cart:\n{lines}\nSubtotal: {subtotal}",
            "zh": "您的购物车：\n{lines}\n小计：{subtotal}",
            "ko": "장바구니:\n{lines}\n소계: {subtotal}",
        },
        "cart_empty": {
            "en": "Your cart is empty.",
            "zh": "您的购物车是空的。",
            "ko": "장바구니가 비어 있어요.",
        },
    }
)

KIND_NAMES: dict[str, dict[Language, str]] = {
    "gift_card": {"en": "gift card", "zh": "礼品卡", "ko": "기프트카드"},
    "paypal": {"en": "PayPal account", "zh": "PayPal 账户", "ko": "페이팔 계정"},
    "alipay": {"en": "Alipay account", "zh": "支付宝", "ko": "알리페이"},
    "kakaopay": {"en": "KakaoPay account", "zh": "KakaoPay", "ko": "카카오페이"},
    "credit_card": {"en": "card", "zh": "银行卡", "ko": "카드"},
}
_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("gift_card", re.compile(r"gift\s*-?\s*card|礼品卡|礼物卡|购物卡|기프트\s*카드|상품권")),
    ("paypal", re.compile(r"pay\s*pal|贝宝|페이팔")),
    ("alipay", re.compile(r"ali\s*pay|支付宝|알리페이")),
    ("kakaopay", re.compile(r"kakao|카카오")),
]
_BRANDS: list[tuple[str, re.Pattern[str]]] = [
    ("visa", re.compile(r"\bvisa\b|维萨|비자")),
    ("mastercard", re.compile(r"master\s*card|万事达|마스터\s*카드|마스터카드")),
    ("amex", re.compile(r"\bamex\b|american\s+express|美国运通|运通|아멕스")),
    ("discover", re.compile(r"\bdiscover\b|디스커버")),
    ("unionpay", re.compile(r"union\s*pay|银联|유니온\s*페이")),
]
_ANY_CARD = re.compile(
    r"\b(?:credit|debit)\s+card\b|\bmy\s+card\b|\bthe\s+card\b|\bby\s+card\b|信用卡|银行卡|刷卡|"
    r"用卡|신용\s*카드|체크\s*카드|카드로"
)
_LAST_FOUR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_SHIP_WORDS = re.compile(
    r"\bship|\bsend|\bdeliver|\baddress|寄到|发到|送到|寄往|地址|배송|주소|보내"
)
_OTHER_ADDRESS = re.compile(
    r"(?:other|another|different|second|alternate)\s+address|其他地址|另一个地址|别的地址|"
    r"另外一个地址|第二个地址|다른\s*(?:주소|배송지)"
)
_NO_COUPON = re.compile(
    r"without\s+(?:the\s+|a\s+)?coupon|no\s+coupon|remove\s+(?:the\s+)?coupon|不用(?:优惠)?券|"
    r"不要优惠券|不用优惠码|쿠폰\s*(?:빼|없이|안\s*써|사용\s*안)"
)
_CART = re.compile(r"\bcart\b|\bbasket\b|购物车|장바구니")
_CART_ADD = re.compile(r"\badd\b|\bput\b|加入|加到|放进|放入|加购|담아|담아줘|넣어|추가")
_CART_REMOVE = re.compile(
    r"\bremove\b|\btake\b.*\bout\b|\bdelete\b|\bdrop\b|删除|删掉|移除|拿掉|去掉|拿出|빼|삭제|제거"
)
_CHECKOUT = re.compile(
    r"check\s*-?\s*out|\bpay\s+for\s+(?:my|the)\s+cart|\bbuy\s+(?:everything|all|what'?s)\b"
    r"|(?:order|buy|purchase)\s+(?:everything\s+in\s+)?(?:my|the)\s+cart|结账|结算|买单|"
    r"购物车.{0,6}(?:下单|买|付款|结)|(?:下单|买下|付款).{0,6}购物车|"
    r"장바구니.{0,8}(?:주문|결제|구매|계산)|(?:주문|결제|구매).{0,4}장바구니|계산할게요"
    r"|^\W*(?:pay(?:\s+now)?|付款|买单|결제(?:할게요|해\s*주세요|하기|요))\W*$"
)
_PRONOUN = re.compile(
    r"\b(?:it|this|that|this\s+one|that\s+one)\b|它|这个|这款|那个|那款|이거|이걸|이것|그거|그걸|"
    r"그것|저거"
)
_BARE_QUANTITY = re.compile(
    r"^\W*(?:(?:no|nope|actually|make\s+it|change\s+it\s+to|just|only|oh)[\s,]+)*"
    r"(\d{1,2})\W*$",
    re.IGNORECASE,
)
_UNIT_WORDS: dict[str, str] = {
    "ml": r"ml|毫升|미리|밀리",
    "gb": r"gb|g|기가|吉",
    "mm": r"mm|毫米|밀리|미리",
    "m": r"m|米|미터",
    "sheets": r"sheets?|片|매|장",
}
_SIZE_WORD_BEFORE = re.compile(r"(?:size|sz|us|waist|尺码|码数|腰围|사이즈|허리)\s*$")
_SIZE_WORD_AFTER = re.compile(r"\s*(?:码|號|号|사이즈|호)")
_ASKED_OPTION = "option:"


# --- options ----------------------------------------------------------------------------------


def option_values(product: ProductView) -> dict[str, list[str]]:
    """Each option of the product with its values, in catalog order (offered variants only)."""
    keys: dict[str, list[str]] = {}
    for variant in product.variants:
        if not variant.available:
            continue
        for key, value in variant.options.items():
            keys.setdefault(key, [])
            if value not in keys[key]:
                keys[key].append(value)
    return keys


def _number_matches(value: str, low: str, quantity: int | None) -> bool:
    m = re.fullmatch(r"([a-z]+\s*)?(\d+(?:\.\d+)?)\s*([a-z]+)?", normalize(value))
    if m is None:
        return False
    prefix, number, unit = (m.group(1) or "").strip(), m.group(2), m.group(3) or ""
    for hit in re.finditer(rf"(?<![\d.]){re.escape(number)}(?![\d.])", low):
        before, after = low[: hit.start()], low[hit.end() :]
        if unit and re.match(rf"\s*(?:{_UNIT_WORDS.get(unit, re.escape(unit))})", after):
            return True
        if prefix and re.search(rf"{re.escape(prefix)}\s*$", before):
            return True
        if _SIZE_WORD_BEFORE.search(before) or _SIZE_WORD_AFTER.match(after):
            return True
        if not unit and not prefix and quantity != int(float(number)):
            return True
        if unit and float(number) >= 10 and quantity != int(float(number)):
            return True
    return False


def mentioned_options(
    text: str, product: ProductView, quantity: int | None
) -> tuple[dict[str, str], list[str]]:
    """The options of this product the message names (a value per option, the last named
    wins), and colour words it names that the product doesn't come in."""
    low = normalize(text)
    keys = option_values(product)
    owner = {value: key for key, values in keys.items() for value in values}
    named = mentioned_values(text, owner)
    exact = {owner[v] for v in named}
    generic = mentioned_values(text, COLOR_NAMES, own_names=False)
    for colour in generic:
        # "21 Light Beige" names its shade exactly; "beige" in it must not add "23 Natural Beige"
        fitting = [v for v in owner if colour in normalize(v).split() and owner[v] not in exact]
        if not fitting and normalize(colour) not in (normalize(v) for v in owner):
            continue
        named += [v for v in fitting if v not in named]
    missing = [
        colour
        for colour in generic
        if not any(colour in normalize(v).split() or normalize(v) == colour for v in owner)
        and any(k in ("color", "shade", "wash") for k in keys)
    ]
    for value in owner:
        if value not in named and _number_matches(value, low, quantity):
            named.append(value)
    chosen: dict[str, str] = {}
    for value in named:
        key = owner[value]
        # "sage green" also contains "green": keep the longest, most specific name
        if key in chosen and len(value) < len(chosen[key]) and chosen[key].endswith(value):
            continue
        chosen[key] = value
    return chosen, missing


def choice_number(t: Turn, frame: Frame) -> int | None:
    """ "The second one", or a bare "2" in answer to a numbered list."""
    if t.x.ordinal is not None:
        return t.x.ordinal
    if frame.asked in ("product", "variant", "payment") or (frame.asked or "").startswith(
        _ASKED_OPTION
    ):
        m = _BARE_QUANTITY.match(t.text)
        if m:
            return int(m.group(1))
    return None


def _numbers(options: dict[str, str]) -> set[int]:
    found = set()
    for value in options.values():
        for n in re.findall(r"\d+", value):
            found.add(int(n))
    return found


# --- payment and address ----------------------------------------------------------------------


def _kind_of(method: PaymentMethodView) -> str:
    if method.source == "wallet":
        return (method.brand or "wallet").lower()
    return method.source


_NOT_BEFORE = re.compile(
    r"(?:\bnot|\bno|instead\s+of|rather\s+than|\bdon'?t\s+use|不用|不要|别用|而不是|不是)\s*"
    r"(?:my\s+|the\s+)?$"
)
_NOT_AFTER = re.compile(r"^\s*(?:말고|대신|말구|빼고|는\s*말고|不用了|就不用了)")


def method_named(
    text: str, methods: Sequence[PaymentMethodView]
) -> tuple[PaymentMethodView | None, str | None]:
    """The saved method the message names (by last four digits, kind or card brand), or the
    kind it names that the customer has not saved. A method named to be left out ("not my
    Visa", "카카오페이 말고") does not count; of the rest, the last named wins."""
    low = normalize(text)
    named: list[tuple[int, PaymentMethodView | None, str]] = []

    def wanted(start: int, end: int) -> bool:
        return not (_NOT_BEFORE.search(low[:start]) or _NOT_AFTER.match(low[end:]))

    for m in _LAST_FOUR.finditer(low):
        method = next((x for x in methods if x.last_four == m.group(1)), None)
        if method is not None and wanted(*m.span()):
            named.append((m.start(), method, "credit_card"))
    spans = [(start, end) for start, _, _ in named for end in [start + 4]]
    for kind, pattern in _KINDS:
        for m in pattern.finditer(low):
            if wanted(*m.span()):
                found = [x for x in methods if _kind_of(x) == kind]
                named.append((m.start(), found[0] if found else None, kind))
                spans.append(m.span())
    for brand, pattern in _BRANDS:
        for m in pattern.finditer(low):
            if wanted(*m.span()):
                found = [x for x in methods if x.source == "credit_card" and x.brand == brand]
                named.append((m.start(), found[0] if found else None, "credit_card"))
                spans.append(m.span())
    for m in _ANY_CARD.finditer(low):
        inside = any(a <= m.start() < b or m.start() <= a < m.end() for a, b in spans)
        if not inside and wanted(*m.span()):
            found = [x for x in methods if x.source == "credit_card"]
            named.append((m.start(), found[0] if found else None, "credit_card"))
    if not named:
        return None, None
    _, method, kind = max(named, key=lambda item: item[0])
    return (method, None) if method is not None else (None, kind)


def address_named(text: str, addresses: Sequence[AddressView]) -> AddressView | None:
    low = normalize(text)
    if len(addresses) < 2:
        return None
    if _OTHER_ADDRESS.search(low):
        others = [a for a in addresses if not a.is_default]
        return others[0] if len(others) == 1 else None
    if not _SHIP_WORDS.search(low):
        return None
    hits = []
    for address in addresses:
        elsewhere = " ".join(normalize(a.one_line()) for a in addresses if a.id != address.id)
        words = [address.label or "", address.city, address.zip]
        words += [re.sub(r"[市省]$", "", address.state)]
        words += [w for w in re.split(r"[\s,]+", normalize(address.address1)) if not w.isdigit()]
        own = [normalize(w) for w in words if len(w) >= 2 and normalize(w) not in elsewhere]
        if any(w in low for w in own):
            hits.append(address)
    return hits[0] if len(hits) == 1 else None


def methods_list(methods: Sequence[PaymentMethodView], lang: Language) -> str:
    return "\n".join(f"{i}. {render.method_text(m, lang)}" for i, m in enumerate(methods, 1))


# --- the flow ---------------------------------------------------------------------------------


class BuyFlow(Flow):
    job = "buy"

    def run(self, t: Turn, frame: Frame) -> Step:
        slots = frame.slots_as(BuySlots)
        low = normalize(t.text)
        checkout = _CHECKOUT.search(low) and not slots.product_id
        if slots.mode is None or _CART.search(low) or checkout:
            slots.mode = self._mode(low, slots.mode)
        mode = slots.mode
        current = slots.product_id
        products: list[ProductView]
        if (
            isinstance(current, str)
            and mode in ("buy", "add")
            and frame.asked != "product"
            and not product_terms(t.text, [], drop=[*t.x.coupon_codes, *t.x.emails])
        ):
            # A correction ("use my PayPal", "2", "the blue one") names no product: the one
            # being bought is all this turn needs from the catalog.
            products = [t.tools.product(current)]
        else:
            products = catalog(t.tools)
        if mode == "view":
            self._show_cart(t)
            return "done"
        if mode == "remove":
            return self._remove(t, products)
        corrected = slots.staged_once
        if mode == "checkout":
            step, changed = self._read_extras(t, frame)
            if step is not None:
                return step
            if corrected and not changed:
                return "unknown"
            return self._checkout_cart(t, frame, products)
        # A bare "2" in answer to a numbered list picks from it; it is not a quantity.
        picking = choice_number(t, frame) is not None and t.x.ordinal is None
        step, changed = self._read_product(t, frame, products)
        if step is not None:
            return step
        more_step, more = self._read_choices(t, frame, products, picking, fresh_pick=changed)
        if more_step is not None:
            return more_step
        if corrected and not (changed or more):
            return "unknown"
        return self._advance(t, frame, products)

    def _mode(self, low: str, previous: str | None) -> BuyMode:
        if _CHECKOUT.search(low):
            return "checkout"
        if _CART.search(low):
            if _CART_REMOVE.search(low):
                return "remove"
            if _CART_ADD.search(low):
                return "add"
            return "view"
        return "add" if previous == "add" else "buy"

    # --- reading the message ------------------------------------------------------------------

    def _read_product(
        self, t: Turn, frame: Frame, products: list[ProductView]
    ) -> tuple[Step | None, bool]:
        slots = frame.slots_as(BuySlots)
        current = slots.product_id
        terms = product_terms(t.text, products, drop=[*t.x.coupon_codes, *t.x.emails])
        named = best_named(terms, products)
        picked: str | None = None
        if frame.asked == "product":
            candidates = list(slots.candidates)
            picked = pick_shown(candidates, choice_number(t, frame))
            if picked is None and named:
                inside = [p.id for p in named if p.id in candidates]
                if len(inside) == 1:
                    picked = inside[0]
                elif len(named) == 1:
                    picked = named[0].id
            if picked is None:
                picked = self._by_option(t, candidates, products)
        elif len(named) == 1 and not (current and _PRONOUN.search(normalize(t.text))):
            picked = named[0].id
        elif not named and t.x.ordinal is not None and not self._asked_option(frame):
            picked = pick_shown(t.state.shown_products, t.x.ordinal)
        if picked is None and not current and not named:
            shown = t.state.shown_products
            if len(shown) == 1 and (_PRONOUN.search(normalize(t.text)) or not terms):
                picked = shown[0]
        if picked is not None:
            if picked != current:
                slots.product_id, slots.options = picked, {}
                slots.candidates, slots.alternatives, slots.choices = [], [], []
                frame.asked = None
                return None, True
            return None, False
        if current and (not named or any(p.id == current for p in named)):
            return None, False
        if len(named) > 1:
            return self._ask_product(t, frame, named[:3], "buy_which_product"), False
        if current:
            return None, False
        if terms:
            wish = read_wish(t, products)
            similar = [h.product for h in find(t, wish, products)] if wish.terms else []
            slots.candidates = [p.id for p in similar]
            frame.asked = "product"
            items = ""
            if similar:
                t.show_products([p.id for p in similar])
                listed = "\n".join(product_line(i, p, t.lang) for i, p in enumerate(similar, 1))
                items = phrases.say("buy_similar", t.lang, items=listed)
            t.say("buy_not_found", items=items)
            return "ask", False
        if t.state.shown_products and len(t.state.shown_products) > 1:
            earlier = [p for pid in t.state.shown_products if (p := by_id(products, pid))]
            return self._ask_product(t, frame, earlier[:3], "buy_which_product"), False
        frame.asked = "product"
        slots.candidates = []
        t.say("buy_what")
        return "ask", False

    def _asked_option(self, frame: Frame) -> bool:
        return frame.asked is not None and (
            frame.asked.startswith(_ASKED_OPTION) or frame.asked in ("variant", "payment")
        )

    def _ask_product(
        self, t: Turn, frame: Frame, products: Sequence[ProductView], key: str
    ) -> Step:
        frame.slots_as(BuySlots).candidates = [p.id for p in products]
        t.show_products([p.id for p in products])
        frame.asked = "product"
        items = "\n".join(product_line(i, p, t.lang) for i, p in enumerate(products, 1))
        t.say(key, items=items)
        return "ask"

    def _by_option(
        self, t: Turn, candidates: Sequence[str], products: Sequence[ProductView]
    ) -> str | None:
        """ "The blue one": the only candidate that has the option named."""
        fitting = []
        for product_id in candidates:
            product = by_id(products, product_id)
            if product is not None and mentioned_options(t.text, product, t.x.quantity)[0]:
                fitting.append(product_id)
        return fitting[0] if len(fitting) == 1 else None

    def _read_choices(
        self,
        t: Turn,
        frame: Frame,
        products: list[ProductView],
        picking: bool,
        *,
        fresh_pick: bool = False,
    ) -> tuple[Step | None, bool]:
        """Options, quantity, then coupon, payment and address."""
        slots = frame.slots_as(BuySlots)
        changed = False
        product = by_id(products, slots.product_id or "")
        used_numbers: set[int] = set()
        if product is not None:
            mentioned, missing = mentioned_options(t.text, product, t.x.quantity)
            request = slots.request or ""
            if fresh_pick and not mentioned and request and request != t.text:
                # "是的" to "did you mean …?": the options came with the first request ("30ml的")
                mentioned, _ = mentioned_options(request, product, None)
            number = choice_number(t, frame)
            if not mentioned and number is not None:
                if frame.asked and frame.asked.startswith(_ASKED_OPTION):
                    key = frame.asked[len(_ASKED_OPTION) :]
                    value = pick_shown(slots.choices, number)
                    if value is not None:
                        mentioned = {key: value}
                elif frame.asked == "variant":
                    variant_id = pick_shown(slots.alternatives, number)
                    variant = next((v for v in product.variants if v.id == variant_id), None)
                    if variant is not None:
                        mentioned = dict(variant.options)
            if missing and not set(mentioned) & {"color", "shade", "wash"}:
                wanted = render.SEP[t.lang].join(synonyms(c).get(t.lang, c) for c in missing)
                t.say("buy_no_such_option", name=localized(product.name, t.lang), wanted=wanted)
            if mentioned:
                options = dict(slots.options)
                if options != {**options, **mentioned}:
                    changed = True
                slots.options = {**options, **mentioned}
                slots.just_mentioned = mentioned
                used_numbers = _numbers(mentioned)
        quantity = t.x.quantity
        if quantity is None and (slots.staged_once or frame.asked == "quantity"):
            m = _BARE_QUANTITY.match(t.text)
            quantity = int(m.group(1)) if m else None
        if quantity is not None and quantity not in used_numbers and quantity > 0 and not picking:
            if quantity != (slots.quantity or 1) or frame.asked == "quantity":
                changed = True
            slots.quantity = quantity
        step, more = self._read_extras(t, frame)
        return step, changed or more

    def _read_extras(self, t: Turn, frame: Frame) -> tuple[Step | None, bool]:
        slots = frame.slots_as(BuySlots)
        changed = False
        low = normalize(t.text)
        if t.x.coupon_codes and t.x.coupon_codes[0] != slots.coupon_code:
            slots.coupon_code = t.x.coupon_codes[0]
            changed = True
        elif _NO_COUPON.search(low) and slots.coupon_code:
            slots.coupon_code = None
            changed = True
        customer = customer_of(t)
        method: PaymentMethodView | None = None
        if frame.asked == "payment" and choice_number(t, frame) is not None:
            chosen = pick_shown(slots.method_choices, choice_number(t, frame))
            method = next((m for m in customer.payment_methods if m.id == chosen), None)
        if method is None:
            method, missing = method_named(t.text, customer.payment_methods)
            if missing is not None:
                slots.method_choices = [m.id for m in customer.payment_methods]
                frame.asked = "payment"
                t.say(
                    "buy_method_missing",
                    kind=KIND_NAMES[missing][t.lang],
                    methods=methods_list(customer.payment_methods, t.lang),
                )
                return "ask", changed
        if method is not None:
            if method.id != slots.payment_method_id:
                changed = True
            slots.payment_method_id = method.id
            if frame.asked == "payment":
                frame.asked = None
        address = address_named(t.text, customer.addresses)
        if address is not None:
            if address.id != slots.address_id:
                changed = True
            slots.address_id = address.id
        return None, changed

    # --- moving on ----------------------------------------------------------------------------

    def _advance(self, t: Turn, frame: Frame, products: list[ProductView]) -> Step:
        """From what the frame holds: the variant, its stock, then the cart or the order."""
        slots = frame.slots_as(BuySlots)
        product = by_id(products, slots.product_id or "")
        if product is None:
            frame.asked = "product"
            t.say("buy_what")
            return "ask"
        variant = self._variant(t, frame, product)
        if variant is None:
            return "ask" if frame.asked else "done"
        quantity = slots.quantity or 1
        slots.variant_id = variant.id
        if slots.mode == "add":
            return self._add_to_cart(t, product, variant, quantity)
        lines = [LineRequest(variant_id=variant.id, quantity=quantity)]
        return self._stage(t, frame, products, lines)

    def _variant(self, t: Turn, frame: Frame, product: ProductView) -> VariantView | None:
        slots = frame.slots_as(BuySlots)
        offered = [v for v in product.variants if v.available]
        if not offered:
            t.say("buy_sold_out", name=localized(product.name, t.lang))
            return None
        chosen: dict[str, str] = dict(slots.options)

        def fitting(options: dict[str, str]) -> list[VariantView]:
            return [v for v in offered if all(v.options.get(k) == x for k, x in options.items())]

        variants = fitting(chosen)
        if not variants:
            # The options named last win over ones named before that don't go with them.
            latest = dict(slots.just_mentioned)
            chosen = latest if fitting(latest) else {}
            variants = fitting(chosen)
            slots.options = chosen
        if len(variants) > 1:
            keys = option_values(product)
            key = next(k for k in keys if len({v.options.get(k) for v in variants}) > 1)
            values: list[str] = []
            for v in variants:
                if v.options.get(key) is not None and v.options[key] not in values:
                    values.append(v.options[key])
            slots.choices = values
            frame.asked = f"{_ASKED_OPTION}{key}"
            listed = []
            for i, value in enumerate(values, 1):
                stocked = any(v.in_stock for v in variants if v.options.get(key) == value)
                name = synonyms(value).get(t.lang, value)
                listed.append(f"{i}. {name}" + ("" if stocked else f" ({STOCK['out'][t.lang]})"))
            t.say(
                "buy_which_option",
                option=OPTION_LABELS.get(key, {}).get(t.lang, key),
                name=localized(product.name, t.lang),
                choices=render.SEP[t.lang].join(listed),
            )
            return None
        variant = variants[0]
        if variant.in_stock:
            slots.alternatives, slots.choices = [], []
            return variant
        alternatives = [v for v in offered if v.in_stock]
        if not alternatives:
            t.say("buy_sold_out", name=localized(product.name, t.lang))
            return None
        alternatives.sort(
            key=lambda v: -sum(1 for k, x in variant.options.items() if v.options.get(k) == x)
        )
        alternatives = alternatives[:5]
        slots.alternatives = [v.id for v in alternatives]
        frame.asked = "variant"
        choices = "\n".join(
            f"{i}. {variant_text(v, t.lang)} — {render.money(v.price)}"
            for i, v in enumerate(alternatives, 1)
        )
        t.event("out_of_stock", variant_id=variant.id)
        t.say(
            "buy_out_of_stock",
            name=localized(product.name, t.lang),
            options=variant_text(variant, t.lang),
            choices=choices,
        )
        return None

    def _stage(
        self,
        t: Turn,
        frame: Frame,
        products: Sequence[ProductView],
        lines: list[LineRequest] | None,
    ) -> Step:
        """Price the order with the store, choose how it is paid and where it goes, show the
        store's preview in full and hold it for the customer's yes."""
        slots = frame.slots_as(BuySlots)
        customer = customer_of(t)
        checkout = t.tools.store.checkout
        try:
            try:
                # No campaign named: the store applies the best running one this order is
                # eligible for, and says which in the quote.
                quote = checkout.quote(customer.id, lines=lines, coupon_code=slots.coupon_code)
            except (CouponNotFound, CouponNotApplicable) as error:
                t.refused(error)
                slots.coupon_code = None
                quote = checkout.quote(customer.id, lines=lines)
        except CartEmpty:
            t.say("cart_empty")
            return "done"
        except InvalidQuantity as error:
            t.refused(error)
            slots.quantity = None
            frame.asked = "quantity"
            t.say("buy_how_many")
            return "ask"
        address = self._address(customer, slots.address_id)
        if address is None:
            t.say("buy_no_address")
            return "done"
        order = PlaceOrder(
            lines=tuple(
                LineRequest(variant_id=line.variant_id or "", quantity=line.quantity)
                for line in quote.lines
            ),
            payment_method_id="",
            address_id=address.id,
            coupon_code=quote.coupon_code,
            campaign_id=quote.campaign_id,
            expected_total=quote.total,
        )
        preview = self._paid(t, frame, customer, order, products)
        if preview is None:
            return "ask" if frame.asked in ("payment", "quantity") else "done"
        assert preview.quote is not None and preview.payment_method is not None
        names = [
            self._line_name(t, products, line.variant_id, line.name) for line in preview.quote.lines
        ]
        shown = phrases.say(
            "buy_staged",
            t.lang,
            quote=render.quote_block(preview.quote, t.lang, names=names),
            ship_label=render.label("ship_to", t.lang),
            address=address.one_line(),
            pay_label=render.label("pay_with", t.lang),
            method=render.method_text(preview.payment_method, t.lang),
        )
        t.tools.stage(preview, self.job, shown)
        t.add(shown)
        frame.asked = None
        slots.staged_once = True
        return "staged"

    def _line_name(
        self, t: Turn, products: Sequence[ProductView], variant_id: str | None, stored: str
    ) -> str:
        for product in products:
            if any(v.id == variant_id for v in product.variants):
                return localized(product.name, t.lang) or stored
        return stored

    def _paid(
        self,
        t: Turn,
        frame: Frame,
        customer: CustomerView,
        order: PlaceOrder,
        products: Sequence[ProductView],
    ) -> Preview | None:
        """The store's preview of the order paid with the method the customer named, else with
        the first of theirs the store accepts for it; None after saying why none can be used."""
        slots = frame.slots_as(BuySlots)
        methods = customer.payment_methods
        if not methods:
            t.say("buy_no_method")
            return None
        declined = set(slots.declined)
        wanted = next((m for m in methods if m.id == slots.payment_method_id), None)
        tried = [wanted] if wanted is not None else [m for m in methods if m.id not in declined]
        for method in tried:
            try:
                return t.tools.preview(order.model_copy(update={"payment_method_id": method.id}))
            except (InsufficientGiftCardBalance, PaymentMethodUnusable) as short:
                if method is not wanted:
                    continue  # the customer named none: the next method may do
                others = [m for m in methods if m.id != method.id and m.id not in declined]
                slots.payment_method_id = None
                slots.method_choices = [m.id for m in others]
                frame.asked = "payment"
                total = order.expected_total or Money(0, t.tools.store.ctx.policy.currency)
                balance = Money(int(short.details.get("balance") or 0), total.currency)
                t.say(
                    "buy_gift_short",
                    balance=render.money(balance),
                    total=render.money(total),
                    methods=methods_list(others, t.lang),
                )
                return None
            except OutOfStock as error:
                self._too_few(t, frame, products, error)
                return None
            except StoreError as error:
                t.refused(error)
                return None
        slots.method_choices = [m.id for m in methods]
        frame.asked = "payment"
        t.say("buy_other_method", methods=methods_list(methods, t.lang))
        return None

    def _too_few(
        self, t: Turn, frame: Frame, products: Sequence[ProductView], error: OutOfStock
    ) -> None:
        """The store has fewer than asked: say how many are left and ask how many."""
        product = next(
            (p for p in products if any(v.id == error.details["variant_id"] for v in p.variants)),
            None,
        )
        if product is None:
            t.refused(error)
            return
        variant = next(v for v in product.variants if v.id == error.details["variant_id"])
        frame.asked = "quantity"
        t.say(
            "buy_only_left",
            left=error.details["available"],
            name=localized(product.name, t.lang),
            options=variant_text(variant, t.lang),
        )

    def _address(self, customer: CustomerView, address_id: int | None) -> AddressView | None:
        chosen = next((a for a in customer.addresses if a.id == address_id), None)
        return chosen or customer.default_address

    # --- the cart -----------------------------------------------------------------------------

    def _cart_text(self, t: Turn, cart: CartView) -> str:
        if not cart.lines:
            return phrases.say("cart_empty", t.lang)
        lines = "\n".join(
            f"- {t.name_of(line.product_id, line.name)}"
            + (
                f" ({' / '.join(synonyms(v).get(t.lang, v) for v in line.options.values())})"
                if line.options
                else ""
            )
            + f" × {line.quantity}: {render.money(line.line_total)}"
            + ("" if line.in_stock else f" ({STOCK['out'][t.lang]})")
            for line in cart.lines
        )
        return phrases.say("cart_view", t.lang, lines=lines, subtotal=render.money(cart.subtotal))

    def _show_cart(self, t: Turn) -> None:
        t.add(self._cart_text(t, t.tools.store.carts.get(t.tools.customer_id)))

    def _add_to_cart(
        self, t: Turn, product: ProductView, variant: VariantView, quantity: int
    ) -> Step:
        # A cart is a list of intentions, not a commitment: no money moves, so no yes is needed.
        try:
            cart = t.tools.store.carts.add(t.tools.customer_id, variant.id, quantity)
        except StoreError as error:
            t.refused(error)
            return "done"
        options = variant_text(variant, t.lang)
        item = localized(product.name, t.lang) + (f" ({options})" if options else "")
        t.say("cart_added", item=item, quantity=quantity, cart=self._cart_text(t, cart))
        return "done"

    def _remove(self, t: Turn, products: list[ProductView]) -> Step:
        customer_id = t.tools.customer_id
        cart = t.tools.store.carts.get(customer_id)
        in_cart = [p for p in products if any(line.product_id == p.id for line in cart.lines)]
        terms = product_terms(t.text, products)
        named = best_named(terms, in_cart)
        lines = cart.lines
        if t.x.ordinal is not None and not named:
            index = len(lines) - 1 if t.x.ordinal < 0 else t.x.ordinal - 1
            lines = [lines[index]] if 0 <= index < len(lines) else []
        elif len(named) == 1:
            product = named[0]
            lines = [line for line in lines if line.product_id == product.id]
            options, _ = mentioned_options(t.text, product, None)
            if options:
                lines = [
                    line
                    for line in lines
                    if all(line.options.get(k) == x for k, x in options.items())
                ] or lines
        elif len(lines) != 1:
            lines = []
        if not lines:
            t.say("cart_not_in", cart=self._cart_text(t, cart))
            return "done"
        for line in lines:
            cart = t.tools.store.carts.remove(customer_id, line.variant_id)
        item = render.SEP[t.lang].join(t.name_of(line.product_id, line.name) for line in lines)
        t.say("cart_removed", item=item, cart=self._cart_text(t, cart))
        return "done"

    def _checkout_cart(self, t: Turn, frame: Frame, products: list[ProductView]) -> Step:
        return self._stage(t, frame, products, None)

    # --- after the yes ------------------------------------------------------------------------

    def done(self, t: Turn, staged: Staged, result: OrderView | CustomerView) -> None:
        assert isinstance(result, OrderView)
        customer = customer_of(t)
        method = next(
            (m for m in customer.payment_methods if m.id == result.payment_method_id), None
        )
        t.say(
            "buy_placed",
            order_id=result.id,
            items=render.order_items(result, t.lang, t.name_of),
            total=render.money(result.total),
            method=render.method_text(method, t.lang) if method else "",
        )

    def refused(self, t: Turn, staged: Staged, error: StoreError, frame: Frame) -> Step:
        """The store refused the order at the yes (the engine has said why): offer the way on."""
        slots = frame.slots_as(BuySlots)
        action = staged.action
        assert isinstance(action, PlaceOrder)
        if isinstance(error, PaymentDeclined | InsufficientGiftCardBalance | PaymentMethodUnusable):
            failed = action.payment_method_id
            slots.declined = [*slots.declined, failed]
            slots.payment_method_id = None
            others = [m for m in customer_of(t).payment_methods if m.id != failed]
            if not others:
                return "done"
            slots.method_choices = [m.id for m in others]
            frame.asked = "payment"
            t.say("buy_other_method", methods=methods_list(others, t.lang))
            return "ask"
        if isinstance(error, CouponNotApplicable | CouponNotFound):
            slots.coupon_code = None
        if isinstance(
            error,
            QuoteChanged
            | CampaignNotApplicable
            | CouponNotApplicable
            | CouponNotFound
            | OutOfStock
            | VariantUnavailable,
        ):
            products = catalog(t.tools)
            if slots.mode == "checkout":
                return self._checkout_cart(t, frame, products)
            return self._advance(t, frame, products)
        return "done"

"""Finding, comparing, explaining and recommending products from catalog data only: the shopping
jobs that read the store and change nothing. Also the product words shared with buying."""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from shopkeep.agent import phrases, render
from shopkeep.agent.extract import COLOR_NAMES, SIZE_NAMES, match_choices, option_synonyms
from shopkeep.agent.flows.base import Flow, Step, Turn
from shopkeep.agent.jobs import Language
from shopkeep.agent.state import BuySlots, CatalogSlots, Frame
from shopkeep.agent.tools import ShopTools
from shopkeep.store.catalog import normalize
from shopkeep.store.errors import StoreError
from shopkeep.store.money import Money
from shopkeep.store.views import CustomerView, ProductHit, ProductView, VariantView, localized

phrases.register(
    {
        "shop_found": {
            "en": "Here's what I found:\n{items}\nAsk me about any of them, or say \"buy the "
            'first one".',
            "zh": "为您找到这些商品：\n{items}\n可以问我任意一款的详情，或者说“买第一个”。",
            "ko": '이런 상품을 찾았어요:\n{items}\n궁금한 상품을 물어보시거나 "첫 번째 거 살게요"'
            "처럼 말씀해 주세요.",
        },
        "shop_related": {
            "en": "I found nothing by that name, but these products mention it:\n{items}",
            "zh": "没有找到这个名称的商品，不过以下商品的介绍中提到了它：\n{items}",
            "ko": "그 이름의 상품은 없지만, 상품 설명에 언급된 상품이 있어요:\n{items}",
        },
        "shop_none": {
            "en": "Sorry, I couldn't find anything in our catalog matching that.",
            "zh": "抱歉，商品目录里没有找到符合条件的商品。",
            "ko": "죄송해요, 조건에 맞는 상품을 찾지 못했어요.",
        },
        "shop_what": {
            "en": "What are you looking for? We sell {categories}.",
            "zh": "请问您想找什么商品？我们有{categories}。",
            "ko": "어떤 상품을 찾으세요? {categories} 상품이 있어요.",
        },
        "shop_compare": {
            "en": "Side by side:\n\n{blocks}",
            "zh": "对比如下：\n\n{blocks}",
            "ko": "나란히 비교해 드릴게요:\n\n{blocks}",
        },
        "shop_compare_which": {
            "en": 'Which products shall I compare? Name two, or say "compare the first and the '
            'second" after a search.',
            "zh": "您想对比哪几款商品？请说出两款商品的名称，或在搜索后说“比较第一个和第二个”。",
            "ko": '어떤 상품을 비교할까요? 상품 두 개의 이름을 말씀해 주시거나, 검색 후 "첫 번째랑 '
            '두 번째 비교해 줘"처럼 말씀해 주세요.',
        },
        "shop_which_product": {
            "en": "Which product do you mean?{items}",
            "zh": "请问您说的是哪一款商品？{items}",
            "ko": "어떤 상품을 말씀하시는 건가요?{items}",
        },
        "shop_about": {
            "en": "{name}{brand}: {price}, {stock}.{options}{rating}\n{description}",
            "zh": "{name}{brand}：{price}，{stock}。{options}{rating}\n{description}",
            "ko": "{name}{brand}: {price}, {stock}.{options}{rating}\n{description}",
        },
        "shop_prices": {
            "en": "{name}: {prices}.",
            "zh": "{name}：{prices}。",
            "ko": "{name}: {prices}.",
        },
        "shop_stock": {
            "en": "{name}: {variants}.",
            "zh": "{name}：{variants}。",
            "ko": "{name}: {variants}.",
        },
        "shop_options": {
            "en": "{name} comes in {options}.",
            "zh": "{name}可选{options}。",
            "ko": "{name}은(는) {options} 옵션이 있어요.",
        },
        "shop_rating": {
            "en": "{name} is rated {rating}/5 from {count} reviews.",
            "zh": "{name}的评分为 {rating}/5，共 {count} 条评价。",
            "ko": "{name}의 평점은 5점 만점에 {rating}점이에요(리뷰 {count}개).",
        },
        "shop_no_reviews": {
            "en": "{name} has no reviews yet.",
            "zh": "{name}还没有评价。",
            "ko": "{name}은(는) 아직 리뷰가 없어요.",
        },
        "shop_attribute": {
            "en": "{name} — {label}: {values}.",
            "zh": "{name}——{label}：{values}。",
            "ko": "{name} — {label}: {values}.",
        },
        "shop_attribute_yes": {
            "en": "Yes. {name} — {label}: {values}.",
            "zh": "是的。{name}——{label}：{values}。",
            "ko": "네. {name} — {label}: {values}.",
        },
        "shop_attribute_no": {
            "en": "{asked} isn't listed for {name} — {label}: {values}.",
            "zh": "{name}的商品信息中没有列出{asked}——{label}：{values}。",
            "ko": "{name}에는 {asked}이(가) 나와 있지 않아요 — {label}: {values}.",
        },
        "shop_fact": {
            "en": 'From the product information of {name}: "{facts}"',
            "zh": "{name}的商品信息中写道：“{facts}”",
            "ko": '{name}의 상품 정보에 따르면: "{facts}"',
        },
        "shop_unknown": {
            "en": "I'm sorry, the product information for {name} doesn't say, so I can't tell "
            "you for sure.",
            "zh": "抱歉，{name}的商品信息里没有写到这一点，我无法确定地回答您。",
            "ko": "죄송해요, {name}의 상품 정보에는 그 내용이 없어서 정확히 말씀드릴 수 없어요.",
        },
        "shop_recommend": {
            "en": "Here are my picks for you:\n{items}",
            "zh": "为您推荐：\n{items}",
            "ko": "고객님께 추천드려요:\n{items}",
        },
        "shop_recommend_guest": {
            "en": "Here are some well-rated picks:\n{items}",
            "zh": "这几款口碑不错，推荐给您：\n{items}",
            "ko": "평이 좋은 상품을 추천드려요:\n{items}",
        },
        "shop_recommend_none": {
            "en": "Sorry, I don't have anything in stock to recommend for that right now.",
            "zh": "抱歉，目前没有合适的现货可以推荐。",
            "ko": "죄송해요, 지금은 추천드릴 만한 재고 상품이 없어요.",
        },
    }
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- words ------------------------------------------------------------------------------------

STOCK: dict[str, dict[Language, str]] = {
    "in": {"en": "in stock", "zh": "有货", "ko": "재고 있음"},
    "out": {"en": "out of stock", "zh": "缺货", "ko": "품절"},
    "few": {"en": "only {n} left", "zh": "仅剩 {n} 件", "ko": "{n}개 남음"},
}
CATEGORY_NAMES: dict[str, dict[Language, str]] = {
    "beauty": {"en": "beauty", "zh": "美妆护肤", "ko": "뷰티"},
    "electronics": {"en": "electronics", "zh": "数码电子", "ko": "전자기기"},
    "apparel": {"en": "clothing", "zh": "服饰", "ko": "의류"},
    "home": {"en": "home", "zh": "家居", "ko": "홈·리빙"},
}
OPTION_LABELS: dict[str, dict[Language, str]] = {
    "color": {"en": "colour", "zh": "颜色", "ko": "색상"},
    "size": {"en": "size", "zh": "尺码", "ko": "사이즈"},
    "shade": {"en": "shade", "zh": "色号", "ko": "호수"},
    "finish": {"en": "finish", "zh": "款式", "ko": "타입"},
    "pack": {"en": "pack", "zh": "包装", "ko": "구성"},
    "storage": {"en": "storage", "zh": "存储容量", "ko": "저장 용량"},
    "switch": {"en": "switch", "zh": "轴体", "ko": "스위치"},
    "length": {"en": "length", "zh": "长度", "ko": "길이"},
    "wash": {"en": "wash", "zh": "水洗色", "ko": "워싱"},
    "firmness": {"en": "firmness", "zh": "软硬度", "ko": "경도"},
    "item": {"en": "item", "zh": "款式", "ko": "품목"},
    "scent": {"en": "scent", "zh": "香型", "ko": "향"},
    "pieces": {"en": "pieces", "zh": "件数", "ko": "구성"},
}
ATTRIBUTE_LABELS: dict[str, dict[Language, str]] = {
    "skin_type": {"en": "skin types", "zh": "适用肤质", "ko": "피부 타입"},
    "concern": {"en": "for", "zh": "功效", "ko": "고민"},
    "material": {"en": "material", "zh": "材质", "ko": "소재"},
    "fit": {"en": "fit", "zh": "版型", "ko": "핏"},
    "gender": {"en": "for", "zh": "适用", "ko": "대상"},
    "compatible_with": {"en": "works with", "zh": "兼容", "ko": "호환"},
    "connectivity": {"en": "connectivity", "zh": "连接方式", "ko": "연결"},
    "room": {"en": "room", "zh": "适用空间", "ko": "공간"},
}
LABELS: dict[str, dict[Language, str]] = {
    "price": {"en": "Price", "zh": "价格", "ko": "가격"},
    "rating": {"en": "Rating", "zh": "评分", "ko": "평점"},
    "rating_value": {
        "en": "{rating}/5 ({count} reviews)",
        "zh": "{rating}/5（{count} 条评价）",
        "ko": "{rating}/5 (리뷰 {count}개)",
    },
    "no_reviews": {"en": "no reviews yet", "zh": "暂无评价", "ko": "리뷰 없음"},
    "options": {"en": "Options", "zh": "可选", "ko": "옵션"},
}
SKIN_WORDS: dict[str, dict[Language, str]] = {
    "dry": {"en": "dry", "zh": "干性", "ko": "건성"},
    "oily": {"en": "oily", "zh": "油性", "ko": "지성"},
    "combination": {"en": "combination", "zh": "混合性", "ko": "복합성"},
    "sensitive": {"en": "sensitive", "zh": "敏感", "ko": "민감성"},
    "normal": {"en": "normal", "zh": "中性", "ko": "중성"},
}
_SKIN_FORMS: dict[str, re.Pattern[str]] = {
    "dry": re.compile(r"\bdry\b|干性|干皮|干燥肌|干肌|건성"),
    "oily": re.compile(r"\boily\b|油性|油皮|油肌|지성"),
    "combination": re.compile(r"\bcombination\b|混合性|混合肌|混油|混干|복합성"),
    "sensitive": re.compile(r"\bsensitive\b|敏感|민감"),
    "normal": re.compile(r"\bnormal\s+skin\b|中性(?:皮肤|肌肤|皮)|중성\s*피부"),
}
_GENDER_FORMS: dict[str, re.Pattern[str]] = {
    "men": re.compile(r"\b(?:men|men's|mens|male|man's)\b|男士|男款|男生|男式|男装|남성|남자"),
    "women": re.compile(
        r"\b(?:women|women's|womens|female|ladies|lady's)\b|女士|女款|女生|女式|女装|여성|여자"
    ),
}
_CATEGORY_FORMS: dict[str, re.Pattern[str]] = {
    "beauty": re.compile(
        r"\b(?:skin\s*care|cosmetics|beauty|make\s*-?up)\b|护肤品|护肤|化妆品|美妆|彩妆|"
        r"화장품|스킨케어|뷰티|메이크업"
    ),
    "electronics": re.compile(r"\b(?:electronics|gadgets?)\b|数码|电子产品|전자기기|전자제품|가전"),
    "apparel": re.compile(r"\b(?:clothes|clothing|apparel)\b|衣服|服装|服饰|의류|옷"),
    "home": re.compile(r"\b(?:home\s*goods|homeware|household)\b|家居|居家|생활용품|홈\s*리빙"),
}
_IN_STOCK = re.compile(r"\bin\s*stock\b|\bavailable\b|有货|现货|재고\s*있")

_EN_STOP = _words(
    """
    a an the i i'm im i'd i'll me my mine you your we our us it it's its they them their this that
    these those there here is are was were be been am do does did have has had got get getting
    sell sells selling carry carries stock stocked any some something anything everything thing
    things stuff item items product products one ones buy buying bought purchase order ordering
    add added put to cart basket bag checkout check out in on at with without of and or but for
    from by about as into what which who how when where why whats show shows showing find search
    looking look see please pls plz can could would should will shall may might want wanna need
    needs like love prefer also too just only really very much many more most less than under
    below over above between within around cheap cheaper cheapest expensive price prices priced
    cost costs budget max maximum min minimum least dollars dollar bucks usd good nice great best
    better recommend recommendation suggest suggestion maybe yes no not ok okay hi hello hey
    thanks thank available size sizes color colors colour colours pay paying paid payment using
    use ship shipping send deliver compare comparing comparison vs versus difference tell know
    sure actually instead rather new well so then let let's now today each pair pairs piece
    pieces pcs x all every kind sort type skin quantity qty copies unit units total free other
    another same different either both first second third fourth fifth last next previous
    two three four five six seven eight nine ten coupon code promo apply applied gift card
    paypal visa mastercard amex discover alipay kakao kakaopay unionpay credit debit ending
    wallet address home office work again instead please men women mens womens unisex
    male female ladies wondering interested else thing
    """
)
_ZH_FILLERS = sorted(
    _words(
        """
    请问 你好 您好 你们家 你们 您们 我想买 我要买 想买 要买 我想要 我想 我要 想要 购买 下单
    订购 帮我 给我 有没有卖 有没有 有无 有吗 有么 一下 一款 一个 一些 一双 一条 一套 一瓶 一只
    这个 那个
    这款 那款 这些 那些 什么 哪些 哪个 哪款 推荐 几款 几个 看看 看一下 可以 能不能 适合 肌肤 皮肤
    肤质 价格 多少钱 以下 以内 以上 左右 之间 美元 美金 块钱 预算 不超过 低于 高于 超过 加入购物车
    加购物车 放进购物车 加到购物车 购物车 结账 结算 付款 支付 寄到 发到 比较 对比 区别 还有 或者
    有货 现货 库存 颜色 尺码 码数 大小 款式 东西 商品 产品 便宜 好用 礼品卡 支付宝 信用卡 银行卡
    优惠券 优惠码 用 的 了 吗 呢 吧 啊 呀 哦 买 卖 找 我 您 你 请 要 想 和 跟 与 或 还是 男士
    男款 女士 女款 地址 一共 总共
    """
    ),
    key=len,
    reverse=True,
)
_KO_STOP = _words(
    """
    저 제가 저는 저한테 제게 나한테 전 좀 혹시 그 이 저기 것 거 게 걸 뭐 뭐가 어떤 무슨 제품 상품
    물건 주세요 줘
    하나 둘 셋 개 짜리 정도 이하 이상 미만 까지 달러 불 원 사이즈 색상 색깔 컬러 피부 용 만한 좋은
    괜찮은 싼 저렴한 비싼 비교 차이 있는지 그리고 또 또는 아니면 랑 하고 와 과 중에 중 제일 가장
    더 남성 여성 남자 여자 남성용 여성용 장바구니 기프트카드 기프트 카드 페이팔 카카오페이
    알리페이 쿠폰 코드 주소 결제 재고 가격 얼마 얼마예요 얼마에요 것도 거요 거예요 걸로 것으로
    """
)
_KO_STOP_PREFIXES = (
    "있",
    "없",
    "사고",
    "살게",
    "살래",
    "사려",
    "살까",
    "사요",
    "주세",
    "주문",
    "구매",
    "구입",
    "보여",
    "찾",
    "추천",
    "원해",
    "싶",
    "하고",
    "해주",
    "해 주",
    "할게",
    "할래",
    "해요",
    "담아",
    "넣어",
    "결제",
    "계산",
    "알려",
    "궁금",
    "비교",
    "필요",
    "괜찮",
    "좋아",
    "좋은",
    "저렴",
    "어떤",
    "어때",
    "무슨",
    "이거",
    "그거",
    "저거",
    "이걸",
    "그걸",
    "추가",
    "빼",
    "삭제",
    "맞",
    "어울리",
    "쓸",
    "좋을",
    "입을",
)
_KO_PARTICLES = (
    "으로는",
    "한테",
    "에서는",
    "이랑",
    "에게",
    "에서",
    "으로",
    "까지",
    "부터",
    "처럼",
    "보다",
    "하고",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "로",
    "와",
    "과",
    "도",
    "만",
    "에",
    "의",
    "요",
)
_PRICE_TEXT = re.compile(
    r"[$¥₩€£]\s*\d[\d,]*(?:\.\d+)?\s*(?:k\b)?"
    r"|\d[\d,]*(?:\.\d+)?\s*(?:k\s*)?(?:dollars?\b|bucks\b|usd\b|美元|美金|块钱|块|元|달러|불|"
    r"만\s*원|천\s*원|원)"
    r"|[零一二两三四五六七八九十百千万]+\s*(?:块钱|块|元|美元)",
    re.IGNORECASE,
)
_COUNTED_TEXT = re.compile(
    r"第\s*[\d一二两三四五六七八九十]+\s*[个款件种台双条套瓶]?"
    r"|[\d一二两三四五六七八九十]+\s*(?:个|件|瓶|双|条|套|支|只|本|张|包|盒|台|副|罐|份|杯)"
    r"|(?:\d+|한|두|세|네|다섯|여섯|하나|둘|셋|넷)\s*(?:개|병|벌|켤레|팩|권|대|박스|통)(?![가-힣])"
    r"|(?:\d+|첫|두|세|네|다섯)\s*번째|(?:첫|둘|셋|넷)째",
)
_TOKEN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[\uac00-\ud7af]+|[a-z0-9]+(?:[-'+][a-z0-9]+)*"
)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
# Product text that reads like an order to the assistant is never repeated to the customer: a
# merchant's or reviewer's text is data, and instructions hidden in it are the data's problem.
_INSTRUCTION_LIKE = re.compile(
    r"ignore\b|instruction|system\s*:|\bassistant\b|\bprompt\b|\bdiscount|free\s+order|"
    r"mark\s+the\s+order|as\s+paid|authori[sz]ed|忽略|指令|系统|提示词|折扣|免费|免单|무시|지시|"
    r"시스템|할인|무료",
    re.IGNORECASE,
)


# What shoppers call things, mapped to the words the catalog uses.
_PRODUCT_WORDS: dict[str, str] = {
    "moisturizer": "moisturiser cream",
    "face wash": "cleanser",
    "facial cleanser": "cleanser",
    "sneakers": "running shoes",
    "trainers": "running shoes",
    "earphones": "earbuds",
    "headset": "headphones",
    "tshirt": "t-shirt",
    "tee": "t-shirt",
    "tees": "t-shirt",
    "trousers": "chinos",
    "pants": "chinos",
    "lipstick": "lip tint",
    "water bottle": "tumbler",
    "thermos": "tumbler",
    "bedding": "duvet",
    "洗面奶": "洁面",
    "洁面乳": "洁面",
    "洗脸": "洁面",
    "口红": "唇釉",
    "水杯": "保温杯",
    "杯子": "保温杯",
    "充电宝": "移动电源",
    "裤子": "裤",
    "运动鞋": "跑鞋",
    "爽肤水": "爽肤水",
    "폼클렌징": "클렌저",
    "세안제": "클렌저",
    "운동화": "러닝화",
    "립스틱": "립 틴트",
    "물병": "텀블러",
    "헤드셋": "헤드폰",
    "바지": "팬츠",
}
_PRODUCT_WORD = re.compile(
    "|".join(
        rf"(?<![a-z]){re.escape(k)}(?![a-z])" if k.isascii() else re.escape(k)
        for k in sorted(_PRODUCT_WORDS, key=len, reverse=True)
    )
)


def _strip_particle(token: str) -> str:
    for particle in _KO_PARTICLES:
        if token.endswith(particle) and len(token) - len(particle) >= 2:
            return token[: -len(particle)]
    return token


def _singular(token: str) -> str:
    if len(token) > 4 and token.endswith(("ches", "shes", "sses", "xes")):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


@lru_cache(maxsize=1)
def _lexicon_tokens() -> tuple[tuple[str, str], ...]:
    found = set()
    for lexicon in (COLOR_NAMES, SIZE_NAMES):
        for key, names in lexicon.items():
            for lang, forms in names.items():
                for form in (key, *forms):
                    found |= {(lang, tok) for tok in _TOKEN.findall(normalize(form))}
    return tuple(sorted(found))


def option_words(names: Iterable[str]) -> set[str]:
    """Colour and size words that are no product's name: they choose a variant, not a product."""
    name_tokens = {tok for name in names for tok in _TOKEN.findall(normalize(name))}
    return {tok for lang, tok in _lexicon_tokens() if lang != "en" or tok not in name_tokens}


def product_terms(
    text: str,
    products: Sequence[ProductView],
    *,
    drop: Iterable[str] = (),
    names: Sequence[str] | None = None,
) -> list[str]:
    """The words of a message that can name or describe a product: without fillers, prices,
    counts, colours and sizes, in en / zh / ko. `names`: the products' names when the products
    themselves were not read."""
    if names is None:
        names = [name for p in products for name in p.name.values()]
    body = normalize(text)
    for word in drop:
        body = body.replace(normalize(word), " ")
    body = _PRODUCT_WORD.sub(lambda m: f" {_PRODUCT_WORDS[m.group()]} ", body)
    body = _PRICE_TEXT.sub(" ", body)
    body = _COUNTED_TEXT.sub(" ", body)
    colours = option_words(names)
    cjk_names = normalize(" ".join(n for n in names if _HAN.search(n) or _HANGUL.search(n)))
    for form in sorted(colours, key=len, reverse=True):
        if len(form) >= 2 and (_HAN.search(form) or _HANGUL.search(form)) and form not in cjk_names:
            body = body.replace(form, " ")
    for filler in _ZH_FILLERS:
        body = body.replace(filler, " ")
    terms: list[str] = []
    for token in _TOKEN.findall(body):
        if _HANGUL.search(token):
            token = _strip_particle(token)
            if token in _KO_STOP or token.startswith(_KO_STOP_PREFIXES) or len(token) < 2:
                continue
        elif _HAN.search(token):
            if len(token) < 2 and token not in ("裤", "鞋", "锅", "枕"):
                continue
        else:
            if token.isdigit() or token in _EN_STOP or token in colours or len(token) < 2:
                continue
            token = _singular(token)
        if token not in terms:
            terms.append(token)
    return terms


def _product_text(p: ProductView) -> str:
    values = [v for vs in p.attributes.values() for v in vs]
    return normalize(" ".join([*p.description.values(), *values]))


def _name_text(p: ProductView) -> str:
    return normalize(" ".join(p.name.values()))


def name_score(term: str, product: ProductView) -> float:
    """How well one word names the product: 1 for a word of its name in any language, less for
    part of a Chinese name, half for its brand."""
    names = _name_text(product)
    compact = re.sub(r"\s+", "", names)
    brand = normalize(product.brand or "")
    if _HAN.search(term) or _HANGUL.search(term):
        if term in compact:
            return 1.0
        if _HAN.search(term) and len(term) > 2:
            grams = [term[i : i + 2] for i in range(len(term) - 1)]
            found = sum(1 for g in grams if g in compact) / len(grams)
            return found if found >= 0.5 else 0.0
        return 0.0
    tokens = _TOKEN.findall(names)
    if len(term) >= 4 and any(term in tok for tok in tokens):
        return 1.0
    if len(term) == 3 and any(tok.startswith(term) for tok in tokens):
        return 1.0
    if term in tokens:
        return 1.0
    if brand and (term in _TOKEN.findall(brand)):
        return 0.5
    return 0.0


def ranked_by_name(terms: Sequence[str], products: Iterable[ProductView]) -> list[ProductView]:
    """Products some of the words name, those named best first; ties share the top."""
    scored = [(sum(name_score(term, p) for term in terms), p) for p in products]
    scored = [(score, p) for score, p in scored if score > 0]
    scored.sort(key=lambda item: -item[0])
    return [p for _, p in scored]


def best_named(terms: Sequence[str], products: Iterable[ProductView]) -> list[ProductView]:
    """The products the words name best: one when the words settle it, several when tied."""
    scored = [(sum(name_score(term, p) for term in terms), p) for p in products]
    top = max((score for score, _ in scored), default=0.0)
    if top <= 0:
        return []
    return [p for score, p in scored if score >= top - 1e-9]


_READ: weakref.WeakKeyDictionary[ShopTools, list[ProductView]] = weakref.WeakKeyDictionary()


def catalog(tools: ShopTools) -> list[ProductView]:
    """Every product, in catalog order, read once per turn (the tools live for one turn)."""
    products = _READ.get(tools)
    if products is None:
        products = tools.store.catalog.everything()
        _READ[tools] = products
    return products


_CUSTOMER: weakref.WeakKeyDictionary[ShopTools, CustomerView] = weakref.WeakKeyDictionary()


def customer_of(t: Turn) -> CustomerView:
    """The verified customer, read once per turn."""
    customer = _CUSTOMER.get(t.tools)
    if customer is None:
        customer = t.tools.customer()
        _CUSTOMER[t.tools] = customer
    return customer


@lru_cache(maxsize=4096)
def synonyms(value: str) -> dict[str, str]:
    """An option value's name in each language (cached: the lexicon never changes)."""
    return option_synonyms(value)


@lru_cache(maxsize=4096)
def _surface(value: str, own_names: bool) -> tuple[str, ...]:
    """Every way a message may write the value, for a quick look before the exact match."""
    wanted = normalize(value)
    forms = {wanted, normalize(value.replace("_", " "))}
    if own_names:
        forms |= {normalize(n) for n in synonyms(value).values()}
    for lexicon in (COLOR_NAMES, SIZE_NAMES):
        for key, names in lexicon.items():
            written = {normalize(f) for lang_forms in names.values() for f in lang_forms}
            if wanted in (normalize(key), *[normalize(f) for f in names["en"]]) or (
                forms & written
            ):
                forms |= written | {normalize(key)}
    return tuple(f for f in forms if f)


def mentioned_values(text: str, values: Iterable[str], *, own_names: bool = True) -> list[str]:
    """The values the message names, in the order named (`match_choices`, on the few values
    whose words appear at all)."""
    low = normalize(text)
    near = [v for v in dict.fromkeys(values) if any(f in low for f in _surface(v, own_names))]
    if not near:
        return []
    return match_choices(text, {v: (synonyms(v) if own_names else {}) for v in near})


# --- showing products -------------------------------------------------------------------------


def price_text(variants: Sequence[VariantView]) -> str:
    prices = sorted(v.price for v in variants if v.in_stock) or sorted(v.price for v in variants)
    if not prices:
        return ""
    low, high = prices[0], prices[-1]
    return render.money(low) if low == high else f"{render.money(low)}–{render.money(high)}"


def stock_text(variants: Sequence[VariantView], lang: Language) -> str:
    return STOCK["in" if any(v.in_stock for v in variants) else "out"][lang]


def value_name(value: str, lang: Language) -> str:
    return synonyms(value).get(lang, value)


def variant_text(variant: VariantView, lang: Language) -> str:
    return " / ".join(value_name(v, lang) for v in variant.options.values())


def options_summary(product: ProductView, lang: Language) -> str:
    keys: dict[str, list[str]] = {}
    for variant in product.variants:
        if not variant.available:
            continue
        for key, value in variant.options.items():
            keys.setdefault(key, [])
            if value not in keys[key]:
                keys[key].append(value)
    parts = []
    for key, values in keys.items():
        if len(values) < 2 and len(product.variants) > 1:
            continue
        label = OPTION_LABELS.get(key, {}).get(lang, key)
        shown = render.SEP[lang].join(value_name(v, lang) for v in values)
        parts.append(f"{label}: {shown}")
    return "; ".join(parts)


def rating_text(product: ProductView, lang: Language) -> str:
    if not product.review_count or product.rating is None:
        return LABELS["no_reviews"][lang]
    return LABELS["rating_value"][lang].format(
        rating=f"{product.rating:.1f}", count=product.review_count
    )


def product_line(
    index: int, product: ProductView, lang: Language, variants: Sequence[VariantView] | None = None
) -> str:
    shown = list(variants) if variants else product.variants
    parts = [
        localized(product.name, lang),
        price_text(shown),
        stock_text(shown, lang),
    ]
    if product.review_count and product.rating is not None:
        parts.append(f"★{product.rating:.1f}")
    return f"{index}. " + " — ".join(p for p in parts if p)


def attribute_values(product: ProductView, key: str, lang: Language) -> str:
    values = product.attributes.get(key, [])
    if key == "skin_type":
        return render.SEP[lang].join(SKIN_WORDS.get(v, {}).get(lang, v) for v in values)
    return render.SEP[lang].join(values)


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|(?<=[。！？])\s*", text)
    return [p.strip() for p in parts if p.strip()]


def safe_description(product: ProductView, lang: Language) -> list[str]:
    """The description's sentences that state facts; any that read like instructions are left
    out, whatever they say."""
    text = localized(product.description, lang)
    return [s for s in sentences(text) if not _INSTRUCTION_LIKE.search(s)]


def compare_block(product: ProductView, lang: Language) -> str:
    lines = [
        f"{localized(product.name, lang)}",
        f"- {LABELS['price'][lang]}: {price_text(product.variants)} "
        f"({stock_text(product.variants, lang)})",
        f"- {LABELS['rating'][lang]}: {rating_text(product, lang)}",
    ]
    options = options_summary(product, lang)
    if options:
        lines.append(f"- {LABELS['options'][lang]}: {options}")
    for key in product.attributes:
        label = ATTRIBUTE_LABELS.get(key, {}).get(lang, key)
        lines.append(f"- {label}: {attribute_values(product, key, lang)}")
    return "\n".join(lines)


# --- reading a request ------------------------------------------------------------------------


@dataclass
class Wish:
    """What a shopper asks for: words, a category, filters and a price range."""

    terms: list[str]
    text: str = ""
    category: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)
    """Colour and size words named ("blue", "M"), before they meet the catalog's values."""
    colours: set[str] = field(default_factory=set)
    """Catalog option values the shopper named (any colour-like option): see `narrow`."""
    sizes: set[str] = field(default_factory=set)
    price_min: Money | None = None
    price_max: Money | None = None
    in_stock: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.terms
            or self.category
            or self.attributes
            or self.options
            or self.price_min
            or self.price_max
        )


def _money(value: Decimal | None, currency: str | None, store_currency: str) -> Money | None:
    if value is None or (currency is not None and currency != store_currency):
        # A bound in another currency is not converted: the shop has no exchange rates.
        return None
    try:
        return Money.from_decimal(value, store_currency)
    except (ValueError, InvalidOperation):
        return None


def skin_types(text: str) -> list[str]:
    low = normalize(text)
    return [key for key, pattern in _SKIN_FORMS.items() if pattern.search(low)]


def read_wish(
    t: Turn, products: Sequence[ProductView] | None = None, text: str | None = None
) -> Wish:
    """What the message asks for. Without `products`, the catalog's names stand in for them
    (a cheaper read), and colours and sizes meet the catalog's values later, in `narrow`."""
    text = t.text if text is None else text
    low = normalize(text)
    drop: list[str] = [*t.x.coupon_codes, *t.x.emails, *t.x.order_ids]
    wish = Wish(terms=[], text=text)
    for category, pattern in _CATEGORY_FORMS.items():
        m = pattern.search(low)
        if m:
            wish.category = category
            drop.append(m.group())
            break
    skins = skin_types(text)
    if skins:
        wish.attributes["skin_type"] = skins
        drop += [m.group() for key in skins if (m := _SKIN_FORMS[key].search(low))]
    for gender, pattern in _GENDER_FORMS.items():
        m = pattern.search(low)
        if m:
            wish.attributes["gender"] = [gender, "unisex"]
            drop.append(m.group())
    wish.options = mentioned_values(text, COLOR_NAMES, own_names=False) + mentioned_values(
        text, [k for k in SIZE_NAMES if len(k) <= 3], own_names=False
    )
    currency = t.tools.store.ctx.policy.currency
    wish.price_min = _money(t.x.min_price, t.x.price_currency, currency)
    wish.price_max = _money(t.x.max_price, t.x.price_currency, currency)
    wish.in_stock = bool(_IN_STOCK.search(low))
    names = None if products is not None else list(t.tools.store.catalog.product_names().values())
    wish.terms = product_terms(text, products or [], drop=drop, names=names)
    narrow(wish, products or [])
    return wish


def narrow(wish: Wish, products: Sequence[ProductView]) -> None:
    """The colours and sizes named, as these products' option values ("blue" → "ocean blue")."""
    values: list[str] = []
    sizes: set[str] = set()
    for p in products:
        for v in p.variants:
            for key, value in v.options.items():
                values.append(value)
                if key == "size":
                    sizes.add(value)
    named = set(mentioned_values(wish.text, values))
    for word in wish.options:
        named |= {value for value in values if normalize(word) in normalize(value).split()}
    wish.sizes = {v for v in named if v in sizes}
    wish.colours = named - wish.sizes


def find(
    t: Turn, wish: Wish, products: Sequence[ProductView] | None = None, limit: int = 3
) -> list[ProductHit]:
    """The catalog's best matches for a wish, best first: the words must match (names count
    most), the filters must all hold."""
    catalog_ = t.tools.store.catalog
    try:
        hits = catalog_.search(
            " ".join(wish.terms),
            category=wish.category,
            attributes=wish.attributes or None,
            price_min=wish.price_min,
            price_max=wish.price_max,
            in_stock_only=wish.in_stock,
            limit=200,
        )
    except StoreError:
        return []
    if not hits and wish.terms:
        # Words the search cannot split (Chinese without spaces, "T恤") may still name a product.
        named = {p.id for p in ranked_by_name(wish.terms, products or catalog(t.tools))}
        if named:
            hits = [
                h
                for h in catalog_.search(
                    "",
                    category=wish.category,
                    attributes=wish.attributes or None,
                    price_min=wish.price_min,
                    price_max=wish.price_max,
                    in_stock_only=wish.in_stock,
                    limit=200,
                )
                if h.product.id in named
            ]
    if not hits and wish.terms and (wish.category or wish.attributes):
        # "clothes that suit me", "洗面奶 for oily skin": words that match nothing say less
        # than the category or the skin type
        return find(t, replace(wish, terms=[]), products, limit)
    narrow(wish, [hit.product for hit in hits])
    kept: list[tuple[float, ProductHit]] = []
    for hit in hits:
        variants = [v for v in hit.matching_variants if _fits(v, wish, hit.product)]
        if not variants:
            continue
        score = hit.score + sum(name_score(term, hit.product) for term in wish.terms)
        kept.append((score, hit.model_copy(update={"matching_variants": variants})))
    kept.sort(key=lambda item: -item[0])
    if kept and wish.terms:
        top = kept[0][0]
        kept = [item for item in kept if item[0] >= top * 0.5]
        by_name = [
            item for item in kept if sum(name_score(w, item[1].product) for w in wish.terms) >= 1
        ]
        # Words that name products ("jackets", "Lumo 8") mean those products, not others whose
        # description happens to share a word.
        kept = by_name or kept
    return [hit for _, hit in kept[:limit]]


COLOUR_KEYS = frozenset({"color", "shade", "wash"})


def _fits(variant: VariantView, wish: Wish, product: ProductView) -> bool:
    """Whether a variant has the colour and size asked for. With words that name the product,
    a product that has no colours (or sizes) at all is not held to them."""
    values = set(variant.options.values())
    keys = {k for v in product.variants for k in v.options}
    if wish.colours and not values & wish.colours and (keys & COLOUR_KEYS or not wish.terms):
        return False
    return not (wish.sizes and not values & wish.sizes and ("size" in keys or not wish.terms))


# --- ordinals and "it" ------------------------------------------------------------------------

_ORDINAL_WORDS = re.compile(
    r"\b(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\b"
    r"|第\s*([一二三四五12345])|(最后)"
    r"|(첫|두|세|네|다섯|[1-5])\s*번째|(첫|둘|셋|넷)째|(마지막)",
)
_ORDINAL_VALUES = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "첫": 1,
    "두": 2,
    "둘": 2,
    "세": 3,
    "셋": 3,
    "네": 4,
    "넷": 4,
    "다섯": 5,
}
PRONOUN = re.compile(
    r"\b(?:it|this|that|this\s+one|that\s+one|they|them)\b|它|这个|这款|那个|那款|该商品|이거|이걸|"
    r"이것|그거|그걸|그것|저거|이\s*제품|이\s*상품"
)
_ALL_SHOWN = re.compile(
    r"\b(?:them|these|those|both|all\s+(?:three|of\s+them))\b|它们|这几款|这两款|两款|这些|"
    r"이것들|둘\s*다|세\s*개|두\s*개|다\s*비교"
)


def ordinals(text: str) -> list[int]:
    """Every "first / second / last" in the message, in order; -1 is the last."""
    found = []
    for m in _ORDINAL_WORDS.finditer(normalize(text)):
        word = next(g for g in m.groups() if g)
        if word in ("last", "最后", "마지막"):
            found.append(-1)
        elif word.isdigit():
            found.append(int(word))
        else:
            found.append(_ORDINAL_VALUES.get(word, 0))
    return [n for n in found if n]


def pick_shown(shown: Sequence[str], ordinal: int | None) -> str | None:
    if ordinal is None or not shown:
        return None
    index = len(shown) - 1 if ordinal < 0 else ordinal - 1
    return shown[index] if 0 <= index < len(shown) else None


def by_id(products: Sequence[ProductView], product_id: str) -> ProductView | None:
    return next((p for p in products if p.id == product_id), None)


# --- search and compare -----------------------------------------------------------------------

_COMPARE = re.compile(
    r"\bcompar\w*|\bvs\.?(?!\w)|\bversus\b|\bdifference\b|比较|对比|区别|哪个好|哪个更|비교|차이|"
    r"뭐가\s*나"
)
_SEPARATORS = re.compile(
    r"\s+(?:and|vs\.?|versus|or|with|to)\s+|[,，、/]|和|跟|与|还是|或者|하고|이랑|랑|(?<=[가-힣])와\s|"
    r"(?<=[가-힣])과\s|\s+vs\s+"
)


def show_hits(t: Turn, wish: Wish, hits: Sequence[ProductHit]) -> None:
    """Up to three products with price range and stock, remembered for "the second one"."""
    if not hits:
        t.say("shop_none")
        return
    t.show_products([h.product.id for h in hits])
    items = "\n".join(
        product_line(i, h.product, t.lang, h.matching_variants) for i, h in enumerate(hits, 1)
    )
    named = any(name_score(w, h.product) > 0 for h in hits for w in wish.terms)
    described = any(_mentions(_product_text(h.product), w) for h in hits for w in wish.terms)
    # Words found only in descriptions ("laptops") are not products we sell: say so.
    t.say("shop_related" if described and not named else "shop_found", items=items)


class SearchFlow(Flow):
    job = "search"
    needs_identity = False

    def run(self, t: Turn, frame: Frame) -> Step:
        if _COMPARE.search(normalize(t.text)):
            return self.compare(t, frame, catalog(t.tools))
        wish = read_wish(t)
        if wish.empty:
            if frame.asked == "what":
                return "unknown"
            frame.asked = "what"
            t.say("shop_what", categories=self._categories(t))
            return "ask"
        show_hits(t, wish, find(t, wish))
        return "done"

    def _categories(self, t: Turn) -> str:
        names = [
            CATEGORY_NAMES.get(c, {}).get(t.lang, c) for c in t.tools.store.catalog.categories()
        ]
        return render.SEP[t.lang].join(names)

    def compare(self, t: Turn, frame: Frame, products: list[ProductView]) -> Step:
        chosen: list[ProductView] = []
        shown = t.state.shown_products
        for n in ordinals(t.text):
            product_id = pick_shown(shown, n)
            product = by_id(products, product_id) if product_id else None
            if product is not None and product not in chosen:
                chosen.append(product)
        for part in _SEPARATORS.split(normalize(t.text)):
            terms = product_terms(part, products)
            named = best_named(terms, products)
            if len(named) == 1 and named[0] not in chosen:
                chosen.append(named[0])
            elif len(named) > 1 and len(named) <= 3 and not chosen:
                # "compare the jackets": the words name a few products at once
                chosen += [p for p in named if p not in chosen]
        if len(chosen) < 2 and len(shown) >= 2 and (_ALL_SHOWN.search(t.text) or not chosen):
            chosen = [p for pid in shown[:3] if (p := by_id(products, pid)) is not None]
        if len(chosen) < 2:
            t.say("shop_compare_which")
            return "done"
        chosen = chosen[:3]
        t.show_products([p.id for p in chosen])
        blocks = "\n\n".join(compare_block(p, t.lang) for p in chosen)
        t.say("shop_compare", blocks=blocks)
        return "done"


# --- product questions ------------------------------------------------------------------------

_ASK_PRICE = re.compile(
    r"how\s+much\s+(?:is|are|does\s+\w+\s+cost|do\s+they\s+cost|for)\b|\bprices?\b|\bcosts?\b|"
    r"多少钱|价格|价钱|售价|얼마(?:예요|에요|인가요|죠|야|일까요|하나요)|가격"
)
_ASK_STOCK = re.compile(
    r"in\s*stock|\bavailab|sold\s*out|有货|有没有货|库存|现货|缺货|卖完|재고|품절|살\s*수\s*있"
)
_ASK_OPTIONS = re.compile(
    r"colou?rs?\b|\bsizes?\b|\bshades?\b|\boptions?\b|\bvariants?\b|\bversions?\b|颜色|尺码|"
    r"色号|款式|规格|型号|几种|색상|색깔|컬러|사이즈|호수|옵션|종류"
)
_ASK_RATING = re.compile(
    r"ratings?|reviews?|\bstars?\b|\brated\b|评价|评分|好评|口碑|리뷰|후기|평점|별점"
)
_ASK_ATTRIBUTE: dict[str, re.Pattern[str]] = {
    "skin_type": re.compile(r"\bskin\b|肤|肌|피부|건성|지성|민감|복합성|중성"),
    "compatible_with": re.compile(
        r"compatib|works?\s+with|iphone|android|\bios\b|\bmac|ipad|switch|galaxy|samsung|兼容|"
        r"支持|能用|适配|苹果|安卓|호환|아이폰|안드로이드|갤럭시|맥북"
    ),
    "material": re.compile(
        r"material|fabric|made\s+(?:of|from)|what.*made|材质|面料|材料|什么做的|소재|재질|원단"
    ),
    "fit": re.compile(r"\bfit\b|\bfits\b|版型|修身|宽松|핏"),
    "connectivity": re.compile(
        r"bluetooth|\busb|wi-?fi|\b5g\b|\bnfc\b|connect|蓝牙|连接|블루투스|연결"
    ),
    "room": re.compile(
        r"\broom\b|kitchen|bedroom|bathroom|office|厨房|卧室|浴室|办公|주방|침실|욕실"
    ),
    "concern": re.compile(
        r"\bacne\b|breakout|pores|redness|wrinkle|fine\s+lines|痘|毛孔|泛红|细纹|여드름|모공|주름"
    ),
}
_DEVICE_WORDS: dict[str, re.Pattern[str]] = {
    "iphone": re.compile(r"iphone|\bios\b|苹果手机|아이폰", re.IGNORECASE),
    "android": re.compile(r"android|安卓|안드로이드", re.IGNORECASE),
    "mac": re.compile(r"\bmac|macbook|맥북", re.IGNORECASE),
    "ipad": re.compile(r"ipad|아이패드", re.IGNORECASE),
    "windows": re.compile(r"windows|윈도우", re.IGNORECASE),
    "switch": re.compile(r"\bswitch\b|任天堂|닌텐도", re.IGNORECASE),
    "samsung": re.compile(r"samsung|galaxy|三星|삼성|갤럭시", re.IGNORECASE),
}
_DEVICE_MATCHES = {
    "iphone": ("iphone", "ios"),
    "android": ("android",),
    "mac": ("mac",),
    "ipad": ("ipad",),
    "windows": ("windows",),
    "switch": ("switch",),
    "samsung": ("samsung", "android"),
}
# Topics whose facts live in the description, with the words that ask about them and the words
# of the sentences that answer them.
_TOPICS: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (
        re.compile(
            r"where.*\bmade\b|made\s+in|origin|country|产地|哪里生产|哪里产|哪国|哪里制造|"
            r"원산지|어디서\s*만들|제조국|어느\s*나라"
        ),
        re.compile(r"made\s+in|origin|sourced|产地|产自|原产|원산지|제조국"),
    ),
    (
        re.compile(r"plane|flight|\bfly\b|airline|carry-?on|飞机|登机|航空|비행기|기내"),
        re.compile(r"airline|carry-?on|flight|\bwh\b|航空|随身|登机|기내|비행"),
    ),
    (
        re.compile(r"\boven|heat|temperature|烤箱|耐温|温度|多少度|오븐|온도|내열"),
        re.compile(r"\boven|°|烤箱|耐温|오븐"),
    ),
    (
        re.compile(r"battery|charg|last|电池|续航|充电|배터리|충전|사용\s*시간"),
        re.compile(r"battery|charg|playback|hours|weeks|mah|电池|续航|充电|小时|배터리|충전|시간"),
    ),
    (
        re.compile(r"waterproof|water|rain|swim|sweat|防水|防汗|防雨|游泳|방수|땀|수영"),
        re.compile(r"waterproof|water|ipx\d|ip\d\d|sweat|rain|防水|防汗|防泼水|방수|발수|땀"),
    ),
    (
        re.compile(r"fragrance|scent|perfume|smell|香精|香味|香料|味道|향료|향|냄새"),
        re.compile(r"fragrance|scent|香精|香|향"),
    ),
    (
        re.compile(r"ingredient|contain|what'?s\s+in|成分|含|성분|함유"),
        re.compile(r"contain|%|with\b|成分|含|성분|함유|%"),
    ),
    (
        re.compile(r"weigh|heavy|\blight\b|重量|多重|무게|가벼|무거"),
        re.compile(r"\d\s*(?:g|kg)\b|weigh|克|千克|重|무게|\dg\b"),
    ),
    (
        re.compile(r"dimension|how\s+big|how\s+large|measure|尺寸|多大|크기|사이즈가"),
        re.compile(r"\d\s*(?:mm|cm|inch|m)\b|×|毫米|厘米|英寸|크기|\dmm|\dcm"),
    ),
    (
        re.compile(r"warrant|guarantee|保修|质保|보증|워런티"),
        re.compile(r"warrant|guarantee|保修|质保|보증"),
    ),
    (
        re.compile(
            r"how\s+(?:do\s+i|to|should\s+i)\s+use|apply|用法|怎么用|使用方法|사용법|어떻게\s*(?:써|사용)"
        ),
        re.compile(r"\buse\b|apply|morning|evening|使用|早晚|사용|바르|아침저녁"),
    ),
    (
        re.compile(r"wash|machine|clean|洗|세탁|빨래"),
        re.compile(r"wash|machine|dishwasher|洗|세탁|식기세척"),
    ),
    (
        re.compile(r"noise|anc\b|降噪|노이즈|노캔"),
        re.compile(r"noise|降噪|노이즈"),
    ),
    (
        re.compile(r"vegan|cruelty|纯素|비건"),
        re.compile(r"vegan|纯素|비건"),
    ),
]
_QUESTION_STOP = _words(
    """
    tell more info information details detail about does do is are it its this that they them
    have has work works good well long big heavy what how why which whose made need know explain
    describe please can could will would should safe okay ok
    """
)


class ProductQuestionFlow(Flow):
    job = "product_question"
    needs_identity = False

    def run(self, t: Turn, frame: Frame) -> Step:
        products = catalog(t.tools)
        question = frame.slots_as(CatalogSlots).question or t.text
        asked_before = frame.asked == "product"
        product = self._product(t, frame, products)
        if product is None:
            if frame.asked is None:
                return "done"  # answered as a search
            # An answer that picks nothing is not for this question: let the engine look again.
            return "unknown" if asked_before else "ask"
        frame.asked = None
        self.answer(t, product, question, products)
        return "done"

    def _product(self, t: Turn, frame: Frame, products: list[ProductView]) -> ProductView | None:
        """The product asked about: named, picked from the last list ("the second one"), the
        one being bought, or the only one shown; otherwise the customer is asked which."""
        shown = t.state.shown_products
        terms = product_terms(t.text, products)
        named = best_named(terms, products)
        if len(named) > 1:
            # "Leaf 7 防水吗": the property asked about is not what names the product.
            plain = [w for w in terms if not any(asked.search(w) for asked, _ in _TOPICS)]
            narrower = best_named(plain, products)
            if len(narrower) == 1:
                named = narrower
        if frame.asked == "product":
            listed = list(frame.slots_as(CatalogSlots).candidates) or shown
            picked = pick_shown(listed, t.x.ordinal)
            if picked is None and named:
                inside = [p.id for p in named if p.id in listed]
                if len(inside) == 1:
                    picked = inside[0]
                elif len(named) == 1:
                    picked = named[0].id
            return by_id(products, picked) if picked else None
        context = self._context(t, frame, products)
        if context is not None and (PRONOUN.search(normalize(t.text)) or t.x.ordinal):
            # "Is it waterproof?", "is the second one waterproof?": the product in view, not one
            # named "Waterproof ...".
            named = []
        if len(named) == 1:
            if named[0].id not in shown or t.x.ordinal is None:
                t.show_products([named[0].id])
            return named[0]
        if context is not None:
            return context
        wish = read_wish(t, products)
        if len(named) > 1 or wish.attributes or wish.category or wish.price_max:
            # "Any cream for dry skin?": no one product is meant, so it is a search.
            hits = find(t, wish, products)
            if hits:
                show_hits(t, wish, hits)
                frame.asked = None
                return None
        candidates = named[:3] or [p for pid in shown[:3] if (p := by_id(products, pid))]
        slots = frame.slots_as(CatalogSlots)
        slots.question, slots.candidates = t.text, [p.id for p in candidates]
        if candidates:
            t.show_products([p.id for p in candidates])
        frame.asked = "product"
        items = "".join(f"\n{product_line(i, p, t.lang)}" for i, p in enumerate(candidates, 1))
        t.say("shop_which_product", items=items)
        return None

    def _context(self, t: Turn, frame: Frame, products: list[ProductView]) -> ProductView | None:
        picked = pick_shown(t.state.shown_products, t.x.ordinal)
        if picked is not None:
            return by_id(products, picked)
        for below in reversed(t.state.stack):
            if below is not frame and isinstance(below.slots, BuySlots) and below.slots.product_id:
                return by_id(products, below.slots.product_id)
        if len(t.state.shown_products) == 1:
            return by_id(products, t.state.shown_products[0])
        return None

    def answer(
        self, t: Turn, product: ProductView, question: str, products: Sequence[ProductView]
    ) -> None:
        """Say what the catalog data says about the product, and nothing it doesn't."""
        lang = t.lang
        name = localized(product.name, lang)
        # The product's own name says nothing about what is asked ("the USB-C cable").
        low = without_name(question, product, products)
        said = False
        if _ASK_PRICE.search(low):
            prices = render.SEP[lang].join(
                f"{variant_text(v, lang) or name} {render.money(v.price)}"
                for v in product.variants
                if v.available
            )
            t.say("shop_prices", name=name, prices=prices)
            said = True
        if _ASK_STOCK.search(low):
            t.say("shop_stock", name=name, variants=self._stock(product, lang))
            said = True
        if _ASK_OPTIONS.search(low) and not _ASK_ATTRIBUTE["skin_type"].search(low):
            options = options_summary(product, lang)
            if options:
                t.say("shop_options", name=name, options=options)
                said = True
        if _ASK_RATING.search(low):
            if product.review_count and product.rating is not None:
                t.say(
                    "shop_rating",
                    name=name,
                    rating=f"{product.rating:.1f}",
                    count=product.review_count,
                )
            else:
                t.say("shop_no_reviews", name=name)
            said = True
        specific = False
        for key, pattern in _ASK_ATTRIBUTE.items():
            if pattern.search(low):
                specific = True
                said = self._attribute(t, product, key, question, low) or said
        if said:
            return
        facts = self._facts(product, question, low, products, lang)
        if facts is None and specific:
            facts = []  # asked about something this product's data has no field for
        if facts is None:
            self._about(t, product)
        elif facts:
            t.say("shop_fact", name=name, facts=" ".join(facts))
        else:
            t.event("unknown_fact", product_id=product.id)
            t.say("shop_unknown", name=name)

    def _stock(self, product: ProductView, lang: Language) -> str:
        parts = []
        for v in product.variants:
            if not v.available:
                continue
            label = variant_text(v, lang)
            state = STOCK["in" if v.in_stock else "out"][lang]
            parts.append(f"{label} {state}" if label else state)
        return render.SEP[lang].join(parts)

    def _attribute(self, t: Turn, product: ProductView, key: str, question: str, low: str) -> bool:
        lang = t.lang
        if key not in product.attributes:
            return False
        name = localized(product.name, lang)
        label = ATTRIBUTE_LABELS.get(key, {}).get(lang, key)
        values = attribute_values(product, key, lang)
        asked: list[str] = []
        held = False
        if key == "skin_type":
            asked_keys = skin_types(question)
            asked = [SKIN_WORDS[k][lang] for k in asked_keys]
            held = bool(asked_keys) and all(
                k in product.attributes["skin_type"] for k in asked_keys
            )
        elif key == "compatible_with":
            devices = [d for d, pattern in _DEVICE_WORDS.items() if pattern.search(low)]
            listed = [normalize(v) for v in product.attributes["compatible_with"]]
            written = unicodedata.normalize("NFKC", question)
            asked = [m.group() for d in devices if (m := _DEVICE_WORDS[d].search(written))]
            held = bool(devices) and all(
                any(word in value for value in listed for word in _DEVICE_MATCHES[d])
                for d in devices
            )
        if asked:
            t.say(
                "shop_attribute_yes" if held else "shop_attribute_no",
                name=name,
                asked=render.SEP[lang].join(asked),
                label=label,
                values=values,
            )
        else:
            t.say("shop_attribute", name=name, label=label, values=values)
        return True

    def _facts(
        self,
        product: ProductView,
        question: str,
        low: str,
        products: Sequence[ProductView],
        lang: Language,
    ) -> list[str] | None:
        """Sentences of the description that answer the question; [] when it asks something
        the description doesn't say; None when it asks nothing in particular."""
        said = safe_description(product, lang)
        for asks, answers in _TOPICS:
            if asks.search(low):
                return [s for s in said if answers.search(normalize(s))][:2]
        name_words = set(_TOKEN.findall(_name_text(product)))
        keywords = [
            w
            for w in product_terms(question, products)
            if w not in _QUESTION_STOP and w not in name_words and name_score(w, product) == 0
        ]
        if not keywords:
            return None
        return [s for s in said if any(_mentions(normalize(s), w) for w in keywords)][:2]

    def _about(self, t: Turn, product: ProductView) -> None:
        lang = t.lang
        stop = "。" if lang == "zh" else "."
        options = options_summary(product, lang)
        description = " ".join(safe_description(product, lang)[:2])
        t.say(
            "shop_about",
            name=localized(product.name, lang),
            brand=f" ({product.brand})" if product.brand else "",
            price=price_text(product.variants),
            stock=stock_text(product.variants, lang),
            options=f" {options}{stop}" if options else "",
            rating=f" {LABELS['rating'][lang]}: {rating_text(product, lang)}{stop}",
            description=description,
        )


def without_name(question: str, product: ProductView, products: Sequence[ProductView]) -> str:
    """The question, normalised, without the words that name the product."""
    low = normalize(question)
    compact = re.sub(r"\s+", "", _name_text(product))
    for term in product_terms(question, products):
        if name_score(term, product) <= 0:
            continue
        if _HAN.search(term) or _HANGUL.search(term):
            low = low.replace(term, _cut_name(term, compact))
        else:
            low = low.replace(term, " ")
    for word in _TOKEN.findall(_name_text(product)):
        if len(word) >= 2:
            low = re.sub(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", " ", low)
    return low


def _cut_name(chunk: str, name: str) -> str:
    """A run of Chinese or Korean with the parts that are the product's name blanked out:
    "不锈钢保温杯是哪里生产" → " 是哪里生产"."""
    out, i = [], 0
    while i < len(chunk):
        j = i + 2
        while j <= len(chunk) and chunk[i:j] in name:
            j += 1
        if j - 1 - i >= 2:
            out.append(" ")
            i = j - 1
        else:
            out.append(chunk[i])
            i += 1
    return "".join(out)


def _mentions(sentence: str, word: str) -> bool:
    compact = re.sub(r"\s+", "", sentence)
    if _HAN.search(word) and len(word) > 2:
        grams = [word[i : i + 2] for i in range(len(word) - 1)]
        return sum(1 for g in grams if g in compact) / len(grams) >= 0.5
    if _HAN.search(word) or _HANGUL.search(word):
        return word in compact
    if len(word) <= 2:
        return re.search(rf"\b{re.escape(word)}\b", sentence) is not None
    return re.search(rf"\b{re.escape(word)}", sentence) is not None


# --- recommendations --------------------------------------------------------------------------

INTERESTS: dict[str, tuple[str, dict[Language, str]]] = {
    "skincare": ("beauty", {"en": "skincare", "zh": "护肤", "ko": "스킨케어"}),
    "makeup": ("beauty", {"en": "makeup", "zh": "彩妆", "ko": "메이크업"}),
    "running": ("apparel", {"en": "running", "zh": "跑步", "ko": "러닝"}),
    "yoga": ("apparel", {"en": "yoga", "zh": "瑜伽", "ko": "요가"}),
    "hiking": ("apparel", {"en": "hiking", "zh": "徒步", "ko": "등산"}),
    "cooking": ("home", {"en": "cooking", "zh": "烹饪", "ko": "요리"}),
    "coffee": ("home", {"en": "coffee", "zh": "咖啡", "ko": "커피"}),
    "home decor": ("home", {"en": "home decor", "zh": "家居装饰", "ko": "홈 데코"}),
    "reading": ("electronics", {"en": "reading", "zh": "阅读", "ko": "독서"}),
    "gaming": ("electronics", {"en": "gaming", "zh": "游戏", "ko": "게임"}),
    "music": ("electronics", {"en": "music", "zh": "音乐", "ko": "음악"}),
    "travel": ("electronics", {"en": "travel", "zh": "旅行", "ko": "여행"}),
}
INTEREST_STEMS = {
    "skincare": "skin",
    "makeup": "make-?up",
    "running": "run",
    "hiking": "hik",
    "cooking": "cook",
    "home decor": "decor",
    "reading": "read",
    "gaming": "gam",
}
REASONS: dict[str, dict[Language, str]] = {
    "skin": {"en": "for {skin} skin", "zh": "适合{skin}肌肤", "ko": "{skin} 피부용"},
    "budget": {
        "en": "within your budget (up to {budget})",
        "zh": "在您的预算内（{budget} 以内）",
        "ko": "예산({budget} 이하) 안이에요",
    },
    "size": {
        "en": "in stock in your size {size}",
        "zh": "有您的尺码 {size}",
        "ko": "고객님 사이즈 {size} 재고 있음",
    },
    "colour": {
        "en": "comes in {colour}, a colour you like",
        "zh": "有您喜欢的{colour}",
        "ko": "좋아하시는 {colour} 색상이 있어요",
    },
    "phone": {"en": "works with {os}", "zh": "支持 {os}", "ko": "{os} 호환"},
    "interest": {
        "en": "suits your interest in {interest}",
        "zh": "符合您对{interest}的兴趣",
        "ko": "관심사({interest})에 맞아요",
    },
    "category": {
        "en": "you often buy {category}",
        "zh": "您常买{category}",
        "ko": "자주 구매하시는 {category} 상품",
    },
    "viewed": {"en": "you looked at it before", "zh": "您之前看过", "ko": "전에 보셨던 상품"},
    "again": {
        "en": "you have ordered it before",
        "zh": "您之前买过这款",
        "ko": "전에 주문하신 상품",
    },
    "rating": {
        "en": "rated {rating}/5 by {count} reviewers",
        "zh": "{count} 条评价，评分 {rating}/5",
        "ko": "리뷰 {count}개, 평점 {rating}/5",
    },
    "asked": {
        "en": "matches what you asked for",
        "zh": "符合您的要求",
        "ko": "요청하신 조건에 맞아요",
    },
}


@dataclass
class Pick:
    product: ProductView
    variants: list[VariantView]
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)


class RecommendFlow(Flow):
    job = "recommend"
    needs_identity = False

    def run(self, t: Turn, frame: Frame) -> Step:
        products = catalog(t.tools)
        wish = read_wish(t, products)
        pool = products
        if not wish.empty:
            hits = find(t, wish, products, limit=12)
            pool = [h.product for h in hits] or products
        profile: dict[str, Any] = {}
        bought: dict[str, int] = {}
        bought_ids: set[str] = set()
        viewed: set[str] = set()
        if t.tools.verified:
            customer = customer_of(t)
            profile = dict(customer.profile)
            bought, bought_ids = self._history(t, products)
            viewed = self._viewed(t, customer.id)
        relaxed = {k: v for k, v in profile.items() if k != "max_price_minor"}
        passes = [(profile, bought_ids), (relaxed, bought_ids)]
        if not wish.empty:
            # Asked for a kind of product they already bought (a sunscreen, a refill): it may
            # still be the one that fits, said so.
            passes += [(profile, set()), (relaxed, set())]
        picks: list[Pick] = []
        for known, excluded in passes:
            picks = [
                pick
                for product in pool
                if (pick := self._judge(t, product, wish, known, bought, excluded, viewed))
            ]
            if picks:
                break
        for pick in picks:
            if pick.product.id in bought_ids:
                pick.reasons.insert(0, REASONS["again"][t.lang])
        picks.sort(key=lambda p: (-p.score, -(p.product.rating or 0)))
        chosen = self._spread(picks, diverse=wish.empty)
        if not chosen:
            t.say("shop_recommend_none")
            return "done"
        t.show_products([p.product.id for p in chosen])
        items = "\n".join(
            f"{product_line(i, p.product, t.lang, p.variants)} — "
            f"{render.SEP[t.lang].join(p.reasons[:3])}"
            for i, p in enumerate(chosen, 1)
        )
        t.say("shop_recommend" if profile else "shop_recommend_guest", items=items)
        return "done"

    def _history(self, t: Turn, products: Sequence[ProductView]) -> tuple[dict[str, int], set[str]]:
        """How many items of each category the customer bought, and which products. An order's
        items carry the product's English name, so the summaries are enough."""
        by_name = {localized(p.name, "en"): p for p in products}
        categories: dict[str, int] = {}
        ids: set[str] = set()
        for summary in t.tools.orders(limit=20):
            if summary.kind != "retail" or summary.status == "cancelled":
                continue
            for name in summary.item_names:
                product = by_name.get(name)
                if product is None:
                    continue
                ids.add(product.id)
                categories[product.category] = categories.get(product.category, 0) + 1
        return categories, ids

    def _viewed(self, t: Turn, customer_id: str) -> set[str]:
        """Products shown to the customer in earlier conversations, when the store keeps them."""
        log = getattr(t.tools.store, "conversations", None)
        if log is None or not hasattr(log, "for_customer"):
            return set()
        seen: set[str] = set()
        try:
            for conversation in log.for_customer(customer_id, limit=5):
                state = conversation.state or {}
                shown = state.get("shown_products") or []
                if shown != t.state.shown_products:
                    seen |= {str(p) for p in shown}
        except StoreError:
            return set()
        return seen

    def _judge(
        self,
        t: Turn,
        product: ProductView,
        wish: Wish,
        profile: Mapping[str, Any],
        bought: Mapping[str, int],
        bought_ids: set[str],
        viewed: set[str],
    ) -> Pick | None:
        lang = t.lang
        if product.id in bought_ids:
            return None  # they have it already
        variants = [v for v in product.variants if v.in_stock and _fits(v, wish, product)]
        if not variants:
            return None
        pick = Pick(product, variants)
        if not wish.empty:
            pick.score += 1
        attrs = product.attributes
        asked_skin = wish.attributes.get("skin_type") or []
        skin = asked_skin[0] if asked_skin else profile.get("skin_type")
        if skin and "skin_type" in attrs:
            if skin not in attrs["skin_type"]:
                return None
            pick.score += 3
            pick.reasons.append(
                REASONS["skin"][lang].format(skin=SKIN_WORDS.get(skin, {}).get(lang, skin))
            )
        section = profile.get("apparel_section")
        if section and "gender" in attrs and not {section, "unisex"} & set(attrs["gender"]):
            return None
        sizes = profile.get("sizes") or {}
        size_values = {v.options["size"] for v in variants if "size" in v.options}
        if product.category == "apparel" and size_values and isinstance(sizes, Mapping):
            mine = [str(s) for s in sizes.values() if str(s) in size_values]
            if not mine:
                return None
            variants = [v for v in variants if v.options.get("size") == mine[0]]
            pick.variants = variants
            pick.score += 1
            pick.reasons.append(REASONS["size"][lang].format(size=mine[0]))
        budget = profile.get("max_price_minor")
        if isinstance(budget, int):
            affordable = [v for v in variants if v.price.amount <= budget]
            if not affordable:
                return None
            pick.variants = variants = affordable
            currency = variants[0].price.currency
            pick.reasons.append(
                REASONS["budget"][lang].format(budget=render.money(Money(budget, currency)))
            )
            pick.score += 1
        colours = [str(c) for c in profile.get("favorite_colors") or []]
        liked = [
            v
            for v in variants
            if any(_same_colour(c, value) for c in colours for value in v.options.values())
        ]
        if liked:
            colour = next(
                value
                for value in liked[0].options.values()
                if any(_same_colour(c, value) for c in colours)
            )
            pick.variants = liked
            pick.score += 1
            pick.reasons.append(REASONS["colour"][lang].format(colour=value_name(colour, lang)))
        phone = profile.get("phone_os")
        if phone and "compatible_with" in attrs:
            listed = " ".join(normalize(v) for v in attrs["compatible_with"])
            words = ("ios", "iphone") if phone == "iOS" else ("android",)
            if any(w in listed for w in words):
                pick.score += 1
                pick.reasons.append(REASONS["phone"][lang].format(os=phone))
            elif product.category == "electronics" and "smartphone" in _name_text(product):
                return None
        text = normalize(localized(product.name, "en") + " " + localized(product.description, "en"))
        for interest in profile.get("interests") or []:
            category, names = INTERESTS.get(str(interest), ("", {}))
            if category != product.category:
                continue
            pick.score += 0.5
            if re.search(rf"\b{INTEREST_STEMS.get(str(interest), str(interest))}", text):
                # Only when the product's own text is about it ("running shoes", "coffee set").
                pick.score += 1.5
                pick.reasons.append(REASONS["interest"][lang].format(interest=names[lang]))
                break
        if bought.get(product.category, 0) >= 2:
            pick.score += 0.5
            pick.reasons.append(
                REASONS["category"][lang].format(
                    category=CATEGORY_NAMES.get(product.category, {}).get(lang, product.category)
                )
            )
        if product.id in viewed:
            pick.score += 1
            pick.reasons.append(REASONS["viewed"][lang])
        if product.review_count and product.rating is not None:
            pick.score += product.rating / 5
            if len(pick.reasons) < 2:
                pick.reasons.append(
                    REASONS["rating"][lang].format(
                        rating=f"{product.rating:.1f}", count=product.review_count
                    )
                )
        if not pick.reasons:
            pick.reasons.append(REASONS["asked"][lang])
        return pick

    def _spread(self, picks: list[Pick], *, diverse: bool) -> list[Pick]:
        if not diverse:
            return picks[:3]
        chosen: list[Pick] = []
        for pick in picks:
            if all(p.product.category != pick.product.category for p in chosen):
                chosen.append(pick)
            if len(chosen) == 3:
                return chosen
        for pick in picks:
            if pick not in chosen:
                chosen.append(pick)
            if len(chosen) == 3:
                break
        return chosen


def _same_colour(liked: str, value: str) -> bool:
    a, b = normalize(liked), normalize(value)
    return a == b or a in b.split() or b in a.split() or a == b.replace(" green", "")

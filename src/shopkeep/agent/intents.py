"""Which job a customer's message asks for, guessed from keywords in en / zh / ko."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from shopkeep.agent.extract import extract
from shopkeep.agent.flows.shop import asks_about_shop
from shopkeep.agent.jobs import JOBS, Job, Language


@dataclass(frozen=True)
class _Rule:
    job: Job
    weight: float
    pattern: re.Pattern[str]


def _rules(job: Job, *weighted: tuple[float, str]) -> list[_Rule]:
    return [_Rule(job, w, re.compile(p, re.IGNORECASE | re.VERBOSE)) for w, p in weighted]


_ORDER_CONTEXT = re.compile(r"\border\b|\bpurchase\b|#?\b[wl]\d{7}\b|订单|訂單|单子|주문", re.I)
_OTHER_COMPANY = re.compile(
    r"\b(?:amazon|ebay|walmart|target\.com|aliexpress|temu|shein|taobao|jd\.com|coupang|"
    r"doordash|uber\s*eats)\b|淘宝|京东|拼多多|天猫|亚马逊|美团|饿了么|쿠팡|11번가|지마켓|"
    r"g마켓|네이버\s*쇼핑|아마존|배민|배달의\s*민족|요기요",
    re.IGNORECASE,
)
_ORDER_JOBS: frozenset[Job] = frozenset(
    [
        "order_status",
        "cancel",
        "change_address",
        "change_items",
        "change_payment",
        "return",
        "exchange",
    ]
)
_CHANGING: frozenset[Job] = frozenset({"cancel", "return", "exchange"})
_PAST_ORDER = re.compile(
    r"\b(?:i|we)\s+(?:just\s+|already\s+)?(?:ordered|bought|purchased|placed\s+an?\s+order)\b"
    r"|买的|买了|下的单|下了.{0,6}单|订的|订了|点的|点了|买过"
    r"|시켰는데|시켰어|시켰던|시킨\s|주문했는데|주문했어|주문했던|주문한\s?(?:거|것|건)|샀는데|구매한",
    re.IGNORECASE,
)
"""Words for an order the customer already placed."""
_OWN_ORDER = re.compile(
    r"\bmy\s+(?:\w+\s+)?(?:orders?|package|parcel|refund|return)\b|我的(?:订单|包裹|快递|退款)|"
    r"(?:제|내)\s*주문",
    re.IGNORECASE,
)


_FOR_ME = re.compile(
    r"\b(?:i\s+(?:want|wanna|need|would\s+like)|i'd\s+like|please|pls|plz|help\s+me|"
    r"can\s+(?:you|u)\s+(?:please\s+)?(?:cancel|return|change|refund|exchange|send|"
    r"track|check|order|buy|add)|let\s+me|can\s+i\s+(?:get|have|order|buy)|i'?ll\s+(?:have|take)|"
    r"give\s+me)\b|来一|"
    r"帮我|给我|我要|我想(?!知道|问)|麻烦你|请帮|"
    r"해\s*주세요|해\s*줘|해\s*주실|하고\s*싶|할게요|부탁",
    re.IGNORECASE,
)


def asks_for_action(text: str) -> bool:
    """Whether the message asks for something to be done for the customer ("I want to return
    this", "帮我取消", "교환해 주세요"), not only how the shop works."""
    return _FOR_ME.search(text) is not None


def asks_about_own_order(text: str) -> bool:
    """Whether the message is about an order of the customer's own ("my order", "the shoes I
    bought"), not about how the shop works."""
    return bool(_PAST_ORDER.search(text) or _OWN_ORDER.search(text) or _RETURN_SENT.search(text))


_RETURN_SENT = re.compile(
    r"\b(?:sent|mailed|shipped|posted)\s+(?:it\s+|them\s+|\w+\s+(?:\w+\s+)?)?back\b|"
    r"\bi\s+(?:already\s+)?returned\b|已经退(?:了|回)|退回去了|寄回去了|寄回了|已经寄回|"
    r"반품했는데|반품했어요|반품했었|돌려보냈",
    re.IGNORECASE,
)
"""Words for a return the customer already sent."""
_DIFFERENCE = re.compile(r"\bdifference\b|差价|补差|차액", re.IGNORECASE)
_AGAIN = re.compile(
    r"\b(?:again|another|one\s+more|re-?order)\b|再买|再来|再订|再下|하나\s*더|또\s*(?:사|시키|주문)|"
    r"다시\s*(?:사|주문|시키)|더\s*(?:사|시키)",
    re.IGNORECASE,
)
"""Words that buy again what was bought before."""
_GREETING_ONLY = re.compile(
    r"^\W*(?:hi|hello|hey|yo|hiya|good\s+(?:morning|afternoon|evening)|greetings|thanks|"
    r"thank\s+you|你好|您好|哈喽|嗨|在吗|谢谢|안녕하세요|안녕|감사합니다|고마워요)"
    r"(?:\s*(?:there|again|so\s+much|a\s+lot|呀|啊|!)?)\W*$",
    re.IGNORECASE,
)

GREETING_START = re.compile(
    r"^\W*(?:hi|hello|hey|yo|hiya|good\s+(?:morning|afternoon|evening)|greetings|你好|您好|"
    r"哈喽|嗨|早上好|下午好|晚上好|在吗|在不在|亲|안녕하세요|안녕|하이|헬로)(?:\s*there)?[\W~～]*",
    re.IGNORECASE,
)
"""A greeting a message starts with."""

_EN: list[_Rule] = [
    *_rules(
        "cancel",
        (
            0.95,
            r"\bcancel\w*\s+(?:my\s+|the\s+|this\s+|that\s+|an?\s+|our\s+)?(?:\w+\s+)?"
            r"(?:order|purchase)",
        ),
        (0.9, r"\bcancel\w*\b.*(?:\border\b|\#?\b[wl]\d{7})|\#?\b[wl]\d{7}\b.*\bcancel"),
        (
            0.85,
            r"\b(?:want|like|need|wanna|please|can\s+you|could\s+you|how\s+(?:do|can)\s+i)"
            r"\s+(?:to\s+)?cancel\b",
        ),
        (0.5, r"\bcancel\w*\b"),
    ),
    *_rules(
        "order_status",
        (
            0.95,
            r"\bwhere(?:'s|\s+is|\s+are)\s+(?:my|the|our)\s+(?:\w+\s+)?(?:order|package|"
            r"parcel|stuff|delivery|shipment|items?|things?)\b",
        ),
        (0.9, r"\b(?:track|tracking|order\s+status|status\s+of\s+(?:my|the)\s+order)\b"),
        (
            0.9,
            r"\b(?:show|list|see|check|view)\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?my\s+"
            r"(?:recent\s+|past\s+|last\s+|previous\s+|latest\s+)?orders?\b",
        ),
        (
            0.85,
            r"\b(?:has|have|did|is)\s+(?:it|my\s+\w+|the\s+\w+|they|this)\s+(?:been\s+)?"
            r"(?:shipped|ship|arrived|arrive|delivered|dispatched|sent|on\s+its\s+way)\b",
        ),
        (
            0.85,
            r"\bwhen\s+(?:will|does|do|is)\s+(?:it|they|my\s+\w+|the\s+\w+)\s+"
            r"(?:arrive|be\s+delivered|ship|get\s+here|come|going\s+to\s+arrive)",
        ),
        (
            0.85,
            r"\b(?:hasn't|has\s+not|haven't|have\s+not|never|not\s+yet)\s+"
            r"(?:arrived|received|been\s+delivered|come|got\s+it)",
        ),
        (
            0.6,
            r"\bmy\s+(?:last\s+|recent\s+)?orders?\b|\b(?:shipping|delivery)\s+"
            r"(?:status|date|time)\b",
        ),
        (0.4, r"\b(?:shipped|delivered|arrive)\b"),
    ),
    *_rules(
        "return",
        (0.95, r"\breturn\s+(?:my|the|this|these|those|an?|it|them|some|one|that)\b|\brefund"),
        (0.9, r"\bsend\s+(?:it|them|this|these)\s+back\b|\bmoney\s+back\b|\breturns?\b"),
        (0.85, r"\b(?:retrun|retrn|reutrn|retunr|retun|reurn|refnud|refun)\w*"),  # typed in haste
    ),
    *_rules(
        "exchange",
        (0.95, r"\bexchang\w*"),
        (0.85, r"\bswap\b"),
        (
            0.7,
            r"\b(?:too\s+(?:small|big|large|tight|loose|short|long)|wrong\s+size|"
            r"doesn't\s+fit|does\s+not\s+fit)\b",
        ),
        (0.5, r"\b(?:different|another|other|bigger|smaller|larger)\s+(?:size|colou?r)\b"),
    ),
    *_rules(
        "change_address",
        (
            0.9,
            r"\b(?:change|update|fix|correct|wrong)\b.{0,30}\b(?:unit|apt|apartment|suite|flat|room)\b|\b(?:unit|apt|apartment|suite)\s+number\b",
        ),
        (
            0.95,
            r"\b(?:change|update|edit|correct|fix|modify|switch)\s+(?:the\s+|my\s+|our\s+)?"
            r"(?:shipping\s+|delivery\s+)?address",
        ),
        (0.95, r"\bwrong\s+(?:shipping\s+|delivery\s+)?address\b|\baddress\s+is\s+wrong\b"),
        (
            0.9,
            r"\b(?:ship|send|deliver)\s+(?:it\s+|them\s+)?to\s+(?:a\s+|my\s+)?"
            r"(?:different|another|new|other)\s+address",
        ),
        (
            0.9,
            r"\b(?:ship|send|deliver)\b.{0,40}?\bto\s+(?:a\s+|my\s+|the\s+)?"
            r"(?:different|another|new|other|office|work|home)\s+address",
        ),
        (0.6, r"\bnew\s+address\b|\bi\s+moved\b"),
    ),
    *_rules(
        "change_payment",
        (
            0.95,
            r"\b(?:change|update|switch|edit|modify)\s+(?:the\s+|my\s+)?(?:payment|card|"
            r"billing)",
        ),
        (
            0.85,
            r"\b(?:use|pay\s+with|charge)\s+(?:a\s+|my\s+)?(?:different|another|other)\s+"
            r"(?:card|payment)|\bswitch\s+(?:it\s+)?to\s+(?:paypal|(?:my\s+)?gift\s+card|"
            r"(?:my\s+)?credit\s+card)",
        ),
        (
            0.85,
            r"\b(?:pay|charge)\s+(?:it\s+|them\s+)?(?:with|by|using|to)\s+(?:my\s+)?"
            r"(?:paypal|gift\s*card|visa|mastercard|amex|discover|kakao\s*pay|credit\s+card)"
            r".{0,20}\binstead\b",
        ),
        (
            0.9,
            r"\bpay\s+(?:for\s+)?(?:my\s+|the\s+|this\s+)?order\b.{0,20}?\b(?:with|by|using)\b",
        ),
        (0.4, r"\bpay\s+(?:with|by|using)\b"),
    ),
    *_rules(
        "change_items",
        (
            0.9,
            r"\b(?:change|modify|switch|update|edit)\s+(?:the\s+|my\s+)?(?:size|colou?r|item|"
            r"items|variant|option|model)s?\s+(?:of|in|on|for|from)\s+(?:my|the|an?|this|that)"
            r"\s+(?:\w+\s+)?(?:order|item|purchase)",
        ),
        (0.85, r"\b(?:modify|change|edit|update)\s+(?:my|the|this)\s+(?:\w+\s+)?order\b"),
        (
            0.85,
            r"\b(?:change|switch|swap|modify|make)\s+(?:the\s+|my\s+)?[\w\s-]{1,30}?\s+in\s+"
            r"(?:my\s+|the\s+|this\s+)?(?:order\b|[#]?w\d{7})|\b(?:change|modify|edit)\s+"
            r"(?:the\s+)?items?\s+(?:in|of|on)\b",
        ),
        (0.6, r"\b(?:change|switch)\s+(?:the\s+)?(?:size|colou?r)\b"),
        (0.5, r"\binstead\b|\brather\s+than\b"),
    ),
    *_rules(
        "buy",
        (
            0.95,
            r"\b(?:buy|purchase)\b(?!\s+history)|\bcheck\s*-?out\b|"
            r"\bplace\s+(?:an?\s+|the\s+|my\s+)?order\b",
        ),
        (0.95, r"\badd\s+(?:\w+\s+){0,4}to\s+(?:my\s+|the\s+)?(?:cart|basket|bag)\b"),
        (
            0.9,
            r"\bi'?ll\s+take\s+(?:it|this|that|one|them|\d+|two|three|the)\b|"
            r"\border\s+(?:it|this|that|one|them|two)\b",
        ),
        (0.7, r"\b(?:my\s+)?(?:cart|basket)\b"),
        (
            0.85,
            r"\bi\s+(?:want|would\s+like|'d\s+like|need)\s+to\s+(?:order|get|buy)\b|"
            r"\bcan\s+i\s+(?:order|buy|get|have)\b|\bi'?d\s+like\s+(?:the|a|an|one|two|\d+)\b|"
            r"\bi\s+need\s+(?:two|three|four|\d+)\s+(?:of\s+)?",
        ),
        (0.5, r"\bi\s+(?:want|need|would\s+like|'d\s+like)\s+(?:it|this|that|one|the)\b"),
    ),
    *_rules(
        "recommend",
        (0.95, r"\brecommend\w*"),
        (0.9, r"\bsuggest\w*|\bwhat\s+should\s+i\s+(?:get|buy|choose|order|pick|try|use)\b"),
        (0.8, r"\bgift\s+(?:idea|for)\b|\bpick\s+(?:one\s+)?for\s+me\b"),
        (
            0.7,
            r"\b(?:best|good)\s+(?:\w+\s+)?for\s+(?:me|my)\b|\bany\s+ideas?\b|\bwhat'?s\s+good\b",
        ),
        (0.6, r"\bwhich\s+(?:one\s+)?(?:is\s+)?(?:better|best)\b"),
    ),
    *_rules(
        "search",
        (
            0.9,
            r"\bdo\s+you\s+(?:have|sell|carry|stock)\b|\bshow\s+me\b|\blooking\s+for\b|"
            r"\bwhat\s+\w+\s+do\s+you\s+(?:have|sell)\b",
        ),
        (0.85, r"\bcompar\w*|\bdifference\s+between\b|\bvs\.?\b|\bversus\b"),
        (0.8, r"\b(?:search|find)\b|\bbrowse\b"),
        (
            0.6,
            r"\bi\s+(?:need|want)\s+(?:a|an|some|new)\s+\w+|\bany\s+\w+\s+(?:under|below|for)\b"
            r"|\bin\s+stock\b",
        ),
    ),
    *_rules(
        "product_question",
        (
            0.85,
            r"\b(?:is|are|does|do|will|can)\s+(?:it|this|that|they|these|those|the\s+\w+)"
            r"\s+(?:\w+\s+){0,2}(?:waterproof|water[-\s]resistant|vegan|washable|safe|"
            r"suitable|compatible|fragrance[-\s]free|organic|gluten[-\s]free|dairy[-\s]free|"
            r"come\s+with|include|contain|work\s+with|fit|run\s+(?:small|large|big)|last)\b",
        ),
        (0.85, r"\bmade\s+(?:of|from|with)\b|\bwhat\s+(?:material|fabric)\b"),
        (
            0.8,
            r"\b(?:material|fabric|ingredients?|battery(?:\s+life)?|warranty|dimensions?|"
            r"weight|capacity|volume|specs?|specifications?|spf|allergens?|caffeine|calories|"
            r"waterproof)\b",
        ),
        (
            0.7,
            r"\bhow\s+(?:long|big|heavy|large|many\s+\w+\s+(?:does|is|are))\b|"
            r"\bhow\s+(?:do\s+i|to)\s+use\b|\b(?:suitable|good)\s+for\s+(?:\w+\s+)?skin\b|"
            r"\bfor\s+(?:dry|oily|sensitive|combination)\s+skin\b",
        ),
        (0.6, r"\bwhat\s+size\b|\breviews?\b|\bhow\s+much\s+(?:is|does|are)\b|\bprice\s+of\b"),
    ),
    *_rules(
        "food",
        (
            0.95,
            r"\b(?:bubble\s*teas?|boba|milk\s*teas?|matcha|taro|oolong|noodles?|ramen|brisket|"
            r"dumplings?|lattes?|coffees?|smoothies?|(?:order|get)\s+(?:some\s+)?(?:food|drinks?|"
            r"teas?))\b",
        ),
        (0.9, r"\bdelivery\s+slot\b|\bpick\s*-?up\s+(?:slot|time)\b|\bhongdae\b|\bseongsu\b"),
        (0.8, r"\b(?:food|drinks?|lunch|dinner|snacks?|menu|takeout|take-out|teas?)\b"),
        (0.7, r"\bpick\s*-?up\b|\b(?:less|no)\s+ice\b|\b(?:sugar|toppings?|pearls)\b"),
        (0.4, r"\bdeliver(?:y|ed)?\b"),
    ),
    *_rules(
        "promotions",
        (0.95, r"\b(?:coupons?|promos?|promotions?|vouchers?|promo\s+codes?|discount\s+codes?)\b"),
        (0.9, r"\bdiscounts?\b|\b\d+\s*%\s*off\b"),
        (0.7, r"\b(?:sales?|deals?|campaigns?|special\s+offers?)\b"),
    ),
    *_rules(
        "handoff",
        (0.6, r"\b(?:complain|complaint|unacceptable|ridiculous|terrible\s+service)\b"),
    ),
    *_rules(
        "smalltalk",
        (0.9, r"^\W*(?:hi|hello|hey|yo|hiya|good\s+(?:morning|afternoon|evening)|greetings)\b"),
        (
            0.9,
            r"\bwho\s+are\s+you\b|\bwhat\s+are\s+you\b|\bare\s+you\s+(?:an?\s+)?(?:bot|robot|"
            r"ai|human|real|person)\b|\bwhat\s+can\s+you\s+do\b|\bhow\s+are\s+you\b|"
            r"\byour\s+name\b",
        ),
        (0.8, r"\b(?:thanks|thank\s+you|thx|cheers|bye|goodbye|see\s+you)\b"),
    ),
    *_rules(
        "out_of_scope",
        (
            0.95,
            r"\bwrite\s+(?:me\s+)?(?:a|an|some)\s+(?:\w+\s+)?(?:poem|story|essay|song|code|"
            r"program|letter)",
        ),
        (
            0.9,
            r"\b(?:weather|forecast|jokes?|politics?|political|president|election|homework|"
            r"math\s+problem|poem|poetry|essay|lyrics|recipe|stock\s+price|bitcoin|crypto|"
            r"football|soccer|nba|movies?|horoscope|capital\s+of)\b",
        ),
        (
            0.95,
            r"\b(?:flights?|hotels?|taxi|uber|train\s+tickets?|tax\s+returns?|taxes|visa\s+"
            r"application|lottery|medical\s+advice|legal\s+advice|haircut|dentist|doctor'?s?\s+"
            r"appointment|restaurant\s+reservation)\b|\bbook\s+(?:me\s+)?(?:a|an)\s+(?!copy)",
        ),
        (0.7, r"\btranslate\b|\bsolve\b"),
    ),
]

_ZH: list[_Rule] = [
    *_rules(
        "cancel",
        (
            0.95,
            r"取消(?:这个|那个|我的|一下|掉|这笔|那笔)?(?:订单|訂單|单子|购买|下单)|"
            r"(?:订单|訂單|单子).{0,8}取消|退单|撤单",
        ),
        (0.85, r"(?:想|要|帮我|请|能不能|可以|怎么)取消"),
        (0.5, r"取消"),
    ),
    *_rules(
        "order_status",
        (
            0.95,
            r"(?:订单|訂單|快递|包裹|货|东西|单子|买的).{0,6}(?:到哪|在哪|到了吗|到了没|到没|"
            r"什么时候到|怎么还没|状态|进度|发货|寄出|送到)|订单状态|(?:查|看)(?:看|一下)?(?:我的)?订单",
        ),
        (
            0.9,
            r"物流|快递单号|运单|查件|追踪|跟踪|发货了吗|发货没|什么时候发货|什么时候到|"
            r"还没到|还没收到|没收到",
        ),
        (0.6, r"我的订单"),
    ),
    *_rules("return", (0.95, r"退货|退回|退款|退钱|申请退"), (0.5, r"退(?!出|订)")),
    *_rules(
        "exchange",
        (0.95, r"换货|调换|换(?:一|个|一个)?(?:尺码|码|大小|颜色|号|尺寸|款)|换成(?:大|小)|换一件"),
        (0.7, r"太大了|太小了|不合身|尺码不对|穿不下"),
        (0.4, r"换(?!支付|付款|地址|卡)"),
    ),
    *_rules(
        "change_address",
        (
            0.9,
            r"(?:门牌号|室号|房间号|详细地址|几号楼|楼号).{0,10}(?:改|换|错|不对)|(?:改|换|错).{0,10}(?:门牌号|室号|房间号|详细地址)",
        ),
        (
            0.95,
            r"(?:改|修改|更改|更换|换|变更)(?:一下)?(?:订单的?)?(?:收货|配送|送货|寄送)?地址|"
            r"地址(?:写错|错了|不对|有误|要改|改一下|改成)",
        ),
        (0.9, r"(?:寄|送)到(?:另一个|别的|新的?)地址|改寄|改送|寄到(?:我的)?(?:公司|家)"),
        (0.4, r"地址"),
    ),
    *_rules(
        "change_payment",
        (
            0.95,
            r"(?:改|修改|更改|更换|换|变更)(?:一下)?(?:支付|付款)(?:方式|方法)?|换(?:张|一张)卡",
        ),
        (0.8, r"(?:改用|换成|改成)(?:支付宝|微信|信用卡|礼品卡|paypal|银联)"),
        (
            0.9,
            r"(?:付款|支付)(?:方式|方法).{0,6}(?:换|改)|(?:改用|换用|换成).{0,10}(?:卡|付款|支付)",
        ),
    ),
    *_rules(
        "change_items",
        (0.9, r"修改订单|改订单|改一下订单|订单.{0,12}(?:改|修改)"),
        (0.85, r"(?:改|修改)(?:一下)?(?:尺码|颜色|款式|数量|型号)"),
        (0.7, r"(?:改成|改为)[\u4e00-\u9fff\w]{0,4}(?:色|码|号|款)"),
        (0.8, r"(?:订单|[#]W\d{7}).{0,12}(?:里|中)的.{0,12}(?:换成|改成|改为)"),
    ),
    *_rules(
        "buy",
        (
            0.95,
            r"(?:我要|我想|想|要)买|购买|加(?:入)?购物车|加购|放进购物车|结账|结算|买单|"
            r"就(?:要|买)(?:这个|它|那个|这款)",
        ),
        (0.85, r"下单|付款"),
        (0.7, r"购物车|买(?:一|两|这|那|它)"),
        (
            0.85,
            r"我要了|就要(?:第|这)|(?:我要|要)(?:这个|这款|第.个)|(?:来|给我)(?:一|两|\d)(?:个|件|份)",
        ),
    ),
    *_rules(
        "recommend",
        (0.95, r"推荐|推薦"),
        (0.85, r"建议|建議|(?:买|选|挑|用)(?:什么|哪个|啥|哪款)(?:好|比较好)|帮我(?:选|挑)"),
        (0.7, r"(?:有什么|有啥)好|适合我"),
    ),
    *_rules(
        "search",
        (0.85, r"有没有|有無|(?:找|搜索|搜|查找)(?!人|客服)|比较|对比|区别|區別|给我看"),
        (0.75, r"有[\u4e00-\u9fff\w\s]{1,10}吗|看看|看一下"),
    ),
    *_rules(
        "product_question",
        (0.85, r"是什么(?:做的|材料|成分)|用什么做的"),
        (
            0.8,
            r"防水|材质|面料|成分|含有|含不含|保修|续航|电池|尺寸|重量|多重|多大|容量|规格|过敏|"
            r"酒精|香精|怎么用|用法|适合|适不适合|能不能用|评价|评论|口味|甜不甜|热量|卡路里|"
            r"咖啡因|油皮|干皮|敏感肌",
        ),
        (0.6, r"多少钱|价格"),
    ),
    *_rules(
        "food",
        (
            0.95,
            r"奶茶|珍珠|波霸|抹茶|拿铁|咖啡|乌龙|果茶|饮料|外卖|点餐|点单|点杯|面馆|拉面|牛腩|面条|"
            r"汤面|饺子|自取|取餐|到店取|送餐",
        ),
        (0.8, r"少冰|去冰|半糖|全糖|无糖|加料|喝的|吃的|午饭|午餐|晚饭|晚餐|配送时间"),
    ),
    *_rules(
        "promotions",
        (0.95, r"优惠券|优惠码|折扣码|代金券|优惠|折扣|打折|促销|满减|红包"),
        (0.8, r"活动|券"),
    ),
    *_rules("handoff", (0.6, r"投诉|太差了|差评")),
    *_rules(
        "smalltalk",
        (
            0.9,
            r"^\W*(?:你好|您好|哈喽|嗨|早上好|下午好|晚上好|在吗|在不在)|你是谁|你叫什么|"
            r"你是机器人|你是人吗|你能做什么|你会什么",
        ),
        (0.8, r"谢谢|多谢|感谢|再见|拜拜"),
    ),
    *_rules(
        "out_of_scope",
        (
            0.9,
            r"天气|笑话|政治|总统|选举|作业|数学题|写一首诗|写诗|作文|翻译|股票|股价|菜谱|足球|"
            r"电影|星座",
        ),
    ),
]

_KO: list[_Rule] = [
    *_rules(
        "cancel",
        (0.95, r"주문.{0,8}취소|취소.{0,4}주문"),
        (0.85, r"취소(?:하고\s*싶|해\s*주|해줘|부탁|요청|가능|하려고|할\s*수|하고\s*싶어)"),
        (0.5, r"취소"),
    ),
    *_rules(
        "order_status",
        (
            0.95,
            r"(?:주문|택배|배송|물건|상품|소포).{0,8}(?:어디|언제|조회|상태|현황|추적|도착|"
            r"왔|오나|와요|출발|발송)",
        ),
        (
            0.9,
            r"송장|운송장|언제\s*(?:와요|오나요|도착|받을|올까)|안\s*왔|못\s*받았|아직\s*안\s*와",
        ),
        (0.6, r"배송(?!지)|발송"),
    ),
    *_rules("return", (0.95, r"반품|환불|돌려보내")),
    *_rules(
        "exchange",
        (0.95, r"교환"),
        (0.7, r"작아요|커요|안\s*맞아요|사이즈가\s*안\s*맞"),
        (0.5, r"(?:사이즈|색상|색깔|컬러)\s*(?:를|을)?\s*(?:바꾸|바꿔|변경)"),
    ),
    *_rules(
        "change_address",
        (
            0.9,
            r"(?:호수|동\s*호수|상세\s*주소|동호수).{0,12}(?:바꿔|바꾸|변경|잘못|틀렸)|(?:잘못|틀리게).{0,12}(?:호수|상세\s*주소)",
        ),
        (
            0.95,
            r"(?:주소|배송지).{0,6}(?:변경|바꾸|바꿔|바꿀|수정|잘못|틀렸|고치|고쳐)",
        ),
        (0.8, r"(?:다른|새)\s*주소"),
        (0.4, r"주소|배송지"),
    ),
    *_rules(
        "change_payment",
        (0.95, r"(?:결제\s*(?:수단|방법|방식|카드)|카드|결제).{0,4}(?:변경|바꾸|바꿔|바꿀|수정)"),
        (
            0.85,
            r"다른\s*카드|(?:카카오페이|페이팔|기프트\s*카드|상품권|신용\s*카드)\s*(?:로|으로)\s*"
            r"(?:결제|바꿔|변경)",
        ),
    ),
    *_rules(
        "change_items",
        (0.85, r"주문.{0,8}(?:변경|수정|바꾸|바꿔|바꿀)"),
        (
            0.75,
            r"(?:옵션|사이즈|색상|색깔|컬러|수량|워시)\s*(?:을|를)?\s*.{0,8}?(?:변경|바꾸|바꿔|수정)",
        ),
        (0.5, r"(?:으로|로)\s*바꿔\s*(?:주세요|줘)"),
    ),
    *_rules(
        "buy",
        (
            0.9,
            r"살게요|살래요|사고\s*싶|구매|구입|장바구니|담아|결제할게요|결제해\s*주세요|"
            r"주문할게요|주문하고\s*싶|주문해\s*주세요|주문할래요|이걸로\s*할게요|이거\s*주세요",
        ),
        (0.7, r"사려고|살까"),
    ),
    *_rules(
        "recommend",
        (0.95, r"추천"),
        (0.85, r"(?:뭐가|어떤\s*게|어떤\s*거|뭘)\s*(?:좋|나을|나아|괜찮|살까|사야)|골라\s*주"),
    ),
    *_rules(
        "search",
        (0.85, r"찾아|찾고|찾는|검색|비교|차이|보여\s*주"),
        # "…할 수 있나요" asks whether something can be done, not whether the shop has it.
        (0.75, r"(?<!수\s)(?<!수)(?:있어요|있나요|있습니까|있을까요)|팔아요|파나요"),
    ),
    *_rules(
        "product_question",
        (
            0.8,
            r"방수|재질|소재|성분|함유|원료|배터리|보증|무게|크기|용량|사용법|알레르기|알러지|"
            r"카페인|칼로리|유제품|리뷰|후기|맞나요|괜찮나요|어떤가요|쓸\s*수\s*있|지성|건성|민감성",
        ),
        (0.6, r"얼마예요|얼마에요|가격"),
    ),
    *_rules(
        "food",
        (
            0.9,
            r"버블티|밀크티|커피|라떼|말차|타로|우롱|녹차|홍차|음료|마실\s*거|배달|픽업|국수|우육면|"
            r"쌀국수|메밀면|라면|만두|메뉴|흑당|얼음|당도|토핑",
        ),
        (0.5, r"점심|저녁|포장|먹을\s*거"),
    ),
    *_rules(
        "promotions",
        (0.9, r"쿠폰|할인|이벤트|프로모션|세일|혜택|특가|적립"),
    ),
    *_rules("handoff", (0.6, r"불만|항의|컴플레인")),
    *_rules(
        "smalltalk",
        (
            0.9,
            r"^\W*(?:안녕|하이|헬로|반가워)|누구(?:세요|야|예요|니)|(?:넌|너는|당신은)\s*누구|"
            r"뭘\s*할\s*수\s*있|봇이에요|로봇",
        ),
        (0.8, r"감사합니다|고마워|고맙습니다|감사해요|안녕히"),
    ),
    *_rules(
        "out_of_scope",
        (
            0.9,
            r"날씨|농담|정치|대통령|선거|숙제|수학\s*문제|시\s*(?:를\s*)?써|시\s*한\s*편|번역|주식|"
            r"레시피|축구|야구|영화|운세",
        ),
    ),
]

_TABLES: dict[Language, list[_Rule]] = {"en": _EN, "zh": _ZH, "ko": _KO}
_SCRIPTS: dict[Language, re.Pattern[str]] = {
    "zh": re.compile(r"[\u4e00-\u9fff]"),
    "ko": re.compile(r"[\uac00-\ud7af]"),
}


def guess_jobs(text: str, lang: Language) -> list[tuple[Job, float]]:
    """The jobs the message asks for, best first, each with a heuristic weight in (0, 1];
    empty when nothing points to a job (a bare "yes", a zip code, "never mind").

    Each rule gives its job a weight. A strong keyword, one that on its own names the job
    ("refund", "退货", "반품"), weighs at least 0.8; a word that points to a job only in some
    contexts ("delivery", "배송", "换") weighs 0.3 to 0.6. A job's score is its best rule's
    weight plus 0.05 for each further rule that agrees, capped at 1.0; then a few adjustments
    (a request for a person, a coupon code, another shop's order, a greeting before a request).
    """
    text = unicodedata.normalize("NFKC", text)
    # The message's own language and English always (product names and "ok" travel); the
    # other tables only when their script is in the message.
    tables = [_EN] if lang == "en" else [_TABLES[lang], _EN]
    tables += [
        _TABLES[other]
        for other, script in _SCRIPTS.items()
        if other != lang and script.search(text)
    ]
    matched: dict[Job, list[float]] = {}
    for table in tables:
        for rule in table:
            if rule.pattern.search(text):
                matched.setdefault(rule.job, []).append(rule.weight)
    scores = {job: min(1.0, max(w) + 0.05 * (len(w) - 1)) for job, w in matched.items()}

    facts = extract(text)
    if facts.stop_flow and not _ORDER_CONTEXT.search(text):
        scores.pop("cancel", None)  # "never mind", "cancel that": leave the flow, not a job
    if facts.wants_human:
        scores["handoff"] = max(scores.get("handoff", 0.0), 0.95)
    if facts.coupon_codes:
        scores["promotions"] = max(scores.get("promotions", 0.0), 0.6)
        if "buy" in scores:
            # "buy it with WELCOME10": the code is how they pay, the job is buying.
            scores["promotions"] = min(scores["promotions"], scores["buy"] - 0.05)
    if "change_items" in scores and _ORDER_CONTEXT.search(text):
        # "the blue one instead, for order #W…": change words alone only hint at it.
        scores["change_items"] = min(1.0, scores["change_items"] + 0.2)
    changes = [scores.get(job, 0.0) for job in ("change_address", "change_payment")]
    if "change_items" in scores and max(changes) >= 0.8:
        # "改寄到…" / "pay with … instead" for an order: the address or payment is what changes.
        scores["change_items"] = min(scores["change_items"], max(changes) - 0.1)
    if facts.order_ids and "buy" in scores and max(changes) >= 0.8:
        scores["buy"] = min(scores["buy"], 0.5)  # "付款" about an existing order isn't buying
    if scores.get("food", 0.0) >= 0.8 and "buy" in scores:
        # "버블티 주문할게요": ordering food and drink is the food job, not the shop's cart.
        scores["buy"] = min(scores["buy"], scores["food"] - 0.1)
    if "return" in scores and _RETURN_SENT.search(text) and not facts.order_ids:
        # "I sent back the toner a while ago, when do I get my refund?": a return under way.
        scores["order_status"] = max(scores.get("order_status", 0.0), scores["return"])
        scores["return"] -= 0.01
    if scores.get("exchange", 0.0) >= 0.9 and "return" in scores and _DIFFERENCE.search(text):
        # "exchange it for the untinted one, refund the difference": the refund is the exchange's.
        scores["exchange"] = max(scores["exchange"], scores["return"] + 0.01)
    changing = [scores[job] for job in _CHANGING if job in scores]
    again = _AGAIN.search(text) is not None  # "再下一单", "one more of those"
    past = _PAST_ORDER.search(text) is not None
    if changing and not again:
        # "just cancel it then, i'll buy somewhere else": a request to change or cancel what was
        # bought never becomes a purchase.
        for job in ("buy", "food"):
            if job in scores:
                scores[job] = min(scores[job], max(changing) - 0.05)
    elif past and not again and scores.keys() & {"buy", "food"}:
        # "아까 … 픽업으로 시켰는데 몇시였지?": about an order already placed, not a new one.
        for job in ("buy", "food"):
            if job in scores:
                scores[job] = min(scores[job], 0.5)
        scores["order_status"] = max(scores.get("order_status", 0.0), 0.8)
    if not facts.order_ids and asks_about_shop(text) and not past:
        # "what's your return policy?", "배송비 얼마에요?": how the shop works, not a job on an
        # order of one's own.
        top = max(scores.values(), default=0.0)
        scores = {job: min(score, 0.9) for job, score in scores.items()}
        scores["shop_question"] = max(0.95, min(1.0, top + 0.01))
    if facts.order_ids and not scores.keys() & _ORDER_JOBS:
        scores["order_status"] = 0.3  # a bare order id: most likely "what about this order?"
    if scores.get("out_of_scope", 0.0) >= 0.95:
        # "do my tax return", "book a flight": the shop's words in them are not the job
        scores = {
            job: min(score, 0.5) if job != "out_of_scope" else score
            for job, score in scores.items()
        }
    if _OTHER_COMPANY.search(text):
        # Another shop's order is not ours to look up, whatever words come with it.
        scores = {job: score * 0.5 for job, score in scores.items()}
        scores["out_of_scope"] = 0.9
    others = [score for job, score in scores.items() if job != "smalltalk"]
    if "smalltalk" in scores and not _GREETING_ONLY.match(text) and max(others, default=0) >= 0.5:
        # "hi, where is my order?": the greeting is manners, the order is the job.
        scores["smalltalk"] = min(scores["smalltalk"], 0.3)
    elif "smalltalk" in scores and not _GREETING_ONLY.match(text):
        rest = GREETING_START.sub("", text, count=1)
        if (
            rest != text
            and len(re.findall(r"\w", rest)) >= 8
            and "smalltalk" not in dict(guess_jobs(rest, lang))
        ):
            # "您好……我想改一下一个订单的收货地址": a greeting before a request the keywords do
            # not place is still a request, not small talk (the model reads it).
            scores["smalltalk"] = min(scores["smalltalk"], 0.3)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], JOBS.index(item[0])))
    return [(job, round(score, 3)) for job, score in ranked if score > 0]


_QUESTION = re.compile(
    r"[?？]"
    r"|\b(?:is|are|does|do|can|will)\s+(?:it|that|this|they|there|you)\b.*\bor\s+(?:not|nah)\b"
    r"|^\W*(?:what|where|when|why|how|which|who|whose|is|are|am|do|does|did|can|could|would|will|"
    r"should|shall|have|has|may|might)\b"
    r"|[吗嗎么呢](?:\W|$)|什么|怎么|哪|几|多少|多久|多长时间|是否|有没有|能不能|可不可以|是不是|要不要|对不对|好不好"
    r"|(?:나요|까요|습니까|니까|는지|을까|ㄹ까|가요|죠)(?:\W|$)|(?:니|냐)\W*$"
    r"|뭐|무엇|어디|언제|얼마|어떻게|왜|누구|몇|어느|무슨",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """Whether the message asks something (a question mark, a question word, a question
    ending), in en / zh / ko."""
    return bool(_QUESTION.search(unicodedata.normalize("NFKC", text).strip()))

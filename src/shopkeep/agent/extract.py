"""What code reads from a customer's message without a model (ids, names, yes / no...), en/zh/ko."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from shopkeep.agent.jobs import LANGUAGES, Language
from shopkeep.store.catalog import normalize


@dataclass(frozen=True)
class Extracted:
    """Facts read from one message. Yes / no: `affirm` and `deny` can both be set ("yes, no
    wait"); `bare_answer` says the message is nothing but a yes or a no with politeness, so
    "no, the blue one" is a deny that also carries a correction (`deny and not bare_answer`)."""

    order_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    zip_codes: tuple[str, ...] = ()
    names: tuple[tuple[str, str], ...] = ()
    """Candidate (first, last) pairs, to be checked against the store."""
    quantity: int | None = None
    affirm: bool = False
    deny: bool = False
    bare_answer: bool = False
    ordinal: int | None = None
    """1 for "the first one"; -1 for "the last one"."""
    stop_flow: bool = False
    wants_human: bool = False
    coupon_codes: tuple[str, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    price_currency: str | None = None
    """"USD", "KRW" or "CNY" when the message names one; the amounts are major units."""
    times: tuple[tuple[int, int], ...] = ()
    """(hour, minute), 24-hour clock."""
    relative_day: int | None = None
    """0 today, 1 tomorrow, 2 the day after."""


Span = tuple[int, int]


def _free(span: Span, taken: Iterable[Span]) -> bool:
    return all(span[1] <= a or span[0] >= b for a, b in taken)


def words(text: str) -> frozenset[str]:
    """A set of words written as one string, split on whitespace."""
    return frozenset(text.split())


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.VERBOSE)


# ---------------------------------------------------------------------------------- numbers

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}
_CN_NUM = "[零〇一二两三四五六七八九十百千万]"
_KO_NATIVE = {
    "한": 1,
    "하나": 1,
    "두": 2,
    "둘": 2,
    "세": 3,
    "셋": 3,
    "네": 4,
    "넷": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
    "열": 10,
    "열한": 11,
    "열하나": 11,
    "열두": 12,
    "열둘": 12,
    "스무": 20,
}
_KO_COUNT = "열한|열두|다섯|여섯|일곱|여덟|아홉|스무|한|두|세|네|열"
_EN_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "dozen": 12,
}


def chinese_number(text: str) -> int | None:
    """二十三 → 23, 两 → 2, 五千 → 5000; None for anything else."""
    total, section, digit = 0, 0, None
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in "十百千":
            unit = {"十": 10, "百": 100, "千": 1000}[char]
            section += (1 if digit is None else digit) * unit
            digit = None
        elif char == "万":
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def _number(token: str) -> int | None:
    token = token.strip().lower()
    if token.isdigit():
        return int(token)
    if token in _KO_NATIVE:
        return _KO_NATIVE[token]
    if token in _EN_NUMBERS:
        return _EN_NUMBERS[token]
    return chinese_number(token) if token else None


# --------------------------------------------------------------------- order ids and emails

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_ORDER_ID = _compile(r"(?<![A-Za-z0-9])(?:\#\s?)?([WL])\s?([0-9]{7})(?!\d)")
_ORDER_BY_WORD = _compile(
    r"""(?:order|订单|訂單|주문)\s*(?:id|no\.?|number|号码?|번호)?\s*(?:is|是|은|는)?\s*[:#]?\s*
    (?<!\d)([0-9]{7})(?!\d)"""
)
_PHONE = re.compile(
    r"(?<![\w])(?:\+\d{1,3}[\s-]?)?(?:\(?\d{2,4}\)?[\s.-])\d{3,4}[\s.-]\d{4}(?!\d)|"
    r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)0\d{9,10}(?!\d)"
)

# ------------------------------------------------------------------------------------ money

_MONEY_UNIT = (
    r"dollars?|bucks|usd|us\$|won|krw|yuan|rmb|cny|人民币|美元|美金|韩元|韩币|块钱|块|元|"
    r"달러|불|원"
)
_AMOUNT_NUMBER = (
    r"(?:\d+(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*(?:k(?![a-z])|千|万|만|천)"
    r"(?:\s*\d+\s*(?:천|千))?)?|" + _CN_NUM + "+"
)
_CURRENCY_SIGN = r"(?:[$¥₩€£]|usd|krw|cny|rmb)\s*"
# A number with no currency after a bound word ("under 50") is a price unless it counts
# something else: "under 5 minutes", "up to 3 toppings", "50ml 以下".
_BARE_NOT_MONEY = (
    r"(?!\s*(?:%|ml\b|kg|cm|mm|inch|ft\b|gb|tb|mah|am\b|pm\b|a\.m|p\.m|o'?clock|"
    r"分钟|小时|天|个|件|杯|毫升|克|岁|点|號|号|分|시간|일|개|잔|명|살|시|분))"
    r"(?!\s*(?!(?:for|in|on|at|and|or|please|pls|with|that|which|if|is|would|so|but|each|per|"
    r"total|range|budget|max|tops|bucks|dollars?|usd|won|yuan|rmb)\b)[a-z]{2,})"
)
_AMOUNT = (
    rf"(?:{_CURRENCY_SIGN}(?:{_AMOUNT_NUMBER})(?!\d)(?:\s*(?:{_MONEY_UNIT})(?![a-z]))?"
    rf"|(?:{_AMOUNT_NUMBER})(?!\d)\s*(?:{_MONEY_UNIT})(?![a-z])"
    rf"|(?:{_AMOUNT_NUMBER})(?!\d){_BARE_NOT_MONEY})"
)
_MONEY = _compile(
    rf"{_CURRENCY_SIGN}(?:{_AMOUNT_NUMBER})|"
    rf"(?<![\w.])(?:{_AMOUNT_NUMBER})\s*(?:{_MONEY_UNIT})(?![a-z])"
)
_PRICE_RANGE = _compile(
    rf"""(?:between|from|在|介于)\s*({_AMOUNT})\s*(?:and|to|-|–|~|和|到|至)\s*({_AMOUNT})
    |({_AMOUNT})\s*(?:-|–|~|to|到|至|부터|에서)\s*({_AMOUNT})
       (?=\s*(?:之间|之內|사이|까지|range|price|价位|价格|가격|$|[\s,.!?。，]))"""
)
_MAX_PRICE = _compile(
    rf"""(?:under|below|less\s+than|cheaper\s+than|no\s+more\s+than|not\s+more\s+than|
          max(?:imum)?|at\s+most|up\s+to|within|budget\s+(?:is\s+|of\s+)?|<=?|
          不超过|不高于|不到|低于|少于|小于|最多|最高|预算|最大|예산|최대)\s*({_AMOUNT})
    |({_AMOUNT})\s*(?:or\s+less|or\s+under|or\s+below|or\s+cheaper|max|tops|and\s+under|
          以下|以内|之内|内|이하|미만|이내|안쪽|아래|밑으로|보다\s*싼|보다\s*저렴|까지만)"""
)
_MIN_PRICE = _compile(
    rf"""(?:over|above|more\s+than|at\s+least|min(?:imum)?|starting\s+at|>=?|
          超过|高于|多于|大于|至少|最少|起码|최소)\s*({_AMOUNT})
    |({_AMOUNT})\s*(?:or\s+more|and\s+up|and\s+above|plus|\+|以上|起|이상|초과|넘는|넘게|
          보다\s*비싼)"""
)


def _currency(text: str) -> str | None:
    low = text.lower()
    if re.search(r"\$|dollar|buck|usd|美元|美金|달러|불", low):
        return "USD"
    if re.search(r"₩|won|krw|韩元|韩币|원|만|천", low):
        return "KRW"
    if re.search(r"¥|yuan|rmb|cny|人民币|块|元", low):
        return "CNY"
    return None


_SCALED_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(k(?![a-z])|千|万|만|천)?", re.IGNORECASE)


def _amount(text: str) -> Decimal | None:
    """'$49.99' → 49.99, '5만원' → 50000, '3만 5천원' → 35000, '五十块' → 50, '2k' → 2000."""
    body = re.sub(rf"{_MONEY_UNIT}|[$¥₩€£]", " ", text, flags=re.IGNORECASE)
    body = body.replace(",", "")
    total = Decimal(0)
    found = False
    for number, multiplier in _SCALED_NUMBER.findall(body):
        found = True
        scale = {"k": 1000, "千": 1000, "천": 1000, "万": 10000, "만": 10000}.get(
            multiplier.lower(), 1
        )
        try:
            total += Decimal(number) * scale
        except InvalidOperation:
            return None
    if found:
        return total
    cn = re.search(_CN_NUM + "+", body)
    if cn and (value := chinese_number(cn.group())) is not None:
        return Decimal(value)
    return None


# ------------------------------------------------------------------------------------ times

_TIME_EN = _compile(
    r"""(?<![\d:.$])(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?![a-z])
    |(?<![\d:.$])(\d{1,2}):(\d{2})(?![\d:])
    |(?:\bat|\baround|\bby|\bbefore|\bafter)\s+(\d{1,2})(?![\d:.,])(?:\s*o'?clock)?
        (?!\s*(?:%|dollars?|bucks|usd|items?|pcs|pieces|of\b|\w))
    |(?<![\d:.$])(\d{1,2})\s*o'?clock
    |\bhalf\s+past\s+(\d{1,2})\b
    |\b(noon|midday|midnight)\b"""
)
_TIME_ZH = re.compile(
    r"(凌晨|早上|早晨|上午|中午|午后|下午|傍晚|晚上|夜里|今晚|明晚)?\s*"
    rf"(\d{{1,2}}|{_CN_NUM}{{1,3}})\s*[点點时時](钟|鐘)?"
    rf"(?:\s*(半|一刻|三刻)|\s*(\d{{1,2}}|{_CN_NUM}{{1,3}})\s*分|(\d{{2}})(?!\d))?"
    r"|(中午|正午)(?!\s*[\d零一二两三四五六七八九十])"
)
_TIME_KO = re.compile(
    r"(오전|오후|아침|점심|저녁|밤|낮|새벽)?\s*"
    rf"(\d{{1,2}}|(?<![가-힣])(?:{_KO_COUNT}))\s*시(?![간작즌리켜계])"
    r"(?:\s*(반|(\d{1,2})\s*분))?"
    r"|(정오|자정)"
)
_RELATIVE_DAY = _compile(
    r"""(?P<two>day\s+after\s+tomorrow|后天|後天|모레)
    |(?P<one>\btomorrow\b|\btmr\b|\btmrw\b|明天|明日|明晚|明早|내일)
    |(?P<zero>\btoday\b|\btonight\b|\bthis\s+(?:afternoon|evening|morning)\b|今天|今日|今晚|
       今早|오늘)"""
)


def _daytime(hour: int) -> int:
    # The local stores open 11:00-23:30: "at 3" or "3시" without am / pm means the afternoon.
    return hour + 12 if 1 <= hour <= 7 else hour


_TIME_HINT_EN = re.compile(r"\d|noon|midday|midnight", re.IGNORECASE)
_TIME_HINT_ZH = re.compile(r"[点點时時]|中午|正午")
_TIME_HINT_KO = re.compile(r"시|정오|자정")
_EVENING = frozenset(["下午", "午后", "傍晚", "晚上", "夜里", "今晚", "明晚", "오후", "저녁", "밤"])
_MIDDAY = frozenset(["中午", "낮", "점심"])


def _hour_of_day(hour: int, period: str | None) -> int:
    if (period in _EVENING and hour < 12) or (period in _MIDDAY and hour < 6):
        return hour + 12
    return hour if period else _daytime(hour)


def _times(text: str, taken: list[Span]) -> list[tuple[int, int, Span]]:
    found: list[tuple[int, int, Span]] = []

    def add(hour: int | None, minute: int | None, span: Span) -> None:
        if hour is None or minute is None or not (0 <= hour <= 24 and 0 <= minute < 60):
            return
        if _free(span, taken) and _free(span, [s for _, _, s in found]):
            found.append((hour % 24, minute, span))

    # Cheap look-ups first: most messages name no time, and the full patterns cost more.
    for m in _TIME_EN.finditer(text) if _TIME_HINT_EN.search(text) else ():
        if m.group(1):
            hour, minute = int(m.group(1)), int(m.group(2) or 0)
            if hour > 12:
                continue
            pm = m.group(3).lower().startswith("p")
            hour = (hour % 12) + (12 if pm else 0)
            add(hour, minute, m.span())
        elif m.group(4):
            add(_daytime(int(m.group(4))), int(m.group(5)), m.span())
        elif m.group(6):
            add(_daytime(int(m.group(6))), 0, m.span(6))
        elif m.group(7):
            add(_daytime(int(m.group(7))), 0, m.span())
        elif m.group(8):
            add(_daytime(int(m.group(8))), 30, m.span())
        elif m.group(9):
            add(0 if m.group(9).lower() == "midnight" else 12, 0, m.span())
    for m in _TIME_ZH.finditer(text) if _TIME_HINT_ZH.search(text) else ():
        if m.group(7):
            add(12, 0, m.span())
            continue
        period, hour_text, clock, fraction = m.group(1, 2, 3, 4)
        minute_text = m.group(5) or m.group(6)
        clock_hour = _number(hour_text)
        if clock_hour is None or (hour_text == "一" and not (period or clock or fraction)):
            continue  # 一点 is also "a little"
        minute = {"半": 30, "一刻": 15, "三刻": 45}.get(fraction or "", 0)
        if minute_text:
            minute = _number(minute_text) or 0
        add(_hour_of_day(clock_hour, period), minute, m.span())
    for m in _TIME_KO.finditer(text) if _TIME_HINT_KO.search(text) else ():
        if m.group(5):
            add(12 if m.group(5) == "정오" else 0, 0, m.span())
            continue
        period, hour_text, fraction, minute_text = m.group(1, 2, 3, 4)
        clock_hour = _number(hour_text)
        if clock_hour is not None:
            minute = 30 if fraction == "반" else int(minute_text or 0)
            add(_hour_of_day(clock_hour, period), minute, m.span())
    return sorted(found, key=lambda t: t[2])


# ----------------------------------------------------------------------------------- zips

_ZIP_WORD = _compile(r"zip|post\s*code|postal|邮编|邮政编码|郵遞區號|우편\s*번호")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u3131-\u318e]")
_CJK = re.compile(r"[\u4e00-\u9fff\uac00-\ud7af]")
_NUMBER_UNIT_AFTER = _compile(
    r"\s*(?:" + _MONEY_UNIT + r"|개|个|件|杯|잔|명|pcs|pieces|items|ml|mah|gb|mm|%|원|号|호|번)"
)


def _zips(text: str, taken: list[Span], allow_six: bool) -> list[tuple[str, Span]]:
    found = []
    digits = r"[0-9]{5,6}" if allow_six else r"[0-9]{5}"
    for m in re.finditer(rf"(?<![\d.,:$¥₩#+/-])({digits})(?:-\d{{4}})?(?![\d:%]|[.,]\d|-\d)", text):
        span = m.span(1)
        if not _free(span, taken) or _NUMBER_UNIT_AFTER.match(text, m.end()):
            continue
        found.append((m.group(1), span))
    return found


# ---------------------------------------------------------------------------------- names

_NOT_NAMES = words(
    """
    a an the and or but not no yes ok okay hi hello hey thanks thank you please my me i i'm is
    am are was here there this that it its from with for to of in on at by sure just also
    looking trying going wondering calling writing asking back new customer order orders zip
    code email mail number phone name and the so very really still again now today tomorrow
    want need would like buy return cancel change exchange help good fine great sorry wait
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december street st ave avenue road rd apt
    drive dr lane ln blvd boulevard way court ct place pl suite unit floor north south east west
    size color colour black white blue red green pink navy grey gray large small medium
    """
)
_ROMAN_SURNAMES = words(
    """
    wang li zhang liu chen yang zhao huang zhou wu xu sun ma zhu hu guo he lin luo gao
    kim lee park choi jung jeong kang cho jo yoon yun jang lim im han oh seo shin kwon hwang
    ahn song ryu yoo hong jeon ko moon yang son bae baek heo nam shim noh ha kwak sung cha
    """
)
_LATIN_NAME = r"[A-Za-z][A-Za-z'-]*[a-z]"
_CAPITAL_NAME = r"[A-Z][A-Za-z'-]*[a-z]"
_NAME_TRIGGER_ANY_CASE = (
    r"(?i:my\s+name\s+is|my\s+name's|name\s+is|name\s*:|names?\s+is|call\s+me|"
    r"i\s+am\s+called|我叫|我是|名字是|名字叫|姓名是?\s*[:：]?|叫我|저는|전|제\s*이름은|"
    r"이름은|이름\s*:|성함은)"
)
_NAME_TRIGGERED = re.compile(
    rf"{_NAME_TRIGGER_ANY_CASE}\s*({_LATIN_NAME})\s+({_LATIN_NAME})(?![A-Za-z])"
)
_NAME_INTRODUCED = re.compile(
    rf"(?i:\bi'm|\bi\s+am|\bthis\s+is|\bit's|\bit\s+is|^)\s*({_CAPITAL_NAME})\s+"
    rf"({_CAPITAL_NAME})(?![A-Za-z])"
)
_SAID_AS_NAME = re.compile(r"(?i)\s*(?:i'm|i\s+am|this\s+is|it's|it\s+is)\b")
_NAME_PAIR = re.compile(rf"(?<![A-Za-z])({_CAPITAL_NAME})[ \t]+({_CAPITAL_NAME})(?![A-Za-z])")
_NAME_PAIR_ANY_CASE = re.compile(rf"(?<![A-Za-z])({_LATIN_NAME})[ \t]+({_LATIN_NAME})(?![A-Za-z])")

_ZH_COMPOUND_SURNAMES = words(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 令狐 夏侯 长孙 宇文 司徒 端木 西门 南宫"
)
_ZH_SURNAMES = frozenset(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋"
    "蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万"
    "段雷钱汤尹黎易常武乔贺赖龚文"
)
_ZH_NAME_STOP = "的了啊呀吧呢哦嘛么吗我你他她邮电手号和跟在要想来去是"
_ZH_TRIGGERED = re.compile(
    r"(?:我叫|我是|名字是|名字叫|姓名是?|叫我)\s*[:：]?\s*([\u4e00-\u9fff]{2,6})"
)
_ZH_STANDALONE = re.compile(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{2,4})(?![\u4e00-\u9fff])")

_KO_COMPOUND_SURNAMES = words("남궁 황보 제갈 선우 독고 사공 서문")
_KO_SURNAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송류유홍전고문양손배백허남심노하곽성차주우구민진나지엄"
    "채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국"
)
# What follows a Korean name when the customer says it: 김민준입니다, 김민준이에요, 김민준이고...
_KO_SUFFIXES = (
    "이라고",
    "라고",
    "입니다",
    "이에요",
    "예요",
    "인데요",
    "이고요",
    "이구요",
    "이고",
    "입니당",
    "이요",
    "이야",
    "님",
    "씨",
)
_KO_COPULA = re.compile(rf"(?<![가-힣])([가-힣]{{2,5}}?)(?:{'|'.join(_KO_SUFFIXES)})(?![가-힣])")
_KO_TRIGGERED = re.compile(
    r"(?:이름은|이름\s*:|성함은)\s*([가-힣]+)|(?:저는|전)\s+([가-힣]{3})(?![가-힣])"
)
_KO_STANDALONE = re.compile(r"(?<![가-힣])([가-힣]{3,4})(?![가-힣])")


def _zh_candidates(run: str, *, exact: bool) -> list[tuple[str, str]]:
    cut = next((i for i, c in enumerate(run) if c in _ZH_NAME_STOP and i > 0), len(run))
    exact = exact and cut == len(run) and len(run) <= 4
    run = run[:cut]
    if len(run) < 2:
        return []
    if run[:2] in _ZH_COMPOUND_SURNAMES and len(run) >= 3:
        surname, rest = run[:2], run[2:]
    elif run[0] in _ZH_SURNAMES:
        surname, rest = run[0], run[1:]
    else:
        return []
    if exact:
        return [(rest, surname)] if len(rest) <= 3 else []
    return [(rest[:2], surname), (rest[:1], surname)] if len(rest) >= 2 else [(rest, surname)]


def _ko_candidates(word: str) -> list[tuple[str, str]]:
    # Korean names are a one-syllable surname and a two-syllable given name, now and then a
    # two-syllable surname (남궁) or a one-syllable given name.
    if word[:2] in _KO_COMPOUND_SURNAMES and len(word) in (3, 4):
        return [(word[2:], word[:2])]
    if word[0] in _KO_SURNAMES and len(word) in (2, 3):
        return [(word[1:], word[0])]
    return []


def _latin_names(text: str, has_id_data: bool) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def add(first: str, last: str, *, introduced: bool = False) -> None:
        # "this is Charlotte White": said as a name, a colour word is a surname.
        if not introduced and (first.lower() in _NOT_NAMES or last.lower() in _NOT_NAMES):
            return
        found.append((first.capitalize(), last.capitalize()))
        if first.lower() in _ROMAN_SURNAMES:
            # "Wang Siyu": a Chinese or Korean name may come surname first.
            found.append((last.capitalize(), first.capitalize()))

    for pattern in (_NAME_TRIGGERED, _NAME_INTRODUCED):
        for m in pattern.finditer(text):
            said = pattern is _NAME_TRIGGERED or bool(_SAID_AS_NAME.match(m.group(0)))
            add(m.group(1), m.group(2), introduced=said)
    latin_words = re.findall(r"[A-Za-z]+", _EMAIL.sub(" ", text))
    # Two words and nothing else ("yusuf rossi") may be a name in any case.
    only_a_name = len(latin_words) == 2 and not re.search(r"[^A-Za-z\s.,!'-]", text)
    if has_id_data or only_a_name:
        pattern = _NAME_PAIR_ANY_CASE if len(latin_words) <= 3 else _NAME_PAIR
        for m in pattern.finditer(text):
            add(m.group(1), m.group(2))
    return found


def _chinese_names(text: str, has_id_data: bool) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for m in _ZH_TRIGGERED.finditer(text):
        ends_run = not _HAN.match(text, m.end())
        found += _zh_candidates(m.group(1), exact=ends_run)
    han_total = len(_HAN.findall(text))
    for run in _ZH_STANDALONE.findall(text):
        # A bare "王思雨 200031" or "王思雨": the run is all the Chinese there is.
        if has_id_data or (len(run) == han_total and len(run) >= 3):
            found += _zh_candidates(run, exact=True)
    return found


def _korean_names(text: str, has_id_data: bool) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for m in _KO_TRIGGERED.finditer(text):
        word = m.group(1) or m.group(2)
        for suffix in _KO_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                word = word[: -len(suffix)]
                break
        found += _ko_candidates(word)
    for m in _KO_COPULA.finditer(text):
        if len(m.group(1)) >= 3:
            found += _ko_candidates(m.group(1))
    hangul_words = re.findall(r"[가-힣]+", text)
    for m in _KO_STANDALONE.finditer(text):
        # "이름은" or "우편번호를" is a word with its particle, not a name.
        if (has_id_data or len(hangul_words) == 1) and m.group(1)[-1] not in "은는을를에도로":
            found += _ko_candidates(m.group(1))
    return found


def _names(text: str, has_id_data: bool) -> list[tuple[str, str]]:
    """Candidate (first, last) pairs; `has_id_data` (a zip or an email beside them) lets bare
    names count without "my name is"."""
    found = _latin_names(text, has_id_data) if re.search(r"[A-Za-z]{2}", text) else []
    if _HAN.search(text):
        found += _chinese_names(text, has_id_data)
    if _HANGUL.search(text):
        found += _korean_names(text, has_id_data)
    return list(dict.fromkeys(pair for pair in found if pair[0] and pair[1]))


# ---------------------------------------------------------------------------- quantities

_COUNT_UNIT_CJK = (
    r"个|個|杯|件|瓶|份|碗|盒|双|條|条|套|支|只|本|张|包|袋|台|副|罐|听|箱|"
    r"개|잔|병|벌|켤레|세트|팩|그릇|인분|장|권|대|박스|봉지|통|컵"
)
_COUNT_UNIT_EN = (
    r"x\b|pcs?\b|pieces?\b|units?\b|items?\b|bottles?\b|cups?\b|packs?\b|boxes?\b|pairs?\b|"
    r"jars?\b|tubes?\b|sets?\b|bowls?\b|of\b|more\b"
)
_NOT_COUNT_AFTER = _compile(
    r"""\s*(?:am|pm|a\.m|p\.m|%|percent|ml|kg|cm|mm|inch|inches|ft|gb|tb|
    mah|mp|hz|days?|weeks?|hours?|hrs?|minutes?|mins?|seconds?|secs?|years?|months?|times?|
    o'?clock|dollars?|bucks|usd|won|stars?|people|persons?|sizes?)\b|\s*[-:/.,]\d|\s*-"""
)
_NOT_COUNT_BEFORE = _compile(
    r"""(?:size|sz|us|uk|eu|number|no\.|option|choice|\#|top|under|below|over|above|item|step|
    page|version|between|from|and|to|or|at|around|by|in)\s*$"""
)
_COUNT_VERB_BEFORE = _compile(
    r"""(?:take|buy|want|get|order|add|need|like|have|make\s+it|quantity|qty|count|give\s+me|
    just|only)\s*(?:me\s+)?(?:about\s+)?$"""
)
_DIGITS_QTY = re.compile(r"(?<![\w.$#@/:,¥₩-])(\d{1,3})(?!\d|[,.:/]\d|%)")
_X_QTY = _compile(r"(?<![a-z])x\s*(\d{1,3})(?!\d)|(?<![\w.])(\d{1,3})\s*x(?![a-z])")
_CJK_QTY = re.compile(
    rf"(?<!第)(?<![\d.零一二两三四五六七八九十百千万])(\d{{1,3}}|{_CN_NUM}{{1,3}})\s*"
    rf"(?:{_COUNT_UNIT_CJK})(?!月|小时|星期|礼拜|钟|번째)"
)
# The counter ends the word or takes a short ending: "두 잔이요", "세 개만", not "네 장바구니".
_KO_NATIVE_QTY = re.compile(
    rf"(?<![가-힣])({_KO_COUNT}|하나|둘|셋|넷)\s*(?:{_COUNT_UNIT_CJK})"
    r"(?:(?![가-힣])|(?=[요만씩]|이요|으로|로|에|을|를|이))"
)
_KO_BARE_QTY = re.compile(
    r"(?<![가-힣])(하나|둘|셋|넷|다섯|여섯|일곱|여덟|아홉)(?=$|[\s,.!?~]|만|요|씩|이요|로|주세요)"
)
_EN_WORD_QTY = _compile(
    r"(?<![\w-])(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+dozen)"
    r"(?![\w-])"
)
_POLITE_TAIL = _compile(r"\s*(?:please|pls|plz|thanks|thank\s+you|个|杯|就行|吧|요|주세요|만)?\W*$")


def _quantity(text: str, taken: list[Span]) -> int | None:
    candidates: list[tuple[int, int]] = []
    cjk_patterns = [_CJK_QTY] if _CJK.search(text) else []
    if _HANGUL.search(text):
        cjk_patterns += [_KO_NATIVE_QTY, _KO_BARE_QTY]
    for m in _X_QTY.finditer(text) if "x" in text.lower() else ():
        if _free(m.span(), taken):
            candidates.append((m.start(), int(m.group(1) or m.group(2))))
    for pattern in cjk_patterns:
        for m in pattern.finditer(text):
            if _free(m.span(), taken) and (value := _number(m.group(1))) is not None:
                candidates.append((m.start(), value))
    for m in _DIGITS_QTY.finditer(text):
        if not _free(m.span(), taken) or _NOT_COUNT_AFTER.match(text, m.end()):
            continue
        # The words just before a number say what it counts; farther back they do not.
        before, after = text[max(0, m.start() - 24) : m.start()], text[m.end() :]
        if re.match(r"[a-z]", after, re.I) and not re.match(r"(?:x|pcs?)\b", after, re.I):
            continue  # 2nd, 50ml, 4k, 2L
        if _NOT_COUNT_BEFORE.search(before) or before.rstrip().endswith(("第", "#")):
            continue
        counted = (
            re.match(rf"\s*(?:{_COUNT_UNIT_EN})", after, re.I)
            or _COUNT_VERB_BEFORE.search(before)
            or (not before.strip(" ,.!") and _POLITE_TAIL.fullmatch(after))
            or re.match(r"\s+[a-z]{3,}", after, re.I)
        )
        if counted:
            candidates.append((m.start(), int(m.group(1))))
    for m in _EN_WORD_QTY.finditer(text):
        if not _free(m.span(), taken) or _NOT_COUNT_AFTER.match(text, m.end()):
            continue
        word = m.group(1).lower()
        before, after = text[max(0, m.start() - 24) : m.start()], text[m.end() :]
        if word == "one":
            # "the blue one" is a pronoun; "one bottle", "just one", "one please" are counts.
            if not (
                re.match(rf"\s*(?:{_COUNT_UNIT_EN})", after, re.I)
                or _COUNT_VERB_BEFORE.search(before)
                or (not before.strip(" ,.!") and _POLITE_TAIL.fullmatch(after))
            ):
                continue
        elif re.search(r"(?:the|which|of|those|these|size|number|option)\s*$", before, re.I):
            continue
        candidates.append((m.start(), 12 if "dozen" in word else _EN_NUMBERS[word]))
    positive = [c for c in candidates if 0 < c[1] <= 999]
    return min(positive)[1] if positive else None


# ------------------------------------------------------------------------------ ordinals

_EN_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "last": -1,
}
_ORDINAL_EN = _compile(
    r"""\b(?:the\s+|that\s+|this\s+)(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|
        tenth|last)\b(?!\s+(?:time|week|month|year|night|order\s+i))
    |\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)\s+
        (?:one|option|item|choice|product|store|shop|slot|address|card|color|colour|size|variant|
        pick|result)\b
    |(?<![\w#])(\d{1,2})(?:st|nd|rd|th)\b(?!\s*(?:floor|street|st\b|ave|avenue|of\b))
    |\b(?:number|no\.|option|choice|item)\s*(\d{1,2})(?!\d)
    |^\W*(first|second|third|fourth|fifth|last)\W*(?:one|please)?\W*$"""
)
_ORDINAL_ZH = re.compile(
    rf"第\s*(\d{{1,2}}|{_CN_NUM}{{1,3}})(?!次|天|周|年|名|季|期|\d)|(最后|最後)(?:一|那|这)"
)
_ORDINAL_KO = re.compile(
    r"(?<![가-힣])(\d{1,2}|첫|두|세|네|다섯|여섯|일곱|여덟|아홉|열)\s*번째"
    r"|(?<![가-힣])(첫|둘|셋|넷)째"
    r"|(?<![\d.])(\d{1,2})\s*번(?![째지가-힣])"
    r"|(?<![\d.])(\d{1,2})\s*번(?=으로|이요|이에요|요|이|을|를|것|거|꺼|\s|$)"
    r"|(마지막)\s*(?:거|것|꺼|걸|번|제품|상품|옵션|매장|시간)"
)


def _ordinal(text: str, taken: list[Span]) -> int | None:
    found: list[tuple[int, int]] = []
    for m in _ORDINAL_EN.finditer(text):
        if not _free(m.span(), taken):
            continue
        word = m.group(1) or m.group(2) or m.group(5)
        if word:
            found.append((m.start(), _EN_ORDINALS[word.lower()]))
        else:
            found.append((m.start(), int(m.group(3) or m.group(4))))
    for m in _ORDINAL_ZH.finditer(text) if _HAN.search(text) else ():
        if m.group(2):
            found.append((m.start(), -1))
        elif (value := _number(m.group(1))) is not None:
            found.append((m.start(), value))
    for m in _ORDINAL_KO.finditer(text) if _HANGUL.search(text) else ():
        if not _free(m.span(), taken):
            continue
        if m.group(5):
            found.append((m.start(), -1))
            continue
        token = m.group(1) or m.group(2) or m.group(3) or m.group(4)
        value = 1 if token == "첫" else _number(token)
        if value is not None:
            found.append((m.start(), value))
    usable = [f for f in found if f[1] != 0]
    return min(usable)[1] if usable else None


# ------------------------------------------------------------------------- yes, no, stop

_FILLER = (
    r"(?:(?:oh|um+|uh+|ah+|well|hmm+|so|okay\s+so|and|then|嗯哼|嗯+|哦|噢|额|呃|啊|那|그럼|음+|아|어)"
    r"[\s,，.。!！~]*)*"
)
_AFFIRM_START = re.compile(
    rf"""^{_FILLER}(?:
      (?:yes|yeah|yea|yep|yup|ya|yah|sure|ok|okay|okey|alright|all\s+right|absolutely|definitely|
         of\s+course|certainly|affirmative|go\s+ahead|do\s+it|please\s+do(?!\s+not)|
         please\s+proceed|proceed|confirm(?:ed)?|i\s+confirm|sounds\s+good|that's\s+right|
         that\s+is\s+right|that's\s+correct|that\s+is\s+correct|that\s+works|
         works\s+for\s+me|let's\s+do\s+it|let's\s+go|no\s+problem|no\s+worries)(?![a-z'])
      |(?:是的|是啊|是呀|是滴|对的|对啊|对呀|没错|好的|好啊|好吧|好呀|好嘞|好滴|可以的|可以啊|
         行的|行啊|行吧|确认|确定|没问题|没有问题|嗯嗯|要的|当然|同意|就这样|就这个|就它了|ok|okay)
         (?![吗么嘛不下一])
      |(?:是|对|好|可以|行)(?=$|[\s,，.。!！~…]|[a-z0-9])
      |(?:네|넵|넹|넴|예|응|웅|ㅇㅇ|ㅇㅋ|오케이|오키|그래|그래요|그럼요|좋아|좋아요|좋습니다|좋네요|
         맞아|맞아요|맞습니다|맞네요|알겠습니다|알겠어요|알았어|알았어요|당연하죠|물론이죠|물론|
         확인|확인했어요|확인합니다)
         (?!\s*(?:개|잔|병|벌|명|시|번|가지|장|컵|그릇)(?:[요만씩]|이요|$|[^가-힣]))(?![가-힣?])
      |(?:진행해\s*주세요|진행해\s*줘|진행해요|진행할게요|진행하세요|진행해\s*주십시오)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Affirmative only when nothing else is said ("great" before "now show me..." is not a yes).
_AFFIRM_WEAK = re.compile(
    r"^\W*(?:right|correct|fine|great|perfect|cool|awesome|nice|good|y|k|kk|嗯|要|어|그래그래|"
    r"좋죠|콜)\W*$",
    re.IGNORECASE,
)
# Mid-sentence only phrases that mean "do it" whatever surrounds them: "the colour is good"
# (좋아요) or "a good cream" (好的) must never confirm a staged action.
_AFFIRM_ANYWHERE = re.compile(
    r"""(?<![a-z'])(?:go\s+ahead|please\s+do(?!\s+not)|please\s+proceed|i\s+confirm|
      sounds\s+good|that's\s+right|that's\s+correct|that\s+is\s+correct|works\s+for\s+me|
      let's\s+do\s+it|yes\s+please)(?![a-z])
    |(?<![不没別别])(?:我确认|确认(?:取消|下单|购买|修改|退货|换货|付款|支付|更换)|
      确定(?:要|取消|下单|购买|修改)|就这么办|确认(?=\s*[。.!！~]*$))
    |(?<!안\s)(?<!안)(?:진행해\s*주세요|진행해\s*줘|진행할게요|진행하세요|그렇게\s*해\s*주세요|
      그렇게\s*해줘|그걸로\s*할게요|그걸로\s*해\s*주세요)(?!\s*\?)""",
    re.IGNORECASE | re.VERBOSE,
)
_NEGATED_BEFORE = re.compile(
    r"(?:\b(?:don't|dont|do\s+not|not|never|won't|shouldn't|no\s+need\s+to|can't|cannot|"
    r"didn't|haven't|hasn't)\s+(?:\w+\s+)?|不|没|别)$",
    re.IGNORECASE,
)
_DENY_START = re.compile(
    rf"""^{_FILLER}(?:
      (?:no|nope|nah|naw|not\s+(?:really|now|yet|quite|that|this|so)|negative|never|don't|dont|
         do\s+not|stop|wait|hold\s+on|hang\s+on|wrong|incorrect|cancel(?=\W*$))(?![a-z'])
         (?!\s+(?:ice|sugar|problem|worries|rush|doubt|idea|need\s+to\s+worry)\b)
      |(?:不是|不要|不用(?!谢)|不了|不行|不对|不需要|不想|不买|别(?![的人处家])|没有(?!问题)|否|
         算了|先不|暂时不|等一下|等等|等会儿?|慢着|错了|搞错了|不必)
      |不(?=$|[\s,，.。!！~…])
      |取消(?=$|[\s,，.。!！~…]|吧|了|掉)
      |(?:아니요|아니오|아뇨|아니에요|아닙니다|아니야|아니|노노|싫어요|싫어|싫습니다|안\s*돼요|
         안\s*돼|안돼|잠깐만요|잠깐만|잠깐|잠시만요|잠시만|됐어요|됐어|됐습니다|괜찮아요|
         괜찮습니다|그만|아직|ㄴㄴ|놉)(?![가-힣])
      |취소(?=$|[\s,.!~]|요|할게요)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_DENY_ANYWHERE = re.compile(
    r"""(?<![a-z'])(?:(?:don't|dont|do\s+not)\s+(?:do|proceed|go|cancel|change|buy|want|need|
        place|charge|order|use|ship|send|return|bother|confirm|touch|submit)|
        i\s+don't\s+want|not\s+now|not\s+yet|no\s+thanks|no\s+thank\s+you|hold\s+on|
        that's\s+wrong|that's\s+not|not\s+that\s+one|wrong\s+one|rather\s+not|
        changed\s+my\s+mind|i\s+said\s+no)(?![a-z])
    |[,.!;]\s*(?:no|nope|wait|stop)(?![a-z'])(?!\s+(?:ice|sugar|problem|worries|rush|doubt)\b)
    |(?<![是要能会对])(?:不要|不用了|不是这|不是那|不对|先别|别(?:取消|买|下单|改|动|急|弄)|
        不想(?:要|买|取消|改)|搞错了|等一下|不需要)
    |(?:하지\s*마세요|하지\s*마|하지마|하지\s*말아\s*주세요|안\s*할래요|안\s*살래요|
        필요\s*없어요|아니에요|아닙니다|아니라|잠깐만요|틀렸어요|싫어요|원하지\s*않아요)""",
    re.IGNORECASE | re.VERBOSE,
)
_YES_NO_WORDS = re.compile(
    r"""(?<![a-z'])(?:yes|yeah|yea|yep|yup|ya|yah|sure|ok|okay|okey|alright|all\s+right|absolutely|
      definitely|of\s+course|certainly|affirmative|go\s+ahead|do\s+it|please\s+do|proceed|
      confirm(?:ed)?|i\s+confirm|sounds\s+good|that's\s+right|that\s+is\s+right|that's\s+correct|
      that\s+is\s+correct|that\s+works|works\s+for\s+me|let's\s+do\s+it|let's\s+go|no\s+problem|
      no\s+worries|right|correct|fine|great|perfect|cool|awesome|nice|good|y|k|kk|no|nope|nah|
      naw|not\s+now|not\s+yet|negative|never|stop|wait|hold\s+on|hang\s+on|no\s+thanks|
      please|pls|plz|thanks|thank\s+you|thx|ty|then|just|oh|um+|uh+|ah+|well|hmm+|so|sir|
      very\s+much|so\s+much|for\s+now|haha|lol|don't|dont|do\s+not)(?![a-z'])
    |确认(?:取消|下单|购买|修改|退货|换货|付款|支付|更换)|确定(?:要|取消|下单|购买|修改)|没有问题
    |是的|是啊|是呀|是滴|对的|对啊|对呀|没错|好的|好啊|好吧|好呀|好嘞|好滴|可以的|可以啊|行的|行啊|
     行吧|确认|确定|没问题|嗯+|要的|当然|同意|就这样|不是|不要|不用了|不用|不了|不行|不对|
     不需要|没有|算了|取消|谢谢你?|谢啦|谢了|麻烦了|麻烦你了|请|吧|啊|呀|呢|啦|哦|了|的|哈+|嘛|
     是|对|好|可以|行|不|别|否|要|先不|那就|那
    |네|넵|넹|넴|예|응|웅|ㅇㅇ|ㅇㅋ|오케이|오키|그래요|그래|그럼요|좋아요|좋아|좋습니다|좋네요|
     맞아요|맞아|맞습니다|맞네요|알겠습니다|알겠어요|알았어요|알았어|당연하죠|물론이죠|물론|
     확인했어요|확인합니다|확인|진행해\s*주세요|진행해\s*줘|진행해요|진행할게요|진행하세요|
     아니요|아니오|아뇨|아니에요|아닙니다|아니야|아니|싫어요|싫어|괜찮아요|괜찮습니다|
     됐어요|됐어|하지\s*마세요|하지\s*마|하지마|감사합니다|감사해요|고마워요|고마워|고맙습니다|
     부탁드려요|부탁해요|부탁합니다|요|ㅎ+|ㅋ+|ㅠ+|ㄴㄴ""",
    re.IGNORECASE | re.VERBOSE,
)
_STOP_FLOW = re.compile(
    r"""(?<![a-z])(?:never\s*mind|nvm|forget\s+(?:it|about\s+it|that|this)|stop(?:\s+it)?|
      cancel\s+(?:that|this)|drop\s+it|leave\s+it|don't\s+bother|changed\s+my\s+mind|
      i'm\s+done|no\s+need)(?![a-z])
    |算了|不用了|没事了|不买了|不要了|不改了|不退了|不换了|不取消了|不需要了|先不了|别弄了|没事
    |(?<![가-힣])(?:됐어요|됐어|됐습니다|됐고|그만(?:할게요|해요|해|하세요)?|안\s*할래요|
      안\s*살래요|필요\s*없어요|관둘게요|관둬|잊어버려|신경\s*쓰지\s*마세요)(?![가-힣])
    |^\W*(?:취소(?:요|할게요|해|할래요)?|괜찮아요|괜찮습니다)\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
_HUMAN = re.compile(
    r"""(?<![a-z])(?:(?<!you\sa\s)(?<!you\s)human|real\s+person|representative|
      live\s+(?:agent|person|chat|support)|customer\s+(?:service|support|care)|operator|
      (?<!ai\s)(?<!you\san\s)(?<!you\sa\s)agent|
      (?:talk|speak|chat)\s+(?:to|with)\s+(?:someone|somebody|a\s+person|a\s+manager|
      your\s+manager|the\s+manager|staff|support|a\s+real)|manager)(?![a-z])
    |人工|真人|(?:转|找|联系|要|叫|接)(?:人工)?客服|^\W*客服\W*$|工作人员|找人|店员|经理
    |상담원|상담사|사람이랑|사람과|사람하고|사람한테|사람\s*연결|직원|매니저|담당자|고객센터|
     실제\s*사람|진짜\s*사람""",
    re.IGNORECASE | re.VERBOSE,
)

# ---------------------------------------------------------------------------------- coupons

_COUPON = re.compile(r"(?<![A-Za-z0-9#@.\-_])([A-Za-z]{2,20}\d{1,4})(?![A-Za-z0-9@\-_])")
_COUPON_AFTER_WORD = re.compile(
    r"(?:(?<![A-Za-z])(?i:code|coupon|promo|voucher)(?![A-Za-z])|优惠码|优惠券|折扣码|兑换码|券码|"
    r"쿠폰|코드)\s*(?i:code)?\s*"
    r"(?i:is|:|是|은|는)?\s*([A-Za-z0-9]{3,20})(?![A-Za-z0-9])"
)
_NOT_COUPONS = words(
    """
    spf ipx usb us uk eu pa ph no number option choice size gb tb mm ml cm kg mah am pm pcs top
    iphone galaxy pixel ps rtx gtx mp fps hz ddr qty step day week item order model version
    code coupon promo the for my and you use apply have this that with please discount voucher
    """
)


def _coupons(text: str, taken: list[Span]) -> list[str]:
    found = []
    for m in _COUPON.finditer(text):
        letters = re.match(r"[A-Za-z]+", m.group(1))
        if _free(m.span(), taken) and letters and letters.group().lower() not in _NOT_COUPONS:
            found.append(m.group(1).upper())
    for m in _COUPON_AFTER_WORD.finditer(text):
        token = m.group(1)
        if not _free(m.span(1), taken) or token.lower() in _NOT_COUPONS or token.isdigit():
            continue
        if token.isupper() or any(c.isdigit() for c in token):
            found.append(token.upper())
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------------------------- extract


_NUMBER_HINT = re.compile(rf"\d|{_CN_NUM}|만|천")
_PRICE_HINT = re.compile(
    r"under|below|less|cheap|more|max|most|up\s+to|within|budget|over|above|least|min|start|"
    r"between|from|plus|tops|[<>+~\-–]|到|至|介于|不超过|不高于|不到|低于|少于|小于|最多|最高|预算|"
    r"最大|以下|以内|之内|内|以上|起|超过|高于|多于|大于|至少|最少|起码|예산|최대|최소|이하|미만|"
    r"이내|안쪽|아래|밑|싼|저렴|까지|이상|초과|넘|비싼|부터|에서|사이",
    re.IGNORECASE,
)


_OUTSIDE_JAMO = re.compile(r"[^\u3131-\u318e]+")


def nfkc(text: str) -> str:
    """NFKC, except for the Hangul letters typed alone ("ㅇㅇ", "ㅇㅋ", "ㄴㄴ", "ㅋㅋ"), which
    NFKC would turn into the jamo that build syllables."""
    return _OUTSIDE_JAMO.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


@functools.lru_cache(maxsize=512)
def extract(text: str) -> Extracted:
    """Everything code can read from one customer message; never raises."""
    text = nfkc(text)
    taken: list[Span] = []

    emails = []
    for m in _EMAIL.finditer(text):
        emails.append(m.group().lower().rstrip("."))
        taken.append(m.span())
    orders = []
    for m in _ORDER_ID.finditer(text):
        if _free(m.span(), taken):
            orders.append(f"#{m.group(1).upper()}{m.group(2)}")
            taken.append(m.span())
    for m in _ORDER_BY_WORD.finditer(text):
        if _free(m.span(1), taken):
            orders.append(f"#W{m.group(1)}")
            taken.append(m.span(1))
    taken += [m.span() for m in _PHONE.finditer(text) if _free(m.span(), taken)]

    min_price = max_price = currency = None
    times: list[tuple[int, int, Span]] = []
    zips: list[tuple[str, Span]] = []
    if _NUMBER_HINT.search(text):
        if _PRICE_HINT.search(text):
            min_price, max_price, currency, price_spans = _prices(text, taken)
            taken += price_spans
        taken += [m.span() for m in _MONEY.finditer(text) if _free(m.span(), taken)]
    if any(hint.search(text) for hint in (_TIME_HINT_EN, _TIME_HINT_ZH, _TIME_HINT_KO)):
        times = _times(text, taken)
        taken += [span for _, _, span in times]
    if re.search(r"\d{5}", text):
        allow_six = bool(_ZIP_WORD.search(text) or _HAN.search(text))
        zips = _zips(text, taken, allow_six)
        if not allow_six and not zips and re.search(r"\d{6}", text) and _names(text, False):
            zips = _zips(text, taken, allow_six=True)  # "Siyu Wang 200031"
        taken += [span for _, span in zips]

    coupons = _coupons(text, taken)
    lowered = text.lower().strip()
    affirm, deny, bare = _yes_no(lowered)
    return Extracted(
        order_ids=tuple(dict.fromkeys(orders)),
        emails=tuple(dict.fromkeys(emails)),
        zip_codes=tuple(dict.fromkeys(z for z, _ in zips)),
        names=tuple(_names(text, bool(zips or emails))),
        quantity=_quantity(text, taken),
        affirm=affirm,
        deny=deny,
        bare_answer=bare,
        ordinal=_ordinal(text, taken),
        stop_flow=bool(_STOP_FLOW.search(lowered)),
        wants_human=bool(_HUMAN.search(lowered)),
        coupon_codes=tuple(coupons),
        min_price=min_price,
        max_price=max_price,
        price_currency=currency,
        times=tuple((h, m) for h, m, _ in times),
        relative_day=_relative_day(text),
    )


def _prices(
    text: str, taken: list[Span]
) -> tuple[Decimal | None, Decimal | None, str | None, list[Span]]:
    low: Decimal | None = None
    high: Decimal | None = None
    currency: str | None = None
    used: list[Span] = []
    for m in _PRICE_RANGE.finditer(text):
        first, second = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        if not _free(m.span(), taken):
            continue
        if m.group(3) and not (_currency(first) or _currency(second)):
            continue  # "2-3" alone is not a price range
        a, b = _amount(first), _amount(second)
        if a is not None and b is not None:
            # "2만원에서 4만원" and "20 to 40 dollars": the unit of one side is the other's too
            if _scaled(first) != _scaled(second) and _scaled(second) and a < 100:
                a *= _scaled(second)
            low, high = min(a, b), max(a, b)
            currency = currency or _currency(first + second)
            used.append(m.span())
    for pattern, is_max in ((_MAX_PRICE, True), (_MIN_PRICE, False)):
        for m in pattern.finditer(text):
            if not (_free(m.span(), taken) and _free(m.span(), used)):
                continue
            raw = m.group(1) or m.group(2)
            value = _amount(raw)
            if value is None:
                continue
            if is_max and high is None:
                high = value
            elif not is_max and low is None:
                low = value
            currency = currency or _currency(raw)
            used.append(m.span())
    return low, high, currency, used


def _scaled(amount: str) -> int:
    if re.search(r"만|万", amount):
        return 10000
    if re.search(r"천|千|k", amount, re.I):
        return 1000
    return 1


def _yes_no(lowered: str) -> tuple[bool, bool, bool]:
    if lowered in ("네?", "예?", "응?", "是吗?", "是吗", "真的吗?"):
        return False, False, False  # "pardon?", not a yes
    # A bare yes or no is short; a long message never is one, and spares the costly pass.
    bare = len(lowered) <= 60 and not re.search(r"[^\W_]", _YES_NO_WORDS.sub(" ", lowered))
    affirm = bool(_AFFIRM_START.search(lowered)) or (bare and bool(_AFFIRM_WEAK.search(lowered)))
    if not affirm and not re.search(r"[?？]\s*$", lowered):
        for m in _AFFIRM_ANYWHERE.finditer(lowered):
            if not _NEGATED_BEFORE.search(lowered[: m.start()]):
                affirm = True
                break
    if re.search(r"\bnot\s+sure\b|不确定|不太确定|잘\s*모르겠", lowered):
        affirm = False
    deny = bool(_DENY_START.search(lowered) or _DENY_ANYWHERE.search(lowered))
    return affirm, deny, bare and (affirm or deny)


def _relative_day(text: str) -> int | None:
    m = _RELATIVE_DAY.search(text)
    if not m:
        return None
    return 2 if m.group("two") else 1 if m.group("one") else 0


# ------------------------------------------------------------------------------- choices

_Lexicon = dict[str, dict[Language, tuple[str, ...]]]


def _entry(en: str, zh: str, ko: str) -> dict[Language, tuple[str, ...]]:
    return {"en": tuple(en.split("|")), "zh": tuple(zh.split("|")), "ko": tuple(ko.split("|"))}


COLOR_NAMES: _Lexicon = {
    "black": _entry("black", "黑色|黑的|黑款", "검정색|검은색|검정|블랙"),
    "white": _entry("white", "白色|白的|白款", "흰색|하얀색|화이트"),
    "blue": _entry("blue", "蓝色|蓝的", "파란색|파랑|블루|파란"),
    "sky blue": _entry("sky blue|light blue", "天蓝色|浅蓝色|天蓝|浅蓝", "하늘색|스카이 블루"),
    "ocean blue": _entry("ocean blue", "海洋蓝", "오션 블루"),
    "navy": _entry("navy|navy blue|dark blue", "藏青色|藏青|海军蓝|深蓝色|深蓝", "네이비|남색"),
    "red": _entry("red", "红色|红的", "빨간색|빨강|레드|빨간"),
    "cherry red": _entry("cherry red", "樱桃红", "체리 레드"),
    "brick red": _entry("brick red", "砖红色|砖红", "브릭 레드"),
    "green": _entry("green", "绿色|绿的", "초록색|녹색|그린|초록"),
    "forest green": _entry("forest green|dark green", "森林绿|墨绿色|墨绿|深绿色", "포레스트 그린"),
    "sage": _entry("sage", "鼠尾草绿", "세이지"),
    "sage green": _entry("sage green", "灰绿色", "세이지 그린"),
    "olive": _entry("olive", "橄榄绿|橄榄色", "올리브"),
    "pink": _entry("pink", "粉色|粉红色|粉的|粉红", "분홍색|핑크|분홍"),
    "dusty pink": _entry("dusty pink", "脏粉色|灰粉色", "더스티 핑크"),
    "cherry blossom pink": _entry("cherry blossom pink", "樱花粉", "벚꽃 핑크"),
    "grey": _entry("grey|gray", "灰色|灰的", "회색|그레이"),
    "space grey": _entry("space grey|space gray", "深空灰", "스페이스 그레이"),
    "charcoal": _entry("charcoal", "炭灰色|炭灰|深灰色|深灰", "차콜"),
    "graphite": _entry("graphite", "石墨色|石墨灰", "그래파이트"),
    "beige": _entry("beige", "米色|米白色", "베이지"),
    "oatmeal": _entry("oatmeal", "燕麦色", "오트밀"),
    "cream": _entry("cream", "奶油色", "크림색"),
    "sand": _entry("sand", "沙色", "샌드"),
    "stone": _entry("stone", "石色|岩灰色", "스톤"),
    "natural": _entry("natural", "原色|本色", "내추럴"),
    "khaki": _entry("khaki", "卡其色|卡其", "카키"),
    "brown": _entry("brown", "棕色|咖啡色|褐色", "갈색|브라운"),
    "yellow": _entry("yellow", "黄色|黄的", "노란색|노랑|옐로"),
    "purple": _entry("purple", "紫色|紫的", "보라색|퍼플|보라"),
    "plum": _entry("plum", "梅子色|李子色", "플럼"),
    "coral": _entry("coral", "珊瑚色|珊瑚红", "코랄"),
    "silver": _entry("silver", "银色|银的", "은색|실버"),
    "gold": _entry("gold", "金色|金的", "금색|골드"),
    "rose gold": _entry("rose gold", "玫瑰金", "로즈 골드|로즈골드"),
    "champagne": _entry("champagne", "香槟色|香槟金", "샴페인"),
    "midnight": _entry("midnight", "午夜色|午夜黑", "미드나이트"),
    "frost": _entry("frost", "霜白色|霜白", "프로스트"),
    "matte black": _entry("matte black", "哑光黑|磨砂黑", "매트 블랙"),
    "light wood": _entry("light wood", "浅木色", "밝은 원목"),
    "dark wood": _entry("dark wood", "深木色", "어두운 원목"),
    "indigo": _entry("indigo", "靛蓝色|靛蓝|深蓝水洗", "인디고"),
}
SIZE_NAMES: _Lexicon = {
    "XS": _entry("xs|extra small", "XS码|加小号", "XS 사이즈|엑스스몰"),
    "S": _entry("s|small", "S码|小号|小码", "S 사이즈|스몰"),
    "M": _entry("m|medium", "M码|中号|中码", "M 사이즈|미디엄"),
    "L": _entry("l|large", "L码|大号|大码", "L 사이즈|라지"),
    "XL": _entry("xl|extra large", "XL码|加大号|加大码", "XL 사이즈|엑스라지"),
    "XXL": _entry("xxl|2xl", "XXL码|加加大", "XXL 사이즈|투엑스라지"),
    "small": _entry("small", "小号|小杯|小份", "스몰|작은 거|작은 사이즈"),
    "medium": _entry("medium", "中号|中杯", "미디엄|중간 사이즈"),
    "large": _entry("large|big", "大号|大杯|大份", "라지|큰 거|큰 사이즈|곱빼기"),
    "regular": _entry("regular|normal", "中杯|标准份|正常份", "레귤러"),
    "queen": _entry("queen", "大号床|双人床|Queen", "퀸|퀸 사이즈"),
    "king": _entry("king", "特大号床|King", "킹|킹 사이즈"),
}
# Words customers use for the demo menus' ice and sweetness choices, keyed by the English name.
MENU_WORDS: _Lexicon = {
    "regular ice": _entry("regular ice|normal ice", "正常冰|标准冰", "얼음 보통|보통 얼음"),
    "less ice": _entry(
        "less ice|light ice|little ice", "少冰|微冰", "얼음 적게|얼음 조금|적은 얼음"
    ),
    "no ice": _entry(
        "no ice|without ice|ice free",
        "去冰|不要冰|无冰|不加冰|走冰",
        "얼음 없이|얼음 빼고|노 아이스",
    ),
    "hot": _entry("hot|warm", "热饮|热的|要热|温的", "따뜻하게|뜨겁게|따뜻한|핫"),
    "100% sugar": _entry("100% sugar|full sugar|100%", "全糖|正常糖|100%", "당도 100%|100%"),
    "70% sugar": _entry("70% sugar|70%|less sweet", "七分糖|七分甜|少糖|70%", "당도 70%|70%"),
    "50% sugar": _entry("50% sugar|half sugar|50%", "半糖|五分糖|五分甜|50%", "당도 50%|50%|반만"),
    "30% sugar": _entry("30% sugar|30%|light sugar", "三分糖|三分甜|微糖|30%", "당도 30%|30%"),
    "no sugar": _entry(
        "no sugar|sugar free|sugar-free|unsweetened|0%|zero sugar",
        "无糖|不要糖|不加糖|零糖|0%",
        "당도 0%|무가당|설탕 없이|0%|무설탕",
    ),
}
# The demo catalog's other option values (shades, scents, finishes, switches...), so that
# "无花果味的" or "라이트 베이지" finds the variant; a merchant's catalog adds its own.
VALUE_NAMES: _Lexicon = {
    "untinted": _entry("untinted|no tint|clear", "无色|不带色|透明", "무색|노 틴트"),
    "tinted": _entry("tinted", "有色|带色", "유색|틴티드"),
    "13 Porcelain": _entry("13 porcelain|porcelain", "13号瓷白|瓷白|象牙白", "13호 포슬린|포슬린"),
    "21 Light Beige": _entry(
        "21 light beige|light beige",
        "21号亮米色|亮米色|浅米色",
        "21호 라이트 베이지|라이트 베이지|21호",
    ),
    "23 Natural Beige": _entry(
        "23 natural beige|natural beige",
        "23号自然米色|自然米色",
        "23호 내추럴 베이지|내추럴 베이지|23호",
    ),
    "25 Sand": _entry("25 sand|sand", "25号沙色|沙色", "25호 샌드|샌드|25호"),
    "Rose Petal": _entry("rose petal", "玫瑰花瓣色|玫瑰色", "로즈 페탈|로즈"),
    "Coral Crush": _entry("coral crush|coral", "珊瑚色|珊瑚红", "코랄 크러시|코랄"),
    "Plum Night": _entry("plum night|plum", "梅子色|李子色", "플럼 나이트|플럼"),
    "10 sheets": _entry("10 sheets|10-pack", "10片|十片", "10매|10장"),
    "30 sheets": _entry("30 sheets|30-pack", "30片|三十片", "30매|30장"),
    "red (linear)": _entry("red switch|red|linear", "红轴", "적축|레드"),
    "brown (tactile)": _entry("brown switch|brown|tactile", "茶轴", "갈축|브라운"),
    "light": _entry("light wash|light", "浅色|浅蓝水洗", "연청|라이트 워싱"),
    "firm": _entry("firm|hard", "硬的|偏硬|硬", "단단한|딱딱한|하드"),
    "purifier": _entry("purifier|the purifier itself", "净化器|空气净化器", "공기청정기|본체"),
    "replacement filter": _entry(
        "replacement filter|filter", "替换滤网|滤网|滤芯", "교체 필터|필터"
    ),
    "fig & cedar": _entry(
        "fig & cedar|fig and cedar|fig", "无花果|无花果雪松", "무화과|무화과 시더"
    ),
    "white tea": _entry("white tea", "白茶", "화이트 티|백차"),
    "sandalwood": _entry("sandalwood", "檀香", "샌달우드|백단향"),
}
_ALL_LEXICONS: tuple[_Lexicon, ...] = (COLOR_NAMES, SIZE_NAMES, MENU_WORDS, VALUE_NAMES)


def _lexicon_entry(value: str) -> dict[Language, tuple[str, ...]] | None:
    """The lexicon entry named `value` in English ("blue", "Brick Red", "gray", "M")."""
    wanted = normalize(value).strip()
    entries = [(key, names) for lexicon in _ALL_LEXICONS for key, names in lexicon.items()]
    for key, names in entries:
        if normalize(key) == wanted:
            return names
    for _, names in entries:
        if wanted in (normalize(n) for n in names["en"]):
            return names
    return None


def option_synonyms(value: str) -> dict[str, str]:
    """A catalog option value's name in each language ("blue" → 蓝色 / 파란색); an unknown value
    is its own name everywhere."""
    entry = _lexicon_entry(value)
    if entry is None:
        return dict.fromkeys(LANGUAGES, value)
    return {lang: value if lang == "en" else entry[lang][0] for lang in LANGUAGES}


def _surface_forms(key: str, names: Mapping[str, str]) -> set[str]:
    # The key itself only stands in when there are no names: menu codes such as "regular" or
    # "70" would otherwise match words that belong to another option group.
    forms = set()
    spoken_key = normalize(key.replace("_", " "))
    for name in names.values() or [spoken_key]:
        form = normalize(name).strip()
        # "Regular (500 ml)" and "中杯（500 毫升）": customers say the part before the bracket.
        plain = re.sub(r"\s*\(.*?\)\s*", " ", form).strip()
        forms |= {form, plain}
        if plain.endswith(" " + spoken_key):
            forms.add(spoken_key)  # "pearls" for "Tapioca pearls", "egg" for "Soft-boiled egg"
    for form in list(forms):
        entry = _lexicon_entry(form)
        if entry is not None:
            forms |= {normalize(n) for lang in LANGUAGES for n in entry[lang]}
    return {f for f in forms if f}


def _find(form: str, haystack: str) -> list[Span]:
    head = r"(?<![a-z0-9'])" if re.match(r"[a-z0-9]", form) else ""
    tail = r"(?![a-z0-9'])" if re.search(r"[a-z0-9%]$", form) else ""
    return [m.span() for m in re.finditer(head + re.escape(form) + tail, haystack)]


def match_choices(text: str, choices: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The keys of `choices` (key → its names by language) that the text mentions, in the order
    mentioned; the longest name wins where names overlap ("sky blue" is not also "blue")."""
    haystack = normalize(text)
    hits: list[tuple[int, int, str]] = []
    for key, names in choices.items():
        for form in _surface_forms(key, names):
            hits += [(start, end, key) for start, end in _find(form, haystack)]
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
    kept: list[tuple[int, int, str]] = []
    for start, end, key in hits:
        # Two choices with the very same name ("jelly") are both kept: the customer is asked.
        if _free((start, end), [(a, b) for a, b, _ in kept if (a, b) != (start, end)]):
            kept.append((start, end, key))
    return list(dict.fromkeys(key for _, _, key in sorted(kept)))

"""The demo shop's customers: Chinese, Korean and English speakers with profiles, addresses and
saved payment methods, drawn from fixed personas with a seeded random.

Profile keys (what recommendation reads): skin_type, skin_concerns, apparel_section (women / men),
sizes {top, bottom, shoe}, budget (low / mid / high) with max_price_minor, favorite_colors,
phone_os, dietary, tea_preferences {size, ice, sugar} (menu option codes), interests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from shopkeep.store.customers import CustomerInput, PaymentMethodInput
from shopkeep.store.demo_catalog import SKIN_TYPES
from shopkeep.store.money import Money
from shopkeep.store.views import AddressInput


@dataclass(frozen=True)
class Persona:
    first: str  # as the customer writes it
    last: str
    first_roman: str  # for the id and email
    last_roman: str
    locale: str
    gender: str
    home: str  # a key of HOMES
    declining_card: bool = False  # the one customer whose saved card the sandbox declines


def p(
    first: str,
    last: str,
    roman: str,
    locale: str,
    gender: str,
    home: str,
    *,
    declining_card: bool = False,
) -> Persona:
    first_roman, last_roman = roman.split(" ")
    return Persona(first, last, first_roman, last_roman, locale, gender, home, declining_card)


PERSONAS: list[Persona] = [
    # Chinese speakers
    p("思雨", "王", "Siyu Wang", "zh", "f", "shanghai"),
    p("浩然", "李", "Haoran Li", "zh", "m", "beijing"),
    p("雨桐", "张", "Yutong Zhang", "zh", "f", "seoul_en"),
    p("子轩", "刘", "Zixuan Liu", "zh", "m", "shenzhen"),
    p("佳怡", "陈", "Jiayi Chen", "zh", "f", "hangzhou"),
    p("博文", "杨", "Bowen Yang", "zh", "m", "seoul_en"),
    p("欣然", "赵", "Xinran Zhao", "zh", "f", "shanghai"),
    p("俊杰", "黄", "Junjie Huang", "zh", "m", "guangzhou"),
    p("梓涵", "周", "Zihan Zhou", "zh", "f", "seoul_en"),
    p("宇航", "吴", "Yuhang Wu", "zh", "m", "shanghai"),
    p("诗琪", "徐", "Shiqi Xu", "zh", "f", "beijing"),
    p("明哲", "孙", "Mingzhe Sun", "zh", "m", "hangzhou"),
    p("晓雯", "马", "Xiaowen Ma", "zh", "f", "seoul_en"),
    p("一鸣", "朱", "Yiming Zhu", "zh", "m", "shenzhen"),
    p("静怡", "胡", "Jingyi Hu", "zh", "f", "chengdu"),
    p("天佑", "郭", "Tianyou Guo", "zh", "m", "seoul_en"),
    p("婉清", "林", "Wanqing Lin", "zh", "f", "shanghai"),
    p("嘉欣", "何", "Jiaxin He", "zh", "f", "guangzhou"),
    # Korean speakers
    p("민지", "김", "Minji Kim", "ko", "f", "seoul"),
    p("준호", "이", "Junho Lee", "ko", "m", "seoul"),
    p("서연", "박", "Seoyeon Park", "ko", "f", "seoul"),
    p("지훈", "최", "Jihoon Choi", "ko", "m", "seoul"),
    p("하은", "정", "Haeun Jung", "ko", "f", "seoul"),
    p("도윤", "강", "Doyoon Kang", "ko", "m", "busan"),
    p("수아", "조", "Sua Cho", "ko", "f", "seoul"),
    p("시우", "윤", "Siwoo Yoon", "ko", "m", "seoul"),
    p("예린", "장", "Yerin Jang", "ko", "f", "seoul"),
    p("현우", "임", "Hyunwoo Lim", "ko", "m", "seoul"),
    p("지아", "한", "Jia Han", "ko", "f", "seoul"),
    p("태민", "오", "Taemin Oh", "ko", "m", "seoul"),
    p("유나", "서", "Yuna Seo", "ko", "f", "busan"),
    p("동현", "신", "Donghyun Shin", "ko", "m", "seoul"),
    p("나연", "권", "Nayeon Kwon", "ko", "f", "seoul"),
    p("성민", "황", "Seongmin Hwang", "ko", "m", "seoul"),
    p("소희", "안", "Sohee Ahn", "ko", "f", "seoul"),
    p("재원", "송", "Jaewon Song", "ko", "m", "seoul"),
    # English speakers
    p("Emma", "Johnson", "Emma Johnson", "en", "f", "portland"),
    p("Liam", "Smith", "Liam Smith", "en", "m", "austin"),
    p("Olivia", "Brown", "Olivia Brown", "en", "f", "seattle"),
    p("Noah", "Davis", "Noah Davis", "en", "m", "chicago"),
    p("Ava", "Miller", "Ava Miller", "en", "f", "new_york"),
    p("Ethan", "Wilson", "Ethan Wilson", "en", "m", "san_francisco"),
    p("Sophia", "Martinez", "Sophia Martinez", "en", "f", "los_angeles"),
    p("Mason", "Anderson", "Mason Anderson", "en", "m", "denver"),
    p("Isabella", "Thomas", "Isabella Thomas", "en", "f", "boston"),
    p("Lucas", "Taylor", "Lucas Taylor", "en", "m", "seoul_en"),
    p("Mia", "Moore", "Mia Moore", "en", "f", "seoul_en"),
    p("James", "Jackson", "James Jackson", "en", "m", "atlanta"),
    p("Charlotte", "White", "Charlotte White", "en", "f", "minneapolis"),
    p("Daniel", "Park", "Daniel Park", "en", "m", "los_angeles"),
    p("Grace", "Chen", "Grace Chen", "en", "f", "new_york"),
    p("Benjamin", "Harris", "Benjamin Harris", "en", "m", "philadelphia", declining_card=True),
    p("Amelia", "Clark", "Amelia Clark", "en", "f", "seattle"),
    p("Henry", "Lewis", "Henry Lewis", "en", "m", "seoul_en"),
]


@dataclass(frozen=True)
class Street:
    """A street to draw an address from: `line` takes the house number as {n}."""

    line: str
    city: str
    state: str
    country: str
    zip: str
    unit: str  # the second line, with {a} and {b} for building and flat numbers


def korean(line: str, zip_code: str, city: str = "Seoul", state: str = "서울특별시") -> Street:
    return Street(line, city, state, "South Korea", zip_code, "{a}동 {b}호")


def seoul_en(line: str, zip_code: str) -> Street:
    return Street(line, "Seoul", "", "South Korea", zip_code, "Unit {b}")


def chinese(line: str, city: str, state: str, zip_code: str) -> Street:
    return Street(line, city, state, "China", zip_code, "{a} 号楼 {b} 室")


def american(line: str, city: str, state: str, zip_code: str) -> Street:
    return Street(line, city, state, "USA", zip_code, "Apt {b}")


HOMES: dict[str, list[Street]] = {
    "seoul": [
        korean("서울특별시 마포구 와우산로 {n}", "04066"),
        korean("서울특별시 마포구 양화로 {n}", "04050"),
        korean("서울특별시 서대문구 연세로 {n}", "03722"),
        korean("서울특별시 강남구 테헤란로 {n}", "06236"),
        korean("서울특별시 성동구 왕십리로 {n}", "04769"),
        korean("서울특별시 용산구 이태원로 {n}", "04348"),
        korean("서울특별시 송파구 올림픽로 {n}", "05551"),
        korean("서울특별시 관악구 관악로 {n}", "08788"),
    ],
    "busan": [
        korean("부산광역시 해운대구 해운대해변로 {n}", "48099", "Busan", "부산광역시"),
        korean("부산광역시 수영구 광안해변로 {n}", "48303", "Busan", "부산광역시"),
    ],
    "seoul_en": [
        seoul_en("{n} Wausan-ro, Mapo-gu", "04066"),
        seoul_en("{n} Yonsei-ro, Seodaemun-gu", "03722"),
        seoul_en("{n} Itaewon-ro, Yongsan-gu", "04348"),
        seoul_en("{n} Wangsimni-ro, Seongdong-gu", "04769"),
    ],
    "shanghai": [
        chinese("上海市徐汇区衡山路 {n} 号", "Shanghai", "上海市", "200031"),
        chinese("上海市静安区南京西路 {n} 号", "Shanghai", "上海市", "200040"),
        chinese("上海市浦东新区世纪大道 {n} 号", "Shanghai", "上海市", "200120"),
    ],
    "beijing": [
        chinese("北京市朝阳区建国路 {n} 号", "Beijing", "北京市", "100025"),
        chinese("北京市海淀区中关村大街 {n} 号", "Beijing", "北京市", "100080"),
    ],
    "shenzhen": [chinese("广东省深圳市南山区深南大道 {n} 号", "Shenzhen", "广东省", "518057")],
    "guangzhou": [chinese("广东省广州市天河区天河路 {n} 号", "Guangzhou", "广东省", "510620")],
    "hangzhou": [chinese("浙江省杭州市西湖区文三路 {n} 号", "Hangzhou", "浙江省", "310013")],
    "chengdu": [chinese("四川省成都市锦江区春熙路 {n} 号", "Chengdu", "四川省", "610021")],
    "portland": [american("{n} NW 10th Ave", "Portland", "OR", "97209")],
    "austin": [american("{n} S Congress Ave", "Austin", "TX", "78704")],
    "seattle": [
        american("{n} Westlake Ave N", "Seattle", "WA", "98109"),
        american("{n} Pine St", "Seattle", "WA", "98101"),
    ],
    "chicago": [american("{n} N Clark St", "Chicago", "IL", "60610")],
    "new_york": [
        american("{n} W 34th St", "New York", "NY", "10001"),
        american("{n} Atlantic Ave", "Brooklyn", "NY", "11217"),
    ],
    "san_francisco": [american("{n} Valencia St", "San Francisco", "CA", "94110")],
    "los_angeles": [american("{n} W Olympic Blvd", "Los Angeles", "CA", "90019")],
    "denver": [american("{n} Champa St", "Denver", "CO", "80202")],
    "boston": [american("{n} Huntington Ave", "Boston", "MA", "02115")],
    "atlanta": [american("{n} Ponce De Leon Ave NE", "Atlanta", "GA", "30308")],
    "minneapolis": [american("{n} Hennepin Ave", "Minneapolis", "MN", "55403")],
    "philadelphia": [american("{n} Walnut St", "Philadelphia", "PA", "19103")],
}

AREA_CODES = {
    "portland": "503",
    "austin": "512",
    "seattle": "206",
    "chicago": "312",
    "new_york": "212",
    "san_francisco": "415",
    "los_angeles": "213",
    "denver": "303",
    "boston": "617",
    "atlanta": "404",
    "minneapolis": "612",
    "philadelphia": "215",
}
CONCERNS = {
    "dry": ["dryness", "fine lines", "dullness"],
    "oily": ["oiliness", "pores", "breakouts"],
    "combination": ["pores", "oiliness", "dullness"],
    "sensitive": ["redness", "irritation", "dryness"],
    "normal": ["dark spots", "fine lines", "dullness"],
}
COLORS = [
    "black",
    "white",
    "navy",
    "sage",
    "sky blue",
    "plum",
    "khaki",
    "olive",
    "dusty pink",
    "oatmeal",
    "charcoal",
    "forest green",
    "coral",
]
INTERESTS = [
    "skincare",
    "makeup",
    "running",
    "yoga",
    "hiking",
    "cooking",
    "coffee",
    "reading",
    "gaming",
    "music",
    "travel",
    "home decor",
]
DIETARY = [
    "vegetarian",
    "lactose intolerant",
    "no peanuts",
    "shellfish allergy",
    "no pork",
    "gluten-free",
]
BUDGETS = {"low": 3000, "mid": 8000, "high": 25000}
SIZES = {
    "f": (["XS", "S", "M", "L"], ["25", "26", "27", "28", "29"], ["US 7", "US 8"]),
    "m": (["S", "M", "L", "XL"], ["30", "32", "34", "36"], ["US 8", "US 9", "US 10", "US 11"]),
}
CARD_BRANDS = {
    "zh": ["unionpay", "visa", "mastercard"],
    "ko": ["visa", "mastercard", "amex"],
    "en": ["visa", "mastercard", "amex", "discover"],
}
WALLETS = {"zh": "alipay", "ko": "kakaopay"}


def profile(persona: Persona, rng: random.Random) -> dict[str, object]:
    skin = rng.choice(SKIN_TYPES)
    tops, bottoms, shoes = SIZES[persona.gender]
    budget = rng.choice(list(BUDGETS))
    data: dict[str, object] = {
        "skin_type": skin,
        "skin_concerns": rng.sample(CONCERNS[skin], rng.randint(1, 2)),
        "apparel_section": "women" if persona.gender == "f" else "men",
        "sizes": {
            "top": rng.choice(tops),
            "bottom": rng.choice(bottoms),
            "shoe": rng.choice(shoes),
        },
        "budget": budget,
        "max_price_minor": BUDGETS[budget],
        "favorite_colors": rng.sample(COLORS, 2),
        "phone_os": rng.choice(["iOS", "Android"]),
        "dietary": rng.sample(DIETARY, rng.choice([0, 0, 1, 1, 2])),
        "tea_preferences": {
            "size": rng.choice(["regular", "regular", "large"]),
            "ice": rng.choice(["regular", "less", "less", "none", "hot"]),
            "sugar": rng.choice(["100", "70", "50", "50", "30", "0"]),
        },
        "interests": rng.sample(INTERESTS, rng.randint(2, 3)),
    }
    return data


def phone(persona: Persona, rng: random.Random) -> str:
    if persona.home in AREA_CODES:
        # 555-0100 to 555-0199 are reserved for fiction
        return f"+1 {AREA_CODES[persona.home]}-555-01{rng.randrange(100):02d}"
    if persona.home in ("seoul", "busan", "seoul_en"):
        return f"+82 10-{rng.randrange(2000, 10000)}-{rng.randrange(10000):04d}"
    prefix = rng.choice(["135", "138", "139", "158", "186"])
    return f"+86 {prefix} {rng.randrange(10000):04d} {rng.randrange(10000):04d}"


def address(persona: Persona, rng: random.Random, street: Street | None = None) -> AddressInput:
    street = street or rng.choice(HOMES[persona.home])
    country = street.country
    if country == "USA":
        number = rng.randrange(100, 4000)
    elif country == "China":
        number = rng.randrange(1, 1500)
    else:
        number = rng.randrange(1, 300)
    flat = rng.randrange(2, 26) * 100 + rng.randrange(1, 9)
    unit = street.unit.format(a=rng.randrange(101, 116) if country == "South Korea" else 1, b=flat)
    if country == "China":
        unit = street.unit.format(a=rng.randrange(1, 13), b=flat)
    if country == "USA" and rng.random() < 0.25:
        unit = ""  # a house
    return AddressInput(
        address1=street.line.format(n=number),
        address2=unit,
        city=street.city,
        state=street.state,
        country=country,
        zip=street.zip,
    )


def usd(minor: int) -> Money:
    return Money(minor, "USD")


class IdPool:
    """Unique τ²-style ids and emails drawn from the seeded random."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._taken: set[str] = set()

    def take(self, make: str, *, digits: int) -> str:
        while True:
            value = make + "".join(str(self._rng.randrange(10)) for _ in range(digits))
            if value not in self._taken:
                self._taken.add(value)
                return value


def payment_methods(persona: Persona, rng: random.Random, ids: IdPool) -> list[PaymentMethodInput]:
    methods: list[PaymentMethodInput] = []

    def card(brand: str, token_word: str | None = None) -> PaymentMethodInput:
        last_four = f"{rng.randrange(10000):04d}"
        token = (
            f"tok_{brand}_{token_word}_{last_four}" if token_word else f"tok_{brand}_{last_four}"
        )
        return PaymentMethodInput(
            id=ids.take("credit_card_", digits=7),
            source="credit_card",
            brand=brand,
            last_four=last_four,
            token=token,
        )

    wallet = WALLETS.get(persona.locale)
    if wallet and rng.random() < 0.85:
        methods.append(
            PaymentMethodInput(id=ids.take("wallet_", digits=7), source="wallet", brand=wallet)
        )
    if not methods or rng.random() < 0.6:
        methods.append(card(rng.choice(CARD_BRANDS[persona.locale])))
    if persona.locale == "en" and rng.random() < 0.5:
        methods.append(PaymentMethodInput(id=ids.take("paypal_", digits=7), source="paypal"))
    if rng.random() < 0.45:
        methods.append(
            PaymentMethodInput(
                id=ids.take("gift_card_", digits=7),
                source="gift_card",
                balance=usd(rng.randrange(40, 301) * 100 + rng.choice([0, 0, 50])),
            )
        )
    if persona.declining_card:
        # the sandbox gateway declines every token containing 'decline'
        methods.append(card("visa", "decline"))
    return methods


def make_customers(rng: random.Random) -> list[CustomerInput]:
    """One customer per persona, in persona order, every detail drawn from `rng`."""
    ids = IdPool(rng)
    customers = []
    for persona in PERSONAS:
        first, last = persona.first_roman.lower(), persona.last_roman.lower()
        customer_id = ids.take(f"{first}_{last}_", digits=4)
        domain = rng.choice(["example.com", "example.net", "example.org"])
        email = ids.take(f"{first}.{last}", digits=2) + "@" + domain
        home = address(persona, rng)
        addresses = [home]
        if rng.random() < 0.35:
            addresses.append(address(persona, rng))
        customers.append(
            CustomerInput(
                id=customer_id,
                first_name=persona.first,
                last_name=persona.last,
                email=email,
                phone=phone(persona, rng),
                locale=persona.locale,
                profile=profile(persona, rng),
                addresses=addresses,
                payment_methods=payment_methods(persona, rng, ids),
            )
        )
    return customers

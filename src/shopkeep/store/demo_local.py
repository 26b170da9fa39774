"""The demo shop's local stores in Seoul: two bubble-tea shops in Hongdae and a noodle house in
Seongsu, with menus, option groups, opening hours and small pickup/delivery slots."""

from __future__ import annotations

from shopkeep.store.demo_catalog import t
from shopkeep.store.local import (
    LocalStoreInput,
    MenuItemInput,
    OptionChoiceInput,
    OptionGroupInput,
)

CITY = "Seoul"
TIMEZONE = "Asia/Seoul"
TEA_STORE_IDS = ("cloud-pearl-hongdae", "heukdang-hongdae")
NOODLE_STORE_ID = "seongsu-noodle"


def choice(code: str, en: str, zh: str, ko: str, price_delta: int = 0) -> OptionChoiceInput:
    return OptionChoiceInput(code=code, name=t(en, zh, ko), price_delta=price_delta)


def tea_groups() -> list[OptionGroupInput]:
    return [
        OptionGroupInput(
            code="size",
            name=t("Size", "杯型", "사이즈"),
            default_choice="regular",
            choices=[
                choice("regular", "Regular (500 ml)", "中杯（500 毫升）", "레귤러 (500ml)"),
                choice("large", "Large (700 ml)", "大杯（700 毫升）", "라지 (700ml)", 70),
            ],
        ),
        OptionGroupInput(
            code="ice",
            name=t("Ice", "冰量", "얼음"),
            default_choice="regular",
            choices=[
                choice("regular", "Regular ice", "正常冰", "얼음 보통"),
                choice("less", "Less ice", "少冰", "얼음 적게"),
                choice("none", "No ice", "去冰", "얼음 없이"),
                choice("hot", "Hot", "热饮", "따뜻하게"),
            ],
        ),
        OptionGroupInput(
            code="sugar",
            name=t("Sweetness", "甜度", "당도"),
            default_choice="70",
            choices=[
                choice("100", "100% sugar", "全糖", "당도 100%"),
                choice("70", "70% sugar", "七分糖", "당도 70%"),
                choice("50", "50% sugar", "半糖", "당도 50%"),
                choice("30", "30% sugar", "三分糖", "당도 30%"),
                choice("0", "No sugar", "无糖", "당도 0%"),
            ],
        ),
        OptionGroupInput(
            code="toppings",
            name=t("Toppings (up to 3)", "加料（最多 3 种）", "토핑 (최대 3개)"),
            required=False,
            max_choices=3,
            choices=[
                choice("pearls", "Tapioca pearls", "珍珠", "타피오카 펄", 60),
                choice("coconut_jelly", "Coconut jelly", "椰果", "코코넛 젤리", 50),
                choice("pudding", "Egg pudding", "布丁", "푸딩", 80),
                choice("cheese_foam", "Cheese foam", "芝士奶盖", "치즈폼", 100),
                choice("grass_jelly", "Grass jelly", "仙草", "선초 젤리", 50),
            ],
        ),
    ]


ALL_TEA = ["size", "ice", "sugar", "toppings"]

CLOUD_PEARL = LocalStoreInput(
    id="cloud-pearl-hongdae",
    name=t("Cloud Pearl Tea, Hongdae", "云珠茶饮（弘大店）", "구름펄 티 홍대점"),
    kind="bubble_tea",
    city=CITY,
    area="Hongdae",
    address="19 Wausan-ro 21-gil, Mapo-gu, Seoul (서울 마포구 와우산로21길 19)",
    timezone=TIMEZONE,
    opening_hours={
        "mon": [("11:00", "22:00")],
        "tue": [("11:00", "22:00")],
        "wed": [("11:00", "22:00")],
        "thu": [("11:00", "22:00")],
        "fri": [("11:00", "23:30")],
        "sat": [("11:00", "23:30")],
        "sun": [("12:00", "22:00")],
    },
    slot_minutes=15,
    capacity_per_slot=8,
    offers_delivery=True,
    option_groups=tea_groups(),
    menu=[
        MenuItemInput(
            id="cp-classic-milk-tea",
            category="milk tea",
            name=t("Classic Pearl Milk Tea", "经典珍珠奶茶", "클래식 펄 밀크티"),
            description=t(
                "Assam black tea with fresh milk and chewy brown-sugar tapioca pearls. Contains "
                "milk.",
                "阿萨姆红茶配鲜奶和 Q 弹黑糖珍珠。含乳制品。",
                "아삼 홍차에 생우유와 쫄깃한 흑당 타피오카 펄을 넣었습니다. 우유 함유.",
            ),
            price=480,
            option_groups=ALL_TEA,
        ),
        MenuItemInput(
            id="cp-taro-milk-tea",
            category="milk tea",
            name=t("Taro Milk Tea", "香芋奶茶", "타로 밀크티"),
            description=t(
                "Real mashed taro blended with jasmine green tea and milk; thick and nutty. "
                "Contains milk.",
                "真芋泥搭配茉莉绿茶和牛奶，口感浓稠，带坚果香。含乳制品。",
                "진짜 타로 퓌레에 자스민 녹차와 우유를 더해 걸쭉하고 고소합니다. 우유 함유.",
            ),
            price=520,
            option_groups=ALL_TEA,
        ),
        MenuItemInput(
            id="cp-cheese-foam-oolong",
            category="tea",
            name=t("Cheese Foam Oolong", "芝士奶盖乌龙", "치즈폼 우롱티"),
            description=t(
                "Roasted oolong tea under a salted cream-cheese foam. Contains milk.",
                "炭焙乌龙茶，上覆咸芝士奶盖。含乳制品。",
                "로스팅 우롱티 위에 짭짤한 크림치즈 폼을 올렸습니다. 우유 함유.",
            ),
            price=530,
            option_groups=["size", "ice", "sugar"],
        ),
        MenuItemInput(
            id="cp-jasmine-green-tea",
            category="tea",
            name=t("Jasmine Green Tea", "茉莉绿茶", "자스민 녹차"),
            description=t(
                "Fragrant jasmine green tea, brewed fresh every two hours. Dairy-free.",
                "清香茉莉绿茶，每两小时现泡一次。不含乳制品。",
                "향긋한 자스민 녹차로 두 시간마다 새로 우립니다. 유제품 없음.",
            ),
            price=380,
            option_groups=ALL_TEA,
        ),
        MenuItemInput(
            id="cp-passion-fruit-green-tea",
            category="fruit tea",
            name=t("Passion Fruit Green Tea", "百香果绿茶", "패션후르츠 그린티"),
            description=t(
                "Fresh passion fruit pulp shaken with green tea and a slice of lemon. Dairy-free.",
                "新鲜百香果果肉与绿茶摇匀，加一片柠檬。不含乳制品。",
                "생 패션후르츠 과육을 녹차와 함께 흔들고 레몬 한 조각을 넣었습니다. 유제품 없음.",
            ),
            price=500,
            option_groups=ALL_TEA,
        ),
        MenuItemInput(
            id="cp-mango-pomelo-sago",
            category="dessert drink",
            name=t("Mango Pomelo Sago", "杨枝甘露", "망고 포멜로 사고"),
            description=t(
                "Blended mango with coconut milk, pomelo pulp and sago pearls. Contains coconut; "
                "served cold only.",
                "芒果打成果昔，加入椰奶、西柚果粒和西米。含椰子；仅供冷饮。",
                "망고를 갈아 코코넛 밀크, 포멜로 과육, 사고 펄을 넣었습니다. 코코넛 함유, "
                "차갑게만 가능합니다.",
            ),
            price=580,
            option_groups=["size", "sugar"],
        ),
        MenuItemInput(
            id="cp-matcha-latte",
            category="milk tea",
            name=t("Matcha Latte", "抹茶拿铁", "말차 라떼"),
            description=t(
                "Stone-ground Jeju matcha whisked into fresh milk. Oat milk on request at the "
                "counter. Contains milk.",
                "济州石磨抹茶，现刷后加入鲜奶。可在柜台要求换燕麦奶。含乳制品。",
                "제주산 맷돌 말차를 격불해 생우유와 섞었습니다. 매장에서 오트 밀크로 변경 "
                "가능. 우유 함유.",
            ),
            price=540,
            option_groups=ALL_TEA,
        ),
        MenuItemInput(
            id="cp-lychee-black-tea",
            category="fruit tea",
            name=t("Lychee Black Tea", "荔枝红茶", "리치 홍차"),
            description=t(
                "Ceylon black tea with lychee purée and whole lychees. Dairy-free.",
                "锡兰红茶配荔枝果泥和整颗荔枝果肉。不含乳制品。",
                "실론 홍차에 리치 퓌레와 리치 과육을 통째로 넣었습니다. 유제품 없음.",
            ),
            price=490,
            option_groups=ALL_TEA,
        ),
    ],
)

HEUKDANG = LocalStoreInput(
    id="heukdang-hongdae",
    name=t("Heukdang Brown Sugar Tea House", "黑糖茶屋（弘大店）", "흑당다방 홍대점"),
    kind="bubble_tea",
    city=CITY,
    area="Hongdae",
    address="42 Eoulmadang-ro, Mapo-gu, Seoul (서울 마포구 어울마당로 42)",
    timezone=TIMEZONE,
    # closed on Mondays
    opening_hours={
        "tue": [("12:00", "22:00")],
        "wed": [("12:00", "22:00")],
        "thu": [("12:00", "22:00")],
        "fri": [("12:00", "23:00")],
        "sat": [("11:00", "23:00")],
        "sun": [("11:00", "21:00")],
    },
    slot_minutes=15,
    capacity_per_slot=6,
    offers_delivery=False,
    option_groups=tea_groups(),
    menu=[
        MenuItemInput(
            id="hd-brown-sugar-boba-milk",
            category="milk tea",
            name=t("Brown Sugar Boba Milk", "黑糖珍珠鲜奶", "흑당 버블 밀크"),
            description=t(
                "Our signature: pearls slow-cooked in Okinawan brown sugar syrup for 40 minutes, "
                "with fresh milk and no tea. Fixed sweetness. Contains milk.",
                "招牌饮品：珍珠用冲绳黑糖浆慢熬 40 分钟，搭配鲜奶，不含茶。甜度固定。含乳制品。",
                "시그니처 메뉴: 오키나와 흑당 시럽에 40분간 졸인 펄과 생우유, 차는 들어가지 "
                "않습니다. 당도 조절 불가. 우유 함유.",
            ),
            price=580,
            option_groups=["size", "ice", "toppings"],
        ),
        MenuItemInput(
            id="hd-brown-sugar-matcha",
            category="milk tea",
            name=t("Brown Sugar Boba Matcha", "黑糖珍珠抹茶", "흑당 버블 말차"),
            description=t(
                "Brown-sugar pearls, fresh milk and a shot of Jeju matcha. Fixed sweetness. "
                "Contains milk.",
                "黑糖珍珠、鲜奶，再加一份济州抹茶。甜度固定。含乳制品。",
                "흑당 펄과 생우유에 제주 말차 샷을 더했습니다. 당도 조절 불가. 우유 함유.",
            ),
            price=600,
            option_groups=["size", "ice", "toppings"],
        ),
        MenuItemInput(
            id="hd-black-sugar-oolong",
            category="milk tea",
            name=t("Brown Sugar Oolong Milk Tea", "黑糖乌龙奶茶", "흑당 우롱 밀크티"),
            description=t(
                "Charcoal-roasted oolong with milk and brown sugar syrup. Contains milk.",
                "炭焙乌龙加牛奶和黑糖浆。含乳制品。",
                "숯불에 로스팅한 우롱차에 우유와 흑당 시럽을 넣었습니다. 우유 함유.",
            ),
            price=520,
            option_groups=ALL_TEA,
        ),
        MenuItemInput(
            id="hd-grapefruit-green-tea",
            category="fruit tea",
            name=t("Grapefruit Green Tea", "葡萄柚绿茶", "자몽 그린티"),
            description=t(
                "Hand-peeled ruby grapefruit with green tea. Dairy-free.",
                "手剥红宝石葡萄柚果肉配绿茶。不含乳制品。",
                "손으로 직접 깐 루비 자몽 과육과 녹차. 유제품 없음.",
            ),
            price=520,
            option_groups=ALL_TEA,
        ),
        MenuItemInput(
            id="hd-strawberry-milk",
            category="seasonal",
            name=t("Fresh Strawberry Milk", "鲜草莓牛奶", "생딸기 우유"),
            description=t(
                "Nonsan strawberries crushed into cold milk; served cold only. Contains milk.",
                "论山草莓捣碎加入冰牛奶；仅供冷饮。含乳制品。",
                "논산 딸기를 으깨 차가운 우유에 넣었습니다. 차갑게만 가능. 우유 함유.",
            ),
            price=560,
            option_groups=["size", "sugar"],
        ),
        MenuItemInput(
            id="hd-osmanthus-oolong",
            category="tea",
            name=t("Osmanthus Oolong Tea", "桂花乌龙茶", "계화 우롱차"),
            description=t(
                "Light oolong scented with osmanthus flowers. Dairy-free and caffeine-light.",
                "桂花窨制的清香乌龙。不含乳制品，咖啡因较低。",
                "계화 꽃향을 입힌 가벼운 우롱차. 유제품 없음, 카페인 적음.",
            ),
            price=420,
            option_groups=ALL_TEA,
        ),
        MenuItemInput(
            id="hd-yakult-green-tea",
            category="fruit tea",
            name=t("Yakult Green Tea", "多多绿茶", "요구르트 그린티"),
            description=t(
                "Green tea shaken with Yakult and a squeeze of lemon. Contains milk.",
                "绿茶加养乐多，挤入少许柠檬汁摇匀。含乳制品。",
                "녹차에 야쿠르트와 레몬즙을 넣고 흔들었습니다. 우유 함유.",
            ),
            price=480,
            option_groups=ALL_TEA,
        ),
    ],
)


def noodle_groups() -> list[OptionGroupInput]:
    return [
        OptionGroupInput(
            code="size",
            name=t("Portion", "份量", "양"),
            default_choice="regular",
            choices=[
                choice("regular", "Regular", "标准份", "보통"),
                choice(
                    "large",
                    "Large (+50% noodles)",
                    "大份（面量加 50%）",
                    "곱빼기 (면 50% 추가)",
                    200,
                ),
            ],
        ),
        OptionGroupInput(
            code="spice",
            name=t("Spice level", "辣度", "맵기"),
            default_choice="medium",
            choices=[
                choice("mild", "Mild", "微辣", "순한 맛"),
                choice("medium", "Medium", "中辣", "보통 맛"),
                choice("hot", "Hot", "特辣", "매운 맛"),
                choice("extra_hot", "Extra hot", "变态辣", "아주 매운 맛"),
            ],
        ),
        OptionGroupInput(
            code="noodle",
            name=t("Noodles", "面条", "면 종류"),
            default_choice="wheat",
            choices=[
                choice("wheat", "Hand-pulled wheat noodles", "手工拉面", "수타 밀면"),
                choice("buckwheat", "Buckwheat noodles", "荞麦面", "메밀면", 50),
                choice(
                    "rice", "Rice noodles (gluten-free)", "米粉（无麸质）", "쌀국수면 (글루텐 프리)"
                ),
            ],
        ),
        OptionGroupInput(
            code="extras",
            name=t("Extras (up to 3)", "加料（最多 3 种）", "추가 토핑 (최대 3개)"),
            required=False,
            max_choices=3,
            choices=[
                choice("egg", "Soft-boiled egg", "溏心蛋", "반숙 계란", 150),
                choice("beef", "Extra beef brisket", "加牛腩", "양지 추가", 350),
                choice("dumplings", "3 pork dumplings", "猪肉饺子 3 个", "고기만두 3개", 300),
                choice("kimchi", "Kimchi", "泡菜", "김치", 100),
            ],
        ),
    ]


SEONGSU_NOODLE = LocalStoreInput(
    id=NOODLE_STORE_ID,
    name=t("Seongsu Noodle House", "圣水面馆", "성수 면옥"),
    kind="noodles",
    city=CITY,
    area="Seongsu",
    address="7 Yeonmujang-gil, Seongdong-gu, Seoul (서울 성동구 연무장길 7)",
    timezone=TIMEZONE,
    # a break between lunch and dinner service every day
    opening_hours={
        day: [("11:00", "15:00"), ("17:00", "21:40")]
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    },
    slot_minutes=20,
    capacity_per_slot=10,
    offers_delivery=True,
    option_groups=noodle_groups(),
    menu=[
        MenuItemInput(
            id="sn-beef-brisket-noodle",
            category="noodle soup",
            name=t("Beef Brisket Noodle Soup", "牛腩汤面", "양지 우육면"),
            description=t(
                "Beef bone broth simmered for 12 hours, with sliced brisket, scallions and your "
                "choice of noodles. Contains beef, wheat (unless rice noodles), soy.",
                "牛骨高汤熬煮 12 小时，配牛腩片、葱花和你选的面条。含牛肉、小麦（选米粉除外）、"
                "大豆。",
                "12시간 끓인 사골 육수에 얇게 썬 양지와 대파, 원하는 면을 넣었습니다. 소고기, "
                "밀(쌀국수면 제외), 대두 함유.",
            ),
            price=1150,
            option_groups=["size", "noodle", "spice", "extras"],
        ),
        MenuItemInput(
            id="sn-seafood-jjamppong",
            category="noodle soup",
            name=t("Spicy Seafood Jjamppong", "辣味海鲜炒码面", "해물 짬뽕"),
            description=t(
                "Fiery red broth with squid, mussels, shrimp and wok-fried vegetables. Contains "
                "shellfish, wheat, soy.",
                "红油热辣汤底，配鱿鱼、青口、虾和爆炒蔬菜。含贝类与甲壳类、小麦、大豆。",
                "오징어, 홍합, 새우와 웍에 볶은 채소가 들어간 얼큰한 빨간 국물. 갑각류·조개류, "
                "밀, 대두 함유.",
            ),
            price=1300,
            option_groups=["size", "noodle", "spice", "extras"],
        ),
        MenuItemInput(
            id="sn-mul-naengmyeon",
            category="cold noodles",
            name=t("Cold Buckwheat Noodles (Mul-naengmyeon)", "朝鲜冷面", "물냉면"),
            description=t(
                "Chewy buckwheat noodles in icy beef and radish-kimchi broth, topped with pear, "
                "cucumber, beef and half a boiled egg. Contains egg, beef, wheat.",
                "筋道荞麦面泡在冰凉的牛肉萝卜泡菜汤里，配梨片、黄瓜、牛肉和半个水煮蛋。"
                "含鸡蛋、牛肉、小麦。",
                "쫄깃한 메밀면에 살얼음 동동 띄운 소고기·동치미 육수, 배, 오이, 편육, 삶은 계란 "
                "반쪽을 올렸습니다. 계란, 소고기, 밀 함유.",
            ),
            price=1100,
            option_groups=["size", "extras"],
        ),
        MenuItemInput(
            id="sn-bibim-guksu",
            category="cold noodles",
            name=t("Spicy Mixed Noodles (Bibim-guksu)", "韩式拌面", "비빔국수"),
            description=t(
                "Thin wheat noodles tossed in gochujang, vinegar and sesame oil with kimchi and "
                "cucumber. Vegetarian; contains wheat, soy, sesame.",
                "细面拌上韩式辣酱、醋和香油，配泡菜和黄瓜。素食；含小麦、大豆、芝麻。",
                "얇은 소면을 고추장, 식초, 참기름에 비비고 김치와 오이를 올렸습니다. 채식 메뉴, "
                "밀·대두·참깨 함유.",
            ),
            price=950,
            option_groups=["size", "spice", "extras"],
        ),
        MenuItemInput(
            id="sn-dan-dan-noodles",
            category="noodles",
            name=t("Dan Dan Noodles", "担担面", "탄탄면"),
            description=t(
                "Sichuan-style noodles with minced pork, chilli oil, Sichuan pepper and sesame "
                "paste. Contains peanuts, pork, wheat, sesame.",
                "四川风味，肉末、红油、花椒和芝麻酱。含花生、猪肉、小麦、芝麻。",
                "다진 돼지고기, 고추기름, 화자오, 참깨 소스를 넣은 쓰촨식 국수. 땅콩, 돼지고기, "
                "밀, 참깨 함유.",
            ),
            price=1050,
            option_groups=["size", "noodle", "spice", "extras"],
        ),
        MenuItemInput(
            id="sn-clam-kalguksu",
            category="noodle soup",
            name=t("Clam Knife-Cut Noodle Soup (Kalguksu)", "蛤蜊刀切面", "바지락 칼국수"),
            description=t(
                "Hand-cut wheat noodles in a clear clam and anchovy broth with zucchini. Not "
                "spicy. Contains shellfish, fish, wheat.",
                "手切面条配清澈的蛤蜊鳀鱼汤和西葫芦。不辣。含贝类、鱼、小麦。",
                "손으로 썬 칼국수 면에 맑은 바지락·멸치 육수와 애호박을 넣었습니다. 맵지 "
                "않습니다. 조개류, 생선, 밀 함유.",
            ),
            price=1000,
            option_groups=["size", "extras"],
        ),
        MenuItemInput(
            id="sn-pork-dumplings",
            category="sides",
            name=t("Pork & Chive Dumplings (6)", "猪肉韭菜饺子（6 个）", "고기 부추 만두 (6개)"),
            description=t(
                "Six steamed dumplings with pork, garlic chives and ginger, with soy-vinegar dip. "
                "Contains pork, wheat, soy.",
                "六个蒸饺，猪肉韭菜姜馅，配酱油醋蘸汁。含猪肉、小麦、大豆。",
                "돼지고기, 부추, 생강으로 속을 채운 찐만두 6개와 초간장. 돼지고기, 밀, 대두 함유.",
            ),
            price=700,
        ),
        MenuItemInput(
            id="sn-cucumber-salad",
            category="sides",
            name=t("Smashed Cucumber Salad", "拍黄瓜", "오이무침"),
            description=t(
                "Smashed cucumbers with garlic, black vinegar and chilli oil. Vegan; contains "
                "sesame.",
                "拍黄瓜配蒜末、香醋和辣椒油。纯素；含芝麻。",
                "두드려 으깬 오이에 마늘, 흑식초, 고추기름을 더했습니다. 비건, 참깨 함유.",
            ),
            price=450,
        ),
    ],
)

LOCAL_STORES: list[LocalStoreInput] = [CLOUD_PEARL, HEUKDANG, SEONGSU_NOODLE]

# What each menu item contains, as its description says; demo orders respect customers' diets.
CONTAINS: dict[str, set[str]] = {
    "cp-classic-milk-tea": {"milk"},
    "cp-taro-milk-tea": {"milk"},
    "cp-cheese-foam-oolong": {"milk"},
    "cp-jasmine-green-tea": set(),
    "cp-passion-fruit-green-tea": set(),
    "cp-mango-pomelo-sago": {"coconut"},
    "cp-matcha-latte": {"milk"},
    "cp-lychee-black-tea": set(),
    "hd-brown-sugar-boba-milk": {"milk"},
    "hd-brown-sugar-matcha": {"milk"},
    "hd-black-sugar-oolong": {"milk"},
    "hd-grapefruit-green-tea": set(),
    "hd-strawberry-milk": {"milk"},
    "hd-osmanthus-oolong": set(),
    "hd-yakult-green-tea": {"milk"},
    "sn-beef-brisket-noodle": {"beef", "soy"},
    "sn-seafood-jjamppong": {"shellfish", "wheat", "soy"},
    "sn-mul-naengmyeon": {"egg", "beef", "wheat"},
    "sn-bibim-guksu": {"wheat", "soy", "sesame"},
    "sn-dan-dan-noodles": {"peanuts", "pork", "wheat", "sesame"},
    "sn-clam-kalguksu": {"shellfish", "fish", "wheat"},
    "sn-pork-dumplings": {"pork", "wheat", "soy"},
    "sn-cucumber-salad": {"sesame"},
}
AVOIDS: dict[str, set[str]] = {
    "vegetarian": {"beef", "pork", "shellfish", "fish"},
    "lactose intolerant": {"milk"},
    "no peanuts": {"peanuts"},
    "shellfish allergy": {"shellfish"},
    "no pork": {"pork"},
    "gluten-free": {"wheat"},
}

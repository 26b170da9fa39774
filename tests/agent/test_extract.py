"""What code reads from a customer's message without a model, in en / zh / ko."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopkeep.agent.extract import (
    COLOR_NAMES,
    SIZE_NAMES,
    chinese_number,
    extract,
    match_choices,
    option_synonyms,
)
from shopkeep.store.demo_local import noodle_groups, tea_groups


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my order is #W1234567", ("#W1234567",)),
        ("W1234567", ("#W1234567",)),
        ("#w1234567 please", ("#W1234567",)),
        ("# W1234567", ("#W1234567",)),
        ("order#W2611340 hasn't arrived", ("#W2611340",)),
        ("订单＃Ｗ１２３４５６７到哪了", ("#W1234567",)),
        ("주문번호 #L7654321 취소해 주세요", ("#L7654321",)),
        ("order 1234567", ("#W1234567",)),
        ("my order number is 1234567", ("#W1234567",)),
        ("订单号：1234567", ("#W1234567",)),
        ("주문 1234567 어디까지 왔어요?", ("#W1234567",)),
        ("#W1234567 and #W7654321", ("#W1234567", "#W7654321")),
        ("#W1234567, I mean #W1234567", ("#W1234567",)),
        ("call me on 1234567", ()),
        ("W12345678 is too long", ()),
        ("AW1234567", ()),
        ("my zip is 12345", ()),
    ],
)
def test_order_ids_are_found_and_normalised(text: str, expected: tuple[str, ...]) -> None:
    assert extract(text).order_ids == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my email is Yusuf.Rossi@Example.com.", ("yusuf.rossi@example.com",)),
        ("邮箱是abc_1@mail.cn，谢谢", ("abc_1@mail.cn",)),
        ("이메일은 minji.kim@example.kr입니다", ("minji.kim@example.kr",)),
        ("ｂｏｂ＠ｅｘａｍｐｌｅ．ｃｏｍ", ("bob@example.com",)),
        ("a+tag@shop.co.uk or b@x.io", ("a+tag@shop.co.uk", "b@x.io")),
        ("no email here @ all", ()),
        ("a@b", ()),
    ],
)
def test_emails_are_found_and_lower_cased(text: str, expected: tuple[str, ...]) -> None:
    assert extract(text).emails == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yusuf Rossi, 19122", ("19122",)),
        ("zip 02115", ("02115",)),
        ("my zip code is 98109-1234", ("98109",)),
        ("10001.", ("10001",)),
        ("邮编200031", ("200031",)),
        ("王思雨 200031", ("200031",)),
        ("우편번호 04066", ("04066",)),
        ("김민지 04066", ("04066",)),
        ("Siyu Wang 200031", ("200031",)),
        ("#W1234567", ()),
        ("order 1234567", ()),
        ("$12345 is too much", ()),
        ("50000원 이하", ()),
        ("12,345 dollars", ()),
        ("call me at 212-555-0199", ()),
        ("13812345678", ()),
        ("I need 123456 of them", ()),
        ("pick up at 10:00", ()),
        ("3 items", ()),
        ("bob10001@example.com", ()),
    ],
)
def test_zip_codes_are_standalone_five_or_six_digit_numbers(
    text: str, expected: tuple[str, ...]
) -> None:
    assert extract(text).zip_codes == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my name is Yusuf Rossi", ("Yusuf", "Rossi")),
        ("my name is yusuf rossi and my zip is 19122", ("Yusuf", "Rossi")),
        ("I'm Yusuf Rossi", ("Yusuf", "Rossi")),
        ("Yusuf Rossi, 19122", ("Yusuf", "Rossi")),
        ("yusuf rossi 19122", ("Yusuf", "Rossi")),
        ("Hi, this is Emma Johnson from Portland", ("Emma", "Johnson")),
        ("我叫王思雨", ("思雨", "王")),
        ("我是王思雨，邮编200031", ("思雨", "王")),
        ("王思雨 200031", ("思雨", "王")),
        ("我叫欧阳娜娜", ("娜娜", "欧阳")),
        ("我是 Siyu Wang", ("Siyu", "Wang")),
        ("Siyu Wang 10001", ("Siyu", "Wang")),
        ("저는 김민준입니다", ("민준", "김")),
        ("김민준이에요", ("민준", "김")),
        ("제 이름은 박서연이고 우편번호는 04066이에요", ("서연", "박")),
        ("김민지 04066", ("민지", "김")),
        ("저는 Minji Kim입니다", ("Minji", "Kim")),
    ],
)
def test_names_are_offered_as_first_last_candidates(text: str, expected: tuple[str, str]) -> None:
    assert expected in extract(text).names


def test_that_a_korean_name_comes_without_the_words_around_it() -> None:
    assert extract("제 이름은 이준호예요. 우편번호 04050").names == (("준호", "이"),)


def test_that_a_romanised_name_is_also_offered_surname_first() -> None:
    names = extract("Wang Siyu 200031").names
    assert ("Wang", "Siyu") in names
    assert ("Siyu", "Wang") in names


@pytest.mark.parametrize(
    "text",
    [
        "I'm looking for a blue shirt",
        "where is my order",
        "我是来退货的",
        "저는 반품하고 싶어요",
        "yes please",
        "Thank You",
        "10 dollars off?",
    ],
)
def test_ordinary_sentences_carry_no_name(text: str) -> None:
    assert extract(text).names == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 2),
        ("two", 2),
        ("two please", 2),
        ("x3", 3),
        ("3x", 3),
        ("3 pcs", 3),
        ("I'll take 2", 2),
        ("I want 2 in blue", 2),
        ("2 blue shirts", 2),
        ("just one", 1),
        ("one bottle of the serum", 1),
        ("a dozen", 12),
        ("两个", 2),
        ("两杯奶茶", 2),
        ("三件", 3),
        ("2杯", 2),
        ("来十二个", 12),
        ("두 잔", 2),
        ("세 개 주세요", 3),
        ("한 개", 1),
        ("하나만 주세요", 1),
        ("2개", 2),
        ("네 개요", 4),
        ("두 잔이요", 2),
        ("네 장바구니에 담아 주세요", None),
        ("the blue one", None),
        ("under $50", None),
        ("it costs 25 dollars", None),
        ("#W1234567", None),
        ("zip 10001", None),
        ("pick it up at 3pm", None),
        ("15:30", None),
        ("size 8", None),
        ("US 9 please", None),
        ("the 2nd one", None),
        ("50ml", None),
        ("in 2 days", None),
        ("第二个", None),
        ("두 번째", None),
        ("4.5 stars", None),
        ("a couple", None),
    ],
)
def test_quantities_are_counts_not_prices_ids_or_times(text: str, expected: int | None) -> None:
    assert extract(text).quantity == expected


@pytest.mark.parametrize(
    ("text", "affirm", "deny", "bare"),
    [
        ("yes", True, False, True),
        ("Yes!", True, False, True),
        ("yeah", True, False, True),
        ("yep 👍", True, False, True),
        ("sure", True, False, True),
        ("ok", True, False, True),
        ("okay thanks", True, False, True),
        ("confirm", True, False, True),
        ("go ahead", True, False, True),
        ("do it", True, False, True),
        ("please do", True, False, True),
        ("correct", True, False, True),
        ("that's right", True, False, True),
        ("yes please go ahead", True, False, True),
        ("Perfect.", True, False, True),
        ("yes but use my other card", True, False, False),
        ("ok, and can you ship it faster?", True, False, False),
        ("Great, now show me the shoes", False, False, False),
        ("can you confirm my order status?", False, False, False),
        ("I'm not sure", False, False, False),
        ("sure? not sure", False, False, False),
        ("是", True, False, True),
        ("是的", True, False, True),
        ("对", True, False, True),
        ("好的", True, False, True),
        ("好的，谢谢", True, False, True),
        ("可以", True, False, True),
        ("确认", True, False, True),
        ("确定", True, False, True),
        ("没问题", True, False, True),
        ("行", True, False, True),
        ("嗯嗯", True, False, True),
        ("确认取消", True, False, True),
        ("好，帮我取消吧", True, False, False),
        ("可以吗？", False, False, False),
        ("对不起", False, False, False),
        ("好像不对", False, True, False),
        ("确认一下我的订单", False, False, False),
        ("네", True, False, True),
        ("넵!", True, False, True),
        ("예", True, False, True),
        ("응", True, False, True),
        ("그래요", True, False, True),
        ("좋아요", True, False, True),
        ("확인", True, False, True),
        ("맞아요", True, False, True),
        ("진행해 주세요", True, False, True),
        ("네 진행해 주세요", True, False, True),
        ("네 취소해 주세요", True, False, False),
        ("네?", False, False, False),
        ("네 개요", False, False, False),
        ("네 장바구니에 담아 주세요", True, False, False),
        ("예약 가능해요?", False, False, False),
        ("no", False, True, True),
        ("nope", False, True, True),
        ("no thanks", False, True, True),
        ("no, the blue one", False, True, False),
        ("not now", False, True, True),
        ("don't", False, True, True),
        ("stop", False, True, True),
        ("wait", False, True, True),
        ("don't cancel it", False, True, False),
        ("cancel my order", False, False, False),
        ("no problem", True, False, True),
        ("no ice please", False, False, False),
        ("不", False, True, True),
        ("不要", False, True, True),
        ("不用", False, True, True),
        ("不是", False, True, True),
        ("不是这个", False, True, False),
        ("别", False, True, True),
        ("取消", False, True, True),
        ("取消订单", False, False, False),
        ("不好意思", False, False, False),
        ("不用谢", False, False, False),
        ("没有问题", True, False, True),
        ("别的颜色有吗", False, False, False),
        ("要不要买", False, False, False),
        ("아니", False, True, True),
        ("아니요", False, True, True),
        ("아뇨", False, True, True),
        ("싫어요", False, True, True),
        ("하지 마세요", False, True, True),
        ("아니 파란색으로요", False, True, False),
        ("yes, no wait", True, True, True),
        ("please do not cancel", False, True, False),
        ("I can do it myself", False, False, False),
        ("我想要一个好的面霜", False, False, False),
        ("색깔이 좋아요", False, False, False),
        ("那好吧", True, False, True),
    ],
)
def test_yes_and_no_in_three_languages(text: str, affirm: bool, deny: bool, bare: bool) -> None:
    found = extract(text)
    assert (found.affirm, found.deny, found.bare_answer) == (affirm, deny, bare)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the second one", 2),
        ("2nd", 2),
        ("the 3rd please", 3),
        ("number 2", 2),
        ("option 1", 1),
        ("first", 1),
        ("the last one", -1),
        ("I'll take the first option", 1),
        ("#2", None),
        ("wait a second", None),
        ("5th Avenue", None),
        ("the 1st of December", None),
        ("第二个", 2),
        ("第2个", 2),
        ("最后一个", -1),
        ("第一次买", None),
        ("두 번째", 2),
        ("첫 번째 거요", 1),
        ("2번", 2),
        ("3번으로 할게요", 3),
        ("마지막 거", -1),
        ("#W1234567", None),
    ],
)
def test_ordinals_pick_from_a_shown_list(text: str, expected: int | None) -> None:
    assert extract(text).ordinal == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("never mind", True),
        ("nevermind, forget it", True),
        ("forget it", True),
        ("stop", True),
        ("cancel that", True),
        ("I changed my mind", True),
        ("算了", True),
        ("不用了", True),
        ("没事了", True),
        ("됐어요", True),
        ("그만", True),
        ("취소할게요", True),
        ("cancel my order", False),
        ("주문 취소할게요", False),
        ("取消订单", False),
        ("where is my order", False),
    ],
)
def test_stop_flow_leaves_the_flow_but_cancelling_an_order_does_not(
    text: str, expected: bool
) -> None:
    assert extract(text).stop_flow is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want to talk to a human", True),
        ("agent please", True),
        ("can I speak to a real person", True),
        ("talk to someone", True),
        ("get me a representative", True),
        ("转人工", True),
        ("我要找人工客服", True),
        ("真人", True),
        ("客服", True),
        ("상담원 연결해 주세요", True),
        ("사람이랑 얘기하고 싶어요", True),
        ("직원 불러 주세요", True),
        ("are you a human?", False),
        ("are you an agent?", False),
        ("where is my order", False),
    ],
)
def test_asking_for_a_human(text: str, expected: bool) -> None:
    assert extract(text).wants_human is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("use code WELCOME10", ("WELCOME10",)),
        ("apply save5 please", ("SAVE5",)),
        ("BOBA1 쿠폰 쓸게요", ("BOBA1",)),
        ("用SPRING20优惠码", ("SPRING20",)),
        ("coupon code: FIVE", ("FIVE",)),
        ("쿠폰 FIVE 적용해 주세요", ("FIVE",)),
        ("#W1234567", ()),
        ("SPF50+ sunscreen", ()),
        ("any coupons?", ()),
        ("ANY PROMOTIONS?", ()),
        ("my email is sam10@example.com", ()),
    ],
)
def test_coupon_codes_are_upper_cased_and_never_order_ids(
    text: str, expected: tuple[str, ...]
) -> None:
    assert extract(text).coupon_codes == expected


@pytest.mark.parametrize(
    ("text", "low", "high", "currency"),
    [
        ("under $50", None, "50", "USD"),
        ("less than 50 dollars", None, "50", "USD"),
        ("below 30", None, "30", None),
        ("something under 30 for my mom", None, "30", None),
        ("over $100", "100", None, "USD"),
        ("between 20 and 40", "20", "40", None),
        ("$20-$40", "20", "40", "USD"),
        ("50美元以下", None, "50", "USD"),
        ("50元以内", None, "50", "CNY"),
        ("不超过50", None, "50", None),
        ("一百块以内", None, "100", "CNY"),
        ("5만원 이하", None, "50000", "KRW"),
        ("3만 5천원 이하", None, "35000", "KRW"),
        ("50달러 이하", None, "50", "USD"),
        ("2만원에서 4만원 사이", "20000", "40000", "KRW"),
        ("up to 3 toppings", None, None, None),
        ("within 30 minutes", None, None, None),
        ("under 2 days", None, None, None),
    ],
)
def test_price_bounds(text: str, low: str | None, high: str | None, currency: str | None) -> None:
    found = extract(text)
    assert found.min_price == (Decimal(low) if low else None)
    assert found.max_price == (Decimal(high) if high else None)
    assert found.price_currency == currency


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at 3pm", ((15, 0),)),
        ("3:30 pm", ((15, 30),)),
        ("12am", ((0, 0),)),
        ("15:00", ((15, 0),)),
        ("pick it up at 3", ((15, 0),)),
        ("around 11", ((11, 0),)),
        ("noon", ((12, 0),)),
        ("half past 6", ((18, 30),)),
        ("下午3点", ((15, 0),)),
        ("下午三点半", ((15, 30),)),
        ("晚上八点十五分", ((20, 15),)),
        ("中午", ((12, 0),)),
        ("中午12点", ((12, 0),)),
        ("两点", ((14, 0),)),
        ("少放一点糖", ()),
        ("오후 3시", ((15, 0),)),
        ("3시 30분", ((15, 30),)),
        ("저녁 7시 반", ((19, 30),)),
        ("정오", ((12, 0),)),
        ("세 시간 걸려요?", ()),
        ("다시 보여 주세요", ()),
        ("at 3 dollars", ()),
    ],
)
def test_clock_times_for_pickup_slots(text: str, expected: tuple[tuple[int, int], ...]) -> None:
    assert extract(text).times == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", 0),
        ("tonight at 7", 0),
        ("tomorrow at noon", 1),
        ("the day after tomorrow", 2),
        ("今天下午", 0),
        ("明天", 1),
        ("后天", 2),
        ("오늘", 0),
        ("내일 오후 3시", 1),
        ("모레", 2),
        ("whenever", None),
    ],
)
def test_relative_days(text: str, expected: int | None) -> None:
    assert extract(text).relative_day == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("二十三", 23), ("两", 2), ("十", 10), ("五千", 5000), ("一万二千", 12000), ("abc", None)],
)
def test_chinese_numbers(text: str, expected: int | None) -> None:
    assert chinese_number(text) == expected


COLORS = {key: option_synonyms(key) for key in ("blue", "sky blue", "navy", "black", "white")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the blue one", ["blue"]),
        ("Blue please", ["blue"]),
        ("sky blue", ["sky blue"]),
        ("蓝色的", ["blue"]),
        ("天蓝色的那件", ["sky blue"]),
        ("파란색으로 주세요", ["blue"]),
        ("블루로 할게요", ["blue"]),
        ("navy or black?", ["navy", "black"]),
        ("藏青色", ["navy"]),
        ("bluetooth headphones", []),
        ("蓝牙耳机", []),
        ("whiteboard", []),
        ("red", []),
    ],
)
def test_match_choices_finds_colours_in_every_language(text: str, expected: list[str]) -> None:
    assert match_choices(text, COLORS) == expected


TEA = {group.code: {c.code: c.name for c in group.choices} for group in tea_groups()}
NOODLE = {group.code: {c.code: c.name for c in group.choices} for group in noodle_groups()}


@pytest.mark.parametrize(
    ("group", "text", "expected"),
    [
        ("size", "large please", ["large"]),
        ("size", "大杯，少冰", ["large"]),
        ("size", "中杯", ["regular"]),
        ("size", "라지 사이즈로", ["large"]),
        ("ice", "大杯，少冰", ["less"]),
        ("ice", "no ice", ["none"]),
        ("ice", "去冰", ["none"]),
        ("ice", "얼음 적게", ["less"]),
        ("ice", "hot please", ["hot"]),
        ("sugar", "half sugar", ["50"]),
        ("sugar", "半糖", ["50"]),
        ("sugar", "70%", ["70"]),
        ("sugar", "100% sugar", ["100"]),
        ("sugar", "무가당", ["0"]),
        ("toppings", "pearls and pudding", ["pearls", "pudding"]),
        ("toppings", "加珍珠和椰果", ["pearls", "coconut_jelly"]),
        ("toppings", "치즈폼 추가", ["cheese_foam"]),
    ],
)
def test_match_choices_reads_the_tea_menu(group: str, text: str, expected: list[str]) -> None:
    assert match_choices(text, TEA[group]) == expected


def test_that_the_longest_name_wins_on_the_noodle_menu() -> None:
    assert match_choices("extra hot please", NOODLE["spice"]) == ["extra_hot"]
    assert match_choices("变态辣", NOODLE["spice"]) == ["extra_hot"]
    assert match_choices("buckwheat noodles", NOODLE["noodle"]) == ["buckwheat"]


def test_a_choice_without_names_is_found_by_its_key() -> None:
    assert match_choices("coconut jelly please", {"coconut_jelly": {}}) == ["coconut_jelly"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("blue", {"en": "blue", "zh": "蓝色", "ko": "파란색"}),
        ("Brick Red", {"en": "Brick Red", "zh": "砖红色", "ko": "브릭 레드"}),
        ("gray", {"en": "gray", "zh": "灰色", "ko": "회색"}),
        ("M", {"en": "M", "zh": "M码", "ko": "M 사이즈"}),
        ("fig & cedar", {"en": "fig & cedar", "zh": "无花果", "ko": "무화과"}),
        (
            "Grey Goose Down",
            {"en": "Grey Goose Down", "zh": "Grey Goose Down", "ko": "Grey Goose Down"},
        ),
    ],
)
def test_option_synonyms_name_a_catalog_value_in_each_language(
    value: str, expected: dict[str, str]
) -> None:
    assert option_synonyms(value) == expected


def test_that_every_lexicon_entry_has_a_name_in_each_language() -> None:
    for lexicon in (COLOR_NAMES, SIZE_NAMES):
        for names in lexicon.values():
            assert all(names[lang] for lang in ("en", "zh", "ko"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_that_extract_never_raises(text: str) -> None:
    found = extract(text)
    assert all(o.startswith(("#W", "#L")) for o in found.order_ids)


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(alphabet=st.characters(exclude_categories=["Nd", "L"]), max_size=30),
    after=st.text(alphabet=st.characters(exclude_categories=["Nd", "L"]), max_size=30),
    digits=st.from_regex(r"\A[0-9]{7}\Z"),
    prefix=st.sampled_from(["#W", "#w", "W", "# W", "#L", "＃Ｗ"]),
)
def test_that_an_order_id_in_any_surroundings_is_found(
    before: str, after: str, digits: str, prefix: str
) -> None:
    letter = "L" if "L" in prefix else "W"
    found = extract(f"{before} {prefix}{digits} {after}")
    assert f"#{letter}{digits}" in found.order_ids
    assert digits not in "".join(found.zip_codes)

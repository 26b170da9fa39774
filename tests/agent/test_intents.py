"""Which job a customer's message asks for, guessed without a model, in en / zh / ko."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopkeep.agent.intents import guess_jobs, is_question
from shopkeep.agent.jobs import JOBS, Job, Language
from shopkeep.agent.language import detect_language


def best_job(text: str) -> Job | None:
    jobs = guess_jobs(text, detect_language(text))
    return jobs[0][0] if jobs else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # cancel, and leaving a flow, which is not a job
        ("cancel my order", "cancel"),
        ("I want to cancel order #W1234567", "cancel"),
        ("please cancel #W2611340", "cancel"),
        ("取消订单", "cancel"),
        ("帮我把订单取消了", "cancel"),
        ("주문 취소해 주세요", "cancel"),
        ("주문을 취소하고 싶어요", "cancel"),
        ("never mind", None),
        ("cancel that", None),
        ("算了", None),
        ("됐어요", None),
        # order status
        ("where is my order", "order_status"),
        ("Where's my package?", "order_status"),
        ("has my order shipped yet?", "order_status"),
        ("when will it arrive", "order_status"),
        ("track #W1234567", "order_status"),
        ("我的订单到哪了", "order_status"),
        ("快递什么时候到", "order_status"),
        ("주문 어디까지 왔어요", "order_status"),
        ("배송 조회 부탁해요", "order_status"),
        ("#W1234567", "order_status"),
        # returns and exchanges
        ("I want to return this", "return"),
        ("can I get a refund", "return"),
        ("我要退货", "return"),
        ("반품하고 싶어요", "return"),
        ("환불 가능한가요", "return"),
        ("I'd like to exchange the shoes for a bigger size", "exchange"),
        ("换货", "exchange"),
        ("换一个尺码", "exchange"),
        ("교환하고 싶어요", "exchange"),
        # changes to a pending order
        ("change the address on my order", "change_address"),
        ("I gave the wrong address", "change_address"),
        ("改地址", "change_address"),
        ("收货地址写错了", "change_address"),
        ("주소 변경해 주세요", "change_address"),
        ("change payment method", "change_payment"),
        ("can I use a different card", "change_payment"),
        ("换支付方式", "change_payment"),
        ("결제 수단 변경하고 싶어요", "change_payment"),
        ("change the size of an item in my order", "change_items"),
        ("modify my order", "change_items"),
        ("订单里的T恤改成蓝色的", "change_items"),
        ("修改订单", "change_items"),
        ("주문한 상품 옵션 변경해 주세요", "change_items"),
        # buying
        ("I want to buy this", "buy"),
        ("add it to my cart", "buy"),
        ("checkout", "buy"),
        ("I'll take it", "buy"),
        ("我要买这个", "buy"),
        ("加入购物车", "buy"),
        ("下单吧", "buy"),
        ("이거 살게요", "buy"),
        ("장바구니에 담아 주세요", "buy"),
        ("주문할게요", "buy"),
        # finding things
        ("can you recommend a moisturizer", "recommend"),
        ("what should I get for dry skin", "recommend"),
        ("推荐一款面霜", "recommend"),
        ("선크림 추천해 주세요", "recommend"),
        ("do you have running shoes?", "search"),
        ("show me black t-shirts", "search"),
        ("I'm looking for a desk lamp", "search"),
        ("compare the two serums", "search"),
        ("有没有防晒霜", "search"),
        ("找一下蓝牙耳机", "search"),
        ("两款精华比较一下", "search"),
        ("선크림 있어요?", "search"),
        ("무선 이어폰 찾아 주세요", "search"),
        ("두 제품 비교해 주세요", "search"),
        # questions about one product
        ("is it waterproof?", "product_question"),
        ("what material is it made of", "product_question"),
        ("what's the battery life", "product_question"),
        ("适合油皮吗", "product_question"),
        ("这个面霜含酒精吗", "product_question"),
        ("성분이 뭐예요?", "product_question"),
        ("방수 되나요?", "product_question"),
        # local food and drink
        ("I want bubble tea", "food"),
        ("can I order noodles for pickup", "food"),
        ("two milk teas with less ice please", "food"),
        ("我想点奶茶", "food"),
        ("点外卖", "food"),
        ("버블티 주문할게요", "food"),
        ("커피 배달 돼요?", "food"),
        # promotions
        ("any coupons?", "promotions"),
        ("is there a discount on this", "promotions"),
        ("有什么优惠券吗", "promotions"),
        ("现在有打折活动吗", "promotions"),
        ("쿠폰 있어요?", "promotions"),
        ("할인 이벤트 하나요?", "promotions"),
        ("does WELCOME10 still work", "promotions"),
        # people, manners and the rest
        ("talk to a human", "handoff"),
        ("I want a real person", "handoff"),
        ("转人工", "handoff"),
        ("상담원 연결해 주세요", "handoff"),
        ("hello", "smalltalk"),
        ("thanks!", "smalltalk"),
        ("who are you?", "smalltalk"),
        ("你好", "smalltalk"),
        ("谢谢", "smalltalk"),
        ("안녕하세요", "smalltalk"),
        ("what's the weather like today", "out_of_scope"),
        ("tell me a joke", "out_of_scope"),
        ("write me a poem about cats", "out_of_scope"),
        ("can you do my math homework", "out_of_scope"),
        ("where is my Amazon order?", "out_of_scope"),
        ("今天天气怎么样", "out_of_scope"),
        ("帮我查一下淘宝的订单", "out_of_scope"),
        ("날씨 어때요?", "out_of_scope"),
        ("쿠팡 주문 취소해 주세요", "out_of_scope"),
        # what changes in an existing order: the address, the payment, or an item
        ("please ship #W1234567 to my other address", "change_address"),
        ("订单#W1234567改寄到我的另一个地址", "change_address"),
        ("我想改一下订单的收货地址", "change_address"),
        ("pay with my PayPal instead for #W1234567", "change_payment"),
        ("I want to pay my order with PayPal instead", "change_payment"),
        ("#W1234567改用尾号7103的卡付款", "change_payment"),
        ("付款方式换成支付宝", "change_payment"),
        ("change the lip tint in my order to brick red", "change_items"),
        ("please change the items in order #W1234567", "change_items"),
        ("把#W1234567里的杯子换成蓝色", "change_items"),
        ("I want to buy the headphones with coupon WELCOME10", "buy"),
        ("Hi! I want to order the Quietline headphones", "buy"),
        ("I'd like the Waterproof Rain Jacket in M", "buy"),
        ("Can you show me my recent orders?", "order_status"),
        ("I need two of the linen shirts", "buy"),
        ("第一个我要了", "buy"),
        ("I want to order a brown sugar milk tea", "food"),
        # nothing to go on
        ("yes", None),
        ("10001", None),
        ("네", None),
    ],
)
def test_the_best_guess_names_the_job(text: str, expected: Job | None) -> None:
    assert best_job(text) == expected


@pytest.mark.parametrize(
    ("text", "lang", "job"),
    [
        ("hi, where is my order?", "en", "order_status"),
        ("你好，我要退货", "zh", "return"),
        ("안녕하세요, 반품하고 싶어요", "ko", "return"),
    ],
)
def test_that_a_greeting_gives_way_to_the_request(text: str, lang: Language, job: Job) -> None:
    jobs = dict(guess_jobs(text, lang))
    assert max(jobs, key=lambda j: jobs[j]) == job
    assert jobs["smalltalk"] <= 0.3


def test_that_a_strong_keyword_scores_at_least_point_eight() -> None:
    for text, lang in [("refund", "en"), ("退货", "zh"), ("반품", "ko"), ("推荐", "zh")]:
        assert guess_jobs(text, lang)[0][1] >= 0.8


def test_that_a_message_with_two_requests_lists_both_best_first() -> None:
    jobs = guess_jobs("return the shoes and change the address on my other order", "en")
    assert {"return", "change_address"} <= {job for job, _ in jobs}


@given(st.text(max_size=120), st.sampled_from(["en", "zh", "ko"]))
def test_that_scores_are_ordered_weights_of_known_jobs(text: str, lang: Language) -> None:
    jobs = guess_jobs(text, lang)
    scores = [score for _, score in jobs]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)
    assert all(job in JOBS for job, _ in jobs)
    assert len({job for job, _ in jobs}) == len(jobs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("is it waterproof?", True),
        ("is it waterproof", True),
        ("where is my order", True),
        ("Can you help", True),
        ("I want a refund.", False),
        ("yes", False),
        ("有没有防晒霜", True),
        ("适合油皮吗", True),
        ("这个多少钱", True),
        ("我要退货", False),
        ("어디까지 왔어요?", True),
        ("방수 되나요", True),
        ("얼마예요", True),
        ("반품할게요", False),
        ("有货吗？", True),
    ],
)
def test_is_question(text: str, expected: bool) -> None:
    assert is_question(text) is expected

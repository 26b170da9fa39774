"""Returning and exchanging delivered items in a conversation: the refund or price difference
shown before the yes, the store's own figures after it, and refusals for orders that can't."""

from __future__ import annotations

from collections.abc import Callable

from agent_bench import Bench
from test_changes import (
    committed,
    find,
    method_id,
    order,
    refusals,
    retail,
    snapshot,
    someone_elses,
)

from shopkeep.store.money import Money
from shopkeep.store.views import CustomerView, OrderItemView, OrderView


def refund_of(items: list[OrderItemView]) -> Money:
    """Each item's price less its share of the order's discounts, as the store refunds it."""
    return Money(sum(i.unit_price.amount - i.discount.amount for i in items), "USD")


def holding(*prefixes: str, status: str = "delivered") -> Callable[..., bool]:
    """Customers with exactly one order in `status` holding each kind of item named."""

    def fits(c: CustomerView, orders: list[OrderView]) -> bool:
        for prefix in prefixes:
            found = [
                o
                for o in retail(orders, status)
                if any((i.variant_id or "").startswith(prefix) for i in o.items)
            ]
            if len(found) != 1:
                return False
        return True

    return fits


def the_order_with(orders: list[OrderView], prefix: str, status: str = "delivered") -> OrderView:
    return next(
        o
        for o in retail(orders, status)
        if any((i.variant_id or "").startswith(prefix) for i in o.items)
    )


def items_of(o: OrderView, prefix: str) -> list[OrderItemView]:
    return [i for i in o.items if (i.variant_id or "").startswith(prefix)]


def with_paypal_and_gift_card(c: CustomerView, orders: list[OrderView]) -> bool:
    sources = {m.source for m in c.payment_methods}
    return {"paypal", "gift_card"} <= sources and holding("soy-candle-")(c, orders)


# --- returns --------------------------------------------------------------------------------


def test_that_a_return_named_by_product_is_staged_with_its_refund_and_requested_on_yes(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", with_paypal_and_gift_card)
    candle_order = the_order_with(orders, "soy-candle-")
    refund = refund_of(items_of(candle_order, "soy-candle-"))
    before = snapshot(b.shop, customer)
    (staged,) = b.chat(customer.email, "I want to return the candle")
    assert staged.staged is not None and staged.staged["action"]["kind"] == "request_return"
    assert staged.staged["action"]["order_id"] == candle_order.id
    assert staged.staged["action"]["refund_method_id"] == candle_order.payment_method_id
    assert refund.display() in staged.reply and candle_order.id in staged.reply
    assert snapshot(b.shop, customer) == before
    (done,) = b.more(staged.conversation_id, "yes")
    assert committed(done) == ["request_return"]
    after = order(b.shop, customer, candle_order.id)
    assert after.status == "return requested"
    assert after.return_request is not None and after.return_request.refund == refund
    assert after.return_request.refund.display() in done.reply
    assert "return requested" in done.reply
    assert b.backend.requests == []


def test_that_a_staged_return_is_restaged_to_a_gift_card_when_the_customer_asks(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", with_paypal_and_gift_card)
    candle_order = the_order_with(orders, "soy-candle-")
    gift_card = method_id(customer, "gift_card")
    first, corrected, done = b.chat(
        customer.email,
        "I want to return the candle",
        "actually refund it to my gift card",
        "yes",
    )
    assert first.staged is not None
    assert corrected.staged is not None
    assert corrected.staged["action"]["refund_method_id"] == gift_card
    assert "gift card" in corrected.reply
    assert committed(done) == ["request_return"]
    after = order(b.shop, customer, candle_order.id)
    assert after.return_request is not None
    assert after.return_request.refund_method_id == gift_card


def test_that_a_refund_to_another_card_is_explained_and_the_method_that_paid_proposed(
    bench: Callable[..., Bench],
) -> None:
    b = bench()

    def card_paid_boards(c: CustomerView, orders: list[OrderView]) -> bool:
        if not holding("bamboo-board-set")(c, orders):
            return False
        paid = the_order_with(orders, "bamboo-board-set").payment_method_id
        return any(m.source == "paypal" and m.id != paid for m in c.payment_methods)

    customer, orders = find(b.shop, "en", card_paid_boards)
    boards = the_order_with(orders, "bamboo-board-set")
    (result,) = b.chat(customer.email, "I want to return the cutting boards, refund to my PayPal")
    assert refusals(result) == ["invalid_refund_method"]
    assert result.staged is not None
    assert result.staged["action"]["refund_method_id"] == boards.payment_method_id
    assert result.staged["action"]["item_ids"] == [
        i.variant_id for i in items_of(boards, "bamboo-board-set")
    ]


def test_that_a_chinese_customer_returns_everything_in_the_order(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(
        b.shop,
        "zh",
        lambda c, o: len(retail(o, "delivered")) == 1 and len(retail(o, "delivered")[0].items) > 1,
    )
    (delivered,) = retail(orders, "delivered")
    refund = refund_of(delivered.items)
    staged, done = b.chat(customer.email, "我要退货，全部都退", "是")
    assert staged.staged is not None
    assert sorted(staged.staged["action"]["item_ids"]) == sorted(
        i.variant_id or "" for i in delivered.items
    )
    assert refund.display() in staged.reply and "确认申请吗" in staged.reply
    assert committed(done) == ["request_return"]
    after = order(b.shop, customer, delivered.id)
    assert after.status == "return requested"
    assert after.return_request is not None and after.return_request.refund == refund
    assert "已申请退货" in done.reply and done.language == "zh"


def test_that_a_chinese_customer_picks_the_order_then_the_item_to_return(
    bench: Callable[..., Bench],
) -> None:
    b = bench()

    def mixed(o: OrderView) -> bool:
        return len({i.product_id for i in o.items}) > 1

    customer, orders = find(
        b.shop,
        "zh",
        lambda c, o: len(retail(o, "delivered")) == 2 and any(map(mixed, retail(o, "delivered"))),
    )
    index = next(n for n, o in enumerate(retail(orders, "delivered")) if mixed(o))
    picked = retail(orders, "delivered")[index]
    product_id = picked.items[0].product_id
    chosen = [i for i in picked.items if i.product_id == product_id]
    word = b.shop.catalog.product(product_id or "").name["zh"]
    listed, which_item, staged, done = b.chat(
        customer.email, "我想退货", ["第一个", "第二个"][index], word, "是"
    )
    assert all(o.id in listed.reply for o in retail(orders, "delivered"))
    assert listed.staged is None and which_item.staged is None
    assert "哪件商品" in which_item.reply
    assert staged.staged is not None and staged.staged["action"]["order_id"] == picked.id
    assert staged.staged["action"]["item_ids"] == [i.variant_id for i in chosen]
    assert refund_of(chosen).display() in staged.reply
    assert committed(done) == ["request_return"]
    assert order(b.shop, customer, picked.id).status == "return requested"


def test_that_a_pending_order_is_not_returned_and_the_reason_is_given(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "ko", lambda c, o: bool(retail(o, "pending")))
    pending = retail(orders, "pending")[0]
    results = b.chat(customer.email, f"주문 {pending.id} 반품하고 싶어요", "네")
    assert results[0].job == "return"
    assert refusals(results[0]) == ["order_not_returnable"]
    assert "배송 완료된 주문만" in results[0].reply
    assert all(r.staged is None and committed(r) == [] for r in results)
    assert order(b.shop, customer, pending.id) == pending


def test_that_another_customers_delivered_order_is_not_found_for_a_return(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    me, _ = find(b.shop, "ko", lambda c, o: bool(retail(o, "delivered")))
    theirs = someone_elses(b.shop, me, "delivered")
    results = b.chat(me.email, f"주문 {theirs.id} 반품해 주세요", "네")
    assert refusals(results[0]) == ["order_not_found"]
    assert all(r.staged is None and committed(r) == [] for r in results)
    for r in results:
        assert theirs.total.display() not in r.reply
        assert all(i.name not in r.reply for i in theirs.items)
    assert b.shop.orders.get(theirs.customer_id, theirs.id) == theirs


def test_that_a_korean_customer_without_a_gift_card_is_told_the_refund_goes_back_to_the_card(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(
        b.shop,
        "ko",
        lambda c, o: (
            len(retail(o, "delivered")) == 1
            and not any(m.source == "gift_card" for m in c.payment_methods)
        ),
    )
    (delivered,) = retail(orders, "delivered")
    (result,) = b.chat(customer.email, "반품하고 싶어요. 전부 기프트카드로 환불해 주세요")
    assert "저장된 기프트카드가 없어서" in result.reply
    assert result.staged is not None
    assert result.staged["action"]["refund_method_id"] == delivered.payment_method_id


def test_that_a_no_leaves_a_staged_return_undone(bench: Callable[..., Bench]) -> None:
    b = bench()
    customer, _ = find(b.shop, "ko", lambda c, o: len(retail(o, "delivered")) == 1)
    before = snapshot(b.shop, customer)
    staged, declined = b.chat(customer.email, "반품하고 싶어요, 전부요", "아니요")
    assert staged.staged is not None
    assert declined.staged is None and committed(declined) == []
    assert snapshot(b.shop, customer) == before


# --- exchanges ------------------------------------------------------------------------------


def test_that_an_exchange_is_restaged_with_a_corrected_colour_and_requested_on_yes(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", holding("stretch-chinos-"))
    chinos_order = the_order_with(orders, "stretch-chinos-")
    (chinos,) = items_of(chinos_order, "stretch-chinos-")
    size = "32" if chinos.options["size"] != "32" else "30"
    colour = "khaki" if chinos.options["color"] != "khaki" else "navy"
    before = snapshot(b.shop, customer)
    first, corrected = b.chat(
        customer.email,
        f"I'd like to exchange the chinos for size {size}",
        f"actually make it {colour}",
    )
    assert first.staged is not None and first.staged["action"]["kind"] == "request_exchange"
    assert first.staged["action"]["new_item_ids"] == [
        f"stretch-chinos-{chinos.options['color']}-{size}"
    ]
    assert corrected.staged is not None
    assert corrected.staged["action"]["new_item_ids"] == [f"stretch-chinos-{colour}-{size}"]
    assert "Price difference" in corrected.reply
    assert snapshot(b.shop, customer) == before
    (done,) = b.more(first.conversation_id, "yes")
    assert committed(done) == ["request_exchange"]
    after = order(b.shop, customer, chinos_order.id)
    assert after.status == "exchange requested"
    assert after.exchange_request is not None
    assert after.exchange_request.new_item_ids == [f"stretch-chinos-{colour}-{size}"]
    assert "exchange requested" in done.reply


def test_that_a_gift_card_short_of_the_difference_is_explained_and_another_method_used(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", holding("hepa-purifier-filter"))
    filter_order = the_order_with(orders, "hepa-purifier-filter")
    card = method_id(customer, "credit_card")
    unit = b.shop.catalog.variant("hepa-purifier-unit").price
    difference = unit - items_of(filter_order, "hepa-purifier-filter")[0].unit_price
    short, staged, done = b.chat(
        customer.email,
        "I want to exchange the filter for the purifier, and pay the difference with my gift card",
        "my credit card then",
        "yes",
    )
    assert refusals(short) == ["insufficient_gift_card_balance"]
    assert short.staged is None
    assert staged.staged is not None and staged.staged["action"]["payment_method_id"] == card
    assert difference.display() in staged.reply
    assert committed(done) == ["request_exchange"]
    after = order(b.shop, customer, filter_order.id)
    assert after.exchange_request is not None
    assert after.exchange_request.price_difference == difference
    assert after.exchange_request.payment_method_id == card


def test_that_a_korean_exchange_to_a_cheaper_pack_refunds_the_difference(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "ko", holding("cica-sheet-mask-30"))
    mask_order = the_order_with(orders, "cica-sheet-mask-30")
    ten = b.shop.catalog.variant("cica-sheet-mask-10").price
    back = items_of(mask_order, "cica-sheet-mask-30")[0].unit_price - ten
    staged, done = b.chat(customer.email, "시트 마스크를 10매로 교환하고 싶어요", "네")
    assert staged.staged is not None
    assert staged.staged["action"]["new_item_ids"] == ["cica-sheet-mask-10"]
    assert f"{back.display()}을(를)" in staged.reply and "환불" in staged.reply
    assert committed(done) == ["request_exchange"]
    after = order(b.shop, customer, mask_order.id)
    assert after.exchange_request is not None
    assert after.exchange_request.price_difference == -back
    assert "교환 요청됨" in done.reply


def test_that_a_korean_customer_corrects_the_colour_of_an_exchange(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "ko", holding("seamless-leggings-plum-m"))
    leggings_order = the_order_with(orders, "seamless-leggings-plum-m")
    first, corrected, done = b.chat(
        customer.email, "레깅스 L 사이즈로 교환하고 싶어요", "검정색으로 해 주세요", "네"
    )
    assert first.staged is not None
    assert first.staged["action"]["new_item_ids"] == ["seamless-leggings-plum-l"]
    assert corrected.staged is not None
    assert corrected.staged["action"]["new_item_ids"] == ["seamless-leggings-black-l"]
    assert committed(done) == ["request_exchange"]
    after = order(b.shop, customer, leggings_order.id)
    assert after.exchange_request is not None
    assert after.exchange_request.new_item_ids == ["seamless-leggings-black-l"]


def test_that_a_korean_customer_picks_which_order_the_exchanged_item_is_in(
    bench: Callable[..., Bench],
) -> None:
    b = bench()

    def two_with_lip_tint(c: CustomerView, orders: list[OrderView]) -> bool:
        return (
            len(
                [
                    o
                    for o in retail(orders, "delivered")
                    if any((i.variant_id or "") == "velvet-lip-tint-coral" for i in o.items)
                ]
            )
            == 2
        )

    customer, orders = find(b.shop, "ko", two_with_lip_tint)
    tinted = [
        o
        for o in retail(orders, "delivered")
        if any((i.variant_id or "") == "velvet-lip-tint-coral" for i in o.items)
    ]
    listed, staged, done = b.chat(
        customer.email, "립 틴트를 Brick Red로 교환하고 싶어요", "두 번째요", "네"
    )
    assert all(o.id in listed.reply for o in tinted) and listed.staged is None
    assert staged.staged is not None and staged.staged["action"]["order_id"] == tinted[1].id
    assert staged.staged["action"]["new_item_ids"] == ["velvet-lip-tint-brick"]
    assert committed(done) == ["request_exchange"]
    assert order(b.shop, customer, tinted[1].id).status == "exchange requested"
    assert order(b.shop, customer, tinted[0].id) == tinted[0]


def test_that_a_chinese_customer_exchanges_a_diffuser_for_the_light_wood_one(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "zh", holding("aroma-diffuser-dark"))
    diffuser_order = the_order_with(orders, "aroma-diffuser-dark")
    before = snapshot(b.shop, customer)
    (staged,) = b.chat(customer.email, "我想把香薰机换成浅木色")
    assert staged.staged is not None and staged.staged["action"]["kind"] == "request_exchange"
    assert staged.staged["action"]["new_item_ids"] == ["aroma-diffuser-light"]
    assert "换货" in staged.reply
    assert snapshot(b.shop, customer) == before
    (done,) = b.more(staged.conversation_id, "是")
    assert committed(done) == ["request_exchange"]
    assert order(b.shop, customer, diffuser_order.id).status == "exchange requested"
    assert "已申请换货" in done.reply


def test_that_a_cancelled_order_is_not_exchanged_and_the_reason_is_given(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "zh", lambda c, o: bool(retail(o, "cancelled")))
    cancelled = retail(orders, "cancelled")[0]
    (result,) = b.chat(customer.email, f"我想换货，订单 {cancelled.id}")
    assert result.job == "exchange"
    assert refusals(result) == ["order_not_returnable"]
    assert "只有已送达的订单可以退换货" in result.reply
    assert result.staged is None


def test_that_an_order_already_under_return_is_not_exchanged(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", lambda c, o: bool(retail(o, "return requested")))
    returning = retail(orders, "return requested")[0]
    (result,) = b.chat(customer.email, f"I want to exchange an item from order {returning.id}")
    assert result.job == "exchange"
    assert refusals(result) == ["order_not_returnable"]
    assert result.staged is None


def test_that_another_customers_order_is_not_found_for_an_exchange(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    me, _ = find(b.shop, "en", holding("stretch-chinos-"))
    theirs = someone_elses(b.shop, me, "delivered")
    results = b.chat(me.email, f"I want to exchange order {theirs.id} for a bigger size", "yes")
    assert refusals(results[0]) == ["order_not_found"]
    assert all(r.staged is None and committed(r) == [] for r in results)
    for r in results:
        assert theirs.total.display() not in r.reply
    assert b.shop.orders.get(theirs.customer_id, theirs.id) == theirs


def test_that_an_exchange_asked_for_a_pending_order_is_staged_as_an_item_change(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", holding("velvet-lip-tint-coral", status="pending"))
    pending = the_order_with(orders, "velvet-lip-tint-coral", status="pending")
    (staged,) = b.chat(
        customer.email, f"I'd like to exchange the lip tint in {pending.id} for Brick Red"
    )
    assert staged.staged is not None and staged.staged["action"]["kind"] == "change_items"
    assert staged.staged["action"]["new_item_ids"] == ["velvet-lip-tint-brick"]


def test_that_a_no_leaves_a_staged_exchange_undone(bench: Callable[..., Bench]) -> None:
    b = bench()
    customer, _ = find(b.shop, "en", holding("stretch-chinos-"))
    before = snapshot(b.shop, customer)
    staged, declined = b.chat(customer.email, "I'd like to exchange the chinos for size 30", "no")
    assert staged.staged is not None
    assert declined.staged is None and committed(declined) == []
    assert snapshot(b.shop, customer) == before

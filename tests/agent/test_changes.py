"""Changing a pending order's shipping address, payment method and items in a conversation: shown
in full, done only on a yes, refused for orders in other states or of other customers."""

from __future__ import annotations

from collections.abc import Callable

from agent_bench import Bench
from sqlalchemy import select

from shopkeep.agent.result import TurnResult
from shopkeep.store import Store
from shopkeep.store.models import Customer
from shopkeep.store.views import CustomerView, OrderView

Fits = Callable[[CustomerView, list[OrderView]], bool]


def find(shop: Store, locale: str, fits: Fits) -> tuple[CustomerView, list[OrderView]]:
    """The first demo customer writing in `locale` whose account and orders fit."""
    with shop.db.reading() as s:
        ids = list(
            s.scalars(select(Customer.id).where(Customer.locale == locale).order_by(Customer.id))
        )
    for customer_id in ids:
        orders = [shop.orders.get(customer_id, o.id) for o in shop.orders.history(customer_id)]
        customer = shop.customers.get(customer_id)
        if fits(customer, orders):
            return customer, orders
    raise AssertionError(f"no {locale} customer in the demo fits")


def retail(orders: list[OrderView], *statuses: str) -> list[OrderView]:
    return [o for o in orders if o.kind == "retail" and o.status in statuses]


def someone_elses(shop: Store, me: CustomerView, status: str) -> OrderView:
    for locale in ("en", "zh", "ko"):
        try:
            _, orders = find(shop, locale, lambda c, o: c.id != me.id and bool(retail(o, status)))
        except AssertionError:
            continue
        return retail(orders, status)[0]
    raise AssertionError(f"no other customer has a {status} order")


def snapshot(shop: Store, customer: CustomerView) -> tuple[CustomerView, list[OrderView]]:
    """Everything of the customer's that a change could touch: orders and gift-card balances."""
    orders = [shop.orders.get(customer.id, o.id) for o in shop.orders.history(customer.id)]
    return shop.customers.get(customer.id), orders


def order(shop: Store, customer: CustomerView, order_id: str) -> OrderView:
    return shop.orders.get(customer.id, order_id)


def committed(result: TurnResult) -> list[str]:
    return [e["action"] for e in result.events if e["kind"] == "committed"]


def refusals(result: TurnResult) -> list[str]:
    return [e["code"] for e in result.events if e["kind"] == "refused"]


def method_id(customer: CustomerView, source: str, brand: str | None = None) -> str:
    return next(
        m.id
        for m in customer.payment_methods
        if m.source == source and (brand is None or m.brand == brand)
    )


def ships(o: OrderView) -> bool:
    return o.fulfilment != "pickup" and o.address is not None


def one_pending_shipped_and_two_addresses(c: CustomerView, orders: list[OrderView]) -> bool:
    pending = retail(orders, "pending", "pending (item modified)")
    return len(pending) == 1 and ships(pending[0]) and len(c.addresses) >= 2


def other_address(customer: CustomerView, o: OrderView) -> str:
    assert o.address is not None
    current = o.address
    (other,) = [
        a
        for a in customer.addresses
        if (a.address1, a.address2, a.zip) != (current.address1, current.address2, current.zip)
    ]
    return other.one_line()


# --- shipping address -----------------------------------------------------------------------


def test_that_a_pending_order_moves_to_the_customers_other_saved_address_only_after_a_yes(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", one_pending_shipped_and_two_addresses)
    (pending,) = retail(orders, "pending", "pending (item modified)")
    before = snapshot(b.shop, customer)
    new_line = other_address(customer, pending)
    staged, done = b.chat(
        customer.email, "Please change the shipping address of my order to my other address", "yes"
    )
    assert staged.staged is not None and staged.staged["action"]["kind"] == "change_address"
    assert pending.id in staged.reply and new_line in staged.reply
    assert committed(done) == ["change_address"]
    after = order(b.shop, customer, pending.id)
    assert after.address is not None and new_line.startswith(after.address.address1)
    assert new_line in done.reply
    others = [o for o in snapshot(b.shop, customer)[1] if o.id != pending.id]
    assert others == [o for o in before[1] if o.id != pending.id]
    assert b.backend.requests == []


def test_that_nothing_changes_before_the_yes(bench: Callable[..., Bench]) -> None:
    b = bench()
    customer, _ = find(b.shop, "en", one_pending_shipped_and_two_addresses)
    before = snapshot(b.shop, customer)
    b.chat(customer.email, "Please change the shipping address of my order to my other address")
    assert snapshot(b.shop, customer) == before


def test_that_a_full_address_written_after_staging_restages_with_the_orders_country(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", one_pending_shipped_and_two_addresses)
    (pending,) = retail(orders, "pending", "pending (item modified)")
    first, corrected, done = b.chat(
        customer.email,
        "I need to change the shipping address of my order to my other address",
        "actually, ship it to 742 Evergreen Terrace, Springfield, IL 62704",
        "yes",
    )
    assert first.staged is not None
    assert corrected.staged is not None
    assert "742 Evergreen Terrace, Springfield, IL 62704, USA" in corrected.reply
    assert committed(done) == ["change_address"]
    address = order(b.shop, customer, pending.id).address
    assert address is not None
    assert (address.address1, address.city, address.state, address.zip, address.country) == (
        "742 Evergreen Terrace",
        "Springfield",
        "IL",
        "62704",
        "USA",
    )


def test_that_an_address_without_state_and_zip_is_asked_for_in_full(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, _ = find(b.shop, "en", one_pending_shipped_and_two_addresses)
    (result,) = b.chat(
        customer.email, "Please change the shipping address of my order to 55 Pine St, Seattle"
    )
    assert result.staged is None
    assert "street, city, state zip, country" in result.reply


def test_that_a_korean_customer_chooses_one_of_two_pending_orders_for_the_other_address(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(
        b.shop,
        "ko",
        lambda c, o: (
            len(retail(o, "pending", "pending (item modified)")) == 2
            and all(ships(x) for x in retail(o, "pending", "pending (item modified)"))
            and len(c.addresses) == 2
        ),
    )
    first, second = retail(orders, "pending", "pending (item modified)")
    listed, staged, done = b.chat(
        customer.email, "배송지를 다른 주소로 바꾸고 싶어요", "두 번째요", "네"
    )
    assert listed.staged is None and first.id in listed.reply and second.id in listed.reply
    assert staged.staged is not None and staged.staged["action"]["order_id"] == second.id
    assert "변경할까요" in staged.reply
    assert committed(done) == ["change_address"]
    assert done.language == "ko"
    new_line = other_address(customer, second)
    changed = order(b.shop, customer, second.id).address
    assert changed is not None and new_line.startswith(changed.address1)
    assert order(b.shop, customer, first.id) == first


def test_that_an_address_written_in_chinese_is_used_once_the_order_is_chosen(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(
        b.shop,
        "zh",
        lambda c, o: (
            len(retail(o, "pending", "pending (item modified)")) == 2
            and all(ships(x) for x in retail(o, "pending", "pending (item modified)"))
        ),
    )
    _, second = retail(orders, "pending", "pending (item modified)")
    listed, staged, done = b.chat(
        customer.email,
        "地址改成 上海市徐汇区衡山路 88 号, Shanghai, 上海市 200031, 中国",
        "第二个",
        "是",
    )
    assert listed.job == "change_address" and listed.staged is None
    assert staged.staged is not None and staged.staged["action"]["order_id"] == second.id
    assert "上海市徐汇区衡山路 88 号, Shanghai, 上海市 200031, China" in staged.reply
    assert committed(done) == ["change_address"]
    address = order(b.shop, customer, second.id).address
    assert address is not None
    assert (address.address1, address.city, address.zip, address.country) == (
        "上海市徐汇区衡山路 88 号",
        "Shanghai",
        "200031",
        "China",
    )


def test_that_the_address_of_a_shipped_order_is_not_changed_and_the_reason_is_given(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "zh", lambda c, o: bool(retail(o, "processed")))
    shipped = retail(orders, "processed")[0]
    results = b.chat(customer.email, f"订单 {shipped.id} 的收货地址改一下", "是")
    assert results[0].job == "change_address"
    assert all(r.staged is None for r in results)
    assert refusals(results[0]) == ["order_not_modifiable"]
    assert "只有待处理的订单可以修改" in results[0].reply
    assert order(b.shop, customer, shipped.id) == shipped


def test_that_another_customers_order_is_not_found_for_an_address_change(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    me, _ = find(b.shop, "zh", lambda c, o: bool(retail(o, "pending")))
    theirs = someone_elses(b.shop, me, "pending")
    results = b.chat(me.email, f"订单 {theirs.id} 的收货地址改一下", "是")
    assert results[0].job == "change_address"
    assert refusals(results[0]) == ["order_not_found"]
    assert all(r.staged is None for r in results)
    assert theirs.address is not None
    for r in results:
        assert theirs.address.address1 not in r.reply
        assert theirs.total.display() not in r.reply
        assert all(item.name not in r.reply for item in theirs.items)
    assert b.shop.orders.get(theirs.customer_id, theirs.id) == theirs


def test_that_a_no_keeps_the_address_as_it_was(bench: Callable[..., Bench]) -> None:
    b = bench()
    customer, _ = find(b.shop, "en", one_pending_shipped_and_two_addresses)
    before = snapshot(b.shop, customer)
    staged, declined = b.chat(
        customer.email, "Please change the shipping address of my order to my other address", "no"
    )
    assert staged.staged is not None
    assert declined.staged is None and committed(declined) == []
    assert snapshot(b.shop, customer) == before


# --- payment method -------------------------------------------------------------------------


def paid_once(o: OrderView) -> bool:
    return len(o.transactions) == 1 and o.transactions[0].kind == "payment"


def alipay_would_be_new(c: CustomerView, orders: list[OrderView]) -> bool:
    """One pending order, paid once, not with the Alipay account the customer also has."""
    pending = retail(orders, "pending", "pending (item modified)")
    return (
        len(pending) == 1
        and paid_once(pending[0])
        and any(
            m.brand == "alipay" and m.id != pending[0].payment_method_id for m in c.payment_methods
        )
    )


def test_that_a_chinese_customer_moves_a_pending_order_to_alipay_after_a_yes(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "zh", alipay_would_be_new)
    (pending,) = retail(orders, "pending")
    alipay = method_id(customer, "wallet", "alipay")
    before = snapshot(b.shop, customer)
    (staged,) = b.chat(customer.email, "我想更换支付方式，改用支付宝")
    assert staged.staged is not None and staged.staged["action"]["payment_method_id"] == alipay
    assert pending.id in staged.reply and "Alipay" in staged.reply
    assert pending.total.display() in staged.reply
    assert snapshot(b.shop, customer) == before
    (done,) = b.more(staged.conversation_id, "是")
    assert committed(done) == ["change_payment"]
    after = order(b.shop, customer, pending.id)
    assert after.payment_method_id == alipay
    assert [(t.kind, t.payment_method_id) for t in after.transactions][-2:] == [
        ("payment", alipay),
        ("refund", pending.payment_method_id),
    ]
    assert "Alipay" in done.reply and done.language == "zh"


def james_like(c: CustomerView, orders: list[OrderView]) -> bool:
    """One pending order paid once with a gift card, and a card and PayPal saved too."""
    payable = [o for o in retail(orders, "pending", "pending (item modified)") if paid_once(o)]
    sources = {m.source for m in c.payment_methods}
    return (
        len(payable) == 1
        and {"gift_card", "paypal", "credit_card"} <= sources
        and payable[0].payment_method_id == method_id(c, "gift_card")
    )


def test_that_the_method_already_paying_is_explained_and_another_asked_for(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, _ = find(b.shop, "en", james_like)
    (result,) = b.chat(
        customer.email, "Please change the payment method of my order to my gift card"
    )
    assert result.staged is None
    assert refusals(result) == ["same_payment_method"]
    assert "already paid with that method" in result.reply
    assert "PayPal" in result.reply


def test_that_a_payment_change_is_restaged_when_the_customer_names_another_method(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", james_like)
    (pending,) = [o for o in retail(orders, "pending", "pending (item modified)") if paid_once(o)]
    paypal, card = method_id(customer, "paypal"), method_id(customer, "credit_card")
    first, corrected, done = b.chat(
        customer.email,
        "Please change the payment method of my order to PayPal",
        "actually, use my credit card",
        "yes",
    )
    assert first.staged is not None and first.staged["action"]["payment_method_id"] == paypal
    assert corrected.staged is not None and corrected.staged["action"]["payment_method_id"] == card
    assert committed(done) == ["change_payment"]
    assert order(b.shop, customer, pending.id).payment_method_id == card


def test_that_a_gift_card_that_cannot_cover_the_total_is_refused(
    bench: Callable[..., Bench],
) -> None:
    b = bench()

    def short_gift_card(c: CustomerView, orders: list[OrderView]) -> bool:
        payable = [o for o in retail(orders, "pending") if paid_once(o)]
        cards = [m for m in c.payment_methods if m.source == "gift_card" and m.balance]
        return (
            len(payable) == 1
            and len(cards) == 1
            and cards[0].balance is not None
            and cards[0].balance.amount < payable[0].total.amount
        )

    customer, _ = find(b.shop, "en", short_gift_card)
    before = snapshot(b.shop, customer)
    (result,) = b.chat(customer.email, "I want to change the payment method to my gift card")
    assert result.staged is None
    assert refusals(result) == ["insufficient_gift_card_balance"]
    assert snapshot(b.shop, customer) == before


def test_that_a_korean_customer_picks_the_order_whose_payment_changes(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(
        b.shop,
        "ko",
        lambda c, o: (
            len([x for x in retail(o, "pending") if paid_once(x)]) == 2
            and any(m.brand == "mastercard" for m in c.payment_methods)
        ),
    )
    first, second = [o for o in retail(orders, "pending") if paid_once(o)]
    card = method_id(customer, "credit_card", "mastercard")
    listed, staged, done = b.chat(
        customer.email, "결제 수단을 마스터카드로 바꾸고 싶어요", "첫 번째요", "네"
    )
    assert listed.staged is None and first.id in listed.reply and second.id in listed.reply
    assert staged.staged is not None and staged.staged["action"] == {
        "kind": "change_payment",
        "order_id": first.id,
        "payment_method_id": card,
    }
    assert first.total.display() in staged.reply
    assert committed(done) == ["change_payment"]
    assert order(b.shop, customer, first.id).payment_method_id == card
    assert order(b.shop, customer, second.id) == second
    assert "완료" in done.reply


def test_that_the_payment_of_a_delivered_order_is_not_changed(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(
        b.shop,
        "ko",
        lambda c, o: bool(retail(o, "delivered")) and len(c.payment_methods) >= 2,
    )
    delivered = retail(orders, "delivered")[0]
    (result,) = b.chat(customer.email, f"주문 {delivered.id} 결제 수단을 바꾸고 싶어요")
    assert result.job == "change_payment" and result.staged is None
    assert refusals(result) == ["order_not_modifiable"]
    assert "처리 대기 중인 주문만" in result.reply


def test_that_another_customers_order_is_not_found_for_a_payment_change(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    me, _ = find(b.shop, "en", james_like)
    theirs = someone_elses(b.shop, me, "pending")
    results = b.chat(
        me.email, f"Please change the payment method of order {theirs.id} to PayPal", "yes"
    )
    assert results[0].job == "change_payment"
    assert refusals(results[0]) == ["order_not_found"]
    assert all(r.staged is None and committed(r) == [] for r in results)
    for r in results:
        assert theirs.total.display() not in r.reply
    assert b.shop.orders.get(theirs.customer_id, theirs.id) == theirs


def test_that_a_no_keeps_the_payment_method(bench: Callable[..., Bench]) -> None:
    b = bench()
    customer, _ = find(b.shop, "zh", alipay_would_be_new)
    before = snapshot(b.shop, customer)
    staged, declined = b.chat(customer.email, "我想更换支付方式，改用支付宝", "不要")
    assert staged.staged is not None
    assert declined.staged is None and committed(declined) == []
    assert snapshot(b.shop, customer) == before


# --- items ----------------------------------------------------------------------------------


def has_variant(prefix: str) -> Fits:
    def fits(c: CustomerView, orders: list[OrderView]) -> bool:
        pending = retail(orders, "pending")
        return (
            len(pending) == 1
            and not retail(orders, "pending (item modified)", "delivered")
            and any((i.variant_id or "").startswith(prefix) for i in pending[0].items)
        )

    return fits


def test_that_a_chinese_customer_changes_a_tee_to_size_l_after_a_yes(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "zh", has_variant("organic-crew-tee-"))
    (pending,) = retail(orders, "pending")
    tee = next(i for i in pending.items if (i.variant_id or "").startswith("organic-crew-tee-"))
    wanted = f"organic-crew-tee-{tee.options['color']}-l"
    before = snapshot(b.shop, customer)
    (staged,) = b.chat(customer.email, "把订单里的T恤换成L码")
    assert staged.staged is not None and staged.staged["action"]["kind"] == "change_items"
    assert staged.staged["action"]["new_item_ids"] == [wanted]
    assert "差价" in staged.reply and pending.id in staged.reply
    assert snapshot(b.shop, customer) == before
    (done,) = b.more(staged.conversation_id, "是")
    assert committed(done) == ["change_items"]
    after = order(b.shop, customer, pending.id)
    assert after.status == "pending (item modified)"
    assert wanted in [i.variant_id for i in after.items]
    assert "待处理（商品已修改）" in done.reply


def james_lip_tint(c: CustomerView, orders: list[OrderView]) -> bool:
    return (
        any(
            (i.variant_id or "") == "velvet-lip-tint-coral"
            for o in retail(orders, "pending")
            for i in o.items
        )
        and len(retail(orders, "pending")) == 1
    )


def test_that_an_item_change_is_restaged_with_the_corrected_option(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", james_lip_tint)
    (pending,) = retail(orders, "pending")
    first, corrected, done = b.chat(
        customer.email,
        "I want to modify my order: the lip tint in Brick Red please",
        "actually, make it Rose Petal",
        "yes",
    )
    assert first.staged is not None
    assert first.staged["action"]["new_item_ids"] == ["velvet-lip-tint-brick"]
    assert corrected.staged is not None
    assert corrected.staged["action"]["new_item_ids"] == ["velvet-lip-tint-rose"]
    assert "Rose Petal" in corrected.reply
    assert committed(done) == ["change_items"]
    assert [i.variant_id for i in order(b.shop, customer, pending.id).items] == [
        "velvet-lip-tint-rose"
    ]


def test_that_an_option_not_for_sale_is_said_to_be_unavailable(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, _ = find(b.shop, "en", james_lip_tint)
    before = snapshot(b.shop, customer)
    (result,) = b.chat(customer.email, "I want to modify my order: the lip tint in Plum Night")
    assert result.staged is None
    assert "not available" in result.reply and "Brick Red" in result.reply
    assert snapshot(b.shop, customer) == before


def test_that_a_korean_customer_chooses_the_order_the_item_and_the_size(
    bench: Callable[..., Bench],
) -> None:
    b = bench()

    def two_pending_one_with_a_tee(c: CustomerView, orders: list[OrderView]) -> bool:
        pending = retail(orders, "pending")
        return len(pending) == 2 and any(
            len({i.product_id for i in o.items}) == 2
            and any((i.variant_id or "").startswith("organic-crew-tee-") for i in o.items)
            for o in pending
        )

    customer, orders = find(b.shop, "ko", two_pending_one_with_a_tee)
    with_tee = next(
        o
        for o in retail(orders, "pending")
        if any((i.variant_id or "").startswith("organic-crew-tee-") for i in o.items)
    )
    tees = [i for i in with_tee.items if (i.variant_id or "").startswith("organic-crew-tee-")]
    wanted = f"organic-crew-tee-{tees[0].options['color']}-l"
    listed, which_item, which_size, staged, done = b.chat(
        customer.email,
        "주문 상품 옵션을 변경하고 싶어요",
        f"{with_tee.id} 주문이요",
        "티셔츠요",
        "L 사이즈로 해 주세요",
        "네",
    )
    assert all(o.id in listed.reply for o in retail(orders, "pending"))
    assert "어느 상품" in which_item.reply
    assert "어떤 옵션" in which_size.reply
    assert staged.staged is not None
    assert staged.staged["action"]["item_ids"] == [t.variant_id for t in tees]
    assert staged.staged["action"]["new_item_ids"] == [wanted] * len(tees)
    assert committed(done) == ["change_items"]
    after = order(b.shop, customer, with_tee.id)
    assert [i.variant_id for i in after.items].count(wanted) == len(tees)


def test_that_the_items_of_an_order_already_changed_are_not_changed_again(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", lambda c, o: bool(retail(o, "pending (item modified)")))
    modified = retail(orders, "pending (item modified)")[0]
    (result,) = b.chat(customer.email, f"I want to modify my order {modified.id}")
    assert result.job == "change_items" and result.staged is None
    assert refusals(result) == ["order_not_modifiable"]
    assert "only pending orders can be changed" in result.reply
    assert order(b.shop, customer, modified.id) == modified


def test_that_another_customers_order_is_not_found_for_an_item_change(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    me, _ = find(b.shop, "zh", has_variant("organic-crew-tee-"))
    theirs = someone_elses(b.shop, me, "pending")
    results = b.chat(me.email, f"把订单 {theirs.id} 里的商品换成L码", "是")
    assert refusals(results[0]) == ["order_not_found"]
    assert all(r.staged is None and committed(r) == [] for r in results)
    for r in results:
        assert theirs.total.display() not in r.reply
    assert b.shop.orders.get(theirs.customer_id, theirs.id) == theirs


def test_that_a_no_keeps_the_items_as_they_were(bench: Callable[..., Bench]) -> None:
    b = bench()
    customer, _ = find(b.shop, "ko", has_variant("usb-c-cable-"))
    before = snapshot(b.shop, customer)
    staged, declined = b.chat(customer.email, "케이블을 2m로 바꿔 주세요", "아니요")
    assert staged.staged is not None and staged.staged["action"]["kind"] == "change_items"
    assert declined.staged is None and committed(declined) == []
    assert snapshot(b.shop, customer) == before

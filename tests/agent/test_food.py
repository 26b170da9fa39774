"""Food and drink from the nearby stores: dish, options, pickup or delivery and a slot with room,
staged with the store's own quote and placed only on the customer's yes; a full or closed slot
is answered with the next open slots and other stores nearby."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from agent_bench import Bench
from sqlalchemy import func, select

from shopkeep.agent.result import TurnResult
from shopkeep.store import Store
from shopkeep.store.local import (
    LocalStoreInput,
    MenuItemInput,
    MenuLine,
    OptionChoiceInput,
    OptionGroupInput,
)
from shopkeep.store.models import Customer, Order
from shopkeep.store.views import CustomerView, OrderView

SEOUL = ZoneInfo("Asia/Seoul")
CLOUD_PEARL = "cloud-pearl-hongdae"
HEUKDANG = "heukdang-hongdae"
NOODLES = "seongsu-noodle"


def at(hour: int, minute: int = 0, day: int = 20) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SEOUL)


def a_customer(shop: Store, index: int = 0) -> CustomerView:
    """A demo customer with a saved payment method and a default address."""
    with shop.db.reading() as s:
        ids = list(s.scalars(select(Customer.id).order_by(Customer.id)))
    fitting = [
        c
        for c in (shop.customers.get(i) for i in ids[:40])
        if c.payment_methods and c.default_address is not None
    ]
    return fitting[index]


def local_orders(shop: Store) -> int:
    with shop.db.reading() as s:
        return s.scalar(select(func.count()).select_from(Order).where(Order.kind == "local")) or 0


def placed(shop: Store, customer: CustomerView, result: TurnResult) -> OrderView:
    (event,) = [e for e in result.events if e["kind"] == "order_placed"]
    return shop.orders.get(customer.id, event["order_id"])


def fill(shop: Store, store_id: str, start: datetime) -> None:
    """Book the slot to capacity through the store, as another customer."""
    other = a_customer(shop, 5)
    (slot,) = shop.local.slots(store_id, start=start, count=1)
    assert slot.starts_at == start and slot.free > 0
    item = shop.local.menu(store_id)[0].id
    shop.local.place_order(
        other.id,
        store_id,
        [MenuLine(menu_item_id=item, quantity=slot.free)],
        slot_start=start,
        payment_method_id=other.payment_methods[0].id,
        idempotency_key=f"fill-{store_id}-{start.isoformat()}",
    )
    assert shop.local.slots(store_id, start=start, count=1)[0].starts_at != start


# --- the happy paths -----------------------------------------------------------------------


def test_that_a_drink_with_options_at_a_time_is_staged_and_placed_for_pickup_on_yes(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = a_customer(b.shop)
    before = local_orders(b.shop)
    staged, done = b.chat(
        customer.email,
        "I'd like a large taro milk tea with less ice and 50% sugar at 3pm",
        "yes",
    )
    assert staged.staged is not None and staged.staged["action"]["kind"] == "place_local_order"
    args = staged.staged["action"]
    assert args["store_id"] == CLOUD_PEARL
    assert args["lines"] == [
        {
            "menu_item_id": "cp-taro-milk-tea",
            "quantity": 1,
            "options": {"size": "large", "ice": "less", "sugar": "50"},
        }
    ]
    assert datetime.fromisoformat(args["slot_start"]) == at(15)
    assert args["fulfilment"] == "pickup" and args["address"] is None
    assert args["payment_method_id"] == customer.payment_methods[0].id
    for fact in (
        "Cloud Pearl Tea, Hongdae",
        "15:00",
        "Taro Milk Tea",
        "Large (700 ml)",
        "Less ice",
    ):
        assert fact in staged.reply
    assert "50% sugar" in staged.reply and "$5.90" in staged.reply
    order = placed(b.shop, customer, done)
    assert local_orders(b.shop) == before + 1
    assert order.id.startswith("#L") and order.id in done.reply
    assert order.local_store_id == CLOUD_PEARL and order.slot_start == at(15)
    assert order.items[0].options == {"size": "large", "ice": "less", "sugar": "50"}
    assert order.fulfilment == "pickup"
    assert "15:00" in done.reply and order.total.display() in done.reply
    assert b.backend.requests == []  # keywords and extractors settled every turn


def test_that_a_korean_delivery_order_goes_to_the_default_address_with_the_delivery_fee(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = a_customer(b.shop)
    assert customer.default_address is not None
    staged, done = b.chat(
        customer.email, "타로 밀크티 라지 사이즈에 얼음 적게 당도 50%로 배달해 주세요", "네"
    )
    assert staged.staged is not None
    args = staged.staged["action"]
    assert args["fulfilment"] == "delivery"
    assert args["address"]["address1"] == customer.default_address.address1
    assert args["address"]["zip"] == customer.default_address.zip
    assert args["lines"][0]["options"] == {"size": "large", "ice": "less", "sugar": "50"}
    assert "배달" in staged.reply and "$2.99" in staged.reply
    assert "라지 (700ml)" in staged.reply and "얼음 적게" in staged.reply
    assert staged.language == "ko"
    order = placed(b.shop, customer, done)
    assert order.fulfilment == "delivery" and order.shipping.display() == "$2.99"
    assert order.address is not None and order.address.zip == customer.default_address.zip
    assert order.id in done.reply and "배달" in done.reply


def test_that_no_time_means_the_next_open_slot_and_defaults_are_shown_in_chinese(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = a_customer(b.shop)
    (first,) = b.shop.local.slots(CLOUD_PEARL, count=1)
    (staged,) = b.chat(customer.email, "我要一杯香芋奶茶")
    assert staged.staged is not None and staged.language == "zh"
    assert datetime.fromisoformat(staged.staged["action"]["slot_start"]) == first.starts_at
    assert first.starts_at.astimezone(SEOUL).strftime("%H:%M") in staged.reply
    # the store's defaults apply and are shown
    assert "中杯（500 毫升）" in staged.reply and "正常冰" in staged.reply
    assert "七分糖" in staged.reply and "自取" in staged.reply
    assert staged.staged["action"]["lines"][0]["options"] == {}


def test_that_now_means_the_next_open_slot(bench: Callable[..., Bench]) -> None:
    b = bench()
    customer = a_customer(b.shop)
    fill(b.shop, CLOUD_PEARL, at(12))
    (staged,) = b.chat(customer.email, "a classic pearl milk tea now please")
    assert staged.staged is not None
    assert datetime.fromisoformat(staged.staged["action"]["slot_start"]) == at(12, 15)
    assert "12:15" in staged.reply


# --- a slot that cannot take the order -----------------------------------------------------


def test_that_a_full_slot_offers_the_next_slots_and_stores_nearby_and_the_pick_is_placed(
    bench: Callable[..., Bench],
) -> None:
    b = bench('{"job": "food"}')  # in case the keywords leave "milk teas" to the model
    customer = a_customer(b.shop)
    fill(b.shop, CLOUD_PEARL, at(12, 30))
    before = local_orders(b.shop)
    (offered,) = b.chat(customer.email, "Two classic pearl milk teas at 12:30 please")
    assert local_orders(b.shop) == before  # nothing placed while choosing
    staged, done = b.more(offered.conversation_id, "12:45", "yes")
    assert offered.staged is None
    assert "fully booked" in offered.reply and "12:30" in offered.reply
    for fact in ("12:45", "13:00", "13:15", "Heukdang Brown Sugar Tea House"):
        assert fact in offered.reply
    assert staged.staged is not None
    assert datetime.fromisoformat(staged.staged["action"]["slot_start"]) == at(12, 45)
    assert staged.staged["action"]["lines"][0]["quantity"] == 2
    order = placed(b.shop, customer, done)
    assert order.slot_start == at(12, 45) and order.local_store_id == CLOUD_PEARL
    assert len(order.items) == 2 and "12:45" in done.reply


def test_that_another_store_offered_for_a_full_slot_can_be_picked_by_name_in_korean(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = a_customer(b.shop)
    fill(b.shop, CLOUD_PEARL, at(12, 30))
    offered, staged, done = b.chat(
        customer.email, "클래식 펄 밀크티 12시 반에 픽업할게요", "흑당다방으로 할게요", "네"
    )
    assert "예약이 꽉 찼어요" in offered.reply and "흑당다방 홍대점" in offered.reply
    assert staged.staged is not None
    args = staged.staged["action"]
    assert args["store_id"] == HEUKDANG
    assert datetime.fromisoformat(args["slot_start"]) == at(12, 30)
    assert "흑당다방 홍대점" in staged.reply
    order = placed(b.shop, customer, done)
    assert order.local_store_id == HEUKDANG and order.slot_start == at(12, 30)
    assert order.items[0].menu_item_id is not None
    assert order.items[0].menu_item_id.startswith("hd-")


def test_that_a_closed_time_offers_the_next_open_slots_and_the_first_one_is_taken(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = a_customer(b.shop)
    before = local_orders(b.shop)
    (offered,) = b.chat(customer.email, "一杯珍珠奶茶，晚上11点45分")
    assert local_orders(b.shop) == before
    staged, done = b.more(offered.conversation_id, "第一个", "是")
    assert offered.staged is None and "不营业" in offered.reply and "23:45" in offered.reply
    assert "明天 11:00" in offered.reply  # Cloud Pearl opens at 11:00 on Saturday
    assert staged.staged is not None
    assert datetime.fromisoformat(staged.staged["action"]["slot_start"]) == at(11, day=21)
    order = placed(b.shop, customer, done)
    assert order.slot_start == at(11, day=21) and order.local_store_id == CLOUD_PEARL


def test_that_a_slot_taken_between_the_summary_and_the_yes_is_refused_with_alternatives(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = a_customer(b.shop)
    (staged,) = b.chat(customer.email, "a taro milk tea at 14:00 please")
    assert staged.staged is not None
    fill(b.shop, CLOUD_PEARL, at(14))
    before = local_orders(b.shop)
    (refused,) = b.more(staged.conversation_id, "yes")
    assert [e["code"] for e in refused.events if e["kind"] == "refused"] == ["slot_full"]
    assert local_orders(b.shop) == before
    restaged, done = b.more(staged.conversation_id, "the first one", "yes")
    assert "14:15" in refused.reply and refused.staged is None
    assert restaged.staged is not None
    assert datetime.fromisoformat(restaged.staged["action"]["slot_start"]) == at(14, 15)
    assert placed(b.shop, customer, done).slot_start == at(14, 15)


def test_that_a_store_that_only_does_pickup_says_so_and_pickup_then_stages(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = a_customer(b.shop)
    offered, staged = b.chat(
        customer.email, "brown sugar boba milk from heukdang, delivered", "ok, pickup then"
    )
    assert "pickup only" in offered.reply and offered.staged is None
    assert "Cloud Pearl Tea, Hongdae" in offered.reply  # a store nearby that delivers
    assert staged.staged is not None
    assert staged.staged["action"]["store_id"] == HEUKDANG
    assert staged.staged["action"]["fulfilment"] == "pickup"


# --- choosing, correcting, confirming ------------------------------------------------------


def test_that_several_matching_dishes_are_listed_and_one_is_picked_by_its_place(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = a_customer(b.shop)
    listed, staged = b.chat(customer.email, "I'd like a milk tea, large, at 5pm", "the second one")
    assert listed.staged is None
    lines = [line for line in listed.reply.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(lines) == 3 and all("$" in line for line in lines)
    second = lines[1].split(". ", 1)[1].split(" — ")[0]
    assert staged.staged is not None and second in staged.reply
    args = staged.staged["action"]
    assert args["lines"][0]["options"] == {"size": "large"}  # said before the dish was chosen
    assert datetime.fromisoformat(args["slot_start"]) == at(17)


def test_that_corrections_after_the_summary_restage_it_and_only_the_last_is_placed(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = a_customer(b.shop)
    before = local_orders(b.shop)
    results = b.chat(
        customer.email,
        "Can I get a jasmine green tea with pearls, less ice, at 6pm?",
        "make it 2",
        "no ice instead",
        "actually 4pm",
        "yes",
    )
    first, two, no_ice, four, done = results
    assert all(r.staged is not None for r in (first, two, no_ice, four))
    assert two.staged is not None and two.staged["action"]["lines"][0]["quantity"] == 2
    assert no_ice.staged is not None
    assert no_ice.staged["action"]["lines"][0]["options"]["ice"] == "none"
    assert "No ice" in no_ice.reply
    assert four.staged is not None
    assert datetime.fromisoformat(four.staged["action"]["slot_start"]) == at(16)
    assert local_orders(b.shop) == before + 1  # nothing before the yes, one after
    order = placed(b.shop, customer, done)
    assert order.slot_start == at(16) and len(order.items) == 2
    assert order.items[0].options["ice"] == "none"
    assert order.items[0].options["toppings"] == ["pearls"]


def test_that_no_order_is_placed_without_a_yes(bench: Callable[..., Bench]) -> None:
    b = bench()
    customer = a_customer(b.shop)
    before = local_orders(b.shop)
    staged, declined = b.chat(customer.email, "一杯大杯少冰半糖的香芋奶茶，下午三点", "不用了")
    assert staged.staged is not None and declined.staged is None
    assert local_orders(b.shop) == before


def test_that_the_campaign_subsidy_shown_is_the_stores_own(bench: Callable[..., Bench]) -> None:
    b = bench()
    customer = a_customer(b.shop)
    quote = b.shop.local.quote(
        customer.id,
        CLOUD_PEARL,
        [MenuLine(menu_item_id="cp-taro-milk-tea", options={"size": "large"})],
    )
    assert quote.campaign_id == "boba-week" and quote.subsidy.amount > 0
    staged, done = b.chat(customer.email, "large taro milk tea at 3pm", "yes")
    assert f"-{quote.subsidy.display()}" in staged.reply
    assert f"{quote.total.display()}" in staged.reply
    assert "Bubble Tea Week" in staged.reply
    order = placed(b.shop, customer, done)
    assert order.campaign_id == "boba-week" and order.subsidy == quote.subsidy
    assert order.total == quote.total


def test_that_a_named_payment_method_is_used(bench: Callable[..., Bench]) -> None:
    b = bench()
    customer = next(
        c
        for c in (a_customer(b.shop, i) for i in range(10))
        if any(m.source == "gift_card" for m in c.payment_methods)
    )
    gift = next(m for m in customer.payment_methods if m.source == "gift_card")
    (staged,) = b.chat(customer.email, "a classic milk tea at 4pm, I'll pay with my gift card")
    assert staged.staged is not None
    assert staged.staged["action"]["payment_method_id"] == gift.id
    assert "gift card" in staged.reply


def test_that_a_required_option_without_a_default_is_asked_for_with_its_choices(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    b.shop.local.put_store(
        LocalStoreInput(
            id="pour-over",
            name={"en": "Pour Over Coffee Bar", "zh": "手冲咖啡吧", "ko": "푸어오버 커피바"},
            kind="coffee",
            city="Seoul",
            area="Hongdae",
            address="1 Coffee-ro",
            timezone="Asia/Seoul",
            opening_hours={"fri": [("08:00", "20:00")]},
            capacity_per_slot=4,
            option_groups=[
                OptionGroupInput(
                    code="beans",
                    name={"en": "Beans", "zh": "咖啡豆", "ko": "원두"},
                    choices=[
                        OptionChoiceInput(
                            code="ethiopia",
                            name={"en": "Ethiopia", "zh": "埃塞俄比亚", "ko": "에티오피아"},
                        ),
                        OptionChoiceInput(
                            code="colombia",
                            name={"en": "Colombia", "zh": "哥伦比亚", "ko": "콜롬비아"},
                            price_delta=50,
                        ),
                    ],
                )
            ],
            menu=[
                MenuItemInput(
                    id="po-filter",
                    name={"en": "Filter Coffee", "zh": "手冲咖啡", "ko": "핸드드립 커피"},
                    price=500,
                    option_groups=["beans"],
                )
            ],
        )
    )
    customer = a_customer(b.shop)
    asked, staged = b.chat(customer.email, "a filter coffee at 3pm please", "colombia")
    assert asked.staged is None
    assert (
        "Beans" in asked.reply and "Ethiopia" in asked.reply and "Colombia (+$0.50)" in asked.reply
    )
    assert staged.staged is not None
    assert staged.staged["action"]["lines"][0]["options"] == {"beans": "colombia"}
    assert "$5.50" in staged.reply


def test_that_a_choice_the_dish_does_not_have_is_told_and_left_out(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = a_customer(b.shop)
    (staged,) = b.chat(customer.email, "黑糖珍珠鲜奶，大杯半糖，下午四点自取")
    assert "不能选甜度" in staged.reply
    assert staged.staged is not None
    assert staged.staged["action"]["lines"] == [
        {"menu_item_id": "hd-brown-sugar-boba-milk", "quantity": 1, "options": {"size": "large"}}
    ]


def test_that_a_guest_is_verified_first_and_the_order_goes_on_without_repeating_it(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = a_customer(b.shop)
    asked, staged = b.chat(None, "a taro milk tea at 3pm please", customer.email)
    assert asked.staged is None and "email" in asked.reply
    assert staged.staged is not None
    assert staged.staged["action"]["lines"][0]["menu_item_id"] == "cp-taro-milk-tea"
    assert datetime.fromisoformat(staged.staged["action"]["slot_start"]) == at(15)

"""Local stores: menus with options, opening hours, and slots that are never over-accepted."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import START, Clock, usd
from shopkeep.store import Store
from shopkeep.store.errors import (
    InvalidOption,
    InvalidRequest,
    MenuItemNotFound,
    OrderNotCancellable,
    SlotFull,
    StoreClosed,
)
from shopkeep.store.local import MenuLine
from shopkeep.store.views import OrderView

SEOUL = ZoneInfo("Asia/Seoul")
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=SEOUL)


def tea(
    store: Store,
    quantity: int = 1,
    *,
    shop: str = "tea-a",
    at: datetime = NOON,
    key: str = "t",
    customer: str = "alice_1",
    **options: str | list[str],
) -> OrderView:
    return store.local.place_order(
        customer,
        shop,
        [MenuLine(menu_item_id=f"{shop}-milk-tea", quantity=quantity, options=options)],
        slot_start=at,
        payment_method_id=f"card_{customer}",
        idempotency_key=f"{customer}-{key}",
    )


def test_that_options_set_the_price_and_defaults_fill_what_is_not_said(store: Store) -> None:
    quote = store.local.quote(
        "alice_1",
        "tea-a",
        [
            MenuLine(
                menu_item_id="tea-a-milk-tea",
                quantity=2,
                options={"size": "l", "toppings": ["pearls", "jelly"]},
            )
        ],
    )
    line = quote.lines[0]
    assert line.unit_price == usd("6.00")  # 4.50 + 0.50 large + 0.60 pearls + 0.40 jelly
    assert line.options == {"size": "l", "ice": "regular", "toppings": ["pearls", "jelly"]}
    assert quote.subtotal == usd("12.00")


def test_that_a_missing_or_unknown_option_is_refused_with_the_choices(store: Store) -> None:
    with pytest.raises(InvalidOption) as missing:
        store.local.quote("alice_1", "tea-a", [MenuLine(menu_item_id="tea-a-milk-tea")])
    assert missing.value.details["group"] == "size" and missing.value.details["allowed"] == [
        "m",
        "l",
    ]
    with pytest.raises(InvalidOption):
        store.local.quote(
            "alice_1", "tea-a", [MenuLine(menu_item_id="tea-a-milk-tea", options={"size": "xl"})]
        )
    with pytest.raises(InvalidOption):
        store.local.quote(
            "alice_1",
            "tea-a",
            [MenuLine(menu_item_id="tea-a-milk-tea", options={"size": "m", "sugar": "0"})],
        )
    with pytest.raises(MenuItemNotFound):
        store.local.quote(
            "alice_1", "tea-a", [MenuLine(menu_item_id="tea-b-milk-tea", options={"size": "m"})]
        )


def test_that_a_running_campaign_subsidises_local_orders(store: Store) -> None:
    order = tea(store, 2, size="m")
    assert order.subsidy == usd("2.00")
    assert order.total == usd("7.00")
    assert store.promotions.campaign("tea-rush").spent == usd("2.00")


def test_that_a_full_slot_is_refused_with_the_next_slots_and_other_stores(store: Store) -> None:
    tea(store, 3, size="m", key="a")
    with pytest.raises(SlotFull) as error:
        tea(store, 2, size="m", key="b")
    details = error.value.details
    assert details["free"] == 1 and details["requested"] == 2
    alternatives = details["alternatives"]
    assert alternatives[0] == {
        "store_id": "tea-a",
        "slot": (NOON + timedelta(minutes=15)).isoformat(),
        "free": 4,
    }
    assert [a["store_id"] for a in alternatives[3:]] == ["tea-b", "tea-c"]  # same area first
    assert all(a["slot"] == NOON.isoformat() for a in alternatives[3:])
    assert store.local.slots("tea-a", start=NOON, need=1, count=1)[0].booked == 3


def test_that_a_closed_store_is_refused_with_its_next_open_slots(store: Store) -> None:
    late = datetime(
        2026, 11, 20, 21, 50, tzinfo=SEOUL
    )  # the 21:45 slot ends at 22:00; this one would not
    with pytest.raises(InvalidRequest):
        tea(store, size="m", at=late)  # not on a slot boundary
    with pytest.raises(StoreClosed) as error:
        tea(store, size="m", at=late.replace(minute=0, hour=22))
    first = error.value.details["alternatives"][0]
    assert first["slot"] == datetime(2026, 11, 21, 10, 0, tzinfo=SEOUL).isoformat()


def test_that_a_past_slot_is_refused(store: Store, clock: Clock) -> None:
    clock.now = START + timedelta(hours=5)  # 15:00 in Seoul
    with pytest.raises(InvalidRequest) as error:
        tea(store, size="m")
    assert "already started" in error.value.message


def test_that_cancelling_a_local_order_frees_its_slot_and_subsidy(store: Store) -> None:
    order = tea(store, 4, size="m")
    assert store.local.slots("tea-a", start=NOON, count=1)[0].starts_at != NOON
    store.orders.cancel("alice_1", order.id, "no longer needed")
    assert store.local.slots("tea-a", start=NOON, count=1)[0].booked == 0
    assert store.promotions.campaign("tea-rush").spent == usd("0.00")
    again = tea(store, 1, size="m", key="again")
    store.fulfilment.ship(again.id)
    with pytest.raises(OrderNotCancellable):
        store.orders.cancel("alice_1", again.id, "no longer needed")


def test_that_a_delivery_needs_an_address(store: Store) -> None:
    with pytest.raises(InvalidRequest):
        store.local.place_order(
            "alice_1",
            "tea-a",
            [MenuLine(menu_item_id="tea-a-milk-tea", options={"size": "m"})],
            slot_start=NOON,
            payment_method_id="card_alice_1",
            idempotency_key="d",
            fulfilment="delivery",
        )

"""Local stores: menus with options, opening hours, and slots that are never over-accepted."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from store_seed import START, Clock, usd

from shopkeep.store import Store
from shopkeep.store.errors import (
    InvalidOption,
    InvalidRequest,
    MenuItemNotFound,
    OrderNotCancellable,
    SlotFull,
    StoreClosed,
)
from shopkeep.store.local import (
    LocalStoreInput,
    MenuItemInput,
    MenuLine,
    OptionChoiceInput,
    OptionGroupInput,
)
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


def test_that_a_local_order_cannot_be_cancelled_once_its_slot_has_started(
    store: Store, clock: Clock
) -> None:
    order = tea(store, size="m")
    clock.now = NOON.astimezone(START.tzinfo) + timedelta(minutes=1)
    with pytest.raises(OrderNotCancellable):
        store.orders.cancel("alice_1", order.id, "no longer needed")


def test_that_a_store_can_be_replaced_and_its_future_slots_follow_the_new_capacity(
    store: Store,
) -> None:
    tea(store, 3, size="m")
    current = store.local.store("tea-a")
    replaced = store.local.put_store(
        LocalStoreInput(
            id="tea-a",
            name={"en": "Tea A+"},
            kind="bubble_tea",
            city="Seoul",
            area="Gangnam",
            address="1 Tea Rd",
            timezone="Asia/Seoul",
            opening_hours=current.opening_hours,  # type: ignore[arg-type]
            capacity_per_slot=6,
            option_groups=[
                OptionGroupInput(
                    code="size",
                    name={"en": "Size"},
                    choices=[OptionChoiceInput(code="m", name={"en": "M"})],
                )
            ],
            menu=[
                MenuItemInput(
                    id="tea-a-green-tea",
                    name={"en": "Green Tea"},
                    price=400,
                    option_groups=["size"],
                )
            ],
        )
    )
    assert replaced.name == {"en": "Tea A+"}
    assert [m.id for m in store.local.menu("tea-a")] == ["tea-a-green-tea"]
    slot = store.local.slots("tea-a", start=NOON, count=1)[0]
    assert (slot.starts_at, slot.capacity, slot.booked) == (NOON, 6, 3)


def test_that_bad_store_data_is_refused_with_a_clear_error(store: Store) -> None:
    base = LocalStoreInput(
        id="tea-z",
        name={"en": "Z"},
        kind="bubble_tea",
        city="Seoul",
        area="Mapo",
        address="x",
        timezone="Mars/Base",
        opening_hours={"mon": [("10:00", "20:00")]},
        capacity_per_slot=3,
    )
    with pytest.raises(InvalidRequest) as zone:
        store.local.put_store(base)
    assert "Mars/Base" in zone.value.message
    with pytest.raises(InvalidRequest):
        store.local.put_store(
            base.model_copy(
                update={"timezone": "UTC", "opening_hours": {"mon": [("20:00", "10:00")]}}
            )
        )
    with pytest.raises(InvalidRequest):
        store.local.slots("tea-a", start=datetime(2026, 11, 20, 12, 0))
    assert [s.id for s in store.local.stores()] == ["tea-a", "tea-b", "tea-c"]


def test_that_the_menus_read_again_show_changes_made_by_another_process(store: Store) -> None:
    from shopkeep.store.models import MenuItem

    menus = store.local.menus()
    store_id, items = next((sid, items) for sid, items in menus.items() if items)
    assert store.local.menus() == menus
    other = Store(store.db, policy=store.ctx.policy)  # another worker on the same database
    with other.db.transaction() as s:  # the merchant takes a dish off the menu
        item = s.get(MenuItem, items[0].id)
        assert item is not None
        item.available = False
    changed = store.local.menus()[store_id]
    assert next(i for i in changed if i.id == items[0].id).available is False

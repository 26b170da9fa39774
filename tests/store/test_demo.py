"""The demo shop (`shopkeep db seed demo`): what it holds, that it is the same every time, and
that it never touches a database that already holds a shop."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopkeep.store import Database, Money, Store
from shopkeep.store.customers import CustomerInput
from shopkeep.store.demo import seed_demo
from shopkeep.store.demo_catalog import INJECTED_DESCRIPTION, INJECTED_REVIEW
from shopkeep.store.errors import InvalidRequest, SlotFull
from shopkeep.store.local import MenuLine
from shopkeep.store.models import (
    Campaign,
    Coupon,
    Customer,
    LocalStore,
    Order,
    OrderStatus,
    PaymentMethod,
    Product,
    Review,
    Slot,
)

NOW = datetime(2026, 3, 10, 5, 30, tzinfo=UTC)  # a Tuesday, 14:30 in Seoul
LANGUAGES = {"en", "zh", "ko"}


class Seeded:
    def __init__(self, db: Database, counts: dict[str, int], progress: list[tuple[str, int, int]]):
        self.db = db
        self.counts = counts
        self.progress = progress
        self.store = Store(db, clock=lambda: NOW)


@pytest.fixture(scope="module")
def demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """One demo shop on SQLite, seeded once for the module's read-only checks."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    progress: list[tuple[str, int, int]] = []
    counts = seed_demo(db, now=NOW, progress=lambda *step: progress.append(step))
    yield Seeded(db, counts, progress)
    db.dispose()


def count(s: Session, model: type[Any]) -> int:
    return s.scalar(select(func.count()).select_from(model)) or 0


def orders(demo: Seeded) -> list[Order]:
    with demo.db.reading() as s:
        rows = list(s.scalars(select(Order).order_by(Order.position)))
        for o in rows:  # load what the checks read, while the session is open
            _ = (o.items, o.transactions, o.shipments, o.events, o.return_request)
            _ = o.exchange_request
        return rows


# --- what the shop holds --------------------------------------------------------------------


def test_that_the_demo_shop_has_at_least_fifty_customers_speaking_three_languages(
    demo: Seeded,
) -> None:
    customers = demo.store.customers.page(limit=500)
    assert len(customers) >= 50
    assert Counter(c.locale for c in customers).keys() == LANGUAGES
    assert all(re.fullmatch(r"[a-z]+_[a-z]+_\d{4}", c.id) for c in customers)
    assert len({c.email.lower() for c in customers}) == len(customers)


def test_that_every_customer_has_a_profile_addresses_and_a_way_to_pay(demo: Seeded) -> None:
    customers = demo.store.customers.page(limit=500)
    for c in customers:
        assert {"skin_type", "sizes", "budget", "favorite_colors", "dietary"} <= c.profile.keys()
        assert 1 <= len(c.addresses) <= 2
        assert c.addresses[0].is_default and not any(a.is_default for a in c.addresses[1:])
        assert any(m.source in ("credit_card", "wallet", "paypal") for m in c.payment_methods)
    methods = [m for c in customers for m in c.payment_methods]
    assert {m.source for m in methods} == {"credit_card", "gift_card", "paypal", "wallet"}
    assert {m.brand for m in methods if m.source == "wallet"} == {"alipay", "kakaopay"}
    assert all(m.balance is not None for m in methods if m.source == "gift_card")


def test_that_exactly_one_customer_has_a_card_the_sandbox_declines(demo: Seeded) -> None:
    with demo.db.reading() as s:
        owners = set(
            s.scalars(
                select(PaymentMethod.customer_id).where(PaymentMethod.token.contains("decline"))
            )
        )
    assert len(owners) == 1


def test_that_the_catalog_has_four_retail_categories_of_ten_products(demo: Seeded) -> None:
    categories = demo.store.catalog.categories()
    assert set(categories) == {"beauty", "electronics", "apparel", "home"}
    assert all(n >= 10 for n in categories.values())


def test_that_every_product_and_menu_item_is_named_in_english_chinese_and_korean(
    demo: Seeded,
) -> None:
    with demo.db.reading() as s:
        for product in s.scalars(select(Product)):
            assert set(product.name) == LANGUAGES, product.id
            assert set(product.description) == LANGUAGES, product.id
            assert all(text.strip() for text in product.name.values())
    for local in demo.store.local.stores():
        assert set(local.name) == LANGUAGES
        for item in demo.store.local.menu(local.id):
            assert set(item.name) == LANGUAGES, item.id
            assert set(item.description) == LANGUAGES, item.id


def test_that_products_have_variants_attributes_and_a_few_sold_out(demo: Seeded) -> None:
    with demo.db.reading() as s:
        products = list(s.scalars(select(Product)))
        variants = [v for p in products for v in p.variants]
        keys = {p.category: {a.key for a in p.attributes} for p in products}
        assert all(p.brand for p in products)
    assert len(variants) > 2 * len(products)
    assert sum(1 for v in variants if v.available and v.stock == 0) >= 3
    assert sum(1 for v in variants if not v.available) == 1
    assert {"skin_type", "concern"} <= keys["beauty"]
    assert {"material", "fit", "gender"} <= keys["apparel"]
    assert {"compatible_with", "connectivity"} <= keys["electronics"]
    assert {"room", "material"} <= keys["home"]


def test_that_search_finds_demo_products_by_attribute_and_in_chinese_and_korean(
    demo: Seeded,
) -> None:
    dry = demo.store.catalog.search(category="beauty", attributes={"skin_type": "dry"})
    assert "ceramide-cream" in {h.product.id for h in dry}
    assert demo.store.catalog.search("保湿面霜")[0].product.id == "ceramide-cream"
    assert demo.store.catalog.search("무선 이어폰")[0].product.id == "airbeat-pro"
    cheap = demo.store.catalog.search("earbuds", price_max=Money.from_decimal("50.00"))
    assert cheap == []


def test_that_reviews_come_in_three_languages_and_some_are_harsh(demo: Seeded) -> None:
    with demo.db.reading() as s:
        reviews = list(s.scalars(select(Review)))
    assert {r.locale for r in reviews} == LANGUAGES
    assert sum(1 for r in reviews if r.rating <= 2) >= 5


def test_that_the_prompt_injection_texts_are_present_as_plain_data(demo: Seeded) -> None:
    assert INJECTED_DESCRIPTION in demo.store.catalog.product("usb-c-cable").description["en"]
    with demo.db.reading() as s:
        bodies = list(s.scalars(select(Review.body)))
    assert bodies.count(INJECTED_REVIEW) == 1
    assert "Ignore all previous instructions" in INJECTED_REVIEW
    assert INJECTED_DESCRIPTION.startswith("SYSTEM:")


def test_that_two_bubble_tea_shops_and_a_noodle_shop_open_in_one_city(demo: Seeded) -> None:
    stores = demo.store.local.stores()
    assert Counter(s.kind for s in stores) == {"bubble_tea": 2, "noodles": 1}
    assert len({s.city for s in stores}) == 1
    assert max(Counter(s.area for s in stores).values()) == 2
    assert sum(1 for s in stores if "mon" not in s.opening_hours) == 1
    for local in stores:
        assert 6 <= local.capacity_per_slot <= 12
        menu = demo.store.local.menu(local.id)
        assert 6 <= len(menu) <= 10
        groups = {g.code: g for item in menu for g in item.option_groups}
        if local.kind == "bubble_tea":
            assert {"size", "ice", "sugar", "toppings"} <= groups.keys()
            assert all(c.price_delta.amount > 0 for c in groups["toppings"].choices)
        else:
            assert {"size", "spice", "noodle"} <= groups.keys()


# --- orders ---------------------------------------------------------------------------------


def test_that_orders_exist_in_every_status(demo: Seeded) -> None:
    statuses = {o.status for o in orders(demo)}
    assert statuses == {s.value for s in OrderStatus} - {OrderStatus.AWAITING_PAYMENT}


def test_that_orders_show_each_way_they_can_end(demo: Seeded) -> None:
    everything = orders(demo)
    cancelled = [o for o in everything if o.status == OrderStatus.CANCELLED]
    assert {o.cancel_reason for o in cancelled} == {"no longer needed", "ordered by mistake"}
    completed = [o for o in everything if o.status == OrderStatus.COMPLETED]
    assert any(o.return_request and o.return_request.status == "refunded" for o in completed)
    assert any(o.exchange_request and o.exchange_request.status == "completed" for o in completed)
    assert any(not (o.return_request or o.exchange_request) for o in completed)
    processed = [o for o in everything if o.status == OrderStatus.PROCESSED and o.kind == "retail"]
    assert processed and all(o.shipments and o.shipments[0].tracking_ids for o in processed)
    local = Counter(o.status for o in everything if o.kind == "local")
    assert local[OrderStatus.PENDING] >= 1 and local[OrderStatus.COMPLETED] >= 1


def test_that_some_orders_used_gift_cards_coupons_and_subsidies(demo: Seeded) -> None:
    everything = orders(demo)
    with demo.db.reading() as s:
        gift_cards = set(
            s.scalars(select(PaymentMethod.id).where(PaymentMethod.source == "gift_card"))
        )
    assert sum(1 for o in everything if o.payment_method_id in gift_cards) >= 3
    assert len({o.coupon_code for o in everything if o.coupon_code}) >= 3
    assert {o.campaign_id for o in everything if o.campaign_id} == {"boba-week", "glow-season"}
    changed = [o for o in everything if len(o.transactions) > 1 and o.status == "pending"]
    assert changed  # a payment method changed on a pending order


def test_that_some_customers_have_a_history_of_several_orders(demo: Seeded) -> None:
    per_customer = Counter(o.customer_id for o in orders(demo))
    assert sum(1 for n in per_customer.values() if n >= 4) >= 5


def test_that_orders_span_two_months_and_delivered_ones_can_still_be_returned(
    demo: Seeded,
) -> None:
    everything = orders(demo)
    placed = [o.created_at for o in everything]
    assert NOW - timedelta(days=61) <= min(placed) and max(placed) <= NOW
    delivered = [o for o in everything if o.status == OrderStatus.DELIVERED]
    assert delivered
    assert all(NOW - timedelta(days=20) <= o.delivered_at <= NOW for o in delivered)  # type: ignore[operator]


def test_that_a_rush_has_filled_a_tea_shop_slot_and_a_further_order_is_refused(
    demo: Seeded,
) -> None:
    with demo.db.reading() as s:
        full = s.scalars(
            select(Slot).where(Slot.booked == Slot.capacity, Slot.starts_at > NOW)
        ).first()
        assert full is not None
        customer = s.scalars(
            select(Customer).where(Customer.locale == "ko").order_by(Customer.position)
        ).first()
        assert customer is not None
        wallet = next(m for m in customer.payment_methods if m.source != "gift_card")
    store_id, slot_start = full.store_id, full.starts_at
    item = demo.store.local.menu(store_id)[0]
    with pytest.raises(SlotFull) as refused:
        demo.store.local.place_order(
            customer.id,
            store_id,
            [MenuLine(menu_item_id=item.id)],
            slot_start=slot_start,
            payment_method_id=wallet.id,
            idempotency_key="test-rush",
        )
    assert any(a["store_id"] != store_id for a in refused.value.details["alternatives"])


def test_that_coupons_and_campaigns_are_running_at_seed_time(demo: Seeded) -> None:
    running = {c.code for c in demo.store.promotions.coupons()}
    assert {"WELCOME10", "SAVE5", "BOBA1", "VIP15"} <= running
    everything = {c.code: c for c in demo.store.promotions.coupons(running_only=False)}
    assert "SPRING20" not in running and everything["SPRING20"].valid_until < NOW  # type: ignore[operator]
    campaigns = demo.store.promotions.campaigns()
    assert {c.id for c in campaigns} == {"boba-week", "glow-season"}
    for c in campaigns:
        assert 0 < c.spent.amount < c.budget.amount
        assert c.ends_at is not None and c.ends_at > NOW + timedelta(days=7)
    tea = next(c for c in campaigns if c.applies_to == "local")
    assert len(tea.store_ids) == 2
    with demo.db.reading() as s:
        vip = s.get(Coupon, "VIP15")
        assert vip is not None and vip.total_limit is not None
        assert vip.redeemed_count <= vip.total_limit


def test_that_seeding_reports_progress_and_counts_what_it_made(demo: Seeded) -> None:
    sections = {section for section, _, _ in demo.progress}
    assert {"products", "reviews", "customers", "order history"} <= sections
    last = {section: (done, total) for section, done, total in demo.progress}
    assert all(done == total for done, total in last.values())
    with demo.db.reading() as s:
        assert demo.counts["products"] == count(s, Product)
        assert demo.counts["customers"] == count(s, Customer)
        assert demo.counts["local_stores"] == count(s, LocalStore)
        assert demo.counts["orders"] + demo.counts["local_orders"] == count(s, Order)
        assert demo.counts["coupons"] == count(s, Coupon)
        assert demo.counts["campaigns"] == count(s, Campaign)


# --- the same every time --------------------------------------------------------------------


def since(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else (moment - now).total_seconds()


def canonical_dump(db: Database, now: datetime, *, slot_times: bool = True) -> dict[str, Any]:
    """The shop's content with times relative to `now`; `slot_times=False` leaves out when
    local orders happen, which follows the stores' opening hours on the day."""
    with db.reading() as s:
        products = [
            {
                "id": p.id,
                "category": p.category,
                "brand": p.brand,
                "name": p.name,
                "description": p.description,
                "attributes": sorted((a.key, a.value) for a in p.attributes),
                "variants": [
                    (v.id, v.options, v.price_minor, v.stock, v.available) for v in p.variants
                ],
                "reviews": [
                    (r.author, r.rating, r.locale, r.body, since(r.created_at, now))
                    for r in p.reviews
                ],
            }
            for p in s.scalars(select(Product).order_by(Product.position))
        ]
        customers = [
            {
                "id": c.id,
                "name": (c.first_name, c.last_name),
                "email": c.email,
                "phone": c.phone,
                "locale": c.locale,
                "profile": c.profile,
                "since": since(c.created_at, now),
                "addresses": [
                    (a.is_default, a.address1, a.address2, a.city, a.state, a.country, a.zip)
                    for a in c.addresses
                ],
                "methods": [
                    (m.id, m.source, m.brand, m.last_four, m.token, m.balance_minor)
                    for m in c.payment_methods
                ],
            }
            for c in s.scalars(select(Customer).order_by(Customer.position))
        ]
        orders = []
        for o in s.scalars(select(Order).order_by(Order.position)):
            timed = slot_times or o.kind == "retail"
            orders.append(
                {
                    "id": o.id,
                    "kind": o.kind,
                    "customer": o.customer_id,
                    "status": o.status,
                    "money": (
                        o.subtotal_minor,
                        o.discount_minor,
                        o.subsidy_minor,
                        o.shipping_minor,
                        o.total_minor,
                    ),
                    "promotions": (o.coupon_code, o.campaign_id),
                    "payment": o.payment_method_id,
                    "cancel_reason": o.cancel_reason,
                    "address": (o.address1, o.address2, o.city, o.zip),
                    "store": (o.local_store_id, o.fulfilment),
                    "times": (
                        since(o.created_at, now),
                        since(o.delivered_at, now),
                        since(o.slot_start, now),
                    )
                    if timed
                    else None,
                    "items": [
                        (
                            i.variant_id,
                            i.menu_item_id,
                            i.options,
                            i.unit_price_minor,
                            i.discount_minor,
                        )
                        for i in o.items
                    ],
                    "transactions": [
                        (t.kind, t.amount_minor, t.payment_method_id, t.status, t.reason)
                        for t in o.transactions
                    ],
                    "shipments": [(sh.carrier, sh.tracking_ids) for sh in o.shipments],
                    "events": [
                        (e.from_status, e.to_status, e.note, since(e.at, now) if timed else None)
                        for e in o.events
                    ],
                    "return": (o.return_request.item_ids, o.return_request.refund_minor)
                    if o.return_request
                    else None,
                    "exchange": (o.exchange_request.item_ids, o.exchange_request.new_item_ids)
                    if o.exchange_request
                    else None,
                }
            )
        coupons = [
            (c.code, c.redeemed_count) for c in s.scalars(select(Coupon).order_by(Coupon.code))
        ]
        campaigns = [
            (c.id, c.spent_minor, c.budget_minor)
            for c in s.scalars(select(Campaign).order_by(Campaign.id))
        ]
        slots = sorted(
            (sl.store_id, since(sl.starts_at, now) if slot_times else None, sl.booked)
            for sl in s.scalars(select(Slot))
        )
        stores = [
            (st.id, st.name, [(m.id, m.name, m.price_minor) for m in st.menu])
            for st in s.scalars(select(LocalStore).order_by(LocalStore.id))
        ]
    return {
        "products": products,
        "customers": customers,
        "orders": orders,
        "coupons": coupons,
        "campaigns": campaigns,
        "slots": slots if slot_times else booked_per_store(slots),
        "stores": stores,
    }


def booked_per_store(slots: list[tuple[str, float | None, int]]) -> dict[str, int]:
    """Which orders share a slot depends on the hour the shop is seeded; the totals do not."""
    totals: Counter[str] = Counter()
    for store_id, _, booked in slots:
        totals[store_id] += booked
    return dict(totals)


def test_that_the_same_seed_on_another_day_gives_the_same_shop(
    demo: Seeded, sqlite_db: Database
) -> None:
    later = NOW + timedelta(days=3, hours=7, minutes=12)
    seed_demo(sqlite_db, now=later)
    expected = canonical_dump(demo.db, NOW, slot_times=False)
    assert canonical_dump(sqlite_db, later, slot_times=False) == expected


@pytest.mark.postgres
def test_that_the_same_seed_gives_the_same_shop_on_postgresql(
    demo: Seeded, postgres_db: Database
) -> None:
    seed_demo(postgres_db, now=NOW)
    assert canonical_dump(postgres_db, NOW) == canonical_dump(demo.db, NOW)


def test_that_another_seed_gives_other_customers() -> None:
    import random

    from shopkeep.store.demo_people import make_customers

    first = [c.id for c in make_customers(random.Random(1))]
    assert first == [c.id for c in make_customers(random.Random(1))]
    assert first != [c.id for c in make_customers(random.Random(2))]


# --- refusals -------------------------------------------------------------------------------


def test_that_seeding_a_shop_that_holds_data_is_refused_and_changes_nothing(db: Database) -> None:
    store = Store(db, clock=lambda: NOW)
    store.customers.add(
        CustomerInput(id="owner_1", first_name="Ada", last_name="Lee", email="ada@example.com")
    )
    with pytest.raises(InvalidRequest) as refused:
        seed_demo(db, now=NOW)
    assert refused.value.details["customers"] == 1
    with db.reading() as s:
        assert count(s, Customer) == 1
        assert count(s, Product) == count(s, Order) == count(s, Coupon) == 0
        assert count(s, LocalStore) == count(s, Campaign) == 0


def test_that_seeding_a_database_without_tables_is_refused(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'bare.sqlite3'}")
    try:
        with pytest.raises(InvalidRequest):
            seed_demo(db, now=NOW)
    finally:
        db.dispose()


def test_that_a_moment_without_a_time_zone_is_refused(sqlite_db: Database) -> None:
    with pytest.raises(InvalidRequest):
        seed_demo(sqlite_db, now=datetime(2026, 3, 10, 5, 30))
    with sqlite_db.reading() as s:
        assert count(s, Coupon) == count(s, Product) == 0

"""The demo shop behind `shopkeep db seed demo`: a deterministic store built through the store's
own services — catalog, local stores, promotions, customers, and orders in every state.

Everything is drawn from one seeded `random.Random` (also the store's source of order ids) and
timed relative to `now`, so the same seed gives the same ids, amounts, states and relative
times on every run and every database. Orders are planned first, then played in time order on a
clock the seeder moves, so each order's history (placed, shipped, delivered, returned...) reads
as it would have happened, and delivered orders are still inside the return window.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from shopkeep.store.catalog import ProductInput, VariantInput
from shopkeep.store.checkout import LineRequest
from shopkeep.store.context import utcnow
from shopkeep.store.customers import CustomerInput, PaymentMethodInput
from shopkeep.store.db import Database
from shopkeep.store.demo_catalog import PRODUCTS, REVIEWS, t
from shopkeep.store.demo_local import (
    AVOIDS,
    CONTAINS,
    LOCAL_STORES,
    NOODLE_STORE_ID,
    TEA_STORE_IDS,
)
from shopkeep.store.demo_people import PERSONAS, Persona, address, make_customers
from shopkeep.store.errors import InvalidRequest
from shopkeep.store.local import LocalStoreInput, MenuItemInput, MenuLine
from shopkeep.store.models import Customer, LocalStore, Order, PaymentSource, Product, StoreMeta
from shopkeep.store.promotions import CampaignInput, CouponInput
from shopkeep.store.shop import Store
from shopkeep.store.views import AddressInput

Progress = Callable[[str, int, int], None]

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass
class DemoClock:
    """The store's clock while seeding: the seeder sets it to each event's moment in turn."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


def refuse_unless_empty(db: Database) -> None:
    """The demo fills an empty shop only; it never mixes with, or overwrites, real data."""
    if not db.is_initialised():
        raise InvalidRequest("The database has no tables yet; run `shopkeep db init` first.")
    with db.reading() as s:
        held = {
            kind: s.scalar(select(func.count()).select_from(model)) or 0
            for kind, model in (
                ("products", Product),
                ("customers", Customer),
                ("orders", Order),
                ("local stores", LocalStore),
            )
        }
    if any(held.values()):
        shown = ", ".join(f"{n} {kind}" for kind, n in held.items() if n)
        raise InvalidRequest(
            f"The demo shop is seeded into an empty database only; this one holds {shown}.",
            **{kind.replace(" ", "_"): n for kind, n in held.items()},
        )


# --- promotions -----------------------------------------------------------------------------


def coupons(now: datetime) -> list[CouponInput]:
    return [
        CouponInput(
            code="WELCOME10",
            kind="percent",
            value=10,
            min_spend=3000,
            max_discount=2000,
            per_customer_limit=1,
            valid_from=now - 180 * DAY,
            title=t(
                "10% off your first order over $30 (up to $20)",
                "新客首单满 30 美元享 9 折（最高减 20 美元）",
                "첫 주문 30달러 이상 10% 할인 (최대 20달러)",
            ),
        ),
        CouponInput(
            code="SAVE5",
            kind="amount",
            value=500,
            min_spend=4000,
            per_customer_limit=3,
            applies_to="retail",
            valid_from=now - 90 * DAY,
            valid_until=now + 60 * DAY,
            title=t(
                "$5 off orders over $40",
                "满 40 美元减 5 美元",
                "40달러 이상 주문 시 5달러 할인",
            ),
        ),
        CouponInput(
            code="BOBA1",
            kind="amount",
            value=100,
            min_spend=800,
            per_customer_limit=3,
            applies_to="local",
            valid_from=now - 30 * DAY,
            valid_until=now + 30 * DAY,
            title=t(
                "$1 off food and drink orders over $8",
                "餐饮订单满 8 美元减 1 美元",
                "음식·음료 주문 8달러 이상 1달러 할인",
            ),
        ),
        CouponInput(
            code="SPRING20",
            kind="percent",
            value=20,
            min_spend=5000,
            max_discount=2000,
            per_customer_limit=1,
            applies_to="retail",
            valid_from=now - 75 * DAY,
            valid_until=now - 40 * DAY,
            title=t(
                "Spring sale: 20% off orders over $50 (up to $20)",
                "春季特惠：满 50 美元享 8 折（最高减 20 美元）",
                "봄 세일: 50달러 이상 20% 할인 (최대 20달러)",
            ),
        ),
        CouponInput(
            code="VIP15",
            kind="percent",
            value=15,
            min_spend=8000,
            max_discount=3000,
            per_customer_limit=1,
            total_limit=5,
            applies_to="retail",
            valid_from=now - 20 * DAY,
            valid_until=now + 10 * DAY,
            title=t(
                "15% off orders over $80, for the first 5 customers only",
                "满 80 美元享 85 折，仅限前 5 位顾客",
                "80달러 이상 15% 할인, 선착순 5명 한정",
            ),
        ),
        CouponInput(
            code="HOLIDAY15",
            kind="percent",
            value=15,
            min_spend=6000,
            max_discount=2500,
            per_customer_limit=1,
            valid_from=now + 25 * DAY,
            valid_until=now + 40 * DAY,
            title=t(
                "Holiday preview: 15% off orders over $60",
                "节日预告：满 60 美元享 85 折",
                "홀리데이 미리 보기: 60달러 이상 15% 할인",
            ),
        ),
    ]


def campaigns(now: datetime) -> list[CampaignInput]:
    return [
        CampaignInput(
            id="boba-week",
            name=t(
                "Bubble Tea Week: $1.50 off every order at Cloud Pearl and Heukdang",
                "奶茶周：云珠茶饮、黑糖茶屋每单立减 1.5 美元",
                "버블티 위크: 구름펄 티·흑당다방 주문마다 1.5달러 할인",
            ),
            kind="amount",
            value=150,
            min_spend=500,
            budget=30000,
            applies_to="local",
            store_ids=list(TEA_STORE_IDS),
            starts_at=now - 10 * DAY,
            ends_at=now + 20 * DAY,
        ),
        CampaignInput(
            id="glow-season",
            name=t(
                "Glow Season: 15% off beauty, up to $10 per order",
                "焕亮季：美妆享 85 折，每单最高减 10 美元",
                "글로우 시즌: 뷰티 15% 할인, 주문당 최대 10달러",
            ),
            kind="percent",
            value=15,
            max_subsidy=1000,
            budget=200000,
            applies_to="retail",
            categories=["beauty"],
            starts_at=now - 14 * DAY,
            ends_at=now + 30 * DAY,
        ),
    ]


# --- plans ----------------------------------------------------------------------------------

# Each retail order's fate: the state it ends in, and how it got there.
RETAIL_FATES: list[tuple[str, int]] = [
    ("pending", 12),
    ("items_modified", 5),
    ("address_changed", 3),
    ("payment_changed", 3),
    ("processed", 12),
    ("delivered", 18),
    ("cancelled:no longer needed", 6),
    ("cancelled:ordered by mistake", 5),
    ("return_requested", 6),
    ("exchange_requested", 5),
    ("completed", 34),
    ("completed_return", 6),
    ("completed_exchange", 5),
]
RETURN_REASONS = {
    "beauty": ["does not suit my skin", "arrived damaged", "changed my mind"],
    "apparel": ["does not fit", "not as pictured", "changed my mind"],
    "electronics": ["stopped working", "not compatible with my device", "changed my mind"],
    "home": ["arrived damaged", "not as pictured", "no longer needed"],
}
INTEREST_CATEGORY = {
    "skincare": "beauty",
    "makeup": "beauty",
    "running": "apparel",
    "yoga": "apparel",
    "hiking": "apparel",
    "cooking": "home",
    "coffee": "home",
    "home decor": "home",
    "reading": "electronics",
    "gaming": "electronics",
    "music": "electronics",
    "travel": "electronics",
}
SIZE_KEY = {"stretch-chinos": "bottom", "straight-jeans": "bottom", "stride-lite": "shoe"}


@dataclass
class Shopper:
    """A demo customer as the planner sees them."""

    data: CustomerInput
    persona: Persona

    @property
    def id(self) -> str:
        return self.data.id

    @property
    def profile(self) -> dict[str, Any]:
        return self.data.profile

    def methods(self, *, gift: bool | None = None) -> list[PaymentMethodInput]:
        """Saved methods that pay (never the card the sandbox declines), optionally only gift
        cards (`gift=True`) or only the others (`gift=False`)."""
        usable = [m for m in self.data.payment_methods if "decline" not in (m.token or "")]
        if gift is None:
            return usable
        return [m for m in usable if (m.source == PaymentSource.GIFT_CARD) == gift]

    @property
    def lives_in_seoul(self) -> bool:
        return self.persona.home in ("seoul", "seoul_en")


@dataclass
class Story:
    """One demo order from placement to its final state, as timed steps."""

    shopper: Shopper
    kind: str  # 'retail' or 'local'
    fate: str
    placed_at: datetime
    payment_method_id: str
    steps: list[tuple[datetime, str]] = field(default_factory=list)
    coupon: str | None = None
    order_id: str | None = None
    # retail
    lines: list[tuple[str, int]] = field(default_factory=list)  # (variant id, quantity)
    swap: tuple[str, str] | None = None  # one unit's variant and its replacement
    returned: list[str] = field(default_factory=list)  # variant ids, one per unit
    refund_method_id: str | None = None
    new_payment_method_id: str | None = None
    new_address: AddressInput | None = None
    reason: str | None = None
    # local
    store_id: str | None = None
    menu_lines: list[MenuLine] = field(default_factory=list)
    slot_start: datetime | None = None
    fulfilment: str = "pickup"
    deliver_to: AddressInput | None = None
    key: str = ""

    @property
    def units(self) -> list[str]:
        return [variant for variant, quantity in self.lines for _ in range(quantity)]


VARIANTS: dict[str, tuple[ProductInput, VariantInput]] = {
    v.id: (p, v) for p in PRODUCTS for v in p.variants
}
MENUS: dict[str, LocalStoreInput] = {s.id: s for s in LOCAL_STORES}
# what the noodle house's extras contain, for customers' diets
EXTRA_CONTAINS = {
    "egg": {"egg"},
    "beef": {"beef"},
    "dumplings": {"pork", "wheat"},
    "kimchi": {"fish"},
}
ALNUM = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


SEED_MARKER = "demo_seed"


def seed_demo(
    db: Database,
    *,
    seed: int = 2026,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Fill an empty, migrated database with the demo shop; returns how many of each kind of
    record it made. Refuses (InvalidRequest, nothing written) a database that holds data."""
    if now is not None and now.tzinfo is None:
        raise InvalidRequest("The demo's `now` needs its time zone.", now=now.isoformat())
    moment = (now or utcnow()).astimezone(UTC).replace(microsecond=0)
    refuse_unless_empty(db)
    rng = random.Random(seed)
    clock = DemoClock(moment)
    store = Store(db, clock=clock, rng=rng)
    # The seed is many transactions; the marker tells a finished demo from an interrupted one.
    _mark_seed(db, {"seed": seed, "status": "started"})
    counts = DemoSeeder(store, clock, rng, moment, progress or (lambda _s, _d, _t: None)).run()
    for username, role, password in DEMO_STAFF:
        store.staff.add(
            username,
            password=password,
            role=role,
            display_name=username.title(),
            published=True,
        )
    counts["staff"] = len(DEMO_STAFF)
    from shopkeep.store.knowledge import demo_documents

    knowledge = demo_documents()
    store.knowledge.replace(knowledge)
    counts["knowledge_documents"] = len(knowledge)
    _mark_seed(db, {"seed": seed, "status": "completed"})
    return counts


DEMO_STAFF: tuple[tuple[str, str, str], ...] = (
    ("agent", "agent", "agent-demo"),
    ("manager", "manager", "manager-demo"),
)
"""The demo's console sign-ins (username, role, password): public, like the demo itself."""


def demo_seed_status(db: Database) -> str | None:
    """'completed' or 'started' (interrupted, or still running) for a demo seed; None when the
    database was never seeded with the demo."""
    with db.reading() as s:
        marker = s.get(StoreMeta, SEED_MARKER)
        return None if marker is None else str(marker.value.get("status"))


def _mark_seed(db: Database, value: dict[str, Any]) -> None:
    with db.transaction() as s:
        marker = s.get(StoreMeta, SEED_MARKER) or StoreMeta(key=SEED_MARKER)
        marker.value, marker.updated_at = value, utcnow()
        s.add(marker)


class DemoSeeder:
    """Builds the demo shop through the store's services: the shop first, then the orders,
    planned in full and played in time order."""

    def __init__(
        self, store: Store, clock: DemoClock, rng: random.Random, now: datetime, report: Progress
    ) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng
        self.now = now
        self.report = report
        # what the plan has left, so no planned order runs out of stock or gift-card balance
        self.stock = {v.id: (v.stock or 0) if v.available else 0 for _, v in VARIANTS.values()}
        self.balance: dict[str, int] = {}
        self.stories: list[Story] = []

    def run(self) -> dict[str, int]:
        self.seed_catalog()
        self.seed_local_stores()
        self.seed_promotions()
        shoppers = self.seed_customers()
        self.plan_retail(shoppers)
        self.plan_local(shoppers)
        self.play()
        customers = [s.data for s in shoppers]
        return {
            "products": len(PRODUCTS),
            "variants": len(VARIANTS),
            "reviews": len(REVIEWS),
            "local_stores": len(LOCAL_STORES),
            "menu_items": sum(len(s.menu) for s in LOCAL_STORES),
            "coupons": len(coupons(self.now)),
            "campaigns": len(campaigns(self.now)),
            "customers": len(customers),
            "addresses": sum(len(c.addresses) for c in customers),
            "payment_methods": sum(len(c.payment_methods) for c in customers),
            "orders": sum(1 for s in self.stories if s.kind == "retail"),
            "local_orders": sum(1 for s in self.stories if s.kind == "local"),
        }

    # --- the shop ---------------------------------------------------------------------------

    def seed_catalog(self) -> None:
        self.clock.now = self.now - 200 * DAY
        for i, product in enumerate(PRODUCTS, 1):
            self.store.catalog.put_product(product)
            self.report("products", i, len(PRODUCTS))
        ages = [self.rng.randint(60, 150 * 24 * 60) for _ in REVIEWS]
        timed = sorted(zip(ages, REVIEWS, strict=True), key=lambda pair: -pair[0])
        for i, (minutes, review) in enumerate(timed, 1):
            self.clock.now = self.now - timedelta(minutes=minutes)
            self.store.catalog.add_review(
                review.product_id,
                author=review.author,
                rating=review.rating,
                body=review.body,
                locale=review.locale,
            )
            self.report("reviews", i, len(REVIEWS))

    def seed_local_stores(self) -> None:
        self.clock.now = self.now - 200 * DAY
        for i, local_store in enumerate(LOCAL_STORES, 1):
            self.store.local.put_store(local_store)
            self.report("local stores", i, len(LOCAL_STORES))

    def seed_promotions(self) -> None:
        self.clock.now = self.now - 180 * DAY
        for coupon in coupons(self.now):
            self.store.promotions.put_coupon(coupon)
        for campaign in campaigns(self.now):
            self.store.promotions.put_campaign(campaign)
        self.report("promotions", 1, 1)

    def seed_customers(self) -> list[Shopper]:
        data = make_customers(self.rng)
        ages = sorted((self.rng.randint(90 * 24 * 60, 400 * 24 * 60) for _ in data), reverse=True)
        for i, (customer, minutes) in enumerate(zip(data, ages, strict=True), 1):
            self.clock.now = self.now - timedelta(minutes=minutes)
            self.store.customers.add(customer)
            self.report("customers", i, len(data))
        self.balance = {
            m.id: m.balance.amount for c in data for m in c.payment_methods if m.balance is not None
        }
        return [Shopper(c, p) for c, p in zip(data, PERSONAS, strict=True)]

    # --- planning retail orders ---------------------------------------------------------------

    def at(self, base: datetime, earliest: timedelta, latest: timedelta) -> datetime:
        """A moment between base + earliest and base + latest, to the minute."""
        minutes = int((latest - earliest).total_seconds() // 60)
        return base + earliest + timedelta(minutes=self.rng.randint(0, minutes))

    def timeline(self, fate: str) -> tuple[datetime, list[tuple[datetime, str]]]:
        """When an order with this fate was placed, and when each later step happened."""
        now, minute = self.now, timedelta(minutes=1)
        if fate == "pending":
            return self.at(now, -48 * HOUR, -10 * minute), []
        if fate in ("items_modified", "address_changed", "payment_changed"):
            placed = self.at(now, -40 * HOUR, -3 * HOUR)
            action = {
                "items_modified": "change_items",
                "address_changed": "change_address",
                "payment_changed": "change_payment",
            }[fate]
            return placed, [(self.at(placed, 30 * minute, 2 * HOUR), action)]
        if fate == "processed":
            placed = self.at(now, -5 * DAY, -2 * DAY)
            return placed, [(self.at(placed, 12 * HOUR, 30 * HOUR), "ship")]
        if fate.startswith("cancelled"):
            placed = self.at(now, -45 * DAY, -1 * DAY)
            return placed, [(self.at(placed, 1 * HOUR, 20 * HOUR), "cancel")]
        days = {
            "delivered": (-20, -6),
            "return_requested": (-20, -11),
            "exchange_requested": (-20, -11),
            "completed": (-60, -25),
            "completed_return": (-50, -22),
            "completed_exchange": (-50, -22),
        }[fate]
        placed = self.at(now, days[0] * DAY, days[1] * DAY)
        shipped = self.at(placed, 12 * HOUR, 30 * HOUR)
        delivered = self.at(shipped, 2 * DAY, 4 * DAY)
        steps = [(shipped, "ship"), (delivered, "deliver")]
        if fate == "completed":
            steps.append((self.at(delivered, 7 * DAY, 14 * DAY), "close"))
        elif fate != "delivered":
            kind = "return" if "return" in fate else "exchange"
            requested = self.at(delivered, 1 * DAY, 5 * DAY)
            steps.append((requested, f"request_{kind}"))
            if fate.startswith("completed"):
                steps.append((self.at(requested, 4 * DAY, 8 * DAY), f"complete_{kind}"))
        assert all(when < now for when, _ in steps), fate  # the ranges above keep to the past
        return placed, steps

    def plan_retail(self, shoppers: list[Shopper]) -> None:
        fates = [fate for fate, n in RETAIL_FATES for _ in range(n)]
        self.rng.shuffle(fates)
        # a few regulars order much more often: history for recommendations
        weights = [self.rng.choice([1, 1, 1, 2, 4]) for _ in shoppers]
        assigned: list[tuple[Shopper, str]] = []
        for fate in fates:
            pool = [(s, w) for s, w in zip(shoppers, weights, strict=True) if eligible(s, fate)]
            chosen = self.rng.choices([s for s, _ in pool], weights=[w for _, w in pool])[0]
            assigned.append((chosen, fate))
        ordered = {s.id for s, _ in assigned}
        assigned += [(s, "completed") for s in shoppers if s.id not in ordered]
        for shopper, fate in assigned:
            self.stories.append(self.retail_story(shopper, fate))
        self.choose_coupons()

    def retail_story(self, shopper: Shopper, fate: str) -> Story:
        placed, steps = self.timeline(fate)
        lines = self.pick_lines(shopper)
        swap = None
        if fate in ("items_modified", "exchange_requested", "completed_exchange"):
            swap = self.find_swap(shopper, lines)
        bound = subtotal(lines) + self.store.ctx.policy.shipping_fee_minor
        story = Story(
            shopper=shopper,
            kind="retail",
            fate=fate,
            placed_at=placed,
            payment_method_id=self.pay_with(shopper, bound),
            steps=steps,
            lines=lines,
            swap=swap,
        )
        if fate.startswith("cancelled"):
            story.reason = fate.split(":", 1)[1]
        elif fate == "payment_changed":
            others = [m.id for m in shopper.methods(gift=False) if m.id != story.payment_method_id]
            gifts = [m.id for m in shopper.methods(gift=True) if self.balance[m.id] >= bound]
            story.new_payment_method_id = self.rng.choice(gifts or others)
            if gifts:
                self.balance[story.new_payment_method_id] -= bound
        elif fate == "address_changed":
            saved = shopper.data.addresses
            story.new_address = saved[1] if len(saved) > 1 else address(shopper.persona, self.rng)
        elif "return" in fate:
            units = story.units
            story.returned = units if len(units) == 1 or self.rng.random() < 0.4 else units[:1]
            gifts = [m.id for m in shopper.methods(gift=True)]
            use_gift = gifts and self.rng.random() < 0.35
            story.refund_method_id = gifts[0] if use_gift else story.payment_method_id
            category = VARIANTS[story.returned[0]][0].category
            story.reason = self.rng.choice(RETURN_REASONS[category])
        elif swap is not None and "exchange" in fate:
            story.reason = exchange_reason(*swap)
        return story

    def pick_lines(self, shopper: Shopper) -> list[tuple[str, int]]:
        lines: list[tuple[str, int]] = []
        for _ in range(self.rng.choices([1, 2, 3], weights=[55, 35, 10])[0]):
            category = self.pick_category(shopper)
            products = [p for p in PRODUCTS if p.category == category and fits(shopper, p)]
            budget = shopper.profile["max_price_minor"]
            affordable = [p for p in products if min(v.price.amount for v in p.variants) <= budget]
            if affordable and self.rng.random() > 0.1:  # now and then a splurge
                products = affordable
            if not products:
                continue
            variant = self.pick_variant(shopper, self.rng.choice(products), {v for v, _ in lines})
            if variant is None:
                continue
            quantity = 2 if variant.price.amount < 3000 and self.rng.random() < 0.2 else 1
            quantity = min(quantity, self.stock[variant.id] - 2)
            self.stock[variant.id] -= quantity
            lines.append((variant.id, quantity))
        if not lines:
            cable = "usb-c-cable-1m"
            self.stock[cable] -= 1
            lines.append((cable, 1))
        return lines

    def pick_category(self, shopper: Shopper) -> str:
        weights = {"beauty": 1, "electronics": 1, "apparel": 1, "home": 1}
        for interest in shopper.profile["interests"]:
            weights[INTEREST_CATEGORY[interest]] += 2
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def pick_variant(
        self, shopper: Shopper, product: ProductInput, taken: set[str]
    ) -> VariantInput | None:
        options = [
            v
            for v in product.variants
            if v.available and self.stock[v.id] >= 3 and v.id not in taken
        ]
        if not options:
            return None
        if product.category == "apparel":
            size = shopper.profile["sizes"][SIZE_KEY.get(product.id, "top")]
            options = [v for v in options if v.options.get("size") == size] or options
        colors = shopper.profile["favorite_colors"]
        liked = [v for v in options if v.options.get("color") in colors]
        return self.rng.choice(liked or options)

    def alternative(self, variant_id: str, taken: set[str]) -> VariantInput | None:
        """Another sellable variant of the same product at the same price, the same colour in
        another size where there is one (the usual exchange)."""
        product, variant = VARIANTS[variant_id]
        others = [
            v
            for v in product.variants
            if v.id != variant_id
            and v.id not in taken
            and v.available
            and self.stock[v.id] >= 3
            and v.price == variant.price
        ]
        if not others:
            return None
        color = variant.options.get("color")
        same_color = [v for v in others if color is not None and v.options.get("color") == color]
        if same_color:
            # the next size up or down: variants are listed in size order within a colour
            where = {v.id: i for i, v in enumerate(product.variants)}
            nearest = min(abs(where[v.id] - where[variant_id]) for v in same_color)
            return self.rng.choice(
                [v for v in same_color if abs(where[v.id] - where[variant_id]) == nearest]
            )
        return self.rng.choice(others)

    def find_swap(self, shopper: Shopper, lines: list[tuple[str, int]]) -> tuple[str, str]:
        taken = {v for v, _ in lines}
        for variant_id, _ in lines:
            new = self.alternative(variant_id, taken)
            if new is not None:
                self.stock[new.id] -= 1
                return variant_id, new.id
        apparel = [p for p in PRODUCTS if p.category == "apparel" and fits(shopper, p)]
        for product in self.rng.sample(apparel, len(apparel)):
            variant = self.pick_variant(shopper, product, taken)
            new = self.alternative(variant.id, taken) if variant else None
            if variant is not None and new is not None:
                self.stock[variant.id] -= 1
                self.stock[new.id] -= 1
                lines.append((variant.id, 1))
                return variant.id, new.id
        raise AssertionError(f"no exchangeable item for {shopper.id}")

    def pay_with(self, shopper: Shopper, bound: int) -> str:
        """A gift card now and then when it covers the order; otherwise a card or wallet."""
        gifts = [m.id for m in shopper.methods(gift=True) if self.balance[m.id] >= bound]
        if gifts and self.rng.random() < 0.5:
            self.balance[gifts[0]] -= bound
            return gifts[0]
        return self.rng.choice(shopper.methods(gift=False)).id

    def choose_coupons(self) -> None:
        """Coupons as customers would have used them: WELCOME10 on a first order, the others
        only while valid, above their minimum and within their limits."""
        terms = {c.code: c for c in coupons(self.now)}
        vip_left = 3
        by_customer: dict[str, list[Story]] = {}
        for story in self.stories:
            by_customer.setdefault(story.shopper.id, []).append(story)
        for stories in by_customer.values():
            stories.sort(key=lambda s: s.placed_at)
            used: dict[str, int] = {}
            for i, story in enumerate(stories):
                amount = subtotal(story.lines)
                roll = self.rng.random()
                allowed = {
                    code: coupon_allowed(terms[code], story.placed_at, amount, used)
                    for code in ("WELCOME10", "SPRING20", "VIP15", "SAVE5")
                }
                if i == 0 and allowed["WELCOME10"] and roll < 0.6:
                    story.coupon = "WELCOME10"
                elif allowed["SPRING20"] and roll < 0.6:
                    story.coupon = "SPRING20"
                elif allowed["VIP15"] and vip_left and roll < 0.5:
                    story.coupon, vip_left = "VIP15", vip_left - 1
                elif allowed["SAVE5"] and roll < 0.2:
                    story.coupon = "SAVE5"
                if story.coupon:
                    used[story.coupon] = used.get(story.coupon, 0) + 1

    # --- planning local orders ----------------------------------------------------------------

    def plan_local(self, shoppers: list[Shopper]) -> None:
        """Food and drink in Seoul: past orders picked up or delivered, a cancelled one, and
        orders waiting for upcoming slots — one of them a rush that fills a tea shop's slot."""
        locals_ = [s for s in shoppers if s.lives_in_seoul]
        booked: dict[tuple[str, datetime], int] = {}
        stores = [*TEA_STORE_IDS, NOODLE_STORE_ID]
        minute = timedelta(minutes=1)
        for _ in range(16):
            shopper, store_id = self.rng.choice(locals_), self.rng.choice(stores)
            placed = self.at(self.now, -12 * DAY, -2 * DAY)
            story = self.local_story(shopper, store_id, placed, booked, "completed")
            assert story.slot_start is not None
            story.steps = [
                (max(placed + minute, story.slot_start - 10 * minute), "ship"),
                (story.slot_start + 10 * minute, "deliver"),
                (story.slot_start + 40 * minute, "close"),
            ]
            self.stories.append(story)
        shopper = self.rng.choice(locals_)
        placed = self.at(self.now, -6 * DAY, -3 * DAY)
        story = self.local_story(shopper, NOODLE_STORE_ID, placed, booked, "cancelled")
        story.reason = "ordered by mistake"
        story.steps = [(self.at(placed, 2 * minute, 8 * minute), "cancel")]
        self.stories.append(story)
        for store_id, after in ((TEA_STORE_IDS[1], 60), (NOODLE_STORE_ID, 45)) * 2:
            shopper = self.rng.choice(locals_)
            placed = self.at(self.now, -50 * minute, -2 * minute)
            self.stories.append(
                self.local_story(
                    shopper, store_id, placed, booked, "pending", start=self.now + after * minute
                )
            )
        self.plan_rush(locals_, booked)

    def plan_rush(self, locals_: list[Shopper], booked: dict[tuple[str, datetime], int]) -> None:
        """Four orders that together take every place in one upcoming slot of a tea shop."""
        store_id = TEA_STORE_IDS[0]
        capacity = MENUS[store_id].capacity_per_slot
        self.clock.now = self.now
        slot = next(
            s.starts_at
            for s in self.store.local.slots(
                store_id, start=self.now + timedelta(minutes=90), need=capacity, count=20
            )
            if (store_id, s.starts_at) not in booked
        )
        booked[(store_id, slot)] = capacity
        quantities = [3, 2, 2, 1]
        assert sum(quantities) == capacity
        for quantity in quantities:
            shopper = self.rng.choice(locals_)
            placed = self.at(self.now, -40 * timedelta(minutes=1), -2 * timedelta(minutes=1))
            item = self.rng.choice(self.menu_for(shopper, store_id))
            line = MenuLine(
                menu_item_id=item.id,
                quantity=quantity,
                options=self.menu_options(shopper, store_id, item),
            )
            self.stories.append(
                self.local_order(shopper, store_id, placed, [line], slot, "pending")
            )

    def local_story(
        self,
        shopper: Shopper,
        store_id: str,
        placed: datetime,
        booked: dict[tuple[str, datetime], int],
        fate: str,
        *,
        start: datetime | None = None,
    ) -> Story:
        menu = self.menu_for(shopper, store_id)
        count = min(self.rng.choices([1, 2, 3], weights=[50, 35, 15])[0], len(menu))
        lines = [
            MenuLine(
                menu_item_id=item.id,
                quantity=self.rng.choice([1, 1, 1, 2]),
                options=self.menu_options(shopper, store_id, item),
            )
            for item in self.rng.sample(menu, count)
        ]
        need = sum(line.quantity for line in lines)
        slot = self.free_slot(store_id, start or placed + timedelta(minutes=15), need, booked)
        return self.local_order(shopper, store_id, placed, lines, slot, fate)

    def local_order(
        self,
        shopper: Shopper,
        store_id: str,
        placed: datetime,
        lines: list[MenuLine],
        slot: datetime,
        fate: str,
    ) -> Story:
        methods = shopper.methods(gift=False)
        wallets = [m for m in methods if m.source == PaymentSource.WALLET]
        story = Story(
            shopper=shopper,
            kind="local",
            fate=fate,
            placed_at=placed,
            payment_method_id=self.rng.choice(wallets or methods).id,
            store_id=store_id,
            menu_lines=lines,
            slot_start=slot,
        )
        if MENUS[store_id].offers_delivery and self.rng.random() < 0.35:
            story.fulfilment, story.deliver_to = "delivery", shopper.data.addresses[0]
        boba = next(c for c in coupons(self.now) if c.code == "BOBA1")
        used = {
            "BOBA1": sum(1 for s in self.stories if s.shopper is shopper and s.coupon == "BOBA1")
        }
        if self.rng.random() < 0.25 and coupon_allowed(
            boba, placed, menu_subtotal(store_id, lines), used
        ):
            story.coupon = "BOBA1"
        return story

    def free_slot(
        self, store_id: str, start: datetime, need: int, booked: dict[tuple[str, datetime], int]
    ) -> datetime:
        """The first open slot from `start` that the plan has not filled yet."""
        self.clock.now = start  # the store offers no slot before its clock
        capacity = MENUS[store_id].capacity_per_slot
        for slot in self.store.local.slots(store_id, start=start, need=need, count=30):
            key = (store_id, slot.starts_at)
            if booked.get(key, 0) + need <= capacity:
                booked[key] = booked.get(key, 0) + need
                return slot.starts_at
        raise AssertionError(f"no free slot at {store_id} after {start}")

    def menu_for(self, shopper: Shopper, store_id: str) -> list[MenuItemInput]:
        """What this customer would order here: nothing their diet rules out."""
        avoid: set[str] = set()
        for note in shopper.profile["dietary"]:
            avoid |= AVOIDS.get(note, set())
        menu = MENUS[store_id].menu
        return [m for m in menu if m.available and not CONTAINS[m.id] & avoid] or list(menu)

    def menu_options(
        self, shopper: Shopper, store_id: str, item: MenuItemInput
    ) -> dict[str, str | list[str]]:
        """Options as this customer takes them: their usual size, ice and sugar for tea."""
        profile = shopper.profile
        groups = {g.code: g for g in MENUS[store_id].option_groups}
        tea = MENUS[store_id].kind == "bubble_tea"
        avoid: set[str] = set()
        for note in profile["dietary"]:
            avoid |= AVOIDS.get(note, set())
        chosen: dict[str, str | list[str]] = {}
        for code in item.option_groups:
            choices = [c.code for c in groups[code].choices]
            if tea and code in ("size", "ice", "sugar"):
                chosen[code] = profile["tea_preferences"][code]
            elif code == "noodle":
                gluten_free = "gluten-free" in profile["dietary"]
                chosen[code] = (
                    "rice" if gluten_free else self.rng.choice(["wheat", "wheat", "rice"])
                )
            elif code in ("toppings", "extras"):
                allowed = [c for c in choices if not EXTRA_CONTAINS.get(c, set()) & avoid]
                picks = self.rng.sample(allowed, self.rng.choice([0, 0, 1, 1, 2]))
                if picks:
                    chosen[code] = picks
            else:
                chosen[code] = self.rng.choice(choices)
        return chosen

    # --- playing the plan -----------------------------------------------------------------------

    def play(self) -> None:
        """Run every planned step through the store's services, in time order."""
        events: list[tuple[datetime, int, Story, str]] = []
        for i, story in enumerate(self.stories):
            story.key = f"demo-{i:04d}"
            events.append((story.placed_at, len(events), story, "place"))
            events += [
                (when, len(events) + j, story, act) for j, (when, act) in enumerate(story.steps)
            ]
        events.sort(key=lambda e: (e[0], e[1]))
        for done, (when, _, story, action) in enumerate(events, 1):
            self.clock.now = when
            self.act(story, action)
            self.report("order history", done, len(events))

    def act(self, story: Story, action: str) -> None:
        store, customer_id = self.store, story.shopper.id
        if action == "place":
            story.order_id = self.place(story)
            return
        order_id = story.order_id
        assert order_id is not None
        if action == "ship":
            if story.kind == "retail":
                carrier, tracking_id = self.tracking(story.shopper)
                store.fulfilment.ship(order_id, tracking_ids=[tracking_id], carrier=carrier)
            else:
                store.fulfilment.ship(order_id)  # the kitchen starts preparing it
        elif action == "deliver":
            store.fulfilment.deliver(order_id)
        elif action == "close":
            store.fulfilment.close(order_id)
        elif action == "cancel":
            assert story.reason is not None
            store.orders.cancel(customer_id, order_id, story.reason)
        elif action == "change_items":
            assert story.swap is not None
            old, new = story.swap
            store.orders.change_items(customer_id, order_id, [old], [new], story.payment_method_id)
        elif action == "change_address":
            assert story.new_address is not None
            store.orders.change_address(customer_id, order_id, story.new_address)
        elif action == "change_payment":
            assert story.new_payment_method_id is not None
            store.orders.change_payment_method(customer_id, order_id, story.new_payment_method_id)
        elif action == "request_return":
            assert story.refund_method_id is not None
            store.aftersales.request_return(
                customer_id, order_id, story.returned, story.refund_method_id, reason=story.reason
            )
        elif action == "complete_return":
            store.aftersales.complete_return(order_id)
        elif action == "request_exchange":
            assert story.swap is not None
            old, new = story.swap
            store.aftersales.request_exchange(
                customer_id, order_id, [old], [new], story.payment_method_id, reason=story.reason
            )
        elif action == "complete_exchange":
            store.aftersales.complete_exchange(order_id)
        else:
            raise AssertionError(f"unknown step {action}")

    def place(self, story: Story) -> str:
        if story.kind == "retail":
            order = self.store.checkout.place_order(
                story.shopper.id,
                payment_method_id=story.payment_method_id,
                idempotency_key=story.key,
                lines=[LineRequest(variant_id=v, quantity=q) for v, q in story.lines],
                coupon_code=story.coupon,
            )
        else:
            assert story.store_id is not None and story.slot_start is not None
            order = self.store.local.place_order(
                story.shopper.id,
                story.store_id,
                story.menu_lines,
                slot_start=story.slot_start,
                payment_method_id=story.payment_method_id,
                idempotency_key=story.key,
                fulfilment=story.fulfilment,
                address=story.deliver_to,
                coupon_code=story.coupon,
            )
        return order.id

    def tracking(self, shopper: Shopper) -> tuple[str, str]:
        """A carrier that serves the customer's country, and a tracking id in its format."""

        def digits(n: int) -> str:
            return "".join(str(self.rng.randrange(10)) for _ in range(n))

        country = shopper.data.addresses[0].country
        if country == "South Korea":
            return "CJ Logistics", digits(12)
        if country == "China":
            return "SF Express", "SF" + digits(13)
        carrier = self.rng.choice(["UPS", "FedEx", "USPS"])
        if carrier == "UPS":
            return carrier, "1Z" + "".join(self.rng.choice(ALNUM) for _ in range(6)) + digits(10)
        return carrier, digits(12) if carrier == "FedEx" else "9400" + digits(18)


def exchange_reason(old: str, new: str) -> str:
    """Why a customer swaps one variant for another: what differs between them."""
    before, after = VARIANTS[old][1].options, VARIANTS[new][1].options
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    if "size" in changed:
        return "wrong size"
    if changed & {"color", "shade", "wash", "scent"}:
        return f"prefer another {sorted(changed & {'color', 'shade', 'wash', 'scent'})[0]}"
    return "ordered the wrong one"


def coupon_allowed(
    coupon: CouponInput, moment: datetime, amount: int, used: dict[str, int]
) -> bool:
    return (
        (coupon.valid_from is None or coupon.valid_from <= moment)
        and (coupon.valid_until is None or moment < coupon.valid_until)
        and amount >= coupon.min_spend
        and used.get(coupon.code, 0) < coupon.per_customer_limit
    )


def eligible(shopper: Shopper, fate: str) -> bool:
    if fate == "payment_changed":
        return len(shopper.methods(gift=False)) >= 2
    return True


def fits(shopper: Shopper, product: ProductInput) -> bool:
    """Whether a product suits the customer: skin type, apparel section, phone."""
    profile, attributes = shopper.profile, product.attributes
    if product.category == "beauty":
        return profile["skin_type"] in attributes.get("skin_type", [])
    if product.category == "apparel":
        return bool({"unisex", profile["apparel_section"]} & set(attributes.get("gender", [])))
    compatible = attributes.get("compatible_with", [])
    if "Android" in compatible and "iOS" not in compatible:
        return bool(profile["phone_os"] == "Android")
    return True


def subtotal(lines: list[tuple[str, int]]) -> int:
    return sum(VARIANTS[v][1].price.amount * quantity for v, quantity in lines)


def menu_subtotal(store_id: str, lines: list[MenuLine]) -> int:
    """What the lines cost at this store's menu prices, options included."""
    store = MENUS[store_id]
    items = {m.id: m for m in store.menu}
    deltas = {(g.code, c.code): c.price_delta for g in store.option_groups for c in g.choices}
    total = 0
    for line in lines:
        unit = items[line.menu_item_id].price
        for code, value in line.options.items():
            for pick in [value] if isinstance(value, str) else value:
                unit += deltas[(code, pick)]
        total += unit * line.quantity
    return total

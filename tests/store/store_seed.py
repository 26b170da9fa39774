"""The store tests' shared data: a clock the tests move, money in dollars, a home address and
the small seeded shop most tests start from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shopkeep.store import Money, Store
from shopkeep.store.catalog import ProductInput, VariantInput
from shopkeep.store.customers import CustomerInput, PaymentMethodInput
from shopkeep.store.local import (
    LocalStoreInput,
    MenuItemInput,
    OptionChoiceInput,
    OptionGroupInput,
)
from shopkeep.store.promotions import CampaignInput, CouponInput
from shopkeep.store.views import AddressInput

START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # a Friday, 10:00 in Seoul


@dataclass
class Clock:
    now: datetime = START
    history: list[datetime] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def usd(amount: str) -> Money:
    return Money.from_decimal(amount, "USD")


HOME = AddressInput(
    address1="1 Main St", city="Springfield", state="IL", country="USA", zip="62701"
)


def seed(store: Store) -> None:
    store.catalog.put_product(
        ProductInput(
            id="cream",
            category="beauty",
            brand="Dewy",
            name={"en": "Hydrating Cream", "zh": "保湿面霜", "ko": "수분 크림"},
            description={
                "en": "Rich moisturizer for dry skin.",
                "zh": "适合干性肌肤的滋润面霜。",
                "ko": "건성 피부를 위한 보습 크림.",
            },
            attributes={"skin_type": ["dry", "normal"]},
            variants=[
                VariantInput(id="cream-50", options={"size": "50ml"}, price=usd("24.00"), stock=5),
                VariantInput(
                    id="cream-100", options={"size": "100ml"}, price=usd("40.00"), stock=50
                ),
            ],
        )
    )
    store.catalog.put_product(
        ProductInput(
            id="tee",
            category="apparel",
            name={"en": "Cotton T-Shirt", "zh": "纯棉T恤", "ko": "면 티셔츠"},
            description={"en": "Soft crew neck tee."},
            attributes={"material": ["cotton"]},
            variants=[
                VariantInput(
                    id="tee-blue-m",
                    options={"color": "blue", "size": "M"},
                    price=usd("20.00"),
                    stock=10,
                ),
                VariantInput(
                    id="tee-red-m",
                    options={"color": "red", "size": "M"},
                    price=usd("22.00"),
                    stock=10,
                ),
                VariantInput(
                    id="tee-blue-l",
                    options={"color": "blue", "size": "L"},
                    price=usd("20.00"),
                    stock=0,
                ),
                VariantInput(
                    id="tee-green-l",
                    options={"color": "green", "size": "L"},
                    price=usd("21.00"),
                    stock=3,
                    available=False,
                ),
            ],
        )
    )
    store.catalog.put_product(
        ProductInput(
            id="lamp",
            category="home",
            name={"en": "Desk Lamp", "zh": "台灯", "ko": "책상 램프"},
            variants=[VariantInput(id="lamp-1", options={"color": "white"}, price=usd("35.50"))],
        )
    )
    for cid, first, last, email in [
        ("alice_1", "Alice", "Zhang", "alice@example.com"),
        ("bob_2", "Bob", "Kim", "bob@example.com"),
    ]:
        store.customers.add(
            CustomerInput(
                id=cid,
                first_name=first,
                last_name=last,
                email=email,
                profile={"skin_type": "dry"},
                addresses=[HOME],
                payment_methods=[
                    PaymentMethodInput(
                        id=f"card_{cid}",
                        source="credit_card",
                        brand="visa",
                        last_four="4242",
                        token=f"tok_{cid}",
                    ),
                    PaymentMethodInput(id=f"gift_{cid}", source="gift_card", balance=usd("100.00")),
                    PaymentMethodInput(id=f"paypal_{cid}", source="paypal"),
                    PaymentMethodInput(
                        id=f"bad_{cid}",
                        source="credit_card",
                        brand="visa",
                        last_four="0002",
                        token="tok_sandbox_decline",
                    ),
                ],
            )
        )
    store.promotions.put_coupon(
        CouponInput(
            code="SAVE10",
            kind="percent",
            value=10,
            min_spend=3000,
            per_customer_limit=1,
            valid_until=START + timedelta(days=10),
            title={"en": "10% off over $30"},
        )
    )
    store.promotions.put_coupon(
        CouponInput(code="FIVE", kind="amount", value=500, per_customer_limit=2)
    )
    store.promotions.put_coupon(
        CouponInput(code="OLD", kind="amount", value=500, valid_until=START - timedelta(days=1))
    )
    store.promotions.put_campaign(
        CampaignInput(
            id="tea-rush",
            name={"en": "Tea rush", "zh": "奶茶补贴", "ko": "버블티 지원"},
            kind="amount",
            value=200,
            budget=1000,
            applies_to="local",
            store_ids=["tea-a", "tea-b"],
        )
    )
    week = {day: [("10:00", "22:00")] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    groups = [
        OptionGroupInput(
            code="size",
            name={"en": "Size"},
            choices=[
                OptionChoiceInput(code="m", name={"en": "Medium"}),
                OptionChoiceInput(code="l", name={"en": "Large"}, price_delta=50),
            ],
        ),
        OptionGroupInput(
            code="ice",
            name={"en": "Ice"},
            default_choice="regular",
            choices=[
                OptionChoiceInput(code="regular", name={"en": "Regular ice"}),
                OptionChoiceInput(code="less", name={"en": "Less ice"}),
                OptionChoiceInput(code="none", name={"en": "No ice"}),
            ],
        ),
        OptionGroupInput(
            code="toppings",
            name={"en": "Toppings"},
            required=False,
            max_choices=2,
            choices=[
                OptionChoiceInput(code="pearls", name={"en": "Pearls"}, price_delta=60),
                OptionChoiceInput(code="jelly", name={"en": "Jelly"}, price_delta=40),
            ],
        ),
    ]
    for sid, area in (("tea-a", "Gangnam"), ("tea-b", "Gangnam"), ("tea-c", "Mapo")):
        store.local.put_store(
            LocalStoreInput(
                id=sid,
                name={"en": f"Tea {sid[-1].upper()}"},
                kind="bubble_tea",
                city="Seoul",
                area=area,
                address="1 Tea Rd",
                timezone="Asia/Seoul",
                opening_hours=week,
                slot_minutes=15,
                capacity_per_slot=4,
                option_groups=groups,
                menu=[
                    MenuItemInput(
                        id=f"{sid}-milk-tea",
                        category="tea",
                        name={"en": "Milk Tea", "zh": "奶茶"},
                        price=450,
                        option_groups=["size", "ice", "toppings"],
                    )
                ],
            )
        )

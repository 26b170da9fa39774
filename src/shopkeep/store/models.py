"""The shop's tables: SQLAlchemy 2 typed models. Amounts are integer minor units.

Ids are the public ids the shop shows (τ²-bench retail's own shapes: product '9523456873',
customer 'noah_brown_6181', order '#W2611340', payment method 'credit_card_7815826'), so an
imported store keeps its ids. `position` columns keep the order records were imported in, so an
export reproduces the same document.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

LocalizedText = dict[str, str]  # {"en": ..., "zh": ..., "ko": ...}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database (same on SQLite and PostgreSQL)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        LocalizedText: JSON,
    }


class OrderStatus(enum.StrEnum):
    """Order states. The strings are τ²-bench retail's where it has them."""

    AWAITING_PAYMENT = "awaiting payment"
    PENDING = "pending"
    ITEMS_MODIFIED = "pending (item modified)"
    PROCESSED = "processed"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURN_REQUESTED = "return requested"
    EXCHANGE_REQUESTED = "exchange requested"
    COMPLETED = "completed"


class OrderKind(enum.StrEnum):
    RETAIL = "retail"
    LOCAL = "local"


class PaymentSource(enum.StrEnum):
    CREDIT_CARD = "credit_card"
    GIFT_CARD = "gift_card"
    PAYPAL = "paypal"
    WALLET = "wallet"


class TransactionKind(enum.StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


class TransactionStatus(enum.StrEnum):
    PENDING = "pending"  # recorded, not yet confirmed by the gateway
    SUCCEEDED = "succeeded"


# --- catalog --------------------------------------------------------------------------------


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    category: Mapped[str] = mapped_column(String(64), index=True, default="general")
    brand: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[LocalizedText]
    description: Mapped[LocalizedText] = mapped_column(default=dict)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.position", cascade="all, delete-orphan"
    )
    attributes: Mapped[list[ProductAttribute]] = relationship(
        back_populates="product", order_by="ProductAttribute.id", cascade="all, delete-orphan"
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="product", order_by="Review.id", cascade="all, delete-orphan"
    )


class ProductAttribute(Base):
    """A searchable fact about a product: skin_type=dry, material=cotton, ... (several per key)."""

    __tablename__ = "product_attributes"
    __table_args__ = (Index("ix_product_attributes_key_value", "key", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(255))

    product: Mapped[Product] = relationship(back_populates="attributes")


class Variant(Base):
    """A purchasable item of a product (τ²'s 'item'): its options, price and stock.

    `stock` None means the shop does not count stock for it (τ² imports); `available` is the
    merchant's listing switch.
    """

    __tablename__ = "variants"
    __table_args__ = (
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int | None] = mapped_column(Integer)
    available: Mapped[bool] = mapped_column(Boolean, default=True)

    product: Mapped[Product] = relationship(back_populates="variants")


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    author: Mapped[str] = mapped_column(String(128))
    rating: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime]

    product: Mapped[Product] = relationship(back_populates="reviews")


# --- customers ------------------------------------------------------------------------------


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    first_name: Mapped[str] = mapped_column(String(128))
    last_name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str] = mapped_column(String(255))
    email_key: Mapped[str] = mapped_column(String(255), unique=True)  # folded for lookup
    phone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(8))
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]

    addresses: Mapped[list[Address]] = relationship(
        back_populates="customer", order_by="Address.position", cascade="all, delete-orphan"
    )
    payment_methods: Mapped[list[PaymentMethod]] = relationship(
        back_populates="customer", order_by="PaymentMethod.position", cascade="all, delete-orphan"
    )


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str | None] = mapped_column(String(64))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    address1: Mapped[str] = mapped_column(String(255))
    address2: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(128), default="")
    country: Mapped[str] = mapped_column(String(64))
    zip: Mapped[str] = mapped_column(String(32), index=True)

    customer: Mapped[Customer] = relationship(back_populates="addresses")


class PaymentMethod(Base):
    """A saved way to pay. Cards keep only the gateway token, brand and last four digits."""

    __tablename__ = "payment_methods"
    __table_args__ = (
        CheckConstraint("balance_minor IS NULL OR balance_minor >= 0", name="balance_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(32))  # PaymentSource
    brand: Mapped[str | None] = mapped_column(String(64))  # card brand or wallet provider
    last_four: Mapped[str | None] = mapped_column(String(4))
    token: Mapped[str | None] = mapped_column(String(128))  # the gateway's token, never a PAN
    balance_minor: Mapped[int | None] = mapped_column(Integer)  # gift cards
    currency: Mapped[str] = mapped_column(String(3))

    customer: Mapped[Customer] = relationship(back_populates="payment_methods")


# --- carts ----------------------------------------------------------------------------------


class Cart(Base):
    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    updated_at: Mapped[datetime]

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", order_by="CartItem.id", cascade="all, delete-orphan"
    )


class CartItem(Base):
    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    cart: Mapped[Cart] = relationship(back_populates="items")


# --- orders ---------------------------------------------------------------------------------


class Order(Base):
    """A retail order shipped to an address, or a local order for pickup/delivery in a slot."""

    __tablename__ = "orders"
    # Idempotency keys come from clients (a retried request, an agent's Idempotency-Key): each
    # customer has their own key space, so one customer's key never collides with another's.
    __table_args__ = (UniqueConstraint("customer_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16), default=OrderKind.RETAIL)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(Integer, default=0)
    discount_minor: Mapped[int] = mapped_column(Integer, default=0)  # coupon
    subsidy_minor: Mapped[int] = mapped_column(Integer, default=0)  # campaign
    shipping_minor: Mapped[int] = mapped_column(Integer, default=0)
    total_minor: Mapped[int] = mapped_column(Integer, default=0)
    coupon_code: Mapped[str | None] = mapped_column(ForeignKey("coupons.code"))
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaigns.id"))
    payment_method_id: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))  # of the keyed request
    # shipping address (retail, local delivery)
    address1: Mapped[str | None] = mapped_column(String(255))
    address2: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str | None] = mapped_column(String(128))
    country: Mapped[str | None] = mapped_column(String(64))
    zip: Mapped[str | None] = mapped_column(String(32))
    # local orders
    local_store_id: Mapped[str | None] = mapped_column(ForeignKey("local_stores.id"), index=True)
    slot_start: Mapped[datetime | None]
    fulfilment: Mapped[str] = mapped_column(
        String(16), default="shipping"
    )  # shipping|pickup|delivery
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.position", cascade="all, delete-orphan"
    )
    transactions: Mapped[list[PaymentTransaction]] = relationship(
        back_populates="order", order_by="PaymentTransaction.position", cascade="all, delete-orphan"
    )
    shipments: Mapped[list[Shipment]] = relationship(
        back_populates="order", order_by="Shipment.position", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )
    return_request: Mapped[ReturnRequest | None] = relationship(
        back_populates="order", cascade="all, delete-orphan"
    )
    exchange_request: Mapped[ExchangeRequest | None] = relationship(
        back_populates="order", cascade="all, delete-orphan"
    )


class OrderItem(Base):
    """One unit of a variant (or of a menu item) in an order; a quantity of 3 is three rows,
    as in τ²-bench, so each unit can be returned, exchanged or modified on its own."""

    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str | None] = mapped_column(String(64))
    variant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    menu_item_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    unit_price_minor: Mapped[int] = mapped_column(Integer)
    discount_minor: Mapped[int] = mapped_column(Integer, default=0)  # coupon + subsidy share

    order: Mapped[Order] = relationship(back_populates="items")


class PaymentTransaction(Base):
    """A payment or refund on an order (τ²'s payment_history entry)."""

    __tablename__ = "payment_transactions"
    __table_args__ = (CheckConstraint("amount_minor >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # TransactionKind
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=TransactionStatus.SUCCEEDED)
    gateway_ref: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]

    order: Mapped[Order] = relationship(back_populates="transactions")


class Shipment(Base):
    """A fulfilment: the tracking ids and the item ids it carries (τ²'s fulfillments entry)."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    item_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    shipped_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship(back_populates="shipments")


class OrderEvent(Base):
    """Every status change, with why: the order's audit trail."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]

    order: Mapped[Order] = relationship(back_populates="events")


class ReturnRequest(Base):
    __tablename__ = "return_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    item_ids: Mapped[list[str]] = mapped_column(JSON)  # sorted, as τ² records them
    refund_method_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    refund_minor: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="requested")  # requested|refunded
    created_at: Mapped[datetime]

    order: Mapped[Order] = relationship(back_populates="return_request")


class ExchangeRequest(Base):
    __tablename__ = "exchange_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    item_ids: Mapped[list[str]] = mapped_column(JSON)  # sorted
    new_item_ids: Mapped[list[str]] = mapped_column(JSON)  # sorted
    payment_method_id: Mapped[str] = mapped_column(String(64))
    price_difference_minor: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="requested")  # requested|completed
    created_at: Mapped[datetime]

    order: Mapped[Order] = relationship(back_populates="exchange_request")


# --- promotions -----------------------------------------------------------------------------


class Coupon(Base):
    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'amount')", name="kind"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind <> 'percent' OR value <= 100", name="percent_at_most_100"),
    )

    code: Mapped[str] = mapped_column(String(64), primary_key=True)  # upper case
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[int] = mapped_column(Integer)  # percent, or minor units off
    currency: Mapped[str] = mapped_column(String(3))
    min_spend_minor: Mapped[int] = mapped_column(Integer, default=0)
    max_discount_minor: Mapped[int | None] = mapped_column(Integer)
    per_customer_limit: Mapped[int] = mapped_column(Integer, default=1)
    total_limit: Mapped[int | None] = mapped_column(Integer)
    redeemed_count: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    applies_to: Mapped[str] = mapped_column(String(16), default="all")  # all|retail|local
    title: Mapped[LocalizedText] = mapped_column(default=dict)


class CouponRedemption(Base):
    """One use of a coupon. (code, customer, use_number) is unique, so two parallel checkouts
    by one customer can never both take the last allowed use."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (UniqueConstraint("coupon_code", "customer_id", "use_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coupon_code: Mapped[str] = mapped_column(ForeignKey("coupons.code"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    use_number: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]


class Campaign(Base):
    """A subsidy campaign with a total budget that is never overspent (`spent <= budget`)."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("spent_minor >= 0 AND spent_minor <= budget_minor", name="within_budget"),
        CheckConstraint("kind IN ('percent', 'amount')", name="kind"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[LocalizedText]
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[int] = mapped_column(Integer)  # percent, or minor units off per order
    max_subsidy_minor: Mapped[int | None] = mapped_column(Integer)  # cap per order
    min_spend_minor: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    budget_minor: Mapped[int] = mapped_column(Integer)
    spent_minor: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    applies_to: Mapped[str] = mapped_column(String(16), default="all")  # all|retail|local
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every category
    store_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every local store


class CampaignSubsidy(Base):
    """The ledger behind `Campaign.spent_minor`: one row per subsidised order."""

    __tablename__ = "campaign_subsidies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime]


# --- local stores ---------------------------------------------------------------------------


class LocalStore(Base):
    """A nearby shop taking food and drink orders for pickup or delivery, slot by slot."""

    __tablename__ = "local_stores"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[LocalizedText]
    kind: Mapped[str] = mapped_column(String(32))  # bubble_tea, noodles, ...
    city: Mapped[str] = mapped_column(String(128))
    area: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {"mon": [["10:00", "22:00"]], ...}; a day missing means closed
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=15)
    capacity_per_slot: Mapped[int] = mapped_column(Integer)  # items (cups, bowls) per slot
    offers_delivery: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    menu: Mapped[list[MenuItem]] = relationship(
        back_populates="store", order_by="MenuItem.position", cascade="all, delete-orphan"
    )
    option_groups: Mapped[list[OptionGroup]] = relationship(
        back_populates="store", order_by="OptionGroup.position", cascade="all, delete-orphan"
    )


class OptionGroup(Base):
    """A choice on menu items: size, ice, sugar, toppings. `max_choices` > 1 allows several."""

    __tablename__ = "option_groups"
    __table_args__ = (UniqueConstraint("store_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[str] = mapped_column(
        ForeignKey("local_stores.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[LocalizedText]
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    max_choices: Mapped[int] = mapped_column(Integer, default=1)
    default_choice: Mapped[str | None] = mapped_column(String(32))

    store: Mapped[LocalStore] = relationship(back_populates="option_groups")
    choices: Mapped[list[OptionChoice]] = relationship(
        back_populates="group", order_by="OptionChoice.position", cascade="all, delete-orphan"
    )


class OptionChoice(Base):
    __tablename__ = "option_choices"
    __table_args__ = (UniqueConstraint("group_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("option_groups.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[LocalizedText]
    price_delta_minor: Mapped[int] = mapped_column(Integer, default=0)

    group: Mapped[OptionGroup] = relationship(back_populates="choices")


class MenuItem(Base):
    __tablename__ = "menu_items"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_id: Mapped[str] = mapped_column(
        ForeignKey("local_stores.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[LocalizedText]
    description: Mapped[LocalizedText] = mapped_column(default=dict)
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    option_groups: Mapped[list[str]] = mapped_column(JSON, default=list)  # OptionGroup codes
    available: Mapped[bool] = mapped_column(Boolean, default=True)

    store: Mapped[LocalStore] = relationship(back_populates="menu")


class Slot(Base):
    """How much of one time slot of one store is taken; `booked <= capacity` always."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("store_id", "starts_at"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="within_capacity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[str] = mapped_column(
        ForeignKey("local_stores.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)


# --- payments --------------------------------------------------------------------------------


class ChargeAttempt(Base):
    """A card or wallet charge for a change to an order, written down before the gateway is
    called: whatever happens next (declined, applied, the change refused, the process killed),
    the attempt says what became of the money, and `Store.recover()` refunds a charge that was
    made but never used."""

    __tablename__ = "charge_attempts"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)  # the gateway's key
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    payment_method_id: Mapped[str] = mapped_column(String(64))
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), index=True)  # AttemptStatus
    gateway_ref: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AttemptStatus(enum.StrEnum):
    STARTED = "started"  # about to be charged, or charged and not yet applied
    APPLIED = "applied"  # charged, and the change it paid for is made
    DECLINED = "declined"
    VOIDED = "voided"  # charged, the change did not happen, the charge was refunded
    ABANDONED = "abandoned"  # never charged; the process died first


class StoreMeta(Base):
    """Facts about the store itself, by key (e.g. that the demo seed completed)."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


# --- payments gateway sandbox ---------------------------------------------------------------


class SandboxGatewayRecord(Base):
    """What the built-in sandbox gateway has done, by idempotency key: a replay of a key returns
    this record instead of charging again."""

    __tablename__ = "sandbox_gateway_records"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(String(16))  # charge | refund
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    method_ref: Mapped[str] = mapped_column(String(128))
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    decline_reason: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime]


# --- conversations --------------------------------------------------------------------------


class ConversationStatus(enum.StrEnum):
    ACTIVE = "active"  # the assistant answers
    WAITING_HUMAN = "waiting_human"  # queued for a human; the assistant only takes messages
    HUMAN = "human"  # a staff member holds it
    CLOSED = "closed"


class HandoffStatus(enum.StrEnum):
    WAITING = "waiting"
    TAKEN = "taken"
    RETURNED = "returned"  # staff gave it back to the assistant
    CLOSED = "closed"  # ended without being handed back (conversation closed, or withdrawn)


OPEN_HANDOFF_STATUSES = (HandoffStatus.WAITING.value, HandoffStatus.TAKEN.value)


class Conversation(Base):
    """One conversation with the assistant: its engine state and the running totals analytics
    read (so resolution, handoff and conversion rates, revenue, tokens, cost and latency per
    conversation are plain queries). `version` goes up with every write: a writer names the
    version it read, so two workers never both apply a turn."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))  # web, terminal, eval, mcp, ...
    language: Mapped[str | None] = mapped_column(String(8))  # the current one
    status: Mapped[str] = mapped_column(String(16), index=True)  # ConversationStatus
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the engine's; opaque here
    version: Mapped[int] = mapped_column(Integer, default=0)
    last_job: Mapped[str | None] = mapped_column(String(32))
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    handed_off: Mapped[bool] = mapped_column(Boolean, default=False)  # ever
    turn_count: Mapped[int] = mapped_column(Integer, default=0)
    message_count: Mapped[int] = mapped_column(Integer, default=0)  # also the last seq
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    # orders in `currency` (the shop's); each order, in its own currency, is in conversation_orders
    revenue_minor: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    # sums of the messages' usage
    model_calls: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_pico_usd: Mapped[int] = mapped_column(BigInteger, default=0)  # a cent is 10**10
    model_seconds: Mapped[float] = mapped_column(default=0.0)
    wall_seconds: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class ConversationMessage(Base):
    """One message, numbered 1, 2, ... in its conversation, with what the turn that wrote it
    understood, called and did, and what it cost."""

    __tablename__ = "conversation_messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    turn: Mapped[int] = mapped_column(Integer)  # the conversation's turn that wrote it
    role: Mapped[str] = mapped_column(String(16))  # customer | assistant | staff | system
    author: Mapped[str | None] = mapped_column(String(128))  # the staff member
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    job: Mapped[str | None] = mapped_column(String(32))
    commands: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tool_calls: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    staged: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    model_calls: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_pico_usd: Mapped[int] = mapped_column(BigInteger, default=0)
    model_seconds: Mapped[float] = mapped_column(default=0.0)
    wall_seconds: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(index=True)


class ConversationOrder(Base):
    """An order placed in a conversation (conversion and revenue). No foreign key to orders: a
    conversation's record never stands in the way of the store's own bookkeeping."""

    __tablename__ = "conversation_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    job: Mapped[str | None] = mapped_column(String(32))
    total_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    placed_at: Mapped[datetime] = mapped_column(index=True)


class Handoff(Base):
    """A conversation handed to the human queue, with why and a summary for the staff member.
    At most one is open (waiting or taken) per conversation."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))  # requested, out_of_scope, misunderstood...
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)  # HandoffStatus
    staff: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)  # the staff member's, on handing back
    created_at: Mapped[datetime] = mapped_column(index=True)
    taken_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


# The database, not only the service, keeps a conversation to one open handoff.
Index(
    "uq_handoffs_open_conversation_id",
    Handoff.conversation_id,
    unique=True,
    sqlite_where=Handoff.status.in_(OPEN_HANDOFF_STATUSES),
    postgresql_where=Handoff.status.in_(OPEN_HANDOFF_STATUSES),
)


# --- agent checkout (Agentic Commerce Protocol) ---------------------------------------------


class CheckoutSessionStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETING = "completing"  # being paid for; neither changed nor cancelled meanwhile
    COMPLETED = "completed"
    CANCELED = "canceled"


class AgentCheckoutSession(Base):
    """A checkout an outside agent drives: what to buy, for whom and where to, until it becomes
    an order or is cancelled. Prices are not kept: they are quoted afresh whenever the session
    is shown, and taken from its order once it has one. No foreign key to orders, as for
    conversations: a session's record never stands in the way of the store's bookkeeping."""

    __tablename__ = "agent_checkout_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # CheckoutSessionStatus
    currency: Mapped[str] = mapped_column(String(3))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # variant_id, quantity
    buyer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ship_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    coupon_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    shipping_option: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    # the total last shown to the agent: an order is placed only at that price
    quoted_total_minor: Mapped[int | None] = mapped_column(Integer)
    # why the last attempt to complete did not (payment declined, price changed...)
    issue: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    order_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    notified_event_id: Mapped[int | None] = mapped_column(Integer)  # the last order event sent
    cancel_reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IdempotencyKey(Base):
    """A client's Idempotency-Key for one kind of request: held while the first request runs,
    then the response it got, replayed to every repeat until the key expires. In the database,
    so that every worker answers a repeat the same way."""

    __tablename__ = "idempotency_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of scope and key
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # of the request body
    holder: Mapped[str] = mapped_column(String(32))  # the request running under the key
    status: Mapped[str] = mapped_column(String(16))  # in_flight | done
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class WebhookDelivery(Base):
    """An order event to send to the agent platform's webhook, and how sending it went: the
    outbox row is written with the change it reports, then sent (and retried) after."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(32))  # order_create | order_update
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    checkout_session_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    url: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)  # as first sent; retries send the same bytes
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(255))
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class StaffMember(Base):
    """A person who signs in to the console: support agents take handed-over conversations;
    managers also see the analytics."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))  # StaffRole
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class IdentityCode(Base):
    """A one-time code sent to a customer's email (identity mode `code`): only its keyed digest
    is kept; it is good once, until it expires, and dies after a few wrong tries."""

    __tablename__ = "identity_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)


class ProofFailure(Base):
    """A wrong one-time code or a wrong staff password: who it was for and where it came from,
    so repeated failures slow down and lock both the account and the address."""

    __tablename__ = "proof_failures"
    __table_args__ = (
        Index("ix_proof_failures_subject", "kind", "subject", "at"),
        Index("ix_proof_failures_client", "kind", "client", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "code" or "staff"
    subject: Mapped[str] = mapped_column(String(255))  # a customer id or a staff username
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class StaffSession(Base):
    """A staff sign-in, kept on the server: the cookie holds a random id whose digest is the key
    here, so signing out or a deactivation ends it at once."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's id
    username: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class KnowledgeDocument(Base):
    """One of the merchant's own documents (a help page, or a file of FAQ entries), as imported:
    `source` is its file name, `digest` the SHA-256 of its bytes (an unchanged file is skipped on
    the next import)."""

    __tablename__ = "knowledge_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # KnowledgeKind: document | faq
    title: Mapped[str] = mapped_column(String(255))
    lang: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime]
    passages: Mapped[list[KnowledgePassage]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        order_by="KnowledgePassage.position",
    )


class KnowledgePassage(Base):
    """A retrievable piece of a document: one section under its heading, or one FAQ entry (the
    question as heading). `terms` is the text as the search index sees it (stemmed words and
    CJK bigrams, space-separated), so SQLite's FTS5 and PostgreSQL's full-text search index the
    same tokens."""

    __tablename__ = "knowledge_passages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    heading: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
    document: Mapped[KnowledgeDocument] = relationship(back_populates="passages")

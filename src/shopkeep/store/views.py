"""What the store hands out: immutable, serialisable views of its records (never ORM objects)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shopkeep.store.money import Money

LocalizedText = dict[str, str]


def localized(text: LocalizedText, locale: str, fallback: str = "en") -> str:
    """The text in `locale`, else in `fallback`, else in any language it has."""
    return text.get(locale) or text.get(fallback) or next(iter(text.values()), "")


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- catalog --------------------------------------------------------------------------------


class VariantView(View):
    id: str
    product_id: str
    options: dict[str, str]
    price: Money
    stock: int | None  # None: not counted
    available: bool

    @property
    def in_stock(self) -> bool:
        return self.available and (self.stock is None or self.stock > 0)


class ReviewView(View):
    id: int
    author: str
    rating: int
    body: str
    locale: str
    created_at: datetime


class ProductView(View):
    id: str
    category: str
    brand: str | None
    name: LocalizedText
    description: LocalizedText
    attributes: dict[str, list[str]]
    variants: list[VariantView]
    rating: float | None
    review_count: int

    @property
    def price_range(self) -> tuple[Money, Money] | None:
        prices = sorted(v.price for v in self.variants if v.in_stock) or sorted(
            v.price for v in self.variants
        )
        return (prices[0], prices[-1]) if prices else None


class ProductHit(View):
    """A search result: the product, the variants that matched the filters, and how well."""

    product: ProductView
    matching_variants: list[VariantView]
    score: float


# --- customers ------------------------------------------------------------------------------


class AddressView(View):
    id: int
    label: str | None
    is_default: bool
    address1: str
    address2: str
    city: str
    state: str
    country: str
    zip: str

    def one_line(self) -> str:
        parts = [
            self.address1,
            self.address2,
            self.city,
            f"{self.state} {self.zip}".strip(),
            self.country,
        ]
        return ", ".join(p for p in parts if p)


class PaymentMethodView(View):
    """A saved way to pay, as shown to its owner: never more than brand and last four digits."""

    id: str
    source: str
    brand: str | None
    last_four: str | None
    balance: Money | None

    def label(self) -> str:
        if self.source == "credit_card":
            return f"{(self.brand or 'card').title()} ending {self.last_four}"
        if self.source == "gift_card":
            return f"gift card ({self.balance.display() if self.balance else '?'})"
        if self.source == "paypal":
            return "PayPal"
        return (self.brand or "wallet").title()


class CustomerView(View):
    id: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    locale: str | None
    profile: dict[str, Any]
    addresses: list[AddressView]
    payment_methods: list[PaymentMethodView]

    @property
    def name(self) -> str:
        """As the customer's language writes it: family name first, unspaced, in Chinese and
        Korean (王思雨, 이준호); given name first in the others."""
        if (self.locale or "").split("-")[0] in ("zh", "ko", "ja"):
            return f"{self.last_name}{self.first_name}"
        return f"{self.first_name} {self.last_name}"

    @property
    def default_address(self) -> AddressView | None:
        return next(
            (a for a in self.addresses if a.is_default),
            self.addresses[0] if self.addresses else None,
        )


class AddressInput(View):
    address1: str
    address2: str = ""
    city: str
    state: str = ""
    country: str
    zip: str


# --- carts, quotes --------------------------------------------------------------------------


class CartLine(View):
    variant_id: str
    product_id: str
    name: str
    options: dict[str, str]
    unit_price: Money
    quantity: int
    line_total: Money
    in_stock: bool


class CartView(View):
    customer_id: str
    lines: list[CartLine]
    subtotal: Money


class QuoteLine(View):
    name: str
    options: dict[str, str | list[str]]
    unit_price: Money
    quantity: int
    line_total: Money
    variant_id: str | None = None
    menu_item_id: str | None = None


class Quote(View):
    """The full price breakdown shown to the customer before they confirm."""

    lines: list[QuoteLine]
    subtotal: Money
    coupon_code: str | None
    discount: Money
    campaign_id: str | None
    campaign_name: LocalizedText | None
    subsidy: Money
    shipping: Money
    total: Money
    notes: list[str]  # codes of things worth telling: campaign_budget_exhausted, free_shipping...


# --- orders ---------------------------------------------------------------------------------


class OrderItemView(View):
    id: int
    product_id: str | None
    variant_id: str | None
    menu_item_id: str | None
    name: str
    options: dict[str, Any]
    unit_price: Money
    discount: Money


class TransactionView(View):
    kind: str
    amount: Money
    payment_method_id: str
    status: str
    reason: str | None
    created_at: datetime


class ShipmentView(View):
    carrier: str | None
    tracking_ids: list[str]
    item_ids: list[str]
    shipped_at: datetime | None


class ReturnView(View):
    item_ids: list[str]
    refund_method_id: str
    refund: Money
    reason: str | None
    status: str


class ExchangeView(View):
    item_ids: list[str]
    new_item_ids: list[str]
    payment_method_id: str
    price_difference: Money
    reason: str | None
    status: str


class OrderView(View):
    id: str
    kind: str
    customer_id: str
    status: str
    items: list[OrderItemView]
    subtotal: Money
    discount: Money
    subsidy: Money
    shipping: Money
    total: Money
    coupon_code: str | None
    campaign_id: str | None
    payment_method_id: str | None
    cancel_reason: str | None
    address: AddressInput | None
    local_store_id: str | None
    slot_start: datetime | None
    fulfilment: str
    transactions: list[TransactionView]
    shipments: list[ShipmentView]
    return_request: ReturnView | None
    exchange_request: ExchangeView | None
    created_at: datetime
    delivered_at: datetime | None

    @property
    def tracking_ids(self) -> list[str]:
        return [t for s in self.shipments for t in s.tracking_ids]


class OrderSummary(View):
    id: str
    kind: str
    status: str
    total: Money
    item_count: int
    item_names: list[str]
    created_at: datetime


# --- promotions -----------------------------------------------------------------------------


class CouponView(View):
    code: str
    kind: str
    value: int
    min_spend: Money
    max_discount: Money | None
    per_customer_limit: int
    valid_from: datetime | None
    valid_until: datetime | None
    applies_to: str
    title: LocalizedText
    active: bool


class CampaignView(View):
    id: str
    name: LocalizedText
    kind: str
    value: int
    max_subsidy: Money | None
    min_spend: Money
    budget: Money
    spent: Money
    remaining: Money
    starts_at: datetime | None
    ends_at: datetime | None
    applies_to: str
    categories: list[str]
    store_ids: list[str]
    active: bool


# --- local stores ---------------------------------------------------------------------------


class OptionChoiceView(View):
    code: str
    name: LocalizedText
    price_delta: Money


class OptionGroupView(View):
    code: str
    name: LocalizedText
    required: bool
    max_choices: int
    default_choice: str | None
    choices: list[OptionChoiceView]


class MenuItemView(View):
    id: str
    store_id: str
    category: str
    name: LocalizedText
    description: LocalizedText
    price: Money
    option_groups: list[OptionGroupView]
    available: bool


class LocalStoreView(View):
    id: str
    name: LocalizedText
    kind: str
    city: str
    area: str
    address: str
    timezone: str
    opening_hours: dict[str, list[list[str]]]
    slot_minutes: int
    capacity_per_slot: int
    offers_delivery: bool


class SlotView(View):
    store_id: str
    starts_at: datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return self.capacity - self.booked


# --- conversations --------------------------------------------------------------------------

MessageRole = Literal["customer", "assistant", "staff", "system"]


class MessageInput(View):
    """A message a turn writes, with what the turn understood, called and did, and its model
    usage. Staff messages are written by `ConversationLog.staff_reply`, not by a turn."""

    role: Literal["customer", "assistant", "system"]
    text: str
    language: str | None = None
    job: str | None = None
    commands: list[dict[str, Any]] = Field(default_factory=list)
    """What understanding produced."""
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    """Each {name, arguments, result}: the result summarised."""
    events: list[dict[str, Any]] = Field(default_factory=list)
    """Each with a "kind": staged, committed, refused, handoff, ..."""
    staged: dict[str, Any] | None = None
    """The consequential action shown for confirmation."""
    model_calls: int = Field(default=0, ge=0)
    prompt_tokens: int = Field(default=0, ge=0)
    cached_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    cost_pico_usd: int = Field(default=0, ge=0)
    model_seconds: float = Field(default=0.0, ge=0)
    wall_seconds: float = Field(default=0.0, ge=0)


class HandoffInput(View):
    """Why a conversation goes to the human queue, and what the staff member should know."""

    reason: str
    summary: str = ""


class MessageView(View):
    id: int
    conversation_id: str
    seq: int
    turn: int
    role: MessageRole
    author: str | None
    text: str
    language: str | None
    job: str | None
    commands: list[dict[str, Any]]
    tool_calls: list[dict[str, Any]]
    events: list[dict[str, Any]]
    staged: dict[str, Any] | None
    model_calls: int
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    cost_pico_usd: int
    model_seconds: float
    wall_seconds: float
    created_at: datetime


class HandoffView(View):
    id: int
    conversation_id: str
    customer_id: str | None
    language: str | None
    channel: str
    reason: str
    summary: str
    status: str  # waiting | taken | returned | closed
    staff: str | None
    note: str | None
    created_at: datetime
    taken_at: datetime | None
    returned_at: datetime | None
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status in ("waiting", "taken")


class ConversationView(View):
    """A conversation as last written. `version` is what the next write must name."""

    id: str
    customer_id: str | None
    channel: str
    language: str | None
    status: str  # active | waiting_human | human | closed
    state: dict[str, Any]
    version: int
    last_job: str | None
    resolved: bool
    handed_off: bool
    open_handoff_id: int | None
    turn_count: int
    message_count: int
    order_ids: list[str]
    revenue: Money
    """Of the orders in the shop's currency."""
    model_calls: int
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    cost_pico_usd: int
    model_seconds: float
    wall_seconds: float
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None

"""The Agentic Commerce Protocol 2026-04-17 checkout objects on the wire, as pydantic models.

Requests accept what the protocol's JSON schema accepts, plus shopkeep's `quantity` on a line
item (the 2026-04-17 `Item` has none); fields shopkeep does not use are accepted and ignored.
Responses are the subset of the protocol's objects shopkeep fills in, and validate against its
JSON schema. Strings a request carries into the database are bounded as its columns are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shopkeep.logs import holds_card_number

API_VERSION = "2026-04-17"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Code = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_no_nul)]
Name = Annotated[str, Field(max_length=128), AfterValidator(_no_nul)]
Line = Annotated[str, Field(max_length=255), AfterValidator(_no_nul)]
Phone = Annotated[str, Field(max_length=64), AfterValidator(_no_nul)]
Email = Annotated[str, Field(max_length=255, pattern=r"^[^@\s]+@[^@\s]+$"), AfterValidator(_no_nul)]
Note = Annotated[str, Field(max_length=5000), AfterValidator(_no_nul)]


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- requests -------------------------------------------------------------------------------


class ItemRequest(Request):
    """An item to buy. `id` is the shop's variant id. `quantity` is shopkeep's extension of
    the 2026-04-17 protocol, whose `Item` has none: how many units (default 1)."""

    id: Code
    quantity: int = Field(default=1, ge=1, description="shopkeep extension: units to buy")
    name: str | None = Field(default=None, description="ignored: the shop's name is used")
    unit_amount: int | None = Field(default=None, description="ignored: the shop's price is used")


class AddressRequest(Request):
    name: Line
    line_one: Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_no_nul)]
    line_two: Line = ""
    city: Name
    state: Name
    country: Phone
    postal_code: Annotated[str, Field(max_length=32), AfterValidator(_no_nul)]


class BuyerRequest(Request):
    email: Email
    first_name: Name | None = None
    last_name: Name | None = None
    full_name: Annotated[str, Field(max_length=257), AfterValidator(_no_nul)] | None = None
    phone_number: Phone | None = None


class FulfillmentDetailsRequest(Request):
    name: Line | None = None
    phone_number: Phone | None = None
    email: Email | None = None
    address: AddressRequest | None = None


class SelectedFulfillmentOptionRequest(Request):
    type: Literal["shipping", "digital", "pickup", "local_delivery"]
    option_id: Code
    item_ids: list[str] = Field(default_factory=list)


class DiscountsRequest(Request):
    codes: list[Code] = Field(default_factory=list, max_length=20)


class CheckoutSessionCreateRequest(Request):
    line_items: list[ItemRequest] = Field(min_length=1, max_length=100)
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]
    capabilities: dict[str, Any] | None = Field(
        default=None, description="the agent's capabilities; accepted, not used"
    )
    buyer: BuyerRequest | None = None
    fulfillment_details: FulfillmentDetailsRequest | None = None
    discounts: DiscountsRequest | None = None
    coupons: list[Code] | None = Field(
        default=None, max_length=20, description="older form of discounts.codes"
    )
    order_notes: Note | None = None
    locale: str | None = None


class CheckoutSessionUpdateRequest(Request):
    line_items: list[ItemRequest] | None = Field(default=None, min_length=1, max_length=100)
    buyer: BuyerRequest | None = None
    fulfillment_details: FulfillmentDetailsRequest | None = None
    selected_fulfillment_options: list[SelectedFulfillmentOptionRequest] | None = Field(
        default=None, max_length=10
    )
    discounts: DiscountsRequest | None = None
    coupons: list[Code] | None = Field(default=None, max_length=20)
    order_notes: Note | None = None


def _no_card_number(value: str) -> str:
    if holds_card_number(value):
        raise ValueError("send the payment provider's token, never a card number")
    return value


class Credential(Request):
    type: Code
    token: Annotated[
        str,
        Field(min_length=1, max_length=128),
        AfterValidator(_no_nul),
        AfterValidator(_no_card_number),
    ]


class Instrument(Request):
    type: Code
    credential: Credential


class PaymentData(Request):
    handler_id: Code
    instrument: Instrument
    billing_address: AddressRequest | None = Field(default=None, description="accepted, not used")


class CheckoutSessionCompleteRequest(Request):
    payment_data: PaymentData
    buyer: BuyerRequest | None = None


ReasonCode = Literal[
    "price_sensitivity",
    "shipping_cost",
    "shipping_speed",
    "product_fit",
    "trust_security",
    "returns_policy",
    "payment_options",
    "comparison",
    "timing_deferred",
    "other",
]


class IntentTrace(Request):
    reason_code: ReasonCode
    trace_summary: str | None = Field(default=None, max_length=500)


class CancelSessionRequest(Request):
    intent_trace: IntentTrace | None = None


# --- responses ------------------------------------------------------------------------------

TotalType = Literal[
    "items_base_amount",
    "items_discount",
    "subtotal",
    "discount",
    "fulfillment",
    "tax",
    "fee",
    "gift_wrap",
    "tip",
    "store_credit",
    "total",
    "amount_refunded",
]
SessionStatus = Literal[
    "incomplete",
    "not_ready_for_payment",
    "requires_escalation",
    "authentication_required",
    "ready_for_payment",
    "pending_approval",
    "complete_in_progress",
    "completed",
    "canceled",
    "in_progress",
    "expired",
]
Resolution = Literal["recoverable", "requires_buyer_input", "requires_buyer_review"]


class Total(BaseModel):
    """An amount in minor units. Discounts are positive amounts taken off."""

    type: TotalType
    display_text: str
    amount: int


class Item(BaseModel):
    id: str


class VariantOption(BaseModel):
    name: str
    value: str


class DiscountDetail(BaseModel):
    code: str | None = None
    type: Literal["percentage", "fixed", "bogo", "volume"]
    amount: int
    source: Literal["coupon", "automatic", "loyalty"]


class LineItem(BaseModel):
    id: str
    item: Item
    quantity: int = Field(ge=1)
    name: str
    unit_amount: int
    product_id: str | None = None
    variant_id: str
    availability_status: Literal["in_stock", "low_stock", "out_of_stock"]
    available_quantity: int | None = Field(default=None, ge=0)
    max_quantity_per_order: int = Field(ge=1)
    variant_options: list[VariantOption] = Field(default_factory=list)
    totals: list[Total]


class FulfillmentOptionShipping(BaseModel):
    type: Literal["shipping"] = "shipping"
    id: str
    title: str
    description: str | None = None
    totals: list[Total]


class SelectedFulfillmentOption(BaseModel):
    type: Literal["shipping"] = "shipping"
    option_id: str
    item_ids: list[str]


class Message(BaseModel):
    """Something the agent should know or fix. `code` is absent on info messages."""

    type: Literal["info", "warning", "error"]
    code: str | None = None
    severity: Literal["info", "low", "medium", "high", "critical"] | None = None
    resolution: Resolution | None = None
    param: str | None = None
    content_type: Literal["plain", "markdown"] = "plain"
    content: str


class Link(BaseModel):
    type: Literal["terms_of_use", "privacy_policy", "return_policy"]
    url: str


class PaymentHandler(BaseModel):
    id: str
    name: str
    display_name: str
    version: str
    spec: str
    requires_delegate_payment: bool
    requires_pci_compliance: bool
    psp: str
    config_schema: str
    instrument_schemas: list[str]
    config: dict[str, Any]


class Payment(BaseModel):
    handlers: list[PaymentHandler]


class Capabilities(BaseModel):
    payment: Payment


class Buyer(BaseModel):
    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None


class Address(BaseModel):
    name: str
    line_one: str
    line_two: str | None = None
    city: str
    state: str
    country: str
    postal_code: str


class FulfillmentDetails(BaseModel):
    name: str | None = None
    phone_number: str | None = None
    email: str | None = None
    address: Address | None = None


class Coupon(BaseModel):
    id: str
    name: str
    percent_off: float | None = None
    amount_off: int | None = None
    currency: str | None = None


class AppliedDiscount(BaseModel):
    id: str
    code: str | None = None
    coupon: Coupon
    amount: int = Field(ge=0)
    automatic: bool


class RejectedDiscount(BaseModel):
    code: str
    reason: Literal[
        "discount_code_expired",
        "discount_code_invalid",
        "discount_code_already_applied",
        "discount_code_combination_disallowed",
        "discount_code_minimum_not_met",
        "discount_code_user_not_logged_in",
        "discount_code_user_ineligible",
        "discount_code_usage_limit_reached",
    ]
    message: str | None = None


class Discounts(BaseModel):
    codes: list[str]
    applied: list[AppliedDiscount]
    rejected: list[RejectedDiscount]


class OrderLineItemQuantity(BaseModel):
    ordered: int = Field(ge=1)
    current: int = Field(ge=0)
    fulfilled: int = Field(ge=0)


class OrderLineItem(BaseModel):
    id: str
    title: str
    product_id: str | None = None
    quantity: OrderLineItemQuantity
    unit_price: int
    subtotal: int
    status: Literal["processing", "partial", "fulfilled", "removed"]


class LineItemReference(BaseModel):
    id: str
    quantity: int = Field(ge=1)


class FulfillmentEvent(BaseModel):
    id: str
    type: str
    occurred_at: datetime


class Fulfillment(BaseModel):
    id: str
    type: Literal["shipping"] = "shipping"
    status: str
    line_items: list[LineItemReference]
    carrier: str | None = None
    tracking_number: str | None = None
    events: list[FulfillmentEvent]


class Adjustment(BaseModel):
    id: str
    type: Literal["refund"]
    occurred_at: datetime
    status: Literal["pending", "completed"]
    amount: int
    currency: str
    reason: str | None = None


class OrderConfirmation(BaseModel):
    confirmation_number: str


class Order(BaseModel):
    """The order a completed session made. `status`: created, confirmed, shipped, completed,
    canceled (a consumer must tolerate others)."""

    type: Literal["order"] = "order"
    id: str
    checkout_session_id: str
    order_number: str
    permalink_url: str
    status: str
    confirmation: OrderConfirmation
    line_items: list[OrderLineItem]
    fulfillments: list[Fulfillment]
    adjustments: list[Adjustment]
    totals: list[Total]


class ProtocolVersion(BaseModel):
    version: str


class CheckoutSession(BaseModel):
    """The authoritative state of a checkout session. `order` is present once it is
    completed."""

    id: str
    protocol: ProtocolVersion
    capabilities: Capabilities
    buyer: Buyer | None = None
    status: SessionStatus
    currency: str
    line_items: list[LineItem]
    fulfillment_details: FulfillmentDetails | None = None
    fulfillment_options: list[FulfillmentOptionShipping]
    selected_fulfillment_options: list[SelectedFulfillmentOption]
    totals: list[Total]
    messages: list[Message]
    links: list[Link]
    discounts: Discounts | None = None
    order: Order | None = None
    created_at: datetime
    updated_at: datetime


class Error(BaseModel):
    """A request that was refused. `param` is an RFC 9535 JSONPath into the request."""

    type: Literal["invalid_request", "processing_error", "service_unavailable"]
    code: str
    message: str
    param: str | None = None
    supported_versions: list[str] | None = None


class WebhookEvent(BaseModel):
    """What the shop POSTs to the agent platform's webhook: the whole order, as it is now."""

    type: Literal["order_create", "order_update"]
    data: Order

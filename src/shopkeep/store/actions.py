"""What a customer can do that changes the store, and the one place that decides it.

Each consequential action is a typed, frozen value (`PlaceOrder`, `CancelOrder`, ...; together
`StoreAction`, discriminated by `kind`). `Actions.preview` runs, read-only, exactly the checks
the change runs — the same functions — and returns what the customer must see before saying
yes: the lines and amounts, every charge and refund with its method, the address, the slot. A
refusal is the store's typed error, raised. `Actions.perform` carries the action out, checking
again inside its own transaction. Every surface — the assistant's flows, its function-calling
modes, the MCP server, agent checkout — goes through these two, so a rule lives only here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from shopkeep.store.aftersales import AfterSales
from shopkeep.store.catalog import variant_view
from shopkeep.store.checkout import Checkout, LineRequest, Placement, plan
from shopkeep.store.context import StoreContext
from shopkeep.store.customers import (
    Customers,
    customer_view,
    load_customer,
    payment_method_view,
    validate_address,
)
from shopkeep.store.errors import InvalidRequest, StoreError
from shopkeep.store.lifecycle import load_order, order_view
from shopkeep.store.local import LocalServices, MenuLine
from shopkeep.store.models import Order, OrderItem, PaymentMethod, Variant
from shopkeep.store.money import Money
from shopkeep.store.orders import Orders
from shopkeep.store.payments import net_paid_by_method
from shopkeep.store.views import (
    AddressInput,
    CustomerView,
    OrderItemView,
    OrderView,
    PaymentMethodView,
    Quote,
    VariantView,
    View,
)

# --- the actions ----------------------------------------------------------------------------


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlaceOrder(_Action):
    """Buy catalog items: shipped to a saved address (the default when none is named) or to
    `address`, paid with one of the customer's methods."""

    kind: Literal["place_order"] = "place_order"
    lines: tuple[LineRequest, ...] = Field(min_length=1)
    payment_method_id: str
    address_id: int | None = None
    address: AddressInput | None = None
    coupon_code: str | None = None
    campaign_id: str | None = None
    expected_total: Money | None = None
    """The total the customer was shown; a different price is refused (`quote_changed`)."""


class PlaceLocalOrder(_Action):
    """Order food or drinks from a local store for pickup or delivery in a slot."""

    kind: Literal["place_local_order"] = "place_local_order"
    store_id: str
    lines: tuple[MenuLine, ...] = Field(min_length=1)
    slot_start: AwareDatetime
    payment_method_id: str
    fulfilment: Literal["pickup", "delivery"] = "pickup"
    address: AddressInput | None = None
    coupon_code: str | None = None
    expected_total: Money | None = None


class CancelOrder(_Action):
    kind: Literal["cancel_order"] = "cancel_order"
    order_id: str
    reason: str
    """One of the store's cancel reasons (`StorePolicy.cancel_reasons`)."""


class ChangeAddress(_Action):
    """Ship a pending order somewhere else."""

    kind: Literal["change_address"] = "change_address"
    order_id: str
    address: AddressInput


class ChangePayment(_Action):
    """Pay a pending order with another of the customer's methods; the old one is refunded."""

    kind: Literal["change_payment"] = "change_payment"
    order_id: str
    payment_method_id: str


class ChangeItems(_Action):
    """Swap units of a pending order for other variants of the same products, once."""

    kind: Literal["change_items"] = "change_items"
    order_id: str
    item_ids: tuple[str, ...] = Field(min_length=1)
    """The units changed, a variant id once per unit."""
    new_item_ids: tuple[str, ...] = Field(min_length=1)
    payment_method_id: str
    """Pays the price difference, or gets it back."""


class RequestReturn(_Action):
    kind: Literal["request_return"] = "request_return"
    order_id: str
    item_ids: tuple[str, ...] = Field(min_length=1)
    refund_method_id: str
    reason: str | None = None
    """The customer's reason, in their words; recorded with the request."""


class RequestExchange(_Action):
    kind: Literal["request_exchange"] = "request_exchange"
    order_id: str
    item_ids: tuple[str, ...] = Field(min_length=1)
    new_item_ids: tuple[str, ...] = Field(min_length=1)
    payment_method_id: str
    reason: str | None = None


class ChangeDefaultAddress(_Action):
    """Replace the customer's default address (τ²-bench's modify_user_address)."""

    kind: Literal["change_default_address"] = "change_default_address"
    address: AddressInput


AnyAction = (
    PlaceOrder
    | PlaceLocalOrder
    | CancelOrder
    | ChangeAddress
    | ChangePayment
    | ChangeItems
    | RequestReturn
    | RequestExchange
    | ChangeDefaultAddress
)
StoreAction = Annotated[AnyAction, Field(discriminator="kind")]
ACTION_TYPES: dict[str, type[AnyAction]] = {
    kind.model_fields["kind"].default: kind for kind in get_args(AnyAction)
}
"""Each action's type by its kind."""
ActionKind = Literal[
    "place_order",
    "place_local_order",
    "cancel_order",
    "change_address",
    "change_payment",
    "change_items",
    "request_return",
    "request_exchange",
    "change_default_address",
]
ACTION_KINDS: tuple[ActionKind, ...] = get_args(ActionKind)
PLACEMENTS: frozenset[ActionKind] = frozenset({"place_order", "place_local_order"})
"""The actions that create an order (and pay for it)."""


# --- what the customer sees before saying yes -------------------------------------------------


class MoneyMove(View):
    """Money the action moves: charged to, or refunded to, one of the customer's methods."""

    kind: Literal["charge", "refund"]
    amount: Money
    method: PaymentMethodView
    when: Literal["now", "on_completion"] = "now"
    """"on_completion": when the returned goods arrive (returns and exchanges)."""


class Preview(View):
    """Everything the customer must see before saying yes to `action`, as the store would do it
    now."""

    action: StoreAction
    order: OrderView | None = None
    """The order the action changes, as it stands."""
    quote: Quote | None = None
    """A new order's lines and price breakdown."""
    address: AddressInput | None = None
    """Where a new order goes, or an order's (or the default) new address."""
    previous_address: AddressInput | None = None
    slot_start: datetime | None = None
    payment_method: PaymentMethodView | None = None
    """The method that pays a new order, or becomes the order's method."""
    units: list[OrderItemView] = Field(default_factory=list)
    """The order's units the action takes: all for a cancellation, those named otherwise."""
    replacements: list[VariantView] = Field(default_factory=list)
    """The variants the units become, unit by unit (item changes, exchanges)."""
    moves: list[MoneyMove] = Field(default_factory=list)
    """Every charge and refund, with its method."""

    @property
    def charged(self) -> Money | None:
        """What the customer pays now, if anything."""
        now = [m.amount for m in self.moves if m.kind == "charge" and m.when == "now"]
        return sum(now[1:], now[0]) if now else None

    @property
    def refunded(self) -> Money | None:
        """What comes back to the customer, now or on completion, if anything."""
        back = [m.amount for m in self.moves if m.kind == "refund"]
        return sum(back[1:], back[0]) if back else None


# --- the desk --------------------------------------------------------------------------------


class Actions:
    """Previews and performs a customer's consequential actions; the rules are the services'
    own check functions, run by both."""

    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx
        self.checkout = Checkout(ctx)
        self.local = LocalServices(ctx)
        self.orders = Orders(ctx)
        self.aftersales = AfterSales(ctx)
        self.customers = Customers(ctx)

    # order-level checks

    def check_order(self, customer_id: str, kind: ActionKind, order_id: str) -> OrderView:
        """The customer's order, if an action of this kind may be asked for it at all, whatever
        its details: the part of the checks that looks only at the order (its state, how it is
        served, its history). Raises the refusal otherwise; the whole action is checked again
        by `preview` and `perform`."""
        with self._ctx.db.reading() as s:
            order = load_order(s, order_id, customer_id)
            match kind:
                case "cancel_order":
                    self.orders.open_to_cancel(s, order)
                case "change_address":
                    Orders.open_to_address(order)
                case "change_payment":
                    Orders.open_to_payment(order)
                case "change_items":
                    Orders.open_to_items(order)
                case "request_return" | "request_exchange":
                    self.aftersales.open_to_return(order)
                case _:
                    raise InvalidRequest(f"{kind} is not an action on an order.")
            return order_view(order)

    def allows(self, customer_id: str, kind: ActionKind, order_id: str) -> bool:
        """Whether `check_order` passes."""
        try:
            self.check_order(customer_id, kind, order_id)
        except StoreError:
            return False
        return True

    # preview

    def preview(self, customer_id: str, action: StoreAction) -> Preview:
        """What doing `action` for the customer would do, checked as doing it checks; nothing
        changes. Raises the store's refusal when it would be refused."""
        with self._ctx.db.reading() as s:
            match action:
                case PlaceOrder() | PlaceLocalOrder():
                    return self._preview_placement(s, customer_id, action)
                case CancelOrder():
                    order = self.orders.cancellable(s, customer_id, action.order_id, action.reason)
                    moves = [
                        MoneyMove(kind="refund", amount=Money(amount, order.currency), method=m)
                        for m, amount in _by_method(s, net_paid_by_method(order))
                        if amount > 0
                    ]
                    return Preview(
                        action=action,
                        order=order_view(order),
                        units=[u for u in order_view(order).items],
                        slot_start=order.slot_start,
                        moves=moves,
                    )
                case ChangeAddress():
                    order = Orders.addressable(s, customer_id, action.order_id, action.address)
                    view = order_view(order)
                    return Preview(
                        action=action,
                        order=view,
                        address=action.address,
                        previous_address=view.address,
                    )
                case ChangePayment():
                    order, method, amount = self.orders.payment_change(
                        s, customer_id, action.order_id, action.payment_method_id
                    )
                    old = s.get(PaymentMethod, order.transactions[0].payment_method_id)
                    assert old is not None
                    paid = Money(amount, order.currency)
                    return Preview(
                        action=action,
                        order=order_view(order),
                        payment_method=payment_method_view(method),
                        moves=[
                            MoneyMove(
                                kind="charge", amount=paid, method=payment_method_view(method)
                            ),
                            MoneyMove(kind="refund", amount=paid, method=payment_method_view(old)),
                        ],
                    )
                case ChangeItems():
                    swap = Orders.item_change(
                        s,
                        customer_id,
                        action.order_id,
                        list(action.item_ids),
                        list(action.new_item_ids),
                        action.payment_method_id,
                    )
                    return _swap_preview(action, swap, when="now")
                case RequestReturn():
                    ret = self.aftersales.returnable(
                        s,
                        customer_id,
                        action.order_id,
                        list(action.item_ids),
                        action.refund_method_id,
                    )
                    view = order_view(ret.order)
                    return Preview(
                        action=action,
                        order=view,
                        units=_unit_views(view, ret.units),
                        moves=[
                            MoneyMove(
                                kind="refund",
                                amount=Money(ret.refund, ret.order.currency),
                                method=payment_method_view(ret.method),
                                when="on_completion",
                            )
                        ],
                    )
                case RequestExchange():
                    swap = self.aftersales.exchangeable(
                        s,
                        customer_id,
                        action.order_id,
                        list(action.item_ids),
                        list(action.new_item_ids),
                        action.payment_method_id,
                    )
                    return _swap_preview(action, swap, when="on_completion")
                case ChangeDefaultAddress():
                    validate_address(action.address)
                    customer = customer_view(load_customer(s, customer_id))
                    home = customer.default_address
                    return Preview(
                        action=action,
                        address=action.address,
                        previous_address=(
                            AddressInput(**home.model_dump(include=set(AddressInput.model_fields)))
                            if home
                            else None
                        ),
                    )
        raise InvalidRequest(f"Unknown action {action!r}.")  # pragma: no cover - exhaustive

    def _preview_placement(
        self, s: Session, customer_id: str, action: PlaceOrder | PlaceLocalOrder
    ) -> Preview:
        placement = self._placement(customer_id, action, idempotency_key="preview")
        pricing, method = plan(self._ctx, s, placement, reserve=False)
        quote = pricing.quote()
        paid_with = payment_method_view(method)
        return Preview(
            action=action,
            quote=quote,
            address=placement.address,
            slot_start=placement.slot_start,
            payment_method=paid_with,
            moves=[MoneyMove(kind="charge", amount=quote.total, method=paid_with)],
        )

    def _placement(
        self, customer_id: str, action: PlaceOrder | PlaceLocalOrder, idempotency_key: str
    ) -> Placement:
        if isinstance(action, PlaceOrder):
            return self.checkout.placement(
                customer_id,
                payment_method_id=action.payment_method_id,
                idempotency_key=idempotency_key,
                lines=list(action.lines),
                address_id=action.address_id,
                address=action.address,
                coupon_code=action.coupon_code,
                campaign_id=action.campaign_id,
                expected_total=action.expected_total,
            )
        return self.local.placement(
            customer_id,
            action.store_id,
            list(action.lines),
            slot_start=action.slot_start,
            payment_method_id=action.payment_method_id,
            idempotency_key=idempotency_key,
            fulfilment=action.fulfilment,
            address=action.address,
            coupon_code=action.coupon_code,
            expected_total=action.expected_total,
        )

    # perform

    def perform(
        self, customer_id: str, action: StoreAction, idempotency_key: str
    ) -> OrderView | CustomerView:
        """Do `action` for the customer: the order placed or changed (the customer, for their
        default address). Every check runs again inside the change's transaction. The same
        `idempotency_key` places an order exactly once; a change is guarded by the order's
        state, so a repeated one is refused rather than done twice."""
        cid = customer_id
        match action:
            case PlaceOrder():
                return self.checkout.place_order(
                    cid,
                    payment_method_id=action.payment_method_id,
                    idempotency_key=idempotency_key,
                    lines=list(action.lines),
                    address_id=action.address_id,
                    address=action.address,
                    coupon_code=action.coupon_code,
                    campaign_id=action.campaign_id,
                    expected_total=action.expected_total,
                )
            case PlaceLocalOrder():
                return self.local.place_order(
                    cid,
                    action.store_id,
                    list(action.lines),
                    slot_start=action.slot_start,
                    payment_method_id=action.payment_method_id,
                    idempotency_key=idempotency_key,
                    fulfilment=action.fulfilment,
                    address=action.address,
                    coupon_code=action.coupon_code,
                    expected_total=action.expected_total,
                )
            case CancelOrder():
                return self.orders.cancel(cid, action.order_id, action.reason)
            case ChangeAddress():
                return self.orders.change_address(cid, action.order_id, action.address)
            case ChangePayment():
                return self.orders.change_payment_method(
                    cid, action.order_id, action.payment_method_id
                )
            case ChangeItems():
                return self.orders.change_items(
                    cid,
                    action.order_id,
                    list(action.item_ids),
                    list(action.new_item_ids),
                    action.payment_method_id,
                )
            case RequestReturn():
                return self.aftersales.request_return(
                    cid,
                    action.order_id,
                    list(action.item_ids),
                    action.refund_method_id,
                    action.reason,
                )
            case RequestExchange():
                return self.aftersales.request_exchange(
                    cid,
                    action.order_id,
                    list(action.item_ids),
                    list(action.new_item_ids),
                    action.payment_method_id,
                    action.reason,
                )
            case ChangeDefaultAddress():
                return self.customers.set_default_address(cid, action.address)
        raise InvalidRequest(f"Unknown action {action!r}.")  # pragma: no cover - exhaustive


def _by_method(s: Session, amounts: dict[str, int]) -> list[tuple[PaymentMethodView, int]]:
    out = []
    for method_id, amount in amounts.items():
        method = s.get(PaymentMethod, method_id)
        assert method is not None
        out.append((payment_method_view(method), amount))
    return out


def _unit_views(order: OrderView, units: Sequence[OrderItem]) -> list[OrderItemView]:
    by_id = {u.id: u for u in order.items}
    return [by_id[u.id] for u in units]


def _swap_preview(
    action: ChangeItems | RequestExchange,
    swap: tuple[Order, list[OrderItem], list[Variant], PaymentMethod, int],
    *,
    when: Literal["now", "on_completion"],
) -> Preview:
    order, units, variants, method, difference = swap
    view = order_view(order)
    moves = []
    if difference:
        moves.append(
            MoneyMove(
                kind="charge" if difference > 0 else "refund",
                amount=Money(abs(difference), order.currency),
                method=payment_method_view(method),
                when=when,
            )
        )
    return Preview(
        action=action,
        order=view,
        units=_unit_views(view, units),
        replacements=[variant_view(v) for v in variants],
        payment_method=payment_method_view(method),
        moves=moves,
    )

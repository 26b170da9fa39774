"""Agent checkout: checkout sessions an outside agent drives (the Agentic Commerce Protocol), the
idempotency keys of its requests, and the outbox of order events the agent is sent.

A session holds what to buy, for whom and where to. It keeps no prices: the store's own quote
prices it whenever it is shown, until it has an order, whose amounts it shows from then on.
Completing a session places the order through `Checkout.place_order` under a key of the
session's own, so however often completion is retried, with whatever request keys, one session
makes at most one order and one charge.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, object_session

from shopkeep.logs import holds_card_number
from shopkeep.store.actions import Actions, PlaceOrder
from shopkeep.store.checkout import Checkout, LineRequest, allocate
from shopkeep.store.context import StoreContext
from shopkeep.store.customers import CustomerInput, Customers, fold, load_customer, validate_address
from shopkeep.store.db import insert_if_absent
from shopkeep.store.errors import (
    CartEmpty,
    CheckoutSessionClosed,
    CheckoutSessionNotFound,
    CouponNotApplicable,
    CouponNotFound,
    CustomerNotFound,
    IdempotencyConflict,
    IdempotencyKeyInFlight,
    InsufficientGiftCardBalance,
    InvalidQuantity,
    InvalidRequest,
    OutOfStock,
    PaymentDeclined,
    QuoteChanged,
    StoreError,
    VariantNotFound,
    VariantUnavailable,
)
from shopkeep.store.lifecycle import load_order, order_view
from shopkeep.store.models import (
    AgentCheckoutSession,
    Campaign,
    CheckoutSessionStatus,
    Customer,
    IdempotencyKey,
    OrderEvent,
    OrderKind,
    PaymentMethod,
    PaymentSource,
    Product,
    Variant,
    WebhookDelivery,
)
from shopkeep.store.money import Money
from shopkeep.store.promotions import price_order
from shopkeep.store.views import AddressInput, LocalizedText, OrderView, Quote, View, localized

STANDARD_SHIPPING = "standard"
MAX_LINES = 100
# Ids the store hands out are short and plain; anything else cannot name a session, and is not
# worth a query (a NUL byte would not even reach PostgreSQL).
_PLAIN_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


# --- what goes in and out -------------------------------------------------------------------


class SessionLine(View):
    variant_id: str
    quantity: int = 1


class Buyer(View):
    """Who buys: the email identifies them (a store customer, or a guest made on completion)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str | None = None


class ShipTo(View):
    """Where the order goes, and whom to ask about it (any part may come before the rest)."""

    name: str = ""
    address: AddressInput | None = None
    phone: str | None = None
    email: str | None = None


class SessionChanges(View):
    """What a create or update sets. A field left out is kept; `buyer`, `ship_to` and `note`
    given as None are cleared."""

    lines: list[SessionLine] | None = None
    buyer: Buyer | None = None
    ship_to: ShipTo | None = None
    coupon_codes: list[str] | None = None
    shipping_option: str | None = None
    note: str | None = None


class PaymentToken(View):
    """A one-time payment credential from the agent platform, charged through the gateway."""

    handler: str
    token: str = Field(min_length=1, max_length=128)


class SessionProblem(View):
    """Why a session cannot be paid yet, or why the last attempt to complete it did not.
    `code`: missing_email, missing_address, out_of_stock, unavailable, payment_declined,
    price_changed, coupon_refused, not_priced. `line` is the index of the line concerned."""

    code: str
    message: str
    line: int | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        """A blocking problem must be fixed before the session can be paid; the others only
        tell what happened to the last attempt."""
        return self.code not in ("payment_declined", "price_changed", "coupon_refused")


class CouponOutcome(View):
    """A discount code the agent gave: applied, or why not (`reason`: not_found, expired,
    not_started, inactive, min_spend_not_met, customer_limit_reached, usage_limit_reached,
    currency_mismatch, not_for_channel, combined — one coupon per order — or no_items)."""

    code: str
    applied: bool
    reason: str | None = None
    message: str | None = None


class ShippingOption(View):
    id: str
    title: str
    fee: Money
    free_from: Money | None


class SessionItem(View):
    variant_id: str
    product_id: str | None
    name: str
    options: dict[str, str]
    unit_price: Money
    quantity: int
    amount: Money
    discount: Money
    stock: int | None
    in_stock: bool


class SessionTotals(View):
    subtotal: Money
    coupon_code: str | None
    discount: Money
    campaign_id: str | None
    campaign_name: LocalizedText | None
    subsidy: Money
    shipping: Money
    total: Money
    refunded: Money


class SessionView(View):
    """A session as the agent should see it now. `status`: open, completing, completed,
    canceled; `ready` when it can be paid as it stands."""

    id: str
    status: str
    ready: bool
    currency: str
    customer_id: str | None
    buyer: Buyer | None
    ship_to: ShipTo | None
    items: list[SessionItem]
    totals: SessionTotals
    coupons: list[CouponOutcome]
    shipping_options: list[ShippingOption]
    shipping_option: str
    problems: list[SessionProblem]
    note: str | None
    order: OrderView | None
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime


class DeliveryView(View):
    id: int
    event: str
    order_id: str
    checkout_session_id: str
    status: str
    attempts: int
    url: str | None
    body: str | None
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class _State:
    """A session's stored fields, read out of its row."""

    id: str
    status: str
    currency: str
    customer_id: str | None
    lines: list[SessionLine]
    buyer: Buyer | None
    ship_to: ShipTo | None
    coupon_codes: list[str]
    shipping_option: str
    note: str | None
    quoted_total: int | None
    issue: dict[str, Any] | None
    order_id: str | None
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def email(self) -> str | None:
        if self.buyer is not None:
            return self.buyer.email
        return self.ship_to.email if self.ship_to is not None else None


def _state(row: AgentCheckoutSession) -> _State:
    return _State(
        id=row.id,
        status=row.status,
        currency=row.currency,
        customer_id=row.customer_id,
        lines=[SessionLine.model_validate(line) for line in row.lines],
        buyer=Buyer.model_validate(row.buyer) if row.buyer else None,
        ship_to=ShipTo.model_validate(row.ship_to) if row.ship_to else None,
        coupon_codes=list(row.coupon_codes),
        shipping_option=row.shipping_option,
        note=row.note,
        quoted_total=row.quoted_total_minor,
        issue=dict(row.issue) if row.issue else None,
        order_id=row.order_id,
        cancel_reason=row.cancel_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def delivery_view(d: WebhookDelivery) -> DeliveryView:
    return DeliveryView(
        id=d.id,
        event=d.event,
        order_id=d.order_id,
        checkout_session_id=d.checkout_session_id,
        status=d.status,
        attempts=d.attempts,
        url=d.url,
        body=d.body,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        next_attempt_at=d.next_attempt_at,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
    )


# --- checkout sessions ----------------------------------------------------------------------


class AgentCheckout:
    """Checkout sessions for agents. With `record_order_events`, completing a session and every
    later change of its order (shipped, delivered, cancelled...) leave an order event in the
    outbox for the webhook sender."""

    def __init__(self, ctx: StoreContext, *, record_order_events: bool = False) -> None:
        self._ctx = ctx
        self._checkout = Checkout(ctx)
        self._actions = Actions(ctx)
        self._customers = Customers(ctx)
        self._record_events = record_order_events

    # --- the session's life ------------------------------------------------------------

    def create(self, changes: SessionChanges) -> SessionView:
        """Open a session. Unknown items, quantities out of bounds, an address with a blank
        field or an unknown shipping option are refused, and nothing is stored; items out of
        stock are kept and reported, so the agent can change them."""
        if not changes.lines:
            raise CartEmpty()
        lines = self._checked_lines(changes.lines)
        option = self._checked_option(changes.shipping_option)
        if changes.ship_to is not None and changes.ship_to.address is not None:
            validate_address(changes.ship_to.address)
        now = self._ctx.clock()
        with self._ctx.db.transaction() as s:
            session_id = self._ctx.new_id("cs_", 20)
            while s.get(AgentCheckoutSession, session_id) is not None:
                session_id = self._ctx.new_id("cs_", 20)
            row = AgentCheckoutSession(
                id=session_id,
                status=CheckoutSessionStatus.OPEN,
                currency=self._ctx.policy.currency,
                customer_id=None,
                lines=[line.model_dump() for line in lines],
                buyer=changes.buyer.model_dump() if changes.buyer else None,
                ship_to=changes.ship_to.model_dump() if changes.ship_to else None,
                coupon_codes=_codes(changes.coupon_codes or []),
                shipping_option=option,
                note=changes.note,
                created_at=now,
                updated_at=now,
            )
            row.customer_id = _known_customer(s, _state(row).email)
            s.add(row)
            state = _state(row)
        return self._shown(state)

    def get(self, session_id: str) -> SessionView:
        return self._describe(self._read(session_id))

    def update(self, session_id: str, changes: SessionChanges) -> SessionView:
        lines = self._checked_lines(changes.lines) if changes.lines is not None else None
        option = (
            self._checked_option(changes.shipping_option)
            if changes.shipping_option is not None
            else None
        )
        if changes.ship_to is not None and changes.ship_to.address is not None:
            validate_address(changes.ship_to.address)
        given = changes.model_fields_set
        with self._open(session_id) as row:
            if lines is not None:
                if not lines:
                    raise CartEmpty()
                row.lines = [line.model_dump() for line in lines]
            if "buyer" in given:
                row.buyer = changes.buyer.model_dump() if changes.buyer else None
            if "ship_to" in given:
                row.ship_to = changes.ship_to.model_dump() if changes.ship_to else None
            if changes.coupon_codes is not None:
                row.coupon_codes = _codes(changes.coupon_codes)
            if option is not None:
                row.shipping_option = option
            if "note" in given:
                row.note = changes.note
            state = self._contact_changed(row)
        return self._shown(state)

    def complete(
        self, session_id: str, payment: PaymentToken, *, buyer: Buyer | None = None
    ) -> SessionView:
        """Pay for the session and place its order. A session that is not ready, a declined
        payment, a price that changed since it was last shown, stock that ran out: the session
        stays open and says why, and nothing is charged. Completing a completed session is
        refused; a retry of an interrupted completion resumes it without charging twice. A card
        number in place of the token is refused before anything changes: it is never kept."""
        if holds_card_number(payment.token):
            raise InvalidRequest(
                "Send the payment provider's token, never a card number.", field="token"
            )
        with self._open(session_id, completing=True) as row:
            if buyer is not None:
                row.buyer = buyer.model_dump()
            row.status = CheckoutSessionStatus.COMPLETING
            state = self._contact_changed(row)
        try:
            return self._complete(state, payment)
        except BaseException:
            self._reopen(session_id, None)
            raise

    def cancel(self, session_id: str, reason: str | None = None) -> SessionView:
        """Close a session that has no order. Nothing was reserved for it, so nothing is
        released but the session itself."""
        with self._open(session_id) as row:
            row.status = CheckoutSessionStatus.CANCELED
            row.cancel_reason = reason[:64] if reason else None
            state = _state(row)
        return self._describe(state)

    # --- completing ----------------------------------------------------------------------

    def _complete(self, state: _State, payment: PaymentToken) -> SessionView:
        view = self._describe(state)
        if not view.ready:
            return self._reopen(state.id, None)
        customer_id = state.customer_id or self._guest(state)
        method_id = self._payment_method(customer_id, payment)
        applied = next((c.code for c in view.coupons if c.applied), None)
        expected = (
            state.quoted_total if state.quoted_total is not None else view.totals.total.amount
        )
        assert state.ship_to is not None and state.ship_to.address is not None  # it is ready
        action = PlaceOrder(
            lines=tuple(
                LineRequest(variant_id=i.variant_id, quantity=i.quantity) for i in view.items
            ),
            payment_method_id=method_id,
            address=state.ship_to.address,
            coupon_code=applied,
            expected_total=Money(expected, state.currency),
        )
        try:
            order = self._actions.perform(customer_id, action, f"acp/{state.id}")
        except QuoteChanged as refusal:
            return self._reopen(state.id, refusal, "price_changed", refusal.details["total"])
        except PaymentDeclined as refusal:
            return self._reopen(state.id, refusal, "payment_declined")
        except (CouponNotApplicable, CouponNotFound) as refusal:
            return self._reopen(state.id, refusal, "coupon_refused")
        except (OutOfStock, VariantUnavailable, InsufficientGiftCardBalance) as refusal:
            return self._reopen(state.id, refusal, "out_of_stock")
        assert isinstance(order, OrderView)  # placing gives the order
        return self._completed(state.id, customer_id, order)

    def _reopen(
        self,
        session_id: str,
        refusal: StoreError | None,
        code: str = "",
        new_total: int | None = None,
    ) -> SessionView:
        """Back to open after a completion that did not happen, saying why."""
        with self._ctx.db.transaction() as s:
            row = _lock(s, session_id)
            if row.status == CheckoutSessionStatus.COMPLETING:
                row.status = CheckoutSessionStatus.OPEN
                if refusal is not None:
                    row.issue = {"code": code, "message": refusal.message, **refusal.details}
                    row.updated_at = self._ctx.clock()
                if new_total is not None:
                    row.quoted_total_minor = new_total
            state = _state(row)
        return self._describe(state)

    def _completed(self, session_id: str, customer_id: str, order: OrderView) -> SessionView:
        with self._ctx.db.transaction() as s:
            row = _lock(s, session_id)
            if row.status != CheckoutSessionStatus.COMPLETED:
                row.status = CheckoutSessionStatus.COMPLETED
                row.order_id = order.id
                row.customer_id = customer_id
                row.issue = None
                row.updated_at = self._ctx.clock()
                # the order_create event tells everything that happened so far
                row.notified_event_id = s.scalar(
                    select(func.max(OrderEvent.id)).where(OrderEvent.order_id == order.id)
                )
                if self._record_events:
                    self._add_event(s, "order_create", order.id, session_id)
            state = _state(row)
        return self._describe(state)

    def _guest(self, state: _State) -> str:
        """The customer the buyer's email names, made as a guest when the store has none."""
        email = state.email
        assert email is not None
        try:
            return self._customers.find_by_email(email)
        except CustomerNotFound:
            pass
        buyer = state.buyer
        first, last = (buyer.first_name, buyer.last_name) if buyer else ("", "")
        if not (first or last) and state.ship_to is not None:
            first, _, last = state.ship_to.name.strip().partition(" ")
        guest_id = "guest_" + hashlib.sha256(fold(email).encode()).hexdigest()[:16]
        try:
            return self._customers.add(
                CustomerInput(
                    id=guest_id,
                    first_name=first[:128],
                    last_name=last[:128],
                    email=email,
                    phone=(buyer.phone if buyer else None)
                    or (state.ship_to.phone if state.ship_to else None),
                    addresses=[state.ship_to.address]
                    if state.ship_to and state.ship_to.address
                    else [],
                )
            ).id
        except (InvalidRequest, IntegrityError):
            # made at the same moment by a parallel completion with this email
            return self._customers.find_by_email(email)

    def _payment_method(self, customer_id: str, payment: PaymentToken) -> str:
        """The agent's token as a payment method of the customer (the same token: the same
        method, so a retried completion names what the first one did)."""
        digest = hashlib.sha256(f"{customer_id}\n{payment.handler}\n{payment.token}".encode())
        method_id = "acp_" + digest.hexdigest()[:24]
        try:
            with self._ctx.db.transaction() as s:
                if s.get(PaymentMethod, method_id) is None:
                    customer = load_customer(s, customer_id)
                    customer.payment_methods.append(
                        PaymentMethod(
                            id=method_id,
                            position=len(customer.payment_methods),
                            source=PaymentSource.WALLET,
                            brand="agent checkout",
                            token=payment.token,
                            currency=self._ctx.policy.currency,
                        )
                    )
        except IntegrityError:
            pass  # a parallel completion added it
        return method_id

    # --- reading and pricing -------------------------------------------------------------

    def _read(self, session_id: str) -> _State:
        if not _PLAIN_ID.match(session_id):
            raise CheckoutSessionNotFound(session_id)
        with self._ctx.db.reading() as s:
            row = s.get(AgentCheckoutSession, session_id)
            if row is None:
                raise CheckoutSessionNotFound(session_id)
            return _state(row)

    @contextmanager
    def _open(self, session_id: str, *, completing: bool = False) -> Iterator[AgentCheckoutSession]:
        """The session's row, locked, if it can still change; a completion may also resume an
        interrupted one."""
        if not _PLAIN_ID.match(session_id):
            raise CheckoutSessionNotFound(session_id)
        with self._ctx.db.transaction() as s:
            row = _lock(s, session_id)
            allowed = [CheckoutSessionStatus.OPEN.value]
            if completing:
                allowed.append(CheckoutSessionStatus.COMPLETING.value)
            if row.status not in allowed:
                raise CheckoutSessionClosed(session_id, row.status)
            row.issue = None
            row.updated_at = self._ctx.clock()
            yield row

    @staticmethod
    def _contact_changed(row: AgentCheckoutSession) -> _State:
        """Who the session is for, after its buyer or shipping email may have changed."""
        s = object_session(row)
        assert s is not None
        row.customer_id = _known_customer(s, _state(row).email)
        return _state(row)

    def _shown(self, state: _State) -> SessionView:
        """Describe the session, and remember the total shown: the order is placed only at it."""
        view = self._describe(state)
        with self._ctx.db.transaction() as s:
            row = _lock(s, state.id)
            if row.updated_at == state.updated_at and row.status == CheckoutSessionStatus.OPEN:
                row.quoted_total_minor = view.totals.total.amount
        return view

    def _describe(self, state: _State) -> SessionView:
        if state.order_id is not None:
            with self._ctx.db.reading() as s:
                order = order_view(load_order(s, state.order_id))
                campaign = s.get(Campaign, order.campaign_id) if order.campaign_id else None
            items, totals = _from_order(order, dict(campaign.name) if campaign else None)
            coupons = [
                CouponOutcome(code=code, applied=code == order.coupon_code)
                for code in state.coupon_codes
            ]
            problems: list[SessionProblem] = []
        else:
            order = None
            items, totals, coupons, problems = self._priced(state)
            if state.email is None:
                problems.append(
                    SessionProblem(code="missing_email", message="The buyer's email is needed.")
                )
            if state.ship_to is None or state.ship_to.address is None:
                problems.append(
                    SessionProblem(
                        code="missing_address", message="An address to ship to is needed."
                    )
                )
            if state.issue is not None:
                issue = dict(state.issue)
                problems.append(
                    SessionProblem(
                        code=str(issue.pop("code")),
                        message=str(issue.pop("message")),
                        details=issue,
                    )
                )
        ready = state.status in ("open", "completing") and not any(p.blocking for p in problems)
        return SessionView(
            id=state.id,
            status=state.status,
            ready=ready,
            currency=state.currency,
            customer_id=state.customer_id,
            buyer=state.buyer,
            ship_to=state.ship_to,
            items=items,
            totals=totals,
            coupons=coupons,
            shipping_options=[self._standard_shipping()],
            shipping_option=state.shipping_option,
            problems=problems,
            note=state.note,
            order=order,
            cancel_reason=state.cancel_reason,
            created_at=state.created_at,
            updated_at=state.updated_at,
        )

    def _priced(
        self, state: _State
    ) -> tuple[list[SessionItem], SessionTotals, list[CouponOutcome], list[SessionProblem]]:
        currency = state.currency
        problems: list[SessionProblem] = []
        with self._ctx.db.reading() as s:
            ids = [line.variant_id for line in state.lines]
            variants = {v.id: v for v in s.scalars(select(Variant).where(Variant.id.in_(ids)))}
            product_ids = {v.product_id for v in variants.values()}
            products = {
                p.id: p for p in s.scalars(select(Product).where(Product.id.in_(product_ids)))
            }
        sellable: list[LineRequest] = []
        for index, line in enumerate(state.lines):
            variant = variants.get(line.variant_id)
            if variant is None or not variant.available:
                problems.append(
                    SessionProblem(
                        code="unavailable",
                        message=f"Item {line.variant_id} is no longer sold.",
                        line=index,
                    )
                )
            elif variant.stock is not None and variant.stock < line.quantity:
                problems.append(
                    SessionProblem(
                        code="out_of_stock",
                        message=f"Only {variant.stock} of item {line.variant_id} left; "
                        f"{line.quantity} wanted.",
                        line=index,
                        details={"available": variant.stock, "requested": line.quantity},
                    )
                )
            else:
                sellable.append(LineRequest(variant_id=line.variant_id, quantity=line.quantity))
        quote, coupons = self._quote(state, sellable)
        if quote is None and sellable:
            problems.append(SessionProblem(code="not_priced", message="The items cannot be sold."))
        shares = iter(
            allocate(
                (quote.discount.amount + quote.subsidy.amount) if quote else 0,
                [variants[line.variant_id].price_minor * line.quantity for line in sellable],
            )
        )
        sold = {line.variant_id for line in sellable}
        items = []
        for line in state.lines:
            variant = variants.get(line.variant_id)
            product = products.get(variant.product_id) if variant else None
            unit = variant.price_minor if variant else 0
            items.append(
                SessionItem(
                    variant_id=line.variant_id,
                    product_id=product.id if product else None,
                    name=localized(product.name, "en") if product else line.variant_id,
                    options={k: str(v) for k, v in variant.options.items()} if variant else {},
                    unit_price=Money(unit, currency),
                    quantity=line.quantity,
                    amount=Money(unit * line.quantity, currency),
                    discount=Money(next(shares) if line.variant_id in sold else 0, currency),
                    stock=variant.stock if variant else 0,
                    in_stock=line.variant_id in sold,
                )
            )
        return items, _quote_totals(quote, currency), coupons, problems

    def _quote(
        self, state: _State, lines: list[LineRequest]
    ) -> tuple[Quote | None, list[CouponOutcome]]:
        """The store's quote, with the first of the agent's codes the store accepts (one coupon
        per order), and what became of each code."""
        if not lines:
            outcomes = [
                CouponOutcome(code=c, applied=False, reason="no_items") for c in state.coupon_codes
            ]
            return None, outcomes
        outcomes = []
        quote: Quote | None = None
        for code in state.coupon_codes:
            if quote is not None:
                outcomes.append(
                    CouponOutcome(
                        code=code,
                        applied=False,
                        reason="combined",
                        message="Only one discount code can be used per order.",
                    )
                )
                continue
            try:
                quote = self._store_quote(state.customer_id, lines, code)
            except CouponNotFound as refusal:
                outcomes.append(_refused(code, "not_found", refusal))
            except CouponNotApplicable as refusal:
                outcomes.append(_refused(code, str(refusal.details["reason"]), refusal))
            except StoreError:
                return None, outcomes
            else:
                outcomes.append(CouponOutcome(code=code, applied=True))
        if quote is None:
            try:
                quote = self._store_quote(state.customer_id, lines, None)
            except StoreError:
                return None, outcomes
        return quote, outcomes

    def _store_quote(
        self, customer_id: str | None, lines: list[LineRequest], coupon: str | None
    ) -> Quote:
        if customer_id is not None:
            return self._checkout.quote(customer_id, lines=lines, coupon_code=coupon)
        # No customer yet (the buyer is told at completion): price the same lines the same way,
        # with no coupon uses to count against anybody.
        with self._ctx.db.reading() as s:
            priced = self._checkout._priced_lines(s, "", lines, stock="ignore")
            return price_order(
                s,
                self._ctx,
                customer_id="",
                kind=OrderKind.RETAIL,
                lines=priced,
                coupon_code=coupon,
            ).quote()

    def _standard_shipping(self) -> ShippingOption:
        policy = self._ctx.policy
        free = policy.free_shipping_threshold_minor
        return ShippingOption(
            id=STANDARD_SHIPPING,
            title="Standard shipping",
            fee=Money(policy.shipping_fee_minor, policy.currency),
            free_from=Money(free, policy.currency) if free is not None else None,
        )

    def _checked_lines(self, lines: list[SessionLine]) -> list[SessionLine]:
        """The lines, one per item (repeats added up), each item known and each quantity within
        the store's limit."""
        maximum = self._ctx.policy.max_quantity_per_line
        if len(lines) > MAX_LINES:
            raise InvalidRequest(f"A checkout holds at most {MAX_LINES} lines.")
        wanted: dict[str, int] = {}
        for line in lines:
            if not 1 <= line.quantity <= maximum:
                raise InvalidQuantity(line.quantity, maximum)
            wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.quantity
        with self._ctx.db.reading() as s:
            known = set(
                s.scalars(
                    select(Variant.id).where(
                        Variant.id.in_([v for v in wanted if _PLAIN_ID.match(v)])
                    )
                )
            )
        for variant_id, quantity in wanted.items():
            if variant_id not in known:
                raise VariantNotFound(variant_id)
            if quantity > maximum:
                raise InvalidQuantity(quantity, maximum)
        return [SessionLine(variant_id=v, quantity=q) for v, q in wanted.items()]

    @staticmethod
    def _checked_option(option: str | None) -> str:
        if option is not None and option != STANDARD_SHIPPING:
            raise InvalidRequest(
                f"There is no shipping option {option}; the store offers '{STANDARD_SHIPPING}'.",
                shipping_option=option,
            )
        return STANDARD_SHIPPING

    # --- order events for the agent's webhook -------------------------------------------

    def queue_order_updates(self) -> int:
        """Put an order_update in the outbox for every order placed through a session that has
        changed (shipped, delivered, cancelled, returned...) since the agent was last told;
        returns how many. Safe to run from several workers at once."""
        if not self._record_events:
            return 0
        latest = func.max(OrderEvent.id)
        session = AgentCheckoutSession
        query = (
            select(session.id, session.order_id, latest)
            .join(OrderEvent, OrderEvent.order_id == session.order_id)
            .where(session.status == CheckoutSessionStatus.COMPLETED)
            .group_by(session.id, session.order_id, session.notified_event_id)
            .having(latest > func.coalesce(session.notified_event_id, 0))
        )
        queued = 0
        with self._ctx.db.reading() as s:
            changed = list(s.execute(query))
        for session_id, order_id, event_id in changed:
            with self._ctx.db.transaction() as s:
                row = _lock(s, session_id)
                if (row.notified_event_id or 0) >= event_id:
                    continue  # another worker told the agent already
                row.notified_event_id = event_id
                self._add_event(s, "order_update", str(order_id), session_id)
                queued += 1
        return queued

    def take_due_deliveries(self, *, lease: timedelta, limit: int = 20) -> list[DeliveryView]:
        """Claim the deliveries due now for one attempt each: for `lease` no other worker takes
        them, and their attempt count goes up before they are sent. An order's events go in the
        order they happened: one waits while an earlier one of its order is still pending."""
        now = self._ctx.clock()
        earlier = aliased(WebhookDelivery)
        with self._ctx.db.transaction() as s:
            rows = s.scalars(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                    ~exists().where(
                        earlier.order_id == WebhookDelivery.order_id,
                        earlier.status == "pending",
                        earlier.id < WebhookDelivery.id,
                    ),
                )
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.attempts += 1
                row.next_attempt_at = now + lease
            return [delivery_view(row) for row in rows]

    def record_attempt(
        self,
        delivery_id: int,
        *,
        url: str,
        body: str,
        status_code: int | None,
        error: str | None,
        retry_at: datetime | None,
    ) -> DeliveryView:
        """What one attempt gave: a 2xx delivers it; otherwise it is tried again at `retry_at`,
        or given up on (failed) when that is None."""
        with self._ctx.db.transaction() as s:
            row = s.execute(
                select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
            ).scalar_one()
            row.url, row.last_status_code = url, status_code
            row.body = row.body or body
            row.last_error = error[:255] if error else None
            if status_code is not None and 200 <= status_code < 300:
                row.status, row.delivered_at = "delivered", self._ctx.clock()
            elif retry_at is None:
                row.status = "failed"
            else:
                row.next_attempt_at = retry_at
            return delivery_view(row)

    def deliveries(self, order_id: str | None = None) -> list[DeliveryView]:
        with self._ctx.db.reading() as s:
            query = select(WebhookDelivery).order_by(WebhookDelivery.id)
            if order_id is not None:
                query = query.where(WebhookDelivery.order_id == order_id)
            return [delivery_view(row) for row in s.scalars(query)]

    def _add_event(self, s: Session, event: str, order_id: str, session_id: str) -> None:
        now = self._ctx.clock()
        s.add(
            WebhookDelivery(
                event=event,
                order_id=order_id,
                checkout_session_id=session_id,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )


def _lock(s: Session, session_id: str) -> AgentCheckoutSession:
    row = s.execute(
        select(AgentCheckoutSession).where(AgentCheckoutSession.id == session_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise CheckoutSessionNotFound(session_id)
    return row


def _known_customer(s: Session, email: str | None) -> str | None:
    if not email:
        return None
    return s.scalar(select(Customer.id).where(Customer.email_key == fold(email)))


def _codes(codes: list[str]) -> list[str]:
    """Discount codes as the store keeps them (upper case), each once, in the given order."""
    seen: list[str] = []
    for code in codes:
        normal = code.strip().upper()
        if normal and normal not in seen:
            seen.append(normal)
    return seen


def _refused(code: str, reason: str, refusal: StoreError) -> CouponOutcome:
    return CouponOutcome(code=code, applied=False, reason=reason, message=refusal.message)


def _quote_totals(quote: Quote | None, currency: str) -> SessionTotals:
    zero = Money(0, currency)
    if quote is None:
        return SessionTotals(
            subtotal=zero,
            coupon_code=None,
            discount=zero,
            campaign_id=None,
            campaign_name=None,
            subsidy=zero,
            shipping=zero,
            total=zero,
            refunded=zero,
        )
    return SessionTotals(
        subtotal=quote.subtotal,
        coupon_code=quote.coupon_code,
        discount=quote.discount,
        campaign_id=quote.campaign_id,
        campaign_name=quote.campaign_name,
        subsidy=quote.subsidy,
        shipping=quote.shipping,
        total=quote.total,
        refunded=Money(0, quote.total.currency),
    )


def _from_order(
    order: OrderView, campaign_name: LocalizedText | None
) -> tuple[list[SessionItem], SessionTotals]:
    """The session's lines and totals as the order has them (one line per variant)."""
    currency = order.total.currency
    grouped: dict[str, list[Any]] = {}
    for item in order.items:
        grouped.setdefault(item.variant_id or item.name, []).append(item)
    items = [
        SessionItem(
            variant_id=key,
            product_id=units[0].product_id,
            name=units[0].name,
            options={k: str(v) for k, v in units[0].options.items()},
            unit_price=units[0].unit_price,
            quantity=len(units),
            amount=Money(sum(u.unit_price.amount for u in units), currency),
            discount=Money(sum(u.discount.amount for u in units), currency),
            stock=None,
            in_stock=True,
        )
        for key, units in grouped.items()
    ]
    refunded = sum(
        t.amount.amount for t in order.transactions if t.kind == "refund" and t.status != "failed"
    )
    return items, SessionTotals(
        subtotal=order.subtotal,
        coupon_code=order.coupon_code,
        discount=order.discount,
        campaign_id=order.campaign_id,
        campaign_name=campaign_name,
        subsidy=order.subsidy,
        shipping=order.shipping,
        total=order.total,
        refunded=Money(refunded, currency),
    )


# --- idempotency keys -----------------------------------------------------------------------


@dataclass(frozen=True)
class KeyClaim:
    """The outcome of claiming a key: go ahead as `holder`, or replay `status` and `body`."""

    holder: str | None
    status: int | None = None
    body: str | None = None

    @property
    def is_replay(self) -> bool:
        return self.holder is None


class RequestKeys:
    """Idempotency keys of API requests, in the database so every worker sees every key.

    A key is claimed before its request runs and holds the response after. A repeat with the
    same body gets that response; with another body, `IdempotencyConflict`; while the first is
    still running, `IdempotencyKeyInFlight` — unless it has run longer than `lease`, when its
    worker is taken to have died and the repeat runs it again (what it runs is idempotent in
    the store). Keys are kept for `keep_for`, then purged."""

    def __init__(
        self,
        ctx: StoreContext,
        *,
        keep_for: timedelta = timedelta(hours=24),
        lease: timedelta = timedelta(seconds=60),
        retry_after_seconds: int = 1,
    ) -> None:
        self._ctx = ctx
        self._keep_for = keep_for
        self._lease = lease
        self._retry_after = retry_after_seconds

    def claim(self, scope: str, key: str, fingerprint: str) -> KeyClaim:
        """`scope` says who is asking and for what (the same key may serve another client or
        endpoint); `fingerprint` stands for the request body."""
        if not key or len(key) > 255:
            raise InvalidRequest("An idempotency key has 1 to 255 characters.")
        now = self._ctx.clock()
        holder = uuid.uuid4().hex
        ident = _key_id(scope, key)
        with self._ctx.db.transaction() as s:
            s.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
            insert_if_absent(
                s,
                IdempotencyKey,
                {
                    "id": ident,
                    "key": key,
                    "fingerprint": fingerprint,
                    "holder": holder,
                    "status": "in_flight",
                    "claimed_at": now,
                    "expires_at": now + self._keep_for,
                },
                ["id"],
            )
            row = s.execute(
                select(IdempotencyKey).where(IdempotencyKey.id == ident).with_for_update()
            ).scalar_one()
            if row.holder == holder:
                return KeyClaim(holder)
            if row.fingerprint != fingerprint:
                raise IdempotencyConflict(key)
            if row.status == "done":
                return KeyClaim(None, row.response_status, row.response_body)
            if row.claimed_at > now - self._lease:
                raise IdempotencyKeyInFlight(key, self._retry_after)
            row.holder, row.claimed_at = holder, now
            return KeyClaim(holder)

    def finish(self, scope: str, key: str, holder: str, status: int, body: str) -> None:
        """Keep the response the request got, for its repeats."""
        with self._ctx.db.transaction() as s:
            row = s.get(IdempotencyKey, _key_id(scope, key), with_for_update=True)
            if row is not None and row.holder == holder:
                row.status, row.response_status, row.response_body = "done", status, body

    def release(self, scope: str, key: str, holder: str) -> None:
        """Forget a claim whose request failed without an answer worth repeating (a server
        error): a repeat runs it afresh."""
        with self._ctx.db.transaction() as s:
            s.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.id == _key_id(scope, key), IdempotencyKey.holder == holder
                )
            )

    def purge(self) -> int:
        """Delete the expired keys; returns how many."""
        with self._ctx.db.transaction() as s:
            result = s.execute(
                delete(IdempotencyKey).where(IdempotencyKey.expires_at <= self._ctx.clock())
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def count(self) -> int:
        with self._ctx.db.reading() as s:
            return s.scalar(select(func.count()).select_from(IdempotencyKey)) or 0


def _key_id(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}\n{key}".encode("utf-8", "surrogatepass")).hexdigest()

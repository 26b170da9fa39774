"""Agent checkout over HTTP: the Agentic Commerce Protocol 2026-04-17 checkout sessions.

The routes translate between the protocol's objects and the store's agent checkout
(`shopkeep.store.agent_checkout`), which holds the sessions and places the orders. Every POST
needs an Idempotency-Key; every request an API-Version and the Bearer API key. Refusals use the
protocol's flat error shape; what a buyer must fix comes back as messages on the session.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from shopkeep.api import acp_schema as wire
from shopkeep.api.idempotency import Idempotency, KeyedRequest, fingerprint
from shopkeep.api.problems import ERROR_RESPONSES, AcpProblem, store_problem
from shopkeep.api.settings import AcpSettings
from shopkeep.api.webhooks import WebhookSender
from shopkeep.store import Store, StoreError
from shopkeep.store.agent_checkout import (
    AgentCheckout,
    Buyer,
    DeliveryView,
    PaymentToken,
    RequestKeys,
    SessionChanges,
    SessionLine,
    SessionProblem,
    SessionView,
    ShipTo,
)
from shopkeep.store.errors import CouponNotFound
from shopkeep.store.views import AddressInput, OrderView, localized

log = logging.getLogger(__name__)

SANDBOX_HANDLER = "sandbox_card"
_SESSION_STATUS: dict[str, wire.SessionStatus] = {
    "completing": "complete_in_progress",
    "completed": "completed",
    "canceled": "canceled",
}
_ORDER_STATUS = {
    "awaiting payment": "created",
    "pending": "confirmed",
    "pending (item modified)": "confirmed",
    "processed": "shipped",
    "delivered": "completed",
    "return requested": "completed",
    "exchange requested": "completed",
    "completed": "completed",
    "cancelled": "canceled",
}
_DISCOUNT_REASON: dict[str, Any] = {
    "expired": "discount_code_expired",
    "min_spend_not_met": "discount_code_minimum_not_met",
    "customer_limit_reached": "discount_code_user_ineligible",
    "usage_limit_reached": "discount_code_usage_limit_reached",
    "combined": "discount_code_combination_disallowed",
}


@dataclass
class AcpService:
    """What the checkout routes work with; one per app, in `app.state.acp`."""

    store: Store
    settings: AcpSettings
    checkout: AgentCheckout
    idempotency: Idempotency
    sender: WebhookSender | None = None

    @classmethod
    def build(cls, store: Store, settings: AcpSettings, secret: Callable[[], bytes]) -> AcpService:
        """`secret` gives the webhook signing key when none is set (a key derived for webhooks
        only); it is asked for only if webhooks are on."""
        checkout = AgentCheckout(store.ctx, record_order_events=settings.webhook_url is not None)
        keys = RequestKeys(
            store.ctx,
            keep_for=timedelta(hours=settings.key_retention_hours),
            lease=timedelta(seconds=settings.in_flight_seconds),
        )
        service = cls(store, settings, checkout, Idempotency(keys))
        if settings.webhook_url is not None:
            key = settings.webhook_secret
            service.sender = WebhookSender(
                checkout,
                settings,
                url=settings.webhook_url,
                secret=key.get_secret_value().encode() if key is not None else secret(),
                render=service.render_event,
                clock=store.ctx.clock,
            )
        return service

    def render_event(self, delivery: DeliveryView) -> bytes:
        view = self.checkout.get(delivery.checkout_session_id)
        assert view.order is not None
        event = wire.WebhookEvent(
            type="order_create" if delivery.event == "order_create" else "order_update",
            data=render_order(view.order, view.id, self.settings),
        )
        return event.model_dump_json(exclude_none=True).encode()


# --- the route class: every answer in the protocol's shape ----------------------------------


class AcpRoute(APIRoute):
    """Answers refusals, invalid requests and crashes of the checkout routes with the
    protocol's `Error` (the rest of the app keeps FastAPI's own shapes), and echoes the
    Idempotency-Key and Request-Id headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def acp_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except AcpProblem as problem:
                response = problem.response()
            except RequestValidationError as invalid:
                response = _invalid(invalid).response()
            except StoreError as refusal:
                response = store_problem(refusal).response()
            except HTTPException as refused:
                # FastAPI's own refusals, such as a body that is not UTF-8
                code = "invalid_json" if refused.status_code == 400 else "invalid_request"
                response = AcpProblem(refused.status_code, code, str(refused.detail)).response()
            except Exception:
                log.exception("checkout request %s %s failed", request.method, request.url.path)
                response = AcpProblem(
                    500, "internal_error", "The request failed.", type="processing_error"
                ).response()
            for header in ("Idempotency-Key", "Request-Id"):
                value = request.headers.get(header)
                if value is not None and header not in response.headers:
                    response.headers[header] = value
            return response

        return acp_handler


def _invalid(invalid: RequestValidationError) -> AcpProblem:
    errors = list(invalid.errors())
    for error in errors:
        where, *path = error["loc"]
        if where != "header" or not path:
            continue
        name = str(path[0]).lower()
        missing = error["type"] == "missing"
        if name == "api-version":
            code = "missing_api_version" if missing else "unsupported_api_version"
            message = f"API-Version {wire.API_VERSION} is required."
            return AcpProblem(400, code, message, supported_versions=True)
        if name == "idempotency-key":
            if missing:
                message = "Idempotency-Key header is required"
                return AcpProblem(400, "idempotency_key_required", message)
            message = "Idempotency-Key must have 1 to 255 characters."
            return AcpProblem(400, "invalid_idempotency_key", message)
    first = errors[0] if errors else {"loc": ("body",), "type": "", "msg": "invalid"}
    if first["type"] == "json_invalid":
        return AcpProblem(400, "invalid_json", "The request body is not valid JSON.")
    param = _json_path(first["loc"])
    if param == "$":
        return AcpProblem(400, "invalid_json", "The request body must be a JSON object.")
    code = "missing" if first["type"] == "missing" else "invalid"
    return AcpProblem(400, code, f"{param}: {first['msg']}", param=param)


def _json_path(loc: Any) -> str:
    where, *path = loc
    text = "$" if where == "body" else f"$.{where}"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


# --- what every request brings --------------------------------------------------------------

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="API key",
    scheme_name="bearerAuth",
    description="The API key the merchant gave the agent platform (SHOPKEEP_ACP__API_KEY).",
)
ApiVersion = Literal["2026-04-17"]


def acp_service(request: Request) -> AcpService:
    service: AcpService = request.app.state.acp
    return service


def authorized(
    service: Annotated[AcpService, Depends(acp_service)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The caller's identity (a digest of its key), once its Bearer key is the merchant's."""
    key = service.settings.api_key
    if key is None:
        raise AcpProblem(
            503,
            "not_configured",
            "Agent checkout is off: the merchant has not set SHOPKEEP_ACP__API_KEY.",
            type="service_unavailable",
        )
    expected = key.get_secret_value().encode()
    given = credentials.credentials.encode() if credentials is not None else b""
    if not hmac.compare_digest(given, expected):
        raise AcpProblem(401, "invalid_api_key", "A valid Bearer API key is required.")
    return "key:" + hashlib.sha256(expected).hexdigest()[:16]


@dataclass(frozen=True)
class AcpCall:
    service: AcpService
    principal: str


def acp_call(
    service: Annotated[AcpService, Depends(acp_service)],
    principal: Annotated[str, Depends(authorized)],
    api_version: Annotated[
        ApiVersion, Header(alias="API-Version", description="The protocol version: 2026-04-17")
    ],
) -> AcpCall:
    return AcpCall(service, principal)


@dataclass(frozen=True)
class KeyedCall:
    service: AcpService
    principal: str
    key: str
    path: str

    def once(self, body: wire.Request | None, operation: Callable[[], Response]) -> Response:
        """Run `operation` once for this key and body; repeats get its response."""
        keyed = KeyedRequest(f"{self.principal} POST {self.path}", self.key, fingerprint(body))
        return self.service.idempotency.run(keyed, operation)


def keyed_call(
    request: Request,
    call: Annotated[AcpCall, Depends(acp_call)],
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Required on every POST; a repeat with the same key and body gets "
            "the first response again, with Idempotent-Replayed: true. Kept 24 hours.",
        ),
    ],
) -> KeyedCall:
    return KeyedCall(call.service, call.principal, idempotency_key, request.url.path)


Call = Annotated[AcpCall, Depends(acp_call)]
Keyed = Annotated[KeyedCall, Depends(keyed_call)]

router = APIRouter(route_class=AcpRoute, tags=["agent checkout"], responses=ERROR_RESPONSES)


# --- the routes -----------------------------------------------------------------------------


@router.post(
    "/checkout_sessions",
    status_code=201,
    response_model=wire.CheckoutSession,
    operation_id="createCheckoutSession",
    summary="Create a checkout session",
)
def create_checkout_session(body: wire.CheckoutSessionCreateRequest, call: Keyed) -> Response:
    """Open a session for the items (`id`: the variant id; `quantity`: shopkeep's extension),
    with the buyer and address when known. Answers 201 with the priced session."""

    def create() -> Response:
        service = call.service
        currency = service.store.ctx.policy.currency
        if body.currency.lower() != currency.lower():
            raise AcpProblem(
                400,
                "unsupported_currency",
                f"The shop sells in {currency.lower()} only.",
                param="$.currency",
            )
        codes = _discount_codes(body.discounts, body.coupons)
        changes = SessionChanges(
            lines=_lines(body.line_items),
            buyer=_buyer(body.buyer) if body.buyer else None,
            ship_to=_ship_to(body.fulfillment_details) if body.fulfillment_details else None,
            coupon_codes=codes,
            note=body.order_notes,
        )
        with _refusals(body.line_items):
            view = service.checkout.create(changes)
        return _session_response(service, view, 201)

    return call.once(body, create)


@router.get(
    "/checkout_sessions/{checkout_session_id}",
    response_model=wire.CheckoutSession,
    operation_id="getCheckoutSession",
    summary="Retrieve a checkout session",
)
def get_checkout_session(checkout_session_id: str, call: Call) -> Response:
    """The session as it stands: prices quoted now, or its order's once completed."""
    with _refusals():
        view = call.service.checkout.get(checkout_session_id)
    return _session_response(call.service, view, 200)


@router.post(
    "/checkout_sessions/{checkout_session_id}",
    response_model=wire.CheckoutSession,
    operation_id="updateCheckoutSession",
    summary="Update a checkout session",
)
def update_checkout_session(
    checkout_session_id: str, body: wire.CheckoutSessionUpdateRequest, call: Keyed
) -> Response:
    """Change what the request names: items (replaced as a whole), buyer, address, shipping
    option, discount codes. A field sent as null is cleared; one left out is kept."""

    def update() -> Response:
        given = body.model_fields_set
        changes: dict[str, Any] = {}
        if body.line_items is not None:
            changes["lines"] = _lines(body.line_items)
        if "buyer" in given:
            changes["buyer"] = _buyer(body.buyer) if body.buyer else None
        if "fulfillment_details" in given:
            details = body.fulfillment_details
            changes["ship_to"] = _ship_to(details) if details else None
        if "discounts" in given or "coupons" in given:
            changes["coupon_codes"] = _discount_codes(body.discounts, body.coupons)
        if body.selected_fulfillment_options:
            chosen = body.selected_fulfillment_options[0]
            if chosen.type != "shipping":
                raise AcpProblem(
                    400,
                    "unsupported_fulfillment",
                    "The shop ships orders; it offers no other fulfillment.",
                    param="$.selected_fulfillment_options[0].type",
                )
            changes["shipping_option"] = chosen.option_id
        if "order_notes" in given:
            changes["note"] = body.order_notes
        with _refusals(body.line_items or []):
            view = call.service.checkout.update(
                checkout_session_id, SessionChanges.model_validate(changes)
            )
        return _session_response(call.service, view, 200)

    return call.once(body, update)


@router.post(
    "/checkout_sessions/{checkout_session_id}/complete",
    response_model=wire.CheckoutSession,
    operation_id="completeCheckoutSession",
    summary="Complete a checkout session",
)
def complete_checkout_session(
    checkout_session_id: str,
    body: wire.CheckoutSessionCompleteRequest,
    call: Keyed,
    background: BackgroundTasks,
) -> Response:
    """Pay with `payment_data` and place the order. On success the session is `completed`
    and carries `order`. When it cannot be paid (not ready, payment declined, price changed)
    the answer is still 200: the session, not completed, with messages saying why; nothing
    was charged."""

    def complete() -> Response:
        service = call.service
        payment = body.payment_data
        if payment.handler_id != SANDBOX_HANDLER:
            raise AcpProblem(
                400,
                "unsupported_payment_handler",
                f"The shop takes payment handler {SANDBOX_HANDLER!r} only.",
                param="$.payment_data.handler_id",
            )
        token = PaymentToken(handler=payment.handler_id, token=payment.instrument.credential.token)
        with _refusals():
            view = service.checkout.complete(
                checkout_session_id, token, buyer=_buyer(body.buyer) if body.buyer else None
            )
        return _session_response(service, view, 200)

    response = call.once(body, complete)
    if call.service.sender is not None:
        background.add_task(call.service.sender.deliver_due)
    return response


@router.post(
    "/checkout_sessions/{checkout_session_id}/cancel",
    response_model=wire.CheckoutSession,
    operation_id="cancelCheckoutSession",
    summary="Cancel a checkout session",
)
def cancel_checkout_session(
    checkout_session_id: str, call: Keyed, body: wire.CancelSessionRequest | None = None
) -> Response:
    """Cancel a session that is not completed; 405 if it is completed or canceled already."""

    def cancel() -> Response:
        reason = body.intent_trace.reason_code if body and body.intent_trace else None
        with _refusals():
            view = call.service.checkout.cancel(checkout_session_id, reason)
        return _session_response(call.service, view, 200)

    return call.once(body, cancel)


# --- from the protocol to the store ---------------------------------------------------------


@contextmanager
def _refusals(items: list[wire.ItemRequest] | None = None) -> Iterator[None]:
    """Turns the store's refusals into the protocol's errors, pointing into the request."""
    try:
        yield
    except StoreError as error:
        raise store_problem(error, line_ids=[item.id for item in items or []]) from error


def _lines(items: list[wire.ItemRequest]) -> list[SessionLine]:
    return [SessionLine(variant_id=item.id, quantity=item.quantity) for item in items]


def _buyer(buyer: wire.BuyerRequest) -> Buyer:
    first, last = buyer.first_name or "", buyer.last_name or ""
    if not (first or last) and buyer.full_name:
        first, _, last = buyer.full_name.strip().partition(" ")
    return Buyer(
        email=buyer.email, first_name=first[:128], last_name=last[:128], phone=buyer.phone_number
    )


def _ship_to(details: wire.FulfillmentDetailsRequest) -> ShipTo:
    address = details.address
    return ShipTo(
        name=details.name or (address.name if address else ""),
        phone=details.phone_number,
        email=details.email,
        address=AddressInput(
            address1=address.line_one,
            address2=address.line_two,
            city=address.city,
            state=address.state,
            country=address.country,
            zip=address.postal_code,
        )
        if address
        else None,
    )


def _discount_codes(
    discounts: wire.DiscountsRequest | None, coupons: list[str] | None
) -> list[str]:
    return [*(discounts.codes if discounts else []), *(coupons or [])]


# --- from the store to the protocol ---------------------------------------------------------


def _session_response(service: AcpService, view: SessionView, status: int) -> JSONResponse:
    session = render_session(service, view)
    return JSONResponse(session.model_dump(mode="json", exclude_none=True), status_code=status)


def render_session(service: AcpService, view: SessionView) -> wire.CheckoutSession:
    settings = service.settings
    currency = view.currency.lower()
    maximum = service.store.ctx.policy.max_quantity_per_line
    line_items = []
    for item in view.items:
        net = item.amount.amount - item.discount.amount
        totals = [
            wire.Total(
                type="items_base_amount", display_text="Base amount", amount=item.amount.amount
            )
        ]
        if item.discount.amount:
            totals.append(
                wire.Total(type="discount", display_text="Discount", amount=item.discount.amount)
            )
        totals += [
            wire.Total(type="subtotal", display_text="Subtotal", amount=net),
            wire.Total(type="total", display_text="Total", amount=net),
        ]
        low = item.stock is not None and item.stock < 5
        line_items.append(
            wire.LineItem(
                id=f"li_{item.variant_id}",
                item=wire.Item(id=item.variant_id),
                quantity=item.quantity,
                name=item.name,
                unit_amount=item.unit_price.amount,
                product_id=item.product_id,
                variant_id=item.variant_id,
                availability_status="out_of_stock"
                if not item.in_stock
                else ("low_stock" if low else "in_stock"),
                available_quantity=max(item.stock, 0) if item.stock is not None else None,
                max_quantity_per_order=maximum,
                variant_options=[
                    wire.VariantOption(name=k, value=v) for k, v in item.options.items()
                ],
                totals=totals,
            )
        )
    ship = view.shipping_options[0]
    free_note = f"free from {ship.free_from.display()}" if ship.free_from is not None else None
    fee = view.totals.shipping.amount if view.items else ship.fee.amount
    return wire.CheckoutSession(
        id=view.id,
        protocol=wire.ProtocolVersion(version=wire.API_VERSION),
        capabilities=wire.Capabilities(payment=wire.Payment(handlers=[sandbox_handler(settings)])),
        buyer=wire.Buyer(
            email=view.buyer.email,
            first_name=view.buyer.first_name or None,
            last_name=view.buyer.last_name or None,
            phone_number=view.buyer.phone,
        )
        if view.buyer
        else None,
        status=_status(view),
        currency=currency,
        line_items=line_items,
        fulfillment_details=_details(view.ship_to) if view.ship_to else None,
        fulfillment_options=[
            wire.FulfillmentOptionShipping(
                id=ship.id,
                title=ship.title,
                description=f"{ship.fee.display()}, {free_note}" if free_note else None,
                totals=[wire.Total(type="fulfillment", display_text="Shipping", amount=fee)],
            )
        ],
        selected_fulfillment_options=[
            wire.SelectedFulfillmentOption(
                option_id=view.shipping_option, item_ids=[i.variant_id for i in view.items]
            )
        ],
        totals=_totals(view),
        messages=[_message(p) for p in view.problems] + _discount_messages(view),
        links=_links(settings),
        discounts=_discounts(service, view) if view.coupons or view.totals.subsidy.amount else None,
        order=render_order(view.order, view.id, settings) if view.order else None,
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


def sandbox_handler(settings: AcpSettings) -> wire.PaymentHandler:
    base = settings.base_url.rstrip("/")
    return wire.PaymentHandler(
        id=SANDBOX_HANDLER,
        name="dev.shopkeep.sandbox.card",
        display_name="Sandbox card (no real money moves)",
        version=wire.API_VERSION,
        spec=f"{base}/docs/acp#payment",
        requires_delegate_payment=False,
        requires_pci_compliance=False,
        psp="shopkeep-sandbox",
        config_schema=f"{base}/docs/acp#payment",
        instrument_schemas=[f"{base}/docs/acp#payment"],
        config={"test_mode": True, "declines_tokens_containing": "decline"},
    )


def _status(view: SessionView) -> wire.SessionStatus:
    if view.status in _SESSION_STATUS:
        return _SESSION_STATUS[view.status]
    return "ready_for_payment" if view.ready else "not_ready_for_payment"


def _details(ship_to: ShipTo) -> wire.FulfillmentDetails:
    a = ship_to.address
    return wire.FulfillmentDetails(
        name=ship_to.name or None,
        phone_number=ship_to.phone,
        email=ship_to.email,
        address=wire.Address(
            name=ship_to.name,
            line_one=a.address1,
            line_two=a.address2 or None,
            city=a.city,
            state=a.state,
            country=a.country,
            postal_code=a.zip,
        )
        if a
        else None,
    )


def _totals(view: SessionView) -> list[wire.Total]:
    t = view.totals
    totals = [wire.Total(type="items_base_amount", display_text="Items", amount=t.subtotal.amount)]
    if t.discount.amount:
        text = f"Coupon {t.coupon_code}" if t.coupon_code else "Coupon"
        totals.append(wire.Total(type="discount", display_text=text, amount=t.discount.amount))
    if t.subsidy.amount:
        name = localized(t.campaign_name, "en") if t.campaign_name else "Campaign"
        totals.append(wire.Total(type="discount", display_text=name, amount=t.subsidy.amount))
    net = t.subtotal.amount - t.discount.amount - t.subsidy.amount
    totals += [
        wire.Total(type="subtotal", display_text="Subtotal", amount=net),
        wire.Total(type="fulfillment", display_text="Shipping", amount=t.shipping.amount),
        wire.Total(type="total", display_text="Total", amount=t.total.amount),
    ]
    if t.refunded.amount:
        totals.append(
            wire.Total(type="amount_refunded", display_text="Refunded", amount=t.refunded.amount)
        )
    return totals


def _message(problem: SessionProblem) -> wire.Message:
    line = f"$.line_items[{problem.line}]" if problem.line is not None else None
    kinds: dict[str, tuple[Literal["warning", "error"], str, str | None, wire.Resolution]] = {
        "missing_email": ("error", "missing", "$.buyer.email", "requires_buyer_input"),
        "missing_address": (
            "error",
            "missing",
            "$.fulfillment_details.address",
            "requires_buyer_input",
        ),
        "out_of_stock": ("error", "out_of_stock", line, "requires_buyer_input"),
        "unavailable": ("error", "out_of_stock", line, "requires_buyer_input"),
        "not_priced": ("error", "invalid", "$.line_items", "requires_buyer_input"),
        "payment_declined": ("error", "payment_declined", "$.payment_data", "requires_buyer_input"),
        "price_changed": ("warning", "price_change", "$.totals", "requires_buyer_review"),
        "coupon_refused": ("warning", "discount_code_invalid", "$.discounts", "recoverable"),
    }
    kind, code, param, resolution = kinds.get(
        problem.code, ("error", "invalid", None, "requires_buyer_input")
    )
    if problem.code == "price_changed":
        content = f"{problem.message} Review the new total before paying."
    elif problem.code == "payment_declined":
        content = "The payment was declined. Please try a different payment method."
    else:
        content = problem.message
    return wire.Message(
        type=kind,
        code=code,
        severity="high" if kind == "error" else "medium",
        resolution=resolution,
        param=param,
        content=content,
    )


def _discount_messages(view: SessionView) -> list[wire.Message]:
    messages = []
    for index, outcome in enumerate(view.coupons):
        if outcome.applied:
            continue
        messages.append(
            wire.Message(
                type="warning",
                code=_DISCOUNT_REASON.get(outcome.reason or "", "discount_code_invalid"),
                severity="low",
                resolution="recoverable",
                param=f"$.discounts.codes[{index}]",
                content=outcome.message or f"Discount code {outcome.code} cannot be used.",
            )
        )
    return messages


def _discounts(service: AcpService, view: SessionView) -> wire.Discounts:
    currency = view.currency.lower()
    applied: list[wire.AppliedDiscount] = []
    t = view.totals
    for outcome in view.coupons:
        if not outcome.applied:
            continue
        try:
            coupon = service.store.promotions.coupon(outcome.code)
        except CouponNotFound:
            name, percent, amount_off = outcome.code, None, None
        else:
            name = localized(coupon.title, "en") or coupon.code
            percent = float(coupon.value) if coupon.kind == "percent" else None
            amount_off = coupon.value if coupon.kind == "amount" else None
        applied.append(
            wire.AppliedDiscount(
                id=outcome.code,
                code=outcome.code,
                coupon=wire.Coupon(
                    id=outcome.code,
                    name=name,
                    percent_off=percent,
                    amount_off=amount_off,
                    currency=currency if amount_off is not None else None,
                ),
                amount=t.discount.amount,
                automatic=False,
            )
        )
    if t.subsidy.amount and t.campaign_id:
        name = localized(t.campaign_name, "en") if t.campaign_name else t.campaign_id
        applied.append(
            wire.AppliedDiscount(
                id=t.campaign_id,
                coupon=wire.Coupon(id=t.campaign_id, name=name),
                amount=t.subsidy.amount,
                automatic=True,
            )
        )
    return wire.Discounts(
        codes=[c.code for c in view.coupons],
        applied=applied,
        rejected=[
            wire.RejectedDiscount(
                code=c.code,
                reason=_DISCOUNT_REASON.get(c.reason or "", "discount_code_invalid"),
                message=c.message,
            )
            for c in view.coupons
            if not c.applied
        ],
    )


def _links(settings: AcpSettings) -> list[wire.Link]:
    kinds: list[tuple[Literal["terms_of_use", "privacy_policy", "return_policy"], str | None]] = [
        ("terms_of_use", settings.terms_of_use_url),
        ("privacy_policy", settings.privacy_policy_url),
        ("return_policy", settings.return_policy_url),
    ]
    return [wire.Link(type=kind, url=url) for kind, url in kinds if url]


def render_order(order: OrderView, session_id: str, settings: AcpSettings) -> wire.Order:
    """The store's order as the protocol's `Order`: a full snapshot, as webhooks send it."""
    currency = order.total.currency.lower()
    shipped = order.status not in ("awaiting payment", "pending", "pending (item modified)")
    cancelled = order.status == "cancelled"
    units: dict[str, list[Any]] = {}
    for item in order.items:
        units.setdefault(item.variant_id or item.name, []).append(item)
    line_items = [
        wire.OrderLineItem(
            id=f"li_{key}",
            title=same[0].name,
            product_id=same[0].product_id,
            quantity=wire.OrderLineItemQuantity(
                ordered=len(same),
                current=0 if cancelled else len(same),
                fulfilled=len(same) if shipped and not cancelled else 0,
            ),
            unit_price=same[0].unit_price.amount,
            subtotal=sum(u.unit_price.amount - u.discount.amount for u in same),
            status="removed" if cancelled else ("fulfilled" if shipped else "processing"),
        )
        for key, same in units.items()
    ]
    delivered = order.delivered_at is not None
    fulfillments = [
        wire.Fulfillment(
            id=f"shipment_{n + 1}",
            status="delivered" if delivered else "shipped",
            line_items=[
                wire.LineItemReference(id=f"li_{key}", quantity=count)
                for key, count in _counts(shipment.item_ids).items()
            ],
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_ids[0] if shipment.tracking_ids else None,
            events=[
                wire.FulfillmentEvent(
                    id=f"shipment_{n + 1}_shipped", type="shipped", occurred_at=at
                )
                for at in [shipment.shipped_at]
                if at is not None
            ],
        )
        for n, shipment in enumerate(order.shipments)
    ]
    adjustments = [
        wire.Adjustment(
            id=f"refund_{n + 1}",
            type="refund",
            occurred_at=t.created_at,
            status="completed" if t.status == "succeeded" else "pending",
            amount=t.amount.amount,
            currency=currency,
            reason=t.reason,
        )
        for n, t in enumerate(x for x in order.transactions if x.kind == "refund")
    ]
    refunded = sum(a.amount for a in adjustments)
    totals = [
        wire.Total(type="items_base_amount", display_text="Items", amount=order.subtotal.amount)
    ]
    off = order.discount.amount + order.subsidy.amount
    if off:
        totals.append(wire.Total(type="discount", display_text="Discount", amount=off))
    totals += [
        wire.Total(type="subtotal", display_text="Subtotal", amount=order.subtotal.amount - off),
        wire.Total(type="fulfillment", display_text="Shipping", amount=order.shipping.amount),
        wire.Total(type="total", display_text="Total", amount=order.total.amount),
    ]
    if refunded:
        totals.append(wire.Total(type="amount_refunded", display_text="Refunded", amount=refunded))
    base = settings.base_url.rstrip("/")
    return wire.Order(
        id=order.id,
        checkout_session_id=session_id,
        order_number=order.id,
        permalink_url=f"{base}/orders/{quote(order.id, safe='')}",
        status=_ORDER_STATUS.get(order.status, order.status),
        confirmation=wire.OrderConfirmation(confirmation_number=order.id),
        line_items=line_items,
        fulfillments=fulfillments,
        adjustments=adjustments,
        totals=totals,
    )


def _counts(ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in ids:
        counts[key] = counts.get(key, 0) + 1
    return counts

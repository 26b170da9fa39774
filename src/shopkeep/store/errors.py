"""The store's refusals: each a type with a stable code, a human message and the facts behind it.

The store raises them; the shells (assistant, API, MCP, CLI) render them. `details` carries the
data a reply in any language needs, so no shell has to parse the English message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from shopkeep.store.money import Money


class StoreError(Exception):
    """Base of every refusal the store makes. Nothing was changed when one is raised."""

    code: ClassVar[str] = "store_error"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


# --- not found ------------------------------------------------------------------------------


class NotFound(StoreError):
    code = "not_found"
    http_status = 404


class ProductNotFound(NotFound):
    code = "product_not_found"

    def __init__(self, product_id: str) -> None:
        super().__init__(f"No product with id {product_id}.", product_id=product_id)


class VariantNotFound(NotFound):
    code = "variant_not_found"

    def __init__(self, variant_id: str, product_id: str | None = None) -> None:
        where = f" of product {product_id}" if product_id else ""
        super().__init__(
            f"No item with id {variant_id}{where}.", variant_id=variant_id, product_id=product_id
        )


class CustomerNotFound(NotFound):
    code = "customer_not_found"

    def __init__(self, **lookup: str) -> None:
        shown = ", ".join(f"{k}={v}" for k, v in lookup.items())
        super().__init__(f"No customer matches {shown}.", **lookup)


class OrderNotFound(NotFound):
    """Also raised for another customer's order: its existence is not revealed."""

    code = "order_not_found"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"No order {order_id} was found for this customer.", order_id=order_id)


class PaymentMethodNotFound(NotFound):
    code = "payment_method_not_found"

    def __init__(self, payment_method_id: str) -> None:
        super().__init__(
            f"The customer has no payment method {payment_method_id}.",
            payment_method_id=payment_method_id,
        )


class AddressNotFound(NotFound):
    code = "address_not_found"

    def __init__(self, address_id: int) -> None:
        super().__init__(f"The customer has no address {address_id}.", address_id=address_id)


class CouponNotFound(NotFound):
    code = "coupon_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"There is no coupon {code}.", coupon=code)


class CampaignNotFound(NotFound):
    code = "campaign_not_found"

    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"There is no campaign {campaign_id}.", campaign_id=campaign_id)


class LocalStoreNotFound(NotFound):
    code = "local_store_not_found"

    def __init__(self, store_id: str) -> None:
        super().__init__(f"There is no local store {store_id}.", store_id=store_id)


class MenuItemNotFound(NotFound):
    code = "menu_item_not_found"

    def __init__(self, menu_item_id: str, store_id: str) -> None:
        super().__init__(
            f"Store {store_id} has no menu item {menu_item_id}.",
            menu_item_id=menu_item_id,
            store_id=store_id,
        )


# --- invalid requests -----------------------------------------------------------------------


class InvalidRequest(StoreError):
    code = "invalid_request"
    http_status = 422


class InvalidDateRange(InvalidRequest):
    """A report's date range that is malformed, backwards, too long, or in an unknown zone."""

    code = "invalid_date_range"


class InvalidQuantity(InvalidRequest):
    code = "invalid_quantity"

    def __init__(self, quantity: int, maximum: int) -> None:
        super().__init__(
            f"Quantity must be between 1 and {maximum}, got {quantity}.",
            quantity=quantity,
            maximum=maximum,
        )


class CartEmpty(InvalidRequest):
    code = "cart_empty"

    def __init__(self) -> None:
        super().__init__("The cart is empty.")


class InvalidAddress(InvalidRequest):
    code = "invalid_address"

    def __init__(self, field: str) -> None:
        super().__init__(f"The address needs a {field}.", field=field)


class InvalidCancelReason(InvalidRequest):
    code = "invalid_cancel_reason"

    def __init__(self, reason: str, allowed: Sequence[str]) -> None:
        super().__init__(
            f"'{reason}' is not an accepted cancellation reason; use one of: {', '.join(allowed)}.",
            reason=reason,
            allowed=list(allowed),
        )


class ItemNotInOrder(InvalidRequest):
    code = "item_not_in_order"

    def __init__(self, order_id: str, item_id: str) -> None:
        super().__init__(
            f"Order {order_id} does not hold (enough of) item {item_id}.",
            order_id=order_id,
            item_id=item_id,
        )


class ItemCountMismatch(InvalidRequest):
    code = "item_count_mismatch"

    def __init__(self, old: int, new: int) -> None:
        super().__init__(
            f"{old} item(s) to replace but {new} replacement(s) given; they must pair up.",
            old=old,
            new=new,
        )


class NotSameProduct(InvalidRequest):
    code = "not_same_product"

    def __init__(self, item_id: str, new_item_id: str) -> None:
        super().__init__(
            f"Item {new_item_id} is not a variant of the same product as {item_id}.",
            item_id=item_id,
            new_item_id=new_item_id,
        )


class SameVariant(InvalidRequest):
    code = "same_variant"

    def __init__(self, item_id: str) -> None:
        super().__init__(
            f"The replacement for {item_id} must be a different item.", item_id=item_id
        )


class SamePaymentMethod(InvalidRequest):
    code = "same_payment_method"

    def __init__(self, payment_method_id: str) -> None:
        super().__init__(
            f"The order is already paid with {payment_method_id}.",
            payment_method_id=payment_method_id,
        )


class InvalidRefundMethod(InvalidRequest):
    code = "invalid_refund_method"

    def __init__(self, payment_method_id: str, original: str) -> None:
        super().__init__(
            f"A refund goes to the original payment method ({original}) or a gift card, "
            f"not {payment_method_id}.",
            payment_method_id=payment_method_id,
            original=original,
        )


class InvalidOption(InvalidRequest):
    code = "invalid_option"

    def __init__(
        self, menu_item_id: str, group: str, choice: str | None, allowed: Sequence[str]
    ) -> None:
        what = f"'{choice}' is not a choice" if choice else "a choice is required"
        super().__init__(
            f"For {menu_item_id}, {what} for {group}; choose from: {', '.join(allowed)}.",
            menu_item_id=menu_item_id,
            group=group,
            choice=choice,
            allowed=list(allowed),
        )


class IdempotencyConflict(InvalidRequest):
    code = "idempotency_conflict"
    http_status = 422

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency key {key} was already used for a different request.", key=key
        )


# --- refused by policy or state -------------------------------------------------------------


class PolicyRefusal(StoreError):
    code = "policy_refusal"
    http_status = 409


class OrderNotCancellable(PolicyRefusal):
    code = "order_not_cancellable"

    def __init__(self, order_id: str, status: str) -> None:
        super().__init__(
            f"Order {order_id} is '{status}'; only pending orders can be cancelled.",
            order_id=order_id,
            status=status,
        )


class OrderBeingPrepared(OrderNotCancellable):
    """A local order whose slot has started: the shop is making it, so it stays."""

    code = "order_being_prepared"

    def __init__(self, order_id: str, slot_start: str) -> None:
        PolicyRefusal.__init__(
            self,
            f"Order {order_id} is being prepared for its slot at {slot_start}; an order can be "
            "cancelled only before its slot starts.",
            order_id=order_id,
            slot_start=slot_start,
        )


class OrderNotModifiable(PolicyRefusal):
    code = "order_not_modifiable"

    def __init__(self, order_id: str, status: str, what: str) -> None:
        super().__init__(
            f"Order {order_id} is '{status}'; its {what} can no longer be changed.",
            order_id=order_id,
            status=status,
            what=what,
        )


class NotARetailOrder(PolicyRefusal):
    """A food or drink order: it has no catalog items to change, return or exchange."""

    code = "not_a_retail_order"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"Order {order_id} is a food or drink order; its items cannot be changed, returned "
            "or exchanged.",
            order_id=order_id,
        )


class PaymentAlreadyChanged(PolicyRefusal):
    """An order paid more than once (its method changed, or a difference settled): its
    payment method stays."""

    code = "payment_already_changed"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"The payment of order {order_id} was already changed or adjusted once; its "
            "payment method cannot be changed again.",
            order_id=order_id,
        )


class OrderNotReturnable(PolicyRefusal):
    code = "order_not_returnable"

    def __init__(self, order_id: str, status: str) -> None:
        super().__init__(
            f"Order {order_id} is '{status}'; only delivered orders can be returned or exchanged.",
            order_id=order_id,
            status=status,
        )


class AfterSalesAlreadyRequested(PolicyRefusal):
    code = "after_sales_already_requested"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"A return or exchange was already requested for order {order_id}; it can be "
            "requested once per order, so all items must be named together.",
            order_id=order_id,
        )


class NoOpenRequest(PolicyRefusal):
    """A merchant tried to complete or reject a return or exchange that was not requested."""

    code = "no_open_request"

    def __init__(self, order_id: str, what: str) -> None:
        super().__init__(
            f"Order {order_id} has no open {what} request.", order_id=order_id, what=what
        )


class ReturnWindowClosed(PolicyRefusal):
    code = "return_window_closed"

    def __init__(self, order_id: str, days: int) -> None:
        super().__init__(
            f"Order {order_id} was delivered more than {days} days ago; "
            "the return window has closed.",
            order_id=order_id,
            days=days,
        )


class InvalidTransition(PolicyRefusal):
    code = "invalid_transition"

    def __init__(self, order_id: str, status: str, to: str) -> None:
        super().__init__(
            f"Order {order_id} cannot go from '{status}' to '{to}'.",
            order_id=order_id,
            status=status,
            to=to,
        )


class OutOfStock(PolicyRefusal):
    code = "out_of_stock"

    def __init__(self, variant_id: str, requested: int, available: int) -> None:
        super().__init__(
            f"Only {available} of item {variant_id} left; {requested} requested.",
            variant_id=variant_id,
            requested=requested,
            available=available,
        )


class VariantUnavailable(PolicyRefusal):
    code = "variant_unavailable"

    def __init__(self, variant_id: str) -> None:
        super().__init__(f"Item {variant_id} is not available.", variant_id=variant_id)


class InsufficientGiftCardBalance(PolicyRefusal):
    code = "insufficient_gift_card_balance"

    def __init__(self, payment_method_id: str, balance: int, needed: int, currency: str) -> None:
        super().__init__(
            f"Gift card {payment_method_id} holds {Money(balance, currency)} but "
            f"{Money(needed, currency)} is needed.",
            payment_method_id=payment_method_id,
            balance=balance,
            needed=needed,
            currency=currency,
        )


class PaymentDeclined(PolicyRefusal):
    code = "payment_declined"
    http_status = 402

    def __init__(self, payment_method_id: str, reason: str) -> None:
        super().__init__(
            f"The payment with {payment_method_id} was declined: {reason}.",
            payment_method_id=payment_method_id,
            reason=reason,
        )


class PaymentMethodUnusable(PolicyRefusal):
    code = "payment_method_unusable"

    def __init__(self, payment_method_id: str, reason: str) -> None:
        super().__init__(
            f"Payment method {payment_method_id} cannot be used: {reason}.",
            payment_method_id=payment_method_id,
            reason=reason,
        )


class QuoteChanged(PolicyRefusal):
    """The price the customer confirmed is no longer the price: nothing is charged."""

    code = "quote_changed"

    def __init__(self, expected_total: int, total: int, currency: str) -> None:
        super().__init__(
            f"The amount changed from {Money(expected_total, currency)} to "
            f"{Money(total, currency)} since it was shown; please confirm the new amount.",
            expected_total=expected_total,
            total=total,
            currency=currency,
        )


class CouponNotApplicable(PolicyRefusal):
    """Why a coupon cannot be used: `reason` is one of expired, not_started, inactive,
    min_spend_not_met, customer_limit_reached, usage_limit_reached, currency_mismatch."""

    code = "coupon_not_applicable"

    def __init__(self, coupon: str, reason: str, **facts: Any) -> None:
        text = {
            "expired": "it has expired",
            "not_started": "it is not valid yet",
            "inactive": "it is not active",
            "min_spend_not_met": "the order does not reach its minimum spend",
            "customer_limit_reached": "this customer has used it the maximum number of times",
            "usage_limit_reached": "it has been fully redeemed",
            "currency_mismatch": "it is in another currency",
            "not_for_channel": "it does not apply to this kind of order",
        }.get(reason, reason)
        super().__init__(
            f"Coupon {coupon} cannot be used: {text}.", coupon=coupon, reason=reason, **facts
        )


class CampaignNotApplicable(PolicyRefusal):
    code = "campaign_not_applicable"

    def __init__(self, campaign_id: str, reason: str) -> None:
        super().__init__(
            f"Campaign {campaign_id} does not apply: {reason}.",
            campaign_id=campaign_id,
            reason=reason,
        )


class StoreClosed(PolicyRefusal):
    code = "store_closed"

    def __init__(self, store_id: str, slot: str, alternatives: list[dict[str, Any]]) -> None:
        super().__init__(
            f"Store {store_id} is not open for the slot at {slot}.",
            store_id=store_id,
            slot=slot,
            alternatives=alternatives,
        )


class SlotFull(PolicyRefusal):
    """The slot cannot take the order. `alternatives` lists the next free slots at this store and
    free slots at other stores nearby, each {store_id, slot, free}."""

    code = "slot_full"

    def __init__(
        self,
        store_id: str,
        slot: str,
        requested: int,
        free: int,
        alternatives: list[dict[str, Any]],
    ) -> None:
        super().__init__(
            f"Store {store_id} can take only {free} more item(s) at {slot}; {requested} requested.",
            store_id=store_id,
            slot=slot,
            requested=requested,
            free=free,
            alternatives=alternatives,
        )


# --- data import ----------------------------------------------------------------------------


class ImportFailed(StoreError):
    """A file could not be imported; names the record and field. Nothing was imported."""

    code = "import_failed"

    def __init__(self, record: str, field: str, problem: str) -> None:
        super().__init__(
            f"{record}: field '{field}' {problem}", record=record, field=field, problem=problem
        )


# --- conversations --------------------------------------------------------------------------


class ConversationNotFound(NotFound):
    code = "conversation_not_found"

    def __init__(self, conversation_id: str) -> None:
        super().__init__(
            f"There is no conversation {conversation_id}.", conversation_id=conversation_id
        )


class HandoffNotFound(NotFound):
    code = "handoff_not_found"

    def __init__(self, handoff_id: int) -> None:
        super().__init__(f"There is no handoff {handoff_id}.", handoff_id=handoff_id)


class ConversationExists(StoreError):
    code = "conversation_exists"
    http_status = 409

    def __init__(self, conversation_id: str) -> None:
        super().__init__(
            f"A conversation {conversation_id} already exists.", conversation_id=conversation_id
        )


class ConversationChanged(StoreError):
    """Someone else wrote the conversation since it was read (another worker answered a turn,
    a staff member took it over): read it again and redo the turn. Nothing was written."""

    code = "conversation_changed"
    http_status = 409

    def __init__(self, conversation_id: str, expected_version: int, version: int) -> None:
        super().__init__(
            f"Conversation {conversation_id} is at version {version}, not {expected_version}.",
            conversation_id=conversation_id,
            expected_version=expected_version,
            version=version,
        )


class MessageBlank(InvalidRequest):
    code = "message_blank"

    def __init__(self, role: str) -> None:
        super().__init__(f"A {role} message needs some text.", role=role)


class MessageTooLong(InvalidRequest):
    code = "message_too_long"

    def __init__(self, length: int, maximum: int) -> None:
        super().__init__(
            f"A message may be at most {maximum} characters long; this one is {length}.",
            length=length,
            maximum=maximum,
        )


class ConversationClosed(PolicyRefusal):
    code = "conversation_closed"

    def __init__(self, conversation_id: str) -> None:
        super().__init__(
            f"Conversation {conversation_id} is closed.", conversation_id=conversation_id
        )


class HandoffNotWaiting(PolicyRefusal):
    """Only a waiting handoff can be taken: someone took it first, or it ended."""

    code = "handoff_not_waiting"

    def __init__(self, handoff_id: int, status: str, staff: str | None) -> None:
        holder = f" by {staff}" if staff and status == "taken" else ""
        super().__init__(
            f"Handoff {handoff_id} is {status}{holder}; only a waiting one can be taken.",
            handoff_id=handoff_id,
            status=status,
            staff=staff,
        )


class ConversationNotHeld(PolicyRefusal):
    """A staff member acted on a conversation they do not hold."""

    code = "conversation_not_held"

    def __init__(self, conversation_id: str, staff: str, holder: str | None) -> None:
        super().__init__(
            f"{staff} does not hold conversation {conversation_id}"
            + (f"; {holder} does." if holder else "."),
            conversation_id=conversation_id,
            staff=staff,
            holder=holder,
        )


# --- agent checkout -------------------------------------------------------------------------


class CheckoutSessionNotFound(NotFound):
    code = "checkout_session_not_found"

    def __init__(self, session_id: str) -> None:
        super().__init__(
            f"There is no checkout session {session_id}.", checkout_session_id=session_id
        )


class CheckoutSessionClosed(PolicyRefusal):
    """The session was completed or cancelled: it can no longer change."""

    code = "checkout_session_closed"
    http_status = 405

    def __init__(self, session_id: str, status: str) -> None:
        super().__init__(
            f"Checkout session {session_id} is {status}; it can no longer be changed.",
            checkout_session_id=session_id,
            status=status,
        )


class IdempotencyKeyInFlight(StoreError):
    """A request with this key is still running: the repeat should wait and try again."""

    code = "idempotency_in_flight"
    http_status = 409

    def __init__(self, key: str, retry_after_seconds: int) -> None:
        super().__init__(
            f"A request with Idempotency-Key {key} is still being processed; retry after "
            f"{retry_after_seconds} s.",
            key=key,
            retry_after_seconds=retry_after_seconds,
        )


# --- staff ----------------------------------------------------------------------------------


class StaffExists(StoreError):
    code = "staff_exists"
    http_status = 409

    def __init__(self, username: str) -> None:
        super().__init__(f"A staff member {username} already exists.", username=username)


class StaffNotFound(NotFound):
    code = "staff_not_found"

    def __init__(self, username: str) -> None:
        super().__init__(f"There is no staff member {username}.", username=username)


class WeakPassword(InvalidRequest):
    """A staff password that is short, common, or easily guessed."""

    code = "weak_password"


class TooManyTries(StoreError):
    """Too many wrong codes or passwords (or codes asked for): refused until `retry_after_seconds`
    have passed, whatever is sent meanwhile."""

    code = "too_many_tries"
    http_status = 429

    def __init__(self, what: str, retry_after_seconds: int) -> None:
        super().__init__(
            f"Too many {what}; try again in {retry_after_seconds} s.",
            retry_after_seconds=retry_after_seconds,
        )


# --- identity -------------------------------------------------------------------------------


class IdentityTokenRefused(StoreError):
    """A customer token from the merchant's site that is malformed, forged or expired."""

    code = "identity_token_refused"
    http_status = 401

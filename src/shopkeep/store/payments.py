"""Payments: the gateway interface, the built-in sandbox gateway, and the order ledger.

Money that lives inside the shop (gift-card balances) moves inside the store's transaction.
Money that lives outside (cards, PayPal, wallets) moves through a `PaymentGateway`, always by
idempotency key, so a retry of the same operation never charges or refunds twice. A gateway is
never called while a store transaction is open:
- a checkout's charge happens between the transaction that reserves the order and the one that
  confirms it (see checkout.py);
- a charge for a change to an order (a dearer item, another payment method) is written down as a
  `ChargeAttempt` under a key of its own before the gateway is called, then applied with the
  change or refunded (`charge_for_change`);
- a refund is recorded as pending in the transaction that causes it and sent to the gateway
  after that transaction commits.
Whatever a crash interrupts, `Store.recover()` finds it recorded and finishes or undoes it.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shopkeep.store.context import Clock, utcnow

if TYPE_CHECKING:
    from shopkeep.store.context import StoreContext
from shopkeep.store.db import Database
from shopkeep.store.errors import (
    IdempotencyConflict,
    InsufficientGiftCardBalance,
    PaymentDeclined,
    PaymentMethodNotFound,
    PaymentMethodUnusable,
)
from shopkeep.store.models import (
    AttemptStatus,
    ChargeAttempt,
    Order,
    PaymentMethod,
    PaymentSource,
    PaymentTransaction,
    SandboxGatewayRecord,
    TransactionKind,
    TransactionStatus,
)
from shopkeep.store.money import Money
from shopkeep.store.policy import StorePolicy

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class GatewayResult:
    reference: str
    succeeded: bool
    decline_reason: str | None = None
    replayed: bool = False


class PaymentGateway(Protocol):
    """What the store needs of a payment provider. Every call is idempotent by `key`: the same key
    with the same request returns the first result; with another request it is refused."""

    name: str

    def charge(self, *, key: str, method_ref: str, amount: Money) -> GatewayResult: ...

    def refund(self, *, key: str, method_ref: str, amount: Money) -> GatewayResult: ...

    def lookup(self, key: str) -> GatewayResult | None: ...


class SandboxGateway:
    """A gateway that moves no real money, for demos and tests. It keeps its records in the shop's
    database (its own short transactions). Method refs containing 'decline' are declined, as
    are amounts above `limit_minor`; everything else succeeds."""

    name = "sandbox"

    def __init__(
        self,
        db: Database,
        clock: Clock = utcnow,
        limit_minor: int = 10_000_000,
        charge_seconds: float = 0.0,
    ) -> None:
        """`charge_seconds`: how long a charge takes, as a real gateway's round trip does (for
        load and crash drills)."""
        self._db = db
        self._clock = clock
        self._limit = limit_minor
        self._charge_seconds = charge_seconds

    def charge(self, *, key: str, method_ref: str, amount: Money) -> GatewayResult:
        if self._charge_seconds > 0:
            time.sleep(self._charge_seconds)
        decline = None
        if "decline" in method_ref:
            decline = "card declined by issuer"
        elif amount.amount > self._limit:
            decline = "amount over the sandbox limit"
        return self._record(key, "charge", method_ref, amount, decline)

    def refund(self, *, key: str, method_ref: str, amount: Money) -> GatewayResult:
        return self._record(key, "refund", method_ref, amount, None)

    def lookup(self, key: str) -> GatewayResult | None:
        with self._db.reading() as session:
            record = session.get(SandboxGatewayRecord, key)
            return None if record is None else self._result(record, replayed=True)

    def _record(
        self, key: str, operation: str, method_ref: str, amount: Money, decline: str | None
    ) -> GatewayResult:
        reference = "sbx_" + hashlib.sha256(key.encode()).hexdigest()[:24]
        try:
            with self._db.transaction() as session:
                existing = session.get(SandboxGatewayRecord, key)
                if existing is None:
                    session.add(
                        SandboxGatewayRecord(
                            key=key,
                            operation=operation,
                            reference=reference,
                            method_ref=method_ref,
                            amount_minor=amount.amount,
                            currency=amount.currency,
                            succeeded=decline is None,
                            decline_reason=decline,
                            at=self._clock(),
                        )
                    )
                    return GatewayResult(reference, decline is None, decline)
        except IntegrityError:
            pass  # a concurrent call with the same key won; replay its record
        with self._db.reading() as session:
            existing = session.get(SandboxGatewayRecord, key)
            assert existing is not None
        if (existing.operation, existing.method_ref, existing.amount_minor, existing.currency) != (
            operation,
            method_ref,
            amount.amount,
            amount.currency,
        ):
            raise IdempotencyConflict(key)
        return self._result(existing, replayed=True)

    @staticmethod
    def _result(record: SandboxGatewayRecord, *, replayed: bool) -> GatewayResult:
        return GatewayResult(record.reference, record.succeeded, record.decline_reason, replayed)


# --- the order ledger, used inside store transactions ---------------------------------------


def method_ref(method: PaymentMethod) -> str:
    """What the gateway is told to charge: the saved token, or the method id for imported data."""
    return method.token or method.id


def customer_method(session: Session, customer_id: str, payment_method_id: str) -> PaymentMethod:
    method = session.get(PaymentMethod, payment_method_id)
    if method is None or method.customer_id != customer_id:
        raise PaymentMethodNotFound(payment_method_id)
    return method


def lock_method(session: Session, method: PaymentMethod) -> PaymentMethod:
    """Re-read a gift card under a row lock before its balance changes."""
    locked = session.execute(
        select(PaymentMethod).where(PaymentMethod.id == method.id).with_for_update()
    ).scalar_one()
    session.refresh(locked)
    return locked


def lock_methods(session: Session, method_ids: set[str]) -> None:
    """Lock several payment methods at once, in id order, so that two changes moving money
    between the same gift cards in opposite directions never deadlock."""
    session.execute(
        select(PaymentMethod.id)
        .where(PaymentMethod.id.in_(sorted(method_ids)))
        .order_by(PaymentMethod.id)
        .with_for_update()
    ).all()


def check_accepted(method: PaymentMethod, policy: StorePolicy) -> None:
    """Refuse a method of a kind the shop does not take payments with."""
    if method.source not in policy.payment_kinds:
        raise PaymentMethodUnusable(
            method.id, f"the shop does not take {method.source.replace('_', ' ')} payments"
        )


def check_pays(method: PaymentMethod, amount_minor: int, currency: str) -> None:
    """Refuse a gift card that cannot pay `amount_minor` of `currency`: another currency, or
    too small a balance. Cards and wallets are asked at the gateway."""
    if method.source != PaymentSource.GIFT_CARD:
        return
    if method.currency != currency:
        raise PaymentMethodUnusable(
            method.id, f"it holds {method.currency}, the order is in {currency}"
        )
    balance = method.balance_minor or 0
    if balance < amount_minor:
        raise InsufficientGiftCardBalance(method.id, balance, amount_minor, method.currency)


def record_transaction(
    session: Session,
    order: Order,
    kind: TransactionKind,
    amount_minor: int,
    method: PaymentMethod,
    *,
    clock: Clock,
    reason: str | None = None,
    status: TransactionStatus | None = None,
    gateway_ref: str | None = None,
) -> PaymentTransaction:
    """Append a payment or refund to the order's history. Gift cards settle here and now; other
    methods stay pending until `settle_pending_refunds` (refunds) or the checkout (payments)
    confirms them with the gateway."""
    is_gift_card = method.source == PaymentSource.GIFT_CARD
    if is_gift_card:
        card = lock_method(session, method)
        balance = card.balance_minor or 0
        if kind == TransactionKind.PAYMENT:
            check_pays(card, amount_minor, order.currency)
            card.balance_minor = balance - amount_minor
        elif method.currency != order.currency:
            raise PaymentMethodUnusable(
                method.id, f"it holds {method.currency}, the order is in {order.currency}"
            )
        else:
            card.balance_minor = balance + amount_minor
    if status is None:
        status = TransactionStatus.SUCCEEDED if is_gift_card else TransactionStatus.PENDING
    position = len(order.transactions)
    transaction = PaymentTransaction(
        order_id=order.id,
        position=position,
        kind=kind,
        amount_minor=amount_minor,
        currency=order.currency,
        payment_method_id=method.id,
        status=status,
        gateway_ref=gateway_ref,
        idempotency_key=f"{order.id}/{position}",
        reason=reason,
        created_at=(clock()),
    )
    order.transactions.append(transaction)
    return transaction


def record_difference(
    session: Session,
    order: Order,
    diff_minor: int,
    method: PaymentMethod,
    *,
    clock: Clock,
    reason: str,
    gateway_ref: str | None,
) -> PaymentTransaction:
    """Record a price difference: a payment when it is positive, else a refund (a zero difference
    too, as τ² records it). `gateway_ref` is the charge already made for a positive one."""
    kind = TransactionKind.PAYMENT if diff_minor > 0 else TransactionKind.REFUND
    status = TransactionStatus.SUCCEEDED if (gateway_ref or diff_minor == 0) else None
    return record_transaction(
        session,
        order,
        kind,
        abs(diff_minor),
        method,
        clock=clock,
        reason=reason,
        status=status,
        gateway_ref=gateway_ref,
    )


def net_paid_by_method(order: Order) -> dict[str, int]:
    """What each payment method has paid into the order, less what was refunded to it."""
    net: dict[str, int] = {}
    for t in order.transactions:
        sign = 1 if t.kind == TransactionKind.PAYMENT else -1
        net[t.payment_method_id] = net.get(t.payment_method_id, 0) + sign * t.amount_minor
    return net


def settle_pending_refunds(
    db: Database, gateway: PaymentGateway, order_id: str | None = None
) -> int:
    """Send recorded-but-unsent refunds to the gateway; returns how many were confirmed.

    Safe to run at any time and any number of times: each refund's key is its ledger key, so a
    refund the gateway already made is replayed, not repeated."""
    with db.reading() as session:
        query = select(PaymentTransaction).where(
            PaymentTransaction.kind == TransactionKind.REFUND,
            PaymentTransaction.status == TransactionStatus.PENDING,
        )
        if order_id is not None:
            query = query.where(PaymentTransaction.order_id == order_id)
        pending = [
            (
                t.id,
                t.idempotency_key or f"refund/{t.id}",
                t.payment_method_id,
                t.amount_minor,
                t.currency,
            )
            for t in session.scalars(query)
        ]
        refs = {
            m.id: method_ref(m)
            for m in session.scalars(
                select(PaymentMethod).where(PaymentMethod.id.in_({p[2] for p in pending}))
            )
        }
    settled = 0
    for transaction_id, key, method_id, amount, currency in pending:
        ref = refs.get(method_id, method_id)
        try:
            result = gateway.refund(key=key, method_ref=ref, amount=Money(amount, currency))
        except Exception:
            # The refund stays pending, recorded; `Store.recover()` sends it again later.
            log.warning("refund %s could not reach the gateway; left pending", key, exc_info=True)
            continue
        if result.succeeded:
            with db.transaction() as session:
                transaction = session.get(PaymentTransaction, transaction_id)
                if transaction is not None and transaction.status == TransactionStatus.PENDING:
                    transaction.status = TransactionStatus.SUCCEEDED
                    transaction.gateway_ref = result.reference
                    settled += 1
    return settled


# --- charges for changes to an order --------------------------------------------------------


def charge_for_change(
    ctx: StoreContext,
    *,
    order_id: str,
    purpose: str,
    method: PaymentMethod,
    amount: Money,
    apply: Callable[[Session, str | None], T],
) -> T:
    """Run `apply` in a write transaction, after charging `amount` to `method` when it is a card
    or wallet. The charge is written down first, under a key of its own, so that: a declined
    attempt does not block a retry with another method; two identical requests each pay with
    their own charge and the one whose change is refused (its re-check inside `apply` fails)
    gets its own charge back; and a charge stranded by a crash is refunded by `Store.recover()`.
    `apply` receives the gateway's reference, or None when nothing was charged."""
    if method.source == PaymentSource.GIFT_CARD or amount.amount <= 0:
        with ctx.db.transaction() as s:
            return apply(s, None)
    key = f"{order_id}/{purpose}/{uuid.uuid4().hex[:16]}"
    now = ctx.clock()
    with ctx.db.transaction() as s:
        s.add(
            ChargeAttempt(
                key=key,
                order_id=order_id,
                purpose=purpose,
                payment_method_id=method.id,
                amount_minor=amount.amount,
                currency=amount.currency,
                status=AttemptStatus.STARTED,
                created_at=now,
                updated_at=now,
            )
        )
    result = ctx.gateway.charge(key=key, method_ref=method_ref(method), amount=amount)
    if not result.succeeded:
        _mark(ctx, key, AttemptStatus.DECLINED)
        raise PaymentDeclined(method.id, result.decline_reason or "declined")
    try:
        with ctx.db.transaction() as s:
            value = apply(s, result.reference)
            attempt = s.get(ChargeAttempt, key)
            assert attempt is not None
            attempt.status, attempt.gateway_ref = AttemptStatus.APPLIED, result.reference
            attempt.updated_at = ctx.clock()
        return value
    except BaseException:
        _void(ctx, key)
        raise


def _mark(ctx: StoreContext, key: str, status: AttemptStatus, reference: str | None = None) -> None:
    with ctx.db.transaction() as s:
        attempt = s.get(ChargeAttempt, key)
        if attempt is not None and attempt.status == AttemptStatus.STARTED:
            attempt.status = status
            attempt.gateway_ref = reference or attempt.gateway_ref
            attempt.updated_at = ctx.clock()


def _void(ctx: StoreContext, key: str) -> None:
    """Give back a charge whose change did not happen. If the gateway cannot be reached the
    attempt stays 'started' and recovery voids it later."""
    with ctx.db.reading() as s:
        attempt = s.get(ChargeAttempt, key)
        method = s.get(PaymentMethod, attempt.payment_method_id) if attempt else None
    if attempt is None or attempt.status != AttemptStatus.STARTED:
        return
    try:
        refund = ctx.gateway.refund(
            key=f"{key}/void",
            method_ref=method_ref(method) if method else attempt.payment_method_id,
            amount=Money(attempt.amount_minor, attempt.currency),
        )
    except Exception:
        log.warning("charge %s could not be voided now; recovery will", key, exc_info=True)
        return
    if refund.succeeded:
        _mark(ctx, key, AttemptStatus.VOIDED, refund.reference)


def settle_stale_attempts(ctx: StoreContext, *, older_than: timedelta) -> dict[str, int]:
    """Settle charge attempts a dead process left 'started': refund those the gateway charged,
    close the others. Young attempts may still be running in another worker and are left."""
    cutoff = ctx.clock() - older_than
    with ctx.db.reading() as s:
        stale = list(
            s.scalars(
                select(ChargeAttempt.key).where(
                    ChargeAttempt.status == AttemptStatus.STARTED,
                    ChargeAttempt.created_at <= cutoff,
                )
            )
        )
    counts = {"charges_voided": 0, "attempts_abandoned": 0}
    for key in stale:
        charged = ctx.gateway.lookup(key)
        if charged is not None and charged.succeeded:
            _void(ctx, key)
            counts["charges_voided"] += 1
        else:
            _mark(ctx, key, AttemptStatus.ABANDONED if charged is None else AttemptStatus.DECLINED)
            counts["attempts_abandoned"] += 1
    return counts

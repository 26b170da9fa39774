"""τ²-bench retail: import its db.json into the store, and export the store back in its shape.

The import is all or nothing: the whole document is checked first (τ²'s schema, plus the
references τ²'s own tools rely on and amounts exact to the cent), and written in one
transaction. The export writes every customer and product, and every retail order except those
still awaiting payment, in τ²'s field order; changes the store made later (cancellations, item,
address and payment changes, returns, exchanges, refunds, gift-card balances) appear in τ²'s own
fields, so an end state can be compared with τ²-bench's. Local (food) orders have no place in
τ²'s schema and are left out.

Two shopkeep extensions let the export of any store import again: the order status
`completed` (after a return or exchange is completed) and the payment method
`{"source": "wallet", "id": ..., "brand": ...}`. What τ²'s shape cannot express is not part of
this format and is neither written nor read: customer profiles, phones and other addresses,
product categories, brands, translations and stock, reviews, coupons, campaigns, discounts and
shipping charges (the amounts paid are in the payment history), carts and local stores.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, selectinload

from shopkeep.store.catalog import build_search_text
from shopkeep.store.context import Clock, utcnow
from shopkeep.store.customers import fold
from shopkeep.store.db import Database
from shopkeep.store.errors import ImportFailed
from shopkeep.store.models import (
    Address,
    Base,
    Customer,
    ExchangeRequest,
    Order,
    OrderItem,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    PaymentSource,
    PaymentTransaction,
    Product,
    ReturnRequest,
    Shipment,
    TransactionStatus,
    Variant,
)
from shopkeep.store.money import Money

CURRENCY = "USD"  # τ²'s prices carry no currency; its shop is American
_MAX_MINOR = 2**31 - 1  # the amount columns are 32-bit integers
_CHUNK = 250

# --- τ²'s schema (tau2/domains/retail/data_model.py), strict: what does not fit is refused ---

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Text32 = Annotated[str, StringConstraints(max_length=32)]
Text64 = Annotated[str, StringConstraints(max_length=64)]
Text128 = Annotated[str, StringConstraints(max_length=128)]
Text255 = Annotated[str, StringConstraints(max_length=255)]

Tau2OrderStatus = Literal[
    "processed",
    "pending",
    "pending (item modified)",
    "delivered",
    "cancelled",
    "exchange requested",
    "return requested",
    "completed",  # shopkeep's, after a return or exchange is completed; so its exports re-import
]
Tau2CancelReason = Literal["no longer needed", "ordered by mistake"]


class Tau2Record(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


class Tau2Variant(Tau2Record):
    item_id: Id
    options: dict[str, str]
    available: bool
    price: float


class Tau2Product(Tau2Record):
    name: Text255
    product_id: Id
    variants: dict[str, Tau2Variant]


class Tau2Name(Tau2Record):
    first_name: Text128
    last_name: Text128


class Tau2Address(Tau2Record):
    address1: Text255
    address2: Text255
    city: Text128
    country: Text64
    state: Text128
    zip: Text32


class Tau2CreditCard(Tau2Record):
    source: Literal["credit_card"]
    id: Id
    brand: Text64
    last_four: Annotated[str, StringConstraints(max_length=4)]


class Tau2PayPal(Tau2Record):
    source: Literal["paypal"]
    id: Id


class Tau2GiftCard(Tau2Record):
    source: Literal["gift_card"]
    id: Id
    balance: float


class Tau2Wallet(Tau2Record):
    """shopkeep's own (τ² has no wallets): a wallet with its provider, so exports re-import."""

    source: Literal["wallet"]
    id: Id
    brand: Text64


Tau2PaymentMethod = Annotated[
    Tau2CreditCard | Tau2PayPal | Tau2GiftCard | Tau2Wallet, Field(discriminator="source")
]


class Tau2User(Tau2Record):
    user_id: Id
    name: Tau2Name
    address: Tau2Address
    email: Text255
    payment_methods: dict[str, Tau2PaymentMethod]
    orders: list[str]


class Tau2OrderItem(Tau2Record):
    name: Text255
    product_id: Id
    item_id: Id
    price: float
    options: dict[str, str]


class Tau2Fulfillment(Tau2Record):
    tracking_id: list[str]
    item_ids: list[str]


class Tau2Payment(Tau2Record):
    transaction_type: Literal["payment", "refund"]
    amount: float
    payment_method_id: Id


class Tau2Order(Tau2Record):
    order_id: Id
    user_id: Id
    address: Tau2Address
    items: list[Tau2OrderItem]
    status: Tau2OrderStatus
    fulfillments: list[Tau2Fulfillment]
    payment_history: list[Tau2Payment]
    cancel_reason: Tau2CancelReason | None = None
    exchange_items: list[str] | None = None
    exchange_new_items: list[str] | None = None
    exchange_payment_method_id: Id | None = None
    exchange_price_difference: float | None = None
    return_items: list[str] | None = None
    return_payment_method_id: Id | None = None


class Tau2RetailDB(Tau2Record):
    products: dict[str, Tau2Product]
    users: dict[str, Tau2User]
    orders: dict[str, Tau2Order]


_SECTIONS: dict[str, type[Tau2Record]] = {
    "products": Tau2Product,
    "users": Tau2User,
    "orders": Tau2Order,
}
_KEYED_FIELDS = frozenset({"variants", "payment_methods", "options"})  # dicts keyed by id or name
_SOURCES = frozenset(s.value for s in PaymentSource)
_EXCHANGE_FIELDS = (
    "exchange_items",
    "exchange_new_items",
    "exchange_payment_method_id",
    "exchange_price_difference",
)


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportCounts:
    """What an import wrote."""

    products: int
    variants: int
    users: int
    payment_methods: int
    orders: int
    order_items: int
    payments: int  # payment history entries, refunds included

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# Called as records are written: (section, records written so far, records in the section).
ImportProgress = Callable[[str, int, int], None]


# --- reading and checking -------------------------------------------------------------------


def read_tau2(source: Mapping[str, Any] | str | Path) -> Mapping[str, Any]:
    """The document itself, from a path or as already loaded."""
    if isinstance(source, Mapping):
        return source
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ImportFailed(
            str(path), "(file)", f"cannot be read: {error.strerror or error}"
        ) from None
    except UnicodeDecodeError as error:
        raise ImportFailed(
            str(path), "(file)", f"is not UTF-8 text: invalid byte at offset {error.start}"
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        # Some of json's messages end in "at" ("Unterminated string starting at"): the
        # position then completes the sentence rather than following another "at".
        where = f"line {error.lineno}, column {error.colno}"
        joined = f"{error.msg} {where}" if error.msg.endswith(" at") else f"{error.msg} at {where}"
        raise ImportFailed(str(path), "(file)", f"is not valid JSON: {joined}") from None
    if not isinstance(document, Mapping):
        raise ImportFailed(
            str(path), "(file)", "should hold a JSON object with products, users and orders"
        )
    return document


def parse_tau2(document: Mapping[str, Any]) -> Tau2RetailDB:
    """Check a τ² retail document: its schema record by record, then what the records say about
    each other. Raises `ImportFailed` naming the first bad record and field."""
    for key in document:
        if key not in _SECTIONS:
            raise ImportFailed("document", str(key), "is not part of τ²'s retail schema")
    sections: dict[str, dict[str, Any]] = {}
    for section, model in _SECTIONS.items():
        if section not in document:
            raise ImportFailed("document", section, "is missing")
        records = document[section]
        if not isinstance(records, Mapping):
            raise ImportFailed("document", section, f"should be an object of {section} by id")
        parsed: dict[str, Any] = {}
        for key, value in records.items():
            try:
                parsed[key] = model.model_validate(value)
            except ValidationError as error:
                raise _failure(f"{section}[{key!r}]", error.errors()[0]) from None
        sections[section] = parsed
    db = Tau2RetailDB.model_construct(
        products=sections["products"], users=sections["users"], orders=sections["orders"]
    )
    _check(db)
    return db


def _failure(record: str, error: ErrorDetails) -> ImportFailed:
    """An `ImportFailed` naming the record and field pydantic found wrong."""
    loc = list(error["loc"])
    # A discriminated union puts the tag (the payment method's source) into the location.
    for i in range(2, len(loc)):
        if loc[i - 2] == "payment_methods" and loc[i] in _SOURCES:
            del loc[i]
            break
    if error["type"] in {"union_tag_invalid", "union_tag_not_found"}:
        loc.append("source")
    trailing = ""
    while loc and isinstance(loc[-1], int):
        trailing = f"[{loc.pop()}]" + trailing
    field = f"{loc.pop() if loc else ''}{trailing}" or "(record)"
    path = record
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif i > 0 and loc[i - 1] in _KEYED_FIELDS:
            path += f"[{part!r}]"
        else:
            path += f".{part}"
    if error["type"] == "missing":
        problem = "is missing"
    elif error["type"] == "extra_forbidden":
        problem = "is not part of τ²'s retail schema"
    else:
        shown = repr(error.get("input"))
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        problem = f"is invalid: {error['msg']} (got {shown})"
    return ImportFailed(path, field, problem)


def cents(value: float, record: str, field: str, *, signed: bool = False) -> int:
    """A τ² dollar amount as integer cents, refused unless exact to the cent."""
    if not math.isfinite(value):
        raise ImportFailed(record, field, f"is not a finite amount: {value!r}")
    try:
        amount = Money.from_decimal(value, CURRENCY).amount
    except ValueError:
        raise ImportFailed(record, field, f"is not a whole number of cents: {value!r}") from None
    if amount < 0 and not signed:
        raise ImportFailed(record, field, f"must not be negative: {value!r}")
    if abs(amount) > _MAX_MINOR:
        raise ImportFailed(record, field, f"is too large: {value!r}")
    return amount


def _check(db: Tau2RetailDB) -> None:
    variant_owner: dict[str, str] = {}
    for key, product in db.products.items():
        record = f"products[{key!r}]"
        if product.product_id != key:
            raise ImportFailed(
                record, "product_id", f"is {product.product_id!r}, not its key {key!r}"
            )
        for item_key, variant in product.variants.items():
            where = f"{record}.variants[{item_key!r}]"
            if variant.item_id != item_key:
                raise ImportFailed(
                    where, "item_id", f"is {variant.item_id!r}, not its key {item_key!r}"
                )
            if item_key in variant_owner:
                raise ImportFailed(
                    where, "item_id", f"is also an item of products[{variant_owner[item_key]!r}]"
                )
            variant_owner[item_key] = key
            cents(variant.price, where, "price")

    method_owner: dict[str, str] = {}
    email_owner: dict[str, str] = {}
    for key, user in db.users.items():
        record = f"users[{key!r}]"
        if user.user_id != key:
            raise ImportFailed(record, "user_id", f"is {user.user_id!r}, not its key {key!r}")
        email = fold(user.email)
        if email in email_owner:
            raise ImportFailed(
                record, "email", f"is also the email of users[{email_owner[email]!r}]"
            )
        email_owner[email] = key
        for method_key, method in user.payment_methods.items():
            where = f"{record}.payment_methods[{method_key!r}]"
            if method.id != method_key:
                raise ImportFailed(where, "id", f"is {method.id!r}, not its key {method_key!r}")
            if method_key in method_owner:
                raise ImportFailed(
                    where, "id", f"is also a payment method of users[{method_owner[method_key]!r}]"
                )
            method_owner[method_key] = key
            if isinstance(method, Tau2GiftCard):
                cents(method.balance, where, "balance")
        listed = Counter(user.orders)
        for order_id, times in listed.items():
            if times > 1:
                raise ImportFailed(record, "orders", f"lists order {order_id!r} {times} times")
            order = db.orders.get(order_id)
            if order is None:
                raise ImportFailed(
                    record, "orders", f"lists order {order_id!r}, which is not in the file"
                )
            if order.user_id != key:
                raise ImportFailed(
                    record,
                    "orders",
                    f"lists order {order_id!r}, which is of user {order.user_id!r}",
                )

    for key, order in db.orders.items():
        _check_order(db, key, order, variant_owner)


def _check_order(
    db: Tau2RetailDB, key: str, order: Tau2Order, variant_owner: Mapping[str, str]
) -> None:
    record = f"orders[{key!r}]"
    if order.order_id != key:
        raise ImportFailed(record, "order_id", f"is {order.order_id!r}, not its key {key!r}")
    user = db.users.get(order.user_id)
    if user is None:
        raise ImportFailed(
            record, "user_id", f"names user {order.user_id!r}, who is not in the file"
        )
    if key not in user.orders:
        raise ImportFailed(
            record, "user_id", f"names user {order.user_id!r}, whose orders do not list it"
        )

    for i, item in enumerate(order.items):
        where = f"{record}.items[{i}]"
        product = db.products.get(item.product_id)
        if product is None:
            raise ImportFailed(
                where, "product_id", f"names product {item.product_id!r}, which is not in the file"
            )
        if item.item_id not in product.variants:
            owner = variant_owner.get(item.item_id)
            problem = (
                f"is an item of products[{owner!r}]" if owner else "is not an item in the file"
            )
            raise ImportFailed(where, "item_id", f"{problem}, not of product {item.product_id!r}")
        cents(item.price, where, "price")

    def own_method(method_id: str, where: str, field: str) -> None:
        if method_id not in user.payment_methods:
            raise ImportFailed(
                where, field, f"{method_id!r} is not a payment method of user {user.user_id!r}"
            )

    for i, payment in enumerate(order.payment_history):
        where = f"{record}.payment_history[{i}]"
        own_method(payment.payment_method_id, where, "payment_method_id")
        cents(payment.amount, where, "amount")

    def own_items(item_ids: Sequence[str], field: str) -> None:
        have = Counter(item.item_id for item in order.items)
        for item_id, count in Counter(item_ids).items():
            if count > have.get(item_id, 0):
                raise ImportFailed(
                    record, field, f"names item {item_id!r}, which the order does not hold"
                )

    given = [name for name in _EXCHANGE_FIELDS if getattr(order, name) is not None]
    if given:
        for name in _EXCHANGE_FIELDS:
            if getattr(order, name) is None:
                raise ImportFailed(record, name, f"is missing, but {given[0]} is set")
        assert order.exchange_items is not None and order.exchange_new_items is not None
        assert (
            order.exchange_payment_method_id is not None
            and order.exchange_price_difference is not None
        )
        own_items(order.exchange_items, "exchange_items")
        if len(order.exchange_new_items) != len(order.exchange_items):
            raise ImportFailed(
                record, "exchange_new_items", "should name as many items as exchange_items"
            )
        for item_id in order.exchange_new_items:
            if item_id not in variant_owner:
                raise ImportFailed(
                    record,
                    "exchange_new_items",
                    f"names item {item_id!r}, which is not in the file",
                )
        own_method(order.exchange_payment_method_id, record, "exchange_payment_method_id")
        cents(order.exchange_price_difference, record, "exchange_price_difference", signed=True)

    if order.return_items is not None or order.return_payment_method_id is not None:
        if order.return_items is None:
            raise ImportFailed(
                record, "return_items", "is missing, but return_payment_method_id is set"
            )
        if order.return_payment_method_id is None:
            raise ImportFailed(
                record, "return_payment_method_id", "is missing, but return_items is set"
            )
        own_items(order.return_items, "return_items")
        own_method(order.return_payment_method_id, record, "return_payment_method_id")


# --- import ---------------------------------------------------------------------------------


def import_tau2(
    db: Database,
    source: Mapping[str, Any] | str | Path,
    progress: ImportProgress | None = None,
    *,
    clock: Clock = utcnow,
) -> ImportCounts:
    """Import a τ² retail database (a path to its db.json, or the loaded document) into the
    store, all or nothing: a malformed document, or one whose ids the store already holds,
    raises `ImportFailed` and writes nothing."""
    data = parse_tau2(read_tau2(source))
    report = progress or (lambda _section, _done, _total: None)
    now = clock()
    with db.transaction() as s:
        _check_new(s, data)
        _write_products(s, data, now, report)
        _write_users(s, data, now, report)
        _write_orders(s, data, now, report)
    return ImportCounts(
        products=len(data.products),
        variants=sum(len(p.variants) for p in data.products.values()),
        users=len(data.users),
        payment_methods=sum(len(u.payment_methods) for u in data.users.values()),
        orders=len(data.orders),
        order_items=sum(len(o.items) for o in data.orders.values()),
        payments=sum(len(o.payment_history) for o in data.orders.values()),
    )


def _existing(s: Session, column: Any, values: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(values), 500):
        found.update(s.scalars(select(column).where(column.in_(values[start : start + 500]))))
    return found


def _check_new(s: Session, data: Tau2RetailDB) -> None:
    """Refuse ids (and emails) the store already has: an import adds, it never overwrites."""
    products = _existing(s, Product.id, list(data.products))
    variants = _existing(s, Variant.id, [v for p in data.products.values() for v in p.variants])
    for key, product in data.products.items():
        if key in products:
            raise ImportFailed(f"products[{key!r}]", "product_id", "is already in the store")
        for item_key in product.variants:
            if item_key in variants:
                raise ImportFailed(
                    f"products[{key!r}].variants[{item_key!r}]",
                    "item_id",
                    "is already in the store",
                )
    customers = _existing(s, Customer.id, list(data.users))
    methods = _existing(
        s, PaymentMethod.id, [m for u in data.users.values() for m in u.payment_methods]
    )
    emails = _existing(s, Customer.email_key, [fold(u.email) for u in data.users.values()])
    for key, user in data.users.items():
        if key in customers:
            raise ImportFailed(f"users[{key!r}]", "user_id", "is already in the store")
        if fold(user.email) in emails:
            raise ImportFailed(
                f"users[{key!r}]", "email", "is already a customer's email in the store"
            )
        for method_key in user.payment_methods:
            if method_key in methods:
                raise ImportFailed(
                    f"users[{key!r}].payment_methods[{method_key!r}]",
                    "id",
                    "is already in the store",
                )
    orders = _existing(s, Order.id, list(data.orders))
    for key in data.orders:
        if key in orders:
            raise ImportFailed(f"orders[{key!r}]", "order_id", "is already in the store")


def _insert(s: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    # Core executemany: the ORM would group rows by which columns are None, row by row.
    if rows:
        s.execute(insert(Base.metadata.tables[model.__tablename__]), rows)


def _next_position(s: Session, column: Any) -> int:
    last = s.scalar(select(func.max(column)))
    return 0 if last is None else int(last) + 1


def _chunks(keys: Sequence[str]) -> list[Sequence[str]]:
    return [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)] or [[]]


def _write_products(s: Session, data: Tau2RetailDB, now: datetime, report: ImportProgress) -> None:
    position = _next_position(s, Product.position)
    keys = list(data.products)
    done = 0
    for chunk in _chunks(keys):
        products: list[dict[str, Any]] = []
        variants: list[dict[str, Any]] = []
        for key in chunk:
            p = data.products[key]
            rows = [
                {
                    "id": v.item_id,
                    "product_id": key,
                    "position": i,
                    "options": dict(v.options),
                    "price_minor": _cents(v.price),
                    "currency": CURRENCY,
                    "stock": None,
                    "available": v.available,
                }
                for i, v in enumerate(p.variants.values())
            ]
            # A transient product, only to build its search text the way the catalog does.
            draft = Product(
                id=key, category="general", brand=None, name={"en": p.name}, description={}
            )
            draft.variants = [Variant(options=row["options"]) for row in rows]
            products.append(
                {
                    "id": key,
                    "position": position,
                    "category": "general",
                    "brand": None,
                    "name": {"en": p.name},
                    "description": {},
                    "search_text": build_search_text(draft),
                    "created_at": now,
                }
            )
            variants += rows
            position += 1
        if products:
            _insert(s, Product, products)
            _insert(s, Variant, variants)
        done += len(chunk)
        report("products", done, len(keys))


def _address(a: Tau2Address) -> dict[str, str]:
    return {
        "address1": a.address1,
        "address2": a.address2,
        "city": a.city,
        "state": a.state,
        "country": a.country,
        "zip": a.zip,
    }


def _cents(value: float) -> int:
    """Cents of an amount `parse_tau2` has already checked."""
    return Money.from_decimal(value, CURRENCY).amount


def _write_users(s: Session, data: Tau2RetailDB, now: datetime, report: ImportProgress) -> None:
    position = _next_position(s, Customer.position)
    keys = list(data.users)
    done = 0
    for chunk in _chunks(keys):
        customers: list[dict[str, Any]] = []
        addresses: list[dict[str, Any]] = []
        methods: list[dict[str, Any]] = []
        for key in chunk:
            u = data.users[key]
            customers.append(
                {
                    "id": key,
                    "position": position,
                    "first_name": u.name.first_name,
                    "last_name": u.name.last_name,
                    "email": u.email,
                    "email_key": fold(u.email),
                    "phone": None,
                    "locale": None,
                    "profile": {},
                    "created_at": now,
                }
            )
            addresses.append(
                {
                    "customer_id": key,
                    "position": 0,
                    "label": None,
                    "is_default": True,
                    **_address(u.address),
                }
            )
            for i, m in enumerate(u.payment_methods.values()):
                methods.append(
                    {
                        "id": m.id,
                        "customer_id": key,
                        "position": i,
                        "source": m.source,
                        "brand": m.brand if isinstance(m, Tau2CreditCard | Tau2Wallet) else None,
                        "last_four": m.last_four if isinstance(m, Tau2CreditCard) else None,
                        "token": None,
                        "balance_minor": _cents(m.balance) if isinstance(m, Tau2GiftCard) else None,
                        "currency": CURRENCY,
                    }
                )
            position += 1
        if customers:
            _insert(s, Customer, customers)
            _insert(s, Address, addresses)
        if methods:
            _insert(s, PaymentMethod, methods)
        done += len(chunk)
        report("users", done, len(keys))


def _write_orders(s: Session, data: Tau2RetailDB, now: datetime, report: ImportProgress) -> None:
    position = _next_position(s, Order.position)
    keys = list(data.orders)
    done = 0
    for chunk in _chunks(keys):
        orders: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        payments: list[dict[str, Any]] = []
        shipments: list[dict[str, Any]] = []
        returns: list[dict[str, Any]] = []
        exchanges: list[dict[str, Any]] = []
        for key in chunk:
            o = data.orders[key]
            prices = [_cents(item.price) for item in o.items]
            completed = o.status == "completed"
            orders.append(
                {
                    "id": key,
                    "position": position,
                    "kind": OrderKind.RETAIL,
                    "customer_id": o.user_id,
                    "status": o.status,
                    "currency": CURRENCY,
                    "subtotal_minor": sum(prices),
                    "discount_minor": 0,
                    "subsidy_minor": 0,
                    "shipping_minor": 0,
                    "total_minor": sum(prices),
                    "coupon_code": None,
                    "campaign_id": None,
                    "payment_method_id": _paid_with(o.payment_history),
                    "cancel_reason": o.cancel_reason,
                    "idempotency_key": None,
                    "request_fingerprint": None,
                    **_address(o.address),
                    "local_store_id": None,
                    "slot_start": None,
                    "fulfilment": "shipping",
                    "created_at": now,
                    "updated_at": now,
                    "delivered_at": None,
                }
            )
            position += 1
            for i, (item, price) in enumerate(zip(o.items, prices, strict=True)):
                items.append(
                    {
                        "order_id": key,
                        "position": i,
                        "product_id": item.product_id,
                        "variant_id": item.item_id,
                        "menu_item_id": None,
                        "name": item.name,
                        "options": dict(item.options),
                        "unit_price_minor": price,
                        "discount_minor": 0,
                    }
                )
            for i, p in enumerate(o.payment_history):
                payments.append(
                    {
                        "order_id": key,
                        "position": i,
                        "kind": p.transaction_type,
                        "amount_minor": _cents(p.amount),
                        "currency": CURRENCY,
                        "payment_method_id": p.payment_method_id,
                        "status": TransactionStatus.SUCCEEDED,
                        "gateway_ref": None,
                        "idempotency_key": f"{key}/{i}",
                        "reason": None,
                        "created_at": now,
                    }
                )
            for i, f in enumerate(o.fulfillments):
                shipments.append(
                    {
                        "order_id": key,
                        "position": i,
                        "carrier": None,
                        "tracking_ids": list(f.tracking_id),
                        "item_ids": list(f.item_ids),
                        "shipped_at": None,
                    }
                )
            if o.return_items is not None and o.return_payment_method_id is not None:
                returned = Counter(o.return_items)
                refund = 0
                for item, price in zip(o.items, prices, strict=True):
                    if returned[item.item_id] > 0:
                        returned[item.item_id] -= 1
                        refund += price
                returns.append(
                    {
                        "order_id": key,
                        "item_ids": list(o.return_items),
                        "refund_method_id": o.return_payment_method_id,
                        "reason": None,
                        "refund_minor": refund,
                        "status": "refunded" if completed else "requested",
                        "created_at": now,
                    }
                )
            if o.exchange_items is not None and o.exchange_new_items is not None:
                assert (
                    o.exchange_payment_method_id is not None
                    and o.exchange_price_difference is not None
                )
                exchanges.append(
                    {
                        "order_id": key,
                        "item_ids": list(o.exchange_items),
                        "new_item_ids": list(o.exchange_new_items),
                        "payment_method_id": o.exchange_payment_method_id,
                        "price_difference_minor": _cents(o.exchange_price_difference),
                        "reason": None,
                        "status": "completed" if completed else "requested",
                        "created_at": now,
                    }
                )
        for model, rows in (
            (Order, orders),
            (OrderItem, items),
            (PaymentTransaction, payments),
            (Shipment, shipments),
            (ReturnRequest, returns),
            (ExchangeRequest, exchanges),
        ):
            _insert(s, model, rows)
        done += len(chunk)
        report("orders", done, len(keys))


def _paid_with(history: Sequence[Tau2Payment]) -> str | None:
    """The payment method an order is paid with: its first payment's, unless the method was
    changed, which τ² and the store both write as a payment of the same amount with the new
    method followed by a refund of the first payment in full."""
    payments = [p for p in history if p.transaction_type == "payment"]
    if not payments:
        return None
    if len(history) >= 3:
        first, new, refund = history[:3]
        if (
            first.transaction_type == new.transaction_type == "payment"
            and refund.transaction_type == "refund"
            and new.payment_method_id != first.payment_method_id
            and refund.payment_method_id == first.payment_method_id
            and first.amount == new.amount == refund.amount
        ):
            return new.payment_method_id
    return payments[0].payment_method_id


# --- export ---------------------------------------------------------------------------------


def _dollars(amount_minor: int, currency: str) -> float:
    return Money(amount_minor, currency).to_float()


def _address_out(a: Address | Order | None) -> dict[str, str]:
    """τ²'s address, in its field order."""
    if a is None:
        return {"address1": "", "address2": "", "city": "", "country": "", "state": "", "zip": ""}
    return {
        "address1": a.address1 or "",
        "address2": a.address2 or "",
        "city": a.city or "",
        "country": a.country or "",
        "state": a.state or "",
        "zip": a.zip or "",
    }


def export_tau2(db: Database) -> dict[str, Any]:
    """The store as a τ² retail document: every product and customer, and every retail order
    except those still awaiting payment. Local (food) orders are left out: τ² has no place for
    them. Amounts are float dollars, as τ² writes them."""
    with db.reading() as s:
        products = s.scalars(
            select(Product)
            .options(selectinload(Product.variants))
            .order_by(Product.position, Product.id)
        ).all()
        customers = s.scalars(
            select(Customer)
            .options(selectinload(Customer.addresses), selectinload(Customer.payment_methods))
            .order_by(Customer.position, Customer.id)
        ).all()
        orders = s.scalars(
            select(Order)
            .where(Order.kind == OrderKind.RETAIL, Order.status != OrderStatus.AWAITING_PAYMENT)
            .options(
                selectinload(Order.items),
                selectinload(Order.transactions),
                selectinload(Order.shipments),
                selectinload(Order.return_request),
                selectinload(Order.exchange_request),
            )
            .order_by(Order.position, Order.id)
        ).all()
        orders_of: dict[str, list[str]] = {}
        for order in orders:
            orders_of.setdefault(order.customer_id, []).append(order.id)
        return {
            "products": {p.id: _product_out(p) for p in products},
            "users": {c.id: _user_out(c, orders_of.get(c.id, [])) for c in customers},
            "orders": {o.id: _order_out(o) for o in orders},
        }


def _product_out(p: Product) -> dict[str, Any]:
    name = p.name.get("en") or next(iter(p.name.values()), "")
    return {
        "name": name,
        "product_id": p.id,
        "variants": {
            v.id: {
                "item_id": v.id,
                "options": dict(v.options),
                "available": v.available,
                "price": _dollars(v.price_minor, v.currency),
            }
            for v in p.variants
        },
    }


def _payment_method_out(m: PaymentMethod) -> dict[str, Any]:
    out: dict[str, Any] = {"source": m.source, "id": m.id}
    if m.source == PaymentSource.CREDIT_CARD:
        out["brand"] = m.brand or ""
        out["last_four"] = m.last_four or ""
    elif m.source == PaymentSource.GIFT_CARD:
        out["balance"] = _dollars(m.balance_minor or 0, m.currency)
    elif m.source == PaymentSource.WALLET:
        out["brand"] = m.brand or ""
    return out


def _user_out(c: Customer, order_ids: list[str]) -> dict[str, Any]:
    default = next(
        (a for a in c.addresses if a.is_default), c.addresses[0] if c.addresses else None
    )
    return {
        "user_id": c.id,
        "name": {"first_name": c.first_name, "last_name": c.last_name},
        "address": _address_out(default),
        "email": c.email,
        "payment_methods": {m.id: _payment_method_out(m) for m in c.payment_methods},
        "orders": order_ids,
    }


def _order_out(o: Order) -> dict[str, Any]:
    out: dict[str, Any] = {
        "order_id": o.id,
        "user_id": o.customer_id,
        "address": _address_out(o),
        "items": [
            {
                "name": i.name,
                "product_id": i.product_id or "",
                "item_id": i.variant_id or "",
                "price": _dollars(i.unit_price_minor, o.currency),
                "options": dict(i.options),
            }
            for i in o.items
        ],
        "status": o.status,
        "fulfillments": [
            {"tracking_id": list(f.tracking_ids), "item_ids": list(f.item_ids)} for f in o.shipments
        ],
        "payment_history": [
            {
                "transaction_type": t.kind,
                "amount": _dollars(t.amount_minor, t.currency),
                "payment_method_id": t.payment_method_id,
            }
            for t in o.transactions
        ],
    }
    if o.cancel_reason is not None:
        out["cancel_reason"] = o.cancel_reason
    x = o.exchange_request
    if x is not None:
        out["exchange_items"] = list(x.item_ids)
        out["exchange_new_items"] = list(x.new_item_ids)
        out["exchange_payment_method_id"] = x.payment_method_id
        out["exchange_price_difference"] = _dollars(x.price_difference_minor, o.currency)
    r = o.return_request
    if r is not None:
        out["return_items"] = list(r.item_ids)
        out["return_payment_method_id"] = r.refund_method_id
    return out


def dumps_tau2(document: Mapping[str, Any]) -> str:
    """The document as τ²'s db.json is written: four-space indent, ASCII, no final newline."""
    return json.dumps(document, indent=4)

"""Customers: identity lookups, profiles, addresses and saved payment methods."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from shopkeep.logs import holds_card_number
from shopkeep.store.context import StoreContext
from shopkeep.store.errors import AddressNotFound, CustomerNotFound, InvalidAddress, InvalidRequest
from shopkeep.store.models import Address, Customer, PaymentMethod, PaymentSource
from shopkeep.store.money import Money
from shopkeep.store.views import AddressInput, AddressView, CustomerView, PaymentMethodView


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching what people type or say ('Vázquez')."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def address_view(a: Address) -> AddressView:
    return AddressView(
        id=a.id,
        label=a.label,
        is_default=a.is_default,
        address1=a.address1,
        address2=a.address2,
        city=a.city,
        state=a.state,
        country=a.country,
        zip=a.zip,
    )


def payment_method_view(m: PaymentMethod) -> PaymentMethodView:
    return PaymentMethodView(
        id=m.id,
        source=m.source,
        brand=m.brand,
        last_four=m.last_four,
        balance=Money(m.balance_minor, m.currency) if m.balance_minor is not None else None,
    )


def customer_view(c: Customer) -> CustomerView:
    return CustomerView(
        id=c.id,
        first_name=c.first_name,
        last_name=c.last_name,
        email=c.email,
        phone=c.phone,
        locale=c.locale,
        profile=dict(c.profile),
        addresses=[address_view(a) for a in c.addresses],
        payment_methods=[payment_method_view(m) for m in c.payment_methods],
    )


def validate_address(address: AddressInput) -> None:
    for field in ("address1", "city", "country", "zip"):
        if not str(getattr(address, field)).strip():
            raise InvalidAddress(field)


class PaymentMethodInput(BaseModel):
    id: str
    source: PaymentSource
    brand: str | None = None
    last_four: str | None = Field(default=None, pattern=r"^\d{4}$")
    token: str | None = None
    balance: Money | None = None


class CustomerInput(BaseModel):
    id: str
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    locale: str | None = None
    profile: dict[str, Any] = Field(default_factory=dict)
    addresses: list[AddressInput] = Field(default_factory=list)
    payment_methods: list[PaymentMethodInput] = Field(default_factory=list)


def new_payment_method(data: PaymentMethodInput, currency: str, position: int) -> PaymentMethod:
    if data.source == PaymentSource.CREDIT_CARD and not data.last_four:
        raise InvalidRequest("A card needs its last four digits.", payment_method_id=data.id)
    if data.source == PaymentSource.GIFT_CARD and data.balance is None:
        raise InvalidRequest("A gift card needs a balance.", payment_method_id=data.id)
    if holds_card_number(data.id) or holds_card_number(data.token or ""):
        # Only the gateway's token and the last four digits are kept, never the card.
        raise InvalidRequest(
            "A payment method keeps the payment provider's token, never a card number.",
            field="token",
        )
    return PaymentMethod(
        id=data.id,
        position=position,
        source=data.source,
        brand=data.brand,
        last_four=data.last_four,
        token=data.token,
        balance_minor=data.balance.amount if data.balance else None,
        currency=data.balance.currency if data.balance else currency,
    )


def _names_in(said: str, first: str, last: str) -> bool:
    """Both names in the folded text: as words where they are written with letters that separate
    words by spaces, anywhere for Chinese and Korean ("한지아", "马晓雯")."""
    if not first or not last:
        return False

    def has(name: str) -> bool:
        if name.isascii():
            return re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", said) is not None
        return name in said

    return has(first) and has(last)


class Customers:
    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx

    def get(self, customer_id: str) -> CustomerView:
        with self._ctx.db.reading() as s:
            return customer_view(load_customer(s, customer_id))

    def find_by_email(self, email: str) -> str:
        """The id of the customer with this email (any case, accents ignored)."""
        with self._ctx.db.reading() as s:
            customer_id = s.scalar(select(Customer.id).where(Customer.email_key == fold(email)))
        if customer_id is None:
            raise CustomerNotFound(email=email)
        return customer_id

    def find_by_name_zip(self, first_name: str, last_name: str, zip_code: str) -> str:
        """The id of the customer with this name whose default address has this zip code."""
        for customer_id, first, last in self._at_zip(zip_code):
            if fold(first) == fold(first_name) and fold(last) == fold(last_name):
                return customer_id
        raise CustomerNotFound(first_name=first_name, last_name=last_name, zip=zip_code)

    def find_by_zip_named(self, zip_code: str, text: str) -> str:
        """The id of the one customer whose default address has this zip code and whose first and
        last names both appear in `text` ("I'm Charlotte White, zip 55403", "이름은 한지아",
        "朱一鸣，邮编518057": the proof read from a message however the name is written)."""
        said = fold(text)
        found = [
            customer_id
            for customer_id, first, last in self._at_zip(zip_code)
            if _names_in(said, fold(first), fold(last))
        ]
        if len(found) != 1:
            raise CustomerNotFound(zip=zip_code)
        return found[0]

    def match_signed(self, customer_id: str, email: str, name: str | None = None) -> str:
        """The customer the merchant's site vouches for: the one with this id, else the one
        with this email, else a new customer with both (the site's sign-in is the proof). A
        known id with another email is refused: the site and the shop disagree on who it is."""
        email = email.strip()
        if not customer_id.strip() or "@" not in email or len(customer_id) > 64:
            raise InvalidRequest("A customer token needs a customer id and an email.")
        with self._ctx.db.transaction() as s:
            found = None if "\x00" in customer_id else s.get(Customer, customer_id)
            if found is not None:
                if found.email_key != fold(email):
                    raise InvalidRequest(
                        "The token's email is not this customer's email.", field="email"
                    )
                return found.id
            by_email = s.scalar(select(Customer.id).where(Customer.email_key == fold(email)))
            if by_email is not None:
                return str(by_email)
            first, _, last = (name or "").strip().partition(" ")
            return add_customer(
                s,
                CustomerInput(
                    id=customer_id, first_name=first, last_name=last.strip(), email=email
                ),
                self._ctx,
            ).id

    def _at_zip(self, zip_code: str) -> list[tuple[str, str, str]]:
        """Id, first and last name of the customers whose default address has this zip."""
        with self._ctx.db.reading() as s:
            rows = s.execute(
                select(Customer.id, Customer.first_name, Customer.last_name)
                .join(Address, Address.customer_id == Customer.id)
                .where(Address.zip == zip_code.strip(), Address.is_default.is_(True))
                .order_by(Customer.position)
            )
            return [(str(i), first, last) for i, first, last in rows]

    def count(self) -> int:
        with self._ctx.db.reading() as s:
            return s.scalar(select(func.count()).select_from(Customer)) or 0

    def page(self, limit: int = 100, offset: int = 0) -> list[CustomerView]:
        with self._ctx.db.reading() as s:
            rows = s.scalars(
                select(Customer)
                .options(selectinload(Customer.addresses), selectinload(Customer.payment_methods))
                .order_by(Customer.position)
                .limit(limit)
                .offset(offset)
            )
            return [customer_view(c) for c in rows]

    def add(self, data: CustomerInput) -> CustomerView:
        with self._ctx.db.transaction() as s:
            return customer_view(add_customer(s, data, self._ctx))

    def update_profile(self, customer_id: str, changes: dict[str, Any]) -> CustomerView:
        """Merge preferences into the profile (skin type, sizes, budget...); None removes a key."""
        with self._ctx.db.transaction() as s:
            customer = load_customer(s, customer_id)
            profile = dict(customer.profile)
            for key, value in changes.items():
                if value is None:
                    profile.pop(key, None)
                else:
                    profile[key] = value
            customer.profile = profile
            return customer_view(customer)

    def set_default_address(self, customer_id: str, address: AddressInput) -> CustomerView:
        """Replace the customer's default address (τ²'s modify_user_address)."""
        validate_address(address)
        with self._ctx.db.transaction() as s:
            customer = load_customer(s, customer_id)
            default = next((a for a in customer.addresses if a.is_default), None)
            if default is None:
                default = Address(is_default=True, position=len(customer.addresses))
                customer.addresses.append(default)
            for field, value in address.model_dump().items():
                setattr(default, field, value)
            return customer_view(customer)

    def add_address(
        self,
        customer_id: str,
        address: AddressInput,
        *,
        label: str | None = None,
        make_default: bool = False,
    ) -> AddressView:
        validate_address(address)
        with self._ctx.db.transaction() as s:
            customer = load_customer(s, customer_id)
            if make_default:
                for a in customer.addresses:
                    a.is_default = False
            new = Address(
                label=label,
                is_default=make_default or not customer.addresses,
                position=len(customer.addresses),
                **address.model_dump(),
            )
            customer.addresses.append(new)
            s.flush()
            return address_view(new)

    def address(self, customer_id: str, address_id: int) -> AddressView:
        with self._ctx.db.reading() as s:
            address = s.get(Address, address_id)
            if address is None or address.customer_id != customer_id:
                raise AddressNotFound(address_id)
            return address_view(address)

    def add_payment_method(self, customer_id: str, data: PaymentMethodInput) -> PaymentMethodView:
        with self._ctx.db.transaction() as s:
            customer = load_customer(s, customer_id)
            if s.get(PaymentMethod, data.id) is not None:
                raise InvalidRequest(
                    f"Payment method id {data.id} is taken.", payment_method_id=data.id
                )
            method = new_payment_method(
                data, self._ctx.policy.currency, len(customer.payment_methods)
            )
            customer.payment_methods.append(method)
            s.flush()
            return payment_method_view(method)


def load_customer(s: Session, customer_id: str) -> Customer:
    # No id holds a NUL, and PostgreSQL cannot bind one.
    customer = None if "\x00" in customer_id else s.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=customer_id)
    return customer


def add_customer(
    s: Session, data: CustomerInput, ctx: StoreContext, position: int | None = None
) -> Customer:
    if s.get(Customer, data.id) is not None:
        raise InvalidRequest(f"Customer id {data.id} is taken.", customer_id=data.id)
    if s.scalar(select(Customer.id).where(Customer.email_key == fold(data.email))) is not None:
        raise InvalidRequest(f"Another customer has the email {data.email}.", email=data.email)
    for address in data.addresses:
        validate_address(address)
    if position is None:
        position = (s.scalar(select(func.max(Customer.position))) or 0) + 1
    customer = Customer(
        id=data.id,
        position=position,
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        email_key=fold(data.email),
        phone=data.phone,
        locale=data.locale,
        profile=dict(data.profile),
        created_at=ctx.clock(),
    )
    customer.addresses = [
        Address(position=i, is_default=(i == 0), **a.model_dump())
        for i, a in enumerate(data.addresses)
    ]
    customer.payment_methods = [
        new_payment_method(m, ctx.policy.currency, i) for i, m in enumerate(data.payment_methods)
    ]
    s.add(customer)
    s.flush()
    return customer

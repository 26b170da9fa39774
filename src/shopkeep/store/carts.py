"""Carts: what a customer means to buy, one cart per customer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopkeep.store.context import StoreContext
from shopkeep.store.customers import load_customer
from shopkeep.store.db import insert_if_absent
from shopkeep.store.errors import InvalidQuantity, OutOfStock, VariantNotFound, VariantUnavailable
from shopkeep.store.models import Cart, CartItem, Product, Variant
from shopkeep.store.money import Money
from shopkeep.store.views import CartLine, CartView


def cart_view(s: Session, customer_id: str, cart: Cart | None) -> CartView:
    lines: list[CartLine] = []
    currency = None
    for item in cart.items if cart else []:
        variant = s.get(Variant, item.variant_id)
        assert variant is not None
        product = s.get(Product, variant.product_id)
        assert product is not None
        currency = variant.currency
        unit = Money(variant.price_minor, variant.currency)
        lines.append(
            CartLine(
                variant_id=variant.id,
                product_id=product.id,
                name=product.name.get("en") or next(iter(product.name.values()), product.id),
                options={k: str(v) for k, v in variant.options.items()},
                unit_price=unit,
                quantity=item.quantity,
                line_total=Money(unit.amount * item.quantity, unit.currency),
                in_stock=variant.available
                and (variant.stock is None or variant.stock >= item.quantity),
            )
        )
    subtotal = Money(sum(line.line_total.amount for line in lines), currency or "USD")
    return CartView(customer_id=customer_id, lines=lines, subtotal=subtotal)


class Carts:
    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx

    def get(self, customer_id: str) -> CartView:
        with self._ctx.db.reading() as s:
            load_customer(s, customer_id)
            cart = s.scalar(select(Cart).where(Cart.customer_id == customer_id))
            return cart_view(s, customer_id, cart)

    def add(self, customer_id: str, variant_id: str, quantity: int = 1) -> CartView:
        """Put `quantity` more of an item in the cart."""
        return self._change(customer_id, variant_id, quantity, relative=True)

    def set_quantity(self, customer_id: str, variant_id: str, quantity: int) -> CartView:
        """Set how many of an item the cart holds; 0 removes it."""
        return self._change(customer_id, variant_id, quantity, relative=False)

    def remove(self, customer_id: str, variant_id: str) -> CartView:
        return self._change(customer_id, variant_id, 0, relative=False)

    def clear(self, customer_id: str) -> CartView:
        with self._ctx.db.transaction() as s:
            load_customer(s, customer_id)
            cart = s.scalar(select(Cart).where(Cart.customer_id == customer_id).with_for_update())
            if cart is not None:
                cart.items = []
                cart.updated_at = self._ctx.clock()
            return cart_view(s, customer_id, cart)

    def _change(
        self, customer_id: str, variant_id: str, quantity: int, *, relative: bool
    ) -> CartView:
        maximum = self._ctx.policy.max_quantity_per_line
        if relative and quantity < 1:
            raise InvalidQuantity(quantity, maximum)
        if quantity < 0:
            raise InvalidQuantity(quantity, maximum)
        with self._ctx.db.transaction() as s:
            load_customer(s, customer_id)
            variant = s.get(Variant, variant_id)
            if variant is None:
                raise VariantNotFound(variant_id)
            # One cart row per customer, locked: parallel changes to one cart queue, none is lost.
            insert_if_absent(
                s,
                Cart,
                {"customer_id": customer_id, "updated_at": self._ctx.clock()},
                ["customer_id"],
            )
            cart = s.execute(
                select(Cart).where(Cart.customer_id == customer_id).with_for_update()
            ).scalar_one()
            s.refresh(cart)
            item = next((i for i in cart.items if i.variant_id == variant_id), None)
            new_quantity = (item.quantity if item and relative else 0) + quantity
            if new_quantity > maximum:
                raise InvalidQuantity(new_quantity, maximum)
            if new_quantity > 0:
                if not variant.available:
                    raise VariantUnavailable(variant_id)
                if variant.stock is not None and variant.stock < new_quantity:
                    raise OutOfStock(variant_id, new_quantity, variant.stock)
            if item is None and new_quantity > 0:
                cart.items.append(CartItem(variant_id=variant_id, quantity=new_quantity))
            elif item is not None and new_quantity > 0:
                item.quantity = new_quantity
            elif item is not None:
                cart.items.remove(item)
            cart.updated_at = self._ctx.clock()
            s.flush()
            return cart_view(s, customer_id, cart)

"""The catalog: products, variants, attributes and reviews; search in en / zh / ko."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from pydantic import BaseModel, Field
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session, selectinload

from shopkeep.store.context import StoreContext
from shopkeep.store.errors import InvalidRequest, ProductNotFound, VariantNotFound
from shopkeep.store.models import CartItem, Product, ProductAttribute, Review, Variant
from shopkeep.store.money import Money
from shopkeep.store.views import ProductHit, ProductView, ReviewView, VariantView

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "any",
        "are",
        "at",
        "be",
        "for",
        "from",
        "have",
        "i",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "please",
        "show",
        "some",
        "that",
        "the",
        "to",
        "want",
        "with",
        "would",
        "like",
        "need",
        "looking",
        "find",
        "something",
    ]
)
_TOKEN = re.compile(r"[\w\-']+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uac00-\ud7af\u3040-\u30ff]")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _terms(query: str) -> list[str]:
    return [t for t in _TOKEN.findall(normalize(query)) if t not in _STOPWORDS]


def _bigrams(term: str) -> list[str]:
    return [term[i : i + 2] for i in range(len(term) - 1)] or [term]


def _term_score(term: str, haystack: str) -> float:
    if term in haystack:
        return 1.0
    if _CJK.search(term) and len(term) > 2:
        # Chinese has no spaces: '适合干皮的面霜' should still find '面霜 … 干性肌肤'.
        grams = _bigrams(term)
        found = sum(1 for g in grams if g in haystack) / len(grams)
        return found if found >= 0.5 else 0.0
    return 0.0


def build_search_text(product: Product) -> str:
    parts: list[str] = [product.id, product.category, product.brand or ""]
    parts += list(product.name.values()) + list(product.description.values())
    parts += [f"{a.key} {a.value}" for a in product.attributes]
    for variant in product.variants:
        parts += [str(v) for v in variant.options.values()]
    return normalize(" \n".join(p for p in parts if p))


class VariantInput(BaseModel):
    id: str
    options: dict[str, str] = Field(default_factory=dict)
    price: Money
    stock: int | None = None
    available: bool = True


class ProductInput(BaseModel):
    id: str
    category: str = "general"
    brand: str | None = None
    name: dict[str, str]
    description: dict[str, str] = Field(default_factory=dict)
    attributes: dict[str, list[str]] = Field(default_factory=dict)
    variants: list[VariantInput]


def variant_view(v: Variant) -> VariantView:
    return VariantView(
        id=v.id,
        product_id=v.product_id,
        options={k: str(val) for k, val in v.options.items()},
        price=Money(v.price_minor, v.currency),
        stock=v.stock,
        available=v.available,
    )


def product_view(p: Product) -> ProductView:
    attributes: dict[str, list[str]] = {}
    for a in p.attributes:
        attributes.setdefault(a.key, []).append(a.value)
    ratings = [r.rating for r in p.reviews]
    return ProductView(
        id=p.id,
        category=p.category,
        brand=p.brand,
        name=dict(p.name),
        description=dict(p.description),
        attributes=attributes,
        variants=[variant_view(v) for v in p.variants],
        rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
        review_count=len(ratings),
    )


def _loaded() -> Any:
    return (
        selectinload(Product.variants),
        selectinload(Product.attributes),
        selectinload(Product.reviews),
    )


def catalog_stamp(s: Session) -> str:
    """A digest of every row a product view is made from."""
    digest = hashlib.blake2b(digest_size=16)
    for table in (cast(Table, m.__table__) for m in (Product, Variant, ProductAttribute)):
        for row in s.execute(select(table).order_by(*table.primary_key)):
            digest.update(repr(tuple(row)).encode())
    reviews = s.execute(select(func.count(), func.coalesce(func.sum(Review.rating), 0))).one()
    digest.update(repr(tuple(reviews)).encode())
    return digest.hexdigest()


class Catalog:
    """Read the catalog as a shopper does, and keep it as a merchant does."""

    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx
        self._everything: tuple[str, list[ProductView]] | None = None

    # --- reading --------------------------------------------------------------------------

    def everything(self) -> list[ProductView]:
        """Every product, in catalog order. Kept between calls while the catalog is unchanged:
        one query over its rows (stock and prices included) tells, so any process sees another
        process's changes on its next call."""
        with self._ctx.db.reading() as s:
            stamp = catalog_stamp(s)
        if self._everything is None or self._everything[0] != stamp:
            self._everything = (stamp, [hit.product for hit in self.search("", limit=1_000_000)])
        return list(self._everything[1])

    def product(self, product_id: str) -> ProductView:
        with self._ctx.db.reading() as s:
            product = s.scalars(
                select(Product).where(Product.id == product_id).options(*_loaded())
            ).first()
            if product is None:
                raise ProductNotFound(product_id)
            return product_view(product)

    def variant(self, variant_id: str) -> VariantView:
        with self._ctx.db.reading() as s:
            variant = s.get(Variant, variant_id)
            if variant is None:
                raise VariantNotFound(variant_id)
            return variant_view(variant)

    def categories(self) -> dict[str, int]:
        """Each category with how many products it holds."""
        with self._ctx.db.reading() as s:
            rows = s.execute(
                select(Product.category, func.count())
                .group_by(Product.category)
                .order_by(Product.category)
            )
            return {category: count for category, count in rows}

    def product_names(self) -> dict[str, str]:
        """Every product's English (else first) name by id, in catalog order."""
        with self._ctx.db.reading() as s:
            rows = s.execute(select(Product.id, Product.name).order_by(Product.position))
            return {pid: (name.get("en") or next(iter(name.values()), "")) for pid, name in rows}

    def reviews(self, product_id: str, limit: int = 20) -> list[ReviewView]:
        with self._ctx.db.reading() as s:
            if s.get(Product, product_id) is None:
                raise ProductNotFound(product_id)
            rows = s.scalars(
                select(Review)
                .where(Review.product_id == product_id)
                .order_by(Review.id.desc())
                .limit(limit)
            )
            return [
                ReviewView(
                    id=r.id,
                    author=r.author,
                    rating=r.rating,
                    body=r.body,
                    locale=r.locale,
                    created_at=r.created_at,
                )
                for r in rows
            ]

    def search(
        self,
        text: str = "",
        *,
        category: str | None = None,
        attributes: Mapping[str, str | Sequence[str]] | None = None,
        price_min: Money | None = None,
        price_max: Money | None = None,
        in_stock_only: bool = False,
        limit: int = 10,
    ) -> list[ProductHit]:
        """Products matching words (any of en/zh/ko, names, descriptions, attributes, options)
        and every filter. An attribute filter matches a product attribute (skin_type=dry) or a
        variant option (color=blue); several values for one key mean any of them."""
        if price_min and price_max and price_min.amount > price_max.amount:
            raise InvalidRequest(
                "The lowest price is above the highest price.",
                price_min=price_min.amount,
                price_max=price_max.amount,
            )
        wanted = {
            normalize(k): {normalize(v) for v in _as_list(vals)}
            for k, vals in (attributes or {}).items()
        }
        terms = _terms(text)
        with self._ctx.db.reading() as s:
            query = select(Product).options(*_loaded()).order_by(Product.position)
            if category:
                query = query.where(func.lower(Product.category) == normalize(category))
            hits: list[ProductHit] = []
            for product in s.scalars(query):
                hit = self._match(product, terms, wanted, price_min, price_max, in_stock_only)
                if hit is not None:
                    hits.append(hit)
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]

    @staticmethod
    def _match(
        product: Product,
        terms: list[str],
        wanted: dict[str, set[str]],
        price_min: Money | None,
        price_max: Money | None,
        in_stock_only: bool,
    ) -> ProductHit | None:
        product_attrs: dict[str, set[str]] = {}
        for a in product.attributes:
            product_attrs.setdefault(normalize(a.key), set()).add(normalize(a.value))
        option_keys = {normalize(k) for v in product.variants for k in v.options}
        # A filter the product's own attributes satisfy holds for all its variants; one on a
        # variant option (color, size) narrows the variants.
        by_option: dict[str, set[str]] = {}
        for key, values in wanted.items():
            if product_attrs.get(key, set()) & values:
                continue
            if key not in option_keys:
                return None
            by_option[key] = values

        def variant_fits(v: Variant) -> bool:
            if price_min and v.price_minor < price_min.amount:
                return False
            if price_max and v.price_minor > price_max.amount:
                return False
            if in_stock_only and not (v.available and (v.stock is None or v.stock > 0)):
                return False
            options = {normalize(k): normalize(str(val)) for k, val in v.options.items()}
            return all(options.get(key) in values for key, values in by_option.items())

        variants = [v for v in product.variants if variant_fits(v)]
        if not variants:
            return None
        score = 1.0
        if terms:
            haystack = product.search_text
            names = normalize(" ".join(product.name.values()))
            matched = [_term_score(t, haystack) for t in terms]
            if not any(matched):
                return None
            score = sum(matched) / len(terms) + 0.5 * sum(
                _term_score(t, names) for t in terms
            ) / len(terms)
        view = product_view(product)
        chosen = {v.id for v in variants}
        return ProductHit(
            product=view,
            matching_variants=[v for v in view.variants if v.id in chosen],
            score=round(score, 4),
        )

    # --- keeping --------------------------------------------------------------------------

    def put_product(self, data: ProductInput) -> ProductView:
        """Create or replace a product with its variants and attributes, in one transaction."""
        with self._ctx.db.transaction() as s:
            product = put_product(s, data, self._ctx.clock(), self._ctx.policy.currency)
            return product_view(product)

    def set_stock(self, variant_id: str, stock: int | None) -> VariantView:
        if stock is not None and stock < 0:
            raise InvalidRequest("Stock cannot be negative.", variant_id=variant_id, stock=stock)
        with self._ctx.db.transaction() as s:
            variant = s.get(Variant, variant_id)
            if variant is None:
                raise VariantNotFound(variant_id)
            variant.stock = stock
            return variant_view(variant)

    def add_review(
        self,
        product_id: str,
        *,
        author: str,
        rating: int,
        body: str,
        locale: str = "en",
        customer_id: str | None = None,
    ) -> ReviewView:
        if not 1 <= rating <= 5:
            raise InvalidRequest("A rating is 1 to 5 stars.", rating=rating)
        with self._ctx.db.transaction() as s:
            if s.get(Product, product_id) is None:
                raise ProductNotFound(product_id)
            review = Review(
                product_id=product_id,
                customer_id=customer_id,
                author=author,
                rating=rating,
                body=body,
                locale=locale,
                created_at=self._ctx.clock(),
            )
            s.add(review)
            s.flush()
            return ReviewView(
                id=review.id,
                author=author,
                rating=rating,
                body=body,
                locale=locale,
                created_at=review.created_at,
            )


def _as_list(value: str | Sequence[str]) -> Iterable[str]:
    return [value] if isinstance(value, str) else value


def put_product(s: Session, data: ProductInput, now: Any, currency: str) -> Product:
    if not data.variants:
        raise InvalidRequest(f"Product {data.id} needs at least one variant.", product_id=data.id)
    if len({v.id for v in data.variants}) != len(data.variants):
        raise InvalidRequest(f"Product {data.id} lists a variant id twice.", product_id=data.id)
    for v in data.variants:
        if v.price.currency != currency:
            raise InvalidRequest(
                f"Variant {v.id} is priced in {v.price.currency}; the store sells in {currency}.",
                variant_id=v.id,
            )
        if v.price.amount < 0 or (v.stock is not None and v.stock < 0):
            raise InvalidRequest(f"Variant {v.id} has a negative price or stock.", variant_id=v.id)
        owner = s.scalar(select(Variant.product_id).where(Variant.id == v.id))
        if owner is not None and owner != data.id:
            raise InvalidRequest(f"Variant id {v.id} belongs to product {owner}.", variant_id=v.id)
    product = s.get(Product, data.id)
    if product is None:
        position = (s.scalar(select(func.max(Product.position))) or 0) + 1
        product = Product(id=data.id, position=position, created_at=now, name={})
        s.add(product)
    product.category = data.category
    product.brand = data.brand
    product.name = dict(data.name)
    product.description = dict(data.description)
    product.attributes = [
        ProductAttribute(key=k, value=v) for k, values in data.attributes.items() for v in values
    ]
    existing = {v.id: v for v in product.variants}
    dropped = set(existing) - {v.id for v in data.variants}
    in_carts = s.scalar(
        select(CartItem.variant_id).where(CartItem.variant_id.in_(dropped)).limit(1)
    )
    if in_carts is not None:
        raise InvalidRequest(
            f"Variant {in_carts} is in customers' carts; mark it unavailable, don't remove it.",
            variant_id=in_carts,
        )
    variants = []
    for i, v in enumerate(data.variants):
        variant = existing.get(v.id) or Variant(id=v.id)
        variant.position = i
        variant.options = dict(v.options)
        variant.price_minor = v.price.amount
        variant.currency = v.price.currency
        variant.stock = v.stock
        variant.available = v.available
        variants.append(variant)
    product.variants = variants
    s.flush()
    product.search_text = build_search_text(product)
    return product

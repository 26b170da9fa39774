"""Catalog search and product facts, in English, Chinese and Korean."""

from __future__ import annotations

import pytest
from store_seed import usd

from shopkeep.store import Money, Store
from shopkeep.store.catalog import ProductInput, VariantInput
from shopkeep.store.errors import InvalidRequest, ProductNotFound, VariantNotFound


def ids(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.product.id for h in hits]


@pytest.mark.parametrize(
    "query",
    [
        "hydrating cream",
        "moisturizer for dry skin",
        "保湿面霜",
        "适合干性肌肤的面霜",
        "수분 크림",
        "건성 피부",
    ],
)
def test_that_search_finds_a_product_by_words_in_any_of_its_languages(
    store: Store, query: str
) -> None:
    assert ids(store.catalog.search(query))[:1] == ["cream"]


def test_that_search_finds_nothing_for_words_the_catalog_does_not_hold(store: Store) -> None:
    assert store.catalog.search("submarine") == []
    assert store.catalog.search("潜水艇") == []


def test_that_attribute_filters_match_product_attributes_and_variant_options(store: Store) -> None:
    assert ids(store.catalog.search(attributes={"skin_type": "dry"})) == ["cream"]
    assert ids(store.catalog.search(attributes={"skin_type": "oily"})) == []
    hits = store.catalog.search(attributes={"color": "blue"})
    assert ids(hits) == ["tee"]
    assert [v.id for v in hits[0].matching_variants] == ["tee-blue-m", "tee-blue-l"]
    in_stock = store.catalog.search(attributes={"color": ["blue", "green"]}, in_stock_only=True)
    assert [v.id for v in in_stock[0].matching_variants] == ["tee-blue-m"]


def test_that_price_range_and_category_narrow_the_results(store: Store) -> None:
    hits = store.catalog.search(price_min=usd("21.00"), price_max=usd("36.00"))
    assert sorted(ids(hits)) == ["cream", "lamp", "tee"]
    assert [v.id for v in hits[ids(hits).index("cream")].matching_variants] == ["cream-50"]
    assert ids(store.catalog.search(category="HOME")) == ["lamp"]
    with pytest.raises(InvalidRequest):
        store.catalog.search(price_min=usd("10.00"), price_max=usd("5.00"))


def test_that_a_product_shows_its_variants_prices_stock_and_reviews(store: Store) -> None:
    store.catalog.add_review("cream", author="Mina", rating=5, body="촉촉해요", locale="ko")
    store.catalog.add_review("cream", author="Li", rating=4, body="不错")
    product = store.catalog.product("cream")
    assert product.name["zh"] == "保湿面霜"
    assert [(v.id, v.stock) for v in product.variants] == [("cream-50", 5), ("cream-100", 50)]
    assert product.price_range == (usd("24.00"), usd("40.00"))
    assert (product.rating, product.review_count) == (4.5, 2)
    assert [r.author for r in store.catalog.reviews("cream")] == ["Li", "Mina"]
    with pytest.raises(ProductNotFound):
        store.catalog.product("nope")
    with pytest.raises(VariantNotFound):
        store.catalog.variant("nope")


def test_that_stock_cannot_be_set_negative(store: Store) -> None:
    with pytest.raises(InvalidRequest):
        store.catalog.set_stock("cream-50", -1)
    assert store.catalog.set_stock("cream-50", 0).in_stock is False
    assert store.catalog.variant("cream-50").stock == 0


def test_that_a_product_cannot_take_another_products_variant_or_negative_stock(
    store: Store,
) -> None:
    lamp = ProductInput(
        id="lamp",
        category="home",
        name={"en": "Desk Lamp"},
        variants=[VariantInput(id="cream-50", price=usd("35.50"))],
    )
    with pytest.raises(InvalidRequest) as taken:
        store.catalog.put_product(lamp)
    assert taken.value.message == "Variant id cream-50 belongs to product cream."
    negative = lamp.model_copy(
        update={"variants": [VariantInput(id="lamp-1", price=usd("1.00"), stock=-1)]}
    )
    with pytest.raises(InvalidRequest):
        store.catalog.put_product(negative)
    won = lamp.model_copy(
        update={"variants": [VariantInput(id="lamp-1", price=Money(9000, "KRW"))]}
    )
    with pytest.raises(InvalidRequest) as currency:
        store.catalog.put_product(won)
    assert "sells in USD" in currency.value.message
    assert store.catalog.product("lamp").variants[0].price == usd("35.50")


def test_that_a_variant_in_a_cart_is_not_removed_from_the_catalog(store: Store) -> None:
    store.carts.add("bob_2", "lamp-1")
    with pytest.raises(InvalidRequest):
        store.catalog.put_product(
            ProductInput(
                id="lamp",
                category="home",
                name={"en": "Desk Lamp"},
                variants=[VariantInput(id="lamp-2", price=usd("30.00"))],
            )
        )
    assert [v.id for v in store.catalog.product("lamp").variants] == ["lamp-1"]


def test_that_the_whole_catalog_read_again_shows_changes_made_by_another_process(
    store: Store,
) -> None:
    before = {p.id: p for p in store.catalog.everything()}
    assert [p.id for p in store.catalog.everything()] == list(before)
    other = Store(store.db, policy=store.ctx.policy)  # another worker on the same database
    product = next(iter(before.values()))
    variant = product.variants[0]
    other.catalog.set_stock(variant.id, 3)
    after = {p.id: p for p in store.catalog.everything()}
    assert next(v for v in after[product.id].variants if v.id == variant.id).stock == 3
    other.catalog.add_review(product.id, author="Kim", rating=1, body="Broke on day one.")
    reviewed = {p.id: p for p in store.catalog.everything()}[product.id]
    assert reviewed.review_count == product.review_count + 1

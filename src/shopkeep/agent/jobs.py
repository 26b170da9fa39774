"""The jobs the assistant does for a customer: each an explicit flow, named the same everywhere
(flows, intents, scenarios, reports)."""

from __future__ import annotations

from typing import Literal, get_args

Job = Literal[
    "search",  # find and compare products
    "product_question",  # a question about one product, answered from catalog data only
    "recommend",  # suggestions for this customer, with the reason
    "buy",  # cart, checkout and payment
    "order_status",  # status and tracking
    "cancel",
    "change_address",
    "change_items",
    "change_payment",
    "return",
    "exchange",
    "food",  # food and drink from local stores, with options and a slot
    "promotions",  # coupon and campaign questions
    "shop_question",  # how the shop works: returns, shipping, payment, delivery, hours
    "handoff",  # to a human
    "smalltalk",
    "out_of_scope",
]
JOBS: tuple[Job, ...] = get_args(Job)

Language = Literal["en", "zh", "ko"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

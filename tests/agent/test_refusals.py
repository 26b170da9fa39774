"""Every refusal the store can raise, explained to the customer in English, Chinese and Korean."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shopkeep.agent import refusals
from shopkeep.agent.jobs import LANGUAGES, Language
from shopkeep.agent.refusals import explain
from shopkeep.store import errors
from shopkeep.store.errors import StoreError

HAN = re.compile(r"[\u4e00-\u9fff]")
HANGUL = re.compile(r"[\uac00-\ud7a3]")

SLOT = "2026-11-20T14:00:00+09:00"
ALTERNATIVES = [
    {"store_id": "cloud-pearl-hongdae", "slot": "2026-11-20T14:15:00+09:00", "free": 4},
    {"store_id": "cloud-pearl-hongdae", "slot": "2026-11-20T14:30:00+09:00", "free": 6},
    {"store_id": "heukdang-hongdae", "slot": "2026-11-20T14:00:00+09:00", "free": 2},
]

# One plausible refusal of each class: keyword arguments of its __init__. The abstract bases
# (and InvalidDateRange, which has no __init__ of its own) take a message and any details.
SAMPLES: dict[str, dict[str, Any]] = {
    "StoreError": {"message": "Something went wrong."},
    "NotFound": {"message": "Not found."},
    "InvalidRequest": {"message": "A percent coupon takes at most 100% off.", "value": 120},
    "PolicyRefusal": {"message": "Not allowed."},
    "ProductNotFound": {"product_id": "organic-crew-tee"},
    "VariantNotFound": {"variant_id": "organic-crew-tee-navy-xl", "product_id": "organic-crew-tee"},
    "CustomerNotFound": {"email": "nobody@example.com"},
    "OrderNotFound": {"order_id": "#W1234567"},
    "PaymentMethodNotFound": {"payment_method_id": "credit_card_9999"},
    "AddressNotFound": {"address_id": 42},
    "CouponNotFound": {"code": "NOPE10"},
    "CampaignNotFound": {"campaign_id": "spring-sale"},
    "LocalStoreNotFound": {"store_id": "nowhere-cafe"},
    "MenuItemNotFound": {"menu_item_id": "cp-durian-shake", "store_id": "cloud-pearl-hongdae"},
    "InvalidDateRange": {
        "message": "The range starts (2026-03-01) after it ends (2026-02-01).",
        "start": "2026-03-01",
        "end": "2026-02-01",
    },
    "InvalidQuantity": {"quantity": 120, "maximum": 99},
    "CartEmpty": {},
    "InvalidAddress": {"field": "zip"},
    "InvalidCancelReason": {
        "reason": "changed my mind",
        "allowed": ["no longer needed", "ordered by mistake"],
    },
    "ItemNotInOrder": {"order_id": "#W1234567", "item_id": "organic-crew-tee-navy-l"},
    "ItemCountMismatch": {"old": 2, "new": 1},
    "NotSameProduct": {"item_id": "organic-crew-tee-navy-l", "new_item_id": "velvet-lip-tint"},
    "SameVariant": {"item_id": "organic-crew-tee-navy-l"},
    "SamePaymentMethod": {"payment_method_id": "credit_card_7103"},
    "InvalidRefundMethod": {"payment_method_id": "paypal_1", "original": "credit_card_7103"},
    "InvalidOption": {
        "menu_item_id": "cp-classic-milk-tea",
        "group": "size",
        "choice": "huge",
        "allowed": ["regular", "large"],
    },
    "IdempotencyConflict": {"key": "order-5f2c"},
    "OrderNotCancellable": {"order_id": "#W1234567", "status": "processed"},
    "OrderBeingPrepared": {"order_id": "#W7654321", "slot_start": "2026-11-20T12:30:00+09:00"},
    "OrderNotModifiable": {"order_id": "#W1234567", "status": "delivered", "what": "address"},
    "NotARetailOrder": {"order_id": "#W7654321"},
    "PaymentAlreadyChanged": {"order_id": "#W1234567"},
    "OrderNotReturnable": {"order_id": "#W1234567", "status": "pending"},
    "AfterSalesAlreadyRequested": {"order_id": "#W1234567"},
    "NoOpenRequest": {"order_id": "#W1234567", "what": "return"},
    "ReturnWindowClosed": {"order_id": "#W1234567", "days": 30},
    "InvalidTransition": {"order_id": "#W1234567", "status": "cancelled", "to": "delivered"},
    "OutOfStock": {"variant_id": "organic-crew-tee-navy-xl", "requested": 1, "available": 0},
    "VariantUnavailable": {"variant_id": "velvet-lip-tint-plum"},
    "InsufficientGiftCardBalance": {
        "payment_method_id": "gift_card_1",
        "balance": 1250,
        "needed": 4000,
        "currency": "USD",
    },
    "PaymentDeclined": {"payment_method_id": "credit_card_7103", "reason": "insufficient funds"},
    "PaymentMethodUnusable": {
        "payment_method_id": "gift_card_2",
        "reason": "it holds EUR, the order is in USD",
    },
    "QuoteChanged": {"expected_total": 5404, "total": 5604, "currency": "USD"},
    "CouponNotApplicable": {
        "coupon": "WELCOME10",
        "reason": "min_spend_not_met",
        "min_spend": 5000,
        "subtotal": 3000,
        "short_by": 2000,
        "currency": "USD",
    },
    "CampaignNotApplicable": {"campaign_id": "spring-sale", "reason": "its budget is spent"},
    "StoreClosed": {
        "store_id": "cloud-pearl-hongdae",
        "slot": "2026-11-20T23:45:00+09:00",
        "alternatives": [
            {"store_id": "cloud-pearl-hongdae", "slot": "2026-11-21T11:00:00+09:00", "free": 8}
        ],
    },
    "SlotFull": {
        "store_id": "cloud-pearl-hongdae",
        "slot": SLOT,
        "requested": 3,
        "free": 0,
        "alternatives": ALTERNATIVES,
    },
    "ImportFailed": {"record": "products[3]", "field": "price", "problem": "must be a number"},
    "ConversationNotFound": {"conversation_id": "c-19"},
    "HandoffNotFound": {"handoff_id": 7},
    "ConversationExists": {"conversation_id": "c-19"},
    "ConversationChanged": {"conversation_id": "c-19", "expected_version": 4, "version": 5},
    "MessageBlank": {"role": "customer"},
    "MessageTooLong": {"length": 5000, "maximum": 4000},
    "ConversationClosed": {"conversation_id": "c-19"},
    "HandoffNotWaiting": {"handoff_id": 7, "status": "taken", "staff": "amy"},
    "ConversationNotHeld": {"conversation_id": "c-19", "staff": "bob", "holder": "amy"},
    "CheckoutSessionNotFound": {"session_id": "cs_123"},
    "CheckoutSessionClosed": {"session_id": "cs_123", "status": "completed"},
    "IdempotencyKeyInFlight": {"key": "order-5f2c", "retry_after_seconds": 2},
    "StaffExists": {"username": "amy"},
    "StaffNotFound": {"username": "carol"},
    "WeakPassword": {"message": "A password needs at least 10 characters.", "field": "password"},
    "TooManyTries": {"what": "wrong codes", "retry_after_seconds": 60},
    "IdentityTokenRefused": {"message": "The customer token has expired; sign a new one."},
}

# Refusals whose facts call for other words than their class's sample above.
FACT_CASES: list[StoreError] = [
    errors.VariantNotFound("organic-crew-tee-navy-xxl"),
    errors.CustomerNotFound(first_name="Olivia", last_name="Smith", zip="10001"),
    errors.CustomerNotFound(customer_id="c-404"),
    errors.InvalidDateRange(
        "The range covers 400 days.", start="2025-01-01", end="2026-02-04", maximum_days=366
    ),
    errors.InvalidDateRange("Unknown time zone Mars/Olympus."),
    errors.InvalidAddress("state"),
    errors.InvalidCancelReason("changed my mind", ["too expensive"]),
    errors.InvalidOption("cp-classic-milk-tea", "size", None, ["regular", "large"]),
    errors.OrderNotCancellable("#W1234567", "pending (item modified)"),
    errors.OrderBeingPrepared("#W7654321", "2026-11-20T12:30:00Z"),
    errors.OrderNotModifiable("#W1234567", "pending (item modified)", "items"),
    errors.OrderNotModifiable("#W1234567", "pending", "address"),
    errors.OrderNotModifiable("#W1234567", "pending", "payment method (it was already changed)"),
    errors.OrderNotModifiable("#W1234567", "processed", "payment method"),
    errors.OrderNotReturnable("#W1234567", "delivered"),
    errors.NoOpenRequest("#W1234567", "exchange"),
    errors.OutOfStock("organic-crew-tee-navy-xl", 3, 1),
    errors.QuoteChanged(5000, 5200, "KRW"),
    errors.PaymentMethodUnusable("gift_card_2", "it is frozen"),
    errors.CampaignNotApplicable("spring-sale", "the campaign is not running"),
    errors.CampaignNotApplicable("spring-sale", "this order is not eligible"),
    errors.StoreClosed("cloud-pearl-hongdae", "2026-11-20T23:45:00+09:00", []),
    errors.SlotFull("cloud-pearl-hongdae", SLOT, 3, 1, ALTERNATIVES),
    errors.SlotFull("cloud-pearl-hongdae", SLOT, 3, 0, ALTERNATIVES[2:]),
    errors.HandoffNotWaiting(7, "taken", None),
    errors.HandoffNotWaiting(7, "returned", None),
    errors.HandoffNotWaiting(7, "closed", None),
    errors.HandoffNotWaiting(7, "lost", None),
    errors.ConversationNotHeld("c-19", "bob", None),
    errors.CheckoutSessionClosed("cs_123", "canceled"),
    errors.CheckoutSessionClosed("cs_123", "completing"),
    *(
        errors.CouponNotApplicable("WELCOME10", reason)
        for reason in (*refusals.COUPON_WHY, "min_spend_not_met", "something new")
    ),
]


def store_error_classes() -> list[type[StoreError]]:
    """StoreError and every subclass of it, however deep, that the store's errors module
    defines: the store's refusals."""
    found: list[type[StoreError]] = []
    todo: list[type[StoreError]] = [StoreError]
    while todo:
        cls = todo.pop()
        if cls not in found and cls.__module__ == errors.__name__:
            found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__name__)


def sample(cls: type[StoreError]) -> StoreError:
    return cls(**SAMPLES[cls.__name__])


def written_in(text: str, lang: Language, error: StoreError) -> None:
    """`text` is the refusal in `lang`: nothing left unfilled, not the store's English."""
    assert isinstance(text, str) and text
    assert "{" not in text and "}" not in text, text
    assert error.message not in text, text
    if lang == "zh":
        assert HAN.search(text) and not HANGUL.search(text), text
    elif lang == "ko":
        assert HANGUL.search(text), text
    else:
        assert not HAN.search(text) and not HANGUL.search(text), text


CLASSES = store_error_classes()
NAMES = [cls.__name__ for cls in CLASSES]


def test_that_every_store_error_class_has_a_sample_refusal_here() -> None:
    assert set(NAMES) == set(SAMPLES)


def test_that_every_store_error_code_has_a_template_in_english_chinese_and_korean() -> None:
    codes = {cls.code for cls in CLASSES}
    assert len(codes) == len(CLASSES), "two classes share a code"
    for code in codes:
        assert code in refusals._REASONS, code
        assert all(refusals._REASONS[code].get(lang) for lang in LANGUAGES), code


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("cls", CLASSES, ids=NAMES)
def test_that_every_store_error_code_is_explained_in_english_chinese_and_korean(
    cls: type[StoreError], lang: Language
) -> None:
    error = sample(cls)
    written_in(explain(error, lang), lang, error)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_that_distinct_codes_are_each_explained_in_their_own_words(lang: Language) -> None:
    said: dict[str, list[str]] = {}
    for cls in CLASSES:
        said.setdefault(explain(sample(cls), lang), []).append(cls.code)
    assert [codes for codes in said.values() if len(codes) > 1] == []


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("error", FACT_CASES, ids=lambda e: f"{e.code}-{sorted(e.details)}")
def test_that_the_facts_a_refusal_carries_are_explained_in_every_language(
    error: StoreError, lang: Language
) -> None:
    written_in(explain(error, lang), lang, error)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("cls", CLASSES, ids=NAMES)
def test_that_a_refusal_missing_its_details_is_still_explained_in_the_customers_language(
    cls: type[StoreError], lang: Language
) -> None:
    error = sample(cls)
    error.details = {}
    written_in(explain(error, lang), lang, error)


@pytest.mark.parametrize("junk", [None, "", "not a time", -1, True, 2.5, ["x"], {"a": 1}])
@pytest.mark.parametrize("cls", CLASSES, ids=NAMES)
def test_that_malformed_details_never_make_explain_raise(cls: type[StoreError], junk: Any) -> None:
    error = sample(cls)
    error.details = {key: junk for key in error.details}
    for lang in LANGUAGES:
        written_in(explain(error, lang), lang, error)


@pytest.mark.parametrize("slot_start", ["2026-11-20T12:30:00+09:00", None])
def test_that_an_order_being_prepared_is_not_told_only_pending_orders_can_be_cancelled(
    slot_start: str | None,
) -> None:
    error = errors.OrderBeingPrepared("#W7654321", "2026-11-20T12:30:00+09:00")
    if slot_start is None:
        del error.details["slot_start"]
    said = {lang: explain(error, lang) for lang in LANGUAGES}
    assert "pending" not in said["en"] and "preparing" in said["en"]
    assert "待处理" not in said["zh"] and "制作" in said["zh"]
    assert "처리 대기" not in said["ko"] and "준비" in said["ko"]
    for lang in LANGUAGES:
        assert ("12:30" in said[lang]) == (slot_start is not None)


@pytest.mark.parametrize("status", ["pending", "pending (item modified)"])
@pytest.mark.parametrize("what", ["address", "payment method", "items", "gift wrap"])
def test_that_a_pending_order_refused_a_change_is_not_told_only_pending_orders_can_change(
    status: str, what: str
) -> None:
    error = errors.OrderNotModifiable("#W1234567", status, what)
    assert "and only pending orders can be changed." not in explain(error, "en")
    assert "只有待处理的订单可以修改" not in explain(error, "zh")
    assert "처리 대기 중인 주문만 변경할 수 있어요" not in explain(error, "ko")


def test_that_money_in_a_refusal_is_shown_as_money_in_its_currency() -> None:
    short = errors.InsufficientGiftCardBalance("gift_card_1", 1250, 4000, "USD")
    assert "$12.50" in explain(short, "en") and "$40.00" in explain(short, "en")
    assert "$12.50" in explain(short, "zh") and "$40.00" in explain(short, "ko")
    changed = errors.QuoteChanged(5000, 5200, "KRW")
    assert "₩5,000" in explain(changed, "ko") and "₩5,200" in explain(changed, "ko")
    coupon = errors.CouponNotApplicable(
        "WELCOME10", "min_spend_not_met", min_spend=5000, currency="USD"
    )
    assert "$50.00" in explain(coupon, "zh")
    unpriced = errors.CouponNotApplicable("WELCOME10", "min_spend_not_met", min_spend=5000)
    assert "minimum spend" in explain(unpriced, "en") and "5000" not in explain(unpriced, "en")


def test_that_a_full_slot_offers_its_next_times_in_the_slots_own_offset() -> None:
    error = errors.SlotFull("cloud-pearl-hongdae", SLOT, 3, 0, ALTERNATIVES)
    said = {lang: explain(error, lang) for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert "14:00" in said[lang] and "14:15" in said[lang] and "14:30" in said[lang]
    assert "other shops nearby" in said["en"]
    tomorrow = errors.StoreClosed(
        "cloud-pearl-hongdae",
        "2026-11-20T23:45:00+09:00",
        [{"store_id": "cloud-pearl-hongdae", "slot": "2026-11-21T11:00:00+09:00", "free": 8}],
    )
    assert "11月21日 11:00" in explain(tomorrow, "zh")
    assert "11월 21일 11:00" in explain(tomorrow, "ko")

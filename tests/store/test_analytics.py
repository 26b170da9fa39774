"""Analytics from the conversation log: every figure against a hand count of a known log, over
days in a time zone, per job and per language, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from store_seed import START, Clock

from shopkeep.store import Money, Store
from shopkeep.store.analytics import (
    AnalyticsReport,
    Figures,
    GroupFigures,
    percentile,
)
from shopkeep.store.checkout import LineRequest
from shopkeep.store.errors import InvalidDateRange, InvalidRequest
from shopkeep.store.models import ConversationOrder
from shopkeep.store.views import ConversationView, HandoffInput, MessageInput, OrderView

DAY = START.date()  # 2026-11-20


def at(clock: Clock, when: datetime) -> None:
    clock.now = when


def said(text: str, **extra: Any) -> MessageInput:
    return MessageInput(role="customer", text=text, **extra)


def replied(text: str, **extra: Any) -> MessageInput:
    return MessageInput(role="assistant", text=text, **extra)


def turn(
    store: Store, c: ConversationView, *messages: MessageInput, **changes: Any
) -> ConversationView:
    return store.conversations.record_turn(
        c.id, expected_version=c.version, state={}, messages=list(messages), **changes
    )


def bought(store: Store, customer_id: str, key: str) -> OrderView:
    return store.checkout.place_order(
        customer_id,
        payment_method_id=f"card_{customer_id}",
        idempotency_key=key,
        lines=[LineRequest(variant_id="cream-100", quantity=1)],
    )


def started_at(store: Store, clock: Clock, when: datetime, **kwargs: Any) -> ConversationView:
    at(clock, when)
    return store.conversations.start(**kwargs)


def group(groups: list[GroupFigures], key: str) -> Figures:
    return next(g.figures for g in groups if g.key == key)


def counts(f: Figures) -> tuple[int, int, int, int, int]:
    return (f.conversations, f.resolved, f.handed_off, f.converted, f.orders)


def test_that_a_range_without_conversations_has_zero_counts_and_no_rates(store: Store) -> None:
    report = store.analytics.report(DAY - timedelta(days=2), DAY)

    assert report.totals == Figures(revenue=(Money(0, "USD"),))
    assert report.totals.resolution_rate is None
    assert report.totals.handoff_rate is None and report.totals.conversion_rate is None
    assert report.totals.latency_p50_seconds is None and report.totals.latency_p95_seconds is None
    assert [d.day for d in report.per_day] == [DAY - timedelta(days=2), DAY - timedelta(1), DAY]
    assert all(d.figures.conversations == 0 for d in report.per_day)
    assert report.per_job == [] and report.per_language == []


def known_log(store: Store, clock: Clock) -> dict[str, Any]:
    """Four conversations on 2026-11-20 (UTC), each figure countable by hand:

    A  alice, en: searches (0.5 s), then buys (1.5 s): resolved, one purchase.
    B  guest, ko: asks for a person (0.25 s), a staff member takes it and replies.
    C  bob, zh: buys (3.0 s), then cancels that order (2.0 s): resolved, no purchase.
    D  guest, en: opened, never written to.
    """
    day = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    a = started_at(store, clock, day, customer_id="alice_1", channel="web", language="en")
    a = turn(
        store,
        a,
        said("moisturizer for dry skin", language="en", job="search"),
        replied(
            "Hydrating Cream fits.",
            language="en",
            job="search",
            model_calls=1,
            prompt_tokens=100,
            cached_tokens=40,
            completion_tokens=10,
            cost_pico_usd=1_000,
            wall_seconds=0.5,
        ),
        last_job="search",
        language="en",
    )
    clock.advance(minutes=2)
    order = bought(store, "alice_1", "a-1")
    a = turn(
        store,
        a,
        said("yes", language="en", job="buy"),
        replied(
            "Order placed.",
            language="en",
            job="buy",
            model_calls=2,
            prompt_tokens=200,
            completion_tokens=20,
            cost_pico_usd=2_000,
            wall_seconds=1.5,
        ),
        last_job="buy",
        resolved=True,
        placed_orders=[order.id],
    )

    b = started_at(store, clock, day + timedelta(hours=1), channel="web")
    b = turn(
        store,
        b,
        said("사람과 이야기하고 싶어요", language="ko"),
        replied("상담원을 연결해 드릴게요.", language="ko", wall_seconds=0.25),
        language="ko",
        resolved=True,  # something was answered, but a human was needed: not resolved
        handoff=HandoffInput(reason="requested"),
    )
    assert b.open_handoff_id is not None
    store.conversations.take(b.open_handoff_id, staff="mina")
    clock.advance(minutes=30)  # a slow human reply is not the assistant's latency
    store.conversations.staff_reply(b.id, staff="mina", text="안녕하세요, 무엇을 도와드릴까요?")

    c = started_at(store, clock, day + timedelta(hours=2), customer_id="bob_2", language="zh")
    bobs = bought(store, "bob_2", "c-1")
    c = turn(
        store,
        c,
        said("买保湿面霜", language="zh", job="buy"),
        replied(
            "已下单。",
            language="zh",
            job="buy",
            model_calls=1,
            prompt_tokens=300,
            completion_tokens=30,
            cost_pico_usd=3 * 10**12,  # three dollars: more than 32 bits hold
            wall_seconds=3.0,
        ),
        last_job="buy",
        resolved=True,
        placed_orders=[bobs.id],
    )
    store.orders.cancel("bob_2", bobs.id, "ordered by mistake")
    c = turn(
        store,
        c,
        said("取消订单", language="zh", job="cancel"),
        replied("已取消。", language="zh", job="cancel", wall_seconds=2.0),
        last_job="cancel",
    )

    started_at(store, clock, day + timedelta(hours=3), language="en")
    return {"order": order, "cancelled": bobs}


def test_that_each_figure_equals_a_hand_count_of_a_known_log(store: Store, clock: Clock) -> None:
    log = known_log(store, clock)
    order: OrderView = log["order"]

    report = store.analytics.report(DAY, DAY)
    t = report.totals

    assert counts(t) == (4, 2, 1, 1, 1)  # A and C resolved, B handed off, A bought
    assert (t.resolution_rate, t.handoff_rate, t.conversion_rate) == (0.5, 0.25, 0.25)
    assert t.revenue == (order.total,) and order.total.amount > 0
    assert (t.prompt_tokens, t.cached_tokens, t.completion_tokens) == (600, 40, 60)
    assert t.cost_pico_usd == 3 * 10**12 + 3_000
    # replies 0.25, 0.5, 1.5, 2.0, 3.0 (the staff message is not the assistant's)
    assert t.replies == 5
    assert t.latency_p50_seconds == pytest.approx(1.5)
    assert t.latency_p95_seconds == pytest.approx(2.0 + 0.8 * (3.0 - 2.0))
    assert [d.figures for d in report.per_day] == [t]


def test_that_per_job_counts_a_conversation_under_every_job_it_involved(
    store: Store, clock: Clock
) -> None:
    log = known_log(store, clock)
    order: OrderView = log["order"]

    report = store.analytics.report(DAY, DAY)

    assert [g.key for g in report.per_job] == ["buy", "none", "cancel", "search"]
    buy = group(report.per_job, "buy")  # A and C
    assert counts(buy) == (2, 2, 0, 1, 1)
    assert buy.revenue == (order.total,)
    assert buy.prompt_tokens == 600 and buy.cost_pico_usd == 3 * 10**12 + 3_000
    assert buy.latency_p50_seconds == pytest.approx(1.75)  # of 0.5, 1.5, 2.0, 3.0
    none = group(report.per_job, "none")  # B and D
    assert counts(none) == (2, 0, 1, 0, 0) and none.revenue == (Money(0, "USD"),)
    assert none.latency_p50_seconds == pytest.approx(0.25) and none.replies == 1
    assert counts(group(report.per_job, "cancel")) == (1, 1, 0, 0, 0)
    assert counts(group(report.per_job, "search")) == (1, 1, 0, 1, 1)


def test_that_per_language_splits_the_conversations_by_their_language(
    store: Store, clock: Clock
) -> None:
    known_log(store, clock)

    report = store.analytics.report(DAY, DAY)

    assert [g.key for g in report.per_language] == ["en", "ko", "zh"]
    en, ko, zh = (group(report.per_language, k) for k in ("en", "ko", "zh"))
    assert counts(en) == (2, 1, 0, 1, 1)  # A and D
    assert counts(ko) == (1, 0, 1, 0, 0)
    assert counts(zh) == (1, 1, 0, 0, 0)  # the order was cancelled
    assert zh.cost_pico_usd == 3 * 10**12 and zh.latency_p95_seconds == pytest.approx(2.95)
    assert sum(g.figures.conversations for g in report.per_language) == 4


def test_that_a_conversation_without_a_language_is_counted_as_unknown(
    store: Store, clock: Clock
) -> None:
    started_at(store, clock, START)

    report = store.analytics.report(DAY, DAY)

    assert [(g.key, g.figures.conversations) for g in report.per_language] == [("unknown", 1)]
    assert [(g.key, g.figures.conversations) for g in report.per_job] == [("none", 1)]


def test_that_a_one_day_range_takes_the_conversations_of_that_day_only(
    store: Store, clock: Clock
) -> None:
    midnight = datetime(2026, 11, 20, tzinfo=UTC)
    for when in (
        midnight - timedelta(microseconds=1),
        midnight,
        midnight + timedelta(hours=23, minutes=59, seconds=59),
        midnight + timedelta(days=1),
    ):
        started_at(store, clock, when, language="en")

    report = store.analytics.report(DAY, DAY)

    assert report.totals.conversations == 2
    assert [(d.day, d.figures.conversations) for d in report.per_day] == [(DAY, 2)]
    assert store.analytics.report(DAY - timedelta(1), DAY + timedelta(1)).totals.conversations == 4


def test_that_days_are_calendar_days_in_the_asked_time_zone(store: Store, clock: Clock) -> None:
    # Seoul is UTC+9 all year.
    early = started_at(store, clock, datetime(2026, 11, 19, 16, 0, tzinfo=UTC))  # 20th 01:00
    late = started_at(store, clock, datetime(2026, 11, 20, 14, 59, tzinfo=UTC))  # 20th 23:59
    next_day = started_at(store, clock, datetime(2026, 11, 20, 15, 0, tzinfo=UTC))  # 21st 00:00
    turn(store, early, said("hi"), replied("Hello!", wall_seconds=1.0))
    turn(store, late, said("hi"), replied("Hello!", wall_seconds=2.0))
    turn(store, next_day, said("hi"), replied("Hello!", wall_seconds=4.0))

    seoul = store.analytics.report(DAY, DAY, timezone="Asia/Seoul")
    utc = store.analytics.report(DAY, DAY)

    assert seoul.timezone == "Asia/Seoul"
    assert seoul.totals.conversations == 2 and seoul.totals.latency_p50_seconds == 1.5
    assert utc.totals.conversations == 2 and utc.totals.latency_p50_seconds == 3.0
    both = store.analytics.report(DAY, DAY + timedelta(1), timezone="Asia/Seoul")
    assert [d.figures.conversations for d in both.per_day] == [2, 1]


def test_that_the_day_daylight_saving_ends_has_twenty_five_hours(
    store: Store, clock: Clock
) -> None:
    # New York leaves daylight saving on 2026-11-01: that day runs 04:00 UTC to 05:00 UTC.
    for when in (
        datetime(2026, 11, 1, 3, 59, tzinfo=UTC),  # Oct 31, 23:59 EDT
        datetime(2026, 11, 1, 4, 0, tzinfo=UTC),  # Nov 1, 00:00 EDT
        datetime(2026, 11, 2, 4, 30, tzinfo=UTC),  # Nov 1, 23:30 EST
        datetime(2026, 11, 2, 5, 0, tzinfo=UTC),  # Nov 2, 00:00 EST
    ):
        started_at(store, clock, when)

    report = store.analytics.report(
        date(2026, 10, 31), date(2026, 11, 2), timezone="America/New_York"
    )

    assert [d.figures.conversations for d in report.per_day] == [1, 2, 1]


def test_that_a_conversation_counts_on_the_day_it_started_with_all_it_did_later(
    store: Store, clock: Clock
) -> None:
    c = started_at(store, clock, datetime(2026, 11, 18, 23, 50, tzinfo=UTC), customer_id="alice_1")
    at(clock, datetime(2026, 11, 19, 0, 10, tzinfo=UTC))
    order = bought(store, "alice_1", "late")
    turn(
        store,
        c,
        said("yes"),
        replied("Order placed.", job="buy", wall_seconds=1.0, prompt_tokens=50),
        placed_orders=[order.id],
        resolved=True,
    )
    started_at(store, clock, datetime(2026, 11, 20, 12, 0, tzinfo=UTC))

    report = store.analytics.report(date(2026, 11, 18), DAY)

    by_day = {d.day: d.figures for d in report.per_day}
    assert counts(by_day[date(2026, 11, 18)]) == (1, 1, 0, 1, 1)
    assert by_day[date(2026, 11, 18)].revenue == (order.total,)
    assert by_day[date(2026, 11, 18)].prompt_tokens == 50
    assert by_day[date(2026, 11, 19)] == Figures(revenue=(Money(0, "USD"),))
    assert by_day[DAY].conversations == 1
    assert report.totals.revenue == (order.total,)
    assert store.analytics.report(date(2026, 11, 19), DAY).totals.orders == 0


def test_that_the_default_range_is_the_last_thirty_days_today_included(
    store: Store, clock: Clock
) -> None:
    first_day = DAY - timedelta(days=29)
    started_at(store, clock, datetime.combine(first_day, datetime.min.time(), UTC))
    started_at(store, clock, datetime.combine(first_day, datetime.min.time(), UTC) - timedelta(1))
    at(clock, START)

    report = store.analytics.report()

    assert (report.start, report.end, report.timezone) == (first_day, DAY, "UTC")
    assert len(report.per_day) == 30
    assert report.totals.conversations == 1
    only_start = store.analytics.report(DAY - timedelta(days=2))
    assert (only_start.start, only_start.end) == (DAY - timedelta(days=2), DAY)
    only_end = store.analytics.report(end=date(2026, 1, 30))
    assert (only_end.start, only_end.end) == (date(2026, 1, 1), date(2026, 1, 30))


def test_that_today_is_the_date_in_the_asked_time_zone(store: Store, clock: Clock) -> None:
    at(clock, datetime(2026, 11, 20, 20, 0, tzinfo=UTC))  # the 21st in Seoul

    assert store.analytics.report(timezone="Asia/Seoul").end == date(2026, 11, 21)
    assert store.analytics.report().end == date(2026, 11, 20)


def test_that_a_backwards_or_overlong_range_or_an_unknown_zone_is_refused(store: Store) -> None:
    with pytest.raises(InvalidDateRange) as backwards:
        store.analytics.report(DAY, DAY - timedelta(days=1))
    assert backwards.value.code == "invalid_date_range" and backwards.value.http_status == 422
    assert backwards.value.details == {"start": "2026-11-20", "end": "2026-11-19"}
    with pytest.raises(InvalidDateRange) as overlong:
        store.analytics.report(DAY - timedelta(days=366), DAY)
    assert overlong.value.details["maximum_days"] == 366
    assert len(store.analytics.report(DAY - timedelta(days=365), DAY).per_day) == 366
    for zone in ("Mars/Olympus_Mons", "../../etc/passwd", "", "America", "x" * 300):
        with pytest.raises(InvalidRequest) as unknown:
            store.analytics.report(DAY, DAY, timezone=zone)
        assert unknown.value.details == {"field": "timezone"}


def test_that_revenue_keeps_each_currency_apart_with_the_shops_first(
    store: Store, clock: Clock
) -> None:
    c = started_at(store, clock, START, customer_id="alice_1")
    order = bought(store, "alice_1", "usd")
    turn(store, c, said("yes"), placed_orders=[order.id])
    # An order recorded in another currency, since gone from the store (no foreign key
    # keeps it): it still counts as placed.
    with store.db.transaction() as s:
        s.add(
            ConversationOrder(
                conversation_id=c.id,
                order_id="#W-GONE",
                job="buy",
                total_minor=1234,
                currency="EUR",
                placed_at=START,
            )
        )

    report: AnalyticsReport = store.analytics.report(DAY, DAY)

    assert report.totals.revenue == (order.total, Money(1234, "EUR"))
    assert report.totals.orders == 2 and report.totals.converted == 1
    assert report.totals.revenue_in("EUR") == Money(1234, "EUR")


def test_that_percentiles_interpolate_between_the_closest_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([2.0], 0.95) == 2.0
    assert percentile([1.0, 3.0], 0.5) == 2.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile(list(range(1, 101)), 0.95) == pytest.approx(95.05)
    assert percentile([5.0, 1.0, 3.0], 0.0) == 1.0 and percentile([5.0, 1.0, 3.0], 1.0) == 5.0

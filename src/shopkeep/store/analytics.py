"""The assistant's figures for managers, from the conversation log: over a date range, per day,
per job and per language."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from shopkeep.store.context import StoreContext
from shopkeep.store.errors import InvalidDateRange, InvalidRequest
from shopkeep.store.models import (
    Conversation,
    ConversationMessage,
    ConversationOrder,
    Handoff,
    Order,
    OrderStatus,
)
from shopkeep.store.money import Money
from shopkeep.store.views import View

DEFAULT_DAYS = 30
"""The range when none is asked for: the last 30 days, today included."""
MAX_DAYS = 366
"""The longest range one report covers (a year, leap day included)."""
NO_JOB = "none"
"""The job of a conversation in which the assistant never took one up (a greeting, a handoff)."""
NO_LANGUAGE = "unknown"

DEFINITIONS: dict[str, str] = {
    "range": "A report covers the conversations started (created_at) from 00:00 of `start` to "
    "24:00 of `end` in `timezone` (IANA name, default UTC), both days included; a conversation "
    "belongs to the day it started, and everything about it (its handoffs, orders, tokens, cost "
    "and replies) counts with it, whenever it happened. Default range: the last 30 days, "
    "today included; at most 366 days.",
    "conversations": "Conversations started in the range.",
    "resolved": "Conversations the assistant resolved on its own: it placed an order, carried "
    "out a requested change or answered a question (product, search, recommendation, order "
    "status, coupons) in them (conversations.resolved), and they were never handed to a human.",
    "resolution_rate": "resolved / conversations (null when there are no conversations).",
    "handed_off": "Conversations handed to the human queue at least once (a row in handoffs).",
    "handoff_rate": "handed_off / conversations.",
    "orders": "Purchases: orders placed in the conversations (conversation_orders) that have not "
    "been cancelled since (orders.status); an order returned later still counts.",
    "converted": "Conversations with at least one purchase.",
    "conversion_rate": "converted / conversations.",
    "revenue": "The purchases' totals as placed (coupons, subsidies and shipping included), "
    "integer minor units, one amount per currency, the shop's currency first.",
    "tokens": "prompt_tokens, cached_tokens (the part of the prompt read from the cache) and "
    "completion_tokens of every model call made for the conversations.",
    "cost": "What those model calls cost by the configured price table, exactly, in pico-USD "
    "(10**-12 USD; a cent is 10**10).",
    "replies": "The assistant's messages in the conversations (role assistant; staff messages "
    "are not the assistant's).",
    "latency": "Per turn: the wall-clock seconds from the customer's message to the "
    "assistant's reply being stored (conversation_messages.wall_seconds of the assistant's "
    "messages); p50 and p95 interpolate linearly between the closest ranks (null without "
    "replies).",
    "per_day": "The figures of the conversations started each day of the range, every day "
    "listed, in `timezone`.",
    "per_job": "For each job, the figures of the conversations in which the assistant worked on "
    "it (any message with that job; 'none' for conversations without one). A conversation "
    "with several jobs counts under each, so these rows may add up to more than the total.",
    "per_language": "For each language, the figures of the conversations whose language "
    "(conversations.language, the last one the customer used) it is; 'unknown' when not "
    "known. These rows add up to the total.",
}
"""What each figure means, as the API and the page explain it."""


class Figures(View):
    """The figures of a set of conversations (DEFINITIONS says the same for the API)."""

    conversations: int = 0
    """Conversations started in the range."""
    resolved: int = 0
    """Of those, the ones the assistant resolved on its own (conversations.resolved, never
    handed off)."""
    handed_off: int = 0
    """Of those, the ones handed to the human queue at least once."""
    converted: int = 0
    """Of those, the ones with at least one purchase (an order placed, not cancelled since)."""
    orders: int = 0
    """Purchases in them."""
    revenue: tuple[Money, ...] = ()
    """The purchases' totals as placed, per currency, the shop's first (always there)."""
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    cost_pico_usd: int = 0
    """Of every model call made for them; cost exact in 10**-12 USD."""
    replies: int = 0
    """The assistant's messages in them (latency is measured on these)."""
    latency_p50_seconds: float | None = None
    """Median wall_seconds of the replies, interpolated (None without replies)."""
    latency_p95_seconds: float | None = None

    @property
    def resolution_rate(self) -> float | None:
        return self._rate(self.resolved)

    @property
    def handoff_rate(self) -> float | None:
        return self._rate(self.handed_off)

    @property
    def conversion_rate(self) -> float | None:
        return self._rate(self.converted)

    def _rate(self, count: int) -> float | None:
        return count / self.conversations if self.conversations else None

    def revenue_in(self, currency: str) -> Money:
        return next((m for m in self.revenue if m.currency == currency), Money(0, currency))


class DayFigures(View):
    day: date
    figures: Figures


class GroupFigures(View):
    key: str
    figures: Figures


class AnalyticsReport(View):
    start: date
    end: date
    timezone: str
    currency: str
    """The shop's currency: revenue in it is listed first."""
    totals: Figures
    per_day: list[DayFigures]
    per_job: list[GroupFigures]
    """Most conversations first."""
    per_language: list[GroupFigures]
    """Most conversations first."""


@dataclass
class _Conversation:
    """What one conversation adds to the figures."""

    language: str
    started: datetime
    resolved: bool
    handed_off: bool
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    cost_pico_usd: int
    jobs: set[str] = field(default_factory=set)
    purchases: list[tuple[int, str]] = field(default_factory=list)  # (total_minor, currency)
    latencies: list[float] = field(default_factory=list)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) of `values`, interpolated linearly between the closest ranks (as
    numpy's default and spreadsheets' PERCENTILE.INC); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _figures_of(conversations: Iterable[_Conversation], currency: str) -> Figures:
    group = list(conversations)
    revenue: dict[str, int] = {currency: 0}
    for c in group:
        for total, order_currency in c.purchases:
            revenue[order_currency] = revenue.get(order_currency, 0) + total
    latencies = [s for c in group for s in c.latencies]
    others = sorted(k for k in revenue if k != currency)
    return Figures(
        conversations=len(group),
        resolved=sum(c.resolved for c in group),
        handed_off=sum(c.handed_off for c in group),
        converted=sum(bool(c.purchases) for c in group),
        orders=sum(len(c.purchases) for c in group),
        revenue=tuple(Money(revenue[k], k) for k in [currency, *others]),
        prompt_tokens=sum(c.prompt_tokens for c in group),
        cached_tokens=sum(c.cached_tokens for c in group),
        completion_tokens=sum(c.completion_tokens for c in group),
        cost_pico_usd=sum(c.cost_pico_usd for c in group),
        replies=len(latencies),
        latency_p50_seconds=percentile(latencies, 0.5),
        latency_p95_seconds=percentile(latencies, 0.95),
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:  # OSError: a folder, say
        raise InvalidRequest(
            f"'{name}' is not a time zone; use an IANA name such as UTC or Asia/Seoul.",
            field="timezone",
        ) from e


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


class Analytics:
    """The figures managers read, computed from the log on every call (nothing kept aside)."""

    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx

    def date_range(
        self, start: date | None = None, end: date | None = None, *, timezone: str = "UTC"
    ) -> tuple[date, date]:
        """The range a report with these arguments covers: `end` defaults to today in
        `timezone`, `start` to 29 days before `end`."""
        zone = _zone(timezone)
        end = end or self._ctx.clock().astimezone(zone).date()
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise InvalidDateRange(
                f"The range starts ({start}) after it ends ({end}).",
                start=start.isoformat(),
                end=end.isoformat(),
            )
        days = (end - start).days + 1
        if days > MAX_DAYS:
            raise InvalidDateRange(
                f"The range covers {days} days; at most {MAX_DAYS} fit in one report.",
                start=start.isoformat(),
                end=end.isoformat(),
                maximum_days=MAX_DAYS,
            )
        return start, end

    def report(
        self, start: date | None = None, end: date | None = None, *, timezone: str = "UTC"
    ) -> AnalyticsReport:
        """The figures of the conversations started from `start` to `end` (both included, days
        in `timezone`): in all, per day, per job and per language. See DEFINITIONS."""
        start, end = self.date_range(start, end, timezone=timezone)
        zone = _zone(timezone)
        currency = self._ctx.policy.currency
        since, until = _midnight(start, zone), _midnight(end + timedelta(days=1), zone)
        with self._ctx.db.reading() as s:
            if s.get_bind().dialect.name == "postgresql":
                # One snapshot for the several reads (SQLite's read transaction is one already).
                s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            conversations = _read(s, since, until)
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        by_day: dict[date, list[_Conversation]] = {day: [] for day in days}
        by_job: dict[str, list[_Conversation]] = {}
        by_language: dict[str, list[_Conversation]] = {}
        for c in conversations:
            by_day[c.started.astimezone(zone).date()].append(c)
            for job in sorted(c.jobs) or [NO_JOB]:
                by_job.setdefault(job, []).append(c)
            by_language.setdefault(c.language, []).append(c)

        def groups(grouped: dict[str, list[_Conversation]]) -> list[GroupFigures]:
            ordered = sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            return [GroupFigures(key=k, figures=_figures_of(v, currency)) for k, v in ordered]

        return AnalyticsReport(
            start=start,
            end=end,
            timezone=timezone,
            currency=currency,
            totals=_figures_of(conversations, currency),
            per_day=[
                DayFigures(day=day, figures=_figures_of(by_day[day], currency)) for day in days
            ],
            per_job=groups(by_job),
            per_language=groups(by_language),
        )


def _read(s: Session, since: datetime, until: datetime) -> list[_Conversation]:
    """The conversations started in [since, until), with their jobs, purchases and replies.
    Days in a time zone (daylight saving included) and percentiles are not plain SQL on SQLite,
    so SQL reads one row per conversation, job, purchase and reply, and Python groups them."""
    started = (Conversation.created_at >= since) & (Conversation.created_at < until)
    handed_off = exists().where(Handoff.conversation_id == Conversation.id)
    rows = s.execute(
        select(
            Conversation.id,
            Conversation.language,
            Conversation.created_at,
            Conversation.resolved,
            handed_off.label("handed_off"),
            Conversation.prompt_tokens,
            Conversation.cached_tokens,
            Conversation.completion_tokens,
            Conversation.cost_pico_usd,
        ).where(started)
    ).all()
    found = {
        r.id: _Conversation(
            language=r.language or NO_LANGUAGE,
            started=r.created_at,
            resolved=bool(r.resolved) and not r.handed_off,
            handed_off=bool(r.handed_off),
            prompt_tokens=r.prompt_tokens,
            cached_tokens=r.cached_tokens,
            completion_tokens=r.completion_tokens,
            cost_pico_usd=r.cost_pico_usd,
        )
        for r in rows
    }
    jobs = s.execute(
        select(ConversationMessage.conversation_id, ConversationMessage.job)
        .join(Conversation, Conversation.id == ConversationMessage.conversation_id)
        .where(started, ConversationMessage.job.is_not(None))
        .distinct()
    )
    for conversation_id, job in jobs:
        found[conversation_id].jobs.add(str(job))
    # An order gone from the store (no foreign key holds it) still counts as placed.
    purchases = s.execute(
        select(
            ConversationOrder.conversation_id,
            ConversationOrder.total_minor,
            ConversationOrder.currency,
        )
        .join(Conversation, Conversation.id == ConversationOrder.conversation_id)
        .outerjoin(Order, Order.id == ConversationOrder.order_id)
        .where(started, or_(Order.status.is_(None), Order.status != OrderStatus.CANCELLED.value))
    )
    for conversation_id, total, currency in purchases:
        found[conversation_id].purchases.append((total, currency))
    replies = s.execute(
        select(ConversationMessage.conversation_id, ConversationMessage.wall_seconds)
        .join(Conversation, Conversation.id == ConversationMessage.conversation_id)
        .where(started, ConversationMessage.role == "assistant")
    )
    for conversation_id, seconds in replies:
        found[conversation_id].latencies.append(seconds)
    return list(found.values())

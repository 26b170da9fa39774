"""The conversation log and the human handoff queue: every turn persisted before it is answered."""

from __future__ import annotations

import enum
import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shopkeep.logs import mask_card_numbers
from shopkeep.store.context import StoreContext
from shopkeep.store.customers import load_customer
from shopkeep.store.errors import (
    ConversationChanged,
    ConversationClosed,
    ConversationExists,
    ConversationNotFound,
    ConversationNotHeld,
    HandoffNotFound,
    HandoffNotWaiting,
    InvalidRequest,
    MessageBlank,
    MessageTooLong,
    OrderNotFound,
)
from shopkeep.store.models import (
    OPEN_HANDOFF_STATUSES,
    Conversation,
    ConversationMessage,
    ConversationOrder,
    ConversationStatus,
    Handoff,
    HandoffStatus,
    Order,
)
from shopkeep.store.money import Money
from shopkeep.store.views import (
    ConversationView,
    HandoffInput,
    HandoffView,
    MessageInput,
    MessageRole,
    MessageView,
)

MAX_MESSAGE_CHARS = 4000
"""The longest message the log takes, in characters."""


class Unchanged(enum.Enum):
    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED
"""Leave the field as it is (where None would mean 'set to none')."""


def new_conversation_id() -> str:
    # Not the store's seeded rng: parallel processes of a seeded demo must not collide.
    return "c_" + secrets.token_hex(8)


def _json(value: Any, what: str, *, strict: bool) -> Any:
    """`value` as it will read back from the database, so a view shows what a restarted process
    will see. The engine's state must be JSON; turn data is a record, so anything else in it
    is written as its string."""
    try:
        return json.loads(json.dumps(value, ensure_ascii=False, default=None if strict else str))
    except (TypeError, ValueError) as e:
        raise InvalidRequest(f"The {what} must be JSON: {e}.", field=what) from e


def _masked(value: Any) -> Any:
    """`value` (text, or JSON read back) with every card number cut to its last four digits and
    every security code hidden: the log keeps what was said, never a card."""
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


def _checked_text(role: str, text: str) -> str:
    if not text.strip():
        raise MessageBlank(role)
    if "\x00" in text:
        # PostgreSQL's text cannot hold it: refused alike on every database.
        raise InvalidRequest("A message cannot contain the NUL character.", field="text")
    if len(text) > MAX_MESSAGE_CHARS:
        raise MessageTooLong(len(text), MAX_MESSAGE_CHARS)
    return text


def _checked_name(value: str, field: str, maximum: int) -> str:
    name = value.strip()
    if not name or len(name) > maximum:
        raise InvalidRequest(f"The {field} must be 1 to {maximum} characters.", field=field)
    return name


def message_view(m: ConversationMessage) -> MessageView:
    role: MessageRole = m.role  # type: ignore[assignment]
    return MessageView(
        id=m.id,
        conversation_id=m.conversation_id,
        seq=m.seq,
        turn=m.turn,
        role=role,
        author=m.author,
        text=m.text,
        language=m.language,
        job=m.job,
        commands=list(m.commands),
        tool_calls=list(m.tool_calls),
        events=list(m.events),
        staged=m.staged,
        model_calls=m.model_calls,
        prompt_tokens=m.prompt_tokens,
        cached_tokens=m.cached_tokens,
        completion_tokens=m.completion_tokens,
        cost_pico_usd=m.cost_pico_usd,
        model_seconds=m.model_seconds,
        wall_seconds=m.wall_seconds,
        created_at=m.created_at,
    )


def handoff_view(h: Handoff, c: Conversation) -> HandoffView:
    return HandoffView(
        id=h.id,
        conversation_id=h.conversation_id,
        customer_id=c.customer_id,
        language=c.language,
        channel=c.channel,
        reason=h.reason,
        summary=h.summary,
        status=h.status,
        staff=h.staff,
        note=h.note,
        created_at=h.created_at,
        taken_at=h.taken_at,
        returned_at=h.returned_at,
        closed_at=h.closed_at,
    )


def _open_handoff(s: Session, conversation_id: str, *, lock: bool = False) -> Handoff | None:
    query = select(Handoff).where(
        Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN_HANDOFF_STATUSES)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return s.scalar(query)


def conversation_view(s: Session, c: Conversation) -> ConversationView:
    order_ids = s.scalars(
        select(ConversationOrder.order_id)
        .where(ConversationOrder.conversation_id == c.id)
        .order_by(ConversationOrder.id)
    ).all()
    handoff = _open_handoff(s, c.id)
    return ConversationView(
        id=c.id,
        customer_id=c.customer_id,
        channel=c.channel,
        language=c.language,
        status=c.status,
        state=_json(c.state, "state", strict=True),
        version=c.version,
        last_job=c.last_job,
        resolved=c.resolved,
        handed_off=c.handed_off,
        open_handoff_id=handoff.id if handoff else None,
        turn_count=c.turn_count,
        message_count=c.message_count,
        order_ids=list(order_ids),
        revenue=Money(c.revenue_minor, c.currency),
        model_calls=c.model_calls,
        prompt_tokens=c.prompt_tokens,
        cached_tokens=c.cached_tokens,
        completion_tokens=c.completion_tokens,
        cost_pico_usd=c.cost_pico_usd,
        model_seconds=c.model_seconds,
        wall_seconds=c.wall_seconds,
        created_at=c.created_at,
        updated_at=c.updated_at,
        closed_at=c.closed_at,
    )


def _load(s: Session, conversation_id: str, *, lock: bool = False) -> Conversation:
    """The conversation; locked, it is the lock every write of it takes first (SQLite's write
    transaction serialises writers already; PostgreSQL needs the row lock)."""
    if "\x00" in conversation_id:
        raise ConversationNotFound(conversation_id)  # no id holds one; PostgreSQL cannot bind it
    query = select(Conversation).where(Conversation.id == conversation_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    conversation = s.scalar(query)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    return conversation


def _check_version(c: Conversation, expected_version: int | None) -> None:
    if expected_version is not None and c.version != expected_version:
        raise ConversationChanged(c.id, expected_version, c.version)


def _touch(c: Conversation, now: datetime) -> None:
    c.version += 1
    c.updated_at = now


def _append(
    s: Session,
    c: Conversation,
    message: MessageInput,
    now: datetime,
    *,
    role: str | None = None,
    author: str | None = None,
) -> ConversationMessage:
    c.message_count += 1
    row = ConversationMessage(
        conversation_id=c.id,
        seq=c.message_count,
        turn=c.turn_count,
        role=role or message.role,
        author=author,
        text=_masked(message.text),
        language=message.language,
        job=message.job,
        commands=_masked(_json(message.commands, "commands", strict=False)),
        tool_calls=_masked(_json(message.tool_calls, "tool calls", strict=False)),
        events=_masked(_json(message.events, "events", strict=False)),
        staged=_masked(_json(message.staged, "staged action", strict=False)),
        model_calls=message.model_calls,
        prompt_tokens=message.prompt_tokens,
        cached_tokens=message.cached_tokens,
        completion_tokens=message.completion_tokens,
        cost_pico_usd=message.cost_pico_usd,
        model_seconds=message.model_seconds,
        wall_seconds=message.wall_seconds,
        created_at=now,
    )
    s.add(row)
    c.model_calls += message.model_calls
    c.prompt_tokens += message.prompt_tokens
    c.cached_tokens += message.cached_tokens
    c.completion_tokens += message.completion_tokens
    c.cost_pico_usd += message.cost_pico_usd
    c.model_seconds += message.model_seconds
    c.wall_seconds += message.wall_seconds
    return row


def _end_handoff(s: Session, c: Conversation, now: datetime) -> None:
    handoff = _open_handoff(s, c.id, lock=True)
    if handoff is not None:
        handoff.status = HandoffStatus.CLOSED
        handoff.closed_at = now


class ConversationLog:
    """Conversations, their messages and the human queue. Every write names the conversation's
    version it read (or takes the row's lock for staff actions), so workers serving one
    conversation never both apply a turn; a refused call writes nothing."""

    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx

    # --- conversations ----------------------------------------------------------------------

    def start(
        self,
        *,
        customer_id: str | None = None,
        channel: str = "chat",
        language: str | None = None,
        conversation_id: str | None = None,
    ) -> ConversationView:
        """A new conversation, version 0; a guest's when `customer_id` is None."""
        cid = (
            new_conversation_id()
            if conversation_id is None
            else _checked_name(conversation_id, "conversation id", 64)
        )
        channel = _checked_name(channel, "channel", 32)
        now = self._ctx.clock()
        try:
            with self._ctx.db.transaction() as s:
                if customer_id is not None:
                    load_customer(s, customer_id)
                if s.get(Conversation, cid) is not None:
                    raise ConversationExists(cid)
                c = Conversation(
                    id=cid,
                    customer_id=customer_id,
                    channel=channel,
                    language=language,
                    status=ConversationStatus.ACTIVE,
                    state={},
                    version=0,
                    resolved=False,
                    handed_off=False,
                    turn_count=0,
                    message_count=0,
                    order_count=0,
                    revenue_minor=0,
                    currency=self._ctx.policy.currency,
                    model_calls=0,
                    prompt_tokens=0,
                    cached_tokens=0,
                    completion_tokens=0,
                    cost_pico_usd=0,
                    model_seconds=0.0,
                    wall_seconds=0.0,
                    created_at=now,
                    updated_at=now,
                )
                s.add(c)
                s.flush()
                return conversation_view(s, c)
        except IntegrityError as e:
            # PostgreSQL: a parallel start with the same id committed first.
            raise ConversationExists(cid) from e

    def get(self, conversation_id: str) -> ConversationView:
        with self._ctx.db.reading() as s:
            return conversation_view(s, _load(s, conversation_id))

    def record_turn(
        self,
        conversation_id: str,
        *,
        expected_version: int,
        state: dict[str, Any],
        messages: Sequence[MessageInput] = (),
        customer_id: str | Unchanged | None = UNCHANGED,
        language: str | None = None,
        last_job: str | None = None,
        resolved: bool | None = None,
        status: Literal["active", "closed"] | None = None,
        placed_orders: Sequence[str] = (),
        handoff: HandoffInput | None = None,
    ) -> ConversationView:
        """Write one turn at once: its messages (numbered on from the last), the engine's new
        state, and what changed (the verified customer, language, job, orders placed, usage).

        `expected_version` is the version the turn read; if anything wrote the conversation
        since, ConversationChanged is raised and nothing is written. `status` "closed" closes
        the conversation, "active" reopens it (withdrawing an open handoff); `handoff` queues
        it for a human in the same transaction (an open handoff is kept as it is). Orders are
        read from the store: each must be the conversation's customer's, and is counted once.
        """
        for message in messages:
            _checked_text(message.role, message.text)
        if status is not None and status not in ("active", "closed"):
            raise InvalidRequest(f"A turn cannot set the status '{status}'.", status=status)
        if handoff is not None and status is not None:
            raise InvalidRequest("A turn either hands off or sets the status, not both.")
        reason = _checked_name(handoff.reason, "handoff reason", 32) if handoff else ""
        new_state = _json(state, "state", strict=True)
        with self._ctx.db.transaction() as s:
            c = _load(s, conversation_id, lock=True)
            _check_version(c, expected_version)
            now = self._ctx.clock()
            if not isinstance(customer_id, Unchanged):
                if customer_id is not None:
                    load_customer(s, customer_id)
                c.customer_id = customer_id
            c.turn_count += 1
            for message in messages:
                _append(s, c, message, now)
            c.state = new_state
            if language is not None:
                c.language = language
            if last_job is not None:
                c.last_job = last_job
            if resolved is not None:
                c.resolved = resolved
            for order_id in dict.fromkeys(placed_orders):
                self._record_order(s, c, order_id, now)
            if status == "closed":
                self._close(s, c, now)
            elif status == "active":
                _end_handoff(s, c, now)
                c.status, c.closed_at = ConversationStatus.ACTIVE, None
            if handoff is not None:
                self._hand_off(s, c, reason, handoff.summary, now)
            _touch(c, now)
            s.flush()
            return conversation_view(s, c)

    def _record_order(self, s: Session, c: Conversation, order_id: str, now: datetime) -> None:
        order = s.get(Order, order_id)
        if order is None or c.customer_id is None or order.customer_id != c.customer_id:
            raise OrderNotFound(order_id)
        known = s.scalar(select(ConversationOrder.id).where(ConversationOrder.order_id == order_id))
        if known is not None:
            return
        s.add(
            ConversationOrder(
                conversation_id=c.id,
                order_id=order_id,
                job=c.last_job,
                total_minor=order.total_minor,
                currency=order.currency,
                placed_at=now,
            )
        )
        c.order_count += 1
        if order.currency == c.currency:
            c.revenue_minor += order.total_minor

    def close(
        self, conversation_id: str, *, expected_version: int | None = None
    ) -> ConversationView:
        """End the conversation, and any handoff still open; closing a closed one does
        nothing."""
        with self._ctx.db.transaction() as s:
            c = _load(s, conversation_id, lock=True)
            if c.status != ConversationStatus.CLOSED:
                _check_version(c, expected_version)
                now = self._ctx.clock()
                self._close(s, c, now)
                _touch(c, now)
            return conversation_view(s, c)

    def _close(self, s: Session, c: Conversation, now: datetime) -> None:
        _end_handoff(s, c, now)
        c.status, c.closed_at = ConversationStatus.CLOSED, now

    # --- reading ----------------------------------------------------------------------------

    def messages(
        self, conversation_id: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[MessageView]:
        """The messages after `after_seq`, oldest first, at most `limit` of them."""
        with self._ctx.db.reading() as s:
            _load(s, conversation_id)
            query = (
                select(ConversationMessage)
                .where(
                    ConversationMessage.conversation_id == conversation_id,
                    ConversationMessage.seq > after_seq,
                )
                .order_by(ConversationMessage.seq)
            )
            if limit is not None:
                query = query.limit(max(limit, 0))
            return [message_view(m) for m in s.scalars(query)]

    def for_customer(
        self, customer_id: str, *, limit: int = 5, exclude: str | None = None
    ) -> list[ConversationView]:
        """The customer's conversations, most recently active first (`exclude`: the current
        one)."""
        with self._ctx.db.reading() as s:
            load_customer(s, customer_id)
            query = select(Conversation).where(Conversation.customer_id == customer_id)
            if exclude is not None:
                query = query.where(Conversation.id != exclude)
            query = query.order_by(
                Conversation.updated_at.desc(), Conversation.created_at.desc()
            ).limit(max(limit, 0))
            return [conversation_view(s, c) for c in s.scalars(query)]

    def recent_customer_texts(self, customer_id: str, *, limit: int = 20) -> list[str]:
        """What the customer said lately, across their conversations, newest first."""
        with self._ctx.db.reading() as s:
            load_customer(s, customer_id)
            query = (
                select(ConversationMessage.text)
                .join(Conversation, Conversation.id == ConversationMessage.conversation_id)
                .where(
                    Conversation.customer_id == customer_id,
                    ConversationMessage.role == "customer",
                )
                .order_by(ConversationMessage.created_at.desc(), ConversationMessage.id.desc())
                .limit(max(limit, 0))
            )
            return list(s.scalars(query))

    # --- the human queue --------------------------------------------------------------------

    def hand_off(
        self,
        conversation_id: str,
        *,
        reason: str,
        summary: str = "",
        expected_version: int | None = None,
    ) -> HandoffView:
        """Queue the conversation for a human. While a handoff is open, it is returned as it
        is: handing off twice opens one handoff."""
        reason = _checked_name(reason, "handoff reason", 32)
        with self._ctx.db.transaction() as s:
            c = _load(s, conversation_id, lock=True)
            handoff = _open_handoff(s, c.id)
            if handoff is None:
                _check_version(c, expected_version)
                now = self._ctx.clock()
                handoff = self._hand_off(s, c, reason, summary, now)
                _touch(c, now)
            return handoff_view(handoff, c)

    def _hand_off(
        self, s: Session, c: Conversation, reason: str, summary: str, now: datetime
    ) -> Handoff:
        if c.status == ConversationStatus.CLOSED:
            raise ConversationClosed(c.id)
        handoff = _open_handoff(s, c.id, lock=True)
        if handoff is not None:
            return handoff
        handoff = Handoff(
            conversation_id=c.id,
            reason=reason,
            summary=_masked(summary.strip()),
            status=HandoffStatus.WAITING,
            created_at=now,
        )
        s.add(handoff)
        c.status, c.handed_off = ConversationStatus.WAITING_HUMAN, True
        s.flush()
        return handoff

    def queue(self, *, status: str | Sequence[str] = "waiting") -> list[HandoffView]:
        """Handoffs in `status` (one or several), oldest first."""
        statuses = [status] if isinstance(status, str) else list(status)
        known = {h.value for h in HandoffStatus}
        for value in statuses:
            if value not in known:
                raise InvalidRequest(
                    f"'{value}' is not a handoff status; use one of: {', '.join(sorted(known))}.",
                    status=value,
                )
        with self._ctx.db.reading() as s:
            rows = s.execute(
                select(Handoff, Conversation)
                .join(Conversation, Conversation.id == Handoff.conversation_id)
                .where(Handoff.status.in_(statuses))
                .order_by(Handoff.created_at, Handoff.id)
            ).all()
            return [handoff_view(h, c) for h, c in rows]

    def handoff(self, handoff_id: int) -> HandoffView:
        with self._ctx.db.reading() as s:
            h = s.get(Handoff, handoff_id)
            if h is None:
                raise HandoffNotFound(handoff_id)
            return handoff_view(h, _load(s, h.conversation_id))

    def take(self, handoff_id: int, *, staff: str) -> HandoffView:
        """A staff member takes a waiting conversation over; taking it again is a no-op for
        them and refused for anyone else."""
        staff = _checked_name(staff, "staff name", 128)
        with self._ctx.db.transaction() as s:
            h, c = self._lock_handoff(s, handoff_id)
            if h.status == HandoffStatus.TAKEN and h.staff == staff:
                return handoff_view(h, c)
            if h.status != HandoffStatus.WAITING:
                raise HandoffNotWaiting(h.id, h.status, h.staff)
            now = self._ctx.clock()
            h.status, h.staff, h.taken_at = HandoffStatus.TAKEN, staff, now
            c.status = ConversationStatus.HUMAN
            _touch(c, now)
            return handoff_view(h, c)

    def staff_reply(
        self, conversation_id: str, *, staff: str, text: str, language: str | None = None
    ) -> MessageView:
        """A message from the staff member holding the conversation."""
        staff = _checked_name(staff, "staff name", 128)
        _checked_text("staff", text)
        with self._ctx.db.transaction() as s:
            c = _load(s, conversation_id, lock=True)
            h = _open_handoff(s, c.id, lock=True)
            if h is None or h.status != HandoffStatus.TAKEN or h.staff != staff:
                holder = h.staff if h is not None and h.status == HandoffStatus.TAKEN else None
                raise ConversationNotHeld(c.id, staff, holder)
            now = self._ctx.clock()
            row = _append(
                s,
                c,
                MessageInput(role="assistant", text=text, language=language),
                now,
                role="staff",
                author=staff,
            )
            _touch(c, now)
            s.flush()
            return message_view(row)

    def hand_back(self, handoff_id: int, *, staff: str, note: str | None = None) -> HandoffView:
        """The staff member holding it gives the conversation back to the assistant."""
        staff = _checked_name(staff, "staff name", 128)
        with self._ctx.db.transaction() as s:
            h, c = self._lock_handoff(s, handoff_id)
            if h.status != HandoffStatus.TAKEN or h.staff != staff:
                holder = h.staff if h.status == HandoffStatus.TAKEN else None
                raise ConversationNotHeld(c.id, staff, holder)
            now = self._ctx.clock()
            h.status, h.returned_at, h.note = HandoffStatus.RETURNED, now, note
            c.status = ConversationStatus.ACTIVE
            _touch(c, now)
            return handoff_view(h, c)

    def _lock_handoff(self, s: Session, handoff_id: int) -> tuple[Handoff, Conversation]:
        # The conversation's lock first, as every other write takes it: no deadlock.
        conversation_id = s.scalar(select(Handoff.conversation_id).where(Handoff.id == handoff_id))
        if conversation_id is None:
            raise HandoffNotFound(handoff_id)
        c = _load(s, conversation_id, lock=True)
        h = s.scalar(
            select(Handoff)
            .where(Handoff.id == handoff_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert h is not None
        return h, c

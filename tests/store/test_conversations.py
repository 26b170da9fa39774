"""The conversation log and the human queue: turns persisted whole, versions, handoffs, totals."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from store_seed import Clock

from shopkeep.store import Database, Store
from shopkeep.store.checkout import LineRequest
from shopkeep.store.conversations import MAX_MESSAGE_CHARS
from shopkeep.store.errors import (
    ConversationChanged,
    ConversationClosed,
    ConversationExists,
    ConversationNotFound,
    ConversationNotHeld,
    CustomerNotFound,
    HandoffNotFound,
    HandoffNotWaiting,
    InvalidRequest,
    MessageBlank,
    MessageTooLong,
    OrderNotFound,
    StoreError,
)
from shopkeep.store.migrations import alembic_config, current_revision
from shopkeep.store.models import ConversationMessage, Handoff
from shopkeep.store.views import ConversationView, HandoffInput, MessageInput


def said(text: str, **extra: Any) -> MessageInput:
    return MessageInput(role="customer", text=text, **extra)


def replied(text: str, **extra: Any) -> MessageInput:
    return MessageInput(role="assistant", text=text, **extra)


def turn(
    store: Store, c: ConversationView, *messages: MessageInput, **changes: Any
) -> ConversationView:
    """Record a turn on the version last read, as the engine does."""
    state = changes.pop("state", {"turn": c.turn_count + 1})
    return store.conversations.record_turn(
        c.id, expected_version=c.version, state=state, messages=list(messages), **changes
    )


def message_rows(store: Store) -> int:
    with store.db.reading() as s:
        return s.scalar(select(func.count()).select_from(ConversationMessage)) or 0


def rush(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call at the same moment, each on its own thread; return results or errors."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        start.wait()
        try:
            return call()
        except StoreError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_that_a_turns_messages_and_state_survive_a_restart(store: Store) -> None:
    c = store.conversations.start(channel="web", language="ko")
    state = {"flow": "buy", "slots": {"variant_id": "cream-50", "quantity": 2}, "staged": None}
    after = turn(
        store,
        c,
        said("수분 크림 두 개 주세요", language="ko", commands=[{"kind": "start_flow"}]),
        replied(
            "50ml 두 개, 총 $53.99입니다. 주문할까요?",
            language="ko",
            job="buy",
            tool_calls=[{"name": "quote", "arguments": {"qty": 2}, "result": "53.99"}],
            events=[{"kind": "staged", "action": "place_order"}],
            staged={"action": "place_order", "total_minor": 5399},
        ),
        state=state,
        last_job="buy",
    )

    restarted = Store(Database(store.db.url))
    try:
        again = restarted.conversations.get(c.id)
        assert again == after
        assert again.state == state and again.version == 1 and again.language == "ko"
        assert again.channel == "web" and again.last_job == "buy"
        messages = restarted.conversations.messages(c.id)
        assert [(m.seq, m.role, m.text) for m in messages] == [
            (1, "customer", "수분 크림 두 개 주세요"),
            (2, "assistant", "50ml 두 개, 총 $53.99입니다. 주문할까요?"),
        ]
        assert messages[0].commands == [{"kind": "start_flow"}]
        assert messages[1].tool_calls[0]["name"] == "quote"
        assert messages[1].staged == {"action": "place_order", "total_minor": 5399}
        assert messages[1].events == [{"kind": "staged", "action": "place_order"}]
    finally:
        restarted.close()


def test_that_messages_are_numbered_one_after_another_across_turns_and_staff(
    store: Store,
) -> None:
    c = store.conversations.start(customer_id="alice_1")
    c = turn(store, c, said("hi"), replied("Hello!"))
    c = turn(store, c, said("I need a person"), handoff=HandoffInput(reason="requested"))
    assert c.open_handoff_id is not None
    store.conversations.take(c.open_handoff_id, staff="Mina")
    store.conversations.staff_reply(c.id, staff="Mina", text="Hi, Mina here.")
    c = store.conversations.get(c.id)
    c = turn(store, c, said("thanks"))

    messages = store.conversations.messages(c.id)
    assert [m.seq for m in messages] == [1, 2, 3, 4, 5]
    assert [m.turn for m in messages] == [1, 1, 2, 2, 3]
    assert messages[3].role == "staff" and messages[3].author == "Mina"
    assert c.message_count == 5 and c.turn_count == 3
    assert [m.seq for m in store.conversations.messages(c.id, after_seq=2, limit=2)] == [3, 4]


def test_that_a_turn_on_a_stale_version_is_refused_and_changes_nothing(store: Store) -> None:
    c = store.conversations.start()
    current = turn(store, c, said("first"), state={"n": 1})

    with pytest.raises(ConversationChanged) as refused:
        turn(store, c, said("second"), state={"n": 2}, language="zh", placed_orders=["x"])
    assert refused.value.code == "conversation_changed"
    assert refused.value.details["version"] == current.version == 1
    assert store.conversations.get(c.id) == current
    assert [m.text for m in store.conversations.messages(c.id)] == ["first"]


def test_that_of_workers_recording_a_turn_on_the_same_version_exactly_one_wins(
    store: Store,
) -> None:
    c = store.conversations.start()
    calls: list[Callable[[], object]] = [
        lambda i=i: turn(store, c, said(f"from worker {i}"), state={"worker": i})  # type: ignore[misc]
        for i in range(8)
    ]
    results = rush(calls)

    won = [r for r in results if isinstance(r, ConversationView)]
    lost = [r for r in results if isinstance(r, ConversationChanged)]
    assert len(won) == 1 and len(lost) == 7
    now = store.conversations.get(c.id)
    assert now == won[0] and now.version == 1
    texts = [m.text for m in store.conversations.messages(c.id)]
    assert texts == [f"from worker {now.state['worker']}"]


def test_that_a_handoff_goes_from_waiting_to_taken_to_returned(store: Store, clock: Clock) -> None:
    c = store.conversations.start(customer_id="bob_2", language="zh", channel="web")
    c = turn(store, c, said("我要退货但网站报错"))
    early = store.conversations.hand_off(c.id, reason="out_of_scope", summary="Return fails")
    clock.advance(minutes=1)
    other = store.conversations.start(customer_id="alice_1")
    later = store.conversations.hand_off(other.id, reason="requested")

    queue = store.conversations.queue()
    assert [h.id for h in queue] == [early.id, later.id]  # oldest first
    assert (queue[0].customer_id, queue[0].language, queue[0].summary) == (
        "bob_2",
        "zh",
        "Return fails",
    )
    assert queue[0].status == "waiting" and queue[0].channel == "web"
    waiting = store.conversations.get(c.id)
    assert waiting.status == "waiting_human" and waiting.handed_off

    clock.advance(minutes=2)
    taken = store.conversations.take(early.id, staff="Mina")
    assert taken.status == "taken" and taken.staff == "Mina" and taken.taken_at == clock.now
    assert store.conversations.get(c.id).status == "human"
    assert [h.id for h in store.conversations.queue()] == [later.id]
    assert [h.id for h in store.conversations.queue(status="taken")] == [early.id]

    reply = store.conversations.staff_reply(c.id, staff="Mina", text="我来帮您处理。")
    assert (reply.role, reply.author, reply.seq) == ("staff", "Mina", 2)

    back = store.conversations.hand_back(early.id, staff="Mina", note="Return opened by hand")
    assert back.status == "returned" and back.note == "Return opened by hand"
    assert back.returned_at == clock.now
    after = store.conversations.get(c.id)
    assert after.status == "active" and after.handed_off and after.open_handoff_id is None
    assert store.conversations.handoff(early.id) == back


def test_that_only_the_staff_member_holding_a_conversation_can_reply_or_hand_it_back(
    store: Store,
) -> None:
    c = store.conversations.start(customer_id="alice_1")
    handoff = store.conversations.hand_off(c.id, reason="requested")
    with pytest.raises(ConversationNotHeld):
        store.conversations.staff_reply(c.id, staff="Mina", text="Hello")  # still waiting
    store.conversations.take(handoff.id, staff="Mina")
    assert store.conversations.take(handoff.id, staff="Mina").staff == "Mina"  # a double click
    with pytest.raises(HandoffNotWaiting) as taken:
        store.conversations.take(handoff.id, staff="Joon")
    assert taken.value.details["staff"] == "Mina"
    with pytest.raises(ConversationNotHeld) as not_held:
        store.conversations.staff_reply(c.id, staff="Joon", text="Hello")
    assert not_held.value.details["holder"] == "Mina"
    with pytest.raises(ConversationNotHeld):
        store.conversations.hand_back(handoff.id, staff="Joon")
    version = store.conversations.get(c.id).version
    store.conversations.hand_back(handoff.id, staff="Mina")
    with pytest.raises(ConversationNotHeld):
        store.conversations.staff_reply(c.id, staff="Mina", text="one more thing")

    assert store.conversations.messages(c.id) == []
    assert store.conversations.get(c.id).version == version + 1


def test_that_a_conversation_has_at_most_one_open_handoff(store: Store) -> None:
    c = store.conversations.start()
    first = store.conversations.hand_off(c.id, reason="requested", summary="wants a person")
    version = store.conversations.get(c.id).version
    again = store.conversations.hand_off(c.id, reason="policy", summary="other", expected_version=0)
    assert again == first
    c = store.conversations.get(c.id)
    assert c.version == version
    c = turn(store, c, said("hello?"), handoff=HandoffInput(reason="misunderstood"))
    assert c.open_handoff_id == first.id
    assert [h.id for h in store.conversations.queue(status=["waiting", "taken"])] == [first.id]

    # The database holds to it too, whatever writes to it.
    with pytest.raises(IntegrityError), store.db.transaction() as s:
        s.add(
            Handoff(
                conversation_id=c.id,
                reason="requested",
                summary="",
                status="taken",
                created_at=first.created_at,
            )
        )

    # Once returned, the conversation can be handed off again.
    store.conversations.take(first.id, staff="Mina")
    store.conversations.hand_back(first.id, staff="Mina")
    second = store.conversations.hand_off(c.id, reason="requested")
    assert second.id != first.id and second.status == "waiting"


def test_that_unknown_ids_give_typed_errors(store: Store) -> None:
    with pytest.raises(ConversationNotFound) as missing:
        store.conversations.get("c_nope")
    assert missing.value.code == "conversation_not_found" and missing.value.http_status == 404
    with pytest.raises(ConversationNotFound):
        store.conversations.record_turn("c_nope", expected_version=0, state={})
    with pytest.raises(ConversationNotFound):
        store.conversations.messages("c_nope")
    with pytest.raises(ConversationNotFound):
        store.conversations.hand_off("c_nope", reason="requested")
    with pytest.raises(ConversationNotFound):
        store.conversations.staff_reply("c_nope", staff="Mina", text="hi")
    with pytest.raises(ConversationNotFound):
        store.conversations.close("c_nope")
    with pytest.raises(HandoffNotFound):
        store.conversations.take(404, staff="Mina")
    with pytest.raises(HandoffNotFound):
        store.conversations.hand_back(404, staff="Mina")
    with pytest.raises(HandoffNotFound):
        store.conversations.handoff(404)
    with pytest.raises(CustomerNotFound):
        store.conversations.start(customer_id="nobody_0")
    with pytest.raises(CustomerNotFound):
        store.conversations.for_customer("nobody_0")
    c = store.conversations.start(conversation_id="c_fixed")
    with pytest.raises(ConversationExists):
        store.conversations.start(conversation_id="c_fixed")
    with pytest.raises(CustomerNotFound):
        turn(store, c, said("I am nobody"), customer_id="nobody_0")
    with pytest.raises(InvalidRequest):
        store.conversations.queue(status="lost")
    assert store.conversations.get(c.id) == c


def test_that_usage_orders_and_revenue_add_up(store: Store) -> None:
    c = store.conversations.start(channel="web")
    c = turn(
        store,
        c,
        said("I'm Alice, alice@example.com"),
        replied("Welcome back, Alice.", model_calls=2, prompt_tokens=900, completion_tokens=40),
        customer_id="alice_1",
    )
    assert c.customer_id == "alice_1"
    order = store.checkout.place_order(
        "alice_1",
        payment_method_id="card_alice_1",
        idempotency_key="conv-1",
        lines=[LineRequest(variant_id="cream-100", quantity=2)],
    )
    pricey = 3 * 10**12  # three dollars in pico-USD: more than 32 bits hold
    c = turn(
        store,
        c,
        said("yes"),
        replied(
            "Order placed.",
            job="buy",
            model_calls=1,
            prompt_tokens=1200,
            cached_tokens=800,
            completion_tokens=60,
            cost_pico_usd=pricey,
            model_seconds=1.5,
            wall_seconds=2.0,
        ),
        last_job="buy",
        placed_orders=[order.id, order.id],
        resolved=True,
    )
    c = turn(store, c, said("thanks"), placed_orders=[order.id])  # a retry counts it once

    assert c.order_ids == [order.id]
    assert c.revenue == order.total
    assert (c.model_calls, c.prompt_tokens, c.cached_tokens, c.completion_tokens) == (
        3,
        2100,
        800,
        100,
    )
    assert c.cost_pico_usd == pricey and c.model_seconds == 1.5 and c.wall_seconds == 2.0
    assert c.resolved and c.last_job == "buy"
    messages = store.conversations.messages(c.id)
    assert sum(m.cost_pico_usd for m in messages) == c.cost_pico_usd
    assert sum(m.prompt_tokens for m in messages) == c.prompt_tokens

    bobs = store.checkout.place_order(
        "bob_2",
        payment_method_id="gift_bob_2",
        idempotency_key="conv-2",
        lines=[LineRequest(variant_id="lamp-1", quantity=1)],
    )
    for stranger in (bobs.id, "#W0000000"):
        with pytest.raises(OrderNotFound):
            turn(store, c, said("and this one"), placed_orders=[stranger])
    assert store.conversations.get(c.id) == c


def test_that_blank_or_too_long_messages_are_refused_with_nothing_stored(store: Store) -> None:
    c = store.conversations.start()
    with pytest.raises(MessageBlank) as blank:
        turn(store, c, said(" \n\t "))
    assert blank.value.code == "message_blank"
    with pytest.raises(MessageTooLong) as long:
        turn(store, c, said("hi"), replied("x" * (MAX_MESSAGE_CHARS + 1)))
    assert long.value.code == "message_too_long"
    assert long.value.details == {"length": MAX_MESSAGE_CHARS + 1, "maximum": MAX_MESSAGE_CHARS}
    with pytest.raises(InvalidRequest):
        turn(store, c, said("hi"), state={"not json": object()})
    handoff = store.conversations.hand_off(c.id, reason="requested")
    store.conversations.take(handoff.id, staff="Mina")
    with pytest.raises(MessageBlank):
        store.conversations.staff_reply(c.id, staff="Mina", text="   ")

    assert message_rows(store) == 0
    assert store.conversations.get(c.id).turn_count == 0
    full = turn(store, store.conversations.get(c.id), said("가" * MAX_MESSAGE_CHARS))
    assert full.message_count == 1


def test_that_a_customers_past_conversations_are_theirs_alone_newest_first(
    store: Store, clock: Clock
) -> None:
    old = store.conversations.start(customer_id="alice_1")
    turn(store, old, said("Do you have a cream for dry skin?"))
    clock.advance(days=1)
    guest = store.conversations.start()
    turn(store, guest, said("guest question"), customer_id="alice_1")  # verified in the chat
    clock.advance(days=1)
    bobs = store.conversations.start(customer_id="bob_2")
    turn(store, bobs, said("Where is my lamp?"))
    clock.advance(hours=1)
    current = store.conversations.start(customer_id="alice_1")

    assert [c.id for c in store.conversations.for_customer("alice_1")] == [
        current.id,
        guest.id,
        old.id,
    ]
    assert [c.id for c in store.conversations.for_customer("alice_1", exclude=current.id)] == [
        guest.id,
        old.id,
    ]
    assert [c.id for c in store.conversations.for_customer("alice_1", limit=1)] == [current.id]
    assert store.conversations.recent_customer_texts("alice_1") == [
        "guest question",
        "Do you have a cream for dry skin?",
    ]
    assert store.conversations.recent_customer_texts("bob_2") == ["Where is my lamp?"]


def test_that_closing_ends_the_open_handoff_and_a_turn_can_reopen_the_conversation(
    store: Store,
) -> None:
    c = store.conversations.start()
    handoff = store.conversations.hand_off(c.id, reason="requested")
    closed = store.conversations.close(c.id)
    assert closed.status == "closed" and closed.closed_at is not None
    assert store.conversations.handoff(handoff.id).status == "closed"
    assert store.conversations.close(c.id) == closed  # closing again changes nothing
    with pytest.raises(ConversationClosed):
        store.conversations.hand_off(c.id, reason="requested")

    reopened = turn(store, closed, said("one more question"), status="active")
    assert reopened.status == "active" and reopened.closed_at is None
    waiting = store.conversations.hand_off(reopened.id, reason="requested")
    withdrawn = turn(store, store.conversations.get(c.id), said("never mind"), status="active")
    assert withdrawn.status == "active" and withdrawn.open_handoff_id is None
    assert store.conversations.handoff(waiting.id).status == "closed"


def test_that_a_staff_takeover_makes_a_turn_read_before_it_stale(store: Store) -> None:
    c = store.conversations.start()
    c = turn(store, c, said("help"), handoff=HandoffInput(reason="requested", summary="help"))
    assert c.open_handoff_id is not None
    store.conversations.take(c.open_handoff_id, staff="Mina")
    with pytest.raises(ConversationChanged):
        turn(store, c, said("hello?"), status="active")
    assert store.conversations.get(c.id).status == "human"


def test_that_the_migrated_schema_matches_the_models_and_migrates_down_and_up(
    db: Database,
) -> None:
    assert db.schema_drift() == []
    config = alembic_config(db.engine)
    head = current_revision(db.engine)
    command.downgrade(config, "0001")
    assert current_revision(db.engine) == "0001"
    assert any("conversations" in d for d in db.schema_drift())
    assert db.migrate() == head
    assert db.schema_drift() == []

"""A process that dies between paying and writing the turn: the next turn (any process) finds
the purchase in the store, tells the customer it went through, once, and never pays again."""

from __future__ import annotations

from collections.abc import Callable

from agent_bench import Bench
from sqlalchemy import func, select

from shopkeep.agent.state import State
from shopkeep.agent.tools import ShopTools
from shopkeep.store.models import Order

OLIVIA = "olivia.brown69@example.com"


def orders_of(b: Bench, email: str) -> int:
    customer_id = b.shop.customers.find_by_email(email)
    with b.shop.db.reading() as s:
        return int(s.scalar(select(func.count()).where(Order.customer_id == customer_id)) or 0)


def die_after_paying(b: Bench, conversation_id: str) -> str:
    """Do what a process does on the customer's yes — the staged purchase, under its key —
    and die before writing the turn: the conversation still says the purchase waits."""
    state = State.model_validate(b.shop.conversations.get(conversation_id).state)
    assert state.staged is not None
    staged = state.staged
    state.turn += 1
    return ShopTools(b.shop, state).commit(staged).id


def test_that_a_purchase_paid_before_a_crash_is_told_once_and_never_charged_again(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    (staged,) = b.chat(OLIVIA, "I'd like to buy the Pebble Boom speaker in black")
    before = orders_of(b, OLIVIA)
    order_id = die_after_paying(b, staged.conversation_id)
    assert orders_of(b, OLIVIA) == before + 1

    (again,) = b.more(staged.conversation_id, "yes")  # the customer's yes, sent again
    assert "went through" in again.reply and order_id in again.reply
    assert again.staged is None
    assert orders_of(b, OLIVIA) == before + 1  # one order, one charge
    conversation = b.shop.conversations.get(staged.conversation_id)
    assert order_id in conversation.order_ids and conversation.resolved

    (later,) = b.more(staged.conversation_id, "yes")
    assert "went through" not in later.reply  # told once
    assert orders_of(b, OLIVIA) == before + 1


def test_that_a_purchase_the_crash_stopped_before_paying_still_waits_for_the_yes(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    (staged,) = b.chat(OLIVIA, "I'd like to buy the Pebble Boom speaker in black")
    before = orders_of(b, OLIVIA)
    # The process died before the store wrote anything: the state is as it was.
    (placed,) = b.more(staged.conversation_id, "yes")
    assert "went through" not in placed.reply
    assert [e["kind"] for e in placed.events].count("order_placed") == 1
    assert orders_of(b, OLIVIA) == before + 1

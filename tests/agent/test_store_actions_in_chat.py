"""The assistant stages only what the store previews: a refusal is told before any yes is asked,
in the customer's language and truthfully; what is staged is the store's typed action; the tool
schemas follow the shop's policy; a conversation saved by an earlier version loads or is closed
with a message, never an error."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from agent_bench import Bench
from test_aftersales_flows import holding, the_order_with
from test_changes import find

from shopkeep.agent.engine import Assistant
from shopkeep.agent.state import State
from shopkeep.agent.toolmode import TOOLBOX, policy_text
from shopkeep.agent.tools import IdentityPolicy
from shopkeep.evals.demo import EVAL_NOW, DemoShop
from shopkeep.llm import ModelGateway, ScriptedBackend
from shopkeep.mcp.server import cancel_order, with_policy
from shopkeep.store import Database, Store
from shopkeep.store.policy import StorePolicy

TAU2 = IdentityPolicy.tau2()
"""These tests verify guests by email or name + zip: tau2-bench's rule, chosen here."""


FOOD_ORDER = "#L5331570"
"""A pending noodle-house order of Mia Moore's, for the 13:00 slot (Seoul) of the eval day."""
MIA = "mia.moore69@example.com"


@pytest.fixture
def after_its_slot(demo_shop: DemoShop, tmp_path: object) -> Iterator[Store]:
    """The demo shop at 13:05 in Seoul: Mia's noodle order is being made."""
    path = demo_shop.folder / "after-slot.sqlite3"
    path.write_bytes(demo_shop.template.read_bytes())
    moment = EVAL_NOW + timedelta(hours=1, minutes=5)
    store = Store(Database(f"sqlite:///{path}"), clock=lambda: moment, rng=random.Random(1))
    yield store
    demo_shop.discard(store)


@pytest.mark.parametrize(
    ("message", "said"),
    [
        (f"Please cancel order {FOOD_ORDER}", "already preparing order #L5331570 for its 13:00"),
        (f"帮我取消订单 {FOOD_ORDER}", "门店已经在为 13:00 的时段制作订单 #L5331570，无法再取消"),
        (f"주문 {FOOD_ORDER} 취소해 주세요", "이미 13:00 시간대에 맞춰 주문 #L5331570"),
    ],
)
def test_that_a_food_order_being_prepared_is_refused_before_any_yes_with_a_true_reason(
    after_its_slot: Store, message: str, said: str
) -> None:
    assistant = Assistant(after_its_slot, ModelGateway(ScriptedBackend([])), identity=TAU2)
    conversation = assistant.start(customer_id=after_its_slot.customers.find_by_email(MIA))
    refused = assistant.reply(conversation, message)
    assert said in refused.reply
    assert refused.staged is None
    assert "only pending" not in refused.reply and "待处理的订单" not in refused.reply
    assert [e["code"] for e in refused.events if e["kind"] == "refused"] == ["order_being_prepared"]
    later = assistant.reply(conversation, "yes")
    assert not [e for e in later.events if e["kind"] == "committed"]
    assert after_its_slot.orders.get(refused_customer(after_its_slot), FOOD_ORDER).status == (
        "pending"
    )


def refused_customer(store: Store) -> str:
    return store.customers.find_by_email(MIA)


def test_that_a_return_made_in_chat_keeps_the_customers_reason(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, orders = find(b.shop, "en", holding("soy-candle-"))
    candles = the_order_with(orders, "soy-candle-")
    reason = "I want to return the candle, the scent is too strong for my flat"
    staged, done = b.chat(customer.email, reason, "yes")
    assert [e["action"] for e in done.events if e["kind"] == "committed"] == ["request_return"]
    assert staged.staged is not None and staged.staged["action"]["reason"] == reason
    request = b.shop.orders.get(customer.id, candles.id).return_request
    assert request is not None and request.reason == reason


def test_that_the_tool_schemas_follow_the_shops_cancel_reasons() -> None:
    policy = StorePolicy(cancel_reasons=("found it cheaper", "too slow"))
    tool = TOOLBOX.tools["cancel_order"]
    schema = tool.spec_for(policy).parameters["properties"]["reason"]
    assert schema["enum"] == ["found it cheaper", "too slow"]
    assert tool.arguments_for(policy).model_validate({"order_id": "#W1", "reason": "too slow"})
    assert '"found it cheaper", "too slow"' in policy_text(policy)
    default = tool.spec_for(StorePolicy()).parameters["properties"]["reason"]["enum"]
    assert default == ["no longer needed", "ordered by mistake"]

    bound = with_policy(cancel_order, policy)
    import inspect
    from typing import get_args

    reason = inspect.signature(bound).parameters["reason"].annotation
    assert get_args(get_args(reason)[0]) == ("found it cheaper", "too slow")


def test_that_a_conversation_saved_with_an_untyped_staged_action_still_confirms(
    bench: Callable[..., Bench],
) -> None:
    """As a conversation written before actions were typed keeps it: a name and its arguments."""
    b = bench()
    customer = b.shop.customers.find_by_email("noah.davis68@example.org")
    conversation = b.assistant.start(customer_id=customer)
    view = b.shop.conversations.get(conversation)
    old = {
        "customer_id": customer,
        "logged_in": True,
        "turn": 1,
        "stack": [{"job": "cancel", "slots": {"request": "cancel #W7843869"}, "asked": None}],
        "staged": {
            "action": "cancel_order",
            "job": "cancel",
            "args": {
                "order_id": "#W7843869",
                "reason": "no longer needed",
                "refund": {"amount": 17900, "currency": "USD"},
            },
            "shown": "I can cancel order #W7843869. Shall I cancel it?",
            "turn": 1,
            "key": "cancel_order-from-before",
        },
    }
    b.shop.conversations.record_turn(conversation, expected_version=view.version, state=old)
    (done,) = b.more(conversation, "yes")
    assert [e["action"] for e in done.events if e["kind"] == "committed"] == ["cancel_order"]
    assert b.shop.orders.get(customer, "#W7843869").status == "cancelled"


def test_that_a_conversation_this_version_cannot_read_is_closed_with_a_message(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer = b.shop.customers.find_by_email("noah.davis68@example.org")
    conversation = b.assistant.start(customer_id=customer)
    view = b.shop.conversations.get(conversation)
    unreadable = {
        "customer_id": customer,
        "turn": 3,
        "staged": {"action": "teleport_order", "job": "cancel", "args": {}, "shown": "?"},
    }
    b.shop.conversations.record_turn(conversation, expected_version=view.version, state=unreadable)
    (told,) = b.more(conversation, "예")
    assert "이전 버전" in told.reply and told.staged is None
    assert b.shop.conversations.get(conversation).status == "closed"
    assert State.load(b.shop.conversations.get(conversation).state) == State()

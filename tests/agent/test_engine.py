"""The engine's guarantees, whatever the model says: identity, ownership, confirmation in a
later turn, handoff, languages, and a conversation that survives a restart."""

from __future__ import annotations

from collections.abc import Callable

from agent_bench import Bench
from sqlalchemy import func, select

from shopkeep.agent.engine import Assistant
from shopkeep.agent.tools import IdentityPolicy
from shopkeep.evals.demo import EVAL_NOW
from shopkeep.llm import ModelGateway, ScriptedBackend
from shopkeep.store import Database, Store
from shopkeep.store.models import Customer, Order

TAU2 = IdentityPolicy.tau2()
"""These tests verify guests by email or name + zip: tau2-bench's rule, chosen here."""


def customer_with(
    shop: Store, status: str, *, exactly: int = 1, locale: str | None = None
) -> tuple[Customer, list[Order]]:
    """A demo customer (speaking `locale`) with exactly `exactly` orders in `status`, and
    those orders."""
    with shop.db.reading() as s:
        counts = s.execute(
            select(Order.customer_id, func.count())
            .where(Order.status == status, Order.kind == "retail")
            .group_by(Order.customer_id)
        ).all()
        for customer_id, count in sorted(counts):
            if count == exactly:
                customer = s.get(Customer, customer_id)
                assert customer is not None
                if locale is not None and customer.locale != locale:
                    continue
                orders = list(
                    s.scalars(
                        select(Order).where(
                            Order.customer_id == customer_id, Order.status == status
                        )
                    )
                )
                s.expunge_all()
                return customer, orders
    raise AssertionError(f"the demo has no customer with exactly {exactly} {status} orders")


def status_of(shop: Store, order_id: str) -> str:
    with shop.db.reading() as s:
        order = s.get(Order, order_id)
        assert order is not None
        return str(order.status)


def test_that_a_cancel_is_staged_and_done_only_after_a_yes_in_a_later_turn(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, (order,) = customer_with(b.shop, "pending")
    first, second = b.chat(customer.email, f"Please cancel order {order.id}", "yes")
    assert first.staged is not None and first.staged["action"]["kind"] == "cancel_order"
    assert order.id in first.reply
    assert status_of(b.shop, order.id) == "cancelled"
    assert [e["kind"] for e in first.events] == []
    committed = [e for e in second.events if e["kind"] == "committed"]
    assert committed == [
        {
            "kind": "committed",
            "turn": 2,
            "action": "cancel_order",
            "staged_turn": 1,
            "order_id": order.id,
        }
    ]
    assert b.backend.requests == []  # keywords and extractors settled every turn


def test_that_a_yes_in_the_same_message_as_the_request_executes_nothing(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, (order,) = customer_with(b.shop, "pending")
    (result,) = b.chat(customer.email, f"cancel {order.id}, yes I confirm, do it now")
    assert status_of(b.shop, order.id) == "pending"
    assert result.staged is not None


def test_that_a_no_at_the_confirmation_leaves_the_order_as_it_was(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, (order,) = customer_with(b.shop, "pending")
    *_, last = b.chat(customer.email, f"取消订单 {order.id}", "不要")
    assert status_of(b.shop, order.id) == "pending"
    assert last.staged is None
    assert last.language == "zh"


def test_that_another_customers_order_is_not_found_and_nothing_about_it_is_said(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    me, _ = customer_with(b.shop, "pending")
    other, (theirs,) = customer_with(b.shop, "delivered")
    if other.id == me.id:  # pragma: no cover - the demo has many customers
        raise AssertionError("pick two different customers")
    results = b.chat(me.email, f"cancel my order {theirs.id}", "yes")
    assert status_of(b.shop, theirs.id) == "delivered"
    for r in results:
        assert "delivered" not in r.reply.lower()
        assert str(theirs.total_minor / 100) not in r.reply
    assert any(e.get("code") == "order_not_found" for e in results[0].events)


def test_that_a_guest_proves_who_they_are_by_email_before_seeing_an_order(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, (order,) = customer_with(b.shop, "delivered")
    asked, proved = b.chat(None, f"where is my order {order.id}?", customer.email)
    assert order.id not in asked.reply
    assert any(e["kind"] == "verified" for e in proved.events)
    assert order.id in proved.reply


def test_that_a_guest_can_prove_who_they_are_by_name_and_zip_in_korean(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, (order,) = customer_with(b.shop, "delivered", locale="ko")
    address = b.shop.customers.get(customer.id).default_address
    assert address is not None
    _, proved = b.chat(
        None,
        f"주문 {order.id} 어디까지 왔어요?",
        f"제 이름은 {customer.last_name}{customer.first_name}이고 우편번호는 {address.zip}예요",
    )
    assert any(e["kind"] == "verified" for e in proved.events), proved.reply
    assert order.id in proved.reply
    assert proved.language == "ko"


def test_that_a_wrong_email_verifies_no_one(bench: Callable[..., Bench]) -> None:
    b = bench()
    _, (order,) = customer_with(b.shop, "delivered")
    _, failed = b.chat(None, f"status of {order.id}", "nobody@example.com")
    assert not any(e["kind"] == "verified" for e in failed.events)
    assert order.id not in failed.reply


def test_that_asking_for_a_human_queues_the_conversation_with_a_summary(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, _ = customer_with(b.shop, "pending")
    (result,) = b.chat(customer.email, "我要转人工")
    assert result.handed_off
    (waiting,) = b.shop.conversations.queue()
    assert waiting.conversation_id == result.conversation_id
    assert customer.id in waiting.summary


def test_that_three_turns_the_model_cannot_place_hand_the_conversation_over(
    bench: Callable[..., Bench],
) -> None:
    b = bench("{}", "{}", "{}")
    results = b.chat(None, "blorp", "zzzz qqq", "fnord")
    assert [r.handed_off for r in results] == [False, False, True]
    assert len(b.backend.requests) == 3


def test_that_a_restarted_process_finishes_a_staged_cancel_from_where_it_stood(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    customer, (order,) = customer_with(b.shop, "pending")
    (staged,) = b.chat(customer.email, f"cancel {order.id}")
    path = b.shop.db.sqlite_path
    b.shop.close()
    reopened = Store(Database(f"sqlite:///{path}"), clock=lambda: EVAL_NOW)
    assistant = Assistant(reopened, ModelGateway(ScriptedBackend([])), identity=TAU2)
    done = assistant.reply(staged.conversation_id, "yes")
    assert any(e["kind"] == "committed" for e in done.events)
    assert status_of(reopened, order.id) == "cancelled"
    reopened.close()


def test_that_the_reply_follows_the_language_of_each_message(bench: Callable[..., Bench]) -> None:
    b = bench()
    customer, _ = customer_with(b.shop, "pending")
    results = b.chat(customer.email, "hello", "你好", "안녕하세요")
    assert [r.language for r in results] == ["en", "zh", "ko"]
    assert "您好" in results[1].reply and "안녕하세요" in results[2].reply


def test_that_free_wording_keeps_a_grounded_rewording_and_drops_one_that_adds_a_fact(
    shop: Store,
) -> None:
    customer, (order,) = customer_with(shop, "pending")
    backend = ScriptedBackend(
        [
            lambda request: f"Sure! Order {order.id} can be cancelled — just say yes.",
            lambda request: f"Done, {order.id} is cancelled and you get a 10% voucher!",
        ]
    )
    assistant = Assistant(shop, ModelGateway(backend), free_wording=True, identity=TAU2)
    conversation = assistant.start(customer_id=customer.id)
    staged = assistant.reply(conversation, f"cancel {order.id}")
    done = assistant.reply(conversation, "yes")
    assert staged.reply == f"Sure! Order {order.id} can be cancelled — just say yes."
    assert "10%" not in done.reply and "voucher" not in done.reply
    assert order.id in done.reply
    assert len(done.usage) == 1


def test_that_orders_in_a_state_are_found_however_many_newer_orders_are_in_others(
    shop: Store,
) -> None:
    from shopkeep.agent.state import State
    from shopkeep.agent.tools import ShopTools

    for customer in shop.customers.page(limit=100):
        history = shop.orders.history(customer.id)
        if (
            len(history) >= 2
            and history[0].status != "delivered"
            and any(o.status == "delivered" for o in history)
        ):
            break
    else:  # pragma: no cover - the demo has such customers
        raise AssertionError("no demo customer with a delivered order behind a newer one")
    tools = ShopTools(shop, State(customer_id=customer.id))
    (found,) = tools.orders({"delivered"}, limit=1)
    assert found.status == "delivered"
    assert found.id == next(o.id for o in history if o.status == "delivered")


def test_that_an_answered_question_resolves_the_conversation_and_small_talk_does_not(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    (asked,) = b.chat(None, "do you have wireless earbuds?")
    (greeted,) = b.chat(None, "hello!")
    assert asked.job == "search" and greeted.job == "smalltalk"
    assert b.shop.conversations.get(asked.conversation_id).resolved is True
    assert b.shop.conversations.get(greeted.conversation_id).resolved is False

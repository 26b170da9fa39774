"""The function-calling modes (`tools` and `baseline`) keep the engine's guarantees whatever the
model calls: identity, ownership, confirmation in a later turn; and the baseline is the plain
agent the flows are compared with: every tool and the whole policy in its prompt."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from agent_bench import Bench
from sqlalchemy import select

from shopkeep.agent import toolmode
from shopkeep.agent.toolmode import POLICY, TOOLBOX, TOOLS_SYSTEM, baseline_system, policy_text
from shopkeep.llm import ChatRequest
from shopkeep.llm.backends.scripted import estimate_tokens
from shopkeep.store import Store
from shopkeep.store.checkout import LineRequest
from shopkeep.store.models import Order
from shopkeep.store.money import Money
from shopkeep.store.policy import StorePolicy

CUSTOMER = "haoran.li70@example.com"
"""A demo customer with one pending and one delivered order, and a credit card."""
OTHER = "zixuan.liu47@example.net"


def call(name: str, **arguments: Any) -> str:
    """A tool call as Qwen models write it."""
    return "<tool_call>" + json.dumps({"name": name, "arguments": arguments}) + "</tool_call>"


def order_of(shop: Store, email: str, status: str) -> Order:
    customer_id = shop.customers.find_by_email(email)
    with shop.db.reading() as s:
        order = s.scalars(
            select(Order)
            .where(Order.customer_id == customer_id, Order.status == status)
            .order_by(Order.id)
        ).first()
        assert order is not None, f"{email} has no {status} order in the demo"
        s.expunge_all()
        return order


def status_of(shop: Store, order_id: str) -> str:
    with shop.db.reading() as s:
        order = s.get(Order, order_id)
        assert order is not None
        return str(order.status)


def tool_results(request: ChatRequest) -> list[str]:
    return [m.content for m in request.messages if m.role == "tool"]


def prompt_tokens(request: ChatRequest) -> int:
    """What the prompt weighs: its messages and the tool schemas a chat template adds."""
    text = "".join(m.content for m in request.messages)
    return estimate_tokens(text + json.dumps([t.as_openai() for t in request.tools]))


# --- confirmation ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["tools", "baseline"])
def test_that_the_models_cancel_call_only_stages_and_a_yes_in_the_next_turn_does_it(
    bench: Callable[..., Bench], mode: str
) -> None:
    order = order_of(bench().shop, CUSTOMER, "pending")
    b = bench(call("cancel_order", order_id=order.id, reason="no longer needed"), mode=mode)
    first, second = b.chat(CUSTOMER, f"please cancel {order.id}", "yes")
    assert first.staged is not None and first.staged["action"]["kind"] == "cancel_order"
    assert order.id in first.reply and "$54.99" in first.reply
    assert [e["kind"] for e in first.events] == ["staged"]
    assert status_of(b.shop, order.id) == "cancelled"
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
    assert len(b.backend.requests) == 1  # the yes is settled in code, not by the model


def test_that_nothing_changes_while_the_action_waits_for_the_yes(
    bench: Callable[..., Bench],
) -> None:
    order = order_of(bench().shop, CUSTOMER, "pending")
    b = bench(call("cancel_order", order_id=order.id, reason="no longer needed"), mode="tools")
    (result,) = b.chat(CUSTOMER, f"cancel {order.id}")
    assert result.staged is not None
    assert status_of(b.shop, order.id) == "pending"


def test_that_a_yes_in_the_same_message_as_the_request_executes_nothing(
    bench: Callable[..., Bench],
) -> None:
    order = order_of(bench().shop, CUSTOMER, "pending")
    b = bench(call("cancel_order", order_id=order.id, reason="no longer needed"), mode="tools")
    (result,) = b.chat(CUSTOMER, f"cancel {order.id}, yes I confirm, do it now")
    assert status_of(b.shop, order.id) == "pending"
    assert result.staged is not None
    assert not [e for e in result.events if e["kind"] == "committed"]


def test_that_a_no_declines_the_staged_action_and_changes_nothing(
    bench: Callable[..., Bench],
) -> None:
    order = order_of(bench().shop, CUSTOMER, "pending")
    b = bench(call("cancel_order", order_id=order.id, reason="no longer needed"), mode="tools")
    _, second = b.chat(CUSTOMER, f"cancel {order.id}", "no")
    assert status_of(b.shop, order.id) == "pending"
    assert second.staged is None
    assert [e["kind"] for e in second.events] == ["declined"]
    assert "haven't done anything" in second.reply


def test_that_a_correction_drops_the_staged_action_and_the_model_stages_it_again(
    bench: Callable[..., Bench],
) -> None:
    order = order_of(bench().shop, CUSTOMER, "pending")
    b = bench(
        call("cancel_order", order_id=order.id, reason="no longer needed"),
        call("cancel_order", order_id=order.id, reason="ordered by mistake"),
        mode="tools",
    )
    _, second, _ = b.chat(CUSTOMER, f"cancel {order.id}", "actually I ordered it by mistake", "yes")
    assert [e["kind"] for e in second.events] == ["dropped", "staged"]
    assert "ordered by mistake" in second.reply
    view = b.shop.orders.get(b.shop.customers.find_by_email(CUSTOMER), order.id)
    assert (view.status, view.cancel_reason) == ("cancelled", "ordered by mistake")


def test_that_a_yes_to_a_question_that_staged_nothing_executes_nothing(
    bench: Callable[..., Bench],
) -> None:
    order = order_of(bench().shop, CUSTOMER, "pending")
    b = bench(
        "Do you want me to look at your orders?",
        call("list_orders"),
        "Here they are.",
        mode="tools",
    )
    b.chat(CUSTOMER, "hi", "yes")
    assert status_of(b.shop, order.id) == "pending"
    assert not [e for r in b.results for e in r.events if e["kind"] == "committed"]


def test_that_the_staged_summary_is_the_stores_and_not_the_models_words(
    bench: Callable[..., Bench],
) -> None:
    order = order_of(bench().shop, CUSTOMER, "pending")
    b = bench(
        "Sure! Refund of $1.00 coming. "
        + call("cancel_order", order_id=order.id, reason="no longer needed"),
        mode="tools",
    )
    (result,) = b.chat(CUSTOMER, f"주문 {order.id} 취소해 주세요")
    assert "$1.00" not in result.reply
    assert "$54.99" in result.reply and "취소할" not in result.reply
    assert "진행할까요" in result.reply  # the summary and its question in the customer's language


# --- identity and ownership -----------------------------------------------------------------


def test_that_another_customers_order_is_not_found_for_the_model_and_never_reaches_the_reply(
    bench: Callable[..., Bench],
) -> None:
    other = order_of(bench().shop, OTHER, "pending")

    def echo(request: ChatRequest) -> str:
        # A model that repeats what it was told, and names the order and its owner.
        return f"{tool_results(request)[-1]} Order {other.id} of {OTHER} is on its way."

    b = bench(call("get_order", order_id=other.id), echo, mode="tools")
    (result,) = b.chat(CUSTOMER, f"where is order {other.id}?")
    told = tool_results(b.backend.requests[1])[-1]
    assert "order_not_found" in told
    assert "Cotton" not in told and "$30.99" not in told
    assert other.id not in result.reply and OTHER not in result.reply
    assert status_of(b.shop, other.id) == "pending"


def test_that_a_consequential_call_on_another_customers_order_stages_nothing(
    bench: Callable[..., Bench],
) -> None:
    other = order_of(bench().shop, OTHER, "pending")
    b = bench(
        call("cancel_order", order_id=other.id, reason="no longer needed"),
        "I couldn't find that order.",
        "There is nothing to confirm.",
        mode="baseline",
    )
    first, _ = b.chat(CUSTOMER, f"cancel {other.id}", "yes")
    assert first.staged is None
    assert "order_not_found" in tool_results(b.backend.requests[1])[-1]
    assert status_of(b.shop, other.id) == "pending"


def test_that_account_tools_are_refused_until_the_customer_is_verified(
    bench: Callable[..., Bench],
) -> None:
    order = order_of(bench().shop, CUSTOMER, "pending")
    b = bench(
        call("get_order", order_id=order.id),
        call("verify_customer_by_email", email=CUSTOMER),
        call("get_order", order_id=order.id),
        "It is pending.",
        mode="baseline",
    )
    (result,) = b.chat(None, f"I'm {CUSTOMER}, where is {order.id}?")
    refused, verified, shown = tool_results(b.backend.requests[3])
    assert refused.startswith("error: verify the customer first")
    assert json.loads(verified)["verified"] is True
    assert json.loads(shown)["order_id"] == order.id
    assert [e["kind"] for e in result.events] == ["verified"]
    assert result.reply == "It is pending."


def test_that_a_name_written_family_name_first_still_verifies(
    bench: Callable[..., Bench],
) -> None:
    customer = bench().shop.customers.get(bench().shop.customers.find_by_email(CUSTOMER))
    zip_code = customer.addresses[0].zip
    b = bench(
        call(
            "verify_customer_by_name_zip",
            first_name=customer.last_name,
            last_name=customer.first_name,
            zip_code=zip_code,
        ),
        "您好，已确认身份。",
        mode="tools",
    )
    (result,) = b.chat(None, f"我是{customer.last_name}{customer.first_name}，邮编 {zip_code}")
    assert [e for e in result.events if e["kind"] == "verified"] == [
        {"kind": "verified", "turn": 1, "customer_id": customer.id}
    ]


def test_that_a_guest_in_tools_mode_is_not_offered_account_tools(
    bench: Callable[..., Bench],
) -> None:
    b = bench(call("get_order", order_id="#W1234567"), "Please tell me your email.", mode="tools")
    b.chat(None, "where is my order #W1234567?")
    offered = {t.name for t in b.backend.requests[0].tools}
    assert "get_order" not in offered and "verify_customer_by_email" in offered
    told = b.backend.requests[1].messages[-1]
    assert told.role == "user" and "unknown tool 'get_order'" in told.content
    assert "once the customer is verified" in told.content


def test_that_a_verified_conversation_cannot_switch_to_another_customer(
    bench: Callable[..., Bench],
) -> None:
    b = bench(call("verify_customer_by_email", email=OTHER), "Sorry.", mode="baseline")
    (result,) = b.chat(CUSTOMER, f"I am {OTHER} actually")
    assert "another customer" in tool_results(b.backend.requests[1])[-1]
    conversation = b.shop.conversations.get(result.conversation_id)
    assert conversation.state["customer_id"] == b.shop.customers.find_by_email(CUSTOMER)


def test_that_three_failed_verifications_hand_the_conversation_to_a_human(
    bench: Callable[..., Bench],
) -> None:
    b = bench(
        *[call("verify_customer_by_email", email=f"x{i}@nowhere.test") for i in range(3)],
        mode="baseline",
    )
    (result,) = b.chat(None, "I'm someone, show my orders")
    assert result.handed_off
    assert [e["kind"] for e in result.events] == ["handoff"]
    assert "x2@nowhere.test" not in result.reply


# --- the model's mistakes -------------------------------------------------------------------


def test_that_bad_arguments_give_the_model_an_error_and_not_an_exception(
    bench: Callable[..., Bench],
) -> None:
    order = order_of(bench().shop, CUSTOMER, "pending")
    b = bench(
        call("get_order"),
        call("cancel_order", order_id=order.id, reason="because"),
        call("get_order", order_id="not an id"),
        call("nonexistent_tool"),
        "Sorry, I could not do that.",
        mode="tools",
    )
    (result,) = b.chat(CUSTOMER, "cancel my order")
    last = b.backend.requests[-1]
    missing, reason, not_an_id = tool_results(last)
    assert missing == "error: bad arguments for get_order(order_id): order_id: Field required"
    assert reason == (
        "error: bad arguments for cancel_order(order_id, reason): reason: Input should be "
        "'no longer needed' or 'ordered by mistake'"
    )
    assert not_an_id.startswith("error: 'not an id' is not an order id")
    assert "unknown tool 'nonexistent_tool'" in last.messages[-1].content
    assert result.reply == "Sorry, I could not do that."
    assert status_of(b.shop, order.id) == "pending"
    commands = b.shop.conversations.messages(result.conversation_id)[0].commands
    assert [c.get("ok") for c in commands] == [False, False, False, None]
    assert commands[-1] == {"kind": "tool_problem", "problems": ["unknown tool 'nonexistent_tool'"]}


def test_that_a_call_missing_its_last_brace_is_still_read(bench: Callable[..., Bench]) -> None:
    order = order_of(bench().shop, CUSTOMER, "pending")
    arguments = {"order_id": order.id[1:], "reason": "no longer needed"}
    unclosed = json.dumps({"name": "cancel_order", "arguments": arguments})[:-1]
    b = bench(unclosed, mode="tools")
    (result,) = b.chat(CUSTOMER, f"cancel {order.id}")
    assert result.staged is not None and result.staged["action"]["order_id"] == order.id


def test_that_an_unreadable_call_is_never_shown_to_the_customer(
    bench: Callable[..., Bench],
) -> None:
    b = bench('{"name": "get_order", "arguments": {"order_id": "#W12', "Which order?", mode="tools")
    (result,) = b.chat(CUSTOMER, "where is my order")
    assert result.reply == "Which order?"
    assert "unreadable tool call" in b.backend.requests[1].messages[-1].content


def test_that_a_reply_echoing_a_tool_result_is_not_shown_to_the_customer(
    bench: Callable[..., Bench],
) -> None:
    b = bench(call("list_promotions"), '{"coupons": []}', "We have no coupons now.", mode="tools")
    (result,) = b.chat(None, "any coupons?")
    assert result.reply == "We have no coupons now."
    assert "not a reply" in b.backend.requests[2].messages[-1].content


def test_that_a_reply_listing_many_calls_runs_only_the_first_few_and_no_repeats(
    bench: Callable[..., Bench],
) -> None:
    names = ["list_promotions", "list_local_stores", "list_promotions", "get_menu", "search"]
    b = bench("".join(call(name) for name in names), "Done.", mode="tools")
    (result,) = b.chat(None, "anything")
    commands = b.shop.conversations.messages(result.conversation_id)[0].commands
    assert [c["name"] for c in commands] == names[: toolmode.MAX_CALLS_AT_ONCE]
    assert commands[2]["result"].startswith("error: this call was already made")


def test_that_a_store_refusal_reaches_the_model_as_its_code_once(
    bench: Callable[..., Bench],
) -> None:
    delivered = order_of(bench().shop, CUSTOMER, "delivered")
    cancel = call("cancel_order", order_id=delivered.id, reason="no longer needed")
    b = bench(cancel, cancel, "That order was delivered, so it can't be cancelled.", mode="tools")
    (result,) = b.chat(CUSTOMER, f"cancel {delivered.id}")
    first, again = tool_results(b.backend.requests[2])
    assert json.loads(first)["error"] == "order_not_cancellable" and again == first
    assert result.staged is None
    assert [e["kind"] for e in result.events] == ["refused"]


def test_that_a_model_that_never_answers_gets_a_polite_reply_after_six_calls(
    bench: Callable[..., Bench],
) -> None:
    b = bench(*[call("list_promotions")] * toolmode.MAX_MODEL_CALLS, mode="tools")
    (result,) = b.chat(None, "any deals?")
    assert "didn't understand" in result.reply
    assert len(result.usage) == toolmode.MAX_MODEL_CALLS


# --- prompts, history, usage ----------------------------------------------------------------


def test_that_the_baseline_prompt_holds_the_policy_and_every_tool_and_tools_mode_is_much_smaller(
    bench: Callable[..., Bench],
) -> None:
    base = bench("Which order?", mode="baseline")
    base.chat(CUSTOMER, "I want to cancel an order")
    lean = bench("Which order?", mode="tools")
    lean.chat(CUSTOMER, "I want to cancel an order")
    (baseline,) = base.backend.requests
    (tools,) = lean.backend.requests
    policy = StorePolicy()
    assert baseline.messages[0].content == baseline_system(policy)
    assert policy_text(policy) in baseline_system(policy) and POLICY.startswith("# Shop")
    assert {t.name for t in baseline.tools} == set(TOOLBOX.tools)
    assert tools.messages[0].content == TOOLS_SYSTEM
    assert prompt_tokens(baseline) > 4 * prompt_tokens(tools)


def test_that_tools_mode_offers_the_tools_of_the_likely_jobs_and_all_when_nothing_tells(
    bench: Callable[..., Bench],
) -> None:
    b = bench("Which order?", "Sure.", "Hm?", mode="tools")
    conversation = b.chat(CUSTOMER, "I want to cancel an order")[0].conversation_id
    b.more(conversation, "the pink one")  # nothing in it: the previous turn's job still holds
    b.chat(CUSTOMER, "hmm")
    cancel, still_cancel, anything = ({t.name for t in r.tools} for r in b.backend.requests)
    assert (
        cancel
        == still_cancel
        == {
            "get_customer",
            "list_orders",
            "get_order",
            "cancel_order",
            "transfer_to_human",
        }
    )
    assert anything == {t for t in TOOLBOX.tools if not t.startswith("verify_")}


def test_that_a_call_to_a_tool_left_out_gets_every_tool_on_the_next_try(
    bench: Callable[..., Bench],
) -> None:
    b = bench(call("list_local_stores"), call("list_local_stores"), "Here.", mode="tools")
    (result,) = b.chat(CUSTOMER, "I want to cancel an order")
    first, second, _ = b.backend.requests
    assert "list_local_stores" not in {t.name for t in first.tools}
    assert "list_local_stores" in {t.name for t in second.tools}
    assert result.reply == "Here."


def test_that_the_customers_language_is_told_to_the_model_after_the_stable_prompt(
    bench: Callable[..., Bench],
) -> None:
    b = bench("안녕하세요!", "네.", mode="tools")
    b.chat(CUSTOMER, "안녕하세요", "고마워요")
    first, second = b.backend.requests
    assert "reply in Korean" in first.messages[-1].content
    # The second call's prompt starts with the first's system prompt and conversation.
    assert [m.content for m in second.messages[:2]] == [TOOLS_SYSTEM, "안녕하세요"]


def test_that_earlier_tool_calls_and_their_results_are_replayed_in_later_turns(
    bench: Callable[..., Bench],
) -> None:
    b = bench(call("list_promotions"), "Here are the deals.", "You're welcome.", mode="tools")
    b.chat(None, "any coupons?", "thanks")
    later = b.backend.requests[2]
    roles = [m.role for m in later.messages]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert later.messages[2].tool_calls[0].name == "list_promotions"
    assert "coupons" in later.messages[3].content
    assert later.messages[4].content == "Here are the deals."


def test_that_the_usage_of_every_model_call_is_recorded(bench: Callable[..., Bench]) -> None:
    b = bench(call("list_promotions"), call("list_local_stores"), "Here you go.", mode="baseline")
    (result,) = b.chat(None, "deals and stores?")
    assert len(result.usage) == 3
    assert {u.purpose for u in result.usage} == {"baseline"}
    conversation = b.shop.conversations.get(result.conversation_id)
    assert conversation.model_calls == 3
    assert conversation.prompt_tokens == sum(u.prompt_tokens for u in result.usage) > 0
    commands = b.shop.conversations.messages(result.conversation_id)[0].commands
    assert [(c["kind"], c["name"], c["ok"]) for c in commands] == [
        ("tool", "list_promotions", True),
        ("tool", "list_local_stores", True),
    ]


# --- the other consequential tools stage the store's own amounts ----------------------------


def test_that_a_return_is_staged_with_the_refund_the_store_will_make(
    bench: Callable[..., Bench],
) -> None:
    shop = bench().shop
    delivered = order_of(shop, CUSTOMER, "delivered")
    customer_id = shop.customers.find_by_email(CUSTOMER)
    view = shop.orders.get(customer_id, delivered.id)
    item = view.items[0]
    b = bench(
        call(
            "request_return",
            order_id=delivered.id,
            item_ids=[item.variant_id],
            refund_method_id=view.payment_method_id,
        ),
        mode="tools",
    )
    first, second = b.chat(CUSTOMER, f"我想退掉订单 {delivered.id} 的第一件商品", "是的")
    refund = Money(item.unit_price.amount - item.discount.amount, item.unit_price.currency)
    assert first.staged is not None
    assert first.staged["action"]["item_ids"] == [item.variant_id]
    assert f"退款 {refund.display()}" in first.reply
    assert [e["kind"] for e in second.events] == ["committed"]
    after = b.shop.orders.get(customer_id, delivered.id)
    assert after.status == "return requested"
    assert after.return_request is not None and after.return_request.refund == refund


def test_that_an_order_is_staged_with_the_stores_quote(bench: Callable[..., Bench]) -> None:
    shop = bench().shop
    hit = shop.catalog.search("power bank", in_stock_only=True)[0]
    variant = next(v for v in hit.matching_variants if v.in_stock)
    customer = shop.customers.get(shop.customers.find_by_email(CUSTOMER))
    method = customer.payment_methods[-1]
    quote = shop.checkout.quote(customer.id, lines=[LineRequest(variant_id=variant.id, quantity=2)])
    b = bench(
        call(
            "place_order",
            lines=[{"variant_id": variant.id, "quantity": 2}],
            payment_method_id=method.id,
        ),
        mode="tools",
    )
    (result,) = b.chat(CUSTOMER, "buy two power banks")
    assert result.staged is not None
    assert result.staged["action"]["expected_total"]["amount"] == quote.total.amount
    assert quote.total.display() in result.reply
    assert len(shop.orders.history(customer.id)) == 2  # nothing placed yet


def test_that_a_food_order_is_staged_for_an_open_slot_and_placed_on_the_yes(
    bench: Callable[..., Bench],
) -> None:
    shop = bench().shop
    store_id = "cloud-pearl-hongdae"
    item = shop.local.menu(store_id)[0]
    slot = shop.local.slots(store_id, count=3)[2]
    customer = shop.customers.get(shop.customers.find_by_email(CUSTOMER))
    method = customer.payment_methods[-1]
    b = bench(
        call(
            "place_local_order",
            store_id=store_id,
            lines=[{"menu_item_id": item.id, "quantity": 2, "options": {"sugar": "50"}}],
            slot_start=slot.starts_at.astimezone(ZoneInfo("Asia/Seoul")).isoformat(),
            payment_method_id=method.id,
        ),
        mode="tools",
    )
    first, second = b.chat(CUSTOMER, "버블티 두 잔 픽업 주문할게요", "네")
    assert first.staged is not None and first.staged["action"]["kind"] == "place_local_order"
    assert "12:30" in first.reply and "클래식 펄 밀크티" in first.reply
    (placed,) = [e for e in second.events if e["kind"] == "order_placed"]
    order = shop.orders.get(customer.id, placed["order_id"])
    assert order.slot_start == slot.starts_at and order.local_store_id == store_id
    assert placed["total_minor"] == first.staged["action"]["expected_total"]["amount"]


def test_that_a_full_or_closed_slot_is_refused_with_the_next_open_ones(
    bench: Callable[..., Bench],
) -> None:
    shop = bench().shop
    item = shop.local.menu("cloud-pearl-hongdae")[0]
    customer = shop.customers.get(shop.customers.find_by_email(CUSTOMER))
    b = bench(
        call(
            "place_local_order",
            store_id="cloud-pearl-hongdae",
            lines=[{"menu_item_id": item.id}],
            slot_start="2026-11-21T03:00:00+09:00",  # 3 a.m. in Seoul, tomorrow
            payment_method_id=customer.payment_methods[-1].id,
        ),
        "That time is closed.",
        mode="tools",
    )
    (result,) = b.chat(CUSTOMER, "one milk tea at 3am")
    told = json.loads(tool_results(b.backend.requests[1])[-1])
    assert told["error"] == "store_closed"
    later = [a["slot"] for a in told["details"]["alternatives"]]
    assert later and all(slot.startswith("2026-11-21T") for slot in later)
    assert result.staged is None


# --- the pieces -----------------------------------------------------------------------------


def test_that_tool_schemas_come_from_the_signatures_without_references_or_titles() -> None:
    spec = TOOLBOX.tools["place_order"].spec
    text = json.dumps(spec.parameters)
    assert "$ref" not in text and '"title"' not in text
    properties = spec.parameters["properties"]
    assert properties["lines"]["items"]["properties"]["variant_id"] == {"type": "string"}
    assert properties["address_id"]["type"] == "integer"
    assert set(spec.parameters["required"]) == {"lines", "payment_method_id"}
    cancel = TOOLBOX.tools["cancel_order"].spec_for(StorePolicy()).parameters["properties"]
    assert cancel["reason"]["enum"] == ["no longer needed", "ordered by mistake"]


def test_that_every_consequential_action_has_a_tool_and_only_those_tools_stage() -> None:
    consequential = {name for name, t in TOOLBOX.tools.items() if t.consequential}
    assert consequential == {
        "place_order",
        "place_local_order",
        "cancel_order",
        "change_address",
        "change_items",
        "change_payment_method",
        "request_return",
        "request_exchange",
    }
    assert all(TOOLBOX.tools[name].account for name in consequential)

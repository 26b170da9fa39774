"""The gateway every model call goes through, driven by the scripted backend."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from shopkeep.llm import (
    ChatRequest,
    Completion,
    LLMSettings,
    Message,
    ModelGateway,
    PriceTable,
    ScriptedBackend,
    TextDelta,
    ToolCall,
    ToolSpec,
    UsageLedger,
    UsageRecord,
    open_gateway,
    read_usage_log,
)
from shopkeep.llm.errors import ScriptExhausted

FIND_ORDER = ToolSpec(
    "find_order",
    "Look up an order by its id.",
    {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
)


def ask(text: str, **kwargs: object) -> ChatRequest:
    return ChatRequest((Message.system("You are a shop assistant."), Message.user(text)), **kwargs)  # type: ignore[arg-type]


def test_that_every_call_is_recorded_for_its_conversation() -> None:
    ledger = UsageLedger()
    gateway = ModelGateway(ScriptedBackend(["Hello!", "Bye.", "Hi again."]), sinks=[ledger])
    gateway.complete(ask("hi"), conversation_id="c1", purpose="reply")
    gateway.complete(ask("hello"), conversation_id="c2")
    gateway.complete(ask("bye"), conversation_id="c1")
    assert [r.conversation_id for r in ledger.records()] == ["c1", "c2", "c1"]
    first = ledger.records("c1")[0]
    assert (first.purpose, first.backend, first.price_entry) == ("reply", "scripted", "local")
    assert first.prompt_tokens > 0 and first.completion_tokens == 2  # "Hello!" ≈ 6 chars / 4
    assert first.tokens_estimated
    assert ledger.totals("c1").calls == 2


def test_that_a_call_is_billed_at_the_gateway_price_entry() -> None:
    ledger = UsageLedger()
    gateway = ModelGateway(
        ScriptedBackend(["x" * 400]),
        prices=PriceTable.from_settings(LLMSettings()),
        price_entry="gpt-5.2",
        sinks=[ledger],
    )
    completion = gateway.complete(ask("hi"), conversation_id="c1")
    usage = completion.usage
    assert usage.completion_tokens == 100
    expected = usage.prompt_tokens * 1_750_000 + 100 * 14_000_000
    assert usage.cost_pico_usd == expected
    assert ledger.records() == [usage]


def test_that_the_script_replays_in_order_and_then_refuses() -> None:
    backend = ScriptedBackend(["one", lambda request: request.messages[-1].content.upper()])
    gateway = ModelGateway(backend)
    assert gateway.complete(ask("a"), conversation_id="c").text == "one"
    assert gateway.complete(ask("echo me"), conversation_id="c").text == "ECHO ME"
    with pytest.raises(ScriptExhausted, match="the script has 2 replies and call 3"):
        gateway.complete(ask("b"), conversation_id="c")
    assert [r.messages[-1].content for r in backend.requests] == ["a", "echo me"]


def test_that_a_streamed_reply_arrives_in_pieces_then_as_a_completion() -> None:
    gateway = ModelGateway(ScriptedBackend(["Your order ships tomorrow."]))
    events = list(gateway.stream(ask("when?"), conversation_id="c"))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == 4
    assert isinstance(events[-1], Completion)
    assert "".join(deltas) == events[-1].text == "Your order ships tomorrow."


def test_that_tool_calls_in_the_text_come_back_typed_and_unknown_tools_are_reported() -> None:
    reply = (
        'Let me check.\n<tool_call>\n{"name": "find_order", "arguments": {"order_id": "#W1"}}\n'
        '</tool_call>\n<tool_call>\n{"name": "drop_table", "arguments": {}}\n</tool_call>'
    )
    gateway = ModelGateway(ScriptedBackend([reply]))
    completion = gateway.complete(ask("where is #W1", tools=(FIND_ORDER,)), conversation_id="c")
    assert completion.tool_calls == (ToolCall("find_order", {"order_id": "#W1"}),)
    assert completion.problems == ("unknown tool 'drop_table'",)
    assert completion.prose == "Let me check."


def test_that_tool_calls_are_not_read_when_no_tools_were_offered() -> None:
    reply = '{"name": "find_order", "arguments": {"order_id": "#W1"}}'
    completion = ModelGateway(ScriptedBackend([reply])).complete(ask("x"), conversation_id="c")
    assert completion.tool_calls == ()
    assert completion.text == reply


def test_that_a_json_reply_is_read_when_the_request_had_a_schema() -> None:
    schema = {"type": "object", "properties": {"intent": {"type": "string"}}}
    gateway = ModelGateway(ScriptedBackend(['```json\n{"intent": "cancel"}\n```', "no idea"]))
    assert gateway.complete(ask("x", json_schema=schema), conversation_id="c").value == {
        "intent": "cancel"
    }
    failed = gateway.complete(ask("x", json_schema=schema), conversation_id="c")
    assert failed.value is None
    assert failed.problems == ("no JSON value in the model's output (finish reason: stop)",)


def test_that_a_request_takes_a_schema_or_a_grammar_but_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        ask("x", json_schema={"type": "object"}, grammar='root ::= "a"')


def test_that_the_configured_usage_log_receives_every_call(tmp_path: Path) -> None:
    log = tmp_path / "usage.jsonl"
    settings = LLMSettings(backend="scripted", script=["a", "b"], usage_log=log)
    gateway = open_gateway(settings, tmp_path)
    gateway.complete(ask("1"), conversation_id="c1")
    gateway.complete(ask("2"), conversation_id="c2")
    assert [r.conversation_id for r in read_usage_log(log)] == ["c1", "c2"]


def crash(request: ChatRequest) -> str:
    raise RuntimeError("the model crashed")


def test_that_a_call_that_raises_is_recorded_and_the_error_still_raised() -> None:
    ledger = UsageLedger()
    gateway = ModelGateway(ScriptedBackend([crash, crash]), sinks=[ledger])
    with pytest.raises(RuntimeError, match="the model crashed"):
        gateway.complete(ask("hi"), conversation_id="c1", purpose="reply")
    with pytest.raises(RuntimeError, match="the model crashed"):
        list(gateway.stream(ask("hi"), conversation_id="c2"))
    for failed in ledger.records():
        assert (failed.finish_reason, failed.backend) == ("error", "scripted")
        # What is known: the prompt the backend took in; nothing was generated.
        assert failed.prompt_tokens > 0 and failed.completion_tokens == 0
        assert failed.tokens_estimated and failed.wall_seconds >= 0
    assert [r.conversation_id for r in ledger.records()] == ["c1", "c2"]
    assert ledger.records("c1")[0].purpose == "reply"


def test_that_a_refused_call_is_recorded_with_no_tokens() -> None:
    ledger = UsageLedger()
    gateway = ModelGateway(ScriptedBackend([]), sinks=[ledger])
    with pytest.raises(ScriptExhausted):
        gateway.complete(ask("hi"), conversation_id="c")
    [refused] = ledger.records()
    assert refused.finish_reason == "error"
    assert (refused.prompt_tokens, refused.completion_tokens, refused.cost_pico_usd) == (0, 0, 0)


def test_that_an_abandoned_stream_is_recorded_with_what_it_generated() -> None:
    ledger = UsageLedger()
    gateway = ModelGateway(
        ScriptedBackend(["Your order ships tomorrow from Seoul."]),
        price_entry="gpt-5.2",
        sinks=[ledger],
    )
    stream = gateway.stream(ask("when?"), conversation_id="c", purpose="reply")
    first = next(stream)
    assert first == TextDelta("Your ")
    assert ledger.records() == []
    stream.close()
    [abandoned] = ledger.records()
    assert (abandoned.conversation_id, abandoned.purpose) == ("c", "reply")
    assert abandoned.finish_reason == "abandoned"
    assert abandoned.completion_tokens == 2  # "Your " ≈ 5 chars / 4, what had been generated
    assert abandoned.prompt_tokens > 0 and abandoned.tokens_estimated
    expected = abandoned.prompt_tokens * 1_750_000 + 2 * 14_000_000
    assert abandoned.cost_pico_usd == expected
    stream.close()  # closing again records nothing more
    assert len(ledger.records()) == 1


def test_that_a_stream_closed_before_it_started_records_nothing() -> None:
    ledger = UsageLedger()
    backend = ScriptedBackend(["Hello!"])
    stream = ModelGateway(backend, sinks=[ledger]).stream(ask("hi"), conversation_id="c")
    stream.close()
    assert ledger.records() == [] and backend.remaining == 1


def test_that_a_stream_read_to_its_end_is_recorded_once_as_finished() -> None:
    ledger = UsageLedger()
    stream = ModelGateway(ScriptedBackend(["Hello there!"]), sinks=[ledger]).stream(
        ask("hi"), conversation_id="c"
    )
    events = list(stream)
    stream.close()
    assert isinstance(events[-1], Completion)
    assert [r.finish_reason for r in ledger.records()] == ["stop"]


def test_that_a_failing_sink_does_not_hide_the_error_of_the_call() -> None:
    class BrokenSink:
        def record(self, usage: UsageRecord) -> None:
            raise OSError("disk full")

    gateway = ModelGateway(ScriptedBackend([crash]), sinks=[BrokenSink()])
    with pytest.raises(RuntimeError, match="the model crashed") as raised:
        gateway.complete(ask("hi"), conversation_id="c")
    assert "disk full" in "".join(raised.value.__notes__)


def test_that_an_error_thrown_into_a_stream_by_its_reader_is_recorded_and_raised() -> None:
    ledger = UsageLedger()
    stream = ModelGateway(ScriptedBackend(["one two three"]), sinks=[ledger]).stream(
        ask("count"), conversation_id="c"
    )
    assert isinstance(stream, Generator)
    next(stream)
    with pytest.raises(KeyboardInterrupt):
        stream.throw(KeyboardInterrupt())
    [failed] = ledger.records()
    assert failed.finish_reason == "error" and failed.completion_tokens == 1

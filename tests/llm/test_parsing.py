"""Tool calls and JSON read from model text, in every shape the small Qwen models write.

The captured cases are real outputs of Qwen2.5-Coder 0.5B and 1.5B (Q4_K_M, llama.cpp,
temperature 0), recorded by fixtures/capture_tool_calls.py, each labelled with its shape and the
calls written in it. Neither model wrote a single <tool_call> tag in 80 tries, with the tools in
the chat template or not: bare and fenced JSON are the norm, prose around JSON common.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shopkeep.llm import ToolCall, parse_json_output, parse_tool_calls

FIXTURES = Path(__file__).parent / "fixtures"
TOOLS = {
    "find_order",
    "cancel_order",
    "search_products",
    "return_items",
    "change_address",
    "list_orders",
}


def captured() -> list[Any]:
    cases = []
    for path in sorted(FIXTURES.glob("tool_calls_*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            label = f"{path.stem.removeprefix('tool_calls_')}:{case['style']}:{case['id']}"
            cases.append(pytest.param(case, id=label))
    return cases


@pytest.mark.parametrize("case", captured())
def test_that_captured_model_output_parses_to_the_calls_written_in_it(
    case: dict[str, Any],
) -> None:
    assert case["expected_calls"] is not None, "an unlabelled capture: label it by hand"
    parsed = parse_tool_calls(case["raw"], TOOLS)
    expected = tuple(ToolCall(c["name"], c["arguments"]) for c in case["expected_calls"])
    assert tuple(ToolCall(c.name, dict(c.arguments)) for c in parsed.calls) == expected


def test_that_the_captures_cover_every_shape_small_models_write() -> None:
    shapes = {case.values[0]["shape"] for case in captured()}  # type: ignore[index]
    assert {"bare", "fenced", "json then prose", "prose then fenced json", "prose"} <= shapes


def test_that_a_tagged_call_is_read() -> None:
    text = '<tool_call>\n{"name": "find_order", "arguments": {"order_id": "#W1"}}\n</tool_call>'
    assert parse_tool_calls(text).calls == (ToolCall("find_order", {"order_id": "#W1"}),)


def test_that_several_tagged_calls_are_read_in_order_and_prose_kept() -> None:
    text = (
        "Sure.\n<tool_call>\n"
        '{"name": "find_order", "arguments": {"order_id": "#W1"}}\n</tool_call>\n<tool_call>\n'
        '{"name": "find_order", "arguments": {"order_id": "#W2"}}\n</tool_call>'
    )
    parsed = parse_tool_calls(text)
    assert [c.arguments["order_id"] for c in parsed.calls] == ["#W1", "#W2"]
    assert parsed.prose == "Sure."


def test_that_an_unclosed_tag_at_the_end_of_the_output_still_yields_its_call() -> None:
    text = '<tool_call>\n{"name": "cancel_order", "arguments": {"order_id": "#W3"}}'
    assert parse_tool_calls(text).calls == (ToolCall("cancel_order", {"order_id": "#W3"}),)


def test_that_bare_fenced_and_prose_followed_json_are_read() -> None:
    call = ToolCall("find_order", {"order_id": "#W1"})
    bare = '{"name": "find_order", "arguments": {"order_id": "#W1"}}'
    assert parse_tool_calls(bare).calls == (call,)
    assert parse_tool_calls(f"```json\n{bare}\n```").calls == (call,)
    followed = parse_tool_calls(f"{bare}\nThis will look up your order.")
    assert followed.calls == (call,)
    assert followed.prose == "This will look up your order."


def test_that_other_argument_keys_and_string_arguments_are_accepted() -> None:
    expected = (ToolCall("find_order", {"order_id": "#W1"}),)
    for text in (
        '{"name": "find_order", "parameters": {"order_id": "#W1"}}',
        '{"name": "find_order", "arguments": "{\\"order_id\\": \\"#W1\\"}"}',
        '{"type": "function", "function": '
        '{"name": "find_order", "arguments": {"order_id": "#W1"}}}',
        '[{"name": "find_order", "arguments": {"order_id": "#W1"}}]',
    ):
        assert parse_tool_calls(text).calls == expected, text


def test_that_a_python_style_dict_inside_tags_is_forgiven() -> None:
    text = "<tool_call>\n{'name': 'find_order', 'arguments': {'order_id': '#W1',},}\n</tool_call>"
    assert parse_tool_calls(text).calls == (ToolCall("find_order", {"order_id": "#W1"}),)


def test_that_an_unreadable_tagged_call_is_a_problem_not_a_call() -> None:
    parsed = parse_tool_calls("<tool_call>\nfind_order(#W1)\n</tool_call>")
    assert parsed.calls == ()
    assert parsed.problems == ("unreadable tool call: find_order(#W1)",)


def test_that_calls_to_tools_not_offered_are_problems() -> None:
    parsed = parse_tool_calls('{"name": "refund_everything", "arguments": {}}', TOOLS)
    assert parsed.calls == ()
    assert parsed.problems == ("unknown tool 'refund_everything'",)


def test_that_thinking_is_not_read_for_calls() -> None:
    text = (
        '<think>maybe {"name": "cancel_order", "arguments": {}}</think>'
        '<tool_call>{"name": "find_order", "arguments": {}}</tool_call>'
    )
    assert [c.name for c in parse_tool_calls(text).calls] == ["find_order"]


def test_that_prose_without_json_has_no_calls() -> None:
    parsed = parse_tool_calls("We are open from 9am to 6pm [Mon-Sat].", TOOLS)
    assert parsed.calls == ()
    assert parsed.prose == "We are open from 9am to 6pm [Mon-Sat]."


def test_that_the_first_json_value_is_read_from_a_structured_reply() -> None:
    assert parse_json_output('```json\n{"a": 1}\n```') == {"a": 1}
    assert parse_json_output('Here: {"a": [1, 2]} done') == {"a": [1, 2]}
    with pytest.raises(ValueError, match="no JSON value"):
        parse_json_output("nothing here")

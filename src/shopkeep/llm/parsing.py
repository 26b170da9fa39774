"""Reading tool calls and JSON out of model text in the shapes small models really write.

Qwen models are taught `<tool_call>{"name": ..., "arguments": ...}</tool_call>` (the "nous"
format Qwen-Agent uses), but 0.5B and 1.5B models also answer with bare JSON, fenced JSON, JSON
followed by prose, a list of calls, or arguments under another key. Every shape ends as typed
`ToolCall`s, so the engine never sees the wire format.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from shopkeep.llm.chat import ToolCall, ToolSpec

_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)
_TAGGED = re.compile(r"<tool_call>(.*?)(?:</tool_call>|(?=<tool_call>)|$)", re.DOTALL)
_FENCED = re.compile(r"```[ \t]*([A-Za-z_]*)[ \t]*\n?(.*?)(?:```|$)", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_ARGUMENT_KEYS = ("arguments", "parameters", "args", "input", "params")
_NAME_KEYS = ("name", "function", "tool", "tool_name")
_decoder = json.JSONDecoder()


@dataclass(frozen=True)
class ParsedToolCalls:
    calls: tuple[ToolCall, ...]
    prose: str
    """The text outside the calls, stripped; what is left to show when there is no call."""
    problems: tuple[str, ...] = ()
    """Calls that were written but could not be used: unreadable, or naming an unknown tool."""


def parse_tool_calls(text: str, tool_names: Collection[str] | None = None) -> ParsedToolCalls:
    """Every tool call in `text`. With `tool_names`, calls to other names become problems."""
    text = _THINK.sub("", text)
    problems: list[str] = []
    if "<tool_call>" in text:
        found, prose = _from_spans(text, _TAGGED, problems, lenient=True)
    else:
        found, prose = _from_spans(text, _FENCED, problems, lenient=True, group=2)
        if not found:
            found, prose = _scan_bare(text)
    calls = []
    for call in found:
        if tool_names is not None and call.name not in tool_names:
            problems.append(f"unknown tool {call.name!r}")
        else:
            calls.append(call)
    return ParsedToolCalls(tuple(calls), prose.strip(), tuple(problems))


def parse_json_output(text: str) -> Any:
    """The first JSON value in `text`, inside a code fence or not. Raises ValueError if none."""
    text = _THINK.sub("", text)
    for match in _FENCED.finditer(text):
        for value, _, _ in _json_values(match.group(2)):
            return value
    for value, _, _ in _json_values(text):
        return value
    raise ValueError("no JSON value in the model's output")


def render_tool_prompt(tools: Sequence[ToolSpec]) -> str:
    """Tools described for a model whose chat template or server cannot take them natively.

    The wording and the tags are the ones Qwen2.5's own chat template uses, so a Qwen model sees
    the format it was trained on.
    """
    signatures = "\n".join(json.dumps(t.as_openai(), ensure_ascii=False) for t in tools)
    return (
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n"
        f"<tools>\n{signatures}\n</tools>\n\n"
        "For each function call, return a json object with function name and arguments within "
        "<tool_call></tool_call> XML tags:\n<tool_call>\n"
        '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
    )


def _from_spans(
    text: str,
    pattern: re.Pattern[str],
    problems: list[str],
    *,
    lenient: bool,
    group: int = 1,
) -> tuple[list[ToolCall], str]:
    calls: list[ToolCall] = []
    prose_parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        body = match.group(group)
        found = [call for value in _values_in(body, lenient) for call in _calls_in(value)]
        if not found:
            if pattern is _TAGGED and body.strip():
                problems.append(f"unreadable tool call: {body.strip()[:120]}")
            continue
        calls.extend(found)
        prose_parts.append(text[last : match.start()])
        last = match.end()
    prose_parts.append(text[last:])
    return calls, "".join(prose_parts)


def _scan_bare(text: str) -> tuple[list[ToolCall], str]:
    calls: list[ToolCall] = []
    prose_parts: list[str] = []
    last = 0
    for value, start, end in _json_values(text):
        found = _calls_in(value)
        if found:
            calls.extend(found)
            prose_parts.append(text[last:start])
            last = end
    prose_parts.append(text[last:])
    return calls, "".join(prose_parts)


def _values_in(body: str, lenient: bool) -> list[Any]:
    values = [value for value, _, _ in _json_values(body)]
    if values or not lenient:
        return values
    # Inside explicit tags or fences the model meant a call, so forgive Python-style dicts
    # (single quotes, True/None) and trailing commas, which small models write often.
    candidate = body.strip()
    start = min((i for i in (candidate.find("{"), candidate.find("[")) if i >= 0), default=-1)
    if start < 0:
        return []
    candidate = _TRAILING_COMMA.sub(r"\1", candidate[start:])
    for end in range(len(candidate), 0, -1):
        if candidate[end - 1] not in "}]":
            continue
        try:
            return [ast.literal_eval(candidate[:end])]
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            try:
                return [json.loads(candidate[:end])]
            except ValueError:
                continue
    return []


def _json_values(text: str) -> Iterator[tuple[Any, int, int]]:
    """Each top-level JSON object or array in `text`, with where it starts and ends."""
    i = 0
    while True:
        starts = [p for p in (text.find("{", i), text.find("[", i)) if p >= 0]
        if not starts:
            return
        start = min(starts)
        try:
            value, end = _decoder.raw_decode(text, start)
        except ValueError:
            i = start + 1
            continue
        yield value, start, end
        i = end


def _calls_in(value: Any) -> list[ToolCall]:
    if isinstance(value, list):
        calls = [_call_from(item) for item in value]
        return [c for c in calls if c is not None] if all(calls) else []
    call = _call_from(value)
    return [call] if call is not None else []


def _call_from(value: Any) -> ToolCall | None:
    if not isinstance(value, dict):
        return None
    function = value.get("function")
    if isinstance(function, dict):  # the OpenAI shape: {"type": "function", "function": {...}}
        inner = _call_from(function)
        return ToolCall(inner.name, inner.arguments, value.get("id")) if inner else None
    name = next((value[k] for k in _NAME_KEYS if isinstance(value.get(k), str)), None)
    if not name:
        return None
    arguments: Any = next((value[k] for k in _ARGUMENT_KEYS if k in value), {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            return None
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return None
    call_id = value.get("id")
    return ToolCall(name, arguments, call_id if isinstance(call_id, str) else None)

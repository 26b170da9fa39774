"""What goes into a model call and what comes out: messages, tools, requests, completions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """A call the model asked for, whatever shape it was written in."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None

    def as_openai(self, index: int) -> dict[str, Any]:
        return {
            "id": self.id or f"call_{index}",
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(dict(self.arguments))},
        }


@dataclass(frozen=True)
class Message:
    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    @classmethod
    def system(cls, content: str) -> Message:
        return cls("system", content)

    @classmethod
    def user(cls, content: str) -> Message:
        return cls("user", content)

    @classmethod
    def assistant(cls, content: str = "", tool_calls: tuple[ToolCall, ...] = ()) -> Message:
        return cls("assistant", content, tool_calls)

    @classmethod
    def tool_result(cls, content: str, tool_call_id: str | None = None) -> Message:
        return cls("tool", content, tool_call_id=tool_call_id)

    def as_openai(self) -> dict[str, Any]:
        """The OpenAI chat shape: tool-call arguments as a JSON string."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [call.as_openai(i) for i, call in enumerate(self.tool_calls)]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        return out

    def as_template_input(self) -> dict[str, Any]:
        """The Hugging Face chat-template shape: tool-call arguments as an object."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [
                {
                    "type": "function",
                    "function": {"name": call.name, "arguments": dict(call.arguments)},
                }
                for call in self.tool_calls
            ]
        return out


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call: a name, what it does, and a JSON schema of its arguments."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )

    def as_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }


@dataclass(frozen=True)
class ChatRequest:
    """One model call. `json_schema` and `grammar` constrain the output; tools may be offered."""

    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...] = ()
    json_schema: Mapping[str, Any] | None = None
    grammar: str | None = None
    max_tokens: int = 256
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.json_schema is not None and self.grammar is not None:
            raise ValueError("a request is constrained by a JSON schema or a grammar, not both")
        if self.max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")


@dataclass(frozen=True)
class TokenCounts:
    """Prompt tokens (of which `cached` were reused, not evaluated) and completion tokens."""

    prompt: int
    cached: int
    completion: int

    @property
    def evaluated_prompt(self) -> int:
        return self.prompt - self.cached


@dataclass(frozen=True)
class BackendReply:
    """What a backend returns; the gateway turns it into a `Completion` with usage and cost."""

    text: str
    tokens: TokenCounts
    finish_reason: str
    model: str
    tool_calls: tuple[ToolCall, ...] = ()
    cpu_seconds: float = 0.0
    queue_seconds: float = 0.0
    tokens_estimated: bool = False
    """True when the backend could not count tokens and estimated them (scripts, some streams)."""


@dataclass
class CallProgress:
    """What a backend has done so far in one call, kept current while the call runs.

    The gateway hands one to the backend and reads it only when the call ends without a
    `BackendReply` (the backend raised, or the stream was closed early), so that the partial
    work is still counted, timed and priced. Counts are tokens the model really processed.
    """

    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    cpu_seconds: float = 0.0
    queue_seconds: float = 0.0
    tokens_estimated: bool = False

    @property
    def tokens(self) -> TokenCounts:
        return TokenCounts(self.prompt_tokens, self.cached_tokens, self.completion_tokens)


@dataclass(frozen=True)
class TextDelta:
    """A piece of the reply while it streams."""

    text: str

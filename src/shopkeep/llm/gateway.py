"""The one door every model call goes through: it times, counts, prices and records each call."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shopkeep.llm.backends import ModelBackend
from shopkeep.llm.chat import (
    BackendReply,
    CallProgress,
    ChatRequest,
    TextDelta,
    TokenCounts,
    ToolCall,
)
from shopkeep.llm.errors import ModelConfigInvalid
from shopkeep.llm.parsing import parse_json_output, parse_tool_calls
from shopkeep.llm.pricing import PriceTable, entry_for
from shopkeep.llm.settings import LLMSettings
from shopkeep.llm.usage import JsonlUsageLog, UsageRecord, UsageSink


@dataclass(frozen=True)
class Completion:
    """A finished call: the text, the calls or JSON value read from it, and what it cost."""

    text: str
    prose: str
    """The text outside any tool calls."""
    tool_calls: tuple[ToolCall, ...]
    value: Any
    """The JSON value, when the request had a JSON schema and the reply holds one."""
    finish_reason: str
    usage: UsageRecord
    problems: tuple[str, ...] = ()
    """What could not be read: malformed calls, calls to unknown tools, a reply that is not JSON."""


StreamEvent = TextDelta | Completion


class ModelGateway:
    """Wraps a backend; every call is recorded to every sink, attributed to its conversation."""

    def __init__(
        self,
        backend: ModelBackend,
        *,
        prices: PriceTable | None = None,
        price_entry: str = "local",
        sinks: Sequence[UsageSink] = (),
    ) -> None:
        self.backend = backend
        self.prices = prices if prices is not None else PriceTable.from_settings(LLMSettings())
        self.price_entry = price_entry
        self._price = self.prices[price_entry]
        self.sinks = list(sinks)

    def complete(
        self, request: ChatRequest, *, conversation_id: str, purpose: str = ""
    ) -> Completion:
        for event in self._call(request, conversation_id, purpose, stream=False):
            if isinstance(event, Completion):
                return event
        raise AssertionError("a backend ended without a reply")  # pragma: no cover

    def stream(
        self, request: ChatRequest, *, conversation_id: str, purpose: str = ""
    ) -> Iterator[StreamEvent]:
        """Text deltas as they come, then the `Completion`. Closing it early (or dropping it)
        stops the call; the call is recorded then too, with finish reason "abandoned"."""
        return self._call(request, conversation_id, purpose, stream=True)

    def _call(
        self, request: ChatRequest, conversation_id: str, purpose: str, *, stream: bool
    ) -> Generator[StreamEvent, None, None]:
        started_at = datetime.now(UTC)
        started = time.perf_counter()

        def usage_of(
            tokens: TokenCounts,
            *,
            model: str,
            finish_reason: str,
            cpu_seconds: float,
            queue_seconds: float,
            tokens_estimated: bool,
        ) -> UsageRecord:
            return UsageRecord(
                conversation_id=conversation_id,
                purpose=purpose,
                backend=self.backend.name,
                model=model,
                price_entry=self.price_entry,
                prompt_tokens=tokens.prompt,
                cached_tokens=tokens.cached,
                completion_tokens=tokens.completion,
                wall_seconds=time.perf_counter() - started,
                cpu_seconds=cpu_seconds,
                queue_seconds=queue_seconds,
                cost_pico_usd=self._price.cost_pico_usd(tokens),
                finish_reason=finish_reason,
                started_at=started_at,
                tokens_estimated=tokens_estimated,
            )

        def unfinished(finish_reason: str) -> UsageRecord:
            """What the backend got done of a call that ended without its reply."""
            return usage_of(
                progress.tokens,
                model=self.backend.model,
                finish_reason=finish_reason,
                cpu_seconds=progress.cpu_seconds,
                queue_seconds=progress.queue_seconds,
                tokens_estimated=progress.tokens_estimated,
            )

        progress = CallProgress()
        reply: BackendReply | None = None
        items = self.backend.generate(request, stream=stream, progress=progress)
        try:
            for item in items:
                if isinstance(item, BackendReply):
                    reply = item
                else:
                    yield TextDelta(item)
        except GeneratorExit:
            # The reader closed the stream. The backend stops first, so that the record holds
            # all the model did for the call.
            items.close()
            self._record(unfinished("abandoned"))
            raise
        except BaseException as error:
            try:
                items.close()  # a no-op when the backend raised; stops it when the reader did
                self._record(unfinished("error"))
            except Exception as cleanup_error:
                error.add_note(f"recording the failed call's usage failed too: {cleanup_error!r}")
            raise
        if reply is None:
            raise AssertionError("a backend ended without a reply")  # pragma: no cover
        usage = usage_of(
            reply.tokens,
            model=reply.model,
            finish_reason=reply.finish_reason,
            cpu_seconds=reply.cpu_seconds,
            queue_seconds=reply.queue_seconds,
            tokens_estimated=reply.tokens_estimated,
        )
        self._record(usage)
        yield _completion(request, reply, usage)

    def _record(self, usage: UsageRecord) -> None:
        for sink in self.sinks:
            sink.record(usage)


def _completion(request: ChatRequest, reply: BackendReply, usage: UsageRecord) -> Completion:
    problems: list[str] = []
    calls: tuple[ToolCall, ...] = ()
    prose = reply.text
    if request.tools:
        names = {t.name for t in request.tools}
        if reply.tool_calls:
            calls = tuple(c for c in reply.tool_calls if c.name in names)
            problems += [
                f"unknown tool {c.name!r}" for c in reply.tool_calls if c.name not in names
            ]
        else:
            parsed = parse_tool_calls(reply.text, names)
            calls, prose = parsed.calls, parsed.prose
            problems += parsed.problems
    value = None
    if request.json_schema is not None:
        try:
            value = parse_json_output(reply.text)
        except ValueError as error:
            problems.append(f"{error} (finish reason: {reply.finish_reason})")
    return Completion(
        text=reply.text,
        prose=prose.strip(),
        tool_calls=calls,
        value=value,
        finish_reason=reply.finish_reason,
        usage=usage,
        problems=tuple(problems),
    )


def build_backend(settings: LLMSettings, cache_dir: Path | None = None) -> ModelBackend:
    """The backend the settings name. Imports llama.cpp or openai only for the one in use.
    The local backend finds installed models under `cache_dir`."""
    if settings.backend == "local":
        from shopkeep.llm.backends.local import LocalBackend

        if cache_dir is None and settings.model_path is None:
            raise ModelConfigInvalid("the local backend needs the cache directory of its models")
        return LocalBackend.from_settings(settings, cache_dir or Path())
    if settings.backend == "openai":
        from shopkeep.llm.backends.openai_compat import OpenAICompatibleBackend

        return OpenAICompatibleBackend(settings)
    from shopkeep.llm.backends.scripted import ScriptedBackend

    return ScriptedBackend(settings.script)


def open_gateway(
    settings: LLMSettings, cache_dir: Path | None = None, *, sinks: Sequence[UsageSink] = ()
) -> ModelGateway:
    """The gateway for the configured backend, billed at its price entry, logging where told."""
    backend = build_backend(settings, cache_dir)
    prices = PriceTable.from_settings(settings)
    entry = entry_for(settings, prices)
    all_sinks = list(sinks)
    if settings.usage_log is not None:
        all_sinks.append(JsonlUsageLog(settings.usage_log))
    return ModelGateway(backend, prices=prices, price_entry=entry, sinks=all_sinks)

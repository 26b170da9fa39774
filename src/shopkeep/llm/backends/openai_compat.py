"""Any OpenAI-compatible endpoint (vLLM, SGLang, Ollama, llama.cpp, DeepSeek, DashScope...)."""

from __future__ import annotations

import json
import math
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from shopkeep.llm.chat import (
    BackendReply,
    CallProgress,
    ChatRequest,
    Message,
    TokenCounts,
    ToolCall,
)
from shopkeep.llm.errors import (
    ModelConfigInvalid,
    ModelEndpointBusy,
    ModelEndpointRejected,
    ModelEndpointUnreachable,
)
from shopkeep.llm.parsing import render_tool_prompt
from shopkeep.llm.settings import LLMSettings

if TYPE_CHECKING:
    from openai import OpenAI

_PLACEHOLDER_KEY = "no-key"  # the client insists on a key; local servers ignore it


class OpenAICompatibleBackend:
    """The `openai` client against `base_url`. Retries 408/409/429/5xx with exponential backoff
    (the client's own: 0.5 s doubling to 8 s, with jitter, honouring Retry-After)."""

    name = "openai"

    def __init__(self, settings: LLMSettings, *, client: OpenAI | None = None) -> None:
        if not settings.base_url:
            raise ModelConfigInvalid(
                "the openai backend needs an endpoint: set SHOPKEEP_LLM__BASE_URL "
                "(e.g. http://127.0.0.1:8000/v1)"
            )
        if not settings.base_url.startswith(("http://", "https://")):
            raise ModelConfigInvalid(
                f"SHOPKEEP_LLM__BASE_URL must start with http:// or https://, not "
                f"{settings.base_url!r}"
            )
        if not settings.model:
            raise ModelConfigInvalid(
                "the openai backend needs the served model's name: set SHOPKEEP_LLM__MODEL"
            )
        self.model = settings.model
        self._settings = settings
        if client is None:
            try:
                from openai import OpenAI
            except ImportError:
                raise ModelConfigInvalid(
                    "the openai backend needs the openai client: pip install 'shopkeep[openai]'"
                ) from None
            key = settings.api_key.get_secret_value() if settings.api_key else _PLACEHOLDER_KEY
            client = OpenAI(
                base_url=settings.base_url,
                api_key=key,
                timeout=settings.timeout_s,
                max_retries=settings.max_retries,
            )
        self._client = client

    def generate(
        self, request: ChatRequest, *, stream: bool, progress: CallProgress | None = None
    ) -> Generator[str | BackendReply, None, None]:
        # A request the endpoint refused or never answered counts no tokens: nothing is known of
        # it. A stream that breaks off counts the prompt and the pieces it delivered, estimated.
        progress = progress if progress is not None else CallProgress()
        arguments = self._arguments(request)
        with _endpoint_errors(self._settings):
            if not stream:
                response = self._client.chat.completions.create(**arguments)
                yield self._reply(response, arguments)
                return
            chunks = self._client.chat.completions.create(
                **arguments, stream=True, stream_options={"include_usage": True}
            )
            try:
                yield from self._streamed(chunks, arguments, progress)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()  # an abandoned stream hangs up, so the server stops generating

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        settings = self._settings
        messages = list(request.messages)
        extra_system: list[str] = []
        arguments: dict[str, Any] = {
            "model": settings.model,
            "temperature": request.temperature,
            settings.max_tokens_field: request.max_tokens,
        }
        if request.tools and settings.native_tools:
            arguments["tools"] = [t.as_openai() for t in request.tools]
        elif request.tools:
            extra_system.append(render_tool_prompt(request.tools))
            messages = _tool_traffic_as_text(messages)
        if request.json_schema is not None:
            schema = dict(request.json_schema)
            mode = settings.structured_output
            if mode == "json_schema":
                arguments["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "reply", "schema": schema},
                }
            elif mode == "json_object_schema":
                arguments["response_format"] = {"type": "json_object", "schema": schema}
            else:
                if mode == "json_object":
                    arguments["response_format"] = {"type": "json_object"}
                extra_system.append(
                    "Answer with one JSON object that follows this JSON schema:\n"
                    + json.dumps(schema, ensure_ascii=False)
                )
        if request.grammar is not None:
            raise ModelConfigInvalid(
                "GBNF grammars are for the local backend; give the openai backend a JSON schema"
            )
        if request.stop:
            arguments["stop"] = list(request.stop)
        if request.seed is not None:
            arguments["seed"] = request.seed
        if settings.extra_body:
            arguments["extra_body"] = dict(settings.extra_body)
        if extra_system:
            messages = _with_system_text(messages, "\n\n".join(extra_system))
        arguments["messages"] = [m.as_openai() for m in messages]
        return arguments

    def _reply(self, response: Any, arguments: dict[str, Any]) -> BackendReply:
        choice = response.choices[0]
        message = choice.message
        calls = tuple(
            _tool_call(c.id, c.function.name, c.function.arguments)
            for c in (message.tool_calls or [])
            if getattr(c, "function", None) is not None
        )
        usage = response.usage
        if usage is None:
            completion = math.ceil(len(message.content or "") / 4)
            tokens, estimated = _estimated(arguments, completion), True
        else:
            tokens, estimated = _counts(usage), False
        return BackendReply(
            text=message.content or "",
            tokens=tokens,
            finish_reason=choice.finish_reason or "stop",
            model=response.model or self.model,
            tool_calls=calls,
            tokens_estimated=estimated,
        )

    def _streamed(
        self, chunks: Any, arguments: dict[str, Any], progress: CallProgress
    ) -> Iterator[str | BackendReply]:
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        usage, finish, model, pieces = None, "stop", self.model, 0
        estimate = _estimated(arguments, 0)
        progress.prompt_tokens, progress.tokens_estimated = estimate.prompt, True
        for chunk in chunks:
            if chunk.usage is not None:
                usage = chunk.usage
            model = chunk.model or model
            for choice in chunk.choices:
                delta = choice.delta
                if delta.content:
                    pieces += 1
                    progress.completion_tokens = pieces
                    text.append(delta.content)
                    yield delta.content
                for call in delta.tool_calls or []:
                    pieces += 1
                    progress.completion_tokens = pieces
                    entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                    if call.id:
                        entry["id"] = call.id
                    if call.function is not None:
                        entry["name"] += call.function.name or ""
                        entry["arguments"] += call.function.arguments or ""
                if choice.finish_reason:
                    finish = choice.finish_reason
        content = "".join(text)
        if usage is not None:
            tokens, estimated = _counts(usage), False
        else:
            # Servers that ignore stream_options (llama-cpp-python's) send no usage: count one
            # token per streamed piece, as they stream, and estimate the prompt from its length.
            tokens, estimated = _estimated(arguments, pieces), True
        yield BackendReply(
            text=content,
            tokens=tokens,
            finish_reason=finish,
            model=model,
            tool_calls=tuple(
                _tool_call(c["id"] or None, c["name"], c["arguments"])
                for _, c in sorted(calls.items())
            ),
            tokens_estimated=estimated,
        )


@contextmanager
def _endpoint_errors(settings: LLMSettings) -> Iterator[None]:
    """Turns the client's exceptions into errors that say what to check."""
    import openai

    url, model = settings.base_url, settings.model
    try:
        yield
    except openai.APIConnectionError as error:
        raise ModelEndpointUnreachable(
            f"could not reach the model endpoint {url} ({error.__class__.__name__}: {error}); "
            "is the server running, and is SHOPKEEP_LLM__BASE_URL right?"
        ) from error
    except openai.APIStatusError as error:
        detail = _message(error)
        status = error.status_code
        if "response_format" in detail:
            # Servers differ in the structured-output shapes they take, and some (llama-cpp-python)
            # answer one they do not know with a 500, so say which setting chooses the shape.
            raise ModelEndpointRejected(
                f"{url} does not take response_format {settings.structured_output!r} (HTTP "
                f"{status}: {detail}); set SHOPKEEP_LLM__STRUCTURED_OUTPUT to json_schema, "
                "json_object_schema, json_object or prompt"
            ) from error
        if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
            raise ModelEndpointRejected(
                f"{url} refused the API key (HTTP {status}); check SHOPKEEP_LLM__API_KEY"
            ) from error
        if isinstance(error, openai.NotFoundError):
            raise ModelEndpointRejected(
                f"{url} answered 404: no model {model!r} there (SHOPKEEP_LLM__MODEL), or the URL "
                f"lacks its /v1 ({detail})"
            ) from error
        if isinstance(error, openai.RateLimitError | openai.InternalServerError):
            raise ModelEndpointBusy(
                f"{url} answered HTTP {status} after {settings.max_retries} retries ({detail})"
            ) from error
        raise ModelEndpointRejected(
            f"{url} rejected the request with HTTP {status}: {detail}"
        ) from error


def _message(error: Any) -> str:
    """The server's own words, on one line and short."""
    body = getattr(error, "body", None)
    text = str(getattr(error, "message", error))
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and "message" in inner:
            text = str(inner["message"])
        elif "detail" in body:
            text = str(body["detail"])
    return " ".join(text.split())[:300]


def _counts(usage: Any) -> TokenCounts:
    cached = 0
    details = getattr(usage, "prompt_tokens_details", None)
    if details is not None and getattr(details, "cached_tokens", None):
        cached = int(details.cached_tokens)
    else:
        # DeepSeek reports its context-cache hits in a field of its own.
        extra = getattr(usage, "model_extra", None) or {}
        cached = int(extra.get("prompt_cache_hit_tokens") or 0)
    return TokenCounts(
        prompt=int(usage.prompt_tokens), cached=cached, completion=int(usage.completion_tokens)
    )


def _estimated(arguments: dict[str, Any], completion: int) -> TokenCounts:
    """About four characters a token, for endpoints that report no usage."""
    prompt_chars = len(json.dumps(arguments["messages"], ensure_ascii=False))
    return TokenCounts(prompt=math.ceil(prompt_chars / 4), cached=0, completion=completion)


def _tool_call(call_id: str | None, name: str, arguments: str) -> ToolCall:
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        parsed = {"_unparsed": arguments}
    if not isinstance(parsed, dict):
        parsed = {"_unparsed": arguments}
    return ToolCall(name, parsed, call_id)


def _with_system_text(messages: list[Message], text: str) -> list[Message]:
    if messages and messages[0].role == "system":
        return [Message.system(f"{messages[0].content}\n\n{text}"), *messages[1:]]
    return [Message.system(text), *messages]


def _tool_traffic_as_text(messages: list[Message]) -> list[Message]:
    """Tool calls and results as plain text, for servers that take no tools: the nous format."""
    out: list[Message] = []
    for m in messages:
        if m.role == "assistant" and m.tool_calls:
            calls = "\n".join(
                "<tool_call>\n"
                + json.dumps({"name": c.name, "arguments": dict(c.arguments)}, ensure_ascii=False)
                + "\n</tool_call>"
                for c in m.tool_calls
            )
            out.append(Message.assistant(f"{m.content}\n{calls}".strip()))
        elif m.role == "tool":
            out.append(Message.user(f"<tool_response>\n{m.content}\n</tool_response>"))
        else:
            out.append(m)
    return out

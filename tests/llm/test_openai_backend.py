"""The OpenAI-compatible backend against a real server: llama-cpp-python's, on loopback."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema
import pytest

from shopkeep.llm import (
    ChatRequest,
    Completion,
    LLMSettings,
    Message,
    ModelGateway,
    TextDelta,
    ToolSpec,
    UsageLedger,
    open_gateway,
)
from shopkeep.llm.backends.openai_compat import OpenAICompatibleBackend
from shopkeep.llm.errors import (
    ModelConfigInvalid,
    ModelEndpointBusy,
    ModelEndpointRejected,
    ModelEndpointUnreachable,
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "intent": {"type": "string", "enum": ["track_order", "cancel_order", "other"]},
        "order_id": {"type": "string"},
    },
    "required": ["intent", "order_id"],
}


def settings(url: str, **overrides: Any) -> LLMSettings:
    values: dict[str, Any] = {
        "backend": "openai",
        "base_url": url,
        "model": "qwen2.5-coder-0.5b",  # the alias the llama_server fixture serves it under
        "price_entry": "deepseek-v3.2",
        "structured_output": "json_object_schema",  # what llama-cpp-python's server takes
        "max_retries": 3,
    }
    return LLMSettings.model_validate(values | overrides)


def ask(text: str, **kwargs: Any) -> ChatRequest:
    return ChatRequest(
        (Message.system("You are a shop assistant. Be brief."), Message.user(text)), **kwargs
    )


@pytest.mark.slow
def test_that_a_completion_from_the_server_is_counted_and_priced(llama_server: str) -> None:
    ledger = UsageLedger()
    gateway = open_gateway(settings(llama_server), sinks=[ledger])
    completion = gateway.complete(ask("Say hello.", max_tokens=16), conversation_id="c1")
    assert completion.text
    usage = ledger.totals("c1")
    assert usage.prompt_tokens > 10 and 0 < usage.completion_tokens <= 16
    expected = usage.prompt_tokens * 280_000 + usage.completion_tokens * 800_000
    assert usage.cost_pico_usd == expected
    assert not ledger.records()[0].tokens_estimated


@pytest.mark.slow
def test_that_schema_constrained_output_from_the_server_is_valid(llama_server: str) -> None:
    gateway = open_gateway(settings(llama_server))
    for text in ("Where is #W2378156?", "Cancel #W9383498.", "我的订单在哪里？"):
        completion = gateway.complete(
            ask(text, json_schema=SCHEMA, max_tokens=64), conversation_id="c"
        )
        jsonschema.validate(completion.value, SCHEMA)


@pytest.mark.slow
def test_that_a_streamed_reply_from_the_server_adds_up(llama_server: str) -> None:
    gateway = open_gateway(settings(llama_server))
    events = list(gateway.stream(ask("Name three colours.", max_tokens=24), conversation_id="c"))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    completion = events[-1]
    assert isinstance(completion, Completion)
    assert len(deltas) > 3 and "".join(deltas) == completion.text
    # llama-cpp-python's server sends no usage in streams, so the counts are marked estimates.
    assert completion.usage.tokens_estimated
    assert completion.usage.completion_tokens == len(deltas)


@pytest.mark.slow
def test_that_a_response_format_the_server_does_not_take_names_the_setting(
    llama_server: str,
) -> None:
    gateway = open_gateway(settings(llama_server, structured_output="json_schema"))
    request = ask("Where is #W2378156?", json_schema=SCHEMA, max_tokens=32)
    with pytest.raises(ModelEndpointRejected, match="SHOPKEEP_LLM__STRUCTURED_OUTPUT"):
        gateway.complete(request, conversation_id="c")


@pytest.mark.slow
def test_that_extra_body_and_the_schema_are_sent_to_the_endpoint(llama_server: str) -> None:
    proxy = FlakyProxy(llama_server, [])
    try:
        extra = {"chat_template_kwargs": {"enable_thinking": False}}
        gateway = open_gateway(settings(proxy.url, extra_body=extra))
        gateway.complete(ask("Hi", json_schema=SCHEMA, max_tokens=24), conversation_id="c")
    finally:
        proxy.close()
    [body] = proxy.bodies
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert (body["model"], body["max_tokens"], body["temperature"]) == (
        "qwen2.5-coder-0.5b",
        24,
        0.0,
    )


@pytest.mark.slow
@pytest.mark.parametrize("native_tools", [True, False], ids=["sent as tools", "in the prompt"])
def test_that_offered_tools_come_back_as_typed_calls(llama_server: str, native_tools: bool) -> None:
    find_order = ToolSpec(
        "find_order",
        "Look up an order's status.",
        {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    )
    gateway = open_gateway(settings(llama_server, native_tools=native_tools))
    completion = gateway.complete(
        ask("Where is my order #W2378156?", tools=(find_order,), max_tokens=64),
        conversation_id="c",
    )
    # llama-cpp-python's server answers tools with text, so both paths end in the parser. The
    # 0.5B model writes the id with or without its "#"; the agent layer normalises ids.
    [call] = completion.tool_calls
    assert call.name == "find_order", completion.text
    assert str(call.arguments["order_id"]).removeprefix("#") == "W2378156"


# --- failures ---------------------------------------------------------------------------------


class FlakyProxy:
    """Answers the first `failures` requests with those statuses, then forwards to `upstream`."""

    def __init__(self, upstream: str, failures: list[int]) -> None:
        self.upstream = upstream
        self.failures = list(failures)
        self.seen: list[int] = []
        self.bodies: list[dict[str, Any]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                proxy.bodies.append(json.loads(body))
                if proxy.failures:
                    status = proxy.failures.pop(0)
                    proxy.seen.append(status)
                    payload = json.dumps({"error": {"message": f"injected {status}"}}).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                proxy.seen.append(200)
                forwarded = urllib.request.Request(
                    proxy.upstream + self.path.removeprefix("/v1"),
                    data=body,
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(forwarded) as response:
                    payload = response.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky(llama_server: str, request: pytest.FixtureRequest) -> Iterator[FlakyProxy]:
    proxy = FlakyProxy(llama_server, request.param)
    yield proxy
    proxy.close()


@pytest.mark.slow
@pytest.mark.parametrize("flaky", [[429, 503]], indirect=True)
def test_that_rate_limits_and_server_errors_are_retried_until_an_answer(flaky: FlakyProxy) -> None:
    gateway = open_gateway(settings(flaky.url))
    completion = gateway.complete(ask("Say hi.", max_tokens=8), conversation_id="c")
    assert completion.text
    assert flaky.seen == [429, 503, 200]


@pytest.mark.slow
@pytest.mark.parametrize("flaky", [[503, 503, 503]], indirect=True)
def test_that_an_endpoint_still_failing_after_the_retries_is_a_clear_error(
    flaky: FlakyProxy,
) -> None:
    gateway = open_gateway(settings(flaky.url, max_retries=2))
    with pytest.raises(ModelEndpointBusy, match="HTTP 503 after 2 retries"):
        gateway.complete(ask("Say hi.", max_tokens=8), conversation_id="c")
    assert flaky.seen == [503, 503, 503]


def test_that_an_unreachable_endpoint_is_a_clear_error(unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}/v1"
    backend = OpenAICompatibleBackend(settings(url, max_retries=0))
    with pytest.raises(ModelEndpointUnreachable, match="is the server running"):
        ModelGateway(backend).complete(ask("hi"), conversation_id="c")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"base_url": None}, "set SHOPKEEP_LLM__BASE_URL"),
        ({"base_url": "localhost:8000"}, "must start with http:// or https://"),
        ({"model": None}, "set SHOPKEEP_LLM__MODEL"),
    ],
)
def test_that_bad_endpoint_configuration_is_refused_before_any_call(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ModelConfigInvalid, match=message):
        OpenAICompatibleBackend(settings("http://127.0.0.1:1/v1", **overrides))


def test_that_a_grammar_is_refused_by_the_endpoint_backend() -> None:
    backend = OpenAICompatibleBackend(settings("http://127.0.0.1:1/v1"))
    request = ChatRequest((Message.user("x"),), grammar='root ::= "a"')
    with pytest.raises(ModelConfigInvalid, match="GBNF grammars are for the local backend"):
        ModelGateway(backend).complete(request, conversation_id="c")

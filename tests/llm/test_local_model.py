"""The embedded model: the real Qwen2.5-Coder-0.5B through llama.cpp, in this process."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from shopkeep.llm import (
    ChatRequest,
    Completion,
    Message,
    ModelGateway,
    TextDelta,
    ToolSpec,
    UsageLedger,
)
from shopkeep.llm.backends.local import LocalBackend
from shopkeep.llm.errors import PromptTooLong

pytestmark = pytest.mark.slow

SYSTEM = (
    "You are the assistant of Hanbit Beauty, an online cosmetics shop. You help customers "
    "find products, check and change orders, and handle returns. Be brief and polite."
)

# A command the engine lets a small model choose: one of a few intents, with the slots each
# one needs. The grammar built from this schema is the only thing the model can write.
COMMAND_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "command": {
            "type": "string",
            "enum": ["track_order", "cancel_order", "search_products", "talk_to_human", "other"],
        },
        "order_id": {"anyOf": [{"type": "string", "pattern": "^#W[0-9]{7}$"}, {"type": "null"}]},
        "query": {"anyOf": [{"type": "string", "maxLength": 60}, {"type": "null"}]},
        "confirm": {"type": "boolean"},
    },
    "required": ["command", "order_id", "query", "confirm"],
    "additionalProperties": False,
}

COMMAND_PROMPTS = [
    "Where is my order #W2378156?",
    "Cancel #W9383498 please, I ordered it by mistake.",
    "我想找适合干性皮肤的面霜",
    "주문 #W7242815 배송 상태 알려주세요",
    "I want to speak to a real person.",
    "asdf qwerty",
    "Do you sell sunscreen for kids under $20?",
    "Yes, go ahead and cancel it.",
]


def command_request(text: str) -> ChatRequest:
    return ChatRequest(
        (
            Message.system(
                f"{SYSTEM}\nRead the customer's message and answer with the command that fits, "
                "as JSON."
            ),
            Message.user(text),
        ),
        json_schema=COMMAND_SCHEMA,
        max_tokens=96,
    )


def test_that_the_model_loads_and_formats_prompts_with_the_template_from_its_gguf(
    local_backend: LocalBackend,
) -> None:
    template = local_backend.llama.metadata["tokenizer.chat_template"]
    assert "<|im_start|>" in template
    prompt = local_backend.render_prompt(ChatRequest((Message.system("S"), Message.user("U"))))
    assert (
        prompt
        == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
    )


def test_that_the_template_writes_offered_tools_in_the_format_qwen_was_trained_on(
    local_backend: LocalBackend,
) -> None:
    tool = ToolSpec("find_order", "Look up an order.", {"type": "object", "properties": {}})
    prompt = local_backend.render_prompt(
        ChatRequest((Message.system("S"), Message.user("U")), tools=(tool,))
    )
    assert "<tools>" in prompt and '"name": "find_order"' in prompt and "<tool_call>" in prompt


@pytest.mark.parametrize("text", COMMAND_PROMPTS)
def test_that_constrained_output_is_valid_against_its_schema(
    local_backend: LocalBackend, text: str
) -> None:
    completion = ModelGateway(local_backend).complete(command_request(text), conversation_id="c")
    assert completion.finish_reason == "stop", completion.text
    assert completion.problems == ()
    jsonschema.validate(completion.value, COMMAND_SCHEMA)


def test_that_a_gbnf_grammar_limits_the_reply_to_its_language(local_backend: LocalBackend) -> None:
    request = ChatRequest(
        (Message.system(SYSTEM), Message.user("Is #W2378156 an order id? Answer yes or no.")),
        grammar='root ::= "yes" | "no"',
    )
    completion = ModelGateway(local_backend).complete(request, conversation_id="c")
    assert completion.text in {"yes", "no"}
    assert completion.usage.completion_tokens == 1


def test_that_a_grammar_llama_cpp_cannot_parse_is_refused_not_crashed_on(
    local_backend: LocalBackend,
) -> None:
    request = ChatRequest((Message.user("hi"),), grammar="root ::= (unclosed")
    with pytest.raises(ValueError, match="not valid GBNF"):
        ModelGateway(local_backend).complete(request, conversation_id="c")


def test_that_a_streamed_reply_adds_up_to_the_completion(local_backend: LocalBackend) -> None:
    request = ChatRequest(
        (Message.system(SYSTEM), Message.user("Say hello to a new customer in one sentence.")),
        max_tokens=40,
    )
    events = list(ModelGateway(local_backend).stream(request, conversation_id="c"))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    completion = events[-1]
    assert isinstance(completion, Completion)
    assert len(deltas) > 3
    assert "".join(deltas) == completion.text
    assert completion.usage.completion_tokens >= len(deltas)


def test_that_stop_strings_end_the_reply_and_are_not_shown(local_backend: LocalBackend) -> None:
    request = ChatRequest(
        (Message.user("Count from 1 to 20, separated by commas."),), max_tokens=80, stop=("7",)
    )
    events = list(ModelGateway(local_backend).stream(request, conversation_id="c"))
    completion = events[-1]
    assert isinstance(completion, Completion)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == completion.text
    assert completion.finish_reason == "stop"
    assert "7" not in completion.text and "6" in completion.text


def test_that_the_second_turn_reuses_the_first_turns_prompt_from_the_kv_cache(
    local_backend: LocalBackend,
) -> None:
    import llama_cpp

    gateway = ModelGateway(local_backend)
    local_backend.forget_cached_prefix()
    history = [Message.system(SYSTEM), Message.user("Hi, do you sell sunscreen?")]
    first = gateway.complete(ChatRequest(tuple(history), max_tokens=48), conversation_id="c")
    assert first.usage.cached_tokens == 0

    history += [Message.assistant(first.text), Message.user("Which one is for children?")]
    ctx = local_backend.llama.ctx
    llama_cpp.llama_perf_context_reset(ctx)
    second = gateway.complete(ChatRequest(tuple(history), max_tokens=48), conversation_id="c")
    evaluated_by_llama_cpp = llama_cpp.llama_perf_context(ctx).n_p_eval

    usage = second.usage
    assert usage.cached_tokens >= first.usage.prompt_tokens
    assert (
        usage.prompt_tokens - usage.cached_tokens
        < usage.prompt_tokens - first.usage.prompt_tokens + 8
    )
    # The count the gateway records is the count llama.cpp itself evaluated.
    assert evaluated_by_llama_cpp == usage.prompt_tokens - usage.cached_tokens


def test_that_local_calls_cost_nothing_and_record_cpu_seconds(local_backend: LocalBackend) -> None:
    ledger = UsageLedger()
    gateway = ModelGateway(local_backend, sinks=[ledger])
    gateway.complete(
        ChatRequest((Message.user("Say hi."),), max_tokens=8), conversation_id="c-42", purpose="t"
    )
    [usage] = ledger.records("c-42")
    assert (usage.backend, usage.price_entry, usage.cost_pico_usd) == ("local", "local", 0)
    assert usage.cpu_seconds > 0 and usage.wall_seconds > 0
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert not usage.tokens_estimated


def test_that_concurrent_conversations_share_one_loaded_model(
    local_backend: LocalBackend, model_path: Path
) -> None:
    again = LocalBackend(model_path, model_name="same")
    assert again.llama is local_backend.llama

    ledger = UsageLedger()
    gateway = ModelGateway(again, sinks=[ledger])
    results: dict[str, Completion] = {}
    errors: list[BaseException] = []

    def converse(conversation: str, question: str) -> None:
        try:
            request = ChatRequest((Message.system(SYSTEM), Message.user(question)), max_tokens=24)
            results[conversation] = gateway.complete(request, conversation_id=conversation)
        except BaseException as error:
            errors.append(error)

    questions = {
        "alice": "Do you ship to Busan?",
        "bo": "我的订单什么时候到？",
        "chul": "환불은 얼마나 걸려요?",
        "dana": "Is the lip balm vegan?",
    }
    threads = [threading.Thread(target=converse, args=item) for item in questions.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(results) == set(questions)
    assert all(c.text and c.usage.completion_tokens > 0 for c in results.values())
    assert sorted(r.conversation_id for r in ledger.records()) == sorted(questions)


def test_that_a_prompt_longer_than_the_context_window_is_refused(
    local_backend: LocalBackend,
) -> None:
    request = ChatRequest((Message.user("shop " * 5000),))
    with pytest.raises(PromptTooLong, match="context window 4096"):
        ModelGateway(local_backend).complete(request, conversation_id="c")

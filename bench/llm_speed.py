"""Benchmark: shopkeep's local backend against raw llama-cpp-python, and prefix-reuse savings.

Same model, same prompt, one run; then a 5-turn conversation through the gateway shows the
prompt tokens KV-cache prefix reuse saves. The last line is the local/raw decode ratio.

    .venv/bin/python bench/llm_speed.py [--model 0.5b] [--tokens 200] [--rounds 4]

Prefill tokens/s is prompt tokens over the time to the first streamed token; decode tokens/s
is the tokens after the first over the time from the first to the last. Both sides start each
round with an empty KV cache, at temperature 0, and take turns going first. Run it on an
otherwise idle machine: llama.cpp's threads slow down badly when another process takes a core.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass

from llama_cpp import Llama

from shopkeep.llm import ChatRequest, Completion, Message, ModelGateway, TextDelta, UsageLedger
from shopkeep.llm.backends.local import LocalBackend, available_cpus
from shopkeep.llm.models import is_installed, model_spec, models_dir
from shopkeep.settings import Settings

SYSTEM = (
    "You are the assistant of Hanbit Beauty, an online cosmetics shop in Seoul that ships across "
    "Korea, China and the United States. You help customers find products, check their orders, "
    "change addresses and payment methods before shipping, and handle returns and exchanges of "
    "delivered items within 30 days. Orders can be cancelled while they are pending. Refunds go "
    "back to the original payment method or to a gift card. Shipping is free over $50; express "
    "delivery costs $8. Products: Green Tea Cleansing Foam ($14, oily and combination skin), "
    "Rice Water Toner ($18, dry skin), Snail Mucin Essence ($22, all skin types), Ceramide "
    "Barrier Cream ($28, dry and sensitive skin), Mineral Sunscreen SPF 50 ($19, kids and "
    "sensitive skin), Cica Repair Serum ($26, irritated skin), Vitamin C Brightening Ampoule "
    "($31), Lip Sleeping Mask ($16, berry or vanilla). Answer in the customer's language, "
    "briefly, and never invent products, prices or order details."
)
DECODE_PROMPT = "Write a Python function that sorts a list with merge sort, with comments."
TURNS = [
    "Hi! Which cleanser is good for oily skin?",
    "How much is it, and is shipping free?",
    "Do you also have a sunscreen for my kids?",
    "Great. If my son doesn't like it, can I return it?",
    "Thanks. How long does a refund take?",
]


@dataclass(frozen=True)
class Speed:
    prefill: float
    decode: float
    completion_tokens: int
    text: str


def raw_run(llama: Llama, prompt_tokens: list[int], max_tokens: int) -> Speed:
    llama.reset()
    pieces: list[str] = []
    first = last = 0.0
    finish = None
    started = time.perf_counter()
    for chunk in llama.create_completion(
        prompt_tokens, max_tokens=max_tokens, temperature=0.0, repeat_penalty=1.0, stream=True
    ):
        choice = chunk["choices"][0]
        if choice["text"]:
            last = time.perf_counter()
            first = first or last
            pieces.append(choice["text"])
        finish = choice["finish_reason"] or finish
    # Llama evaluates every generated token but the last when it stops at max_tokens, and all of
    # them when it stops at end-of-generation; its context holds exactly that.
    generated = llama.n_tokens - len(prompt_tokens) + (1 if finish == "length" else 0)
    return Speed(
        prefill=len(prompt_tokens) / (first - started),
        decode=(generated - 1) / (last - first),
        completion_tokens=generated,
        text="".join(pieces),
    )


def shopkeep_run(backend: LocalBackend, request: ChatRequest) -> Speed:
    backend.forget_cached_prefix()
    gateway = ModelGateway(backend)
    first = last = 0.0
    completion: Completion | None = None
    started = time.perf_counter()
    for event in gateway.stream(request, conversation_id="bench"):
        if isinstance(event, TextDelta):
            last = time.perf_counter()
            first = first or last
        else:
            completion = event
    assert completion is not None
    usage = completion.usage
    return Speed(
        prefill=usage.prompt_tokens / (first - started),
        decode=(usage.completion_tokens - 1) / (last - first),
        completion_tokens=usage.completion_tokens,
        text=completion.text,
    )


def conversation(backend: LocalBackend) -> tuple[int, int]:
    """Five turns of one conversation; returns (prompt tokens, of which reused from the cache)."""
    backend.forget_cached_prefix()
    ledger = UsageLedger()
    gateway = ModelGateway(backend, sinks=[ledger])
    history = [Message.system(SYSTEM)]
    for number, question in enumerate(TURNS, start=1):
        history.append(Message.user(question))
        reply = gateway.complete(ChatRequest(tuple(history), max_tokens=48), conversation_id="c")
        history.append(Message.assistant(reply.text))
        u = reply.usage
        print(
            f"  turn {number}: {u.prompt_tokens:5d} prompt tokens, {u.cached_tokens:5d} reused, "
            f"{u.prompt_tokens - u.cached_tokens:4d} evaluated, {u.completion_tokens:3d} generated"
        )
    totals = ledger.totals("c")
    return totals.prompt_tokens, totals.cached_tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="0.5b")
    parser.add_argument("--tokens", type=int, default=200, help="tokens to decode per run")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds; medians shown")
    args = parser.parse_args()

    settings = Settings()
    spec = model_spec(args.model)
    directory = models_dir(settings.cache_dir)
    if not is_installed(spec, directory):
        print(f"{spec.name} is not installed; run: shopkeep model install {spec.key}")
        return 2
    path = spec.path_in(directory)
    threads = settings.llm.threads or available_cpus()
    context = settings.llm.context_size

    backend = LocalBackend(path, model_name=spec.key, context_size=context, threads=threads)
    raw = Llama(
        model_path=str(path),
        n_ctx=context,
        n_threads=threads,
        n_threads_batch=threads,
        n_batch=settings.llm.batch_size,
        verbose=False,
    )
    request = ChatRequest(
        (Message.system(SYSTEM), Message.user(DECODE_PROMPT)), max_tokens=args.tokens
    )
    prompt_tokens = raw.tokenize(
        backend.render_prompt(request).encode("utf-8"), add_bos=False, special=True
    )

    raw_runs: list[Speed] = []
    local_runs: list[Speed] = []
    for number in range(args.rounds):
        # Alternate who goes first, so neither side always runs on a machine the other warmed.
        if number % 2 == 0:
            raw_runs.append(raw_run(raw, prompt_tokens, args.tokens))
            local_runs.append(shopkeep_run(backend, request))
        else:
            local_runs.append(shopkeep_run(backend, request))
            raw_runs.append(raw_run(raw, prompt_tokens, args.tokens))

    def median(runs: list[Speed], field: str) -> float:
        return statistics.median(getattr(r, field) for r in runs)

    same = all(r.text == s.text for r, s in zip(raw_runs, local_runs, strict=True))
    print(
        f"model {spec.name}, {threads} threads, context {context}; prompt {len(prompt_tokens)} "
        f"tokens, {local_runs[0].completion_tokens} decoded (raw: "
        f"{raw_runs[0].completion_tokens}); {args.rounds} alternating rounds, medians; "
        f"same text: {'yes' if same else 'NO'}"
    )
    print(f"{'':24s}{'prefill tok/s':>14s}{'decode tok/s':>14s}")
    for name, runs in (("raw llama-cpp-python", raw_runs), ("shopkeep local backend", local_runs)):
        print(f"{name:24s}{median(runs, 'prefill'):14.1f}{median(runs, 'decode'):14.1f}")

    print("5-turn conversation through the gateway, KV-cache prefix reuse:")
    prompt_total, reused = conversation(backend)
    print(
        f"  prompt tokens saved by prefix reuse: {reused:,} of {prompt_total:,} "
        f"({reused / prompt_total:.0%}); evaluated {prompt_total - reused:,}"
    )
    prefill_ratio = median(local_runs, "prefill") / median(raw_runs, "prefill")
    decode_ratio = median(local_runs, "decode") / median(raw_runs, "decode")
    print(f"local/raw prefill ratio: {prefill_ratio:.2f}")
    print(f"local/raw decode ratio: {decode_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Streams of the real 0.5B model and the conversations around them: the model is never held
by a reader, only while it computes.

Nothing here is asserted on time. `finishes` waits for a call on another thread only so that a
deadlock fails the test instead of hanging the suite.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Generator
from typing import TypeVar

import pytest

from shopkeep.llm import ChatRequest, Completion, Message, ModelGateway, TextDelta, UsageLedger
from shopkeep.llm.backends.local import LocalBackend, ModelCall, available_cpus

pytestmark = pytest.mark.slow

T = TypeVar("T")
HANG_GUARD_S = 300.0

SYSTEM = (
    "You are the assistant of Hanbit Beauty, an online cosmetics shop. You help customers "
    "find products, check and change orders, and handle returns. Be brief and polite."
)


def finishes(function: Callable[[], T]) -> T:
    """`function()`, run on another thread; fails the test if it never returns (a deadlock)."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(function())
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)
    if thread.is_alive():
        pytest.fail("the call never returned: it waits for a model that nothing computes on")
    if errors:
        raise errors[0]
    return results[0]


def ask(text: str, max_tokens: int = 48) -> ChatRequest:
    return ChatRequest((Message.system(SYSTEM), Message.user(text)), max_tokens=max_tokens)


LONG = ask("Describe our return policy for delivered items in detail, step by step.", 64)


def test_that_tokens_are_counted_while_a_stream_is_being_read(
    local_backend: LocalBackend,
) -> None:
    stream = ModelGateway(local_backend).stream(LONG, conversation_id="c")
    try:
        assert isinstance(next(stream), TextDelta)
        text = "Where is my order #W2378156?"
        counted = finishes(lambda: local_backend.count_tokens(text))
        assert counted == len(local_backend.llama.tokenize(text.encode(), add_bos=False))
        rest = list(stream)  # the stream goes on to its completion
        assert isinstance(rest[-1], Completion) and rest[-1].finish_reason in {"stop", "length"}
    finally:
        stream.close()


def test_that_a_second_conversation_is_served_while_the_first_stream_is_paused(
    local_backend: LocalBackend,
) -> None:
    ledger = UsageLedger()
    gateway = ModelGateway(local_backend, sinks=[ledger])
    paused = gateway.stream(LONG, conversation_id="paused")
    try:
        first = next(paused)
        assert isinstance(first, TextDelta)
        # The reader of the first stream reads nothing more until the second call is done.
        busan = ask("Do you ship to Busan?")
        other = finishes(lambda: gateway.complete(busan, conversation_id="b"))
        assert other.text and other.finish_reason in {"stop", "length"}
        rest = list(paused)
    finally:
        paused.close()
    completion = rest[-1]
    assert isinstance(completion, Completion)
    # The first stream is whole, though it was read after the second call ended.
    deltas = [first.text, *(e.text for e in rest if isinstance(e, TextDelta))]
    assert "".join(deltas) == completion.text
    assert [r.conversation_id for r in ledger.records()] == ["b", "paused"]


def test_that_closing_a_stream_early_stops_it_and_leaves_the_model_usable(
    local_backend: LocalBackend,
) -> None:
    import llama_cpp

    ledger = UsageLedger()
    gateway = ModelGateway(local_backend, sinks=[ledger])
    local_backend.forget_cached_prefix()
    stream = gateway.stream(LONG, conversation_id="gone")
    first = next(stream)
    assert isinstance(first, TextDelta)
    stream.close()

    # The abandoned call is recorded with what the model did for it.
    [abandoned] = ledger.records("gone")
    assert abandoned.finish_reason == "abandoned"
    assert abandoned.prompt_tokens == local_backend.count_tokens(local_backend.render_prompt(LONG))
    assert abandoned.cached_tokens == 0
    assert 1 <= abandoned.completion_tokens <= LONG.max_tokens
    assert abandoned.cpu_seconds > 0 and not abandoned.tokens_estimated

    # The next turn of that conversation reuses the abandoned call's prompt from the KV cache,
    # and the count recorded is the count llama.cpp really skipped.
    follow = ChatRequest(
        (*LONG.messages, Message.assistant(first.text), Message.user("Never mind. Thanks!")),
        max_tokens=16,
    )
    ctx = local_backend.llama.ctx
    llama_cpp.llama_perf_context_reset(ctx)
    reply = gateway.complete(follow, conversation_id="gone")
    evaluated_by_llama_cpp = llama_cpp.llama_perf_context(ctx).n_p_eval
    usage = reply.usage
    assert usage.cached_tokens >= abandoned.prompt_tokens
    assert evaluated_by_llama_cpp == usage.prompt_tokens - usage.cached_tokens
    assert reply.text and usage.finish_reason in {"stop", "length"}


def test_that_waiting_conversations_are_served_in_arrival_order(
    local_backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = local_backend._model.queue
    calls: list[ModelCall] = []
    pieces = queue.pieces

    def pieces_of(call: ModelCall) -> Generator[str, None, None]:
        calls.append(call)
        return pieces(call)

    monkeypatch.setattr(queue, "pieces", pieces_of)
    busy, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=queue.exclusive, args=(lambda: (busy.set(), release.wait()),))
    holder.start()
    busy.wait()  # the model is busy

    gateway = ModelGateway(local_backend)
    threads = []
    for number, name in enumerate(["first", "second", "third"], start=1):
        request = ask(f"Say {name}.", 8)
        thread = threading.Thread(
            target=gateway.complete, args=(request,), kwargs={"conversation_id": name}
        )
        thread.start()
        threads.append(thread)
        with queue._cond:  # this conversation is in line before the next one asks
            assert queue._cond.wait_for(lambda n=number: len(queue._waiting) == n, HANG_GUARD_S)
    release.set()
    for thread in [holder, *threads]:
        thread.join()
    # Each got the model (its turn began) after the one that came before it.
    turns = [call.arrived_at + call.queue_seconds for call in calls]
    assert len(turns) == 3 and turns == sorted(turns)
    assert all(call.finished for call in calls)


def test_that_cpu_seconds_are_the_models_not_the_whole_processes(
    local_backend: LocalBackend,
) -> None:
    """The CPU time of llama.cpp's threads for the call, without what another thread of the
    process burns meanwhile."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the worker threads are found through Linux's /proc")
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            pass

    spinner = threading.Thread(target=spin)
    spinner.start()
    assert spinner.ident is not None
    spinner_clock = time.pthread_getcpuclockid(spinner.ident)
    local_backend.forget_cached_prefix()
    try:
        spun, process, own = (
            time.clock_gettime(spinner_clock),
            time.process_time(),
            time.thread_time(),
        )
        usage = (
            ModelGateway(local_backend)
            .complete(ask("Say hi to a new customer.", 24), conversation_id="c")
            .usage
        )
        spun = time.clock_gettime(spinner_clock) - spun
        process = time.process_time() - process
        own = time.thread_time() - own
    finally:
        stop.set()
        spinner.join()
    assert spun > 0
    # At most what the process used less the spinner (the rest is the model and this thread),
    # and with more than one llama.cpp thread, more than this thread's own share.
    assert usage.cpu_seconds <= process - spun + 0.02
    if available_cpus() > 1:
        assert usage.cpu_seconds > own

"""The embedded model: llama.cpp in process, one loaded copy shared by every conversation."""

from __future__ import annotations

import atexit
import codecs
import json
import os
import random
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopkeep.llm.chat import BackendReply, CallProgress, ChatRequest
from shopkeep.llm.errors import ModelConfigInvalid, ModelNotInstalled, PromptTooLong
from shopkeep.llm.models import is_installed, model_spec, models_dir
from shopkeep.llm.parsing import render_tool_prompt
from shopkeep.llm.settings import LLMSettings


class ModelCall:
    """One call's hold on the shared model, and what it made that its reader has not taken.

    `step` advances the call by one token (the first time, it also evaluates the prompt);
    `stop` ends it where it is. Both set `finished` when the call is over, and neither raises
    (a failure is the call's result, for its reader). They run with the model to themselves,
    on whichever thread has it then: the call's reader, or the next caller in line helping.
    """

    def __init__(self) -> None:
        self.pieces: deque[str] = deque()
        self.finished = False
        self.stop_requested = False
        self.arrived_at = time.perf_counter()
        self.queue_seconds = 0.0

    def step(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class ModelQueue:
    """Turns at the one loaded model: in arrival order, held only while the model computes.

    The model holds the decoding state of one call at a time (its KV cache, its sampler): the
    current call, until it finishes. Its reader computes it a token at a time, on its own
    thread, as it asks for pieces. When its reader is away (a paused stream, a slow client)
    and another call waits, the first caller in line computes the current call to its end
    into its buffer (its reader still gets each piece as it is made) and then takes its turn.
    So a slow reader holds up nobody, and no thread of the model's own is needed: llama.cpp's
    OpenMP workers belong to the thread that computes, and one more computing thread is one
    more team of them, which slows every team (libgomp stops spinning when they outnumber the
    CPUs).
    """

    def __init__(self) -> None:
        # Reentrant: a stream collected by the garbage collector lets go of its call from
        # whatever thread the collector runs on, which may be inside this lock already.
        self._cond = threading.Condition(threading.RLock())
        self._computing: threading.Thread | None = None
        self._current: ModelCall | None = None
        self._waiting: deque[object] = deque()

    def pieces(self, call: ModelCall) -> Generator[str, None, None]:
        """The call's turn: waits for it (helping the call before, if its reader is away), then
        yields the pieces the call makes, as they come, until it finishes. Closing this early
        stops the call and returns once the model has let go of it."""
        with self._cond:
            self._wait_turn(call)
            self._current = call
            call.queue_seconds = time.perf_counter() - call.arrived_at
        try:
            while True:
                with self._cond:
                    while not call.pieces and not call.finished:
                        if self._computing is None and self._current is call:
                            self._compute(call.step)
                        else:
                            self._cond.wait()
                    if not call.pieces:
                        return
                    piece = call.pieces.popleft()
                yield piece
        finally:
            self._let_go(call)

    def exclusive(self, work: Callable[[], None]) -> None:
        """Runs `work` in turn, with the model to itself and no unfinished call in it."""
        with self._cond:
            self._wait_turn(object())
            self._compute(work)

    def _wait_turn(self, ticket: object) -> None:
        """With the lock held: returns once `ticket` is first in line, nothing computes and no
        call is unfinished. While first, it computes the unfinished call whenever nobody else
        does: that call's reader is away, and nobody should wait for it to come back."""
        self._waiting.append(ticket)
        self._cond.notify_all()
        try:
            while True:
                if self._waiting[0] is ticket and self._computing is None:
                    current = self._current
                    if current is None:
                        self._waiting.popleft()
                        self._cond.notify_all()
                        return
                    self._compute(current.step)
                else:
                    self._cond.wait()
        except BaseException:
            self._waiting.remove(ticket)
            self._cond.notify_all()
            raise

    def _compute(self, work: Callable[[], None]) -> None:
        """With the lock held and nothing computing: runs `work` without the lock, with the
        model to itself; then a finished current call lets go of the model."""
        self._computing = threading.current_thread()
        self._cond.release()
        try:
            work()
        finally:
            self._cond.acquire()
            self._computing = None
            if self._current is not None and self._current.finished:
                self._current = None
            self._cond.notify_all()

    def _let_go(self, call: ModelCall) -> None:
        with self._cond:
            call.stop_requested = True
            while self._current is call:  # unfinished: a finished call is no longer current
                if self._computing is None:
                    self._compute(call.stop)
                elif self._computing is threading.current_thread():
                    # Closed from inside a step on this thread (a collected generator): the
                    # step's caller sees stop_requested and ends the call.
                    return
                else:
                    self._cond.wait()


def cpu_snapshot() -> dict[int, float]:
    """CPU seconds so far, by thread id, of the calling thread and of the process's threads
    that Python did not start: llama.cpp's OpenMP workers (and any other native threads).

    Where Linux's per-thread CPU clocks cannot be read, only the calling thread's.
    """
    own = threading.get_native_id()
    snapshot = {own: time.thread_time()}
    if not sys.platform.startswith("linux"):
        return snapshot
    python = {thread.native_id for thread in threading.enumerate()}
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return snapshot
    for task in tasks:
        tid = int(task)
        if tid in python:
            continue
        try:
            snapshot[tid] = time.clock_gettime(_thread_cpu_clock(tid))
        except OSError:
            continue  # the thread ended meanwhile
    return snapshot


def cpu_seconds_between(start: dict[int, float], end: dict[int, float]) -> float:
    """The CPU seconds the threads of two snapshots used between them; a thread that started
    in between counts from zero, one that ended in between is lost."""
    return sum(max(0.0, seconds - start.get(tid, 0.0)) for tid, seconds in end.items())


def _thread_cpu_clock(tid: int) -> int:
    """Linux's clock id for the CPU time of a thread of this process: MAKE_THREAD_CPUCLOCK(tid,
    CPUCLOCK_SCHED), what pthread_getcpuclockid returns."""
    return ((~tid) << 3) | 6


@dataclass(eq=False)
class LoadedModel:
    """A Llama and what belongs with it. Only the holder of a turn in `queue` touches `llama`,
    except its tokenizer, which is safe from any thread (the vocabulary is read-only)."""

    llama: Any
    path: Path
    formatter: Any
    template_takes_tools: bool
    context_size: int
    queue: ModelQueue = field(default_factory=ModelQueue)
    grammars: dict[str, Any] = field(default_factory=dict)


_loaded: dict[tuple[Path, int, int, int, int], LoadedModel] = {}
_loading = threading.Lock()


@atexit.register
def _close_all() -> None:
    # Free the models while the interpreter still works: Llama's own __del__ runs too late at
    # exit, when llama_cpp's module globals are already gone, and prints a TypeError.
    with _loading:
        for loaded in _loaded.values():
            loaded.llama.close()
        _loaded.clear()


def available_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def load_model(
    path: Path, *, context_size: int, threads: int, batch_threads: int, batch_size: int
) -> LoadedModel:
    """The model at `path`, loaded once per process and configuration however often it is asked."""
    key = (path.resolve(), context_size, threads, batch_threads, batch_size)
    with _loading:
        if key in _loaded:
            return _loaded[key]
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llama = Llama(
            model_path=str(path),
            n_ctx=context_size,
            n_threads=threads,
            n_threads_batch=batch_threads,
            n_batch=batch_size,
            verbose=False,
        )
        template = llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelConfigInvalid(f"{path} carries no chat template in its GGUF metadata")
        eos, bos = llama.token_eos(), llama.token_bos()
        formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
            bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
        )
        loaded = LoadedModel(
            llama=llama,
            path=path,
            formatter=formatter,
            template_takes_tools="tools" in template,
            context_size=context_size,
        )
        _loaded[key] = loaded
        return loaded


class LocalBackend:
    """Qwen (or any GGUF chat model) through llama-cpp-python, with the model's own template.

    The model holds one KV cache. Each call evaluates only what its prompt does not share with
    what the cache holds, so the turns of one conversation reuse each other; conversations that
    interleave still share the stable system prompt at the front.

    Calls run on the loaded model's own thread, in arrival order, each from its prompt to its
    last token without waiting for its reader: the text waits in an unbounded queue (at most
    `max_tokens` pieces), so a slow reader never holds up another conversation.
    """

    name = "local"

    def __init__(
        self,
        path: Path,
        *,
        model_name: str | None = None,
        context_size: int = 4096,
        threads: int | None = None,
        batch_threads: int | None = None,
        batch_size: int = 512,
    ) -> None:
        if not path.is_file():
            raise ModelNotInstalled(f"no model file at {path}")
        threads = threads or available_cpus()
        self._model = load_model(
            path,
            context_size=context_size,
            threads=threads,
            batch_threads=batch_threads or threads,
            batch_size=batch_size,
        )
        self.model = model_name or path.stem

    @classmethod
    def from_settings(cls, settings: LLMSettings, cache_dir: Path) -> LocalBackend:
        if settings.model_path is not None:
            path, name = settings.model_path, settings.model_path.stem
        else:
            spec = model_spec(settings.local_model)
            directory = models_dir(cache_dir)
            if not is_installed(spec, directory):
                raise ModelNotInstalled(
                    f"{spec.name} is not installed in {directory}; "
                    f"run: shopkeep model install {spec.key}"
                )
            path, name = spec.path_in(directory), spec.filename.removesuffix(".gguf")
        return cls(
            path,
            model_name=name,
            context_size=settings.context_size,
            threads=settings.threads,
            batch_threads=settings.batch_threads,
            batch_size=settings.batch_size,
        )

    @property
    def llama(self) -> Any:
        """The shared `llama_cpp.Llama`. Only the model thread may use it while calls run (its
        tokenizer excepted); tests and benchmarks read its counters between calls."""
        return self._model.llama

    def render_prompt(self, request: ChatRequest) -> str:
        """The prompt text the GGUF's own chat template makes of the request."""
        messages = [m.as_template_input() for m in request.messages]
        tools = [t.as_openai() for t in request.tools] or None
        if tools and not self._model.template_takes_tools:
            messages = _with_tool_prompt(messages, render_tool_prompt(request.tools))
            tools = None
        return str(self._model.formatter(messages=messages, tools=tools).prompt)

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` as this model reads a prompt; never waits for the model."""
        return len(self._tokenize(text))

    def forget_cached_prefix(self) -> None:
        """Drop the KV cache, so the next call evaluates its whole prompt (benchmarks use this)."""
        self._model.queue.exclusive(self._model.llama.reset)

    def generate(
        self, request: ChatRequest, *, stream: bool, progress: CallProgress | None = None
    ) -> Generator[str | BackendReply, None, None]:
        """Waits for the model's turn, then computes the reply a token at a time as its pieces
        are read. See `ModelQueue`: the model is held only while it computes, and a reader that
        stops reading holds up no other call. Closing this generator early stops the call at
        its next token and returns once the model has let go of it."""
        progress = progress if progress is not None else CallProgress()
        tokens = self._tokenize(self.render_prompt(request))
        if len(tokens) >= self._model.context_size:
            raise PromptTooLong(
                f"the prompt has {len(tokens)} tokens and the context window "
                f"{self._model.context_size} (SHOPKEEP_LLM__CONTEXT_SIZE)"
            )
        seed = request.seed if request.seed is not None else random.getrandbits(32)
        call = _Decoding(self, request, tokens, seed, stream=stream, progress=progress)
        yield from self._model.queue.pieces(call)
        if call.error is not None:
            raise call.error
        yield BackendReply(
            text=call.text,
            tokens=progress.tokens,
            finish_reason=call.finish_reason,
            model=self.model,
            cpu_seconds=progress.cpu_seconds,
            queue_seconds=progress.queue_seconds,
        )

    def _tokenize(self, text: str) -> list[int]:
        # The template writes the special tokens (<|im_start|>...) itself: no BOS, parse specials.
        tokens: list[int] = self._model.llama.tokenize(
            text.encode("utf-8"), add_bos=False, special=True
        )
        return tokens

    def _grammar(self, request: ChatRequest) -> Any:
        if request.json_schema is not None:
            key = "schema:" + json.dumps(request.json_schema, sort_keys=True)
        elif request.grammar is not None:
            key = "gbnf:" + request.grammar
        else:
            return None
        cache = self._model.grammars
        if key not in cache:
            from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

            if request.json_schema is not None:
                gbnf = json_schema_to_gbnf(json.dumps(request.json_schema))
            else:
                gbnf = str(request.grammar)
            _check_grammar(self._model.llama, gbnf)
            if len(cache) >= 256:
                cache.pop(next(iter(cache)))
            cache[key] = LlamaGrammar.from_string(gbnf, verbose=False)
        return cache[key]


class _Decoding(ModelCall):
    """One local call's decoding, a token per step, with the model to itself at each step.

    `progress` is kept current as it goes; CPU time is that of the thread computing each step
    and of llama.cpp's worker threads (see `cpu_snapshot`), not the rest of the process.
    """

    def __init__(
        self,
        backend: LocalBackend,
        request: ChatRequest,
        tokens: list[int],
        seed: int,
        *,
        stream: bool,
        progress: CallProgress,
    ) -> None:
        super().__init__()
        self._backend = backend
        self._llama = backend.llama
        self._request = request
        self._tokens = tokens
        self._seed = seed
        self._stream = stream
        self.progress = progress
        self._max_tokens = min(request.max_tokens, backend._model.context_size - len(tokens))
        self._hold_back = max((len(s) for s in request.stop), default=1) - 1
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._tokens_out: Generator[int, Any, None] | None = None
        self._is_end: Callable[[int], bool] = lambda token: False
        self._emitted = 0
        self.text = ""
        self.finish_reason = "length"
        self.error: Exception | None = None

    def step(self) -> None:
        if self.finished:
            return
        before = cpu_snapshot()
        try:
            if self.stop_requested:
                self._finish("abandoned")
            elif self._tokens_out is None:
                self._start()
                self._next_token()
            else:
                self._next_token()
        except Exception as error:  # the reader's to raise
            self.error = error
            self._finish("error")
        finally:
            self._count_cpu(before)

    def stop(self) -> None:
        if self.finished:
            return
        before = cpu_snapshot()
        try:
            self._finish("abandoned")
        finally:
            self._count_cpu(before)

    def _start(self) -> None:
        self.progress.queue_seconds = self.queue_seconds
        llama = self._llama
        grammar = self._backend._grammar(self._request)
        cached = _reusable_prefix(llama, self._tokens)
        self.progress.prompt_tokens, self.progress.cached_tokens = len(self._tokens), cached
        llama.set_seed(self._seed)
        from llama_cpp import llama_vocab_is_eog

        vocab = llama._model.vocab
        self._is_end = lambda token: bool(llama_vocab_is_eog(vocab, token))
        request = self._request
        self._tokens_out = llama.generate(
            self._tokens,
            temp=request.temperature,
            top_k=40,
            top_p=0.95,
            min_p=0.05,
            repeat_penalty=1.0,
            grammar=grammar,
        )

    def _next_token(self) -> None:
        assert self._tokens_out is not None
        llama = self._llama
        token = next(self._tokens_out)  # the first one evaluates the prompt
        if self._is_end(token):
            self._finish("stop")
            return
        self.progress.completion_tokens += 1
        # special=True: a control token the model writes (<|im_start|> when it starts inventing
        # the next turn) shows in the text instead of vanishing.
        self.text += self._decoder.decode(llama._model.detokenize([token], special=True))
        request = self._request
        if request.stop:
            cut = _first_stop(self.text, request.stop, self._emitted)
            if cut is not None:
                self.text = self.text[:cut]
                self._finish("stop")
                return
        if self._stream:
            ready = len(self.text) - self._hold_back if request.stop else len(self.text)
            if ready > self._emitted:
                self.pieces.append(self.text[self._emitted : ready])
                self._emitted = ready
        if self.progress.completion_tokens >= self._max_tokens:
            self._finish("length")

    def _finish(self, reason: str) -> None:
        try:
            if self._tokens_out is not None:
                self._tokens_out.close()
            self.text += self._decoder.decode(b"", final=True)
            if self._stream and len(self.text) > self._emitted and reason != "error":
                self.pieces.append(self.text[self._emitted :])
                self._emitted = len(self.text)
        finally:
            self.finish_reason = reason
            self.finished = True

    def _count_cpu(self, before: dict[int, float]) -> None:
        self.progress.cpu_seconds += cpu_seconds_between(before, cpu_snapshot())


def _reusable_prefix(llama: Any, tokens: list[int]) -> int:
    """How many prompt tokens llama.cpp will take from its KV cache instead of evaluating.

    The same decision `Llama.generate` makes: the longest common prefix with what the context
    holds, less one when the whole prompt matches but its logits must be recomputed.
    """
    if llama.n_tokens == 0:
        return 0
    from llama_cpp import Llama

    prefix: int = Llama.longest_token_prefix(llama._input_ids.tolist(), tokens)
    if prefix == len(tokens):
        exact = llama.n_tokens == len(tokens) and not llama._requires_eval
        return prefix if exact else prefix - 1
    return prefix


def _check_grammar(llama: Any, gbnf: str) -> None:
    """llama.cpp returns no sampler for a grammar it cannot parse, and using that crashes."""
    import llama_cpp

    sampler = llama_cpp.llama_sampler_init_grammar(
        llama._model.vocab, gbnf.encode("utf-8"), b"root"
    )
    if not sampler:
        raise ValueError("the grammar is not valid GBNF (llama.cpp could not parse it)")
    llama_cpp.llama_sampler_free(sampler)


def _first_stop(text: str, stops: tuple[str, ...], emitted: int) -> int | None:
    positions = [i for s in stops if (i := text.find(s, max(0, emitted - len(s)))) >= 0]
    return min(positions) if positions else None


def _with_tool_prompt(messages: list[dict[str, Any]], tool_prompt: str) -> list[dict[str, Any]]:
    if messages and messages[0]["role"] == "system":
        first = dict(messages[0], content=f"{messages[0]['content']}\n\n{tool_prompt}")
        return [first, *messages[1:]]
    return [{"role": "system", "content": tool_prompt}, *messages]

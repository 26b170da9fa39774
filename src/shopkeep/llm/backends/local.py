"""The embedded model: llama.cpp in process, one loaded copy shared by every conversation."""

from __future__ import annotations

import atexit
import codecs
import json
import os
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopkeep.llm.chat import BackendReply, ChatRequest, TokenCounts
from shopkeep.llm.errors import ModelConfigInvalid, ModelNotInstalled, PromptTooLong
from shopkeep.llm.models import is_installed, model_spec, models_dir
from shopkeep.llm.parsing import render_tool_prompt
from shopkeep.llm.settings import LLMSettings


class FifoLock:
    """A lock granted in arrival order, so a busy model serves conversations first come first
    served instead of letting one thread win repeatedly."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._next_ticket = 0
        self._serving = 0

    def __enter__(self) -> None:
        with self._condition:
            ticket = self._next_ticket
            self._next_ticket += 1
            while ticket != self._serving:
                self._condition.wait()

    def __exit__(self, *exc: object) -> None:
        with self._condition:
            self._serving += 1
            self._condition.notify_all()


@dataclass(eq=False)
class LoadedModel:
    """A Llama and what belongs with it. Only the holder of `lock` touches `llama`."""

    llama: Any
    path: Path
    formatter: Any
    template_takes_tools: bool
    context_size: int
    lock: FifoLock = field(default_factory=FifoLock)
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
        """The shared `llama_cpp.Llama`; hold no reference to it across calls of other threads."""
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
        with self._model.lock:
            return len(self._tokenize(text))

    def forget_cached_prefix(self) -> None:
        """Drop the KV cache, so the next call evaluates its whole prompt (benchmarks use this)."""
        with self._model.lock:
            self._model.llama.reset()

    def generate(self, request: ChatRequest, *, stream: bool) -> Iterator[str | BackendReply]:
        prompt = self.render_prompt(request)
        llama = self._model.llama
        queued_at = time.perf_counter()
        with self._model.lock:
            queue_seconds = time.perf_counter() - queued_at
            grammar = self._grammar(request)
            # process_time counts every llama.cpp thread; the lock keeps other calls out of it.
            cpu_start = time.process_time()
            tokens = self._tokenize(prompt)
            if len(tokens) >= self._model.context_size:
                raise PromptTooLong(
                    f"the prompt has {len(tokens)} tokens and the context window "
                    f"{self._model.context_size} (SHOPKEEP_LLM__CONTEXT_SIZE)"
                )
            max_tokens = min(request.max_tokens, self._model.context_size - len(tokens))
            cached = _reusable_prefix(llama, tokens)
            llama.set_seed(request.seed if request.seed is not None else random.getrandbits(32))
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            vocab = llama._model.vocab
            from llama_cpp import llama_vocab_is_eog

            hold_back = max((len(s) for s in request.stop), default=1) - 1
            text, emitted, generated, finish = "", 0, 0, "length"
            tokens_out = llama.generate(
                tokens,
                temp=request.temperature,
                top_k=40,
                top_p=0.95,
                min_p=0.05,
                repeat_penalty=1.0,
                grammar=grammar,
            )
            try:
                for token in tokens_out:
                    if llama_vocab_is_eog(vocab, token):
                        finish = "stop"
                        break
                    generated += 1
                    # special=True: a control token the model writes (<|im_start|> when it starts
                    # inventing the next turn) shows in the text instead of vanishing.
                    text += decoder.decode(llama._model.detokenize([token], special=True))
                    if request.stop:
                        cut = _first_stop(text, request.stop, emitted)
                        if cut is not None:
                            text, finish = text[:cut], "stop"
                            break
                    if stream:
                        ready = len(text) - hold_back if request.stop else len(text)
                        if ready > emitted:
                            yield text[emitted:ready]
                            emitted = ready
                    if generated >= max_tokens:
                        break
            finally:
                tokens_out.close()
            text += decoder.decode(b"", final=True)
            if stream and len(text) > emitted:
                yield text[emitted:]
            cpu_seconds = time.process_time() - cpu_start
        yield BackendReply(
            text=text,
            tokens=TokenCounts(prompt=len(tokens), cached=cached, completion=generated),
            finish_reason=finish,
            model=self.model,
            cpu_seconds=cpu_seconds,
            queue_seconds=queue_seconds,
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

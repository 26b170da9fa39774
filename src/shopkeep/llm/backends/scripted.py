"""A backend that plays given replies in order, so engine tests run without a model."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Generator, Iterable

from shopkeep.llm.chat import BackendReply, CallProgress, ChatRequest
from shopkeep.llm.errors import ScriptExhausted

Reply = str | Callable[[ChatRequest], str]
"""A reply is a string, or a function of the request that returns one (or raises, to play a
failing model)."""


def estimate_tokens(text: str) -> int:
    """About four characters a token: near enough for English, and only ever used for scripts."""
    return math.ceil(len(text) / 4)


class ScriptedBackend:
    """Each call takes the next reply: a string, or a function of the request (to assert on it)."""

    name = "scripted"

    def __init__(self, replies: Iterable[Reply], *, model: str = "scripted") -> None:
        self._replies = list(replies)
        self._next = 0
        self._lock = threading.Lock()
        self.model = model
        self.requests: list[ChatRequest] = []

    @property
    def remaining(self) -> int:
        return len(self._replies) - self._next

    def generate(
        self, request: ChatRequest, *, stream: bool, progress: CallProgress | None = None
    ) -> Generator[str | BackendReply, None, None]:
        with self._lock:
            if self._next >= len(self._replies):
                raise ScriptExhausted(
                    f"the script has {len(self._replies)} replies and call "
                    f"{self._next + 1} asked for another"
                )
            reply = self._replies[self._next]
            self._next += 1
            self.requests.append(request)
        progress = progress if progress is not None else CallProgress()
        prompt = "".join(f"{m.role}: {m.content}\n" for m in request.messages)
        progress.prompt_tokens = estimate_tokens(prompt)
        progress.tokens_estimated = True
        text = reply(request) if callable(reply) else reply
        if stream:
            sent = ""
            for piece in re.split(r"(?<=\s)", text):
                if piece:
                    sent += piece
                    progress.completion_tokens = estimate_tokens(sent)
                    yield piece
        progress.completion_tokens = estimate_tokens(text)
        yield BackendReply(
            text=text,
            tokens=progress.tokens,
            finish_reason="stop",
            model=self.model,
            tokens_estimated=True,
        )

"""A backend that plays given replies in order, so engine tests run without a model."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable, Iterator

from shopkeep.llm.chat import BackendReply, ChatRequest, TokenCounts
from shopkeep.llm.errors import ScriptExhausted

Reply = str | Callable[[ChatRequest], str]


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

    def generate(self, request: ChatRequest, *, stream: bool) -> Iterator[str | BackendReply]:
        with self._lock:
            if self._next >= len(self._replies):
                raise ScriptExhausted(
                    f"the script has {len(self._replies)} replies and call "
                    f"{self._next + 1} asked for another"
                )
            reply = self._replies[self._next]
            self._next += 1
            self.requests.append(request)
        text = reply(request) if callable(reply) else reply
        if stream:
            yield from (piece for piece in re.split(r"(?<=\s)", text) if piece)
        prompt = "".join(f"{m.role}: {m.content}\n" for m in request.messages)
        yield BackendReply(
            text=text,
            tokens=TokenCounts(
                prompt=estimate_tokens(prompt), cached=0, completion=estimate_tokens(text)
            ),
            finish_reason="stop",
            model=self.model,
            tokens_estimated=True,
        )

"""Model backends turn a ChatRequest into text and token counts; the gateway does the rest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from shopkeep.llm.chat import BackendReply, ChatRequest


class ModelBackend(Protocol):
    @property
    def name(self) -> str:
        """local, openai or scripted."""
        ...

    @property
    def model(self) -> str:
        """The model's name as the usage records show it."""
        ...

    def generate(self, request: ChatRequest, *, stream: bool) -> Iterator[str | BackendReply]:
        """Text pieces while the reply streams (none when `stream` is false), then one reply."""
        ...

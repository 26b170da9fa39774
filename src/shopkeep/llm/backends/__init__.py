"""Model backends turn a ChatRequest into text and token counts; the gateway does the rest."""

from __future__ import annotations

from collections.abc import Generator
from typing import Protocol

from shopkeep.llm.chat import BackendReply, CallProgress, ChatRequest


class ModelBackend(Protocol):
    @property
    def name(self) -> str:
        """local, openai or scripted."""
        ...

    @property
    def model(self) -> str:
        """The model's name as the usage records show it."""
        ...

    def generate(
        self, request: ChatRequest, *, stream: bool, progress: CallProgress | None = None
    ) -> Generator[str | BackendReply, None, None]:
        """Text pieces while the reply streams (none when `stream` is false), then one reply.

        Keeps `progress` current with what the call has done, for the gateway to record when the
        call raises or is closed before its reply. Closing the generator early must stop the
        work and let go of whatever the call held.
        """
        ...

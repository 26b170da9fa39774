"""The assistant tests' bench: an Assistant on a shop with a scripted model, and a helper that
plays a chat."""

from __future__ import annotations

from dataclasses import dataclass, field

from shopkeep.agent.engine import Assistant
from shopkeep.agent.result import TurnResult
from shopkeep.llm import ScriptedBackend
from shopkeep.store import Store


@dataclass
class Bench:
    """An assistant on the test's shop, with the scripted model's requests kept to assert on."""

    shop: Store
    backend: ScriptedBackend
    assistant: Assistant
    results: list[TurnResult] = field(default_factory=list)

    def chat(self, customer_email: str | None, *turns: str) -> list[TurnResult]:
        """A new conversation (logged in as the customer, or a guest), one result per turn."""
        customer_id = (
            None if customer_email is None else self.shop.customers.find_by_email(customer_email)
        )
        conversation = self.assistant.start(customer_id=customer_id, channel="test")
        return self.more(conversation, *turns)

    def more(self, conversation_id: str, *turns: str) -> list[TurnResult]:
        out = [self.assistant.reply(conversation_id, text) for text in turns]
        self.results += out
        return out

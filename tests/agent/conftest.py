"""The assistant's test bench: a copy of the demo shop per test (seeded once per session at the
eval moment), an Assistant on it with a scripted model, and a helper that plays a chat."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from shopkeep.agent.engine import Assistant, Mode
from shopkeep.agent.result import TurnResult
from shopkeep.evals.demo import DemoShop
from shopkeep.llm import ModelGateway, ScriptedBackend
from shopkeep.llm.backends.scripted import Reply
from shopkeep.store import Store


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> DemoShop:
    return DemoShop.build(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def shop(demo_shop: DemoShop, request: pytest.FixtureRequest) -> Iterator[Store]:
    store = demo_shop.fresh(request.node.name)
    yield store
    demo_shop.discard(store)


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


@pytest.fixture
def bench(shop: Store) -> Callable[..., Bench]:
    def make(*script: Reply, mode: Mode = "flows") -> Bench:
        backend = ScriptedBackend(list(script))
        return Bench(shop, backend, Assistant(shop, ModelGateway(backend), mode=mode))

    return make

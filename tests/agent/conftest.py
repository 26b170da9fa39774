"""The assistant's test bench: a copy of the demo shop per test (seeded once per session at the
eval moment), an Assistant on it with a scripted model, and a helper that plays a chat."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from agent_bench import Bench

from shopkeep.agent.engine import Assistant, Mode
from shopkeep.agent.tools import IdentityPolicy
from shopkeep.evals.demo import DemoShop
from shopkeep.llm import ModelGateway, ScriptedBackend
from shopkeep.llm.backends.scripted import Reply
from shopkeep.store import Store

TAU2 = IdentityPolicy.tau2()
"""These tests verify guests by email or name + zip: tau2-bench's rule, chosen here."""


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> DemoShop:
    return DemoShop.build(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def shop(demo_shop: DemoShop, request: pytest.FixtureRequest) -> Iterator[Store]:
    store = demo_shop.fresh(request.node.name)
    yield store
    demo_shop.discard(store)


@pytest.fixture
def bench(shop: Store) -> Callable[..., Bench]:
    def make(*script: Reply, mode: Mode = "flows") -> Bench:
        backend = ScriptedBackend(list(script))
        return Bench(
            shop, backend, Assistant(shop, ModelGateway(backend), mode=mode, identity=TAU2)
        )

    return make

"""The security suite's set-up: the interfaces' own test benches (the chat API's, the agent
checkout's, the MCP server's, the assistant's), on a copy of the demo shop per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The attacks go through the same doors the interfaces' own tests open: their benches.
TESTS = Path(__file__).resolve().parents[1]
for folder in ("api", "mcp", "agent"):
    if str(TESTS / folder) not in sys.path:
        sys.path.append(str(TESTS / folder))

from shopkeep.evals.demo import DemoShop  # noqa: E402
from shopkeep.store import Store  # noqa: E402


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> DemoShop:
    return DemoShop.build(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def shop(demo_shop: DemoShop, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A copy of the demo shop, its clock stopped at the demo's moment."""
    store = demo_shop.fresh(request.node.name)
    yield store
    demo_shop.discard(store)

"""The blind suites as shipped: every conversation names only what its shop has, the halves are
what the split made them, and the shipped suite does not read them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from shopkeep.evals.demo import DemoShop, check_references
from shopkeep.evals.scenarios import load_suite
from shopkeep.evals.tau2.scripts import load_scripts
from shopkeep.evals.tau2.tasks import load_tasks

SCENARIOS = Path(__file__).parents[2] / "scenarios"
BLIND = SCENARIOS / "blind"
DROPPED = {"dev": {"zh": 1}, "test": {}}
"""Cases dropped because the shop's data made them ambiguous (scenarios/blind/README.md)."""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> DemoShop:
    return DemoShop.build(tmp_path_factory.mktemp("demo"))


@pytest.mark.parametrize("half", ["dev", "test"])
def test_that_each_half_of_the_blind_shop_suite_names_only_what_the_demo_shop_has(
    shop: DemoShop, half: str
) -> None:
    scenarios = load_suite(BLIND / "shop" / half)
    expected = {lang: 36 - DROPPED[half].get(lang, 0) for lang in ("en", "zh", "ko")}
    assert Counter(s.language for s in scenarios) == expected
    store = shop.fresh(f"blind-{half}")
    try:
        assert check_references(scenarios, store) == []
    finally:
        shop.discard(store)


def test_that_the_halves_share_no_conversation_and_every_tau2_task_is_scripted_once() -> None:
    dev, test = (load_suite(BLIND / "shop" / half) for half in ("dev", "test"))
    assert not {s.id for s in dev} & {s.id for s in test}
    tasks = load_tasks(BLIND / "tau2" / "tasks.json")
    scripts = [s for half in ("dev", "test") for s in load_scripts(BLIND / "tau2" / half, tasks)]
    assert sorted(s.task for s in scripts) == sorted(t.id for t in tasks)
    assert Counter(s.language for s in scripts) == {"en": 16, "zh": 16, "ko": 16}


def test_that_the_shipped_suite_does_not_read_the_blind_suites() -> None:
    shipped = load_suite(SCENARIOS)
    assert shipped and not any(s.file and BLIND in s.file.parents for s in shipped)

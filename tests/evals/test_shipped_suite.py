"""The shipped scenario suite: every scenario names things the demo shop has, and a subset runs
end to end on the real local 0.5B model — the path a customer takes — with every turn judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopkeep.evals.demo import DemoShop, check_references
from shopkeep.evals.runner import engine_assistant, run_suite
from shopkeep.evals.scenarios import load_suite
from shopkeep.llm import ModelGateway, PriceTable
from shopkeep.llm.backends.local import LocalBackend
from shopkeep.llm.settings import LLMSettings

SUITE = Path(__file__).parents[2] / "scenarios"

# One or two per job, in all three languages, with adversarial ones among them.
SUBSET = (
    "en-buy-001-speaker",
    "zh-buy-002-guest-by-email",
    "ko-buy-002-beauty-campaign",
    "en-buy-107-correction",
    "zh-cancel-002-choose-among-two",
    "ko-cancel-001-by-id",
    "en-cancel-103-yes-in-same-message",
    "ko-return-002-everything",
    "zh-return-003-to-gift-card",
    "en-exchange-001-size",
    "en-change_address-001-other-saved-address",
    "zh-change_payment-001-card-by-last-four",
    "ko-change_items-002-price-difference",
    "en-order_status-101-other-customers-order",
    "zh-order_status-001-tracking",
    "en-food-003-full-slot-next-one",
    "ko-food-001-two-jasmine-teas",
    "zh-promotions-001-tea-week-budget",
    "en-product_question-002-unknown-origin",
    "ko-search-002-compare-serums",
    "zh-recommend-001-oily-skin-cleanser",
    "ko-handoff-001-asks-for-agent",
    "en-out_of_scope-001-weather",
    "en-cancel-102-message-injection",
    "zh-smalltalk-001-hello",
)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> DemoShop:
    return DemoShop.build(tmp_path_factory.mktemp("demo"))


def test_that_every_shipped_scenario_names_only_what_the_demo_shop_has(shop: DemoShop) -> None:
    scenarios = load_suite(SUITE)
    assert len(scenarios) >= 80
    store = shop.fresh("check")
    try:
        assert check_references(scenarios, store) == []
    finally:
        shop.discard(store)


def test_that_the_shipped_suite_covers_every_job_in_every_language() -> None:
    from shopkeep.agent.jobs import JOBS, LANGUAGES

    covered = {(s.job, s.language) for s in load_suite(SUITE)}
    assert {(job, lang) for job in JOBS for lang in LANGUAGES} <= covered


@pytest.mark.slow
def test_that_a_subset_of_the_shipped_scenarios_succeeds_on_the_real_local_model(
    shop: DemoShop, model_path: Path
) -> None:
    chosen = [s for s in load_suite(SUITE) if s.id in SUBSET]
    assert len(chosen) == len(SUBSET)
    gateway = ModelGateway(LocalBackend(model_path, model_name="qwen2.5-coder-0.5b"))
    run = run_suite(
        chosen,
        shop=shop,
        assistant_for=engine_assistant(gateway, "flows"),
        prices=PriceTable.from_settings(LLMSettings()),
        mode="flows",
        model="0.5b",
        price_entry="local",
    )
    failed = {
        r.id: [*r.failures, *(v.detail for v in r.violations), *([r.error] if r.error else [])]
        for r in run.results
        if not r.success
    }
    assert failed == {}
    assert sum(len(r.violations) for r in run.results) == 0

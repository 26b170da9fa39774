"""Prices per 1M tokens, exact costs, and the operator's own entries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopkeep.llm import LLMSettings, Price, PriceTable, TokenCounts, format_usd
from shopkeep.llm.errors import ModelConfigInvalid
from shopkeep.llm.pricing import entry_for, usd


def test_that_the_default_table_has_deepseek_gpt_and_a_free_local_entry() -> None:
    table = PriceTable.from_settings(LLMSettings())
    assert table["deepseek-v3.2"].per_million_usd() == (
        Decimal("0.28"),
        Decimal("0.028"),
        Decimal("0.8"),
    )
    assert table["gpt-5.2"].per_million_usd() == (Decimal("1.75"), Decimal("0.175"), Decimal(14))
    assert table["gpt-5.2-pro"].per_million_usd() == (Decimal(21), Decimal(21), Decimal(168))
    assert table["local"].cost_pico_usd(TokenCounts(10_000, 5_000, 10_000)) == 0


def test_that_a_million_tokens_cost_exactly_the_listed_price() -> None:
    deepseek = PriceTable.from_settings(LLMSettings())["deepseek-v3.2"]
    assert usd(deepseek.cost_pico_usd(TokenCounts(1_000_000, 0, 0))) == Decimal("0.28")
    assert usd(deepseek.cost_pico_usd(TokenCounts(1_000_000, 1_000_000, 0))) == Decimal("0.028")
    assert usd(deepseek.cost_pico_usd(TokenCounts(0, 0, 1_000_000))) == Decimal("0.8")


def test_that_cached_tokens_are_billed_at_the_cached_price_the_rest_at_the_input_price() -> None:
    price = Price.usd_per_million("1.75", "14", cached_input="0.175")
    # 300 evaluated prompt tokens, 700 cached, 50 completion: all in pico-dollars, no rounding.
    cost = price.cost_pico_usd(TokenCounts(prompt=1000, cached=700, completion=50))
    assert cost == 300 * 1_750_000 + 700 * 175_000 + 50 * 14_000_000
    assert format_usd(cost) == "$0.001348"


def test_that_an_operator_entry_is_added_and_can_replace_a_default() -> None:
    settings = LLMSettings.model_validate(
        {
            "prices": {
                "qwen-plus": {"input": "0.4", "output": "1.2", "cached_input": "0.08"},
                "gpt-5.2": {"input": "2", "output": "16"},
            }
        }
    )
    table = PriceTable.from_settings(settings)
    assert table["qwen-plus"] == Price.usd_per_million("0.4", "1.2", cached_input="0.08")
    assert table["gpt-5.2"].per_million_usd() == (Decimal(2), Decimal(2), Decimal(16))
    assert "deepseek-v3.2" in table


def test_that_a_price_finer_than_a_micro_dollar_per_million_tokens_is_refused() -> None:
    with pytest.raises(ModelConfigInvalid, match="6 decimal places"):
        Price.usd_per_million("0.0000001", "1")


def test_that_an_unknown_price_entry_names_the_known_ones() -> None:
    with pytest.raises(ModelConfigInvalid, match=r"known: deepseek-v3\.2, gpt-5\.2"):
        PriceTable.from_settings(LLMSettings())["claude"]


def test_that_local_and_scripted_models_are_billed_at_the_local_entry_by_default() -> None:
    table = PriceTable.from_settings(LLMSettings())
    assert entry_for(LLMSettings(backend="local"), table) == "local"
    assert entry_for(LLMSettings(backend="scripted"), table) == "local"


def test_that_an_endpoint_model_is_billed_by_its_name_or_the_configured_entry() -> None:
    table = PriceTable.from_settings(LLMSettings())
    assert entry_for(LLMSettings(backend="openai", model="gpt-5.2"), table) == "gpt-5.2"
    configured = LLMSettings(backend="openai", model="deepseek-chat", price_entry="deepseek-v3.2")
    assert entry_for(configured, table) == "deepseek-v3.2"


def test_that_an_endpoint_model_without_a_price_is_a_configuration_error() -> None:
    table = PriceTable.from_settings(LLMSettings())
    with pytest.raises(ModelConfigInvalid, match="SHOPKEEP_LLM__PRICE_ENTRY"):
        entry_for(LLMSettings(backend="openai", model="my-own-qwen"), table)

"""The model settings live in the one settings object: environment and TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopkeep.settings import Settings


def test_that_model_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPKEEP_LLM__BACKEND", "openai")
    monkeypatch.setenv("SHOPKEEP_LLM__BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("SHOPKEEP_LLM__MODEL", "qwen3-8b")
    monkeypatch.setenv("SHOPKEEP_LLM__API_KEY", "sk-secret")
    monkeypatch.setenv(
        "SHOPKEEP_LLM__EXTRA_BODY", '{"chat_template_kwargs": {"enable_thinking": false}}'
    )
    monkeypatch.setenv("SHOPKEEP_LLM__PRICES__QWEN3__INPUT", "0.1")
    monkeypatch.setenv("SHOPKEEP_LLM__PRICES__QWEN3__OUTPUT", "0.3")
    llm = Settings().llm
    assert (llm.backend, llm.base_url, llm.model) == (
        "openai",
        "http://127.0.0.1:8000/v1",
        "qwen3-8b",
    )
    assert llm.extra_body == {"chat_template_kwargs": {"enable_thinking": False}}
    assert llm.api_key is not None and llm.api_key.get_secret_value() == "sk-secret"
    assert "sk-secret" not in repr(llm)
    assert str(llm.prices["qwen3"].output) == "0.3"


def test_that_model_settings_come_from_the_toml_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "shopkeep.toml"
    config.write_text(
        '[llm]\nbackend = "local"\nlocal_model = "1.5b"\nthreads = 2\n\n'
        '[llm.prices."qwen-max"]\ninput = 1.6\ncached_input = 0.32\noutput = 6.4\n'
    )
    monkeypatch.setenv("SHOPKEEP_CONFIG", str(config))
    llm = Settings().llm
    assert (llm.local_model, llm.threads) == ("1.5b", 2)
    assert str(llm.prices["qwen-max"].cached_input) == "0.32"


def test_that_the_defaults_are_the_local_half_billion_model() -> None:
    llm = Settings().llm
    assert (llm.backend, llm.local_model, llm.context_size) == ("local", "0.5b", 4096)

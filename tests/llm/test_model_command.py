"""`shopkeep model ask` and `shopkeep model cost`: trying the configured model, pricing a log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopkeep.cli import model as model_cli
from shopkeep.llm import JsonlUsageLog, UsageRecord, read_usage_log


def record(conversation: str, prompt: int, completion: int) -> UsageRecord:
    return UsageRecord(
        conversation_id=conversation,
        purpose="reply",
        backend="local",
        model="qwen2.5-coder-0.5b-instruct-q4_k_m",
        price_entry="local",
        prompt_tokens=prompt,
        cached_tokens=0,
        completion_tokens=completion,
        wall_seconds=1.0,
        cpu_seconds=2.0,
        queue_seconds=0.0,
        cost_pico_usd=0,
        finish_reason="stop",
        started_at=datetime(2026, 11, 21, tzinfo=UTC),
    )


def test_that_the_cost_command_prices_a_log_at_every_entry(tmp_path: Path) -> None:
    log = JsonlUsageLog(tmp_path / "usage.jsonl")
    log.record(record("c1", 1000, 300))
    log.record(record("c2", 1000, 200))
    result = CliRunner().invoke(model_cli.app, ["cost", str(log.path)], terminal_width=120)
    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.output.splitlines() if "│ " in line}
    # 2,000 input and 500 output tokens: DeepSeek V3.2 $0.00056 + $0.0004; GPT-5.2 $0.0035 + $0.007
    assert "$0.000960" in rows["deepseek-v3.2"] and "$0.000480" in rows["deepseek-v3.2"]
    assert "$0.010500" in rows["gpt-5.2"]
    assert "2,000" in rows["all"] and "500" in rows["all"]


def test_that_the_cost_command_can_show_chosen_entries_only(tmp_path: Path) -> None:
    log = JsonlUsageLog(tmp_path / "usage.jsonl")
    log.record(record("c1", 10, 3))
    result = CliRunner().invoke(model_cli.app, ["cost", str(log.path), "--price", "gpt-5.2"])
    assert "gpt-5.2 " in result.output and "deepseek" not in result.output


def test_that_the_cost_command_refuses_a_file_that_is_not_a_usage_log(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    result = CliRunner().invoke(model_cli.app, ["cost", str(path)])
    assert result.exit_code == 1
    assert "usage_log_invalid" in result.output and "line 1" in result.output


def test_that_ask_streams_the_configured_model_and_logs_the_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPKEEP_LLM__BACKEND", "scripted")
    monkeypatch.setenv("SHOPKEEP_LLM__SCRIPT", '["We ship to Busan in two days."]')
    monkeypatch.setenv("SHOPKEEP_LLM__USAGE_LOG", str(tmp_path / "usage.jsonl"))
    result = CliRunner().invoke(model_cli.app, ["ask", "Do you ship to Busan?"])
    assert result.exit_code == 0, result.output
    assert "We ship to Busan in two days." in result.output
    [call] = read_usage_log(tmp_path / "usage.jsonl")
    assert (call.backend, call.conversation_id, call.completion_tokens) == ("scripted", "cli", 8)


def test_that_ask_names_the_missing_setting_of_a_misconfigured_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOPKEEP_LLM__BACKEND", "openai")
    result = CliRunner().invoke(model_cli.app, ["ask", "hi"])
    assert result.exit_code == 1
    assert "model_config_invalid" in result.output and "SHOPKEEP_LLM__BASE_URL" in result.output


def test_that_the_cost_per_conversation_is_labelled_as_the_average(tmp_path: Path) -> None:
    log = JsonlUsageLog(tmp_path / "usage.jsonl")
    log.record(record("c1", 1000, 300))
    log.record(record("c2", 1000, 200))
    result = CliRunner().invoke(model_cli.app, ["cost", str(log.path), "--price", "deepseek-v3.2"])
    assert result.exit_code == 0, result.output
    [header] = [line for line in result.output.splitlines() if "price entry" in line]
    assert "average per conversation" in header
    [row] = [line for line in result.output.splitlines() if "deepseek-v3.2" in line]
    assert "$0.000960" in row and "$0.000480" in row  # all, and all / 2 conversations


def test_that_a_log_line_with_a_wrong_type_is_named_by_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "usage.jsonl"
    bad = (
        record("c2", 1000, 200)
        .to_json()
        .replace('"prompt_tokens": 1000', '"prompt_tokens": "1000"')
    )
    path.write_text(record("c1", 1000, 300).to_json() + "\n" + bad + "\n")
    result = CliRunner().invoke(model_cli.app, ["cost", str(path)], terminal_width=200)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a raised TypeError
    assert "Traceback" not in result.output
    assert "usage_log_invalid" in result.output
    assert "line 2" in result.output and "'prompt_tokens'" in result.output

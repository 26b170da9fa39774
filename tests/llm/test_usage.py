"""Usage records: one per call, per conversation, kept in memory or in a JSON-lines log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopkeep.llm import JsonlUsageLog, UsageLedger, UsageRecord, read_usage_log
from shopkeep.llm.pricing import DEFAULT_PRICES
from shopkeep.llm.usage import UsageLogInvalid, UsageTotals, cost_table


def record(conversation: str, prompt: int, cached: int, completion: int) -> UsageRecord:
    return UsageRecord(
        conversation_id=conversation,
        purpose="command",
        backend="local",
        model="qwen2.5-coder-0.5b-instruct-q4_k_m",
        price_entry="local",
        prompt_tokens=prompt,
        cached_tokens=cached,
        completion_tokens=completion,
        wall_seconds=0.5,
        cpu_seconds=0.9,
        queue_seconds=0.0,
        cost_pico_usd=0,
        finish_reason="stop",
        started_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
    )


def test_that_the_ledger_totals_each_conversation_separately() -> None:
    ledger = UsageLedger()
    ledger.record(record("c1", 400, 0, 20))
    ledger.record(record("c2", 100, 0, 5))
    ledger.record(record("c1", 450, 400, 30))
    totals = ledger.totals("c1")
    assert (totals.calls, totals.prompt_tokens, totals.cached_tokens) == (2, 850, 400)
    assert totals.completion_tokens == 50
    assert totals.cpu_seconds == pytest.approx(1.8)
    assert ledger.totals("nobody") == UsageTotals()


def test_that_a_usage_log_reads_back_the_records_it_was_given(tmp_path: Path) -> None:
    log = JsonlUsageLog(tmp_path / "logs" / "usage.jsonl")
    written = [record("c1", 400, 0, 20), record("会话-2", 100, 50, 5)]
    for r in written:
        log.record(r)
    assert read_usage_log(log.path) == written


def test_that_a_log_line_that_is_not_a_record_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "usage.jsonl"
    path.write_text(record("c1", 1, 0, 1).to_json() + "\n" + '{"prompt_tokens": 3}\n')
    with pytest.raises(UsageLogInvalid, match="line 2: not a usage record"):
        read_usage_log(path)


def test_that_a_missing_log_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageLogInvalid, match="cannot read the usage log"):
        read_usage_log(tmp_path / "nothing.jsonl")


def test_that_a_conversation_is_repriced_under_every_entry() -> None:
    calls = [record("c1", 1_000_000, 0, 0), record("c1", 1_000_000, 1_000_000, 1_000_000)]
    costs = cost_table(calls, DEFAULT_PRICES)["c1"]
    # 1M input + 1M cached + 1M output
    assert costs["deepseek-v3.2"] == (280_000 + 28_000 + 800_000) * 10**6
    assert costs["gpt-5.2"] == (1_750_000 + 175_000 + 14_000_000) * 10**6
    assert costs["gpt-5.2-pro"] == (21_000_000 + 21_000_000 + 168_000_000) * 10**6
    assert costs["local"] == 0

"""Usage records: one per call, per conversation, kept in memory or in a JSON-lines log."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize(
    ("field", "value", "wanted"),
    [
        ("prompt_tokens", '"12"', 'must be a whole number, 0 or more, not "12"'),
        ("completion_tokens", "1.5", "must be a whole number"),
        ("cached_tokens", "-3", "must be a whole number, 0 or more"),
        ("cost_pico_usd", "true", "must be a whole number"),
        ("cpu_seconds", '"fast"', "must be a number"),
        ("conversation_id", "7", "must be a string"),
        ("started_at", '"yesterday"', "must be an ISO 8601 date and time"),
        ("tokens_estimated", '"no"', "must be true or false"),
    ],
)
def test_that_a_field_of_the_wrong_type_is_named_with_its_line(
    tmp_path: Path, field: str, value: str, wanted: str
) -> None:
    good = record("c1", 1, 0, 1)
    line = json.loads(good.to_json())
    line[field] = json.loads(value)
    path = tmp_path / "usage.jsonl"
    path.write_text(good.to_json() + "\n\n" + json.dumps(line) + "\n")
    with pytest.raises(UsageLogInvalid) as raised:
        read_usage_log(path)
    message = str(raised.value)
    assert "line 3: not a usage record" in message
    assert f"field {field!r} {wanted}" in message


@pytest.mark.parametrize("line", ["[1, 2]", "42", '"a record"', "null"])
def test_that_a_line_that_is_not_a_json_object_is_refused(tmp_path: Path, line: str) -> None:
    path = tmp_path / "usage.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(UsageLogInvalid, match=r"line 1: not a usage record .*not an object"):
        read_usage_log(path)


def test_that_a_log_that_is_not_text_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "usage.jsonl"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(UsageLogInvalid, match="not UTF-8 text"):
        read_usage_log(path)

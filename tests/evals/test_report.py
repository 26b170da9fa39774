"""The metrics of a run and its report: report.json with every figure the issue names, overall,
per job and per language, and report.html, one self-contained page with a plot per figure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopkeep.evals.metrics import measure, percentile
from shopkeep.evals.report import write_report
from shopkeep.evals.runner import ScenarioResult, SuiteRun, TurnRecord, Violation

ENTRIES = ["local", "deepseek-v3.2"]
HOSTILE = '<script>alert("x")</script> & <b>'


def turn(number: int, wall: float, model: float, prompt: int, completion: int) -> TurnRecord:
    return TurnRecord(
        number=number,
        user=f"user says {HOSTILE}",
        reply=f"assistant says {HOSTILE}",
        language="en",
        job="cancel",
        handed_off=False,
        staged=None,
        events=[{"kind": "committed", "turn": number}],
        wall_seconds=wall,
        model_seconds=model,
        model_calls=1,
        prompt_tokens=prompt,
        cached_tokens=0,
        completion_tokens=completion,
        cost_pico_usd={"local": 0, "deepseek-v3.2": prompt * 280_000 + completion * 800_000},
    )


def result(
    id: str,
    *,
    job: str = "cancel",
    language: str = "en",
    success: bool = True,
    placed: int = 0,
    handed_off: bool = False,
    violations: int = 0,
    turns: list[TurnRecord] | None = None,
) -> ScenarioResult:
    return ScenarioResult(
        id=id,
        title=f"title {HOSTILE}",
        job=job,
        language=language,
        tags=["happy"],
        file=None,
        mode="flows",
        success=success,
        failures=[] if success else [f"say: no reply states {HOSTILE!r}"],
        violations=[Violation(kind="not_say", detail="said it", turn=1)] * violations,
        error=None,
        placed_orders=[f"#W{n:07d}" for n in range(placed)],
        handed_off=handed_off,
        turns=turns if turns is not None else [turn(1, 1.0, 0.9, 100, 10)],
    )


def suite(mode: str, results: list[ScenarioResult]) -> SuiteRun:
    return SuiteRun(
        mode=mode,
        model="0.5b",
        price_entry="local",
        price_entries=ENTRIES,
        started_at=datetime(2026, 11, 20, tzinfo=UTC),
        wall_seconds=1.0,
        results=results,
    )


RESULTS = [
    result(
        "en-cancel-001", placed=0, turns=[turn(1, 1.0, 0.96, 1000, 100), turn(2, 3.0, 2.9, 0, 0)]
    ),
    result("zh-buy-001", job="buy", language="zh", placed=1, turns=[turn(1, 2.0, 1.98, 500, 50)]),
    result("ko-buy-002", job="buy", language="ko", success=False, violations=2, handed_off=True),
    result("ko-return-001", job="return", language="ko", success=False),
]


def test_that_the_metrics_add_up_the_results() -> None:
    m = measure(RESULTS, ENTRIES)
    assert (m.conversations, m.resolved, m.success_rate) == (4, 2, 0.5)
    assert m.policy_violations == 2 and m.violations_by_kind == {"not_say": 2}
    assert (m.handoff_rate, m.conversion_rate) == (0.25, 0.25)
    assert (m.turns, m.model_calls) == (5, 5)
    assert (m.prompt_tokens, m.completion_tokens) == (1700, 170)
    assert (m.prompt_tokens_per_resolved, m.completion_tokens_per_resolved) == (850, 85)
    assert m.turn_latency_p50_s == 1.0
    assert m.turn_latency_p95_s == pytest.approx(2.8)
    # overheads 40, 100, 20, 100, 100 ms
    assert m.engine_overhead_p50_ms == pytest.approx(100.0)
    assert m.engine_overhead_p95_ms == pytest.approx(100.0)
    deepseek = 1700 * 0.28e-6 + 170 * 0.8e-6
    assert m.cost_usd == {"local": 0.0, "deepseek-v3.2": pytest.approx(deepseek)}
    assert m.cost_usd_per_resolved == {"local": 0.0, "deepseek-v3.2": pytest.approx(deepseek / 2)}


def test_that_nothing_resolved_gives_no_per_resolved_figures() -> None:
    m = measure([result("en-cancel-001", success=False)], ENTRIES)
    assert m.prompt_tokens_per_resolved is None
    assert m.cost_usd_per_resolved == {"local": None, "deepseek-v3.2": None}
    assert percentile([], 50) is None and percentile([3.0], 95) == 3.0


REQUIRED = [
    "success_rate",
    "policy_violations",
    "handoff_rate",
    "conversion_rate",
    "prompt_tokens",
    "completion_tokens",
    "turn_latency_p50_s",
    "turn_latency_p95_s",
    "cost_usd",
]


def test_that_report_json_has_every_required_figure_overall_per_job_and_per_language(
    tmp_path: Path,
) -> None:
    json_path, html_path = write_report([suite("flows", RESULTS)], tmp_path / "out", suite="s")
    assert (json_path, html_path) == (tmp_path / "out/report.json", tmp_path / "out/report.html")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    for key in [*REQUIRED, "engine_overhead_p50_ms", "engine_overhead_p95_ms"]:
        assert key in data, key
    assert data["success_rate"] == 0.5
    assert set(data["cost_usd"]) == set(ENTRIES)
    assert set(data["per_job"]) == {"buy", "cancel", "return"}
    assert set(data["per_language"]) == {"en", "ko", "zh"}
    for group in [*data["per_job"].values(), *data["per_language"].values()]:
        assert all(key in group for key in REQUIRED)
    assert data["per_job"]["buy"]["success_rate"] == 0.5
    [scenario, *_] = data["scenarios"]
    assert scenario["id"] == "en-cancel-001"
    assert scenario["turns"][0]["reply"] == f"assistant says {HOSTILE}"
    assert scenario["turns"][0]["overhead_ms"] == pytest.approx(40.0)
    assert data["scenarios"][3]["failures"] == [f"say: no reply states {HOSTILE!r}"]
    assert [run["mode"] for run in data["runs"]] == ["flows"]


def test_that_report_html_has_a_plot_per_figure_and_escapes_scenario_text(
    tmp_path: Path,
) -> None:
    _, html_path = write_report([suite("flows", RESULTS)], tmp_path, suite=f"suite {HOSTILE}")
    page = html_path.read_text(encoding="utf-8")
    figures = [
        "Success by job",
        "Success by language",
        "Turn latency",
        "Tokens per conversation",
        "Cost per price entry",
    ]
    assert page.count("<figure><svg") == len(figures)
    for title in figures:
        assert f"<figcaption>{title}</figcaption>" in page
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in page
    assert "<b>" not in page.replace("<b>en-", "").replace("<b>zh-", "").replace("<b>ko-", "")


def test_that_several_runs_are_reported_side_by_side(tmp_path: Path) -> None:
    baseline = suite("baseline", [r.model_copy(update={"success": False}) for r in RESULTS])
    json_path, html_path = write_report([suite("flows", RESULTS), baseline], tmp_path, suite="s")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert [(r["mode"], r["success_rate"]) for r in data["runs"]] == [
        ("flows", 0.5),
        ("baseline", 0.0),
    ]
    assert data["mode"] == "flows"
    page = html_path.read_text(encoding="utf-8")
    assert "<th>flows (0.5b)</th><th>baseline (0.5b)</th>" in page
    # each bar plot carries a legend naming both runs
    assert page.count("baseline (0.5b)") >= 6

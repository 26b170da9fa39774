"""`shopkeep eval compare`: suites across models and modes in one report with its plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopkeep.cli.eval import eval_app
from shopkeep.evals.compare import Compared, of_tau2, write_compare_report
from shopkeep.evals.demo import demo_shop
from shopkeep.evals.runner import engine_assistant, run_suite
from shopkeep.evals.scenarios import load_suite
from shopkeep.evals.tau2.bridge import run_tau2, tau2_shop
from shopkeep.evals.tau2.tasks import load_tasks
from shopkeep.llm import LLMSettings, ModelGateway, PriceTable, ScriptedBackend

ROOT = Path(__file__).parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "tau2" / "bridge"
PRICES = PriceTable.from_settings(LLMSettings())
CANCEL = [
    "Hi, I'm Daiki Silva, daiki.silva6295@example.com. Please cancel my pending order.",
    "the first one",
    "I ordered it by mistake",
    "yes",
    "###STOP###",
]


def test_that_scenario_and_tau2_runs_are_put_side_by_side_in_one_report(tmp_path: Path) -> None:
    scenarios = [
        s for s in load_suite(ROOT / "scenarios" / "cancel.yaml") if s.id.startswith("en-cancel-00")
    ]
    gateway = ModelGateway(ScriptedBackend([]))
    entries = []
    with demo_shop() as shop:
        for mode in ("flows",):
            run = run_suite(
                scenarios,
                shop=shop,
                assistant_for=engine_assistant(gateway, mode),
                prices=PRICES,
                mode=mode,
                model="scripted",
                price_entry="local",
            )
            entries.append(Compared(suite="scenarios/cancel.yaml", run=run))
    with tau2_shop(FIXTURE / "db.json") as shop:
        played = run_tau2(
            load_tasks(FIXTURE / "tasks.json", ["88", "67"]),
            shop=shop,
            assistant_for=engine_assistant(gateway, "flows"),
            user_gateway=ModelGateway(ScriptedBackend([*CANCEL, "###STOP###"])),
            prices=PRICES,
            mode="flows",
            model="scripted",
            user_model="scripted",
            price_entry="local",
        )
        entries.append(of_tau2("τ² fixture", played))
    json_path, html_path = write_compare_report(entries, tmp_path)
    rows = json.loads(json_path.read_text())["runs"]
    assert [(r["suite"], r["kind"], r["mode"]) for r in rows] == [
        ("scenarios/cancel.yaml", "scenarios", "flows"),
        ("τ² fixture", "tau2", "flows"),
    ]
    assert rows[0]["conversations"] == len(scenarios) and rows[0]["pass_hat_k"] is None
    assert rows[1]["pass_hat_k"] == {"1": 0.5} and rows[1]["success_rate"] == 0.5
    assert set(rows[1]["cost_usd_per_resolved"]) == set(PRICES)
    page = html_path.read_text()
    for title in (
        "Success",
        "Policy violations",
        "Tokens per conversation",
        "Cost per resolved conversation",
        "Turn latency p50 / p95",
    ):
        assert f"<figcaption>{title}</figcaption>" in page
    assert page.count("<svg") == 6
    assert "tau2-67" in page  # the failed τ² conversation is listed


def test_that_a_comparison_needs_a_run() -> None:
    with pytest.raises(ValueError):
        write_compare_report([], Path("unused"))


def test_that_shopkeep_eval_compare_runs_every_suite_in_every_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPKEEP_LLM__SCRIPT", json.dumps(CANCEL))
    monkeypatch.setenv("SHOPKEEP_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(
        eval_app,
        [
            "compare",
            "--scenarios",
            str(ROOT / "scenarios" / "cancel.yaml"),
            "--only",
            "en-cancel-001*",
            "--tasks",
            str(FIXTURE / "tasks.json"),
            "--task-ids",
            "88",
            "--model",
            "scripted",
            "--report",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "out" / "compare.json").read_text())["runs"]
    assert [(r["kind"], r["model"], r["resolved"]) for r in rows] == [
        ("scenarios", "scripted", 1),
        ("tau2", "scripted", 1),
    ]
    assert (tmp_path / "out" / "compare.html").is_file()


def test_that_shopkeep_eval_compare_with_nothing_to_run_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(eval_app, ["compare", "--report", str(tmp_path)])
    assert result.exit_code == 2
    assert "Nothing to compare" in result.output

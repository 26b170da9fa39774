"""Benchmark: the assistant on the blind suites — conversations written apart from the engine —
with each local model side by side, in one table, beside the machine's raw llama.cpp speed.

    .venv/bin/python bench/understanding.py [--model 0.5b --model 1.5b] [--half dev --half test]
                                            [--mode flows] [--limit N] [--report DIR]

Runs `scenarios/blind/shop/<half>` (the demo shop, `shopkeep eval`'s runner) and
`scenarios/blind/tau2/<half>` (τ²-bench retail tasks played by scripted customers on a store
imported from `../shared/tau2-retail/db.json`, scored as `shopkeep eval tau2` scores them) for
every model and half asked for. Per column: success, actions the customer did not ask for,
policy violations, handoffs, questions asked again and a third time, turns per conversation,
turn latency and model time per turn (p50 / p95), success per language. The first lines give
llama.cpp's own prefill and decode tokens/s for each model on this machine, so that figures
from different machines can be compared.

The engine may be tuned against the dev halves only; the test halves are run once, when a change
is finished, and their figure is reported as first measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from llama_cpp import Llama
from rich.console import Console
from rich.table import Table

from llm_speed import SYSTEM, raw_run
from shopkeep.cli.common import llm_settings_for
from shopkeep.evals.demo import demo_shop
from shopkeep.evals.metrics import Metrics, measure, measure_by
from shopkeep.evals.runner import ScenarioResult, engine_assistant, run_suite
from shopkeep.evals.scenarios import load_suite
from shopkeep.evals.tau2.bridge import run_tau2_scripts, tau2_shop
from shopkeep.evals.tau2.scripts import load_scripts
from shopkeep.evals.tau2.tasks import load_tasks
from shopkeep.llm import open_gateway
from shopkeep.llm.backends.local import available_cpus
from shopkeep.llm.models import is_installed, model_spec, models_dir
from shopkeep.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BLIND = ROOT / "scenarios" / "blind"
TAU2_DB = ROOT.parent / "shared" / "tau2-retail" / "db.json"
LANGUAGES = ("en", "zh", "ko")


@dataclass(frozen=True)
class Column:
    suite: str
    half: str
    model: str
    results: list[ScenarioResult]
    metrics: Metrics
    by_language: dict[str, Metrics]


def raw_speed(model: str, threads: int, rounds: int = 2) -> tuple[float, float]:
    """llama.cpp's own prefill and decode tokens/s for the model here: medians over `rounds`."""
    path = model_spec(model).path_in(models_dir(Settings().cache_dir))
    llama = Llama(str(path), n_ctx=2048, n_threads=threads, verbose=False)
    prompt = llama.tokenize(f"{SYSTEM}\n\nWrite a short story about a shop.".encode())
    runs = [raw_run(llama, prompt, 64) for _ in range(rounds)]
    llama.close()
    return statistics.median(r.prefill for r in runs), statistics.median(r.decode for r in runs)


def play(
    model: str, halves: Sequence[str], mode: str, limit: int | None, console: Console
) -> list[Column]:
    config = Settings()
    gateway = open_gateway(llm_settings_for(model, config.llm), config.cache_dir)
    columns: list[Column] = []
    tasks = load_tasks(BLIND / "tau2" / "tasks.json")
    with demo_shop() as shop, tau2_shop(TAU2_DB) as tau2:
        for half in halves:
            scenarios = load_suite(BLIND / "shop" / half)[:limit]
            run = run_suite(
                scenarios,
                shop=shop,
                assistant_for=engine_assistant(gateway, mode),
                prices=gateway.prices,
                mode=mode,
                model=model,
                price_entry=gateway.price_entry,
                console=console,
            )
            columns.append(column("shop", half, model, run.results, run.price_entries))
            scripts = load_scripts(BLIND / "tau2" / half, tasks)[:limit]
            played = run_tau2_scripts(
                scripts,
                tasks,
                shop=tau2,
                assistant_for=engine_assistant(gateway, mode),
                prices=gateway.prices,
                mode=mode,
                model=model,
                price_entry=gateway.price_entry,
                tasks_file=str(BLIND / "tau2" / "tasks.json"),
                console=console,
            )
            results = [r.conversation for r in played.results]
            columns.append(column("tau2", half, model, results, played.price_entries))
    return columns


def column(
    suite: str, half: str, model: str, results: list[ScenarioResult], entries: Sequence[str]
) -> Column:
    return Column(
        suite,
        half,
        model,
        results,
        measure(results, entries),
        measure_by(results, entries, lambda r: r.language),
    )


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(columns: list[Column]) -> Table:
    out = Table(title="blind suites", title_justify="left")
    out.add_column("")
    for c in columns:
        out.add_column(f"{c.suite} {c.half}\n{c.model}", justify="right")

    def row(name: str, cells: list[str]) -> None:
        out.add_row(name, *cells)

    row("success", [f"{c.metrics.resolved}/{c.metrics.conversations}" for c in columns])
    row("success rate", [f"{c.metrics.success_rate:.1%}" for c in columns])
    for lang in LANGUAGES:
        row(
            f"  {lang}",
            [
                f"{m.resolved}/{m.conversations}" if (m := c.by_language.get(lang)) else "-"
                for c in columns
            ],
        )
    row("actions not asked for", [str(c.metrics.unwanted_actions) for c in columns])
    row("  in conversations", [str(c.metrics.conversations_with_unwanted) for c in columns])
    row("policy violations", [str(c.metrics.policy_violations) for c in columns])
    row("errors", [str(c.metrics.errors) for c in columns])
    row("handoffs", [f"{c.metrics.handoff_rate:.1%}" for c in columns])
    row("asked again", [str(c.metrics.asked_again) for c in columns])
    row("asked a third time", [str(c.metrics.asked_third_time) for c in columns])
    row("turns / conversation", [f"{c.metrics.turns_per_conversation:.1f}" for c in columns])
    row(
        "latency p50 / p95 (s)",
        [
            f"{seconds(c.metrics.turn_latency_p50_s)} / {seconds(c.metrics.turn_latency_p95_s)}"
            for c in columns
        ],
    )
    row(
        "model time p50 / p95 (s)",
        [
            f"{seconds(c.metrics.model_seconds_p50_s)} / {seconds(c.metrics.model_seconds_p95_s)}"
            for c in columns
        ],
    )
    row(
        "engine overhead p50 (ms)",
        [f"{c.metrics.engine_overhead_p50_ms or 0:.1f}" for c in columns],
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", help="0.5b, 1.5b (repeat for several)")
    parser.add_argument("--half", action="append", choices=("dev", "test"))
    parser.add_argument("--mode", default="flows", choices=("flows", "tools", "baseline"))
    parser.add_argument("--limit", type=int, default=None, help="the first N of each suite")
    parser.add_argument("--report", type=Path, default=None, help="write results.json here")
    args = parser.parse_args()
    models = args.model or ["0.5b", "1.5b"]
    halves = args.half or ["dev", "test"]
    console = Console(stderr=True)
    config = Settings()
    threads = config.llm.threads or available_cpus()
    directory = models_dir(config.cache_dir)
    missing = [m for m in models if not is_installed(model_spec(m), directory)]
    if missing:
        print(f"not installed: {', '.join(missing)} (shopkeep model install NAME)")
        return 1

    print(f"llama.cpp on this machine, {threads} threads (prefill / decode tokens/s, raw):")
    for model in models:
        prefill, decode = raw_speed(model, threads)
        print(f"  {model}: {prefill:.1f} / {decode:.1f}")
    columns = [c for model in models for c in play(model, halves, args.mode, args.limit, console)]
    Console(width=200).print(table(columns))
    for c in columns:
        failed = [r.id for r in c.results if not r.success]
        unwanted = [f"{r.id}: {u.detail}" for r in c.results for u in r.unwanted]
        print(f"{c.suite} {c.half} {c.model}: failed {len(failed)}: {', '.join(failed)}")
        for line in unwanted:
            print(f"  not asked for: {line}")
    if args.report is not None:
        args.report.mkdir(parents=True, exist_ok=True)
        dump = [
            {
                "suite": c.suite,
                "half": c.half,
                "model": c.model,
                "metrics": c.metrics.model_dump(mode="json"),
                "results": [r.model_dump(mode="json") for r in c.results],
            }
            for c in columns
        ]
        (args.report / "results.json").write_text(json.dumps(dump, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

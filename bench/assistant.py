"""Benchmark: the assistant's flows against the plain function-calling baseline, same model,
same scenarios, one run; then each target of the assistant issue, OK or MISSED.

    .venv/bin/python bench/assistant.py [--model 0.5b] [--suite scenarios] [--limit N]
                                        [--baseline-sample N]

The flows play every scenario, the baseline an evenly spread sample of them (its every call
carries the whole policy and every tool, so on a CPU it takes minutes per conversation); the
token ratio compares the two on that same sample. Each conversation runs on a fresh copy of the
demo shop (`shopkeep eval`'s runner).
Latency is the customer's wait for each reply; engine overhead is that minus the model's time.
The latency targets are the 0.5B's on 2 cores: run it with the model on 2 cores
(SHOPKEEP_LLM__THREADS=2, or `taskset -c 0,1`) on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from rich.console import Console

from shopkeep.cli.common import llm_settings_for
from shopkeep.evals.demo import demo_shop
from shopkeep.evals.metrics import Metrics, measure
from shopkeep.evals.runner import engine_assistant, run_suite
from shopkeep.evals.scenarios import load_suite
from shopkeep.llm import open_gateway
from shopkeep.llm.backends.local import available_cpus
from shopkeep.settings import Settings

MODES = ("flows", "baseline")
SUCCESS_TARGETS = {"0.5b": 0.90, "1.5b": 0.95}
LATENCY_MODEL = "0.5b"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="0.5b", help="0.5b, 1.5b, or an endpoint's model")
    parser.add_argument("--suite", default="scenarios", help="a scenario file or folder")
    parser.add_argument("--limit", type=int, default=None, help="the first N scenarios only")
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=24,
        help="how many scenarios, spread evenly over the suite, the baseline plays (0: all)",
    )
    args = parser.parse_args()

    scenarios = load_suite(args.suite)[: args.limit]
    step = max(1, len(scenarios) // args.baseline_sample) if args.baseline_sample else 1
    sample = scenarios[::step][: args.baseline_sample or None]
    sampled = {s.id for s in sample}
    config = Settings()
    # The baseline's first prompt (the policy and every tool) is about 4.7k tokens.
    llm = llm_settings_for(args.model, config.llm).model_copy(update={"context_size": 8192})
    gateway = open_gateway(llm, config.cache_dir)
    console = Console(stderr=True)
    measured: dict[str, Metrics] = {}
    on_sample: dict[str, Metrics] = {}
    with demo_shop() as shop:
        for mode in MODES:
            run = run_suite(
                scenarios if mode == "flows" else sample,
                shop=shop,
                assistant_for=engine_assistant(gateway, mode),
                prices=gateway.prices,
                mode=mode,
                model=args.model,
                price_entry=gateway.price_entry,
                console=console,
            )
            measured[mode] = measure(run.results, run.price_entries)
            on_sample[mode] = measure(
                [r for r in run.results if r.id in sampled], run.price_entries
            )

    flows = measured["flows"]
    cores = llm.threads or available_cpus()
    print(
        f"{len(scenarios)} scenarios from {args.suite} (baseline: {len(sample)} of them), "
        f"model {args.model}, {cores} cores"
    )
    print(f"{'':36s}" + "".join(f"{mode:>14s}" for mode in MODES))
    rows: list[tuple[str, Callable[[Metrics], str]]] = [
        ("success", lambda m: f"{m.resolved}/{m.conversations} {m.success_rate:.0%}"),
        ("policy violations", lambda m: str(m.policy_violations)),
        ("turn latency p50 (s)", lambda m: fixed(m.turn_latency_p50_s, 2)),
        ("turn latency p95 (s)", lambda m: fixed(m.turn_latency_p95_s, 2)),
        ("engine overhead p50 (ms)", lambda m: fixed(m.engine_overhead_p50_ms, 1)),
        ("engine overhead p95 (ms)", lambda m: fixed(m.engine_overhead_p95_ms, 1)),
        ("prompt tokens per resolved", lambda m: fixed(m.prompt_tokens_per_resolved, 0)),
        ("completion tokens per resolved", lambda m: fixed(m.completion_tokens_per_resolved, 0)),
    ]
    for name, show in rows:
        print(f"{name:36s}" + "".join(f"{show(measured[mode]):>14s}" for mode in MODES))
    same = on_sample["flows"], on_sample["baseline"]
    print(f"on the baseline's {len(sample)} scenarios:")
    for name, show in rows[:1] + rows[6:]:
        print(f"  {name:34s}" + "".join(f"{show(m):>14s}" for m in same))
    per_conversation = [m.prompt_tokens / max(m.conversations, 1) for m in same]
    print(
        f"  {'prompt tokens per conversation':34s}"
        + "".join(f"{v:>14,.0f}" for v in per_conversation)
    )
    ratio = token_ratio(*same)
    print(f"prompt tokens per resolved, baseline/flows: {ratio_text(ratio, *same)}")

    model = args.model.lower()
    for name, wanted in SUCCESS_TARGETS.items():
        target(
            f"success >= {wanted:.0%} with the {name}",
            flows.success_rate >= wanted if model == name else None,
            f"{flows.success_rate:.1%}" if model == name else f"needs --model {name}",
        )
    worst = max(m.policy_violations for m in measured.values())
    target("0 policy violations in every mode", worst == 0, f"{worst} at most")
    latency = model == LATENCY_MODEL
    p50, p95 = flows.turn_latency_p50_s, flows.turn_latency_p95_s
    target(
        f"turn latency p50 <= 1.5 s with the {LATENCY_MODEL} on 2 cores",
        p50 is not None and p50 <= 1.5 if latency else None,
        f"{fixed(p50, 2)} s on {cores} cores" if latency else f"needs --model {LATENCY_MODEL}",
    )
    target(
        f"turn latency p95 <= 4 s with the {LATENCY_MODEL} on 2 cores",
        p95 is not None and p95 <= 4.0 if latency else None,
        f"{fixed(p95, 2)} s on {cores} cores" if latency else f"needs --model {LATENCY_MODEL}",
    )
    target(
        "prompt tokens per resolved conversation >= 5x fewer than the baseline",
        None if ratio is None else ratio >= 5,
        ratio_text(ratio, *same),
    )
    overhead = flows.engine_overhead_p95_ms
    target(
        "engine overhead <= 50 ms per turn (p95)",
        overhead is not None and overhead <= 50,
        f"{fixed(overhead, 1)} ms",
    )
    return 0


def token_ratio(flows: Metrics, baseline: Metrics) -> float | None:
    """Baseline's prompt tokens per resolved conversation over the flows'; None when either
    resolved nothing (no ratio to speak of: a broken baseline is not a win)."""
    if flows.prompt_tokens_per_resolved is None or baseline.prompt_tokens_per_resolved is None:
        return None
    return baseline.prompt_tokens_per_resolved / max(flows.prompt_tokens_per_resolved, 1)


def ratio_text(ratio: float | None, flows: Metrics, baseline: Metrics) -> str:
    if ratio is not None:
        return f"{ratio:.1f}x"
    unresolved = [name for name, m in (("flows", flows), ("baseline", baseline)) if not m.resolved]
    return f"no ratio: {' and '.join(unresolved)} resolved none"


def fixed(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def target(name: str, met: bool | None, measured: str) -> None:
    verdict = "NOT MEASURED" if met is None else "OK" if met else "MISSED"
    print(f"target {name}: {verdict} ({measured})")


if __name__ == "__main__":
    sys.exit(main())

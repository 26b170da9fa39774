"""`shopkeep eval`: run scenario suites against the assistant and write the report."""

from __future__ import annotations

import fnmatch
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shopkeep.cli.common import console, err_console, llm_settings_for, settings
from shopkeep.cli.model import model_errors
from shopkeep.evals.scenarios import Scenario, ScenarioInvalid, load_suite

if TYPE_CHECKING:
    from shopkeep.evals.runner import SuiteRun


class EvalMode(StrEnum):
    flows = "flows"
    tools = "tools"
    baseline = "baseline"


def eval_command(
    path: Annotated[Path, typer.Argument(help="a scenario file, or a folder of them")],
    model: Annotated[
        str | None,
        typer.Option(help="0.5b or 1.5b (local), scripted, or a model the endpoint serves"),
    ] = None,
    mode: Annotated[
        list[EvalMode] | None,
        typer.Option(help="flows, tools or baseline; give it again to compare modes in one run"),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="write report.json and report.html into this folder", file_okay=False),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(help="only scenarios whose id matches this glob (or contains this text)"),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="run at most this many")] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="only validate the scenarios against the demo shop; run no model"
        ),
    ] = False,
) -> None:
    """Play the scenarios' user turns against the assistant on a fresh demo shop each, judge
    the replies and the store's end state, and report success, policy violations, latency,
    tokens and cost, overall, per job and per language."""
    scenarios = selected(path, only, limit)
    if check:
        check_suite(scenarios)
        return
    modes = [m.value for m in mode or [EvalMode.flows]]
    runs = run_modes(scenarios, modes, model)
    if report is not None:
        from shopkeep.evals.report import write_report

        json_path, html_path = write_report(runs, report, suite=str(path))
        console.print(f"report: {json_path} and {html_path}", soft_wrap=True, markup=False)


def selected(path: Path, only: str | None, limit: int | None) -> list[Scenario]:
    try:
        scenarios = load_suite(path)
    except ScenarioInvalid as error:
        explain_invalid(error)
    if only is not None:
        glob = only if any(c in only for c in "*?[") else f"*{only}*"
        scenarios = [s for s in scenarios if fnmatch.fnmatchcase(s.id, glob)]
        if not scenarios:
            err_console.print(f"No scenario id matches {only!r}.", markup=False)
            raise typer.Exit(2)
    return scenarios[:limit] if limit is not None else scenarios


def explain_invalid(error: ScenarioInvalid) -> typer.Exit:
    for problem in error.problems:
        err_console.print(problem, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def check_suite(scenarios: list[Scenario]) -> None:
    from shopkeep.evals.demo import check_references, demo_shop

    with console.status("building the demo shop"), demo_shop() as shop:
        store = shop.fresh("check")
        try:
            problems = check_references(scenarios, store)
        finally:
            shop.discard(store)
    if problems:
        explain_invalid(ScenarioInvalid(problems))
    from shopkeep.agent.jobs import JOBS

    jobs = len({s.job for s in scenarios})
    languages = ", ".join(sorted({s.language for s in scenarios}))
    console.print(
        f"{len(scenarios)} scenarios OK: {jobs} of {len(JOBS)} jobs, languages {languages}",
        markup=False,
    )


def run_modes(scenarios: list[Scenario], modes: list[str], model: str | None) -> list[SuiteRun]:
    from shopkeep.evals.demo import demo_shop
    from shopkeep.evals.runner import engine_assistant, run_suite
    from shopkeep.llm import open_gateway

    config = settings()
    llm = llm_settings_for(model, config.llm)
    if set(modes) - {"flows"} and llm.backend == "local":
        # The function-calling modes send every tool (and the baseline the whole policy): about
        # 4.7k tokens before the conversation starts.
        llm = llm.model_copy(update={"context_size": max(llm.context_size, 8192)})
    label = model or (llm.local_model if llm.backend == "local" else llm.model or llm.backend)
    runs = []
    with model_errors():
        gateway = open_gateway(llm, config.cache_dir)
        console.print("building the demo shop...", style="dim")
        with demo_shop() as shop:
            for mode in modes:
                runs.append(
                    run_suite(
                        scenarios,
                        shop=shop,
                        assistant_for=engine_assistant(gateway, mode),
                        prices=gateway.prices,
                        mode=mode,
                        model=label,
                        price_entry=gateway.price_entry,
                        console=console,
                    )
                )
    console.print(summary_table(runs))
    return runs


def summary_table(runs: list[SuiteRun]) -> Table:
    from shopkeep.evals.metrics import measure

    table = Table(title="shopkeep eval", title_justify="left")
    table.add_column("")
    for run in runs:
        table.add_column(escape(f"{run.mode} ({run.model})"), justify="right")
    measured = [measure(run.results, run.price_entries) for run in runs]

    def row(name: str, cells: list[str]) -> None:
        table.add_row(name, *[escape(c) for c in cells])

    row("scenarios", [f"{m.resolved}/{m.conversations} passed" for m in measured])
    row("success rate", [f"{m.success_rate:.1%}" for m in measured])
    row("policy violations", [str(m.policy_violations) for m in measured])
    row("errors", [str(m.errors) for m in measured])
    row("handoff rate", [f"{m.handoff_rate:.1%}" for m in measured])
    row("conversion rate", [f"{m.conversion_rate:.1%}" for m in measured])
    row(
        "turn latency p50 / p95",
        [f"{seconds(m.turn_latency_p50_s)} / {seconds(m.turn_latency_p95_s)}" for m in measured],
    )
    row(
        "engine overhead p50 / p95",
        [f"{ms(m.engine_overhead_p50_ms)} / {ms(m.engine_overhead_p95_ms)}" for m in measured],
    )
    row("prompt tokens / resolved", [number(m.prompt_tokens_per_resolved) for m in measured])
    row(
        "completion tokens / resolved", [number(m.completion_tokens_per_resolved) for m in measured]
    )
    for entry in runs[0].price_entries if runs else []:
        row(f"cost at {entry}", [f"${m.cost_usd.get(entry, 0.0):.6f}" for m in measured])
    failed = [(run.mode, r) for run in runs for r in run.results if not r.success]
    if failed:
        caption = "failed: " + ", ".join(f"{r.id} ({mode})" for mode, r in failed[:12])
        if len(failed) > 12:
            caption += f" and {len(failed) - 12} more (see the report)"
        table.caption = escape(caption)
    return table


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"

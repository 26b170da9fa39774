"""`shopkeep chat`: talk to the shop assistant in the terminal, as a customer or a guest."""

from __future__ import annotations

import sys
from typing import Annotated, Literal

import typer
from rich.markup import escape

from shopkeep.cli.common import (
    console,
    err_console,
    llm_settings_for,
    open_store,
    redact_logs,
    settings,
)


def chat(
    customer: Annotated[
        str | None,
        typer.Option(help="act as this logged-in customer (their email); default: a guest"),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="0.5b or 1.5b (local), or a model an OpenAI-compatible endpoint serves "
            "(SHOPKEEP_LLM__BASE_URL); default: the configured model"
        ),
    ] = None,
    mode: Annotated[
        str,
        typer.Option(help="flows (default), tools (native function calling) or baseline"),
    ] = "flows",
    resume: Annotated[
        str | None, typer.Option(help="go on with an earlier conversation, by its id")
    ] = None,
) -> None:
    """Chat with the assistant. Type a message and press Enter; /quit or Ctrl-D ends.

    The conversation is saved turn by turn: `--resume ID` carries on exactly where it stood."""
    from shopkeep.agent.engine import Assistant
    from shopkeep.llm import open_gateway

    if mode not in ("flows", "tools", "baseline"):
        err_console.print(f"--mode must be flows, tools or baseline, not {mode!r}", markup=False)
        raise typer.Exit(2)
    config = settings()
    redact_logs(config)
    store = open_store(config)
    customer_id = store.customers.find_by_email(customer) if customer else None
    with console.status("Loading the model..."):
        gateway = open_gateway(llm_settings_for(model, config.llm), config.cache_dir)
    chosen: Literal["flows", "tools", "baseline"] = mode  # type: ignore[assignment]
    assistant = Assistant(
        store,
        gateway,
        mode=chosen,
        free_wording=config.agent.free_wording,
        identity=config.identity_policy(),
    )
    assistant.warm_up()
    if resume:
        conversation = store.conversations.get(resume)
        conversation_id = conversation.id
        for message in store.conversations.messages(conversation_id):
            speaker = "you" if message.role == "customer" else str(message.role)
            console.print(f"[dim]{speaker}: {escape(message.text)}[/dim]")
    else:
        conversation_id = assistant.start(customer_id=customer_id, channel="terminal")
    who = customer or "guest"
    console.print(
        f"[bold]shopkeep[/bold] — conversation {conversation_id} as {escape(who)} "
        f"({gateway.backend.name} {gateway.backend.model}). /quit to end."
    )
    interactive = sys.stdin.isatty()
    while True:
        try:
            text = console.input("[bold cyan]you>[/bold cyan] ") if interactive else input()
        except EOFError:
            break
        text = text.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            break
        if not interactive:
            console.print(f"[bold cyan]you>[/bold cyan] {escape(text)}")
        with console.status("..."):
            result = assistant.reply(conversation_id, text)
        if result.reply:
            console.print(f"[bold green]shop>[/bold green] {escape(result.reply)}")
    console.print(f"[dim]Saved. Resume with: shopkeep chat --resume {conversation_id}[/dim]")

"""`shopkeep serve`: run the web chat, the staff console, the analytics and the HTTP API with
uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from shopkeep.cli.common import (
    console,
    err_console,
    llm_settings_for,
    open_store,
    redact_logs,
    settings,
)


def serve(
    host: Annotated[str, typer.Option(help="the address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the port to listen on")] = 8000,
    model: Annotated[
        str | None,
        typer.Option(
            help="0.5b or 1.5b (local), or a model an OpenAI-compatible endpoint serves "
            "(SHOPKEEP_LLM__BASE_URL); default: the configured model"
        ),
    ] = None,
    demo_login: Annotated[
        bool | None,
        typer.Option(
            "--demo-login/--no-demo-login",
            help="let visitors pick a demo customer to act as (default: SHOPKEEP_WEB__DEMO_LOGIN); "
            "guests then prove an email with a one-time code written to this server's log",
        ),
    ] = None,
) -> None:
    """Serve the shop: the web chat at /, the staff console at /console, the analytics at
    /analytics, the chat API (REST + SSE) under /api, agent checkout (Agentic Commerce
    Protocol) at /checkout_sessions, GET /health, Prometheus metrics at /metrics, and the
    OpenAPI document at /openapi.json with its pages at /docs.

    Several processes may serve one database (PostgreSQL, or SQLite on one machine): any of
    them can take any turn of any conversation. Agent platforms authenticate with
    SHOPKEEP_ACP__API_KEY (see docs/acp.md); staff sign in with accounts made by
    `shopkeep staff add`."""
    import uvicorn

    from shopkeep.agent.engine import Assistant
    from shopkeep.api import create_app
    from shopkeep.llm import open_gateway

    config = settings()
    if demo_login is not None:
        config = config.model_copy(
            update={"web": config.web.model_copy(update={"demo_login": demo_login})}
        )
    acp = config.acp
    redact_logs(config)
    identity = config.identity_policy()
    if identity.mode == "code" and identity.mailer is None:
        err_console.print(
            "SHOPKEEP_IDENTITY__MODE=code needs a mail server for the codes: set "
            "SHOPKEEP_IDENTITY__SMTP_HOST (and _SMTP_PORT, _SMTP_FROM).",
            markup=False,
        )
        raise typer.Exit(2)
    if identity.mode == "tau2":
        err_console.print(
            "WARNING: SHOPKEEP_IDENTITY__MODE=tau2: anyone who knows a customer's email, or "
            "name and zip code, can act for them in the chat. For tau2-bench evaluation only, "
            "never for a real shop.",
            markup=False,
        )
    if config.web.demo_login:
        err_console.print(
            "DEMO LOGIN is on: any visitor may act as any customer (a demo store only)."
            + (
                " Guests' one-time codes are written to this log (the demo mailbox)."
                if identity.mode == "code" and not config.identity.smtp_host
                else ""
            ),
            markup=False,
        )
    store = open_store(config)
    drift = store.db.schema_drift()
    if drift:
        store.close()
        err_console.print(
            f"The database at {store.db} does not have the tables this shopkeep expects "
            f"({len(drift)} differences, e.g. {drift[0]}). Run: shopkeep db init",
            markup=False,
        )
        raise typer.Exit(2)
    try:
        # Finish what a process that died left half done (orders awaiting payment, charges of
        # changes that never happened, refunds not yet sent); safe beside running workers.
        finished = {k: v for k, v in store.recover().items() if v}
        if finished:
            console.print(f"Recovered after a crash: {finished}", markup=False)
        with console.status("Loading the model and the catalog..."):
            gateway = open_gateway(llm_settings_for(model, config.llm), config.cache_dir)
            assistant = Assistant(
                store,
                gateway,
                free_wording=config.agent.free_wording,
                identity=identity,
            )
            assistant.warm_up()
        if acp.api_key is None:
            err_console.print(
                "SHOPKEEP_ACP__API_KEY is not set: agent checkout answers 503 until it is.",
                markup=False,
            )
        console.print(
            f"Serving {store.db} with {gateway.backend.name} {gateway.backend.model}: "
            f"web chat http://{host}:{port}/  console http://{host}:{port}/console  "
            f"API docs http://{host}:{port}/docs",
            markup=False,
            highlight=False,
        )
        app = create_app(config, store=store, assistant=assistant, acp_settings=acp)
        uvicorn.run(app, host=host, port=port)
    finally:
        store.close()

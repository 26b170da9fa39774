"""`shopkeep serve`: run the shop's HTTP API (agent checkout; OpenAPI at /docs) with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from shopkeep.cli.common import err_console, open_store, settings


def serve(
    host: Annotated[str, typer.Option(help="the address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the port to listen on")] = 8000,
) -> None:
    """Serve the HTTP API: agent checkout (Agentic Commerce Protocol) at /checkout_sessions,
    GET /health, the OpenAPI document at /openapi.json and its pages at /docs.

    Agent platforms authenticate with SHOPKEEP_ACP__API_KEY; order webhooks go to
    SHOPKEEP_ACP__WEBHOOK_URL when it is set (see docs/acp.md)."""
    import uvicorn

    from shopkeep.api import create_app
    from shopkeep.api.settings import load_acp_settings

    config = settings()
    acp = load_acp_settings()
    if acp.api_key is None:
        err_console.print(
            "SHOPKEEP_ACP__API_KEY is not set: agent checkout will answer 503 until it is.",
            markup=False,
        )
    store = open_store()
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
        uvicorn.run(create_app(config, store=store, acp_settings=acp), host=host, port=port)
    finally:
        store.close()

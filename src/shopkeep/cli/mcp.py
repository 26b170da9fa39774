"""`shopkeep mcp`: serve the store's tools to other agents over MCP (stdio or streamable HTTP),
and `shopkeep mcp token`: make the access token that binds a client to one customer."""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Annotated

import typer

from shopkeep.cli.common import err_console, open_store, redact_logs, settings
from shopkeep.store import StoreError

TOKEN_HELP = (
    "a customer's access token (`shopkeep mcp token`), for stdio; without one only the catalog "
    "tools work. Over HTTP each request sends its own: Authorization: Bearer <token>"
)


class Transport(enum.StrEnum):
    stdio = "stdio"
    http = "http"


app = typer.Typer(
    name="mcp",
    help="The store's tools for other agents (MCP): `shopkeep mcp` serves them, "
    "`shopkeep mcp token --customer EMAIL` makes a customer's access token.",
    invoke_without_command=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def serve(
    ctx: typer.Context,
    transport: Annotated[
        Transport, typer.Option(help="stdio (a client starts this command) or http")
    ] = Transport.stdio,
    host: Annotated[str, typer.Option(help="http: the address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="http: the port; the endpoint is /mcp")] = 8765,
    token: Annotated[
        str | None, typer.Option(envvar="SHOPKEEP_MCP_TOKEN", help=TOKEN_HELP, show_default=False)
    ] = None,
) -> None:
    """Serve the store's tools over MCP.

    Catalog, cart, checkout, orders, returns and exchanges; every consequential tool only stages
    its action, and `confirm` does it. See docs/mcp.md."""
    if ctx.invoked_subcommand is not None:
        return
    from shopkeep.mcp import StoreForAgents, TokenRefused, build_server, http_app, read_token
    from shopkeep.store.context import utcnow

    config = settings()
    key = config.key_for("mcp")
    redact_logs(config)
    store = open_store(config)
    if transport is Transport.http:
        import uvicorn

        if token is not None:
            err_console.print(
                "Note: over HTTP the token of each request is used; --token and "
                "SHOPKEEP_MCP_TOKEN are ignored.",
                markup=False,
            )
        app_ = http_app(StoreForAgents(store, key, bearer=True), host=host)
        err_console.print(f"shopkeep MCP server at http://{host}:{port}/mcp", markup=False)
        uvicorn.run(app_, host=host, port=port, log_level="warning")
        return
    shop = StoreForAgents(store, key)
    if token is not None:
        try:
            shop.token = read_token(key, token, now=utcnow())
            customer = store.customers.get(shop.token.customer_id)
        except (TokenRefused, StoreError) as e:
            err_console.print(f"Refused: {e.code}: {e.message}", markup=False)
            raise typer.Exit(2) from None
        err_console.print(f"shopkeep MCP server (stdio) for {customer.email}", markup=False)
    else:
        err_console.print("shopkeep MCP server (stdio) for a guest: catalog only", markup=False)
    build_server(shop).run("stdio")


@app.command("token")
def token_command(
    customer: Annotated[str, typer.Option(help="the customer's email")],
    days: Annotated[
        int, typer.Option(min=0, help="days the token is valid; 0: until the secret key changes")
    ] = 90,
) -> None:
    """Print an access token that acts as one customer.

    Keep it secret: it can buy with the customer's saved payment methods (each purchase still
    needs a confirmation). Changing the secret key (SHOPKEEP_SECRET_KEY, or the key file in the
    data directory) revokes every token."""
    from shopkeep.mcp import issue_token
    from shopkeep.store.context import utcnow

    store = open_store()
    try:
        customer_id = store.customers.find_by_email(customer)
    except StoreError as e:
        err_console.print(f"{e.code}: {e.message}", markup=False)
        raise typer.Exit(1) from None
    lifetime = timedelta(days=days) if days else None
    typer.echo(issue_token(settings().key_for("mcp"), customer_id, now=utcnow(), lifetime=lifetime))


if __name__ == "__main__":
    app()

"""`shopkeep identity token`: a customer token signed as the merchant's site signs one, to try
the signed identity mode (docs/security.md) before the site's own code is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from shopkeep.cli.common import console, err_console, settings
from shopkeep.identity import sign_customer

app = typer.Typer(
    no_args_is_help=True,
    help="Signed customer identity: what the merchant's site passes to the chat.",
)


@app.command()
def token(
    customer_id: Annotated[
        str, typer.Option("--customer-id", help="the customer's id on the merchant's site")
    ],
    email: Annotated[str, typer.Option("--email", help="the customer's email on the site")],
    seconds: Annotated[
        int, typer.Option("--seconds", min=1, help="how long the token is good for")
    ] = 300,
    base_url: Annotated[
        str, typer.Option("--base-url", help="where shopkeep serve answers")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Print a customer token signed with the shop's identity secret (SHOPKEEP_IDENTITY__SECRET)
    and the chat address that signs that customer in, as the merchant's backend would."""
    config = settings()
    if config.identity.secret is None:
        err_console.print(
            "SHOPKEEP_IDENTITY__SECRET is not set: without it the shop takes no customer "
            "tokens. Set the same secret here and on the merchant's site.",
            markup=False,
        )
        raise typer.Exit(2)
    if seconds > config.identity.token_max_seconds:
        err_console.print(
            f"--seconds: the shop accepts tokens living {config.identity.token_max_seconds} s "
            "at most (SHOPKEEP_IDENTITY__TOKEN_MAX_SECONDS).",
            markup=False,
        )
        raise typer.Exit(2)
    expires = datetime.now(UTC) + timedelta(seconds=seconds)
    signed = sign_customer(config.key_for("identity"), customer_id, email, expires=expires)
    console.print(signed, markup=False, soft_wrap=True)
    console.print(f"{base_url.rstrip('/')}/#identity={signed}", markup=False, soft_wrap=True)

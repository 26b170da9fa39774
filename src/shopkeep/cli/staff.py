"""`shopkeep staff`: the people who sign in to the console (support agents and managers)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from shopkeep.cli.common import console, err_console, open_store

app = typer.Typer(
    name="staff",
    help="Console sign-ins: agents take handed-over conversations; managers also see analytics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

PASSWORD_ENV = "SHOPKEEP_STAFF_PASSWORD"


@app.command()
def add(
    username: Annotated[str, typer.Argument(help="the sign-in name (letters, digits, . _ @ -)")],
    role: Annotated[str, typer.Option(help="agent (the console) or manager (and analytics)")],
    name: Annotated[
        str | None,
        typer.Option(help="the name shown to colleagues and shoppers (default: Support)"),
    ] = None,
) -> None:
    """Add a staff member. The password is asked for (or read from SHOPKEEP_STAFF_PASSWORD),
    never given on the command line, where other users of the machine could see it."""
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        if not sys.stdin.isatty():
            err_console.print(
                f"No terminal to ask for the password: set {PASSWORD_ENV}.", markup=False
            )
            raise typer.Exit(2)
        password = typer.prompt(
            "Password (10 characters or more, not a common one)",
            hide_input=True,
            confirmation_prompt=True,
        )
    store = open_store()
    try:
        member = store.staff.add(username, password=password, role=role, display_name=name)
    finally:
        store.close()
    console.print(f"Added {member.username} ({member.role}).", markup=False)


@app.command("list")
def list_staff() -> None:
    """Show every staff member with their role."""
    store = open_store()
    try:
        members = store.staff.all()
    finally:
        store.close()
    if not members:
        err_console.print("No staff yet. Add one: shopkeep staff add NAME --role manager")
        return
    table = Table("username", "name", "role", "active")
    for m in members:
        table.add_row(m.username, m.display_name, m.role, "yes" if m.active else "no")
    console.print(table)


@app.command()
def deactivate(username: Annotated[str, typer.Argument(help="the staff member's sign-in")]) -> None:
    """Stop a staff member from signing in (their past replies stay in the log)."""
    store = open_store()
    try:
        store.staff.deactivate(username)
    finally:
        store.close()
    console.print(f"{username} can no longer sign in.", markup=False)

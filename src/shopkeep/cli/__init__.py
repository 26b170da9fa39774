"""The `shopkeep` command: one entry point for every part of the shop."""

from __future__ import annotations

import typer

from shopkeep.cli import db, tau2

app = typer.Typer(
    name="shopkeep",
    help="shopkeep, the open-source AI shopkeeper. Every command reads SHOPKEEP_DATABASE_URL "
    "(default: SQLite in the user's data directory).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(tau2.import_app, name="import")
app.add_typer(tau2.export_app, name="export")


def main() -> None:
    app()

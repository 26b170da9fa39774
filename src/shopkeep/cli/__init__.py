"""The `shopkeep` command: one entry point for every part of the shop."""

from __future__ import annotations

import typer

from shopkeep.cli.common import err_console, explain
from shopkeep.cli.db import app as db_app
from shopkeep.cli.model import app as model_app
from shopkeep.cli.tau2 import export_app, import_app

app = typer.Typer(
    name="shopkeep",
    help="shopkeep, the open-source AI shopkeeper. Every command reads SHOPKEEP_DATABASE_URL "
    "(default: SQLite in the user's data directory).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(model_app, name="model")


def main() -> None:
    try:
        app()
    except Exception as error:
        explained = explain(error)
        if explained is None:
            raise
        message, code = explained
        err_console.print(message, markup=False, highlight=False)
        raise SystemExit(code) from None

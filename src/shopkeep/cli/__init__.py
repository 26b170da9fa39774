"""The `shopkeep` command: one entry point for every part of the shop."""

from __future__ import annotations

import inspect
from typing import Any

import typer
from typer.core import TyperGroup

from shopkeep.cli.chat import chat
from shopkeep.cli.common import err_console, explain
from shopkeep.cli.db import app as db_app
from shopkeep.cli.eval import eval_app
from shopkeep.cli.identity import app as identity_app
from shopkeep.cli.knowledge import app as knowledge_app
from shopkeep.cli.mcp import app as mcp_app
from shopkeep.cli.model import app as model_app
from shopkeep.cli.serve import serve
from shopkeep.cli.staff import app as staff_app
from shopkeep.cli.tau2 import export_app, import_app


class ExplainingGroup(TyperGroup):
    """Turns errors a user's input or environment caused into one clear line and an exit code,
    for every command however it is invoked (the console script, `python -m`, a test runner)."""

    def invoke(self, ctx: Any) -> Any:  # typer passes its own click Context
        try:
            return super().invoke(ctx)
        except typer.Exit:
            raise
        except Exception as error:
            explained = explain(error)
            if explained is None:
                raise
            message, code = explained
            err_console.print(message, markup=False, highlight=False)
            raise typer.Exit(code) from None


app = typer.Typer(
    name="shopkeep",
    cls=ExplainingGroup,
    help="shopkeep, the open-source AI shopkeeper. Every command reads SHOPKEEP_DATABASE_URL "
    "(default: SQLite in the user's data directory).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(model_app, name="model")
app.command()(chat)
app.add_typer(eval_app, name="eval")
app.command()(serve)
app.add_typer(mcp_app, name="mcp")
app.add_typer(staff_app, name="staff")
app.add_typer(knowledge_app, name="knowledge")
app.add_typer(identity_app, name="identity")


def _reflow(command: Any) -> None:
    """Joins the lines of each paragraph of the help texts, so the terminal wraps them: Typer's
    rich help keeps the line breaks of a docstring's later paragraphs as they are in the
    source. A paragraph with a list, an indented block or a \\b marker is left as written."""
    if command.help:
        paragraphs = inspect.cleandoc(command.help).split("\n\n")
        command.help = "\n\n".join(
            p
            if "\b" in p or any(line[:1] in (" ", "-", "*") for line in p.splitlines()[1:])
            else " ".join(line.strip() for line in p.splitlines())
            for p in paragraphs
        )
    for sub in getattr(command, "commands", {}).values():
        _reflow(sub)


def command() -> Any:
    """The `shopkeep` command as Typer's click runs it, help texts reflowed."""
    built = typer.main.get_command(app)
    _reflow(built)
    return built


def main() -> None:
    command()()

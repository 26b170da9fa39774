"""What every command shares: settings, the console, opening the store, rendering store errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from shopkeep.settings import Settings
from shopkeep.store import Database, Store, StoreError

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return Settings()


def open_database() -> Database:
    return Database(settings().resolved_database_url())


def open_store(*, require_schema: bool = True) -> Store:
    config = settings()
    db = Database(config.resolved_database_url())
    if require_schema and not db.is_initialised():
        err_console.print(
            f"[red]The database at {db} has no shopkeep schema yet.[/red] Run: shopkeep db init"
        )
        raise typer.Exit(2)
    return Store(db, policy=config.store)


@contextmanager
def store_errors() -> Iterator[None]:
    """Show a store refusal as one clear line and exit non-zero, never as a traceback."""
    try:
        yield
    except StoreError as error:
        err_console.print(f"[red]{error.code}[/red]: {escape(error.message)}")
        raise typer.Exit(1) from None

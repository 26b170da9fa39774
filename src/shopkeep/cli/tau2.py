"""`shopkeep import tau2-retail` and `shopkeep export tau2-retail`: τ²-bench retail's db.json."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from shopkeep.cli.common import console, err_console, open_store
from shopkeep.store.tau2 import dumps_tau2, export_tau2, import_tau2

import_app = typer.Typer(no_args_is_help=True)
export_app = typer.Typer(no_args_is_help=True)


@import_app.callback()
def import_data() -> None:
    """Import data from other systems into the store."""


@export_app.callback()
def export_data() -> None:
    """Export the store's data for other systems."""


def _counts_table(counts: dict[str, int]) -> Table:
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, count in counts.items():
        table.add_row(name.replace("_", " "), f"{count:,}")
    return table


@import_app.command("tau2-retail")
def import_tau2_retail(
    path: Annotated[
        Path,
        # Checked by the import itself, so that a missing or unreadable file is one line and
        # exit code 1, like any other refused import.
        typer.Argument(help="τ²-bench retail db.json"),
    ],
) -> None:
    """Import a τ²-bench retail db.json into the store, all or nothing.

    Imports its products and variants, users with their address and payment methods
    (gift-card balances included), and orders with items, statuses, fulfillments and payment
    history; also what shopkeep's own export adds (wallets, completed orders). A malformed or
    unreadable file, or ids the store already has, imports nothing, and the error names the
    record and field at fault."""
    store = open_store()
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:

        def report(section: str, done: int, total: int) -> None:
            if section not in tasks:
                tasks[section] = progress.add_task(section, total=total)
            progress.update(tasks[section], completed=done)

        counts = import_tau2(store.db, path, progress=report)
    console.print(f"Imported {path} into {store.db}:", markup=False)
    console.print(_counts_table(counts.as_dict()))
    store.close()


@export_app.command("tau2-retail")
def export_tau2_retail(
    path: Annotated[
        Path,
        typer.Argument(help="where to write the db.json ('-' for standard output)"),
    ],
) -> None:
    """Write the store as a τ²-bench retail db.json.

    Writes every product, customer and retail order, with later changes (cancellations,
    modifications, returns, exchanges, refunds, gift-card balances) in τ²'s own fields, and
    wallets as {"source": "wallet", "id", "brand"}; the file imports again as it is. Left out,
    as τ²'s shape has no place for them: local (food) orders, orders still awaiting payment,
    customer profiles, product categories and translations, reviews, coupons and campaigns."""
    store = open_store()
    document = export_tau2(store.db)
    text = dumps_tau2(document)
    if str(path) == "-":
        sys.stdout.write(text)
    else:
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            store.close()
            reason = error.strerror or str(error)
            err_console.print(
                f"[red]export_failed[/red]: cannot write {escape(str(path))}: {escape(reason)}"
            )
            raise typer.Exit(1) from None
        counts = {
            "products": len(document["products"]),
            "variants": sum(len(p["variants"]) for p in document["products"].values()),
            "users": len(document["users"]),
            "orders": len(document["orders"]),
        }
        console.print(f"Exported {store.db} to {path}:", markup=False)
        console.print(_counts_table(counts))
    store.close()

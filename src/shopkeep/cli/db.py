"""`shopkeep db ...`: create the database, seed the demo store, show what the store holds."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from sqlalchemy import func, select

from shopkeep.cli.common import console, err_console, open_database, open_store
from shopkeep.store import Money, StoreError
from shopkeep.store.models import (
    Campaign,
    Coupon,
    Customer,
    LocalStore,
    MenuItem,
    Order,
    Product,
    Review,
    Variant,
)
from shopkeep.store.views import localized

app = typer.Typer(no_args_is_help=True, help="Create, seed and inspect the shop's database.")


@app.command()
def init() -> None:
    """Create the database (or bring its schema up to date). Safe to run again."""
    db = open_database()
    revision = db.migrate()
    drift = db.schema_drift()
    if drift:
        err_console.print(
            f"The database at {db} is at schema {revision} but its tables differ from what this "
            f"shopkeep expects ({len(drift)} differences, e.g. {drift[0]}); it was probably made "
            "by a development build. Use a new database, or start over with: "
            "shopkeep db seed demo --reset",
            markup=False,
        )
        raise typer.Exit(2)
    console.print(f"Database ready at {db} (schema {revision}).", markup=False)


@app.command()
def seed(
    what: Annotated[str, typer.Argument(help="what to seed: 'demo', the demo store")],
    reset: Annotated[
        bool, typer.Option("--reset", help="empty the database first (everything in it is lost)")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="with --reset: don't ask before emptying the database")
    ] = False,
    if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty", help="do nothing, successfully, when the store already holds data"
        ),
    ] = False,
    seed_value: Annotated[
        int, typer.Option("--seed", help="the random seed; the same seed gives the same store")
    ] = 2026,
) -> None:
    """Fill an empty store with the deterministic demo shop: a catalog in four categories, two
    bubble-tea shops and a noodle shop, 50+ customers with orders in every state, coupons and
    running campaigns, all named in English, Chinese and Korean."""
    if what != "demo":
        err_console.print(f"[red]Unknown seed {what!r}.[/red] Available: demo")
        raise typer.Exit(2)
    from shopkeep.store.demo import demo_seed_status, refuse_unless_empty, seed_demo

    db = open_database()
    if reset:
        if not yes and not typer.confirm(f"Delete everything in {db} and seed the demo afresh?"):
            raise typer.Exit(1)
        db.reset()
    else:
        db.migrate()
    if if_empty and not reset:
        status = demo_seed_status(db)
        if status == "started":
            err_console.print(
                f"The demo seed of {db} was interrupted and the store holds part of it. Start "
                "over with: shopkeep db seed demo --reset",
                markup=False,
            )
            raise typer.Exit(1)
        try:
            refuse_unless_empty(db)
        except StoreError:
            console.print(f"The store at {db} already holds data; left as it is.", markup=False)
            return
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(step, total=total)
            progress.update(tasks[step], completed=done)

        counts = seed_demo(db, seed=seed_value, progress=report)
    held = ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in counts.items())
    console.print(f"Seeded the demo store into {db}: {held}", markup=False)


@app.command()
def show() -> None:
    """Print what the store holds: counts, categories, local stores, coupons and campaigns."""
    store = open_store()
    with store.db.reading() as s:
        counts = {
            "products": s.scalar(select(func.count()).select_from(Product)),
            "variants": s.scalar(select(func.count()).select_from(Variant)),
            "reviews": s.scalar(select(func.count()).select_from(Review)),
            "customers": s.scalar(select(func.count()).select_from(Customer)),
            "orders": s.scalar(select(func.count()).select_from(Order)),
            "local stores": s.scalar(select(func.count()).select_from(LocalStore)),
            "menu items": s.scalar(select(func.count()).select_from(MenuItem)),
            "coupons": s.scalar(select(func.count()).select_from(Coupon)),
            "campaigns": s.scalar(select(func.count()).select_from(Campaign)),
        }
        statuses = dict(
            s.execute(
                select(Order.status, func.count()).group_by(Order.status).order_by(Order.status)
            ).all()
        )
    console.print(f"[bold]{store.db}[/bold]")
    table = Table(title="The store holds", show_header=False)
    for name, count in counts.items():
        table.add_row(name, str(count))
    console.print(table)
    if statuses:
        by_status = Table(title="Orders by status")
        by_status.add_column("status")
        by_status.add_column("orders", justify="right")
        for status, count in statuses.items():
            by_status.add_row(status, str(count))
        console.print(by_status)
    categories = store.catalog.categories()
    if categories:
        console.print("Categories: " + ", ".join(f"{c} ({n})" for c, n in categories.items()))
    stores = store.local.stores()
    if stores:
        local = Table(title="Local stores")
        local.add_column("id", no_wrap=True)
        local.add_column("name (en / zh / ko)")
        local.add_column("where")
        local.add_column("slots", no_wrap=True)
        for st in stores:
            names = "\n".join(st.name.get(lang, "-") for lang in ("en", "zh", "ko"))
            where = f"{st.kind}\n{st.area}, {st.city}"
            local.add_row(st.id, names, where, f"{st.capacity_per_slot} / {st.slot_minutes} min")
        console.print(local)
    coupons = store.promotions.coupons()
    if coupons:
        offers = [
            f"{c.code} ({c.value}% off)"
            if c.kind == "percent"
            else f"{c.code} ({Money(c.value, c.min_spend.currency)} off)"
            for c in coupons
        ]
        console.print("Coupons running: " + ", ".join(offers), markup=False)
    for campaign in store.promotions.campaigns():
        name = localized(campaign.name, "en")
        spent = f"{campaign.spent} of {campaign.budget} spent"
        console.print(f"Campaign {campaign.id} — {name}: {spent}", markup=False)
    store.close()

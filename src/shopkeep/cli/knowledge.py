"""`shopkeep knowledge ...`: the merchant's own documents and FAQ entries, which the assistant
answers the shop's questions from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shopkeep.cli.common import console, err_console, open_store
from shopkeep.store.errors import ImportFailed
from shopkeep.store.knowledge import KINDS, ParsedDocument, read_file

app = typer.Typer(
    no_args_is_help=True,
    help="The shop's knowledge base: help pages and FAQ entries the assistant answers from.",
)


def _files(paths: list[Path]) -> list[tuple[Path, str]]:
    """Each file to import with its name in the knowledge base: a file given by itself is named
    by its file name, a file in a folder by its path inside that folder."""
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in KINDS)
            if not inside:
                known = ", ".join(sorted(KINDS))
                raise ImportFailed(str(path), "(folder)", f"holds no knowledge files ({known})")
            found.extend((p, p.relative_to(path).as_posix()) for p in inside)
        elif path.exists():
            found.append((path, path.name))
        else:
            raise ImportFailed(str(path), "(file)", "does not exist")
    return found


@app.command("import")
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Markdown or text files (one document each: '# Title', then '## ' sections) "
            "and FAQ files (.yaml: a list of question / answer entries), or folders of them. "
            "A name like shipping.zh.md gives the language; otherwise it is detected."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="say what would be added, updated and removed")
    ] = False,
) -> None:
    """Make the knowledge base hold exactly these files: new ones are added, changed ones
    updated, unchanged ones kept, and documents imported before but not given now removed.
    Every file is checked first; one bad file imports nothing. A document stating a return
    window the store's policy does not have is flagged (the policy is what the assistant says)."""
    documents: list[ParsedDocument] = [read_file(p, name) for p, name in _files(paths)]
    store = open_store()
    try:
        report = store.knowledge.replace(documents, dry_run=dry_run)
    finally:
        store.close()
    verb = "Would import" if dry_run else "Imported"
    passages = sum(len(d.sections) for d in documents)
    console.print(
        f"{verb} {len(documents)} files ({passages} passages): {len(report.added)} added, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed.",
        markup=False,
    )
    for label, names in (
        ("added", report.added),
        ("updated", report.updated),
        ("removed", report.removed),
    ):
        for name in names:
            console.print(f"  {label}: {name}", markup=False)
    for warning in report.warnings:
        err_console.print(f"warning: {warning}", markup=False, highlight=False)


@app.command("list")
def list_() -> None:
    """The documents in the knowledge base, with their language and number of passages."""
    store = open_store()
    try:
        documents = store.knowledge.documents()
    finally:
        store.close()
    if not documents:
        console.print("The knowledge base is empty. Add documents with: shopkeep knowledge import")
        return
    table = Table(title=f"Knowledge base ({len(documents)} documents)")
    for column in ("source", "kind", "language", "title", "passages"):
        table.add_column(column, justify="right" if column == "passages" else "left")
    for d in documents:
        table.add_row(d.source, d.kind, d.lang, d.title, str(d.passages))
    console.print(table)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="a question, as a customer would ask it")],
    lang: Annotated[
        str | None, typer.Option("--lang", help="prefer passages in this language (en, zh, ko)")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=20, help="passages to show")] = 3,
) -> None:
    """The passages that best answer QUERY, with how much of the question each covers."""
    store = open_store()
    try:
        hits = store.knowledge.search(query, lang=lang, limit=limit)
    finally:
        store.close()
    if not hits:
        console.print("Nothing in the knowledge base matches.")
        return
    for hit in hits:
        console.print(
            f"[bold]{hit.title} — {hit.heading}[/bold]  ({hit.source}, {hit.lang}, "
            f"covers {hit.score:.0%})"
        )
        console.print(hit.text, markup=False)
        console.print()

"""Benchmark: retrieval from the shop's knowledge base on SQLite (FTS5) and PostgreSQL (full-text
search), side by side, with the database's own full-text query alone beside the whole search.

    .venv/bin/python bench/knowledge.py [--rounds 5] [--postgres URL]

Imports the demo knowledge base (24 documents in en / zh / ko) into a new SQLite file and a new
PostgreSQL database, then asks every question of `scenarios/knowledge/questions.yaml` (84, both
halves: retrieval has nothing to tune) `--rounds` times on each. Per database: p50 / p95 / max of
`Knowledge.search` (the index query, reading the candidate passages, ranking them) and of the
index query alone (the raw full-text engine), their ratio, and how often the two databases give
the same best passage. The target is a search p95 of 50 ms or less.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import yaml
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from shopkeep.store import Database, Store
from shopkeep.store.knowledge import demo_documents, question_units, warm_up

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "scenarios" / "knowledge" / "questions.yaml"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def measure(store: Store, questions: list[dict[str, str]], rounds: int) -> dict[str, object]:
    search_ms: list[float] = []
    index_ms: list[float] = []
    best: list[str | None] = []
    knowledge = store.knowledge
    for _ in range(rounds):
        best.clear()
        for q in questions:
            wanted = list(dict.fromkeys(t for u in question_units(q["question"]) for t in u))

            def index_only(wanted: list[str] = wanted) -> None:
                with store.db.reading() as session:
                    knowledge._matching(session, wanted)

            if wanted:
                index_ms.append(timed(index_only))
            started = time.perf_counter()
            hits = knowledge.search(q["question"], lang=q["lang"], limit=3)
            search_ms.append((time.perf_counter() - started) * 1000)
            best.append(f"{hits[0].source}#{hits[0].heading}" if hits else None)
    return {"search": search_ms, "index": index_ms, "best": list(best)}


def postgres_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    url = make_url(admin_url)
    name = f"shopkeep_bench_{uuid.uuid4().hex[:10]}"
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.set(database=name).render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", default=POSTGRES, help="an account that may create databases")
    args = parser.parse_args(argv)
    console = Console()
    questions = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    warm_up()
    documents = demo_documents()
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as folder:
        sqlite = Database(f"sqlite:///{folder}/bench.sqlite3")
        targets: list[tuple[str, Database, Callable[[], None]]] = [
            ("SQLite FTS5", sqlite, lambda: None)
        ]
        try:
            url, drop = postgres_database(args.postgres)
            targets.append(("PostgreSQL FTS", Database(url), drop))
        except psycopg.Error as error:
            console.print(f"PostgreSQL left out: {error}", style="yellow")
        for label, db, drop in targets:
            try:
                db.migrate()
                store = Store(db)
                store.knowledge.replace(documents)
                measure(store, questions[:10], 1)  # connections and caches warm
                results[label] = measure(store, questions, args.rounds)
                store.close()
            finally:
                drop()
    passages = sum(len(d.sections) for d in documents)
    table = Table(
        title=f"Knowledge search: {len(documents)} documents, {passages} passages, "
        f"{len(questions)} questions × {args.rounds} rounds (ms)"
    )
    for column in (
        "database",
        "search p50",
        "search p95",
        "search max",
        "index p50",
        "index p95",
        "search / index (p50)",
    ):
        table.add_column(column, justify="left" if column == "database" else "right")
    for label, r in results.items():
        search, index = r["search"], r["index"]
        assert isinstance(search, list) and isinstance(index, list)
        table.add_row(
            label,
            f"{statistics.median(search):.2f}",
            f"{quantile(search, 0.95):.2f}",
            f"{max(search):.2f}",
            f"{statistics.median(index):.2f}",
            f"{quantile(index, 0.95):.2f}",
            f"{statistics.median(search) / statistics.median(index):.1f}×",
        )
    console.print(table)
    if len(results) == 2:
        first, second = (r["best"] for r in results.values())
        assert isinstance(first, list) and isinstance(second, list)
        same = sum(a == b for a, b in zip(first, second, strict=True))
        console.print(f"same best passage on both databases: {same}/{len(first)}")
    worst = max(quantile(r["search"], 0.95) for r in results.values())  # type: ignore[arg-type]
    console.print(
        f"target: search p95 ≤ 50 ms — {'met' if worst <= 50 else 'NOT met'} ({worst:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

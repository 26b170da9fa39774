"""The database: one engine, write and read transactions, migrations. SQLite (WAL) or PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

_WRITE = "shopkeep_write"
FULL_TEXT_INDEX = "knowledge_fts"
"""The knowledge base's full-text index: an FTS5 table (and its shadow tables) on SQLite, a table
of tsvectors with a GIN index on PostgreSQL; made by the migration in each database's own terms,
outside the models."""


def _not_the_full_text_index(name: str | None, kind: str, _parent: Any) -> bool:
    return not (name or "").startswith(FULL_TEXT_INDEX)


def _json_dumps(value: Any) -> str:
    # Chinese and Korean stay readable in the database, and searchable with LIKE.
    return json.dumps(value, ensure_ascii=False)


def insert_if_absent(session: Session, model: Any, values: dict[str, Any], keys: list[str]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL: create a row that parallel
    transactions may be creating too, then lock it with SELECT ... FOR UPDATE."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=keys))


class Database:
    """Owns the engine. `transaction()` is the only way the store writes."""

    def __init__(self, url: str | URL, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = self._sqlite_engine(echo)
        else:
            self.engine = create_engine(
                self.url,
                echo=echo,
                json_serializer=_json_dumps,
                pool_size=20,
                max_overflow=40,
                pool_timeout=120,
                pool_pre_ping=True,
            )
        self._write_bind = self.engine.execution_options(**{_WRITE: True})
        self._writer = sessionmaker(self._write_bind, expire_on_commit=False)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)

    def _sqlite_engine(self, echo: bool) -> Engine:
        engine = create_engine(
            self.url,
            echo=echo,
            json_serializer=_json_dumps,
            connect_args={"check_same_thread": False, "timeout": 120},
            pool_size=10,
            max_overflow=40,
            pool_timeout=120,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            # Let SQLAlchemy, not pysqlite, issue BEGIN, so writers can take the lock up front.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=120000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # A write transaction takes SQLite's write lock at BEGIN: two writers never
            # deadlock upgrading read locks, they queue on busy_timeout instead.
            immediate = conn.get_execution_options().get(_WRITE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction: commits when the block ends, rolls everything back on error."""
        with self._writer() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only view; nothing done in it is committed. Objects read stay readable after
        the block (detached, not expired)."""
        with self._reader() as session:
            yield session

    @property
    def sqlite_path(self) -> Path | None:
        """The file of a SQLite database (None for PostgreSQL or an in-memory one)."""
        database = self.url.database
        if not self.is_sqlite or not database or database == ":memory:":
            return None
        return Path(database).expanduser()

    def migrate(self) -> str:
        """Create the schema, or bring it to the newest migration; returns the revision now
        current. A SQLite file and its directory are created here, and only here."""
        from shopkeep.store.migrations import upgrade

        if self.sqlite_path is not None:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            # Readable by its owner only: the file holds customers, orders and staff hashes
            # (SQLite gives its -wal and -shm files the same mode).
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.sqlite_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

        return upgrade(self.engine)

    def reset(self) -> str:
        """Drop every table of the store and migrate afresh: an empty shop."""
        from shopkeep.store.models import Base

        with self.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FULL_TEXT_INDEX}")
            Base.metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        return self.migrate()

    def schema_drift(self) -> list[str]:
        """How the tables differ from what this version of shopkeep expects (empty when they
        match): a database made by an unreleased development build shows up here."""
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext

        from shopkeep.store.models import Base

        with self.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_name": _not_the_full_text_index}
            )
            diffs = compare_metadata(context, Base.metadata)
        described = []
        for diff in diffs:
            op, *args = diff[0] if isinstance(diff, list) else diff
            names = [str(getattr(a, "name", a))[:40] for a in args[:3] if a is not None]
            described.append(" ".join([str(op), *names]))
        return described

    def is_initialised(self) -> bool:
        if self.sqlite_path is not None and not self.sqlite_path.exists():
            return False  # and don't create an empty file by looking
        return inspect(self.engine).has_table("alembic_version")

    def dispose(self) -> None:
        self.engine.dispose()

    def __str__(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Database({self})"

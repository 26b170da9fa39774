"""What every command shares: settings, the console, opening the store, and turning errors a
user can cause (a bad setting, an unreachable database, a missing file, a store refusal) into one
clear line instead of a traceback."""

from __future__ import annotations

import typer
from rich.console import Console

from shopkeep.llm import LLMSettings
from shopkeep.settings import Settings
from shopkeep.store import Database, Store, StoreError

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return Settings()


def redact_logs(config: Settings) -> None:
    """From now on, every log record this process writes (its own, uvicorn's) has emails,
    phone numbers, card numbers, tokens and the configured secrets hidden."""
    from shopkeep.logs import install_redaction

    install_redaction(config.secrets())


def llm_settings_for(model: str | None, base: LLMSettings) -> LLMSettings:
    """The model settings with `--model NAME` applied: a local model's name (0.5b, 1.5b) runs it
    in process; "scripted" plays the configured script; any other name is the model an
    OpenAI-compatible endpoint serves (SHOPKEEP_LLM__BASE_URL must be set)."""
    from shopkeep.llm.models import MODELS

    if model is None:
        return base
    if model.lower() in MODELS:
        return base.model_copy(update={"backend": "local", "local_model": model.lower()})
    if model == "scripted":
        return base.model_copy(update={"backend": "scripted"})
    return base.model_copy(update={"backend": "openai", "model": model})


def open_database() -> Database:
    return Database(settings().resolved_database_url())


def open_store(config: Settings | None = None, *, require_schema: bool = True) -> Store:
    """The configured store (`config`: settings the command already read)."""
    store = (config or settings()).open_store()
    if require_schema and not store.db.is_initialised():
        store.close()
        err_console.print(
            f"The database at {store.db} has no shopkeep schema yet. Run: shopkeep db init",
            markup=False,
        )
        raise typer.Exit(2)
    return store


def explain(error: BaseException) -> tuple[str, int] | None:
    """A one-line explanation and exit code for an error a user's input or environment caused;
    None for a bug, which should show its traceback."""
    import tomllib

    from pydantic import ValidationError
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    if isinstance(error, StoreError):
        return f"{error.code}: {error.message}", 1
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"SHOPKEEP_{'__'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        )
        return f"Invalid setting: {problems}", 2
    if isinstance(error, ArgumentError | NoSuchModuleError):
        return (
            f"SHOPKEEP_DATABASE_URL is not a database URL shopkeep can use ({error}). Use "
            "sqlite:///path/to/shop.sqlite3 or postgresql+psycopg://user@host:5432/dbname",
            2,
        )
    if isinstance(error, ModuleNotFoundError):
        return (
            f"SHOPKEEP_DATABASE_URL needs a database driver that is not installed ({error.name}); "
            "shopkeep supports SQLite and PostgreSQL (postgresql+psycopg://...)",
            2,
        )
    if isinstance(error, OperationalError):
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        return f"Cannot use the database: {reason}", 2
    if isinstance(error, tomllib.TOMLDecodeError):
        return f"The SHOPKEEP_CONFIG file is not valid TOML: {error}", 2
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror or error}{where}", 1
    return None

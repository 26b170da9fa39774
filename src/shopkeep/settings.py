"""The one typed settings object: environment variables (SHOPKEEP_*) and an optional TOML file."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from shopkeep.llm.settings import LLMSettings
from shopkeep.store.policy import StorePolicy


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("shopkeep", appauthor=False))


def _default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("shopkeep", appauthor=False))


class AgentSettings(BaseModel):
    """`SHOPKEEP_AGENT__*`, or an `[agent]` table in the settings file."""

    free_wording: bool = Field(
        default=False,
        description="let the model reword the template replies (for a strong model); a "
        "rewording that adds or changes any number, id, code or amount is discarded",
    )


class Settings(BaseSettings):
    """Every setting shopkeep reads. `SHOPKEEP_CONFIG` may name a TOML file with the same keys."""

    model_config = SettingsConfigDict(
        env_prefix="SHOPKEEP_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; SQLite in the data directory when unset. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/dbname",
    )
    config: Path | None = Field(default=None, description="optional TOML settings file")
    secret_key: SecretStr | None = Field(
        default=None,
        description="signs access tokens and webhooks; default: a random key kept in "
        "<data_dir>/secret_key (created on first use, readable by its owner only)",
    )
    store: StorePolicy = Field(default_factory=StorePolicy)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        import os

        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("SHOPKEEP_CONFIG")
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                # A named file that is missing is a mistake, not "no settings".
                raise FileNotFoundError(2, "SHOPKEEP_CONFIG names no such file", str(path))
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def resolved_secret_key(self) -> bytes:
        """The configured key, else the one kept in the data directory (made on first use)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        import secrets

        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two processes starting at once must not each write a different key.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as out:
                    out.write(secrets.token_hex(32))
        return path.read_text().strip().encode()

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'shopkeep.sqlite3'}"

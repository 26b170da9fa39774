"""Test set-up: real databases. SQLite files in tmp, and a real PostgreSQL server.

PostgreSQL: the tests use SHOPKEEP_TEST_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), an account allowed to create databases;
each test gets its own database, copied from a migrated template. When the server is down the
set-up tries to start the local cluster. Without a server the PostgreSQL tests are skipped,
except with CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from shopkeep.store import Database

PG_ADMIN_URL = os.environ.get(
    "SHOPKEEP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_reachable() -> bool:
    try:
        with psycopg.connect(_pg_conninfo(PG_ADMIN_URL), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _try_start_local_cluster() -> None:
    clusters = Path("/etc/postgresql")
    if not clusters.is_dir() or shutil.which("pg_ctlcluster") is None:
        return
    for version in sorted(p.name for p in clusters.iterdir()):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            capture_output=True,
            check=False,
            timeout=60,
        )


def _admin(sql: str) -> None:
    with psycopg.connect(_pg_conninfo(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database to copy each test's database from."""
    if not _pg_reachable():
        _try_start_local_cluster()
    if not _pg_reachable():
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL} (set SHOPKEEP_TEST_POSTGRES_URL)"
        if IN_CI:
            pytest.fail(message + "; with CI=true the PostgreSQL tests must run")
        pytest.skip(message)
    name = f"shopkeep_tmpl_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    db = Database(make_url(PG_ADMIN_URL).set(database=name))
    db.migrate()
    db.dispose()
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    name = f"shopkeep_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "shop.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    db = Database(sqlite_url)
    yield db
    db.dispose()


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url)
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on SQLite and on PostgreSQL."""
    fixture = "sqlite_db" if request.param == "sqlite" else "postgres_db"
    database: Database = request.getfixturevalue(fixture)
    return database


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The default model in the configured cache directory (`make model` puts it there)."""
    from shopkeep.llm.models import MODELS, install_model, is_installed, models_dir
    from shopkeep.settings import Settings

    spec = MODELS["0.5b"]
    directory = models_dir(Settings().cache_dir)
    if not is_installed(spec, directory):
        install_model(spec, directory)
    return spec.path_in(directory)


SERVED_NAME = "qwen2.5-coder-0.5b"
"""The name `llama_server` serves the 0.5B model under."""


@pytest.fixture(scope="session")
def llama_server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` on 127.0.0.1 serving the 0.5B model; yields its /v1 URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model_path),
                "--model_alias",
                SERVED_NAME,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "4096",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        # Waiting for readiness, not timing anything; the deadline only keeps a hung server from
        # hanging the suite.
        deadline = time.monotonic() + 600
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"llama_cpp.server did not start ({server.returncode}):\n{log.read_text()}"
                )
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

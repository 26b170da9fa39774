"""`shopkeep staff add / list / deactivate`, run as a merchant runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from shopkeep.store import Database, Store

SHOPKEEP = [sys.executable, "-m", "shopkeep.cli"]


def shopkeep(*args: str, url: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHOPKEEP_DATABASE_URL": url, "COLUMNS": "200"}
    env.pop("SHOPKEEP_STAFF_PASSWORD", None)
    if password is not None:
        env["SHOPKEEP_STAFF_PASSWORD"] = password
    return subprocess.run(
        [*SHOPKEEP, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_that_a_merchant_adds_lists_and_deactivates_staff(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    assert shopkeep("db", "init", url=url).returncode == 0
    added = shopkeep("staff", "add", "mina", "--role", "agent", url=url, password="correct horse")
    assert added.returncode == 0, added.stderr
    listed = shopkeep("staff", "list", url=url)
    assert "mina" in listed.stdout and "agent" in listed.stdout
    store = Store(Database(url))
    try:
        assert store.staff.authenticate("mina", "correct horse") is not None
        assert shopkeep("staff", "deactivate", "mina", url=url).returncode == 0
        assert store.staff.authenticate("mina", "correct horse") is None
    finally:
        store.close()


def test_that_without_a_terminal_the_password_comes_from_the_environment_or_nothing_is_added(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    assert shopkeep("db", "init", url=url).returncode == 0
    refused = shopkeep("staff", "add", "mina", "--role", "agent", url=url)
    assert refused.returncode == 2
    assert "SHOPKEEP_STAFF_PASSWORD" in refused.stderr and "Traceback" not in refused.stderr
    short = shopkeep("staff", "add", "mina", "--role", "agent", url=url, password="short")
    assert short.returncode != 0 and "at least 10 characters" in short.stderr
    assert "mina" not in shopkeep("staff", "list", url=url).stdout

"""`shopkeep db init / seed demo / show`, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SHOPKEEP = [sys.executable, "-m", "shopkeep.cli"]


def shopkeep(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHOPKEEP_DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run([*SHOPKEEP, *args], capture_output=True, text=True, env=env, check=False)


def test_that_init_seed_and_show_build_and_describe_the_demo_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    init = shopkeep("db", "init", url=url)
    assert init.returncode == 0, init.stderr
    assert "Database ready" in init.stdout
    assert shopkeep("db", "init", url=url).returncode == 0  # again: nothing to do, no error

    seeded = shopkeep("db", "seed", "demo", url=url)
    assert seeded.returncode == 0, seeded.stderr
    assert "40 products" in seeded.stdout and "54 customers" in seeded.stdout

    again = shopkeep("db", "seed", "demo", url=url)
    assert again.returncode == 1
    assert "invalid_request" in again.stderr and "Traceback" not in again.stderr
    kept = shopkeep("db", "seed", "demo", "--if-empty", url=url)
    assert kept.returncode == 0 and "left as it is" in kept.stdout

    shown = shopkeep("db", "show", url=url)
    assert shown.returncode == 0, shown.stderr
    for expected in (
        "products",
        "pending (item modified)",
        "exchange requested",
        "Categories: apparel (10)",
        "bubble_tea",
        "WELCOME10",
    ):
        assert expected in shown.stdout


def test_that_commands_on_an_uninitialised_database_say_what_to_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    shown = shopkeep("db", "show", url=url)
    assert shown.returncode == 2
    assert "shopkeep db init" in shown.stderr and "Traceback" not in shown.stderr
    unknown = shopkeep("db", "seed", "nonsense", url=url)
    assert unknown.returncode == 2 and "Unknown seed" in unknown.stderr

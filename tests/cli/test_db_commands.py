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


def test_that_bad_settings_and_unreachable_databases_get_one_clear_line(tmp_path: Path) -> None:
    cases = {
        "notaurl": "is not a database URL shopkeep can use",
        "mysql://u@h/db": "needs a database driver that is not installed",
        "postgresql+psycopg://postgres@127.0.0.1:5432/shopkeep_no_db": "Cannot use the database",
    }
    for url, expected in cases.items():
        result = shopkeep("db", "init", url=url)
        assert result.returncode == 2, (url, result.stderr)
        assert expected in result.stderr and "Traceback" not in result.stderr
    missing = tmp_path / "not" / "there.sqlite3"
    shown = shopkeep("db", "show", url=f"sqlite:///{missing}")
    assert shown.returncode == 2 and "shopkeep db init" in shown.stderr
    assert not missing.parent.exists()  # looking creates nothing


def test_that_a_bad_config_file_or_setting_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    env = {**os.environ, "SHOPKEEP_DATABASE_URL": url}
    bad = tmp_path / "bad.toml"
    bad.write_text("x = [\n")
    runs = {
        "not valid TOML": {"SHOPKEEP_CONFIG": str(bad)},
        "names no such file": {"SHOPKEEP_CONFIG": str(tmp_path / "none.toml")},
        "SHOPKEEP_STORE__SHIPPING_FEE_MINOR": {"SHOPKEEP_STORE__SHIPPING_FEE_MINOR": "-1"},
    }
    for expected, extra in runs.items():
        result = subprocess.run(
            [*SHOPKEEP, "db", "init"],
            capture_output=True,
            text=True,
            env={**env, **extra},
            check=False,
        )
        assert result.returncode != 0 and expected in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_that_an_interrupted_demo_seed_is_not_taken_for_a_finished_one(tmp_path: Path) -> None:
    from shopkeep.store import Database
    from shopkeep.store.demo import _mark_seed

    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    assert shopkeep("db", "init", url=url).returncode == 0
    db = Database(url)
    _mark_seed(db, {"seed": 2026, "status": "started"})  # as a seed killed half way leaves it
    db.dispose()
    result = shopkeep("db", "seed", "demo", "--if-empty", url=url)
    assert result.returncode == 1 and "--reset" in result.stderr
    reset = shopkeep("db", "seed", "demo", "--reset", "--yes", url=url)
    assert reset.returncode == 0, reset.stderr
    assert shopkeep("db", "seed", "demo", "--if-empty", url=url).returncode == 0


def test_that_init_refuses_a_database_whose_tables_do_not_match_this_version(
    tmp_path: Path,
) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    url = f"sqlite:///{path}"
    assert shopkeep("db", "init", url=url).returncode == 0
    with sqlite3.connect(path) as conn:  # as a development build of another schema left it
        conn.execute("DROP TABLE store_meta")
    result = shopkeep("db", "init", url=url)
    assert result.returncode == 2
    assert "add_table store_meta" in result.stderr and "Traceback" not in result.stderr

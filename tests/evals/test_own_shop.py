"""`shopkeep eval run --shop FILE`: a merchant's own scenarios on a copy of their own store, as
a merchant runs them (here the store is a small cut of τ²-bench's retail database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopkeep.cli.eval import eval_app
from shopkeep.store import Database, Store
from shopkeep.store.tau2 import import_tau2

TAU2_CUT = Path(__file__).resolve().parents[1] / "fixtures" / "tau2" / "bridge" / "db.json"

SCENARIOS = """
- id: en-cancel-001-own-shop
  title: A customer of this shop cancels a pending order
  job: cancel
  language: en
  customer: daiki.silva6295@example.com
  turns:
    - "Please cancel order #W7999678, I don't need it anymore"
    - "yes"
  expect:
    say: ["#W7999678"]
    orders:
      "#W7999678": {status: cancelled}
- id: en-search-001-own-shop
  title: A guest asks for a product this shop sells
  job: search
  language: en
  turns:
    - "do you have a bluetooth speaker?"
  expect:
    say: ["Bluetooth Speaker"]
"""


@pytest.fixture
def own_shop(tmp_path: Path) -> Path:
    path = tmp_path / "my-shop.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    import_tau2(db, TAU2_CUT)
    db.dispose()
    return path


def test_that_a_merchant_runs_their_own_scenarios_on_a_copy_of_their_own_store(
    own_shop: Path, tmp_path: Path
) -> None:
    suite = tmp_path / "mine.yaml"
    suite.write_text(SCENARIOS)
    before = own_shop.read_bytes()
    result = CliRunner().invoke(
        eval_app,
        [
            "run",
            str(suite),
            "--shop",
            str(own_shop),
            "--model",
            "scripted",
            "--report",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [s["success"] for s in report["scenarios"]] == [True, True], report["scenarios"]
    assert own_shop.read_bytes() == before  # the merchant's store is only read
    store = Store(Database(f"sqlite:///{own_shop}"))
    try:
        order = store.orders.get(
            store.customers.find_by_email("daiki.silva6295@example.com"), "#W7999678"
        )
        assert order.status == "pending"
    finally:
        store.close()


def test_that_scenarios_naming_what_the_shop_lacks_are_refused_by_check(
    own_shop: Path, tmp_path: Path
) -> None:
    suite = tmp_path / "mine.yaml"
    suite.write_text(SCENARIOS.replace("daiki.silva6295@example.com", "nobody@example.com"))
    result = CliRunner().invoke(eval_app, ["run", str(suite), "--shop", str(own_shop), "--check"])
    assert result.exit_code == 2
    assert "no customer with the email nobody@example.com" in result.output


def test_that_a_file_that_is_no_store_gets_one_clear_line(tmp_path: Path) -> None:
    suite = tmp_path / "mine.yaml"
    suite.write_text(SCENARIOS)
    empty = tmp_path / "empty.sqlite3"
    Database(f"sqlite:///{empty}").dispose()
    empty.write_bytes(b"")
    for shop, says in (
        (tmp_path / "missing.sqlite3", "no SQLite database"),
        (empty, "holds no shopkeep store"),
    ):
        result = CliRunner().invoke(eval_app, ["run", str(suite), "--shop", str(shop), "--check"])
        assert result.exit_code == 2, result.output
        assert says in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output

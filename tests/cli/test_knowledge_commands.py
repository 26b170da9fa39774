"""`shopkeep knowledge import / list / search`, run as a merchant runs them."""

from __future__ import annotations

from pathlib import Path

from test_db_commands import shopkeep


def test_that_a_merchant_imports_searches_and_updates_their_documents(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    assert shopkeep("db", "init", url=url).returncode == 0
    docs = tmp_path / "help"
    (docs / "zh").mkdir(parents=True)
    (docs / "shipping.en.md").write_text(
        "# Shipping\n\n## Islands\nWe deliver to Jeju-do in 3-5 business days.\n\n"
        "## Returns\nReturns are accepted within 14 days of delivery.\n"
    )
    (docs / "zh" / "shipping.zh.md").write_text("# 配送\n\n## 海岛\n济州岛 3-5 个工作日送达。\n")
    (docs / "faq.en.yaml").write_text('- question: "Gift wrap?"\n  answer: "Not offered."\n')

    dry = shopkeep("knowledge", "import", str(docs), "--dry-run", url=url)
    assert dry.returncode == 0, dry.stderr
    assert "Would import 3 files" in dry.stdout and "3 added" in dry.stdout
    assert "empty" in shopkeep("knowledge", "list", url=url).stdout

    done = shopkeep("knowledge", "import", str(docs), url=url)
    assert done.returncode == 0, done.stderr
    assert "3 added" in done.stdout
    # the document's return window is not the store's: flagged, by file and section
    assert "shipping.en.md § Returns" in done.stderr and "14 days" in done.stderr

    listed = shopkeep("knowledge", "list", url=url)
    assert "zh/shipping.zh.md" in listed.stdout and "faq.en.yaml" in listed.stdout

    found = shopkeep("knowledge", "search", "济州岛要几天", "--lang", "zh", url=url)
    assert found.returncode == 0 and "3-5" in found.stdout and "海岛" in found.stdout

    (docs / "faq.en.yaml").unlink()
    again = shopkeep("knowledge", "import", str(docs), url=url)
    assert "2 unchanged, 1 removed" in again.stdout


def test_that_a_bad_file_imports_nothing_and_names_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    assert shopkeep("db", "init", url=url).returncode == 0
    good = tmp_path / "good.en.md"
    good.write_text("# Good\n\nFine text.\n")
    bad = tmp_path / "bad.en.md"
    bad.write_bytes("# Mauvais\n\nD\u00e9j\u00e0".encode("latin-1"))
    refused = shopkeep("knowledge", "import", str(good), str(bad), url=url)
    assert refused.returncode == 1
    assert "bad.en.md" in refused.stderr and "UTF-8" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "empty" in shopkeep("knowledge", "list", url=url).stdout
    missing = shopkeep("knowledge", "import", str(tmp_path / "nope.md"), url=url)
    assert missing.returncode == 1 and "does not exist" in missing.stderr

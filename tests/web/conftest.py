"""Browser tests: a real `shopkeep serve` (uvicorn, the real 0.5B model, the demo store seeded
afresh, demo login on) started per test module, driven by Playwright in Debian's Chromium.

Chromium comes from Debian's `chromium` package (`make test` installs it); set
SHOPKEEP_CHROMIUM to use another binary. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from web_harness import DESKTOP, PHONE, Served, start_server

from chromium import launch_chromium
from shopkeep.store import Database
from shopkeep.store.demo import seed_demo


@pytest.fixture(scope="session")
def live_demo_template(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Path:
    """The demo store seeded once at the real time (the server runs on the real clock)."""
    path = tmp_path_factory.mktemp("live-demo") / "demo.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    seed_demo(db)
    db.dispose()
    return path


@pytest.fixture(scope="module")
def served(live_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server on its own copy of the demo store, for one test module."""
    where = tmp_path_factory.mktemp("served")
    path = where / "shop.sqlite3"
    shutil.copy(live_demo_template, path)
    server = start_server(f"sqlite:///{path}", where / "data")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = launch_chromium(playwright)
    yield browser
    browser.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized page with its own cookies (a new shopper)."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page with its own cookies (a staff member, say)."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    yield page
    context.close()

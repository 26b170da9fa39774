"""Debian's Chromium, headless, launched the one way every browser test launches it: no sandbox
(tests may run as root), no GPU and no background networking."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright

CHROMIUM = os.environ.get("SHOPKEEP_CHROMIUM", "/usr/bin/chromium")


def launch_chromium(playwright: Playwright) -> Browser:
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"No Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium) or "
            "set SHOPKEEP_CHROMIUM",
            pytrace=False,
        )
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )

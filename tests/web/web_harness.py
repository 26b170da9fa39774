"""What the browser tests share: a real `shopkeep serve` in a subprocess, and screenshots."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running server: where it listens and the database it serves."""

    base_url: str
    database_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    database_url: str,
    data_dir: Path,
    *,
    extra_args: tuple[str, ...] = ("--demo-login",),
    extra_env: Mapping[str, str] | None = None,
) -> Served:
    """`shopkeep serve` on a free port, returned once GET /health answers; what it writes goes
    to `Served.log`."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"serve-{port}.log"
    env = {
        **os.environ,
        "SHOPKEEP_DATABASE_URL": database_url,
        "SHOPKEEP_DATA_DIR": str(data_dir),
        **(extra_env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "shopkeep.cli", "serve", "--port", str(port), *extra_args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", database_url, data_dir, process, log)
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server stopped:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{served.base_url}/health", timeout=5) as response:
                if response.status == 200:
                    return served
        except OSError:
            time.sleep(0.2)


def screenshot(page: Page, name: str) -> Path:
    """Save what the page shows now as test-artifacts/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

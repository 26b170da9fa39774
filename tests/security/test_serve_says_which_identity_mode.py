"""`shopkeep serve` refuses a code mode that cannot send codes, and says aloud when knowledge
counts as proof (tau2) or any visitor may be anyone (demo login), before it serves anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`shopkeep serve` on a data directory with no database yet: it stops (exit 2, "run
    shopkeep db init") right after what it says about identity."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SHOPKEEP_")}
    environment.update(SHOPKEEP_DATA_DIR=str(tmp_path / "data"), **env)
    return subprocess.run(
        [sys.executable, "-m", "shopkeep.cli", "serve", *args],
        env=environment,
        capture_output=True,
        text=True,
    )


def test_that_code_mode_without_a_mail_server_is_refused_at_start(tmp_path: Path) -> None:
    done = serve(tmp_path, SHOPKEEP_IDENTITY__MODE="code")
    assert done.returncode == 2
    assert "SHOPKEEP_IDENTITY__SMTP_HOST" in done.stderr
    assert "Traceback" not in done.stderr


def test_that_tau2_mode_is_warned_about_on_start(tmp_path: Path) -> None:
    done = serve(tmp_path, SHOPKEEP_IDENTITY__MODE="tau2")
    assert "WARNING: SHOPKEEP_IDENTITY__MODE=tau2" in done.stderr
    assert "never for a real shop" in done.stderr


def test_that_the_default_mode_warns_of_nothing(tmp_path: Path) -> None:
    done = serve(tmp_path)
    assert "tau2" not in done.stderr and "DEMO LOGIN" not in done.stderr
    assert "shopkeep db init" in done.stderr  # it went on to open the store


def test_that_demo_login_is_marked_and_its_codes_go_to_the_log(tmp_path: Path) -> None:
    done = serve(tmp_path, "--demo-login")
    assert "DEMO LOGIN is on" in done.stderr
    assert "one-time codes are written to this log" in done.stderr

"""`--help` reads as prose: each paragraph of a command's help is one line the terminal wraps to
its own width, not the line breaks of the source."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from shopkeep.cli import command


def every_command(group: Any, path: str = "shopkeep") -> Iterator[tuple[str, Any]]:
    yield path, group
    for name, sub in getattr(group, "commands", {}).items():
        yield from every_command(sub, f"{path} {name}")


def test_that_every_help_paragraph_is_one_line_unless_it_is_a_list() -> None:
    commands = dict(every_command(command()))
    assert {"shopkeep serve", "shopkeep eval tau2", "shopkeep staff add"} <= commands.keys()
    for path, found in commands.items():
        for paragraph in (found.help or "").split("\n\n"):
            lines = paragraph.splitlines()
            if any(line[:1] in (" ", "-", "*") for line in lines[1:]) or "\b" in paragraph:
                continue
            assert len(lines) <= 1, (path, paragraph)


def test_that_serve_help_wraps_its_second_paragraph_to_the_terminal() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "shopkeep.cli", "serve", "--help"],
        env={**os.environ, "COLUMNS": "200", "TERM": "dumb"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "any of them can take any turn of any conversation" in shown, shown

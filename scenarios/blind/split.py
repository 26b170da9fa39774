"""Splits the blind suites' files, as their writers wrote them, into a dev half and a test half,
once, by a fixed seed: `scenarios/blind/{shop,tau2}/X.yaml` → `.../dev/X.yaml` and
`.../test/X.yaml`.

    .venv/bin/python scenarios/blind/split.py            # split every file still unsplit

The conversations of a suite are grouped by job (a τ² script by its task's job) and, job by
job, taken from the writers' files in turn and dealt to dev and test alternately, all shuffled
by the seed: each half holds about half of every job, of every language and of every writer.
Each conversation's text moves exactly as written (comments included); the file's header
comment goes to both halves. The engine may be tuned on dev only; the test half is run once
when a change is finished (README, "Blind suites").
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import yaml  # type: ignore[import-untyped, unused-ignore]

from shopkeep.evals.tau2.bridge import task_job
from shopkeep.evals.tau2.tasks import load_tasks

SEED = 15
HERE = Path(__file__).resolve().parent
ENTRY = re.compile(r"^- ", re.MULTILINE)


def blocks(text: str) -> tuple[str, list[str]]:
    """The file's header (before the first entry) and each top-level list entry's text."""
    starts = [m.start() for m in ENTRY.finditer(text)]
    if not starts:
        return text, []
    header = text[: starts[0]]
    ends = [*starts[1:], len(text)]
    return header, [text[a:b].rstrip("\n") + "\n" for a, b in zip(starts, ends, strict=True)]


Entry = tuple[str, str, str, Path]
"""(job, id, text, file) of one conversation."""


def entries(file: Path, job_of: dict[str, str]) -> tuple[str, list[Entry]]:
    """The file's header and its conversations."""
    header, texts = blocks(file.read_text(encoding="utf-8"))
    found: list[Entry] = []
    for text in texts:
        (data,) = yaml.safe_load(text)
        job = job_of.get(str(data.get("task")), data.get("job", ""))
        found.append((job, data["id"], text, file))
    return header, found


def deal(everything: list[Entry], seed: str) -> set[str]:
    """The ids that go to the test half. Per job across the suite's files, taken from the files
    in turn (each file's shuffled), dealt to the two halves alternately, the first of each job
    to the half that holds fewer so far (a coin decides a tie)."""
    rng = random.Random(seed)
    halves: tuple[list[str], list[str]] = ([], [])
    for job in sorted({e[0] for e in everything}):
        by_file: dict[Path, list[Entry]] = {}
        for entry in sorted(e for e in everything if e[0] == job):
            by_file.setdefault(entry[3], []).append(entry)
        for group in by_file.values():
            rng.shuffle(group)
        files = sorted(by_file)
        rng.shuffle(files)
        order = [
            g[n]
            for n in range(max(map(len, by_file.values())))
            for f in files
            if n < len(g := by_file[f])
        ]
        first = 0 if len(halves[0]) < len(halves[1]) else 1
        if len(halves[0]) == len(halves[1]):
            first = rng.randrange(2)
        for n, entry in enumerate(order):
            halves[(first + n) % 2].append(entry[1])
    return set(halves[1])


def main() -> int:
    tasks = load_tasks(HERE / "tau2" / "tasks.json")
    job_of = {t.id: task_job(t) for t in tasks}
    for suite in ("shop", "tau2"):
        files = sorted((HERE / suite).glob("*.yaml"))
        read = {file: entries(file, job_of) for file in files}
        test = deal([e for _, found in read.values() for e in found], f"{SEED}:{suite}")
        for file, (header, found) in read.items():
            for half, keep in (("dev", False), ("test", True)):
                target = HERE / suite / half / file.name
                if target.exists():
                    print(f"{target} exists: not splitting {file} again", file=sys.stderr)
                    return 1
                target.parent.mkdir(exist_ok=True)
                chosen = [text for _, id_, text, _ in found if (id_ in test) == keep]
                target.write_text(header + "\n".join(chosen), encoding="utf-8")
            file.unlink()
            print(f"{file.relative_to(HERE)} → dev/ and test/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

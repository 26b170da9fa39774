"""Scripted customers for τ²-bench retail tasks: a task's customer as fixed turns written in
advance (in any language, against τ²'s English catalog), played in order whatever the assistant
answers, then the conversation ends as τ²'s customer ends it. The blind suite
`scenarios/blind/tau2/` is written this way."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import yaml  # type: ignore[import-untyped, unused-ignore]
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from shopkeep.agent.jobs import Language
from shopkeep.evals.scenarios import (
    ScenarioInvalid,
    ScenarioYamlLoader,
    Strict,
    Text,
    describe,
    suite_files,
)
from shopkeep.evals.tau2.tasks import Task
from shopkeep.evals.usersim import STOP, UserTurn

SCRIPT_ID = re.compile(r"^(?P<language>[a-z]{2})-tau2-(?P<task>\d{3})(?:-[A-Za-z0-9_-]+)?$")


class Tau2Script(Strict):
    """One τ² task's customer, as fixed turns."""

    id: str
    """`<language>-tau2-<task id, 3 digits>[-slug]`."""
    task: Text
    """The id of the τ² task it plays."""
    language: Language
    title: Text
    tags: list[Text] = Field(default_factory=list)
    turns: list[Text] = Field(min_length=1)

    _file: Path | None = PrivateAttr(default=None)

    @property
    def file(self) -> Path | None:
        return self._file

    @model_validator(mode="after")
    def _id_names_language_and_task(self) -> Tau2Script:
        found = SCRIPT_ID.match(self.id)
        if (
            found is None
            or found["language"] != self.language
            or not self.task.isdigit()
            or int(found["task"]) != int(self.task)
        ):
            task = f"{int(self.task):03d}" if self.task.isdigit() else "NNN"
            raise ValueError(
                f"id {self.id!r} must read <language>-tau2-<task id>[-slug], "
                f"like {self.language}-tau2-{task}"
            )
        return self


def load_scripts(path: Path | str, tasks: Sequence[Task] | None = None) -> list[Tau2Script]:
    """Every script in a file, or in the *.yaml files under a folder, sorted by id. With
    `tasks`, each script's task must be among them. Raises ScenarioInvalid listing every
    problem, each with its file and script."""
    problems: list[str] = []
    scripts: list[Tau2Script] = []
    seen: dict[str, Path] = {}
    known = {t.id for t in tasks} if tasks is not None else None
    for file in suite_files(Path(path)):
        try:
            document = yaml.load(file.read_text(encoding="utf-8"), Loader=ScenarioYamlLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            problems.append(f"{file}: cannot be read as YAML: {error}")
            continue
        entries = document if isinstance(document, list) else [document]
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                problems.append(f"{file}: entry {number}: a script is a mapping (id, task, ...)")
                continue
            name = entry.get("id") if isinstance(entry.get("id"), str) else f"#{number}"
            try:
                script = Tau2Script.model_validate(entry)
            except ValidationError as error:
                problems += [
                    f"{file}: script {name}: {describe(e, 'script')}" for e in error.errors()
                ]
                continue
            if script.id in seen:
                first = seen[script.id]
                problems.append(f"{file}: script {script.id}: id: already used in {first}")
                continue
            if known is not None and script.task not in known:
                problems.append(f"{file}: script {script.id}: task: no task {script.task!r}")
                continue
            seen[script.id] = file
            script._file = file
            scripts.append(script)
    if problems:
        raise ScenarioInvalid(problems)
    return sorted(scripts, key=lambda s: s.id)


class ScriptedCustomer:
    """Says its turns one after another, whatever the assistant answered; after the last one
    it ends the conversation with τ²'s stop signal."""

    def __init__(self, turns: Sequence[str]) -> None:
        self._turns = list(turns)
        self._said = 0

    def reply(self, agent_message: str) -> UserTurn:
        if self._said >= len(self._turns):
            return UserTurn(text=STOP, ending="stop", usage=None)
        self._said += 1
        return UserTurn(text=self._turns[self._said - 1], ending=None, usage=None)

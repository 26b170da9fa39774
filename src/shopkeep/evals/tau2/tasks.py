"""τ²-bench tasks in τ²'s own tasks.json format (`tau2/data_model/tasks.py`), read and refused
with the task and field that are wrong."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shopkeep.evals.usersim import UserInstructions, scenario_text


class TasksInvalid(Exception):
    """A tasks file that cannot be used; the message names the file, the task and the field."""

    code = "tau2_tasks_invalid"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class RewardType(StrEnum):
    DB = "DB"
    ENV_ASSERTION = "ENV_ASSERTION"
    NL_ASSERTION = "NL_ASSERTION"
    ACTION = "ACTION"
    COMMUNICATE = "COMMUNICATE"


class Lenient(BaseModel):
    # τ² adds fields between versions (task issues, voice metadata): what is not used is kept
    # out of the way rather than refused.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Action(Lenient):
    action_id: str = ""
    requestor: Literal["assistant", "user"] = "assistant"
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    info: str | None = None
    compare_args: list[str] | None = None

    def matches(self, name: str, arguments: dict[str, Any]) -> bool:
        """τ²'s `Action.compare_with_tool_call`: the name, and the arguments in `compare_args`
        (all the call's when it is not given)."""
        if name != self.name:
            return False
        keys = set(self.compare_args if self.compare_args is not None else arguments)
        if not keys:
            return True
        return {k: v for k, v in arguments.items() if k in keys} == {
            k: v for k, v in self.arguments.items() if k in keys
        }


class EvaluationCriteria(Lenient):
    actions: list[Action] | None = None
    env_assertions: list[dict[str, Any]] | None = None
    communicate_info: list[str] | None = None
    nl_assertions: list[str] | None = None
    reward_basis: list[RewardType] = Field(
        default_factory=lambda: [RewardType.DB, RewardType.COMMUNICATE]
    )


class UserScenario(Lenient):
    persona: str | None = None
    instructions: UserInstructions | str


class InitialState(Lenient):
    initialization_data: dict[str, Any] | None = None
    initialization_actions: list[dict[str, Any]] | None = None
    message_history: list[dict[str, Any]] | None = None


class Task(Lenient):
    id: str
    description: dict[str, Any] | None = None
    user_scenario: UserScenario
    initial_state: InitialState | None = None
    evaluation_criteria: EvaluationCriteria | None = None

    @property
    def scenario(self) -> str:
        """What the simulated customer is told, as τ² renders `str(task.user_scenario)`."""
        return scenario_text(self.user_scenario.instructions, self.user_scenario.persona)

    @property
    def reason_for_call(self) -> str:
        instructions = self.user_scenario.instructions
        return (
            instructions.reason_for_call
            if isinstance(instructions, UserInstructions)
            else instructions
        )

    @property
    def gold_actions(self) -> list[Action]:
        criteria = self.evaluation_criteria
        return list(criteria.actions or []) if criteria is not None else []


def load_tasks(
    path: Path | str, ids: Sequence[str] | None = None, *, split: str | None = None
) -> list[Task]:
    """The tasks of a τ² tasks.json, in the file's order; only `ids` (in the order given) when
    given, only the tasks of a split (`split_tasks.json` beside the file, as τ² names it) when
    given. Raises TasksInvalid naming what is wrong."""
    file = Path(path)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise TasksInvalid(f"{file}: cannot read it: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise TasksInvalid(f"{file}: not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise TasksInvalid(
            f"{file}: not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    if not isinstance(document, list):
        raise TasksInvalid(f"{file}: a τ² tasks file is a JSON list of tasks")
    tasks: list[Task] = []
    seen: set[str] = set()
    for number, entry in enumerate(document):
        name = entry.get("id") if isinstance(entry, dict) else None
        where = f"{file}: task {name!r}" if isinstance(name, str) else f"{file}: entry {number}"
        try:
            task = Task.model_validate(entry)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "task"
            raise TasksInvalid(f"{where}: {field}: {first['msg']}") from None
        if task.id in seen:
            raise TasksInvalid(f"{where}: the id is used twice")
        seen.add(task.id)
        if task.initial_state is not None and any(
            (
                task.initial_state.initialization_data,
                task.initial_state.initialization_actions,
                task.initial_state.message_history,
            )
        ):
            raise TasksInvalid(
                f"{where}: initial_state: tasks that start from a changed database or a "
                "conversation already under way are not supported (retail has none)"
            )
        tasks.append(task)
    if split is not None:
        splits_file = file.with_name(f"split_{file.stem}.json")
        try:
            splits = json.loads(splits_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise TasksInvalid(f"{splits_file}: cannot read the task splits: {error}") from None
        if not isinstance(splits, dict) or split not in splits:
            known = ", ".join(sorted(splits)) if isinstance(splits, dict) else "none"
            raise TasksInvalid(f"{splits_file}: no split {split!r} (the splits are {known})")
        chosen = {str(i) for i in splits[split]}
        tasks = [t for t in tasks if t.id in chosen]
    if ids is not None:
        by_id = {t.id: t for t in tasks}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise TasksInvalid(f"{file}: no task with the id {', '.join(map(repr, missing))}")
        tasks = [by_id[i] for i in ids]
    return tasks
